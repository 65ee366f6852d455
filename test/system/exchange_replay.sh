#!/bin/bash
# Concurrent imports of one partner token: while a first session's import is
# uncommitted, a second import of the same token waits for it and is then
# refused as a replay (TX004) if the first commits, or accepted if the first
# rolls back. Either way the token's records exist exactly once. Prints TAP.
. "$(dirname "$0")/common.bash" pgtrace-replay

start_cluster "pgtrace.reference_time = '2026-06-30 12:00:00+08'"
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
tok=$(sed -n "s/^\\\\set tok_good '\\(.*\\)'$/\\1/p" test/data/exchange/tokens.sql)
jwk=$(sed -n "s/^\\\\set partner_jwk '\\(.*\\)'$/\\1/p" test/data/exchange/tokens.sql)
sql "CREATE EXTENSION pgtrace" >/dev/null
sql "SELECT trace.register_partner('杭州示例燃气具有限公司', '91330100MA2H3K5L19', '$jwk',
     '{register_unit,register_product,commission,pack,record_sale}')" >/dev/null
ok $? "partner registered"

# round 1: the first session rolls back, the waiting second one is accepted
psql -X -q -v ON_ERROR_STOP=1 >"$work/a1.log" 2>&1 <<SQL &
BEGIN;
SELECT trace.import('$tok');
SELECT pg_sleep(3);
ROLLBACK;
SQL
a=$!
sleep 1
start=$(date +%s)
sql "SELECT trace.import('$tok') ->> 'records'" >"$work/b1.log" 2>&1
b_status=$?
waited=$(( $(date +%s) - start ))
wait $a
[ "$b_status" -eq 0 ] && [ "$(cat "$work/b1.log")" = 5 ]
ok $? "after the first import rolls back, the concurrent one is accepted"
[ "$waited" -ge 1 ]
ok $? "the second import waited for the first (${waited}s)"

# round 2: the token is now imported; a concurrent pair of fresh attempts both fail as replays
sql "SELECT trace.import('$tok')" >/dev/null 2>"$work/c.err"
grep -q "replayed token" "$work/c.err"
ok $? "importing the committed token again is refused as a replay"
[ "$(sql "SELECT count(*) FROM trace.import_log")" = 1 ] && [ "$(sql "SELECT count(*) FROM trace.item_record")" = 3 ] \
    && [ "$(sql "SELECT count(*) FROM trace.import_jti")" = 1 ]
ok $? "the token's records, its jti and its log row exist once"

# round 3: a first session commits while a second waits: the second is a replay
sql "SELECT trace.register_partner('北京示例五金店', '92110105MA01ABC2DR',
     '$(sed -n "s/^\\\\set other_jwk '\\(.*\\)'$/\\1/p" test/data/exchange/tokens.sql)', '{register_unit}')" >/dev/null
tok2=$(sed -n "s/^\\\\set tok_retailer_unit '\\(.*\\)'$/\\1/p" test/data/exchange/tokens.sql)
psql -X -q -v ON_ERROR_STOP=1 >"$work/a3.log" 2>&1 <<SQL &
BEGIN;
SELECT trace.import('$tok2');
SELECT pg_sleep(3);
COMMIT;
SQL
a=$!
sleep 1
sql "SELECT trace.import('$tok2')" >/dev/null 2>"$work/b3.err"
b_status=$?
wait $a
a_status=$?
[ "$a_status" -eq 0 ] && [ "$b_status" -ne 0 ] && grep -q "replayed token" "$work/b3.err"
ok $? "when the first commits, the waiting import is refused as a replay (TX004), not a duplicate-key error"
[ "$(sql "SELECT count(*) FROM trace.unit_record WHERE uscc::text = '92110105MA01ABC2DR'")" = 1 ]
ok $? "the retailer unit exists once"
sql "SELECT trace.verify() ->> 'ok'" | grep -q true
ok $? "trace.verify() is clean"

tap_done
