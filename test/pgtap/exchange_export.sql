-- Exports masked by audience: trace.mask, history_document / unit_document,
-- their JWS (compact, JSON serialisation, detached payload) and the EPCIS 2.0
-- export. An individual consumer's name, address and contact appear only in
-- exports to the regulator. Data: the partner import of exchange_import plus
-- a distributor that buys the carton, unpacks it and sells a unit to a
-- consumer. Signing key: the RFC 8037 test key; reference time fixed.
\getenv top PWD
\ir ../data/exchange/tokens.sql
SELECT :'top' || '/test/data/keys/' AS keydir \gset
BEGIN;
SELECT plan(59);
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';
SET LOCAL search_path = public, trace;
SELECT pg_catalog.set_config('pgtrace.signing_key_file', :'keydir' || 'rfc8037_ed25519.pem', true) AS _ \gset

SELECT trace.register_partner('杭州示例燃气具有限公司', '91330100MA2H3K5L19', :'partner_jwk',
       '{register_unit,register_product,commission,pack,record_sale}') AS _ \gset
SELECT trace.import(:'tok_good') AS _ \gset
SELECT trace.register_unit($${"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "深圳示例分销有限公司",
    "address": "深圳市示例大道2号", "contact": "+86 755 6666 0000",
    "business_license": {"content_base64": "bGljZW5jZSBESVNU", "media_type": "application/pdf"}}$$) AS _ \gset
SELECT trace.record_purchase($${"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000030",
    "supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19",
    "purchase_time": "2026-06-04T09:00:00+08:00"}$$) AS _ \gset
SELECT trace.unpack($${"package_code": "(00)069012340000000030", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-06-05T09:00:00+08:00"}$$) AS _ \gset
SELECT trace.record_sale($${"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)P0001",
    "sold_time": "2026-06-10T15:30:00+08:00", "customer_name": "李四"}$$) AS _ \gset

-- the masking rule
SELECT is(trace.mask('{"event": "seller_sale", "customer_name": "李四"}', 'public'),
    '{"event": "seller_sale", "customer_name": "***", "masked": ["customer_name"]}',
    'a consumer (no USCC) is masked for the public');
SELECT is(trace.mask('{"buyer_name": "张三", "buyer_address": "某小区", "buyer_contact": "13800001234", "quantity": 1}', 'partner'),
    '{"buyer_name": "***", "buyer_address": "***", "buyer_contact": "***", "quantity": 1,
      "masked": ["buyer_name", "buyer_address", "buyer_contact"]}',
    'name, address and contact of an individual buyer are masked for partners');
SELECT is(trace.mask('{"buyer_name": "张三", "buyer_contact": "13800001234"}', 'regulator'),
    '{"buyer_name": "张三", "buyer_contact": "13800001234"}', 'the regulator sees them');
SELECT is(trace.mask('{"buyer_name": "深圳示例分销有限公司", "buyer_contact": "+86 755 6666 0000", "buyer_uscc": "91440300MA5FQ7W81X"}', 'public'),
    '{"buyer_name": "深圳示例分销有限公司", "buyer_contact": "+86 755 6666 0000", "buyer_uscc": "91440300MA5FQ7W81X"}',
    'a business buyer (with USCC) is not masked');
SELECT is(trace.mask('{"supplier_name": "王五"}', 'public'), '{"supplier_name": "***", "masked": ["supplier_name"]}',
    'a supplier without USCC is a natural person too');
SELECT is(trace.mask('{"supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19"}', 'public'),
    '{"supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19"}', 'a supplier with USCC is not');
SELECT throws_ok($$SELECT trace.mask('{}', 'everyone')$$, '22023', 'unknown audience "everyone"', 'an unknown audience is refused');

-- history: masked except for the regulator
SELECT ok(position('张三' IN trace.history_document('(01)06901234567892(21)P0003')::text) = 0
      AND position('13800001234' IN trace.history_document('(01)06901234567892(21)P0003')::text) = 0
      AND position('杭州市西湖区' IN trace.history_document('(01)06901234567892(21)P0003')::text) = 0,
    'the public history of P0003 holds no name, contact or address of its consumer');
SELECT ok(position('张三' IN trace.history_document('(01)06901234567892(21)P0003', 'partner')::text) = 0,
    'neither does the partner history');
SELECT ok(position('张三' IN trace.history_document('(01)06901234567892(21)P0003', 'regulator')::text) > 0
      AND position('13800001234' IN trace.history_document('(01)06901234567892(21)P0003', 'regulator')::text) > 0,
    'the regulator''s history names the consumer');
SELECT is((trace.history_document('(01)06901234567892(21)P0001') #> '{history,events,-1}') - 'record_id',
    '{"at": "2026-06-10T07:30:00Z", "uscc": "91440300MA5FQ7W81X", "event": "seller_sale", "masked": ["customer_name"],
      "quantity": 1, "unit_name": "深圳示例分销有限公司", "customer_name": "***", "collection_method": "manual"}',
    'the distributor''s sale of P0001 to a consumer, masked');
SELECT is(trace.history_document('(01)06901234567892(21)P0001') - 'history',
    '{"type": "pgtrace.history", "version": 1, "audience": "public"}', 'the document names its type and audience');
SELECT throws_ok($$SELECT trace.history_document('(01)06901234567892(21)P0099')$$, 'P0002',
    'no item with trace code (01)06901234567892(21)P0099', 'an unknown code');

-- signed history exports
SELECT trace.export_history('(01)06901234567892(21)P0003') AS jws \gset
SELECT is(array_length(string_to_array(:'jws', '.'), 1), 3, 'compact JWS: three parts');
SELECT is(trace.jws_verify(:'jws'), trace.history_document('(01)06901234567892(21)P0003'),
    'it verifies with the public key and carries the public document');
SELECT is(trace.jws_verify_detail(:'jws') #>> '{header,kid}', 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    'signed with the configured key');
SELECT trace.export_history('(01)06901234567892(21)P0003', 'regulator', 'compact', true) AS jws \gset
SELECT is(split_part(:'jws', '.', 2), '', 'detached: the payload part is empty');
SELECT is(trace.jws_verify(:'jws', trace.history_document('(01)06901234567892(21)P0003', 'regulator')),
    trace.history_document('(01)06901234567892(21)P0003', 'regulator'), 'and it verifies against the regulator''s document');
SELECT throws_ok(format('SELECT trace.jws_verify(%L, trace.history_document(%L))', :'jws', '(01)06901234567892(21)P0003'),
    '28000', NULL, 'but not against the public one');
SELECT trace.export_history('(01)06901234567892(21)P0003', 'public', 'json') AS jws \gset
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(:'jws'::jsonb) k), '{payload,protected,signature}',
    'JSON serialisation: payload, protected, signature');
SELECT is(trace.jws_verify_detail(:'jws') #>> '{header,typ}', 'JOSE+JSON', 'typed JOSE+JSON');
SELECT is(trace.jws_verify(:'jws'), trace.history_document('(01)06901234567892(21)P0003'), 'and it verifies');
SELECT trace.export_history('(01)06901234567892(21)P0003', 'public', 'json', true) AS jws \gset
SELECT ok(NOT (:'jws'::jsonb ? 'payload'), 'detached JSON serialisation has no payload');
SELECT throws_ok($$SELECT trace.export_history('(01)06901234567892(21)P0003', 'public', 'flattened')$$, '22023',
    'unknown JWS serialization "flattened"', 'an unknown serialisation');

-- a unit's records
SELECT trace.unit_document('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08') AS doc \gset
SELECT is(jsonb_build_array(jsonb_array_length(:'doc'::jsonb -> 'items'), jsonb_array_length(:'doc'::jsonb -> 'package_events'),
                            jsonb_array_length(:'doc'::jsonb -> 'flows')), '[3, 2, 2]',
    'the factory''s June: three items, two packing rows, two sales');
SELECT ok(position('张三' IN :'doc') = 0 AND position('13800001234' IN :'doc') = 0, 'public unit export holds no personal data');
SELECT is(:'doc'::jsonb #> '{flows,0,buyer_name}', '"深圳示例分销有限公司"', 'business buyers are named');
SELECT ok(position('13800001234' IN trace.unit_document('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08', 'regulator')::text) > 0,
    'the regulator''s unit export has the consumer''s contact');
SELECT is(trace.jws_verify(trace.export_unit('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08')), :'doc'::jsonb,
    'export_unit signs the unit document');
SELECT is(jsonb_array_length(trace.unit_document('91330100MA2H3K5L19', '2026-06-03 00:00+08', '2026-06-04 00:00+08') -> 'flows'), 1,
    'the period bounds the records');
SELECT throws_ok($$SELECT trace.unit_document('91330100MA2H3K5L19', '2026-07-01', '2026-06-01')$$, '22023', NULL, 'an empty period');
SELECT throws_ok($$SELECT trace.unit_document('91330100MA2H3K5L18', '2026-06-01', '2026-07-01')$$, '22P02', NULL, 'a bad USCC');
SELECT throws_ok($$SELECT trace.unit_document('92110105MA01ABC2DR', '2026-06-01', '2026-07-01')$$, 'P0002',
    'no unit with USCC 92110105MA01ABC2DR', 'a unit not in the registry');

-- EPCIS 2.0
SELECT trace.export_epcis('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08') AS epcis \gset
SELECT is(jsonb_path_query_array(:'epcis'::jsonb, '$.epcisBody.eventList[*].type'),
    '["ObjectEvent", "AggregationEvent", "ObjectEvent", "TransactionEvent", "ObjectEvent", "TransactionEvent"]',
    'factory: commissioning, packing, sale to a business (+ transaction), sale to a consumer (+ transaction)');
SELECT is(jsonb_path_query_array(:'epcis'::jsonb, '$.epcisBody.eventList[*].bizStep'),
    '["commissioning", "packing", "shipping", "shipping", "retail_selling", "retail_selling"]', 'their business steps');
SELECT is(jsonb_path_query_array(:'epcis'::jsonb, '$.epcisBody.eventList[*].action'),
    '["ADD", "ADD", "OBSERVE", "ADD", "OBSERVE", "ADD"]', 'their actions');
SELECT is(:'epcis'::jsonb #> '{epcisBody,eventList,0,epcList}',
    '["https://id.gs1.org/01/06901234567892/21/P0001", "https://id.gs1.org/01/06901234567892/21/P0002",
      "https://id.gs1.org/01/06901234567892/21/P0003"]', 'identifiers are GS1 Digital Link URIs');
SELECT is(:'epcis'::jsonb #>> '{epcisBody,eventList,1,parentID}', 'https://id.gs1.org/00/069012340000000030',
    'the carton is its SSCC as a Digital Link');
SELECT ok(position('张三' IN :'epcis') = 0 AND position('13800001234' IN :'epcis') = 0, 'public EPCIS holds no personal data');
SELECT is(:'epcis'::jsonb #> '{epcisBody,eventList,4,pgt:buyer}', '{"pgt:name": "***", "pgt:address": "***", "pgt:contact": "***"}',
    'the consumer is masked in the retail sale');
SELECT ok(position('张三' IN trace.export_epcis('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08', 'regulator')::text) > 0,
    'the regulator''s EPCIS names the consumer');
SELECT is(jsonb_path_query_array(trace.export_epcis('91440300MA5FQ7W81X', '2026-06-01 00:00+08', '2026-07-01 00:00+08'),
                                 '$.epcisBody.eventList[*].bizStep'),
    '["receiving", "unpacking", "retail_selling", "retail_selling"]', 'distributor: receiving, unpacking, retail sale');
SELECT is(jsonb_path_query_array(trace.export_epcis('91440300MA5FQ7W81X', '2026-06-01 00:00+08', '2026-07-01 00:00+08'),
                                 '$.epcisBody.eventList[1].action'), '["DELETE"]', 'unpacking is an AggregationEvent DELETE');
SELECT is(:'epcis'::jsonb - 'epcisBody',
    '{"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"pgt": "urn:pgtrace:epcis:"}],
      "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-06-30T04:00:00Z",
      "pgt:uscc": "91330100MA2H3K5L19", "pgt:audience": "public"}', 'the document header; creation date is the reference time');
SELECT is(trace.export_epcis('91330100MA2H3K5L19', '2026-06-01 00:00+08', '2026-07-01 00:00+08', 'public', 'https://trace.example.cn')
          #>> '{epcisBody,eventList,1,parentID}', 'https://trace.example.cn/00/069012340000000030', 'another Digital Link domain');

-- EPCIS of one unit's life
SELECT is(jsonb_path_query_array(trace.export_epcis_history('(01)06901234567892(21)P0001'), '$.epcisBody.eventList[*].bizStep'),
    '["commissioning", "packing", "shipping", "shipping", "receiving", "unpacking", "retail_selling", "retail_selling"]',
    'the life of P0001 across the factory and the distributor');
SELECT is(jsonb_path_query_array(trace.export_epcis_history('(01)06901234567892(21)P0001'), '$.epcisBody.eventList[2, 4].epcList[0]'),
    '["https://id.gs1.org/00/069012340000000030", "https://id.gs1.org/00/069012340000000030"]',
    'steps reached through the carton name the carton');
SELECT ok(position('李四' IN trace.export_epcis_history('(01)06901234567892(21)P0001')::text) = 0
      AND position('李四' IN trace.export_epcis_history('(01)06901234567892(21)P0001', 'regulator')::text) > 0,
    'the consumer is masked except for the regulator');

-- privileges and the missing key
SELECT function_privs_are('trace', 'export_history', ARRAY['text', 'text', 'text', 'boolean'], 'trace_public', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'export_epcis', ARRAY['text', 'timestamp with time zone', 'timestamp with time zone', 'text', 'text'],
    'trace_regulator', ARRAY['EXECUTE']);

-- the same documents made by the roles that are granted the functions (they
-- run with the caller's privileges; the regulator reads every row)
CREATE TEMP TABLE as_superuser ON COMMIT DROP AS
SELECT trace.history_document('(01)06901234567892(21)P0003', 'regulator') AS h,
       trace.unit_document('91440300MA5FQ7W81X', '2026-01-01', '2027-01-01', 'partner') AS u,
       trace.export_epcis('91440300MA5FQ7W81X', '2026-01-01', '2027-01-01', 'public') - 'creationDate' AS e,
       trace.export_epcis_history('(01)06901234567892(21)P0001', 'public') - 'creationDate' AS eh;
GRANT SELECT ON as_superuser TO trace_regulator, trace_public;
SET LOCAL ROLE trace_regulator;
SELECT is(trace.history_document('(01)06901234567892(21)P0003', 'regulator'), (SELECT h FROM as_superuser),
    'trace_regulator makes the regulator''s history document');
SELECT is(trace.unit_document('91440300MA5FQ7W81X', '2026-01-01', '2027-01-01', 'partner'), (SELECT u FROM as_superuser),
    'trace_regulator makes a unit document');
SELECT is(trace.export_epcis('91440300MA5FQ7W81X', '2026-01-01', '2027-01-01', 'public') - 'creationDate', (SELECT e FROM as_superuser),
    'trace_regulator makes the EPCIS export of a unit');
SELECT is(trace.export_epcis_history('(01)06901234567892(21)P0001', 'public') - 'creationDate', (SELECT eh FROM as_superuser),
    'trace_regulator makes the EPCIS history of a unit code');
SELECT is(trace.jws_verify(trace.export_history('(01)06901234567892(21)P0003', 'regulator')), (SELECT h FROM as_superuser),
    'trace_regulator signs a history export');
SELECT ok(trace.jws_verify(trace.export_unit('91440300MA5FQ7W81X', '2026-01-01', '2027-01-01')) ->> 'type' IS NOT NULL,
    'trace_regulator signs a unit export');
SELECT throws_ok($$SELECT trace.mask('{}', 'nobody')$$, '22023', NULL, 'an unknown audience is refused for trace_regulator too');
RESET ROLE;
SET LOCAL ROLE trace_public;
SELECT is(trace.mask('{"buyer_name": "张三"}', 'public'), '{"buyer_name": "***", "masked": ["buyer_name"]}',
    'trace_public masks an event');
RESET ROLE;
SELECT pg_catalog.set_config('pgtrace.signing_key_file', '', true) AS _ \gset
SELECT throws_ok($$SELECT trace.export_history('(01)06901234567892(21)P0003')$$, '55000', NULL, 'no signing key: 55000');

SELECT * FROM finish();
ROLLBACK;
