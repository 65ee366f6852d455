-- Hostile search_path (issue 5, deliverable 6): operators, functions and
-- tables planted in schema public, searched before pg_catalog and trace, are
-- never captured by an extension function. Each planted object records the
-- call stack it was reached from; a record whose stack passes through a
-- function of schema trace is a capture.
BEGIN;
SELECT plan(11);

CREATE TABLE public.captured (what text, stack text);
CREATE FUNCTION public.cap(what text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stack text;
BEGIN
    GET DIAGNOSTICS stack = PG_CONTEXT;
    INSERT INTO public.captured VALUES (what, stack);
END
$$;
-- operators
CREATE FUNCTION public.eq_text(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(text,text)'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.eq_text);
CREATE FUNCTION public.ne_text(a text, b text) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('<>(text,text)'); RETURN a OPERATOR(pg_catalog.<>) b; END $$;
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.ne_text);
CREATE FUNCTION public.cat_text(a text, b text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('||(text,text)'); RETURN a OPERATOR(pg_catalog.||) b; END $$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.cat_text);
CREATE FUNCTION public.eq_int8(a bigint, b bigint) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(bigint,bigint)'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.eq_int8);
CREATE FUNCTION public.eq_jsonb(a jsonb, b jsonb) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(jsonb,jsonb)'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = public.eq_jsonb);
CREATE FUNCTION public.get_jsonb(a jsonb, b text) RETURNS jsonb LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('->(jsonb,text)'); RETURN a OPERATOR(pg_catalog.->) b; END $$;
CREATE OPERATOR public.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.get_jsonb);
CREATE FUNCTION public.gettext_jsonb(a jsonb, b text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('->>(jsonb,text)'); RETURN a OPERATOR(pg_catalog.->>) b; END $$;
CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.gettext_jsonb);
CREATE FUNCTION public.eq_code(a trace.code, b trace.code) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(code,code)'); RETURN a OPERATOR(trace.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = trace.code, RIGHTARG = trace.code, FUNCTION = public.eq_code);
CREATE FUNCTION public.eq_uscc(a trace.uscc, b trace.uscc) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(uscc,uscc)'); RETURN a OPERATOR(trace.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = trace.uscc, RIGHTARG = trace.uscc, FUNCTION = public.eq_uscc);
-- cross-type comparisons that pg_catalog resolves only through a cast: an
-- exact match in public wins whatever the search_path order
CREATE FUNCTION public.eq_f8_int(a float8, b int) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('=(float8,int)'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR public.= (LEFTARG = float8, RIGHTARG = int, FUNCTION = public.eq_f8_int);
CREATE FUNCTION public.ne_f8_int(a float8, b int) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('<>(float8,int)'); RETURN a OPERATOR(pg_catalog.<>) b; END $$;
CREATE OPERATOR public.<> (LEFTARG = float8, RIGHTARG = int, FUNCTION = public.ne_f8_int);
-- functions that shadow pg_catalog's and the extension's own by exact argument types
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('now()'); RETURN '2000-01-01 00:00+00'; END $$;
CREATE FUNCTION public.lower(t text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('lower(text)'); RETURN pg_catalog.lower(t); END $$;
CREATE FUNCTION public.length(t text) RETURNS int LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('length(text)'); RETURN pg_catalog.length(t); END $$;
CREATE FUNCTION public.encode(b bytea, f text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('encode(bytea,text)'); RETURN pg_catalog.encode(b, f); END $$;
CREATE FUNCTION public.jsonb_typeof(j jsonb) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('jsonb_typeof(jsonb)'); RETURN pg_catalog.jsonb_typeof(j); END $$;
CREATE FUNCTION public.current_setting(t text, m boolean) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('current_setting(text,boolean)'); RETURN pg_catalog.current_setting(t, m); END $$;
CREATE FUNCTION public.validate(k text, v text) RETURNS text LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('validate(text,text)'); RETURN NULL; END $$;
CREATE FUNCTION public._reg_now() RETURNS timestamptz LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('_reg_now()'); RETURN '2000-01-01 00:00+00'; END $$;
CREATE FUNCTION public._acc_log(a text, o text, d jsonb) RETURNS void LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('_acc_log'); END $$;
CREATE FUNCTION public._acc_units_of(n name) RETURNS trace.uscc[] LANGUAGE plpgsql AS
    $$ BEGIN PERFORM public.cap('_acc_units_of'); RETURN NULL; END $$;
-- tables named like the extension's
CREATE TABLE public.item_record (trace_code trace.code, id bigint);
CREATE TABLE public.unit_record (uscc trace.uscc, id bigint);
CREATE TABLE public.flow_record (trace_code trace.code, id bigint);
CREATE TABLE public.field_catalog (field text);
CREATE TABLE public.operator_binding (role_name name);
CREATE TABLE public.access_log_record (object text);
CREATE VIEW public.units AS SELECT NULL::trace.uscc AS uscc WHERE false;
CREATE VIEW public.items AS SELECT NULL::trace.code AS trace_code WHERE false;
GRANT USAGE ON SCHEMA public TO PUBLIC;
GRANT ALL ON public.captured TO PUBLIC;

CREATE ROLE hsp_admin IN ROLE trace_admin;
CREATE ROLE hsp_factory IN ROLE trace_operator;
CREATE ROLE hsp_regulator IN ROLE trace_regulator;
CREATE ROLE hsp_public IN ROLE trace_public;

-- everything below runs with public first on the search path
SET LOCAL search_path = public, pg_catalog, trace, pg_temp;
\o /dev/null
SELECT 'planted' = 'planted'::text;   -- a capture by this file itself, to show the plants are live
\ir fixtures/access_scenario.psql
SET LOCAL search_path = public, pg_catalog, trace, pg_temp;
\o /dev/null
SELECT trace.bind_operator('hsp_factory', '91330100MA2H3K5L19');
SELECT trace.unbind_operator('hsp_factory', '91330100MA2H3K5L19');
SELECT trace.bind_operator('hsp_factory', '91330100MA2H3K5L19');
CREATE TEMP TABLE answers (k text, j jsonb);
GRANT ALL ON answers TO PUBLIC;
INSERT INTO answers SELECT 'scan', trace.lookup(']d2010690123456789221H0001');
INSERT INTO answers SELECT 'dl', trace.lookup('https://id.gs1.org/01/06901234567892/21/H0005');
INSERT INTO answers SELECT 'cable', trace.lookup('(01)06901234567939(21)C0001');
SET LOCAL ROLE hsp_public;
INSERT INTO answers SELECT 'public lookup', trace.lookup('(01)06901234567892(21)H0002');
-- every column computed (jsonb_agg of whole rows), so that functions inlined
-- into the views run
INSERT INTO answers SELECT 'public views', pg_catalog.jsonb_build_array(
    (SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_agg(x)) FROM trace.public_items x),
    (SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_agg(x)) FROM trace.public_units x),
    (SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_agg(x)) FROM trace.public_products x),
    (SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_agg(x)) FROM trace.public_sales x),
    (SELECT pg_catalog.jsonb_array_length(pg_catalog.jsonb_agg(x)) FROM trace.public_documents x));
INSERT INTO answers SELECT 'public warranty', (SELECT pg_catalog.jsonb_agg(DISTINCT x.warranty_period) FROM trace.public_items x);
RESET ROLE;
SET LOCAL search_path = public, pg_catalog, trace, pg_temp;
SET LOCAL ROLE hsp_factory;
INSERT INTO answers SELECT 'operator reads', pg_catalog.jsonb_build_array(
    (SELECT pg_catalog.count(*) FROM trace.items), (SELECT pg_catalog.count(*) FROM trace.flows),
    (SELECT pg_catalog.count(*) FROM trace.documents), (SELECT pg_catalog.count(*) FROM trace.operator_bindings));
INSERT INTO answers SELECT 'operator commission', trace.commission(pg_catalog.jsonb_build_object('trace_code', '(01)06901234567892(21)H0110',
    'production_date', '2026-06-20', 'serial_or_batch', 'B260620',
    'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection batch B260601'::bytea), 'hex')));
INSERT INTO answers SELECT 'operator write', trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)H0110",
    "sale_time": "2026-06-21T10:00:00+08:00", "buyer_name": "b", "buyer_address": "a", "buyer_contact": "c"}');
RESET ROLE;
SET LOCAL search_path = public, pg_catalog, trace, pg_temp;
SET LOCAL ROLE hsp_regulator;
INSERT INTO answers SELECT 'regulator reads', pg_catalog.jsonb_build_array(
    (SELECT pg_catalog.count(*) FROM trace.items), (SELECT pg_catalog.count(*) FROM trace.access_log));
RESET ROLE;
SET LOCAL search_path = public, pg_catalog, trace, pg_temp;
INSERT INTO answers SELECT 'status', trace._status_access();
\o
RESET search_path;

SELECT ok((SELECT count(*) FROM public.captured WHERE stack NOT LIKE '%function trace.%') > 0,
    'the planted objects are live (they capture this file''s own unqualified SQL)');
SELECT is((SELECT pg_catalog.array_agg(DISTINCT what ORDER BY what) FROM public.captured WHERE stack LIKE '%function trace.%'),
    NULL, 'no extension function was captured by a planted operator, function or table');
-- an SQL function inlined into a view leaves no function in the stack: the
-- plants this file never uses itself must not have run at all
SELECT is((SELECT pg_catalog.array_agg(DISTINCT what ORDER BY what) FROM public.captured
           WHERE what IN ('=(float8,int)', '<>(float8,int)')),
    NULL, 'no function inlined into a view was captured by a planted cross-type operator');
SELECT is((SELECT j #>> '{seller,uscc}' FROM answers WHERE k = 'scan'), '92110105MA01ABC2DR', 'lookup by raw scan answers correctly');
SELECT is((SELECT j #>> '{seller,uscc}' FROM answers WHERE k = 'dl'), '91440300MA5FQ7W81X', 'lookup by Digital Link answers correctly');
SELECT is((SELECT j #>> '{product,production_licence_no}' FROM answers WHERE k = 'cable'), 'XK06-001-00001', 'lookup of the cable');
SELECT is((SELECT j FROM answers WHERE k = 'public views'), '[7, 4, 2, 3, 6]', 'public views as trace_public');
SELECT is((SELECT j FROM answers WHERE k = 'public warranty'), '["P3Y", null]', 'the public items'' warranty periods, as ISO 8601');
SELECT is((SELECT j FROM answers WHERE k = 'operator reads'), '[6, 4, 3, 1]', 'operator reads under its binding');
SELECT is((SELECT count(*)::int FROM trace.access_log WHERE action = 'lookup' AND object LIKE '(01)%'), 4,
    'the lookups were logged in the real access log, not a planted one');
SELECT is((SELECT count(*)::int FROM trace.operator_bindings WHERE role_name = 'hsp_factory'), 1,
    'the binding went to the real binding table');

\ir fixtures/access_done.psql
SELECT * FROM finish();
ROLLBACK;
