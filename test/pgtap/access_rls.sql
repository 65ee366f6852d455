-- Row-level security and operator bindings (issue 5, deliverable 3).
BEGIN;
SELECT plan(46);
\ir fixtures/access_scenario.psql

CREATE ROLE acc_admin IN ROLE trace_admin;
CREATE ROLE acc_factory IN ROLE trace_operator;
CREATE ROLE acc_dist IN ROLE trace_operator;
CREATE ROLE acc_unbound IN ROLE trace_operator;
CREATE ROLE acc_factory_group IN ROLE trace_operator;
CREATE ROLE acc_factory_line2 IN ROLE acc_factory_group;
CREATE ROLE acc_regulator IN ROLE trace_regulator;
CREATE ROLE acc_public IN ROLE trace_public;
CREATE ROLE acc_nobody;

-- bindings: by trace_admin only, validated, ledger rows
SET LOCAL ROLE acc_admin;
SELECT is(trace.bind_operator('acc_factory', '91330100MA2H3K5L19'),
    '{"role": "acc_factory", "uscc": "91330100MA2H3K5L19", "bound": true}', 'trace_admin binds an operator to a unit');
SELECT lives_ok($$SELECT trace.bind_operator('acc_dist', '91440300MA5FQ7W81X')$$, 'a second operator, another unit');
SELECT lives_ok($$SELECT trace.bind_operator('acc_factory_group', '91330100MA2H3K5L19')$$, 'a group role can be bound');
SELECT throws_ok($$SELECT trace.bind_operator('acc_factory', '91330100MA2H3K5L19')$$, '23505', NULL, 'binding twice: 23505');
SELECT throws_ok($$SELECT trace.bind_operator('acc_nobody', '91330100MA2H3K5L19')$$, '22023', NULL,
    'a role that is not a trace_operator cannot be bound');
SELECT throws_ok($$SELECT trace.bind_operator('acc_factory', '91330100MA2H3K5L18')$$, '22P02', NULL, 'a bad USCC: 22P02');
SELECT throws_ok($$SELECT trace.bind_operator('acc_no_such_role', '91330100MA2H3K5L19')$$, '42704', NULL, 'an unknown role: 42704');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM trace.operator_binding), 3, 'three binding rows');
SELECT ok(EXISTS (SELECT 1 FROM trace.ledger_tables WHERE relid = 'trace.operator_binding'::regclass),
    'operator_binding is a ledger table');
SELECT throws_ok($$DELETE FROM trace.operator_binding$$, NULL, NULL, 'bindings cannot be deleted, even by a superuser');
SET LOCAL ROLE acc_factory;
SELECT throws_ok($$SELECT trace.bind_operator('acc_factory', '91440300MA5FQ7W81X')$$, '42501', NULL,
    'an operator cannot bind itself to another unit');
RESET ROLE;
SET LOCAL ROLE acc_regulator;
SELECT throws_ok($$SELECT trace.bind_operator('acc_factory', '91440300MA5FQ7W81X')$$, '42501', NULL, 'nor can a regulator');
RESET ROLE;

-- reads: operators see their unit's rows and the flows they are party to
SET LOCAL ROLE acc_factory;
SELECT is((SELECT count(*)::int FROM trace.item_record), 6, 'factory operator: its six items (table)');
SELECT is((SELECT count(*)::int FROM trace.items), 6, 'factory operator: its six items (registry view, security_invoker)');
SELECT is((SELECT pg_catalog.array_agg(uscc::text) FROM trace.units), '{91330100MA2H3K5L19}', 'factory operator: only its own unit');
SELECT is((SELECT count(*)::int FROM trace.flow_record), 4, 'factory operator: its two sales and the two purchases naming it as supplier');
SELECT is((SELECT count(*)::int FROM trace.products), 1, 'factory operator: its product only');
SELECT is((SELECT count(*)::int FROM trace.documents WHERE uscc::text IS DISTINCT FROM '91330100MA2H3K5L19'), 0,
    'factory operator: no document of another unit');
SELECT ok((SELECT count(*) FROM trace.documents) >= 3, 'factory operator: its licence, manual and inspection report');
SELECT is(trace._acc_units_of('acc_factory')::text[], '{91330100MA2H3K5L19}', 'an operator asks for its own units');
SELECT is(trace._acc_units_of('acc_dist')::text[], '{}', 'but learns nothing of another role''s bindings');
RESET ROLE;
SET LOCAL ROLE acc_dist;
SELECT is((SELECT count(*)::int FROM trace.item_record), 0, 'distributor operator: no items (it produced none)');
SELECT is((SELECT count(*)::int FROM trace.flow_record), 7,
    'distributor operator: its purchases and sales, the factory''s sales to it, the retailer''s purchase from it');
SELECT ok(NOT EXISTS (SELECT 1 FROM trace.flows WHERE customer_name = '个人消费者甲'),
    'distributor operator: not the retailer''s sale to a consumer');
RESET ROLE;
SET LOCAL ROLE acc_unbound;
SELECT is((SELECT count(*)::int FROM trace.item_record) + (SELECT count(*)::int FROM trace.unit_record)
          + (SELECT count(*)::int FROM trace.flow_record) + (SELECT count(*)::int FROM trace.document_content), 0,
    'an unbound operator reads no registry rows');
RESET ROLE;
SET LOCAL ROLE acc_factory_line2;
SELECT is((SELECT count(*)::int FROM trace.items), 6, 'a member of a bound group role reads the group''s unit');
RESET ROLE;
SET LOCAL ROLE acc_regulator;
SELECT is((SELECT count(*)::int FROM trace.items), 7, 'regulator reads every item');
SELECT is((SELECT count(*)::int FROM trace.flows), 9, 'regulator reads every flow');
SELECT is((SELECT count(*)::int FROM trace.units), 4, 'regulator reads every unit');
RESET ROLE;

-- writes: only for the bound unit
SET LOCAL ROLE acc_factory;
SELECT lives_ok($$SELECT trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)' || c,
    'production_date', '2026-06-20', 'serial_or_batch', 'B260620',
    'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex'))))
    FROM pg_catalog.unnest('{H0100,H0104}'::text[]) c$$,
    'the factory operator commissions an item of its own product');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0100",
    "sale_time": "2026-06-21T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$,
    'and records its own sale');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
    "sold_time": "2026-06-21T10:00:00+08:00", "customer_name": "x"}')$$, '42501',
    'role "acc_factory" is not bound to unit 91440300MA5FQ7W81X', 'a sale in another unit''s name is refused');
SELECT throws_ok($$SELECT trace.add_category('{"code": "x", "name_zh": "x", "name_en": "x", "licence_managed": false,
    "ccc_managed": false, "has_warranty": false, "needs_manual": false}')$$, '42501', NULL, 'operators add no categories');
SELECT throws_ok($$INSERT INTO trace.item_record (trace_code) VALUES ('(01)06901234567892(21)H0101')$$, '42501', NULL,
    'no direct INSERT on a registry table');
RESET ROLE;
SET LOCAL ROLE acc_dist;
SELECT throws_ok($$SELECT trace.commission(('{"trace_code": "(01)06901234567892(21)H0102", "production_date": "2026-06-20",
    "serial_or_batch": "B260620", "inspection_report": "' || pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex') || '"}')::jsonb)$$,
    '42501', 'role "acc_dist" is not bound to unit 91330100MA2H3K5L19', 'the distributor cannot commission the factory''s product');
SELECT throws_ok($$SELECT trace.correct('item', (SELECT pg_catalog.max(id) FROM trace.item_record), '{"serial_or_batch": "X"}', 'r')$$,
    NULL, NULL, 'nor correct the factory''s items');
RESET ROLE;
SET LOCAL ROLE acc_unbound;
-- trace.correct reads as its owner: a role that may not change a record
-- learns nothing of it from the refusal, whatever it asks to change
RESET ROLE;
SELECT (SELECT pg_catalog.max(id) FROM trace.item_record) AS item_id, (SELECT pg_catalog.min(id) FROM trace.flow_record) AS flow_id,
       (SELECT pg_catalog.min(id) FROM trace.unit_record) AS unit_id, (SELECT pg_catalog.min(id) FROM trace.product_record) AS product_id \gset
SET LOCAL ROLE acc_unbound;
SELECT throws_ok(pg_catalog.format($$SELECT trace.correct('item', %s, '{"production_date": "2999-01-01"}', 'r')$$, :item_id),
    '42501', 'role "acc_unbound" may not change item record ' || :item_id,
    'an unbound operator''s correction of an item is refused before the new values are checked');
SELECT throws_ok(pg_catalog.format($$SELECT trace.correct('flow', %s, '{"quantity": 5}', 'r')$$, :flow_id),
    '42501', 'role "acc_unbound" may not change flow record ' || :flow_id,
    'and of a flow (no unit count or code in the error)');
SELECT throws_ok(pg_catalog.format($$SELECT trace.correct('unit', %s, '{"address": ""}', 'r')$$, :unit_id),
    '42501', 'role "acc_unbound" may not change unit record ' || :unit_id, 'and of a unit (no USCC in the error)');
RESET ROLE;
SET LOCAL ROLE acc_unbound;
SELECT throws_ok($$SELECT trace.register_unit('{"uscc": "91110000MA00000000", "unit_name": "x", "address": "y", "contact": "z",
    "business_license": {"content_base64": "eA==", "media_type": "text/plain"}}')$$, NULL, NULL,
    'an unbound operator registers no unit');
RESET ROLE;
SET LOCAL ROLE acc_regulator;
SELECT throws_ok($$SELECT trace.commission('{"trace_code": "(01)06901234567892(21)H0103"}')$$, '42501', NULL,
    'a regulator cannot call a registry write');
RESET ROLE;
CREATE ROLE acc_reg_op IN ROLE trace_regulator, trace_operator;
SELECT trace.bind_operator('acc_reg_op', '91330100MA2H3K5L19') IS NULL;
SET LOCAL ROLE acc_reg_op;
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0104",
    "sale_time": "2026-06-21T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$, '42501',
    'role "acc_reg_op" is a regulator and may not write flow_record', 'a regulator writes nothing, even when also an operator');
RESET ROLE;
SET LOCAL ROLE acc_admin;
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
    "sold_time": "2026-06-21T10:00:00+08:00", "customer_name": "x"}')$$, 'trace_admin writes for any unit');
-- unbinding
SELECT is(trace.unbind_operator('acc_factory', '91330100MA2H3K5L19') ->> 'bound', 'false', 'trace_admin unbinds');
RESET ROLE;
SET LOCAL ROLE acc_factory;
SELECT is((SELECT count(*)::int FROM trace.items), 0, 'an unbound operator no longer reads the unit');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0104",
    "sale_time": "2026-06-21T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}')$$, '42501', NULL,
    'nor writes for it');
RESET ROLE;

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
