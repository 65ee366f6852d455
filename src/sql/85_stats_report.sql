-- trace.report(from, to, lang): one self-contained HTML page (inline SVG
-- charts, no script, no font or image from the network) over the stats views.
-- See docs/stats.md. Everything it shows comes from the data and the dates
-- given: it never reads the clock.

-- Text for HTML: & < > " ' escaped.
CREATE FUNCTION @extschema@._stats_html(s text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
        coalesce(s, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;

-- A number as plain digits (no locale: grouping and decimal sign fixed).
CREATE FUNCTION @extschema@._stats_num(n numeric) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN n IS NULL THEN '–'
                WHEN n = pg_catalog.trunc(n) THEN pg_catalog.trunc(n)::text
                ELSE pg_catalog.round(n, 2)::text END
$$;

CREATE FUNCTION @extschema@._stats_pct(n numeric) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN n IS NULL THEN '–' ELSE pg_catalog.round(n * 100, 1)::text || '%' END
$$;

-- The report's words, in Chinese (zh) and English (en).
CREATE FUNCTION @extschema@._stats_t(key text, lang text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN lang = 'zh' THEN z ELSE e END
    FROM (VALUES
        ('title', '重点工业产品质量安全追溯统计报告', 'Quality and safety traceability report: key industrial products'),
        ('period', '统计期间', 'Period'),
        ('as_of', '统计数据刷新时间', 'Statistics refreshed'),
        ('never', '尚未刷新', 'never'),
        ('scope', '范围', 'Scope'),
        ('scope_all', '全部单位', 'all units'),
        ('scope_some', '可见单位数', 'units visible'),
        ('production', '生产数量', 'Produced'),
        ('sales', '销售数量', 'Sold'),
        ('purchases', '进货数量', 'Purchased'),
        ('units_active', '单位数', 'Units'),
        ('anomalies', '异常', 'Anomalies'),
        ('completeness', '信息完整率', 'Completeness'),
        ('chart_volume', '产销量趋势', 'Volume trend'),
        ('chart_completeness', '信息完整率（按单位，表1–表2必填项）', 'Completeness by unit (mandatory fields of Tables 1–2)'),
        ('chart_anomalies', '异常（按类型）', 'Anomalies by kind'),
        ('chart_scans', '扫码核验结果', 'Label scan outcomes'),
        ('no_scans', '暂无扫码记录', 'no label scans recorded'),
        ('no_data', '无数据', 'no data'),
        ('top_anomalies', '主要异常', 'Top anomalies'),
        ('by_category', '按产品类别', 'By product category'),
        ('by_region', '按地区（省级行政区划代码）', 'By region (province code, GB/T 2260)'),
        ('category', '类别', 'Category'),
        ('region', '地区', 'Region'),
        ('units', '单位数', 'Units'),
        ('kind', '类型', 'Kind'),
        ('unit', '单位', 'Unit'),
        ('subject', '对象', 'Subject'),
        ('day', '日期', 'Date'),
        ('detail', '说明', 'Detail'),
        ('quantity_mismatch', '数量不符（销售多于生产或进货）', 'Quantity mismatch (sold > made or bought)'),
        ('sale_after_expiry', '过期或过保后销售', 'Sale after expiry or warranty end'),
        ('missing_fields', '必填信息缺失', 'Missing mandatory fields'),
        ('trend_change', '趋势突变', 'Sudden trend change'),
        ('counterfeit', '疑似假冒', 'Suspected counterfeit'),
        ('genuine', '真品', 'genuine'),
        ('forged', '伪造', 'forged'),
        ('unknown', '未知', 'unknown'),
        ('note', '说明：数量以最小销售单元计；包装的销售按其内含单元计。异常与完整率来自最近一次 trace.stats_refresh()。',
                 'Notes: quantities count minimum sales units; a package sale counts the units inside. Anomalies and completeness are as of the last trace.stats_refresh().'),
        ('producer', '生产者', 'producer'),
        ('seller', '销售者', 'seller'),
        ('none', '无', 'none')) t(k, z, e)
    WHERE t.k = key
$$;

-- A "nice" upper bound of an axis: 1, 2 or 5 times a power of ten.
CREATE FUNCTION @extschema@._stats_axis_max(m numeric) RETURNS numeric
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN m IS NULL OR m <= 0 THEN 1
        ELSE (SELECT pg_catalog.trim_scale(pg_catalog.min(c * p)) FROM (SELECT pg_catalog.power(10::numeric, pg_catalog.floor(pg_catalog.log(m))) AS p) x,
                  (VALUES (1), (2), (5), (10)) s(c) WHERE c * p >= m) END
$$;

-- Line chart: one polyline (with a dot per point) for each series, over the
-- labels of the x axis. series: [{"name": ..., "color": "#rrggbb", "values": [...]}].
CREATE FUNCTION @extschema@._stats_svg_lines(id text, title text, labels text[], series jsonb, empty_text text)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    w constant int := 760;
    h constant int := 300;
    l constant int := 60;
    r constant int := 20;
    t constant int := 40;
    b constant int := 50;
    n int := coalesce(pg_catalog.cardinality(labels), 0);
    ymax numeric;
    out text;
    s jsonb;
    i int;
    x numeric;
    y numeric;
    pts text;
    dots text;
    step int;
    k int := 0;
BEGIN
    SELECT @extschema@._stats_axis_max(pg_catalog.max(v::numeric)) INTO ymax
        FROM pg_catalog.jsonb_array_elements(series) e, pg_catalog.jsonb_array_elements_text(e -> 'values') v;
    out := pg_catalog.format('<svg id="%s" class="chart" xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">',
                             id, w, h, w, h, @extschema@._stats_html(title))
        || pg_catalog.format('<text x="%s" y="22" class="ct">%s</text>', l, @extschema@._stats_html(title))
        || pg_catalog.format('<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff" stroke="#999999"/>', l, t, w - l - r, h - t - b);
    -- y axis: five ticks
    FOR i IN 0..4 LOOP
        y := t + (h - t - b) * (1 - i / 4.0);
        out := out || pg_catalog.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e0e0e0"/><text x="%s" y="%s" class="ya">%s</text>',
            l, pg_catalog.round(y, 1), w - r, pg_catalog.round(y, 1), l - 6, pg_catalog.round(y + 4, 1),
            @extschema@._stats_num(pg_catalog.round(ymax * i / 4, 2)));
    END LOOP;
    IF n = 0 THEN
        RETURN out || pg_catalog.format('<text x="%s" y="%s" class="empty">%s</text></svg>', w / 2, h / 2, @extschema@._stats_html(empty_text));
    END IF;
    -- x labels: at most about ten
    step := greatest(1, pg_catalog.ceil(n / 10.0)::int);
    FOR i IN 1..n LOOP
        IF (i - 1) % step = 0 OR i = n THEN
            x := CASE WHEN n = 1 THEN l + (w - l - r) / 2.0 ELSE l + (w - l - r) * (i - 1) / (n - 1.0) END;
            out := out || pg_catalog.format('<text x="%s" y="%s" class="xa">%s</text>', pg_catalog.round(x, 1), h - b + 18,
                                            @extschema@._stats_html(labels[i]));
        END IF;
    END LOOP;
    FOR s IN SELECT e FROM pg_catalog.jsonb_array_elements(series) e LOOP
        pts := '';
        dots := '';
        FOR i IN 1..n LOOP
            x := CASE WHEN n = 1 THEN l + (w - l - r) / 2.0 ELSE l + (w - l - r) * (i - 1) / (n - 1.0) END;
            y := t + (h - t - b) * (1 - coalesce((s -> 'values' ->> (i - 1))::numeric, 0) / ymax);
            pts := pts || pg_catalog.round(x, 1) || ',' || pg_catalog.round(y, 1) || ' ';
            dots := dots || pg_catalog.format('<circle cx="%s" cy="%s" r="4" fill="%s"/>', pg_catalog.round(x, 1), pg_catalog.round(y, 1), s ->> 'color');
        END LOOP;
        out := out || pg_catalog.format('<polyline class="series" data-series="%s" points="%s" fill="none" stroke="%s" stroke-width="3"/>',
                                        @extschema@._stats_html(s ->> 'name'), pg_catalog.rtrim(pts), s ->> 'color') || dots;
        -- legend
        out := out || pg_catalog.format('<rect x="%s" y="%s" width="14" height="14" fill="%s"/><text x="%s" y="%s" class="lg">%s</text>',
                                        l + 10 + k * 150, h - 20, s ->> 'color', l + 30 + k * 150, h - 8, @extschema@._stats_html(s ->> 'name'));
        k := k + 1;
    END LOOP;
    RETURN out || '</svg>';
END
$fn$;

-- Horizontal bar chart: one bar per label; values scaled to vmax (NULL: the
-- largest value); shown as text by the given format ('num' or 'pct').
CREATE FUNCTION @extschema@._stats_svg_bars(id text, title text, labels text[], vals numeric[], colors text[],
                                            vmax numeric, fmt text, empty_text text)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    w constant int := 760;
    lw constant int := 300;
    row_h constant int := 28;
    t constant int := 40;
    n int := coalesce(pg_catalog.cardinality(labels), 0);
    h int := t + greatest(n, 1) * row_h + 20;
    top numeric := coalesce(vmax, @extschema@._stats_axis_max((SELECT pg_catalog.max(v) FROM pg_catalog.unnest(vals) v)));
    bw numeric;
    out text;
    i int;
BEGIN
    out := pg_catalog.format('<svg id="%s" class="chart" xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-label="%s">',
                             id, w, h, w, h, @extschema@._stats_html(title))
        || pg_catalog.format('<text x="10" y="22" class="ct">%s</text>', @extschema@._stats_html(title))
        || pg_catalog.format('<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#999999"/>', lw, t - 4, lw, h - 16);
    IF n = 0 THEN
        RETURN out || pg_catalog.format('<text x="%s" y="%s" class="empty">%s</text></svg>', w / 2, t + 18, @extschema@._stats_html(empty_text));
    END IF;
    FOR i IN 1..n LOOP
        bw := CASE WHEN top > 0 THEN (w - lw - 90) * greatest(coalesce(vals[i], 0), 0) / top ELSE 0 END;
        out := out || pg_catalog.format(
            '<text x="%s" y="%s" class="bl">%s</text><rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"/><text x="%s" y="%s" class="bv">%s</text>',
            lw - 8, t + (i - 1) * row_h + 18, @extschema@._stats_html(labels[i]),
            lw, t + (i - 1) * row_h + 4, pg_catalog.round(bw, 1), row_h - 8, colors[1 + (i - 1) % pg_catalog.cardinality(colors)],
            pg_catalog.round(lw + bw + 6, 1), t + (i - 1) * row_h + 18,
            CASE fmt WHEN 'pct' THEN @extschema@._stats_pct(vals[i]) ELSE @extschema@._stats_num(vals[i]) END);
    END LOOP;
    RETURN out || '</svg>';
END
$fn$;

-- Label scan outcomes in a period, when the labels part provides them
-- (a view trace.stats_scans with day, outcome, scans); else no rows.
CREATE FUNCTION @extschema@._stats_scan_outcomes(from_date date, to_date date)
    RETURNS TABLE (outcome text, scans bigint)
    LANGUAGE plpgsql STABLE AS $fn$
BEGIN
    IF pg_catalog.to_regclass('@extschema@.stats_scans') IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY EXECUTE
        'SELECT s.outcome::text, pg_catalog.sum(s.scans)::bigint FROM @extschema@.stats_scans s'
        ' WHERE s.day BETWEEN $1 AND $2 GROUP BY 1 ORDER BY 1' USING from_date, to_date;
END
$fn$;

-- trace.report(from_date, to_date, lang) -> text: the HTML page.
CREATE FUNCTION @extschema@.report(from_date date, to_date date, lang text DEFAULT 'zh') RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    SET jit = off AS $fn$
DECLARE
    bucket text;
    labels text[];
    prod jsonb;
    sold jsonb;
    bought jsonb;
    html text;
    kpi record;
    refreshed text;
    scope text;
    c_labels text[];
    c_vals numeric[];
    a_labels text[];
    a_vals numeric[];
    s_labels text[];
    s_vals numeric[];
    s_colors text[];
    top_rows text;
    cat_rows text;
    reg_rows text;
    overall numeric;
    everything boolean := @extschema@._stats_all();
    fd text := pg_catalog.to_char(from_date, 'YYYY-MM-DD');
    td text := pg_catalog.to_char(to_date, 'YYYY-MM-DD');
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'trace.report: from_date and to_date are required',
            DETAIL = 'The report covers the days from from_date to to_date inclusive; it never assumes today.';
    ELSIF from_date > to_date THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('trace.report: from_date %s is after to_date %s', fd, td);
    ELSIF to_date - from_date > 3660 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('trace.report: the period %s to %s is longer than ten years', fd, td);
    ELSIF lang IS NULL OR lang NOT IN ('zh', 'en') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('trace.report: unknown language %s', coalesce(pg_catalog.quote_literal(lang), 'NULL')),
            DETAIL = 'The report is written in Chinese (zh) or English (en).';
    END IF;

    -- time buckets: days up to 62 days, weeks (from Monday) up to two years, else months
    bucket := CASE WHEN to_date - from_date < 62 THEN 'day' WHEN to_date - from_date < 731 THEN 'week' ELSE 'month' END;
    WITH b AS (
        SELECT DISTINCT pg_catalog.date_trunc(bucket, d)::date AS k
        FROM pg_catalog.generate_series(from_date::timestamp, to_date::timestamp, interval '1 day') d),
    v AS (
        SELECT pg_catalog.date_trunc(bucket, x.day::timestamp)::date AS k,
               pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'production') AS p,
               pg_catalog.sum(x.quantity) FILTER (WHERE x.kind IN ('producer_sale', 'seller_sale')) AS s,
               pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'seller_purchase') AS q
        FROM (SELECT t.day, t.kind, t.category, t.province_code, t.quantity FROM @extschema@.stats_volume_totals t
                    WHERE everything AND t.day BETWEEN from_date AND to_date
                    UNION ALL
                    SELECT d.day, d.kind, d.category, d.province_code, d.quantity FROM @extschema@.stats_volume_daily d
                    WHERE NOT everything AND d.day BETWEEN from_date AND to_date) x
        WHERE x.day BETWEEN from_date AND to_date
        GROUP BY 1)
    SELECT pg_catalog.array_agg(pg_catalog.to_char(b.k, CASE bucket WHEN 'month' THEN 'YYYY-MM' ELSE 'MM-DD' END) ORDER BY b.k),
           pg_catalog.jsonb_agg(coalesce(v.p, 0) ORDER BY b.k),
           pg_catalog.jsonb_agg(coalesce(v.s, 0) ORDER BY b.k),
           pg_catalog.jsonb_agg(coalesce(v.q, 0) ORDER BY b.k)
        INTO labels, prod, sold, bought
        FROM b LEFT JOIN v ON v.k = b.k;

    SELECT coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'production'), 0) AS p,
           coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind IN ('producer_sale', 'seller_sale')), 0) AS s,
           coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'seller_purchase'), 0) AS q,
           (SELECT pg_catalog.count(*) FROM @extschema@.units) AS u
        INTO kpi
        FROM (SELECT t.day, t.kind, t.category, t.province_code, t.quantity FROM @extschema@.stats_volume_totals t
                    WHERE everything AND t.day BETWEEN from_date AND to_date
                    UNION ALL
                    SELECT d.day, d.kind, d.category, d.province_code, d.quantity FROM @extschema@.stats_volume_daily d
                    WHERE NOT everything AND d.day BETWEEN from_date AND to_date) x WHERE x.day BETWEEN from_date AND to_date;

    SELECT pg_catalog.to_char((r.refreshed_at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD HH24:MI') || ' (UTC+8)'
        INTO refreshed FROM @extschema@.stats_refreshed r;
    scope := CASE WHEN everything THEN @extschema@._stats_t('scope_all', lang)
                  ELSE @extschema@._stats_t('scope_some', lang) || ': '
                       || (SELECT pg_catalog.count(*) FROM @extschema@._stats_visible_units())::text END;

    -- completeness: the units with the lowest share first (at most 12)
    SELECT pg_catalog.array_agg(x.lbl ORDER BY x.share, x.lbl), pg_catalog.array_agg(x.share ORDER BY x.share, x.lbl)
        INTO c_labels, c_vals
        FROM (SELECT coalesce(u.unit_name, c.uscc::text) || ' · ' || @extschema@._stats_t(c.role, lang) AS lbl, c.share
              FROM @extschema@.stats_completeness c
              LEFT JOIN @extschema@.units u ON u.uscc OPERATOR(@extschema@.=) c.uscc
              WHERE c.share IS NOT NULL
              ORDER BY c.share, 1 LIMIT 12) x;
    SELECT CASE WHEN pg_catalog.sum(c.records) > 0 THEN pg_catalog.sum(c.complete)::numeric / pg_catalog.sum(c.records) END
        INTO overall FROM @extschema@.stats_completeness c;

    -- anomalies of the period (missing fields: current state, always shown)
    SELECT pg_catalog.array_agg(@extschema@._stats_t(k.kind, lang) ORDER BY k.o),
           pg_catalog.array_agg(coalesce(n.cnt, 0) ORDER BY k.o)
        INTO a_labels, a_vals
        FROM (VALUES ('quantity_mismatch', 1), ('sale_after_expiry', 2), ('missing_fields', 3), ('trend_change', 4),
                     ('counterfeit', 5)) k(kind, o)
        LEFT JOIN (SELECT a.kind, pg_catalog.count(*) AS cnt FROM @extschema@.stats_anomalies a
                   WHERE a.day BETWEEN from_date AND to_date OR a.day IS NULL GROUP BY a.kind) n ON n.kind = k.kind;

    SELECT coalesce(pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@._stats_html(@extschema@._stats_t(x.kind, lang)),
               @extschema@._stats_html(coalesce(u.unit_name, x.uscc::text, '')),
               @extschema@._stats_html(x.subject), coalesce(pg_catalog.to_char(x.day, 'YYYY-MM-DD'), ''),
               @extschema@._stats_html(x.detail::text)), '' ORDER BY x.o, x.day DESC NULLS LAST, x.subject), '')
        INTO top_rows
        FROM (SELECT a.*, CASE a.kind WHEN 'counterfeit' THEN 0 WHEN 'quantity_mismatch' THEN 1 WHEN 'sale_after_expiry' THEN 2
                                      WHEN 'trend_change' THEN 3 ELSE 4 END AS o
              FROM @extschema@.stats_anomalies a
              WHERE a.day BETWEEN from_date AND to_date OR a.day IS NULL
              ORDER BY o, a.day DESC NULLS LAST, a.subject LIMIT 10) x
        LEFT JOIN @extschema@.units u ON u.uscc OPERATOR(@extschema@.=) x.uscc;

    SELECT pg_catalog.array_agg(@extschema@._stats_t(s.outcome, lang) ORDER BY s.outcome),
           pg_catalog.array_agg(s.scans ORDER BY s.outcome),
           pg_catalog.array_agg(CASE s.outcome WHEN 'genuine' THEN '#2ca02c' WHEN 'forged' THEN '#d62728' ELSE '#7f7f7f' END ORDER BY s.outcome)
        INTO s_labels, s_vals, s_colors
        FROM @extschema@._stats_scan_outcomes(from_date, to_date) s;

    SELECT coalesce(pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@._stats_html(coalesce(CASE lang WHEN 'zh' THEN c.name_zh ELSE c.name_en END, g.category)),
               @extschema@._stats_num(g.p), @extschema@._stats_num(g.s)), '' ORDER BY g.p DESC, g.category), '')
        INTO cat_rows
        FROM (SELECT x.category, coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'production'), 0) AS p,
                     coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind IN ('producer_sale', 'seller_sale')), 0) AS s
              FROM (SELECT t.day, t.kind, t.category, t.province_code, t.quantity FROM @extschema@.stats_volume_totals t
                    WHERE everything AND t.day BETWEEN from_date AND to_date
                    UNION ALL
                    SELECT d.day, d.kind, d.category, d.province_code, d.quantity FROM @extschema@.stats_volume_daily d
                    WHERE NOT everything AND d.day BETWEEN from_date AND to_date) x WHERE x.day BETWEEN from_date AND to_date GROUP BY x.category) g
        LEFT JOIN @extschema@.categories c ON c.code = g.category;

    SELECT coalesce(pg_catalog.string_agg(pg_catalog.format('<tr><td>%s</td><td>%s</td><td>%s</td></tr>',
               @extschema@._stats_html(g.province_code), @extschema@._stats_num(g.p), @extschema@._stats_num(g.s)),
               '' ORDER BY g.p DESC, g.province_code), '')
        INTO reg_rows
        FROM (SELECT x.province_code, coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind = 'production'), 0) AS p,
                     coalesce(pg_catalog.sum(x.quantity) FILTER (WHERE x.kind IN ('producer_sale', 'seller_sale')), 0) AS s
              FROM (SELECT t.day, t.kind, t.category, t.province_code, t.quantity FROM @extschema@.stats_volume_totals t
                    WHERE everything AND t.day BETWEEN from_date AND to_date
                    UNION ALL
                    SELECT d.day, d.kind, d.category, d.province_code, d.quantity FROM @extschema@.stats_volume_daily d
                    WHERE NOT everything AND d.day BETWEEN from_date AND to_date) x WHERE x.day BETWEEN from_date AND to_date GROUP BY x.province_code) g;

    html := '<!DOCTYPE html>' || E'\n'
        || pg_catalog.format('<html lang="%s"><head><meta charset="utf-8">', CASE lang WHEN 'zh' THEN 'zh-CN' ELSE 'en' END)
        || '<meta name="viewport" content="width=device-width, initial-scale=1">'
        || pg_catalog.format('<title>%s %s – %s</title>', @extschema@._stats_html(@extschema@._stats_t('title', lang)), fd, td)
        || '<style>'
        || 'body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:820px}'
        || 'h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse;width:100%;font-size:13px}'
        || 'td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f2f2f2}'
        || '.kpi{display:flex;flex-wrap:wrap;gap:10px}.kpi div{border:1px solid #ccc;padding:8px 12px;min-width:120px}'
        || '.kpi b{display:block;font-size:20px}.chart{display:block;margin:24px 0 12px;font-size:12px}'
        || '.ct{font-size:15px;font-weight:bold}.ya{text-anchor:end}.xa{text-anchor:middle}.bl{text-anchor:end}'
        || '.empty{text-anchor:middle;fill:#777}.note{font-size:12px;color:#555}'
        || '</style></head><body>'
        || pg_catalog.format('<h1>%s</h1>', @extschema@._stats_html(@extschema@._stats_t('title', lang)))
        || pg_catalog.format('<p>%s: <b id="period">%s – %s</b> · %s: %s · %s: %s</p>',
               @extschema@._stats_t('period', lang), fd, td,
               @extschema@._stats_t('as_of', lang), coalesce(refreshed, @extschema@._stats_t('never', lang)),
               @extschema@._stats_t('scope', lang), @extschema@._stats_html(scope))
        || '<div class="kpi">'
        || pg_catalog.format('<div>%s<b id="kpi-production">%s</b></div>', @extschema@._stats_t('production', lang), @extschema@._stats_num(kpi.p))
        || pg_catalog.format('<div>%s<b id="kpi-sales">%s</b></div>', @extschema@._stats_t('sales', lang), @extschema@._stats_num(kpi.s))
        || pg_catalog.format('<div>%s<b id="kpi-purchases">%s</b></div>', @extschema@._stats_t('purchases', lang), @extschema@._stats_num(kpi.q))
        || pg_catalog.format('<div>%s<b id="kpi-units">%s</b></div>', @extschema@._stats_t('units_active', lang), kpi.u)
        || pg_catalog.format('<div>%s<b id="kpi-anomalies">%s</b></div>', @extschema@._stats_t('anomalies', lang),
               (SELECT coalesce(pg_catalog.sum(v), 0) FROM pg_catalog.unnest(a_vals) v))
        || pg_catalog.format('<div>%s<b id="kpi-completeness">%s</b></div>', @extschema@._stats_t('completeness', lang), @extschema@._stats_pct(overall))
        || '</div>'
        || @extschema@._stats_svg_lines('chart-volume', @extschema@._stats_t('chart_volume', lang), labels,
               pg_catalog.jsonb_build_array(
                   pg_catalog.jsonb_build_object('name', @extschema@._stats_t('production', lang), 'color', '#1f77b4', 'values', prod),
                   pg_catalog.jsonb_build_object('name', @extschema@._stats_t('sales', lang), 'color', '#ff7f0e', 'values', sold),
                   pg_catalog.jsonb_build_object('name', @extschema@._stats_t('purchases', lang), 'color', '#9467bd', 'values', bought)),
               @extschema@._stats_t('no_data', lang))
        || @extschema@._stats_svg_bars('chart-completeness', @extschema@._stats_t('chart_completeness', lang), c_labels, c_vals,
               ARRAY['#2ca02c'], 1, 'pct', @extschema@._stats_t('no_data', lang))
        || @extschema@._stats_svg_bars('chart-anomalies', @extschema@._stats_t('chart_anomalies', lang), a_labels, a_vals,
               ARRAY['#d62728'], NULL, 'num', @extschema@._stats_t('no_data', lang))
        || pg_catalog.format('<h3>%s</h3><table id="top-anomalies"><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>',
               @extschema@._stats_t('top_anomalies', lang), @extschema@._stats_t('kind', lang), @extschema@._stats_t('unit', lang),
               @extschema@._stats_t('subject', lang), @extschema@._stats_t('day', lang), @extschema@._stats_t('detail', lang),
               CASE WHEN top_rows = '' THEN pg_catalog.format('<tr><td colspan="5">%s</td></tr>', @extschema@._stats_t('none', lang)) ELSE top_rows END)
        || @extschema@._stats_svg_bars('chart-scans', @extschema@._stats_t('chart_scans', lang), s_labels, s_vals,
               coalesce(s_colors, ARRAY['#7f7f7f']), NULL, 'num', @extschema@._stats_t('no_scans', lang))
        || pg_catalog.format('<h2>%s</h2><table id="by-category"><tr><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>',
               @extschema@._stats_t('by_category', lang), @extschema@._stats_t('category', lang), @extschema@._stats_t('production', lang),
               @extschema@._stats_t('sales', lang), cat_rows)
        || pg_catalog.format('<h2>%s</h2><table id="by-region"><tr><th>%s</th><th>%s</th><th>%s</th></tr>%s</table>',
               @extschema@._stats_t('by_region', lang), @extschema@._stats_t('region', lang), @extschema@._stats_t('production', lang),
               @extschema@._stats_t('sales', lang), reg_rows)
        || pg_catalog.format('<p class="note">%s</p>', @extschema@._stats_html(@extschema@._stats_t('note', lang)))
        || '</body></html>' || E'\n';
    RETURN html;
END
$fn$;

DO $priv$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = '@extschema@'::regnamespace
               AND (p.proname LIKE '\_stats\_%' OR p.proname = 'report')
               AND p.proname NOT IN ('_stats_all', '_stats_visible_units', '_stats_province', '_stats_today',
                                     '_stats_day', '_stats_ledger')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO trace_admin, trace_regulator, trace_operator', f);
    END LOOP;
END
$priv$;
