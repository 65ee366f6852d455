#!/bin/bash
# bench/stats: trace.stats_refresh() and trace.report() on a generated registry
# of ITEMS items and 5 x ITEMS flows (default 1M items, 5M flows), on a
# throwaway cluster. Prints times and ratios measured in one run (target of
# issue 8: report <= 2 s); it is not a test.
#
#   bench/stats/run.sh [ITEMS]        default 1000000
#   STATS_BENCH_EACH=0 bench/stats/run.sh ...   skip the per-view refresh timings
#
# The rows go straight into the registry tables (through the ledger's insert
# trigger, which hashes every row) rather than through the jsonb API: the
# benchmark measures the statistics, not the writes. 1000 producers, 4000
# sellers, 2000 products in the eight seeded categories, items over 2025-2026;
# flows per item: producer -> distributor (sale, purchase), distributor ->
# retailer (sale, purchase), retailer -> consumer (sale).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
items=${1:-1000000}

work=$(mktemp -d /tmp/pgtrace-bench.XXXXXX); chmod 755 "$work"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
export PT_PGBIN
PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}
eval "$(scripts/cluster.sh start "$work/pg" "shared_buffers = 1GB" "work_mem = 256MB" "maintenance_work_mem = 512MB" "max_wal_size = 8GB")"

t0=$(date +%s.%N)
psql -X -q -v ON_ERROR_STOP=1 -v items="$items" <<'SQL'
CREATE EXTENSION pgtrace;
SET pgtrace.reference_time = '2026-07-01 12:00:00+08';
-- GB 32100 check character / GS1 mod-10 check digit
CREATE FUNCTION uscc_of(p17 text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT p17 || substr(a, ((31 - sum((strpos(a, substr(p17, i, 1)) - 1) * (power(3, i - 1)::bigint % 31)) % 31) % 31)::int + 1, 1)
    FROM (SELECT '0123456789ABCDEFGHJKLMNPQRTUWXY'::text AS a) x, generate_series(1, 17) i GROUP BY a $$;
CREATE FUNCTION gtin_of(d13 text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT d13 || ((10 - sum(substr(d13, 14 - i, 1)::int * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END) % 10) % 10)::text
    FROM generate_series(1, 13) i $$;

INSERT INTO trace.document_content (sha256, content) VALUES (sha256('bench'), 'bench');
INSERT INTO trace.document_record (sha256, stored, media_type, size, collection_method, retain_until, recorded_at, recorded_by)
    VALUES (sha256('bench'), true, 'application/pdf', 5, 'manual', '2036-01-01', '2025-01-01', 'bench');
-- units: 1000 producers, 4000 sellers, in 31 provinces' capitals
CREATE TABLE bench_units AS
SELECT n, uscc_of('91' || (ARRAY['110105','310115','330100','320500','440300','370100','420100','510100','610100','210100',
                                 '120101','130100','140100','150100','220100','230100','340100','350100','360100','410100',
                                 '430100','450100','460100','500101','520100','530100','540100','620100','630100','640100','650100'])[1 + n % 31]
               || 'MA' || lpad(upper(to_hex(n)), 6, '0') || 'X') AS uscc,
       CASE WHEN n <= 1000 THEN 'producer' ELSE 'seller' END AS role
FROM generate_series(1, 5000) n;
INSERT INTO trace.unit_record (uscc, roles, unit_name, address, contact, business_license, collection_method, retain_until, recorded_at, recorded_by)
SELECT uscc::trace.uscc, ARRAY[role], 'unit ' || n, 'address ' || n, 'contact ' || n, 1, 'manual', '2036-01-01', '2025-01-01', 'bench'
FROM bench_units;
INSERT INTO trace.product_record (uscc, category, gtin, product_name, product_type, spec_model, mandatory_standards,
                                  production_licence_no, ccc_certificate_no, manual_or_warning, warranty_period,
                                  collection_method, retain_until, recorded_at, recorded_by)
SELECT u.uscc::trace.uscc, c.code, gtin_of('069' || lpad(p::text, 10, '0'))::trace.gtin, 'product ' || p, 'type', 'M-' || p, 'GB 0000',
       'XK-' || p, 'CCC-' || p, 1, interval '2 years', 'manual', '2036-01-01', '2025-01-01', 'bench'
FROM generate_series(1, 2000) p
JOIN bench_units u ON u.n = 1 + p % 1000
JOIN (SELECT code, row_number() OVER (ORDER BY code) AS k FROM trace.categories) c ON c.k = 1 + p % 8;
CREATE TABLE bench_products AS SELECT id, gtin::text AS gtin, uscc FROM trace.product_record;
-- items
INSERT INTO trace.item_record (trace_code, product_id, uscc, production_date, serial_or_batch, inspection_report,
                               collection_method, retain_until, recorded_at, recorded_by)
SELECT ('(01)' || p.gtin || '(21)S' || i)::trace.code, p.id, p.uscc, date '2025-01-01' + (i % 540), 'B' || (i % 540), 1,
       'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM generate_series(1, :items) i JOIN bench_products p ON p.id = 1 + i % 2000;
-- flows: producer sale, seller purchase, three seller sales
INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, sale_time, buyer_name, buyer_address, buyer_contact, buyer_uscc,
                               quantity, collection_method, retain_until, recorded_at, recorded_by)
SELECT 'producer_sale', i.uscc, i.trace_code, (i.production_date + 3)::timestamp AT TIME ZONE 'Asia/Shanghai',
       (i.production_date + 3)::timestamp AT TIME ZONE 'Asia/Shanghai', 'b', 'a', 'c', s.uscc::trace.uscc, 1,
       'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM trace.item_record i JOIN bench_units s ON s.n = 1001 + i.id % 4000;
INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, supplier_name, supplier_uscc, purchase_time,
                               quantity, collection_method, retain_until, recorded_at, recorded_by)
SELECT 'seller_purchase', f.buyer_uscc, f.trace_code, f.event_time + interval '1 day', 'p', f.uscc, f.event_time + interval '1 day', 1,
       'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM trace.flow_record f WHERE f.kind = 'producer_sale';
-- the distributor sells each unit to a retailer (another seller), who buys it and sells it to a consumer
INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, customer_name, sold_time, buyer_uscc,
                               quantity, collection_method, retain_until, recorded_at, recorded_by)
SELECT 'seller_sale', f.uscc, f.trace_code, f.event_time + interval '2 days', 'retailer', f.event_time + interval '2 days',
       r.uscc::trace.uscc, 1, 'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM trace.flow_record f JOIN bench_units r ON r.n = 1001 + (f.id * 7) % 4000
WHERE f.kind = 'seller_purchase';
INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, supplier_name, supplier_uscc, purchase_time,
                               quantity, collection_method, retain_until, recorded_at, recorded_by)
SELECT 'seller_purchase', f.buyer_uscc, f.trace_code, f.event_time + interval '1 day', 'd', f.uscc, f.event_time + interval '1 day', 1,
       'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM trace.flow_record f WHERE f.kind = 'seller_sale';
INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, customer_name, sold_time,
                               quantity, collection_method, retain_until, recorded_at, recorded_by)
SELECT 'seller_sale', f.uscc, f.trace_code, f.event_time + interval '3 days', 'consumer', f.event_time + interval '3 days', 1,
       'automatic', '2030-01-01', '2025-01-01', 'bench'
FROM trace.flow_record f WHERE f.kind = 'seller_purchase' AND f.supplier_name = 'd';
VACUUM ANALYZE;
SQL
t1=$(date +%s.%N)
psql -X -At -c "SELECT format('data: %s items, %s flows, %s units (loaded in %s s)', (SELECT count(*) FROM trace.item_record),
    (SELECT count(*) FROM trace.flow_record), (SELECT count(*) FROM trace.unit_record), round(($t1 - $t0)::numeric, 1))"

psql -X -q -At -v each="${STATS_BENCH_EACH:-1}" <<'SQL'
SET pgtrace.reference_time = '2026-07-01 12:00:00+08';
CREATE TEMP TABLE t (what text, secs float8);
SET stats_bench.each = :'each';
DO $$
DECLARE t0 timestamptz; mv text;
BEGIN
    t0 := clock_timestamp();
    PERFORM count(*) FROM trace.flow_record;
    INSERT INTO t VALUES ('scan of flow_record (baseline)', extract(epoch FROM clock_timestamp() - t0));
    FOREACH mv IN ARRAY CASE WHEN current_setting('stats_bench.each') = '1' THEN
            ARRAY['_stats_flow_units_mv', '_stats_volume_mv', '_stats_daily_mv', '_stats_flow_mv', '_stats_completeness_mv',
                  '_stats_scan_mv', '_stats_anomaly_mv'] ELSE '{}'::text[] END LOOP
        t0 := clock_timestamp();
        EXECUTE format('REFRESH MATERIALIZED VIEW trace.%I', mv);
        INSERT INTO t VALUES ('refresh ' || mv, extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
    t0 := clock_timestamp();
    PERFORM trace.stats_refresh();
    INSERT INTO t VALUES ('trace.stats_refresh() (all)', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    PERFORM trace.report('2026-05-01', '2026-06-30', 'zh');
    INSERT INTO t VALUES ('trace.report 61 days (daily)', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    PERFORM trace.report('2025-07-01', '2026-06-30', 'en');
    INSERT INTO t VALUES ('trace.report one year (weekly)', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    PERFORM trace.report('2025-01-01', '2026-06-30', 'zh');
    INSERT INTO t VALUES ('trace.report 18 months (weekly)', extract(epoch FROM clock_timestamp() - t0));
END $$;
SELECT rpad(what, 36) || to_char(secs, 'FM99990.000') || ' s' FROM t;
SELECT format('report / 2 s target: %s (61 days), %s (18 months); refresh / baseline scan: %s',
    round((SELECT secs FROM t WHERE what LIKE '%61 days%')::numeric / 2, 3),
    round((SELECT secs FROM t WHERE what LIKE '%18 months%')::numeric / 2, 3),
    round(((SELECT secs FROM t WHERE what LIKE 'trace.stats_refresh%') / (SELECT secs FROM t WHERE what LIKE 'scan%'))::numeric, 1));
SELECT format('anomalies: %s', (SELECT count(*) FROM trace.stats_anomalies));
SQL
