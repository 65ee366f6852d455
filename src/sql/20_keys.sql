-- Canonical JSON (RFC 8785), signing keys and JWS. See docs/jcs.md and docs/keys.md.

CREATE FUNCTION @extschema@.canonical_json(payload jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_canonical_json_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.canonical_json(jsonb) IS
    'RFC 8785 (JCS) canonical form of a jsonb value; numbers pass through IEEE 754 doubles';

-- Signing: random jti and the clock make these VOLATILE.
CREATE FUNCTION @extschema@.sign(payload jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_sign_sql'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sign(jsonb) IS
    'compact JWS over the canonical JSON of payload, signed with the server key';

CREATE FUNCTION @extschema@.sign(payload jsonb, detached boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_sign_sql'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sign(jsonb, boolean) IS
    'compact JWS; with detached the payload part is left empty';

CREATE FUNCTION @extschema@.sign_json(payload jsonb, detached boolean DEFAULT false) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_sign_json_sql'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sign_json(jsonb, boolean) IS
    'JWS JSON serialization (flattened) over the canonical JSON of payload';

-- Verification depends on the configured keys, hence STABLE.
CREATE FUNCTION @extschema@.jws_verify(jws text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_jws_verify_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jws_verify(text) IS
    'verify a compact or JSON-serialized JWS with the configured keys and return its payload';

CREATE FUNCTION @extschema@.jws_verify(jws text, payload jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_jws_verify_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jws_verify(text, jsonb) IS
    'verify a detached JWS against the canonical JSON of payload';

CREATE FUNCTION @extschema@.jws_verify_detail(jws text, payload jsonb DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_jws_verify_detail_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jws_verify_detail(text, jsonb) IS
    'verify a JWS and return {"header": protected header, "payload": payload}';

CREATE FUNCTION @extschema@.public_jwk() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_public_jwk_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.public_jwk() IS
    'public JWK set {"keys":[...]} of every key that verifies what this database signs';

CREATE FUNCTION @extschema@._status_keys() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_keys_status_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;

REVOKE ALL ON FUNCTION
    @extschema@.canonical_json(jsonb),
    @extschema@.sign(jsonb), @extschema@.sign(jsonb, boolean),
    @extschema@.sign_json(jsonb, boolean),
    @extschema@.jws_verify(text), @extschema@.jws_verify(text, jsonb),
    @extschema@.jws_verify_detail(text, jsonb),
    @extschema@.public_jwk(), @extschema@._status_keys()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.sign(jsonb), @extschema@.sign(jsonb, boolean),
    @extschema@.sign_json(jsonb, boolean)
    TO trace_admin;
GRANT EXECUTE ON FUNCTION
    @extschema@.canonical_json(jsonb),
    @extschema@.jws_verify(text), @extschema@.jws_verify(text, jsonb),
    @extschema@.jws_verify_detail(text, jsonb),
    @extschema@.public_jwk()
    TO trace_admin, trace_operator, trace_regulator, trace_public;
GRANT EXECUTE ON FUNCTION @extschema@._status_keys()
    TO trace_admin, trace_operator, trace_regulator;

-- Partner keys (public JWKs): thumbprint and verification with one given key.
CREATE FUNCTION @extschema@.jwk_thumbprint(jwk jsonb) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_jwk_thumbprint_sql'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jwk_thumbprint(jsonb) IS
    'RFC 7638 thumbprint of a public Ed25519 or SM2 JWK (refuses private keys)';

CREATE FUNCTION @extschema@.jws_verify_jwk(jws text, jwk jsonb, payload jsonb DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_jws_verify_jwk_sql'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.jws_verify_jwk(text, jsonb, jsonb) IS
    'verify a JWS with the given public JWK and return {"header": ..., "payload": ...}';

REVOKE ALL ON FUNCTION @extschema@.jwk_thumbprint(jsonb), @extschema@.jws_verify_jwk(text, jsonb, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.jwk_thumbprint(jsonb), @extschema@.jws_verify_jwk(text, jsonb, jsonb)
    TO trace_admin, trace_operator, trace_regulator, trace_public;
