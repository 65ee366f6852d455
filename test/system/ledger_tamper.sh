#!/bin/bash
# Ledger tamper suite, run as superuser: every attack must be refused or
# reported by trace.verify() / trace.verify(checkpoint).
#
#   replica role, DISABLE TRIGGER            refused
#   pg_trigger edited, row changed           changed
#   table file edited with the server down   changed
#   tail deleted                             missing
#   rows moved to other seqs                 reordered
#   forged rows (bad hash; valid hash below the floor)   inserted
#   a ledger unregistered and its table dropped   unregistered
#   checkpoint of failing ledgers            WARNING naming them
#   an older copy restored                   rolled_back against a kept checkpoint
#   history rewritten after the restore      rewritten
. "$(dirname "$0")/common.bash" ledger-tamper
key="$top/test/data/keys/rfc8037_ed25519.pem"

ok() {   # ok CONDITION-STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
is() {   # is GOT WANT NAME
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  $1"; echo "#   want: $2"; fi
}

pgdata="$work/pg/data"
stop_server() { as_server_user "$PT_PGBIN/pg_ctl" -D "$pgdata" -w -m fast stop >/dev/null; }
start_server() { as_server_user "$PT_PGBIN/pg_ctl" -D "$pgdata" -l "$work/pg/server.log" -w start >/dev/null; }

# The background sealer works in "postgres"; this suite seals by hand in "tamper".
eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.signing_key_file = '$key'")"
export PGDATABASE=tamper
createdb tamper
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
problems() {  # problems TABLE: "kind:seq" of verify's problems for one table, sorted
    q -c "SELECT string_agg((p->>'kind') || ':' || COALESCE(p->>'seq', 'block' || (p->>'block')), ' '
                            ORDER BY (p->>'seq')::bigint NULLS LAST, p->>'kind')
            FROM jsonb_array_elements(trace.verify() -> 'problems') p WHERE p->>'table' = '$1'"
}

q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['t_catalog', 't_file', 't_tail', 't_moved', 't_forged', 't_clean']
    LOOP
        EXECUTE format('CREATE TABLE public.%I (id int CHECK (id > 0), note text)', t);
        PERFORM trace.ledger_enable(format('public.%I', t));
        EXECUTE format('INSERT INTO public.%I (id, note) SELECT g, ''payload-'' || lpad(g::text, 4, ''0'') FROM generate_series(1, 20) g', t);
    END LOOP;
END
$$;
SQL
# a gap in t_forged's seqs: an insert that fails after the trigger took its seq
q -c "INSERT INTO t_forged (id, note) VALUES (-1, 'refused by the CHECK')" >/dev/null 2>&1
q -c "INSERT INTO t_forged (id, note) VALUES (22, 'payload-0022')" >/dev/null
q -c "SELECT trace.seal()" >/dev/null
q -c "SELECT trace.seal()" >/dev/null      # second run moves the floor past seq 21
is "$(q -c "SELECT trace.verify() -> 'ok'")" "true" "all ledgers verify clean before the attacks"
is "$(q -c "SELECT seal_floor FROM trace.ledger_tables WHERE relid = 't_forged'::regclass")" \
   "$(q -c "SELECT ledger_seq FROM t_forged WHERE id = 22")" \
   "the sealer's floor passed the gap the refused insert left (and the numbers its batch reserved and did not use)"
q -c "SELECT trace.checkpoint()" >"$work/checkpoint.jws"

# ---- refused outright
out=$(q -c "SET session_replication_role = replica; UPDATE t_clean SET note = 'x'" 2>&1)
echo "$out" | grep -q 'UPDATE on ledger table "t_clean" is not allowed'; ok $? "replica role: UPDATE refused"
out=$(q -c "SET session_replication_role = replica; DELETE FROM t_clean" 2>&1)
echo "$out" | grep -q 'DELETE on ledger table "t_clean" is not allowed'; ok $? "replica role: DELETE refused"
out=$(q -c "ALTER TABLE t_clean DISABLE TRIGGER ALL" 2>&1)
echo "$out" | grep -q 'not allowed'; ok $? "DISABLE TRIGGER ALL refused"
out=$(q -c "ALTER TABLE t_clean DISABLE TRIGGER pgtrace_ledger_refuse" 2>&1)
echo "$out" | grep -q 'not allowed'; ok $? "DISABLE TRIGGER on the ledger trigger refused"

# ---- a superuser switches the triggers off in pg_trigger, then edits
q -c "UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid IN ('t_catalog'::regclass, 't_tail'::regclass, 't_moved'::regclass, 't_forged'::regclass)" >/dev/null
q -c "UPDATE t_catalog SET note = 'rewritten' WHERE id = 5" >/dev/null
q -c "UPDATE t_catalog SET note = 'rewritten too' WHERE id = 6" >/dev/null
q -c "UPDATE t_catalog SET ledger_hash = trace.ledger_rehash('t_catalog', ledger_seq) WHERE id = 6" >/dev/null
q -c "DELETE FROM t_tail WHERE ledger_seq >= 18" >/dev/null
q -c "UPDATE t_moved SET ledger_seq = -ledger_seq WHERE ledger_seq IN (7, 8);
      UPDATE t_moved SET ledger_seq = 15 + ledger_seq WHERE ledger_seq IN (-7, -8)" >/dev/null
q -c "INSERT INTO t_forged (id, note, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at)
      VALUES (500, 'forged', 500, '\x00', 'nobody', '2024-01-01 00:00+00')" >/dev/null
q -c "INSERT INTO t_forged (id, note, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at)
      VALUES (21, 'forged into the gap', 21, '\x00', 'nobody', '2024-01-01 00:00+00');
      UPDATE t_forged SET ledger_hash = trace.ledger_rehash('t_forged', 21) WHERE ledger_seq = 21" >/dev/null
q -c "UPDATE pg_trigger SET tgenabled = 'A' WHERE tgrelid IN ('t_catalog'::regclass, 't_tail'::regclass, 't_moved'::regclass, 't_forged'::regclass)" >/dev/null
q -c "SELECT trace.seal()" >/dev/null      # a later seal must not legitimise any of it

# ---- the table's file edited with the server stopped
file=$(q -c "SELECT pg_relation_filepath('t_file')")
stop_server
python3 - "$pgdata/$file" <<'PY'
import sys
p = sys.argv[1]
data = open(p, 'rb').read()
assert data.count(b'payload-0009') == 1
open(p, 'wb').write(data.replace(b'payload-0009', b'PAYLOAD-0009'))
PY
ok $? "edited the heap file of t_file with the server stopped"
start_server
is "$(q -c "SELECT note FROM t_file WHERE id = 9")" "PAYLOAD-0009" "the file edit is visible to SQL"

is "$(problems public.t_catalog)" "changed:5 changed:6" "catalog-disabled triggers: changed rows reported (hash kept, hash recomputed)"
is "$(problems public.t_file)" "changed:9" "file edited: changed row reported"
is "$(problems public.t_tail)" "missing:18 missing:19 missing:20" "tail deleted: missing rows reported"
is "$(problems public.t_moved)" "reordered:7 reordered:8" "rows moved to each other's seq: reordered reported"
is "$(problems public.t_forged)" "inserted:21 inserted:500" "forged rows reported as inserted (bad hash; valid hash below the floor)"
is "$(problems public.t_clean)" "" "the untouched ledger stays clean"
is "$(q -c "SELECT trace.verify() -> 'ok'")" "false" "verify is not ok"
warn=$(q -c "SELECT trace.checkpoint()" 2>&1 >/dev/null)
echo "$warn" | grep -q 'WARNING:  trace.checkpoint() signs the heads of ledgers that fail verification: public.t_catalog, public.t_file, public.t_forged, public.t_moved, public.t_tail$'
ok $? "a checkpoint of ledgers that fail verification warns, naming them"
warn=$(q -c "SET pgtrace.checkpoint_verify = off" -c "SELECT trace.checkpoint()" 2>&1 >/dev/null)
is "$warn" "" "with pgtrace.checkpoint_verify = off the checkpoint is taken without the verification (no warning)"

# ---- the registry edited: a ledger unregistered behind its guard, its table dropped
q >/dev/null <<'SQL'
CREATE TABLE t_unreg (id int);
SELECT trace.ledger_enable('t_unreg');
INSERT INTO t_unreg VALUES (1), (2);
SELECT trace.seal('t_unreg');
SQL
out=$(q -c "DELETE FROM trace.ledger_tables WHERE ledger_name = 'public.t_unreg'" 2>&1)
echo "$out" | grep -q 'DELETE on ledger table "ledger_tables" is not allowed'; ok $? "unregistering a ledger by DELETE is refused"
q -c "UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid = 'trace.ledger_tables'::regclass AND tgname = 'pgtrace_ledger_guard'" >/dev/null
q -c "DELETE FROM trace.ledger_tables WHERE ledger_name = 'public.t_unreg'" >/dev/null
q -c "DROP TABLE t_unreg" >/dev/null
q -c "UPDATE pg_trigger SET tgenabled = 'A' WHERE tgrelid = 'trace.ledger_tables'::regclass AND tgname = 'pgtrace_ledger_guard'" >/dev/null
got=$(q -c "SELECT string_agg(p->>'kind', ' ') FROM jsonb_array_elements(trace.verify() -> 'problems') p
            WHERE p->>'ledger' = 'public.t_unreg'")
is "$got" "unregistered" "registration deleted behind the guard and table dropped: its blocks are reported as unregistered"

# ---- an older copy restored against a kept checkpoint
q -c "SELECT trace.verify(\$\$$(cat "$work/checkpoint.jws")\$\$) -> 'checkpoint' -> 'extends'" >"$work/extends.txt"
is "$(cat "$work/extends.txt")" "true" "before the restore the database extends the checkpoint"
stop_server
cp -a "$pgdata" "$work/old-copy"
start_server
q -c "INSERT INTO t_clean (id, note) SELECT g, 'later' FROM generate_series(21, 30) g" >/dev/null
q -c "SELECT trace.checkpoint()" >"$work/checkpoint2.jws" 2>/dev/null   # warns: the ledgers attacked above
stop_server
rm -rf "$pgdata"
mv "$work/old-copy" "$pgdata"
start_server
got=$(q -c "SELECT string_agg(p->>'kind', ' ') FROM jsonb_array_elements(
              trace.verify(\$\$$(cat "$work/checkpoint2.jws")\$\$) -> 'problems') p
            WHERE p->>'ledger' = 'public.t_clean'")
is "$got" "rolled_back" "older copy restored: reported as rolled back against the kept checkpoint"
q -c "INSERT INTO t_clean (id, note) SELECT g, 'other history' FROM generate_series(21, 40) g" >/dev/null
q -c "SELECT trace.seal('t_clean')" >/dev/null
q -c "INSERT INTO t_clean (id, note) VALUES (41, 'one more block')" >/dev/null
q -c "SELECT trace.seal('t_clean')" >/dev/null
got=$(q -c "SELECT string_agg(p->>'kind', ' ') FROM jsonb_array_elements(
              trace.verify(\$\$$(cat "$work/checkpoint2.jws")\$\$) -> 'problems') p
            WHERE p->>'ledger' = 'public.t_clean'")
is "$got" "rewritten" "history rewritten after the restore: reported against the kept checkpoint"

tap_done
