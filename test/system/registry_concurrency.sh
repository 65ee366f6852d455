#!/bin/bash
# Registry under concurrent writers: two sessions packing the same unit into
# different cartons at once -- exactly one wins, the other is told the unit is
# already packed; two sessions commissioning the same code at once -- one wins,
# the other gets 23505 naming the record; two sessions selling the same unit at
# once -- one wins, the other is told the unit was already sold (under
# SERIALIZABLE it fails with 40001 to be run again; REPEATABLE READ is
# refused); packing a carton while a unit in it is being sold -- the packer
# waits, then is told it no longer holds the unit.
. "$(dirname "$0")/common.bash" registry-conc


eval "$(scripts/cluster.sh start "$work/pg")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "F", "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "cold-rolled-rebar", "gtin": "06901234567892",
    "product_name": "钢筋", "product_type": "钢材", "spec_model": "CRB550", "mandatory_standards": "GB/T 13788",
    "production_licence_no": "XK05-001-00001"}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)U1", "production_date": "2026-06-01",
    "serial_or_batch": "B1", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SQL

pack() {   # $1 carton, $2 delay before commit
    psql -X -At -v ON_ERROR_STOP=1 <<SQL
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
BEGIN;
SELECT trace.pack('{"package_code": "$1", "uscc": "91330100MA2H3K5L19", "event_time": "2026-06-02T08:00:00+08:00",
    "contents": ["(01)06901234567892(21)U1"]}');
SELECT pg_sleep($2);
COMMIT;
SQL
}
pack "(00)069012340000000016" 2 >"$work/a.out" 2>&1 &
a=$!
sleep 0.7
pack "(00)069012340000000023" 0 >"$work/b.out" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
is "$ra" "0" "the first packer commits"
ok $([ "$rb" -ne 0 ] && grep -q "is already in package" "$work/b.out"; echo $?) \
   "the second packer, racing it, is refused: the unit is already in a package"
is "$(q -c "SELECT count(*) FROM trace.package_events")" "1" "exactly one packing event"

commission() {   # $1 delay before commit
    psql -X -At -v ON_ERROR_STOP=1 <<SQL
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
BEGIN;
SELECT trace.commission('[{"trace_code": "(01)06901234567892(21)U9", "production_date": "2026-06-01",
    "serial_or_batch": "B1", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}]');
SELECT pg_sleep($1);
COMMIT;
SQL
}
commission 2 >"$work/c.out" 2>&1 &
c=$!
sleep 0.7
commission 0 >"$work/d.out" 2>&1 &
d=$!
wait $c; rc=$?
wait $d; rd=$?
is "$rc" "0" "the first commissioning commits"
ok $([ "$rd" -ne 0 ] && grep -q 'record 1 (trace_code "(01)06901234567892(21)U9"): trace code is already commissioned' "$work/d.out"; echo $?) \
   "the racing one is refused with the record named"
is "$(q -c "SELECT count(*) FROM trace.item_record")" "2" "one row per trace code"
sell() {   # $1 code, $2 delay before commit, $3 isolation
    psql -X -At -v ON_ERROR_STOP=1 <<SQL
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
BEGIN ISOLATION LEVEL $3;
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "$1", "sale_time": "2026-06-03T10:00:00+08:00",
    "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}') IS NOT NULL;
SELECT pg_sleep($2);
COMMIT;
SQL
}
q -c "SET pgtrace.reference_time = '2026-06-30 12:00:00+08'" -c "SELECT trace.commission('[
    {\"trace_code\": \"(01)06901234567892(21)S1\", \"production_date\": \"2026-06-01\", \"serial_or_batch\": \"B1\", \"inspection_report\": 1},
    {\"trace_code\": \"(01)06901234567892(21)S2\", \"production_date\": \"2026-06-01\", \"serial_or_batch\": \"B1\", \"inspection_report\": 1},
    {\"trace_code\": \"(01)06901234567892(21)S3\", \"production_date\": \"2026-06-01\", \"serial_or_batch\": \"B1\", \"inspection_report\": 1}]')" >/dev/null
ok $? "three more units commissioned"
for iso in "READ COMMITTED" "SERIALIZABLE"; do
    code="(01)06901234567892(21)S1"; [ "$iso" = "SERIALIZABLE" ] && code="(01)06901234567892(21)S2"
    sell "$code" 2 "READ COMMITTED" >"$work/e.out" 2>&1 &
    e=$!
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")" = 1 ] && break
        sleep 0.05
    done
    sell "$code" 0 "$iso" >"$work/f.out" 2>&1 &
    f=$!
    wait $e; re=$?
    wait $f; rf=$?
    is "$re" "0" "$iso: the first sale of $code commits"
    if [ "$iso" = "READ COMMITTED" ]; then
        ok $([ "$rf" -ne 0 ] && grep -q "already recorded a sale of (01)06901234567892(21)S1" "$work/f.out"; echo $?) \
           "$iso: the racing sale of the same unit waits, then is refused: already sold"
    else
        ok $([ "$rf" -ne 0 ] && grep -q "could not serialize access: another transaction was recording the same goods" "$work/f.out"; echo $?) \
           "$iso: the racing sale waits, then fails with 40001 (its snapshot cannot see the other sale)"
    fi
    is "$(q -c "SELECT count(*) FROM trace.flows WHERE trace_code OPERATOR(trace.=) '$code'::trace.code")" "1" "$iso: exactly one sale of $code"
done
# REPEATABLE READ could miss a sale committed just before its lock: refused outright
sell "(01)06901234567892(21)S3" 0 "REPEATABLE READ" >"$work/g.out" 2>&1
ok $([ $? -ne 0 ] && grep -q "not recorded under REPEATABLE READ" "$work/g.out"; echo $?) \
   "a sale under REPEATABLE READ is refused (0A000), even without a race"

# packing a package while a unit inside it is being sold: they queue on the unit
q -c "SET pgtrace.reference_time = '2026-06-30 12:00:00+08'" -c "SELECT trace.pack('{\"package_code\": \"(00)069012340000000030\",
    \"uscc\": \"91330100MA2H3K5L19\", \"event_time\": \"2026-06-02T08:00:00+08:00\", \"contents\": [\"(01)06901234567892(21)S3\"]}')" >/dev/null
ok $? "unit S3 packed into carton 30"
psql -X -At -v ON_ERROR_STOP=1 >"$work/h.out" 2>&1 <<'SQL' &
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
BEGIN;
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)S3", "sale_time": "2026-06-04T10:00:00+08:00",
    "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}') IS NOT NULL;
SELECT pg_sleep(2);
COMMIT;
SQL
h=$!
wait_sleeping q 2
q -c "SET pgtrace.reference_time = '2026-06-30 12:00:00+08'" -c "SELECT trace.pack('{\"package_code\": \"(00)069012340000000047\",
    \"uscc\": \"91330100MA2H3K5L19\", \"event_time\": \"2026-06-05T08:00:00+08:00\", \"contents\": [\"(00)069012340000000030\"]}')" >"$work/i.out" 2>&1
ri=$?
wait $h; rh=$?
is "$rh" "0" "the sale of unit S3 (inside carton 30) commits"
ok $([ "$ri" -ne 0 ] && grep -q "(01)06901234567892(21)S3" "$work/i.out"; echo $?) \
   "packing carton 30 into pallet 47 meanwhile waits for it, then is refused: the packer no longer holds S3"
is "$(q -c "SELECT count(*) FROM trace.package_events WHERE package_code OPERATOR(trace.=) '(00)069012340000000047'::trace.code")" "0" \
   "no packing event of pallet 47"
is "$(q -c "SELECT trace.verify() -> 'ok'")" "true" "the ledger verifies after the races"

tap_done
