-- Access control: the messages users see. One statement per line so that the
-- expected output pins every error.
-- Registry rows are ledger rows (they cannot be removed), so this suite
-- works in a database of its own and leaves the shared one untouched.
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
SELECT current_database() AS regress_db \gset
CREATE DATABASE access_regress;
\c access_regress
CREATE EXTENSION pgtrace;
\set SHOW_CONTEXT never
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
CREATE ROLE access_r_admin IN ROLE trace_admin;
CREATE ROLE access_r_op IN ROLE trace_operator;
CREATE ROLE access_r_other IN ROLE trace_operator;
CREATE ROLE access_r_reg IN ROLE trace_regulator;
CREATE ROLE access_r_pub IN ROLE trace_public;
CREATE ROLE access_r_none;
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "unit_name": "杭州示例燃气具有限公司", "address": "杭州市示例路1号", "contact": "+86 571 8888 0000", "business_license": {"content_base64": "bGljZW5jZQ==", "media_type": "application/pdf"}}') ->> 'uscc';
-- lookups: every malformed code is the code type's error; unknown codes are NULL
SELECT trace.lookup('(01)06901234567893(21)A1');
SELECT trace.lookup('(01)0690123456789');
SELECT trace.lookup('');
SELECT trace.lookup(NULL);
SELECT trace.lookup('(01)06901234567892(21)NOPE');
SELECT action, object, detail FROM trace.access_log ORDER BY id;
-- bindings
SET ROLE access_r_admin;
SELECT trace.bind_operator('access_r_op', '91330100MA2H3K5L19');
SELECT trace.bind_operator('access_r_op', '91330100MA2H3K5L19');
SELECT trace.bind_operator('access_r_none', '91330100MA2H3K5L19');
SELECT trace.bind_operator('access_r_op', '91330100MA2H3K5L1X');
SELECT trace.bind_operator('access_r_op', NULL);
SELECT trace.bind_operator('access_r_missing', '91330100MA2H3K5L19');
SELECT trace.unbind_operator('access_r_other', '91330100MA2H3K5L19');
SELECT role_name, uscc FROM trace.operator_bindings ORDER BY 1, 2;
RESET ROLE;
SET ROLE access_r_op;
SELECT trace.bind_operator('access_r_op', '91440300MA5FQ7W81X');
RESET ROLE;
-- writes for another unit, by a regulator, by an unbound operator
SET ROLE access_r_other;
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "product_name": "x", "product_type": "y", "spec_model": "z", "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "1", "warranty_period": "P1Y", "manual_or_warning": {"content_base64": "eA==", "media_type": "text/plain"}}');
RESET ROLE;
SET ROLE access_r_reg;
SELECT trace.register_unit('{"uscc": "91440300MA5FQ7W81X"}');
RESET ROLE;
-- the public reads the public views only
SET ROLE access_r_pub;
SELECT uscc, unit_name FROM trace.public_units;
SELECT * FROM trace.units;
SELECT inspection_report FROM trace.item_record;
SELECT * FROM trace.access_log;
SET pgtrace.access_log = off;
SET pgtrace.tls_writers = 'access_r_op';
RESET ROLE;
SET pgtrace.tls_writers = 'a,,b';
SELECT (trace.status() -> 'access') - 'access_log_rows'::text - 'row_security_tables'::text;
-- clean up: the database and the cluster-wide roles
\c :regress_db
DROP DATABASE access_regress;
DROP ROLE access_r_admin, access_r_op, access_r_other, access_r_reg, access_r_pub, access_r_none;
