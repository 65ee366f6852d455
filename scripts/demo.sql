-- pgtrace demo: a gas-appliance factory marks, scans, packs and labels its hobs,
-- and signs what it hands to a regulator. Run by `make demo`.
\set ECHO none
\pset footer off
\echo
\echo '== 1. Install the extension and ask which guarantees hold =='
CREATE EXTENSION pgtrace;
SET search_path = public, trace;
SELECT jsonb_pretty(trace.status()) AS status;

\echo
\echo '== 2. Who makes it: the factory''s Unified Social Credit Code (GB 32100) =='
SELECT '91350100M000100Y43'::uscc AS factory_uscc,
       uscc_info('91350100M000100Y43') ->> 'region_code' AS region;
SELECT validate('uscc', '91350100M000100Y44') AS mistyped_uscc;

\echo
\echo '== 3. What it makes: one GTIN for the model, a serial per hob = the trace code =='
CREATE TABLE demo_units (code trace.code PRIMARY KEY, lot text, produced date);
INSERT INTO demo_units
SELECT code('6901234567892'::gtin, 'HOB' || lpad(i::text, 6, '0')), 'L2026-11', DATE '2026-11-20'
  FROM generate_series(1, 1000) i;
SELECT count(*) AS hobs_commissioned, min(code) AS first_code FROM demo_units;

\echo
\echo '== 4. The packing line scans DataMatrix labels: raw scanner strings, GS separators =='
SELECT s AS raw_scan, (p ->> 'code') AS trace_code, p -> 'attributes' AS attributes
  FROM (SELECT s, parse_scan(s, DATE '2026-11-26') AS p
          FROM (VALUES (']d2010690123456789210L2026-11' || E'\x1d' || '11261120' || '21HOB000042'),
                       (']Q3010690123456789221HOB000043' || E'\x1d' || '10L2026-11')) v(s)) x;
-- every form of one unit finds the same row
SELECT u.code, u.lot
  FROM demo_units u
 WHERE u.code = (']d2010690123456789210L2026-11' || E'\x1d' || '21HOB000042')::code
    OR u.code = 'https://id.gs1.org/01/6901234567892/21/HOB000043'::code
 ORDER BY u.code;
-- a smudged label is refused with a reason, and nothing is written
SELECT s AS bad_scan, validate('code', s) AS why
  FROM (VALUES ('(01)06901234567893(21)HOB000044'),
               ('(01)06901234567892(17)261131(21)HOB000045'),
               ('6901234567892')) v(s);

\echo
\echo '== 5. Ten hobs go into a carton with an SSCC (transport package code) =='
CREATE TABLE demo_packs (sscc trace.sscc, code trace.code);
INSERT INTO demo_packs SELECT '069012340000000016', code FROM demo_units ORDER BY code LIMIT 10;
SELECT sscc, sscc::code AS package_code, count(*) AS units FROM demo_packs GROUP BY sscc;

\echo
\echo '== 6. The label: a GS1 Digital Link on the factory''s own domain =='
SELECT digital_link(code, 'https://trace.example-gas.cn') AS label_uri
  FROM demo_units ORDER BY code LIMIT 2;

\echo
\echo '== 7. A signed statement for the regulator (Ed25519 JWS over RFC 8785 canonical JSON) =='
SELECT canonical_json(jsonb_build_object('units', count(*), 'gtin', '06901234567892', 'lot', 'L2026-11'))
       AS canonical_payload
  FROM demo_units;
CREATE TEMP TABLE demo_statement AS
SELECT sign(jsonb_build_object('units', count(*), 'gtin', '06901234567892', 'lot', 'L2026-11')) AS jws
  FROM demo_units;
SELECT left(jws, 60) || '…' AS jws FROM demo_statement;
SELECT jws_verify(jws) AS verified_payload FROM demo_statement;
SELECT public_jwk() -> 'keys' -> 0 ->> 'kty' AS key_type, public_jwk() -> 'keys' -> 0 ->> 'crv' AS curve;
