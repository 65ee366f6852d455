-- Signed exchange with partners (clauses 9.1-9.4, 10.1): partners and their
-- keys, verified all-or-nothing imports, exports masked by audience. The
-- EPCIS 2.0 export is in 62_exchange_epcis.sql. See docs/exchange.md.

-- --------------------------------------------------------------------------
-- C helpers (src/pg/exchange.c). Internal: granted to nobody.
-- --------------------------------------------------------------------------
CREATE FUNCTION @extschema@._exchange_jwk_key(jwk jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_exchange_jwk_key'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._exchange_jws_header(jws text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_exchange_jws_header'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._exchange_jws_verify(jws text, jwk jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_exchange_jws_verify'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- VOLATILE: random jti and the clock in the header.
CREATE FUNCTION @extschema@._exchange_sign(document jsonb, serialization text, detached boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_exchange_sign'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

-- Raise an error with an optional detail (GET STACKED DIAGNOSTICS gives '' for none).
CREATE FUNCTION @extschema@._exchange_fail(state text, msg text, detail text DEFAULT NULL, hint text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    detail := nullif(detail, '');
    hint := nullif(hint, '');
    IF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail, HINT = hint;
END
$$;

-- The role that called: through SECURITY DEFINER functions and SET ROLE when
-- the access part is installed (its trace._acc_acting_role), else the session user.
CREATE FUNCTION @extschema@._exchange_actor() RETURNS name
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r name;
BEGIN
    IF to_regprocedure('@extschema@._acc_acting_role()') IS NOT NULL THEN
        EXECUTE 'SELECT rolname FROM pg_catalog.pg_roles WHERE oid = @extschema@._acc_acting_role()' INTO r;
    END IF;
    RETURN coalesce(r, session_user);
END
$$;

-- The registry writes an import may carry; a partner's scopes name a subset.
CREATE FUNCTION @extschema@._exchange_ops() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '{register_unit,register_product,attach_document,commission,pack,unpack,record_sale,record_purchase}'::text[]
$$;

-- --------------------------------------------------------------------------
-- Ledger tables: partners, the replay store, the import log.
-- --------------------------------------------------------------------------

-- One row per partner key; revoking a key adds a row that supersedes it. A key
-- is registered once: a revoked key cannot come back.
CREATE TABLE @extschema@.partner_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supersedes      bigint UNIQUE REFERENCES @extschema@.partner_record (id),
    revoked         boolean NOT NULL DEFAULT false,
    reason          text,
    name            text NOT NULL CHECK (pg_catalog.btrim(name) <> ''),
    uscc            @extschema@.uscc NOT NULL,
    kid             text NOT NULL,
    alg             text NOT NULL CHECK (alg IN ('EdDSA', 'SM2SM3')),
    jwk             jsonb NOT NULL,
    scopes          text[] NOT NULL CHECK (pg_catalog.cardinality(scopes) > 0),
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL)),
    CHECK (revoked = (supersedes IS NOT NULL))
);
CREATE UNIQUE INDEX partner_record_kid_once ON @extschema@.partner_record (kid) WHERE supersedes IS NULL;

-- Every token id accepted from a partner, so that a token is imported once.
CREATE TABLE @extschema@.import_jti (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_uscc    @extschema@.uscc NOT NULL,
    jti             text NOT NULL,
    kid             text NOT NULL,
    iat             timestamptz NOT NULL,
    exp             timestamptz,
    recorded_at     timestamptz NOT NULL,
    UNIQUE (partner_uscc, jti)
);

-- One row per accepted import, with the token itself (it stays verifiable).
CREATE TABLE @extschema@.import_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      bigint NOT NULL REFERENCES @extschema@.partner_record (id),
    partner_uscc    @extschema@.uscc NOT NULL,
    kid             text NOT NULL,
    jti             text NOT NULL,
    iat             timestamptz NOT NULL,
    exp             timestamptz,
    reference_time  timestamptz NOT NULL,
    records         int NOT NULL,
    operations      jsonb NOT NULL,
    results         jsonb NOT NULL,
    payload_sha256  bytea NOT NULL,
    token           text NOT NULL,
    imported_by     name NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE INDEX import_log_partner ON @extschema@.import_log (partner_uscc, recorded_at);

-- Current partner keys (not superseded, not revoked).
CREATE VIEW @extschema@.partners AS
    SELECT p.id AS partner_id, p.name, p.uscc, p.kid, p.alg, p.jwk, p.scopes, p.recorded_at, p.recorded_by
    FROM @extschema@.partner_record p
    WHERE p.supersedes IS NULL
      AND NOT EXISTS (SELECT 1 FROM @extschema@.partner_record n WHERE n.supersedes = p.id);

CREATE VIEW @extschema@.imports AS
    SELECT l.id AS import_id, l.partner_uscc, p.name AS partner_name, l.kid, l.jti, l.iat, l.exp,
           l.reference_time, l.records, l.operations, l.results,
           pg_catalog.encode(l.payload_sha256, 'hex') AS payload_sha256, l.imported_by, l.recorded_at
    FROM @extschema@.import_log l
    JOIN @extschema@.partner_record p ON p.id = l.partner_id;

-- --------------------------------------------------------------------------
-- Partners
-- --------------------------------------------------------------------------

-- trace.register_partner(name, uscc, jwk, scopes) -> jsonb: register a
-- partner's public key (Ed25519 or SM2 JWK) and the registry writes its
-- signed imports may carry. A partner may hold several keys (rotation).
CREATE FUNCTION @extschema@.register_partner(name text, uscc text, jwk jsonb, scopes text[]) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    problem text;
    k jsonb;
    bad text[];
    owner record;
    new_id bigint;
BEGIN
    IF name IS NULL OR btrim(name) = '' THEN
        PERFORM @extschema@._exchange_fail('23502', 'trace.register_partner: missing mandatory fields: name');
    END IF;
    IF uscc IS NULL THEN
        PERFORM @extschema@._exchange_fail('23502', 'trace.register_partner: missing mandatory fields: uscc');
    END IF;
    problem := @extschema@.validate('uscc', uscc);
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.register_partner: field uscc: ' || problem);
    END IF;
    IF jwk IS NULL OR jsonb_typeof(jwk) <> 'object' THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.register_partner: jwk must be a JSON object (a public JWK)');
    END IF;
    IF jwk ?| '{d,p,q,dp,dq,qi,k}'::text[] THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.register_partner: the JWK contains private key material',
            'Register the partner''s public key only; the private part (member "d") must never leave the partner.');
    END IF;
    k := @extschema@._exchange_jwk_key(jwk);
    IF jwk ? 'kid' AND jwk ->> 'kid' IS DISTINCT FROM k ->> 'kid' THEN
        PERFORM @extschema@._exchange_fail('22023', format('trace.register_partner: the JWK''s kid "%s" is not its RFC 7638 thumbprint %s',
            jwk ->> 'kid', k ->> 'kid'));
    END IF;
    IF scopes IS NULL OR cardinality(scopes) = 0 THEN
        PERFORM @extschema@._exchange_fail('23502', 'trace.register_partner: missing mandatory fields: scopes',
            'Scopes name the registry writes the partner may send: ' || array_to_string(@extschema@._exchange_ops(), ', ') || '.');
    END IF;
    SELECT array_agg(s ORDER BY o) INTO bad
        FROM unnest(scopes) WITH ORDINALITY u(s, o) WHERE s IS NULL OR s <> ALL (@extschema@._exchange_ops());
    IF bad IS NOT NULL THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.register_partner: unknown scopes: ' || array_to_string(bad, ', ', 'NULL'),
            'Known scopes: ' || array_to_string(@extschema@._exchange_ops(), ', ') || '.');
    END IF;
    SELECT p.name, p.uscc, EXISTS (SELECT 1 FROM @extschema@.partner_record r WHERE r.supersedes = p.id) AS revoked
        INTO owner FROM @extschema@.partner_record p WHERE p.kid = k ->> 'kid' AND p.supersedes IS NULL;
    IF FOUND AND owner.revoked THEN
        PERFORM @extschema@._exchange_fail('42710', format('trace.register_partner: key %s was revoked and cannot be registered again',
            k ->> 'kid'), 'A revoked key stays revoked; the partner makes a new key.');
    ELSIF FOUND THEN
        PERFORM @extschema@._exchange_fail('42710', format('trace.register_partner: key %s is already registered to partner %s (%s)',
            k ->> 'kid', owner.name, owner.uscc::text));
    END IF;
    INSERT INTO @extschema@.partner_record (name, uscc, kid, alg, jwk, scopes, recorded_at, recorded_by)
    VALUES (btrim(name), uscc::@extschema@.uscc, k ->> 'kid', k ->> 'alg', k -> 'jwk',
            (SELECT array_agg(DISTINCT s ORDER BY s) FROM unnest(scopes) s), @extschema@._reg_now(), @extschema@._exchange_actor())
    RETURNING id INTO new_id;
    RETURN (SELECT jsonb_build_object('partner_id', p.partner_id, 'name', p.name, 'uscc', p.uscc::text,
                                      'kid', p.kid, 'alg', p.alg, 'scopes', to_jsonb(p.scopes))
            FROM @extschema@.partners p WHERE p.partner_id = new_id);
END
$$;

-- trace.revoke_partner(kid, reason) -> jsonb: a key no longer imports
-- (tokens it signed are refused from now on; past imports stay logged).
CREATE FUNCTION @extschema@.revoke_partner(kid text, reason text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p @extschema@.partner_record;
    new_id bigint;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        PERFORM @extschema@._exchange_fail('23502', 'trace.revoke_partner: missing mandatory fields: reason');
    END IF;
    SELECT r.* INTO p FROM @extschema@.partner_record r JOIN @extschema@.partners c ON c.partner_id = r.id
        WHERE c.kid = revoke_partner.kid;
    IF NOT FOUND THEN
        PERFORM @extschema@._exchange_fail('42704', format('trace.revoke_partner: no current partner key %s', kid));
    END IF;
    INSERT INTO @extschema@.partner_record (supersedes, revoked, reason, name, uscc, kid, alg, jwk, scopes, recorded_at, recorded_by)
    VALUES (p.id, true, reason, p.name, p.uscc, p.kid, p.alg, p.jwk, p.scopes, @extschema@._reg_now(), @extschema@._exchange_actor())
    RETURNING id INTO new_id;
    RETURN jsonb_build_object('partner_id', p.id, 'kid', p.kid, 'revoked', true, 'record_id', new_id);
END
$$;

-- --------------------------------------------------------------------------
-- Import
-- --------------------------------------------------------------------------

-- One claim (iat, exp, jti) from the protected header or, failing that, the
-- payload; both present and different is refused.
CREATE FUNCTION @extschema@._exchange_claim(hdr jsonb, payload jsonb, claim text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF hdr ? claim AND payload ? claim AND hdr -> claim <> payload -> claim THEN
        PERFORM @extschema@._exchange_fail('22P02', format('trace.import: the header and the payload disagree on "%s"', claim));
    END IF;
    RETURN coalesce(hdr -> claim, payload -> claim);
END
$$;

-- A claim that is a NumericDate (RFC 7519: whole or fractional seconds since 1970).
CREATE FUNCTION @extschema@._exchange_time(v jsonb, claim text) RETURNS timestamptz
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF v IS NULL OR jsonb_typeof(v) = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(v) <> 'number' OR (v::text)::numeric < 0 OR (v::text)::numeric > 32503680000 THEN
        PERFORM @extschema@._exchange_fail('22P02', format('trace.import: claim "%s" is not a time in seconds since 1970', claim),
            'Times are JSON numbers (RFC 7519 NumericDate), for example 1782792000.');
    END IF;
    RETURN to_timestamp((v::text)::float8);
END
$$;

-- trace.import(jws [, reference_time]) -> jsonb: verify a partner's signed
-- batch of registry writes and record it whole, or refuse it whole.
-- Checks, in order: the token's form (22P02/22023), its key belongs to a
-- registered partner (TX001), the signature (28000), the issuer (TX001),
-- freshness against the reference time (TX002 expired, TX003 not yet
-- valid), replay of its jti (TX004), the partner's scopes and USCC for every
-- record (TX005); then each record through the registry API and one row in
-- the import log. Any error leaves nothing written.
CREATE FUNCTION @extschema@.import(jws text, reference_time timestamptz DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    max_age constant interval := interval '24 hours';
    leeway constant interval := interval '5 minutes';
    ref timestamptz;
    hdr jsonb;
    token_kid text;
    partner @extschema@.partners;
    revoked_by text;
    verified jsonb;
    payload jsonb;
    iss text;
    iat timestamptz;
    exp timestamptz;
    token_jti jsonb;
    recs jsonb;
    rec jsonb;
    ord int;
    op text;
    data jsonb;
    obj jsonb;
    res jsonb;
    results jsonb := '[]';
    st text; msg text; det text; hnt text;
    log_id bigint;
BEGIN
    ref := coalesce(reference_time,
                    nullif(current_setting('pgtrace.reference_time', true), '')::timestamptz,
                    statement_timestamp());
    IF jws IS NULL OR btrim(jws) = '' THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the token is empty');
    END IF;

    -- the partner, by the key its header names
    hdr := @extschema@._exchange_jws_header(btrim(jws));
    token_kid := hdr ->> 'kid';
    IF token_kid IS NULL OR jsonb_typeof(hdr -> 'kid') <> 'string' THEN
        PERFORM @extschema@._exchange_fail('TX001', 'trace.import: the token names no key (kid)',
            'A partner puts the RFC 7638 thumbprint of its registered key in the protected header as "kid".');
    END IF;
    SELECT p.* INTO partner FROM @extschema@.partners p WHERE p.kid = token_kid;
    IF NOT FOUND THEN
        SELECT format('%s (%s) on %s: %s', r.name, r.uscc::text, @extschema@._reg_iso(r.recorded_at), r.reason) INTO revoked_by
            FROM @extschema@.partner_record r WHERE r.kid = token_kid AND r.revoked;
        IF revoked_by IS NOT NULL THEN
            PERFORM @extschema@._exchange_fail('TX001', format('trace.import: partner key %s was revoked', token_kid),
                'Revoked for ' || revoked_by || '.');
        END IF;
        PERFORM @extschema@._exchange_fail('TX001', format('trace.import: unknown partner: no partner is registered with key %s', token_kid),
            'Register the partner''s public key with trace.register_partner(name, uscc, jwk, scopes).');
    END IF;

    -- the signature, with that partner's key only
    verified := @extschema@._exchange_jws_verify(btrim(jws), partner.jwk);
    payload := verified -> 'payload';
    IF jsonb_typeof(payload) <> 'object' THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the payload is not a JSON object');
    END IF;

    -- the issuer is the partner that holds the key
    iss := payload ->> 'iss';
    IF iss IS NULL THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the payload names no issuer (iss)',
            'The issuer is the USCC of the partner that signs.');
    END IF;
    IF (CASE WHEN @extschema@.validate('uscc', iss) IS NOT NULL THEN true
             ELSE iss::@extschema@.uscc OPERATOR(@extschema@.<>) partner.uscc END) THEN
        PERFORM @extschema@._exchange_fail('TX001', format('trace.import: the token claims issuer %s, but key %s belongs to partner %s (%s)',
            iss, token_kid, partner.name, partner.uscc::text));
    END IF;

    -- freshness against the reference time
    iat := @extschema@._exchange_time(@extschema@._exchange_claim(hdr, payload, 'iat'), 'iat');
    exp := @extschema@._exchange_time(@extschema@._exchange_claim(hdr, payload, 'exp'), 'exp');
    IF iat IS NULL THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the token has no issue time (iat)');
    END IF;
    IF iat > ref + leeway THEN
        PERFORM @extschema@._exchange_fail('TX003', format('trace.import: the token is not yet valid: issued at %s, reference time %s',
            @extschema@._reg_iso(iat), @extschema@._reg_iso(ref)),
            'Tokens issued more than 5 minutes after the reference time are refused.');
    END IF;
    IF exp IS NOT NULL AND exp <= ref THEN
        PERFORM @extschema@._exchange_fail('TX002', format('trace.import: the token expired at %s (reference time %s)',
            @extschema@._reg_iso(exp), @extschema@._reg_iso(ref)));
    END IF;
    IF exp IS NULL AND iat + max_age < ref THEN
        PERFORM @extschema@._exchange_fail('TX002', format('trace.import: the token expired: issued at %s, without "exp" it is valid for 24 hours (reference time %s)',
            @extschema@._reg_iso(iat), @extschema@._reg_iso(ref)));
    END IF;

    -- the token id
    token_jti := @extschema@._exchange_claim(hdr, payload, 'jti');
    IF token_jti IS NULL OR jsonb_typeof(token_jti) <> 'string' OR length(token_jti #>> '{}') NOT BETWEEN 1 AND 256 THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the token has no token id (jti)',
            'jti is a string of 1 to 256 characters, unique per partner.');
    END IF;

    -- the records: shape, scopes and the partner's own USCC, all before any write
    recs := payload -> 'records';
    IF recs IS NULL OR jsonb_typeof(recs) <> 'array' OR jsonb_array_length(recs) = 0 THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.import: the payload has no records',
            'The payload is {"iss": <USCC>, "records": [{"op": <registry write>, "data": <its argument>}, ...]}.');
    END IF;
    FOR rec, ord IN SELECT e, o::int FROM jsonb_array_elements(recs) WITH ORDINALITY x(e, o) LOOP
        IF jsonb_typeof(rec) <> 'object' OR jsonb_typeof(rec -> 'op') IS DISTINCT FROM 'string'
           OR coalesce(jsonb_typeof(rec -> 'data'), 'null') NOT IN ('object', 'array') THEN
            PERFORM @extschema@._exchange_fail('22P02', format('trace.import: record %s is not {"op": <text>, "data": <object or array>}', ord));
        END IF;
        op := rec ->> 'op';
        IF op <> ALL (@extschema@._exchange_ops()) THEN
            PERFORM @extschema@._exchange_fail('22023', format('trace.import: record %s: unknown operation "%s"', ord, op),
                'Operations: ' || array_to_string(@extschema@._exchange_ops(), ', ') || '.');
        END IF;
        IF op <> ALL (partner.scopes) THEN
            PERFORM @extschema@._exchange_fail('TX005', format('trace.import: scope violation: record %s (%s) is outside the scopes of partner %s (%s)',
                ord, op, partner.name, partner.uscc::text),
                'The partner may send: ' || array_to_string(partner.scopes, ', ') || '.');
        END IF;
        data := rec -> 'data';
        FOR obj IN SELECT CASE WHEN jsonb_typeof(data) = 'array' THEN e ELSE data END
                   FROM jsonb_array_elements(CASE WHEN jsonb_typeof(data) = 'array' THEN data ELSE '[null]' END) e LOOP
            IF (CASE WHEN jsonb_typeof(obj) IS DISTINCT FROM 'object' OR jsonb_typeof(obj -> 'uscc') IS DISTINCT FROM 'string'
                          OR @extschema@.validate('uscc', obj ->> 'uscc') IS NOT NULL THEN true
                     ELSE (obj ->> 'uscc')::@extschema@.uscc OPERATOR(@extschema@.<>) partner.uscc END) THEN
                PERFORM @extschema@._exchange_fail('TX005', format('trace.import: scope violation: record %s (%s) is for %s, not for partner %s',
                    ord, op, coalesce(obj ->> 'uscc', 'no unit'), partner.uscc::text),
                    'A partner records only for its own unit: every object in "data" names its USCC in "uscc".');
            END IF;
        END LOOP;
    END LOOP;

    -- replay: the token id is taken once per partner (a concurrent import of
    -- the same token waits for this one and then fails here)
    BEGIN
        INSERT INTO @extschema@.import_jti (partner_uscc, jti, kid, iat, exp, recorded_at)
        VALUES (partner.uscc, token_jti #>> '{}', token_kid, iat, exp, ref);
    EXCEPTION WHEN unique_violation THEN
        PERFORM @extschema@._exchange_fail('TX004', format('trace.import: replayed token: jti %s of partner %s was already imported',
            token_jti #>> '{}', partner.uscc::text),
            (SELECT 'It was imported on ' || @extschema@._reg_iso(j.recorded_at) || '.' FROM @extschema@.import_jti j
              WHERE j.partner_uscc OPERATOR(@extschema@.=) partner.uscc AND j.jti = token_jti #>> '{}'));
    END;

    -- the records, through the registry API
    FOR rec, ord IN SELECT e, o::int FROM jsonb_array_elements(recs) WITH ORDINALITY x(e, o) LOOP
        op := rec ->> 'op';
        data := rec -> 'data';
        BEGIN
            res := CASE op
                WHEN 'register_unit' THEN @extschema@.register_unit(data)
                WHEN 'register_product' THEN @extschema@.register_product(data)
                WHEN 'attach_document' THEN @extschema@.attach_document(data)
                WHEN 'commission' THEN @extschema@.commission(data)
                WHEN 'pack' THEN @extschema@.pack(data)
                WHEN 'unpack' THEN @extschema@.unpack(data)
                WHEN 'record_sale' THEN @extschema@.record_sale(data)
                WHEN 'record_purchase' THEN @extschema@.record_purchase(data)
            END;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
            PERFORM @extschema@._exchange_fail(st, format('trace.import: record %s (%s): %s', ord, op, msg), det, hnt);
        END;
        results := results || jsonb_build_array(jsonb_build_object('op', op, 'result', res));
    END LOOP;

    INSERT INTO @extschema@.import_log (partner_id, partner_uscc, kid, jti, iat, exp, reference_time, records,
                                        operations, results, payload_sha256, token, imported_by, recorded_at)
    VALUES (partner.partner_id, partner.uscc, token_kid, token_jti #>> '{}', iat, exp, ref, jsonb_array_length(recs),
            (SELECT jsonb_agg(e -> 'op' ORDER BY o) FROM jsonb_array_elements(recs) WITH ORDINALITY x(e, o)),
            results, sha256(convert_to(@extschema@.canonical_json(payload), 'UTF8')), btrim(jws), @extschema@._exchange_actor(),
            @extschema@._reg_now())
    RETURNING id INTO log_id;

    RETURN jsonb_build_object('import_id', log_id, 'partner', partner.name, 'uscc', partner.uscc::text,
                              'kid', token_kid, 'jti', token_jti, 'records', jsonb_array_length(recs), 'results', results);
END
$$;

-- --------------------------------------------------------------------------
-- Masking by audience (clause 9.4) and signed exports
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@._exchange_audience(audience text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF audience IS NULL OR audience NOT IN ('public', 'partner', 'regulator') THEN
        PERFORM @extschema@._exchange_fail('22023', format('unknown audience "%s"', coalesce(audience, 'NULL')),
            'Audiences: public, partner, regulator. Only the regulator sees a natural person''s name and contact.');
    END IF;
    RETURN audience;
END
$$;

-- trace.mask(event jsonb, audience text) -> jsonb: a flow record (or a
-- history event) as the audience may see it. A counterparty without a USCC
-- is a natural person (an individual consumer): its name, address and
-- contact are replaced by "***" for every audience except 'regulator', and
-- "masked" lists the fields replaced.
CREATE FUNCTION @extschema@.mask(event jsonb, audience text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    hidden text[] := '{}';
    f text;
BEGIN
    PERFORM @extschema@._exchange_audience(audience);
    IF event IS NULL OR jsonb_typeof(event) <> 'object' OR audience = 'regulator' THEN
        RETURN event;
    END IF;
    IF coalesce(event ->> 'buyer_uscc', '') = '' THEN
        FOREACH f IN ARRAY '{buyer_name,buyer_address,buyer_contact,customer_name}'::text[] LOOP
            IF coalesce(event ->> f, '') <> '' THEN
                hidden := hidden || f;
            END IF;
        END LOOP;
    END IF;
    IF coalesce(event ->> 'supplier_uscc', '') = '' AND coalesce(event ->> 'supplier_name', '') <> '' THEN
        hidden := hidden || 'supplier_name'::text;
    END IF;
    IF cardinality(hidden) = 0 THEN
        RETURN event;
    END IF;
    FOREACH f IN ARRAY hidden LOOP
        event := jsonb_set(event, ARRAY[f], '"***"');
    END LOOP;
    RETURN event || jsonb_build_object('masked', to_jsonb(hidden));
END
$$;

-- trace.history_document(code, audience) -> jsonb: what export_history signs.
CREATE FUNCTION @extschema@.history_document(code text, audience text DEFAULT 'public') RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h jsonb;
BEGIN
    PERFORM @extschema@._exchange_audience(audience);
    h := @extschema@.history(code);
    IF h IS NULL THEN
        PERFORM @extschema@._exchange_fail('P0002', format('no item with trace code %s', code));
    END IF;
    RETURN jsonb_build_object(
        'type', 'pgtrace.history', 'version', 1, 'audience', audience,
        'history', h || jsonb_build_object('events',
            coalesce((SELECT jsonb_agg(@extschema@.mask(e, audience) ORDER BY o)
                      FROM jsonb_array_elements(h -> 'events') WITH ORDINALITY x(e, o)), '[]')));
END
$$;

-- trace.unit_document(uscc, from, to, audience) -> jsonb: one unit's records
-- with event times in [from, to) (items by production date), masked.
CREATE FUNCTION @extschema@.unit_document(uscc text, "from" timestamptz, "to" timestamptz, audience text DEFAULT 'public')
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    u @extschema@.uscc;
    problem text := @extschema@.validate('uscc', uscc);
    unit jsonb;
BEGIN
    PERFORM @extschema@._exchange_audience(audience);
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.unit_document: field uscc: ' || problem);
    END IF;
    IF "from" IS NULL OR "to" IS NULL OR "from" >= "to" THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.unit_document: the period needs "from" before "to"');
    END IF;
    u := uscc::@extschema@.uscc;
    SELECT jsonb_build_object('uscc', x.uscc::text, 'unit_name', x.unit_name, 'roles', to_jsonb(x.roles),
                              'address', x.address, 'contact', x.contact)
        INTO unit FROM @extschema@.units x WHERE x.uscc OPERATOR(@extschema@.=) u;
    IF unit IS NULL THEN
        PERFORM @extschema@._exchange_fail('P0002', format('no unit with USCC %s', uscc));
    END IF;
    RETURN jsonb_build_object(
        'type', 'pgtrace.unit_records', 'version', 1, 'audience', audience,
        'uscc', u::text, 'from', @extschema@._reg_iso("from"), 'to', @extschema@._reg_iso("to"),
        'unit', unit,
        'items', coalesce((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                     'trace_code', i.trace_code::text, 'gtin', i.gtin::text, 'product_name', i.product_name,
                     'spec_model', i.spec_model, 'production_date', i.production_date,
                     'serial_or_batch', i.serial_or_batch, 'record_id', i.record_id)) ORDER BY i.production_date, i.record_id)
                   FROM @extschema@.items i
                   WHERE i.uscc OPERATOR(@extschema@.=) u
                     AND ((i.production_date::timestamp - interval '8 hours') AT TIME ZONE 'UTC') >= "from"
                     AND ((i.production_date::timestamp - interval '8 hours') AT TIME ZONE 'UTC') < "to"), '[]'),
        'package_events', coalesce((SELECT jsonb_agg(jsonb_build_object(
                     'action', e.action, 'package_code', e.package_code::text, 'content_code', e.content_code::text,
                     'at', @extschema@._reg_iso(e.event_time), 'record_id', e.record_id) ORDER BY e.event_time, e.record_id)
                   FROM @extschema@.package_events e
                   WHERE e.uscc OPERATOR(@extschema@.=) u AND e.event_time >= "from" AND e.event_time < "to"), '[]'),
        'flows', coalesce((SELECT jsonb_agg(@extschema@.mask(jsonb_strip_nulls(jsonb_build_object(
                     'kind', f.kind, 'trace_code', f.trace_code::text, 'at', @extschema@._reg_iso(f.event_time),
                     'buyer_name', f.buyer_name, 'buyer_address', f.buyer_address, 'buyer_contact', f.buyer_contact,
                     'buyer_uscc', f.buyer_uscc::text, 'supplier_name', f.supplier_name, 'supplier_uscc', f.supplier_uscc::text,
                     'customer_name', f.customer_name, 'quantity', f.quantity, 'flow_id', f.flow_id)), audience)
                     ORDER BY f.event_time, f.record_id)
                   FROM @extschema@.flows f
                   WHERE f.uscc OPERATOR(@extschema@.=) u AND f.event_time >= "from" AND f.event_time < "to"), '[]'));
END
$$;

-- Signed exports: the document is assembled with the caller's privileges,
-- then signed with the server key (src/pg/exchange.c).
CREATE FUNCTION @extschema@.export_history(code text, audience text DEFAULT 'public',
                                           serialization text DEFAULT 'compact', detached boolean DEFAULT false)
    RETURNS text
    AS 'MODULE_PATHNAME', 'pt_exchange_export_history'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION @extschema@.export_unit(uscc text, "from" timestamptz, "to" timestamptz, audience text DEFAULT 'public',
                                        serialization text DEFAULT 'compact', detached boolean DEFAULT false)
    RETURNS text
    AS 'MODULE_PATHNAME', 'pt_exchange_export_unit'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
