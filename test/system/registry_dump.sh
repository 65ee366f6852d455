#!/bin/bash
# Registry round trip through pg_dump / pg_restore: every registry row comes
# back once (seeded categories are not duplicated), the history of a unit is
# identical, the ledger verifies, and new records continue the ids.
. "$(dirname "$0")/common.bash" registry-dump


eval "$(scripts/cluster.sh start "$work/pg")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
createdb src
# USCCs and GTIN with computed check characters (GB 32100, GS1 mod 10)
q -d src <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.add_category('{"code": "pressure-cooker", "name_zh": "压力锅", "name_en": "pressure cookers",
    "licence_managed": false, "ccc_managed": false, "has_warranty": true, "needs_manual": true}');
SELECT trace.register_unit('[{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "工厂", "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}},
   {"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "经销商", "address": "B",
    "contact": "D", "business_license": {"content_base64": "Uw==", "media_type": "application/pdf"}}]');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "pressure-cooker", "gtin": "06901234567892",
    "product_name": "压力锅", "product_type": "炊具", "spec_model": "YL-22", "mandatory_standards": "GB 15066",
    "warranty_period": "P2Y", "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}');
SELECT trace.commission((SELECT jsonb_agg(jsonb_build_object('trace_code', '(01)06901234567892(21)D' || g,
    'production_date', '2026-06-01', 'serial_or_batch', 'B1',
    'inspection_report', jsonb_build_object('content_base64', 'cg==', 'media_type', 'text/plain')))
    FROM generate_series(1, 3) g));
SELECT trace.pack('{"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T08:00:00+08:00",
    "contents": ["(01)06901234567892(21)D1", "(01)06901234567892(21)D2"]}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016",
    "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "经销商", "buyer_address": "B", "buyer_contact": "D",
    "buyer_uscc": "91440300MA5FQ7W81X"}');
SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016",
    "supplier_name": "工厂", "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T10:00:00+08:00"}');
SELECT trace.unpack('{"package_code": "(00)069012340000000016", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-05T10:00:00+08:00"}');
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code::text = '(01)06901234567892(21)D1'),
    '{"serial_or_batch": "B1-A"}', 'batch misprinted');
SQL
ok $? "a small registry: units, product, three units, a carton packed, sold, bought, unpacked, a correction"

counts="SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
    SELECT 'category' t, count(*) n FROM trace.category_record UNION ALL
    SELECT 'document', count(*) FROM trace.document_record UNION ALL
    SELECT 'content', count(*) FROM trace.document_content UNION ALL
    SELECT 'unit', count(*) FROM trace.unit_record UNION ALL
    SELECT 'product', count(*) FROM trace.product_record UNION ALL
    SELECT 'item', count(*) FROM trace.item_record UNION ALL
    SELECT 'package', count(*) FROM trace.package_event UNION ALL
    SELECT 'flow', count(*) FROM trace.flow_record) x"
hist="SELECT trace.history('(01)06901234567892(21)D1')::text"
src_counts=$(q -d src -c "$counts")
src_hist=$(q -d src -c "$hist")
is "$(q -d src -c "SELECT trace.verify() -> 'ok'")" "true" "source verifies clean"

pg_dump -Fc -f "$work/src.dump" src
ok $? "pg_dump -Fc"
createdb dst
pg_restore -d dst --exit-on-error "$work/src.dump" 2>"$work/restore.err"
ok $? "pg_restore into a new database"
[ -s "$work/restore.err" ] && sed 's/^/# /' "$work/restore.err"

is "$(q -d dst -c "$counts")" "$src_counts" "every registry row restored once (seeded categories not duplicated)"
is "$(q -d dst -c "$hist")" "$src_hist" "the history of a unit is identical after the restore"
is "$(q -d dst -c "SELECT count(*) FROM trace.categories")" "9" "eight seeded categories and the one added"
is "$(q -d dst -c "SELECT trace.verify() -> 'ok'")" "true" "the restored registry verifies clean"
is "$(q -d dst -c "SELECT trace.package_of('(01)06901234567892(21)D2', '2026-06-04 12:00+08')::text")" \
   "(00)069012340000000016" "package history restored: D2 was in the carton on 4 June"
q -d dst <<'SQL' >/dev/null 2>"$work/new.err"
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)D4", "production_date": "2026-06-10",
    "serial_or_batch": "B2", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SELECT trace.register_unit('{"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "零售", "address": "C",
    "contact": "E", "business_license": {"content_base64": "Ug==", "media_type": "application/pdf"}}');
SELECT trace.add_category('{"code": "kettle", "name_zh": "电水壶", "name_en": "kettles", "licence_managed": false,
    "ccc_managed": true, "has_warranty": true, "needs_manual": true}');
SQL
ok $? "new records after the restore (ids continue, no key collides)"
[ -s "$work/new.err" ] && sed 's/^/# /' "$work/new.err"
is "$(q -d dst -c "SELECT trace.verify() -> 'ok'")" "true" "and the registry still verifies"

tap_done
