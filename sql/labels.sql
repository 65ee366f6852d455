-- Labels: QR codes (SVG, PNG), random serials, labels with a signed
-- verification element, verify-on-scan. The signature's iat and jti differ on
-- every run, so only their shape is printed; scan times come from the context.
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
\set SHOW_CONTEXT never
\getenv abs_srcdir PG_ABS_SRCDIR
SELECT :'abs_srcdir' || '/test/data/keys/rfc8037_ed25519.pem' AS rfc_key,
       :'abs_srcdir' || '/test/data/keys/second_ed25519.pem' AS second_key,
       :'abs_srcdir' || '/test/data/keys/rotation.pem' AS rotation_key \gset

-- ---------------------------------------------------------------- QR codes
-- a whole SVG, pinned: version 1 at level M, one module per unit, no quiet zone
SELECT trace.qr_svg('HELLO', 'M', 1, 0);
-- defaults: level M, 4 px per module, quiet zone of 4 modules
SELECT pg_catalog.substr(trace.qr_svg('HELLO'), 1, 140);
SELECT pg_catalog.length(trace.qr_svg('https://id.gs1.org/01/06901234567892/21/ABC123', 'H', 10, 4)) > 1000;
-- PNG: signature, IHDR with width and height (21 + 2*4) * 4 = 116, bit depth 1, greyscale
SELECT pg_catalog.substr(trace.qr_png('HELLO'), 1, 29);
SELECT pg_catalog.length(trace.qr_png('HELLO'));
SELECT pg_catalog.substr(trace.qr_png('HELLO', 'L', 2, 1), 17, 8);
-- the same text gives the same image (IMMUTABLE); levels differ
SELECT trace.qr_png('电线电缆') = trace.qr_png('电线电缆') AS same,
       trace.qr_svg('电线电缆', 'L') <> trace.qr_svg('电线电缆', 'H') AS levels_differ;
-- level names in either case
SELECT trace.qr_svg('x', 'q') = trace.qr_svg('x', 'Q');
-- errors
SELECT trace.qr_svg('HELLO', 'X');
SELECT trace.qr_svg('HELLO', 'MM');
SELECT trace.qr_svg('HELLO', 'M', 0, 4);
SELECT trace.qr_svg('HELLO', 'M', 51, 4);
SELECT trace.qr_png('HELLO', 'M', 4, -1);
SELECT trace.qr_png('HELLO', 'M', 4, 41);
SELECT trace.qr_svg('');
SELECT trace.qr_svg(pg_catalog.repeat('a', 2332));
SELECT trace.qr_png(pg_catalog.repeat('码', 1000), 'H');
SELECT pg_catalog.length(trace.qr_svg(pg_catalog.repeat('a', 2331))) > 0 AS largest_fits;
SELECT trace.qr_svg(NULL) IS NULL AS strict;

-- ---------------------------------------------------------------- serials
SELECT pg_catalog.count(*) AS n,
       pg_catalog.count(DISTINCT serial) AS distinct_serials,
       pg_catalog.bool_and(serial ~ '^[0-9A-Za-z]{12}$') AS alnum_12,
       pg_catalog.bool_and(code::text = '(01)06901234567892(21)' || serial) AS codes,
       pg_catalog.bool_and(trace.serial(code) = serial) AS serial_of_code
FROM trace.new_serials('06901234567892', 1000);
SELECT pg_catalog.bool_and(serial ~ '^[-!"%&''()*+,./0-9:;<=>?A-Z_a-z]{20}$') AS cset82_20,
       pg_catalog.count(DISTINCT serial) AS distinct_serials
FROM trace.new_serials('06901234567892', 500, 20, 'cset82');
-- every character of the alphabet turns up, none more than chance allows (62 x 12000 draws)
SELECT pg_catalog.count(DISTINCT ch) AS characters_seen,
       pg_catalog.max(n) < 400 AND pg_catalog.min(n) > 80 AS roughly_uniform
FROM (SELECT ch, pg_catalog.count(*) AS n
      FROM trace.new_serials('06901234567892', 1000) s,
           pg_catalog.regexp_split_to_table(s.serial, '') AS ch
      GROUP BY ch) c;
-- two calls do not repeat each other
SELECT pg_catalog.count(*) FROM (SELECT serial FROM trace.new_serials('06901234567892', 100)
                                 INTERSECT SELECT serial FROM trace.new_serials('06901234567892', 100)) x;
SELECT * FROM trace.new_serials('06901234567892', 0);
SELECT * FROM trace.new_serials('06901234567892', 1000001);
SELECT * FROM trace.new_serials('06901234567892', 1, 9);
SELECT * FROM trace.new_serials('06901234567892', 1, 21);
SELECT * FROM trace.new_serials('06901234567892', 1, 12, 'base64');
SELECT * FROM trace.new_serials('06901234567893', 1);

-- ---------------------------------------------------------------- labels
-- no signing key: a clear error, nothing recorded
RESET pgtrace.signing_key_file;
SELECT trace.label('(01)06901234567892(21)ABC123');
SELECT pg_catalog.count(*) FROM trace.label_issue;

SET pgtrace.signing_key_file = :'rfc_key';
SELECT trace.label('(01)06901234567892(21)ABC123') AS l \gset
SELECT (:'l'::jsonb) - 'digital_link' - 'verification' - 'qr_svg' AS label;
SELECT (:'l'::jsonb) #>> '{verification,method}' AS method,
       (:'l'::jsonb) #>> '{verification,alg}' AS alg,
       (:'l'::jsonb) #>> '{verification,kid}' AS kid,
       (:'l'::jsonb) ->> 'digital_link' ~
           '^https://id\.gs1\.org/01/06901234567892/21/ABC123\?sig=[1-9][0-9]{9}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{86}$' AS dl_shape,
       (:'l'::jsonb) ->> 'digital_link' = 'https://id.gs1.org/01/06901234567892/21/ABC123?sig=' || ((:'l'::jsonb) #>> '{verification,token}') AS token_in_dl,
       (:'l'::jsonb) ->> 'qr_svg' = trace.qr_svg((:'l'::jsonb) ->> 'digital_link') AS svg_of_dl;
-- the Digital Link with its element is still the same trace code
SELECT ((:'l'::jsonb) ->> 'digital_link')::trace.code;
SELECT pg_catalog.count(*), pg_catalog.min(kid), pg_catalog.min(domain) FROM trace.label_issue;
-- two labels of one code carry different elements
SELECT (trace.label('(01)06901234567892(21)ABC123') #>> '{verification,token}') <>
       ((:'l'::jsonb) #>> '{verification,token}') AS fresh_element;
-- a package (SSCC), on a configured domain, at level Q
SET pgtrace.label_domain = 'https://trace.example.cn/p';
SELECT trace.label('(00)106141411234567897', ecc => 'q') AS p \gset
SELECT (:'p'::jsonb) ->> 'kind' AS kind, (:'p'::jsonb) ->> 'hri' AS hri, (:'p'::jsonb) -> 'qr' AS qr,
       pg_catalog.split_part((:'p'::jsonb) ->> 'digital_link', '?', 1) AS dl;
SELECT trace.label('(01)06901234567892(21)ABC123', 'https://brand.example.com') ->> 'digital_link' ~
       '^https://brand\.example\.com/01/06901234567892/21/ABC123\?sig=' AS domain_argument;
RESET pgtrace.label_domain;
SET pgtrace.label_domain = 'ftp://trace.example.cn';
-- labels only for GS1 codes; bad QR parameters before anything is signed
SELECT trace.label('88.118.8/ABC123');
SELECT trace.label('(01)06901234567892(21)ABC123', ecc => 'Z');
SELECT trace.label('(01)06901234567892(21)ABC123', 'mailto:x');
SELECT pg_catalog.count(*) FROM trace.label_issue;

-- ---------------------------------------------------------------- verify_scan
CREATE FUNCTION pg_temp.scan(s text, ctx jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT pg_catalog.format('%s earlier=%s flags=%s', r ->> 'status', r ->> 'earlier_scans',
        (SELECT COALESCE(pg_catalog.string_agg(f ->> 'flag', ',' ORDER BY f ->> 'flag'), '-')
         FROM pg_catalog.jsonb_array_elements(r -> 'flags') f
         WHERE f ->> 'flag' NOT IN ('never_labelled', 'not_commissioned')))   -- these depend on the registry
    FROM trace.verify_scan(s, ctx) r
$$;
SELECT trace.label('(01)06901234567892(21)SCAN01') ->> 'digital_link' AS dl \gset
-- genuine, in Shanghai; again an hour later in Shanghai; then in Urumqi an hour after that
SELECT pg_temp.scan(:'dl', '{"time": "2026-11-26T08:00:00Z", "lat": 31.23, "lon": 121.47, "place": "Shanghai"}');
SELECT pg_temp.scan(:'dl', '{"time": "2026-11-26T09:00:00+00:00", "lat": 31.30, "lon": 121.50}');
SELECT pg_temp.scan(:'dl', '{"time": "2026-11-26T18:00:00+08:00", "lat": 43.83, "lon": 87.62, "place": "Urumqi"}');
SELECT f ->> 'detail' FROM trace.verify_scan(:'dl', '{"time": "2026-11-26T10:30:00Z", "lat": 43.83, "lon": 87.62}') r,
       pg_catalog.jsonb_array_elements(r -> 'flags') f WHERE f ->> 'flag' = 'far_apart';
-- two days later, far away: outside the window
SELECT pg_temp.scan(:'dl', '{"time": "2026-11-28T12:00:00Z", "lat": 23.13, "lon": 113.26}');
-- the scan as recorded
SELECT code, scan_time AT TIME ZONE 'UTC' AS scan_time_utc, lat, lon, place, status, earlier_scans, ledger_recorded_by
FROM trace.label_scan ORDER BY ledger_seq LIMIT 3;
-- a newer label was printed for the code: the first one is an old print now
SELECT trace.label('(01)06901234567892(21)SCAN01') IS NOT NULL;
SELECT pg_temp.scan(:'dl', '{"time": "2026-11-28T12:05:00Z"}');
-- forged: another serial under the same element, a changed signature, an element from another code
SELECT pg_temp.scan(pg_catalog.replace(:'dl', '/21/SCAN01', '/21/SCAN02'), '{"time": "2026-11-28T12:10:00Z"}');
SELECT pg_temp.scan(overlay(:'dl' placing (CASE WHEN pg_catalog.right(:'dl', 1) = 'A' THEN 'Q' ELSE 'A' END)
                                       from pg_catalog.length(:'dl') - 5 for 1), '{"time": "2026-11-28T12:10:00Z"}');
SELECT pg_temp.scan('https://id.gs1.org/01/06901234567892/21/XYZ999?sig=' || pg_catalog.split_part(:'dl', 'sig=', 2),
                    '{"time": "2026-11-28T12:10:00Z"}');
SELECT pg_temp.scan(pg_catalog.split_part(:'dl', '?', 1) || '?sig=123.abc.def', '{"time": "2026-11-28T12:10:00Z"}');
SELECT pg_temp.scan(pg_catalog.split_part(:'dl', '?', 1) || '?sig=', '{"time": "2026-11-28T12:10:00Z"}');
-- made with another key (not configured for verification): forged
SET pgtrace.signing_key_file = :'second_key';
SELECT trace.label('(01)06901234567892(21)OTHERKEY1') ->> 'digital_link' AS other_dl \gset
SET pgtrace.signing_key_file = :'rfc_key';
SELECT pg_temp.scan(:'other_dl', '{"time": "2026-11-28T12:20:00Z"}');
-- after rotation, labels of the old key still verify
SET pgtrace.signing_key_file = :'rotation_key';
SELECT pg_temp.scan(:'other_dl', '{"time": "2026-11-28T12:21:00Z"}');
SET pgtrace.signing_key_file = :'rfc_key';
-- a valid signature that this database never recorded (the label's transaction rolled back)
BEGIN;
SELECT trace.label('(01)06901234567892(21)ROLLEDBACK') ->> 'digital_link' AS lost_dl \gset
ROLLBACK;
SELECT pg_temp.scan(:'lost_dl', '{"time": "2026-11-28T12:30:00Z"}');
-- no element: unknown
SELECT pg_temp.scan('(01)06901234567892(21)SCAN01', '{"time": "2026-11-28T12:40:00Z"}');
SELECT pg_temp.scan(']d2010690123456789221SCAN01', '{"time": "2026-11-28T12:41:00Z"}');
-- not a trace code at all: unknown, recorded
SELECT r ->> 'status', r ->> 'code', r -> 'flags' FROM trace.verify_scan('hello world', '{"time": "2026-11-28T12:50:00Z"}') r;
SELECT r ->> 'status', r -> 'flags' -> 0 ->> 'flag' FROM trace.verify_scan('(01)06901234567892', '{"time": "2026-11-28T12:50:00Z"}') r;
-- a burst of scans of sequential serials (threshold 5 within 600 s)
SELECT s, pg_temp.scan('(01)06901234567892(21)SN' || pg_catalog.lpad(s::text, 4, '0'),
                       pg_catalog.jsonb_build_object('time', pg_catalog.format('2026-11-28T13:00:%sZ', pg_catalog.lpad((s * 7)::text, 2, '0'))))
FROM pg_catalog.generate_series(1, 6) s;
-- far apart serials, or outside the window, are no burst
SELECT pg_temp.scan('(01)06901234567892(21)SN9000', '{"time": "2026-11-28T13:01:00Z"}');
SELECT pg_temp.scan('(01)06901234567892(21)SN0007', '{"time": "2026-11-28T14:00:00Z"}');
-- SSCCs in sequence (the check digit found by trace.validate)
SELECT s, pg_temp.scan((SELECT '(00)' || v FROM pg_catalog.generate_series(0, 9) d,
                               LATERAL (SELECT '1061414112345678' || s || d AS v) x
                        WHERE trace.validate('sscc', v) IS NULL),
                       '{"time": "2026-11-28T15:00:00Z"}')
FROM pg_catalog.generate_series(0, 5) s;
-- context errors: nothing recorded
SELECT pg_catalog.count(*) AS scans_before FROM trace.label_scan \gset
SELECT trace.verify_scan(:'dl', '{"time": "2026-11-28T12:00:00"}');
SELECT trace.verify_scan(:'dl', '{"time": "yesterday"}');
SELECT trace.verify_scan(:'dl', '{"time": "2026-02-30T12:00:00Z"}');
SELECT trace.verify_scan(:'dl', '{"time": 1764115200}');
SELECT trace.verify_scan(:'dl', '{"lat": 91, "lon": 0}');
SELECT trace.verify_scan(:'dl', '{"lat": "31.2", "lon": 121.5}');
SELECT trace.verify_scan(:'dl', '{"lat": 31.2}');
SELECT trace.verify_scan(:'dl', '[]');
SELECT trace.verify_scan(NULL, '{}');
SELECT pg_catalog.count(*) = :scans_before AS nothing_recorded FROM trace.label_scan;
-- the scan log is a ledger table: append-only, and it verifies
UPDATE trace.label_scan SET status = 'genuine';
DELETE FROM trace.label_issue;
SELECT (trace.ledger_verify('trace.label_scan') ->> 'ok')::boolean AS scans_verify,
       (trace.ledger_verify('trace.label_issue') ->> 'ok')::boolean AS labels_verify;
SELECT (trace.status() -> 'labels') - 'registry_checks' - 'lookup' AS status;
RESET pgtrace.label_domain;
RESET pgtrace.signing_key_file;
