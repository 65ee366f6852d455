-- Signing keys and JWS: privileges, SQLSTATEs, jti/iat shape, rotation, the
-- superuser-only settings. Keys are the test keys under test/data/keys
-- (run from the repository root: the path comes from $PWD).
\getenv top PWD
SELECT :'top' || '/test/data/keys/' AS keydir \gset
BEGIN;
SELECT plan(50);

-- functions exist with truthful labels
SELECT has_function('trace', 'canonical_json', ARRAY['jsonb']);
SELECT has_function('trace', 'sign', ARRAY['jsonb']);
SELECT has_function('trace', 'sign', ARRAY['jsonb', 'boolean']);
SELECT has_function('trace', 'sign_json', ARRAY['jsonb', 'boolean']);
SELECT has_function('trace', 'jws_verify', ARRAY['text']);
SELECT has_function('trace', 'jws_verify', ARRAY['text', 'jsonb']);
SELECT has_function('trace', 'jws_verify_detail', ARRAY['text', 'jsonb']);
SELECT has_function('trace', 'public_jwk', ARRAY[]::text[]);
SELECT has_function('trace', 'jwk_thumbprint', ARRAY['jsonb']);
SELECT has_function('trace', 'jws_verify_jwk', ARRAY['text', 'jsonb', 'jsonb']);
SELECT volatility_is('trace', 'jws_verify_jwk', ARRAY['text', 'jsonb', 'jsonb'], 'immutable');
SELECT volatility_is('trace', 'canonical_json', ARRAY['jsonb'], 'immutable');
SELECT volatility_is('trace', 'sign', ARRAY['jsonb'], 'volatile');
SELECT volatility_is('trace', 'jws_verify', ARRAY['text'], 'stable');
SELECT isnt_definer('trace', 'sign', ARRAY['jsonb']);

-- privileges: only trace_admin signs; everyone in the extension's roles verifies
SELECT function_privs_are('trace', 'sign', ARRAY['jsonb'], 'trace_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'sign', ARRAY['jsonb'], 'trace_operator', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'sign', ARRAY['jsonb', 'boolean'], 'trace_regulator', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'sign_json', ARRAY['jsonb', 'boolean'], 'trace_public', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'jws_verify', ARRAY['text'], 'trace_public', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'public_jwk', ARRAY[]::text[], 'trace_public', ARRAY['EXECUTE']);
SELECT ok(NOT pg_catalog.has_function_privilege('public', 'trace.sign(jsonb)', 'EXECUTE'),
          'PUBLIC cannot execute trace.sign');

-- no key configured
RESET pgtrace.signing_key_file;
RESET pgtrace.verify_key_file;
SELECT throws_ok($$SELECT trace.sign('{}')$$, '55000', 'no signing key is configured',
                 'signing without a key: 55000');
SELECT is(trace._status_keys() ->> 'configured', 'false', 'status: not configured');
SELECT ok(pg_catalog.jsonb_array_length(trace._status_keys() -> 'missing_guarantees') = 1,
          'status: a missing guarantee when no key is configured');
SELECT ok(trace.status() -> 'missing_guarantees' @> (trace._status_keys() -> 'missing_guarantees'),
          'trace.status() lists the missing signing key among its missing guarantees');

-- unusable files
SET LOCAL pgtrace.signing_key_file = '/nonexistent/pgtrace.pem';
SELECT throws_ok($$SELECT trace.sign('{}')$$, '58P01', NULL, 'missing key file: 58P01');
SELECT pg_catalog.set_config('pgtrace.signing_key_file', :'keydir' || 'README.md', true) AS _ \gset
SELECT throws_ok($$SELECT trace.sign('{}')$$, 'F0000', NULL, 'file without a key: F0000');
SELECT ok(trace._status_keys() ? 'error', 'status reports an unusable key file');

-- the RFC 8037 key
SELECT pg_catalog.set_config('pgtrace.signing_key_file', :'keydir' || 'rfc8037_ed25519.pem', true) AS _ \gset
SELECT is(trace._status_keys() ->> 'kid', 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
          'status names the kid (RFC 8037 thumbprint)');
SELECT ok(NOT (trace._status_keys()::text ~ '(nWGxne|BEGIN|PRIVATE|/test/data)'),
          'status shows neither key material nor the file path');
SELECT ok(NOT (trace.public_jwk()::text ~ '"d"'), 'public_jwk has no private member');
SELECT is(trace.status() -> 'keys' ->> 'algorithm', 'EdDSA', 'trace.status() reports the signing algorithm');
SELECT throws_ok($$SELECT trace.jwk_thumbprint('{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}')$$,
                 '22023', 'invalid JWK', 'a JWK with a private part is refused: 22023');

-- jti: 128-bit random, unique; iat: an integer number of seconds
CREATE TEMP TABLE tokens ON COMMIT DROP AS
    SELECT pg_catalog.convert_from(pg_catalog.decode(
               pg_catalog.translate(h, '-_', '+/') || pg_catalog.repeat('=', (4 - pg_catalog.length(h) % 4) % 4),
               'base64'), 'UTF8')::jsonb AS header
    FROM pg_catalog.generate_series(1, 50) AS i,
         LATERAL pg_catalog.split_part(trace.sign(pg_catalog.jsonb_build_object('i', i)), '.', 1) AS h;
SELECT is((SELECT pg_catalog.count(DISTINCT header ->> 'jti') FROM tokens), 50::bigint, '50 signatures, 50 distinct jti');
SELECT ok((SELECT pg_catalog.bool_and(header ->> 'jti' ~ '^[A-Za-z0-9_-]{22}$') FROM tokens), 'jti is 22 base64url characters');
SELECT ok((SELECT pg_catalog.bool_and(pg_catalog.jsonb_typeof(header -> 'iat') = 'number'
                                      AND (header ->> 'iat') ~ '^[0-9]+$') FROM tokens), 'iat is an integer');
SELECT ok((SELECT pg_catalog.bool_and((header ->> 'iat')::bigint
                                      BETWEEN pg_catalog.date_part('epoch', pg_catalog.now())::bigint - 5
                                          AND pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())::bigint + 5)
           FROM tokens), 'iat is the signing time');

-- SQLSTATEs of verification
SELECT trace.sign('{"a": 1}') AS tok \gset
SELECT throws_ok(pg_catalog.format('SELECT trace.jws_verify(%L)', pg_catalog.left(:'tok', -2) ||
                 CASE pg_catalog.right(:'tok', 2) WHEN 'AA' THEN 'AQ' ELSE 'AA' END),
                 '28000', 'JWS signature does not verify', 'changed signature: 28000');
SELECT throws_ok($$SELECT trace.jws_verify('a.b')$$, '22P02', 'malformed JWS', 'two parts: 22P02');
SELECT throws_ok($$SELECT trace.jws_verify('eyJhbGciOiJFZERTQSJ9.e30.AAAA')$$, '22P02', NULL,
                 'short signature: 22P02');
SELECT throws_ok(pg_catalog.format('SELECT trace.jws_verify(%L)',
                 'eyJhbGciOiJub25lIn0.e30.' || pg_catalog.split_part(:'tok', '.', 3)),
                 '22023', 'unsupported JWS', 'alg none: 22023');
SELECT throws_ok($$SELECT trace.sign('{"n": 1e400}')$$, '22003', NULL, 'number beyond double: 22003');
SELECT throws_ok($$SELECT trace.canonical_json((pg_catalog.repeat('[', 129) || pg_catalog.repeat(']', 129))::jsonb)$$,
                 '54000', NULL, 'nesting beyond 128: 54000');
SELECT pg_catalog.set_config('pgtrace.signing_key_file', :'keydir' || 'second_ed25519.pem', true) AS _ \gset
SELECT throws_ok(pg_catalog.format('SELECT trace.jws_verify(%L)', :'tok'), '28000',
                 'JWS signed by an unknown key', 'unknown kid: 28000');

-- rotation through pgtrace.verify_key_file
SELECT pg_catalog.set_config('pgtrace.verify_key_file', :'keydir' || 'rfc8037_ed25519.pub.pem', true) AS _ \gset
SELECT is(trace.jws_verify(:'tok'), '{"a": 1}'::jsonb, 'retired key in verify_key_file still verifies');

-- roles: trace_admin signs with the server's key, trace_public verifies, trace_operator cannot sign
SET LOCAL ROLE trace_admin;
SELECT lives_ok($$SELECT trace.sign('{"by": "admin"}')$$, 'trace_admin signs');
SELECT throws_ok($$SET pgtrace.signing_key_file = '/tmp/other.pem'$$, '42501', NULL,
                 'trace_admin cannot change the key file');
RESET ROLE;
SET LOCAL ROLE trace_public;
SELECT is(trace.jws_verify(:'tok'), '{"a": 1}'::jsonb, 'trace_public verifies');
RESET ROLE;
SET LOCAL ROLE trace_operator;
SELECT throws_ok($$SELECT trace.sign('{}')$$, '42501', NULL, 'trace_operator cannot sign');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
