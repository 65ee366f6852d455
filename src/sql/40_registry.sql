-- Traceability registry (issue 4): tables, current-state views and the
-- helpers every registry write shares. See docs/registry.md.
--
-- Every registry table is append-only and put under the tamper-evident
-- ledger (49_registry_finish.sql): a correction is a new row whose
-- `supersedes` names the row it replaces, with a reason; a withdrawal is a
-- correction with `voided = true`. The views show the current state.

-- The single place that turns input text (any form trace.code accepts: GS1
-- element strings, raw scans, Digital Link, Handle, OID ...) into a trace code.
CREATE FUNCTION @extschema@._reg_to_code(text) RETURNS @extschema@.code
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT $1::@extschema@.code';

-- --------------------------------------------------------------------------
-- Field catalogue (Tables 1-3), rows generated from data/fields.csv into
-- 41_registry_fields.sql. Static extension data, not registry records.
-- --------------------------------------------------------------------------
CREATE TABLE @extschema@.field_catalog (
    ordinal       int PRIMARY KEY,
    table_name    text NOT NULL CHECK (table_name IN ('producer', 'seller')),
    field_group   text NOT NULL,
    field         text NOT NULL,
    name_zh       text NOT NULL,
    name_en       text NOT NULL,
    collect       text NOT NULL CHECK (collect IN ('a', 'b', 'o')),
    public        text NOT NULL CHECK (public IN ('c', 'd', 'n')),
    applies_when  text,
    category_flag text CHECK (category_flag IN ('licence', 'ccc', 'warranty', 'manual')),
    record_kinds  text[] NOT NULL,
    value_kind    text NOT NULL,
    UNIQUE (table_name, field)
);
COMMENT ON TABLE @extschema@.field_catalog IS
    'Fields of Tables 1-3 of the standard (generated from data/fields.csv): collect a = mandatory, b = mandatory where category_flag applies, o = optional; public c / d / n';

-- --------------------------------------------------------------------------
-- Common columns of every registry table
--   id           row identity
--   root         the id of the first version of this record (NULL on it)
--   supersedes   the row this one corrects; at most one successor per row
--   reason       why a correction was made (required with supersedes)
--   voided       the correction withdraws the record
--   uscc         the unit the record belongs to (row-level security key)
--   collection_method  clause 7: automatic (device scan) / manual / mixed
--   recorded_at, recorded_by  when and by whom the row was written
--   retain_until clause 8.5 retention date
-- --------------------------------------------------------------------------

CREATE TABLE @extschema@.category_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.category_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    code            text NOT NULL,
    name_zh         text NOT NULL,
    name_en         text NOT NULL,
    licence_managed boolean NOT NULL,
    ccc_managed     boolean NOT NULL,
    has_warranty    boolean NOT NULL,
    needs_manual    boolean NOT NULL,
    first_batch     boolean NOT NULL DEFAULT false,
    retention_years int CHECK (retention_years > 0),
    seeded          boolean NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX category_record_supersedes ON @extschema@.category_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE UNIQUE INDEX category_record_code_once ON @extschema@.category_record (code) WHERE supersedes IS NULL;

CREATE TABLE @extschema@.document_content (
    sha256      bytea PRIMARY KEY CHECK (pg_catalog.length(sha256) = 32),
    content     bytea NOT NULL
);

CREATE TABLE @extschema@.document_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.document_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    uscc            @extschema@.uscc,
    sha256          bytea NOT NULL CHECK (pg_catalog.length(sha256) = 32),
    stored          boolean NOT NULL,
    uri             text,
    media_type      text NOT NULL,
    size            bigint CHECK (size >= 0),
    file_name       text,
    description     text,
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK (stored OR uri IS NOT NULL),
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX document_record_supersedes ON @extschema@.document_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX document_record_sha256 ON @extschema@.document_record (sha256);

CREATE TABLE @extschema@.unit_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.unit_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    uscc            @extschema@.uscc NOT NULL,
    roles           text[] NOT NULL CHECK (roles <@ '{producer,seller}' AND pg_catalog.cardinality(roles) > 0),
    unit_name       text NOT NULL,
    address         text NOT NULL,
    contact         text NOT NULL,
    business_license bigint NOT NULL REFERENCES @extschema@.document_record (id),
    system_certifications jsonb,
    product_certifications jsonb,
    purchase_info   text,
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX unit_record_supersedes ON @extschema@.unit_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE UNIQUE INDEX unit_record_uscc_once ON @extschema@.unit_record (uscc) WHERE supersedes IS NULL;
CREATE INDEX unit_record_uscc ON @extschema@.unit_record (uscc);

CREATE TABLE @extschema@.product_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.product_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    uscc            @extschema@.uscc NOT NULL,
    category        text NOT NULL,
    gtin            @extschema@.gtin,
    product_name    text NOT NULL,
    product_type    text NOT NULL,
    spec_model      text NOT NULL,
    mandatory_standards text NOT NULL,
    production_licence_no text,
    ccc_certificate_no text,
    manual_or_warning bigint REFERENCES @extschema@.document_record (id),
    warranty_period interval,
    service_life    interval,
    materials_components text,
    functions       text,
    performance     text,
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX product_record_supersedes ON @extschema@.product_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX product_record_gtin ON @extschema@.product_record (gtin);
CREATE INDEX product_record_root ON @extschema@.product_record (root);

CREATE TABLE @extschema@.item_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.item_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    trace_code      @extschema@.code NOT NULL,
    product_id      bigint NOT NULL REFERENCES @extschema@.product_record (id),
    uscc            @extschema@.uscc NOT NULL,
    production_date date NOT NULL,
    serial_or_batch text NOT NULL,
    warranty_period interval,
    inspection_report bigint NOT NULL REFERENCES @extschema@.document_record (id),
    -- model-level fields, only when this item differs from its product
    mandatory_standards text,
    production_licence_no text,
    ccc_certificate_no text,
    manual_or_warning bigint REFERENCES @extschema@.document_record (id),
    materials_components text,
    functions       text,
    performance     text,
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX item_record_supersedes ON @extschema@.item_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE UNIQUE INDEX item_record_code_once ON @extschema@.item_record (trace_code) WHERE supersedes IS NULL;
-- every version by code (the views and package queries look items up by code)
CREATE INDEX item_record_code ON @extschema@.item_record (trace_code);
CREATE INDEX item_record_uscc ON @extschema@.item_record (uscc);

-- Packing and unpacking (clause 6.1.2): one row per content code per event.
CREATE TABLE @extschema@.package_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.package_event (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    action          text NOT NULL CHECK (action IN ('pack', 'unpack')),
    package_code    @extschema@.code NOT NULL,
    content_code    @extschema@.code NOT NULL,
    event_time      timestamptz NOT NULL,
    uscc            @extschema@.uscc NOT NULL,
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK (package_code <> content_code),
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX package_event_supersedes ON @extschema@.package_event (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX package_event_content ON @extschema@.package_event (content_code, event_time);
CREATE INDEX package_event_package ON @extschema@.package_event (package_code, event_time);

-- Flows (Tables 1-2, flow group): a producer's sale, a seller's purchase, a
-- seller's sale. trace_code may be a unit or a package code.
CREATE TABLE @extschema@.flow_record (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    root            bigint,
    supersedes      bigint REFERENCES @extschema@.flow_record (id),
    reason          text,
    voided          boolean NOT NULL DEFAULT false,
    kind            text NOT NULL CHECK (kind IN ('producer_sale', 'seller_purchase', 'seller_sale')),
    uscc            @extschema@.uscc NOT NULL,
    trace_code      @extschema@.code NOT NULL,
    event_time      timestamptz NOT NULL,
    sale_time       timestamptz,
    buyer_name      text,
    buyer_address   text,
    buyer_contact   text,
    buyer_uscc      @extschema@.uscc,
    supplier_name   text,
    supplier_uscc   @extschema@.uscc,
    purchase_time   timestamptz,
    customer_name   text,
    sold_time       timestamptz,
    quantity        numeric NOT NULL CHECK (quantity > 0),
    collection_method text NOT NULL,
    retain_until    date NOT NULL,
    recorded_at     timestamptz NOT NULL,
    recorded_by     name NOT NULL,
    CHECK ((supersedes IS NULL) = (reason IS NULL))
);
-- at most one successor per row (a linear chain of versions)
CREATE UNIQUE INDEX flow_record_supersedes ON @extschema@.flow_record (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX flow_record_code ON @extschema@.flow_record (trace_code, event_time);
CREATE INDEX flow_record_uscc ON @extschema@.flow_record (uscc);

-- --------------------------------------------------------------------------
-- Current state: rows that nothing supersedes, without withdrawn records.
-- --------------------------------------------------------------------------
CREATE VIEW @extschema@.categories AS
    SELECT c.code, c.name_zh, c.name_en, c.licence_managed, c.ccc_managed, c.has_warranty,
           c.needs_manual, c.first_batch, c.retention_years, c.id AS record_id, c.recorded_at
    FROM @extschema@.category_record c
    WHERE NOT c.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.category_record n WHERE n.supersedes = c.id);

CREATE VIEW @extschema@.documents AS
    SELECT coalesce(d.root, d.id) AS document_id, d.id AS record_id, d.uscc,
           pg_catalog.encode(d.sha256, 'hex') AS sha256, d.stored, d.uri, d.media_type, d.size,
           d.file_name, d.description, d.collection_method, d.retain_until, d.recorded_at, d.recorded_by
    FROM @extschema@.document_record d
    WHERE NOT d.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.document_record n WHERE n.supersedes = d.id);

CREATE VIEW @extschema@.units AS
    SELECT u.uscc, u.roles, u.unit_name, u.address, u.contact, u.business_license,
           u.system_certifications, u.product_certifications, u.purchase_info,
           u.collection_method, u.retain_until, u.id AS record_id, u.recorded_at, u.recorded_by
    FROM @extschema@.unit_record u
    WHERE NOT u.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.unit_record n WHERE n.supersedes = u.id);

CREATE VIEW @extschema@.products AS
    SELECT coalesce(p.root, p.id) AS product_id, p.uscc, p.category, p.gtin,
           p.product_name, p.product_type, p.spec_model, p.mandatory_standards,
           p.production_licence_no, p.ccc_certificate_no, p.manual_or_warning,
           p.warranty_period, p.service_life, p.materials_components, p.functions, p.performance,
           p.collection_method, p.retain_until, p.id AS record_id, p.recorded_at, p.recorded_by
    FROM @extschema@.product_record p
    WHERE NOT p.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.product_record n WHERE n.supersedes = p.id);

-- Items with their product's model-level data filled in (the Table 1 record).
CREATE VIEW @extschema@.items AS
    SELECT i.trace_code, i.product_id, i.uscc, p.category, p.gtin,
           p.product_name, p.product_type, p.spec_model,
           i.production_date, i.serial_or_batch,
           coalesce(i.warranty_period, p.warranty_period) AS warranty_period,
           coalesce(i.mandatory_standards, p.mandatory_standards) AS mandatory_standards,
           coalesce(i.production_licence_no, p.production_licence_no) AS production_licence_no,
           coalesce(i.ccc_certificate_no, p.ccc_certificate_no) AS ccc_certificate_no,
           i.inspection_report,
           coalesce(i.manual_or_warning, p.manual_or_warning) AS manual_or_warning,
           coalesce(i.materials_components, p.materials_components) AS materials_components,
           coalesce(i.functions, p.functions) AS functions,
           coalesce(i.performance, p.performance) AS performance,
           i.collection_method, i.retain_until, i.id AS record_id, i.recorded_at, i.recorded_by
    FROM @extschema@.item_record i
    JOIN @extschema@.products p ON p.product_id = i.product_id
    WHERE NOT i.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.item_record n WHERE n.supersedes = i.id);

CREATE VIEW @extschema@.package_events AS
    SELECT e.id AS record_id, e.action, e.package_code, e.content_code, e.event_time, e.uscc,
           e.collection_method, e.retain_until, e.recorded_at, e.recorded_by
    FROM @extschema@.package_event e
    WHERE NOT e.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.package_event n WHERE n.supersedes = e.id);

CREATE VIEW @extschema@.flows AS
    SELECT coalesce(f.root, f.id) AS flow_id, f.id AS record_id, f.kind, f.uscc,
           f.trace_code, f.event_time, f.sale_time, f.buyer_name, f.buyer_address, f.buyer_contact,
           f.buyer_uscc, f.supplier_name, f.supplier_uscc, f.purchase_time, f.customer_name,
           f.sold_time, f.quantity, f.collection_method, f.retain_until, f.recorded_at, f.recorded_by
    FROM @extschema@.flow_record f
    WHERE NOT f.voided
      AND NOT EXISTS (SELECT 1 FROM @extschema@.flow_record n WHERE n.supersedes = f.id);

-- Every correction and withdrawal, across the registry.
CREATE VIEW @extschema@.corrections AS
    SELECT 'category'::text AS kind, c.id AS record_id, c.supersedes, c.root, c.reason, c.voided, c.recorded_at, c.recorded_by
      FROM @extschema@.category_record c WHERE c.supersedes IS NOT NULL
    UNION ALL
    SELECT 'document', d.id, d.supersedes, d.root, d.reason, d.voided, d.recorded_at, d.recorded_by
      FROM @extschema@.document_record d WHERE d.supersedes IS NOT NULL
    UNION ALL
    SELECT 'unit', u.id, u.supersedes, u.root, u.reason, u.voided, u.recorded_at, u.recorded_by
      FROM @extschema@.unit_record u WHERE u.supersedes IS NOT NULL
    UNION ALL
    SELECT 'product', p.id, p.supersedes, p.root, p.reason, p.voided, p.recorded_at, p.recorded_by
      FROM @extschema@.product_record p WHERE p.supersedes IS NOT NULL
    UNION ALL
    SELECT 'item', i.id, i.supersedes, i.root, i.reason, i.voided, i.recorded_at, i.recorded_by
      FROM @extschema@.item_record i WHERE i.supersedes IS NOT NULL
    UNION ALL
    SELECT 'package_event', e.id, e.supersedes, e.root, e.reason, e.voided, e.recorded_at, e.recorded_by
      FROM @extschema@.package_event e WHERE e.supersedes IS NOT NULL
    UNION ALL
    SELECT 'flow', f.id, f.supersedes, f.root, f.reason, f.voided, f.recorded_at, f.recorded_by
      FROM @extschema@.flow_record f WHERE f.supersedes IS NOT NULL;

-- --------------------------------------------------------------------------
-- Helpers shared by the registry writes (internal: not granted to anyone).
-- --------------------------------------------------------------------------

-- The reference "now" (setting pgtrace.reference_time, else transaction start).
CREATE FUNCTION @extschema@._reg_now() RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        nullif(pg_catalog.current_setting('pgtrace.reference_time', true), '')::timestamptz,
        pg_catalog.now())
$$;

-- Today's calendar date in China (UTC+8, no daylight saving), for "no
-- production date in the future".
CREATE FUNCTION @extschema@._reg_today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ((@extschema@._reg_now() AT TIME ZONE 'UTC') + interval '8 hours')::date
$$;

-- A time as ISO 8601 in UTC, independent of the session's TimeZone.
CREATE FUNCTION @extschema@._reg_iso(t timestamptz) RETURNS text
    AS 'MODULE_PATHNAME', 'pt_registry_iso' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The error every registry write raises.
CREATE FUNCTION @extschema@._reg_fail(state text, msg text, detail text DEFAULT NULL) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = msg, DETAIL = detail;
END
$$;

-- A json value that counts as "not given": absent, null, blank string, empty array/object.
CREATE FUNCTION @extschema@._reg_empty(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT v IS NULL OR v = 'null'::jsonb
        OR (pg_catalog.jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^\s*$')
        OR v = '[]'::jsonb OR v = '{}'::jsonb
$$;

-- The shape of a write: a json object (one record) or a non-empty array of objects.
CREATE FUNCTION @extschema@._reg_check_batch(data jsonb, what text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    bad bigint;
BEGIN
    IF data IS NULL OR data = 'null'::jsonb THEN
        PERFORM @extschema@._reg_fail('22004', pg_catalog.format('%s: input is null', what));
    ELSIF pg_catalog.jsonb_typeof(data) = 'array' THEN
        IF pg_catalog.jsonb_array_length(data) = 0 THEN
            PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: empty batch', what));
        END IF;
        SELECT e.o INTO bad FROM pg_catalog.jsonb_array_elements(data) WITH ORDINALITY e(v, o)
            WHERE pg_catalog.jsonb_typeof(e.v) <> 'object' ORDER BY e.o LIMIT 1;
        IF bad IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: record %s is not a json object', what, bad),
                'A batch is a json array of objects keyed by the field names of trace.field_catalog.');
        END IF;
    ELSIF pg_catalog.jsonb_typeof(data) <> 'object' THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: expected a json object or an array of objects, got %s', what, pg_catalog.jsonb_typeof(data)));
    END IF;
END
$$;

-- The records of a write: a json object is one record, an array is a batch.
CREATE FUNCTION @extschema@._reg_records(data jsonb, what text)
    RETURNS TABLE (ord int, rec jsonb)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM @extschema@._reg_check_batch(data, what);
    IF pg_catalog.jsonb_typeof(data) = 'object' THEN
        RETURN QUERY SELECT 1, data;
    ELSE
        RETURN QUERY SELECT e.o::int, e.v FROM pg_catalog.jsonb_array_elements(data) WITH ORDINALITY e(v, o);
    END IF;
END
$$;

-- A value as an error message shows it: at most 64 characters, then "…".
CREATE FUNCTION @extschema@._reg_cut(s text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.length(s) > 64 THEN pg_catalog.left(s, 64) || '…' ELSE s END
$$;

-- The longest text a registry field takes, in characters (NULL: no limit).
-- Codes, identifiers, names, numbers and contacts: 200; addresses and
-- descriptions: 2000; inline document content: no limit. Longer values are
-- refused with 22001 naming the record and field.
CREATE FUNCTION @extschema@._reg_max_length(field text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN field = 'content_base64' THEN NULL
        WHEN field IN ('address', 'buyer_address', 'purchase_info', 'description', 'uri', 'mandatory_standards',
                       'materials_components', 'functions', 'performance') THEN 2000
        ELSE 200 END
$$;

-- The 22001 error for a text longer than its field takes (see _reg_max_length).
CREATE FUNCTION @extschema@._reg_too_long(s text, field text, label text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    most int := @extschema@._reg_max_length(pg_catalog.regexp_replace(field, '\[[0-9]+\]$', ''));
BEGIN
    IF most IS NOT NULL AND pg_catalog.length(s) > most THEN
        PERFORM @extschema@._reg_fail('22001',
            pg_catalog.format('%s: field %s: %s characters, at most %s', label, field, pg_catalog.length(s), most));
    END IF;
END
$$;

-- "record 3 (trace_code "(01)...(21)...")": how errors name a record.
CREATE FUNCTION @extschema@._reg_label(ord int, rec jsonb, key text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'record ' || ord
        || CASE WHEN key IS NULL OR @extschema@._reg_empty(rec -> key) THEN ''
                ELSE pg_catalog.format(' (%s %s)', key,
                        pg_catalog.to_jsonb(@extschema@._reg_cut(pg_catalog.translate(
                            CASE WHEN pg_catalog.jsonb_typeof(rec -> key) = 'string' THEN rec ->> key
                                 ELSE (rec -> key)::text END,
                            pg_catalog.chr(29), '^')))::text) END
$$;

-- Reject keys that are not fields of this record kind (typos would be lost).
CREATE FUNCTION @extschema@._reg_check_keys(rec jsonb, allowed text[], label text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    extra text;
BEGIN
    IF (rec - allowed) <> '{}'::jsonb THEN
        SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) INTO extra
            FROM pg_catalog.jsonb_object_keys(rec - allowed) k;
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: unknown fields: %s', label, extra),
            'Records are keyed by the field names of trace.field_catalog; see docs/registry.md for the extra keys each function accepts.');
    END IF;
END
$$;

-- Mandatory fields (collect a, and b whose category flag is on) of a record
-- kind that the record lacks, in catalogue order. `present` adds the fields
-- supplied elsewhere (e.g. by the item's product).
CREATE FUNCTION @extschema@._reg_missing(kind text, tables text[], rec jsonb, flags text[],
                                         present text[] DEFAULT '{}') RETURNS text[]
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(pg_catalog.array_agg(m.field ORDER BY m.first), '{}')
    FROM (SELECT f.field, pg_catalog.min(f.ordinal) AS first
          FROM @extschema@.field_catalog f
          WHERE kind = ANY (f.record_kinds)
            AND f.table_name = ANY (tables)
            AND (f.collect = 'a' OR (f.collect = 'b' AND f.category_flag = ANY (flags)))
            AND @extschema@._reg_empty(rec -> f.field)
            AND f.field <> ALL (present)
          GROUP BY f.field) m
$$;

CREATE FUNCTION @extschema@._reg_require(kind text, tables text[], rec jsonb, flags text[], label text,
                                         present text[] DEFAULT '{}') RETURNS void
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    missing text[] := @extschema@._reg_missing(kind, tables, rec, flags, present);
BEGIN
    IF pg_catalog.cardinality(missing) > 0 THEN
        PERFORM @extschema@._reg_fail('23502',
            pg_catalog.format('%s: missing mandatory fields: %s', label, pg_catalog.array_to_string(missing, ', ')),
            'Tables 1-2 of the standard make these fields mandatory for this record (see trace.field_catalog).');
    END IF;
END
$$;

-- Category flags of a product category, as the names used in field_catalog.
CREATE FUNCTION @extschema@._reg_flags(c @extschema@.categories) RETURNS text[]
    LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.array_remove(ARRAY[
        CASE WHEN c.licence_managed THEN 'licence' END,
        CASE WHEN c.ccc_managed THEN 'ccc' END,
        CASE WHEN c.has_warranty THEN 'warranty' END,
        CASE WHEN c.needs_manual THEN 'manual' END], NULL)
$$;

-- Typed field readers: each names the record and field when the value is wrong.
CREATE FUNCTION @extschema@._reg_text(rec jsonb, field text, label text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := rec -> field;
BEGIN
    IF @extschema@._reg_empty(v) THEN
        RETURN NULL;
    ELSIF pg_catalog.jsonb_typeof(v) = 'string' THEN
        PERFORM @extschema@._reg_too_long(v #>> '{}', field, label);
        RETURN v #>> '{}';
    END IF;
    PERFORM @extschema@._reg_fail('22023',
        pg_catalog.format('%s: field %s: expected a string, got %s', label, field, pg_catalog.jsonb_typeof(v)));
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@._reg_is_date(s text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
       AND pg_catalog.substr(s, 9, 2)::int <= pg_catalog.date_part('day',
             pg_catalog.make_date(pg_catalog.left(s, 4)::int, pg_catalog.substr(s, 6, 2)::int, 1)
             + interval '1 month - 1 day')
$$;

CREATE FUNCTION @extschema@._reg_date(rec jsonb, field text, label text) RETURNS date
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s text := @extschema@._reg_text(rec, field, label);
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    ELSIF NOT @extschema@._reg_is_date(s) THEN
        PERFORM @extschema@._reg_fail('22007',
            pg_catalog.format('%s: field %s: invalid date "%s"', label, field, s),
            'Dates are written YYYY-MM-DD.');
    END IF;
    RETURN s::date;
END
$$;

-- Times must carry their UTC offset, so that no session TimeZone changes them.
CREATE FUNCTION @extschema@._reg_is_time(s text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT s ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
       AND @extschema@._reg_is_date(pg_catalog.left(s, 10))
$$;

CREATE FUNCTION @extschema@._reg_time(rec jsonb, field text, label text) RETURNS timestamptz
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    s text := @extschema@._reg_text(rec, field, label);
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    ELSIF NOT @extschema@._reg_is_time(s) THEN
        PERFORM @extschema@._reg_fail('22007',
            pg_catalog.format('%s: field %s: invalid time "%s"', label, field, s),
            'Times are ISO 8601 with a UTC offset, e.g. 2026-05-01T09:30:00+08:00.');
    END IF;
    RETURN s::timestamptz;
END
$$;

-- A warranty period or service life: whole months as a number, or an ISO
-- 8601 duration of years, months and days ("P2Y", "P18M", "P1Y6M").
CREATE FUNCTION @extschema@._reg_period_ok(v jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE pg_catalog.jsonb_typeof(v)
        WHEN 'number' THEN (v #>> '{}') ~ '^[0-9]{1,4}$'
        WHEN 'string' THEN (v #>> '{}') ~ '^P(?=[0-9])([0-9]{1,4}Y)?([0-9]{1,4}M)?([0-9]{1,5}D)?$'
        ELSE false END
$$;

CREATE FUNCTION @extschema@._reg_period_of(v jsonb) RETURNS interval
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE pg_catalog.jsonb_typeof(v)
        WHEN 'number' THEN pg_catalog.make_interval(months => (v #>> '{}')::int)
        ELSE (v #>> '{}')::interval END
$$;

CREATE FUNCTION @extschema@._reg_period(rec jsonb, field text, label text) RETURNS interval
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := rec -> field;
BEGIN
    IF @extschema@._reg_empty(v) THEN
        RETURN NULL;
    ELSIF NOT @extschema@._reg_period_ok(v) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field %s: invalid period %s', label, field, v::text),
            'A period is a number of months or an ISO 8601 duration such as "P2Y" or "P1Y6M".');
    END IF;
    RETURN @extschema@._reg_period_of(v);
END
$$;

CREATE FUNCTION @extschema@._reg_quantity(rec jsonb, field text, label text) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := rec -> field;
BEGIN
    IF v IS NULL OR v = 'null'::jsonb THEN
        RETURN NULL;
    ELSIF pg_catalog.jsonb_typeof(v) <> 'number' OR (v #>> '{}')::numeric <= 0 THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field %s: expected a positive number, got %s', label, field, v::text));
    END IF;
    RETURN (v #>> '{}')::numeric;
END
$$;

CREATE FUNCTION @extschema@._reg_list(rec jsonb, field text, label text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := rec -> field;
BEGIN
    IF @extschema@._reg_empty(v) THEN
        RETURN NULL;
    ELSIF pg_catalog.jsonb_typeof(v) = 'string' THEN
        RETURN pg_catalog.jsonb_build_array(v);
    ELSIF pg_catalog.jsonb_typeof(v) = 'array' THEN
        RETURN v;
    END IF;
    PERFORM @extschema@._reg_fail('22023',
        pg_catalog.format('%s: field %s: expected a string or an array, got %s', label, field, pg_catalog.jsonb_typeof(v)));
    RETURN NULL;
END
$$;

CREATE FUNCTION @extschema@._reg_uscc(s text, label text, field text DEFAULT 'uscc') RETURNS @extschema@.uscc
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    problem text;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    problem := @extschema@.validate('uscc', s);
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('22P02', pg_catalog.format('%s: field %s: %s', label, field, problem));
    END IF;
    RETURN s::@extschema@.uscc;
END
$$;

CREATE FUNCTION @extschema@._reg_code(s text, label text, field text DEFAULT 'trace_code') RETURNS @extschema@.code
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    problem text;
BEGIN
    IF s IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM @extschema@._reg_too_long(s, field, label);
    problem := @extschema@.validate('code', s);
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('22P02', pg_catalog.format('%s: field %s: %s', label, field, problem));
    END IF;
    RETURN @extschema@._reg_to_code(s);
END
$$;

-- Clause 7: how a record was collected. A raw scan (symbology identifier
-- "]xx") means a device; otherwise manual unless the caller says so.
CREATE FUNCTION @extschema@._reg_method(rec jsonb, label text, code_field text DEFAULT 'trace_code') RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text := @extschema@._reg_text(rec, 'collection_method', label);
BEGIN
    IF m IS NULL THEN
        RETURN CASE WHEN (rec ->> code_field) LIKE ']%' THEN 'automatic' ELSE 'manual' END;
    ELSIF m NOT IN ('automatic', 'manual', 'mixed') THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field collection_method: expected automatic, manual or mixed, got "%s"', label, m));
    END IF;
    RETURN m;
END
$$;

CREATE FUNCTION @extschema@._reg_unit(u @extschema@.uscc, role text, label text) RETURNS @extschema@.units
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    r @extschema@.units;
BEGIN
    SELECT * INTO r FROM @extschema@.units WHERE uscc OPERATOR(@extschema@.=) u;
    IF NOT FOUND THEN
        PERFORM @extschema@._reg_fail('23503', pg_catalog.format('%s: unit %s is not registered', label, u),
            'Register it first with trace.register_unit().');
    ELSIF role IS NOT NULL AND NOT (role = ANY (r.roles)) THEN
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: unit %s is not registered as a %s', label, u, role));
    END IF;
    RETURN r;
END
$$;

-- Retention (clause 8.5): the industry rule of the category if set (years
-- after the event); else the end of the warranty or service life (whichever
-- is later) plus one year; else two years after the event.
CREATE FUNCTION @extschema@._reg_retain(event_date date, production_date date, retention_years int,
                                        warranty interval, service_life interval) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN retention_years IS NOT NULL THEN (event_date + pg_catalog.make_interval(years => retention_years))::date
        WHEN coalesce(warranty, service_life) IS NOT NULL THEN
            (coalesce(production_date, event_date)
             + greatest(coalesce(warranty, service_life), coalesce(service_life, warranty))
             + interval '1 year')::date
        ELSE (event_date + interval '2 years')::date END
$$;

-- A document reference: a document id (number), the SHA-256 (hex) of a
-- document already attached, or an inline document object that is attached
-- now (see trace.attach_document).
CREATE FUNCTION @extschema@._reg_doc(rec jsonb, field text, label text, owner @extschema@.uscc) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v jsonb := rec -> field;
    id bigint;
BEGIN
    IF @extschema@._reg_empty(v) THEN
        RETURN NULL;
    ELSIF pg_catalog.jsonb_typeof(v) = 'number' THEN
        SELECT d.document_id INTO id FROM @extschema@.documents d WHERE d.document_id = (v #>> '{}')::numeric;
        IF NOT FOUND THEN
            PERFORM @extschema@._reg_fail('23503', pg_catalog.format('%s: field %s: no document %s', label, field, v::text));
        END IF;
        RETURN id;
    ELSIF pg_catalog.jsonb_typeof(v) = 'string' AND (v #>> '{}') ~* '^[0-9a-f]{64}$' THEN
        -- the same bytes may be attached by several units: the recording
        -- unit's own document first, else the earliest
        SELECT d.document_id INTO id FROM @extschema@.documents d
            WHERE d.sha256 = pg_catalog.lower(v #>> '{}')
            ORDER BY (d.uscc IS NOT NULL AND d.uscc::text = owner::text) DESC, d.document_id
            LIMIT 1;
        IF id IS NULL THEN
            PERFORM @extschema@._reg_fail('23503',
                pg_catalog.format('%s: field %s: no document with SHA-256 %s', label, field, v #>> '{}'),
                'Attach it first with trace.attach_document().');
        END IF;
        RETURN id;
    ELSIF pg_catalog.jsonb_typeof(v) = 'object' THEN
        RETURN @extschema@._reg_attach(v, label || ': field ' || field, owner);
    END IF;
    PERFORM @extschema@._reg_fail('22023',
        pg_catalog.format('%s: field %s: expected a document id, a SHA-256 hex string or a document object, got %s',
                          label, field, pg_catalog.jsonb_typeof(v)));
    RETURN NULL;
END
$$;
