#!/bin/bash
# bench/registry: trace.commission of N codes in one call (rate, backend peak
# memory) against a plain INSERT of the same rows into a plain table with the
# same indexes, and trace.history of one code at N items (mean and worst of
# 1000 random codes), measured in one run on a throwaway cluster. Prints
# rates and ratios; it is not a test.
#
#   bench/registry/run.sh [N]        default 1000000
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
n=${1:-1000000}
hz=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/pgtrace-bench.XXXXXX); chmod 755 "$work"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
export PT_PGBIN
PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}
eval "$(scripts/cluster.sh start "$work/pg" "max_parallel_workers_per_gather = 0" "shared_buffers = 512MB" \
        "work_mem = 16MB" "max_wal_size = 4GB" "checkpoint_timeout = 30min")"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION pgtrace;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "Bench Factory",
    "address": "1 Bench Road", "contact": "+86 571 0000 0000",
    "business_license": {"content_base64": "bGljZW5jZQ==", "media_type": "application/pdf"}}') \g /dev/null
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "Bench Seller",
    "address": "2 Bench Road", "contact": "+86 755 0000 0000",
    "business_license": {"content_base64": "bGljZW5jZTI=", "media_type": "application/pdf"}}') \g /dev/null
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "hob", "product_type": "gas appliance", "spec_model": "B-1", "mandatory_standards": "GB 16410-2020",
    "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}') \g /dev/null
SELECT trace.attach_document('{"content_base64": "aW5zcGVjdGlvbg==", "media_type": "application/pdf"}') \g /dev/null

-- the same rows for the plain-table baseline, with the same indexes as item_record
-- (its own: primary key, code, current code, supersedes, uscc; not the ledger's),
-- no triggers, no foreign keys
CREATE TABLE plain_items (LIKE trace.item_record INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES);
DO $$ DECLARE c text; BEGIN
    FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'plain_items'::regclass AND attname LIKE 'ledger\_%' LOOP
        EXECUTE format('ALTER TABLE plain_items DROP COLUMN %I', c);
    END LOOP; END $$;
SQL

# CPU time of this backend so far (utime + stime, in clock ticks), read as
# :cpu_ticks; on a shared machine CPU seconds say more than wall time
cpu_sql="SELECT (s[14])::bigint + (s[15])::bigint AS ticks FROM pg_catalog.string_to_array(pg_catalog.pg_read_file('/proc/self/stat'), ' ') s"

# the batch and the plain-table baseline, in their own session
psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v cpu="$cpu_sql" -v hz="$hz" <<'SQL'
CREATE TABLE batch AS
SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'trace_code', '(01)06901234567892(21)' || g, 'production_date', '2026-06-01',
           'serial_or_batch', 'B' || (g / 10000),
           'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection'::bytea), 'hex'))) AS j
FROM pg_catalog.generate_series(1, :n) g;
CREATE TABLE bench_results (what text, seconds float8, cpu_seconds float8);
:cpu \gset c0_
SELECT pg_catalog.clock_timestamp() AS t0 \gset
INSERT INTO plain_items (trace_code, product_id, uscc, production_date, serial_or_batch, inspection_report,
                         collection_method, retain_until, recorded_at, recorded_by)
SELECT (e ->> 'trace_code')::trace.code, 1, '91330100MA2H3K5L19', (e ->> 'production_date')::date,
       e ->> 'serial_or_batch', 1, 'manual', '2030-06-01', now(), session_user
FROM batch, pg_catalog.jsonb_array_elements(j) e;
:cpu \gset c1_
INSERT INTO bench_results SELECT 'plain', extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'),
    (:c1_ticks - :c0_ticks)::float8 / :hz;
SQL

# trace.commission in a fresh session whose private memory is sampled
pid_file=$work/pid
psql -X -q -v ON_ERROR_STOP=1 -v pidfile="$pid_file" -v cpu="$cpu_sql" -v hz="$hz" <<'SQL' &
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
\pset tuples_only on
\pset format unaligned
SELECT pg_backend_pid() \g :pidfile
:cpu \gset c0_
SELECT pg_catalog.clock_timestamp() AS t0 \gset
SELECT trace.commission(j) FROM batch \g /dev/null
:cpu \gset c1_
INSERT INTO bench_results SELECT 'commission', extract(epoch FROM pg_catalog.clock_timestamp() - :'t0'),
    (:c1_ticks - :c0_ticks)::float8 / :hz;
SQL
bgpid=$!

# peak private (anonymous) memory of that backend: shared buffers not counted
peak=0
while kill -0 $bgpid 2>/dev/null; do
    if [ -s "$pid_file" ]; then
        bpid=$(tr -dc '0-9' < "$pid_file")
        rss=$(awk '/RssAnon/ {print $2}' "/proc/$bpid/status" 2>/dev/null || true)
        if [ -n "$rss" ] && [ "$rss" -gt "$peak" ]; then peak=$rss; fi
    fi
    sleep 0.2
done
wait $bgpid

# history of one code at N items: some codes packed, sold and bought first
psql -X -q -v ON_ERROR_STOP=1 -v n="$n" -v peak="$peak" -v hz="$hz" <<'SQL'
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.pack(pg_catalog.jsonb_build_object('package_code', '(00)069012340000000016', 'uscc', '91330100MA2H3K5L19',
    'event_time', '2026-06-02T08:00:00+08:00',
    'contents', (SELECT pg_catalog.jsonb_agg('(01)06901234567892(21)' || g) FROM pg_catalog.generate_series(1, 10) g))) \g /dev/null
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016",
    "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}') \g /dev/null
SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016",
    "supplier_name": "Bench Factory", "purchase_time": "2026-06-04T10:00:00+08:00"}') \g /dev/null
VACUUM ANALYZE trace.item_record, trace.package_event, trace.flow_record;
CREATE FUNCTION pg_temp.history_timing(n int, probes int, hz int)
    RETURNS TABLE (mean_ms float8, p50_ms float8, p99_ms float8, worst_ms float8, cpu_ms float8)
LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; c0 bigint; c1 bigint; el float8; times float8[] := '{}'; code text;
BEGIN
    PERFORM trace.history('(01)06901234567892(21)1');          -- warm the caches
    SELECT (s[14])::bigint + (s[15])::bigint INTO c0
        FROM pg_catalog.string_to_array(pg_catalog.pg_read_file('/proc/self/stat'), ' ') s;
    FOR i IN 1..probes LOOP
        code := '(01)06901234567892(21)' || (CASE WHEN i % 10 = 0 THEN i % 10 + 1 ELSE (i::bigint * 7919) % n + 1 END);
        t0 := clock_timestamp();
        PERFORM trace.history(code);
        el := extract(epoch FROM clock_timestamp() - t0) * 1000;
        times := times || el;
    END LOOP;
    SELECT (s[14])::bigint + (s[15])::bigint INTO c1
        FROM pg_catalog.string_to_array(pg_catalog.pg_read_file('/proc/self/stat'), ' ') s;
    RETURN QUERY SELECT avg(t), percentile_cont(0.5) WITHIN GROUP (ORDER BY t),
                        percentile_cont(0.99) WITHIN GROUP (ORDER BY t), max(t),
                        ((c1 - c0) * 1000.0 / hz / probes)::float8
                 FROM unnest(times) t;
END $$;
SELECT (SELECT seconds FROM bench_results WHERE what = 'plain') AS plain_s,
       (SELECT cpu_seconds FROM bench_results WHERE what = 'plain') AS plain_cpu,
       (SELECT seconds FROM bench_results WHERE what = 'commission') AS commission_s,
       (SELECT cpu_seconds FROM bench_results WHERE what = 'commission') AS commission_cpu \gset
SELECT * FROM pg_temp.history_timing(:n, 1000, :hz) \gset
\pset tuples_only on
\pset format unaligned
SELECT pg_catalog.format('trace.commission of %s codes in one call: %s s = %s codes/s (target >= 100000/s); backend CPU %s s = %s codes per CPU second',
           :n, round(:commission_s::numeric, 2), round(:n / :commission_s),
           round(:commission_cpu::numeric, 2), round(:n / greatest(:commission_cpu, 0.01)));
SELECT pg_catalog.format('plain INSERT of the same rows, same indexes, no ledger, no foreign keys: %s s = %s rows/s; backend CPU %s s = %s rows per CPU second',
           round(:plain_s::numeric, 2), round(:n / :plain_s), round(:plain_cpu::numeric, 2), round(:n / greatest(:plain_cpu, 0.01)));
SELECT pg_catalog.format('commission/plain ratio: wall time %s, CPU time %s',
           round((:commission_s / :plain_s)::numeric, 2), round((:commission_cpu / greatest(:plain_cpu, 0.01))::numeric, 2));
SELECT pg_catalog.format('backend peak private memory during trace.commission: %s MB (the batch jsonb itself: %s MB)',
           round(:peak / 1024.0), round(pg_catalog.octet_length(j::text) / 1048576.0))  FROM batch;
SELECT pg_catalog.format('trace.history of one code at %s items, 1000 codes (one in ten packed, sold and bought): mean %s ms, median %s ms, 99th percentile %s ms, worst %s ms; backend CPU %s ms per call (target <= 1 ms)',
           (SELECT count(*) FROM trace.item_record), round(:mean_ms::numeric, 3), round(:p50_ms::numeric, 3),
           round(:p99_ms::numeric, 3), round(:worst_ms::numeric, 3), round(:cpu_ms::numeric, 3));
SQL
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores)"
