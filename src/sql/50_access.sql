-- Public disclosure and access control (issue 5): operator bindings, row-level
-- security on every registry table, the access log, TLS-only writers.
-- trace.lookup and the public views are in 51_access_public.sql. See
-- docs/access.md.

-- --------------------------------------------------------------------------
-- C entry points (src/pg/access.c)
-- --------------------------------------------------------------------------
CREATE FUNCTION @extschema@._acc_acting_role() RETURNS oid
    AS 'MODULE_PATHNAME', 'pt_access_acting_role' LANGUAGE C STABLE PARALLEL RESTRICTED;
-- Is this connection TLS-encrypted?
CREATE FUNCTION @extschema@._acc_ssl_in_use() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL RESTRICTED AS $$
    SELECT coalesce((SELECT a.ssl FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a), false)
$$;
CREATE FUNCTION @extschema@._acc_tls_writer_of(role oid) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_access_tls_writer_of' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._acc_log_enabled() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_access_log_enabled' LANGUAGE C STABLE PARALLEL SAFE;

-- --------------------------------------------------------------------------
-- Operator bindings: which role writes for which unit. A ledger table: a
-- binding is never changed, an unbinding is a new row with bound = false.
-- --------------------------------------------------------------------------
CREATE TABLE @extschema@.operator_binding (
    role_name    name NOT NULL,
    uscc         @extschema@.uscc NOT NULL,
    bound        boolean NOT NULL,
    recorded_at  timestamptz NOT NULL,
    recorded_by  name NOT NULL
);
CREATE INDEX operator_binding_role ON @extschema@.operator_binding (role_name, uscc);
COMMENT ON TABLE @extschema@.operator_binding IS
    'Operator roles bound to units (trace.bind_operator / trace.unbind_operator); append-only ledger table';

-- --------------------------------------------------------------------------
-- The access log (clause 11): what was disclosed to whom. A ledger table.
-- --------------------------------------------------------------------------
CREATE TABLE @extschema@.access_log_record (
    logged_at    timestamptz NOT NULL,
    role_name    name NOT NULL,       -- the acting role (session user or SET ROLE)
    session_role name NOT NULL,       -- the login role
    action       text NOT NULL CHECK (action OPERATOR(pg_catalog.=) ANY (ARRAY['lookup', 'read', 'export'])),
    object       text NOT NULL,
    client_addr  inet,                -- NULL on a Unix-socket connection
    application  text,
    detail       jsonb
);
COMMENT ON TABLE @extschema@.access_log_record IS
    'Access log (clause 11): lookups, regulator reads and exports; append-only ledger table';

-- Lookups written by the background sealer from the shared-memory queue
-- (src/pg/access_buffer.c): up to 256 entries per row, one array per field,
-- element i of each array being entry i. One ledger row (one hash, one
-- index entry) per batch rather than per lookup.
CREATE TABLE @extschema@.access_log_batch (
    entry_id     bigint[] NOT NULL,
    logged_at    timestamptz[] NOT NULL,
    role_name    name[] NOT NULL,
    session_role name[] NOT NULL,
    object       text[] NOT NULL,
    client_addr  inet[] NOT NULL,
    application  text[] NOT NULL,
    found        boolean[] NOT NULL,
    CHECK (pg_catalog.cardinality(entry_id) BETWEEN 1 AND 256
           AND pg_catalog.cardinality(logged_at) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(role_name) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(session_role) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(object) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(client_addr) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(application) = pg_catalog.cardinality(entry_id)
           AND pg_catalog.cardinality(found) = pg_catalog.cardinality(entry_id))
);
COMMENT ON TABLE @extschema@.access_log_batch IS
    'Access log (clause 11): queued lookups, up to 256 per row; append-only ledger table';

-- One numbering of access-log entries across both tables (trace.access_log.id).
CREATE SEQUENCE @extschema@.access_log_entry_id;
ALTER TABLE @extschema@.access_log_record
    ADD COLUMN entry_id bigint NOT NULL DEFAULT pg_catalog.nextval('@extschema@.access_log_entry_id');

DO $ledger$
BEGIN
    PERFORM @extschema@.ledger_enable('@extschema@.operator_binding'::pg_catalog.regclass);
    PERFORM @extschema@.ledger_enable('@extschema@.access_log_record'::pg_catalog.regclass);
    PERFORM @extschema@.ledger_enable('@extschema@.access_log_batch'::pg_catalog.regclass);
END
$ledger$;

-- The current bindings: the last row of each (role, unit) pair, if it binds.
CREATE VIEW @extschema@.operator_bindings WITH (security_invoker = true) AS
    SELECT b.role_name, b.uscc, b.recorded_at AS bound_at, b.recorded_by AS bound_by
    FROM (SELECT DISTINCT ON (x.role_name, x.uscc) x.role_name, x.uscc, x.bound, x.recorded_at, x.recorded_by
          FROM @extschema@.operator_binding x
          ORDER BY x.role_name, x.uscc, x.ledger_seq DESC) b
    WHERE b.bound;

CREATE VIEW @extschema@.access_log AS
    SELECT l.entry_id AS id, l.logged_at, l.role_name, l.session_role, l.action, l.object,
           l.client_addr, l.application, l.detail
    FROM @extschema@.access_log_record l
    UNION ALL
    SELECT e.id, e.logged_at, e.role_name, e.session_role, 'lookup', e.object,
           e.client_addr, e.application, pg_catalog.jsonb_build_object('found', e.found)
    FROM @extschema@.access_log_batch b,
         ROWS FROM (pg_catalog.unnest(b.entry_id), pg_catalog.unnest(b.logged_at), pg_catalog.unnest(b.role_name),
                    pg_catalog.unnest(b.session_role), pg_catalog.unnest(b.object), pg_catalog.unnest(b.client_addr),
                    pg_catalog.unnest(b.application), pg_catalog.unnest(b.found))
              AS e(id, logged_at, role_name, session_role, object, client_addr, application, found);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.operator_binding', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_log_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_log_batch', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.access_log_entry_id', '');

-- Append one access-log row (internal: called by trace.lookup, by the
-- regulator-read hook and by exports). Nothing is written when
-- pgtrace.access_log is off.
CREATE FUNCTION @extschema@._acc_log(action text, object text, detail jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF @extschema@._acc_log_enabled() THEN
        INSERT INTO @extschema@.access_log_record
            (logged_at, role_name, session_role, action, object, client_addr, application, detail)
        VALUES (pg_catalog.clock_timestamp(), pg_catalog.pg_get_userbyid(@extschema@._acc_acting_role()),
                SESSION_USER, action, object, pg_catalog.inet_client_addr(),
                NULLIF(pg_catalog.current_setting('application_name'), ''), detail);
    END IF;
END
$$;

-- --------------------------------------------------------------------------
-- Who may write, and for which units
-- --------------------------------------------------------------------------

-- The units a role writes for: its own bindings and those of every role it
-- has the privileges of. Asked about another role than the acting one, it
-- answers only administrators and regulators (an operator learns nothing of
-- other roles' bindings); the row policies ask about CURRENT_USER, which is
-- the acting role wherever those policies restrict anyone.
CREATE FUNCTION @extschema@._acc_units_of(who name) RETURNS @extschema@.uscc[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor oid := @extschema@._acc_acting_role();
BEGIN
    IF who IS DISTINCT FROM pg_catalog.pg_get_userbyid(actor)
       AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = actor)
       AND NOT pg_catalog.pg_has_role(actor, 'trace_admin', 'USAGE')
       AND NOT pg_catalog.pg_has_role(actor, 'trace_regulator', 'USAGE') THEN
        RETURN '{}';
    END IF;
    RETURN (SELECT coalesce(pg_catalog.array_agg(DISTINCT b.uscc), '{}')
            FROM (SELECT DISTINCT ON (x.role_name, x.uscc) x.role_name, x.uscc, x.bound
                  FROM @extschema@.operator_binding x
                  ORDER BY x.role_name, x.uscc, x.ledger_seq DESC) b
            WHERE b.bound
              AND pg_catalog.to_regrole(pg_catalog.quote_ident(b.role_name)) IS NOT NULL
              AND pg_catalog.pg_has_role(who, pg_catalog.to_regrole(pg_catalog.quote_ident(b.role_name))::oid, 'USAGE'));
END
$$;

-- The units whose records the acting role may read through a definer-rights
-- reading function (trace.history, trace.completeness): NULL when it may read
-- everything (superuser, trace_admin, trace_regulator), else its bound units —
-- the same rows the operator row policies below let it read directly.
CREATE FUNCTION @extschema@._acc_reader_units() RETURNS @extschema@.uscc[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor oid := @extschema@._acc_acting_role();
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = actor)
       OR pg_catalog.pg_has_role(actor, 'trace_admin', 'USAGE')
       OR pg_catalog.pg_has_role(actor, 'trace_regulator', 'USAGE') THEN
        RETURN NULL;
    END IF;
    RETURN @extschema@._acc_units_of(pg_catalog.pg_get_userbyid(actor));
END
$$;

-- Refuse a write by a role of pgtrace.tls_writers over a plain connection.
CREATE FUNCTION @extschema@._acc_require_tls(what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor oid := @extschema@._acc_acting_role();
    login oid := (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) session_user);
    listed text := @extschema@._acc_tls_writer_of(actor);
    who oid := actor;
BEGIN
    -- the acting role (SET ROLE, seen through definer-rights functions) and the
    -- role that logged in: a listed login cannot shed the rule with SET ROLE
    IF listed IS NULL AND login IS DISTINCT FROM actor THEN
        listed := @extschema@._acc_tls_writer_of(login);
        who := login;
    END IF;
    IF listed IS NOT NULL AND NOT @extschema@._acc_ssl_in_use() THEN
        RAISE EXCEPTION 'role "%" may write % only over an encrypted connection', pg_catalog.pg_get_userbyid(who), what
            USING ERRCODE = '28000',
                  DETAIL = pg_catalog.format('pgtrace.tls_writers lists "%s" and this connection does not use TLS.', listed),
                  HINT = 'Connect with sslmode=require (or verify-full).';
    END IF;
END
$$;

-- The statement trigger on every registry table: the acting role (the caller
-- of the registry function, not its owner) must be allowed to write these
-- rows. TG_ARGV[0]: the unit column ('' none, '-admin' administrators only).
-- The acting role's standing to write registry records of `tbl`: NULL when
-- it writes any unit's records (superuser, trace_admin); else its name, an
-- operator whose units the caller still checks. Refuses (42501) a regulator,
-- and any other role that is not an operator (every role but an
-- administrator when admin_only); 28000 for a TLS-only writer on a plain
-- connection. Shared by the write trigger and by trace.correct.
CREATE FUNCTION @extschema@._acc_writer(tbl text, admin_only boolean) RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    actor oid := @extschema@._acc_acting_role();
    who name := pg_catalog.pg_get_userbyid(actor);
BEGIN
    PERFORM @extschema@._acc_require_tls('registry records');
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = actor)
       OR pg_catalog.pg_has_role(actor, 'trace_admin', 'USAGE') THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.pg_has_role(actor, 'trace_regulator', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" is a regulator and may not write %', who, tbl
            USING ERRCODE = '42501', DETAIL = 'trace_regulator reads everything and writes nothing.';
    END IF;
    IF admin_only OR NOT pg_catalog.pg_has_role(actor, 'trace_operator', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" may not write %', who, tbl
            USING ERRCODE = '42501',
                  DETAIL = CASE WHEN admin_only THEN 'Only trace_admin writes this table.'
                                ELSE 'Registry records are written by trace_admin and by trace_operator roles bound to a unit.' END;
    END IF;
    RETURN who;
END
$$;

CREATE FUNCTION @extschema@._acc_write_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    col text := TG_ARGV[0];
    who name := @extschema@._acc_writer(TG_TABLE_NAME, col = '-admin');
    bad text;
BEGIN
    IF who IS NULL OR col = '' THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format(
        'SELECT n.%1$I::text FROM inserted n WHERE n.%1$I IS NOT NULL'
        ' AND NOT (n.%1$I OPERATOR(@extschema@.=) ANY ($1)) LIMIT 1', col)
        INTO bad USING @extschema@._acc_units_of(who);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" is not bound to unit %', who, bad
            USING ERRCODE = '42501',
                  DETAIL = pg_catalog.format('An operator writes only the records of the units it is bound to (%s).', TG_TABLE_NAME),
                  HINT = 'An administrator binds it with trace.bind_operator(role, uscc).';
    END IF;
    RETURN NULL;
END
$$;

-- May the acting role write a record of this unit into tbl? The check of
-- _acc_write_check, made before a definer-rights writer (trace.correct) reads
-- or reports anything of an existing record, so that its errors cannot show
-- another unit's data. Raises 42501 (28000 for a TLS-only writer on a plain
-- connection) naming only the record, never its values.
CREATE FUNCTION @extschema@._acc_check_write(tbl text, unit text, what text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    who name := @extschema@._acc_writer(tbl, false);
BEGIN
    IF who IS NOT NULL AND unit IS NOT NULL
       AND NOT (unit::@extschema@.uscc OPERATOR(@extschema@.=) ANY (@extschema@._acc_units_of(who))) THEN
        RAISE EXCEPTION 'role "%" may not change %', who, what
            USING ERRCODE = '42501',
                  DETAIL = 'An operator changes only the records of the units it is bound to (trace.bind_operator).';
    END IF;
END
$$;

DO $triggers$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('category_record', '-admin'), ('document_content', ''),
                                   ('document_record', 'uscc'), ('unit_record', 'uscc'),
                                   ('product_record', 'uscc'), ('item_record', 'uscc'),
                                   ('package_event', 'uscc'), ('flow_record', 'uscc'),
                                   ('operator_binding', '-admin')) v(tbl, col)
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER pgtrace_access_check AFTER INSERT ON @extschema@.%I'
            ' REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT'
            ' EXECUTE FUNCTION @extschema@._acc_write_check(%L)', t.tbl, t.col);
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER pgtrace_access_check', t.tbl);
    END LOOP;
END
$triggers$;

-- trace.bind_operator(role, uscc): the role writes for the unit from now on.
CREATE FUNCTION @extschema@.bind_operator(operator_role regrole, uscc text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    u @extschema@.uscc;
    problem text;
    rname name;
BEGIN
    IF operator_role IS NULL OR uscc IS NULL THEN
        RAISE EXCEPTION 'trace.bind_operator: role and uscc are required' USING ERRCODE = '22004';
    END IF;
    rname := pg_catalog.pg_get_userbyid(operator_role::oid);
    problem := @extschema@.validate('uscc', uscc);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'trace.bind_operator: uscc: %', problem USING ERRCODE = '22P02';
    END IF;
    u := uscc::@extschema@.uscc;
    IF NOT pg_catalog.pg_has_role(operator_role::oid, 'trace_operator', 'USAGE') THEN
        RAISE EXCEPTION 'trace.bind_operator: role "%" is not a member of trace_operator', rname
            USING ERRCODE = '22023', HINT = pg_catalog.format('GRANT trace_operator TO %I;', rname);
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.operator_bindings b
               WHERE b.role_name = rname AND b.uscc OPERATOR(@extschema@.=) u) THEN
        RAISE EXCEPTION 'trace.bind_operator: role "%" is already bound to unit %', rname, u USING ERRCODE = '23505';
    END IF;
    INSERT INTO @extschema@.operator_binding (role_name, uscc, bound, recorded_at, recorded_by)
    VALUES (rname, u, true, @extschema@._reg_now(), SESSION_USER);
    RETURN pg_catalog.jsonb_build_object('role', rname, 'uscc', u::text, 'bound', true);
END
$$;

-- trace.unbind_operator(role, uscc): the role no longer writes for the unit.
CREATE FUNCTION @extschema@.unbind_operator(operator_role regrole, uscc text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    rname name := pg_catalog.pg_get_userbyid(operator_role::oid);
    problem text := @extschema@.validate('uscc', unbind_operator.uscc);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'trace.unbind_operator: uscc: %', problem USING ERRCODE = '22P02';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM @extschema@.operator_bindings b
                   WHERE b.role_name = rname AND b.uscc OPERATOR(@extschema@.=) unbind_operator.uscc::@extschema@.uscc) THEN
        RAISE EXCEPTION 'trace.unbind_operator: role "%" is not bound to unit %', rname, unbind_operator.uscc
            USING ERRCODE = '42704';
    END IF;
    INSERT INTO @extschema@.operator_binding (role_name, uscc, bound, recorded_at, recorded_by)
    VALUES (rname, unbind_operator.uscc::@extschema@.uscc, false, @extschema@._reg_now(), SESSION_USER);
    RETURN pg_catalog.jsonb_build_object('role', rname, 'uscc', unbind_operator.uscc, 'bound', false);
END
$$;

-- --------------------------------------------------------------------------
-- Row-level security on every registry table
--   trace_admin      everything
--   trace_regulator  reads everything (writes are refused by the trigger)
--   trace_operator   the rows of its units; flows where its unit is a party
-- Writes go through the registry functions (SECURITY DEFINER), which the
-- statement trigger above checks against the acting role; no role has direct
-- INSERT, UPDATE or DELETE on a registry table.
-- --------------------------------------------------------------------------
DO $rls$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['category_record', 'document_content', 'document_record', 'unit_record',
                             'product_record', 'item_record', 'package_event', 'flow_record',
                             'operator_binding', 'access_log_record', 'access_log_batch']
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE pg_catalog.format('CREATE POLICY admin_all ON @extschema@.%I FOR ALL TO trace_admin'
                                  ' USING (true) WITH CHECK (true)', t);
        EXECUTE pg_catalog.format('CREATE POLICY regulator_read ON @extschema@.%I FOR SELECT TO trace_regulator'
                                  ' USING (true)', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['unit_record', 'product_record', 'item_record', 'package_event']
    LOOP
        EXECUTE pg_catalog.format('CREATE POLICY operator_own ON @extschema@.%I FOR SELECT TO trace_operator'
            ' USING (uscc OPERATOR(@extschema@.=) ANY ((SELECT @extschema@._acc_units_of(CURRENT_USER))::@extschema@.uscc[]))', t);
    END LOOP;
END
$rls$;

CREATE POLICY operator_read ON @extschema@.category_record FOR SELECT TO trace_operator USING (true);

CREATE POLICY operator_party ON @extschema@.flow_record FOR SELECT TO trace_operator
    USING (uscc OPERATOR(@extschema@.=) ANY ((SELECT @extschema@._acc_units_of(CURRENT_USER))::@extschema@.uscc[])
           OR buyer_uscc OPERATOR(@extschema@.=) ANY ((SELECT @extschema@._acc_units_of(CURRENT_USER))::@extschema@.uscc[])
           OR supplier_uscc OPERATOR(@extschema@.=) ANY ((SELECT @extschema@._acc_units_of(CURRENT_USER))::@extschema@.uscc[]));

-- A document is an operator's when its unit owns it or one of its unit,
-- product or item records refers to it (those reads are themselves filtered).
CREATE POLICY operator_own ON @extschema@.document_record FOR SELECT TO trace_operator
    USING (uscc OPERATOR(@extschema@.=) ANY ((SELECT @extschema@._acc_units_of(CURRENT_USER))::@extschema@.uscc[])
           OR coalesce(root, id) OPERATOR(pg_catalog.=) ANY (ARRAY(
                  SELECT u.business_license FROM @extschema@.unit_record u
                  UNION ALL SELECT p.manual_or_warning FROM @extschema@.product_record p
                  UNION ALL SELECT i.inspection_report FROM @extschema@.item_record i
                  UNION ALL SELECT i.manual_or_warning FROM @extschema@.item_record i)));

CREATE POLICY operator_own ON @extschema@.document_content FOR SELECT TO trace_operator
    USING (EXISTS (SELECT 1 FROM @extschema@.document_record d
                   WHERE d.sha256 OPERATOR(pg_catalog.=) document_content.sha256));

CREATE POLICY operator_own ON @extschema@.operator_binding FOR SELECT TO trace_operator
    USING (role_name OPERATOR(pg_catalog.=) CURRENT_USER);

-- The registry's current-state views read with the caller's rights, so the
-- policies above apply through them.
ALTER VIEW @extschema@.units SET (security_invoker = true);
ALTER VIEW @extschema@.documents SET (security_invoker = true);
ALTER VIEW @extschema@.products SET (security_invoker = true);
ALTER VIEW @extschema@.items SET (security_invoker = true);
ALTER VIEW @extschema@.package_events SET (security_invoker = true);
ALTER VIEW @extschema@.flows SET (security_invoker = true);
ALTER VIEW @extschema@.corrections SET (security_invoker = true);
ALTER VIEW @extschema@.retention SET (security_invoker = true);

-- --------------------------------------------------------------------------
-- Privileges
-- --------------------------------------------------------------------------
REVOKE ALL ON @extschema@.operator_binding, @extschema@.access_log_record, @extschema@.access_log_batch,
    @extschema@.access_log_entry_id, @extschema@.operator_bindings, @extschema@.access_log FROM PUBLIC;
GRANT SELECT ON @extschema@.operator_binding, @extschema@.operator_bindings TO trace_admin, trace_regulator, trace_operator;
GRANT SELECT ON @extschema@.access_log TO trace_admin, trace_regulator;

REVOKE ALL ON FUNCTION @extschema@._acc_acting_role(), @extschema@._acc_ssl_in_use(),
    @extschema@._acc_tls_writer_of(oid), @extschema@._acc_log_enabled(),
    @extschema@._acc_log(text, text, jsonb), @extschema@._acc_units_of(name), @extschema@._acc_reader_units(),
    @extschema@._acc_require_tls(text), @extschema@._acc_write_check(), @extschema@._acc_check_write(text, text, text), @extschema@._acc_writer(text, boolean),
    @extschema@.bind_operator(regrole, text), @extschema@.unbind_operator(regrole, text) FROM PUBLIC;
-- Policies and the write trigger evaluate these with the caller's rights.
GRANT EXECUTE ON FUNCTION @extschema@._acc_units_of(name) TO trace_operator;
GRANT EXECUTE ON FUNCTION @extschema@.bind_operator(regrole, text), @extschema@.unbind_operator(regrole, text)
    TO trace_admin;
