-- Registry reads: the life of one unit, completeness per unit, retention.

-- How trace.history marks an event whose record was corrected or withdrawn
-- later: {"superseded_by": <the next version's id>} and, when the record's
-- latest version is a withdrawal, "withdrawn": true ({} for a current
-- record).
CREATE FUNCTION @extschema@._reg_history_marks(tbl text, rid bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    next_id bigint;
    cur bigint := rid;
    nxt record;
    last_voided boolean;
BEGIN
    -- follow the versions to the latest (one supersedes-index probe each;
    -- a statement per table: one plan over the three tables would start up
    -- all three at every probe)
    LOOP
        IF tbl = 'item_record' THEN
            SELECT x.id, x.voided INTO nxt FROM @extschema@.item_record x WHERE x.supersedes = cur;
        ELSIF tbl = 'package_event' THEN
            SELECT x.id, x.voided INTO nxt FROM @extschema@.package_event x WHERE x.supersedes = cur;
        ELSE
            SELECT x.id, x.voided INTO nxt FROM @extschema@.flow_record x WHERE x.supersedes = cur;
        END IF;
        EXIT WHEN NOT FOUND;
        cur := nxt.id;
        last_voided := nxt.voided;
        next_id := coalesce(next_id, cur);
    END LOOP;
    IF next_id IS NULL THEN
        RETURN '{}';
    END IF;
    -- a withdrawal is always a record's last version
    RETURN pg_catalog.jsonb_build_object('superseded_by', next_id)
        || CASE WHEN last_voided THEN '{"withdrawn": true}'::jsonb ELSE '{}' END;
END
$$;

-- trace.history(code) -> jsonb: the whole life of one unit, in order:
-- production, packing and unpacking (also of the packages around it),
-- every sale and purchase (also of a package while it held the unit), and
-- every correction of those records.
CREATE FUNCTION @extschema@.history(code text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                                   -- index lookups only: compiling would cost more than running
    -- the same plans fit every code; without statistics on the small unit and
    -- product tables the plan cache would otherwise plan each call anew
    SET plan_cache_mode = force_generic_plan
    AS $$
DECLARE
    c @extschema@.code;
    problem text := @extschema@.validate('code', code);
    item record;
    product record;
    producer_name text;
    events jsonb;
    packed boolean;
    holders @extschema@.code[];         -- the unit and every package that ever held it
    readers @extschema@.uscc[] := @extschema@._acc_reader_units();
BEGIN
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('22P02', 'trace.history: ' || problem);
    END IF;
    c := @extschema@._reg_to_code(code);
    -- one index lookup each (no join: the small unit and product tables
    -- often have no planner statistics, and a join plan then costs more)
    SELECT i.* INTO item FROM @extschema@.item_record i
        WHERE i.trace_code OPERATOR(@extschema@.=) c AND i.supersedes IS NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT p.product_id, p.product_name, p.product_type, p.spec_model, p.category, p.gtin INTO product
        FROM @extschema@.products p
        WHERE p.record_id IN (SELECT r.id FROM @extschema@.product_record r
                              WHERE r.id = item.product_id OR r.root = item.product_id);
    producer_name := (SELECT u.unit_name FROM @extschema@.units u WHERE u.uscc OPERATOR(@extschema@.=) item.uscc);
    -- The common case, a unit never packed, needs no package walk.
    packed := EXISTS (SELECT 1 FROM @extschema@.package_event e WHERE e.content_code OPERATOR(@extschema@.=) c);
    IF packed THEN
        holders := ARRAY(SELECT c UNION ALL SELECT a.package_code FROM @extschema@._reg_ancestors(c) a);
    ELSE
        holders := ARRAY[c];
    END IF;

    -- MATERIALIZED: the reader filter below names ev.e three times; pushed
    -- into the union, it would copy each event's expression (and its
    -- subqueries) into every arm's plan
    WITH ev AS MATERIALIZED (
        -- production (and each corrected version of the item record)
        SELECT ((i.production_date::timestamp - interval '8 hours') AT TIME ZONE 'UTC') AS t, 0 AS seq, i.id AS rid,
               pg_catalog.jsonb_build_object('event', 'production', 'date', i.production_date,
                   'record_id', i.id, 'uscc', i.uscc, 'serial_or_batch', i.serial_or_batch,
                   'collection_method', i.collection_method) || @extschema@._reg_history_marks('item_record', i.id) AS e
        FROM @extschema@.item_record i WHERE i.trace_code OPERATOR(@extschema@.=) c AND i.supersedes IS NULL
        UNION ALL
        SELECT i.recorded_at, 3, i.id,
               pg_catalog.jsonb_build_object('event', CASE WHEN i.voided THEN 'withdrawal' ELSE 'correction' END,
                   'record', 'item', 'record_id', i.id, 'supersedes', i.supersedes, 'reason', i.reason,
                   'at', @extschema@._reg_iso(i.recorded_at), 'production_date', i.production_date,
                   'serial_or_batch', i.serial_or_batch)
               || CASE WHEN NOT i.voided THEN @extschema@._reg_history_marks('item_record', i.id) ELSE '{}' END
        FROM @extschema@.item_record i WHERE i.trace_code OPERATOR(@extschema@.=) c AND i.supersedes IS NOT NULL
        UNION ALL
        -- packing of the unit, and of packages while they held it
        SELECT e.event_time, 1, e.id,
               pg_catalog.jsonb_build_object('event', e.action, 'at', @extschema@._reg_iso(e.event_time),
                   'package_code', e.package_code::text, 'content_code', e.content_code::text, 'uscc', e.uscc,
                   'record_id', e.id, 'collection_method', e.collection_method)
               || CASE WHEN e.supersedes IS NOT NULL THEN pg_catalog.jsonb_build_object('withdrawn', true, 'reason', e.reason)
                       ELSE @extschema@._reg_history_marks('package_event', e.id) END
        FROM @extschema@.package_event e
        WHERE packed
          AND e.content_code OPERATOR(@extschema@.=) ANY (holders)
          AND (e.content_code OPERATOR(@extschema@.=) c OR @extschema@._reg_holds(e.content_code, e.event_time, c))
          AND (NOT e.voided OR e.supersedes IS NOT NULL)
        UNION ALL
        -- sales and purchases of the unit or of a package holding it
        SELECT f.event_time, 2, f.id,
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('event', f.kind, 'at', @extschema@._reg_iso(f.event_time),
                   'record_id', f.id, 'uscc', f.uscc, 'unit_name', (SELECT u.unit_name FROM @extschema@.units u WHERE u.uscc OPERATOR(@extschema@.=) f.uscc),
                   'via', CASE WHEN f.trace_code OPERATOR(@extschema@.<>) c THEN f.trace_code::text END,
                   'buyer_name', f.buyer_name, 'buyer_address', f.buyer_address, 'buyer_contact', f.buyer_contact,
                   'buyer_uscc', f.buyer_uscc, 'supplier_name', f.supplier_name, 'supplier_uscc', f.supplier_uscc,
                   'customer_name', f.customer_name, 'quantity', f.quantity, 'collection_method', f.collection_method,
                   'supersedes', f.supersedes, 'reason', f.reason,
                   'withdrawn', CASE WHEN f.voided THEN true END))
               || CASE WHEN NOT f.voided THEN @extschema@._reg_history_marks('flow_record', f.id) ELSE '{}' END
        FROM @extschema@.flow_record f
        WHERE f.trace_code OPERATOR(@extschema@.=) ANY (holders)
          AND (f.trace_code OPERATOR(@extschema@.=) c OR @extschema@._reg_holds(f.trace_code, f.event_time, c))
    )
    SELECT pg_catalog.jsonb_agg(ev.e ORDER BY ev.t, ev.seq, ev.rid) INTO events FROM ev
     -- an operator sees the events of its own units and the flows it is a
     -- party to, as the row policies on the tables let it (docs/access.md)
     WHERE readers IS NULL
        OR (ev.e ->> 'uscc')::@extschema@.uscc OPERATOR(@extschema@.=) ANY (readers)
        OR (ev.e ->> 'buyer_uscc')::@extschema@.uscc OPERATOR(@extschema@.=) ANY (readers)
        OR (ev.e ->> 'supplier_uscc')::@extschema@.uscc OPERATOR(@extschema@.=) ANY (readers);

    RETURN pg_catalog.jsonb_build_object(
        'trace_code', c::text,
        'current', pg_catalog.jsonb_build_object('package_code',
                       CASE WHEN packed THEN @extschema@._reg_parent(c, 'infinity')::text END,
                       'withdrawn', EXISTS (SELECT 1 FROM @extschema@.item_record x
                                            WHERE x.trace_code OPERATOR(@extschema@.=) c AND x.voided AND x.supersedes IS NOT NULL
                                              AND NOT EXISTS (SELECT 1 FROM @extschema@.item_record y WHERE y.supersedes = x.id))),
        'product', pg_catalog.jsonb_build_object('product_id', product.product_id, 'product_name', product.product_name,
                       'product_type', product.product_type, 'spec_model', product.spec_model, 'category', product.category,
                       'gtin', product.gtin),
        'producer', pg_catalog.jsonb_build_object('uscc', item.uscc, 'unit_name', producer_name),
        'events', coalesce(events, '[]'));
END
$$;

-- trace.proof(code, checkpoint) -> jsonb: the ledger rows behind the history
-- of one unit code — its item record and every event trace.history shows
-- (each correction, packing, sale and purchase, through packages too), its
-- product and its producer — each with its inclusion proof (trace.proof of
-- the row, to the checkpoint's head when one is given). Rows not sealed yet
-- (or sealed after the checkpoint) are listed under "pending".
CREATE FUNCTION @extschema@.proof(code @extschema@.code, checkpoint text DEFAULT NULL) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    h jsonb := @extschema@.history(code::text);
    r record;
    seq bigint;
    p jsonb;
    rows jsonb := '[]';
    pending jsonb := '[]';
BEGIN
    IF h IS NULL THEN
        RAISE EXCEPTION 'trace.proof: no item with trace code %', code::text USING ERRCODE = 'P0002';
    END IF;
    FOR r IN
        SELECT x.what, x.tbl, x.rid
        FROM (SELECT e.o, e.v ->> 'event' AS what,
                     CASE WHEN e.v ->> 'event' IN ('production', 'correction', 'withdrawal') THEN 'item_record'
                          WHEN e.v ->> 'event' IN ('pack', 'unpack') THEN 'package_event'
                          ELSE 'flow_record' END AS tbl,
                     (e.v ->> 'record_id')::bigint AS rid
              FROM pg_catalog.jsonb_array_elements(h -> 'events') WITH ORDINALITY e(v, o)
              UNION ALL
              SELECT 1000000000, 'product', 'product_record',
                     (SELECT pr.id FROM @extschema@.product_record pr
                       WHERE (pr.id = (h #>> '{product,product_id}')::bigint OR pr.root = (h #>> '{product,product_id}')::bigint)
                         AND NOT EXISTS (SELECT 1 FROM @extschema@.product_record n WHERE n.supersedes = pr.id))
              UNION ALL
              SELECT 1000000001, 'producer', 'unit_record',
                     (SELECT u.record_id FROM @extschema@.units u
                       WHERE u.uscc OPERATOR(@extschema@.=) (h #>> '{producer,uscc}')::@extschema@.uscc)) x
        WHERE x.rid IS NOT NULL
        ORDER BY x.o
    LOOP
        EXECUTE pg_catalog.format('SELECT t.ledger_seq FROM @extschema@.%I t WHERE t.id = $1', r.tbl) INTO seq USING r.rid;
        BEGIN
            p := @extschema@.proof(pg_catalog.format('@extschema@.%I', r.tbl)::pg_catalog.regclass, seq, checkpoint) - 'checkpoint';
            rows := rows || pg_catalog.jsonb_build_object('event', r.what, 'table', '@extschema@.' || r.tbl,
                                                           'record_id', r.rid, 'seq', seq, 'proof', p);
        EXCEPTION WHEN SQLSTATE 'P0002' THEN
            pending := pending || pg_catalog.jsonb_build_object('event', r.what, 'table', '@extschema@.' || r.tbl,
                                                                 'record_id', r.rid, 'seq', seq);
        END;
    END LOOP;
    RETURN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'typ', 'pgtrace-code-proof', 'version', 1, 'trace_code', h ->> 'trace_code',
        'rows', rows, 'pending', pending, 'checkpoint', checkpoint));
END
$$;

-- The fields of Table 1 ('producer') or Table 2 ('seller') as trace.completeness
-- and stats_completeness count them: names in catalogue order, the category
-- flag each producer b field needs (NULL: always applies), a/b/o, and the
-- positions of the mandatory (a, b) ones.
CREATE FUNCTION @extschema@._reg_field_list(tbl text)
    RETURNS TABLE (names text[], need text[], collects text[], mand int[])
    LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.array_agg(x.field ORDER BY x.pos), pg_catalog.array_agg(x.need ORDER BY x.pos),
           pg_catalog.array_agg(x.collect ORDER BY x.pos),
           coalesce(pg_catalog.array_agg(x.pos) FILTER (WHERE x.collect OPERATOR(pg_catalog.<>) 'o'), '{}')
    FROM (SELECT f.field, f.collect,
                 CASE WHEN f.collect OPERATOR(pg_catalog.=) 'b' AND tbl OPERATOR(pg_catalog.=) 'producer'
                      THEN coalesce(f.category_flag, '') END AS need,
                 pg_catalog.row_number() OVER (ORDER BY f.ordinal)::int AS pos
          FROM @extschema@.field_catalog f
          WHERE f.table_name OPERATOR(pg_catalog.=) tbl AND f.collect OPERATOR(pg_catalog.=) ANY ('{a,b,o}')) x
$$;

-- trace.completeness(uscc) -> jsonb: for one unit, the share of its
-- records that hold every mandatory (a, applicable b) field of Table 1 (its
-- items as producer, including the flow fields of their first sale: an item
-- not yet sold lacks them) and of Table 2 (the codes it bought as seller:
-- purchase and sale), with the most frequent missing fields.
CREATE FUNCTION @extschema@.completeness(uscc text) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    AS $$
DECLARE
    u @extschema@.units;
    problem text := @extschema@.validate('uscc', uscc);
    as_producer jsonb;
    as_seller jsonb;
BEGIN
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('22P02', 'trace.completeness: ' || problem);
    END IF;
    SELECT * INTO u FROM @extschema@.units x WHERE x.uscc OPERATOR(@extschema@.=) completeness.uscc::@extschema@.uscc;
    IF NOT FOUND THEN
        PERFORM @extschema@._reg_fail('23503', pg_catalog.format('trace.completeness: unit %s is not registered', uscc));
    END IF;
    -- an operator may ask only about the units it is bound to (docs/access.md)
    IF NOT coalesce(u.uscc OPERATOR(@extschema@.=) ANY (@extschema@._acc_reader_units()), true) THEN
        PERFORM @extschema@._reg_fail('42501',
            pg_catalog.format('trace.completeness: permission denied for unit %s', uscc),
            'An operator reads the completeness of the units it is bound to (trace.bind_operator).');
    END IF;

    -- One call of _reg_missing_idx per record gives the positions of the
    -- fields it lacks; the aggregate _reg_tally counts them per field, so the
    -- work grows with the records and the memory with the fields only.
    WITH fc AS MATERIALIZED (SELECT * FROM @extschema@._reg_field_list('producer')),
    -- the category flags, looked up per item (a handful of categories)
    cf AS MATERIALIZED (SELECT c.code, @extschema@._reg_flags(c) AS flags FROM @extschema@.categories c),
    sold AS (
        SELECT DISTINCT ON (w.trace_code) w.trace_code,
               pg_catalog.jsonb_build_object('sale_time', f.sale_time, 'buyer_name', f.buyer_name,
                   'buyer_address', f.buyer_address, 'buyer_contact', f.buyer_contact, 'quantity', f.quantity) AS j
        FROM @extschema@.flows f CROSS JOIN LATERAL @extschema@._reg_units_in(f.trace_code, f.event_time) w
        WHERE f.uscc OPERATOR(@extschema@.=) u.uscc AND f.kind = 'producer_sale'
        ORDER BY w.trace_code, f.event_time),
    per AS (
        SELECT @extschema@._reg_missing_idx(pg_catalog.jsonb_build_object('unit_name', u.unit_name, 'uscc', u.uscc,
                   'address', u.address, 'contact', u.contact, 'business_license', u.business_license,
                   'system_certifications', u.system_certifications, 'product_certifications', u.product_certifications,
                   'purchase_info', u.purchase_info),
                   i, s.j, fc.names, fc.need, (SELECT cf.flags FROM cf WHERE cf.code = i.category)) AS m,
               fc.mand
        FROM @extschema@.items i
        LEFT JOIN sold s ON s.trace_code OPERATOR(@extschema@.=) i.trace_code
        CROSS JOIN fc
        WHERE i.uscc OPERATOR(@extschema@.=) u.uscc)
    SELECT @extschema@._reg_summary(fc.names, fc.collects, (SELECT @extschema@._reg_tally(per.m, per.mand) FROM per))
        INTO as_producer
    FROM fc;

    WITH fc AS MATERIALIZED (SELECT * FROM @extschema@._reg_field_list('seller')),
    -- every unit bought, directly or inside a package (its first purchase),
    -- and every unit sold, directly or inside a package: one record per unit
    bought AS (
        SELECT DISTINCT ON (w.trace_code) w.trace_code AS trace_code,
               f.event_time,
               pg_catalog.jsonb_build_object('trace_code', w.trace_code, 'supplier_name', f.supplier_name,
                   'purchase_time', f.purchase_time) AS j
        FROM @extschema@.flows f
        CROSS JOIN LATERAL @extschema@._reg_units_in(f.trace_code, f.event_time) w
        WHERE f.uscc OPERATOR(@extschema@.=) u.uscc AND f.kind = 'seller_purchase'
        ORDER BY w.trace_code, f.event_time),
    sold AS (
        SELECT w.trace_code AS trace_code, s.event_time,
               pg_catalog.jsonb_build_object('customer_name', s.customer_name, 'sold_time', s.sold_time,
                                             'quantity', s.quantity) AS j
        FROM @extschema@.flows s
        CROSS JOIN LATERAL @extschema@._reg_units_in(s.trace_code, s.event_time) w
        WHERE s.uscc OPERATOR(@extschema@.=) u.uscc AND s.kind = 'seller_sale'),
    first_sale AS (
        SELECT DISTINCT ON (b.trace_code) b.trace_code, x.j
        FROM bought b JOIN sold x ON x.trace_code OPERATOR(@extschema@.=) b.trace_code AND x.event_time >= b.event_time
        ORDER BY b.trace_code, x.event_time),
    per AS (
        SELECT @extschema@._reg_missing_idx(pg_catalog.jsonb_build_object('unit_name', u.unit_name, 'uscc', u.uscc,
                   'address', u.address, 'contact', u.contact, 'business_license', u.business_license,
                   'purchase_info', u.purchase_info),
               NULL::record, b.j || coalesce(fs.j, '{}'), fc.names, fc.need, NULL) AS m,
               fc.mand
        FROM bought b
        LEFT JOIN first_sale fs ON fs.trace_code OPERATOR(@extschema@.=) b.trace_code
        CROSS JOIN fc)
    SELECT @extschema@._reg_summary(fc.names, fc.collects, (SELECT @extschema@._reg_tally(per.m, per.mand) FROM per))
        INTO as_seller
    FROM fc;

    RETURN pg_catalog.jsonb_build_object('uscc', u.uscc, 'unit_name', u.unit_name, 'roles', u.roles,
        'as_producer', as_producer, 'as_seller', as_seller);
END
$$;

-- records, complete (no missing a/b field), share, and the missing fields by
-- frequency, from the tally of completeness: tally[1] = records, tally[2] =
-- records lacking a mandatory field, tally[2 + i] = records lacking names[i].
CREATE FUNCTION @extschema@._reg_summary(names text[], collects text[], tally bigint[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS $$
    WITH c AS (SELECT i AS pos, coalesce(tally[2 + i], 0) AS n
               FROM pg_catalog.generate_series(1, coalesce(pg_catalog.cardinality(names), 0)) i),
    t AS (SELECT coalesce(tally[1], 0) AS records, coalesce(tally[2], 0) AS incomplete)
    SELECT pg_catalog.jsonb_build_object(
        'records', t.records,
        'complete', t.records - t.incomplete,
        'share', CASE WHEN t.records = 0 THEN NULL
                      ELSE pg_catalog.round((t.records - t.incomplete)::numeric / t.records, 4) END,
        'missing_fields', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', names[c.pos], 'records', c.n)
                                                                ORDER BY c.n DESC, c.pos)
                                    FROM c WHERE c.n > 0 AND collects[c.pos] <> 'o'), '[]'),
        'optional_missing', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('field', names[c.pos], 'records', c.n)
                                                                  ORDER BY c.n DESC, c.pos)
                                      FROM c WHERE c.n > 0 AND collects[c.pos] = 'o'), '[]'))
    FROM t
$$;

-- The aggregate behind it (src/pg/registry.c): counts per field position.
CREATE FUNCTION @extschema@._reg_tally_step(internal, int[], int[]) RETURNS internal
    AS 'MODULE_PATHNAME', 'pt_registry_tally_step' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@._reg_tally_final(internal) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pt_registry_tally_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@._reg_tally(int[], int[]) (
    SFUNC = @extschema@._reg_tally_step, STYPE = internal, FINALFUNC = @extschema@._reg_tally_final);

-- Which of the fields names[] a record lacks (src/pg/registry.c): empty as
-- _reg_empty reads it in unit || to_jsonb(rec) || extra, the row's columns
-- read in place; need[i] names the category flag field i needs (null: always
-- applies).
CREATE FUNCTION @extschema@._reg_missing_idx(unit jsonb, rec record, extra jsonb, names text[], need text[], flags text[])
    RETURNS int[]
    AS 'MODULE_PATHNAME', 'pt_registry_missing_idx' LANGUAGE C STABLE PARALLEL SAFE;

-- Retention (clause 8.5) of every current record. Units, products and
-- documents are kept at least as long as the records that refer to them.
-- Flows and packing events at least as long as the units they cover are
-- kept now: a ledger row cannot be updated, so when a correction of an item
-- (say, a longer warranty) moves its date, the effective date of the events
-- covering it is computed here, where it is read.
CREATE VIEW @extschema@.retention AS
    SELECT 'item'::text AS kind, i.record_id, i.uscc, i.trace_code::text AS subject, i.retain_until
      FROM @extschema@.items i
    UNION ALL
    SELECT 'flow', f.record_id, f.uscc, f.trace_code::text,
           greatest(f.retain_until,
                    @extschema@._reg_covered_retain(ARRAY(SELECT w.trace_code FROM @extschema@._reg_units_in(f.trace_code, f.event_time) w),
                                                    ((f.event_time AT TIME ZONE 'UTC') + interval '8 hours')::date))
      FROM @extschema@.flows f
    UNION ALL
    SELECT 'package_event', e.record_id, e.uscc, e.content_code::text,
           greatest(e.retain_until,
                    @extschema@._reg_covered_retain(ARRAY(SELECT w.trace_code FROM @extschema@._reg_units_in(e.content_code, e.event_time) w),
                                                    ((e.event_time AT TIME ZONE 'UTC') + interval '8 hours')::date))
      FROM @extschema@.package_events e
    UNION ALL
    SELECT 'product', p.record_id, p.uscc, p.product_id::text,
           greatest(p.retain_until, (SELECT pg_catalog.max(i.retain_until) FROM @extschema@.items i WHERE i.product_id = p.product_id))
      FROM @extschema@.products p
    UNION ALL
    SELECT 'unit', u.record_id, u.uscc, u.uscc::text,
           greatest(u.retain_until,
                    (SELECT pg_catalog.max(i.retain_until) FROM @extschema@.item_record i WHERE i.uscc OPERATOR(@extschema@.=) u.uscc),
                    (SELECT pg_catalog.max(f.retain_until) FROM @extschema@.flow_record f WHERE f.uscc OPERATOR(@extschema@.=) u.uscc))
      FROM @extschema@.units u
    UNION ALL
    SELECT 'document', d.record_id, d.uscc, d.sha256,
           greatest(d.retain_until,
                    (SELECT pg_catalog.max(i.retain_until) FROM @extschema@.item_record i
                     WHERE i.inspection_report = d.document_id OR i.manual_or_warning = d.document_id))
      FROM @extschema@.documents d;
