-- Partners and verified imports: a token signed by a registered partner key
-- is accepted once; a changed byte, a wrong key, an expired or not yet valid
-- token, a replayed jti, an unknown partner, a scope violation and a bad
-- record are each refused with their own SQLSTATE and nothing written.
-- Tokens are fixed test data (test/data/exchange/make_tokens.py, partner key
-- test/data/keys/second_ed25519.pem); the reference time is fixed.
\ir ../data/exchange/tokens.sql
BEGIN;
SELECT plan(67);
SET LOCAL pgtrace.reference_time = '2026-06-30 12:00:00+08';

-- What an import can write, counted.
CREATE FUNCTION pg_temp.snap() RETURNS jsonb LANGUAGE sql AS $$
    SELECT pg_catalog.jsonb_build_object(
        'units', (SELECT count(*) FROM trace.unit_record), 'products', (SELECT count(*) FROM trace.product_record),
        'documents', (SELECT count(*) FROM trace.document_record), 'items', (SELECT count(*) FROM trace.item_record),
        'package_events', (SELECT count(*) FROM trace.package_event), 'flows', (SELECT count(*) FROM trace.flow_record),
        'partners', (SELECT count(*) FROM trace.partner_record), 'jti', (SELECT count(*) FROM trace.import_jti),
        'imports', (SELECT count(*) FROM trace.import_log))
$$;

-- privileges
SELECT function_privs_are('trace', 'register_partner', ARRAY['text', 'text', 'jsonb', 'text[]'], 'trace_operator', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'register_partner', ARRAY['text', 'text', 'jsonb', 'text[]'], 'trace_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'import', ARRAY['text', 'timestamptz'], 'trace_operator', ARRAY['EXECUTE']);
SELECT function_privs_are('trace', 'import', ARRAY['text', 'timestamptz'], 'trace_regulator', ARRAY[]::text[]);
SELECT function_privs_are('trace', 'import', ARRAY['text', 'timestamptz'], 'trace_public', ARRAY[]::text[]);
SELECT ok(NOT has_function_privilege('public', 'trace.import(text, timestamptz)', 'EXECUTE'), 'PUBLIC cannot import');
SELECT ok(NOT has_function_privilege('trace_operator', 'trace._exchange_sign(jsonb, text, boolean)', 'EXECUTE'),
          'the export signer is not granted to anyone');
SELECT is_definer('trace', 'import', ARRAY['text', 'timestamp with time zone'], 'import is SECURITY DEFINER');
SELECT results_eq($$SELECT ledger_name FROM trace.ledger_tables
                    WHERE ledger_name IN ('trace.partner_record', 'trace.import_jti', 'trace.import_log') ORDER BY 1$$,
                  ARRAY['trace.import_jti', 'trace.import_log', 'trace.partner_record'],
                  'partners, the replay store and the import log are ledger tables');

-- registering partners: bad keys and scopes are refused
SELECT throws_ok($$SELECT trace.register_partner('p', '91330100MA2H3K5L19',
    '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}',
    '{commission}')$$, '22023', 'trace.register_partner: the JWK contains private key material',
    'a JWK with a private part is refused');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', 'p', '91330100MA2H3K5L18', :'partner_jwk', '{commission}'),
    '22P02', NULL, 'a bad USCC is refused');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', 'p', '91330100MA2H3K5L19',
    :'partner_jwk', '{commission,delete_everything}'), '22023', 'trace.register_partner: unknown scopes: delete_everything',
    'an unknown scope is refused');
SELECT throws_ok($$SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"AAAA"}', '{commission}')$$,
    '22023', 'partner key: Ed25519 JWK needs "x": 32 bytes in unpadded base64url', 'a short key is refused');
SELECT throws_ok($$SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"RSA","n":"x","e":"AQAB"}', '{commission}')$$,
    '22023', NULL, 'an RSA key is refused');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', 'p', '91330100MA2H3K5L19',
    (:'partner_jwk'::jsonb || '{"kid":"not-the-thumbprint"}')::text, '{commission}'), '22023', NULL,
    'a kid that is not the RFC 7638 thumbprint is refused');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', ' ', '91330100MA2H3K5L19', :'partner_jwk', '{commission}'),
    '23502', 'trace.register_partner: missing mandatory fields: name', 'a partner needs a name');
SELECT is(pg_temp.snap() ->> 'partners', '0', 'nothing registered by the refused calls');

SELECT is(trace.register_partner('杭州示例燃气具有限公司', '91330100MA2H3K5L19', :'partner_jwk',
          '{register_unit,register_product,commission,pack,record_sale}') - 'partner_id',
    pg_catalog.jsonb_build_object('name', '杭州示例燃气具有限公司', 'uscc', '91330100MA2H3K5L19', 'kid', :'partner_kid',
        'alg', 'EdDSA', 'scopes', '["commission", "pack", "record_sale", "register_product", "register_unit"]'::jsonb),
    'partner registered; kid is the RFC 7638 thumbprint of its JWK');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', 'again', '91330100MA2H3K5L19', :'partner_jwk', '{commission}'),
    '42710', NULL, 'the same key cannot be registered twice');
SELECT is((SELECT jwk FROM trace.partners), :'partner_jwk'::jsonb || pg_catalog.jsonb_build_object('alg', 'EdDSA', 'kid', :'partner_kid', 'use', 'sig'),
    'the stored JWK is the public key only, normalised');

-- the good token is accepted, and recorded through the registry
SELECT pg_temp.snap() AS before \gset
SELECT trace.import(:'tok_good') AS res \gset
SELECT is(:'res'::jsonb - '{import_id,results}'::text[],
    '{"jti": "factory-0001", "kid": "QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc", "uscc": "91330100MA2H3K5L19",
      "partner": "杭州示例燃气具有限公司", "records": 5}'::jsonb,
    'a token signed by the partner key is imported');
SELECT is(pg_catalog.jsonb_path_query_array(:'res'::jsonb, '$.results[*].op'),
    '["register_unit", "register_product", "commission", "pack", "record_sale"]',
    'every record went through its registry write, in order');
SELECT is(pg_catalog.jsonb_build_array(:'res'::jsonb #> '{results,2,result,commissioned}', :'res'::jsonb #> '{results,3,result,packed}',
                                       :'res'::jsonb #> '{results,4,result,0,quantity}', :'res'::jsonb #> '{results,4,result,1,quantity}'),
    '[3, 2, 2, 1]', 'the registry writes report 3 commissioned, 2 packed, sales of 2 and 1 units');
SELECT is(pg_temp.snap(), :'before'::jsonb || '{"units": 1, "products": 1, "documents": 3, "items": 3, "package_events": 2,
                                                 "flows": 2, "jti": 1, "imports": 1}',
    'the import wrote the unit, product, 3 items, the carton, 2 sales, one jti and one log row');
SELECT results_eq($$SELECT partner_uscc::text, kid, jti, iat, exp, records, operations FROM trace.imports$$,
    $$VALUES ('91330100MA2H3K5L19', 'QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc', 'factory-0001',
              '2026-06-30 11:50+08'::timestamptz, '2026-06-30 13:00+08'::timestamptz, 5,
              '["register_unit", "register_product", "commission", "pack", "record_sale"]'::jsonb)$$,
    'the import log names partner, key, jti, times and operations');
SELECT is((SELECT token FROM trace.import_log), :'tok_good', 'the log keeps the token, which stays verifiable');
SELECT is(trace.package_of('(01)06901234567892(21)P0002')::text, '(00)069012340000000030'::trace.code::text,
    'the imported packing is in the registry');
SELECT throws_ok($$UPDATE trace.import_log SET records = 0$$, NULL, NULL, 'the import log is append-only');

-- every rejection, with nothing written
SELECT pg_temp.snap() AS before \gset
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_good'), 'TX004',
    'trace.import: replayed token: jti factory-0001 of partner 91330100MA2H3K5L19 was already imported',
    'a replayed jti is refused (TX004)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', pg_catalog.jsonb_build_object(
        'protected', pg_catalog.split_part(:'tok_good', '.', 1), 'payload', pg_catalog.split_part(:'tok_good', '.', 2),
        'signature', pg_catalog.split_part(:'tok_good', '.', 3))::text), 'TX004', NULL,
    'the same token in the JSON serialisation is verified and recognised as a replay');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_changed_byte'), '28000',
    'trace.import: the signature does not verify with the partner''s key', 'a changed byte is refused (28000)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_wrong_key'), '28000',
    'trace.import: the signature does not verify with the partner''s key', 'a wrong key under the partner''s kid is refused (28000)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_unknown_partner'), 'TX001',
    'trace.import: unknown partner: no partner is registered with key kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    'an unknown partner is refused (TX001)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_no_kid'), 'TX001', 'trace.import: the token names no key (kid)',
    'a token without kid is refused (TX001)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_wrong_iss'), 'TX001',
    'trace.import: the token claims issuer 91440300MA5FQ7W81X, but key QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc belongs to partner 杭州示例燃气具有限公司 (91330100MA2H3K5L19)',
    'an issuer other than the key''s partner is refused (TX001)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_expired'), 'TX002',
    'trace.import: the token expired at 2026-06-30T03:00:00Z (reference time 2026-06-30T04:00:00Z)',
    'an expired token is refused (TX002)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_stale'), 'TX002',
    'trace.import: the token expired: issued at 2026-06-29T03:00:00Z, without "exp" it is valid for 24 hours (reference time 2026-06-30T04:00:00Z)',
    'a token without exp older than 24 hours is refused (TX002)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_future'), 'TX003',
    'trace.import: the token is not yet valid: issued at 2026-06-30T05:00:00Z, reference time 2026-06-30T04:00:00Z',
    'a token issued after the reference time is refused (TX003)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_scope_op'), 'TX005',
    'trace.import: scope violation: record 1 (record_purchase) is outside the scopes of partner 杭州示例燃气具有限公司 (91330100MA2H3K5L19)',
    'an operation outside the partner''s scopes is refused (TX005)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_scope_unit'), 'TX005',
    'trace.import: scope violation: record 1 (register_unit) is for 91440300MA5FQ7W81X, not for partner 91330100MA2H3K5L19',
    'a record for another unit is refused (TX005)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_bad_record'), '22023', NULL,
    'a batch with one bad record is refused whole, with the registry''s SQLSTATE');
SELECT throws_like(pg_catalog.format('SELECT trace.import(%L)', :'tok_bad_record'),
    'trace.import: record 2 (record_sale): %is before the production date 2026-06-01%',
    'the message names the record and the registry''s reason');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_conflicting'), '22P02',
    'trace.import: the header and the payload disagree on "iat"', 'conflicting claims are refused (22P02)');
SELECT throws_ok($$SELECT trace.import('not a token')$$, '22P02', NULL, 'a malformed token is refused (22P02)');
SELECT throws_ok($$SELECT trace.import('')$$, '22P02', 'trace.import: the token is empty', 'an empty token is refused');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', pg_catalog.split_part(:'tok_good', '.', 1) || '.'
                                                               || pg_catalog.split_part(:'tok_good', '.', 2) || '.'),
    '22P02', NULL, 'a token without signature is refused');
SELECT is(pg_temp.snap(), :'before'::jsonb, 'none of the refused tokens wrote anything');
SELECT is((SELECT count(*)::int FROM trace.item_record WHERE trace_code OPERATOR(trace.=) '(01)06901234567892(21)P0004'::trace.code),
    0, 'the valid first record of the refused batch was not kept');

-- the reference time: an argument overrides the setting
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L, %L)', :'tok_expired', '2026-06-30 10:30+08'), '23505', NULL,
    'with an earlier reference time the token is fresh, and the import reaches the registry (unit already registered)');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L, %L)', :'tok_future', '2026-06-30 12:30+08'), 'TX003', NULL,
    'an issue time 30 minutes ahead is beyond the 5-minute leeway');
SELECT is(pg_temp.snap(), :'before'::jsonb, 'still nothing written');

-- claims in the protected header (as trace.sign writes them)
SELECT is(trace.import(:'tok_header_claims') -> 'results', '[{"op": "commission", "result": {"commissioned": 1}}]',
    'iat and jti may come from the protected header');
SELECT is((SELECT iat FROM trace.import_log WHERE jti = 'factory-0011'), '2026-06-30 12:00+08'::timestamptz,
    'iat from the header is logged');

-- revocation
SELECT is(trace.revoke_partner(:'partner_kid', 'key rotated') ->> 'revoked', 'true', 'the partner key is revoked');
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_header_claims'), 'TX001', 'trace.import: partner key QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc was revoked',
    'a revoked key no longer imports');
SELECT is((SELECT count(*)::int FROM trace.partners), 0, 'no current partner key after revocation');
SELECT is((SELECT count(*)::int FROM trace.imports), 2, 'past imports stay logged');
SELECT throws_ok(pg_catalog.format('SELECT trace.revoke_partner(%L, %L)', :'partner_kid', 'again'), '42704', NULL, 'a key is revoked once');
SELECT throws_ok(pg_catalog.format('SELECT trace.register_partner(%L, %L, %L, %L)', '杭州示例燃气具有限公司', '91330100MA2H3K5L19', :'partner_jwk', '{commission}'),
    '42710', 'trace.register_partner: key QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc was revoked and cannot be registered again',
    'a revoked key cannot be registered again');

-- an operator imports only for the units it is bound to (access part's write check)
CREATE ROLE exchange_op1 IN ROLE trace_operator;
SELECT trace.register_partner('北京示例五金店', '92110105MA01ABC2DR', :'other_jwk', '{register_unit}') AS _ \gset
SELECT pg_temp.snap() AS before \gset
SET LOCAL ROLE exchange_op1;
SELECT throws_ok(pg_catalog.format('SELECT trace.import(%L)', :'tok_retailer_unit'), '42501',
    'trace.import: record 1 (register_unit): role "exchange_op1" is not bound to unit 92110105MA01ABC2DR',
    'an operator not bound to the partner''s unit cannot import its records');
RESET ROLE;
SELECT is(pg_temp.snap(), :'before'::jsonb, 'and nothing is written');
SELECT trace.bind_operator('exchange_op1', '92110105MA01ABC2DR') AS _ \gset
SET LOCAL ROLE exchange_op1;
SELECT is(trace.import(:'tok_retailer_unit') ->> 'records', '1', 'bound to it, the operator imports');
RESET ROLE;
SELECT is((SELECT imported_by::text FROM trace.import_log WHERE jti = 'retailer-0001'), 'exchange_op1',
    'the log names the acting role');

-- SQLSTATEs from the C layer
SELECT throws_ok($$SELECT trace._exchange_jwk_key('{"kty":"EC","crv":"SM2","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}')$$,
    '22023', NULL, 'an SM2 point off the curve is refused');
SELECT is(trace._exchange_jwk_key('{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}') ->> 'kid',
    'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', 'kid of the RFC 8037 key is its published thumbprint');
SELECT is(pg_temp.snap() ->> 'partners', '3', 'partner rows: a registration and its revocation, another registration');
SELECT is(trace._status_exchange() - 'missing_guarantees', '{"imports": 3, "partners": 1}', 'status reports partners and imports');

SELECT * FROM finish();
ROLLBACK;
