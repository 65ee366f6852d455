-- Registry scenario: factory -> distributor -> retailer -> consumer, with
-- packing into SSCC cartons at the factory and unpacking at the distributor.
-- Identifiers carry computed check digits (GS1 mod 10, GB 32100 mod 31).
--   factory      91330100MA2H3K5L19   distributor 91440300MA5FQ7W81X
--   retailer     92110105MA01ABC2DR   GTIN 06901234567892 (domestic gas hob)
--   cartons      (00)069012340000000016, (00)069012340000000023
BEGIN;
SELECT plan(63);
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';
SET LOCAL search_path = public, trace;   -- the code types' operators

SELECT trace.register_unit($${"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf", "file_name": "licence.pdf"}}$$);
SELECT trace.register_unit($${"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "深圳示例分销有限公司",
    "address": "深圳市示例大道2号", "contact": "+86 755 6666 0000",
    "business_license": {"content_base64": "bGljZW5jZSBESVNU", "media_type": "application/pdf"}}$$);
SELECT trace.register_unit($${"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "北京示例五金店",
    "address": "北京市示例街3号", "contact": "+86 10 5555 0000",
    "business_license": {"content_base64": "bGljZW5jZSBSRVRBSUw=", "media_type": "image/png"}}$$);

SELECT trace.register_product($${"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
    "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf", "file_name": "manual.pdf"}}$$);
SELECT trace.attach_document($${"content_base64": "aW5zcGVjdGlvbiBiYXRjaCBCMjYwNjAx", "media_type": "application/pdf",
    "file_name": "inspection-B260601.pdf", "uscc": "91330100MA2H3K5L19"}$$);

-- six units by manual entry, one by a raw GS1 DataMatrix scan that carries
-- the production date (AI 11) and batch (AI 10)
SELECT is((trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567892(21)H000' || n, 'production_date', '2026-06-01', 'serial_or_batch', 'B260601',
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex')))) ->> 'commissioned')::int,
    6, 'factory commissions six units in one batch')
FROM pg_catalog.generate_series(1, 6) n;
SELECT is((trace.commission(pg_catalog.jsonb_build_object(
        'trace_code', ']d2' || '010690123456789221H0007' || pg_catalog.chr(29) || '10B260601' || pg_catalog.chr(29) || '11260601',
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex'))) ->> 'commissioned')::int,
    1, 'a raw scanner string is accepted as the trace code');
SELECT results_eq($$SELECT production_date, serial_or_batch, collection_method FROM trace.items
                    WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0007'::trace.code$$,
    $$VALUES ('2026-06-01'::date, 'B260601'::text, 'automatic'::text)$$,
    'the scan is normalised; production date and batch come from AIs 11 and 10; collection recorded as automatic');

-- packing into SSCC cartons at the factory
SELECT is((trace.pack($${"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T08:00:00+08:00",
    "contents": ["(01)06901234567892(21)H0001", "(01)06901234567892(21)H0002", "(01)06901234567892(21)H0003"]}$$) ->> 'packed')::int,
    3, 'carton 1 packed with three units');
SELECT is((trace.pack($${"package_code": "]C100069012340000000023", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T08:05:00+08:00",
    "contents": ["(01)06901234567892(21)H0004", "(01)06901234567892(21)H0005", "(01)06901234567892(21)H0006"]}$$) ->> 'packed')::int,
    3, 'carton 2 (SSCC scanned from GS1-128) packed with three units');
SELECT throws_ok($$SELECT trace.pack('{"package_code": "(00)069012340000000030", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T09:00:00+08:00", "contents": ["(01)06901234567892(21)H0001"]}')$$,
    '22023', NULL, 'a unit already in a carton cannot be packed again');
SELECT throws_ok($$SELECT trace.pack('{"package_code": "(00)069012340000000047", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-02T09:00:00+08:00", "contents": ["(01)06901234567892(21)H0007"]}')$$, '22023',
    'record 1 (package_code "(00)069012340000000047"): field contents: unit 91440300MA5FQ7W81X does not hold (01)06901234567892(21)H0007 at 2026-06-02T01:00:00Z',
    'a unit that never bought H0007 cannot pack the factory''s unit');

-- factory sells both cartons to the distributor
SELECT is(trace.record_sale($$[
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03T10:00:00+08:00",
     "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道2号", "buyer_contact": "+86 755 6666 0000",
     "buyer_uscc": "91440300MA5FQ7W81X", "quantity": 3},
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000023", "sale_time": "2026-06-03T10:00:00+08:00",
     "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道2号", "buyer_contact": "+86 755 6666 0000",
     "buyer_uscc": "91440300MA5FQ7W81X"}]$$) -> 1 -> 'quantity', '3'::jsonb,
    'factory sells two cartons; the quantity of a carton is the number of units in it');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0007",
     "sale_time": "2026-05-31T10:00:00+08:00", "buyer_name": "x", "buyer_address": "y", "buyer_contact": "z"}')$$,
    '22023', NULL, 'a sale before the production date is refused');

-- the distributor buys them: not before the factory's sale
SELECT throws_like($$SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016",
     "supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19",
     "purchase_time": "2026-06-03T09:59:00+08:00"}')$$,
    '%before the supplier''s sale%', 'a purchase before the supplier''s sale is refused');
SELECT lives_ok($$SELECT trace.record_purchase('[
    {"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016", "supplier_name": "杭州示例燃气具有限公司",
     "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T09:00:00+08:00"},
    {"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000023", "supplier_name": "杭州示例燃气具有限公司",
     "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T09:00:00+08:00"}]')$$,
    'distributor records the purchase of both cartons');
SELECT throws_ok($$SELECT trace.unpack('{"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-04T10:00:00+08:00"}')$$, '22023',
    'record 1 (package_code "(00)069012340000000016"): field contents: unit 91330100MA2H3K5L19 does not hold (01)06901234567892(21)H0001 at 2026-06-04T02:00:00Z',
    'the factory cannot unpack a carton it sold');
SELECT throws_ok($$SELECT trace.unpack('{"package_code": "(00)069012340000000023", "uscc": "92110105MA01ABC2DR",
    "event_time": "2026-06-05T10:00:00+08:00"}')$$, '22023',
    'record 1 (package_code "(00)069012340000000023"): field contents: unit 92110105MA01ABC2DR does not hold (01)06901234567892(21)H0004 at 2026-06-05T02:00:00Z',
    'nor can the retailer unpack the distributor''s carton');

-- the distributor unpacks carton 1 and sells one unit to the retailer
SELECT is((trace.unpack($${"package_code": "(00)069012340000000016", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-05T09:00:00+08:00"}$$) ->> 'unpacked')::int, 3, 'distributor unpacks carton 1 (all contents)');
SELECT throws_ok($$SELECT trace.pack('{"package_code": "(00)069012340000000061", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-05T10:00:00+08:00", "contents": ["(01)06901234567892(21)H0007"]}'),
    trace.pack('{"package_code": "(00)069012340000000061", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-05T11:00:00+08:00", "contents": ["(01)06901234567892(21)H0002"]}')$$, '22023',
    'record 1 (package_code "(00)069012340000000061"): field package_code: unit 91440300MA5FQ7W81X does not hold (01)06901234567892(21)H0007 (in (00)069012340000000061) at 2026-06-05T03:00:00Z',
    'the distributor cannot pack its unit into a carton holding the factory''s unit');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "]d2010690123456789221H0001",
     "sold_time": "2026-06-06T10:00:00+08:00", "customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"}')$$,
    'distributor sells unit H0001 (scanned) to the retailer');
SELECT lives_ok($$SELECT trace.record_purchase('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)H0001",
     "supplier_name": "深圳示例分销有限公司", "supplier_uscc": "91440300MA5FQ7W81X",
     "purchase_time": "2026-06-07T09:00:00+08:00", "quantity": 1}')$$, 'retailer records the purchase');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "92110105MA01ABC2DR", "trace_code": "https://id.gs1.org/01/06901234567892/21/H0001",
     "sold_time": "2026-06-10T15:30:00+08:00", "customer_name": "个人消费者"}')$$,
    'retailer sells H0001 to a consumer (Digital Link scanned)');

-- both package queries, at any time
SELECT results_eq($$SELECT content_code::text FROM trace.package_contents('(00)069012340000000016', '2026-06-04 12:00+08')$$,
    $$SELECT c::trace.code::text FROM (VALUES ('(01)06901234567892(21)H0001'), ('(01)06901234567892(21)H0002'),
                                              ('(01)06901234567892(21)H0003')) v(c) ORDER BY 1$$,
    'what was in carton 1 on 4 June: three units');
SELECT is((SELECT count(*)::int FROM trace.package_contents('(00)069012340000000016')), 0,
    'carton 1 is empty now');
SELECT is(trace.package_of('(01)06901234567892(21)H0002', '2026-06-04 12:00+08')::text,
    '(00)069012340000000016'::trace.code::text, 'which package held H0002 on 4 June: carton 1');
SELECT is(trace.package_of('(01)06901234567892(21)H0002'), NULL, 'H0002 is in no package now');
SELECT is(trace.package_of('(01)06901234567892(21)H0005')::text, '(00)069012340000000023'::trace.code::text,
    'H0005 is still in carton 2');
SELECT is(trace.package_of('(01)06901234567892(21)H0005', '2026-06-02 07:00+08'), NULL,
    'before packing, H0005 was in no package');

-- the whole life of H0001
SELECT is(pg_catalog.jsonb_path_query_array(trace.history('(01)06901234567892(21)H0001') -> 'events', '$[*].event'),
    '["production", "pack", "producer_sale", "seller_purchase", "unpack", "seller_sale", "seller_purchase", "seller_sale"]'::jsonb,
    'history of H0001: production, packing, every sale and purchase, unpacking, in order');
SELECT is(pg_catalog.jsonb_path_query_array(trace.history('(01)06901234567892(21)H0001') -> 'events', '$[*].uscc'),
    '["91330100MA2H3K5L19", "91330100MA2H3K5L19", "91330100MA2H3K5L19", "91440300MA5FQ7W81X", "91440300MA5FQ7W81X",
      "91440300MA5FQ7W81X", "92110105MA01ABC2DR", "92110105MA01ABC2DR"]'::jsonb,
    'history of H0001: the unit recording each step');
SELECT is(trace.history('(01)06901234567892(21)H0001') -> 'events' -> 2 ->> 'via', '(00)069012340000000016'::trace.code::text,
    'the factory sale reached H0001 through carton 1');
SELECT is(pg_catalog.jsonb_path_query_array(trace.history('(01)06901234567892(21)H0005') -> 'events', '$[*].event'),
    '["production", "pack", "producer_sale", "seller_purchase"]'::jsonb, 'history of H0005: still in carton 2 at the distributor');

-- a correction supersedes, and history shows it
SELECT lives_ok($$SELECT trace.correct('item',
    (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0001'::trace.code),
    '{"serial_or_batch": "B260601-2"}', 'batch number mistyped at the line')$$, 'the factory corrects the batch of H0001');
SELECT is((SELECT serial_or_batch FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0001'::trace.code),
    'B260601-2', 'the current item shows the correction');
SELECT is(trace.history('(01)06901234567892(21)H0001') #>> '{events,-1,reason}', 'batch number mistyped at the line',
    'history ends with the correction and its reason');

-- completeness and retention
SELECT is((trace.completeness('91330100MA2H3K5L19') -> 'as_producer') - 'optional_missing'::text,
    '{"records": 7, "complete": 6, "share": 0.8571, "missing_fields": [{"field": "sale_time", "records": 1},
      {"field": "buyer_name", "records": 1}, {"field": "buyer_address", "records": 1}, {"field": "buyer_contact", "records": 1}]}'::jsonb,
    'factory: 6 of 7 unit records complete; the unsold H0007 lacks the flow fields');
SELECT is((SELECT retain_until FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0002'::trace.code),
    '2030-06-01'::date, 'retention: production date + 3-year warranty + 1 year');

-- corrections keep the time order of what was recorded
SELECT throws_like($$SELECT trace.correct('item',
    (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0002'::trace.code),
    '{"production_date": "2026-06-03"}', 'date mistyped')$$,
    '%: field production_date: 2026-06-03 is after the pack of (01)06901234567892(21)H0002 recorded at 2026-06-02T00:00:00Z',
    'a production date corrected to after the unit''s packing is refused');
SELECT throws_like($$SELECT trace.correct('item',
    (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0007'::trace.code),
    '{"production_date": "2026-06-20", "serial_or_batch": "B260620"}', 'date mistyped')$$,
    '%: field production_date: 2026-06-20 is after the producer sale of (01)06901234567892(21)H0007 recorded at 2026-06-10T02:00:00Z',
    'nor to after its sale') FROM (SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0007",
     "sale_time": "2026-06-10T10:00:00+08:00", "buyer_name": "x", "buyer_address": "y", "buyer_contact": "z"}')) s;
SELECT throws_ok($$SELECT trace.correct('flow', (SELECT record_id FROM trace.flows WHERE kind = 'producer_sale'
     AND trace_code OPERATOR(trace.=) '(00)069012340000000016'::trace.code), '{"sale_time": "2026-06-04T10:00:00+08:00"}', 'time mistyped')$$,
    '22023', pg_catalog.format('flow record %s: field sale_time: the purchase of (00)069012340000000016 by unit 91440300MA5FQ7W81X (flow %s, 2026-06-04T01:00:00Z) would be before the supplier''s sale of it (2026-06-04T02:00:00Z)',
        (SELECT record_id FROM trace.flows WHERE kind = 'producer_sale' AND trace_code OPERATOR(trace.=) '(00)069012340000000016'::trace.code),
        (SELECT flow_id FROM trace.flows WHERE kind = 'seller_purchase' AND trace_code OPERATOR(trace.=) '(00)069012340000000016'::trace.code)),
    'a sale time corrected to after the buyer''s purchase is refused');
SELECT lives_ok($$SELECT trace.correct('flow', (SELECT record_id FROM trace.flows WHERE kind = 'producer_sale'
     AND trace_code OPERATOR(trace.=) '(00)069012340000000016'::trace.code), '{"sale_time": "2026-06-03T11:00:00+08:00"}', 'time mistyped')$$,
    'a sale time corrected within the order is accepted');

-- nested packing: the distributor takes H0006 out of carton 2, puts carton 2
-- on a pallet and sells the pallet; H0005 goes with it, H0006 does not
SELECT is((trace.unpack($${"package_code": "(00)069012340000000023", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-07T09:00:00+08:00", "contents": ["(01)06901234567892(21)H0006"]}$$) ->> 'unpacked')::int, 1,
    'distributor takes H0006 out of carton 2');
SELECT is((trace.pack($${"package_code": "(00)069012340000000030", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-07T10:00:00+08:00", "contents": ["(00)069012340000000023"]}$$) ->> 'packed')::int, 1,
    'distributor puts carton 2 on a pallet');
SELECT is(trace.record_sale($${"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000030",
    "sold_time": "2026-06-08T10:00:00+08:00", "customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"}$$) -> 'quantity',
    '2'::jsonb, 'distributor sells the pallet: the two units left in carton 2');
SELECT throws_ok($$SELECT trace.unpack('{"package_code": "(00)069012340000000023", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-09T10:00:00+08:00"}')$$, '22023',
    'record 1 (package_code "(00)069012340000000023"): field contents: unit 91440300MA5FQ7W81X does not hold (01)06901234567892(21)H0004 at 2026-06-09T02:00:00Z',
    'after selling the pallet, the distributor cannot unpack carton 2 on it');
SELECT is(pg_catalog.jsonb_path_query_array(trace.history('(01)06901234567892(21)H0005') -> 'events', '$[*] ? (@.at > "2026-06-06") .event'),
    '["pack", "seller_sale"]'::jsonb, 'history of H0005: carton 2 packed on the pallet, then the pallet''s sale');
SELECT is(trace.history('(01)06901234567892(21)H0005') #>> '{events,-1,via}', '(00)069012340000000030'::trace.code::text,
    'the pallet sale reached H0005 through two levels of packing');
SELECT is(pg_catalog.jsonb_path_query_array(trace.history('(01)06901234567892(21)H0006') -> 'events', '$[*].event'),
    '["production", "pack", "producer_sale", "seller_purchase", "unpack"]'::jsonb,
    'history of H0006: taken out before the pallet, so neither the pallet nor its sale');
SELECT results_eq($$SELECT trace.history('(01)06901234567892(21)H0005') #>> '{current,package_code}',
                           trace.history('(01)06901234567892(21)H0003') #>> '{current,package_code}'$$,
    $$VALUES ('(00)069012340000000023'::trace.code::text, NULL::text)$$,
    'current package: carton 2 for H0005, none for an unpacked unit');

-- a seller sells only what it bought, each unit once per purchase
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)H0002",
     "sold_time": "2026-06-09T10:00:00+08:00", "customer_name": "个人消费者"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)H0002"): field trace_code: unit 92110105MA01ABC2DR has no purchase of (01)06901234567892(21)H0002 at or before the sale (2026-06-09T02:00:00Z)',
    'the retailer cannot sell a unit it never bought');
-- nor buy one its producer never sold: whatever supplier it names (one
-- outside the platform here), H0099 is still in the factory's hands
SELECT trace.commission(('{"trace_code": "(01)06901234567892(21)H0099", "production_date": "2026-06-05",
    "serial_or_batch": "B260605", "inspection_report": "' || pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex') || '"}')::jsonb) AS _ \gset
SELECT throws_ok($$SELECT trace.record_purchase('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)H0099",
     "supplier_name": "某批发商", "purchase_time": "2026-06-09T10:00:00+08:00"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)H0099"): field trace_code: (01)06901234567892(21)H0099 is still held by its producer 91330100MA2H3K5L19: no sale of it by the producer follows its production or its last purchase back, at or before the purchase (2026-06-09T02:00:00Z)',
    'no unit buys what its producer has not sold (so no seller can put itself in the public record of it)');
SELECT throws_ok($$SELECT trace.record_purchase('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)H0001",
     "supplier_name": "北京示例五金店", "supplier_uscc": "92110105MA01ABC2DR", "purchase_time": "2026-06-09T10:00:00+08:00"}')$$, '22023',
    'record 1 (trace_code "(01)06901234567892(21)H0001"): field supplier_uscc: unit 92110105MA01ABC2DR does not buy from itself',
    'a unit does not buy from itself');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
     "sold_time": "2026-06-09T10:00:00+08:00", "customer_name": "个人消费者"}')$$,
    'the distributor sells H0002, bought inside carton 1');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
     "sold_time": "2026-06-10T10:00:00+08:00", "customer_name": "另一位消费者"}')$$, '23505',
    'record 1 (trace_code "(01)06901234567892(21)H0002"): field trace_code: unit 91440300MA5FQ7W81X already recorded a sale of (01)06901234567892(21)H0002 (2026-06-09T02:00:00Z) with no purchase of it in between',
    'the distributor cannot sell H0002 a second time');
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
     "sold_time": "2026-06-08T10:00:00+08:00", "customer_name": "另一位消费者"}')$$, '23505', NULL,
    'nor record an earlier second sale of it');
SELECT throws_like($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000030",
     "sold_time": "2026-06-09T10:00:00+08:00", "customer_name": "另一位消费者"}')$$,
    '%already recorded a sale of (01)06901234567892(21)H0004 (in (00)069012340000000030)%',
    'nor sell the pallet again: the unit and the package are named');
SELECT lives_ok($$SELECT trace.correct('flow', (SELECT record_id FROM trace.flows WHERE kind = 'seller_sale'
     AND trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0002'::trace.code), '{"customer_name": "个人消费者（退货）"}', 'name')$$,
    'a correction of that sale is not a second sale');
SELECT lives_ok($$SELECT trace.record_purchase('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
     "supplier_name": "个人消费者", "purchase_time": "2026-06-11T10:00:00+08:00"}')$$, 'the distributor takes H0002 back');
SELECT lives_ok($$SELECT trace.record_sale('{"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)H0002",
     "sold_time": "2026-06-12T10:00:00+08:00", "customer_name": "第三位消费者"}')$$,
    'after buying it back, the distributor sells H0002 again');

-- the factory sold H0003 inside carton 1: it cannot sell it again, directly
-- or inside a package, without buying it back
SELECT throws_ok($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0003",
     "sale_time": "2026-06-12T10:00:00+08:00", "buyer_name": "另一位买家", "buyer_address": "y", "buyer_contact": "z"}')$$, '23505',
    'record 1 (trace_code "(01)06901234567892(21)H0003"): field trace_code: unit 91330100MA2H3K5L19 already recorded a sale of (01)06901234567892(21)H0003 (2026-06-03T03:00:00Z) with no purchase of it in between',
    'the factory cannot sell H0003 a second time, directly');
SELECT throws_like($$SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000030",
     "sale_time": "2026-06-12T10:00:00+08:00", "buyer_name": "另一位买家", "buyer_address": "y", "buyer_contact": "z"}')$$,
    '%unit 91330100MA2H3K5L19 already recorded a sale of (01)06901234567892(21)H0004 (in (00)069012340000000030) (2026-06-03T02:00:00Z)%',
    'nor sell the distributor''s pallet holding units it sold before');

CREATE FUNCTION pg_temp.summary_ref(records bigint, miss jsonb) RETURNS jsonb LANGUAGE sql AS $f$
    WITH m AS (SELECT x ->> 'code' AS code, x ->> 'field' AS field, x ->> 'collect' AS collect, (x ->> 'ordinal')::int AS ordinal
               FROM jsonb_array_elements(miss) x),
    bad AS (SELECT count(DISTINCT code) AS n FROM m WHERE collect <> 'o')
    SELECT jsonb_build_object('records', records, 'complete', records - bad.n,
        'share', CASE WHEN records = 0 THEN NULL ELSE round((records - bad.n)::numeric / records, 4) END,
        'missing_fields', coalesce((SELECT jsonb_agg(jsonb_build_object('field', g.field, 'records', g.n) ORDER BY g.n DESC, g.ord)
                                    FROM (SELECT field, count(*) AS n, min(ordinal) AS ord FROM m WHERE collect <> 'o' GROUP BY field) g), '[]'),
        'optional_missing', coalesce((SELECT jsonb_agg(jsonb_build_object('field', g.field, 'records', g.n) ORDER BY g.n DESC, g.ord)
                                      FROM (SELECT field, count(*) AS n, min(ordinal) AS ord FROM m WHERE collect = 'o' GROUP BY field) g), '[]'))
    FROM bad
$f$;

-- completeness against a reference that checks every (record, field) pair
-- with trace._reg_empty, the plain way: for every unit, after a category
-- starts asking for an instruction manual and a licence number the items
-- were commissioned without (b fields that now apply), and with blank and
-- empty optional values.
CREATE FUNCTION pg_temp.completeness_ref(want text) RETURNS jsonb LANGUAGE sql AS $f$
    WITH u AS (SELECT * FROM trace.units x WHERE x.uscc OPERATOR(trace.=) want::trace.uscc),
    psold AS (
        SELECT DISTINCT ON (w.trace_code) w.trace_code,
               jsonb_build_object('sale_time', f.sale_time, 'buyer_name', f.buyer_name, 'buyer_address', f.buyer_address,
                                  'buyer_contact', f.buyer_contact, 'quantity', f.quantity) AS j
        FROM trace.flows f, u CROSS JOIN LATERAL trace._reg_units_in(f.trace_code, f.event_time) w
        WHERE f.uscc OPERATOR(trace.=) u.uscc AND f.kind = 'producer_sale' ORDER BY w.trace_code, f.event_time),
    precs AS (
        SELECT i.trace_code, jsonb_build_object('unit_name', u.unit_name, 'uscc', u.uscc, 'address', u.address,
                   'contact', u.contact, 'business_license', u.business_license, 'system_certifications', u.system_certifications,
                   'product_certifications', u.product_certifications, 'purchase_info', u.purchase_info)
                 || to_jsonb(i) || coalesce(s.j, '{}') AS r, trace._reg_flags(c) AS flags
        FROM trace.items i JOIN trace.categories c ON c.code = i.category CROSS JOIN u
        LEFT JOIN psold s ON s.trace_code OPERATOR(trace.=) i.trace_code
        WHERE i.uscc OPERATOR(trace.=) u.uscc),
    pmiss AS (
        SELECT p.trace_code, f.field, f.collect, f.ordinal FROM precs p CROSS JOIN trace.field_catalog f
        WHERE f.table_name = 'producer' AND (f.collect IN ('a', 'o') OR (f.collect = 'b' AND f.category_flag = ANY (p.flags)))
          AND trace._reg_empty(p.r -> f.field)),
    bought AS (   -- each unit bought, directly or in a package: its first purchase
        SELECT DISTINCT ON (w.trace_code) w.trace_code AS trace_code, f.event_time,
               jsonb_build_object('trace_code', w.trace_code, 'supplier_name', f.supplier_name,
                                  'purchase_time', f.purchase_time) AS j
        FROM trace.flows f CROSS JOIN u CROSS JOIN LATERAL trace._reg_units_in(f.trace_code, f.event_time) w
        WHERE f.uscc OPERATOR(trace.=) u.uscc AND f.kind = 'seller_purchase'
        ORDER BY w.trace_code, f.event_time),
    srecs AS (   -- with its first sale after that, directly or in a package
        SELECT b.trace_code, jsonb_build_object('unit_name', u.unit_name, 'uscc', u.uscc, 'address', u.address, 'contact', u.contact,
                   'business_license', u.business_license, 'purchase_info', u.purchase_info) || b.j
               || coalesce((SELECT jsonb_build_object('customer_name', s.customer_name, 'sold_time', s.sold_time, 'quantity', s.quantity)
                            FROM trace.flows s WHERE s.uscc OPERATOR(trace.=) u.uscc AND s.kind = 'seller_sale' AND s.event_time >= b.event_time
                              AND (s.trace_code OPERATOR(trace.=) b.trace_code
                                   OR b.trace_code OPERATOR(trace.=) ANY (SELECT w.trace_code FROM trace._reg_units_in(s.trace_code, s.event_time) w))
                            ORDER BY s.event_time LIMIT 1), '{}') AS r
        FROM bought b CROSS JOIN u),
    smiss AS (
        SELECT r.trace_code, f.field, f.collect, f.ordinal FROM srecs r CROSS JOIN trace.field_catalog f
        WHERE f.table_name = 'seller' AND f.collect IN ('a', 'b', 'o') AND trace._reg_empty(r.r -> f.field))
    SELECT jsonb_build_object(
        'as_producer', pg_temp.summary_ref((SELECT count(*) FROM precs),
                           (SELECT coalesce(jsonb_agg(to_jsonb(m) - 'trace_code' || jsonb_build_object('code', m.trace_code::text)), '[]') FROM pmiss m)),
        'as_seller', pg_temp.summary_ref((SELECT count(*) FROM srecs),
                           (SELECT coalesce(jsonb_agg(to_jsonb(m) - 'trace_code' || jsonb_build_object('code', m.trace_code::text)), '[]') FROM smiss m)))
$f$;

-- blank and empty optional values count as missing; a category that starts
-- asking for a manual and a licence number makes those b fields apply
SELECT trace.correct('item', (SELECT record_id FROM trace.items WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)H0003'::trace.code),
    '{"materials_components": "  ", "functions": "不锈钢面板"}', 'materials and functions added');
SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc OPERATOR(trace.=) '91440300MA5FQ7W81X'::trace.uscc),
    '{"purchase_info": "\u3000"}', 'purchase information added');
SELECT trace.add_category($${"code": "gas-hob", "name_zh": "家用燃气灶具", "name_en": "domestic gas hobs", "licence_managed": true,
    "ccc_managed": true, "has_warranty": true, "needs_manual": true, "reason": "licence now required"}$$);
SELECT is(trace.completeness('91330100MA2H3K5L19'), pg_temp.completeness_ref('91330100MA2H3K5L19')
              || jsonb_build_object('uscc', '91330100MA2H3K5L19', 'unit_name', '杭州示例燃气具有限公司', 'roles', '["producer"]'::jsonb),
    'factory completeness equals the record-by-field reference');
SELECT is(trace.completeness('91330100MA2H3K5L19') #> '{as_producer,missing_fields,0}',
    jsonb_build_object('field', 'production_licence_no', 'records', (trace.completeness('91330100MA2H3K5L19') #> '{as_producer,records}')),
    'the licence number the category now asks for is missing from every item');
SELECT is(trace.completeness('91440300MA5FQ7W81X') - 'roles' - 'unit_name' - 'uscc', pg_temp.completeness_ref('91440300MA5FQ7W81X'),
    'distributor completeness equals the reference');
SELECT is((trace.completeness('91440300MA5FQ7W81X') -> 'as_seller') - 'missing_fields' - 'optional_missing',
    '{"records": 6, "complete": 4, "share": 0.6667}'::jsonb,
    'distributor: one record per unit it bought (the six units of the cartons), complete where a later sale covered the unit, directly (H0001, H0002) or in a package (H0004, H0005 on the pallet)');
SELECT is(trace.completeness('92110105MA01ABC2DR') - 'roles' - 'unit_name' - 'uscc', pg_temp.completeness_ref('92110105MA01ABC2DR'),
    'retailer completeness equals the reference');
-- the statistics compute the same for every unit at once (packages bought and sold here)
SELECT trace.stats_refresh() IS NOT NULL AS refreshed \gset
\set what 'the scenario: packages bought, unpacked and sold'
\ir fixtures/completeness_eq.psql

SELECT * FROM finish();
ROLLBACK;
