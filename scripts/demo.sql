-- pgtrace demo: a gas-hob factory registers, marks, scans and packs its hobs;
-- a distributor and a retailer buy and sell them; a consumer's unit is traced
-- back; the ledger proves nothing was changed; the regulator gets a signed
-- statement. Run by `make demo` against a throwaway cluster.
\set ECHO none
\set ON_ERROR_STOP 1
\pset footer off
SET client_min_messages = warning;

\echo
\echo '== 1. Install pgtrace and ask which guarantees hold =='
CREATE EXTENSION pgtrace;
SET search_path = public, trace;
SELECT jsonb_pretty(status() - 'registry') AS status;

\echo
\echo '== 2. Register the units (Table 1/2 basic information); a mistyped USCC is refused =='
-- the business day the demo plays on: fixed, so the demo prints the same every time
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT validate('uscc', '91330100MA2H3K5L18') AS mistyped_uscc;
SELECT register_unit($${"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf", "file_name": "licence.pdf"}}$$)
    ->> 'uscc' AS factory;
SELECT register_unit($${"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "深圳示例分销有限公司",
    "address": "深圳市示例大道2号", "contact": "+86 755 6666 0000",
    "business_license": {"content_base64": "bGljZW5jZSBESVNU", "media_type": "application/pdf"}}$$)
    ->> 'uscc' AS distributor;
SELECT register_unit($${"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "北京示例五金店",
    "address": "北京市示例街3号", "contact": "+86 10 5555 0000",
    "business_license": {"content_base64": "bGljZW5jZSBSRVRBSUw=", "media_type": "image/png"}}$$)
    ->> 'uscc' AS retailer;

\echo
\echo '== 3. Register the product: a CCC-managed gas hob needs its CCC certificate number =='
DO $$
BEGIN
    PERFORM trace.register_product($p${"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
        "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
        "mandatory_standards": "GB 16410-2020", "warranty_period": "P3Y",
        "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}$p$);
EXCEPTION WHEN others THEN
    RAISE WARNING 'refused (SQLSTATE %): %', SQLSTATE, SQLERRM;
END $$;
SELECT register_product($${"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
    "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf", "file_name": "manual.pdf"}}$$)
    ? 'product_id' AS product_registered;
-- the batch's factory inspection report (unstructured, stored once by SHA-256)
SELECT attach_document($${"content_base64": "aW5zcGVjdGlvbiBiYXRjaCBCMjYwNjAx", "media_type": "application/pdf",
    "file_name": "inspection-B260601.pdf", "uscc": "91330100MA2H3K5L19"}$$) ? 'sha256' AS report_attached;

\echo
\echo '== 4. Commission 1,000 hobs in one batch, and one more from a raw DataMatrix scan =='
SELECT commission(jsonb_agg(jsonb_build_object(
           'trace_code', code('06901234567892'::gtin, 'H' || lpad(n::text, 6, '0'))::text,
           'production_date', '2026-06-01', 'serial_or_batch', 'B260601',
           'inspection_report', encode(sha256('inspection batch B260601'::bytea), 'hex'))))
       -> 'commissioned' AS commissioned
  FROM generate_series(1, 1000) n;
SELECT parse_scan(']d2010690123456789221H001001' || chr(29) || '10B260601' || chr(29) || '11260601',
                  DATE '2026-06-30') -> 'attributes' AS what_the_scanner_read;
SELECT commission(jsonb_build_object(
           'trace_code', ']d2010690123456789221H001001' || chr(29) || '10B260601' || chr(29) || '11260601',
           'inspection_report', encode(sha256('inspection batch B260601'::bytea), 'hex'))) -> 'commissioned' AS commissioned;
SELECT trace_code, production_date, serial_or_batch, collection_method
  FROM items WHERE trace_code = '(01)06901234567892(21)H001001'::code;
-- a smudged label is refused with a reason, and nothing of the batch is written
DO $$
BEGIN
    PERFORM trace.commission('[{"trace_code": "(01)06901234567892(21)H001002", "production_date": "2026-06-01",
        "serial_or_batch": "B260601"},
        {"trace_code": "(01)06901234567893(21)H001003", "production_date": "2026-06-01",
        "serial_or_batch": "B260601"}]');
EXCEPTION WHEN others THEN
    RAISE WARNING 'batch refused (SQLSTATE %): %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) AS units_now FROM items;

\echo
\echo '== 5. Pack ten hobs into each of two cartons (SSCC, clause 6.1.2) =='
SELECT pack(jsonb_build_object('package_code', '(00)069012340000000016', 'uscc', '91330100MA2H3K5L19',
            'event_time', '2026-06-02T08:00:00+08:00',
            'contents', (SELECT jsonb_agg(trace_code::text ORDER BY trace_code) FROM
                           (SELECT trace_code FROM items ORDER BY trace_code LIMIT 10) a))) -> 'packed' AS carton_1;
SELECT pack(jsonb_build_object('package_code', ']C100069012340000000023', 'uscc', '91330100MA2H3K5L19',
            'event_time', '2026-06-02T08:05:00+08:00',
            'contents', (SELECT jsonb_agg(trace_code::text ORDER BY trace_code) FROM
                           (SELECT trace_code FROM items ORDER BY trace_code OFFSET 10 LIMIT 10) a))) -> 'packed' AS carton_2;

\echo
\echo '== 6. Factory -> distributor -> retailer -> consumer =='
SELECT jsonb_array_length(record_sale($$[
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-06-03T10:00:00+08:00",
     "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道2号", "buyer_contact": "+86 755 6666 0000",
     "buyer_uscc": "91440300MA5FQ7W81X"},
    {"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000023", "sale_time": "2026-06-03T10:00:00+08:00",
     "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道2号", "buyer_contact": "+86 755 6666 0000",
     "buyer_uscc": "91440300MA5FQ7W81X"}]$$)) AS factory_sales;
SELECT jsonb_array_length(record_purchase($$[
    {"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016", "supplier_name": "杭州示例燃气具有限公司",
     "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T09:00:00+08:00"},
    {"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000023", "supplier_name": "杭州示例燃气具有限公司",
     "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-04T09:00:00+08:00"}]$$)) AS distributor_purchases;
SELECT unpack($${"package_code": "(00)069012340000000016", "uscc": "91440300MA5FQ7W81X",
                 "event_time": "2026-06-05T09:00:00+08:00"}$$) -> 'unpacked' AS unpacked_at_distributor;
SELECT record_sale($${"uscc": "91440300MA5FQ7W81X", "trace_code": "]d2010690123456789221H000001",
     "sold_time": "2026-06-06T10:00:00+08:00", "customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"}$$)
     IS NOT NULL AS sold_to_retailer;
SELECT record_purchase($${"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)H000001",
     "supplier_name": "深圳示例分销有限公司", "supplier_uscc": "91440300MA5FQ7W81X",
     "purchase_time": "2026-06-07T09:00:00+08:00", "quantity": 1}$$) IS NOT NULL AS retailer_purchase;
SELECT record_sale($${"uscc": "92110105MA01ABC2DR", "trace_code": "https://id.gs1.org/01/06901234567892/21/H000001",
     "sold_time": "2026-06-10T15:30:00+08:00", "customer_name": "个人消费者"}$$) IS NOT NULL AS sold_to_consumer;

\echo
\echo '== 7. Trace one hob: its whole life, and its carton at any time =='
SELECT e ->> 'event' AS event, e ->> 'uscc' AS unit, coalesce(e ->> 'at', e ->> 'date') AS at, e ->> 'via' AS via
  FROM jsonb_array_elements(history('(01)06901234567892(21)H000001') -> 'events') e;
SELECT package_of('(01)06901234567892(21)H000002', '2026-06-04 12:00+08') AS carton_on_4_june,
       package_of('(01)06901234567892(21)H000002') AS carton_now,
       package_of('(01)06901234567892(21)H000015') AS carton_of_h000015;
SELECT (completeness('91330100MA2H3K5L19') -> 'as_producer') - 'optional_missing' AS factory_completeness;

\echo
\echo '== 8. The label, and a consumer who scans it (clauses 6.1.3, 5.3) =='
CREATE TEMP TABLE demo_label AS
SELECT label('(01)06901234567892(21)H000001', 'https://trace.example-gas.cn') AS l;
SELECT l ->> 'digital_link' AS label_link, l ->> 'hri' AS printed_line,
       length(l ->> 'qr_svg') AS qr_svg_bytes
  FROM demo_label;
-- the consumer's phone reads the QR: genuine, and only the public (Table 3) information comes back
SELECT v ->> 'status' AS status, v -> 'public' -> 'product' ->> 'product_name' AS product,
       v -> 'public' -> 'producer' ->> 'unit_name' AS producer,
       v -> 'public' -> 'seller' ->> 'unit_name' AS sold_by,
       v -> 'flags' AS flags
  FROM (SELECT verify_scan((SELECT l ->> 'digital_link' FROM demo_label),
                           '{"time": "2026-06-12T09:00:00+08:00", "lat": 39.90, "lon": 116.40, "place": "北京"}') AS v) x;
-- the same label copied onto goods in Guangzhou an hour later
SELECT v ->> 'status' AS status, v -> 'flags' AS flags
  FROM (SELECT verify_scan((SELECT l ->> 'digital_link' FROM demo_label),
                           '{"time": "2026-06-12T10:00:00+08:00", "lat": 23.13, "lon": 113.26, "place": "广州"}') AS v) x;
-- a counterfeiter's own label: a serial that was never signed
SELECT verify_scan(replace((SELECT l ->> 'digital_link' FROM demo_label), 'H000001', 'H000002'),
                   '{"time": "2026-06-12T11:00:00+08:00"}') ->> 'status' AS altered_label;
-- the public lookup gives Table 3 fields only: no buyer, no flows, no inspection report
SELECT jsonb_pretty(lookup('https://id.gs1.org/01/06901234567892/21/H000001') #- '{product,manual_or_warning}'
                    #- '{producer,business_license}' #- '{seller,business_license}') AS public_information;

\echo
\echo '== 9. Nobody can quietly change the record — not even a superuser =='
DO $$
BEGIN
    SET LOCAL session_replication_role = replica;   -- the classic way around ordinary triggers
    UPDATE trace.item_record SET serial_or_batch = 'FORGED' WHERE serial_or_batch = 'B260601';
EXCEPTION WHEN others THEN
    RAISE WARNING 'refused (SQLSTATE %): %', SQLSTATE, SQLERRM;
END $$;
SELECT correct('item', (SELECT record_id FROM items WHERE trace_code = '(01)06901234567892(21)H000003'::code),
               '{"serial_or_batch": "B260601-2"}', 'batch number mistyped at the line') IS NOT NULL AS corrected_by_a_new_row;
SELECT seal() AS rows_sealed_now;
SELECT verify() - 'problems' AS verification, jsonb_array_length(verify() -> 'problems') AS problems;

\echo
\echo '== 10. A signed checkpoint to keep outside the database, and a signed statement for the regulator =='
CREATE TEMP TABLE demo_checkpoint AS SELECT checkpoint() AS jws;
SELECT left(jws, 48) || '…' AS checkpoint_jws, length(jws) AS bytes FROM demo_checkpoint;
SELECT verify((SELECT jws FROM demo_checkpoint)) - 'problems' AS database_extends_checkpoint;
CREATE TEMP TABLE demo_statement AS
SELECT sign(jsonb_build_object('gtin', '06901234567892', 'batch', 'B260601',
                               'units', (SELECT count(*) FROM items WHERE gtin(trace_code) = '06901234567892'::gtin),
                               'history_H000001', history('(01)06901234567892(21)H000001'))) AS jws;
SELECT jws_verify(jws) ->> 'units' AS verified_units, length(jws) AS jws_bytes FROM demo_statement;
SELECT public_jwk() -> 'keys' -> 0 ->> 'crv' AS curve, public_jwk() -> 'keys' -> 0 ->> 'kid' AS kid;

\echo
\echo '== 11. The regulator''s statistics and report (clause 10.2) =='
SELECT stats_refresh() IS NOT NULL AS statistics_refreshed;
SELECT kind, sum(quantity) AS units FROM stats_volume_by_category WHERE category = 'gas-hob' GROUP BY kind ORDER BY kind;
SELECT length(report(DATE '2026-06-01', DATE '2026-06-30')) AS report_html_bytes,
       report(DATE '2026-06-01', DATE '2026-06-30') LIKE '%<svg%' AS has_charts,
       report(DATE '2026-06-01', DATE '2026-06-30') NOT LIKE '%<script%' AS no_script;
