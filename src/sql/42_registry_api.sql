-- Registry writes (issue 4). Every function takes jsonb keyed by the field
-- names of trace.field_catalog (one object, or an array of objects = a batch
-- that is accepted whole or rejected whole), validates it and appends rows.
-- SQLSTATEs: 23502 missing mandatory fields; 22023 wrong value or shape;
-- 22P02 bad trace code / USCC / GTIN; 22007 bad date or time; 23503 unknown
-- unit, product, document or trace code; 23505 already registered.

-- ------------------------------------------------------------------ documents

-- Append a document record (content stored once per SHA-256). `doc` keys:
-- content_base64 | (uri + sha256), media_type, file_name, description, size,
-- uscc (owner), collection_method.
CREATE FUNCTION @extschema@._reg_attach(doc jsonb, label text, owner @extschema@.uscc) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    content bytea;
    digest bytea;
    uri text := @extschema@._reg_text(doc, 'uri', label);
    media text := @extschema@._reg_text(doc, 'media_type', label);
    b64 text := @extschema@._reg_text(doc, 'content_base64', label);
    hex text := @extschema@._reg_text(doc, 'sha256', label);
    sz numeric;
    named @extschema@.uscc := @extschema@._reg_uscc(@extschema@._reg_text(doc, 'uscc', label), label);
    u @extschema@.uscc := coalesce(named, owner);
    new_id bigint;
    now_ts timestamptz := @extschema@._reg_now();
BEGIN
    PERFORM @extschema@._reg_check_keys(doc,
        '{content_base64,uri,sha256,media_type,file_name,description,size,uscc,collection_method}', label);
    IF media IS NULL THEN
        PERFORM @extschema@._reg_fail('23502', label || ': missing mandatory fields: media_type');
    END IF;
    IF media !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: field media_type: invalid media type "%s"', label, media));
    END IF;
    IF (b64 IS NULL) = (uri IS NULL) THEN
        PERFORM @extschema@._reg_fail('22023', label || ': give either content_base64 or uri (with sha256)');
    END IF;
    IF named IS NOT NULL THEN
        PERFORM @extschema@._reg_unit(named, NULL, label);
    END IF;
    IF b64 IS NOT NULL THEN
        BEGIN
            content := pg_catalog.decode(b64, 'base64');
        EXCEPTION WHEN invalid_parameter_value OR data_exception THEN
            PERFORM @extschema@._reg_fail('22023', label || ': field content_base64: not valid base64');
        END;
        digest := pg_catalog.sha256(content);
        IF hex IS NOT NULL AND pg_catalog.lower(hex) <> pg_catalog.encode(digest, 'hex') THEN
            PERFORM @extschema@._reg_fail('22023', label || ': field sha256: does not match the content');
        END IF;
        sz := pg_catalog.length(content);
        IF NOT EXISTS (SELECT 1 FROM @extschema@.document_content c WHERE c.sha256 = digest) THEN
            INSERT INTO @extschema@.document_content (sha256, content) VALUES (digest, content);
        END IF;
    ELSE
        IF uri !~ '^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$' THEN
            PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: field uri: not an absolute URI: "%s"', label, uri));
        END IF;
        IF hex IS NULL OR hex !~* '^[0-9a-f]{64}$' THEN
            PERFORM @extschema@._reg_fail(CASE WHEN hex IS NULL THEN '23502' ELSE '22023' END,
                label || CASE WHEN hex IS NULL THEN ': missing mandatory fields: sha256'
                              ELSE ': field sha256: expected 64 hexadecimal digits' END,
                'An external document is recorded with the SHA-256 of its content.');
        END IF;
        digest := pg_catalog.decode(hex, 'hex');
        sz := @extschema@._reg_quantity(doc, 'size', label);
    END IF;
    INSERT INTO @extschema@.document_record
        (uscc, sha256, stored, uri, media_type, size, file_name, description, collection_method,
         retain_until, recorded_at, recorded_by)
    VALUES (u, digest, b64 IS NOT NULL, uri, media, sz, @extschema@._reg_text(doc, 'file_name', label),
            @extschema@._reg_text(doc, 'description', label), @extschema@._reg_method(doc, label, 'uri'),
            @extschema@._reg_retain(now_ts::date, NULL, NULL, NULL, NULL), now_ts, session_user)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- trace.attach_document(doc jsonb): one document object or an array of them.
CREATE FUNCTION @extschema@.attach_document(doc jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
DECLARE
    r record;
    out jsonb := '[]';
    id bigint;
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(doc, 'trace.attach_document') LOOP
        id := @extschema@._reg_attach(r.rec, @extschema@._reg_label(r.ord, r.rec, 'file_name'), NULL);
        out := out || (SELECT pg_catalog.jsonb_build_object('document_id', d.document_id, 'sha256', d.sha256, 'size', d.size)
                       FROM @extschema@.documents d WHERE d.record_id = id);
    END LOOP;
    RETURN CASE WHEN pg_catalog.jsonb_typeof(doc) = 'object' THEN out -> 0 ELSE out END;
END
$$;

-- trace.attach_document(content, media_type, file_name [, uscc]): binary form.
CREATE FUNCTION @extschema@.attach_document(content bytea, media_type text, file_name text,
                                            uscc text DEFAULT NULL) RETURNS jsonb
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT @extschema@.attach_document(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'content_base64', pg_catalog.translate(pg_catalog.encode(content, 'base64'), E'\n', ''),
        'media_type', media_type, 'file_name', file_name, 'uscc', uscc)))
$$;

-- ----------------------------------------------------------------- categories

-- trace.add_category(cat jsonb): add a product category, or supersede the
-- current one with the same code (then "reason" is required).
CREATE FUNCTION @extschema@.add_category(cat jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
DECLARE
    r record;
    label text;
    old @extschema@.categories;
    flag text;
    out jsonb := '[]';
    new_id bigint;
    years numeric;
    missing text[];
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(cat, 'trace.add_category') LOOP
        label := @extschema@._reg_label(r.ord, r.rec, 'code');
        PERFORM @extschema@._reg_check_keys(r.rec,
            '{code,name_zh,name_en,licence_managed,ccc_managed,has_warranty,needs_manual,first_batch,retention_years,reason}', label);
        SELECT pg_catalog.array_agg(k ORDER BY o) INTO missing
            FROM pg_catalog.unnest('{code,name_zh,name_en,licence_managed,ccc_managed,has_warranty,needs_manual}'::text[])
                 WITH ORDINALITY AS x(k, o)
            WHERE @extschema@._reg_empty(r.rec -> k);
        IF missing IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('23502',
                pg_catalog.format('%s: missing mandatory fields: %s', label, pg_catalog.array_to_string(missing, ', ')));
        END IF;
        FOREACH flag IN ARRAY '{licence_managed,ccc_managed,has_warranty,needs_manual,first_batch}'::text[] LOOP
            IF r.rec ? flag AND pg_catalog.jsonb_typeof(r.rec -> flag) <> 'boolean' THEN
                PERFORM @extschema@._reg_fail('22023',
                    pg_catalog.format('%s: field %s: expected true or false, got %s', label, flag, (r.rec -> flag)::text));
            END IF;
        END LOOP;
        years := @extschema@._reg_quantity(r.rec, 'retention_years', label);
        IF years IS NOT NULL AND years <> pg_catalog.trunc(years) THEN
            PERFORM @extschema@._reg_fail('22023', label || ': field retention_years: expected whole years');
        END IF;
        SELECT * INTO old FROM @extschema@.categories c WHERE c.code = r.rec ->> 'code';
        IF FOUND AND @extschema@._reg_empty(r.rec -> 'reason') THEN
            PERFORM @extschema@._reg_fail('23505',
                pg_catalog.format('%s: category %s exists', label, r.rec ->> 'code'),
                'To change it, add it again with a "reason": the new row supersedes the current one.');
        END IF;
        INSERT INTO @extschema@.category_record
            (root, supersedes, reason, code, name_zh, name_en, licence_managed, ccc_managed, has_warranty,
             needs_manual, first_batch, retention_years, recorded_at, recorded_by)
        VALUES (CASE WHEN old.record_id IS NOT NULL THEN
                    (SELECT coalesce(c.root, c.id) FROM @extschema@.category_record c WHERE c.id = old.record_id) END,
                old.record_id, CASE WHEN old.record_id IS NOT NULL THEN r.rec ->> 'reason' END,
                @extschema@._reg_text(r.rec, 'code', label), @extschema@._reg_text(r.rec, 'name_zh', label),
                @extschema@._reg_text(r.rec, 'name_en', label),
                (r.rec ->> 'licence_managed')::boolean, (r.rec ->> 'ccc_managed')::boolean,
                (r.rec ->> 'has_warranty')::boolean, (r.rec ->> 'needs_manual')::boolean,
                coalesce((r.rec ->> 'first_batch')::boolean, false), years::int,
                @extschema@._reg_now(), session_user)
        RETURNING id INTO new_id;
        out := out || pg_catalog.jsonb_build_object('code', r.rec ->> 'code', 'record_id', new_id);
    END LOOP;
    RETURN CASE WHEN pg_catalog.jsonb_typeof(cat) = 'object' THEN out -> 0 ELSE out END;
END
$$;

-- ---------------------------------------------------------------------- units

CREATE FUNCTION @extschema@._reg_write_unit(rec jsonb, ord int, old_id bigint, why text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    label text := @extschema@._reg_label(ord, rec, 'uscc');
    roles text[];
    u @extschema@.uscc;
    new_id bigint;
    now_ts timestamptz := @extschema@._reg_now();
BEGIN
    PERFORM @extschema@._reg_check_keys(rec,
        (SELECT pg_catalog.array_agg(DISTINCT f.field) FROM @extschema@.field_catalog f WHERE 'unit' = ANY (f.record_kinds))
        || '{roles,collection_method}'::text[], label);
    IF @extschema@._reg_empty(rec -> 'roles') THEN
        roles := '{producer}';
    ELSIF pg_catalog.jsonb_typeof(rec -> 'roles') <> 'array'
       OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(rec -> 'roles') e(v)
                  WHERE e.v NOT IN ('"producer"'::jsonb, '"seller"'::jsonb)) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field roles: expected an array of "producer" and/or "seller", got %s', label, (rec -> 'roles')::text));
    ELSE
        SELECT pg_catalog.array_agg(DISTINCT e.v) INTO roles FROM pg_catalog.jsonb_array_elements_text(rec -> 'roles') e(v);
    END IF;
    PERFORM @extschema@._reg_require('unit', roles, rec, '{}', label);
    u := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'uscc', label), label);
    IF old_id IS NULL AND EXISTS (SELECT 1 FROM @extschema@.unit_record x WHERE x.uscc OPERATOR(@extschema@.=) u AND x.supersedes IS NULL) THEN
        PERFORM @extschema@._reg_fail('23505', pg_catalog.format('%s: unit %s is already registered', label, u),
            'Change a unit with trace.correct(''unit'', record_id, changes, reason).');
    END IF;
    INSERT INTO @extschema@.unit_record
        (root, supersedes, reason, uscc, roles, unit_name, address, contact, business_license,
         system_certifications, product_certifications, purchase_info, collection_method,
         retain_until, recorded_at, recorded_by)
    VALUES ((SELECT coalesce(x.root, x.id) FROM @extschema@.unit_record x WHERE x.id = old_id),
            old_id, why, u, roles,
            @extschema@._reg_text(rec, 'unit_name', label), @extschema@._reg_text(rec, 'address', label),
            @extschema@._reg_text(rec, 'contact', label), @extschema@._reg_doc(rec, 'business_license', label, u),
            @extschema@._reg_list(rec, 'system_certifications', label),
            @extschema@._reg_list(rec, 'product_certifications', label),
            @extschema@._reg_text(rec, 'purchase_info', label), @extschema@._reg_method(rec, label, 'uscc'),
            @extschema@._reg_retain(now_ts::date, NULL, NULL, NULL, NULL), now_ts, session_user)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- trace.register_unit(unit jsonb): a producer and/or seller (Tables 1-2, basic).
CREATE FUNCTION @extschema@.register_unit(unit jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
DECLARE
    r record;
    out jsonb := '[]';
    id bigint;
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(unit, 'trace.register_unit') LOOP
        id := @extschema@._reg_write_unit(r.rec, r.ord, NULL, NULL);
        out := out || pg_catalog.jsonb_build_object('uscc', r.rec ->> 'uscc', 'record_id', id);
    END LOOP;
    RETURN CASE WHEN pg_catalog.jsonb_typeof(unit) = 'object' THEN out -> 0 ELSE out END;
END
$$;

-- ------------------------------------------------------------------- products

CREATE FUNCTION @extschema@._reg_write_product(rec jsonb, ord int, old_id bigint, why text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    label text := @extschema@._reg_label(ord, rec, 'product_name');
    cat @extschema@.categories;
    u @extschema@.uscc;
    g @extschema@.gtin;
    gtxt text;
    problem text;
    new_id bigint;
    now_ts timestamptz := @extschema@._reg_now();
    w interval;
    life interval;
BEGIN
    PERFORM @extschema@._reg_check_keys(rec,
        (SELECT pg_catalog.array_agg(DISTINCT f.field) FROM @extschema@.field_catalog f WHERE 'product' = ANY (f.record_kinds))
        || '{uscc,category,gtin,warranty_period,service_life,collection_method}'::text[], label);
    IF @extschema@._reg_empty(rec -> 'category') OR @extschema@._reg_empty(rec -> 'uscc') THEN
        PERFORM @extschema@._reg_fail('23502', pg_catalog.format('%s: missing mandatory fields: %s', label,
            pg_catalog.array_to_string(ARRAY[CASE WHEN @extschema@._reg_empty(rec -> 'uscc') THEN 'uscc' END,
                                             CASE WHEN @extschema@._reg_empty(rec -> 'category') THEN 'category' END], ', ')),
            'A product names its producer (uscc) and its product category.');
    END IF;
    SELECT * INTO cat FROM @extschema@.categories c WHERE c.code = @extschema@._reg_text(rec, 'category', label);
    IF NOT FOUND THEN
        PERFORM @extschema@._reg_fail('23503', pg_catalog.format('%s: unknown product category "%s"', label, rec ->> 'category'),
            'See trace.categories; an administrator adds categories with trace.add_category().');
    END IF;
    PERFORM @extschema@._reg_require('product', '{producer}', rec, @extschema@._reg_flags(cat), label);
    u := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'uscc', label), label);
    PERFORM @extschema@._reg_unit(u, 'producer', label);
    gtxt := @extschema@._reg_text(rec, 'gtin', label);
    IF gtxt IS NOT NULL THEN
        problem := @extschema@.validate('gtin', gtxt);
        IF problem IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('22P02', pg_catalog.format('%s: field gtin: %s', label, problem));
        END IF;
        g := gtxt::@extschema@.gtin;
        -- one registration per GTIN at a time
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgtrace.registry.gtin'), pg_catalog.hashtext(g::text));
        IF EXISTS (SELECT 1 FROM @extschema@.products p WHERE p.gtin OPERATOR(@extschema@.=) g
                     AND p.record_id IS DISTINCT FROM old_id) THEN
            PERFORM @extschema@._reg_fail('23505', pg_catalog.format('%s: GTIN %s already belongs to another product', label, g));
        END IF;
    END IF;
    w := @extschema@._reg_period(rec, 'warranty_period', label);
    life := @extschema@._reg_period(rec, 'service_life', label);
    IF cat.has_warranty AND (w <= interval '0' OR life <= interval '0') THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field %s: a zero period, but category %s has warranties', label,
                              CASE WHEN w <= interval '0' THEN 'warranty_period' ELSE 'service_life' END, cat.code),
            'Give the warranty or service life as a positive number of months or an ISO 8601 duration such as "P2Y".');
    END IF;
    INSERT INTO @extschema@.product_record
        (root, supersedes, reason, uscc, category, gtin, product_name, product_type, spec_model,
         mandatory_standards, production_licence_no, ccc_certificate_no, manual_or_warning,
         warranty_period, service_life, materials_components, functions, performance,
         collection_method, retain_until, recorded_at, recorded_by)
    VALUES ((SELECT coalesce(x.root, x.id) FROM @extschema@.product_record x WHERE x.id = old_id),
            old_id, why, u, cat.code, g,
            @extschema@._reg_text(rec, 'product_name', label), @extschema@._reg_text(rec, 'product_type', label),
            @extschema@._reg_text(rec, 'spec_model', label), @extschema@._reg_text(rec, 'mandatory_standards', label),
            @extschema@._reg_text(rec, 'production_licence_no', label),
            @extschema@._reg_text(rec, 'ccc_certificate_no', label),
            @extschema@._reg_doc(rec, 'manual_or_warning', label, u), w, life,
            @extschema@._reg_text(rec, 'materials_components', label), @extschema@._reg_text(rec, 'functions', label),
            @extschema@._reg_text(rec, 'performance', label), @extschema@._reg_method(rec, label, 'gtin'),
            @extschema@._reg_retain(now_ts::date, now_ts::date, cat.retention_years, w, life), now_ts, session_user)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- trace.register_product(product jsonb): model-level data (Table 1, product).
CREATE FUNCTION @extschema@.register_product(product jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
DECLARE
    r record;
    out jsonb := '[]';
    id bigint;
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(product, 'trace.register_product') LOOP
        id := @extschema@._reg_write_product(r.rec, r.ord, NULL, NULL);
        out := out || pg_catalog.jsonb_build_object('product_id', id, 'record_id', id);
    END LOOP;
    RETURN CASE WHEN pg_catalog.jsonb_typeof(product) = 'object' THEN out -> 0 ELSE out END;
END
$$;
