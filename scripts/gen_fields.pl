#!/usr/bin/perl
# Turn data/fields.csv (Tables 1-3 of the standard, machine-readable) into
#
#   gen_fields.pl sql   FIELDS.CSV   the rows of trace.field_catalog (install-script part)
#   gen_fields.pl pgtap FIELDS.CSV   a pgTAP suite: one test per mandatory field and
#                                    per applicable-`b` rule, for every API record kind
#
# The CSV is the source of truth; this script only adds what the CSV cannot
# say: which API record kinds check a field, what kind of value it holds, and
# which product-category flag switches a `b` field on. A field or condition
# the script does not know stops the build, so the catalogue never silently
# drifts from the standard.
use strict;
use warnings;

my ($mode, $file) = @ARGV;
die "usage: gen_fields.pl sql|pgtap FIELDS.CSV\n" unless $mode && $file && $mode =~ /^(sql|pgtap)$/;

# field (per table) => [record kinds that check it, value kind]
#   record kinds: unit, product, item, producer_sale, seller_purchase, seller_sale
#   value kinds:  text, uscc, code, date, time, period, document, list, quantity
my %map = (
    'producer.unit_name'              => [[qw(unit)], 'text'],
    'producer.uscc'                   => [[qw(unit)], 'uscc'],
    'producer.address'                => [[qw(unit)], 'text'],
    'producer.contact'                => [[qw(unit)], 'text'],
    'producer.business_license'       => [[qw(unit)], 'document'],
    'producer.system_certifications'  => [[qw(unit)], 'list'],
    'producer.product_certifications' => [[qw(unit)], 'list'],
    'producer.trace_code'             => [[qw(item)], 'code'],
    'producer.product_name'           => [[qw(product item)], 'text'],
    'producer.product_type'           => [[qw(product item)], 'text'],
    'producer.spec_model'             => [[qw(product item)], 'text'],
    'producer.production_date'        => [[qw(item)], 'date'],
    'producer.warranty_period'        => [[qw(item)], 'period'],
    'producer.serial_or_batch'        => [[qw(item)], 'text'],
    'producer.mandatory_standards'    => [[qw(product item)], 'text'],
    'producer.production_licence_no'  => [[qw(product item)], 'text'],
    'producer.ccc_certificate_no'     => [[qw(product item)], 'text'],
    'producer.inspection_report'      => [[qw(item)], 'document'],
    'producer.manual_or_warning'      => [[qw(product item)], 'document'],
    'producer.materials_components'   => [[qw(product item)], 'text'],
    'producer.functions'              => [[qw(product item)], 'text'],
    'producer.performance'            => [[qw(product item)], 'text'],
    'producer.sale_time'              => [[qw(producer_sale)], 'time'],
    'producer.buyer_name'             => [[qw(producer_sale)], 'text'],
    'producer.buyer_address'          => [[qw(producer_sale)], 'text'],
    'producer.buyer_contact'          => [[qw(producer_sale)], 'text'],
    'producer.quantity'               => [[qw(producer_sale)], 'quantity'],
    'seller.unit_name'                => [[qw(unit)], 'text'],
    'seller.uscc'                     => [[qw(unit)], 'uscc'],
    'seller.address'                  => [[qw(unit)], 'text'],
    'seller.contact'                  => [[qw(unit)], 'text'],
    'seller.business_license'         => [[qw(unit)], 'document'],
    'seller.purchase_info'            => [[qw(unit)], 'text'],
    'seller.trace_code'               => [[qw(seller_purchase seller_sale)], 'code'],
    'seller.supplier_name'            => [[qw(seller_purchase)], 'text'],
    'seller.purchase_time'            => [[qw(seller_purchase)], 'time'],
    'seller.customer_name'            => [[qw(seller_sale)], 'text'],
    'seller.sold_time'                => [[qw(seller_sale)], 'time'],
    'seller.quantity'                 => [[qw(seller_sale seller_purchase)], 'quantity'],
);

# applies_when (CSV wording) => product-category flag
my @conditions = (
    [qr/warranty/i,               'warranty'],
    [qr/production-licence/i,     'licence'],
    [qr/\bCCC\b/,                 'ccc'],
    [qr/instructions|warning/i,   'manual'],
);

open(my $fh, '<:encoding(UTF-8)', $file) or die "$file: $!\n";
my $header = <$fh>;
$header =~ s/\r?\n$//;
die "$file: unexpected header '$header'\n"
    unless $header eq 'table,group,field,name_zh,name_en,collect,public,applies_when';

my @rows;
my $n = 0;
while (my $line = <$fh>) {
    $line =~ s/\r?\n$//;
    next if $line =~ /^\s*$/;
    my @c = split /,/, $line, -1;
    die "$file:$.: expected 8 columns\n" unless @c == 8;
    my ($table, $group, $field, $zh, $en, $collect, $public, $when) = @c;
    die "$file:$.: bad collect '$collect'\n" unless $collect =~ /^[abo]$/;
    die "$file:$.: bad public '$public'\n"   unless $public  =~ /^[cdn]$/;
    my $m = $map{"$table.$field"} or die "$file:$.: field $table.$field has no mapping in $0\n";
    my $flag;
    if ($collect eq 'b' || $public eq 'd') {
        for my $c (@conditions) { if ($when =~ $c->[0]) { $flag = $c->[1]; last; } }
        die "$file:$.: condition '$when' of $field maps to no category flag\n" unless $flag;
    }
    push @rows, { ord => ++$n, table => $table, group => $group, field => $field, zh => $zh,
                  en => $en, collect => $collect, public => $public, when => $when,
                  kinds => $m->[0], vkind => $m->[1], flag => $flag };
}
close $fh;

sub sq { my $s = shift; return 'NULL' unless defined $s && $s ne ''; $s =~ s/'/''/g; return "'$s'"; }

if ($mode eq 'sql') {
    binmode STDOUT, ':encoding(UTF-8)';
    print "-- Field catalogue: GENERATED by scripts/gen_fields.pl from data/fields.csv; do not edit.\n";
    print "INSERT INTO \@extschema\@.field_catalog\n";
    print "    (ordinal, table_name, field_group, field, name_zh, name_en, collect, public,\n";
    print "     applies_when, category_flag, record_kinds, value_kind) VALUES\n";
    my @v;
    for my $r (@rows) {
        push @v, sprintf("    (%d, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{%s}', %s)",
            $r->{ord}, sq($r->{table}), sq($r->{group}), sq($r->{field}), sq($r->{zh}), sq($r->{en}),
            sq($r->{collect}), sq($r->{public}), sq($r->{when}), sq($r->{flag}),
            join(',', @{$r->{kinds}}), sq($r->{vkind}));
    }
    print join(",\n", @v), ";\n";
    exit 0;
}

# ---------------------------------------------------------------- pgTAP suite
# Valid identifiers are computed here, never typed: GS1 mod-10 and GB 32100.
sub gs1_check {
    my $d = shift; my ($s, $w) = (0, 3);
    for my $ch (reverse split //, $d) { $s += $ch * $w; $w = 4 - $w; }
    return $d . ((10 - $s % 10) % 10);
}
my $alpha = '0123456789ABCDEFGHJKLMNPQRTUWXY';
my @uw = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28);
sub uscc_check {
    my $d = shift; my $s = 0; my $i = 0;
    for my $ch (split //, $d) { $s += index($alpha, $ch) * $uw[$i++]; }
    return $d . substr($alpha, (31 - $s % 31) % 31, 1);
}

my $producer = uscc_check('91330100MA2H3K5L1');
my $seller   = uscc_check('92440300MA5FQ7W81');
my $gtin_all  = gs1_check('0690123456789');     # category with every flag
my $gtin_none = gs1_check('0690123456790');     # category with no flag
my $serial = 0;
sub code { my $g = shift; return sprintf('(01)%s(21)G%06d', $g, ++$serial); }

my @tests;        # [sql, description]
my @setup;
my $doc = "'{\"content_base64\": \"cmVwb3J0\", \"media_type\": \"text/plain\", \"file_name\": \"r.txt\"}'::jsonb";

push @setup, "SET LOCAL pgtrace.reference_time = '2026-06-01 00:00:00+00';";
push @setup, "SELECT trace.add_category('{\"code\": \"T-ALL\", \"name_zh\": \"测试全部\", \"name_en\": \"test, every flag\", \"licence_managed\": true, \"ccc_managed\": true, \"has_warranty\": true, \"needs_manual\": true}');";
push @setup, "SELECT trace.add_category('{\"code\": \"T-NONE\", \"name_zh\": \"测试无\", \"name_en\": \"test, no flag\", \"licence_managed\": false, \"ccc_managed\": false, \"has_warranty\": false, \"needs_manual\": false}');";

# complete records per kind, as perl hashes of SQL-literal jsonb fragments
my %unit = (unit_name => '"Test Producer Co."', uscc => "\"$producer\"", address => '"1 Test Road"',
            contact => '"+86 571 0000 0000"', business_license => "$doc");
sub jobj {
    my %h = @_;
    return "jsonb_build_object(" . join(', ', map {
        my $v = $h{$_}; $v =~ /::jsonb$/ ? "'$_', $v" : "'$_', '$v'::jsonb"
    } sort keys %h) . ")";
}
push @setup, "SELECT trace.register_unit(" . jobj(%unit, roles => '["producer", "seller"]') . ");";
push @setup, "SELECT trace.register_unit(" . jobj(%unit, uscc => "\"$seller\"", unit_name => '"Test Seller Co."', roles => '["seller"]') . ");";

my %product = (uscc => "\"$producer\"", product_name => '"Test cable"', product_type => '"cable"',
               spec_model => '"BV-2.5"', mandatory_standards => '"GB/T 5023"',
               production_licence_no => '"XK06-001-00001"', ccc_certificate_no => '"2026010105000001"',
               manual_or_warning => "$doc", warranty_period => '"P2Y"');
push @setup, "SELECT trace.register_product(" . jobj(%product, category => '"T-ALL"', gtin => "\"$gtin_all\"") . ");";
push @setup, "SELECT trace.register_product(" . jobj(%product, category => '"T-NONE"', gtin => "\"$gtin_none\"", spec_model => '"BV-4"') . ");";

my %item = (production_date => '"2026-05-01"', serial_or_batch => '"LOT-1"', inspection_report => "$doc");

my %flag_on_fields;
for my $r (@rows) {
    next unless $r->{collect} eq 'a' || $r->{collect} eq 'b';
    for my $kind (@{$r->{kinds}}) {
        my $f = $r->{field};
        if ($kind eq 'unit') {
            next if $f eq 'uscc';   # the unit's identity: covered by the record-shape tests
            my %u = (%unit, uscc => '"' . uscc_check(sprintf('91330100MA2H%05d', scalar(@tests))) . '"');
            delete $u{$f};
            my $roles = $r->{table} eq 'producer' ? '["producer"]' : '["seller"]';
            push @tests, ["SELECT trace.register_unit(" . jobj(%u, roles => $roles) . ")",
                          "'23502'", "$r->{table} unit without $f"];
        } elsif ($kind eq 'product') {
            my $cat = $r->{collect} eq 'b' ? 'T-ALL' : 'T-NONE';
            my %p = (%product, category => "\"$cat\"", spec_model => "\"M-$f\"");
            delete $p{$f};
            push @tests, ["SELECT trace.register_product(" . jobj(%p) . ")", "'23502'",
                          "product without $f" . ($r->{collect} eq 'b' ? " (category flag $r->{flag} on)" : '')];
            if ($r->{collect} eq 'b') {
                my %q = (%product, category => '"T-NONE"', spec_model => "\"N-$f\"");
                delete $q{$f};
                push @tests, ["SELECT trace.register_product(" . jobj(%q) . ")", undef,
                              "product without $f accepted when flag $r->{flag} is off"];
            }
        } elsif ($kind eq 'item') {
            next if grep { $_ eq 'product' } @{$r->{kinds}};   # model-level: tested on products
            if ($f eq 'warranty_period') {
                # the product of T-ALL carries a warranty: an item of a product without one needs it
                push @setup, "SELECT trace.register_product(" . jobj(%product, category => '"T-ALL"', spec_model => '"NW"', gtin => '"' . gs1_check('0690123456791') . '"', warranty_period => 'null') . ");"
                    unless $flag_on_fields{nw}++;
                my %i = (%item, trace_code => '"' . code(gs1_check('0690123456791')) . '"');
                push @tests, ["SELECT trace.commission(jsonb_build_array(" . jobj(%i) . "))", "'23502'",
                              "item without warranty_period (category flag warranty on, product has none)"];
                my %j = (%item, trace_code => '"' . code($gtin_none) . '"');
                push @tests, ["SELECT trace.commission(jsonb_build_array(" . jobj(%j) . "))", undef,
                              "item without warranty_period accepted when flag warranty is off"];
                next;
            }
            my %i = (%item, trace_code => '"' . code($gtin_all) . '"');
            delete $i{$f};
            push @tests, ["SELECT trace.commission(jsonb_build_array(" . jobj(%item, trace_code => '"' . code($gtin_none) . '"') . ", " . jobj(%i) . "))",
                          "'23502'", "item without $f (second record of a batch)"];
        } elsif ($kind =~ /sale|purchase/) {
            my $c = code($gtin_none);
            push @setup, "SELECT trace.commission(jsonb_build_array(" . jobj(%item, trace_code => "\"$c\"") . "));";
            my %rec;
            if ($kind eq 'producer_sale') {
                %rec = (uscc => "\"$producer\"", trace_code => "\"$c\"", sale_time => '"2026-05-10T10:00:00+08:00"',
                        buyer_name => '"Buyer"', buyer_address => '"2 Buyer St"', buyer_contact => '"+86 10 0000"');
            } elsif ($kind eq 'seller_purchase') {
                %rec = (uscc => "\"$seller\"", trace_code => "\"$c\"", supplier_name => '"Test Producer Co."',
                        purchase_time => '"2026-05-11T10:00:00+08:00"');
            } else {
                %rec = (uscc => "\"$seller\"", trace_code => "\"$c\"", customer_name => '"Customer"',
                        sold_time => '"2026-05-12T10:00:00+08:00"');
            }
            delete $rec{$f};
            my $fn = $kind eq 'seller_purchase' ? 'record_purchase' : 'record_sale';
            push @tests, ["SELECT trace.$fn(" . jobj(%rec) . ")", "'23502'", "$kind without $f"];
        }
    }
}

binmode STDOUT, ':encoding(UTF-8)';
print "-- GENERATED by scripts/gen_fields.pl from data/fields.csv; do not edit.\n";
print "-- One test per mandatory field and per applicable-b rule of Tables 1-2.\n";
print "BEGIN;\n";
my $plan = 2 + scalar(@tests);
print "SELECT plan($plan);\n";
for (@setup) {
    if (/^SET /) { print "$_\n"; next; }
    (my $stmt = $_) =~ s/^SELECT /PERFORM /;
    print "DO \$setup\$ BEGIN $stmt END \$setup\$;\n";
}
my $a_count = grep { $_->{collect} eq 'a' } @rows;
print "SELECT is((SELECT count(*)::int FROM trace.field_catalog WHERE collect = 'a'), $a_count, 'catalogue holds every mandatory field of data/fields.csv');\n";
print "SELECT is((SELECT count(*)::int FROM trace.field_catalog), " . scalar(@rows) . ", 'catalogue holds every row of data/fields.csv');\n";
for my $t (@tests) {
    my ($sql, $state, $desc) = @$t;
    (my $lit = $sql) =~ s/'/''/g;
    if (defined $state) {
        my ($f) = $desc =~ /without (\w+)/;
        print "SELECT throws_like('$lit', '%missing mandatory fields: $f', '$desc');\n";
    } else {
        print "SELECT lives_ok('$lit', '$desc');\n";
    }
}
print "SELECT * FROM finish();\nROLLBACK;\n";
