#!/bin/bash
# Ledger benchmark: pgtrace ledger tables against a plain table with the same
# indexes and against the PL/pgSQL + pgcrypto hash chain a DBA would write
# (advisory lock per stream, last-hash lookup, digest()). Everything runs in
# one go on one throwaway cluster and prints ratios measured in this run.
#
#   bench/ledger/run.sh              (BENCH_ROWS=200000 BENCH_SECONDS=5 by default)
#   BENCH_ROWS=1000000 bench/ledger/run.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rows=${BENCH_ROWS:-200000}
secs=${BENCH_SECONDS:-5}
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
-- CPU seconds this backend has used (user + system), to measure work rather
-- than wall time on a shared machine.
CREATE FUNCTION bench_cpu() RETURNS float8 LANGUAGE sql AS $$
    SELECT (split_part(s, ' ', 14)::float8 + split_part(s, ' ', 15)::float8) / 100
      FROM pg_read_file('/proc/self/stat') s $$;
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

# ---- single-row INSERT, one stream, 1/16/64 clients: three interleaved
# rounds of plain, ledger, PL/pgSQL; the best round of each counts (the
# machine may be shared).
printf '%-34s %12s %12s %12s %10s %10s\n' "single-row INSERT (tps)" plain ledger plpgsql ledger/plain plpgsql/plain
for c in 1 16 64; do
    declare -A tps=()
    for kind in plain ledger chain; do
        t="s_${kind}_$c"
        q -c "SELECT bench_make('$kind', '$t')" >/dev/null
        printf '\\set n random(1, 1000000000)\nINSERT INTO %s (client, n, payload) VALUES (:client_id, :n, jsonb_build_object('"'"'n'"'"', :n));\n' "$t" >"$work/$t.sql"
        tps[$kind]=0
    done
    j=$(( c < 4 ? c : 4 ))
    for round in 1 2 3; do
        for kind in plain ledger chain; do
            t="s_${kind}_$c"
            r=$(pgbench -n -c "$c" -j "$j" -T "$secs" -f "$work/$t.sql" postgres 2>/dev/null \
                | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
            if awk -v a="${r:-0}" -v b="${tps[$kind]}" 'BEGIN { exit !(a > b) }'; then tps[$kind]=$r; fi
        done
    done
    printf '%-34s %12.0f %12.0f %12.0f %10s %10s\n' "$c client(s), one stream" "${tps[plain]}" "${tps[ledger]}" "${tps[chain]}" \
        "$(ratio "${tps[ledger]}" "${tps[plain]}")" "$(ratio "${tps[chain]}" "${tps[plain]}")"
    if [ "$c" = 16 ]; then
        # seal lag of the 16-client runs: block sealed_at minus the row's transaction start
        lag=$(q -c "SELECT trace.seal('s_ledger_16')" >/dev/null; q -c "
            SELECT round(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.sealed_at - t.ledger_recorded_at))::numeric, 3)
              FROM s_ledger_16 t JOIN trace.ledger_blocks b
                ON b.ledger = 'public.s_ledger_16' AND b.members @> t.ledger_seq")
    fi
done
echo
echo "seal lag p99 (16 clients, default pgtrace.seal_interval, from transaction start): ${lag} s"
echo

# ---- bulk INSERT ... SELECT and COPY: best of 3 (plain, ledger) and one
# PL/pgSQL run; wall seconds and the inserting backend's CPU seconds.
printf '%-22s %8s %8s %8s %8s %8s %8s %12s %12s\n' "bulk ($rows rows)" plain "(cpu)" ledger "(cpu)" plpgsql "(cpu)" plain/ledger plain/plpgsql
data_file="$work/pg/bench-rows.tsv"      # the server reads it: keep it in the cluster's directory
q -c "COPY (SELECT g % 16, g, jsonb_build_object('n', g) FROM generate_series(1, $rows) g) TO '$data_file'" >/dev/null
run_bulk() {   # run_bulk HOW TABLE -> "wall cpu"
    local how=$1 t=$2 stmt
    if [ "$how" = insert ]; then
        stmt="INSERT INTO $t (client, n, payload) SELECT g % 16, g, jsonb_build_object('n', g) FROM generate_series(1, $rows) g"
    else
        stmt="COPY $t (client, n, payload) FROM '$data_file'"
    fi
    # start quiet: nothing left for the background sealer from earlier runs
    q -c "SELECT trace.seal()" -c "CHECKPOINT" >/dev/null
    q -v stmt="$stmt" <<'SQL' | tail -1
SELECT bench_cpu() AS c0, extract(epoch FROM clock_timestamp()) AS w0 \gset
:stmt;
SELECT round((extract(epoch FROM clock_timestamp()) - :w0)::numeric, 3) || ' ' || round((bench_cpu() - :c0)::numeric, 2);
SQL
}
declare -A seal_after=()
for how in insert copy; do
    declare -A wall=() cpu=()
    # three interleaved rounds of plain and ledger (a shared machine's load
    # drifts), then one PL/pgSQL run
    for r in 1 2 3; do
        for kind in plain ledger chain; do
            [ "$kind" = chain ] && [ "$r" != 1 ] && continue
            t="b_${how}_${kind}_$r"
            q -c "SELECT bench_make('$kind', '$t')" >/dev/null
            read -r w c < <(run_bulk "$how" "$t")
            if [ "$kind" = ledger ]; then
                # sealing the new rows (the background sealer's work after commit)
                s0=$(now); q -c "SELECT trace.seal('$t')" >/dev/null; s1=$(now)
                seal_after[$how]=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }')
            fi
            if [ -z "${wall[$kind]:-}" ] || awk -v a="$w" -v b="${wall[$kind]}" 'BEGIN { exit !(a < b) }'; then
                wall[$kind]=$w; cpu[$kind]=$c
            fi
        done
    done
    label="INSERT ... SELECT"; [ "$how" = copy ] && label="COPY FROM"
    printf '%-22s %8s %8s %8s %8s %8s %8s %12s %12s\n' "$label" "${wall[plain]}" "${cpu[plain]}" "${wall[ledger]}" "${cpu[ledger]}" \
        "${wall[chain]}" "${cpu[chain]}" "$(ratio "${wall[plain]}" "${wall[ledger]}")" "$(ratio "${wall[plain]}" "${wall[chain]}")"
done
echo "(seconds, best of 3 for plain and ledger; ratios are throughput relative to the plain table, wall clock;"
echo " each run starts with nothing left to seal)"
echo "all $rows rows sealed this long after the bulk statement returned (last round): INSERT ... SELECT ${seal_after[insert]} s, COPY ${seal_after[copy]} s"
echo

# ---- seal and verify speed on a bulk-loaded ledger table
t0=$(now); q -c "SELECT trace.seal()" >/dev/null; t1=$(now)
seal_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
q -c "SELECT trace.ledger_verify('b_insert_ledger_1')" >/dev/null      # warm the cache, set hint bits
# the bulk rounds' dirty pages written out first, so that verify does not
# share the machine with their writeback (as every bulk round starts clean)
q -c "CHECKPOINT" >/dev/null
read -r vrows vok vwall vcpu < <(q <<'SQL' | tail -1
SELECT bench_cpu() AS c0, extract(epoch FROM clock_timestamp()) AS w0 \gset
SELECT trace.ledger_verify('b_insert_ledger_1') AS v \gset
SELECT (:'v'::jsonb ->> 'rows') || ' ' || (:'v'::jsonb ->> 'ok') || ' '
       || round((extract(epoch FROM clock_timestamp()) - :w0)::numeric, 3) || ' ' || round((bench_cpu() - :c0)::numeric, 2);
SQL
)
echo "verify: $vrows rows, ok = $vok: ${vwall} s wall = $(awk -v r="$vrows" -v s="$vwall" 'BEGIN { printf "%.0f", r / s }') rows/s;" \
     "${vcpu} s CPU = $(awk -v r="$vrows" -v s="$vcpu" 'BEGIN { if (s > 0) printf "%.0f", r / s; else print "n/a" }') rows per CPU-second"
echo "seal of what the background sealer had left: ${seal_s} s"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPU(s)"
