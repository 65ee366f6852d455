-- trace.commission(items jsonb): one row per trace code (Table 1, product
-- group), a batch of any size in one set-based statement.
--
-- Each record names its product by "product" (a product_id) or, by default,
-- through the GTIN of its trace code. Fields the product already holds
-- (name, type, model, standards, licence, CCC, manual, warranty) need not be
-- repeated; given on the item they override the product's for that item.

-- Clause 7: a raw scan of a GS1 code may carry the production date (AI 11)
-- and the batch (AI 10); they fill the record's fields when it lacks them.
CREATE FUNCTION @extschema@._reg_scan_fill(rec jsonb, today date) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    SELECT rec
        || CASE WHEN NOT rec ? 'production_date' AND a ? 'production_date'
                THEN pg_catalog.jsonb_build_object('production_date', a -> 'production_date') ELSE '{}' END
        || CASE WHEN NOT rec ? 'serial_or_batch' AND a ? 'lot'
                THEN pg_catalog.jsonb_build_object('serial_or_batch', a -> 'lot') ELSE '{}' END
    FROM (SELECT coalesce(@extschema@.parse_scan(rec ->> 'trace_code', today) -> 'attributes', '{}') AS a) s
$$;

CREATE FUNCTION @extschema@._reg_commission(batch jsonb, old_id bigint, why text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    what constant text := 'trace.commission';
    docs jsonb := '{}';
    v record;
    n bigint;
    today date := @extschema@._reg_today();
    now_ts timestamptz := @extschema@._reg_now();
    allowed text[];
    model_fields text[];
    overrides constant text[] := '{mandatory_standards,production_licence_no,ccc_certificate_no,materials_components,functions,performance}';
    root_id bigint;
BEGIN
    IF pg_catalog.jsonb_typeof(batch) = 'object' THEN
        batch := pg_catalog.jsonb_build_array(batch);
    END IF;
    PERFORM @extschema@._reg_check_batch(batch, what);
    SELECT pg_catalog.array_agg(DISTINCT f.field) INTO allowed
        FROM @extschema@.field_catalog f WHERE 'item' = ANY (f.record_kinds);
    allowed := allowed || '{product,uscc,collection_method}'::text[];
    SELECT pg_catalog.array_agg(DISTINCT f.field) INTO model_fields
        FROM @extschema@.field_catalog f WHERE 'product' = ANY (f.record_kinds);
    IF old_id IS NOT NULL THEN
        SELECT coalesce(x.root, x.id) INTO root_id FROM @extschema@.item_record x WHERE x.id = old_id;
    END IF;

    -- Documents named by the batch: resolved (or attached) once per distinct value.
    FOR v IN
        SELECT DISTINCT ON (x.val) x.val, x.ord, x.rec, x.f
        FROM (SELECT e.o::int AS ord, e.r AS rec, f.f, e.r -> f.f AS val
              FROM pg_catalog.jsonb_array_elements(batch) WITH ORDINALITY e(r, o),
                   pg_catalog.unnest('{inspection_report,manual_or_warning}'::text[]) f(f)) x
        WHERE NOT @extschema@._reg_empty(x.val)
        ORDER BY x.val, x.ord
    LOOP
        docs := docs || pg_catalog.jsonb_build_object(v.val::text,
            @extschema@._reg_doc(v.rec, v.f, @extschema@._reg_label(v.ord, v.rec, 'trace_code'), NULL));
    END LOOP;

    BEGIN
        INSERT INTO @extschema@.item_record
            (root, supersedes, reason, trace_code, product_id, uscc, production_date, serial_or_batch,
             warranty_period, inspection_report, mandatory_standards, production_licence_no,
             ccc_certificate_no, manual_or_warning, materials_components, functions, performance,
             collection_method, retain_until, recorded_at, recorded_by)
        SELECT root_id, old_id, why, c.code, c.product_id, c.uscc, c.pdate, c.rec ->> 'serial_or_batch',
               c.warranty, (docs ->> (c.rec -> 'inspection_report')::text)::bigint,
               c.rec ->> 'mandatory_standards', c.rec ->> 'production_licence_no', c.rec ->> 'ccc_certificate_no',
               (docs ->> (c.rec -> 'manual_or_warning')::text)::bigint,
               c.rec ->> 'materials_components', c.rec ->> 'functions', c.rec ->> 'performance',
               coalesce(c.rec ->> 'collection_method',
                   CASE WHEN (c.rec ->> 'trace_code') LIKE ']%' THEN 'automatic' ELSE 'manual' END),
               @extschema@._reg_retain(c.pdate, c.pdate, c.retention_years,
                   coalesce(c.warranty, c.product_warranty), c.service_life),
               now_ts, session_user
        FROM (
            SELECT b.*,
                CASE
                WHEN (b.rec - allowed) <> '{}'::jsonb THEN
                    '22023' || b.label || ': unknown fields: '
                    || (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) FROM pg_catalog.jsonb_object_keys(b.rec - allowed) k)
                WHEN @extschema@._reg_empty(b.rec -> 'trace_code') THEN
                    '23502' || b.label || ': missing mandatory fields: '
                    || pg_catalog.array_to_string(@extschema@._reg_missing('item', '{producer}', b.rec, '{}', model_fields), ', ')
                WHEN pg_catalog.jsonb_typeof(b.rec -> 'trace_code') <> 'string' THEN
                    '22023' || b.label || ': field trace_code: expected a string, got ' || pg_catalog.jsonb_typeof(b.rec -> 'trace_code')
                WHEN b.code_problem IS NOT NULL THEN
                    '22P02' || b.label || ': field trace_code: ' || b.code_problem
                WHEN b.rec ? 'product' AND pg_catalog.jsonb_typeof(b.rec -> 'product') <> 'number' THEN
                    '22023' || b.label || ': field product: expected a product_id (number)'
                WHEN b.product_id IS NULL THEN
                    '23503' || b.label || CASE WHEN b.rec ? 'product' THEN ': no product ' || (b.rec ->> 'product')
                                               ELSE ': no registered product has the GTIN of this trace code' END
                WHEN b.rec ? 'uscc' AND (b.rec ->> 'uscc') IS DISTINCT FROM b.uscc::text THEN
                    '22023' || b.label || ': field uscc: the product''s producer is ' || b.uscc::text
                WHEN pg_catalog.cardinality(b.missing) > 0 THEN
                    '23502' || b.label || ': missing mandatory fields: ' || pg_catalog.array_to_string(b.missing, ', ')
                WHEN pg_catalog.jsonb_typeof(b.rec -> 'production_date') <> 'string'
                     OR NOT @extschema@._reg_is_date(b.rec ->> 'production_date') THEN
                    '22007' || b.label || ': field production_date: invalid date ' || (b.rec -> 'production_date')::text
                WHEN b.pdate > today THEN
                    '22023' || b.label || ': field production_date: ' || b.pdate::text || ' is in the future (today is '
                    || today::text || ')'
                WHEN pg_catalog.jsonb_typeof(b.rec -> 'serial_or_batch') <> 'string' THEN
                    '22023' || b.label || ': field serial_or_batch: expected a string, got ' || pg_catalog.jsonb_typeof(b.rec -> 'serial_or_batch')
                WHEN NOT @extschema@._reg_empty(b.rec -> 'warranty_period') AND NOT @extschema@._reg_period_ok(b.rec -> 'warranty_period') THEN
                    '22023' || b.label || ': field warranty_period: invalid period ' || (b.rec -> 'warranty_period')::text
                WHEN b.rec ?| overrides AND EXISTS (SELECT 1 FROM pg_catalog.unnest(overrides) o(f)
                        WHERE b.rec ? o.f AND pg_catalog.jsonb_typeof(b.rec -> o.f) NOT IN ('string', 'null')) THEN
                    '22023' || b.label || ': fields ' || pg_catalog.array_to_string(overrides, ', ') || ' take strings'
                WHEN b.rec ? 'collection_method' AND (b.rec ->> 'collection_method') NOT IN ('automatic', 'manual', 'mixed') THEN
                    '22023' || b.label || ': field collection_method: expected automatic, manual or mixed'
                END AS problem
            FROM (
                SELECT a.ord, a.rec, a.label, a.code_problem, a.code, p.product_id, p.uscc, p.retention_years,
                       p.warranty_period AS product_warranty, p.service_life,
                       CASE WHEN @extschema@._reg_is_date(a.rec ->> 'production_date') THEN (a.rec ->> 'production_date')::date END AS pdate,
                       CASE WHEN @extschema@._reg_period_ok(a.rec -> 'warranty_period') THEN @extschema@._reg_period_of(a.rec -> 'warranty_period') END AS warranty,
                       CASE WHEN p.product_id IS NOT NULL THEN
                           ARRAY(SELECT q.f FROM pg_catalog.unnest(p.req) WITH ORDINALITY q(f, o)
                                 WHERE @extschema@._reg_empty(a.rec -> q.f) ORDER BY q.o) END AS missing
                FROM (
                    SELECT e.o::int AS ord, CASE WHEN x.problem IS NULL AND NOT (e.r ?& '{production_date,serial_or_batch}')
                                                 THEN @extschema@._reg_scan_fill(e.r, today) ELSE e.r END AS rec,
                           @extschema@._reg_label(e.o::int, e.r, 'trace_code') AS label,
                           x.problem AS code_problem,
                           CASE WHEN x.problem IS NULL THEN @extschema@._reg_to_code(e.r ->> 'trace_code') END AS code,
                           CASE WHEN pg_catalog.jsonb_typeof(e.r -> 'product') = 'number' THEN 'id:' || (e.r ->> 'product') END AS by_id
                    FROM pg_catalog.jsonb_array_elements(batch) WITH ORDINALITY e(r, o),
                         LATERAL (SELECT CASE WHEN pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string'
                                              THEN @extschema@.validate('code', e.r ->> 'trace_code') END AS problem) x
                ) a
                LEFT JOIN (
                    SELECT k.key, pr.product_id, pr.uscc, c.retention_years, pr.warranty_period, pr.service_life,
                           @extschema@._reg_missing('item', '{producer}', pg_catalog.to_jsonb(pr), @extschema@._reg_flags(c)) AS req
                    FROM @extschema@.products pr
                    JOIN @extschema@.categories c ON c.code = pr.category
                    CROSS JOIN LATERAL (VALUES ('id:' || pr.product_id), ('g:' || pr.gtin::text)) k(key)
                    WHERE k.key IS NOT NULL
                ) p ON p.key = coalesce(a.by_id, 'g:' || @extschema@.gtin(a.code::@extschema@.code)::text)
            ) b
        ) c
        WHERE CASE WHEN c.problem IS NULL THEN true
                   ELSE @extschema@._reg_fail(pg_catalog.left(c.problem, 5), pg_catalog.substr(c.problem, 6)) END;
        GET DIAGNOSTICS n = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        SELECT d.ord, d.label, d.first_ord INTO v
        FROM (SELECT e.o::int AS ord, @extschema@._reg_label(e.o::int, e.r, 'trace_code') AS label,
                     @extschema@._reg_to_code(e.r ->> 'trace_code') AS code,
                     pg_catalog.min(e.o::int) OVER (PARTITION BY @extschema@._reg_to_code(e.r ->> 'trace_code')) AS first_ord
              FROM pg_catalog.jsonb_array_elements(batch) WITH ORDINALITY e(r, o)) d
        WHERE d.ord > d.first_ord
           OR EXISTS (SELECT 1 FROM @extschema@.item_record x WHERE x.trace_code OPERATOR(@extschema@.=) d.code AND x.supersedes IS NULL)
        ORDER BY d.ord LIMIT 1;
        IF v.ord IS NULL THEN
            RAISE;
        END IF;
        PERFORM @extschema@._reg_fail('23505',
            v.label || CASE WHEN v.ord > v.first_ord THEN ': trace code repeats record ' || v.first_ord
                            ELSE ': trace code is already commissioned' END,
            'A trace code identifies one minimum sales unit (clause 6.1.1); change an item with trace.correct(''item'', ...).');
    END;
    RETURN n;
END
$$;

CREATE FUNCTION @extschema@.commission(items jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN pg_catalog.jsonb_build_object('commissioned', @extschema@._reg_commission(items, NULL, NULL));
END
$$;
