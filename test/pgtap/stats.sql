-- Statistics (issue 8): on the generated data set of
-- test/system/stats_dataset.sql (fixed times, planted anomalies), every
-- statistic equals an aggregate computed here from the registry directly,
-- and every anomaly view finds exactly the planted anomalies.
BEGIN;
SELECT plan(49);
SET LOCAL search_path = public, trace;   -- the code types' operators

\o /dev/null
\ir ../system/stats_dataset.sql
\o

SELECT is((trace.stats_refresh() ->> 'anomalies')::int, 12, 'stats_refresh: twelve anomalies (the planted ones)');
SELECT is((SELECT reference_date FROM trace.stats_refreshed), '2026-07-01'::date,
    'the refresh is logged with its reference day (pgtrace.reference_time)');

-- ---------------------------------------------------------------- volumes
-- Independent: items by production date; flows expanded to the units they
-- covered with trace.package_contents (nested) at the event time.
CREATE TEMP TABLE flow_units ON COMMIT DROP AS
    SELECT f.flow_id, f.kind, f.uscc, f.buyer_uscc, f.supplier_uscc, f.event_time,
           ((f.event_time AT TIME ZONE 'UTC') + interval '8 hours')::date AS day, i.trace_code AS unit_code,
           i.product_id, i.category
    FROM trace.flows f
    JOIN trace.items i ON i.trace_code = f.trace_code
    UNION ALL
    SELECT f.flow_id, f.kind, f.uscc, f.buyer_uscc, f.supplier_uscc, f.event_time,
           ((f.event_time AT TIME ZONE 'UTC') + interval '8 hours')::date, i.trace_code, i.product_id, i.category
    FROM trace.flows f
    CROSS JOIN LATERAL trace.package_contents(f.trace_code::text, f.event_time, true) c
    JOIN trace.items i ON i.trace_code = c.content_code
    WHERE NOT EXISTS (SELECT 1 FROM trace.items x WHERE x.trace_code = f.trace_code);
CREATE TEMP TABLE volumes ON COMMIT DROP AS
    SELECT production_date AS day, uscc, category, product_id, 'production'::text AS kind, count(*)::numeric AS quantity
    FROM trace.items GROUP BY 1, 2, 3, 4
    UNION ALL
    SELECT day, uscc, category, product_id, kind, count(*) FROM flow_units GROUP BY 1, 2, 3, 4, 5;

SELECT is((SELECT count(*)::numeric FROM flow_units), (SELECT sum(quantity) FROM trace.flows)::numeric,
    'check of the check: the units covered by the flows add up to their recorded quantities');
SELECT results_eq($$SELECT day, uscc::text, category, product_id, kind, quantity FROM trace.stats_volume_daily ORDER BY 1, 2, 3, 4, 5$$,
    $$SELECT day, uscc::text, category, product_id, kind, sum(quantity) FROM volumes GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5$$,
    'stats_volume_daily: quantity per day, unit, category, product and kind');
SELECT results_eq($$SELECT uscc::text, kind, quantity, first_day, last_day FROM trace.stats_volume_by_unit ORDER BY 1, 2$$,
    $$SELECT uscc::text, kind, sum(quantity), min(day), max(day) FROM volumes GROUP BY 1, 2 ORDER BY 1, 2$$,
    'stats_volume_by_unit: quantity and first/last day per unit and kind');
SELECT results_eq($$SELECT uscc::text, kind, records FROM trace.stats_volume_by_unit WHERE kind <> 'production' ORDER BY 1, 2$$,
    $$SELECT uscc::text, kind, count(*)::numeric FROM trace.flows GROUP BY 1, 2 ORDER BY 1, 2$$,
    'stats_volume_by_unit: flow records per unit and kind');
SELECT results_eq($$SELECT product_id, uscc::text, kind, quantity FROM trace.stats_volume_by_product ORDER BY 1, 2, 3$$,
    $$SELECT product_id, uscc::text, kind, sum(quantity) FROM volumes GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
    'stats_volume_by_product');
SELECT results_eq($$SELECT category, kind, quantity, units FROM trace.stats_volume_by_category ORDER BY 1, 2$$,
    $$SELECT category, kind, sum(quantity), count(DISTINCT uscc) FROM volumes GROUP BY 1, 2 ORDER BY 1, 2$$,
    'stats_volume_by_category: quantity and units per category and kind');
SELECT results_eq($$SELECT region_code, province_code, kind, quantity FROM trace.stats_volume_by_region ORDER BY 1, 3$$,
    $$SELECT trace.uscc_info(uscc) ->> 'region_code', left(trace.uscc_info(uscc) ->> 'region_code', 2) || '0000', kind, sum(quantity)
      FROM volumes GROUP BY 1, 2, 3 ORDER BY 1, 3$$,
    'stats_volume_by_region: by the GB/T 2260 code in the USCC, and its province');
SELECT results_eq($$SELECT day, kind, category, province_code, quantity FROM trace.stats_volume_totals ORDER BY 1, 2, 3, 4$$,
    $$SELECT day, kind, category, left(trace.uscc_info(uscc) ->> 'region_code', 2) || '0000', sum(quantity)
      FROM volumes GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4$$,
    'stats_volume_totals: all units together per day, kind, category and province');
SELECT results_eq($$SELECT region_code FROM trace.stats_volume_by_region WHERE kind = 'production' ORDER BY 1$$,
    $$VALUES ('310115'), ('320500'), ('330100')$$, 'the producers'' regions: Shanghai Pudong, Suzhou, Hangzhou');
SELECT is((SELECT quantity FROM trace.stats_volume_by_unit WHERE uscc = '91330100MA2H3K5L19' AND kind = 'production'),
    222::numeric, 'A produced 222 hobs (7 x 20 + 80 + 2)');

-- ---------------------------------------------------------------- flows
SELECT results_eq($$SELECT kind, from_uscc::text, to_uscc::text, sum(records), sum(quantity) FROM trace.stats_flows
                    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST$$,
    $$SELECT kind, CASE WHEN kind = 'seller_purchase' THEN supplier_uscc ELSE uscc END::text,
             CASE WHEN kind = 'seller_purchase' THEN uscc ELSE buyer_uscc END::text, count(*)::numeric, sum(quantity)
      FROM trace.flows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST$$,
    'stats_flows: records and quantities between units, per kind');
SELECT is((SELECT quantity FROM trace.stats_flows WHERE day = '2026-05-20'), 5::numeric,
    'the sale of carton K1 counts the five hobs inside');

-- ---------------------------------------------------------------- completeness, coverage, retention
\set what 'the statistics data set'
\ir fixtures/completeness_eq.psql
SELECT results_eq($$SELECT uscc::text, product_id, items, items_with_report, items_with_stored_report, reports FROM trace.stats_inspection_coverage ORDER BY 1, 2$$,
    $$SELECT i.uscc::text, i.product_id, count(*), count(d.id), count(d.id) FILTER (WHERE d.stored), count(DISTINCT d.id)
      FROM trace.item_record i
      LEFT JOIN trace.document_record d ON d.id = i.inspection_report AND NOT d.voided
      WHERE i.supersedes IS NULL AND NOT i.voided
        AND NOT EXISTS (SELECT 1 FROM trace.item_record n WHERE n.supersedes = i.id)
      GROUP BY 1, 2 ORDER BY 1, 2$$,
    'stats_inspection_coverage: items, items with a current report, stored reports');
SELECT is((SELECT items_with_stored_report FROM trace.stats_inspection_coverage WHERE category = 'e-bike'), 0::bigint,
    'C''s report is referenced by URI, not stored');
SELECT results_eq($$SELECT kind, uscc::text, records, expired, due_90_days, kept FROM trace.stats_retention ORDER BY 1, 2$$,
    $$SELECT kind, uscc::text, count(*), count(*) FILTER (WHERE retain_until < '2026-07-01'),
             count(*) FILTER (WHERE retain_until >= '2026-07-01' AND retain_until < '2026-09-29'),
             count(*) FILTER (WHERE retain_until >= '2026-09-29')
      FROM trace.retention GROUP BY 1, 2 ORDER BY 1, 2$$,
    'stats_retention: expired, due within 90 days and kept, at the reference day');
SELECT results_eq($$SELECT expired, due_90_days FROM trace.stats_retention WHERE kind = 'item' AND uscc = '91320500MA1MXB0K23'$$,
    $$VALUES (1::bigint, 10::bigint)$$, 'B: the 2024 cable is past retention, the ten gauges are due within 90 days');

-- ---------------------------------------------------------------- ledger health
SELECT is((SELECT sum(pending_rows) FROM trace.stats_ledger), (trace.status() -> 'ledger' ->> 'pending_rows')::numeric,
    'stats_ledger: pending rows agree with trace.status()');
SELECT is((SELECT sealed_rows + pending_rows FROM trace.stats_ledger WHERE table_name = 'trace.item_record'::regclass),
    (SELECT count(*) FROM trace.item_record)::numeric, 'item ledger: sealed + pending rows = rows of the table');
SELECT ok(trace.seal() > 0, 'seal the ledgers');
SELECT results_eq($$SELECT sum(pending_rows)::bigint, max(seal_lag) FROM trace.stats_ledger$$,
    $$VALUES (0::bigint, interval '0')$$, 'after sealing: nothing pending, no seal lag');
SELECT is((SELECT last_block_no FROM trace.stats_ledger WHERE table_name = 'trace.item_record'::regclass),
    (SELECT max(block_no) FROM trace.ledger_blocks WHERE ledger = 'trace.item_record'), 'last sealed block of the item ledger');

-- ---------------------------------------------------------------- anomalies: exactly the planted ones
SELECT results_eq($$SELECT uscc::text, trace_code::text, last_sale_day, sold, commissioned, purchased
                    FROM trace.anomaly_quantity_mismatch ORDER BY 1$$,
    $$VALUES ('91440300MA5FQ7W81X', '(01)06901234567892(21)A0504-1'::trace.code::text, '2026-06-03'::date, 2::bigint, 0::bigint, 1::bigint),
             ('92110105MA01ABC2DR', '(01)06901234567892(21)A0622-1'::trace.code::text, '2026-06-26'::date, 1::bigint, 0::bigint, 0::bigint)$$,
    'anomaly_quantity_mismatch: D sold a hob twice, R sold a hob it never bought');
SELECT results_eq($$SELECT uscc::text, trace_code::text, sale_day, reason, warranty_end, life_end FROM trace.anomaly_sale_after_expiry ORDER BY 2$$,
    $$VALUES ('91310115MA1K4PQ6XG', '(01)06901234567915(21)E001'::trace.code::text, '2025-06-01'::date, 'warranty_ended', '2025-03-01'::date, '2026-03-01'::date),
             ('91310115MA1K4PQ6XG', '(01)06901234567915(21)E002'::trace.code::text, '2026-04-01'::date, 'expired', '2025-03-01'::date, '2026-03-01'::date)$$,
    'anomaly_sale_after_expiry: E001 after its warranty, E002 after its service life');
SELECT results_eq($$SELECT uscc::text, role, missing_fields FROM trace.anomaly_missing_fields$$,
    $$VALUES ('91320500MA1MXB0K23', 'producer', '[{"field": "production_licence_no", "records": 10}]'::jsonb)$$,
    'anomaly_missing_fields: only B, whose gauges lack the licence number their category now requires');
SELECT results_eq($$SELECT scope, subject, week, volume_kind, volume, baseline, direction FROM trace.anomaly_trend_change ORDER BY 3, 1, 2$$,
    $$VALUES ('category', 'gas-hob', '2026-06-01'::date, 'production', 80::numeric, 20::numeric, 'rise'),
             ('unit', '91330100MA2H3K5L19', '2026-06-01'::date, 'production', 80::numeric, 20::numeric, 'rise'),
             ('category', 'wire-cable', '2026-06-15'::date, 'production', 2::numeric, 12::numeric, 'drop'),
             ('unit', '91320500MA1MXB0K23', '2026-06-15'::date, 'production', 2::numeric, 12::numeric, 'drop')$$,
    'anomaly_trend_change: A''s spike and B''s drop, for the unit and its category; the current week is not judged');

SELECT results_eq($$SELECT uscc::text, subject, last_scan_day, scans, forged, flags FROM trace.anomaly_counterfeit ORDER BY 2$$,
    $$VALUES ('91330100MA2H3K5L19', '(01)06901234567892(21)A0511-2', '2026-06-22'::date, 1::bigint, 1::bigint, '["wrong_verification_element"]'::jsonb),
             ('91330100MA2H3K5L19', '(01)06901234567892(21)FAKE1', '2026-06-23'::date, 1::bigint, 0::bigint, '["not_commissioned"]'::jsonb),
             ('91320500MA1MXB0K23', '(01)06901234567908(21)B260504-3', '2026-06-24'::date, 1::bigint, 0::bigint, '["far_apart"]'::jsonb)$$,
    'anomaly_counterfeit: the forged label, the invented code (charged to the GTIN''s producer), the far-apart scans');

-- ---------------------------------------------------------------- scans
SELECT results_eq($$SELECT day, uscc::text, outcome, scans, flagged FROM trace.stats_scans ORDER BY 1, 2, 3$$,
    $$SELECT ((s.scan_time AT TIME ZONE 'UTC') + interval '8 hours')::date, coalesce(i.uscc, p.uscc)::text, s.status,
             count(*), count(*) FILTER (WHERE s.flags <> '[]')
      FROM trace.label_scan s
      LEFT JOIN trace.items i ON i.trace_code = s.code
      LEFT JOIN trace.products p ON i.trace_code IS NULL AND p.gtin = trace.gtin(s.code)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
    'stats_scans: outcomes and flagged scans per day and unit');

-- ---------------------------------------------------------------- who sees what
CREATE ROLE stats_test_op_a;
CREATE ROLE stats_test_regulator;
GRANT trace_operator TO stats_test_op_a;
GRANT trace_regulator TO stats_test_regulator;
CREATE ROLE stats_test_op_none;
GRANT trace_operator TO stats_test_op_none;
-- row-level security (issue 5): the operator is bound to unit A
SELECT lives_ok($$SELECT trace.bind_operator('stats_test_op_a', '91330100MA2H3K5L19')$$, 'bind an operator to unit A');

SET LOCAL ROLE stats_test_op_a;
SELECT results_eq($$SELECT DISTINCT uscc::text FROM trace.stats_volume_daily$$, $$VALUES ('91330100MA2H3K5L19')$$,
    'an operator sees the volumes of its own unit only');
SELECT results_eq($$SELECT kind, subject FROM trace.stats_anomalies ORDER BY 1, 2$$,
    $$VALUES ('counterfeit', '(01)06901234567892(21)A0511-2'), ('counterfeit', '(01)06901234567892(21)FAKE1'),
             ('trend_change', '91330100MA2H3K5L19')$$, 'an operator sees its own unit''s anomalies only');
SELECT results_eq($$SELECT DISTINCT uscc::text FROM trace.stats_scans$$, $$VALUES ('91330100MA2H3K5L19')$$,
    'an operator sees the scans of its own products only');
SELECT is((SELECT count(*) FROM trace.stats_flows
           WHERE '91330100MA2H3K5L19' NOT IN (coalesce(from_uscc::text, ''), coalesce(to_uscc::text, ''))), 0::bigint,
    'an operator sees only flows in which its unit is a party');
SELECT is((SELECT count(*) FROM trace.stats_flows), 4::bigint, '... and all four of them');
SELECT is((SELECT count(*) FROM trace.stats_volume_totals), 0::bigint, 'totals over all units are not for operators');
SELECT throws_ok('SELECT * FROM trace._stats_volume_mv', '42501', NULL, 'the materialised relations are closed to operators');
SELECT throws_ok('SELECT * FROM trace.stats_ledger', '42501', NULL, 'ledger health is for regulators and admins');
SELECT throws_ok('SELECT trace.stats_refresh()', '42501', NULL, 'an operator cannot refresh');
RESET ROLE;

SET LOCAL ROLE stats_test_op_none;
SELECT is((SELECT count(*) FROM trace.stats_volume_daily) + (SELECT count(*) FROM trace.stats_anomalies)
          + (SELECT count(*) FROM trace.stats_flows) + (SELECT count(*) FROM trace.stats_completeness)
          + (SELECT count(*) FROM trace.stats_scans), 0::bigint,
    'an operator bound to no unit sees no statistics');
RESET ROLE;

SET LOCAL ROLE stats_test_regulator;
SELECT is((SELECT count(*) FROM trace.stats_anomalies), 12::bigint, 'a regulator sees every anomaly');
SELECT ok((SELECT count(*) FROM trace.stats_ledger) = (SELECT count(*) FROM trace.ledger_tables)
          AND (SELECT count(*) FROM trace.stats_ledger) >= 8, 'a regulator reads ledger health of every ledger');
RESET ROLE;

-- ---------------------------------------------------------------- report
SELECT matches(trace.report('2026-05-01', '2026-06-30'),
    'id="kpi-production">' || (SELECT count(*) FROM trace.items WHERE production_date BETWEEN '2026-05-01' AND '2026-06-30') || '<',
    'report: produced in the period, as counted from the items');
SELECT matches(trace.report('2026-05-01', '2026-06-30', 'en'),
    'id="kpi-sales">' || (SELECT sum(quantity) FROM trace.flows
                          WHERE kind IN ('producer_sale', 'seller_sale')
                            AND ((event_time AT TIME ZONE 'UTC') + interval '8 hours')::date BETWEEN '2026-05-01' AND '2026-06-30') || '<',
    'report: sold in the period, as counted from the flows');
SELECT is((SELECT count(*)::int FROM regexp_matches(trace.report('2026-05-01', '2026-06-30'), '<svg id="chart-', 'g')), 4,
    'report: four charts');
SELECT is(trace.report('2026-05-01', '2026-06-30', 'zh'), trace.report('2026-05-01', '2026-06-30', 'zh'),
    'report: the same dates give the same page');
CREATE TEMP TABLE page ON COMMIT DROP AS SELECT trace.report('2024-01-01', '2026-06-30', 'zh') AS html;
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL TimeZone = 'America/Los_Angeles';
SET LOCAL lc_numeric = 'C';
SELECT is(trace.report('2024-01-01', '2026-06-30', 'zh'), (SELECT html FROM page),
    'report: the same page under another DateStyle and TimeZone');
RESET DateStyle;
RESET TimeZone;
SELECT doesnt_match(trace.report('2026-05-01', '2026-06-30'), '(<script|src=|href=|@import|url\()',
    'report: no script and nothing fetched from anywhere');

SELECT * FROM finish();
ROLLBACK;
