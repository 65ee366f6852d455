#!/bin/bash
# pgtrace's batched INSERT ... SELECT and COPY next to another extension's
# hooks (pg_stat_statements). Listed first in shared_preload_libraries,
# pgtrace's hooks are the innermost: the batched paths run and
# pg_stat_statements still sees every statement, pgtrace's own lookups as
# nested ones. Listed after it, pgtrace would have to skip the other
# extension's hooks to run a statement itself, so it leaves the statement to
# PostgreSQL (the ledger trigger row by row) and nothing is lost either.
. "$(dirname "$0")/common.bash" ledger-hook-order

start_cluster "shared_preload_libraries = 'pgtrace,pg_stat_statements'" "pg_stat_statements.track = all"
pgdata=$work/pg/data
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
restart() {
    as_server_user "$PT_PGBIN/pg_ctl" -D "$pgdata" -l "$work/pg/server.log" -w -t 60 -m fast \
        -o "$*" restart >/dev/null
}
seq 1 500 | awk '{ print $1 "\t" ($1 % 2 + 1) }' >"$work/pg/rows.tsv"
chmod a+r "$work/pg/rows.tsv"

q <<'SQL'
CREATE EXTENSION pgtrace;
CREATE EXTENSION pg_stat_statements;
CREATE TABLE public.parent (id int PRIMARY KEY);
INSERT INTO public.parent VALUES (1), (2);
CREATE TABLE public.t (a int, b int REFERENCES public.parent);
SELECT trace.ledger_enable('public.t') \g /dev/null
SQL

# one round: INSERT ... SELECT and COPY in one transaction; prints the insert
# trigger's calls in that transaction (0 when both statements were batched)
round() {
    q <<SQL
SET track_functions = 'all';
BEGIN;
INSERT INTO public.t SELECT g, g % 2 + 1 FROM generate_series(1, 2000) g;
COPY public.t (a, b) FROM '$work/pg/rows.tsv';
SELECT coalesce(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 0);
COMMIT;
SQL
}
stmts() {   # calls and rows pg_stat_statements holds for the INSERT and the COPY, top level
    q -c "SELECT string_agg(calls || 'x' || rows, ' ' ORDER BY query) FROM pg_stat_statements
          WHERE toplevel AND (query LIKE 'INSERT INTO public.t %' OR query LIKE 'COPY public.t %')"
}

is "$(q -c "SELECT trace.status() -> 'ledger' -> 'bulk_batched'")" "true" "pgtrace listed first: status says bulk loads are batched"
q -c "SELECT pg_stat_statements_reset()" >/dev/null
is "$(round)" "0" "pgtrace listed first: INSERT ... SELECT and COPY are batched (the trigger is not called)"
is "$(stmts)" "1x500 1x2000" "pg_stat_statements records both statements with their row counts"
is "$(q -c "SELECT count(*) FROM pg_stat_statements WHERE toplevel AND (query LIKE '%FOR KEY SHARE%' OR query LIKE 'SELECT 1 FROM trace.ledger_tables%')")" "0" \
   "pgtrace's own lookups (foreign key, ledger table) are not top-level statements"
is "$(q -c "SELECT count(*) > 0 FROM pg_stat_statements WHERE NOT toplevel AND query LIKE '%FOR KEY SHARE%'")" "t" \
   "the batched foreign-key check is seen as a nested statement"

restart "-c shared_preload_libraries=pg_stat_statements,pgtrace"
is "$(q -c "SHOW shared_preload_libraries")" "pg_stat_statements,pgtrace" "restarted with pg_stat_statements first"
is "$(q -c "SELECT trace.status() -> 'ledger' -> 'bulk_batched'")" "false" "and status says bulk loads are not batched"
q -c "SELECT pg_stat_statements_reset()" >/dev/null
is "$(round)" "2500" "pgtrace listed after it: both statements go row by row through the trigger"
is "$(stmts)" "1x500 1x2000" "and pg_stat_statements records them"

q -c "SELECT trace.seal('public.t')" >/dev/null
v=$(q -c "SELECT trace.ledger_verify('public.t')")
is "$(q -c "SELECT '$v'::jsonb -> 'ok'")" "true" "verify is clean"
is "$(q -c "SELECT '$v'::jsonb -> 'rows'")" "5000" "and counts every row of both rounds"

tap_done
