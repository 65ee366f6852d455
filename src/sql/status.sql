-- trace.status(): which guarantees hold in this database, in plain words.

CREATE FUNCTION @extschema@._preloaded() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_preloaded_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@._gs1_dictionary_release() RETURNS text
    AS 'MODULE_PATHNAME', 'pt_gs1_dictionary_release' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.status() RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT pg_catalog.jsonb_build_object(
        'version', (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'pgtrace'),
        'preloaded', @extschema@._preloaded(),
        'gs1_dictionary', @extschema@._gs1_dictionary_release(),
        'missing_guarantees', CASE WHEN @extschema@._preloaded()
            THEN pg_catalog.jsonb_build_array()
            ELSE pg_catalog.jsonb_build_array(
                'pgtrace is not in shared_preload_libraries: the hooks that refuse DISABLE TRIGGER, rules and DROP on ledger tables are not active, and no background sealer runs')
            END);
END;

REVOKE ALL ON FUNCTION @extschema@._preloaded(), @extschema@._gs1_dictionary_release() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status() TO trace_admin, trace_operator, trace_regulator;
