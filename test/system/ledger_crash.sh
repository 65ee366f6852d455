#!/bin/bash
# Ledger crash safety: kill -9 the postmaster while 8 clients insert (a row,
# then 20 rows by one batched INSERT ... SELECT) and the background sealer seals, restart, and check that no committed row is lost,
# nothing is sealed twice, and verify is clean once the rest is sealed.
. "$(dirname "$0")/common.bash" ledger-crash


eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.seal_interval = 100")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
pgdata="$work/pg/data"

q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
CREATE TABLE public.load (client int, k int, note text);
SELECT trace.ledger_enable('public.load');
-- every commit the client saw is written down here too, in the same transaction
CREATE TABLE public.acked (client int, k int);
SQL
cat >"$work/insert.sql" <<'SQL'
\set k random(1, 20000000)
BEGIN;
INSERT INTO public.load (client, k, note) VALUES (:client_id, :k * 100, 'crash test');
INSERT INTO public.load (client, k, note)
    SELECT :client_id, :k * 100 + g, 'crash test, batched' FROM generate_series(1, 20) g;
INSERT INTO public.acked (client, k) SELECT :client_id, :k * 100 + g FROM generate_series(0, 20) g;
COMMIT;
SQL
# pgbench logs each transaction after its COMMIT returned: those must survive.
(cd "$work" && pgbench -n -c 8 -j 2 -T 30 -l --log-prefix=tx -f insert.sql postgres >"$work/pgbench.log" 2>&1) &
bench=$!
sleep 4
pid=$(head -1 "$pgdata/postmaster.pid")
kill -9 "$pid"
ok $? "kill -9 the postmaster mid-load"
wait "$bench"
# Orphaned backends notice the postmaster's death and exit; until they have,
# the old shared memory is in use and a new postmaster refuses to start.
started=1
for _ in $(seq 1 60); do
    if as_server_user "$PT_PGBIN/pg_ctl" -D "$pgdata" -l "$work/pg/server.log" -w -t 120 start >/dev/null 2>&1; then
        started=0; break
    fi
    sleep 1
done
ok $started "the server restarts and recovers"

acked=$(cat "$work"/tx.* 2>/dev/null | wc -l)
rows=$(q -c "SELECT count(*) FROM public.load")
echo "# $acked transactions acknowledged to clients, $rows rows after recovery"
ok $([ "$acked" -gt 0 ] && [ "$rows" -ge $((acked * 21)) ] && echo 0 || echo 1) \
   "no acknowledged commit lost ($rows rows >= 21 x $acked acknowledged: one row and a batched statement of 20)"
is "$(q -c "SELECT count(*) FROM public.load l FULL JOIN public.acked a USING (client, k) WHERE l.client IS NULL OR a.client IS NULL")" "0" \
   "ledger rows and their same-transaction witnesses match one to one"
q -c "SELECT trace.seal()" >/dev/null
v=$(q -c "SELECT trace.ledger_verify('public.load')")
is "$(q -c "SELECT '$v'::jsonb -> 'ok'")" "true" "verify is clean after the crash"
is "$(q -c "SELECT '$v'::jsonb -> 'rows'")" "$rows" "every surviving row is sealed and verified"
is "$(q -c "SELECT count(*) = max(block_no) FROM trace.ledger_blocks WHERE ledger = 'public.load'")" "t" \
   "the block chain has no gap or fork after recovery"
before=$(q -c "SELECT max(ledger_seq) FROM public.load")
q -c "INSERT INTO public.load (client, k, note) VALUES (0, 0, 'after the crash')" >/dev/null
q -c "INSERT INTO public.load (client, k, note) SELECT 0, 100 + g, 'batched after the crash' FROM generate_series(1, 50) g" >/dev/null
is "$(q -c "SELECT min(ledger_seq) > $before FROM public.load WHERE note LIKE '%after the crash'")" "t" \
   "after recovery the seq sequence (blocks of the batched path included) resumes past every row written before the crash"
q -c "SELECT trace.seal()" >/dev/null
is "$(q -c "SELECT trace.verify() -> 'ok'")" "true" "every ledger of the database verifies clean and keeps working after the crash"

# a ledger whose table vanished must not stop the background sealer
q -c "INSERT INTO trace.ledger_tables (relid, ledger_name, horizon_xid) VALUES (999999, 'public.ghost', '1')" >/dev/null
q -c "INSERT INTO public.load (client, k, note) VALUES (0, 1, 'sealed by the worker')" >/dev/null
for _ in $(seq 1 40); do
    [ "$(q -c "SELECT trace.ledger_verify('public.load') -> 'pending'")" = 0 ] && break
    sleep 0.25
done
is "$(q -c "SELECT trace.ledger_verify('public.load') -> 'pending'")" "0" \
   "the background sealer goes on sealing other ledgers when one ledger's table is gone"

tap_done
