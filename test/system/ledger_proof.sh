#!/bin/bash
# Ledger proofs outside the database: tools/pgtrace-verify (OpenSSL and
# src/core only) checks trace.proof output against a signed checkpoint and
# the public key, and refuses every kind of altered proof.
. "$(dirname "$0")/common.bash" ledger-proof
key="$top/test/data/keys/rfc8037_ed25519.pem"
pub="$top/test/data/keys/rfc8037_ed25519.pub.pem"
other_pub="$top/test/data/keys/second_ed25519.pub.pem"


make -s tools/pgtrace-verify >"$work/build.log" 2>&1
ok $? "tools/pgtrace-verify builds (OpenSSL + src/core only)"
verify=tools/pgtrace-verify
ok $(ldd "$verify" | grep -qi 'libpq\|postgres' && echo 1 || echo 0) "the verifier does not link PostgreSQL"
[ -x "$PT_PGBIN/pgtrace-verify" ]
ok $? "make install put pgtrace-verify next to PostgreSQL's programs ($PT_PGBIN)"

eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.signing_key_file = '$key'")"
export PGDATABASE=proofs
createdb proofs
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
q >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
CREATE TABLE public.lots (lot text, made date, qty numeric, doc jsonb);
SELECT trace.ledger_enable('public.lots');
CREATE TABLE public.lots_sm3 (lot text);
SELECT trace.ledger_enable('public.lots_sm3', 'sm3');
INSERT INTO public.lots SELECT 'L' || g, '2024-01-01'::date + g, g * 1.5, jsonb_build_object('g', g) FROM generate_series(1, 37) g;
INSERT INTO public.lots_sm3 SELECT 'S' || g FROM generate_series(1, 5) g;
SELECT trace.seal();
INSERT INTO public.lots SELECT 'M' || g, NULL, NULL, NULL FROM generate_series(1, 10) g;
SELECT trace.seal();
INSERT INTO public.lots VALUES ('late', NULL, NULL, NULL);
SQL
q -c "SELECT trace.checkpoint()" >"$work/cp.jws"      # seals the late row into block 3
q -c "SELECT trace.proof('public.lots', 5, \$\$$(cat "$work/cp.jws")\$\$)" >"$work/p5.json"
q -c "SELECT trace.proof('public.lots', 37, \$\$$(cat "$work/cp.jws")\$\$)" >"$work/p37.json"
# (the late row's seq by its lot: a batched statement may skip the rest of its seq block)
q -c "SELECT trace.proof('public.lots', (SELECT ledger_seq FROM public.lots WHERE lot = 'late'), \$\$$(cat "$work/cp.jws")\$\$)" >"$work/p48.json"
q -c "SELECT trace.proof('public.lots_sm3', 2, \$\$$(cat "$work/cp.jws")\$\$)" >"$work/s2.json"
q -c "SELECT trace.proof('public.lots', 5)" >"$work/p5-bare.json"

"$verify" --key "$pub" --checkpoint "$work/cp.jws" >"$work/out" 2>&1
ok $? "the checkpoint's signature verifies with the public key"
"$verify" --key "$pub" "$work/p5.json" >"$work/out" 2>&1
ok $? "proof of row 5 (block 1, chained through blocks 2 and 3) verifies: $(cat "$work/out")"
"$verify" --key "$pub" "$work/p37.json" >/dev/null 2>&1; ok $? "proof of row 37 (last leaf of block 1) verifies"
"$verify" --key "$pub" "$work/p48.json" >/dev/null 2>&1; ok $? "proof of the late row (block 3 = the head) verifies"
"$verify" --key "$pub" "$work/s2.json" >/dev/null 2>&1; ok $? "proof of a row of an SM3 ledger verifies"
"$verify" --key "$pub" --checkpoint "$work/cp.jws" "$work/p5-bare.json" >/dev/null 2>&1
ok $? "a proof without embedded checkpoint verifies against one given on the command line"

refused() {   # refused NAME FILE [ARGS...]: the verifier must say FAILED and exit 1
    local name=$1 file=$2
    shift 2
    out=$("$verify" "$@" "$file" 2>&1)
    st=$?
    [ "$st" -eq 1 ] && echo "$out" | grep -q '^FAILED'
    ok $? "$name is refused (${out#FAILED: })"
}
alter() {     # alter SRC DST PYTHON-EXPRESSION-ON-p
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], 'w'))
PY
}
alter "$work/p5.json" "$work/bad1.json" "e = bytearray.fromhex(p['row_encoding']); e[-1] ^= 1; p['row_encoding'] = e.hex()"
refused "a proof whose row encoding was altered" "$work/bad1.json" --key "$pub"
alter "$work/p5.json" "$work/bad2.json" "e = bytearray.fromhex(p['row_encoding']); e[-1] ^= 1; p['row_encoding'] = e.hex(); import hashlib; p['row_hash'] = hashlib.sha256(bytes(e)).hexdigest()"
refused "a proof of altered values with a matching row hash" "$work/bad2.json" --key "$pub"
alter "$work/p5.json" "$work/bad3.json" "p['leaf_index'] = 6"
refused "a proof with another leaf index" "$work/bad3.json" --key "$pub"
alter "$work/p5.json" "$work/bad4.json" "p['chain'] = p['chain'][:-1]"
refused "a proof whose chain stops before the checkpoint's head" "$work/bad4.json" --key "$pub"
alter "$work/p5.json" "$work/bad5.json" "p['block']['ranges'] = [[1, 37]]"
refused "a proof with altered block members" "$work/bad5.json" --key "$pub"
alter "$work/p5.json" "$work/bad6.json" "p['seq'] = 6"
refused "a proof claiming another seq" "$work/bad6.json" --key "$pub"
refused "a proof checked with another public key" "$work/p5.json" --key "$other_pub"
alter "$work/p5.json" "$work/bad7.json" "h, pl, s = p['checkpoint'].split('.'); p['checkpoint'] = h + '.' + pl[:-4] + 'AAAA' + '.' + s"
refused "a proof with an altered checkpoint" "$work/bad7.json" --key "$pub"
# a checkpoint taken later does not end where the older proof's chain ends
q -c "INSERT INTO public.lots VALUES ('later', NULL, NULL, NULL)" >/dev/null
q -c "SELECT trace.checkpoint()" >"$work/cp2.jws"
refused "an older proof against a newer checkpoint" "$work/p5-bare.json" --key "$pub" --checkpoint "$work/cp2.jws"
q -c "SELECT trace.proof('public.lots', 5, \$\$$(cat "$work/cp2.jws")\$\$)" >"$work/p5-new.json"
"$verify" --key "$pub" "$work/p5-new.json" >/dev/null 2>&1; ok $? "a fresh proof against the newer checkpoint verifies"

# ---- the proof of one trace code: every row behind its history, as a bundle
q >/dev/null <<'SQL'
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
    "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bQ==", "media_type": "application/pdf"}}');
SELECT trace.commission('[{"trace_code": "(01)06901234567892(21)U1", "production_date": "2026-06-01",
    "serial_or_batch": "B1", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}},
    {"trace_code": "(01)06901234567892(21)U2", "production_date": "2026-06-01",
    "serial_or_batch": "B1", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}]');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T08:00:00+08:00", "contents": ["(01)06901234567892(21)U1", "(01)06901234567892(21)U2"]}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016",
    "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "某经销商", "buyer_address": "深圳", "buyer_contact": "0755"}');
SQL
q -c "SELECT trace.checkpoint()" >"$work/cp4.jws"
q -c "SET pgtrace.reference_time = '2026-06-30 12:00:00+08'" -c "SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code::text = '(01)06901234567892(21)U1'), '{\"serial_or_batch\": \"B1-fixed\"}', 'typo')" >/dev/null
q -c "SELECT trace.proof('(01)06901234567892(21)U1'::trace.code, \$\$$(cat "$work/cp4.jws")\$\$)" >"$work/code.json"
is "$(python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print(p['typ'], ','.join(r['event'] for r in p['rows']), ','.join(r['event'] for r in p['pending']))" "$work/code.json")" \
   "pgtrace-code-proof production,pack,producer_sale,product,producer correction" \
   "trace.proof(code): the item, its packing, the sale of its carton, its product and producer; the later correction pending"
out=$("$verify" --key "$pub" "$work/code.json" 2>&1)
ok $? "pgtrace-verify checks every row proof of the bundle: $(echo "$out" | tail -2 | tr '\n' ' ')"
echo "$out" | grep -q "1 row(s) of (01)06901234567892(21)U1 were not sealed at the checkpoint"
ok $? "and says which rows it could not prove"
alter "$work/code.json" "$work/code-bad.json" "p['rows'][2]['proof']['row_encoding'] = p['rows'][2]['proof']['row_encoding'][:-2] + ('00' if p['rows'][2]['proof']['row_encoding'][-2:] != '00' else '01')"
refused "a code proof with one altered row" "$work/code-bad.json" --key "$pub"
alter "$work/code.json" "$work/code-empty.json" "p['rows'] = []"
refused "a code proof with no row proof" "$work/code-empty.json" --key "$pub"
is "$(q -c "SELECT trace.proof('(01)06901234567892(21)U9'::trace.code)" 2>&1 | grep -o 'no item with trace code.*')" \
   "no item with trace code (01)06901234567892(21)U9" "an unknown code: P0002, naming it"

# ---- a whole exported ledger, with a purged row, against the checkpoint
q -c "INSERT INTO public.lots (lot, ledger_retain_until) VALUES ('short-lived', '2001-01-01')" >/dev/null
q -c "SELECT trace.checkpoint()" >"$work/cp3.jws"
q -c "SELECT trace.purge('2100-01-01', 'public.lots')" >/dev/null
q -c "SELECT * FROM trace.ledger_export('public.lots')" >"$work/lots.jsonl"
out=$("$verify" --key "$pub" --checkpoint "$work/cp3.jws" --export "$work/lots.jsonl" 2>&1)
ok $? "the exported ledger (with a purged row) recomputes and extends the checkpoint: $out"
q -c "SELECT * FROM trace.ledger_export('public.lots_sm3')" >"$work/sm3.jsonl"
"$verify" --key "$pub" --checkpoint "$work/cp3.jws" --export "$work/sm3.jsonl" >/dev/null 2>&1
ok $? "an exported SM3 ledger verifies"
sed 's/"row_encoding": "\([0-9a-f]*\)0"/"row_encoding": "\11"/' "$work/lots.jsonl" >"$work/lots-bad.jsonl"
refused "an export with one altered row" "$work/lots-bad.jsonl" --key "$pub" --checkpoint "$work/cp3.jws" --export
head -n 2 "$work/lots.jsonl" >"$work/lots-short.jsonl"
refused "an export cut before the checkpoint's head" "$work/lots-short.jsonl" --key "$pub" --checkpoint "$work/cp3.jws" --export
sed '3d' "$work/lots.jsonl" >"$work/lots-gap.jsonl"
refused "an export with a block left out" "$work/lots-gap.jsonl" --key "$pub" --checkpoint "$work/cp3.jws" --export
"$verify" --key "$pub" --checkpoint "$work/cp.jws" --export "$work/lots.jsonl" >/dev/null 2>&1
ok $? "the export also extends the older checkpoint (history only grew)"

tap_done
