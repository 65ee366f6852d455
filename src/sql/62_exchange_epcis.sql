-- EPCIS 2.0 JSON-LD export (clause 10.1: sharing in an agreed format). See
-- docs/exchange.md for the mapping of registry records to EPCIS events.

-- The URI of a trace code: GS1 keys as GS1 Digital Link, Handles through the
-- Handle proxy, OIDs as urn:oid:, Ecode and other URIs as they print.
CREATE FUNCTION @extschema@._epcis_uri(c @extschema@.code, domain text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE @extschema@.scheme(c)
        WHEN 'gs1' THEN @extschema@.digital_link(c, domain)
        WHEN 'handle' THEN 'https://hdl.handle.net/' || c::text
        WHEN 'oid' THEN 'urn:oid:' || c::text
        ELSE c::text END
$$;

-- A registry party (a unit, by USCC) as an extension member.
CREATE FUNCTION @extschema@._epcis_party(uscc text, name text, address text, contact text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'pgt:uscc', uscc, 'pgt:name', name, 'pgt:address', address, 'pgt:contact', contact))
$$;

-- trace.export_epcis(uscc, from, to, audience, domain) -> jsonb: an EPCIS 2.0
-- EPCISDocument (JSON-LD) with the events one unit recorded in [from, to):
--   commissioning        ObjectEvent ADD, bizStep commissioning, disposition active
--   packing / unpacking  AggregationEvent ADD / DELETE, bizStep packing / unpacking
--   sale to a business   ObjectEvent OBSERVE, bizStep shipping, disposition in_transit
--   sale to a consumer   ObjectEvent OBSERVE, bizStep retail_selling, disposition retail_sold
--   every sale           TransactionEvent ADD naming the sale record as its business transaction
--   purchase             ObjectEvent OBSERVE, bizStep receiving, disposition in_progress
-- Identifiers are GS1 Digital Link URIs on `domain`. Personal data of a
-- counterparty without a USCC is masked unless audience is 'regulator'.
CREATE FUNCTION @extschema@.export_epcis(uscc text, "from" timestamptz, "to" timestamptz,
                                         audience text DEFAULT 'public', domain text DEFAULT 'https://id.gs1.org')
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ns constant text := 'urn:pgtrace:epcis:';
    tz constant text := '+08:00';
    u @extschema@.uscc;
    problem text := @extschema@.validate('uscc', uscc);
    events jsonb;
BEGIN
    PERFORM @extschema@._exchange_audience(audience);
    IF problem IS NOT NULL THEN
        PERFORM @extschema@._exchange_fail('22P02', 'trace.export_epcis: field uscc: ' || problem);
    END IF;
    IF "from" IS NULL OR "to" IS NULL OR "from" >= "to" THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.export_epcis: the period needs "from" before "to"');
    END IF;
    IF domain IS NULL THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.export_epcis: domain must not be null');
    END IF;
    -- the Digital Link domain is checked even when no GS1 code is exported
    PERFORM @extschema@.digital_link('(00)069012340000000016'::@extschema@.code, domain);
    u := uscc::@extschema@.uscc;

    WITH
    items AS (
        SELECT i.*, ((i.production_date::timestamp - interval '8 hours') AT TIME ZONE 'UTC') AS t
        FROM @extschema@.items i WHERE i.uscc OPERATOR(@extschema@.=) u),
    commissioning AS (
        SELECT i.t, 0 AS seq, min(i.record_id) AS rid,
               jsonb_build_object(
                   'type', 'ObjectEvent',
                   'eventID', ns || 'event:commissioning:' || min(i.record_id),
                   'eventTime', @extschema@._reg_iso(i.t), 'eventTimeZoneOffset', tz,
                   'epcList', jsonb_agg(@extschema@._epcis_uri(i.trace_code, domain) ORDER BY i.trace_code),
                   'action', 'ADD', 'bizStep', 'commissioning', 'disposition', 'active',
                   'ilmd', jsonb_build_object('cbvmda:lotNumber', i.serial_or_batch),
                   'pgt:uscc', u::text, 'pgt:productionDate', i.production_date,
                   'pgt:productName', i.product_name, 'pgt:specModel', i.spec_model) AS ev
        FROM items i
        WHERE i.t >= "from" AND i.t < "to"
        GROUP BY i.t, i.production_date, i.serial_or_batch, i.product_id, i.product_name, i.spec_model),
    aggregation AS (
        SELECT e.event_time AS t, 1 AS seq, min(e.record_id) AS rid,
               jsonb_build_object(
                   'type', 'AggregationEvent',
                   'eventID', ns || 'event:' || e.action || ':' || min(e.record_id),
                   'eventTime', @extschema@._reg_iso(e.event_time), 'eventTimeZoneOffset', tz,
                   'parentID', @extschema@._epcis_uri(e.package_code, domain),
                   'childEPCs', jsonb_agg(@extschema@._epcis_uri(e.content_code, domain) ORDER BY e.content_code),
                   'action', CASE e.action WHEN 'pack' THEN 'ADD' ELSE 'DELETE' END,
                   'bizStep', CASE e.action WHEN 'pack' THEN 'packing' ELSE 'unpacking' END,
                   'pgt:uscc', u::text) AS ev
        FROM @extschema@.package_events e
        WHERE e.uscc OPERATOR(@extschema@.=) u AND e.event_time >= "from" AND e.event_time < "to"
        GROUP BY e.event_time, e.action, e.package_code),
    flows AS (
        SELECT f.*,
               @extschema@.mask(jsonb_strip_nulls(jsonb_build_object(
                   'buyer_name', coalesce(f.buyer_name, f.customer_name), 'buyer_address', f.buyer_address,
                   'buyer_contact', f.buyer_contact, 'buyer_uscc', f.buyer_uscc::text,
                   'supplier_name', f.supplier_name, 'supplier_uscc', f.supplier_uscc::text)), audience) AS m,
               @extschema@._epcis_uri(f.trace_code, domain) AS epc,
               f.kind <> 'seller_purchase' AND f.buyer_uscc IS NULL AS retail
        FROM @extschema@.flows f
        WHERE f.uscc OPERATOR(@extschema@.=) u AND f.event_time >= "from" AND f.event_time < "to"),
    observations AS (
        SELECT f.event_time AS t, 2 AS seq, f.record_id AS rid,
               jsonb_build_object(
                   'type', 'ObjectEvent',
                   'eventID', ns || 'event:' || f.kind || ':' || f.record_id,
                   'eventTime', @extschema@._reg_iso(f.event_time), 'eventTimeZoneOffset', tz,
                   'epcList', jsonb_build_array(f.epc), 'action', 'OBSERVE',
                   'bizStep', CASE WHEN f.kind = 'seller_purchase' THEN 'receiving'
                                   WHEN f.retail THEN 'retail_selling' ELSE 'shipping' END,
                   'disposition', CASE WHEN f.kind = 'seller_purchase' THEN 'in_progress'
                                       WHEN f.retail THEN 'retail_sold' ELSE 'in_transit' END,
                   'pgt:uscc', u::text, 'pgt:quantity', f.quantity)
               || CASE WHEN f.kind = 'seller_purchase' THEN
                      jsonb_build_object('pgt:supplier', @extschema@._epcis_party(f.m ->> 'supplier_uscc', f.m ->> 'supplier_name', NULL, NULL))
                  ELSE
                      jsonb_build_object('pgt:buyer', @extschema@._epcis_party(f.m ->> 'buyer_uscc', f.m ->> 'buyer_name',
                                                                                f.m ->> 'buyer_address', f.m ->> 'buyer_contact'))
                  END
               || CASE WHEN f.m ? 'masked' THEN jsonb_build_object('pgt:masked', f.m -> 'masked') ELSE '{}' END AS ev
        FROM flows f),
    transactions AS (
        SELECT f.event_time AS t, 3 AS seq, f.record_id AS rid,
               jsonb_build_object(
                   'type', 'TransactionEvent',
                   'eventID', ns || 'event:transaction:' || f.record_id,
                   'eventTime', @extschema@._reg_iso(f.event_time), 'eventTimeZoneOffset', tz,
                   'bizTransactionList', jsonb_build_array(jsonb_build_object('bizTransaction', ns || 'sale:' || f.flow_id)),
                   'epcList', jsonb_build_array(f.epc), 'action', 'ADD',
                   'bizStep', CASE WHEN f.retail THEN 'retail_selling' ELSE 'shipping' END,
                   'pgt:uscc', u::text) AS ev
        FROM flows f WHERE f.kind <> 'seller_purchase'),
    allev AS (
        SELECT * FROM commissioning UNION ALL SELECT * FROM aggregation
        UNION ALL SELECT * FROM observations UNION ALL SELECT * FROM transactions)
    SELECT jsonb_agg(a.ev ORDER BY a.t, a.seq, a.rid) INTO events FROM allev a;

    RETURN jsonb_build_object(
        '@context', jsonb_build_array('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
                                      jsonb_build_object('pgt', ns)),
        'type', 'EPCISDocument',
        'schemaVersion', '2.0',
        'creationDate', @extschema@._reg_iso(@extschema@._reg_now()),
        'pgt:uscc', u::text,
        'pgt:audience', audience,
        'epcisBody', jsonb_build_object('eventList', coalesce(events, '[]')));
END
$$;

-- trace.export_epcis_history(code, audience, domain) -> jsonb: the whole life
-- of one unit (trace.history, masked for the audience) as an EPCIS 2.0
-- document, with the same event mapping as trace.export_epcis; a step reached
-- through a package names the package (its Digital Link) as the object.
-- Corrections and withdrawals are not events and are left out.
CREATE FUNCTION @extschema@.export_epcis_history(code text, audience text DEFAULT 'public',
                                                 domain text DEFAULT 'https://id.gs1.org')
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ns constant text := 'urn:pgtrace:epcis:';
    tz constant text := '+08:00';
    doc jsonb;
    events jsonb;
BEGIN
    IF domain IS NULL THEN
        PERFORM @extschema@._exchange_fail('22023', 'trace.export_epcis_history: domain must not be null');
    END IF;
    PERFORM @extschema@.digital_link('(00)069012340000000016'::@extschema@.code, domain);
    doc := @extschema@.history_document(code, audience) -> 'history';

    WITH ev AS (
        SELECT e, o, e ->> 'event' AS kind,
               CASE WHEN e ? 'date' THEN @extschema@._reg_iso(((e ->> 'date')::date::timestamp - interval '8 hours') AT TIME ZONE 'UTC')
                    ELSE e ->> 'at' END AS t,
               @extschema@._epcis_uri(coalesce(e ->> 'via', doc ->> 'trace_code')::@extschema@.code, domain) AS epc,
               e ->> 'event' <> 'seller_purchase' AND NOT (e ? 'buyer_uscc') AS retail
        FROM jsonb_array_elements(doc -> 'events') WITH ORDINALITY x(e, o)
        WHERE NOT (e ? 'withdrawn') AND NOT (e ? 'supersedes')
          AND e ->> 'event' IN ('production', 'pack', 'unpack', 'producer_sale', 'seller_sale', 'seller_purchase')),
    out AS (
        SELECT o, 0 AS seq, CASE kind
            WHEN 'production' THEN jsonb_build_object(
                'type', 'ObjectEvent', 'eventID', ns || 'event:commissioning:' || (e ->> 'record_id'),
                'eventTime', t, 'eventTimeZoneOffset', tz, 'epcList', jsonb_build_array(epc),
                'action', 'ADD', 'bizStep', 'commissioning', 'disposition', 'active',
                'ilmd', jsonb_build_object('cbvmda:lotNumber', e ->> 'serial_or_batch'),
                'pgt:uscc', e ->> 'uscc', 'pgt:productionDate', e ->> 'date')
            WHEN 'pack' THEN jsonb_build_object(
                'type', 'AggregationEvent', 'eventID', ns || 'event:pack:' || (e ->> 'record_id'),
                'eventTime', t, 'eventTimeZoneOffset', tz,
                'parentID', @extschema@._epcis_uri((e ->> 'package_code')::@extschema@.code, domain),
                'childEPCs', jsonb_build_array(@extschema@._epcis_uri((e ->> 'content_code')::@extschema@.code, domain)),
                'action', 'ADD', 'bizStep', 'packing', 'pgt:uscc', e ->> 'uscc')
            WHEN 'unpack' THEN jsonb_build_object(
                'type', 'AggregationEvent', 'eventID', ns || 'event:unpack:' || (e ->> 'record_id'),
                'eventTime', t, 'eventTimeZoneOffset', tz,
                'parentID', @extschema@._epcis_uri((e ->> 'package_code')::@extschema@.code, domain),
                'childEPCs', jsonb_build_array(@extschema@._epcis_uri((e ->> 'content_code')::@extschema@.code, domain)),
                'action', 'DELETE', 'bizStep', 'unpacking', 'pgt:uscc', e ->> 'uscc')
            ELSE jsonb_build_object(
                'type', 'ObjectEvent', 'eventID', ns || 'event:' || kind || ':' || (e ->> 'record_id'),
                'eventTime', t, 'eventTimeZoneOffset', tz, 'epcList', jsonb_build_array(epc), 'action', 'OBSERVE',
                'bizStep', CASE WHEN kind = 'seller_purchase' THEN 'receiving' WHEN retail THEN 'retail_selling' ELSE 'shipping' END,
                'disposition', CASE WHEN kind = 'seller_purchase' THEN 'in_progress' WHEN retail THEN 'retail_sold' ELSE 'in_transit' END,
                'pgt:uscc', e ->> 'uscc', 'pgt:quantity', e -> 'quantity')
                || CASE WHEN kind = 'seller_purchase' THEN
                       jsonb_build_object('pgt:supplier', @extschema@._epcis_party(e ->> 'supplier_uscc', e ->> 'supplier_name', NULL, NULL))
                   ELSE
                       jsonb_build_object('pgt:buyer', @extschema@._epcis_party(e ->> 'buyer_uscc', coalesce(e ->> 'buyer_name', e ->> 'customer_name'),
                                                                                 e ->> 'buyer_address', e ->> 'buyer_contact'))
                   END
                || CASE WHEN e ? 'masked' THEN jsonb_build_object('pgt:masked', e -> 'masked') ELSE '{}' END
            END AS ev
        FROM ev
        UNION ALL
        SELECT o, 1, jsonb_build_object(
                'type', 'TransactionEvent', 'eventID', ns || 'event:transaction:' || (e ->> 'record_id'),
                'eventTime', t, 'eventTimeZoneOffset', tz,
                'bizTransactionList', jsonb_build_array(jsonb_build_object('bizTransaction', ns || 'sale:' || (e ->> 'record_id'))),
                'epcList', jsonb_build_array(epc), 'action', 'ADD',
                'bizStep', CASE WHEN retail THEN 'retail_selling' ELSE 'shipping' END, 'pgt:uscc', e ->> 'uscc')
        FROM ev WHERE kind IN ('producer_sale', 'seller_sale'))
    SELECT jsonb_agg(jsonb_strip_nulls(out.ev) ORDER BY out.o, out.seq) INTO events FROM out;

    RETURN jsonb_build_object(
        '@context', jsonb_build_array('https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
                                      jsonb_build_object('pgt', ns)),
        'type', 'EPCISDocument',
        'schemaVersion', '2.0',
        'creationDate', @extschema@._reg_iso(@extschema@._reg_now()),
        'pgt:traceCode', doc ->> 'trace_code',
        'pgt:audience', audience,
        'epcisBody', jsonb_build_object('eventList', coalesce(events, '[]')));
END
$$;
