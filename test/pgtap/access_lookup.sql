-- trace.lookup (issue 5, deliverable 1): exactly the Table 3 public fields.
-- The expected key sets are generated from the field catalogue
-- (trace.field_catalog, from data/fields.csv), never typed here.
BEGIN;
SELECT plan(36);
\ir fixtures/access_scenario.psql

-- public fields of one part, from the catalogue (c always, d by flag)
CREATE TEMP TABLE expect_keys ON COMMIT DROP AS
SELECT p.part, p.flags, coalesce(pg_catalog.array_agg(f.field ORDER BY f.field), '{}') AS keys
FROM (VALUES ('producer', 'producer', 'basic', '{ccc,warranty,manual}'::text[]),
             ('product', 'producer', 'product', '{ccc,warranty,manual}'),
             ('seller', 'seller', 'basic', '{ccc,warranty,manual}'),
             ('cable_product', 'producer', 'product', '{licence,ccc,manual}')) p(part, tbl, grp, flags)
JOIN trace.field_catalog f ON f.table_name = p.tbl AND f.field_group = p.grp
     AND (f.public = 'c' OR (f.public = 'd' AND f.category_flag = ANY (p.flags)))
GROUP BY p.part, p.flags;
CREATE TEMP TABLE private_names ON COMMIT DROP AS
SELECT DISTINCT f.field FROM trace.field_catalog f WHERE f.public = 'n'
EXCEPT SELECT f.field FROM trace.field_catalog f WHERE f.public <> 'n';
CREATE TEMP TABLE got ON COMMIT DROP AS
SELECT 'H0001' AS k, trace.lookup('(01)06901234567892(21)H0001') AS j
UNION ALL SELECT 'C0001', trace.lookup('(01)06901234567939(21)C0001')
UNION ALL SELECT 'H0005', trace.lookup('(01)06901234567892(21)H0005')
UNION ALL SELECT 'H0002', trace.lookup('(01)06901234567892(21)H0002');
-- every key at any depth of every answer
CREATE TEMP TABLE all_keys ON COMMIT DROP AS
WITH RECURSIVE walk(k, v) AS (
    SELECT got.k, got.j FROM got
    UNION ALL
    SELECT w.k, e.value FROM walk w, pg_catalog.jsonb_each(w.v) e WHERE pg_catalog.jsonb_typeof(w.v) = 'object')
SELECT w.k, e.key FROM walk w, pg_catalog.jsonb_object_keys(w.v) e(key) WHERE pg_catalog.jsonb_typeof(w.v) = 'object';

SELECT ok((SELECT count(*) FROM expect_keys WHERE part = 'product') = 1
          AND (SELECT pg_catalog.cardinality(keys) FROM expect_keys WHERE part = 'product') >= 10,
    'the catalogue yields the public product fields');
SELECT is((SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys((SELECT j FROM got WHERE k = 'H0001')) k),
    '{producer,product,seller}', 'a lookup answers with producer, product and seller, nothing else at the top');
SELECT is((SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys((SELECT j -> 'producer' FROM got WHERE k = 'H0001')) k),
    (SELECT keys FROM expect_keys WHERE part = 'producer'), 'producer keys = Table 1 basic public fields of the catalogue');
SELECT is((SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys((SELECT j -> 'product' FROM got WHERE k = 'H0001')) k),
    (SELECT keys FROM expect_keys WHERE part = 'product'),
    'gas hob product keys = c fields + warranty, CCC and manual (d fields that apply), no licence number');
SELECT is((SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys((SELECT j -> 'seller' FROM got WHERE k = 'H0001')) k),
    (SELECT keys FROM expect_keys WHERE part = 'seller'), 'seller keys = Table 2 basic public fields of the catalogue');
SELECT is((SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys((SELECT j -> 'product' FROM got WHERE k = 'C0001')) k),
    (SELECT keys FROM expect_keys WHERE part = 'cable_product'),
    'cable product keys = c fields + licence, CCC and manual; no warranty (the category has none)');
SELECT ok(NOT ((SELECT j FROM got WHERE k = 'C0001') -> 'product' ? 'warranty_period'), 'a d field that does not apply is absent');
SELECT ok(NOT ((SELECT j FROM got WHERE k = 'H0001') -> 'product' ? 'production_licence_no'),
    'a licence number given for a product not under licence management is not disclosed');
SELECT is((SELECT count(*)::int FROM all_keys a JOIN private_names p ON p.field = a.key), 0,
    'no private (n) field name appears at any depth of any answer');
SELECT ok(NOT EXISTS (SELECT 1 FROM got WHERE j::text ~ '(buyer|customer|supplier|sale_time|sold_time|purchase|quantity|inspection|materials|functions|performance|certifications)'),
    'no buyer, customer, supplier, flow, purchase, inspection or optional field is named');
SELECT ok(NOT EXISTS (SELECT 1 FROM got WHERE j::text ~ '(个人消费者|示例装修工程队|PRIVATE-MATERIALS|2026-06-03|2026-06-10|XK-IGNORED)'),
    'no buyer name, customer name, private value or flow time appears as a value');
SELECT ok(NOT EXISTS (SELECT 1 FROM got WHERE j::text LIKE '%' || pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex') || '%'),
    'the inspection report is not disclosed');
SELECT ok(NOT ((SELECT j FROM got WHERE k = 'H0001')::text LIKE '%深圳示例分销有限公司%'),
    'the distributor (an intermediate buyer and seller) does not appear for a unit a retailer sold');

-- values
SELECT is((SELECT j #>> '{product,trace_code}' FROM got WHERE k = 'H0001'), '(01)06901234567892(21)H0001', 'trace code in canonical form');
SELECT is((SELECT j #>> '{product,production_date}' FROM got WHERE k = 'H0001'), '2026-06-01', 'production date');
SELECT is((SELECT j #>> '{product,warranty_period}' FROM got WHERE k = 'H0001'), 'P3Y', 'warranty period as an ISO 8601 period');
SELECT is((SELECT j #>> '{product,ccc_certificate_no}' FROM got WHERE k = 'H0001'), '2026010201000001', 'CCC certificate number');
SELECT is((SELECT j #>> '{product,manual_or_warning,sha256}' FROM got WHERE k = 'H0001'),
    pg_catalog.encode(pg_catalog.sha256('manual'::bytea), 'hex'), 'the manual is disclosed by its SHA-256');
SELECT is((SELECT j #>> '{producer,uscc}' FROM got WHERE k = 'H0001'), '91330100MA2H3K5L19', 'producer');
SELECT is((SELECT j #>> '{seller,uscc}' FROM got WHERE k = 'H0001'), '92110105MA01ABC2DR',
    'seller = the retailer that sold to the consumer, not the distributor that sold to the retailer');
SELECT is((SELECT j #>> '{seller,uscc}' FROM got WHERE k = 'H0005'), '91440300MA5FQ7W81X',
    'seller of a unit sold inside a whole carton = the distributor that sold the carton');
SELECT is((SELECT j -> 'seller' FROM got WHERE k = 'H0002'), 'null'::jsonb, 'a unit not yet sold to an end customer has no seller');
SELECT is((SELECT j #>> '{seller,uscc}' FROM got WHERE k = 'C0001'), '91320200MA1N2P3Q48', 'a producer selling as a seller');

-- every trace-code form
SELECT is(trace.lookup(']d2010690123456789221H0001'), (SELECT j FROM got WHERE k = 'H0001'), 'raw GS1 DataMatrix scan');
SELECT is(trace.lookup('https://id.gs1.org/01/06901234567892/21/H0001'), (SELECT j FROM got WHERE k = 'H0001'), 'GS1 Digital Link');
SELECT is(trace.lookup('^010690123456789221H0001'), (SELECT j FROM got WHERE k = 'H0001'), 'FNC1 (^) element string');
SELECT is(trace.lookup('(01)06901234567892(21)H9999'), NULL, 'an unknown code: NULL');
SELECT throws_ok($$SELECT trace.lookup('(01)06901234567893(21)H0001')$$, '22P02', NULL, 'a bad check digit: 22P02 from the code input');

-- corrections are followed
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0001'::trace.code),
    '{"serial_or_batch": "B260601-2"}', 'batch number mistyped') IS NULL;
SELECT is(trace.lookup('(01)06901234567892(21)H0001') #>> '{product,serial_or_batch}', 'B260601-2', 'the current (corrected) item is disclosed');

-- withdrawals and corrections of the other records
SELECT trace.correct('document', (SELECT d.document_id FROM trace.documents d
                                  WHERE d.sha256 = pg_catalog.encode(pg_catalog.sha256('manual'::bytea), 'hex')),
    '{"voided": true}', 'wrong file') IS NULL;
SELECT ok((trace.lookup('(01)06901234567892(21)H0001') -> 'product') ? 'manual_or_warning'
          AND trace.lookup('(01)06901234567892(21)H0001') #> '{product,manual_or_warning}' = 'null'::jsonb,
    'a withdrawn manual: the field applies and stays, its value is null');
SELECT trace.correct('unit', (SELECT u.record_id FROM trace.units u WHERE u.uscc::text = '91330100MA2H3K5L19'),
    '{"address": "杭州市示例路100号"}', 'moved') IS NULL;
SELECT is(trace.lookup('(01)06901234567892(21)H0001') #>> '{producer,address}', '杭州市示例路100号',
    'the producer''s corrected address is disclosed');
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0003'::trace.code),
    '{"voided": true}', 'never produced') IS NULL;
SELECT is(trace.lookup('(01)06901234567892(21)H0003'), NULL, 'a withdrawn item: NULL');
SELECT is((SELECT detail FROM trace.access_log ORDER BY id DESC LIMIT 1), '{"found": false}', 'and the lookup is logged as not found');

-- No operator makes itself the public seller of a unit its producer holds:
-- the cable maker sold C0001 and bought it back, so the distributor cannot
-- record a purchase of it (and then a sale) until the cable maker sells again.
SELECT trace.record_purchase($${"uscc": "91320200MA1N2P3Q48", "trace_code": "(01)06901234567939(21)C0001",
     "supplier_name": "个人消费者乙", "purchase_time": "2026-06-20T09:00:00+08:00"}$$) IS NOT NULL AS bought_back \gset
SELECT throws_like($$SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567939(21)C0001",
     "supplier_name": "无锡示例电缆有限公司", "supplier_uscc": "91320200MA1N2P3Q48", "purchase_time": "2026-06-21T09:00:00+08:00"}')$$,
    '%(01)06901234567939(21)C0001 is still held by its producer 91320200MA1N2P3Q48%',
    'a unit its producer bought back is not bought by another unit before the producer sells it again');
SELECT is(trace.lookup('(01)06901234567939(21)C0001') #>> '{seller,uscc}', '91320200MA1N2P3Q48',
    'so the lookup still names the cable maker as the seller');

-- trace_public may look up
CREATE ROLE access_lookup_public IN ROLE trace_public;
SET LOCAL ROLE access_lookup_public;
SELECT is(trace.lookup('(01)06901234567892(21)H0002') #>> '{producer,uscc}', '91330100MA2H3K5L19', 'trace_public can call trace.lookup');
RESET ROLE;

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
