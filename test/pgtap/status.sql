-- trace.status(): callable by the admin, operator and regulator roles (it is
-- SECURITY DEFINER with a pinned search_path because the part reports read
-- internal objects), refused to the public role, and never shows key material.
BEGIN;
SELECT plan(9);

SELECT is_definer('trace', 'status', ARRAY[]::text[], 'status() runs with its owner''s rights');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = 'trace.status()'::regprocedure), 'status() pins its search_path');

CREATE ROLE status_admin IN ROLE trace_admin;
CREATE ROLE status_operator IN ROLE trace_operator;
CREATE ROLE status_regulator IN ROLE trace_regulator;
CREATE ROLE status_public IN ROLE trace_public;

SET LOCAL ROLE status_admin;
SELECT ok(trace.status() ? 'preloaded', 'trace_admin can read the status');
RESET ROLE;
SET LOCAL ROLE status_operator;
SELECT ok(trace.status() ? 'missing_guarantees', 'trace_operator can read the status');
RESET ROLE;
SET LOCAL ROLE status_regulator;
SELECT ok(trace.status() ? 'ledger', 'trace_regulator can read the status, with every part''s report');
RESET ROLE;
SET LOCAL ROLE status_public;
SELECT throws_ok('SELECT trace.status()', '42501', NULL, 'trace_public cannot read the status');
RESET ROLE;

SELECT is(jsonb_typeof(trace.status() -> 'missing_guarantees'), 'array', 'missing_guarantees is a list');
SELECT ok(NOT (trace.status()::text ~* '(PRIVATE KEY|\.pem|"d": )'),
          'status shows no key material and no key file path');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'trace'::regnamespace AND p.proname LIKE '\_status\_%'
              AND NOT (trace.status() ? pg_catalog.substr(p.proname, 9))),
          0, 'every part''s _status_ function appears under its part name');

SELECT * FROM finish();
ROLLBACK;
