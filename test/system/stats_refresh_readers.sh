#!/bin/bash
# trace.stats_refresh() does not make readers wait: while a refresh is running
# (held open in its transaction), every stats view answers another session at
# once, with the figures of the previous refresh; after it commits, the new
# ones. On the generated data set (test/system/stats_dataset.sql).
. "$(dirname "$0")/common.bash" pgtrace-stats-refresh
eval "$(scripts/cluster.sh start "$work/pg")"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
views="stats_volume_daily stats_volume_totals stats_flows stats_completeness stats_anomalies stats_scans"
counts() { for v in $views; do q -c "SET lock_timeout = '500ms'" -c "SELECT count(*) FROM trace.$v" 2>&1 | tail -1; done | tr '\n' ' '; }

q -c 'CREATE EXTENSION pgtrace' >/dev/null
q -f test/system/stats_dataset.sql >/dev/null 2>"$work/dataset.err"
ok $? "the generated data set loads"
q -c "SET pgtrace.reference_time = '2026-07-01 12:00:00+08'" -c "SELECT trace.stats_refresh()" >/dev/null
ok $? "a first refresh"
first=$(counts)
ok $(echo "$first" | grep -qE '^([1-9][0-9]* ){6}$' && echo 0 || echo 1) "every stats view has rows: $first"

# a new scan, then a refresh that stays open for a while after its work
q -c "SET pgtrace.reference_time = '2026-07-01 12:00:00+08'" -c "SELECT trace.verify_scan('https://id.gs1.org/01/06901234567892/21/NOPE')" >/dev/null
ok $? "a label is scanned after the first refresh"
q <<'SQL' >"$work/refresh.out" 2>&1 &
SET application_name = 'held-refresh';
SET pgtrace.reference_time = '2026-07-01 12:00:00+08';
BEGIN;
SELECT trace.stats_refresh() IS NOT NULL;
SELECT pg_sleep(4);
COMMIT;
SQL
bg=$!
for _ in $(seq 1 200); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'held-refresh' AND query LIKE '%pg_sleep%'")" = 1 ] && break
    sleep 0.05
done
is "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'held-refresh' AND query LIKE '%pg_sleep%'")" 1 \
   "the refresh has done its work and holds its transaction open"
during=$(counts)
is "$during" "$first" "while it is open, every stats view answers at once (lock_timeout 500 ms) with the previous figures"
wait $bg
ok $? "the held refresh commits"
is "$(q -c "SELECT count(*) FROM trace.stats_refreshed")" 1 "trace.stats_refreshed shows the latest refresh"
is "$(q -c "SELECT count(*) FROM trace._stats_refresh_log")" 2 "both refreshes are logged"
is "$(q -c "SELECT count(*) FROM trace.label_scan")" "$(q -c "SELECT sum(scans) FROM trace.stats_scans")" "after it, the statistics count the new scan"
tap_done
