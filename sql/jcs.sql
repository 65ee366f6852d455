-- trace.canonical_json(jsonb): RFC 8785 canonical form of jsonb values.
-- One literal per line so that every result and error is pinned.

-- key order: UTF-16 code units, not jsonb's length-first order
SELECT trace.canonical_json('{"bb": 1, "a": 2, "ccc": 3}');
SELECT trace.canonical_json('{"b": {"d": 1, "c": 2}, "a": [{"z": 1, "y": 2}]}');
SELECT trace.canonical_json('{"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\ud83d\ude00": 5, "\u0080": 6, "\u00f6": 7}');
SELECT trace.canonical_json('{"peach": 1, "péché": 2, "pêche": 3, "sin": 4}');
SELECT trace.canonical_json('{"A": 1, "a": 2, "": 3, "10": 4, "1": 5}');

-- numbers: ECMAScript formatting through IEEE 754 doubles
SELECT trace.canonical_json('1E30');
SELECT trace.canonical_json('4.50');
SELECT trace.canonical_json('1e-7');
SELECT trace.canonical_json('0.000001');
SELECT trace.canonical_json('-0');
SELECT trace.canonical_json('-0.0');
SELECT trace.canonical_json('100');
SELECT trace.canonical_json('1e21');
SELECT trace.canonical_json('123456789012345678901');
SELECT trace.canonical_json('9007199254740993');
SELECT trace.canonical_json('333333333.33333329');
SELECT trace.canonical_json('0.000000000000000000000000001');
SELECT trace.canonical_json('-1.5e-10');
SELECT trace.canonical_json('1.7976931348623157e308');
SELECT trace.canonical_json('5e-324');
SELECT trace.canonical_json('1e-400');
SELECT trace.canonical_json('1e400');
SELECT trace.canonical_json('-1e309');
SELECT trace.canonical_json('[1e400]');

-- strings: only '"', '\' and control characters are escaped
SELECT trace.canonical_json('"\u20ac$\u000F\u000aA''\u0042\u0022\u005c\\\"\/"');
SELECT trace.canonical_json('"\u001f\u007f\b\f\n\r\t"');
SELECT trace.canonical_json('"</script>"');
SELECT trace.canonical_json('"\u1e0d\u0307"');
SELECT trace.canonical_json('"质量安全追溯"');

-- literals and structure
SELECT trace.canonical_json('[null, true, false, {}, [], ""]');
SELECT trace.canonical_json('{"literals": [null, true, false], "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\u20ac$\u000F\u000aA''\u0042\u0022\u005c\\\"\/"}');

-- the canonical form is not jsonb's text form
SELECT '{"bb": 1, "a": 4.50}'::jsonb::text AS jsonb_text,
       trace.canonical_json('{"bb": 1, "a": 4.50}') AS canonical;

-- nesting: 128 levels are canonicalised, 129 are refused
SELECT pg_catalog.length(trace.canonical_json((pg_catalog.repeat('[', 128) || pg_catalog.repeat(']', 128))::jsonb)) AS depth_128;
SELECT trace.canonical_json((pg_catalog.repeat('[', 129) || pg_catalog.repeat(']', 129))::jsonb);

-- NULL in, NULL out (STRICT)
SELECT trace.canonical_json(NULL) IS NULL AS is_null;

-- labels
SELECT p.provolatile, p.proisstrict, p.proparallel
FROM pg_catalog.pg_proc p
WHERE p.oid = 'trace.canonical_json(jsonb)'::regprocedure;
