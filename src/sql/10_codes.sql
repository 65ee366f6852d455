-- Trace-code types (clause 6.1, 6.1.4, 7): trace.gtin, trace.sscc, trace.gln,
-- trace.uscc, trace.code, and the functions around them. C in src/pg/codes.c,
-- rules in src/core/codes.c and src/core/gs1.c.

-- ---------------------------------------------------------------------------
-- GS1 numeric keys: gtin (held as 14 digits), sscc (18), gln (13).
-- Stored as int8; comparison, hashing and sort support are int8's own.
-- ---------------------------------------------------------------------------

CREATE TYPE @extschema@.gtin;
CREATE TYPE @extschema@.sscc;
CREATE TYPE @extschema@.gln;

DO $keys$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['gtin', 'sscc', 'gln'] LOOP
        EXECUTE pg_catalog.format($f$
            CREATE FUNCTION @extschema@.%1$s_in(cstring) RETURNS @extschema@.%1$s
                AS 'MODULE_PATHNAME', '%1$s_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_out(@extschema@.%1$s) RETURNS cstring
                AS 'MODULE_PATHNAME', '%1$s_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_recv(internal) RETURNS @extschema@.%1$s
                AS 'MODULE_PATHNAME', '%1$s_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_send(@extschema@.%1$s) RETURNS bytea
                AS 'MODULE_PATHNAME', '%1$s_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE TYPE @extschema@.%1$s (
                INPUT = @extschema@.%1$s_in, OUTPUT = @extschema@.%1$s_out,
                RECEIVE = @extschema@.%1$s_recv, SEND = @extschema@.%1$s_send,
                INTERNALLENGTH = 8, PASSEDBYVALUE, ALIGNMENT = double, STORAGE = plain,
                CATEGORY = 'U');

            CREATE FUNCTION @extschema@.%1$s_eq(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8eq' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_ne(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8ne' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_lt(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8lt' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_le(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8le' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_gt(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8gt' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_ge(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'int8ge' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_cmp(@extschema@.%1$s, @extschema@.%1$s) RETURNS integer
                AS 'btint8cmp' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_hash(@extschema@.%1$s) RETURNS integer
                AS 'hashint8' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_smaller(@extschema@.%1$s, @extschema@.%1$s) RETURNS @extschema@.%1$s
                AS 'int8smaller' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_larger(@extschema@.%1$s, @extschema@.%1$s) RETURNS @extschema@.%1$s
                AS 'int8larger' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_hash_extended(@extschema@.%1$s, bigint) RETURNS bigint
                AS 'hashint8extended' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;

            CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_eq, COMMUTATOR = OPERATOR(@extschema@.=),
                NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = pg_catalog.eqsel,
                JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
            CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_ne, COMMUTATOR = OPERATOR(@extschema@.<>),
                NEGATOR = OPERATOR(@extschema@.=), RESTRICT = pg_catalog.neqsel,
                JOIN = pg_catalog.neqjoinsel);
            CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_lt, COMMUTATOR = OPERATOR(@extschema@.>),
                NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = pg_catalog.scalarltsel,
                JOIN = pg_catalog.scalarltjoinsel);
            CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_le, COMMUTATOR = OPERATOR(@extschema@.>=),
                NEGATOR = OPERATOR(@extschema@.>), RESTRICT = pg_catalog.scalarlesel,
                JOIN = pg_catalog.scalarlejoinsel);
            CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_gt, COMMUTATOR = OPERATOR(@extschema@.<),
                NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = pg_catalog.scalargtsel,
                JOIN = pg_catalog.scalargtjoinsel);
            CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_ge, COMMUTATOR = OPERATOR(@extschema@.<=),
                NEGATOR = OPERATOR(@extschema@.<), RESTRICT = pg_catalog.scalargesel,
                JOIN = pg_catalog.scalargejoinsel);

            CREATE OPERATOR CLASS @extschema@.%1$s_ops DEFAULT FOR TYPE @extschema@.%1$s USING btree AS
                OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=,
                OPERATOR 4 @extschema@.>=, OPERATOR 5 @extschema@.>,
                FUNCTION 1 @extschema@.%1$s_cmp(@extschema@.%1$s, @extschema@.%1$s),
                FUNCTION 2 (@extschema@.%1$s, @extschema@.%1$s) pg_catalog.btint8sortsupport(internal);
            CREATE OPERATOR CLASS @extschema@.%1$s_ops DEFAULT FOR TYPE @extschema@.%1$s USING hash AS
                OPERATOR 1 @extschema@.=,
                FUNCTION 1 @extschema@.%1$s_hash(@extschema@.%1$s),
                FUNCTION 2 @extschema@.%1$s_hash_extended(@extschema@.%1$s, bigint);

            -- the number behind the key, both ways (bigint -> key checks the check digit)
            CREATE FUNCTION @extschema@.%1$s_from_int8(bigint) RETURNS @extschema@.%1$s
                AS 'MODULE_PATHNAME', '%1$s_from_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE CAST (@extschema@.%1$s AS bigint) WITHOUT FUNCTION;
            CREATE CAST (bigint AS @extschema@.%1$s)
                WITH FUNCTION @extschema@.%1$s_from_int8(bigint);
            -- min() and max(), usable by name with trace in search_path
            CREATE AGGREGATE @extschema@.min(@extschema@.%1$s) (
                SFUNC = @extschema@.%1$s_smaller, STYPE = @extschema@.%1$s,
                SORTOP = OPERATOR(@extschema@.<), COMBINEFUNC = @extschema@.%1$s_smaller, PARALLEL = SAFE);
            CREATE AGGREGATE @extschema@.max(@extschema@.%1$s) (
                SFUNC = @extschema@.%1$s_larger, STYPE = @extschema@.%1$s,
                SORTOP = OPERATOR(@extschema@.>), COMBINEFUNC = @extschema@.%1$s_larger, PARALLEL = SAFE);
        $f$, t);
    END LOOP;
END
$keys$;

COMMENT ON TYPE @extschema@.gtin IS 'GS1 Global Trade Item Number: GTIN-8/12/13/14 with mod-10 check digit, held and printed as 14 digits';
COMMENT ON TYPE @extschema@.sscc IS 'GS1 Serial Shipping Container Code: 18 digits with mod-10 check digit (transport package code)';
COMMENT ON TYPE @extschema@.gln  IS 'GS1 Global Location Number: 13 digits with mod-10 check digit';

-- ---------------------------------------------------------------------------
-- uscc: Unified Social Credit Code (GB 32100-2015), 18 characters.
-- ---------------------------------------------------------------------------

CREATE TYPE @extschema@.uscc;
CREATE FUNCTION @extschema@.uscc_in(cstring) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_out(@extschema@.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME', 'uscc_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_recv(internal) RETURNS @extschema@.uscc
    AS 'MODULE_PATHNAME', 'uscc_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uscc_send(@extschema@.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME', 'uscc_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.uscc (
    INPUT = @extschema@.uscc_in, OUTPUT = @extschema@.uscc_out,
    RECEIVE = @extschema@.uscc_recv, SEND = @extschema@.uscc_send,
    INTERNALLENGTH = 18, ALIGNMENT = char, STORAGE = plain, CATEGORY = 'U');
COMMENT ON TYPE @extschema@.uscc IS 'Unified Social Credit Code (统一社会信用代码, GB 32100-2015) with MOD 31 check character';

-- ---------------------------------------------------------------------------
-- code: a trace code of any scheme, reduced to its identifying key.
-- ---------------------------------------------------------------------------

CREATE TYPE @extschema@.code;
CREATE FUNCTION @extschema@.code_in(cstring) RETURNS @extschema@.code
    AS 'MODULE_PATHNAME', 'code_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.code_out(@extschema@.code) RETURNS cstring
    AS 'MODULE_PATHNAME', 'code_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.code_recv(internal) RETURNS @extschema@.code
    AS 'MODULE_PATHNAME', 'code_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.code_send(@extschema@.code) RETURNS bytea
    AS 'MODULE_PATHNAME', 'code_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.code (
    INPUT = @extschema@.code_in, OUTPUT = @extschema@.code_out,
    RECEIVE = @extschema@.code_recv, SEND = @extschema@.code_send,
    INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = main, CATEGORY = 'U');
COMMENT ON TYPE @extschema@.code IS 'Trace code (追溯码) of one unit or package, any scheme of clause 6.1.4, normalised to its identifying key';

-- Comparison for uscc and code (C, byte-wise: scheme, then key).
DO $cmp$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['uscc', 'code'] LOOP
        EXECUTE pg_catalog.format($f$
            CREATE FUNCTION @extschema@.%1$s_eq(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_eq' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_ne(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_ne' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_lt(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_lt' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_le(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_le' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_gt(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_gt' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_ge(@extschema@.%1$s, @extschema@.%1$s) RETURNS boolean
                AS 'MODULE_PATHNAME', '%1$s_ge' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_cmp(@extschema@.%1$s, @extschema@.%1$s) RETURNS integer
                AS 'MODULE_PATHNAME', '%1$s_cmp' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_hash(@extschema@.%1$s) RETURNS integer
                AS 'MODULE_PATHNAME', '%1$s_hash' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_smaller(@extschema@.%1$s, @extschema@.%1$s) RETURNS @extschema@.%1$s
                AS 'MODULE_PATHNAME', '%1$s_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_larger(@extschema@.%1$s, @extschema@.%1$s) RETURNS @extschema@.%1$s
                AS 'MODULE_PATHNAME', '%1$s_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
            CREATE FUNCTION @extschema@.%1$s_hash_extended(@extschema@.%1$s, bigint) RETURNS bigint
                AS 'MODULE_PATHNAME', '%1$s_hash_extended' LANGUAGE C IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;

            CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_eq, COMMUTATOR = OPERATOR(@extschema@.=),
                NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = pg_catalog.eqsel,
                JOIN = pg_catalog.eqjoinsel, HASHES, MERGES);
            CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_ne, COMMUTATOR = OPERATOR(@extschema@.<>),
                NEGATOR = OPERATOR(@extschema@.=), RESTRICT = pg_catalog.neqsel,
                JOIN = pg_catalog.neqjoinsel);
            CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_lt, COMMUTATOR = OPERATOR(@extschema@.>),
                NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = pg_catalog.scalarltsel,
                JOIN = pg_catalog.scalarltjoinsel);
            CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_le, COMMUTATOR = OPERATOR(@extschema@.>=),
                NEGATOR = OPERATOR(@extschema@.>), RESTRICT = pg_catalog.scalarlesel,
                JOIN = pg_catalog.scalarlejoinsel);
            CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_gt, COMMUTATOR = OPERATOR(@extschema@.<),
                NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = pg_catalog.scalargtsel,
                JOIN = pg_catalog.scalargtjoinsel);
            CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.%1$s, RIGHTARG = @extschema@.%1$s,
                FUNCTION = @extschema@.%1$s_ge, COMMUTATOR = OPERATOR(@extschema@.<=),
                NEGATOR = OPERATOR(@extschema@.<), RESTRICT = pg_catalog.scalargesel,
                JOIN = pg_catalog.scalargejoinsel);

            CREATE OPERATOR CLASS @extschema@.%1$s_ops DEFAULT FOR TYPE @extschema@.%1$s USING btree AS
                OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=,
                OPERATOR 4 @extschema@.>=, OPERATOR 5 @extschema@.>,
                FUNCTION 1 @extschema@.%1$s_cmp(@extschema@.%1$s, @extschema@.%1$s);
            CREATE OPERATOR CLASS @extschema@.%1$s_ops DEFAULT FOR TYPE @extschema@.%1$s USING hash AS
                OPERATOR 1 @extschema@.=,
                FUNCTION 1 @extschema@.%1$s_hash(@extschema@.%1$s),
                FUNCTION 2 @extschema@.%1$s_hash_extended(@extschema@.%1$s, bigint);
            -- min() and max(), usable by name with trace in search_path
            CREATE AGGREGATE @extschema@.min(@extschema@.%1$s) (
                SFUNC = @extschema@.%1$s_smaller, STYPE = @extschema@.%1$s,
                SORTOP = OPERATOR(@extschema@.<), COMBINEFUNC = @extschema@.%1$s_smaller, PARALLEL = SAFE);
            CREATE AGGREGATE @extschema@.max(@extschema@.%1$s) (
                SFUNC = @extschema@.%1$s_larger, STYPE = @extschema@.%1$s,
                SORTOP = OPERATOR(@extschema@.>), COMBINEFUNC = @extschema@.%1$s_larger, PARALLEL = SAFE);
        $f$, t);
    END LOOP;
END
$cmp$;

-- ---------------------------------------------------------------------------
-- Functions and casts around the codes.
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.uscc_info(@extschema@.uscc) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'uscc_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.code(gtin @extschema@.gtin, serial text) RETURNS @extschema@.code
    AS 'MODULE_PATHNAME', 'code_from_gtin_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.scheme(@extschema@.code) RETURNS text
    AS 'MODULE_PATHNAME', 'code_scheme_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gtin(@extschema@.code) RETURNS @extschema@.gtin
    AS 'MODULE_PATHNAME', 'code_gtin' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.serial(@extschema@.code) RETURNS text
    AS 'MODULE_PATHNAME', 'code_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.digital_link(@extschema@.code, domain text DEFAULT 'https://id.gs1.org')
    RETURNS text
    AS 'MODULE_PATHNAME', 'code_digital_link' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.code_to_gtin(@extschema@.code) RETURNS @extschema@.gtin
    AS 'MODULE_PATHNAME', 'code_to_gtin_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.code_to_sscc(@extschema@.code) RETURNS @extschema@.sscc
    AS 'MODULE_PATHNAME', 'code_to_sscc_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sscc_to_code(@extschema@.sscc) RETURNS @extschema@.code
    AS 'MODULE_PATHNAME', 'sscc_to_code_cast' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (@extschema@.code AS @extschema@.gtin)
    WITH FUNCTION @extschema@.code_to_gtin(@extschema@.code);
CREATE CAST (@extschema@.code AS @extschema@.sscc)
    WITH FUNCTION @extschema@.code_to_sscc(@extschema@.code);
CREATE CAST (@extschema@.sscc AS @extschema@.code)
    WITH FUNCTION @extschema@.sscc_to_code(@extschema@.sscc) AS ASSIGNMENT;

CREATE FUNCTION @extschema@.validate(kind text, value text) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_validate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.validate(text, text) IS
    'NULL when value is a valid gtin, sscc, gln, uscc or code; else the message its input would raise';

CREATE FUNCTION @extschema@.parse_scan(scan text, reference_date date DEFAULT CURRENT_DATE)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_parse_scan' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.parse_scan(text, date) IS
    'Everything in one scan: scheme, normalised code, symbology, every GS1 AI with its value (and ISO date), every problem';
