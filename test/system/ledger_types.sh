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

# 2. A LATIN1 database: every text-like type with a non-ASCII value, sealed.
q -d postgres -c "CREATE DATABASE lat ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null
PGCLIENTENCODING=UTF8 q -d lat >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
CREATE TYPE mood AS ENUM ('gai', 'é');
CREATE TABLE enc (id int, t text, v varchar(8), c char(4), n name, j json, jb jsonb, m mood, a text[]);
SELECT trace.ledger_enable('enc');
INSERT INTO enc VALUES (1, 'café', 'naïve', 'é', 'ñame', '{"k": "é"}', '{"ké": ["à", 1.5]}', 'é', ARRAY['ü']);
SELECT trace.seal('enc');
SQL
got=$(q -d lat -c "SELECT trace.ledger_verify('enc') -> 'ok'")
is "$got" "true" "a LATIN1 database's ledger verifies"
"$PT_PGBIN/pg_dump" -Fc -f "$work/lat.dump" lat 2>"$work/dump.err"
q -d postgres -c "CREATE DATABASE utf ENCODING 'UTF8' TEMPLATE template0" >/dev/null
"$PT_PGBIN/pg_restore" -d utf "$work/lat.dump" 2>"$work/restore.err"
got=$(q -d utf -c "SELECT t || '/' || m FROM enc")
is "$got" "café/é" "restored into a UTF8 database, the text is converted"
got=$(q -d utf -c "SELECT trace.verify() -> 'problems'")
is "$got" "[]" "and its ledger verifies there: text, varchar, char, name, json, jsonb, enum labels and arrays are hashed as UTF-8"
got=$(q -d utf -c "SELECT count(*) FROM enc WHERE ledger_hash = trace.ledger_rehash('enc', ledger_seq)")
is "$got" "1" "the hash stored in LATIN1 is the one the UTF8 database computes"

# 3. An enum label written from a LATIN1 client (UTF8 database).
q >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('gai', 'é');
CREATE TABLE te (id int, m mood);
SELECT trace.ledger_enable('te');
SQL
PGCLIENTENCODING=LATIN1 q -c "INSERT INTO te VALUES (1, 'gai'), (2, (SELECT enum_last(NULL::mood)))" >/dev/null
q -c "SELECT trace.seal('te')" >/dev/null
got=$(q -c "SELECT trace.ledger_verify('te') -> 'problems'")
is "$got" "[]" "an enum label written by a LATIN1 client session verifies in a UTF8 session"

tap_done
