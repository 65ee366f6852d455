-- Statistics and anomalies (issue 8, clause 10.2): views for BI tools and
-- regulators. See docs/stats.md.
--
-- Two kinds of view:
--   * live views (security_invoker) straight over the registry: inspection
--     coverage, retention. Row-level security on the registry tables applies
--     to whoever reads them.
--   * views over materialised aggregates (volumes, flows between units,
--     completeness, anomalies), refreshed by trace.stats_refresh(). A
--     materialised view cannot carry row-level security, so the materialised
--     relations (_stats_*_mv) are readable by nobody but their owner; the
--     trace.stats_* / trace.anomaly_* views over them show every row to
--     trace_regulator and trace_admin, and to anybody else only the rows of
--     the units whose registration row (trace.unit_record) that reader can
--     see under row-level security, i.e. an operator's own unit(s).

-- --------------------------------------------------------------------------
-- Helpers
-- --------------------------------------------------------------------------

-- Does the reader see every statistic? Superusers, roles that bypass
-- row-level security, and members of trace_regulator or trace_admin.
CREATE FUNCTION @extschema@._stats_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
                     WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER), false)
        OR pg_catalog.pg_has_role(CURRENT_USER, 'trace_regulator', 'USAGE')
        OR pg_catalog.pg_has_role(CURRENT_USER, 'trace_admin', 'USAGE')
$$;

-- The units whose registration the reader can see. Deliberately SECURITY
-- INVOKER: it reads trace.unit_record as the reader, so row-level security
-- on the registry (issue 5) narrows it to an operator's own unit(s).
CREATE FUNCTION @extschema@._stats_visible_units() RETURNS SETOF @extschema@.uscc
    LANGUAGE sql STABLE AS $$
    SELECT DISTINCT u.uscc FROM @extschema@.unit_record u
$$;

-- The calendar day of a time in China (UTC+8, no daylight saving), as the
-- registry dates its events; independent of the session's TimeZone.
CREATE FUNCTION @extschema@._stats_day(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ((t AT TIME ZONE 'UTC') + interval '8 hours')::date
$$;

-- The reference day in China: the date of pgtrace.reference_time if set,
-- else of the transaction start (as the registry's own checks use).
CREATE FUNCTION @extschema@._stats_today() RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT @extschema@._stats_day(coalesce(
        nullif(pg_catalog.current_setting('pgtrace.reference_time', true), '')::timestamptz, pg_catalog.now()))
$$;

-- GB/T 2260 administrative division of a unit, from positions 3-8 of its USCC.
CREATE FUNCTION @extschema@._stats_region(u @extschema@.uscc) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT @extschema@.uscc_info(u) ->> 'region_code'
$$;

-- The province of a GB/T 2260 code: its first two digits followed by 0000.
CREATE FUNCTION @extschema@._stats_province(region text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.left(region, 2) || '0000'
$$;

-- Thresholds of the trend-change anomaly (see docs/stats.md).
CREATE FUNCTION @extschema@._stats_trend_weeks() RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 4';
CREATE FUNCTION @extschema@._stats_trend_factor() RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 3.0';
CREATE FUNCTION @extschema@._stats_trend_min_baseline() RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 10.0';

-- When the materialised statistics were refreshed.
CREATE TABLE @extschema@._stats_refresh_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refreshed_at    timestamptz NOT NULL,
    reference_date  date NOT NULL,
    seconds         numeric NOT NULL,
    refreshed_by    name NOT NULL
);

-- --------------------------------------------------------------------------
-- Materialised base: every flow record expanded to the units (items) it
-- covered at its time (a package sale covers the units inside the package).
-- --------------------------------------------------------------------------
CREATE MATERIALIZED VIEW @extschema@._stats_flow_units_mv AS
    WITH f AS (
        SELECT f.flow_id, f.kind, f.uscc, f.trace_code, f.event_time, f.buyer_uscc, f.supplier_uscc
        FROM @extschema@.flows f),
    covered AS (
        SELECT f.flow_id, i.trace_code AS unit_code
        FROM f JOIN @extschema@.item_record i
          ON i.trace_code OPERATOR(@extschema@.=) f.trace_code AND i.supersedes IS NULL
        UNION ALL
        SELECT f.flow_id, w.trace_code
        FROM f CROSS JOIN LATERAL @extschema@._reg_units_in(f.trace_code, f.event_time) w
        WHERE NOT EXISTS (SELECT 1 FROM @extschema@.item_record i
                          WHERE i.trace_code OPERATOR(@extschema@.=) f.trace_code AND i.supersedes IS NULL))
    SELECT f.flow_id, f.kind, f.uscc, f.buyer_uscc, f.supplier_uscc, f.event_time,
           @extschema@._stats_day(f.event_time) AS day,
           (f.trace_code OPERATOR(@extschema@.<>) c.unit_code) AS via_package,
           c.unit_code, i.product_id, i.category, i.uscc AS producer_uscc, i.production_date,
           (i.production_date + i.warranty_period)::date AS warranty_end,
           (i.production_date + p.service_life)::date AS life_end
    FROM f
    JOIN covered c ON c.flow_id = f.flow_id
    JOIN @extschema@.items i ON i.trace_code OPERATOR(@extschema@.=) c.unit_code
    JOIN @extschema@.products p ON p.product_id = i.product_id
    WITH DATA;

-- --------------------------------------------------------------------------
-- Volumes: production (items commissioned, by production date) and flows
-- (units covered, by the China day of the event), by unit, product,
-- category, region and day.
-- --------------------------------------------------------------------------
CREATE MATERIALIZED VIEW @extschema@._stats_volume_mv AS
    SELECT v.day, v.uscc, @extschema@._stats_region(v.uscc) AS region_code, v.category, v.product_id, v.kind,
           v.records, v.quantity
    FROM (
        SELECT i.production_date AS day, i.uscc, i.category, i.product_id, 'production'::text AS kind,
               pg_catalog.count(*) AS records, pg_catalog.count(*)::numeric AS quantity
        FROM @extschema@.items i
        GROUP BY i.production_date, i.uscc, i.category, i.product_id
        UNION ALL
        SELECT u.day, u.uscc, u.category, u.product_id, u.kind,
               pg_catalog.count(DISTINCT u.flow_id), pg_catalog.count(*)::numeric
        FROM @extschema@._stats_flow_units_mv u
        GROUP BY u.day, u.uscc, u.category, u.product_id, u.kind) v
    WITH DATA;
CREATE INDEX _stats_volume_mv_day ON @extschema@._stats_volume_mv (day);
-- the grouping keys: what REFRESH ... CONCURRENTLY (trace.stats_refresh) matches rows on
CREATE UNIQUE INDEX _stats_volume_mv_key ON @extschema@._stats_volume_mv (day, uscc, category, product_id, kind);
CREATE INDEX _stats_volume_mv_uscc ON @extschema@._stats_volume_mv (uscc, day);

-- Volumes of all units together per day, kind, category and province: the
-- small aggregate a regulator's report and dashboards read.
CREATE MATERIALIZED VIEW @extschema@._stats_daily_mv AS
    SELECT v.day, v.kind, v.category, @extschema@._stats_province(v.region_code) AS province_code,
           pg_catalog.sum(v.records) AS records, pg_catalog.sum(v.quantity) AS quantity
    FROM @extschema@._stats_volume_mv v
    GROUP BY 1, 2, 3, 4
    WITH DATA;
CREATE INDEX _stats_daily_mv_day ON @extschema@._stats_daily_mv (day);
CREATE UNIQUE INDEX _stats_daily_mv_key ON @extschema@._stats_daily_mv (day, kind, category, province_code);

-- Flows between units, per day: a sale goes from the seller (uscc) to the
-- buyer (buyer_uscc, NULL for a buyer without a USCC such as a consumer); a
-- purchase from the supplier (supplier_uscc) to the buyer (uscc). A sale and
-- the matching purchase are both listed, each under its own kind.
CREATE MATERIALIZED VIEW @extschema@._stats_flow_mv AS
    SELECT u.day, u.kind,
           CASE WHEN u.kind = 'seller_purchase' THEN u.supplier_uscc ELSE u.uscc END AS from_uscc,
           CASE WHEN u.kind = 'seller_purchase' THEN u.uscc ELSE u.buyer_uscc END AS to_uscc,
           pg_catalog.count(DISTINCT u.flow_id) AS records, pg_catalog.count(*)::numeric AS quantity
    FROM @extschema@._stats_flow_units_mv u
    GROUP BY 1, 2, 3, 4
    WITH DATA;
CREATE UNIQUE INDEX _stats_flow_mv_key ON @extschema@._stats_flow_mv (day, kind, from_uscc, to_uscc);

-- Completeness against Tables 1-2 of every unit, in each of its roles: the
-- same figures as trace.completeness(uscc), computed for all units at once
-- (set-based over the flows already expanded to units, rather than one
-- unit and one flow at a time).
CREATE MATERIALIZED VIEW @extschema@._stats_completeness_mv AS
    WITH fp AS (SELECT * FROM @extschema@._reg_field_list('producer')),   -- Table 1 fields
    fs AS (SELECT * FROM @extschema@._reg_field_list('seller')),             -- Table 2 fields
    cf AS MATERIALIZED (SELECT c.code, @extschema@._reg_flags(c) AS flags FROM @extschema@.categories c),
    first_sale AS (           -- a producer's first sale covering each of its units
        SELECT DISTINCT ON (u.unit_code) u.unit_code, u.flow_id
        FROM @extschema@._stats_flow_units_mv u
        WHERE u.kind = 'producer_sale' AND u.uscc OPERATOR(@extschema@.=) u.producer_uscc
        ORDER BY u.unit_code, u.event_time),
    per_p AS (                -- the Table 1 fields each item lacks (unit, item, first sale)
        SELECT i.uscc,
               @extschema@._reg_missing_idx(pg_catalog.jsonb_build_object('unit_name', un.unit_name, 'uscc', un.uscc,
                   'address', un.address, 'contact', un.contact, 'business_license', un.business_license,
                   'system_certifications', un.system_certifications, 'product_certifications', un.product_certifications,
                   'purchase_info', un.purchase_info),
                   i,
                   CASE WHEN f.flow_id IS NOT NULL THEN
                       pg_catalog.jsonb_build_object('sale_time', f.sale_time, 'buyer_name', f.buyer_name,
                           'buyer_address', f.buyer_address, 'buyer_contact', f.buyer_contact, 'quantity', f.quantity) END,
                   fp.names, fp.need, (SELECT cf.flags FROM cf WHERE cf.code = i.category)) AS m
        FROM @extschema@.items i
        JOIN @extschema@.units un ON un.uscc OPERATOR(@extschema@.=) i.uscc
        LEFT JOIN first_sale s ON s.unit_code OPERATOR(@extschema@.=) i.trace_code
        LEFT JOIN @extschema@.flows f ON f.flow_id = s.flow_id
        CROSS JOIN fp),
    bought AS (               -- a seller's first purchase of each unit (directly or in a package)
        SELECT DISTINCT ON (u.uscc, u.unit_code) u.uscc, u.unit_code, u.event_time,
               pg_catalog.jsonb_build_object('trace_code', u.unit_code, 'supplier_name', f.supplier_name,
                   'purchase_time', f.purchase_time) AS j
        FROM @extschema@._stats_flow_units_mv u
        JOIN @extschema@.flows f ON f.flow_id = u.flow_id
        WHERE u.kind = 'seller_purchase'
        ORDER BY u.uscc, u.unit_code, u.event_time),
    unit_sale AS (            -- ... and its first sale of that unit afterwards (directly or in a package)
        SELECT DISTINCT ON (b.uscc, b.unit_code) b.uscc, b.unit_code,
               pg_catalog.jsonb_build_object('customer_name', f.customer_name, 'sold_time', f.sold_time,
                   'quantity', f.quantity) AS j
        FROM bought b
        JOIN @extschema@._stats_flow_units_mv s
          ON s.uscc OPERATOR(@extschema@.=) b.uscc AND s.kind = 'seller_sale'
         AND s.unit_code OPERATOR(@extschema@.=) b.unit_code AND s.event_time >= b.event_time
        JOIN @extschema@.flows f ON f.flow_id = s.flow_id
        ORDER BY b.uscc, b.unit_code, s.event_time),
    per_s AS (                -- the Table 2 fields each unit bought lacks
        SELECT b.uscc,
               @extschema@._reg_missing_idx(pg_catalog.jsonb_build_object('unit_name', un.unit_name, 'uscc', un.uscc,
                   'address', un.address, 'contact', un.contact, 'business_license', un.business_license,
                   'purchase_info', un.purchase_info),
                   NULL::record, b.j || coalesce(us.j, '{}'), fs.names, fs.need, NULL) AS m
        FROM bought b
        JOIN @extschema@.units un ON un.uscc OPERATOR(@extschema@.=) b.uscc
        LEFT JOIN unit_sale us ON us.uscc OPERATOR(@extschema@.=) b.uscc AND us.unit_code OPERATOR(@extschema@.=) b.unit_code
        CROSS JOIN fs),
    summary AS (              -- counted per unit and role by the aggregate trace.completeness uses
        SELECT 'producer'::text AS role, p.uscc,
               @extschema@._reg_summary((SELECT fp.names FROM fp), (SELECT fp.collects FROM fp),
                                        @extschema@._reg_tally(p.m, (SELECT fp.mand FROM fp))) AS s
        FROM per_p p GROUP BY p.uscc
        UNION ALL
        SELECT 'seller', p.uscc,
               @extschema@._reg_summary((SELECT fs.names FROM fs), (SELECT fs.collects FROM fs),
                                        @extschema@._reg_tally(p.m, (SELECT fs.mand FROM fs)))
        FROM per_s p GROUP BY p.uscc)
    SELECT un.uscc, r.role, coalesce((x.s ->> 'records')::bigint, 0) AS records,
           coalesce((x.s ->> 'complete')::bigint, 0) AS complete,
           (x.s ->> 'share')::numeric AS share,
           coalesce(x.s -> 'missing_fields', '[]'::jsonb) AS missing_fields
    FROM @extschema@.units un
    CROSS JOIN LATERAL pg_catalog.unnest(un.roles) r(role)
    LEFT JOIN summary x ON x.role = r.role AND x.uscc OPERATOR(@extschema@.=) un.uscc
    WITH DATA;
CREATE UNIQUE INDEX _stats_completeness_mv_key ON @extschema@._stats_completeness_mv (uscc, role);

-- Label scans (trace.verify_scan, issue 7) per China day, unit, category and
-- outcome (genuine / forged / unknown). The unit of a scan is the producer
-- of the scanned item, or, for a code never commissioned, the producer of
-- the product with the code's GTIN (a copied or invented code bears on it).
CREATE MATERIALIZED VIEW @extschema@._stats_scan_mv AS
    SELECT @extschema@._stats_day(s.scan_time) AS day,
           coalesce(i.uscc, p.uscc) AS uscc, coalesce(i.category, p.category) AS category,
           s.status AS outcome, pg_catalog.count(*) AS scans,
           pg_catalog.count(*) FILTER (WHERE pg_catalog.jsonb_array_length(s.flags) > 0) AS flagged
    FROM @extschema@.label_scan s
    LEFT JOIN @extschema@.items i ON i.trace_code OPERATOR(@extschema@.=) s.code
    LEFT JOIN LATERAL (SELECT x.uscc, x.category FROM @extschema@.products x
                       WHERE i.trace_code IS NULL AND s.code IS NOT NULL
                         AND x.gtin OPERATOR(@extschema@.=) @extschema@.gtin(s.code)
                       ORDER BY x.product_id LIMIT 1) p ON true
    GROUP BY 1, 2, 3, 4
    WITH DATA;
CREATE UNIQUE INDEX _stats_scan_mv_key ON @extschema@._stats_scan_mv (day, uscc, category, outcome);

-- --------------------------------------------------------------------------
-- Anomalies, one row each: kind, the unit concerned, what (subject), when
-- (day), category and the evidence (detail).
-- --------------------------------------------------------------------------
CREATE MATERIALIZED VIEW @extschema@._stats_anomaly_mv AS
    -- numbered (anomaly_no) in a stable order, the key REFRESH ... CONCURRENTLY needs
    SELECT pg_catalog.row_number() OVER (ORDER BY a.kind, a.uscc::text, a.subject, a.day, a.category, a.detail::text) AS anomaly_no, a.*
    FROM (
    -- quantity mismatch: a unit sold a trace unit more often than it got it
    -- (commissioned it, or bought it, directly or inside a package)
    WITH suspicious AS (     -- scans that suggest a counterfeit (see docs/stats.md)
        SELECT s.scan_time, s.status, coalesce(s.code::text, s.scanned) AS subject,
               coalesce(i.uscc, p.uscc) AS uscc, coalesce(i.category, p.category) AS category,
               ARRAY(SELECT f ->> 'flag' FROM pg_catalog.jsonb_array_elements(s.flags) f) AS flags
        FROM @extschema@.label_scan s
        LEFT JOIN @extschema@.items i ON i.trace_code OPERATOR(@extschema@.=) s.code
        LEFT JOIN LATERAL (SELECT x.uscc, x.category FROM @extschema@.products x
                           WHERE i.trace_code IS NULL AND s.code IS NOT NULL
                             AND x.gtin OPERATOR(@extschema@.=) @extschema@.gtin(s.code)
                           ORDER BY x.product_id LIMIT 1) p ON true
        WHERE s.status = 'forged'
           OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(s.flags) f
                      WHERE f ->> 'flag' IN ('wrong_verification_element', 'label_not_issued', 'superseded_label',
                                             'not_commissioned', 'far_apart', 'sequential_burst'))),
    moves AS (
        SELECT u.uscc, u.unit_code, u.category,
               pg_catalog.count(*) FILTER (WHERE u.kind IN ('producer_sale', 'seller_sale')) AS sold,
               pg_catalog.count(*) FILTER (WHERE u.kind = 'seller_purchase') AS bought,
               pg_catalog.max(u.day) FILTER (WHERE u.kind IN ('producer_sale', 'seller_sale')) AS last_sale
        FROM @extschema@._stats_flow_units_mv u
        GROUP BY u.uscc, u.unit_code, u.category),
    weekly AS (
        SELECT 'unit'::text AS scope, v.uscc::text AS subject, v.uscc, v.kind,
               pg_catalog.date_trunc('week', v.day)::date AS week, pg_catalog.sum(v.quantity) AS q
        FROM @extschema@._stats_volume_mv v GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'category', v.category, NULL::@extschema@.uscc, v.kind, pg_catalog.date_trunc('week', v.day)::date, pg_catalog.sum(v.quantity)
        FROM @extschema@._stats_volume_mv v GROUP BY 1, 2, 3, 4, 5),
    -- weeks from each series' first week up to the last week that ended
    -- before the reference day of the refresh; weeks without volume count 0
    series AS (
        SELECT s.scope, s.subject, s.uscc, s.kind, g.week::date AS week
        FROM (SELECT w.scope, w.subject, w.uscc, w.kind, pg_catalog.min(w.week) AS first_week
              FROM weekly w GROUP BY 1, 2, 3, 4) s
        CROSS JOIN LATERAL pg_catalog.generate_series(s.first_week::timestamp,
            (pg_catalog.date_trunc('week', @extschema@._stats_today()::timestamp) - interval '1 week'),
            interval '1 week') g(week)),
    dense AS (
        SELECT s.scope, s.subject, s.uscc, s.kind, s.week, coalesce(w.q, 0) AS q,
               pg_catalog.avg(coalesce(w.q, 0)) OVER prior AS baseline,
               pg_catalog.count(*) OVER prior AS prior_weeks
        FROM series s
        LEFT JOIN weekly w ON w.scope = s.scope AND w.subject = s.subject AND w.kind = s.kind AND w.week = s.week
        WINDOW prior AS (PARTITION BY s.scope, s.subject, s.kind ORDER BY s.week
                         ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING))
    SELECT 'quantity_mismatch'::text AS kind, m.uscc, m.unit_code::text AS subject, m.category, m.last_sale AS day,
           pg_catalog.jsonb_build_object('sold', m.sold,
               'commissioned', (SELECT pg_catalog.count(*) FROM @extschema@.item_record i
                                WHERE i.trace_code OPERATOR(@extschema@.=) m.unit_code AND i.supersedes IS NULL
                                  AND i.uscc OPERATOR(@extschema@.=) m.uscc),
               'purchased', m.bought) AS detail
    FROM moves m
    WHERE m.sold > m.bought + (SELECT pg_catalog.count(*) FROM @extschema@.item_record i
                               WHERE i.trace_code OPERATOR(@extschema@.=) m.unit_code AND i.supersedes IS NULL
                                 AND i.uscc OPERATOR(@extschema@.=) m.uscc)
    UNION ALL
    -- a sale after the end of the unit's service life (expired) or warranty
    SELECT 'sale_after_expiry', u.uscc, u.unit_code::text, u.category, u.day,
           pg_catalog.jsonb_build_object('reason', CASE WHEN u.day > u.life_end THEN 'expired' ELSE 'warranty_ended' END,
               'flow_id', u.flow_id, 'sale_kind', u.kind, 'production_date', u.production_date,
               'warranty_end', u.warranty_end, 'life_end', u.life_end)
    FROM @extschema@._stats_flow_units_mv u
    WHERE u.kind IN ('producer_sale', 'seller_sale') AND (u.day > u.life_end OR u.day > u.warranty_end)
    UNION ALL
    -- a unit whose records lack mandatory fields of Tables 1-2 other than
    -- the flow fields of units not sold yet (those come with the sale)
    SELECT 'missing_fields', c.uscc, c.uscc::text, NULL::text, NULL::date,
           pg_catalog.jsonb_build_object('role', c.role, 'records', c.records, 'complete', c.complete,
               'share', c.share, 'missing_fields', g.gaps)
    FROM @extschema@._stats_completeness_mv c
    CROSS JOIN LATERAL (
        SELECT pg_catalog.jsonb_agg(m.e ORDER BY m.o) AS gaps
        FROM pg_catalog.jsonb_array_elements(c.missing_fields) WITH ORDINALITY m(e, o)
        WHERE NOT EXISTS (SELECT 1 FROM @extschema@.field_catalog f
                          WHERE f.table_name = CASE c.role WHEN 'producer' THEN 'producer' ELSE 'seller' END
                            AND f.field_group = 'flow' AND f.field = m.e ->> 'field')) g
    WHERE g.gaps IS NOT NULL
    UNION ALL
    -- a week whose volume is at least 3 times, or at most a third of, the
    -- mean of the 4 weeks before it (when that mean is at least 10)
    SELECT 'trend_change', d.uscc, d.subject,
           CASE WHEN d.scope = 'category' THEN d.subject END, d.week,
           pg_catalog.jsonb_build_object('scope', d.scope, 'volume_kind', d.kind, 'week', d.week,
               'volume', d.q, 'baseline', pg_catalog.round(d.baseline, 2),
               'direction', CASE WHEN d.q > d.baseline THEN 'rise' ELSE 'drop' END)
    FROM dense d
    WHERE d.prior_weeks = @extschema@._stats_trend_weeks()
      AND d.baseline >= @extschema@._stats_trend_min_baseline()
      AND (d.q >= d.baseline * @extschema@._stats_trend_factor()
           OR d.q * @extschema@._stats_trend_factor() <= d.baseline)
    UNION ALL
    -- a code whose scans suggest a counterfeit: forged, or flagged by
    -- trace.verify_scan for a wrong or unknown verification element, a code
    -- never commissioned, far-apart places or a burst of sequential codes
    SELECT 'counterfeit', x.uscc, x.subject, x.category, @extschema@._stats_day(pg_catalog.max(x.scan_time)),
           pg_catalog.jsonb_build_object('scans', pg_catalog.count(*),
               'forged', pg_catalog.count(*) FILTER (WHERE x.status = 'forged'),
               'flags', (SELECT pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT f ORDER BY f))
                         FROM suspicious y CROSS JOIN LATERAL pg_catalog.unnest(y.flags) f
                         WHERE y.subject = x.subject),
               'first_scan', @extschema@._reg_iso(pg_catalog.min(x.scan_time)),
               'last_scan', @extschema@._reg_iso(pg_catalog.max(x.scan_time)))
    FROM suspicious x
    GROUP BY x.uscc, x.subject, x.category
    ) a
    WITH DATA;
CREATE INDEX _stats_anomaly_mv_kind ON @extschema@._stats_anomaly_mv (kind, day);
CREATE UNIQUE INDEX _stats_anomaly_mv_key ON @extschema@._stats_anomaly_mv (anomaly_no);

-- --------------------------------------------------------------------------
-- The views readers use.
-- --------------------------------------------------------------------------

-- Volumes per day, unit, region, category, product and kind (production,
-- producer_sale, seller_purchase, seller_sale). records: registry records
-- (items, or flow records); quantity: trace units.
CREATE VIEW @extschema@.stats_volume_daily WITH (security_barrier) AS
    SELECT v.day, v.uscc, v.region_code, @extschema@._stats_province(v.region_code) AS province_code,
           v.category, v.product_id, v.kind, v.records, v.quantity
    FROM @extschema@._stats_volume_mv v
    WHERE (SELECT @extschema@._stats_all())
       OR v.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()));

-- Volumes of all units together (for readers who see every unit; empty for
-- others, since totals would include units they cannot see).
CREATE VIEW @extschema@.stats_volume_totals WITH (security_barrier) AS
    SELECT d.day, d.kind, d.category, d.province_code, d.records, d.quantity
    FROM @extschema@._stats_daily_mv d
    WHERE (SELECT @extschema@._stats_all());

CREATE VIEW @extschema@.stats_volume_by_unit WITH (security_invoker) AS
    SELECT v.uscc, u.unit_name, v.region_code, v.kind, pg_catalog.sum(v.records) AS records,
           pg_catalog.sum(v.quantity) AS quantity, pg_catalog.min(v.day) AS first_day, pg_catalog.max(v.day) AS last_day
    FROM @extschema@.stats_volume_daily v
    LEFT JOIN @extschema@.units u ON u.uscc OPERATOR(@extschema@.=) v.uscc
    GROUP BY v.uscc, u.unit_name, v.region_code, v.kind;

CREATE VIEW @extschema@.stats_volume_by_product WITH (security_invoker) AS
    SELECT v.product_id, v.uscc, v.category, v.kind, pg_catalog.sum(v.records) AS records,
           pg_catalog.sum(v.quantity) AS quantity, pg_catalog.min(v.day) AS first_day, pg_catalog.max(v.day) AS last_day
    FROM @extschema@.stats_volume_daily v
    GROUP BY v.product_id, v.uscc, v.category, v.kind;

CREATE VIEW @extschema@.stats_volume_by_category WITH (security_invoker) AS
    SELECT v.category, c.name_zh, c.name_en, v.kind, pg_catalog.sum(v.records) AS records,
           pg_catalog.sum(v.quantity) AS quantity, pg_catalog.count(DISTINCT v.uscc) AS units,
           pg_catalog.min(v.day) AS first_day, pg_catalog.max(v.day) AS last_day
    FROM @extschema@.stats_volume_daily v
    LEFT JOIN @extschema@.categories c ON c.code = v.category
    GROUP BY v.category, c.name_zh, c.name_en, v.kind;

CREATE VIEW @extschema@.stats_volume_by_region WITH (security_invoker) AS
    SELECT v.region_code, v.province_code, v.kind, pg_catalog.sum(v.records) AS records,
           pg_catalog.sum(v.quantity) AS quantity, pg_catalog.count(DISTINCT v.uscc) AS units,
           pg_catalog.min(v.day) AS first_day, pg_catalog.max(v.day) AS last_day
    FROM @extschema@.stats_volume_daily v
    GROUP BY v.region_code, v.province_code, v.kind;

-- Flows between units per day; a reader other than a regulator or admin
-- sees the flows in which one of its units is a party.
CREATE VIEW @extschema@.stats_flows WITH (security_barrier) AS
    SELECT f.day, f.kind, f.from_uscc, f.to_uscc, f.records, f.quantity
    FROM @extschema@._stats_flow_mv f
    WHERE (SELECT @extschema@._stats_all())
       OR f.from_uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()))
       OR f.to_uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()));

-- Completeness per unit and role (producer: Table 1; seller: Table 2).
CREATE VIEW @extschema@.stats_completeness WITH (security_barrier) AS
    SELECT c.uscc, c.role, c.records, c.complete, c.share, c.missing_fields
    FROM @extschema@._stats_completeness_mv c
    WHERE (SELECT @extschema@._stats_all())
       OR c.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()));

-- Every anomaly, and one view per kind.
CREATE VIEW @extschema@.stats_anomalies WITH (security_barrier) AS
    SELECT a.kind, a.uscc, a.subject, a.category, a.day, a.detail
    FROM @extschema@._stats_anomaly_mv a
    WHERE (SELECT @extschema@._stats_all())
       OR a.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()));

CREATE VIEW @extschema@.anomaly_counterfeit WITH (security_invoker) AS
    SELECT a.uscc, a.subject, a.category, a.day AS last_scan_day, (a.detail ->> 'scans')::bigint AS scans,
           (a.detail ->> 'forged')::bigint AS forged, a.detail -> 'flags' AS flags,
           (a.detail ->> 'first_scan')::timestamptz AS first_scan, (a.detail ->> 'last_scan')::timestamptz AS last_scan
    FROM @extschema@.stats_anomalies a WHERE a.kind = 'counterfeit';

-- Label-scan outcomes per day, unit, category.
CREATE VIEW @extschema@.stats_scans WITH (security_barrier) AS
    SELECT s.day, s.uscc, s.category, s.outcome, s.scans, s.flagged
    FROM @extschema@._stats_scan_mv s
    WHERE (SELECT @extschema@._stats_all())
       OR s.uscc OPERATOR(@extschema@.=) ANY (ARRAY(SELECT @extschema@._stats_visible_units()));

CREATE VIEW @extschema@.anomaly_quantity_mismatch WITH (security_invoker) AS
    SELECT a.uscc, a.subject::@extschema@.code AS trace_code, a.category, a.day AS last_sale_day,
           (a.detail ->> 'sold')::bigint AS sold, (a.detail ->> 'commissioned')::bigint AS commissioned,
           (a.detail ->> 'purchased')::bigint AS purchased
    FROM @extschema@.stats_anomalies a WHERE a.kind = 'quantity_mismatch';

CREATE VIEW @extschema@.anomaly_sale_after_expiry WITH (security_invoker) AS
    SELECT a.uscc, a.subject::@extschema@.code AS trace_code, a.category, a.day AS sale_day,
           a.detail ->> 'reason' AS reason, (a.detail ->> 'flow_id')::bigint AS flow_id,
           a.detail ->> 'sale_kind' AS sale_kind, (a.detail ->> 'production_date')::date AS production_date,
           (a.detail ->> 'warranty_end')::date AS warranty_end, (a.detail ->> 'life_end')::date AS life_end
    FROM @extschema@.stats_anomalies a WHERE a.kind = 'sale_after_expiry';

CREATE VIEW @extschema@.anomaly_missing_fields WITH (security_invoker) AS
    SELECT a.uscc, a.detail ->> 'role' AS role, (a.detail ->> 'records')::bigint AS records,
           (a.detail ->> 'complete')::bigint AS complete, (a.detail ->> 'share')::numeric AS share,
           a.detail -> 'missing_fields' AS missing_fields
    FROM @extschema@.stats_anomalies a WHERE a.kind = 'missing_fields';

CREATE VIEW @extschema@.anomaly_trend_change WITH (security_invoker) AS
    SELECT a.detail ->> 'scope' AS scope, a.subject, a.uscc, a.category, a.day AS week,
           a.detail ->> 'volume_kind' AS volume_kind, (a.detail ->> 'volume')::numeric AS volume,
           (a.detail ->> 'baseline')::numeric AS baseline, a.detail ->> 'direction' AS direction
    FROM @extschema@.stats_anomalies a WHERE a.kind = 'trend_change';

-- Inspection-report coverage (live): per unit, product and category, the
-- items whose inspection report is a current document, and of those the
-- reports stored in the database (rather than referenced by URI).
CREATE VIEW @extschema@.stats_inspection_coverage WITH (security_invoker) AS
    SELECT i.uscc, i.product_id, i.category, pg_catalog.count(*) AS items,
           pg_catalog.count(d.document_id) AS items_with_report,
           pg_catalog.count(d.document_id) FILTER (WHERE d.stored) AS items_with_stored_report,
           pg_catalog.count(DISTINCT d.document_id) AS reports,
           pg_catalog.round(pg_catalog.count(d.document_id)::numeric / pg_catalog.count(*), 4) AS share
    FROM @extschema@.items i
    LEFT JOIN @extschema@.documents d ON d.document_id = i.inspection_report
    GROUP BY i.uscc, i.product_id, i.category;

-- Retention status (live, clause 8.5): per kind of record and unit, how many
-- records are past their retain-until date, due within 90 days, or kept
-- longer, at the reference day (pgtrace.reference_time, else today).
CREATE VIEW @extschema@.stats_retention WITH (security_invoker) AS
    SELECT r.kind, r.uscc, pg_catalog.count(*) AS records,
           pg_catalog.count(*) FILTER (WHERE r.retain_until < @extschema@._stats_today()) AS expired,
           pg_catalog.count(*) FILTER (WHERE r.retain_until >= @extschema@._stats_today()
                                         AND r.retain_until < @extschema@._stats_today() + 90) AS due_90_days,
           pg_catalog.count(*) FILTER (WHERE r.retain_until >= @extschema@._stats_today() + 90) AS kept,
           pg_catalog.min(r.retain_until) AS earliest_retain_until
    FROM @extschema@.retention r
    GROUP BY r.kind, r.uscc;

-- Ledger health: per ledger its rows, blocks, the last sealed block, the
-- rows not yet sealed and the seal lag (age of the oldest of them, by the
-- clock: this is an operational view). Checkpoints are kept outside the database; the last
-- sealed block is the newest state a checkpoint can cover.
CREATE FUNCTION @extschema@._stats_ledger()
    RETURNS TABLE (ledger text, table_name pg_catalog.regclass, hash_algorithm text, blocks bigint,
                   sealed_rows numeric, last_block_no bigint, last_sealed_at timestamptz,
                   pending_rows bigint, oldest_pending_at timestamptz, seal_lag interval)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    l record;
    n bigint;
    oldest timestamptz;
BEGIN
    FOR l IN SELECT t.relid, t.ledger_name, t.hash_algorithm, t.seal_floor FROM @extschema@.ledger_tables t
             ORDER BY t.ledger_name LOOP
        EXECUTE pg_catalog.format(
            'SELECT count(*), min(x.ledger_recorded_at) FROM %s x WHERE x.ledger_seq > $1'
            ' AND NOT (x.ledger_seq <@ COALESCE((SELECT pg_catalog.range_agg(r)'
            ' FROM @extschema@.ledger_blocks b, pg_catalog.unnest(b.members) r'
            ' WHERE b.ledger = $2 AND b.max_seq > $1), ''{}''::pg_catalog.int8multirange))',
            l.relid) INTO n, oldest USING l.seal_floor, l.ledger_name;
        ledger := l.ledger_name;
        table_name := l.relid;
        hash_algorithm := l.hash_algorithm;
        SELECT pg_catalog.count(*), pg_catalog.sum(b.row_count), pg_catalog.max(b.block_no), pg_catalog.max(b.sealed_at)
            INTO blocks, sealed_rows, last_block_no, last_sealed_at
            FROM @extschema@.ledger_blocks b WHERE b.ledger = l.ledger_name;
        sealed_rows := coalesce(sealed_rows, 0);
        pending_rows := n;
        oldest_pending_at := oldest;
        seal_lag := CASE WHEN oldest IS NULL THEN interval '0' ELSE greatest(pg_catalog.now() - oldest, interval '0') END;
        RETURN NEXT;
    END LOOP;
END
$fn$;

CREATE VIEW @extschema@.stats_ledger AS
    SELECT l.* FROM @extschema@._stats_ledger() l;

-- --------------------------------------------------------------------------
-- Refresh
-- --------------------------------------------------------------------------

-- trace.stats_refresh() -> jsonb: recompute every materialised statistic
-- (in dependency order) and log when. Readers of the stats views do not
-- wait: they see the previous figures until the refresh commits. The trend anomaly looks at weeks that ended before the reference
-- day (pgtrace.reference_time, else today). JIT is off: the plans are
-- costed high (a pass of the field catalogue per record) and compiling them
-- took longer than running them (8 s of 9 s at 2,000 items).
CREATE FUNCTION @extschema@.stats_refresh() RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off AS $fn$
DECLARE
    started timestamptz := pg_catalog.clock_timestamp();
    secs numeric;
BEGIN
    -- The base (read by no view) is rebuilt; the views' materialisations are
    -- refreshed CONCURRENTLY, so BI tools and reports keep reading the
    -- previous figures until this transaction commits instead of waiting.
    REFRESH MATERIALIZED VIEW @extschema@._stats_flow_units_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_volume_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_daily_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_flow_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_completeness_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_scan_mv;
    REFRESH MATERIALIZED VIEW CONCURRENTLY @extschema@._stats_anomaly_mv;
    ANALYZE @extschema@._stats_volume_mv;
    ANALYZE @extschema@._stats_daily_mv;
    ANALYZE @extschema@._stats_anomaly_mv;
    secs := pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - started)::numeric, 3);
    INSERT INTO @extschema@._stats_refresh_log (refreshed_at, reference_date, seconds, refreshed_by)
        VALUES (started, @extschema@._stats_today(), secs, SESSION_USER);
    RETURN pg_catalog.jsonb_build_object(
        'refreshed_at', @extschema@._reg_iso(started),
        'reference_date', @extschema@._stats_today(),
        'seconds', secs,
        'volume_rows', (SELECT pg_catalog.count(*) FROM @extschema@._stats_volume_mv),
        'flow_rows', (SELECT pg_catalog.count(*) FROM @extschema@._stats_flow_mv),
        'completeness_rows', (SELECT pg_catalog.count(*) FROM @extschema@._stats_completeness_mv),
        'scan_rows', (SELECT pg_catalog.count(*) FROM @extschema@._stats_scan_mv),
        'anomalies', (SELECT pg_catalog.count(*) FROM @extschema@._stats_anomaly_mv));
END
$fn$;

-- The last refresh, for trace.status() and the report.
CREATE VIEW @extschema@.stats_refreshed AS
    SELECT l.refreshed_at, l.reference_date, l.seconds, l.refreshed_by
    FROM @extschema@._stats_refresh_log l
    ORDER BY l.id DESC LIMIT 1;

CREATE FUNCTION @extschema@._status_stats() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT pg_catalog.jsonb_build_object(
        'last_refresh', (SELECT @extschema@._reg_iso(r.refreshed_at) FROM @extschema@.stats_refreshed r),
        'refresh_seconds', (SELECT r.seconds FROM @extschema@.stats_refreshed r),
        'reference_date', (SELECT r.reference_date FROM @extschema@.stats_refreshed r),
        'anomalies', (SELECT pg_catalog.count(*) FROM @extschema@._stats_anomaly_mv),
        'missing_guarantees', CASE WHEN NOT EXISTS (SELECT 1 FROM @extschema@._stats_refresh_log)
            THEN pg_catalog.jsonb_build_array('stats: the materialised statistics have never been refreshed; '
                                              'call trace.stats_refresh() (e.g. from a scheduler)')
            ELSE '[]'::jsonb END)
$fn$;

-- --------------------------------------------------------------------------
-- Privileges: materialised relations and helpers for nobody; the views for
-- trace_regulator and trace_admin, and (filtered) for trace_operator.
-- --------------------------------------------------------------------------
REVOKE ALL ON @extschema@._stats_refresh_log, @extschema@._stats_flow_units_mv, @extschema@._stats_volume_mv,
    @extschema@._stats_flow_mv, @extschema@._stats_completeness_mv, @extschema@._stats_scan_mv, @extschema@._stats_daily_mv,
    @extschema@._stats_anomaly_mv FROM PUBLIC;
REVOKE ALL ON @extschema@.stats_volume_daily, @extschema@.stats_volume_totals, @extschema@.stats_volume_by_unit, @extschema@.stats_volume_by_product,
    @extschema@.stats_volume_by_category, @extschema@.stats_volume_by_region, @extschema@.stats_flows,
    @extschema@.stats_completeness, @extschema@.stats_anomalies, @extschema@.stats_scans, @extschema@.anomaly_counterfeit,
    @extschema@.anomaly_quantity_mismatch,
    @extschema@.anomaly_sale_after_expiry, @extschema@.anomaly_missing_fields, @extschema@.anomaly_trend_change,
    @extschema@.stats_inspection_coverage, @extschema@.stats_retention, @extschema@.stats_ledger,
    @extschema@.stats_refreshed FROM PUBLIC;
GRANT SELECT ON @extschema@.stats_volume_daily, @extschema@.stats_volume_totals, @extschema@.stats_volume_by_unit, @extschema@.stats_volume_by_product,
    @extschema@.stats_volume_by_category, @extschema@.stats_volume_by_region, @extschema@.stats_flows,
    @extschema@.stats_completeness, @extschema@.stats_anomalies, @extschema@.stats_scans, @extschema@.anomaly_counterfeit,
    @extschema@.anomaly_quantity_mismatch,
    @extschema@.anomaly_sale_after_expiry, @extschema@.anomaly_missing_fields, @extschema@.anomaly_trend_change,
    @extschema@.stats_inspection_coverage, @extschema@.stats_retention, @extschema@.stats_refreshed
    TO trace_admin, trace_regulator, trace_operator;
GRANT SELECT ON @extschema@.stats_ledger TO trace_admin, trace_regulator;

DO $priv$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = '@extschema@'::regnamespace
               AND (p.proname LIKE '\_stats\_%' OR p.proname = 'stats_refresh' OR p.proname = '_status_stats')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$priv$;
-- Helpers the views call as the reader.
GRANT EXECUTE ON FUNCTION @extschema@._stats_all(), @extschema@._stats_visible_units(),
    @extschema@._stats_province(text), @extschema@._stats_today(), @extschema@._stats_day(timestamptz) TO trace_admin, trace_regulator, trace_operator;
GRANT EXECUTE ON FUNCTION @extschema@._stats_ledger() TO trace_admin, trace_regulator;
GRANT EXECUTE ON FUNCTION @extschema@.stats_refresh() TO trace_admin;
