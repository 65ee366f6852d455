-- Public disclosure (clause 5.3, Table 3): trace.lookup and the trace.public_*
-- views. What is public comes from the field catalogue (trace.field_catalog,
-- generated from data/fields.csv): `c` fields always, `d` fields when the
-- product's category makes them apply, never an `n` field.

-- An interval as an ISO 8601 period ("P3Y", "P1Y6M", "P90D"), independent of
-- IntervalStyle. One expression without FROM, so the planner inlines it.
CREATE FUNCTION @extschema@._acc_iso_period(i interval) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- inlined into the public views, so no SET search_path: every operator is
    -- qualified and compares equal types, leaving nothing for a planted
    -- operator (even one in a schema searched first) to match
    SELECT CASE WHEN i IS NULL THEN NULL
                WHEN pg_catalog.date_part('year', i) OPERATOR(pg_catalog.=) 0::float8
                     AND pg_catalog.date_part('month', i) OPERATOR(pg_catalog.=) 0::float8
                     AND pg_catalog.date_part('day', i) OPERATOR(pg_catalog.=) 0::float8 THEN 'P0D'
                ELSE 'P'::text
                     OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.date_part('year', i) OPERATOR(pg_catalog.<>) 0::float8
                          THEN pg_catalog.date_part('year', i)::int::text OPERATOR(pg_catalog.||) 'Y' ELSE '' END
                     OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.date_part('month', i) OPERATOR(pg_catalog.<>) 0::float8
                          THEN pg_catalog.date_part('month', i)::int::text OPERATOR(pg_catalog.||) 'M' ELSE '' END
                     OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.date_part('day', i) OPERATOR(pg_catalog.<>) 0::float8
                          THEN pg_catalog.date_part('day', i)::int::text OPERATOR(pg_catalog.||) 'D' ELSE '' END END
$$;

-- A document as disclosed: its current version's digest, type, name and URI.
-- NULL when the document was withdrawn.
CREATE FUNCTION @extschema@._acc_doc(document_id bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (WITH RECURSIVE chain AS (
                SELECT d.* FROM @extschema@.document_record d WHERE d.id = document_id
                UNION ALL
                SELECT n.* FROM @extschema@.document_record n JOIN chain ON n.supersedes = chain.id
            )
            SELECT CASE WHEN NOT c.voided THEN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                       'sha256', pg_catalog.encode(c.sha256, 'hex'), 'media_type', c.media_type,
                       'file_name', c.file_name, 'uri', c.uri)) END
            FROM chain c ORDER BY c.id DESC LIMIT 1);
END
$$;

-- The seller that sold the unit `c` to its end customer: the latest current
-- seller_sale of the unit or of a package holding it at the time of the sale,
-- whose buyer is not itself a registered seller. NULL when not sold yet.
CREATE FUNCTION @extschema@._acc_end_seller(c @extschema@.code) RETURNS @extschema@.uscc
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    -- a unit never packed: its own sales only (the usual case, two index probes)
    IF NOT EXISTS (SELECT 1 FROM @extschema@.package_event e WHERE e.content_code OPERATOR(@extschema@.=) c) THEN
        RETURN (SELECT f.uscc
                FROM @extschema@.flow_record f
                WHERE f.trace_code OPERATOR(@extschema@.=) c AND f.kind = 'seller_sale' AND NOT f.voided
                  AND NOT EXISTS (SELECT 1 FROM @extschema@.flow_record n WHERE n.supersedes = f.id)
                  AND (f.buyer_uscc IS NULL
                       OR NOT EXISTS (SELECT 1 FROM @extschema@.units s
                                      WHERE s.uscc OPERATOR(@extschema@.=) f.buyer_uscc AND 'seller' = ANY (s.roles)))
                ORDER BY f.event_time DESC, f.id DESC
                LIMIT 1);
    END IF;
    RETURN (
        WITH RECURSIVE up(code, depth) AS (
            SELECT c, 0
            UNION
            SELECT e.package_code, up.depth + 1
            FROM up JOIN @extschema@.package_event e
              ON e.content_code OPERATOR(@extschema@.=) up.code AND e.action = 'pack' AND NOT e.voided
            WHERE up.depth < 16
        )
        SELECT f.uscc
        FROM @extschema@.flow_record f
        WHERE f.trace_code OPERATOR(@extschema@.=) ANY (ARRAY(SELECT up.code FROM up))
          AND f.kind = 'seller_sale' AND NOT f.voided
          AND NOT EXISTS (SELECT 1 FROM @extschema@.flow_record n WHERE n.supersedes = f.id)
          AND (f.buyer_uscc IS NULL
               OR NOT EXISTS (SELECT 1 FROM @extschema@.units s
                              WHERE s.uscc OPERATOR(@extschema@.=) f.buyer_uscc AND 'seller' = ANY (s.roles)))
          AND (f.trace_code OPERATOR(@extschema@.=) c
               OR c OPERATOR(@extschema@.=) ANY (ARRAY(SELECT w.trace_code FROM @extschema@._reg_units_in(f.trace_code, f.event_time) w)))
        ORDER BY f.event_time DESC, f.id DESC
        LIMIT 1);
END
$$;

-- trace.lookup(code text) → jsonb (contract): exactly the Table 3 fields of
-- the product with this trace code (any form trace.code accepts, raw scans
-- included), of its producer and of the seller that sold it to its end
-- customer. NULL when no current item has this code. Every call is recorded
-- in the access log.
--
-- What is disclosed is generated here from the field catalogue: for each part
-- (producer = Table 1 basic group, product = Table 1 product group, seller =
-- Table 2 basic group) exactly the catalogue's public fields, the `c` fields
-- always and each `d` field under its category flag. `sources` says where
-- each field's value is read; a public field without a source stops the
-- installation, and a private field is never emitted whatever the sources
-- hold. Three functions are generated:
--   _acc_lookup_sql(code)      the whole answer in one query (the reference);
--   _acc_unit_parts(uscc)      a unit's producer and seller parts;
--   _acc_product_part(id)      a product model's part, the item's own values
--                              (trace_code, production_date, serial_or_batch)
--                              left as null placeholders.
-- trace.lookup (C, src/pg/lookup.c) caches the parts per session and fills in
-- the item's values; it answers a unit that was ever packed, or an item with
-- model-level values of its own, with _acc_lookup_sql.
DO $gen$
DECLARE
    sources constant jsonb := $src${
      "producer": {"unit_name": "pu.unit_name", "uscc": "pu.uscc::text", "address": "pu.address",
                   "contact": "pu.contact", "business_license": "DOC(pu.business_license)"},
      "seller":   {"unit_name": "su.unit_name", "uscc": "su.uscc::text", "address": "su.address",
                   "contact": "su.contact", "business_license": "DOC(su.business_license)"},
      "product":  {"trace_code": "c::text", "product_name": "prod.product_name", "product_type": "prod.product_type",
                   "spec_model": "prod.spec_model", "production_date": "pg_catalog.to_char(it.production_date, 'YYYY-MM-DD')",
                   "warranty_period": "@extschema@._acc_iso_period(coalesce(it.warranty_period, prod.warranty_period))",
                   "serial_or_batch": "it.serial_or_batch",
                   "mandatory_standards": "coalesce(it.mandatory_standards, prod.mandatory_standards)",
                   "production_licence_no": "coalesce(it.production_licence_no, prod.production_licence_no)",
                   "ccc_certificate_no": "coalesce(it.ccc_certificate_no, prod.ccc_certificate_no)",
                   "manual_or_warning": "DOC(coalesce(it.manual_or_warning, prod.manual_or_warning))"}
    }$src$;
    -- what the C lookup fills in itself, and the item columns whose own value
    -- sends a lookup to _acc_lookup_sql (both must match src/pg/lookup.c)
    item_values constant jsonb := $iv${"trace_code": "c::text",
        "production_date": "pg_catalog.to_char(it.production_date, 'YYYY-MM-DD')",
        "serial_or_batch": "it.serial_or_batch"}$iv$;
    item_overrides constant text[] := ARRAY['warranty_period', 'mandatory_standards', 'production_licence_no',
                                            'ccc_certificate_no', 'manual_or_warning'];
    -- a document in one probe when it was never corrected (the usual case)
    doc_expr constant text := $d$(CASE WHEN %1$s IS NULL THEN NULL
        WHEN NOT EXISTS (SELECT 1 FROM @extschema@.document_record n WHERE n.supersedes = %1$s)
        THEN (SELECT CASE WHEN NOT d.voided THEN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                  'sha256', pg_catalog.encode(d.sha256, 'hex'), 'media_type', d.media_type,
                  'file_name', d.file_name, 'uri', d.uri)) END
              FROM @extschema@.document_record d WHERE d.id = %1$s)
        ELSE @extschema@._acc_doc(%1$s) END)$d$;
    -- the product's category flags (none when the category is gone)
    cat_expr constant text := $c$(
            SELECT y.flags FROM (
                SELECT pg_catalog.array_remove(ARRAY[
                           CASE WHEN k.licence_managed THEN 'licence' END, CASE WHEN k.ccc_managed THEN 'ccc' END,
                           CASE WHEN k.has_warranty THEN 'warranty' END, CASE WHEN k.needs_manual THEN 'manual' END],
                           NULL) AS flags, 1 AS o
                  FROM @extschema@.categories k WHERE k.code = prod.category
                UNION ALL SELECT '{}'::text[], 2) y
            ORDER BY y.o LIMIT 1)$c$;
    part text;
    f record;
    c_args text;
    d_parts text;
    e text;
    col text;
    obj jsonb := '{}';
BEGIN
    FOREACH part IN ARRAY ARRAY['producer', 'product', 'seller'] LOOP
        c_args := '';
        d_parts := '';
        FOR f IN
            SELECT k.field, k.public, k.category_flag FROM @extschema@.field_catalog k
            WHERE (k.table_name, k.field_group) = (CASE part WHEN 'seller' THEN 'seller' ELSE 'producer' END,
                                                   CASE part WHEN 'product' THEN 'product' ELSE 'basic' END)
              AND k.public IN ('c', 'd')
            ORDER BY k.ordinal
        LOOP
            e := sources -> part ->> f.field;
            IF e IS NULL THEN
                RAISE EXCEPTION 'trace.lookup: public field %.% of the catalogue has no source', part, f.field;
            END IF;
            -- an item column read any other way than the C lookup knows
            IF part = 'product' AND NOT (item_values ? f.field AND item_values ->> f.field = e) THEN
                FOR col IN SELECT m[1] FROM pg_catalog.regexp_matches(e, 'it\.(\w+)', 'g') m LOOP
                    IF NOT col = ANY (item_overrides)
                       OR pg_catalog.strpos(e, pg_catalog.format('coalesce(it.%s, prod.%s)', col, col)) = 0 THEN
                        RAISE EXCEPTION 'trace.lookup: source of product.% reads item column % in a way '
                            'src/pg/lookup.c does not know', f.field, col;
                    END IF;
                END LOOP;
                IF e ~ '(^|\W)c::' THEN
                    RAISE EXCEPTION 'trace.lookup: source of product.% reads the code in a way src/pg/lookup.c '
                        'does not know', f.field;
                END IF;
            END IF;
            IF e LIKE 'DOC(%)' THEN
                e := pg_catalog.format(doc_expr, pg_catalog.substr(e, 5, pg_catalog.length(e) - 5));
            END IF;
            IF f.public = 'c' THEN
                c_args := c_args || CASE WHEN c_args = '' THEN '' ELSE ', ' END || pg_catalog.format('%L, %s', f.field, e);
            ELSE
                d_parts := d_parts || pg_catalog.format(
                    ' || CASE WHEN %L = ANY (cat.flags) THEN pg_catalog.jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END',
                    f.category_flag, f.field, e);
            END IF;
        END LOOP;
        obj := obj || pg_catalog.jsonb_build_object(part, 'pg_catalog.jsonb_build_object(' || c_args || ')' || d_parts);
    END LOOP;

    -- the reference: the whole answer in one statement
    EXECUTE pg_catalog.format($fn$
CREATE FUNCTION @extschema@._acc_lookup_sql(c @extschema@.code) RETURNS jsonb
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    result jsonb;
BEGIN
    SELECT pg_catalog.jsonb_build_object(
               'producer', CASE WHEN pu.uscc IS NOT NULL THEN %s END,
               'product', %s,
               'seller', CASE WHEN su.uscc IS NOT NULL THEN %s END)
      INTO result
      FROM (SELECT x.* FROM (
                SELECT i.* FROM @extschema@.item_record i
                 WHERE i.trace_code OPERATOR(@extschema@.=) c AND i.supersedes IS NULL
                UNION ALL
                SELECT i.* FROM @extschema@.item_record i
                 WHERE i.trace_code OPERATOR(@extschema@.=) c AND i.supersedes IS NOT NULL) x
            ORDER BY x.id DESC LIMIT 1) it
      CROSS JOIN LATERAL (
            SELECT p.* FROM @extschema@.product_record p
             WHERE p.id = it.product_id OR p.root = it.product_id
             ORDER BY p.id DESC LIMIT 1) prod
      CROSS JOIN LATERAL (SELECT %s AS flags) cat
      LEFT JOIN LATERAL (
            SELECT u.* FROM @extschema@.unit_record u
             WHERE u.uscc OPERATOR(@extschema@.=) it.uscc ORDER BY u.id DESC LIMIT 1) pu0 ON true
      LEFT JOIN LATERAL (SELECT pu0.* WHERE NOT pu0.voided) pu ON true
      LEFT JOIN LATERAL (
            SELECT u.* FROM @extschema@.unit_record u
             WHERE u.uscc OPERATOR(@extschema@.=) @extschema@._acc_end_seller(c)
             ORDER BY u.id DESC LIMIT 1) su0 ON true
      LEFT JOIN LATERAL (SELECT su0.* WHERE NOT su0.voided) su ON true
     WHERE NOT it.voided
       AND NOT EXISTS (SELECT 1 FROM @extschema@.item_record n WHERE n.supersedes = it.id);
    RETURN result;
END
$body$
$fn$, obj ->> 'producer', obj ->> 'product', obj ->> 'seller', cat_expr);

    -- a product model's part; the item's values are null placeholders
    EXECUTE pg_catalog.format($fn$
CREATE FUNCTION @extschema@._acc_product_part(product_id bigint) RETURNS jsonb
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
    SELECT %s
      FROM (SELECT p.* FROM @extschema@.product_record p
             WHERE p.id = _acc_product_part.product_id OR p.root = _acc_product_part.product_id
             ORDER BY p.id DESC LIMIT 1) prod
      CROSS JOIN LATERAL (SELECT %s AS flags) cat
      CROSS JOIN (SELECT (NULL::@extschema@.item_record).*) it
      CROSS JOIN (SELECT NULL::@extschema@.code AS c) item_code
$body$
$fn$, obj ->> 'product', cat_expr);

    -- a unit's producer and seller parts, and whether it is a current seller
    EXECUTE pg_catalog.format($fn$
CREATE FUNCTION @extschema@._acc_unit_parts(uscc @extschema@.uscc) RETURNS jsonb
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
    SELECT pg_catalog.jsonb_build_object(
               'producer', CASE WHEN pu.uscc IS NOT NULL THEN %s END,
               'seller', CASE WHEN su.uscc IS NOT NULL THEN %s END,
               'is_seller', EXISTS (SELECT 1 FROM @extschema@.units s
                                    WHERE s.uscc OPERATOR(@extschema@.=) _acc_unit_parts.uscc
                                      AND 'seller' = ANY (s.roles)))
      FROM (SELECT 1) one
      LEFT JOIN LATERAL (
            SELECT u.* FROM @extschema@.unit_record u
             WHERE u.uscc OPERATOR(@extschema@.=) _acc_unit_parts.uscc ORDER BY u.id DESC LIMIT 1) u0 ON true
      LEFT JOIN LATERAL (SELECT u0.* WHERE NOT u0.voided) pu ON true
      LEFT JOIN LATERAL (SELECT pu.*) su ON true
$body$
$fn$, obj ->> 'producer', obj ->> 'seller');
END
$gen$;

CREATE FUNCTION @extschema@.lookup(code text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_lookup' LANGUAGE C VOLATILE STRICT;

-- Wait until every lookup queued for the access log so far is written
-- (src/pg/access_buffer.c); false when timeout_ms passed first.
CREATE FUNCTION @extschema@.access_log_flush(timeout_ms integer DEFAULT 10000) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_access_log_flush' LANGUAGE C VOLATILE;

-- Lookups queued and not yet written (trace.status()).
CREATE FUNCTION @extschema@._acc_log_queued() RETURNS bigint
    AS 'MODULE_PATHNAME', 'pt_access_log_queued' LANGUAGE C VOLATILE;
-- Does the access-log queue serve this database (src/pg/access_buffer.c)?
CREATE FUNCTION @extschema@._acc_log_queue_here() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_access_log_queue_here' LANGUAGE C STABLE;

-- The lookup's caches are dropped in every session when a unit, product,
-- category or document record is written (or withdrawn by trace.purge).
CREATE FUNCTION @extschema@._acc_lookup_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pt_lookup_changed' LANGUAGE C;
DO $trg$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['unit_record', 'product_record', 'category_record', 'document_record'] LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER lookup_changed AFTER INSERT OR DELETE ON @extschema@.%I '
            'FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._acc_lookup_changed()', t);
        -- also when rows arrive by logical replication, so a subscriber's lookups follow them
        EXECUTE pg_catalog.format('ALTER TABLE @extschema@.%I ENABLE ALWAYS TRIGGER lookup_changed', t);
    END LOOP;
END
$trg$;

-- --------------------------------------------------------------------------
-- Public views for trace_public. Each reads with the caller's rights
-- (security_invoker): trace_public holds SELECT only on the public columns
-- (and the keys that join them) of the registry tables, and its row policies
-- pass only current, public rows. So nothing the views hide can be read
-- around them, and they hide nothing the policies and grants would show.
-- --------------------------------------------------------------------------

-- Row tests of the trace_public policies (definer rights: they see the
-- records they judge, not the caller's view of them). _acc_current: the
-- record exists, is not a withdrawal and has no successor. Callable by
-- trace_public with any id, so it says no more than the policy shows: true
-- only for a current record, the same false for a superseded, withdrawn or
-- missing one (it said whether any id had been corrected).
CREATE FUNCTION @extschema@._acc_current(tbl text, record_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN CASE tbl
        WHEN 'unit_record' THEN EXISTS (SELECT 1 FROM @extschema@.unit_record r WHERE r.id = record_id AND NOT r.voided
                                          AND NOT EXISTS (SELECT 1 FROM @extschema@.unit_record n WHERE n.supersedes = r.id))
        WHEN 'product_record' THEN EXISTS (SELECT 1 FROM @extschema@.product_record r WHERE r.id = record_id AND NOT r.voided
                                          AND NOT EXISTS (SELECT 1 FROM @extschema@.product_record n WHERE n.supersedes = r.id))
        WHEN 'item_record' THEN EXISTS (SELECT 1 FROM @extschema@.item_record r WHERE r.id = record_id AND NOT r.voided
                                          AND NOT EXISTS (SELECT 1 FROM @extschema@.item_record n WHERE n.supersedes = r.id))
        WHEN 'document_record' THEN EXISTS (SELECT 1 FROM @extschema@.document_record r WHERE r.id = record_id AND NOT r.voided
                                          AND NOT EXISTS (SELECT 1 FROM @extschema@.document_record n WHERE n.supersedes = r.id))
        ELSE false END;
END
$$;

-- A document is public when it is the business licence of a current unit or
-- the instructions/warnings of a current product or item.
CREATE FUNCTION @extschema@._acc_public_document(sha bytea) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.document_record d
        WHERE d.sha256 = sha AND NOT d.voided
          AND (coalesce(d.root, d.id) IN (SELECT u.business_license FROM @extschema@.units u)
               OR coalesce(d.root, d.id) IN (SELECT p.manual_or_warning FROM @extschema@.products p
                                             JOIN @extschema@.categories c ON c.code = p.category
                                             WHERE c.needs_manual)
               OR coalesce(d.root, d.id) IN (SELECT i.manual_or_warning FROM @extschema@.item_record i
                                             WHERE i.manual_or_warning IS NOT NULL)))
$$;

-- A flow row is public when it is the current sale of a seller to an end
-- customer: only which seller sold which code is disclosed.
CREATE FUNCTION @extschema@._acc_public_sale(record_id bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM @extschema@.flow_record f
        WHERE f.id = record_id AND f.kind = 'seller_sale' AND NOT f.voided
          AND NOT EXISTS (SELECT 1 FROM @extschema@.flow_record n WHERE n.supersedes = f.id)
          AND (f.buyer_uscc IS NULL
               OR NOT EXISTS (SELECT 1 FROM @extschema@.units s
                              WHERE s.uscc OPERATOR(@extschema@.=) f.buyer_uscc AND 'seller' = ANY (s.roles))))
$$;

-- The d fields of Table 3 (public only where they apply) of a current
-- product record, or of an item record over its product: each value only when
-- the product's category makes the field apply. trace_public holds no column
-- privilege on these columns, so no query of the tables can read a value the
-- views hide; the views read them through this function (definer rights; it
-- answers only for current, not withdrawn records, as the row policies do).
CREATE FUNCTION @extschema@._acc_public_d(product_record_id bigint, item_record_id bigint)
    RETURNS TABLE (production_licence_no text, ccc_certificate_no text, manual_or_warning bigint,
                   warranty_period interval)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN c.licence_managed THEN coalesce(i.production_licence_no, p.production_licence_no) END,
           CASE WHEN c.ccc_managed THEN coalesce(i.ccc_certificate_no, p.ccc_certificate_no) END,
           CASE WHEN c.needs_manual THEN coalesce(i.manual_or_warning, p.manual_or_warning) END,
           CASE WHEN c.has_warranty THEN coalesce(i.warranty_period, p.warranty_period) END
    FROM @extschema@.product_record p
    JOIN @extschema@.categories c ON c.code = p.category
    LEFT JOIN @extschema@.item_record i ON i.id = item_record_id AND NOT i.voided
                                        AND (i.product_id = p.id OR i.product_id = p.root)
                                        AND @extschema@._acc_current('item_record', i.id)
    WHERE p.id = product_record_id AND NOT p.voided AND @extschema@._acc_current('product_record', p.id)
      AND (item_record_id IS NULL OR i.id IS NOT NULL)
$$;

CREATE POLICY public_current ON @extschema@.unit_record FOR SELECT TO trace_public
    USING (NOT voided AND @extschema@._acc_current('unit_record', id));
CREATE POLICY public_current ON @extschema@.product_record FOR SELECT TO trace_public
    USING (NOT voided AND @extschema@._acc_current('product_record', id));
CREATE POLICY public_current ON @extschema@.item_record FOR SELECT TO trace_public
    USING (NOT voided AND @extschema@._acc_current('item_record', id));
CREATE POLICY public_document ON @extschema@.document_record FOR SELECT TO trace_public
    USING (NOT voided AND @extschema@._acc_current('document_record', id) AND @extschema@._acc_public_document(sha256));
CREATE POLICY public_document ON @extschema@.document_content FOR SELECT TO trace_public
    USING (@extschema@._acc_public_document(sha256));
CREATE POLICY public_sale ON @extschema@.flow_record FOR SELECT TO trace_public
    USING (@extschema@._acc_public_sale(id));

-- The columns trace_public may read: Table 3 public fields and join keys.
GRANT SELECT (uscc, unit_name, address, contact, business_license) ON @extschema@.unit_record TO trace_public;
-- (the d fields — licence, CCC, manual, warranty — only through _acc_public_d)
GRANT SELECT (id, root, uscc, category, gtin, product_name, product_type, spec_model, mandatory_standards)
    ON @extschema@.product_record TO trace_public;
GRANT SELECT (id, trace_code, product_id, uscc, production_date, serial_or_batch, mandatory_standards)
    ON @extschema@.item_record TO trace_public;
GRANT SELECT (id, root, sha256, media_type, file_name, uri, size) ON @extschema@.document_record TO trace_public;
GRANT SELECT (sha256, content) ON @extschema@.document_content TO trace_public;
GRANT SELECT (trace_code, uscc) ON @extschema@.flow_record TO trace_public;

-- Producers and sellers: Table 3 basic fields (business_license = SHA-256 of
-- the licence document, fetched from trace.public_documents).
CREATE VIEW @extschema@.public_units WITH (security_invoker = true) AS
    SELECT u.uscc, u.unit_name, u.address, u.contact,
           (SELECT pg_catalog.encode(d.sha256, 'hex') FROM @extschema@.document_record d
             WHERE d.id = u.business_license OR d.root = u.business_license
             ORDER BY d.id DESC LIMIT 1) AS business_license
    FROM @extschema@.unit_record u;

-- Products (model level): Table 3 product fields that hold for every unit of
-- the model; d fields only where the category makes them apply.
CREATE VIEW @extschema@.public_products WITH (security_invoker = true) AS
    SELECT p.uscc, p.gtin, p.product_name, p.product_type, p.spec_model, p.mandatory_standards,
           dd.production_licence_no, dd.ccc_certificate_no,
           (SELECT pg_catalog.encode(d.sha256, 'hex') FROM @extschema@.document_record d
             WHERE d.id = dd.manual_or_warning OR d.root = dd.manual_or_warning
             ORDER BY d.id DESC LIMIT 1) AS manual_or_warning,
           @extschema@._acc_iso_period(dd.warranty_period) AS warranty_period
    FROM @extschema@.product_record p
    CROSS JOIN LATERAL @extschema@._acc_public_d(p.id, NULL) dd;

-- Items: the Table 3 product record of each trace code (uscc = producer).
CREATE VIEW @extschema@.public_items WITH (security_invoker = true) AS
    SELECT i.trace_code, i.uscc, p.product_name, p.product_type, p.spec_model, i.production_date,
           @extschema@._acc_iso_period(dd.warranty_period) AS warranty_period,
           i.serial_or_batch,
           coalesce(i.mandatory_standards, p.mandatory_standards) AS mandatory_standards,
           dd.production_licence_no, dd.ccc_certificate_no,
           (SELECT pg_catalog.encode(d.sha256, 'hex') FROM @extschema@.document_record d
             WHERE d.id = dd.manual_or_warning OR d.root = dd.manual_or_warning
             ORDER BY d.id DESC LIMIT 1) AS manual_or_warning
    FROM @extschema@.item_record i
    JOIN @extschema@.product_record p ON p.id = i.product_id OR p.root = i.product_id
    CROSS JOIN LATERAL @extschema@._acc_public_d(p.id, i.id) dd;

-- Public documents (business licences, instructions and warnings).
CREATE VIEW @extschema@.public_documents WITH (security_invoker = true) AS
    SELECT pg_catalog.encode(d.sha256, 'hex') AS sha256, d.media_type, d.file_name, d.uri, d.size,
           (SELECT x.content FROM @extschema@.document_content x WHERE x.sha256 = d.sha256) AS content
    FROM @extschema@.document_record d;

-- Sales to end customers: which seller sold which trace code (a unit or a
-- package); nothing else of the flow.
CREATE VIEW @extschema@.public_sales WITH (security_invoker = true) AS
    SELECT f.trace_code, f.uscc AS seller_uscc
    FROM @extschema@.flow_record f;

-- --------------------------------------------------------------------------
-- Privileges and status
-- --------------------------------------------------------------------------
REVOKE ALL ON @extschema@.public_units, @extschema@.public_products, @extschema@.public_items,
    @extschema@.public_documents, @extschema@.public_sales FROM PUBLIC;
GRANT SELECT ON @extschema@.public_units, @extschema@.public_products, @extschema@.public_items,
    @extschema@.public_documents, @extschema@.public_sales
    TO trace_public, trace_admin, trace_regulator, trace_operator;

REVOKE ALL ON FUNCTION @extschema@._acc_iso_period(interval), @extschema@._acc_doc(bigint),
    @extschema@._acc_end_seller(@extschema@.code), @extschema@._acc_lookup_sql(@extschema@.code),
    @extschema@._acc_product_part(bigint), @extschema@._acc_unit_parts(@extschema@.uscc),
    @extschema@._acc_lookup_changed(), @extschema@._acc_log_queued(), @extschema@._acc_log_queue_here(), @extschema@.lookup(text), @extschema@._acc_current(text, bigint), @extschema@._acc_public_document(bytea),
    @extschema@._acc_public_sale(bigint), @extschema@._acc_public_d(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.lookup(text) TO trace_public, trace_admin, trace_operator, trace_regulator;
REVOKE ALL ON FUNCTION @extschema@.access_log_flush(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.access_log_flush(integer) TO trace_admin, trace_regulator;
-- evaluated with the caller's rights inside the views and policies
GRANT EXECUTE ON FUNCTION @extschema@._acc_iso_period(interval), @extschema@._acc_current(text, bigint),
    @extschema@._acc_public_document(bytea), @extschema@._acc_public_sale(bigint), @extschema@._acc_public_d(bigint, bigint)
    TO trace_public, trace_admin, trace_operator, trace_regulator;

-- trace.status() report of access control.
CREATE FUNCTION @extschema@._status_access() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing jsonb := '[]';
    log_on boolean := @extschema@._acc_log_enabled();
    tls text := pg_catalog.current_setting('pgtrace.tls_writers', true);
BEGIN
    IF NOT log_on THEN
        missing := missing || pg_catalog.to_jsonb('access: pgtrace.access_log is off, so lookups, regulator reads '
            'and exports are not recorded'::text);
    END IF;
    IF NOT @extschema@._preloaded() THEN
        missing := missing || pg_catalog.to_jsonb('access: without shared_preload_libraries a regulator''s reads are '
            'recorded only once the session has loaded pgtrace'::text);
    END IF;
    IF log_on AND NOT @extschema@._acc_log_queue_here() THEN
        missing := missing || pg_catalog.to_jsonb('access: no access-log queue serves this database (pgtrace not '
            'preloaded, pgtrace.access_log_buffer = 0, a standby, or the sealer runs in another database), so '
            'entries are written in the caller''s transaction and a rollback removes them'::text);
    END IF;
    IF coalesce(tls, '') <> '' AND pg_catalog.current_setting('ssl') <> 'on' THEN
        missing := missing || pg_catalog.to_jsonb(pg_catalog.format('access: pgtrace.tls_writers lists %s but ssl is off, '
            'so those roles cannot write at all', tls));
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'access_log', log_on,
        'access_log_rows', (SELECT pg_catalog.count(*) FROM @extschema@.access_log_record)
                           + (SELECT coalesce(pg_catalog.sum(pg_catalog.cardinality(b.entry_id)), 0)
                              FROM @extschema@.access_log_batch b),
        'access_log_queued', @extschema@._acc_log_queued(),
        'access_log_queue', @extschema@._acc_log_queue_here(),
        'tls_writers', coalesce(tls, ''),
        'ssl', pg_catalog.current_setting('ssl') = 'on',
        'operator_bindings', (SELECT pg_catalog.count(*) FROM @extschema@.operator_bindings),
        'row_security_tables', (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class r
                                WHERE r.relnamespace = '@extschema@'::regnamespace AND r.relrowsecurity),
        'missing_guarantees', missing);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._status_access() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._status_access() TO trace_admin, trace_operator, trace_regulator;
