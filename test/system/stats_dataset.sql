-- Generated data set of the statistics tests (test/pgtap/stats.sql,
-- test/system/stats_report.sh), with fixed times and planted anomalies.
-- Identifiers carry computed check digits (GS1 mod 10, GB 32100 mod 31).
--
--   A 91330100MA2H3K5L19 producer, Hangzhou (330100), gas hobs, GTIN 06901234567892
--   B 91320500MA1MXB0K23 producer, Suzhou (320500), cables 06901234567908 and
--                        pressure gauges 06901234567922 (a category added here)
--   C 91310115MA1K4PQ6XG producer, Shanghai (310115), e-bikes 06901234567915
--   D 91440300MA5FQ7W81X seller (distributor), Shenzhen (440300)
--   R 92110105MA01ABC2DR seller (retailer), Beijing (110105)
--
-- Reference time 2026-07-01 12:00 +08 (a Wednesday): the last complete week
-- starts Monday 2026-06-22.
--
-- Planted anomalies (and nothing else is anomalous):
--   quantity_mismatch   R sells A's unit A0622-1 that it never bought;
--                       D sells unit A0504-1 (bought in carton K1) twice
--   sale_after_expiry   C sells E001 on 2025-06-01 after its 1-year warranty
--                       (warranty_ended); C sells E002 on 2026-04-01 after its
--                       2-year service life (expired)
--   missing_fields      B: the pressure-gauge category becomes licence-managed
--                       after B commissioned 10 gauges without a licence number
--   trend_change        A's production in the week of 2026-06-01 is 80 against
--                       20 a week (rise; also category gas-hob, A being its only
--                       producer); B's cable production in the week of
--                       2026-06-15 is 2 against 12 (drop; also wire-cable)
--   counterfeit         scans (at the end of this file): a forged label on
--                       A0511-2, an invented code FAKE1 with A's GTIN, and
--                       B260504-3 in Beijing and Urumqi within 40 minutes
SET pgtrace.reference_time = '2026-07-01 12:00:00+08';

SELECT trace.add_category($${"code": "pressure-gauge", "name_zh": "压力表", "name_en": "pressure gauges",
    "licence_managed": false, "ccc_managed": false, "has_warranty": false, "needs_manual": false}$$) IS NOT NULL AS category_added;

SELECT pg_catalog.count(trace.register_unit(u)) AS units_registered FROM pg_catalog.jsonb_array_elements($$[
  {"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司", "address": "杭州市示例路1号",
   "contact": "+86 571 8888 0000", "business_license": {"content_base64": "bGljZW5jZSBB", "media_type": "application/pdf"}},
  {"uscc": "91320500MA1MXB0K23", "roles": ["producer"], "unit_name": "苏州示例线缆有限公司", "address": "苏州市示例路2号",
   "contact": "+86 512 6666 0000", "business_license": {"content_base64": "bGljZW5jZSBC", "media_type": "application/pdf"}},
  {"uscc": "91310115MA1K4PQ6XG", "roles": ["producer"], "unit_name": "上海示例电动车有限公司", "address": "上海市示例路3号",
   "contact": "+86 21 5555 0000", "business_license": {"content_base64": "bGljZW5jZSBD", "media_type": "application/pdf"}},
  {"uscc": "91440300MA5FQ7W81X", "roles": ["seller"], "unit_name": "深圳示例分销有限公司", "address": "深圳市示例大道4号",
   "contact": "+86 755 6666 0000", "business_license": {"content_base64": "bGljZW5jZSBE", "media_type": "application/pdf"}},
  {"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "北京示例五金店", "address": "北京市示例街5号",
   "contact": "+86 10 5555 0000", "business_license": {"content_base64": "bGljZW5jZSBS", "media_type": "image/png"}}]$$) u;

SELECT pg_catalog.count(trace.register_product(p)) AS products_registered FROM pg_catalog.jsonb_array_elements($$[
  {"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892", "product_name": "家用燃气灶",
   "product_type": "燃气器具", "spec_model": "JZT-2-A1", "mandatory_standards": "GB 16410-2020",
   "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
   "manual_or_warning": {"content_base64": "bWFudWFsIEE=", "media_type": "application/pdf"}},
  {"uscc": "91320500MA1MXB0K23", "category": "wire-cable", "gtin": "06901234567908", "product_name": "聚氯乙烯绝缘电缆",
   "product_type": "电线电缆", "spec_model": "BV-2.5", "mandatory_standards": "GB/T 5023.3-2008",
   "production_licence_no": "XK06-001-00001", "ccc_certificate_no": "2026010105000002",
   "manual_or_warning": {"content_base64": "bWFudWFsIEI=", "media_type": "application/pdf"}},
  {"uscc": "91320500MA1MXB0K23", "category": "pressure-gauge", "gtin": "06901234567922", "product_name": "一般压力表",
   "product_type": "仪表", "spec_model": "Y-100", "mandatory_standards": "GB/T 1226-2017"},
  {"uscc": "91310115MA1K4PQ6XG", "category": "e-bike", "gtin": "06901234567915", "product_name": "电动自行车",
   "product_type": "电动自行车", "spec_model": "TDT-1", "mandatory_standards": "GB 17761-2024",
   "ccc_certificate_no": "2026011119000003", "warranty_period": "P1Y", "service_life": "P2Y",
   "manual_or_warning": {"content_base64": "bWFudWFsIEM=", "media_type": "application/pdf"}}]$$) p;

SELECT pg_catalog.count(trace.attach_document(d)) AS reports_attached FROM pg_catalog.jsonb_array_elements($$[
  {"content_base64": "aW5zcGVjdGlvbiBB", "media_type": "application/pdf", "uscc": "91330100MA2H3K5L19"},
  {"content_base64": "aW5zcGVjdGlvbiBC", "media_type": "application/pdf", "uscc": "91320500MA1MXB0K23"},
  {"uri": "https://reports.example.cn/C-2024.pdf", "sha256": "0000000000000000000000000000000000000000000000000000000000000c24",
   "media_type": "application/pdf", "uscc": "91310115MA1K4PQ6XG"}]$$) d;

-- A: 20 hobs a week from the week of 2026-05-04, 80 in the week of
-- 2026-06-01, and 2 in the current (incomplete) week of 2026-06-29.
SELECT (trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567892(21)A' || pg_catalog.to_char(w.d, 'MMDD') || '-' || k,
        'production_date', (w.d + (k % 5))::text, 'serial_or_batch', 'B' || pg_catalog.to_char(w.d, 'YYMMDD'),
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection A'::bytea), 'hex'))
        ORDER BY w.d, k)) ->> 'commissioned')::int AS a_commissioned
FROM (SELECT d::date AS d FROM pg_catalog.generate_series('2026-05-04'::timestamp, '2026-06-29', '1 week') d) w
CROSS JOIN LATERAL pg_catalog.generate_series(1, CASE w.d WHEN '2026-06-01' THEN 80 WHEN '2026-06-29' THEN 2 ELSE 20 END) k;

-- B: 12 cables a week from the week of 2026-05-04, 2 in the week of 2026-06-15;
-- one old cable (2024-02-27, past retention) and 10 gauges of 2024-08-01.
SELECT (trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567908(21)B' || pg_catalog.to_char(w.d, 'YYMMDD') || '-' || k,
        'production_date', (w.d + (k % 5))::text, 'serial_or_batch', 'C' || pg_catalog.to_char(w.d, 'YYMMDD'),
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection B'::bytea), 'hex'))
        ORDER BY w.d, k)) ->> 'commissioned')::int AS b_commissioned
FROM (SELECT d::date AS d FROM pg_catalog.generate_series('2026-05-04'::timestamp, '2026-06-22', '1 week') d
      UNION ALL SELECT '2024-02-26') w
CROSS JOIN LATERAL pg_catalog.generate_series(1, CASE w.d WHEN '2026-06-15' THEN 2 WHEN '2024-02-26' THEN 1 ELSE 12 END) k;
SELECT (trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567922(21)G' || k, 'production_date', '2024-08-01', 'serial_or_batch', 'G2408',
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection B'::bytea), 'hex')))) ->> 'commissioned')::int AS gauges
FROM pg_catalog.generate_series(1, 10) k;

-- C: three e-bikes of 2024-03-01 and one of 2025-09-01.
SELECT (trace.commission($$[
  {"trace_code": "(01)06901234567915(21)E001", "production_date": "2024-03-01", "serial_or_batch": "E24", "inspection_report":
   "0000000000000000000000000000000000000000000000000000000000000c24"},
  {"trace_code": "(01)06901234567915(21)E002", "production_date": "2024-03-01", "serial_or_batch": "E24", "inspection_report":
   "0000000000000000000000000000000000000000000000000000000000000c24"},
  {"trace_code": "(01)06901234567915(21)E003", "production_date": "2024-03-01", "serial_or_batch": "E24", "inspection_report":
   "0000000000000000000000000000000000000000000000000000000000000c24"},
  {"trace_code": "(01)06901234567915(21)E004", "production_date": "2025-09-01", "serial_or_batch": "E25", "inspection_report":
   "0000000000000000000000000000000000000000000000000000000000000c24"}]$$) ->> 'commissioned')::int AS c_commissioned;

-- The gauge category becomes licence-managed: B's gauges now lack a licence number.
SELECT trace.add_category($${"code": "pressure-gauge", "name_zh": "压力表", "name_en": "pressure gauges",
    "licence_managed": true, "ccc_managed": false, "has_warranty": false, "needs_manual": false,
    "reason": "placed under production licence"}$$) IS NOT NULL AS category_changed;

-- A packs five hobs into carton K1 and sells it to D; D buys it.
SELECT (trace.pack($${"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-05-19T08:00:00+08:00",
    "contents": ["(01)06901234567892(21)A0504-1", "(01)06901234567892(21)A0504-2", "(01)06901234567892(21)A0504-3",
                 "(01)06901234567892(21)A0504-4", "(01)06901234567892(21)A0504-5"]}$$) ->> 'packed')::int AS packed;
SELECT pg_catalog.jsonb_array_length(trace.record_sale($$[
  {"uscc": "91330100MA2H3K5L19", "trace_code": "(00)069012340000000016", "sale_time": "2026-05-20T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)A0511-1", "sale_time": "2026-06-10T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)A0511-2", "sale_time": "2026-06-10T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)A0511-3", "sale_time": "2026-06-10T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91320500MA1MXB0K23", "trace_code": "(01)06901234567908(21)B260504-1", "sale_time": "2026-06-05T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91320500MA1MXB0K23", "trace_code": "(01)06901234567908(21)B260504-2", "sale_time": "2026-06-05T10:00:00+08:00",
   "buyer_name": "深圳示例分销有限公司", "buyer_address": "深圳市示例大道4号", "buyer_contact": "+86 755 6666 0000",
   "buyer_uscc": "91440300MA5FQ7W81X"},
  {"uscc": "91310115MA1K4PQ6XG", "trace_code": "(01)06901234567915(21)E003", "sale_time": "2025-01-15T10:00:00+08:00",
   "buyer_name": "上海示例车行", "buyer_address": "上海市示例路6号", "buyer_contact": "+86 21 1234 0000"},
  {"uscc": "91310115MA1K4PQ6XG", "trace_code": "(01)06901234567915(21)E001", "sale_time": "2025-06-01T10:00:00+08:00",
   "buyer_name": "上海示例车行", "buyer_address": "上海市示例路6号", "buyer_contact": "+86 21 1234 0000"},
  {"uscc": "91310115MA1K4PQ6XG", "trace_code": "(01)06901234567915(21)E002", "sale_time": "2026-04-01T10:00:00+08:00",
   "buyer_name": "上海示例车行", "buyer_address": "上海市示例路6号", "buyer_contact": "+86 21 1234 0000"},
  {"uscc": "91310115MA1K4PQ6XG", "trace_code": "(01)06901234567915(21)E004", "sale_time": "2026-05-01T10:00:00+08:00",
   "buyer_name": "上海示例车行", "buyer_address": "上海市示例路6号", "buyer_contact": "+86 21 1234 0000"}]$$)) AS producer_sales;

SELECT pg_catalog.jsonb_array_length(trace.record_purchase($$[
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(00)069012340000000016", "supplier_name": "杭州示例燃气具有限公司",
   "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-05-21T09:00:00+08:00"},
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0511-1", "supplier_name": "杭州示例燃气具有限公司",
   "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-11T09:00:00+08:00"},
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0511-2", "supplier_name": "杭州示例燃气具有限公司",
   "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-11T09:00:00+08:00"},
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0511-3", "supplier_name": "杭州示例燃气具有限公司",
   "supplier_uscc": "91330100MA2H3K5L19", "purchase_time": "2026-06-11T09:00:00+08:00"},
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567908(21)B260504-1", "supplier_name": "苏州示例线缆有限公司",
   "supplier_uscc": "91320500MA1MXB0K23", "purchase_time": "2026-06-06T09:00:00+08:00"}]$$)) AS d_purchases;

-- D sells two hobs to R, R buys them and sells one to a consumer.
SELECT pg_catalog.jsonb_array_length(trace.record_sale($$[
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0511-1", "sold_time": "2026-06-15T10:00:00+08:00",
   "customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"},
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0511-2", "sold_time": "2026-06-15T10:00:00+08:00",
   "customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"}]$$)) AS d_sales;
SELECT pg_catalog.jsonb_array_length(trace.record_purchase($$[
  {"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)A0511-1", "supplier_name": "深圳示例分销有限公司",
   "supplier_uscc": "91440300MA5FQ7W81X", "purchase_time": "2026-06-16T09:00:00+08:00"},
  {"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)A0511-2", "supplier_name": "深圳示例分销有限公司",
   "supplier_uscc": "91440300MA5FQ7W81X", "purchase_time": "2026-06-16T09:00:00+08:00"}]$$)) AS r_purchases;
SELECT pg_catalog.jsonb_array_length(trace.record_sale($$[
  {"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)A0511-1", "sold_time": "2026-06-20T15:00:00+08:00",
   "customer_name": "个人消费者"}]$$)) AS r_sales;

-- Planted quantity mismatches: R sells a hob it never bought; D sells a hob
-- of carton K1 twice (after unpacking it). trace.record_sale refuses both, so
-- they are written directly, as a faulty or forged import would leave them,
-- with the values record_sale would have stored.
CREATE FUNCTION pg_temp.plant_sale(seller text, code text, sold text, customer text) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO trace.flow_record (kind, uscc, trace_code, event_time, sold_time, customer_name, quantity,
                                   collection_method, retain_until, recorded_at, recorded_by)
    SELECT 'seller_sale', seller::trace.uscc, code::trace.code, sold::timestamptz, sold::timestamptz, customer, 1, 'manual',
           greatest((((sold::timestamptz AT TIME ZONE 'UTC') + interval '8 hours')::date + interval '2 years')::date, i.retain_until),
           trace._reg_now(), session_user
    FROM trace.items i WHERE i.trace_code OPERATOR(trace.=) code::trace.code
$$;
SELECT pg_temp.plant_sale('92110105MA01ABC2DR', '(01)06901234567892(21)A0622-1', '2026-06-26T15:00:00+08:00', '个人消费者')
    AS r_unbought_sale;
SELECT (trace.unpack($${"package_code": "(00)069012340000000016", "uscc": "91440300MA5FQ7W81X",
    "event_time": "2026-05-25T09:00:00+08:00"}$$) ->> 'unpacked')::int AS unpacked;
SELECT pg_catalog.jsonb_array_length(trace.record_sale($$[
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0504-1", "sold_time": "2026-06-02T10:00:00+08:00",
   "customer_name": "个人消费者"}]$$)) AS d_consumer_sales;
SELECT pg_temp.plant_sale('91440300MA5FQ7W81X', '(01)06901234567892(21)A0504-1', '2026-06-03T10:00:00+08:00', '另一位消费者')
    AS d_second_sale;
SELECT pg_catalog.jsonb_array_length(trace.record_sale($$[
  {"uscc": "91440300MA5FQ7W81X", "trace_code": "(01)06901234567892(21)A0504-2", "sold_time": "2026-06-03T11:00:00+08:00",
   "customer_name": "个人消费者"}]$$)) AS d_consumer_sales_2;

-- Label scans as trace.verify_scan records them (written directly, with fixed
-- times). Planted suspected counterfeits: a forged label on A0511-2, a code
-- A never commissioned (FAKE1, A's GTIN), B260504-3 scanned in Beijing and
-- Urumqi within an hour. Not suspicious: a consumer's scan after the sale,
-- a genuine scan, an unreadable scan.
INSERT INTO trace.label_scan (scanned, code, scan_time, lat, lon, place, context, status, flags, earlier_scans)
SELECT v.scanned, CASE WHEN v.scanned <> 'garbage' THEN v.scanned::trace.code END, v.t::timestamptz, v.lat, v.lon, v.place, '{}', v.status, v.flags::jsonb, v.earlier
FROM (VALUES
    ('(01)06901234567892(21)A0511-1', '2026-06-21 10:00:00+08', 39.9, 116.4, '北京', 'genuine', '[{"flag": "after_sale"}]', 0),
    ('(01)06901234567892(21)A0511-3', '2026-06-21 11:00:00+08', 22.5, 114.1, '深圳', 'genuine', '[]', 0),
    ('(01)06901234567892(21)A0511-2', '2026-06-22 09:00:00+08', 31.2, 121.5, '上海', 'forged', '[{"flag": "wrong_verification_element"}]', 0),
    ('(01)06901234567892(21)FAKE1',   '2026-06-23 09:00:00+08', 30.3, 120.2, '杭州', 'unknown', '[{"flag": "not_commissioned"}]', 0),
    ('(01)06901234567908(21)B260504-3', '2026-06-24 09:00:00+08', 39.9, 116.4, '北京', 'genuine', '[]', 0),
    ('(01)06901234567908(21)B260504-3', '2026-06-24 09:40:00+08', 43.8, 87.6, '乌鲁木齐', 'genuine', '[{"flag": "far_apart"}]', 1),
    ('garbage', '2026-06-25 09:00:00+08', NULL, NULL, NULL, 'unknown', '[{"flag": "unreadable"}]', 0)
) v(scanned, t, lat, lon, place, status, flags, earlier);
