#!/bin/bash
# Ledger rows and the types and encodings their values depend on, across
# sessions and databases:
#   a composite type changed while its ledger table is empty: no session keeps
#   hashing with the old attribute list (the encoder's cache is invalidated)
. "$(dirname "$0")/common.bash" ledger-types
start_cluster "shared_preload_libraries = 'pgtrace'"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
createdb types
export PGDATABASE=types
q -c "CREATE EXTENSION pgtrace" >/dev/null

# 1. One session: its encoder for the table is cached by an insert it rolls
# back, the type gains an attribute (allowed: no rows), then rows are written
# and sealed in that same session. Another session must agree on every hash.
q >/dev/null <<'SQL'
CREATE TYPE pair AS (a int, b text);
CREATE TABLE tc (id int, p pair);
SELECT trace.ledger_enable('tc');
BEGIN; INSERT INTO tc VALUES (0, ROW(0, 'cached')); ROLLBACK;
ALTER TYPE pair ADD ATTRIBUTE z int;
INSERT INTO tc VALUES (1, ROW(1, 'x', 5));
SELECT trace.seal('tc');
SQL
got=$(q -c "SELECT trace.ledger_verify('tc') -> 'ok'")
is "$got" "true" "a composite changed while its ledger is empty: rows written by the session that changed it verify in another session"
got=$(q -c "SELECT count(*) FROM tc WHERE ledger_hash = trace.ledger_rehash('tc', ledger_seq)")
is "$got" "1" "and their stored hash covers the new attribute"

tap_done
