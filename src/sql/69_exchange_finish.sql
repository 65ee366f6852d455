-- Exchange: privileges, status, ledger and pg_dump registration. Runs after
-- every exchange part.

DO $priv$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = '@extschema@'::regnamespace
               AND (p.proname LIKE '\_exchange\_%' OR p.proname LIKE '\_epcis\_%')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$priv$;

REVOKE ALL ON @extschema@.partner_record, @extschema@.import_jti, @extschema@.import_log,
    @extschema@.partners, @extschema@.imports FROM PUBLIC;
GRANT SELECT ON @extschema@.partners, @extschema@.partner_record TO trace_admin, trace_operator, trace_regulator;
GRANT SELECT ON @extschema@.imports, @extschema@.import_log, @extschema@.import_jti TO trace_admin, trace_regulator;

REVOKE ALL ON FUNCTION @extschema@.register_partner(text, text, jsonb, text[]),
    @extschema@.revoke_partner(text, text), @extschema@.import(text, timestamptz),
    @extschema@.mask(jsonb, text), @extschema@.history_document(text, text),
    @extschema@.unit_document(text, timestamptz, timestamptz, text),
    @extschema@.export_history(text, text, text, boolean),
    @extschema@.export_unit(text, timestamptz, timestamptz, text, text, boolean),
    @extschema@.export_epcis(text, timestamptz, timestamptz, text, text),
    @extschema@.export_epcis_history(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.register_partner(text, text, jsonb, text[]),
    @extschema@.revoke_partner(text, text) TO trace_admin;
GRANT EXECUTE ON FUNCTION @extschema@.import(text, timestamptz) TO trace_admin, trace_operator;
GRANT EXECUTE ON FUNCTION @extschema@.mask(jsonb, text) TO trace_admin, trace_operator, trace_regulator, trace_public;
GRANT EXECUTE ON FUNCTION @extschema@.history_document(text, text),
    @extschema@.unit_document(text, timestamptz, timestamptz, text),
    @extschema@.export_history(text, text, text, boolean),
    @extschema@.export_unit(text, timestamptz, timestamptz, text, text, boolean),
    @extschema@.export_epcis(text, timestamptz, timestamptz, text, text),
    @extschema@.export_epcis_history(text, text, text)
    TO trace_admin, trace_operator, trace_regulator;

-- The masking and export functions run with the caller's privileges (so row
-- security decides what goes into a document); the helpers they call must be
-- executable by the roles that may call them. Nothing here reads a table.
GRANT EXECUTE ON FUNCTION @extschema@._exchange_audience(text), @extschema@._exchange_fail(text, text, text, text)
    TO trace_admin, trace_operator, trace_regulator, trace_public;
GRANT EXECUTE ON FUNCTION @extschema@._epcis_uri(@extschema@.code, text), @extschema@._epcis_party(text, text, text, text),
    @extschema@._reg_iso(timestamptz), @extschema@._reg_now()
    TO trace_admin, trace_operator, trace_regulator;

-- trace.status() report of the exchange part.
CREATE FUNCTION @extschema@._status_exchange() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing jsonb := '[]';
BEGIN
    IF pg_catalog.to_regprocedure('@extschema@.ledger_enable(regclass, text, interval)') IS NULL THEN
        missing := missing || pg_catalog.to_jsonb('exchange: the ledger is missing; partners, the import log and '
            'the replay store are append-only by convention only'::text);
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'partners', (SELECT pg_catalog.count(*) FROM @extschema@.partners),
        'imports', (SELECT pg_catalog.count(*) FROM @extschema@.import_log),
        'missing_guarantees', missing);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._status_exchange() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.partner_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.import_jti', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.import_log', '');

-- Partners, the replay store and the import log are ledger tables.
DO $ledger$
DECLARE
    t text;
BEGIN
    IF pg_catalog.to_regprocedure('@extschema@.ledger_enable(regclass, text, interval)') IS NULL THEN
        RETURN;
    END IF;
    FOREACH t IN ARRAY ARRAY['partner_record', 'import_jti', 'import_log'] LOOP
        PERFORM @extschema@.ledger_enable(pg_catalog.format('@extschema@.%I', t)::regclass);
    END LOOP;
END
$ledger$;
