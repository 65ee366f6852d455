-- trace.lookup in C (src/pg/lookup.c) against the reference query
-- trace._acc_lookup_sql, which is generated from the field catalogue: on every
-- code of the scenario the two answer the same, and the C lookup's caches of
-- units, products and documents follow every correction at once (inside the
-- writing transaction; other sessions: test/system/access_lookup_cache.sh).
BEGIN;
SELECT plan(22);
\ir fixtures/access_scenario.psql
\o /dev/null
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';
-- units never packed (the C lookup's own path): U1 sold by the retailer to a
-- consumer, U2 sold twice to consumers (the later sale counts), U3 sold by the
-- factory straight to a consumer (no seller), U4 not sold, U5 with a model-level
-- value of its own (answered by the reference query)
SELECT trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567892(21)U' || n, 'production_date', '2026-06-0' || n, 'serial_or_batch', 'B26060' || n,
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex'))))
FROM pg_catalog.generate_series(1, 4) n;
SELECT trace.commission(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)U5',
    'production_date', '2026-06-05', 'serial_or_batch', 'B260605', 'ccc_certificate_no', '2026010201009999',
    'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex')));
SELECT trace.record_sale($$[
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)U1", "sale_time": "2026-06-11T10:00:00+08:00",
     "buyer_name": "北京示例五金店", "buyer_address": "北京市示例街3号", "buyer_contact": "+86 10 5555 0000",
     "buyer_uscc": "92110105MA01ABC2DR"},
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)U2", "sale_time": "2026-06-11T10:00:00+08:00",
     "buyer_name": "北京示例五金店", "buyer_address": "北京市示例街3号", "buyer_contact": "+86 10 5555 0000",
     "buyer_uscc": "92110105MA01ABC2DR"},
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)U3", "sale_time": "2026-06-11T10:00:00+08:00",
     "buyer_name": "个人消费者乙", "buyer_address": "北京市示例小区", "buyer_contact": "+86 10 0000 0000"},
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)U5", "sale_time": "2026-06-11T10:00:00+08:00",
     "buyer_name": "北京示例五金店", "buyer_address": "北京市示例街3号", "buyer_contact": "+86 10 5555 0000",
     "buyer_uscc": "92110105MA01ABC2DR"}]$$);
SELECT trace.record_purchase(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('uscc', '92110105MA01ABC2DR',
    'trace_code', '(01)06901234567892(21)U' || n, 'supplier_name', '杭州示例燃气具有限公司',
    'supplier_uscc', '91330100MA2H3K5L19', 'purchase_time', '2026-06-12T09:00:00+08:00', 'quantity', 1)))
FROM pg_catalog.unnest(ARRAY[1, 2, 5]) n;
SELECT trace.record_sale(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('uscc', '92110105MA01ABC2DR',
    'trace_code', '(01)06901234567892(21)U' || n, 'sold_time', '2026-06-13T15:00:00+08:00', 'customer_name', '个人消费者丙')))
FROM pg_catalog.unnest(ARRAY[1, 2, 5]) n;
\o

CREATE TEMP TABLE codes ON COMMIT DROP AS
SELECT DISTINCT i.trace_code::text AS code FROM trace.item_record i
UNION SELECT '(01)06901234567892(21)NOSUCH';
CREATE TEMP TABLE answers ON COMMIT DROP AS
SELECT code, trace.lookup(code) AS fast, trace._acc_lookup_sql(code::trace.code) AS reference FROM codes;

SELECT cmp_ok((SELECT count(*)::int FROM codes), '>=', 13, 'the scenario has packed, unpacked and overridden units');
SELECT is((SELECT count(*)::int FROM answers WHERE fast IS DISTINCT FROM reference), 0,
    'trace.lookup answers exactly as the reference query on every code of the scenario');
SELECT ok((SELECT count(*) FROM answers WHERE fast IS NOT NULL) >= 12, 'and it finds the units');
SELECT is((SELECT fast FROM answers WHERE code LIKE '%NOSUCH'), NULL, 'an unknown code answers NULL');
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{seller,uscc}', '92110105MA01ABC2DR',
    'the end seller of an unpacked unit');
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{product,production_date}', '2026-06-01',
    'the item''s own production date is filled in');
SELECT is(trace.lookup('(01)06901234567892(21)U2') #>> '{product,serial_or_batch}', 'B260602',
    'the item''s own serial or batch is filled in');
SELECT is(trace.lookup(']d2010690123456789221U1') #>> '{product,trace_code}', '(01)06901234567892(21)U1',
    'a raw scan is answered with the normalised trace code');
SELECT is(trace.lookup('(01)06901234567892(21)U3') -> 'seller', 'null'::jsonb,
    'a unit the producer sold straight to a consumer has no seller');
SELECT is(trace.lookup('(01)06901234567892(21)U4') -> 'seller', 'null'::jsonb, 'a unit not sold has no seller');
SELECT is(trace.lookup('(01)06901234567892(21)U5') #>> '{product,ccc_certificate_no}', '2026010201009999',
    'an item''s own model-level value is disclosed instead of the product''s');

-- corrections reach the cached parts inside the same transaction
\o /dev/null
SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc::text = '91330100MA2H3K5L19'),
    '{"address": "杭州市新示例路100号"}', 'moved');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{producer,address}', '杭州市新示例路100号',
    'a corrected producer address is answered at once');
\o /dev/null
SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc::text = '92110105MA01ABC2DR'),
    '{"unit_name": "北京新示例五金店"}', 'renamed');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{seller,unit_name}', '北京新示例五金店',
    'a corrected seller name is answered at once');
\o /dev/null
SELECT trace.correct('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567892'),
    '{"spec_model": "JZT-2-A2"}', 'model renamed');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{product,spec_model}', 'JZT-2-A2',
    'a corrected product model is answered at once');
\o /dev/null
SELECT trace.correct('document', (SELECT record_id FROM trace.documents WHERE file_name = 'manual.pdf'),
    '{"voided": true}', 'manual withdrawn');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') #> '{product,manual_or_warning}', 'null'::jsonb,
    'a withdrawn manual is no longer disclosed');
\o /dev/null
SELECT trace.add_category($${"code": "gas-hob", "name_zh": "家用燃气灶具", "name_en": "Domestic gas hobs",
    "licence_managed": true, "ccc_managed": true, "has_warranty": true, "needs_manual": true,
    "reason": "now under licence"}$$);
\o
SELECT ok(trace.lookup('(01)06901234567892(21)U1') -> 'product' ? 'production_licence_no',
    'a category newly under licence management discloses the licence number at once');
\o /dev/null
SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc::text = '92110105MA01ABC2DR'),
    '{"voided": true}', 'closed');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') -> 'seller', 'null'::jsonb,
    'a withdrawn seller is no longer disclosed');
\o /dev/null
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code::text = '(01)06901234567892(21)U4'),
    '{"voided": true}', 'scrapped');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U4'), NULL, 'a withdrawn item answers NULL');

-- after all of it, still the same answers as the reference
CREATE TEMP TABLE answers2 ON COMMIT DROP AS
SELECT code, trace.lookup(code) AS fast, trace._acc_lookup_sql(code::trace.code) AS reference FROM codes;
SELECT is((SELECT count(*)::int FROM answers2 WHERE fast IS DISTINCT FROM reference), 0,
    'after the corrections, trace.lookup still answers exactly as the reference query');

-- a rolled-back correction leaves no trace in the caches
SAVEPOINT s;
\o /dev/null
SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc::text = '91330100MA2H3K5L19'),
    '{"address": "回滚地址"}', 'to be rolled back');
\o
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{producer,address}', '回滚地址', 'seen inside the savepoint');
ROLLBACK TO SAVEPOINT s;
SELECT is(trace.lookup('(01)06901234567892(21)U1') #>> '{producer,address}', '杭州市新示例路100号',
    'and gone once it is rolled back');
SELECT throws_ok($$SELECT trace.lookup('(01)06901234567892(21)')$$, '22P02', NULL, 'a malformed code is refused (22P02)');

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
