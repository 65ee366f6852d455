-- The access log (issue 5, deliverable 4): lookups, regulator reads and
-- exports, with role, time, object, client address and application, in a
-- ledger table; trace.access_log for administrators and regulators.
BEGIN;
SELECT plan(31);
\getenv top PWD
\ir fixtures/access_scenario.psql
CREATE ROLE acl_public IN ROLE trace_public;
CREATE ROLE acl_regulator IN ROLE trace_regulator;
CREATE ROLE acl_operator IN ROLE trace_operator;
CREATE ROLE acl_admin IN ROLE trace_admin;
SET LOCAL application_name = 'access-log-test';

SELECT ok(EXISTS (SELECT 1 FROM trace.ledger_tables WHERE relid = 'trace.access_log_record'::regclass),
    'the access log is a ledger table');
SELECT is((SELECT count(*)::int FROM trace.access_log), 0, 'empty before the first disclosure');

SET LOCAL ROLE acl_public;
SELECT ok(trace.lookup(']d2010690123456789221H0002') IS NOT NULL, 'a public lookup (raw scan)');
RESET ROLE;
SELECT is((SELECT pg_catalog.jsonb_build_object('role', role_name, 'session', session_role, 'action', action, 'object', object,
                                                 'application', application, 'detail', detail) FROM trace.access_log),
    pg_catalog.jsonb_build_object('role', 'acl_public', 'session', session_user, 'action', 'lookup',
        'object', '(01)06901234567892(21)H0002', 'application', 'access-log-test', 'detail', '{"found": true}'::jsonb),
    'the lookup is recorded: acting role, login role, action, normalised code, application, result');
SELECT ok((SELECT logged_at IS NOT NULL AND client_addr IS NULL FROM trace.access_log), 'time recorded; no client address over a Unix socket');
SELECT lives_ok($$SELECT trace.lookup('(01)06901234567892(21)H9999')$$, 'an unknown code');
SELECT is((SELECT detail FROM trace.access_log ORDER BY id DESC LIMIT 1), '{"found": false}', 'an unsuccessful lookup is recorded too');

-- regulator reads
SET LOCAL ROLE acl_regulator;
SELECT is((SELECT count(*)::int FROM trace.items), 7, 'a regulator reads the items');
RESET ROLE;
SELECT is((SELECT role_name || ' ' || action FROM trace.access_log ORDER BY id DESC LIMIT 1), 'acl_regulator read', 'the regulator''s read is recorded');
SELECT ok((SELECT object FROM trace.access_log ORDER BY id DESC LIMIT 1) LIKE '%trace.items%',
    'naming what was read');
SET LOCAL ROLE acl_regulator;
SELECT ok((SELECT count(*) FROM trace.access_log) > 0, 'a regulator reads the access log');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM trace.access_log WHERE role_name = 'acl_regulator'), 2,
    'reading the access log is itself recorded');
-- a read inside another kind of statement is a read too
CREATE TEMP TABLE acl_loot (b text) ON COMMIT DROP;
GRANT ALL ON acl_loot TO acl_regulator;
SET LOCAL ROLE acl_regulator;
SELECT lives_ok($$INSERT INTO acl_loot SELECT buyer_name FROM trace.flow_record$$, 'a regulator copies flow data into a table of its own');
RESET ROLE;
SELECT is((SELECT role_name || ' ' || action || ' ' || object FROM trace.access_log ORDER BY id DESC LIMIT 1),
    'acl_regulator read trace.flow_record', 'INSERT ... SELECT from a trace table is recorded as a read (not the table written)');
SET LOCAL ROLE acl_operator;
SELECT is((SELECT count(*)::int FROM trace.items), 0, 'an operator reads (nothing bound)');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM trace.access_log WHERE role_name = 'acl_operator'), 0, 'operator reads are not access-logged');

-- exports: every call of an export function is recorded (fmgr hook)
SELECT pg_catalog.set_config('pgtrace.signing_key_file', :'top' || '/test/data/keys/rfc8037_ed25519.pem', true) IS NOT NULL AS key_set \gset
SELECT ok(trace.export_history('(01)06901234567892(21)H0001', 'regulator') IS NOT NULL, 'a signed export of the history of a unit');
SELECT is((SELECT role_name || ' ' || action || ' ' || object FROM trace.access_log WHERE action = 'export'),
    session_user || ' export trace.export_history()', 'the export is recorded with the exporter and the export function');
SELECT throws_ok($$SELECT trace.export_history('(01)06901234567892(21)H0001', 'no-such-audience')$$, NULL, NULL,
    'a failed export');
SELECT is((SELECT count(*)::int FROM trace.access_log WHERE action = 'export'), 1, 'leaves no export row (nothing was disclosed)');
SELECT lives_ok($$SELECT trace._acc_log('export', 'trace.items', '{"records": 7}')$$, 'an export can also be recorded explicitly');
SELECT throws_ok($$SELECT trace._acc_log('peek', 'trace.items', NULL)$$, '23514', NULL, 'only lookup, read and export');

-- regulator reads through definer functions (which read as their owner)
SET LOCAL ROLE acl_regulator;
SELECT ok(trace.package_of('(01)06901234567892(21)H0005') IS NOT NULL, 'a regulator asks which package holds a unit');
RESET ROLE;
SELECT is((SELECT role_name || ' ' || action || ' ' || object FROM trace.access_log ORDER BY id DESC LIMIT 1),
    'acl_regulator read trace.package_of()', 'the call is recorded as a read');
SELECT trace.package_of('(01)06901234567892(21)H0005') IS NOT NULL;
SELECT is((SELECT count(*)::int FROM trace.access_log WHERE object = 'trace.package_of()'), 1,
    'the same call by a non-regulator is not');

-- who may read it, and its integrity
SET LOCAL ROLE acl_admin;
SELECT ok((SELECT count(*) FROM trace.access_log) = 8, 'an administrator reads the access log');
RESET ROLE;
SET LOCAL ROLE acl_operator;
SELECT throws_ok($$SELECT * FROM trace.access_log$$, '42501', NULL, 'operators do not read the access log');
RESET ROLE;
SET LOCAL ROLE acl_public;
SELECT throws_ok($$SELECT * FROM trace.access_log_record$$, '42501', NULL, 'nor does the public');
SELECT throws_ok($$SET pgtrace.access_log = off$$, '42501', NULL, 'only a superuser switches the log off');
RESET ROLE;
SELECT throws_ok($$UPDATE trace.access_log_record SET object = 'x'$$, NULL, NULL, 'log rows cannot be changed');

SET LOCAL pgtrace.access_log = off;
SELECT trace.lookup('(01)06901234567892(21)H0003') IS NULL;
SELECT is((SELECT count(*)::int FROM trace.access_log), 8, 'with pgtrace.access_log off nothing is recorded');

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
