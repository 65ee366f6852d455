-- Labels and anti-counterfeiting (clauses 6.1.3, 6.2, 7): QR codes, unguessable
-- serials, labels with a signed verification element, and verify-on-scan with
-- a ledger of scans. See docs/labels.md.

-- --------------------------------------------------------------------------
-- QR codes (contract: trace.qr_svg(text), trace.qr_png(text))
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@.qr_svg(content text, ecc text DEFAULT 'M',
                                   module_size integer DEFAULT 4, quiet_zone integer DEFAULT 4)
    RETURNS text
    AS 'MODULE_PATHNAME', 'pt_qr_svg' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_svg(text, text, integer, integer) IS
    'QR code of the text (UTF-8, byte for byte) as an SVG document';

CREATE FUNCTION @extschema@.qr_png(content text, ecc text DEFAULT 'M',
                                   module_size integer DEFAULT 4, quiet_zone integer DEFAULT 4)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'pt_qr_png' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.qr_png(text, text, integer, integer) IS
    'QR code of the text (UTF-8, byte for byte) as a 1-bit greyscale PNG image';

-- --------------------------------------------------------------------------
-- Serial numbers that cannot be guessed
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@._random_serials(n integer, length integer, alphabet text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'pt_random_serials' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.new_serials(gtin @extschema@.gtin, n integer,
                                        length integer DEFAULT 12, alphabet text DEFAULT 'alnum')
    RETURNS TABLE (serial text, code @extschema@.code)
    LANGUAGE sql VOLATILE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s, @extschema@.code($1, s)
    FROM pg_catalog.unnest(@extschema@._random_serials($2, $3, $4)) AS s
$$;
COMMENT ON FUNCTION @extschema@.new_serials(@extschema@.gtin, integer, integer, text) IS
    'n distinct random serial numbers (GS1 character set 82) for the GTIN, with their trace codes';

-- --------------------------------------------------------------------------
-- Settings and signing helpers (C)
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@._labels_config() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_labels_config' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._label_sign(code text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_label_sign' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
CREATE FUNCTION @extschema@._label_token(token text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_label_token_parts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._label_verify(code text, iat bigint, jti text, signature text, kid text, alg text)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_label_verify' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- ISO 8601 in UTC, whatever DateStyle and TimeZone say.
CREATE FUNCTION @extschema@._lbl_iso(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN pg_catalog.to_char(pg_catalog.timezone('UTC', t), 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

-- Which key verifies a label's element: the kid, or NULL when none does.
CREATE FUNCTION @extschema@._label_check(code text, element jsonb) RETURNS text
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k jsonb;
BEGIN
    FOR k IN SELECT j FROM pg_catalog.jsonb_array_elements(@extschema@.public_jwk() -> 'keys') j
    LOOP
        BEGIN
            PERFORM @extschema@._label_verify(code, (element ->> 'iat')::bigint,
                                              element ->> 'jti',
                                              element ->> 'signature',
                                              k ->> 'kid', k ->> 'alg');
            RETURN k ->> 'kid';
        EXCEPTION WHEN invalid_authorization_specification OR invalid_text_representation
                       OR invalid_parameter_value THEN
            NULL;   -- not this key
        END;
    END LOOP;
    RETURN NULL;
END
$$;

-- --------------------------------------------------------------------------
-- Ledger tables: labels issued, scans
-- --------------------------------------------------------------------------

CREATE TABLE @extschema@.label_issue (
    code        @extschema@.code NOT NULL,
    jti         text NOT NULL,
    iat         bigint NOT NULL,
    kid         text NOT NULL,
    alg         text NOT NULL,
    domain      text NOT NULL,
    issued_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX label_issue_jti ON @extschema@.label_issue (jti);
CREATE INDEX label_issue_code ON @extschema@.label_issue (code, iat);
COMMENT ON TABLE @extschema@.label_issue IS
    'Labels issued by trace.label(): one row per signed verification element; append-only ledger table';

CREATE TABLE @extschema@.label_scan (
    scanned       text NOT NULL,
    code          @extschema@.code,
    scan_time     timestamptz NOT NULL,
    lat           double precision CHECK (lat BETWEEN -90 AND 90),
    lon           double precision CHECK (lon BETWEEN -180 AND 180),
    place         text,
    device        text,
    context       jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('genuine', 'forged', 'unknown')),
    flags         jsonb NOT NULL,
    earlier_scans bigint NOT NULL,
    label_jti     text,
    series        text,      -- GTIN or '00' (SSCC), and the serial's text before its trailing digits
    serial_number numeric    -- the serial's trailing digits
);
CREATE INDEX label_scan_code ON @extschema@.label_scan (code, scan_time);
CREATE INDEX label_scan_series ON @extschema@.label_scan (series, scan_time) WHERE series IS NOT NULL;
COMMENT ON TABLE @extschema@.label_scan IS
    'Every trace.verify_scan() call: what was scanned, where, when, and the verdict; append-only ledger table';

SELECT @extschema@.ledger_enable('@extschema@.label_issue'::pg_catalog.regclass);
SELECT @extschema@.ledger_enable('@extschema@.label_scan'::pg_catalog.regclass);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.label_issue', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.label_scan', '');

-- The units a code belongs to: the unit that commissioned it, the unit that
-- registered its GTIN, the unit that packed it, or — for an SSCC not packed
-- yet — the units whose products' GTINs share its first seven digits of GS1
-- company prefix (the shortest prefix GS1 China issues).
CREATE FUNCTION @extschema@._label_owners(c @extschema@.code) RETURNS @extschema@.uscc[]
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE(pg_catalog.array_agg(DISTINCT x.u), '{}')
    FROM (SELECT i.uscc AS u FROM @extschema@.items i WHERE i.trace_code OPERATOR(@extschema@.=) c
          UNION ALL
          SELECT p.uscc FROM @extschema@.products p WHERE p.gtin OPERATOR(@extschema@.=) @extschema@.gtin(c)
          UNION ALL
          SELECT e.uscc FROM @extschema@.package_events e
           WHERE e.package_code OPERATOR(@extschema@.=) c AND e.action = 'pack'
          UNION ALL
          SELECT p.uscc FROM @extschema@.products p
           WHERE c::text LIKE '(00)%'
             AND pg_catalog.substr(p.gtin::text, 2, 7) = pg_catalog.substr(c::text, 6, 7)) x
$$;

-- --------------------------------------------------------------------------
-- trace.label(code)
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@.label(code @extschema@.code, domain text DEFAULT NULL,
                                  ecc text DEFAULT 'M', module_size integer DEFAULT 4)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    dom text := COALESCE(domain, @extschema@._labels_config() ->> 'label_domain');
    ctext text;
    kind text;
    dl text;
    sig jsonb;
    uri text;
    hri text;
    svg text;
    actor oid;
    owners @extschema@.uscc[];
BEGIN
    IF code IS NULL THEN
        RETURN NULL;
    END IF;
    ctext := code::text;
    -- who may sign: trace_admin anything; an operator only the codes of the units it is bound to
    PERFORM @extschema@._acc_require_tls('labels');
    actor := @extschema@._acc_acting_role();
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = actor)
       AND NOT pg_catalog.pg_has_role(actor, 'trace_admin', 'USAGE') THEN
        owners := @extschema@._label_owners(code);
        IF NOT (owners && @extschema@._acc_units_of(pg_catalog.pg_get_userbyid(actor))) THEN
            RAISE EXCEPTION 'role "%" may not make labels for trace code "%"', pg_catalog.pg_get_userbyid(actor), ctext
                USING ERRCODE = '42501',
                      DETAIL = CASE WHEN pg_catalog.cardinality(owners) = 0
                                    THEN 'No registered unit owns this code: register its product (or pack the carton) first, or ask trace_admin.'
                                    ELSE pg_catalog.format('The code belongs to %s, and the role is not bound to it (trace.bind_operator).',
                                                           pg_catalog.array_to_string(owners, ', ')) END;
        END IF;
    END IF;
    IF @extschema@.scheme(code) <> 'gs1' THEN
        RAISE EXCEPTION 'cannot make a label for trace code "%"', ctext
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('Labels carry a GS1 Digital Link; this code is of scheme %s.',
                                             @extschema@.scheme(code));
    END IF;
    kind := CASE
        WHEN ctext LIKE '(00)%' THEN 'package'
        WHEN @extschema@.serial(code) IS NOT NULL THEN 'unit'
        ELSE 'other' END;
    dl := @extschema@.digital_link(code, dom);
    -- the QR parameters are checked before anything is signed or recorded
    PERFORM @extschema@.qr_svg('x', ecc, module_size, 4);

    sig := @extschema@._label_sign(ctext);
    uri := dl || CASE WHEN pg_catalog.strpos(dl, '?') > 0 THEN '&' ELSE '?' END
              || 'sig=' || (sig ->> 'token');
    SELECT pg_catalog.string_agg(pg_catalog.format('(%s) %s', a ->> 'ai',
                                                   a ->> 'value'), ' ' ORDER BY o)
      INTO hri
      FROM pg_catalog.jsonb_array_elements(@extschema@.parse_scan(ctext, DATE '2000-01-01') -> 'ais')
           WITH ORDINALITY AS x(a, o);
    svg := @extschema@.qr_svg(uri, ecc, module_size, 4);

    INSERT INTO @extschema@.label_issue (code, jti, iat, kid, alg, domain, issued_at)
    VALUES (code, sig ->> 'jti', (sig ->> 'iat')::bigint,
            sig ->> 'kid', sig ->> 'alg', dom, pg_catalog.now());

    RETURN pg_catalog.jsonb_build_object(
        'code', ctext,
        'kind', kind,
        'digital_link', uri,
        'hri', hri,
        'verification', pg_catalog.jsonb_build_object(
            'method', 'pgtrace-label-v1',
            'parameter', 'sig',
            'token', sig ->> 'token',
            'alg', sig ->> 'alg',
            'kid', sig ->> 'kid',
            'iat', (sig ->> 'iat')::bigint,
            'jti', sig ->> 'jti'),
        'qr', pg_catalog.jsonb_build_object('ecc', pg_catalog.upper(ecc), 'module_size', module_size, 'quiet_zone', 4),
        'qr_svg', svg);
END
$$;
COMMENT ON FUNCTION @extschema@.label(@extschema@.code, text, text, integer) IS
    'Label of a unit or package: Digital Link with a signed verification element, human-readable line, QR as SVG';

-- --------------------------------------------------------------------------
-- trace.verify_scan(scanned, context)
-- --------------------------------------------------------------------------

-- Great-circle distance in km (haversine, mean Earth radius 6371 km).
CREATE FUNCTION @extschema@._lbl_km(lat1 double precision, lon1 double precision,
                                    lat2 double precision, lon2 double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    RETURN 2 * 6371 * pg_catalog.asin(pg_catalog.sqrt(
        pg_catalog.power(pg_catalog.sin(pg_catalog.radians(lat2 - lat1) / 2), 2)
        + (pg_catalog.cos(pg_catalog.radians(lat1)) * pg_catalog.cos(pg_catalog.radians(lat2))
           * pg_catalog.power(pg_catalog.sin(pg_catalog.radians(lon2 - lon1) / 2), 2))));

-- A number from the scan context, range-checked; NULL when absent.
CREATE FUNCTION @extschema@._lbl_coord(context jsonb, name text, lo double precision, hi double precision)
    RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v jsonb := context -> name;
    d double precision;
BEGIN
    IF v IS NULL OR v = 'null'::jsonb THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.jsonb_typeof(v) <> 'number' THEN
        RAISE EXCEPTION 'context.% must be a number', name
            USING ERRCODE = '22023', DETAIL = pg_catalog.format('Got %s.', v);
    END IF;
    d := (v #>> '{}')::double precision;
    IF d < lo OR d > hi THEN
        RAISE EXCEPTION 'context.% = % is out of range', name, v
            USING ERRCODE = '22003', DETAIL = pg_catalog.format('It must lie between %s and %s degrees.', lo, hi);
    END IF;
    RETURN d;
END
$$;

-- The scan time from context.time (ISO 8601 with a UTC offset), or now().
CREATE FUNCTION @extschema@._lbl_time(context jsonb) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v jsonb := context -> 'time';
    s text;
BEGIN
    IF v IS NULL OR v = 'null'::jsonb THEN
        RETURN pg_catalog.now();
    END IF;
    s := v #>> '{}';
    IF pg_catalog.jsonb_typeof(v) <> 'string'
       OR s !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$' THEN
        RAISE EXCEPTION 'context.time is not an ISO 8601 time with a UTC offset: %', v
            USING ERRCODE = '22007', DETAIL = 'Write it like 2026-11-26T08:30:00Z or 2026-11-26T16:30:00+08:00.';
    END IF;
    BEGIN
        RETURN s::timestamptz;
    EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
        RAISE EXCEPTION 'context.time is not a valid time: %', v USING ERRCODE = '22007';
    END;
END
$$;

CREATE FUNCTION @extschema@.verify_scan(scanned text, context jsonb DEFAULT '{}')
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ctx jsonb := COALESCE(context, '{}'::jsonb);
    cfg jsonb := @extschema@._labels_config();
    t timestamptz;
    v_lat double precision;
    v_lon double precision;
    v_place text;
    v_device text;
    parsed jsonb;
    c @extschema@.code;
    ctext text;
    m text[];
    element jsonb;
    has_element boolean := false;
    kid text;
    v_status text := 'unknown';
    v_flags jsonb := '[]';
    earlier bigint := 0;
    v_series text;
    v_num numeric;
    public_info jsonb;
    registry boolean := pg_catalog.to_regclass('@extschema@.items') IS NOT NULL
                        AND pg_catalog.to_regclass('@extschema@.flows') IS NOT NULL;
    lookup boolean := pg_catalog.to_regprocedure('@extschema@.lookup(text)') IS NOT NULL;
    r record;
    n bigint;
    found_it boolean;
    sold_at timestamptz;
    seq bigint;
    issued record;
    verification jsonb := pg_catalog.jsonb_build_object('present', false);
BEGIN
    IF scanned IS NULL THEN
        RAISE EXCEPTION 'scanned text is null' USING ERRCODE = '22004';
    END IF;
    IF pg_catalog.jsonb_typeof(ctx) <> 'object' THEN
        RAISE EXCEPTION 'context must be a JSON object' USING ERRCODE = '22023',
            DETAIL = 'Keys: time, lat, lon, place, device.';
    END IF;
    t := @extschema@._lbl_time(ctx);
    v_lat := @extschema@._lbl_coord(ctx, 'lat', -90, 90);
    v_lon := @extschema@._lbl_coord(ctx, 'lon', -180, 180);
    IF (v_lat IS NULL) <> (v_lon IS NULL) THEN
        RAISE EXCEPTION 'context has % without %', CASE WHEN v_lat IS NULL THEN 'lon' ELSE 'lat' END,
                        CASE WHEN v_lat IS NULL THEN 'lat' ELSE 'lon' END
            USING ERRCODE = '22023', DETAIL = 'A location is given by both lat and lon, in degrees (WGS 84).';
    END IF;
    v_place := ctx ->> 'place';
    v_device := ctx ->> 'device';

    parsed := @extschema@.parse_scan(scanned, (pg_catalog.timezone('UTC', t))::date);
    ctext := parsed ->> 'code';
    IF ctext IS NULL THEN
        v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
            'flag', 'unreadable',
            'detail', COALESCE(parsed ->> 'code_error',
                               parsed #>> '{problems,0,message}',
                               'not a trace code')));
    ELSE
        c := ctext::@extschema@.code;

        -- the verification element: ?sig=<iat>.<jti>.<signature> on a Digital Link
        IF parsed ->> 'form' = 'digital_link' THEN
            m := pg_catalog.regexp_match(scanned, '[?&]sig=([^&#]*)');
        END IF;
        IF m IS NOT NULL
           AND pg_catalog.jsonb_array_length(@extschema@.public_jwk() -> 'keys') = 0 THEN
            -- no key to check with: nothing can be said about the element
            verification := pg_catalog.jsonb_build_object('present', true, 'valid', NULL);
            v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'flag', 'no_verification_key',
                'detail', 'the database has no key to check verification elements with (pgtrace.signing_key_file, pgtrace.verify_key_file)'));
        ELSIF m IS NOT NULL THEN
            has_element := true;
            element := @extschema@._label_token(m[1]);
            IF element IS NOT NULL THEN
                kid := @extschema@._label_check(ctext, element);
            END IF;
            IF kid IS NOT NULL THEN
                v_status := 'genuine';
                verification := pg_catalog.jsonb_build_object(
                    'present', true, 'valid', true, 'kid', kid,
                    'signed_at', @extschema@._lbl_iso(pg_catalog.to_timestamp((element ->> 'iat')::bigint)));
                SELECT li.jti, li.ledger_seq INTO issued FROM @extschema@.label_issue li
                 WHERE li.jti = (element ->> 'jti');
                IF NOT FOUND THEN
                    v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                        'flag', 'label_not_issued',
                        'detail', 'the signature is valid but no label with this element was issued by this database'));
                ELSIF EXISTS (SELECT 1 FROM @extschema@.label_issue li
                               WHERE li.code OPERATOR(@extschema@.=) c
                                 AND li.ledger_seq > issued.ledger_seq) THEN
                    v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                        'flag', 'superseded_label',
                        'detail', 'a newer label was issued for this code; this one is an old print'));
                END IF;
            ELSE
                v_status := 'forged';
                verification := pg_catalog.jsonb_build_object('present', true, 'valid', false);
                v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'flag', 'wrong_verification_element',
                    'detail', CASE WHEN element IS NULL
                                   THEN 'the verification element is malformed'
                                   ELSE 'the verification element was not made by this database''s key for this code' END));
            END IF;
        ELSE
            v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'flag', 'no_verification_element',
                'detail', 'the scan carries no verification element, so it proves nothing about the label'));
        END IF;

        -- commissioning, and the sale to an end customer (a seller's sale
        -- without a buyer USCC), from the registry when it is installed
        -- (static SQL: planned once per session; not parsed unless reached)
        IF registry THEN
            found_it := EXISTS (SELECT 1 FROM @extschema@.items i WHERE i.trace_code OPERATOR(@extschema@.=) c)
                     OR EXISTS (SELECT 1 FROM @extschema@.package_events e WHERE e.package_code OPERATOR(@extschema@.=) c);
            IF NOT found_it THEN
                v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'flag', 'not_commissioned',
                    'detail', 'the registry has no unit or package with this code'));
            END IF;
            SELECT pg_catalog.min(COALESCE(f.sold_time, f.event_time)) INTO sold_at
              FROM @extschema@.flows f
             WHERE f.trace_code OPERATOR(@extschema@.=) c AND f.kind = 'seller_sale'
               AND f.buyer_uscc IS NULL AND COALESCE(f.sold_time, f.event_time) < t;
            IF sold_at IS NOT NULL THEN
                v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'flag', 'after_sale',
                    'detail', pg_catalog.format('the unit was sold to an end customer at %s', @extschema@._lbl_iso(sold_at))));
            END IF;
        ELSIF NOT EXISTS (SELECT 1 FROM @extschema@.label_issue li WHERE li.code OPERATOR(@extschema@.=) c) THEN
            v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'flag', 'never_labelled',
                'detail', 'this database never issued a label for this code'));
        END IF;

        -- earlier scans, and the same code far away within a short time
        SELECT pg_catalog.count(*) INTO earlier FROM @extschema@.label_scan s WHERE s.code OPERATOR(@extschema@.=) c;
        IF v_lat IS NOT NULL THEN
            SELECT s.ledger_seq, s.scan_time, s.place,
                   @extschema@._lbl_km(v_lat, v_lon, s.lat, s.lon) AS km,
                   pg_catalog.abs(EXTRACT(epoch FROM t - s.scan_time)) / 3600 AS hours
              INTO r
              FROM @extschema@.label_scan s
             WHERE s.code OPERATOR(@extschema@.=) c AND s.lat IS NOT NULL
               AND s.scan_time >= t -
                       pg_catalog.make_interval(secs => (cfg ->> 'travel_window_s')::double precision)
               AND s.scan_time <= t +
                       pg_catalog.make_interval(secs => (cfg ->> 'travel_window_s')::double precision)
               AND @extschema@._lbl_km(v_lat, v_lon, s.lat, s.lon) >=
                       (cfg ->> 'min_distance_km')::double precision
               AND @extschema@._lbl_km(v_lat, v_lon, s.lat, s.lon) >
                       (cfg ->> 'max_speed_kmh')::double precision *
                       pg_catalog.abs(EXTRACT(epoch FROM t - s.scan_time)) / 3600
             ORDER BY 4 DESC, s.ledger_seq
             LIMIT 1;
            IF FOUND THEN
                v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'flag', 'far_apart',
                    'detail', pg_catalog.format('scanned %s km away%s %s hours apart (scan %s)',
                                                pg_catalog.round(r.km::numeric),
                                                COALESCE(' at ' || r.place, ''),
                                                pg_catalog.round(r.hours::numeric, 1), r.ledger_seq)));
            END IF;
        END IF;

        -- bursts of scans of sequential codes of one series
        m := pg_catalog.regexp_match(ctext, '^\(01\)(\d{14})\(21\)(.*?)(\d{1,30})$');
        IF m IS NOT NULL THEN
            v_series := m[1] || '/' || m[2];
            v_num := m[3]::numeric;
        ELSE
            m := pg_catalog.regexp_match(ctext, '^\(00\)(\d{17})\d$');
            IF m IS NOT NULL THEN
                v_series := '00';
                v_num := m[1]::numeric;
            END IF;
        END IF;
        IF v_series IS NOT NULL THEN
            SELECT pg_catalog.count(DISTINCT s.code) INTO n
              FROM @extschema@.label_scan s
             WHERE s.series = v_series
               AND s.code OPERATOR(@extschema@.<>) c
               AND s.scan_time <= t
               AND s.scan_time > t -
                       pg_catalog.make_interval(secs => (cfg ->> 'burst_window_s')::double precision)
               AND pg_catalog.abs(s.serial_number - v_num) <=
                       (cfg ->> 'burst_span')::numeric;
            IF n + 1 >= (cfg ->> 'burst_count')::bigint THEN
                v_flags := v_flags || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'flag', 'sequential_burst',
                    'detail', pg_catalog.format('%s codes with nearby serial numbers of this series were scanned within %s seconds',
                                                n + 1, cfg ->> 'burst_window_s')));
            END IF;
        END IF;

        -- the public information (Table 3), when trace.lookup is installed
        IF lookup THEN
            public_info := @extschema@.lookup(ctext);
        END IF;
    END IF;

    INSERT INTO @extschema@.label_scan (scanned, code, scan_time, lat, lon, place, device, context, status,
                                        flags, earlier_scans, label_jti, series, serial_number)
    VALUES (scanned, c, t, v_lat, v_lon, v_place, v_device, ctx, v_status, v_flags, earlier,
            element ->> 'jti', v_series, v_num)
    RETURNING ledger_seq INTO seq;

    RETURN pg_catalog.jsonb_build_object(
        'status', v_status,
        'code', ctext,
        'verification', verification,
        'public', public_info,
        'earlier_scans', earlier,
        'flags', v_flags,
        'scan', pg_catalog.jsonb_build_object('seq', seq, 'time', @extschema@._lbl_iso(t)),
        'checks', pg_catalog.jsonb_build_object('registry', registry, 'lookup', lookup));
END
$$;
COMMENT ON FUNCTION @extschema@.verify_scan(text, jsonb) IS
    'Judge one scan (genuine / forged / unknown), record it in the scan ledger and flag suspicious patterns';

-- --------------------------------------------------------------------------
-- status and privileges
-- --------------------------------------------------------------------------

CREATE FUNCTION @extschema@._status_labels() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    keys jsonb := @extschema@._status_keys();
    missing jsonb := '[]';
BEGIN
    IF NOT COALESCE((keys ->> 'configured')::boolean, false) THEN
        missing := missing || pg_catalog.to_jsonb(
            'labels: no signing key, so trace.label() fails and scanned labels cannot be verified'::text);
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'label_domain', @extschema@._labels_config() ->> 'label_domain',
        'labels_issued', (SELECT pg_catalog.count(*) FROM @extschema@.label_issue),
        'scans', (SELECT pg_catalog.count(*) FROM @extschema@.label_scan),
        'registry_checks', pg_catalog.to_regclass('@extschema@.items') IS NOT NULL,
        'lookup', pg_catalog.to_regprocedure('@extschema@.lookup(text)') IS NOT NULL,
        'missing_guarantees', missing);
END
$$;

REVOKE ALL ON @extschema@.label_issue, @extschema@.label_scan FROM PUBLIC;
GRANT SELECT ON @extschema@.label_issue, @extschema@.label_scan TO trace_admin, trace_regulator;

REVOKE ALL ON FUNCTION @extschema@._random_serials(integer, integer, text), @extschema@._labels_config(),
    @extschema@._label_sign(text), @extschema@._label_token(text),
    @extschema@._label_verify(text, bigint, text, text, text, text), @extschema@._lbl_iso(timestamptz),
    @extschema@._label_check(text, jsonb), @extschema@._lbl_km(double precision, double precision, double precision, double precision),
    @extschema@._lbl_coord(jsonb, text, double precision, double precision), @extschema@._lbl_time(jsonb),
    @extschema@._status_labels(), @extschema@._label_owners(@extschema@.code),
    @extschema@.new_serials(@extschema@.gtin, integer, integer, text),
    @extschema@.label(@extschema@.code, text, text, integer),
    @extschema@.verify_scan(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._random_serials(integer, integer, text),
    @extschema@.new_serials(@extschema@.gtin, integer, integer, text),
    @extschema@.label(@extschema@.code, text, text, integer) TO trace_admin, trace_operator;
GRANT EXECUTE ON FUNCTION @extschema@.verify_scan(text, jsonb)
    TO trace_admin, trace_operator, trace_regulator, trace_public;
