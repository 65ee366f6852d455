-- Statistics and report (issue 8): argument errors of trace.report, the
-- helpers behind the charts, and the views on an empty registry.
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
SET search_path = public;
-- report arguments: one case per line
SELECT trace.report(NULL, '2026-06-30');
SELECT trace.report('2026-06-30', NULL);
SELECT trace.report('2026-07-01', '2026-06-30');
SELECT trace.report('2010-01-01', '2026-06-30');
SELECT trace.report('2026-06-01', '2026-06-30', 'fr');
SELECT trace.report('2026-06-01', '2026-06-30', NULL);
-- axis bounds: 1, 2 or 5 times a power of ten
SELECT m, trace._stats_axis_max(m) FROM (VALUES (NULL::numeric), (0), (0.3), (1), (7), (12), (80), (100), (101), (2500), (99999)) v(m);
-- HTML escaping and numbers without locale
SELECT trace._stats_html('<a href="x">Tom & Jerry''s</a>');
SELECT trace._stats_num(n), trace._stats_pct(n) FROM (VALUES (NULL::numeric), (0), (12), (0.8571), (1234567.891)) v(n);
-- China day of a time, whatever the session time zone
SET TimeZone = 'America/Los_Angeles';
SELECT trace._stats_day('2026-06-30 16:30:00+00'), trace._stats_day('2026-06-30 15:59:59+00');
RESET TimeZone;
-- refresh (whatever other suites left in this database): what it reports
SET pgtrace.reference_time = '2026-06-30 16:30:00+00';
SELECT k FROM jsonb_object_keys(trace.stats_refresh()) k ORDER BY k;
SELECT to_char(reference_date, 'YYYY-MM-DD') AS reference_day_in_china FROM trace.stats_refreshed;
RESET pgtrace.reference_time;
-- a period without data: the four charts are still drawn, the indicators are zero
SELECT (SELECT count(*) FROM regexp_matches(trace.report('1990-06-01', '1990-06-30', 'en'), '<svg id="chart-', 'g')) AS charts,
       trace.report('1990-06-01', '1990-06-30', 'en') ~ 'id="kpi-production">0<' AS zero_production,
       trace.report('1990-06-01', '1990-06-30', 'zh') ~ '<html lang="zh-CN">' AS chinese;
SELECT trace.status() -> 'stats' ? 'last_refresh' AS status_reports_refresh;
