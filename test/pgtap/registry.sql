-- Registry functions one by one: shapes, SQLSTATEs, validation, batches,
-- documents, corrections, retention, privileges. (The per-field mandatory
-- rules are in registry_fields.sql, generated from data/fields.csv.)
-- Identifiers carry computed check digits:
--   units   91330100MA2H3K5L19 (producer), 91440300MA5FQ7W81X (seller), 91310000MA1K4LMN3W (not registered)
--   GTINs   06901234567892, 06901234567915 (no product), 06901234567922
BEGIN;
SELECT plan(133);
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';
SET LOCAL search_path = public, trace;

-- ------------------------------------------------------------- catalogue
SELECT is((SELECT count(*)::int FROM trace.field_catalog WHERE collect = 'b'), 4, 'four b fields in Table 1');
SELECT results_eq($$SELECT category_flag FROM trace.field_catalog WHERE collect = 'b' ORDER BY ordinal$$,
    $$VALUES ('warranty'::text), ('licence'), ('ccc'), ('manual')$$, 'each b field is switched by a category flag');
SELECT is((SELECT name_zh FROM trace.field_catalog WHERE table_name = 'producer' AND field = 'production_date'), '生产日期',
    'Chinese names come from fields.csv');
SELECT ok((SELECT pg_catalog.array_agg(code) FROM trace.categories WHERE first_batch)
          @> '{wire-cable,gas-hob,e-bike,cold-rolled-rebar}', 'first batch of key industrial products is seeded');

SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND 'autovacuum_analyze_threshold=1' = ANY (c.reloptions)),
    '{category_record,document_record,product_record,unit_record}',
    'the small reference tables are analyzed after any change (the planner does not guess one row for them)');

SELECT throws_ok($$SELECT trace._reg_tally(NULL::int[], ARRAY[2147483647])$$, '2202E', NULL,
    'the completeness tally refuses a field position out of range (it would index past its state)');

-- ------------------------------------------------------------- categories
SELECT lives_ok($$SELECT trace.add_category('{"code": "pressure-cooker", "name_zh": "压力锅", "name_en": "pressure cookers",
    "licence_managed": false, "ccc_managed": false, "has_warranty": false, "needs_manual": true, "retention_years": 10}')$$,
    'an administrator adds a category');
SELECT throws_ok($$SELECT trace.add_category('{"code": "pressure-cooker", "name_zh": "x", "name_en": "x",
    "licence_managed": false, "ccc_managed": false, "has_warranty": false, "needs_manual": false}')$$,
    '23505', NULL, 'an existing category is changed only with a reason');
SELECT lives_ok($$SELECT trace.add_category('{"code": "pressure-cooker", "name_zh": "压力锅", "name_en": "pressure cookers",
    "licence_managed": false, "ccc_managed": false, "has_warranty": false, "needs_manual": false, "retention_years": 10,
    "reason": "no manual needed"}')$$, 'an administrator supersedes a category with a reason');
SELECT is((SELECT needs_manual FROM trace.categories WHERE code = 'pressure-cooker'), false, 'the category view shows the new flags');
SELECT throws_ok($$SELECT trace.add_category('{"code": "x", "name_zh": "x", "name_en": "x", "licence_managed": "yes",
    "ccc_managed": false, "has_warranty": false, "needs_manual": false}')$$,
    '22023', 'record 1 (code "x"): field licence_managed: expected true or false, got "yes"', 'flags must be booleans');

-- ------------------------------------------------------------- units
SELECT lives_ok($$SELECT trace.register_unit('[
    {"uscc": "91330100MA2H3K5L19", "roles": ["producer", "seller"], "unit_name": "P", "address": "A", "contact": "C",
     "business_license": {"content_base64": "UA==", "media_type": "application/pdf"},
     "system_certifications": "ISO 9001"},
    {"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "S", "address": "A", "contact": "C",
     "business_license": {"content_base64": "Uw==", "media_type": "application/pdf"}}]')$$, 'two units in one batch');
SELECT is((SELECT system_certifications FROM trace.units WHERE uscc = '91330100MA2H3K5L19'), '["ISO 9001"]'::jsonb,
    'a single certification is kept as a list');
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "unit_name": "P", "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}')$$,
    '23505', NULL, 'a unit registers once');
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L18", "unit_name": "P", "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}')$$,
    '22P02', NULL, 'a USCC with a wrong check character is refused');
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91310000MA1K4LMN3W", "unit_name": 42, "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}')$$,
    '22023', 'record 1 (uscc "91310000MA1K4LMN3W"): field unit_name: expected a string, got number', 'wrong json type named');
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91310000MA1K4LMN3W", "unit_nmae": "P", "address": "A",
    "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}')$$,
    '22023', 'record 1 (uscc "91310000MA1K4LMN3W"): unknown fields: unit_nmae', 'a misspelt field is refused, not dropped');
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91310000MA1K4LMN3W"}')$$,
    '23502', 'record 1 (uscc "91310000MA1K4LMN3W"): missing mandatory fields: unit_name, address, contact, business_license',
    'every missing field is named at once');
SELECT throws_ok($$SELECT trace.register_unit('"a string"')$$, '22023',
    'trace.register_unit: expected a json object or an array of objects, got string', 'a scalar is not a record');
SELECT throws_ok($$SELECT trace.register_unit('[]')$$, '22023', 'trace.register_unit: empty batch', 'an empty batch is refused');
SELECT throws_ok($$SELECT trace.register_unit('[{"uscc": "x"}, 7]')$$, '22023',
    'trace.register_unit: record 2 is not a json object', 'a batch element that is not an object is named');
SELECT is((SELECT count(*)::int FROM trace.unit_record), 2, 'refused registrations wrote nothing');

-- ------------------------------------------------------------- documents
SELECT is(trace.attach_document('{"content_base64": "aGVsbG8=", "media_type": "text/plain", "file_name": "a.txt"}') ->> 'sha256',
    '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', 'a document is identified by the SHA-256 of its content');
SELECT lives_ok($$SELECT trace.attach_document('hello'::bytea, 'text/plain', 'b.txt')$$, 'the same content attached again (binary form)');
SELECT is((SELECT count(*)::int FROM trace.document_content WHERE sha256 = pg_catalog.sha256('hello'::bytea)), 1,
    'content is stored once');
SELECT is((SELECT count(*)::int FROM trace.documents WHERE sha256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'),
    2, 'each attachment keeps its own record (file name, media type)');
SELECT lives_ok($$SELECT trace.attach_document('{"uri": "https://example.com/report.pdf", "media_type": "application/pdf",
    "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "size": 5}')$$, 'an external document with its hash');
SELECT throws_ok($$SELECT trace.attach_document('{"uri": "https://example.com/r.pdf", "media_type": "application/pdf"}')$$,
    '23502', NULL, 'an external document needs its SHA-256');
SELECT throws_ok($$SELECT trace.attach_document('{"content_base64": "***", "media_type": "text/plain"}')$$,
    '22023', NULL, 'bad base64 is refused');
SELECT throws_ok($$SELECT trace.attach_document('{"content_base64": "aGVsbG8=", "media_type": "text plain"}')$$,
    '22023', NULL, 'a malformed media type is refused');

-- the factory attaches the same bytes as its own document
SELECT trace.attach_document('{"content_base64": "aGVsbG8=", "media_type": "text/plain", "file_name": "own.txt",
    "uscc": "91330100MA2H3K5L19"}') IS NOT NULL AS _ \gset

-- ------------------------------------------------------------- products
SELECT lives_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "wire-cable", "gtin": "6901234567892",
    "product_name": "电线", "product_type": "电线电缆", "spec_model": "BV-2.5", "mandatory_standards": "GB/T 5023",
    "production_licence_no": "XK06-001-00001", "ccc_certificate_no": "2026010105000001",
    "manual_or_warning": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$,
    'a product of a licence + CCC + manual category, GTIN-13 given, manual by SHA-256');
SELECT is((SELECT gtin::text FROM trace.products WHERE spec_model = 'BV-2.5'), '06901234567892', 'the GTIN is held as 14 digits');
SELECT is((SELECT d.file_name FROM trace.products p JOIN trace.documents d ON d.document_id = p.manual_or_warning
           WHERE p.spec_model = 'BV-2.5'), 'own.txt',
    'a SHA-256 that several attachments share names the registering unit''s own document');
SELECT throws_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "wire-cable",
    "product_name": "电线", "product_type": "电线电缆", "spec_model": "BV-4", "mandatory_standards": "GB/T 5023"}')$$,
    '23502', 'record 1 (product_name "电线"): missing mandatory fields: production_licence_no, ccc_certificate_no, manual_or_warning',
    'the category''s flags make its b fields mandatory, all named');
SELECT throws_ok($$SELECT trace.register_product('{"uscc": "91440300MA5FQ7W81X", "category": "cold-rolled-rebar",
    "product_name": "钢筋", "product_type": "钢材", "spec_model": "CRB550", "mandatory_standards": "GB/T 13788",
    "production_licence_no": "XK05-001-00001"}')$$, '22023', NULL, 'only a producer registers products');
SELECT throws_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "no-such", "product_name": "x",
    "product_type": "x", "spec_model": "x", "mandatory_standards": "x"}')$$, '23503', NULL, 'unknown category');
SELECT throws_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "cold-rolled-rebar",
    "gtin": "06901234567893", "product_name": "钢筋", "product_type": "钢材", "spec_model": "CRB550",
    "mandatory_standards": "GB/T 13788", "production_licence_no": "XK05-001-00001"}')$$, '22P02', NULL,
    'a GTIN with a bad check digit is refused');
SELECT lives_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "pressure-cooker",
    "gtin": "06901234567922", "product_name": "压力锅", "product_type": "炊具", "spec_model": "YL-22",
    "mandatory_standards": "GB 15066", "service_life": 96}')$$, 'a product with a service life in months');

-- ------------------------------------------------------------- commission
SELECT is((trace.commission($$[
    {"trace_code": "(01)06901234567892(21)W1", "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    {"trace_code": "(01)06901234567892(21)W2", "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
     "collection_method": "mixed"}]$$) ->> 'commissioned')::int, 2, 'two units commissioned');
SELECT throws_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567892(21)W3", "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    {"trace_code": "(01)06901234567892(21)W4", "serial_or_batch": "L1"}]')$$,
    '23502', 'record 2 (trace_code "(01)06901234567892(21)W4"): missing mandatory fields: production_date, inspection_report',
    'the record and every missing field are named');
SELECT is((SELECT count(*)::int FROM trace.item_record), 2, 'a refused batch writes nothing (all or nothing)');
SELECT throws_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567892(21)W5", "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    {"trace_code": "(01)06901234567892(21)W5", "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}]')$$,
    '23505', 'record 2 (trace_code "(01)06901234567892(21)W5"): trace code repeats record 1', 'a code twice in one batch');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "https://id.gs1.org/01/06901234567892/21/W1",
    "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$,
    '23505', NULL, 'a code already commissioned (given as a Digital Link) is refused');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567893(21)W9", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '22P02', NULL, 'bad check digit in a trace code');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567915(21)W9", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '23503',
    'record 1 (trace_code "(01)06901234567915(21)W9"): no registered product has the GTIN of this trace code', 'unknown GTIN');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "2026-07-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)W9"): field production_date: 2026-07-01 is in the future (today is 2026-06-30)',
    'no production date after the reference time');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "2026-02-30",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '22007', NULL, 'an impossible date');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "1900-01-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)W9"): field production_date: 1900-01-01 is not a plausible production date (before 1970-01-01)',
    'a production date before 1970 is refused (batch path)');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "1969-12-31",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "functions": null}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)W9"): field production_date: 1969-12-31 is not a plausible production date (before 1970-01-01)',
    'and by the checked path');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission(%L)$$, pg_catalog.jsonb_build_object(
    'trace_code', '(01)06901234567892(21)' || pg_catalog.repeat('A', 4978), 'production_date', '2026-06-01', 'serial_or_batch', 'L1',
    'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')),
    '22001', 'record 1 (trace_code "(01)06901234567892(21)' || pg_catalog.repeat('A', 42) || '…"): field trace_code: 5000 characters, at most 200',
    'a 5000-character code is refused (22001) and cut to 64 characters in the record''s label');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission(%L)$$, pg_catalog.jsonb_build_object(
    'trace_code', '(01)06901234567892(21)W9', 'production_date', '2026-06-01', 'serial_or_batch', pg_catalog.repeat('x', 1000000),
    'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')),
    '22001', 'record 1 (trace_code "(01)06901234567892(21)W9"): field serial_or_batch: 1000000 characters, at most 200',
    'a 1,000,000-character serial_or_batch is refused (batch path)');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission(%L)$$, pg_catalog.jsonb_build_object(
    'trace_code', '(01)06901234567892(21)W9', 'production_date', '2026-06-01', 'serial_or_batch', 'L1',
    'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824', 'functions', pg_catalog.repeat('f', 2001))),
    '22001', 'record 1 (trace_code "(01)06901234567892(21)W9"): field functions: 2001 characters, at most 2000',
    'a description longer than 2000 characters is refused (checked path)');
SELECT lives_ok(pg_catalog.format($$SELECT trace.commission(%L)$$, pg_catalog.jsonb_build_object(
    'trace_code', '(01)06901234567892(21)W10', 'production_date', '2026-06-01', 'serial_or_batch', pg_catalog.repeat('批', 200),
    'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')),
    '200 characters (600 bytes of UTF-8) are within the limit');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": 999}')$$, '23503', NULL, 'an unknown document id');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "2026-06-01",
    "serial_or_batch": 17, "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, '22023', NULL, 'a number where a string belongs');
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)W9", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "colour": "red"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)W9"): unknown fields: colour', 'unknown field in an item');
SELECT lives_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567922(21)K1", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, 'a unit of a category without b flags needs no b field');

-- ------------------------------------------------------------- commission: the batch path
-- A batch of plain records is checked in C and streamed into one INSERT; any
-- other record sends the whole batch through the checked path. Both must
-- write the same rows and refuse the same things.
SELECT lives_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567892(21)W20", "production_date": "2026-06-01", "serial_or_batch": "L2", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    {"trace_code": "]d2010690123456789221W22", "production_date": "2026-06-02", "serial_or_batch": "批次一", "inspection_report": "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
     "uscc": "91330100MA2H3K5L19"}]')$$, 'plain records: a bracketed code, a raw scan, a CJK batch name, an upper-case SHA-256');
SELECT lives_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567892(21)W21", "production_date": "2026-06-01", "serial_or_batch": "L2", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
     "performance": null}]')$$, 'a record with a model-level key takes the checked path');
-- a SHA-256 several units attached names the producer's own copy, on both paths
SELECT is((SELECT pg_catalog.array_agg(DISTINCT d.file_name) FROM trace.items i JOIN trace.documents d ON d.document_id = i.inspection_report
           WHERE i.trace_code::text IN ('(01)06901234567892(21)W20', '(01)06901234567892(21)W21', '(01)06901234567892(21)W22')),
          '{own.txt}', 'items name their producer''s own copy of a shared inspection report (batch path and checked path)');
SELECT lives_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)WD1", "production_date": "2026-06-01",
    "serial_or_batch": "L2", "inspection_report": {"content_base64": "aW5saW5lIHJlcG9ydA==", "media_type": "text/plain"}}')$$,
    'an inspection report given inline');
SELECT is((SELECT d.uscc::text FROM trace.items i JOIN trace.documents d ON d.document_id = i.inspection_report
           WHERE i.trace_code::text = '(01)06901234567892(21)WD1'), '91330100MA2H3K5L19',
          'an inline document of an item is attached as its producer''s own');
SELECT results_eq(
    $$SELECT product_id, uscc::text, production_date, serial_or_batch, inspection_report, manual_or_warning, warranty_period,
             collection_method, retain_until, recorded_at, recorded_by, root, supersedes
      FROM trace.item_record WHERE trace_code = '(01)06901234567892(21)W20'$$,
    $$SELECT product_id, uscc::text, production_date, serial_or_batch, inspection_report, manual_or_warning, warranty_period,
             collection_method, retain_until, recorded_at, recorded_by, root, supersedes
      FROM trace.item_record WHERE trace_code = '(01)06901234567892(21)W21'$$,
    'the batch path writes what the checked path writes (product, producer, document, method, retention, time)');
SELECT results_eq(
    $$SELECT trace_code::text, serial_or_batch, collection_method, retain_until FROM trace.item_record
      WHERE trace_code = '(01)06901234567892(21)W22'$$,
    $$VALUES ('(01)06901234567892(21)W22', '批次一', 'automatic', '2028-06-02'::date)$$,
    'a raw scan is normalised and recorded as an automatic collection');
SELECT lives_ok($$SELECT trace.add_category('{"code": "test-plain", "name_zh": "测试", "name_en": "test", "licence_managed": false,
    "ccc_managed": false, "has_warranty": false, "needs_manual": false}'),
    trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "test-plain", "gtin": "06901234567939", "product_name": "x",
    "product_type": "x", "spec_model": "T-1", "mandatory_standards": "x", "warranty_period": "P360D", "service_life": "P12M"}')$$,
    'a product whose warranty and service life compare equal (360 days, 12 months)');
SELECT lives_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567939(21)T1", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}]'),
    trace.commission('[
    {"trace_code": "(01)06901234567939(21)T2", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
     "functions": null}]')$$, 'one item by each path');
SELECT results_eq($$SELECT retain_until FROM trace.item_record WHERE trace_code::text LIKE '(01)06901234567939(21)T%' ORDER BY id$$,
    $$VALUES ('2028-05-27'::date), ('2028-05-27'::date)$$,
    'equal periods: both paths take the warranty, as _reg_retain''s greatest() does (360 days + 1 year)');
SELECT throws_ok($$SELECT trace._reg_commission_fast('[{"trace_code": "(01)06901234567892(21)W40",
    "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": 1, "warranty_period": "P1Y"}]',
    '{}', '2026-06-30', '2026-06-30 12:00:00+08')$$, 'PTB01', NULL, 'the batch path hands a record it does not take to the checked path');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission(%L)$$,
    (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)M' || g,
         'production_date', CASE WHEN g = 250 THEN '2026-07-02' ELSE '2026-06-01' END, 'serial_or_batch', 'L3',
         'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824') ORDER BY g)
     FROM pg_catalog.generate_series(1, 300) g)),
    '22023', 'record 250 (trace_code "(01)06901234567892(21)M250"): field production_date: 2026-07-02 is in the future (today is 2026-06-30)',
    'a bad record late in a large batch is named');
CREATE FUNCTION pg_temp.bad_batch() RETURNS jsonb LANGUAGE sql AS $f$
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'trace_code', CASE WHEN g = 50 THEN '(01)06901234567893(21)M50' ELSE '(01)06901234567892(21)M' || g END,
        'production_date', CASE WHEN g = 5 THEN NULL WHEN g BETWEEN 100 AND 114 THEN '2026-07-02' ELSE '2026-06-01' END,
        'serial_or_batch', 'L3',
        'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')) ORDER BY g)
    FROM pg_catalog.generate_series(1, 300) g $f$;
CREATE FUNCTION pg_temp.error_detail(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $f$;
SELECT throws_ok($$SELECT trace.commission(pg_temp.bad_batch())$$, '23502',
    'record 5 (trace_code "(01)06901234567892(21)M5"): missing mandatory fields: production_date',
    'a batch with many bad records is refused at the first, named');
SELECT alike(pg_temp.error_detail($$SELECT trace.commission(pg_temp.bad_batch())$$),
    '16 more record(s) of the batch refused: record 50 (trace_code "(01)06901234567893(21)M50"): field trace_code: %; '
    'record 100 (trace_code "(01)06901234567892(21)M100"): field production_date: 2026-07-02 is in the future (today is 2026-06-30); %',
    'the detail counts the other bad records and names the first of them with their problem');
SELECT alike(pg_temp.error_detail($$SELECT trace.commission(pg_temp.bad_batch())$$),
    '%; record 108 (trace_code "(01)06901234567892(21)M108"): field production_date: 2026-07-02 is in the future (today is 2026-06-30); ...',
    'ten are named, then an ellipsis');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission(%L)$$,
    (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)M' || CASE WHEN g = 300 THEN 7 ELSE g END,
         'production_date', '2026-06-01', 'serial_or_batch', 'L3',
         'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824') ORDER BY g)
     FROM pg_catalog.generate_series(1, 300) g)),
    '23505', 'record 300 (trace_code "(01)06901234567892(21)M7"): trace code repeats record 7',
    'the same code twice in a large batch is refused, both records named');
SELECT throws_ok($$SELECT trace.commission('[
    {"trace_code": "(01)06901234567892(21)W23", "production_date": "2026-06-01", "serial_or_batch": "L2", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    {"trace_code": "]d2010690123456789221W1", "production_date": "2026-06-01", "serial_or_batch": "L2", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}]')$$,
    '23505', 'record 2 (trace_code "]d2010690123456789221W1"): trace code is already commissioned',
    'a code commissioned before, scanned raw, is refused');
SELECT is((SELECT count(*)::int FROM trace.item_record WHERE trace_code::text LIKE '(01)06901234567892(21)M%'
                                                          OR trace_code = '(01)06901234567892(21)W23'), 0,
    'refused batches wrote nothing, not even the rows before the bad record');
SELECT throws_ok(pg_catalog.format($$SELECT trace.commission('[{"trace_code": "(01)06901234567892(21)W24",
    "production_date": "2026-06-01", "serial_or_batch": "L2", "inspection_report": %s}]')$$,
    (SELECT pg_catalog.max(document_id) + 1 FROM trace.documents)), '23503', NULL, 'an unknown document id, by the batch path');

-- ------------------------------------------------------------- commission: product, GTIN and SSCC
-- "product" may not contradict the GTIN the trace code carries; an SSCC is
-- not a unit's code. Each by the batch path and by the checked path (a
-- model-level key, null, sends a record there).
CREATE FUNCTION pg_temp.item(code text, extra jsonb DEFAULT '{}') RETURNS text LANGUAGE sql AS $f$
    SELECT pg_catalog.format('SELECT trace.commission(%L)', pg_catalog.jsonb_build_object('trace_code', code,
        'production_date', '2026-06-01', 'serial_or_batch', 'L9',
        'inspection_report', '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824') || extra) $f$;
SELECT throws_ok(pg_temp.item('(01)06901234567892(21)W30',
        pg_catalog.jsonb_build_object('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567922'))),
    '22023', pg_catalog.format('record 1 (trace_code "(01)06901234567892(21)W30"): field product: product %s has GTIN 06901234567922, but the trace code carries GTIN 06901234567892',
        (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567922')),
    'a product whose GTIN is not the trace code''s is refused (batch path)');
SELECT throws_ok(pg_temp.item('(01)06901234567892(21)W30',
        pg_catalog.jsonb_build_object('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567922'), 'functions', null)),
    '22023', pg_catalog.format('record 1 (trace_code "(01)06901234567892(21)W30"): field product: product %s has GTIN 06901234567922, but the trace code carries GTIN 06901234567892',
        (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567922')),
    'and by the checked path');
SELECT lives_ok(pg_temp.item('(01)06901234567892(21)W31',
        pg_catalog.jsonb_build_object('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567892'))),
    'a product that has the trace code''s GTIN is accepted');
SELECT throws_ok(pg_temp.item('(00)069012340000000085',
        pg_catalog.jsonb_build_object('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567892'))),
    '22023', 'record 1 (trace_code "(00)069012340000000085"): field trace_code: (00)069012340000000085 is an SSCC: it identifies a logistic unit (a package), not a minimum sales unit (clause 6.1.1)',
    'an SSCC is not a unit''s trace code (batch path)');
SELECT throws_ok(pg_temp.item(']C100069012340000000085',
        pg_catalog.jsonb_build_object('product', (SELECT product_id FROM trace.products WHERE gtin::text = '06901234567892'), 'performance', null)),
    '22023', 'record 1 (trace_code "]C100069012340000000085"): field trace_code: (00)069012340000000085 is an SSCC: it identifies a logistic unit (a package), not a minimum sales unit (clause 6.1.1)',
    'nor by the checked path (a scanned SSCC)');
SELECT throws_like(pg_temp.item('(00)069012340000000085'), '%is an SSCC%', 'nor without a product');
SELECT throws_ok($$SELECT trace._reg_commission_fast('[{"trace_code": "(00)069012340000000085",
    "production_date": "2026-06-01", "serial_or_batch": "L1", "inspection_report": 1, "product": 1}]',
    '{"id:1": {"product_id": 1, "uscc": "91330100MA2H3K5L19", "extra": false}}', '2026-06-30', '2026-06-30 12:00:00+08')$$,
    'PTB01', NULL, 'the batch path hands an SSCC to the checked path');

-- ------------------------------------------------------------- retention (clause 8.5)
SELECT is((SELECT retain_until FROM trace.items WHERE trace_code = '(01)06901234567922(21)K1'), '2036-06-01'::date,
    'industry rule of the category: 10 years');
SELECT is(trace._reg_retain('2026-06-01', '2026-06-01', NULL, NULL, '8 years'), '2035-06-01'::date,
    'else service life end + 1 year');
SELECT is(trace._reg_retain('2026-06-01', '2026-06-01', NULL, '3 years', '8 years'), '2035-06-01'::date,
    'the later of warranty and service life counts');
SELECT is((SELECT retain_until FROM trace.items WHERE trace_code = '(01)06901234567892(21)W1'), '2028-06-01'::date,
    'else two years');

-- ------------------------------------------------------------- flows
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)W1",
    "sale_time": "2026-06-05 10:00:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$,
    '22007', NULL, 'a time without its UTC offset is refused');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)W1",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c", "quantity": 2}')$$,
    '22023', NULL, 'the quantity of one unit is 1');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)W1",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c", "quantity": -1}')$$,
    '22023', NULL, 'a negative quantity is refused');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)W1",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c", "quantity": 1.5}')$$,
    '22023', 'record 1 (trace_code "(01)06901234567892(21)W1"): field quantity: 1.5 is not a whole number of units',
    'a fractional quantity is named as such');
SELECT throws_ok(pg_catalog.format($$SELECT trace.record_sale(%L)$$, pg_catalog.jsonb_build_object('uscc', '91330100MA2H3K5L19',
    'trace_code', '(01)06901234567892(21)W1', 'sale_time', '2026-06-05T10:00:00+08:00', 'buyer_name', pg_catalog.repeat('名', 201),
    'buyer_address', 'a', 'buyer_contact', 'c')),
    '22001', 'record 1 (trace_code "(01)06901234567892(21)W1"): field buyer_name: 201 characters, at most 200',
    'a name longer than 200 characters is refused (22001)');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)ZZ",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$,
    '23503', NULL, 'a sale of an unknown code is refused');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)W1",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c",
    "buyer_uscc": "91440300MA5FQ7W81X"}')$$, 'a producer sale');
SELECT is((SELECT kind || ':' || quantity FROM trace.flows WHERE trace_code = '(01)06901234567892(21)W1'), 'producer_sale:1',
    'recorded as a producer sale of one unit');

-- ------------------------------------------------------------- packing
-- cartons (00)069012340000000047, ...054, ...061, ...078
SELECT is(trace.pack($${"package_code": "(00)069012340000000047", "uscc": "91330100MA2H3K5L19", "event_time": "2026-06-06T08:00:00+08:00",
    "contents": ["(01)06901234567892(21)W2", "(01)06901234567892(21)W20"]}$$) -> 'packed', '2'::jsonb, 'two units packed into carton A');
SELECT is(trace.pack($${"package_code": "(00)069012340000000054", "uscc": "91330100MA2H3K5L19", "event_time": "2026-06-06T09:00:00+08:00",
    "contents": ["(00)069012340000000047"]}$$) -> 'packed', '1'::jsonb, 'carton A packed onto pallet B');
SELECT throws_ok($$SELECT trace.pack('{"package_code": "(00)069012340000000047", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-06T10:00:00+08:00", "contents": ["(00)069012340000000054"]}')$$, '22023',
    'record 1 (package_code "(00)069012340000000047"): field contents: package (00)069012340000000047 would contain itself: (00)069012340000000054 holds it at 2026-06-06T02:00:00Z',
    'a package cannot be packed into its own contents (no cycles)');
SELECT results_eq($$SELECT content_code::text, is_unit FROM trace.package_contents('(00)069012340000000054', nested => true)$$,
    $$VALUES ('(00)069012340000000047'::trace.code::text, false), ('(01)06901234567892(21)W2'::trace.code::text, true),
             ('(01)06901234567892(21)W20'::trace.code::text, true)$$,
    'pallet B holds carton A and its two units, each once');
SELECT lives_ok($$SELECT trace.pack('{"package_code": "(00)069012340000000078", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-07T07:00:00+08:00", "contents": ["(01)06901234567892(21)W22"]}'),
    trace.pack('{"package_code": "(00)069012340000000061", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-07T08:00:00+08:00", "contents": ["(01)06901234567892(21)W21"]}'),
    trace.pack('{"package_code": "(00)069012340000000078", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-07T12:00:00+08:00", "contents": ["(00)069012340000000061"]}')$$,
    'carton C packed into carton D at 12:00');
SELECT throws_like($$SELECT trace.pack('{"package_code": "(00)069012340000000061", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-07T10:00:00+08:00", "contents": ["(00)069012340000000078"]}')$$,
    '%package (00)069012340000000061 would contain itself: (00)069012340000000078 holds it at 2026-06-07T04:00:00Z',
    'nor packed, at an earlier time, into a package that holds it later');

-- ------------------------------------------------------------- corrections
SELECT throws_ok($$SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc = '91440300MA5FQ7W81X'),
    '{"address": "B"}', NULL)$$, '23502', NULL, 'a correction needs a reason');
SELECT lives_ok($$SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc = '91440300MA5FQ7W81X'),
    '{"address": "新地址"}', 'moved')$$, 'a unit corrected with a reason');
SELECT results_eq($$SELECT address, (SELECT count(*) FROM trace.unit_record r WHERE r.uscc = u.uscc)::int
                    FROM trace.units u WHERE uscc = '91440300MA5FQ7W81X'$$, $$VALUES ('新地址'::text, 2)$$,
    'the view shows the new address; the old row is kept');
SELECT throws_ok($$SELECT trace.correct('unit', (SELECT min(id) FROM trace.unit_record WHERE uscc = '91440300MA5FQ7W81X'),
    '{"address": "C"}', 'again')$$, '22023', NULL, 'a superseded record cannot be corrected again');
SELECT throws_ok($$SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code = '(01)06901234567892(21)W2'),
    '{"trace_code": "(01)06901234567892(21)W7"}', 'x')$$, '22023', NULL, 'a trace code is not corrected, it is withdrawn');
SELECT lives_ok($$SELECT trace.correct('flow', (SELECT record_id FROM trace.flows WHERE trace_code = '(01)06901234567892(21)W1'),
    '{"voided": true}', 'recorded for the wrong unit')$$, 'a flow withdrawn');
SELECT is((SELECT count(*)::int FROM trace.flows), 0, 'a withdrawn flow leaves the current view');

-- a producer sells a unit once, again only after buying it back
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567922(21)K1",
    "sale_time": "2026-06-05T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$, 'a producer sells K1');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567922(21)K1",
    "sale_time": "2026-06-06T10:00:00+08:00", "buyer_name": "b2", "buyer_address": "a", "buyer_contact": "c"}')$$, '23505',
    'record 1 (trace_code "(01)06901234567922(21)K1"): field trace_code: unit 91330100MA2H3K5L19 already recorded a sale of (01)06901234567922(21)K1 (2026-06-05T02:00:00Z) with no purchase of it in between',
    'nor sell it a second time');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567922(21)K1",
    "sold_time": "2026-06-06T10:00:00+08:00", "customer_name": "b2"}')$$, '23505', NULL,
    'nor as a seller''s sale');
SELECT lives_ok($$SELECT trace.record_purchase('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567922(21)K1",
    "supplier_name": "b", "purchase_time": "2026-06-07T10:00:00+08:00"}'),
    trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567922(21)K1",
    "sale_time": "2026-06-08T10:00:00+08:00", "buyer_name": "b3", "buyer_address": "a", "buyer_contact": "c"}')$$,
    'after buying K1 back, the producer sells it again');

-- ------------------------------------------------------------- retention of flows and packing (clause 8.5)
SELECT is((SELECT retain_until FROM trace.flows WHERE trace_code = '(01)06901234567922(21)K1' AND sale_time = '2026-06-08T10:00:00+08:00'),
    '2036-06-08'::date, 'a sale is kept by its category''s industry rule: 10 years after the sale, not the item''s date');
SELECT lives_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567922(21)K2", "production_date": "2026-06-01",
    "serial_or_batch": "L1", "inspection_report": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}'),
    trace.pack('{"package_code": "(00)069012340000000085", "uscc": "91330100MA2H3K5L19", "event_time": "2026-06-09T08:00:00+08:00",
    "contents": ["(01)06901234567922(21)K2"]}')$$, 'K2 (10-year rule) packed on 2026-06-09');
SELECT is((SELECT retain_until FROM trace.package_events WHERE content_code = '(01)06901234567922(21)K2'), '2036-06-09'::date,
    'a packing event is kept by the industry rule too, from its own date');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000054",
    "sale_time": "2026-06-09T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}'),
    trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code = '(01)06901234567892(21)W20'),
                  '{"warranty_period": "P20Y"}', 'twenty-year warranty')$$,
    'pallet B (holding W20) sold, then W20''s warranty corrected to 20 years');
SELECT results_eq($$SELECT kind, retain_until FROM trace.retention
                    WHERE (kind = 'item' AND subject = '(01)06901234567892(21)W20')
                       OR (kind = 'package_event' AND subject IN ('(01)06901234567892(21)W20', '(00)069012340000000047'))
                       OR (kind = 'flow' AND subject = '(00)069012340000000054')
                    ORDER BY kind, subject$$,
    $$VALUES ('flow'::text, '2047-06-01'::date), ('item', '2047-06-01'), ('package_event', '2047-06-01'), ('package_event', '2047-06-01')$$,
    'trace.retention keeps the flow and packing events covering W20 as long as the corrected item');
SELECT results_eq($$SELECT (SELECT retain_until FROM trace.flows WHERE trace_code = '(00)069012340000000054'),
                           (SELECT retain_until FROM trace.package_events WHERE content_code = '(01)06901234567892(21)W20')$$,
    $$VALUES ('2028-06-09'::date, '2028-06-06'::date)$$, 'while the ledger rows keep the date they were written with');

-- ------------------------------------------------------------- history marks withdrawn and superseded records
SELECT ok((SELECT e @> pg_catalog.jsonb_build_object('event', 'producer_sale', 'withdrawn', true,
                      'superseded_by', (SELECT max(id) FROM trace.flow_record WHERE trace_code = '(01)06901234567892(21)W1'))
                  AND NOT e ? 'reason'
           FROM pg_catalog.jsonb_array_elements(trace.history('(01)06901234567892(21)W1') -> 'events') e
           WHERE e ->> 'event' = 'producer_sale'
             AND (e ->> 'record_id')::bigint = (SELECT min(id) FROM trace.flow_record WHERE trace_code = '(01)06901234567892(21)W1')),
    'the withdrawn sale itself is marked withdrawn, with the withdrawal that superseded it');
SELECT is((SELECT root FROM trace.flow_record WHERE voided AND trace_code = '(01)06901234567892(21)W1'),
    (SELECT min(id) FROM trace.flow_record WHERE trace_code = '(01)06901234567892(21)W1'),
    'the withdrawal of a first version records that version as its root');
SELECT lives_ok($$SELECT trace.correct('package_event', (SELECT record_id FROM trace.package_events WHERE content_code = '(01)06901234567922(21)K2'),
    '{"voided": true}', 'packed by mistake')$$, 'K2''s packing withdrawn');
SELECT results_eq($$SELECT e ->> 'event', e ->> 'withdrawn', (e ->> 'superseded_by') IS NOT NULL, e ->> 'reason'
                    FROM pg_catalog.jsonb_array_elements(trace.history('(01)06901234567922(21)K2') -> 'events') e
                    WHERE e ->> 'event' = 'pack' ORDER BY (e ->> 'record_id')::bigint$$,
    $$VALUES ('pack'::text, 'true'::text, true, NULL::text), ('pack', 'true', false, 'packed by mistake')$$,
    'history marks the voided pack as withdrawn and superseded; the withdrawal keeps its reason');
SELECT lives_ok($$SELECT trace.correct('flow', (SELECT record_id FROM trace.flows WHERE trace_code = '(01)06901234567922(21)K1'
                                                 AND sale_time = '2026-06-08T10:00:00+08:00'), '{"buyer_name": "b4"}', 'buyer misspelt')$$,
    'K1''s last sale corrected');
SELECT results_eq($$SELECT e ->> 'buyer_name', e ? 'withdrawn', (e ->> 'superseded_by')::bigint = (SELECT max(id) FROM trace.flow_record)
                    FROM pg_catalog.jsonb_array_elements(trace.history('(01)06901234567922(21)K1') -> 'events') e
                    WHERE e ->> 'event' = 'producer_sale' AND e ->> 'at' = '2026-06-08T02:00:00Z' ORDER BY (e ->> 'record_id')::bigint$$,
    $$VALUES ('b3'::text, false, true), ('b4', false, NULL)$$,
    'a corrected sale names the version that superseded it, and is not withdrawn');

-- ------------------------------------------------------------- zero periods
SELECT throws_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-shutoff-valve",
    "product_name": "阀", "product_type": "阀门", "spec_model": "V-0", "mandatory_standards": "GB 1",
    "production_licence_no": "XK-1", "warranty_period": 0,
    "manual_or_warning": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$,
    '22023', 'record 1 (product_name "阀"): field warranty_period: a zero period, but category gas-shutoff-valve has warranties',
    'a zero warranty is refused where the category has warranties');
SELECT lives_ok($$SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-shutoff-valve", "gtin": "06901234567946",
    "product_name": "阀", "product_type": "阀门", "spec_model": "V-1", "mandatory_standards": "GB 1",
    "production_licence_no": "XK-1", "warranty_period": "P1Y",
    "manual_or_warning": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}')$$, 'a valve with a one-year warranty');
SELECT throws_ok(pg_temp.item('(01)06901234567946(21)V1', '{"warranty_period": "P0Y0M"}'),
    '22023', 'record 1 (trace_code "(01)06901234567946(21)V1"): field warranty_period: a zero period, but category gas-shutoff-valve has warranties',
    'nor on an item of such a category');
SELECT lives_ok(pg_temp.item('(01)06901234567892(21)W11', '{"warranty_period": 0}'),
    'a zero warranty where the category has none is still taken (no warranty)');

-- ------------------------------------------------------------- _reg_iso (C) against to_char
SET LOCAL TimeZone = 'America/St_Johns';
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is((SELECT pg_catalog.count(*)::int FROM (VALUES
              (TIMESTAMPTZ '2026-06-01 08:00:00+08'), ('2026-06-01 08:00:00.5+08'), ('2026-06-01 08:00:00.123456+08'),
              ('2026-06-01 08:00:00.000001+08'), ('2026-06-01 08:00:00.12+00'), ('1999-12-31 23:59:59.999999+00'),
              ('0044-03-15 12:00:00+00 BC'), ('0001-01-01 00:00:00+00'), ('12026-01-01 00:00:00+00'),
              ('1970-01-01 00:00:00+00'), ('2000-02-29 16:30:00-03:30')) v(t)
           WHERE trace._reg_iso(v.t) IS DISTINCT FROM
                 pg_catalog.to_char(v.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                 || CASE WHEN pg_catalog.date_part('microseconds', v.t)::bigint % 1000000 = 0 THEN ''
                         ELSE pg_catalog.rtrim(pg_catalog.to_char(v.t AT TIME ZONE 'UTC', '.US'), '0') END
                 || 'Z'), 0,
    '_reg_iso writes every time as to_char in UTC does, whatever TimeZone and DateStyle');
SELECT is(ARRAY[trace._reg_iso('2026-06-01 08:00:00.120+08'), trace._reg_iso('infinity'), trace._reg_iso('-infinity')],
          ARRAY['2026-06-01T00:00:00.12Z', NULL, NULL],
          '_reg_iso drops trailing zeros of the fraction and gives NULL for an infinite time');
RESET TimeZone;
RESET DateStyle;

-- ------------------------------------------------------------- privileges
SELECT ok(NOT has_table_privilege('trace_operator', 'trace.item_record', 'INSERT'), 'operators cannot insert directly');
SELECT ok(has_function_privilege('trace_operator', 'trace.commission(jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('trace_operator', 'trace.add_category(jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('trace_public', 'trace.commission(jsonb)', 'EXECUTE'),
    'write functions for admins and operators; categories for admins only');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'trace'::regnamespace AND p.prosecdef
             AND p.proname IN ('register_unit', 'register_product', 'commission', 'pack', 'unpack', 'record_sale',
                               'record_purchase', 'attach_document', 'correct', 'add_category')
             AND p.proconfig @> '{"search_path=pg_catalog, pg_temp"}'), 11,
    'every write function is SECURITY DEFINER with a pinned search_path');

SELECT * FROM finish();
ROLLBACK;
