-- Trace-code types: operator classes, casts, index use, function labels,
-- parse_scan structure.
BEGIN;
SELECT plan(40);

SELECT has_type('trace', t, 'type trace.' || t || ' exists')
  FROM unnest(ARRAY['gtin', 'sscc', 'gln', 'uscc', 'code']) t;

-- the plan of a query, as text
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; result text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        result := result || line || E'\n';
    END LOOP;
    RETURN result;
END $$;

-- binary input: write bytes with COPY BINARY as bytea, read them back as another type
CREATE FUNCTION pg_temp.recv_as(typ text, bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE pg_catalog.format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', bytes, pg_catalog.current_setting('data_directory') || '/pgtrace_recv_test.bin');
    EXECUTE pg_catalog.format('CREATE TEMP TABLE recv_target (v %s) ON COMMIT DROP', typ);
    EXECUTE pg_catalog.format('COPY recv_target FROM %L (FORMAT binary)',
                              pg_catalog.current_setting('data_directory') || '/pgtrace_recv_test.bin');
    SELECT v::text INTO r FROM recv_target;
    DROP TABLE recv_target;
    RETURN r;
END $$;

-- the binary form of a value, through COPY BINARY
CREATE FUNCTION pg_temp.send_of(typ text, val text) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE r bytea;
BEGIN
    EXECUTE pg_catalog.format('COPY (SELECT %L::%s) TO %L (FORMAT binary)', val, typ,
                              pg_catalog.current_setting('data_directory') || '/pgtrace_recv_test.bin');
    CREATE TEMP TABLE send_target (v bytea) ON COMMIT DROP;
    EXECUTE pg_catalog.format('COPY send_target FROM %L (FORMAT binary)',
                              pg_catalog.current_setting('data_directory') || '/pgtrace_recv_test.bin');
    SELECT v INTO r FROM send_target;
    DROP TABLE send_target;
    RETURN r;
END $$;

-- every operator class of the schema passes the access method's own validator
SELECT is(
    (SELECT count(*)::int FROM pg_catalog.pg_opclass c
      WHERE c.opcnamespace = 'trace'::regnamespace AND NOT amvalidate(c.oid)),
    0, 'every trace operator class passes amvalidate');
SELECT is(
    (SELECT count(*)::int FROM pg_catalog.pg_opclass c
       JOIN pg_catalog.pg_am a ON a.oid = c.opcmethod
      WHERE c.opcnamespace = 'trace'::regnamespace AND c.opcdefault),
    10, 'each type has a default btree and a default hash operator class');

-- comparison functions are LEAKPROOF, so they can be used under row-level security
SELECT is(
    (SELECT count(*)::int FROM pg_catalog.pg_proc p
      WHERE p.pronamespace = 'trace'::regnamespace
        AND p.proargtypes[0] = ANY (ARRAY['trace.gtin', 'trace.sscc', 'trace.gln', 'trace.uscc', 'trace.code']::regtype[])
        AND p.proname ~ '_(eq|ne|lt|le|gt|ge|cmp|hash)$' AND NOT p.proleakproof),
    0, 'every comparison and hash function is leakproof');
SELECT is(
    (SELECT count(*)::int FROM pg_catalog.pg_proc p
      WHERE p.pronamespace = 'trace'::regnamespace
        AND p.proargtypes[0] = ANY (ARRAY['trace.gtin', 'trace.sscc', 'trace.gln', 'trace.uscc', 'trace.code']::regtype[])
        AND p.proname ~ '_(eq|ne|lt|le|gt|ge|cmp|hash)$'),
    40, 'eight comparison and hash functions for each of the five types');

-- casts
SELECT has_cast('trace.sscc', 'trace.code', 'sscc -> code');
SELECT has_cast('trace.code', 'trace.gtin', 'code -> gtin');
SELECT has_cast('trace.code', 'trace.sscc', 'code -> sscc');
SELECT has_cast('trace.gtin', 'bigint', 'gtin -> bigint');
SELECT has_cast('bigint', 'trace.gtin', 'bigint -> gtin');
SELECT cast_context_is('trace.sscc', 'trace.code', 'assignment', 'sscc -> code is an assignment cast');
SELECT cast_context_is('trace.code', 'trace.gtin', 'explicit', 'code -> gtin is explicit');

-- function labels
SELECT volatility_is('trace', 'validate', ARRAY['text', 'text'], 'immutable', 'validate is immutable');
SELECT is_strict('trace', 'validate', ARRAY['text', 'text'], 'validate is strict');
SELECT volatility_is('trace', 'code_in', ARRAY['cstring'], 'immutable', 'code_in is immutable');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'trace.code_in(cstring)'::regprocedure), 's',
          'code_in is parallel safe');

-- btree and hash indexes are used, and find every form of a code
CREATE TEMP TABLE t_codes (c trace.code, g trace.gtin, u trace.uscc);
INSERT INTO t_codes
SELECT trace.code('06901234567892'::trace.gtin, 'S' || i), '06901234567892'::trace.gtin, '91350100M000100Y43'
  FROM generate_series(1, 2000) i;
CREATE INDEX ON t_codes (c);
CREATE INDEX t_codes_hash ON t_codes USING hash (c);
ANALYZE t_codes;
SET LOCAL enable_seqscan = off;
SELECT ok(EXISTS (
    SELECT 1 FROM (SELECT pg_temp.plan_of(
        $$SELECT * FROM t_codes WHERE c OPERATOR(trace.=) ']d2010690123456789221S77'::trace.code$$) AS plan) p
    WHERE plan ~ 'Index'), 'equality on trace.code uses an index');
SELECT is((SELECT count(*)::int FROM t_codes WHERE c OPERATOR(trace.=) ']d2010690123456789221S77'::trace.code),
          1, 'a raw DataMatrix scan finds the unit through the index');
SELECT is((SELECT count(*)::int FROM t_codes
            WHERE c OPERATOR(trace.=) 'https://id.gs1.org/01/6901234567892/21/S77'::trace.code),
          1, 'a Digital Link finds the same unit');
DROP INDEX t_codes_c_idx;
SELECT ok(EXISTS (
    SELECT 1 FROM (SELECT pg_temp.plan_of(
        $$SELECT * FROM t_codes WHERE c OPERATOR(trace.=) '(01)06901234567892(21)S5'$$) AS plan) p
    WHERE plan ~ 'Index'), 'the hash index is used for equality');
RESET enable_seqscan;

-- sorting and grouping work (btree + hash support)
SELECT is((SELECT count(DISTINCT c)::int FROM t_codes), 2000, 'DISTINCT over codes');
SELECT is((SELECT count(*)::int FROM (SELECT c FROM t_codes GROUP BY c) x), 2000, 'GROUP BY over codes');
SELECT is((SELECT min(c::text) FROM t_codes), '(01)06901234567892(21)S1', 'ordering is by key bytes');

-- binary send/recv round trip and strictness
SELECT is(pg_temp.recv_as('trace.code', pg_temp.send_of('trace.code', ']d2010690123456789221AB')),
          '(01)06901234567892(21)AB', 'code survives send/recv');
SELECT is(pg_temp.recv_as('trace.gtin', pg_temp.send_of('trace.gtin', '6901234567892')),
          '06901234567892', 'gtin survives send/recv');
SELECT is(pg_temp.recv_as('trace.uscc', pg_temp.send_of('trace.uscc', '91350100M000100Y43')),
          '91350100M000100Y43', 'uscc survives send/recv');
SELECT throws_ok($$SELECT pg_temp.recv_as('trace.code', '\x01303130363930313233343536373839333231414243'::bytea)$$,
                 '22P03', NULL, 'recv rejects a code whose GTIN check digit is wrong');
SELECT throws_ok($$SELECT pg_temp.recv_as('trace.code', '\x09414243'::bytea)$$,
                 '22P03', NULL, 'recv rejects an unknown scheme');
SELECT throws_ok($$SELECT pg_temp.recv_as('trace.code', '\x0130313036393031323334353637383932313041424331'::bytea)$$,
                 '22P03', NULL, 'recv rejects a GS1 key that is not a unit (lot instead of serial)');
SELECT throws_ok($$SELECT pg_temp.recv_as('trace.gtin', '\x000003a4ceefadac'::bytea)$$,
                 '22P03', NULL, 'recv rejects a gtin with a wrong check digit');
SELECT throws_ok($$SELECT pg_temp.recv_as('trace.uscc', convert_to('91350100M000100Y44', 'UTF8'))$$,
                 '22P03', NULL, 'recv rejects a uscc with a wrong check character');

-- parse_scan
SELECT is(trace.parse_scan(']d2010690123456789221AB' || E'\x1d' || '10L1', '2026-01-01') ->> 'symbology', ']d2',
          'parse_scan reports the symbology');
SELECT is(jsonb_array_length(trace.parse_scan(']d2010690123456789221AB' || E'\x1d' || '10L1', '2026-01-01') -> 'ais'), 3,
          'parse_scan lists every AI');
SELECT is(trace.parse_scan('(01)06901234567892(21)AB', '2026-01-01') ->> 'code', '(01)06901234567892(21)AB',
          'parse_scan gives the normalised code');
SELECT ok(jsonb_array_length(trace.parse_scan('(01)06901234567893(17)260231(21)AB', '2026-01-01') -> 'problems') >= 2,
          'parse_scan lists every problem, not only the first');
SELECT is(trace.parse_scan('(01)06901234567893(21)AB', '2026-01-01') -> 'valid', 'false'::jsonb,
          'parse_scan marks a bad scan invalid');

SELECT * FROM finish();
ROLLBACK;
