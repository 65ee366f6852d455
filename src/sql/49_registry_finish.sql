-- Registry: privileges, status, ledger, pg_dump registration and the seeded
-- first batch of key industrial products. Runs after every registry part.

-- The data columns of each registry table (captured before the ledger adds
-- its own), used when a withdrawal repeats a record's data.
DO $cols$
DECLARE
    body text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('WHEN %L THEN %L::text[]', c.relname, c.cols), ' ')
        INTO body
        FROM (SELECT r.relname, pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) AS cols
              FROM pg_catalog.pg_class r
              JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
              WHERE r.relnamespace = '@extschema@'::regnamespace
                AND r.relname IN ('category_record', 'document_record', 'unit_record', 'product_record',
                                  'item_record', 'package_event', 'flow_record')
                AND a.attname <> 'id'
              GROUP BY r.relname) c;
    EXECUTE 'CREATE FUNCTION @extschema@._reg_columns(tbl text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $f$ SELECT CASE tbl '
        || body || ' END $f$';
END
$cols$;

-- Tables and helpers are not for direct use: writes go through the API.
DO $priv$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
             WHERE p.pronamespace = '@extschema@'::regnamespace
               AND (p.proname LIKE '\_reg\_%')
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$priv$;

REVOKE ALL ON @extschema@.field_catalog, @extschema@.category_record, @extschema@.document_content,
    @extschema@.document_record, @extschema@.unit_record, @extschema@.product_record, @extschema@.item_record,
    @extschema@.package_event, @extschema@.flow_record FROM PUBLIC;
REVOKE ALL ON @extschema@.categories, @extschema@.documents, @extschema@.units, @extschema@.products,
    @extschema@.items, @extschema@.package_events, @extschema@.flows, @extschema@.corrections,
    @extschema@.retention FROM PUBLIC;

GRANT SELECT ON @extschema@.field_catalog, @extschema@.categories TO trace_admin, trace_operator, trace_regulator, trace_public;
GRANT SELECT ON @extschema@.category_record, @extschema@.document_content, @extschema@.document_record,
    @extschema@.unit_record, @extschema@.product_record, @extschema@.item_record, @extschema@.package_event,
    @extschema@.flow_record, @extschema@.documents, @extschema@.units, @extschema@.products, @extschema@.items,
    @extschema@.package_events, @extschema@.flows, @extschema@.corrections, @extschema@.retention
    TO trace_admin, trace_operator, trace_regulator;

REVOKE ALL ON FUNCTION @extschema@.add_category(jsonb), @extschema@.register_unit(jsonb),
    @extschema@.register_product(jsonb), @extschema@.commission(jsonb), @extschema@.pack(jsonb),
    @extschema@.unpack(jsonb), @extschema@.record_sale(jsonb), @extschema@.record_purchase(jsonb),
    @extschema@.attach_document(jsonb), @extschema@.attach_document(bytea, text, text, text),
    @extschema@.correct(text, bigint, jsonb, text), @extschema@.history(text),
    @extschema@.completeness(text), @extschema@.package_contents(text, timestamptz, boolean),
    @extschema@.package_of(text, timestamptz), @extschema@.proof(@extschema@.code, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.add_category(jsonb) TO trace_admin;
-- as trace.proof(regclass, bigint, text): for those who keep or check the ledger
GRANT EXECUTE ON FUNCTION @extschema@.proof(@extschema@.code, text) TO trace_admin, trace_regulator;
GRANT EXECUTE ON FUNCTION @extschema@.register_unit(jsonb), @extschema@.register_product(jsonb),
    @extschema@.commission(jsonb), @extschema@.pack(jsonb), @extschema@.unpack(jsonb),
    @extschema@.record_sale(jsonb), @extschema@.record_purchase(jsonb), @extschema@.attach_document(jsonb),
    @extschema@.attach_document(bytea, text, text, text), @extschema@.correct(text, bigint, jsonb, text)
    TO trace_admin, trace_operator;
-- trace.retention (security_invoker) computes the effective date of flows and
-- packing events with these helpers, with the reader's rights
GRANT EXECUTE ON FUNCTION @extschema@._reg_covered_retain(@extschema@.code[], date),
    @extschema@._reg_units_in(@extschema@.code, timestamptz), @extschema@._reg_children(@extschema@.code, timestamptz),
    @extschema@._reg_retain(date, date, int, interval, interval)
    TO trace_admin, trace_operator, trace_regulator;
GRANT EXECUTE ON FUNCTION @extschema@.history(text), @extschema@.completeness(text),
    @extschema@.package_contents(text, timestamptz, boolean), @extschema@.package_of(text, timestamptz)
    TO trace_admin, trace_operator, trace_regulator;

-- trace.status() report of the registry.
CREATE FUNCTION @extschema@._status_registry() RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing jsonb := '[]';
    ledger boolean := pg_catalog.to_regprocedure('@extschema@.ledger_enable(regclass, text, interval)') IS NOT NULL;
BEGIN
    IF NOT ledger THEN
        missing := missing || pg_catalog.to_jsonb('registry: the tamper-evident ledger is missing; registry tables '
            'are append-only by convention only'::text);
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'units', (SELECT pg_catalog.count(*) FROM @extschema@.units),
        'products', (SELECT pg_catalog.count(*) FROM @extschema@.products),
        'items', (SELECT pg_catalog.count(*) FROM @extschema@.item_record WHERE supersedes IS NULL),
        'categories', (SELECT pg_catalog.count(*) FROM @extschema@.categories),
        'ledger_tables', ledger,
        'missing_guarantees', missing);
END
$$;
REVOKE ALL ON FUNCTION @extschema@._status_registry() FROM PUBLIC;

-- pg_dump keeps the registry's rows (the seeded categories come back with
-- CREATE EXTENSION).
SELECT pg_catalog.pg_extension_config_dump('@extschema@.category_record', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document_content', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.document_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.unit_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.product_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.item_record', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.package_event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.flow_record', '');
-- ... and their identity sequences, so that ids continue after a restore
DO $seqs$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['category_record', 'document_record', 'unit_record', 'product_record',
                             'item_record', 'package_event', 'flow_record'] LOOP
        PERFORM pg_catalog.pg_extension_config_dump(
            pg_catalog.pg_get_serial_sequence(pg_catalog.format('@extschema@.%I', t), 'id')::regclass, '');
    END LOOP;
END
$seqs$;

-- Every registry table is a ledger table (append-only, tamper-evident).
DO $ledger$
DECLARE
    t text;
BEGIN
    IF pg_catalog.to_regprocedure('@extschema@.ledger_enable(regclass, text, interval)') IS NULL THEN
        RETURN;
    END IF;
    FOREACH t IN ARRAY ARRAY['category_record', 'document_content', 'document_record', 'unit_record',
                             'product_record', 'item_record', 'package_event', 'flow_record'] LOOP
        PERFORM @extschema@.ledger_enable(pg_catalog.format('@extschema@.%I', t)::regclass);
    END LOOP;
END
$ledger$;

-- The small reference tables (a handful of units, products, categories and
-- documents against millions of items) would otherwise never reach
-- autovacuum's analyze threshold of 50 changed rows, and the planner would
-- keep guessing one row for them in every join with the items.
ALTER TABLE @extschema@.category_record SET (autovacuum_analyze_threshold = 1);
ALTER TABLE @extschema@.unit_record SET (autovacuum_analyze_threshold = 1);
ALTER TABLE @extschema@.product_record SET (autovacuum_analyze_threshold = 1);
ALTER TABLE @extschema@.document_record SET (autovacuum_analyze_threshold = 1);

-- Clause 3.1 and SAMR's first batch (2024): key industrial products put
-- under traceability first. Flags: production licence, CCC, warranty,
-- instructions/warnings. Administrators add more with trace.add_category().
INSERT INTO @extschema@.category_record
    (code, name_zh, name_en, licence_managed, ccc_managed, has_warranty, needs_manual, first_batch, seeded,
     recorded_at, recorded_by)
VALUES
    ('wire-cable',          '电线电缆',             'wires and cables',                     true,  true,  false, true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('gas-hose',            '燃气用软管',           'gas hoses',                            false, true,  true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('gas-shutoff-valve',   '燃气紧急切断阀',       'gas emergency shut-off valves',        true,  false, true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('gas-hob',             '家用燃气灶具',         'domestic gas hobs',                    false, true,  true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('gas-burner-commercial','商用燃气燃烧器具',    'commercial gas burners',               false, true,  true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('lpg-regulator',       '液化石油气调压器',     'LPG pressure regulators',              true,  false, true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('e-bike',              '电动自行车',           'electric bicycles',                    false, true,  true,  true,  true, true, '2024-10-01 00:00+08', 'pgtrace'),
    ('cold-rolled-rebar',   '冷轧带肋钢筋',         'cold-rolled ribbed steel bars',        true,  false, false, false, true, true, '2024-10-01 00:00+08', 'pgtrace');

-- Seal the seeded rows now, so that a fresh database has no pending ledger rows.
DO $seal$
BEGIN
    IF pg_catalog.to_regprocedure('@extschema@.seal(regclass)') IS NOT NULL THEN
        PERFORM @extschema@.seal('@extschema@.category_record'::regclass);
    END IF;
END
$seal$;
