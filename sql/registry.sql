-- Registry: the messages users see. One statement per line so that the
-- expected output pins every error (record, field, SQLSTATE class).
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
\set SHOW_CONTEXT never
-- ledger rows cannot be deleted: run in one transaction, each failing
-- statement rolled back to its own savepoint, and leave nothing behind
\set ON_ERROR_ROLLBACK on
BEGIN;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "P", "address": "A", "contact": "C", "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}') ->> 'uscc';
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892", "product_name": "hob", "product_type": "gas", "spec_model": "M1", "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "X", "warranty_period": "P3Y", "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}') ? 'product_id';
-- shapes
SELECT trace.commission(NULL);
SELECT trace.commission('null');
SELECT trace.commission('42');
SELECT trace.commission('[]');
SELECT trace.commission('[{"trace_code": "(01)06901234567892(21)A"}, "x"]');
-- units
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L10", "unit_name": "P", "address": "A", "contact": "C", "business_license": 1}');
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "unit_name": "P", "address": "A", "contact": "C", "business_license": 1}');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["buyer"], "unit_name": "S"}');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"]}');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": ["S"], "address": "A", "contact": "C", "business_license": 1}');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "S", "address": "A", "contact": "C", "business_license": "abc"}');
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "S", "address": "A", "contact": "C", "business_license": "0000000000000000000000000000000000000000000000000000000000000000"}');
-- products
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "product_name": "x"}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "product_name": "x", "product_type": "x", "spec_model": "x", "mandatory_standards": "x"}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "cold-rolled-rebar", "product_name": "x", "product_type": "x", "spec_model": "x", "mandatory_standards": "x", "production_licence_no": "x", "gtin": "06901234567892"}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "cold-rolled-rebar", "product_name": "x", "product_type": "x", "spec_model": "x", "mandatory_standards": "x", "production_licence_no": "x", "warranty_period": "2 years"}');
-- items
SELECT trace.commission('{"trace_code": 6901234567892}');
SELECT trace.commission('{"production_date": "2026-06-01"}');
SELECT trace.commission('{"trace_code": "(01)06901234567893(21)A"}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A"}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-06-31", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-07-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}, "warranty_period": "forever"}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}, "collection_method": "telepathy"}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}, "uscc": "91440300MA5FQ7W81X"}');
SELECT trace.commission('[{"trace_code": "(01)06901234567892(21)A", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}, {"trace_code": "]d2010690123456789221A", "production_date": "2026-06-01", "serial_or_batch": "L", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}]');
SELECT trace.commission('{"trace_code": "]d2010690123456789221A\u001d11260601\u001d10LOT7", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SELECT trace_code, production_date, serial_or_batch, collection_method FROM trace.items;
-- packing
SELECT trace.pack('{"package_code": "(00)069012340000000016", "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "contents": "(01)06901234567892(21)A", "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(01)06901234567892(21)A", "contents": ["(00)069012340000000016"], "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "contents": ["(01)06901234567892(21)A", "(01)06901234567892(21)A"], "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "contents": ["(01)06901234567892(21)Z"], "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "contents": ["(01)06901234567892(21)A"], "event_time": "2026-07-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000016", "contents": ["(01)06901234567892(21)A"], "event_time": "2026-06-02T08:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.pack('{"package_code": "(00)069012340000000023", "contents": ["(01)06901234567892(21)A"], "event_time": "2026-06-02T09:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.unpack('{"package_code": "(00)069012340000000023", "contents": ["(01)06901234567892(21)A"], "event_time": "2026-06-02T09:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.unpack('{"package_code": "(00)069012340000000016", "contents": ["(01)06901234567892(21)A"], "event_time": "2026-06-02T07:00:00+08:00", "uscc": "91330100MA2H3K5L19"}');
-- flows
SELECT trace.record_sale('{"trace_code": "(00)069012340000000016"}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016"}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "B", "buyer_address": "A", "buyer_contact": "C", "quantity": 2}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "B", "buyer_address": "A", "buyer_contact": "C", "customer_name": "X"}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)A", "sale_time": "2026-05-31T10:00:00+08:00", "buyer_name": "B", "buyer_address": "A", "buyer_contact": "C"}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03 10:00", "buyer_name": "B", "buyer_address": "A", "buyer_contact": "C"}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03T10:00:00+08:00", "buyer_name": "B", "buyer_address": "A", "buyer_contact": "C", "quantity": 1}');
SELECT trace.record_purchase('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "supplier_name": "S", "purchase_time": "2026-06-04T10:00:00+08:00"}');
SELECT event, via FROM pg_catalog.jsonb_to_recordset(trace.history('(01)06901234567892(21)A') -> 'events') AS e(event text, via text);
-- corrections
SELECT trace.correct('category', 1, '{}', 'x');
SELECT trace.correct('unit', 999999, '{}', 'x');
SELECT trace.correct('unit', (SELECT record_id FROM trace.units), '{"uscc": "91440300MA5FQ7W81X"}', 'x');
SELECT trace.correct('unit', (SELECT record_id FROM trace.units), '{"voided": true, "address": "B"}', 'x');
SELECT trace.correct('unit', (SELECT record_id FROM trace.units), '[]', 'x');
ROLLBACK;
