-- Security matrix (issue 5, deliverable 6): the four roles x every table,
-- view, sequence and function of the schema x read / write / execute,
-- against the intended grants written out below (docs/access.md, the
-- privileges sections of each part's reference). A new object without an
-- intended grant here fails this file on purpose.
BEGIN;
SELECT plan(14);

CREATE TEMP TABLE roles4 ON COMMIT DROP AS
SELECT r AS role FROM pg_catalog.unnest('{trace_admin,trace_operator,trace_regulator,trace_public}'::text[]) r;

-- relations: who reads the whole relation ('*'), or some columns only ('cols')
CREATE TEMP TABLE rel_expect (rel text, admin text, operator text, regulator text, public text) ON COMMIT DROP;
INSERT INTO rel_expect VALUES
    ('access_log',          '*', '-', '*', '-'),
    ('access_log_record',   '-', '-', '-', '-'),
    ('access_log_batch',    '-', '-', '-', '-'),
    ('categories',          '*', '*', '*', '*'),
    ('field_catalog',       '*', '*', '*', '*'),
    ('category_record',     '*', '*', '*', '-'),
    ('corrections',         '*', '*', '*', '-'),
    ('document_content',    '*', '*', '*', 'cols'),
    ('document_record',     '*', '*', '*', 'cols'),
    ('documents',           '*', '*', '*', '-'),
    ('flow_record',         '*', '*', '*', 'cols'),
    ('flows',               '*', '*', '*', '-'),
    ('item_record',         '*', '*', '*', 'cols'),
    ('items',               '*', '*', '*', '-'),
    ('package_event',       '*', '*', '*', '-'),
    ('package_events',      '*', '*', '*', '-'),
    ('product_record',      '*', '*', '*', 'cols'),
    ('products',            '*', '*', '*', '-'),
    ('retention',           '*', '*', '*', '-'),
    ('unit_record',         '*', '*', '*', 'cols'),
    ('units',               '*', '*', '*', '-'),
    ('operator_binding',    '*', '*', '*', '-'),
    ('operator_bindings',   '*', '*', '*', '-'),
    ('ledger_blocks',       '*', '-', '*', '-'),
    ('ledger_tables',       '*', '-', '*', '-'),
    ('ledger_tombstones',   '*', '-', '*', '-'),
    ('ledger_events',       '*', '-', '*', '-'),
    -- exchange (partners, imports)
    ('import_jti',          '*', '-', '*', '-'),
    ('import_log',          '*', '-', '*', '-'),
    ('imports',             '*', '-', '*', '-'),
    ('partner_record',      '*', '*', '*', '-'),
    ('partners',            '*', '*', '*', '-'),
    -- labels (issued serials, scans) and statistics
    ('label_issue',         '*', '-', '*', '-'),
    ('label_scan',          '*', '-', '*', '-'),
    ('_stats_anomaly_mv',   '-', '-', '-', '-'),
    ('_stats_completeness_mv', '-', '-', '-', '-'),
    ('_stats_flow_mv',      '-', '-', '-', '-'),
    ('_stats_flow_units_mv', '-', '-', '-', '-'),
    ('_stats_refresh_log',  '-', '-', '-', '-'),
    ('_stats_scan_mv',      '-', '-', '-', '-'),
    ('_stats_daily_mv',     '-', '-', '-', '-'),
    ('anomaly_counterfeit', '*', '*', '*', '-'),
    ('stats_scans',         '*', '*', '*', '-'),
    ('stats_volume_totals', '*', '*', '*', '-'),
    ('_stats_volume_mv',    '-', '-', '-', '-'),
    ('_stats_scan_mv',      '-', '-', '-', '-'),
    ('anomaly_counterfeit', '*', '*', '*', '-'),
    ('stats_scans',         '*', '*', '*', '-'),
    ('anomaly_missing_fields', '*', '*', '*', '-'),
    ('anomaly_quantity_mismatch', '*', '*', '*', '-'),
    ('anomaly_sale_after_expiry', '*', '*', '*', '-'),
    ('anomaly_trend_change', '*', '*', '*', '-'),
    ('stats_anomalies',     '*', '*', '*', '-'),
    ('stats_completeness',  '*', '*', '*', '-'),
    ('stats_flows',         '*', '*', '*', '-'),
    ('stats_inspection_coverage', '*', '*', '*', '-'),
    ('stats_ledger',        '*', '-', '*', '-'),
    ('stats_refreshed',     '*', '*', '*', '-'),
    ('stats_retention',     '*', '*', '*', '-'),
    ('stats_volume_by_category', '*', '*', '*', '-'),
    ('stats_volume_by_product', '*', '*', '*', '-'),
    ('stats_volume_by_region', '*', '*', '*', '-'),
    ('stats_volume_by_unit', '*', '*', '*', '-'),
    ('stats_volume_daily',  '*', '*', '*', '-'),
    ('public_documents',    '*', '*', '*', '*'),
    ('public_items',        '*', '*', '*', '*'),
    ('public_products',     '*', '*', '*', '*'),
    ('public_sales',        '*', '*', '*', '*'),
    ('public_units',        '*', '*', '*', '*');

CREATE TEMP TABLE rel_actual ON COMMIT DROP AS
SELECT c.relname::text AS rel, r.role,
       CASE WHEN pg_catalog.has_table_privilege(r.role, c.oid, 'SELECT') THEN '*'
            WHEN pg_catalog.has_any_column_privilege(r.role, c.oid, 'SELECT') THEN 'cols' ELSE '-' END AS got
FROM pg_catalog.pg_class c CROSS JOIN roles4 r
WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f');

SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY c.relname::text) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
             AND c.relname::text NOT IN (SELECT rel FROM rel_expect)),
    NULL, 'every table and view of the schema has an intended grant in this matrix');
SELECT is((SELECT pg_catalog.array_agg(a.rel || ' ' || a.role || ': ' || a.got || ' (intended ' || e.want || ')' ORDER BY a.rel, a.role)
           FROM rel_actual a
           JOIN (SELECT rel, 'trace_admin' AS role, admin AS want FROM rel_expect
                 UNION ALL SELECT rel, 'trace_operator', operator FROM rel_expect
                 UNION ALL SELECT rel, 'trace_regulator', regulator FROM rel_expect
                 UNION ALL SELECT rel, 'trace_public', public FROM rel_expect) e ON e.rel = a.rel AND e.role = a.role
           WHERE a.got <> e.want),
    NULL, 'read privileges of every role on every table and view are the intended ones');
SELECT is((SELECT pg_catalog.array_agg(c.relname::text || ' ' || r.role || ' ' || p.priv ORDER BY 1)
           FROM pg_catalog.pg_class c CROSS JOIN roles4 r
           CROSS JOIN pg_catalog.unnest('{INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) p(priv)
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
             AND (pg_catalog.has_table_privilege(r.role, c.oid, p.priv)
                  OR (p.priv IN ('INSERT', 'UPDATE', 'REFERENCES') AND pg_catalog.has_any_column_privilege(r.role, c.oid, p.priv)))),
    NULL, 'no role writes any table or view directly (writes go through the functions)');
SELECT is((SELECT pg_catalog.array_agg(c.relname::text || ' ' || r.role ORDER BY 1)
           FROM pg_catalog.pg_class c CROSS JOIN roles4 r
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind = 'S'
             AND pg_catalog.has_sequence_privilege(r.role, c.oid, 'USAGE, SELECT, UPDATE')),
    NULL, 'no role uses a sequence of the schema directly');
SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY 1) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind IN ('r', 'v', 'S')
             AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) a WHERE a.grantee = 0)),
    NULL, 'PUBLIC holds no privilege on any table, view or sequence');

-- row security on every registry table
SELECT is((SELECT pg_catalog.array_agg(c.relname::text ORDER BY 1) FROM pg_catalog.pg_class c
           WHERE c.relnamespace = 'trace'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity
             AND c.relname NOT IN ('field_catalog', 'ledger_tables', 'ledger_blocks', 'ledger_tombstones', 'ledger_events',
                                   'label_issue', 'label_scan', '_stats_refresh_log',
                                   'import_jti', 'import_log', 'partner_record')),
    NULL, 'row-level security is enabled on every registry, binding and log table (the ledger''s bookkeeping and the label tables are read by admin and regulator only)');

-- functions: PUBLIC executes only the documented public functions (type
-- support and the code functions of docs/codes.md, and the QR renderers of
-- the contract, which read no data); trigger functions cannot be called
-- outside a trigger.
SELECT is((SELECT pg_catalog.array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_catalog.pg_proc p
           WHERE p.pronamespace = 'trace'::regnamespace
             AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) a
                                              WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
             AND p.prorettype <> 'pg_catalog.trigger'::regtype
             AND p.proname !~ '^(code|gtin|gln|sscc|uscc)_(in|out|recv|send|cmp|eq|ne|lt|le|gt|ge|hash|hash_extended|larger|smaller|from_int8|to_gtin|to_sscc|to_code)$'
             AND p.proname NOT IN ('min', 'max', 'validate', 'parse_scan', 'scheme', 'gtin', 'serial', 'digital_link', 'code', 'uscc_info',
                                   'qr_svg', 'qr_png')),
    NULL, 'nothing beyond the documented public functions is executable by PUBLIC');

-- every other function: the intended grants (roles: a = admin, o = operator,
-- r = regulator, p = public); a function not listed is internal: no role.
CREATE TEMP TABLE fn_expect (fn text, roles text) ON COMMIT DROP;
INSERT INTO fn_expect VALUES
    ('trace.lookup(text)', 'aorp'),
    ('trace.access_log_flush(integer)', 'ar'),
    ('trace.bind_operator(regrole,text)', 'a'),
    ('trace.unbind_operator(regrole,text)', 'a'),
    ('trace._acc_units_of(name)', 'o'),
    ('trace._acc_current(text,bigint)', 'aorp'),
    ('trace._acc_iso_period(interval)', 'aorp'),
    ('trace._acc_public_document(bytea)', 'aorp'),
    ('trace._acc_public_sale(bigint)', 'aorp'),
    ('trace._acc_public_d(bigint,bigint)', 'aorp'),
    ('trace._status_access()', 'aor'),
    -- helpers of the masking and export functions, which run with the caller's rights
    ('trace._exchange_audience(text)', 'aorp'),
    ('trace._exchange_fail(text,text,text,text)', 'aorp'),
    ('trace._epcis_uri(trace.code,text)', 'aor'),
    ('trace._epcis_party(text,text,text,text)', 'aor'),
    ('trace._reg_iso(timestamp with time zone)', 'aor'),
    ('trace._reg_now()', 'aor'),
    -- the effective retention of flows and packing events in trace.retention
    ('trace._reg_covered_retain(trace.code[],date)', 'aor'),
    ('trace._reg_units_in(trace.code,timestamp with time zone)', 'aor'),
    ('trace._reg_children(trace.code,timestamp with time zone)', 'aor'),
    ('trace._reg_retain(date,date,integer,interval,interval)', 'aor'),
    ('trace._status_keys()', 'aor'),
    ('trace.status()', 'aor'),
    ('trace.add_category(jsonb)', 'a'),
    ('trace.attach_document(jsonb)', 'ao'),
    ('trace.attach_document(bytea,text,text,text)', 'ao'),
    ('trace.commission(jsonb)', 'ao'),
    ('trace.correct(text,bigint,jsonb,text)', 'ao'),
    ('trace.pack(jsonb)', 'ao'),
    ('trace.unpack(jsonb)', 'ao'),
    ('trace.record_sale(jsonb)', 'ao'),
    ('trace.record_purchase(jsonb)', 'ao'),
    ('trace.register_product(jsonb)', 'ao'),
    ('trace.register_unit(jsonb)', 'ao'),
    ('trace.completeness(text)', 'aor'),
    ('trace.history(text)', 'aor'),
    ('trace.package_contents(text,timestamp with time zone,boolean)', 'aor'),
    ('trace.package_of(text,timestamp with time zone)', 'aor'),
    ('trace.canonical_json(jsonb)', 'aorp'),
    ('trace.jws_verify(text)', 'aorp'),
    ('trace.jws_verify(text,jsonb)', 'aorp'),
    ('trace.jws_verify_detail(text,jsonb)', 'aorp'),
    ('trace.public_jwk()', 'aorp'),
    ('trace.jwk_thumbprint(jsonb)', 'aorp'),
    ('trace.jws_verify_jwk(text,jsonb,jsonb)', 'aorp'),
    ('trace.purge(date,regclass)', 'a'),
    ('trace.ledger_current_view(regclass,text)', 'a'),
    ('trace.sign(jsonb)', 'a'),
    ('trace.sign(jsonb,boolean)', 'a'),
    ('trace.sign_json(jsonb,boolean)', 'a'),
    ('trace.checkpoint()', 'ar'),
    ('trace.verify()', 'ar'),
    ('trace.verify(text)', 'ar'),
    ('trace.ledger_verify(regclass)', 'ar'),
    ('trace.ledger_export(regclass)', 'ar'),
    ('trace.ledger_rehash(regclass,bigint)', 'ar'),
    ('trace.proof(regclass,bigint,text)', 'ar'),
    ('trace.proof(trace.code,text)', 'ar'),
    ('trace.ledger_enable(regclass,text,interval)', 'a'),
    ('trace._ledger_is_registered(regclass)', 'a'),
    ('trace._ledger_register(regclass,text,text,interval)', 'a'),
    ('trace._ledger_backfill_hash(regclass,text,text,record,bigint,text,timestamp with time zone,text,date)', 'a'),
    ('trace.seal(regclass)', 'ao'),
    -- exchange
    ('trace.export_epcis(text,timestamp with time zone,timestamp with time zone,text,text)', 'aor'),
    ('trace.export_epcis_history(text,text,text)', 'aor'),
    ('trace.export_history(text,text,text,boolean)', 'aor'),
    ('trace.export_unit(text,timestamp with time zone,timestamp with time zone,text,text,boolean)', 'aor'),
    ('trace.history_document(text,text)', 'aor'),
    ('trace.unit_document(text,timestamp with time zone,timestamp with time zone,text)', 'aor'),
    ('trace.import(text,timestamp with time zone)', 'ao'),
    ('trace.mask(jsonb,text)', 'aorp'),
    ('trace.register_partner(text,text,jsonb,text[])', 'a'),
    ('trace.revoke_partner(text,text)', 'a'),
    -- labels
    ('trace.label(trace.code,text,text,integer)', 'ao'),
    ('trace.new_serials(trace.gtin,integer,integer,text)', 'ao'),
    ('trace._random_serials(integer,integer,text)', 'ao'),
    ('trace.verify_scan(text,jsonb)', 'aorp'),
    -- statistics
    ('trace.report(date,date,text)', 'aor'),
    ('trace.stats_refresh()', 'a'),
    ('trace._stats_ledger()', 'ar'),
    ('trace._stats_all()', 'aor'),
    ('trace._stats_axis_max(numeric)', 'aor'),
    ('trace._stats_day(timestamp with time zone)', 'aor'),
    ('trace._stats_html(text)', 'aor'),
    ('trace._stats_num(numeric)', 'aor'),
    ('trace._stats_pct(numeric)', 'aor'),
    ('trace._stats_province(text)', 'aor'),
    ('trace._stats_region(trace.uscc)', 'aor'),
    ('trace._stats_scan_outcomes(date,date)', 'aor'),
    ('trace._stats_svg_bars(text,text,text[],numeric[],text[],numeric,text,text)', 'aor'),
    ('trace._stats_svg_lines(text,text,text[],jsonb,text)', 'aor'),
    ('trace._stats_t(text,text)', 'aor'),
    ('trace._stats_today()', 'aor'),
    ('trace._stats_trend_factor()', 'aor'),
    ('trace._stats_trend_min_baseline()', 'aor'),
    ('trace._stats_trend_weeks()', 'aor'),
    ('trace._stats_visible_units()', 'aor');
CREATE TEMP TABLE fn_actual ON COMMIT DROP AS
SELECT p.oid::regprocedure::text AS fn,
       pg_catalog.concat(CASE WHEN pg_catalog.has_function_privilege('trace_admin', p.oid, 'EXECUTE') THEN 'a' END,
                         CASE WHEN pg_catalog.has_function_privilege('trace_operator', p.oid, 'EXECUTE') THEN 'o' END,
                         CASE WHEN pg_catalog.has_function_privilege('trace_regulator', p.oid, 'EXECUTE') THEN 'r' END,
                         CASE WHEN pg_catalog.has_function_privilege('trace_public', p.oid, 'EXECUTE') THEN 'p' END) AS roles,
       (p.proacl IS NULL OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(p.proacl) a WHERE a.grantee = 0)) AS by_public
FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'trace'::regnamespace;
SELECT is((SELECT pg_catalog.array_agg(a.fn || ': ' || a.roles || ' (intended ' || coalesce(e.roles, '') || ')' ORDER BY a.fn)
           FROM fn_actual a LEFT JOIN fn_expect e ON e.fn = a.fn
           WHERE NOT a.by_public AND a.roles <> coalesce(e.roles, '')),
    NULL, 'EXECUTE of every non-public function by every role is the intended one');
SELECT is((SELECT pg_catalog.array_agg(e.fn ORDER BY 1) FROM fn_expect e WHERE e.fn NOT IN (SELECT fn FROM fn_actual)),
    NULL, 'every function of the matrix exists');

-- SECURITY DEFINER functions pin their search_path
SELECT is((SELECT pg_catalog.array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_catalog.pg_proc p
           WHERE p.pronamespace = 'trace'::regnamespace AND p.prosecdef
             AND NOT ('search_path=pg_catalog, pg_temp' = ANY (coalesce(p.proconfig, '{}')))),
    NULL, 'every SECURITY DEFINER function has SET search_path = pg_catalog, pg_temp');
SELECT ok((SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'trace'::regnamespace AND p.prosecdef) > 20,
    'and there are SECURITY DEFINER functions to check');

-- the matrix in action: each role tries to read and to delete from every
-- relation; the outcome must follow the grants above (function arguments are
-- NULLs the planner cannot fold, so STRICT functions reach the privilege check)
CREATE FUNCTION pg_temp.try_as(role text, sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE pg_catalog.format('SET LOCAL ROLE %I', role);
    BEGIN
        EXECUTE sql;
        RESET ROLE;
        RETURN 'ok';
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RETURN SQLSTATE;
    END;
END
$$;
CREATE ROLE sm_admin IN ROLE trace_admin;
CREATE ROLE sm_operator IN ROLE trace_operator;
CREATE ROLE sm_regulator IN ROLE trace_regulator;
CREATE ROLE sm_public IN ROLE trace_public;
CREATE TEMP TABLE tried ON COMMIT DROP AS
SELECT e.rel, r.role, r.login,
       pg_temp.try_as(r.login, pg_catalog.format('SELECT * FROM trace.%I LIMIT 1', e.rel)) AS read_all,
       pg_temp.try_as(r.login, pg_catalog.format('DELETE FROM trace.%I WHERE false', e.rel)) AS del,
       CASE r.role WHEN 'trace_admin' THEN e.admin WHEN 'trace_operator' THEN e.operator
                   WHEN 'trace_regulator' THEN e.regulator ELSE e.public END AS want
FROM rel_expect e
CROSS JOIN (VALUES ('trace_admin', 'sm_admin'), ('trace_operator', 'sm_operator'),
                   ('trace_regulator', 'sm_regulator'), ('trace_public', 'sm_public')) r(role, login);
SELECT is((SELECT pg_catalog.array_agg(rel || ' ' || role || ' read ' || read_all ORDER BY 1) FROM tried
           WHERE (want = '*') <> (read_all = 'ok')),
    NULL, 'SELECT * succeeds exactly where the whole relation is granted (4 roles x every relation)');
SELECT is((SELECT pg_catalog.array_agg(rel || ' ' || role || ' delete ' || del ORDER BY 1) FROM tried
           WHERE del NOT IN ('42501', '55000')),
    NULL, 'DELETE is refused for every role on every relation (42501; 55000 for views that cannot be written at all)');
SELECT is((SELECT pg_catalog.array_agg(f.fn || ' ' || r.login ORDER BY 1)
           FROM fn_expect f
           CROSS JOIN (VALUES ('a', 'sm_admin'), ('o', 'sm_operator'), ('r', 'sm_regulator'), ('p', 'sm_public')) r(k, login)
           WHERE pg_catalog.strpos(f.roles, r.k) = 0
             AND pg_temp.try_as(r.login, pg_catalog.format('SELECT %s(%s)',
                     pg_catalog.split_part(f.fn, '(', 1),
                     (SELECT pg_catalog.string_agg('(SELECT NULL::' || pg_catalog.format_type(t.typ, NULL) || ')', ',' ORDER BY t.o)
                      FROM pg_catalog.pg_proc p, pg_catalog.unnest(p.proargtypes::oid[]) WITH ORDINALITY t(typ, o)
                      WHERE p.oid = f.fn::regprocedure)))
                 <> '42501'),
    NULL, 'calling a function without the grant is refused with 42501 (every listed function x every role)');

SELECT * FROM finish();
ROLLBACK;
