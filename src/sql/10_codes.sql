-- Trace-code types (clause 6.1, 6.1.4, 7): trace.gtin, trace.sscc, trace.gln,
-- trace.uscc, trace.code, and the functions around them. C in src/pg/codes.c,
-- rules in src/core/codes.c and src/core/gs1.c.

-- ---------------------------------------------------------------------------
-- The five types. gtin (held as 14 digits), sscc (18) and gln (13) are int8
-- by value, and use int8's own comparison, hashing and sort support; uscc is
-- 18 bytes and code a varlena (scheme byte + key), compared byte-wise in C.
-- Everything below is generated for each type by the loops, so the five
-- types cannot drift apart.
-- ---------------------------------------------------------------------------

DO $types$
DECLARE
    t record;
    f record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('gtin', 'INTERNALLENGTH = 8, PASSEDBYVALUE, ALIGNMENT = double, STORAGE = plain', true),
        ('sscc', 'INTERNALLENGTH = 8, PASSEDBYVALUE, ALIGNMENT = double, STORAGE = plain', true),
        ('gln',  'INTERNALLENGTH = 8, PASSEDBYVALUE, ALIGNMENT = double, STORAGE = plain', true),
        ('uscc', 'INTERNALLENGTH = 18, ALIGNMENT = char, STORAGE = plain', false),
        ('code', 'INTERNALLENGTH = VARIABLE, ALIGNMENT = int4, STORAGE = main', false))
        AS v(name, layout, is_int8)
    LOOP
        -- type with its text and binary I/O
        EXECUTE pg_catalog.format($f$
            CREATE TYPE @extschema@.%1$s;
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
                %2$s, CATEGORY = 'U');
        $f$, t.name, t.layout);

        -- comparison, hashing, min/max support: int8 built-ins or our C
        FOR f IN SELECT * FROM (VALUES
            ('eq', '%1$s, %1$s', 'boolean', true, 'int8eq'),
            ('ne', '%1$s, %1$s', 'boolean', true, 'int8ne'),
            ('lt', '%1$s, %1$s', 'boolean', true, 'int8lt'),
            ('le', '%1$s, %1$s', 'boolean', true, 'int8le'),
            ('gt', '%1$s, %1$s', 'boolean', true, 'int8gt'),
            ('ge', '%1$s, %1$s', 'boolean', true, 'int8ge'),
            ('cmp', '%1$s, %1$s', 'integer', true, 'btint8cmp'),
            ('hash', '%1$s', 'integer', true, 'hashint8'),
            ('hash_extended', '%1$s, bigint', 'bigint', true, 'hashint8extended'),
            ('smaller', '%1$s, %1$s', '%1$s', false, 'int8smaller'),
            ('larger', '%1$s, %1$s', '%1$s', false, 'int8larger'))
            AS v(suffix, args, result, leakproof, int8_impl)
        LOOP
            EXECUTE pg_catalog.format(
                'CREATE FUNCTION @extschema@.%1$s_%2$s(%3$s) RETURNS %4$s AS %5$s '
                'IMMUTABLE STRICT %6$s PARALLEL SAFE',
                t.name, f.suffix,
                pg_catalog.replace(f.args, '%1$s', '@extschema@.' || t.name),
                pg_catalog.replace(f.result, '%1$s', '@extschema@.' || t.name),
                CASE WHEN t.is_int8 THEN pg_catalog.quote_literal(f.int8_impl) || ' LANGUAGE internal'
                     ELSE pg_catalog.format('%L, %L LANGUAGE C', 'MODULE_PATHNAME', t.name || '_' || f.suffix) END,
                CASE WHEN f.leakproof THEN 'LEAKPROOF' ELSE '' END);
        END LOOP;

        -- operators, btree and hash operator classes, min() and max()
        EXECUTE pg_catalog.format($f$
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
                FUNCTION 1 @extschema@.%1$s_cmp(@extschema@.%1$s, @extschema@.%1$s) %2$s;
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
        $f$, t.name,
            CASE WHEN t.is_int8
                 THEN pg_catalog.format(', FUNCTION 2 (@extschema@.%1$s, @extschema@.%1$s) pg_catalog.btint8sortsupport(internal)', t.name)
                 ELSE '' END);

        -- the number behind a numeric key, both ways (bigint -> key checks the check digit)
        IF t.is_int8 THEN
            EXECUTE pg_catalog.format($f$
                CREATE FUNCTION @extschema@.%1$s_from_int8(bigint) RETURNS @extschema@.%1$s
                    AS 'MODULE_PATHNAME', '%1$s_from_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
                CREATE CAST (@extschema@.%1$s AS bigint) WITHOUT FUNCTION;
                CREATE CAST (bigint AS @extschema@.%1$s)
                    WITH FUNCTION @extschema@.%1$s_from_int8(bigint);
            $f$, t.name);
        END IF;
    END LOOP;
END
$types$;

COMMENT ON TYPE @extschema@.gtin IS 'GS1 Global Trade Item Number: GTIN-8/12/13/14 with mod-10 check digit, held and printed as 14 digits';
COMMENT ON TYPE @extschema@.sscc IS 'GS1 Serial Shipping Container Code: 18 digits with mod-10 check digit (transport package code)';
COMMENT ON TYPE @extschema@.gln  IS 'GS1 Global Location Number: 13 digits with mod-10 check digit';
COMMENT ON TYPE @extschema@.uscc IS 'Unified Social Credit Code (统一社会信用代码, GB 32100-2015) with MOD 31 check character';
COMMENT ON TYPE @extschema@.code IS 'Trace code (追溯码) of one unit or package, any scheme of clause 6.1.4, normalised to its identifying key';

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
