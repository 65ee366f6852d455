-- JWS signing and verification with the server key (trace.sign,
-- trace.sign_json, trace.jws_verify, trace.public_jwk). Key files are the
-- test keys under test/data/keys; iat and jti differ on every run, so the
-- checks below look at the deterministic parts.
\getenv abs_srcdir PG_ABS_SRCDIR
SELECT :'abs_srcdir' || '/test/data/keys/rfc8037_ed25519.pem' AS rfc_key,
       :'abs_srcdir' || '/test/data/keys/rfc8037_ed25519.pub.pem' AS rfc_pub,
       :'abs_srcdir' || '/test/data/keys/second_ed25519.pem' AS second_key,
       :'abs_srcdir' || '/test/data/keys/rotation.pem' AS rotation_key,
       :'abs_srcdir' || '/test/data/keys/sm2.pem' AS sm2_key,
       :'abs_srcdir' || '/test/data/keys/README.md' AS not_a_key \gset

-- decode one base64url part of a compact JWS
CREATE FUNCTION pg_temp.part(jws text, n int) RETURNS text LANGUAGE sql AS $$
    SELECT pg_catalog.convert_from(pg_catalog.decode(
        pg_catalog.translate(s, '-_', '+/') ||
        pg_catalog.repeat('=', (4 - pg_catalog.length(s) % 4) % 4), 'base64'), 'UTF8')
    FROM pg_catalog.split_part(jws, '.', n) AS s
$$;

-- without a key: clear errors with a hint
RESET pgtrace.signing_key_file;
SELECT trace.sign('{"a": 1}');
SELECT trace.jws_verify('eyJhbGciOiJFZERTQSJ9.e30.AAAA');
SELECT trace.public_jwk();
SELECT trace._status_keys();

-- a file that does not exist, a file that holds no key
SET pgtrace.signing_key_file = '/nonexistent/pgtrace-key.pem';
SELECT trace.sign('{"a": 1}');
SET pgtrace.signing_key_file = :'not_a_key';
SELECT trace.sign('{"a": 1}');
SELECT trace._status_keys() - 'error';
SET pgtrace.signing_key_file = :'rfc_pub';
SELECT trace.sign('{"a": 1}');

-- the RFC 8037 key
SET pgtrace.signing_key_file = :'rfc_key';
SELECT trace._status_keys();
SELECT trace.public_jwk();
SELECT trace.sign('{"b": [1E30, 4.50], "a": "\u20ac"}') AS t \gset
SELECT pg_temp.part(:'t', 2) AS payload;
SELECT (pg_temp.part(:'t', 1))::jsonb - 'iat' - 'jti' AS header;
SELECT pg_catalog.jsonb_typeof(pg_temp.part(:'t', 1)::jsonb -> 'iat') AS iat_type,
       (pg_temp.part(:'t', 1)::jsonb ->> 'jti') ~ '^[A-Za-z0-9_-]{22}$' AS jti_shape;
SELECT pg_temp.part(:'t', 1) ~ '^\{"alg":"EdDSA","iat":[0-9]+,"jti":"[A-Za-z0-9_-]{22}","kid":"[A-Za-z0-9_-]{43}","typ":"JOSE"\}$' AS header_is_canonical;
SELECT trace.jws_verify(:'t');
SELECT trace.jws_verify_detail(:'t') -> 'payload' AS payload,
       trace.jws_verify_detail(:'t') -> 'header' ->> 'kid' AS kid;

-- two signatures of the same payload differ only by iat/jti
SELECT trace.sign('{"a": 1}') <> trace.sign('{"a": 1}') AS distinct_tokens;

-- detached payload
SELECT trace.sign('{"x": [1, 2]}', true) AS d \gset
SELECT pg_catalog.split_part(:'d', '.', 2) = '' AS payload_part_empty;
SELECT trace.jws_verify(:'d', '{"x": [1, 2]}');
SELECT trace.jws_verify(:'d', '{"x": [1, 2, 3]}');
SELECT trace.jws_verify(:'d');

-- JSON serialization
SELECT trace.sign_json('{"a": 1}') AS j \gset
SELECT pg_catalog.jsonb_object_keys(:'j'::jsonb) AS member ORDER BY 1;
SELECT (:'j'::jsonb) ->> 'payload' AS payload;
SELECT trace.jws_verify(:'j');
SELECT trace.sign_json('{"a": 1}', true) AS jd \gset
SELECT (:'jd'::jsonb) ? 'payload' AS has_payload;
SELECT trace.jws_verify(:'jd', '{"a": 1}');

-- tampering and malformed tokens
SELECT trace.jws_verify(pg_catalog.split_part(:'t', '.', 1) || '.' ||
                        pg_catalog.rtrim(pg_catalog.translate(pg_catalog.encode(pg_catalog.convert_to('{"a":"€","b":[1e+30,4.6]}', 'UTF8'), 'base64'), '+/', '-_'), '=') || '.' ||
                        pg_catalog.split_part(:'t', '.', 3));
SELECT trace.jws_verify(pg_catalog.overlay(:'t', '!', pg_catalog.length(:'t') - 10, 1));
SELECT trace.jws_verify(pg_catalog.split_part(:'t', '.', 1) || '.' || pg_catalog.split_part(:'t', '.', 2));
SELECT trace.jws_verify('e30.e30.' || pg_catalog.split_part(:'t', '.', 3));
SELECT trace.jws_verify('eyJhbGciOiJub25lIn0.e30.' || pg_catalog.split_part(:'t', '.', 3));
SELECT trace.jws_verify('eyJhbGciOiJFZERTQSJ9.e30!.' || pg_catalog.split_part(:'t', '.', 3));
SELECT trace.jws_verify('eyJhbGciOiJFZERTQSIs.e30.' || pg_catalog.split_part(:'t', '.', 3));
SELECT trace.jws_verify('not a token');
SELECT trace.jws_verify('{"payload": "e30"}');
SELECT trace.jws_verify('eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg');

-- a wrong key: the token names a kid the configuration does not have
SET pgtrace.signing_key_file = :'second_key';
SELECT trace.jws_verify(:'t');

-- rotation: the first key of the file signs, the others still verify
SET pgtrace.signing_key_file = :'rotation_key';
SELECT trace.jws_verify(:'t');
SELECT pg_catalog.jsonb_array_length(trace.public_jwk() -> 'keys') AS keys;
SELECT (trace.jws_verify_detail(trace.sign('{}')) -> 'header' ->> 'kid') =
       (trace.public_jwk() -> 'keys' -> 0 ->> 'kid') AS first_key_signs;
-- a retired key kept in pgtrace.verify_key_file
SET pgtrace.signing_key_file = :'second_key';
SET pgtrace.verify_key_file = :'rfc_pub';
SELECT trace.jws_verify(:'t');
RESET pgtrace.verify_key_file;

-- SM2 with SM3
SET pgtrace.signing_key_file = :'sm2_key';
SELECT trace._status_keys() - 'kid';
SELECT trace.sign('{"sm": 2}') AS s \gset
SELECT (pg_temp.part(:'s', 1))::jsonb ->> 'alg' AS alg,
       pg_catalog.length(pg_catalog.split_part(:'s', '.', 3)) AS signature_chars;
SELECT trace.jws_verify(:'s');
SELECT (trace.public_jwk() -> 'keys' -> 0) - 'kid' - 'x' - 'y' AS jwk;

-- numbers that do not fit a double cannot be signed
SELECT trace.sign('{"n": 1e400}');

-- the setting is for superusers only
CREATE ROLE pgtrace_jws_user;
SET ROLE pgtrace_jws_user;
SET pgtrace.signing_key_file = '/tmp/x.pem';
SHOW pgtrace.signing_key_file;
SELECT trace.sign('{}');
RESET ROLE;
DROP ROLE pgtrace_jws_user;
RESET pgtrace.signing_key_file;

-- partner keys given as public JWKs
SET pgtrace.signing_key_file = :'rfc_key';
SELECT trace.sign('{"partner": "token"}') AS pt \gset
SELECT trace.jwk_thumbprint('{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}');
SELECT trace.jwk_thumbprint(trace.public_jwk() -> 'keys' -> 0);
SELECT trace.jwk_thumbprint('{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}');
SELECT trace.jwk_thumbprint('{"kty": "OKP", "crv": "Ed25519", "x": "11qY"}');
SELECT trace.jwk_thumbprint('{"kty": "RSA", "n": "AQAB", "e": "AQAB"}');
RESET pgtrace.signing_key_file;
SELECT trace.jws_verify_jwk(:'pt', '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}') -> 'payload' AS payload;
SELECT trace.jws_verify_jwk(:'pt', '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}') -> 'header' ->> 'kid' AS kid;
SELECT trace.jws_verify_jwk(:'pt', '{"kty": "OKP", "crv": "Ed25519", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}');
SELECT trace.jws_verify_jwk(pg_catalog.left(:'pt', -1) || CASE pg_catalog.right(:'pt', 1) WHEN 'A' THEN 'Q' ELSE 'A' END, '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}');
SELECT trace.jws_verify_jwk(NULL, '{}') IS NULL AS null_token;
