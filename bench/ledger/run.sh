#!/bin/bash
# Ledger benchmark: pgtrace ledger tables against a plain table with the same
# indexes and against the PL/pgSQL + pgcrypto hash chain a DBA would write
# (advisory lock per stream, last-hash lookup, digest()). Everything runs in
# one go on one throwaway cluster and prints ratios measured in this run.
#
#   bench/ledger/run.sh              (BENCH_ROWS=200000 BENCH_SECONDS=10 by default)
#   BENCH_ROWS=1000000 bench/ledger/run.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rows=${BENCH_ROWS:-200000}
secs=${BENCH_SECONDS:-10}
work=$(mktemp -d /tmp/pgtrace-bench-ledger.XXXXXX)
chmod 755 "$work"
export PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}
eval "$(scripts/cluster.sh start "$work/pg" "max_connections = 200" "shared_buffers = 256MB" \
        "synchronous_commit = on")"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

q >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
CREATE EXTENSION pgcrypto;
-- The three kinds of table, created on demand with a name suffix.
CREATE FUNCTION bench_make(kind text, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF kind = 'plain' THEN
        -- same user columns, same indexes as a ledger table (unique seq), seq from a sequence
        EXECUTE format('CREATE TABLE %I (client int, n bigint, payload jsonb,
            ledger_seq bigint GENERATED ALWAYS AS IDENTITY, ledger_hash bytea,
            ledger_recorded_by text DEFAULT session_user, ledger_recorded_at timestamptz DEFAULT now(),
            ledger_method text, ledger_retain_until date, ledger_supersedes bigint, ledger_reason text)', name);
        EXECUTE format('CREATE UNIQUE INDEX ON %I (ledger_seq)', name);
    ELSIF kind = 'ledger' THEN
        EXECUTE format('CREATE TABLE %I (client int, n bigint, payload jsonb)', name);
        PERFORM trace.ledger_enable(name::regclass);
    ELSE
        EXECUTE format('CREATE TABLE %I (client int, n bigint, payload jsonb,
            id bigint GENERATED ALWAYS AS IDENTITY, stream int NOT NULL DEFAULT 1,
            prev_hash bytea, row_hash bytea)', name);
        EXECUTE format('CREATE UNIQUE INDEX ON %I (stream, id)', name);
        EXECUTE format('CREATE TRIGGER chain BEFORE INSERT ON %I FOR EACH ROW EXECUTE FUNCTION chain_row()', name);
    END IF;
END
$$;
-- The hand-written chain: serialise the stream, find the last hash, hash on.
CREATE FUNCTION chain_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_NAME), NEW.stream);
    EXECUTE format('SELECT row_hash FROM %I WHERE stream = $1 ORDER BY id DESC LIMIT 1', TG_TABLE_NAME)
        INTO last USING NEW.stream;
    NEW.prev_hash := COALESCE(last, '\x');
    NEW.row_hash := digest(NEW.prev_hash || convert_to(concat_ws('|', NEW.client, NEW.n, NEW.payload::text), 'UTF8'), 'sha256');
    RETURN NEW;
END
$$;
SQL

echo "pgtrace ledger benchmark: $(nproc) CPU(s), $rows rows for bulk, ${secs}s per pgbench run"
echo

# ---- single-row INSERT, one stream, 1/16/64 clients
printf '%-34s %12s %12s %12s %10s %10s\n' "single-row INSERT (tps)" plain ledger plpgsql ledger/plain plpgsql/plain
for c in 1 16 64; do
    declare -A tps=()
    for kind in plain ledger chain; do
        t="s_${kind}_$c"
        q -c "SELECT bench_make('$kind', '$t')" >/dev/null
        printf '\\set n random(1, 1000000000)\nINSERT INTO %s (client, n, payload) VALUES (:client_id, :n, jsonb_build_object('"'"'n'"'"', :n));\n' "$t" >"$work/$t.sql"
        j=$(( c < 4 ? c : 4 ))
        tps[$kind]=$(pgbench -n -c "$c" -j "$j" -T "$secs" -f "$work/$t.sql" postgres 2>/dev/null \
                     | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    done
    printf '%-34s %12.0f %12.0f %12.0f %10s %10s\n' "$c client(s), one stream" "${tps[plain]}" "${tps[ledger]}" "${tps[chain]}" \
        "$(ratio "${tps[ledger]}" "${tps[plain]}")" "$(ratio "${tps[chain]}" "${tps[plain]}")"
    if [ "$c" = 16 ]; then
        # seal lag of the 16-client run: block sealed_at minus the row's transaction start
        lag=$(q -c "SELECT trace.seal('s_ledger_16')" >/dev/null; q -c "
            SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.ledger_recorded_at))::numeric, 3)
              FROM s_ledger_16 t JOIN trace.ledger_blocks b
                ON b.ledger = 'public.s_ledger_16' AND b.members @> t.ledger_seq")
    fi
done
echo
echo "seal lag p99 (16 clients, default pgtrace.seal_interval, from transaction start): ${lag} s"
echo

# ---- bulk INSERT ... SELECT and COPY
printf '%-34s %12s %12s %12s %10s %10s\n' "bulk ($rows rows, seconds)" plain ledger plpgsql plain/ledger plain/plpgsql
# the server writes and reads the file: keep it in the cluster's directory
data_file="$work/pg/bench-rows.tsv"
q -c "COPY (SELECT g % 16, g, jsonb_build_object('n', g) FROM generate_series(1, $rows) g) TO '$data_file'" >/dev/null
for how in insert copy; do
    declare -A sec=()
    for kind in plain ledger chain; do
        t="b_${how}_${kind}"
        q -c "SELECT bench_make('$kind', '$t')" >/dev/null
        q -c "CHECKPOINT" >/dev/null
        t0=$(now)
        if [ "$how" = insert ]; then
            q -c "INSERT INTO $t (client, n, payload) SELECT g % 16, g, jsonb_build_object('n', g) FROM generate_series(1, $rows) g" >/dev/null
        else
            q -c "COPY $t (client, n, payload) FROM '$data_file'" >/dev/null
        fi
        t1=$(now)
        sec[$kind]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    done
    label="INSERT ... SELECT"; [ "$how" = copy ] && label="COPY FROM"
    printf '%-34s %12s %12s %12s %10s %10s\n' "$label" "${sec[plain]}" "${sec[ledger]}" "${sec[chain]}" \
        "$(ratio "${sec[plain]}" "${sec[ledger]}")" "$(ratio "${sec[plain]}" "${sec[chain]}")"
done
echo "(plain/ledger is the ledger's throughput as a fraction of the plain table's)"
echo

# ---- seal and verify speed on the bulk table
t0=$(now); q -c "SELECT trace.seal('b_insert_ledger')" >/dev/null; t1=$(now)
seal_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
q -c "SELECT trace.ledger_verify('b_insert_ledger')" >/dev/null      # warm the cache
t0=$(now); v=$(q -c "SELECT trace.ledger_verify('b_insert_ledger')"); t1=$(now)
verify_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
vrows=$(q -c "SELECT '$v'::jsonb -> 'rows'")
echo "verify: $vrows rows in ${verify_s} s = $(awk -v r="$vrows" -v s="$verify_s" 'BEGIN { printf "%.0f", r / s }') rows/s (one backend, one core); ok = $(q -c "SELECT '$v'::jsonb -> 'ok'")"
echo "seal (whatever the background sealer left of the bulk insert): ${seal_s} s"
