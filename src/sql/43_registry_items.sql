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

CREATE FUNCTION @extschema@._reg_date_or_null(text) RETURNS date
    AS 'MODULE_PATHNAME', 'pt_registry_date_or_null' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The batch path of trace.commission (src/pg/registry.c): a batch whose
-- records are all of the common, plain kind, checked in C and written by one
-- prepared INSERT ... SELECT FROM ROWS FROM (unnest(...), ...) per chunk of rows; SQLSTATE
-- PTB01 at the first record it does not take (then the checked path below
-- runs and names the problem). Returns the number of items written.
CREATE FUNCTION @extschema@._reg_commission_fast(batch jsonb, pmap jsonb, today date, recorded_at timestamptz)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'pt_registry_commission_fast' LANGUAGE C VOLATILE STRICT;

-- A record's document reference resolved as the checked path resolves it,
-- for the producer `owner` (its own copy of shared bytes first; an inline
-- document attached as its own); called by the batch path once per
-- distinct value and producer.
CREATE FUNCTION @extschema@._reg_doc_of(ord int, rec jsonb, field text, owner text) RETURNS bigint
    LANGUAGE sql VOLATILE AS $$
    SELECT @extschema@._reg_doc(rec, field, @extschema@._reg_label(ord, rec, 'trace_code'), owner::@extschema@.uscc)
$$;

-- After a unique violation while commissioning: the first record whose code
-- repeats an earlier record of the batch or is already commissioned, named
-- in a 23505 error (returns when there is none: the violation was another).
CREATE FUNCTION @extschema@._reg_duplicate_code(batch jsonb) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v record;
BEGIN
    -- (records not yet checked may hold anything: only valid codes count)
    SELECT d.ord, d.label, d.first_ord INTO v
    FROM (SELECT c.ord, @extschema@._reg_label(c.ord, c.r, 'trace_code') AS label, c.code,
                 pg_catalog.min(c.ord) OVER (PARTITION BY c.code) AS first_ord
          FROM (SELECT e.o::int AS ord, e.r, @extschema@._reg_to_code(e.r ->> 'trace_code') AS code
                FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(batch) = 'object'
                                                          THEN pg_catalog.jsonb_build_array(batch) ELSE batch END)
                     WITH ORDINALITY e(r, o)
                WHERE pg_catalog.jsonb_typeof(e.r) = 'object' AND pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string'
                  AND @extschema@.validate('code', e.r ->> 'trace_code') IS NULL) c) d
    WHERE d.ord > d.first_ord
       OR EXISTS (SELECT 1 FROM @extschema@.item_record x WHERE x.trace_code OPERATOR(@extschema@.=) d.code AND x.supersedes IS NULL)
    ORDER BY d.ord LIMIT 1;
    IF v.ord IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('23505',
            v.label || CASE WHEN v.ord > v.first_ord THEN ': trace code repeats record ' || v.first_ord
                            ELSE ': trace code is already commissioned' END,
            'A trace code identifies one minimum sales unit (clause 6.1.1); change an item with trace.correct(''item'', ...).');
    END IF;
END
$$;

-- The pmap key of an item record's product (see _reg_commission): its
-- "product" id when given as a number, else the GTIN of its code `c` (NULL
-- when the code is invalid or carries no GTIN).
CREATE FUNCTION @extschema@._reg_product_key(rec jsonb, c @extschema@.code) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(CASE WHEN pg_catalog.jsonb_typeof(rec -> 'product') = 'number' THEN 'id:' || (rec ->> 'product') END,
                    'g:' || @extschema@.gtin(c)::text)
$$;

-- The checked path's reading of each record of a batch: the record (filled
-- from a raw scan), its code, product and dates, and the first problem with it
-- as SQLSTATE || message (NULL when it is fine). Inlined into the INSERT
-- (STABLE, one SELECT), so the batch streams through in order.
CREATE FUNCTION @extschema@._reg_item_checks(batch jsonb, pmap jsonb, today date, allowed text[], model_fields text[])
    RETURNS TABLE (ord int, rec jsonb, code @extschema@.code, p jsonb, product_id bigint, pdate date,
                   warranty interval, problem text)
    LANGUAGE sql STABLE AS $$
    SELECT c.ord, c.rec, c.code, c.p, c.product_id, c.pdate, c.warranty, coalesce(c.problem1, c.problem2)
    FROM (
    SELECT b.*,
        CASE
        WHEN (b.rec - allowed) <> '{}'::jsonb THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': unknown fields: '
            || (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) FROM pg_catalog.jsonb_object_keys(b.rec - allowed) k)
        WHEN @extschema@._reg_empty(b.rec -> 'trace_code') THEN
            '23502' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': missing mandatory fields: '
            || pg_catalog.array_to_string(@extschema@._reg_missing('item', '{producer}', b.rec, '{}', model_fields), ', ')
        WHEN pg_catalog.jsonb_typeof(b.rec -> 'trace_code') <> 'string' THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field trace_code: expected a string, got ' || pg_catalog.jsonb_typeof(b.rec -> 'trace_code')
        WHEN pg_catalog.length(b.rec ->> 'trace_code') > @extschema@._reg_max_length('trace_code') THEN
            '22001' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field trace_code: '
            || pg_catalog.length(b.rec ->> 'trace_code') || ' characters, at most ' || @extschema@._reg_max_length('trace_code')
        WHEN b.code_problem IS NOT NULL THEN
            '22P02' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field trace_code: ' || b.code_problem
        WHEN @extschema@.scheme(b.code) = 'gs1' AND pg_catalog.starts_with(b.code::text, '(00)') THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field trace_code: ' || b.code::text
            || ' is an SSCC: it identifies a logistic unit (a package), not a minimum sales unit (clause 6.1.1)'
        WHEN b.rec ? 'product' AND pg_catalog.jsonb_typeof(b.rec -> 'product') <> 'number' THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field product: expected a product_id (number)'
        WHEN b.product_id IS NULL THEN
            '23503' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || CASE WHEN b.rec ? 'product' THEN ': no product ' || (b.rec ->> 'product')
                                       ELSE ': no registered product has the GTIN of this trace code' END
        WHEN b.rec ? 'product' AND (b.p ->> 'gtin') IS DISTINCT FROM @extschema@.gtin(b.code)::text
             AND @extschema@.gtin(b.code) IS NOT NULL THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field product: product ' || (b.rec ->> 'product')
            || coalesce(' has GTIN ' || (b.p ->> 'gtin'), ' has no GTIN') || ', but the trace code carries GTIN '
            || @extschema@.gtin(b.code)::text
        WHEN b.rec ? 'uscc' AND (b.rec ->> 'uscc') IS DISTINCT FROM (b.p ->> 'uscc') THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field uscc: the product''s producer is ' || (b.p ->> 'uscc')
        WHEN NOT (b.rec ?& '{production_date,serial_or_batch,inspection_report}'::text[])
             OR (b.p -> 'extra')::boolean
             OR (b.rec ->> 'serial_or_batch') ~ '^\s*$' OR (b.rec ->> 'production_date') ~ '^\s*$'
             OR (b.rec -> 'inspection_report') IN ('null', '""', '[]', '{}')
             OR b.rec -> 'serial_or_batch' = 'null' OR b.rec -> 'production_date' = 'null' THEN
            -- the slow path: name exactly the fields that are missing, if any
            (SELECT CASE WHEN pg_catalog.cardinality(m.missing) > 0 THEN
                        '23502' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': missing mandatory fields: '
                        || pg_catalog.array_to_string(m.missing, ', ') END
             FROM (SELECT @extschema@._reg_missing('item', '{producer}', b.rec, @extschema@._reg_flags(ct),
                              ARRAY(SELECT j.key FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(pr)) j
                                    WHERE NOT @extschema@._reg_empty(j.value))) AS missing
                   FROM @extschema@.products pr JOIN @extschema@.categories ct ON ct.code = pr.category
                   WHERE pr.product_id = b.product_id) m)
        END AS problem1,
        CASE
        WHEN pg_catalog.jsonb_typeof(b.rec -> 'production_date') <> 'string' OR b.pdate IS NULL THEN
            '22007' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field production_date: invalid date ' || (b.rec -> 'production_date')::text
        WHEN b.pdate > today THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field production_date: ' || pg_catalog.to_char(b.pdate, 'YYYY-MM-DD') || ' is in the future (today is '
            || pg_catalog.to_char(today, 'YYYY-MM-DD') || ')'
        WHEN b.pdate < '1970-01-01'::date THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field production_date: ' || pg_catalog.to_char(b.pdate, 'YYYY-MM-DD')
            || ' is not a plausible production date (before 1970-01-01)'
        WHEN pg_catalog.jsonb_typeof(b.rec -> 'serial_or_batch') <> 'string' THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field serial_or_batch: expected a string, got ' || pg_catalog.jsonb_typeof(b.rec -> 'serial_or_batch')
        WHEN b.long_field IS NOT NULL THEN
            '22001' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field ' || b.long_field || ': '
            || pg_catalog.length(b.rec ->> b.long_field) || ' characters, at most ' || @extschema@._reg_max_length(b.long_field)
        WHEN b.rec ? 'warranty_period' AND NOT @extschema@._reg_empty(b.rec -> 'warranty_period') AND b.warranty IS NULL THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field warranty_period: invalid period ' || (b.rec -> 'warranty_period')::text
        WHEN b.warranty <= interval '0' AND (b.p ->> 'has_warranty')::boolean THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field warranty_period: a zero period, but category '
            || (b.p ->> 'category') || ' has warranties'
        WHEN b.rec ?| '{mandatory_standards,production_licence_no,ccc_certificate_no,materials_components,functions,performance}'::text[] AND EXISTS (SELECT 1 FROM pg_catalog.unnest('{mandatory_standards,production_licence_no,ccc_certificate_no,materials_components,functions,performance}'::text[]) o(f)
                WHERE b.rec ? o.f AND pg_catalog.jsonb_typeof(b.rec -> o.f) NOT IN ('string', 'null')) THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': fields ' || pg_catalog.array_to_string('{mandatory_standards,production_licence_no,ccc_certificate_no,materials_components,functions,performance}'::text[], ', ') || ' take strings'
        WHEN b.rec ? 'collection_method' AND (b.rec ->> 'collection_method') NOT IN ('automatic', 'manual', 'mixed') THEN
            '22023' || @extschema@._reg_label(b.ord, b.rec, 'trace_code') || ': field collection_method: expected automatic, manual or mixed'
        END AS problem2
    FROM (
        SELECT a.ord, a.rec, a.code_problem, a.code, a.p, (a.p ->> 'product_id')::bigint AS product_id,
               @extschema@._reg_date_or_null(a.rec ->> 'production_date') AS pdate,
               -- the first text field longer than it may be
               (SELECT f.f FROM pg_catalog.unnest('{serial_or_batch,mandatory_standards,production_licence_no,ccc_certificate_no,materials_components,functions,performance}'::text[]) WITH ORDINALITY f(f, o)
                WHERE pg_catalog.jsonb_typeof(a.rec -> f.f) = 'string'
                  AND pg_catalog.length(a.rec ->> f.f) > @extschema@._reg_max_length(f.f)
                ORDER BY f.o LIMIT 1) AS long_field,
               CASE WHEN a.rec ? 'warranty_period' AND @extschema@._reg_period_ok(a.rec -> 'warranty_period')
                    THEN @extschema@._reg_period_of(a.rec -> 'warranty_period') END AS warranty
        FROM (
            SELECT e.o::int AS ord, x.rec, x.problem AS code_problem, x.code,
                   pmap -> @extschema@._reg_product_key(e.r, x.code) AS p
            FROM pg_catalog.jsonb_array_elements(batch) WITH ORDINALITY e(r, o)
            CROSS JOIN LATERAL (
                SELECT y.problem,
                       CASE WHEN y.problem IS NULL AND pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string'
                            THEN @extschema@._reg_to_code(e.r ->> 'trace_code') END AS code,
                       CASE WHEN y.problem IS NULL AND pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string' AND NOT (e.r ?& '{production_date,serial_or_batch}'::text[])
                            THEN @extschema@._reg_scan_fill(e.r, today) ELSE e.r END AS rec
                FROM (SELECT CASE WHEN pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string'
                                  THEN @extschema@.validate('code', e.r ->> 'trace_code') END AS problem) y) x
            OFFSET 0        -- evaluate each record's columns once, not once per reference
        ) a
        OFFSET 0
    ) b
) c
$$;

-- Refuse a batch at its first bad record (failed_ord), naming in the detail
-- how many later records are refused too and the first ten of them.
CREATE FUNCTION @extschema@._reg_item_fail(failed_ord int, problem text, batch jsonb, pmap jsonb, today date,
                                           allowed text[], model_fields text[]) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    total bigint;
    more text[];
BEGIN
    SELECT pg_catalog.count(*), pg_catalog.array_agg(x.msg) FILTER (WHERE x.n <= 10) INTO total, more
    FROM (SELECT pg_catalog.substr(k.problem, 6) AS msg, pg_catalog.row_number() OVER () AS n
          FROM @extschema@._reg_item_checks(batch, pmap, today, allowed, model_fields) k
          WHERE k.ord > failed_ord AND k.problem IS NOT NULL) x;
    RETURN @extschema@._reg_fail(pg_catalog.left(problem, 5), pg_catalog.substr(problem, 6),
        CASE WHEN total > 0 THEN
            pg_catalog.format('%s more record(s) of the batch refused: %s%s', total, pg_catalog.array_to_string(more, '; '),
                              CASE WHEN total > 10 THEN '; ...' ELSE '' END) END);
END
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
    root_id bigint;
    pmap jsonb;
BEGIN
    SELECT pg_catalog.array_agg(DISTINCT f.field) INTO allowed
        FROM @extschema@.field_catalog f WHERE 'item' = ANY (f.record_kinds);
    allowed := allowed || '{product,uscc,collection_method}'::text[];
    SELECT pg_catalog.array_agg(DISTINCT f.field) INTO model_fields
        FROM @extschema@.field_catalog f WHERE 'product' = ANY (f.record_kinds);
    IF old_id IS NOT NULL THEN
        SELECT coalesce(x.root, x.id) INTO root_id FROM @extschema@.item_record x WHERE x.id = old_id;
    END IF;

    -- Products by key ("id:<product_id>" and "g:<gtin>"): what an item needs
    -- from its product, looked up per record without a join (keeps the batch
    -- streaming in order, in bounded memory).
    SELECT coalesce(pg_catalog.jsonb_object_agg(k.key, pg_catalog.jsonb_build_object(
               'product_id', pr.product_id, 'uscc', pr.uscc::text, 'gtin', pr.gtin::text, 'retention_years', c.retention_years,
               'category', c.code, 'has_warranty', c.has_warranty,
               'warranty_period', pr.warranty_period::text, 'service_life', pr.service_life::text,
               -- true when the item must give more than the four item-only fields
               'extra', EXISTS (SELECT 1 FROM pg_catalog.unnest(@extschema@._reg_missing('item', '{producer}',
                                    pg_catalog.to_jsonb(pr), @extschema@._reg_flags(c))) f(f)
                                WHERE f.f <> ALL ('{trace_code,production_date,serial_or_batch,inspection_report}'::text[])))), '{}')
        INTO pmap
        FROM @extschema@.products pr
        JOIN @extschema@.categories c ON c.code = pr.category
        CROSS JOIN LATERAL (VALUES ('id:' || pr.product_id), ('g:' || pr.gtin::text)) k(key)
        WHERE k.key IS NOT NULL;

    -- The batch path: every record of the common kind, checked in C and
    -- written chunk by chunk. Any other batch, or a duplicate code, is
    -- rolled back here and runs the checked path, which names the problem.
    IF old_id IS NULL AND batch IS NOT NULL THEN
        BEGIN
            RETURN @extschema@._reg_commission_fast(batch, pmap, today, now_ts);
        EXCEPTION
            WHEN SQLSTATE 'PTB01' THEN
                NULL;
            WHEN unique_violation THEN
                PERFORM @extschema@._reg_duplicate_code(batch);
                RAISE;
        END;
    END IF;
    IF pg_catalog.jsonb_typeof(batch) = 'object' THEN
        batch := pg_catalog.jsonb_build_array(batch);
    END IF;
    PERFORM @extschema@._reg_check_batch(batch, what);

    -- Documents named by the batch: resolved (or attached) once per distinct
    -- value and producer (the product's unit: its own copy of shared bytes
    -- first, an inline document attached as its own). A record whose
    -- product cannot be told yet resolves with no producer; it is refused
    -- below anyway.
    FOR v IN
        SELECT g.val, g.ord, g.f, g.owner, batch -> (g.ord - 1) AS rec
        FROM (SELECT x.val, x.f, x.owner, pg_catalog.min(x.ord) AS ord
              FROM (SELECT e.o::int AS ord, f.f, e.r -> f.f AS val,
                           pmap -> @extschema@._reg_product_key(e.r,
                                       CASE WHEN pg_catalog.jsonb_typeof(e.r -> 'trace_code') = 'string'
                                                 AND @extschema@.validate('code', e.r ->> 'trace_code') IS NULL
                                            THEN @extschema@._reg_to_code(e.r ->> 'trace_code') END)
                               ->> 'uscc' AS owner
                    FROM pg_catalog.jsonb_array_elements(batch) WITH ORDINALITY e(r, o),
                         pg_catalog.unnest('{inspection_report,manual_or_warning}'::text[]) f(f)) x
              WHERE x.val IS NOT NULL
              GROUP BY x.val, x.f, x.owner) g
        WHERE NOT @extschema@._reg_empty(g.val)
        ORDER BY g.ord
    LOOP
        docs := docs || pg_catalog.jsonb_build_object(v.val::text || '|' || coalesce(v.owner, ''),
            @extschema@._reg_doc(v.rec, v.f, @extschema@._reg_label(v.ord, v.rec, 'trace_code'), v.owner::@extschema@.uscc));
    END LOOP;

    BEGIN
        INSERT INTO @extschema@.item_record
            (root, supersedes, reason, trace_code, product_id, uscc, production_date, serial_or_batch,
             warranty_period, inspection_report, mandatory_standards, production_licence_no,
             ccc_certificate_no, manual_or_warning, materials_components, functions, performance,
             collection_method, retain_until, recorded_at, recorded_by)
        SELECT root_id, old_id, why, c.code, c.product_id, (c.p ->> 'uscc')::@extschema@.uscc, c.pdate,
               c.rec ->> 'serial_or_batch',
               c.warranty, (docs ->> ((c.rec -> 'inspection_report')::text || '|' || coalesce(c.p ->> 'uscc', '')))::bigint,
               c.rec ->> 'mandatory_standards', c.rec ->> 'production_licence_no', c.rec ->> 'ccc_certificate_no',
               (docs ->> ((c.rec -> 'manual_or_warning')::text || '|' || coalesce(c.p ->> 'uscc', '')))::bigint,
               c.rec ->> 'materials_components', c.rec ->> 'functions', c.rec ->> 'performance',
               coalesce(c.rec ->> 'collection_method',
                   CASE WHEN (c.rec ->> 'trace_code') LIKE ']%' THEN 'automatic' ELSE 'manual' END),
               @extschema@._reg_retain(c.pdate, c.pdate, (c.p ->> 'retention_years')::int,
                   coalesce(c.warranty, (c.p ->> 'warranty_period')::interval), (c.p ->> 'service_life')::interval),
               now_ts, session_user
        FROM @extschema@._reg_item_checks(batch, pmap, today, allowed, model_fields) c
        WHERE CASE WHEN c.problem IS NULL THEN true
                   ELSE @extschema@._reg_item_fail(c.ord, c.problem, batch, pmap, today, allowed, model_fields) END;
        GET DIAGNOSTICS n = ROW_COUNT;
    EXCEPTION WHEN unique_violation THEN
        PERFORM @extschema@._reg_duplicate_code(batch);
        RAISE;
    END;
    RETURN n;
END
$$;

CREATE FUNCTION @extschema@.commission(items jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_build_object('commissioned', @extschema@._reg_commission(items, NULL, NULL));
END
$$;
