-- Packing (clause 6.1.2) and flows (Tables 1-2, flow group).

-- The package directly holding `c` at time `t` (NULL when none): the latest
-- packing event of `c` at or before `t`, if it is a "pack". PL/pgSQL, not
-- SQL: SQL could not inline it anyway, and PL/pgSQL keeps its plan for the
-- session instead of planning it again in every statement that calls it.
CREATE FUNCTION @extschema@._reg_parent(c @extschema@.code, t timestamptz) RETURNS @extschema@.code
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN e.action = 'pack' THEN e.package_code END
            FROM @extschema@.package_events e
            WHERE e.content_code OPERATOR(@extschema@.=) c AND e.event_time <= t
            ORDER BY e.event_time DESC, e.record_id DESC
            LIMIT 1);
END
$$;

-- Direct contents of package `p` at time `t`.
CREATE FUNCTION @extschema@._reg_children(p @extschema@.code, t timestamptz)
    RETURNS TABLE (content_code @extschema@.code, packed_at timestamptz)
    LANGUAGE sql STABLE AS $$
    SELECT l.content_code, l.event_time
    FROM (SELECT DISTINCT e.content_code FROM @extschema@.package_events e
          WHERE e.package_code OPERATOR(@extschema@.=) p AND e.event_time <= t) x
    CROSS JOIN LATERAL (
        SELECT e.action, e.package_code, e.content_code, e.event_time
        FROM @extschema@.package_events e
        WHERE e.content_code OPERATOR(@extschema@.=) x.content_code AND e.event_time <= t
        ORDER BY e.event_time DESC, e.record_id DESC
        LIMIT 1) l
    WHERE l.action = 'pack' AND l.package_code OPERATOR(@extschema@.=) p
$$;

-- Every unit (item) inside `c` at time `t`, through nested packages; `c`
-- itself when it is a unit.
CREATE FUNCTION @extschema@._reg_units_in(c @extschema@.code, t timestamptz)
    RETURNS TABLE (trace_code @extschema@.code)
    LANGUAGE sql STABLE AS $$
    WITH RECURSIVE tree(code, depth) AS (
        SELECT c, 0
        UNION ALL
        SELECT k.content_code, tree.depth + 1
        FROM tree CROSS JOIN LATERAL @extschema@._reg_children(tree.code, t) k
        WHERE tree.depth < 16
    )
    -- one index lookup per code (LIMIT keeps the lateral subquery a
    -- parameterised scan): a join here may hash the whole item table when
    -- item_record has no statistics yet (a freshly loaded database)
    SELECT i.trace_code FROM tree
    CROSS JOIN LATERAL (SELECT x.trace_code FROM @extschema@.items x
                        WHERE x.trace_code OPERATOR(@extschema@.=) tree.code LIMIT 1) i
$$;

-- Retention (clause 8.5) of a flow or packing event on `event_date` (a
-- calendar date in China) that covers `units`: at least as long as each unit
-- covered is kept (its item's retain_until), and by the event's own rule --
-- the industry rule of each covered unit's category (retention_years after
-- the event) if set, else two years after the event. One index lookup per
-- unit (no join plan that depends on statistics).
CREATE FUNCTION @extschema@._reg_covered_retain(units @extschema@.code[], event_date date) RETURNS date
    LANGUAGE sql STABLE AS $$
    SELECT greatest(@extschema@._reg_retain(event_date, NULL, NULL, NULL, NULL),
                    pg_catalog.max(greatest(i.retain_until,
                        @extschema@._reg_retain(event_date, NULL, i.retention_years, NULL, NULL))))
    FROM pg_catalog.unnest(units) w(code)
    CROSS JOIN LATERAL (
        SELECT x.retain_until,
               (SELECT c.retention_years FROM @extschema@.categories c WHERE c.code = x.category) AS retention_years
        FROM @extschema@.items x WHERE x.trace_code OPERATOR(@extschema@.=) w.code
        LIMIT 1) i
$$;

-- Packages that held `c` at some time, with their enclosing packages.
-- PL/pgSQL, not SQL: a SQL function returning a set is planned again at
-- every call (the recursive query over the view took 0.4 ms to plan, four
-- times its run), PL/pgSQL keeps the plan for the session.
CREATE FUNCTION @extschema@._reg_ancestors(c @extschema@.code)
    RETURNS TABLE (package_code @extschema@.code)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    WITH RECURSIVE up(code, depth) AS (
        SELECT DISTINCT e.package_code, 1 FROM @extschema@.package_events e WHERE e.content_code OPERATOR(@extschema@.=) c
        UNION
        SELECT e.package_code, up.depth + 1
        FROM up JOIN @extschema@.package_events e ON e.content_code OPERATOR(@extschema@.=) up.code
        WHERE up.depth < 16
    )
    SELECT DISTINCT up.code FROM up;
END
$$;

-- Does package `p` hold unit `c` at time `t`, directly or through inner
-- packages? Walks up from the unit (one index probe per level, as
-- _reg_parent) instead of listing everything inside `p`. Not inlined:
-- trace.history pays for it only when a package's event or flow is checked.
CREATE FUNCTION @extschema@._reg_holds(p @extschema@.code, t timestamptz, c @extschema@.code) RETURNS boolean
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    x @extschema@.code := c;
BEGIN
    FOR depth IN 1..16 LOOP
        x := @extschema@._reg_parent(x, t);
        IF x IS NULL THEN
            RETURN false;
        ELSIF x OPERATOR(@extschema@.=) p THEN
            RETURN true;
        END IF;
    END LOOP;
    RETURN false;
END
$$;

-- trace.package_contents(package, at): what the package held at that time
-- (default: now), directly or (nested => true) through inner packages.
CREATE FUNCTION @extschema@.package_contents(package text, at timestamptz DEFAULT NULL, nested boolean DEFAULT false)
    RETURNS TABLE (content_code @extschema@.code, packed_at timestamptz, is_unit boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    AS $$
    WITH RECURSIVE tree(code, packed_at, depth) AS (
        SELECT k.content_code, k.packed_at, 1
        FROM @extschema@._reg_children(@extschema@._reg_to_code(package), coalesce(at, 'infinity')) k
        UNION ALL
        SELECT k.content_code, k.packed_at, tree.depth + 1
        FROM tree CROSS JOIN LATERAL @extschema@._reg_children(tree.code, coalesce(at, 'infinity')) k
        WHERE nested AND tree.depth < 16
    )
    SELECT tree.code, tree.packed_at,
           EXISTS (SELECT 1 FROM @extschema@.items i WHERE i.trace_code OPERATOR(@extschema@.=) tree.code)
    FROM tree
    ORDER BY tree.code
$$;

-- trace.package_of(code, at): the package directly holding the code at that
-- time (default: now); NULL when it was not packed.
CREATE FUNCTION @extschema@.package_of(code text, at timestamptz DEFAULT NULL) RETURNS @extschema@.code
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off
    AS $$
    SELECT @extschema@._reg_parent(@extschema@._reg_to_code(code), coalesce(at, 'infinity'))
$$;

-- The first unit (item) inside `c` at `t` that unit `u` does not hold then,
-- NULL when it holds them all. A unit holds what it produced until it
-- records a sale of it, and what it bought (its latest flow covering the
-- unit at or before `t` is a purchase). PL/pgSQL: _reg_unit_flows comes later.
CREATE FUNCTION @extschema@._reg_not_held(u @extschema@.uscc, c @extschema@.code, t timestamptz) RETURNS @extschema@.code
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT w.trace_code FROM @extschema@._reg_units_in(c, t) w
            WHERE NOT coalesce(
                (SELECT g.kind = 'seller_purchase' FROM @extschema@._reg_unit_flows(w.trace_code, u) g
                 WHERE g.event_time <= t ORDER BY g.event_time DESC, g.record_id DESC LIMIT 1),
                -- by code only: a lookup by (code, uscc) may also scan the
                -- uscc index, every item of the unit, without statistics
                coalesce((SELECT i.uscc OPERATOR(@extschema@.=) u FROM @extschema@.items i
                          WHERE i.trace_code OPERATOR(@extschema@.=) w.trace_code LIMIT 1), false))
            ORDER BY w.trace_code LIMIT 1);
END
$$;

-- Writers of the same goods queue here: packing, unpacking, sales and
-- purchases take a transaction lock per trace code they move or cover (the
-- package, every unit in it), in one order per call. A writer that waited
-- reads again what the other committed (READ COMMITTED takes a new snapshot
-- per statement). Under SERIALIZABLE a writer that waited fails with 40001
-- for the caller to run again (its snapshot cannot see the other's rows;
-- without a wait PostgreSQL's own serializable checks catch the race).
-- REPEATABLE READ is refused (0A000): its snapshot may miss a sale committed
-- just before the lock was taken, and nothing would notice. Callers that
-- find more goods after a wait lock those next, so two calls may deadlock;
-- PostgreSQL then fails one of them with 40P01. True when it waited.
CREATE FUNCTION @extschema@._reg_lock_codes(codes @extschema@.code[]) RETURNS boolean
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    h int;
    waited boolean := false;
    iso text := pg_catalog.current_setting('transaction_isolation');
BEGIN
    IF iso = 'repeatable read' THEN
        PERFORM @extschema@._reg_fail('0A000',
            'packing, unpacking, sales and purchases are not recorded under REPEATABLE READ',
            'Its snapshot could miss a record of the same goods committed by another session just before; '
            || 'run the transaction under READ COMMITTED or SERIALIZABLE.');
    END IF;
    FOR h IN SELECT DISTINCT pg_catalog.hashtext(x.c::text) FROM pg_catalog.unnest(codes) x(c) ORDER BY 1 LOOP
        IF NOT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('pgtrace.registry.pack'), h) THEN
            PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgtrace.registry.pack'), h);
            waited := true;
        END IF;
    END LOOP;
    IF waited AND iso = 'serializable' THEN
        PERFORM @extschema@._reg_fail('40001',
            'could not serialize access: another transaction was recording the same goods',
            'Under SERIALIZABLE this transaction cannot see what the other one committed; run it again.');
    END IF;
    RETURN waited;
END
$$;

-- One pack or unpack record: {"package_code", "contents": [...], "event_time", "uscc", "collection_method"}.
CREATE FUNCTION @extschema@._reg_pack(rec jsonb, ord int, action text) RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    label text := @extschema@._reg_label(ord, rec, 'package_code');
    pkg @extschema@.code;
    t timestamptz;
    u @extschema@.uscc;
    method text;
    contents @extschema@.code[] := '{}';
    c @extschema@.code;
    stray @extschema@.code;
    hint text;
    v jsonb;
    i int := 0;
    bad record;
    st record;
    tw record;
    encl_code @extschema@.code[] := '{}';    -- packages enclosing pkg ...
    encl_at timestamptz[] := '{}';          -- ... at these times
    missing text[];
    now_ts timestamptz := @extschema@._reg_now();
    unpack_all boolean := false;
    want @extschema@.code[];
    locked @extschema@.code[] := '{}';
BEGIN
    PERFORM @extschema@._reg_check_keys(rec, '{package_code,contents,event_time,uscc,collection_method}', label);
    SELECT pg_catalog.array_agg(k ORDER BY o) INTO missing
        FROM pg_catalog.unnest(CASE WHEN action = 'pack' THEN '{package_code,contents,event_time,uscc}'::text[]
                                    ELSE '{package_code,event_time,uscc}'::text[] END) WITH ORDINALITY x(k, o)
        WHERE @extschema@._reg_empty(rec -> k);
    IF missing IS NOT NULL THEN
        PERFORM @extschema@._reg_fail('23502',
            pg_catalog.format('%s: missing mandatory fields: %s', label, pg_catalog.array_to_string(missing, ', ')));
    END IF;
    pkg := @extschema@._reg_code(@extschema@._reg_text(rec, 'package_code', label), label, 'package_code');
    t := @extschema@._reg_time(rec, 'event_time', label);
    IF t > now_ts THEN
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: field event_time: %s is in the future',
                                      label, @extschema@._reg_iso(t)));
    END IF;
    u := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'uscc', label), label);
    PERFORM @extschema@._reg_unit(u, NULL, label);
    method := @extschema@._reg_method(rec, label, 'package_code');
    IF EXISTS (SELECT 1 FROM @extschema@.items x WHERE x.trace_code OPERATOR(@extschema@.=) pkg) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field package_code: %s is the trace code of a unit, not of a package', label, pkg));
    END IF;

    IF @extschema@._reg_empty(rec -> 'contents') THEN
        -- unpack everything the package holds then (read in the loop below)
        unpack_all := true;
    ELSIF pg_catalog.jsonb_typeof(rec -> 'contents') <> 'array' THEN
        PERFORM @extschema@._reg_fail('22023', label || ': field contents: expected an array of trace codes');
    ELSE
        FOR v IN SELECT e.v FROM pg_catalog.jsonb_array_elements(rec -> 'contents') e(v) LOOP
            i := i + 1;
            IF pg_catalog.jsonb_typeof(v) <> 'string' THEN
                PERFORM @extschema@._reg_fail('22023',
                    pg_catalog.format('%s: field contents: element %s is not a string', label, i));
            END IF;
            c := @extschema@._reg_code(v #>> '{}', label, 'contents[' || i || ']');
            IF c OPERATOR(@extschema@.=) ANY (contents) THEN
                PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: field contents: %s is listed twice', label, c));
            END IF;
            contents := contents || c;
        END LOOP;
    END IF;

    -- Concurrent writers of the same goods queue here: the package, what
    -- moves, and every unit inside either at the event time (a sale locks
    -- the units it covers), read again after the locks until the set holds
    -- still; an unpack of everything reads the package's contents each time.
    LOOP
        IF unpack_all THEN
            SELECT pg_catalog.array_agg(k.content_code ORDER BY k.content_code) INTO contents
                FROM @extschema@._reg_children(pkg, t) k;
            IF contents IS NULL THEN
                PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: package %s holds nothing at %s',
                                              label, pkg, @extschema@._reg_iso(t)));
            END IF;
        END IF;
        want := ARRAY(SELECT x.c FROM pg_catalog.unnest(contents || pkg) x(c)
                      UNION
                      SELECT w.trace_code FROM pg_catalog.unnest(contents || pkg) x(c)
                      CROSS JOIN LATERAL @extschema@._reg_units_in(x.c, t) w);
        EXIT WHEN want OPERATOR(pg_catalog.<@) locked;
        PERFORM @extschema@._reg_lock_codes(want);
        locked := locked || want;
    END LOOP;

    -- Only the unit holding the goods packs or unpacks them: what the
    -- package already holds (when packing into it) and every content moved.
    hint := 'A unit packs and unpacks only goods it holds: what it produced and has not sold, or what it bought and has not sold since.';
    IF action = 'pack' THEN
        stray := @extschema@._reg_not_held(u, pkg, t);
        IF stray IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: field package_code: unit %s does not hold %s (in %s) at %s', label, u, stray, pkg,
                                  @extschema@._reg_iso(t)),
                hint);
        END IF;
    END IF;
    -- every content in one query; the first one (in the order given) not held
    SELECT x.c, s.stray INTO bad
        FROM pg_catalog.unnest(contents) WITH ORDINALITY x(c, o)
        CROSS JOIN LATERAL (SELECT @extschema@._reg_not_held(u, x.c, t) AS stray) s
        WHERE s.stray IS NOT NULL
        ORDER BY x.o LIMIT 1;
    IF FOUND THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field contents: unit %s does not hold %s%s at %s', label, u, bad.stray,
                              CASE WHEN bad.stray OPERATOR(@extschema@.<>) bad.c THEN ' (in ' || bad.c::text || ')' ELSE '' END,
                              @extschema@._reg_iso(t)),
            hint);
    END IF;

    -- No cycles: a content must not enclose the package, at `t` or at any
    -- later recorded change of the package's enclosing packages (from `t` on,
    -- the content stays in the package). The packages enclosing `pkg` at each
    -- of those times, once per record: a content among them would contain it.
    IF action = 'pack' THEN
        FOR tw IN
            SELECT x.at
            FROM (SELECT t AS at
                  UNION
                  SELECT e.event_time FROM @extschema@.package_events e
                  WHERE e.event_time > t
                    AND e.content_code OPERATOR(@extschema@.=) ANY (ARRAY(
                            SELECT pkg UNION ALL SELECT a.package_code FROM @extschema@._reg_ancestors(pkg) a))) x
            ORDER BY x.at
        LOOP
            c := pkg;
            FOR depth IN 1..16 LOOP
                c := @extschema@._reg_parent(c, tw.at);
                EXIT WHEN c IS NULL;
                encl_code := encl_code || c;
                encl_at := encl_at || tw.at;
            END LOOP;
        END LOOP;
    END IF;

    -- The state of every content, read in one query (index lookups by code),
    -- then checked content by content in the order given, as before. Rows of
    -- this record are written only after every content passed.
    FOR st IN
        SELECT x.o, x.c, l.action AS last_action, l.package_code AS last_package, l.event_time AS last_at,
               it.production_date, it.trace_code IS NOT NULL AS is_unit,
               (SELECT pg_catalog.min(a.at) FROM ROWS FROM (pg_catalog.unnest(encl_code), pg_catalog.unnest(encl_at)) a(code, at)
                WHERE a.code OPERATOR(@extschema@.=) x.c) AS cycle_at
        FROM pg_catalog.unnest(contents) WITH ORDINALITY x(c, o)
        LEFT JOIN LATERAL (
            SELECT e.action, e.package_code, e.event_time
            FROM @extschema@.package_events e WHERE e.content_code OPERATOR(@extschema@.=) x.c
            ORDER BY e.event_time DESC, e.record_id DESC LIMIT 1) l ON true
        LEFT JOIN LATERAL (
            SELECT ir.trace_code, ir.production_date
            FROM @extschema@.items ir WHERE ir.trace_code OPERATOR(@extschema@.=) x.c LIMIT 1) it ON true
        ORDER BY x.o
    LOOP
        IF st.c OPERATOR(@extschema@.=) pkg THEN
            PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: a package cannot contain itself', label));
        END IF;
        IF st.last_at > t THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: %s already has a packing event at %s, after %s', label, st.c,
                                  @extschema@._reg_iso(st.last_at), @extschema@._reg_iso(t)),
                'Packing history is recorded in time order; correct the later event first.');
        END IF;
        IF action = 'pack' THEN
            IF st.last_action = 'pack' THEN
                PERFORM @extschema@._reg_fail('22023',
                    pg_catalog.format('%s: %s is already in package %s', label, st.c, st.last_package),
                    'Unpack it first.');
            END IF;
            IF NOT st.is_unit AND NOT EXISTS (SELECT 1 FROM @extschema@._reg_children(st.c, t)) THEN
                PERFORM @extschema@._reg_fail('23503',
                    pg_catalog.format('%s: %s is neither a commissioned unit nor a package holding anything', label, st.c));
            END IF;
            IF st.production_date > (t AT TIME ZONE 'UTC' + interval '8 hours')::date THEN
                PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: %s is packed before its production date', label, st.c));
            END IF;
            IF st.cycle_at IS NOT NULL THEN
                PERFORM @extschema@._reg_fail('22023',
                    pg_catalog.format('%s: field contents: package %s would contain itself: %s holds it at %s',
                                      label, pkg, st.c, @extschema@._reg_iso(st.cycle_at)),
                    'A package cannot be packed into one of its own contents; unpack it first.');
            END IF;
        ELSIF st.last_action IS DISTINCT FROM 'pack' OR st.last_package OPERATOR(@extschema@.<>) pkg THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: %s is not in package %s at %s', label, st.c, pkg, @extschema@._reg_iso(t)));
        END IF;
    END LOOP;

    -- one INSERT for the record, in the order given
    INSERT INTO @extschema@.package_event
        (action, package_code, content_code, event_time, uscc, collection_method, retain_until, recorded_at, recorded_by)
    SELECT action, pkg, x.c, t, u, method,
           @extschema@._reg_covered_retain(ARRAY(SELECT w.trace_code FROM @extschema@._reg_units_in(x.c, t) w),
                                           ((t AT TIME ZONE 'UTC') + interval '8 hours')::date),
           now_ts, session_user
    FROM pg_catalog.unnest(contents) WITH ORDINALITY x(c, o)
    ORDER BY x.o;
    RETURN pg_catalog.cardinality(contents);
END
$$;

-- Pack or unpack every record of `data` (one object or an array); the number
-- of contents moved. The body of trace.pack and trace.unpack.
CREATE FUNCTION @extschema@._reg_pack_records(data jsonb, api text, action text) RETURNS int
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r record;
    n int := 0;
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(data, api) LOOP
        n := n + @extschema@._reg_pack(r.rec, r.ord, action);
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION @extschema@.pack(package jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_build_object('packed', @extschema@._reg_pack_records(package, 'trace.pack', 'pack'));
END
$$;

CREATE FUNCTION @extschema@.unpack(package jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
BEGIN
    RETURN pg_catalog.jsonb_build_object('unpacked', @extschema@._reg_pack_records(package, 'trace.unpack', 'unpack'));
END
$$;

-- ---------------------------------------------------------------------- flows

-- One flow record. `kind` is decided by the caller: a sale by the producer of
-- the goods is a producer sale (Table 1), any other sale a seller sale
-- (Table 2); a purchase is a seller purchase (Table 2).
-- The current purchases and sales recorded by unit `u` (NULL: by any unit)
-- that covered unit `x`: flows of `x` itself or of a package holding it at
-- the flow's time.
CREATE FUNCTION @extschema@._reg_unit_flows(x @extschema@.code, u @extschema@.uscc)
    RETURNS TABLE (record_id bigint, kind text, event_time timestamptz)
    LANGUAGE sql STABLE AS $$
    -- looked up by code (the unit's and its packages'), one index probe each;
    -- the unit compared as text so that no plan scans all flows of the unit
    SELECT f.record_id, f.kind, f.event_time
    FROM (SELECT x AS code UNION SELECT a.package_code FROM @extschema@._reg_ancestors(x) a) h
    CROSS JOIN LATERAL (
        SELECT g.record_id, g.kind, g.event_time, g.trace_code, g.uscc FROM @extschema@.flows g
        WHERE g.trace_code OPERATOR(@extschema@.=) h.code OFFSET 0) f
    WHERE (u IS NULL OR f.uscc::text = u::text)
      AND (f.trace_code OPERATOR(@extschema@.=) x OR @extschema@._reg_holds(f.trace_code, f.event_time, x))
$$;

-- Time order of flows of one code. A purchase by `buyer` at `t` must not
-- come before every recorded sale of the code to it (by `supplier`, when
-- named): the earliest such sale when all of them are after `t`, else NULL.
CREATE FUNCTION @extschema@._reg_sale_after(code @extschema@.code, buyer @extschema@.uscc, supplier @extschema@.uscc,
                                            t timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_catalog.bool_and(f.event_time > t) THEN pg_catalog.min(f.event_time) END
    FROM @extschema@.flows f
    WHERE f.trace_code OPERATOR(@extschema@.=) code AND f.kind IN ('producer_sale', 'seller_sale')
      AND (supplier IS NULL OR f.uscc OPERATOR(@extschema@.=) supplier)
      AND (f.buyer_uscc IS NULL OR f.buyer_uscc OPERATOR(@extschema@.=) buyer) AND f.uscc OPERATOR(@extschema@.<>) buyer
$$;

-- A seller's sale by `u` at `t` must not come before every purchase of the
-- code it recorded: the earliest such purchase when all are after `t`, else NULL.
CREATE FUNCTION @extschema@._reg_purchase_after(code @extschema@.code, u @extschema@.uscc, t timestamptz) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_catalog.bool_and(f.event_time > t) THEN pg_catalog.min(f.event_time) END
    FROM @extschema@.flows f
    WHERE f.trace_code OPERATOR(@extschema@.=) code AND f.kind = 'seller_purchase' AND f.uscc OPERATOR(@extschema@.=) u
$$;

CREATE FUNCTION @extschema@._reg_write_flow(rec jsonb, ord int, direction text, old_id bigint, why text,
                                            old_kind text DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    label text := @extschema@._reg_label(ord, rec, 'trace_code');
    u @extschema@.uscc;
    unit @extschema@.units;
    code @extschema@.code;
    kind text;
    t timestamptz;
    tdate date;
    covered @extschema@.code[];
    x_covered @extschema@.code[];
    x @extschema@.code;
    qty numeric;
    bad record;
    other_uscc @extschema@.uscc;
    bad_at timestamptz;
    new_id bigint;
    now_ts timestamptz := @extschema@._reg_now();
    allowed text[];
    missing text[];
BEGIN
    IF @extschema@._reg_empty(rec -> 'uscc') THEN
        PERFORM @extschema@._reg_fail('23502', label || ': missing mandatory fields: uscc',
            'A flow record names the unit that records it (uscc).');
    END IF;
    u := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'uscc', label), label);
    unit := @extschema@._reg_unit(u, CASE WHEN direction = 'purchase' THEN 'seller' END, label);

    IF direction = 'purchase' THEN
        kind := 'seller_purchase';
    ELSIF old_kind IS NOT NULL THEN
        kind := old_kind;
    ELSIF rec ?| '{sold_time,customer_name}'::text[] THEN
        kind := 'seller_sale';
    ELSIF rec ?| '{sale_time,buyer_name,buyer_address,buyer_contact}'::text[] THEN
        kind := 'producer_sale';
    ELSE
        kind := CASE WHEN 'producer' = ANY (unit.roles) THEN 'producer_sale' ELSE 'seller_sale' END;
    END IF;
    IF kind = 'producer_sale' AND NOT ('producer' = ANY (unit.roles)) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: unit %s is not a producer; a seller''s sale uses sold_time and customer_name', label, u));
    END IF;

    SELECT pg_catalog.array_agg(DISTINCT f.field) INTO allowed
        FROM @extschema@.field_catalog f WHERE kind = ANY (f.record_kinds);
    allowed := allowed || CASE kind WHEN 'seller_purchase' THEN '{uscc,trace_code,supplier_uscc,collection_method}'::text[]
                                    ELSE '{uscc,trace_code,buyer_uscc,collection_method}'::text[] END;
    IF (rec - allowed) <> '{}'::jsonb THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: unknown fields for a %s: %s', label, pg_catalog.replace(kind, '_', ' '),
                (SELECT pg_catalog.string_agg(k, ', ' ORDER BY k) FROM pg_catalog.jsonb_object_keys(rec - allowed) k)),
            CASE kind WHEN 'producer_sale' THEN 'A producer''s sale (Table 1) uses sale_time, buyer_name, buyer_address, buyer_contact, quantity.'
                      WHEN 'seller_sale' THEN 'A seller''s sale (Table 2) uses sold_time, customer_name, quantity.'
                      ELSE 'A purchase (Table 2) uses supplier_name, purchase_time, quantity.' END);
    END IF;
    missing := CASE WHEN kind = 'producer_sale' AND @extschema@._reg_empty(rec -> 'trace_code') THEN '{trace_code}'::text[]
                    ELSE '{}' END
               || @extschema@._reg_missing(kind, CASE WHEN kind = 'producer_sale' THEN '{producer}'::text[] ELSE '{seller}' END,
                                           rec, '{}');
    IF pg_catalog.cardinality(missing) > 0 THEN
        PERFORM @extschema@._reg_fail('23502',
            pg_catalog.format('%s: missing mandatory fields: %s', label, pg_catalog.array_to_string(missing, ', ')),
            'Tables 1-2 of the standard make these fields mandatory for this record (see trace.field_catalog).');
    END IF;
    code := @extschema@._reg_code(@extschema@._reg_text(rec, 'trace_code', label), label);
    t := @extschema@._reg_time(rec, CASE kind WHEN 'producer_sale' THEN 'sale_time'
                                              WHEN 'seller_sale' THEN 'sold_time' ELSE 'purchase_time' END, label);
    tdate := ((t AT TIME ZONE 'UTC') + interval '8 hours')::date;
    IF t > now_ts THEN
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: the %s %s is in the future', label,
            CASE WHEN direction = 'sale' THEN 'sale time' ELSE 'purchase time' END, @extschema@._reg_iso(t)));
    END IF;

    SELECT pg_catalog.array_agg(w.trace_code) INTO covered FROM @extschema@._reg_units_in(code, t) w;
    -- Concurrent sales, purchases and packing of the same goods queue here
    -- (the code and every unit it covers), then read again what the code
    -- covers: one of two racing sales of a unit then sees the other's.
    IF covered IS NOT NULL THEN
        LOOP
            PERFORM @extschema@._reg_lock_codes(covered || code);
            SELECT pg_catalog.array_agg(w.trace_code) INTO x_covered FROM @extschema@._reg_units_in(code, t) w;
            EXIT WHEN x_covered IS NULL OR x_covered OPERATOR(pg_catalog.<@) covered;
            covered := x_covered;
        END LOOP;
        covered := x_covered;
    END IF;
    IF covered IS NULL THEN
        PERFORM @extschema@._reg_fail('23503',
            pg_catalog.format('%s: %s is neither a commissioned unit nor a package holding units at %s',
                              label, code, @extschema@._reg_iso(t)));
    END IF;
    SELECT x.trace_code, x.production_date INTO bad FROM @extschema@.items x
        WHERE x.trace_code OPERATOR(@extschema@.=) ANY (covered) AND x.production_date > tdate ORDER BY x.production_date DESC LIMIT 1;
    IF FOUND THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: the %s (%s) is before the production date %s of %s', label,
                CASE WHEN direction = 'sale' THEN 'sale' ELSE 'purchase' END, @extschema@._reg_iso(t), pg_catalog.to_char(bad.production_date, 'YYYY-MM-DD'), bad.trace_code));
    END IF;

    IF kind = 'producer_sale' AND EXISTS (SELECT 1 FROM @extschema@.items x
                                          WHERE x.trace_code OPERATOR(@extschema@.=) ANY (covered) AND x.uscc OPERATOR(@extschema@.<>) u) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: unit %s did not produce everything in %s; a resale is a seller''s sale (sold_time, customer_name)',
                              label, u, code));
    END IF;
    qty := @extschema@._reg_quantity(rec, 'quantity', label);
    IF qty IS NOT NULL AND qty <> pg_catalog.trunc(qty) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field quantity: %s is not a whole number of units', label, qty));
    END IF;
    IF qty IS NOT NULL AND qty <> pg_catalog.cardinality(covered) THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: field quantity: %s, but %s holds %s unit(s) at that time', label, qty, code,
                              pg_catalog.cardinality(covered)));
    END IF;

    IF kind = 'seller_purchase' THEN
        other_uscc := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'supplier_uscc', label), label, 'supplier_uscc');
        IF other_uscc OPERATOR(@extschema@.=) u THEN
            PERFORM @extschema@._reg_fail('22023', pg_catalog.format('%s: field supplier_uscc: unit %s does not buy from itself', label, u));
        END IF;
        -- not before the supplier's sale of this code to us (when it is recorded)
        bad_at := @extschema@._reg_sale_after(code, u, other_uscc, t);
        IF bad_at IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: the purchase (%s) is before the supplier''s sale of %s (%s)', label,
                    @extschema@._reg_iso(t), code, @extschema@._reg_iso(bad_at)));
        END IF;
        -- A unit still held by its producer is bought by nobody else: the goods
        -- leave a producer on the platform through its recorded sale. The
        -- producer holds its unit until its first sale, and again after
        -- buying it back (its latest flow of the unit at or before the
        -- purchase is a purchase), as _reg_not_held reads holding.
        SELECT x.c, i.uscc INTO bad
          FROM pg_catalog.unnest(covered) x(c)
          JOIN @extschema@.item_record i ON i.trace_code OPERATOR(@extschema@.=) x.c AND i.supersedes IS NULL
         WHERE i.uscc::text <> u::text
           AND coalesce((SELECT g.kind = 'seller_purchase' FROM @extschema@._reg_unit_flows(x.c, i.uscc) g
                         WHERE g.event_time <= t ORDER BY g.event_time DESC, g.record_id DESC LIMIT 1), true)
         ORDER BY x.c LIMIT 1;
        IF FOUND THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: field trace_code: %s%s is still held by its producer %s: no sale of it by the producer follows its production or its last purchase back, at or before the purchase (%s)',
                    label, bad.c, CASE WHEN bad.c OPERATOR(@extschema@.<>) code THEN ' (in ' || code::text || ')' ELSE '' END,
                    bad.uscc, @extschema@._reg_iso(t)),
                'The producer records its sale first (trace.record_sale); a unit leaves its producer only through it.');
        END IF;
    ELSE
        other_uscc := @extschema@._reg_uscc(@extschema@._reg_text(rec, 'buyer_uscc', label), label, 'buyer_uscc');
        IF kind = 'seller_sale' AND @extschema@._reg_purchase_after(code, u, t) IS NOT NULL THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: the sale (%s) is before this unit''s purchase of %s', label, @extschema@._reg_iso(t), code));
        END IF;
        -- A seller sells only what it bought (or produced), and each unit
        -- once per purchase: for every unit the sale covers, a purchase of it
        -- (or of a package holding it) by this unit at or before the sale,
        -- and no other sale of it by this unit without a purchase in between.
        -- A producer too sells each unit it made once, again only after a
        -- recorded purchase of it back (its sales of either kind count).
        FOR x IN SELECT v.c FROM pg_catalog.unnest(covered) v(c) ORDER BY v.c LOOP
            WITH g AS MATERIALIZED (SELECT * FROM @extschema@._reg_unit_flows(x, u) g
                                    WHERE g.record_id IS DISTINCT FROM old_id)
            SELECT kind = 'producer_sale'
                       OR EXISTS (SELECT 1 FROM g WHERE g.kind = 'seller_purchase' AND g.event_time <= t)
                       OR EXISTS (SELECT 1 FROM @extschema@.item_record i WHERE i.trace_code OPERATOR(@extschema@.=) x
                                    AND i.supersedes IS NULL AND i.uscc OPERATOR(@extschema@.=) u) AS bought,
                   (SELECT s.event_time FROM g s
                    WHERE s.kind IN ('seller_sale', 'producer_sale')
                      AND NOT EXISTS (SELECT 1 FROM g p WHERE p.kind = 'seller_purchase'
                                        AND p.event_time > least(s.event_time, t) AND p.event_time <= greatest(s.event_time, t))
                    ORDER BY s.event_time LIMIT 1) AS sold_at
              INTO bad;
            IF NOT bad.bought THEN
                PERFORM @extschema@._reg_fail('22023',
                    pg_catalog.format('%s: field trace_code: unit %s has no purchase of %s%s at or before the sale (%s)',
                        label, u, x, CASE WHEN x OPERATOR(@extschema@.<>) code THEN ' (in ' || code::text || ')' ELSE '' END,
                        @extschema@._reg_iso(t)),
                    'A seller sells what it bought: record its purchase of the unit, or of a package holding it, first.');
            ELSIF bad.sold_at IS NOT NULL THEN
                PERFORM @extschema@._reg_fail('23505',
                    pg_catalog.format('%s: field trace_code: unit %s already recorded a sale of %s%s (%s) with no purchase of it in between',
                        label, u, x, CASE WHEN x OPERATOR(@extschema@.<>) code THEN ' (in ' || code::text || ')' ELSE '' END,
                        @extschema@._reg_iso(bad.sold_at)),
                    'One unit is sold once per purchase (by its producer: once, and again only after buying it back); correct or withdraw the earlier sale with trace.correct(''flow'', ...).');
            END IF;
        END LOOP;
    END IF;

    INSERT INTO @extschema@.flow_record
        (root, supersedes, reason, kind, uscc, trace_code, event_time, sale_time, buyer_name, buyer_address,
         buyer_contact, buyer_uscc, supplier_name, supplier_uscc, purchase_time, customer_name, sold_time,
         quantity, collection_method, retain_until, recorded_at, recorded_by)
    VALUES ((SELECT coalesce(x.root, x.id) FROM @extschema@.flow_record x WHERE x.id = old_id),
            old_id, why, kind, u, code, t,
            CASE WHEN kind = 'producer_sale' THEN t END,
            @extschema@._reg_text(rec, 'buyer_name', label), @extschema@._reg_text(rec, 'buyer_address', label),
            @extschema@._reg_text(rec, 'buyer_contact', label),
            CASE WHEN kind <> 'seller_purchase' THEN other_uscc END,
            @extschema@._reg_text(rec, 'supplier_name', label),
            CASE WHEN kind = 'seller_purchase' THEN other_uscc END,
            CASE WHEN kind = 'seller_purchase' THEN t END,
            @extschema@._reg_text(rec, 'customer_name', label),
            CASE WHEN kind = 'seller_sale' THEN t END,
            pg_catalog.cardinality(covered), @extschema@._reg_method(rec, label),
            @extschema@._reg_covered_retain(covered, tdate),
            now_ts, session_user)
    RETURNING id INTO new_id;
    RETURN new_id;
END
$$;

-- Write each flow record of `data` (one object or an array) as `direction`
-- ('sale' or 'purchase') and answer {flow_id, kind, quantity} for each, in the
-- shape of the input: the body of trace.record_sale and trace.record_purchase.
CREATE FUNCTION @extschema@._reg_record_flows(data jsonb, api text, direction text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r record;
    out jsonb := '[]';
    id bigint;
BEGIN
    FOR r IN SELECT * FROM @extschema@._reg_records(data, api) LOOP
        id := @extschema@._reg_write_flow(r.rec, r.ord, direction, NULL, NULL);
        out := out || (SELECT pg_catalog.jsonb_build_object('flow_id', f.flow_id, 'kind', f.kind, 'quantity', f.quantity)
                       FROM @extschema@.flows f WHERE f.record_id = id);
    END LOOP;
    RETURN CASE WHEN pg_catalog.jsonb_typeof(data) = 'object' THEN out -> 0 ELSE out END;
END
$$;

-- trace.record_sale(sale jsonb): a sale by a producer (sale_time, buyer_*) or
-- by a seller (sold_time, customer_name).
CREATE FUNCTION @extschema@.record_sale(sale jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
BEGIN
    RETURN @extschema@._reg_record_flows(sale, 'trace.record_sale', 'sale');
END
$$;

-- trace.record_purchase(purchase jsonb): a seller's purchase (supplier_name, purchase_time).
CREATE FUNCTION @extschema@.record_purchase(purchase jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
BEGIN
    RETURN @extschema@._reg_record_flows(purchase, 'trace.record_purchase', 'purchase');
END
$$;

-- ----------------------------------------------------------------- corrections

-- An ISO 8601 duration for an interval of years, months and days.
CREATE FUNCTION @extschema@._reg_period_iso(i interval) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 'P' || pg_catalog.date_part('year', i)::int || 'Y' || pg_catalog.date_part('month', i)::int || 'M'
        || pg_catalog.date_part('day', i)::int || 'D'
$$;

-- trace.correct(kind, record_id, changes, reason): append a corrected
-- version of a current record; `changes` holds the fields to change (same
-- keys as the writer), or {"voided": true} to withdraw the record. The new
-- row is validated like a new record and supersedes the old one.
CREATE FUNCTION @extschema@.correct(kind text, record_id bigint, changes jsonb, reason text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET jit = off                       -- index lookups: compiling costs more than running
    AS $$
DECLARE
    label text := pg_catalog.format('%s record %s', kind, record_id);
    rec jsonb;
    tbl text;
    new_id bigint;
    void boolean;
    fixed text[];
    bad record;
BEGIN
    IF reason IS NULL OR reason ~ '^\s*$' THEN
        PERFORM @extschema@._reg_fail('23502', label || ': a correction needs a reason');
    END IF;
    IF changes IS NULL OR pg_catalog.jsonb_typeof(changes) <> 'object' THEN
        PERFORM @extschema@._reg_fail('22023', label || ': changes must be a json object');
    END IF;
    tbl := CASE kind WHEN 'unit' THEN 'unit_record' WHEN 'product' THEN 'product_record'
                     WHEN 'item' THEN 'item_record' WHEN 'flow' THEN 'flow_record'
                     WHEN 'package_event' THEN 'package_event' WHEN 'document' THEN 'document_record' END;
    IF tbl IS NULL THEN
        PERFORM @extschema@._reg_fail('22023', pg_catalog.format('trace.correct: unknown kind "%s"', kind),
            'Kinds: unit, product, item, flow, package_event, document (categories: trace.add_category with a reason).');
    END IF;
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(t) FROM @extschema@.%I t WHERE t.id = $1', tbl)
        INTO rec USING record_id;
    IF rec IS NULL THEN
        PERFORM @extschema@._reg_fail('23503', label || ': no such record');
    END IF;
    -- before anything below reports on the record: may the caller change it?
    -- (this function reads as its owner; its errors must not show another
    -- unit's record to an operator)
    PERFORM @extschema@._acc_check_write(tbl, rec ->> 'uscc', label);
    -- the registry's own columns only (not the ledger's)
    SELECT pg_catalog.jsonb_object_agg(j.key, j.value) INTO rec FROM pg_catalog.jsonb_each(rec) j
        WHERE j.key = 'id' OR j.key = ANY (@extschema@._reg_columns(tbl));
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM @extschema@.%I t WHERE t.supersedes = $1)', tbl)
        INTO void USING record_id;
    IF void OR (rec ->> 'voided')::boolean THEN
        PERFORM @extschema@._reg_fail('22023', label || ': the record is not current (already corrected or withdrawn)',
            'Correct its latest version (see trace.corrections).');
    END IF;

    void := changes ? 'voided';
    IF void THEN
        IF changes <> '{"voided": true}'::jsonb THEN
            PERFORM @extschema@._reg_fail('22023', label || ': a withdrawal is {"voided": true} alone');
        END IF;
        -- the withdrawn row repeats the data of the record it withdraws
        EXECUTE pg_catalog.format(
            'INSERT INTO @extschema@.%1$I (%2$s) SELECT %2$s FROM pg_catalog.jsonb_populate_record(NULL::@extschema@.%1$I, $1) RETURNING id',
            tbl, (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(@extschema@._reg_columns(tbl)) c))
            INTO new_id
            USING (rec - 'id') || pg_catalog.jsonb_build_object(
                'root', coalesce(nullif(rec -> 'root', 'null'), rec -> 'id'), 'supersedes', record_id, 'reason', reason, 'voided', true,
                'recorded_at', @extschema@._reg_now(), 'recorded_by', session_user::text);
        RETURN pg_catalog.jsonb_build_object('record_id', new_id, 'supersedes', record_id, 'voided', true);
    END IF;

    fixed := CASE kind WHEN 'unit' THEN '{uscc}'::text[] WHEN 'item' THEN '{trace_code}'
                       WHEN 'flow' THEN '{trace_code,uscc}' ELSE '{}' END;
    IF kind IN ('package_event', 'document') THEN
        PERFORM @extschema@._reg_fail('22023', label || ': packing events and documents are only withdrawn ({"voided": true})',
            'Record the right event or attach the right document as a new record.');
    END IF;
    IF changes ?| fixed THEN
        PERFORM @extschema@._reg_fail('22023',
            pg_catalog.format('%s: %s identifies the record and cannot be corrected', label, pg_catalog.array_to_string(fixed, ', ')),
            'Withdraw the record ({"voided": true}) and record the right one.');
    END IF;

    IF kind = 'unit' THEN
        rec := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'uscc', rec -> 'uscc', 'roles', rec -> 'roles', 'unit_name', rec -> 'unit_name', 'address', rec -> 'address',
            'contact', rec -> 'contact', 'business_license', rec -> 'business_license',
            'system_certifications', rec -> 'system_certifications', 'product_certifications', rec -> 'product_certifications',
            'purchase_info', rec -> 'purchase_info', 'collection_method', rec -> 'collection_method'));
        new_id := @extschema@._reg_write_unit(pg_catalog.jsonb_strip_nulls(rec || changes), 1, record_id, reason);
    ELSIF kind = 'product' THEN
        rec := (rec - '{id,root,supersedes,reason,voided,retain_until,recorded_at,recorded_by}'::text[])
            || pg_catalog.jsonb_build_object(
                'warranty_period', @extschema@._reg_period_iso((rec ->> 'warranty_period')::interval),
                'service_life', @extschema@._reg_period_iso((rec ->> 'service_life')::interval));
        new_id := @extschema@._reg_write_product(pg_catalog.jsonb_strip_nulls(rec || changes), 1, record_id, reason);
    ELSIF kind = 'item' THEN
        rec := (rec - '{id,root,supersedes,reason,voided,retain_until,recorded_at,recorded_by,product_id,uscc}'::text[])
            || pg_catalog.jsonb_build_object(
                'product', rec -> 'product_id',
                'warranty_period', @extschema@._reg_period_iso((rec ->> 'warranty_period')::interval));
        PERFORM @extschema@._reg_commission(pg_catalog.jsonb_strip_nulls(rec || changes), record_id, reason);
        SELECT pg_catalog.max(x.id) INTO new_id FROM @extschema@.item_record x WHERE x.supersedes = record_id;
        -- the production date stays at or before everything recorded of the unit
        SELECT i.production_date AS pdate, e.what, e.at INTO bad
            FROM @extschema@.items i
            CROSS JOIN LATERAL (
                SELECT p.action AS what, p.event_time AS at FROM @extschema@.package_events p
                WHERE p.content_code OPERATOR(@extschema@.=) i.trace_code
                UNION ALL
                SELECT f.kind, f.event_time FROM @extschema@._reg_unit_flows(i.trace_code, NULL) f
                ORDER BY 2 LIMIT 1) e
            WHERE i.record_id = new_id AND i.production_date > ((e.at AT TIME ZONE 'UTC') + interval '8 hours')::date;
        IF FOUND THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: field production_date: %s is after the %s of %s recorded at %s', label,
                    pg_catalog.to_char(bad.pdate, 'YYYY-MM-DD'), pg_catalog.replace(bad.what, '_', ' '),
                    rec ->> 'trace_code', @extschema@._reg_iso(bad.at)),
                'A unit is packed, sold and bought only after its production date; correct those records first.');
        END IF;
    ELSIF kind = 'flow' THEN
        rec := pg_catalog.jsonb_strip_nulls(
            (rec - '{id,root,supersedes,reason,voided,retain_until,recorded_at,recorded_by,kind,event_time}'::text[]));
        new_id := @extschema@._reg_write_flow(pg_catalog.jsonb_strip_nulls(rec || changes), 1,
            CASE WHEN rec ? 'purchase_time' THEN 'purchase' ELSE 'sale' END, record_id, reason,
            (SELECT f.kind FROM @extschema@.flow_record f WHERE f.id = record_id));
        -- the other flows of the code keep their order with the corrected one:
        -- each purchase not before the supplier's sale, each seller's sale
        -- not before its own purchase
        SELECT f.flow_id, f.kind, f.uscc, f.event_time,
               coalesce(@extschema@._reg_sale_after(f.trace_code, f.uscc, f.supplier_uscc, f.event_time),
                        @extschema@._reg_purchase_after(f.trace_code, f.uscc, f.event_time)) AS other_at
            INTO bad
            FROM @extschema@.flows f
            WHERE f.trace_code OPERATOR(@extschema@.=) (rec ->> 'trace_code')::@extschema@.code
              AND ((f.kind = 'seller_purchase' AND @extschema@._reg_sale_after(f.trace_code, f.uscc, f.supplier_uscc, f.event_time) IS NOT NULL)
                   OR (f.kind = 'seller_sale' AND @extschema@._reg_purchase_after(f.trace_code, f.uscc, f.event_time) IS NOT NULL))
            ORDER BY f.event_time LIMIT 1;
        IF FOUND THEN
            PERFORM @extschema@._reg_fail('22023',
                pg_catalog.format('%s: field %s: the %s of %s by unit %s (flow %s, %s) would be before %s (%s)', label,
                    CASE (SELECT f.kind FROM @extschema@.flow_record f WHERE f.id = new_id)
                         WHEN 'producer_sale' THEN 'sale_time' WHEN 'seller_sale' THEN 'sold_time' ELSE 'purchase_time' END,
                    CASE WHEN bad.kind = 'seller_purchase' THEN 'purchase' ELSE 'sale' END, rec ->> 'trace_code', bad.uscc,
                    bad.flow_id, @extschema@._reg_iso(bad.event_time),
                    CASE WHEN bad.kind = 'seller_purchase' THEN 'the supplier''s sale of it' ELSE 'this unit''s purchase of it' END,
                    @extschema@._reg_iso(bad.other_at)),
                'Flows of a code are recorded in time order; correct the other flow first.');
        END IF;
    END IF;
    RETURN pg_catalog.jsonb_build_object('record_id', new_id, 'supersedes', record_id);
END
$$;
