-- trace.code: every form of clause 6.1.4 is accepted and normalised to the
-- identifying key, so every scan of one item is equal; every malformed form
-- is listed with the SQLSTATE and message it raises.
SET search_path = trace, public;
\pset null '(null)'

CREATE FUNCTION pg_temp.try(v text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    r := v::trace.code::text;
    RETURN r;
EXCEPTION WHEN others THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- One unit (GTIN 06901234567892, serial AB-12/x) in every GS1 form: all equal.
CREATE TEMP TABLE unit_forms (form text, scan text);
INSERT INTO unit_forms VALUES
    ('bracketed',            '(01)06901234567892(21)AB-12/x'),
    ('bracketed + lot/exp',  '(01)06901234567892(10)L2026(17)261231(21)AB-12/x'),
    ('13 digits in (01)',    '(01)6901234567892(21)AB-12/x'),
    ('FNC1 ^',               '^010690123456789221AB-12/x'),
    ('FNC1 ^, lot first',    '^0106901234567892' || '10L2026^21AB-12/x'),
    (']d2 DataMatrix',       ']d2010690123456789210L2026' || E'\x1d' || '21AB-12/x'),
    (']Q3 QR, trailing GS',  ']Q30106901234567892' || '21AB-12/x' || E'\x1d'),
    (']C1 GS1-128',          ']C1010690123456789217261231' || '21AB-12/x'),
    (']e0 DataBar',          ']e00106901234567892' || '21AB-12/x'),
    ('no identifier, GS',    '0106901234567892' || '10L2026' || E'\x1d' || '21AB-12/x'),
    ('Digital Link',         'https://id.gs1.org/01/06901234567892/21/AB-12%2Fx'),
    ('DL, GTIN-13, lot',     'https://id.gs1.org/01/6901234567892/10/L2026/21/AB-12%2Fx'),
    ('DL, custom domain',    'https://trace.example.cn/p/01/06901234567892/21/AB-12%2Fx?17=261231'),
    ('DL upper-case scheme', 'HTTPS://id.gs1.org/01/06901234567892/21/AB-12%2Fx'),
    (']Q1 + Digital Link',   ']Q1https://id.gs1.org/01/06901234567892/21/AB-12%2Fx'),
    ('blanks around',        '  (01)06901234567892(21)AB-12/x  ');
SELECT form, pg_temp.try(scan) FROM unit_forms;
SELECT count(DISTINCT scan::trace.code) AS distinct_codes, count(*) AS forms FROM unit_forms
    WHERE form <> '13 digits in (01)';

-- Packages, assets and other GS1 keys of one thing
SELECT v, pg_temp.try(v) FROM (VALUES
    ('(00)106141411234567897'),
    ('106141411234567897'),
    (']C100106141411234567897'),
    ('https://id.gs1.org/00/106141411234567897'),
    ('(8004)0614141ASSET-0001'),
    ('(8003)00614141000418SN77'),
    ('(8006)106141410004150203(21)X1'),
    ('(8010)0614141XYZ(8011)123'),
    ('(01)06901234567892(235)TPX-1'),
    ('https://id.gs1.org/01/06901234567892/21/A%28B'),   -- '(' in a serial: printed escaped
    ('(01)06901234567892(21)A\(B')
) t(v);

-- Other identifier schemes (clause 6.1.4)
SELECT v, pg_temp.try(v), scheme(v::trace.code) FROM (VALUES
    ('88.118.8/ABC123'),
    ('hdl:88.118.8/ABC123'),
    ('https://hdl.handle.net/88.118.8/ABC123'),
    (']Q188.118.8/ABC123'),
    ('1.2.156.3001.1.7'),
    ('urn:oid:1.2.156.3001.1.7'),
    ('OID:2.16.156.1'),
    ('ecode:10012345678901234'),
    ('urn:epc:id:sgtin:0614141.812345.6789'),
    ('HTTPS://Example.COM/item/42'),
    ('mailto:trace@example.cn')
) t(v);
SELECT '88.118.8/ABC123'::trace.code = 'https://hdl.handle.net/88.118.8/ABC123'::trace.code AS handle_forms_equal,
       '1.2.156.3001.1.7'::trace.code = 'urn:oid:1.2.156.3001.1.7'::trace.code AS oid_forms_equal;

-- Malformed forms, one per line
SELECT v, pg_temp.try(v) FROM (VALUES
    (''),                                               -- empty
    ('6901234567892'),                                  -- a GTIN alone is a product, not a unit
    ('(01)06901234567892'),                             -- same, bracketed
    ('(01)06901234567892(10)L2026(17)261231'),          -- lot and expiry are not a serial
    ('https://id.gs1.org/01/06901234567892'),           -- Digital Link without serial
    ('(01)06901234567893(21)AB'),                       -- wrong GTIN check digit
    ('(00)106141411234567898'),                         -- wrong SSCC check digit
    ('106141411234567898'),                             -- bare SSCC, wrong check digit
    ('(01)06901234567892(21)AB#1'),                     -- '#' is not in CSET 82
    ('(01)06901234567892(21)ABCDEFGHIJKLMNOPQRSTU'),    -- serial longer than 20
    ('(01)06901234567892(21)'),                         -- empty serial
    ('(01)06901234567892(17)260231(21)AB'),             -- 31 February
    ('(01)06901234567892(02)06901234567892(21)AB'),     -- 01 and 02 exclude each other
    ('(21)AB'),                                         -- serial without GTIN
    ('(89)123'),                                        -- unknown AI
    ('(01)0690123456789'),                              -- GTIN one digit short
    ('https://id.gs1.org/01/06901234567892/21/AB/10/L1'), -- qualifiers out of order
    ('https://id.gs1.org/01/06901234567892/21/AB?21=AB'), -- path qualifier repeated in query
    ('Https://id.gs1.org/01/06901234567892/21/AB'),     -- mixed-case scheme
    ('12345'),                                          -- digits that are no GS1 key
    ('1.2.156.03'),                                     -- OID arc with leading zero
    ('3.1.2'),                                          -- OID first arc above 2
    ('1'),                                              -- one arc
    ('1.2.'),                                           -- trailing dot
    ('88.118.8/'),                                      -- Handle without suffix
    ('/ABC'),                                           -- Handle without prefix
    ('88..8/ABC'),                                      -- empty prefix segment
    ('88.118.8/AB C'),                                  -- blank inside a Handle
    ('ecode:9001234567'),                               -- Ecode version 9
    ('ecode:1001'),                                     -- Ecode too short
    ('ecode:10012345678901abc'),                        -- Ecode lower case
    ('https://example.cn/a b'),                         -- blank in a URI
    ('https://example.cn/%zz'),                         -- bad percent escape
    ('https://example.cn/产品'),                         -- non-ASCII in a URI
    ('urn:'),                                           -- nothing after the scheme
    ('hello world'),                                    -- nothing recognisable
    (']X9foo')                                          -- unknown symbology identifier
) t(v);

-- Functions on codes
SELECT c::text, scheme(c), gtin(c), serial(c), digital_link(c),
       digital_link(c, 'https://trace.example.cn/p/') AS custom_domain
FROM (VALUES ('(01)06901234567892(21)AB-12/x'::trace.code),
             ('(00)106141411234567897'),
             ('(8004)0614141ASSET-0001'),
             ('88.118.8/ABC123')) t(c);
SELECT code('6901234567892'::gtin, 'AB-12/x') = '(01)06901234567892(21)AB-12/x'::trace.code AS constructed;
DO $$ BEGIN PERFORM trace.code('6901234567892'::trace.gtin, 'AB#'); EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;
DO $$ BEGIN PERFORM trace.code('6901234567892'::trace.gtin, 'AB^10LOT'); EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;
SELECT '106141411234567897'::sscc::trace.code AS sscc_as_code,
       '(00)106141411234567897'::trace.code::sscc AS code_as_sscc,
       '(01)06901234567892(21)AB'::trace.code::gtin AS code_as_gtin;
DO $$ BEGIN PERFORM '88.118.8/ABC123'::trace.code::trace.gtin; EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;
DO $$ BEGIN PERFORM '(01)06901234567892(21)AB'::trace.code::trace.sscc; EXCEPTION WHEN others THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;
SELECT digital_link('(01)06901234567892(21)AB'::trace.code, 'ftp://x');

-- validate('code', …) returns exactly the input error
SELECT validate('code', '(01)06901234567892(21)AB') AS valid,
       validate('code', '(01)06901234567893(21)AB') AS invalid,
       validate('code', '(01)06901234567893(21)AB') = substr(pg_temp.try('(01)06901234567893(21)AB'), 8) AS same_message;

-- parse_scan: everything in the scan, problems listed, dates with a fixed reference date
SELECT jsonb_pretty(parse_scan(']d20106901234567892' || '1726023110L2026' || E'\x1d' || '21AB', '2026-01-01'));
SELECT jsonb_pretty(parse_scan('(01)06901234567892(17)250100(10)L1', '2026-01-01'));
SELECT jsonb_pretty(parse_scan('88.118.8/ABC123', '2026-01-01'));
SELECT parse_scan(']d2010690123456789221AB' || E'\x1d' || '10L7' || E'\x1d' || '11260115', '2026-01-01') -> 'attributes' AS attributes;
SELECT parse_scan('6901234567892', '2026-01-01') ->> 'code_error' AS product_scan;
SELECT parse_scan('(01)06901234567892(21)AB', '2026-01-01') -> 'valid' AS valid,
       parse_scan('(01)06901234567892(11)991231(21)AB', '2026-06-30') #>> '{ais,1,date}' AS prod_1999,
       parse_scan('(01)06901234567892(17)751231(21)AB', '2026-06-30') #>> '{ais,1,date}' AS exp_2075,
       parse_scan('(01)06901234567892(17)770101(21)AB', '2026-06-30') #>> '{ais,1,date}' AS exp_1977,
       parse_scan('(01)06901234567892(17)280200(21)AB', '2026-06-30') #>> '{ais,1,date}' AS day00_leap;
