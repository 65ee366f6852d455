-- Public views (issue 5, deliverable 2): trace.public_* for trace_public,
-- security_invoker, over column grants and row policies; trace_public reads
-- nothing else.
BEGIN;
SELECT plan(30);
\ir fixtures/access_scenario.psql
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0001'::trace.code),
    '{"serial_or_batch": "B260601-2"}', 'batch number mistyped') IS NULL;
CREATE ROLE acp_public IN ROLE trace_public;

SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relname LIKE 'public\_%' AND c.relkind = 'v'),
    '{public_documents,public_items,public_products,public_sales,public_units}', 'five public views');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relname LIKE 'public\_%' AND c.relkind = 'v'
             AND 'security_invoker=true' = ANY (c.reloptions)), 5, 'every public view is security_invoker');
-- view columns are public fields of the catalogue (or the identifiers that name them)
SELECT is((SELECT pg_catalog.array_agg(DISTINCT a.attname::text ORDER BY a.attname::text)
           FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relname IN ('public_units', 'public_products', 'public_items')
             AND a.attnum > 0
             AND a.attname::text NOT IN (SELECT f.field FROM trace.field_catalog f WHERE f.public <> 'n')),
    '{gtin}', 'public unit, product and item views: only catalogue public fields (and the GTIN of the code)');

SET LOCAL ROLE acp_public;
SELECT is((SELECT pg_catalog.to_jsonb(i) - 'trace_code' - 'production_date' FROM trace.public_items i
           WHERE i.trace_code::text = '(01)06901234567892(21)H0001'),
    '{"uscc": "91330100MA2H3K5L19", "spec_model": "JZT-2-A1", "product_name": "家用燃气灶", "product_type": "燃气器具",
      "serial_or_batch": "B260601-2", "warranty_period": "P3Y", "manual_or_warning": "36bde66f289a35683683b041c6d8f418a5f36607b547da25d00ad55891e80b88",
      "ccc_certificate_no": "2026010201000001", "mandatory_standards": "GB 16410-2020", "production_licence_no": null}'::jsonb,
    'public_items: the Table 3 record of a unit, current version, d fields only where they apply');
SELECT is((SELECT count(*)::int FROM trace.public_items), 7, 'public_items: one row per current item (corrections not repeated)');
SELECT is((SELECT count(*)::int FROM trace.public_units), 4, 'public_units: every current unit');
SELECT is((SELECT production_licence_no FROM trace.public_products WHERE gtin::text = '06901234567939'), 'XK06-001-00001',
    'public_products: licence number where the category is under licence management');
SELECT is((SELECT warranty_period FROM trace.public_products WHERE gtin::text = '06901234567939'), NULL,
    'public_products: no warranty where the category has none');
SELECT is((SELECT pg_catalog.array_agg(seller_uscc::text || ' ' || trace_code::text ORDER BY trace_code::text) FROM trace.public_sales),
    ARRAY['91440300MA5FQ7W81X (00)069012340000000023', '92110105MA01ABC2DR (01)06901234567892(21)H0001',
          '91320200MA1N2P3Q48 (01)06901234567939(21)C0001'],
    'public_sales: only sales to end customers, not the sales between businesses');
SELECT is((SELECT count(*)::int FROM trace.public_documents), 6, 'public_documents: four licences and two manuals');
SELECT is((SELECT count(*)::int FROM trace.public_documents
           WHERE sha256 = pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex')), 0,
    'public_documents: no inspection report');
SELECT is((SELECT pg_catalog.convert_from(content, 'UTF8') FROM trace.public_documents
           WHERE sha256 = pg_catalog.encode(pg_catalog.sha256('manual'::bytea), 'hex')), 'manual', 'a manual can be downloaded');

-- around the views: base-table columns outside the grant, other relations
SELECT throws_ok($$SELECT inspection_report FROM trace.item_record$$, '42501', NULL, 'no inspection report column');
SELECT throws_ok($$SELECT buyer_name FROM trace.flow_record$$, '42501', NULL, 'no buyer column');
-- the d fields are read only through the views, which show them where they apply
-- (the gas hob's product carries a licence number its category does not ask for)
SELECT throws_ok($$SELECT production_licence_no FROM trace.product_record$$, '42501', NULL,
    'no licence-number column of the product table');
SELECT throws_ok($$SELECT warranty_period, ccc_certificate_no, manual_or_warning FROM trace.item_record$$, '42501', NULL,
    'no d-field column of the item table');
SELECT is((SELECT count(*)::int FROM trace.product_record p, trace._acc_public_d(p.id, NULL) d
           WHERE d.production_licence_no = 'XK-IGNORED-NOT-LICENCE-MANAGED'), 0,
    'nor does the helper the views use show a licence number where the category has no licence');
SELECT is((SELECT count(*)::int FROM pg_catalog.generate_series(1, 1000) g, trace._acc_public_d(g, NULL) d
           WHERE d.production_licence_no IS NOT NULL), 1,
    'the helper answers for current products only, whatever ids it is asked (the cable''s licence)');
SELECT throws_ok($$SELECT * FROM trace.items$$, '42501', NULL, 'no registry view');
SELECT throws_ok($$SELECT * FROM trace.flows$$, '42501', NULL, 'no flows view');
SELECT throws_ok($$SELECT * FROM trace.units$$, '42501', NULL, 'no units view');
SELECT throws_ok($$SELECT * FROM trace.operator_binding$$, '42501', NULL, 'no bindings');
SELECT throws_ok($$SELECT * FROM trace.ledger_blocks$$, '42501', NULL, 'no ledger internals');
SELECT is((SELECT count(*)::int FROM trace.flow_record), 3, 'the flow table itself shows the public sales only');
SELECT is((SELECT count(*)::int FROM trace.item_record), 7, 'the item table itself shows current items only');
SELECT is((SELECT count(*)::int FROM trace.document_record
           WHERE sha256 = pg_catalog.sha256('inspection batch B260601'::bytea)), 0, 'nor an inspection report row');
SELECT throws_ok($$SELECT trace.history('(01)06901234567892(21)H0001')$$, '42501', NULL, 'no history');
RESET ROLE;
SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname::text) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
             AND pg_catalog.has_table_privilege('acp_public', c.oid, 'SELECT')),
    '{categories,field_catalog,public_documents,public_items,public_products,public_sales,public_units}',
    'trace_public reads whole relations: the public views and the two reference lists only');

-- a gas-hob unit that carries a licence number of its own (its category has none)
RESET ROLE;
SELECT trace.commission(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)H0009',
    'production_date', '2026-06-01', 'serial_or_batch', 'B260601', 'production_licence_no', 'ITEM-SECRET-LICENCE',
    'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex'))) IS NULL AS _ \gset
SET LOCAL ROLE acp_public;
SELECT is((SELECT count(*)::int FROM trace.item_record i, trace.product_record p, trace._acc_public_d(p.id, i.id) d
           WHERE d.production_licence_no = 'ITEM-SECRET-LICENCE'), 0,
    'nor does pairing an item with another category''s product show the item''s own licence number');
-- the policies' helper is no oracle: a corrected record, a withdrawn one and
-- a missing id all answer the same false; a current record true
RESET ROLE;
SELECT (SELECT pg_catalog.min(i.id) FROM trace.item_record i WHERE i.trace_code::text = '(01)06901234567892(21)H0001') AS old_id,
       (SELECT pg_catalog.max(i.id) FROM trace.item_record i WHERE i.trace_code::text = '(01)06901234567892(21)H0001') AS new_id,
       (SELECT pg_catalog.max(i.id) + 1000 FROM trace.item_record i) AS no_id \gset
SET LOCAL ROLE acp_public;
SELECT is(ARRAY[trace._acc_current('item_record', :old_id), trace._acc_current('item_record', :no_id),
                trace._acc_current('item_record', :new_id)],
          ARRAY[false, false, true],
          '_acc_current, as trace_public: a superseded record and a missing id look alike; the current record is current');
RESET ROLE;
\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
