#!/bin/bash
# Ledger under replication: a hot standby verifies the primary's ledger (and
# its checkpoint) read-only; a logical-replication subscriber receives rows
# that already carry seq and hash, its ENABLE ALWAYS trigger recomputes and
# accepts them, the hashes are identical on both sides, and its own chain
# verifies.
. "$(dirname "$0")/common.bash" ledger-repl
key="$top/test/data/keys/rfc8037_ed25519.pem"


cleanup() {
    [ -f "$work/standby/data/postmaster.pid" ] && as_server_user "$PT_PGBIN/pg_ctl" -D "$work/standby/data" -m immediate -w stop >/dev/null 2>&1
    scripts/cluster.sh stop "$work/sub" >/dev/null 2>&1
    scripts/cluster.sh stop "$work/pri" >/dev/null 2>&1
}
at_exit cleanup

# ---- primary
eval "$(scripts/cluster.sh start "$work/pri" "wal_level = logical" "max_wal_senders = 10" \
        "max_replication_slots = 10" "pgtrace.signing_key_file = '$key'")"
pri_host=$PGHOST pri_port=$PGPORT
P() { psql -X -At -v ON_ERROR_STOP=1 -h "$pri_host" -p "$pri_port" -d postgres "$@"; }
P >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
CREATE TABLE public.shipments (id int, sscc text, at timestamptz, doc jsonb);
SELECT trace.ledger_enable('public.shipments');
INSERT INTO public.shipments (id, sscc, at, doc)
SELECT g, lpad(g::text, 18, '0'), '2024-05-01 08:00+08'::timestamptz + g * interval '1 hour', jsonb_build_object('k', g)
  FROM generate_series(1, 300) g;
SELECT trace.seal();
CREATE PUBLICATION ledger_pub FOR TABLE public.shipments;
SQL

# ---- hot standby
mkdir -p "$work/standby"
[ "$(id -u)" -eq 0 ] && chown postgres: "$work/standby"
as_server_user "$PT_PGBIN/pg_basebackup" -h "$pri_host" -p "$pri_port" -U postgres -D "$work/standby/data" -R -X stream >"$work/basebackup.log" 2>&1
ok $? "pg_basebackup of the primary"
sb_port=$((pri_port + 100))
{
    echo "port = $sb_port"
    echo "unix_socket_directories = '$work/standby'"
    echo "listen_addresses = ''"
} >>"$work/standby/data/postgresql.conf"
as_server_user "$PT_PGBIN/pg_ctl" -D "$work/standby/data" -l "$work/standby/server.log" -w -t 60 start >/dev/null
ok $? "hot standby started"
S() { psql -X -At -v ON_ERROR_STOP=1 -h "$work/standby" -p "$sb_port" -d postgres "$@"; }

P -c "INSERT INTO public.shipments (id, sscc) SELECT g, 'late' FROM generate_series(301, 320) g" >/dev/null
P -c "SELECT trace.checkpoint()" >"$work/cp.jws"        # seals the 20 late rows
lsn=$(P -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 60); do
    [ "$(S -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ] && break
    sleep 0.5
done
is "$(S -c "SELECT pg_is_in_recovery()")" "t" "the standby is in recovery"
is "$(S -c "SELECT trace.verify() -> 'ok'")" "true" "trace.verify() runs on the hot standby and is clean"
is "$(S -c "SELECT trace.ledger_verify('public.shipments') -> 'rows'")" "320" "the standby verifies all 320 rows"
# a public lookup on the standby answers; its access-log entry goes to the standby's server log
is "$(S -c "SELECT trace.lookup('(01)06901234567892(21)STANDBY') IS NULL")" "t" \
   "trace.lookup answers on the hot standby (an unknown code: NULL)"
grep -q 'pgtrace access: lookup by "postgres" of (01)06901234567892(21)STANDBY, not found' "$work/standby/server.log"
ok $? "and the lookup is recorded in the standby's server log, where no table can be written"
is "$(S -c "SELECT trace.verify(\$\$$(cat "$work/cp.jws")\$\$) -> 'checkpoint' -> 'extends'")" "true" \
   "the standby extends the primary's checkpoint"
is "$(S -c "SELECT (p->>'typ') || ' ' || (p->'ledgers'->0->>'blocks') FROM trace.jws_verify(trace.checkpoint()) p" 2>&1 | tail -1)" \
   "pgtrace-ledger-checkpoint 2" "a checkpoint can be signed on the standby (no sealing there)"

# ---- logical replication subscriber
eval "$(scripts/cluster.sh start "$work/sub")"
sub_host=$PGHOST sub_port=$PGPORT
L() { psql -X -At -v ON_ERROR_STOP=1 -h "$sub_host" -p "$sub_port" -d postgres "$@"; }
L >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
CREATE TABLE public.shipments (id int, sscc text, at timestamptz, doc jsonb);
SELECT trace.ledger_enable('public.shipments');
SQL
L -c "CREATE SUBSCRIPTION ledger_sub CONNECTION 'host=$pri_host port=$pri_port user=postgres dbname=postgres' PUBLICATION ledger_pub" >/dev/null 2>"$work/sub.err"
ok $? "subscription created"
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments")" = 320 ] && break
    sleep 0.5
done
is "$(L -c "SELECT count(*) FROM public.shipments")" "320" "the initial copy arrived through the ledger trigger"
P -c "INSERT INTO public.shipments (id, sscc, doc) VALUES (321, 'streamed', '{\"b\": 1, \"a\": [1, 2]}')" >/dev/null
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments")" = 321 ] && break
    sleep 0.5
done
is "$(L -c "SELECT count(*) FROM public.shipments")" "321" "a streamed change arrived through the ledger trigger"
is "$(L -c "SELECT md5(string_agg(ledger_seq || ':' || encode(ledger_hash, 'hex'), ',' ORDER BY ledger_seq)) FROM public.shipments")" \
   "$(P -c "SELECT md5(string_agg(ledger_seq || ':' || encode(ledger_hash, 'hex'), ',' ORDER BY ledger_seq)) FROM public.shipments")" \
   "seqs and hashes are identical on publisher and subscriber"
is "$(L -c "SELECT count(*) FROM public.shipments WHERE ledger_hash <> trace.ledger_rehash('public.shipments', ledger_seq)")" "0" \
   "every replicated hash recomputes equal on the subscriber (other server, same encoding)"
L -c "SELECT trace.seal()" >/dev/null
is "$(L -c "SELECT trace.ledger_verify('public.shipments') -> 'ok'")" "true" "the subscriber's own chain verifies"
is "$(L -c "SELECT trace.ledger_verify('public.shipments') -> 'rows'")" "321" "the subscriber verifies all 321 rows"
grep -q "does not match" "$work/sub/server.log" 2>/dev/null
ok $([ $? -ne 0 ] && echo 0 || echo 1) "no replicated row was refused for a wrong hash"
# A publisher transaction takes its seq, then commits seconds after a later
# one: the subscriber receives and seals the later row first. Its floor is
# held back (pgtrace.subscriber_floor_delay) for a table a subscription
# writes, so the earlier seq still arrives above it, is accepted and sealed.
# slow_then_fast SLOW FAST N: on the publisher, row SLOW inserted in a
# transaction that commits N seconds later; meanwhile row FAST, committed
# at once (sets $slow to the slow transaction's job)
slow_then_fast() {
    P >"$work/slow$1.out" 2>&1 <<SQL &
BEGIN;
INSERT INTO public.shipments (id, sscc) VALUES ($1, 'slow');
SELECT pg_sleep($3);
COMMIT;
SQL
    slow=$!
    wait_sleeping P "$3"
    P -c "INSERT INTO public.shipments (id, sscc) VALUES ($2, 'fast')" >/dev/null
}
slow_then_fast 2001 2002 5
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments s WHERE id = 2002 AND EXISTS (SELECT 1 FROM trace.ledger_blocks b
               WHERE b.ledger = 'public.shipments' AND b.members @> s.ledger_seq)")" = 1 ] && break
    sleep 0.25
done
sleep 2                         # several sealer rounds on the subscriber
wait $slow
ok $? "the slow publisher transaction commits"
is "$(P -c "SELECT (SELECT ledger_seq FROM public.shipments WHERE id = 2001) < (SELECT ledger_seq FROM public.shipments WHERE id = 2002)")" "t" \
   "on the publisher the slow transaction had taken its seq first"
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments WHERE id = 2001")" = 1 ] && break
    sleep 0.25
done
is "$(L -c "SELECT count(*) FROM public.shipments WHERE id = 2001")" "1" \
   "its row, with a seq below one the subscriber had already sealed, arrives"
L -c "SELECT trace.seal()" >/dev/null
is "$(L -c "SELECT trace.ledger_verify('public.shipments') -> 'ok'")" "true" "and the subscriber's chain verifies with it"
grep -q "sealed floor" "$work/sub/server.log" 2>/dev/null
ok $([ $? -ne 0 ] && echo 0 || echo 1) "no replicated row was refused below the subscriber's floor"
# The delay counts on the publisher's timeline, not the subscriber's clock:
# with a short delay and the subscription disabled (the apply worker stops),
# the floor waits for the worker instead of passing a seq still in flight.
L -c "ALTER SYSTEM SET pgtrace.subscriber_floor_delay = 2" -c "SELECT pg_reload_conf()" >/dev/null
slow_then_fast 2003 2004 3
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments WHERE id = 2004")" = 1 ] && break
    sleep 0.25
done
L -c "ALTER SUBSCRIPTION ledger_sub DISABLE" >/dev/null
wait $slow
sleep 8                         # four delays and many sealer rounds with no apply worker
is "$(P -c "SELECT ledger_seq FROM public.shipments WHERE id = 2003")" \
   "$(P -c "SELECT ledger_seq FROM public.shipments WHERE id = 2003 AND ledger_seq > $(L -c "SELECT seal_floor FROM trace.ledger_tables WHERE ledger_name = 'public.shipments'")")" \
   "while the subscription is disabled the subscriber's floor stays below the seq still in flight"
L -c "ALTER SUBSCRIPTION ledger_sub ENABLE" >/dev/null
for _ in $(seq 1 60); do
    [ "$(L -c "SELECT count(*) FROM public.shipments WHERE id = 2003")" = 1 ] && break
    sleep 0.25
done
is "$(L -c "SELECT count(*) FROM public.shipments WHERE id = 2003")" "1" "after the subscription is enabled again, the row arrives"
L -c "ALTER SYSTEM RESET pgtrace.subscriber_floor_delay" -c "SELECT pg_reload_conf()" >/dev/null
L -c "DROP SUBSCRIPTION ledger_sub" >/dev/null 2>&1
L -c "INSERT INTO public.shipments (id, sscc) VALUES (1000, 'local')" >/dev/null 2>"$work/local.err"
ok $? "a local insert on the subscriber does not collide with replicated seqs"
is "$(L -c "SELECT ledger_seq FROM public.shipments WHERE id = 1000")" "$(L -c "SELECT max(ledger_seq) + 1 FROM public.shipments WHERE id <> 1000")" \
   "the subscriber's sequence was kept past the replicated rows"
L -c "SELECT trace.seal()" >/dev/null
is "$(L -c "SELECT trace.ledger_verify('public.shipments') -> 'ok'")" "true" "the subscriber still verifies"

tap_done
