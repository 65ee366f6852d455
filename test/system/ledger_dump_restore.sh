#!/bin/bash
# Ledger round trip through pg_dump / pg_restore: the restored copy verifies
# clean, extends a checkpoint taken before the dump, keeps its sequence, and
# takes new rows whose hashes and blocks verify too.
. "$(dirname "$0")/common.bash" ledger-dump
key="$top/test/data/keys/rfc8037_ed25519.pem"


eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.signing_key_file = '$key'")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
createdb src
q -d src <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
CREATE TYPE public.grade AS ENUM ('a', 'b');
CREATE TABLE public.events (id int, at timestamptz, day date, qty numeric, ok bool, doc jsonb,
                            tags text[], g public.grade, u uuid, f float8, raw bytea);
SELECT trace.ledger_enable('public.events');
CREATE SCHEMA audit;
CREATE TABLE audit.notes (note text);
SELECT trace.ledger_enable('audit.notes', 'sm3', '1 year');
SET timezone = 'Asia/Shanghai';
INSERT INTO public.events (id, at, day, qty, ok, doc, tags, g, u, f, raw)
SELECT g, '2024-03-01 08:00+08'::timestamptz + g * interval '1 minute', '2024-03-01'::date + g, g / 7.0, g % 2 = 0,
       jsonb_build_object('z', g, 'a', ARRAY[g, NULL]), ARRAY['x' || g, NULL], 'b', md5(g::text)::uuid, g * 0.1, '\x00ff'
  FROM generate_series(1, 500) g;
SELECT trace.seal();
INSERT INTO audit.notes (note) SELECT 'note ' || g FROM generate_series(1, 50) g;
INSERT INTO public.events (id) VALUES (501);
SELECT trace.seal();
INSERT INTO public.events (id) VALUES (502);
SQL
is "$(q -d src -c "SELECT trace.verify() -> 'ok'")" "true" "source verifies clean"
q -d src -c "SELECT trace.checkpoint()" >"$work/cp.jws"     # seals row 502 first
q -d src -c "INSERT INTO public.events (id) VALUES (503)" >/dev/null    # left pending in the dump
next_seq=$(q -d src -c "SELECT last_value + 1 FROM public.events_ledger_seq")

pg_dump -Fc -f "$work/src.dump" src
ok $? "pg_dump -Fc"
createdb dst
pg_restore -d dst --exit-on-error "$work/src.dump" 2>"$work/restore.err"
ok $? "pg_restore into a new database"
[ -s "$work/restore.err" ] && sed 's/^/# /' "$work/restore.err"

is "$(q -d dst -c "SELECT count(*) FROM public.events")" "503" "all rows restored"
is "$(q -d dst -c "SELECT count(*) FROM trace.ledger_blocks")" "$(q -d src -c "SELECT count(*) FROM trace.ledger_blocks")" \
   "all blocks restored"
is "$(q -d dst -c "SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'public.events'::regclass")" \
   "pgtrace_ledger_insert:A,pgtrace_ledger_refuse:A" "ledger triggers restored ENABLE ALWAYS"
v=$(q -d dst -c "SELECT trace.verify()")
is "$(q -d dst -c "SELECT '$v'::jsonb -> 'ok'")" "true" "the restored copy verifies clean (every ledger, the extension's own included)"
is "$(q -d dst -c "SELECT '$v'::jsonb -> 'pending'")" "1" "the row unsealed at dump time is pending, not valid"
is "$(q -d dst -c "SELECT trace.ledger_verify('public.events') -> 'rows'")" "502" "every sealed row of public.events verified"
is "$(q -d dst -c "SELECT trace.ledger_verify('audit.notes') -> 'rows'")" "50" "every sealed row of audit.notes (sm3) verified"
is "$(q -d dst -c "SELECT trace.verify(\$\$$(cat "$work/cp.jws")\$\$) -> 'checkpoint' -> 'extends'")" "true" \
   "the restored copy extends the checkpoint taken before the dump"
is "$(q -d dst -c "SELECT trace.seal()")" "1" "the pending row seals in the copy"
q -d dst -c "INSERT INTO public.events (id) VALUES (504); INSERT INTO audit.notes (note) VALUES ('after restore')" >/dev/null
ok $? "new rows go into the restored ledgers"
is "$(q -d dst -c "SELECT ledger_seq FROM public.events WHERE id = 504")" "$next_seq" "the seq sequence continues after the restore where the source's stood"
q -d dst -c "SELECT trace.seal()" >/dev/null
is "$(q -d dst -c "SELECT trace.verify() -> 'ok'")" "true" "the copy verifies clean after new rows and blocks"
out=$(q -d dst -c "UPDATE public.events SET qty = 0" 2>&1)
echo "$out" | grep -q 'not allowed'; ok $? "the restored ledger is still append-only"

tap_done
