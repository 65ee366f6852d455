-- trace.status(): which guarantees hold in this database, in plain words.
--
-- Each part of the extension contributes a function @extschema@._status_<part>()
-- returning a jsonb object; status() merges them under the part's name, so a
-- part adds its report without touching this file.

CREATE FUNCTION @extschema@._preloaded() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_preloaded_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@._gs1_dictionary_release() RETURNS text
    AS 'MODULE_PATHNAME', 'pt_gs1_dictionary_release' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- SECURITY DEFINER: the part reports read internal tables and functions that
-- the roles allowed to call status() cannot read themselves; status() only
-- reports, it changes nothing.
CREATE FUNCTION @extschema@.status() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $status$
DECLARE
    result jsonb;
    part record;
    part_report jsonb;
    missing jsonb := '[]';
BEGIN
    IF NOT @extschema@._preloaded() THEN
        missing := missing || pg_catalog.to_jsonb(
            'pgtrace is not in shared_preload_libraries: the hooks that refuse DISABLE TRIGGER, '
            'rules and DROP on ledger tables are not active, and no background sealer runs'::text);
    END IF;

    result := pg_catalog.jsonb_build_object(
        'version', (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'pgtrace'),
        'preloaded', @extschema@._preloaded(),
        'gs1_dictionary', @extschema@._gs1_dictionary_release());

    FOR part IN
        SELECT p.oid::regprocedure AS fn, pg_catalog.substr(p.proname, 9) AS name
        FROM pg_catalog.pg_proc p
        WHERE p.pronamespace = '@extschema@'::regnamespace
          AND p.proname LIKE '\_status\_%' AND p.pronargs = 0
        ORDER BY p.proname
    LOOP
        EXECUTE pg_catalog.format('SELECT %s', part.fn) INTO part_report;   -- fn prints as name()
        IF part_report ? 'missing_guarantees' THEN
            missing := missing || (part_report -> 'missing_guarantees');
            part_report := part_report - 'missing_guarantees';
        END IF;
        result := result || pg_catalog.jsonb_build_object(part.name, part_report);
    END LOOP;

    RETURN result || pg_catalog.jsonb_build_object('missing_guarantees', missing);
END
$status$;

REVOKE ALL ON FUNCTION @extschema@._preloaded(), @extschema@._gs1_dictionary_release() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.status() TO trace_admin, trace_operator, trace_regulator;
