#!/bin/bash
# Ledger under concurrency: 32 pgbench clients insert into one ledger table,
# row by row, while 8 more insert 100 rows per statement (the batched
# INSERT ... SELECT path) and the background sealer and two explicit
# trace.seal() loops race to seal it. The chain must not fork, no row may be sealed twice or left out,
# and verify must be clean with the exact row count.
. "$(dirname "$0")/common.bash" ledger-conc


clients=32
per_client=150
# The background sealer runs in "postgres" (pgtrace.database), every 50 ms.
eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.seal_interval = 50" "max_connections = 100")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }

q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
CREATE TABLE public.conc (client int NOT NULL, n int NOT NULL, payload jsonb);
SELECT trace.ledger_enable('public.conc');
SQL
cat >"$work/insert.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO public.conc (client, n, payload) VALUES (:client_id, :n, jsonb_build_object('c', :client_id));
SQL

batch_rows=100
cat >"$work/batch.sql" <<SQL
INSERT INTO public.conc (client, n, payload)
    SELECT 1000 + :client_id, g, jsonb_build_object('c', :client_id) FROM generate_series(1, $batch_rows) g;
SQL

sealer_loop() {
    for _ in $(seq 1 400); do q -c "SELECT trace.seal('public.conc')" >/dev/null 2>>"$work/sealer.err" || true; done
}
sealer_loop & s1=$!
sealer_loop & s2=$!
pgbench -n -c 8 -j 2 -t 20 -f "$work/batch.sql" postgres >"$work/pgbench-batch.log" 2>&1 & b=$!
pgbench -n -c "$clients" -j 4 -t "$per_client" -f "$work/insert.sql" postgres >"$work/pgbench.log" 2>&1
ok $? "pgbench: $clients clients x $per_client inserts into one ledger table"
wait "$b"
ok $? "pgbench: at the same time 8 clients x 20 statements of $batch_rows rows (batched INSERT ... SELECT)"
wait "$s1" "$s2"
is "$(cat "$work/sealer.err" 2>/dev/null | wc -l)" "0" "explicit sealers racing the background sealer raised no error"

q -c "SELECT trace.seal()" >/dev/null
rows=$(q -c "SELECT count(*) FROM public.conc")
expected=$(grep -oE 'number of transactions actually processed: [0-9]+' "$work/pgbench.log" | grep -oE '[0-9]+$')
batched=$(grep -oE 'number of transactions actually processed: [0-9]+' "$work/pgbench-batch.log" | grep -oE '[0-9]+$')
is "$expected" "$((clients * per_client))" "every pgbench transaction was processed"
is "$batched" "160" "every batched statement was processed"
is "$rows" "$((expected + batched * batch_rows))" "exact row count: every committed insert is in the table"
is "$(q -c "SELECT count(*) FROM public.conc WHERE client >= 1000")" "$((batched * batch_rows))" \
   "every row of the batched statements is there"
is "$(q -c "SELECT count(DISTINCT ledger_seq) = count(*) FROM public.conc")" "t" "every row has its own seq"

is "$(q -c "SELECT sum(row_count) FROM trace.ledger_blocks WHERE ledger = 'public.conc'")" "$rows" \
   "the blocks hold exactly the rows of the table"
is "$(q -c "SELECT count(*) = max(block_no) AND min(block_no) = 1 FROM trace.ledger_blocks WHERE ledger = 'public.conc'")" "t" \
   "block numbers run 1..n without gaps (no fork: (ledger, block_no) is the primary key)"
is "$(q -c "SELECT bool_and(b.prev_hash = p.block_hash) FROM trace.ledger_blocks b
             JOIN trace.ledger_blocks p ON p.ledger = b.ledger AND p.block_no = b.block_no - 1
             WHERE b.ledger = 'public.conc'")" "t" "each block links to the one before it"
is "$(q -c "SELECT count(*) FROM trace.ledger_blocks a JOIN trace.ledger_blocks b
             ON a.ledger = b.ledger AND a.block_no < b.block_no AND a.members && b.members
             WHERE a.ledger = 'public.conc'")" "0" "no seq is sealed in two blocks"
v=$(q -c "SELECT trace.ledger_verify('public.conc')")
is "$(q -c "SELECT '$v'::jsonb -> 'ok'")" "true" "verify is clean"
is "$(q -c "SELECT '$v'::jsonb -> 'rows'")" "$rows" "verify counts exactly the rows inserted"
is "$(q -c "SELECT '$v'::jsonb -> 'pending'")" "0" "nothing left pending"
blocks=$(q -c "SELECT count(*) FROM trace.ledger_blocks WHERE ledger = 'public.conc'")
echo "# $rows rows in $blocks blocks"

tap_done
