#!/bin/bash
# bench/types: parse rate of trace.gtin against contrib isn's ean13 on the same
# strings, and of trace.code on raw scanner strings, measured in one run on a
# throwaway cluster. Prints rates and ratios; it is not a test.
#
#   bench/types/run.sh [ROWS]        default 1000000
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rows=${1:-1000000}

work=$(mktemp -d /tmp/pgtrace-bench.XXXXXX); chmod 755 "$work"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
export PT_PGBIN
PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}
eval "$(scripts/cluster.sh start "$work/pg" "max_parallel_workers_per_gather = 0" "shared_buffers = 512MB")"

psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" <<'SQL'
CREATE EXTENSION pgtrace;
CREATE EXTENSION isn;
-- GTIN-13 strings with correct check digits (GS1 prefix 690-699), and DataMatrix scans
CREATE TABLE gtin_strings AS
SELECT d || ((10 - (s % 10)) % 10)::text AS s
  FROM (SELECT d, (SELECT sum(substr(d, i, 1)::int * CASE WHEN i % 2 = 0 THEN 3 ELSE 1 END)
                     FROM generate_series(1, 12) i) AS s
          FROM (SELECT (690000000000 + (n::bigint * 7919) % 9999999999)::text AS d
                  FROM generate_series(1, :rows) n) a) b;
CREATE TABLE scan_strings AS
SELECT ']d201' || lpad(s, 14, '0') || '10L' || (n % 97) || E'\x1d' || '21SN' || n AS s
  FROM (SELECT s, row_number() OVER () AS n FROM gtin_strings) x;
VACUUM ANALYZE gtin_strings, scan_strings;

-- best of three timings of one query, in seconds
CREATE FUNCTION best_of_3(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 'Infinity'; el float8;
BEGIN
    FOR i IN 1..3 LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        el := extract(epoch FROM clock_timestamp() - t0);
        best := least(best, el);
    END LOOP;
    RETURN best;
END $$;

CREATE TEMP TABLE results AS
SELECT best_of_3('SELECT count(s) FROM gtin_strings') AS scan_only,
       best_of_3('SELECT count(s::ean13) FROM gtin_strings') AS isn_ean13,
       best_of_3('SELECT count(s::trace.gtin) FROM gtin_strings') AS trace_gtin,
       best_of_3('SELECT count(s) FROM scan_strings') AS scan_only_scans,
       best_of_3('SELECT count(s::trace.code) FROM scan_strings') AS trace_code;

\pset footer off
SELECT :rows AS rows,
       round(:rows / isn_ean13) AS "isn ean13 parses/s",
       round(:rows / trace_gtin) AS "trace.gtin parses/s",
       round((isn_ean13 / trace_gtin)::numeric, 2) AS "trace.gtin vs isn (x, whole query)",
       round(((isn_ean13 - scan_only) / nullif(trace_gtin - scan_only, 0))::numeric, 2)
           AS "trace.gtin vs isn (x, parse only)",
       round(:rows / trace_code) AS "trace.code scans/s",
       round(((trace_code - scan_only_scans) / nullif(trace_gtin - scan_only, 0))::numeric, 2)
           AS "trace.code cost vs trace.gtin (x)"
  FROM results;
SQL
