-- Schema, roles and the status function. Every name below is schema-qualified
-- so that a hostile search_path captures nothing.

-- The extension's roles (NOLOGIN; a DBA grants them to login roles).
-- Roles are cluster-wide: created once, reused by every database.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['trace_admin', 'trace_operator', 'trace_regulator', 'trace_public']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;

GRANT USAGE ON SCHEMA @extschema@ TO trace_admin, trace_operator, trace_regulator, trace_public;
