-- Labels and verify-on-scan: privileges and definer rights, what each role
-- may call, and verify_scan wired to the registry (commissioned codes, units
-- in a carton, a sale to an end customer). Scan times come from the context;
-- the key is the RFC 8037 test key (path from $PWD, the repository root).
\getenv top PWD
SELECT :'top' || '/test/data/keys/rfc8037_ed25519.pem' AS key \gset
BEGIN;
SELECT plan(50);
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';
SET LOCAL pgtrace.signing_key_file = :'key';

-- functions, labels, definer rights
SELECT has_function('trace', 'qr_svg', ARRAY['text', 'text', 'integer', 'integer']);
SELECT has_function('trace', 'qr_png', ARRAY['text', 'text', 'integer', 'integer']);
SELECT has_function('trace', 'new_serials', ARRAY['trace.gtin', 'integer', 'integer', 'text']);
SELECT has_function('trace', 'label', ARRAY['trace.code', 'text', 'text', 'integer']);
SELECT has_function('trace', 'verify_scan', ARRAY['text', 'jsonb']);
SELECT volatility_is('trace', 'qr_svg', ARRAY['text', 'text', 'integer', 'integer'], 'immutable');
SELECT volatility_is('trace', 'new_serials', ARRAY['trace.gtin', 'integer', 'integer', 'text'], 'volatile');
SELECT is_definer('trace', 'label', ARRAY['trace.code', 'text', 'text', 'integer']);
SELECT is_definer('trace', 'verify_scan', ARRAY['text', 'jsonb']);
SELECT ok((SELECT pg_catalog.bool_and(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])
           FROM pg_catalog.pg_proc p
           WHERE p.pronamespace = 'trace'::regnamespace AND p.prosecdef
             AND p.proname IN ('label', 'verify_scan')), 'definer functions pin search_path');

-- privileges
SELECT function_privs_are('trace', 'label', ARRAY['trace.code', 'text', 'text', 'integer'], 'trace_operator', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'label', ARRAY['trace.code', 'text', 'text', 'integer'], 'trace_public', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'label', ARRAY['trace.code', 'text', 'text', 'integer'], 'trace_regulator', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'new_serials', ARRAY['trace.gtin', 'integer', 'integer', 'text'], 'trace_operator', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'new_serials', ARRAY['trace.gtin', 'integer', 'integer', 'text'], 'trace_public', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'verify_scan', ARRAY['text', 'jsonb'], 'trace_public', ARRAY['EXECUTE']);
SELECT ok(NOT pg_catalog.has_function_privilege('public', 'trace._label_sign(text)', 'EXECUTE'),
          'PUBLIC cannot sign label elements directly');
SELECT ok(NOT pg_catalog.has_function_privilege('public', 'trace.verify_scan(text, jsonb)', 'EXECUTE'),
          'PUBLIC (outside the extension roles) cannot call verify_scan');
SELECT table_privs_are('trace', 'label_scan', 'trace_public', ARRAY[]::text[]);
SELECT table_privs_are('trace', 'label_scan', 'trace_operator', ARRAY[]::text[]);
SELECT table_privs_are('trace', 'label_scan', 'trace_regulator', ARRAY['SELECT']);
SELECT table_privs_are('trace', 'label_issue', 'trace_public', ARRAY[]::text[]);

-- a registered factory, product and inspection report; two units commissioned, one packed
SELECT trace.register_unit($${"uscc": "91330100MA2H3K5L19", "roles": ["producer", "seller"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf"}}$$);
SELECT trace.register_product($${"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
    "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}$$);
SELECT trace.attach_document($${"content_base64": "aW5zcGVjdGlvbiBMQUJFTA==", "media_type": "application/pdf",
    "uscc": "91330100MA2H3K5L19"}$$);
SELECT trace.commission(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'trace_code', '(01)06901234567892(21)LBL' || n, 'production_date', '2026-06-01', 'serial_or_batch', 'B1',
        'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection LABEL'::bytea), 'hex'))))
FROM pg_catalog.generate_series(1, 2) n;
SELECT trace.pack($${"package_code": "(00)069012340000000016", "uscc": "91330100MA2H3K5L19",
    "event_time": "2026-06-02T08:00:00+08:00", "contents": ["(01)06901234567892(21)LBL2"]}$$);

-- an operator bound to the factory prints its labels; the public cannot
CREATE ROLE lbl_factory_op IN ROLE trace_operator;
CREATE ROLE lbl_other_op IN ROLE trace_operator;
SELECT trace.bind_operator('lbl_factory_op', '91330100MA2H3K5L19');
GRANT trace_public TO CURRENT_USER;
SET LOCAL ROLE lbl_other_op;
SELECT throws_ok($$SELECT trace.label('(01)06901234567892(21)LBL1')$$, '42501',
                 'role "lbl_other_op" may not make labels for trace code "(01)06901234567892(21)LBL1"',
                 'an operator not bound to the factory cannot sign the factory''s labels');
RESET ROLE;
SET LOCAL ROLE lbl_factory_op;
SELECT throws_ok($$SELECT trace.label('(01)06901234567908(21)X1')$$, '42501', NULL,
                 'nor can anyone but trace_admin label a GTIN no unit registered');
SELECT lives_ok($$SELECT trace.label('(00)069012340000000023')$$,
                'the factory labels an SSCC of its company prefix before packing it');
SELECT trace.label('(01)06901234567892(21)LBL1') ->> 'digital_link' AS unit_dl \gset
SELECT trace.label('(00)069012340000000016') ->> 'digital_link' AS package_dl \gset
SELECT trace.label('(01)06901234567892(21)NEVER') ->> 'digital_link' AS stray_dl \gset
SELECT is((SELECT pg_catalog.count(*) FROM trace.new_serials('06901234567892', 3))::int, 3,
          'the operator draws serials');
SELECT throws_ok($$SELECT * FROM trace.label_scan$$, '42501', NULL, 'the operator cannot read the scan log');
RESET ROLE;
SET LOCAL ROLE trace_public;
SELECT throws_ok($$SELECT trace.label('(01)06901234567892(21)LBL1')$$, '42501', NULL,
                 'the public cannot make labels');
SELECT throws_ok($$SELECT * FROM trace.new_serials('06901234567892', 1)$$, '42501', NULL,
                 'the public cannot draw serials');

-- the public scans: verify_scan runs with the definer's rights and records the scan
SELECT trace.verify_scan(:'unit_dl', '{"time": "2026-06-20T10:00:00+08:00"}') AS first_scan \gset
SELECT is((:'first_scan'::jsonb) ->> 'status', 'genuine', 'a commissioned unit''s label is genuine');
SELECT is((:'first_scan'::jsonb) #>> '{public,product,product_name}', '家用燃气灶',
          'the public information of Table 3 comes with the verdict (trace.lookup)');
SELECT ok(NOT ((:'first_scan'::jsonb) -> 'public' -> 'product' ? 'inspection_report'),
          '... and nothing that is not public');
SELECT is(trace.verify_scan(:'unit_dl', '{"time": "2026-06-20T10:05:00+08:00"}') -> 'flags', '[]'::jsonb,
          'no flag for a commissioned unit with a valid element before any sale');
SELECT is(trace.verify_scan(:'package_dl', '{"time": "2026-06-20T10:06:00+08:00"}') -> 'flags', '[]'::jsonb,
          'a carton that was packed counts as commissioned');
SELECT ok(trace.verify_scan(:'stray_dl', '{"time": "2026-06-20T10:07:00+08:00"}') -> 'flags' @>
          '[{"flag": "not_commissioned"}]', 'a label for a code the registry never commissioned is flagged');
SELECT is(trace.verify_scan(:'stray_dl', '{"time": "2026-06-20T10:08:00+08:00"}') ->> 'status', 'genuine',
          '... while its signature is still genuine');
RESET ROLE;

-- sold to an end customer on 2026-06-25: later scans are flagged, earlier ones are not
SELECT trace.record_sale($${"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)LBL1",
     "sold_time": "2026-06-25T15:30:00+08:00", "customer_name": "个人消费者"}$$);
SET LOCAL ROLE trace_public;
SELECT ok(NOT (trace.verify_scan(:'unit_dl', '{"time": "2026-06-24T12:00:00+08:00"}') -> 'flags' @>
               '[{"flag": "after_sale"}]'), 'a scan before the sale is not flagged');
SELECT ok(trace.verify_scan(:'unit_dl', '{"time": "2026-06-26T12:00:00+08:00"}') -> 'flags' @>
          '[{"flag": "after_sale", "detail": "the unit was sold to an end customer at 2026-06-25T07:30:00Z"}]',
          'a scan after the sale to an end customer is flagged, with the sale time');
SELECT is((trace.verify_scan(:'unit_dl', '{"time": "2026-06-26T12:00:00+08:00"}') ->> 'earlier_scans')::int, 4,
          'earlier scans are counted');
RESET ROLE;

-- settings: a tighter burst threshold
SET LOCAL pgtrace.scan_burst_count = 2;
SELECT ok(NOT (trace.verify_scan('(01)06901234567892(21)Q100', '{"time": "2026-06-27T12:00:00Z"}') -> 'flags' @>
               '[{"flag": "sequential_burst"}]'), 'first of a series: no burst');
SELECT ok(trace.verify_scan('(01)06901234567892(21)Q101', '{"time": "2026-06-27T12:00:10Z"}') -> 'flags' @>
          '[{"flag": "sequential_burst"}]', 'second sequential code within the window: a burst at count 2');

-- the scan log records every scan with the verdict, in the ledger
SELECT is((SELECT pg_catalog.count(*) FROM trace.label_scan WHERE status = 'genuine')::int, 8,
          'eight genuine scans recorded');
SELECT is((SELECT pg_catalog.count(*) FROM trace.label_issue)::int, 4, 'four labels recorded');
SELECT is((trace.ledger_verify('trace.label_scan') ->> 'ok')::boolean, true, 'the scan ledger verifies');

-- status
SELECT is((trace.status() -> 'labels' ->> 'registry_checks')::boolean, true, 'status: registry checks are wired');
SELECT is(pg_catalog.jsonb_array_length(trace._status_labels() -> 'missing_guarantees'), 0,
          'status: nothing missing with a signing key');
RESET pgtrace.signing_key_file;
SELECT ok(trace._status_labels() -> 'missing_guarantees' ->> 0 LIKE 'labels: no signing key%',
          'status: without a signing key, labels are a missing guarantee');
SELECT is(trace.verify_scan(:'unit_dl', '{"time": "2026-06-28T11:00:00Z"}') ->> 'status', 'unknown',
          'without any key a scan with an element is unknown, not forged');
SELECT ok(trace.verify_scan(:'unit_dl', '{"time": "2026-06-28T11:30:00Z"}') -> 'flags' @> '[{"flag": "no_verification_key"}]',
          '... flagged no_verification_key');
SELECT is(trace.verify_scan(:'unit_dl', '{"time": "2026-06-28T12:00:00Z"}') ->> 'status', 'genuine',
          'labels still verify with the key moved to the verification keys only')
FROM (SELECT pg_catalog.set_config('pgtrace.verify_key_file', :'key', true)) x;

SELECT * FROM finish();
ROLLBACK;
