-- Tamper-evident ledger: append-only tables, Merkle blocks chained per ledger,
-- verification. See docs/ledger.md; C in src/pg/ledger*.c and src/core/ledger.c.

-- Every table under the ledger.
CREATE TABLE @extschema@.ledger_tables (
    relid          pg_catalog.regclass PRIMARY KEY,
    ledger_name    text NOT NULL UNIQUE,          -- hashed into every row and block
    hash_algorithm text NOT NULL DEFAULT 'sha256'
                   CHECK (hash_algorithm OPERATOR(pg_catalog.=) ANY (ARRAY['sha256', 'sm3'])),
    retention      interval,                      -- default retain-until = insert time + retention
    enabled_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    enabled_by     text NOT NULL DEFAULT SESSION_USER,
    -- sealer state (ledger_seal.c): every seq <= seal_floor is resolved
    seal_floor     bigint NOT NULL DEFAULT 0,
    horizon_upto   bigint,
    horizon_xid    pg_catalog.xid8,
    horizon_at     timestamptz                    -- when the horizon was taken
);

-- The chain of blocks of each ledger. A block holds a set of rows (members,
-- by seq), their row hashes in seq order (leaf_hashes), the RFC 6962 Merkle
-- root over them and the hash of the block before it.
CREATE TABLE @extschema@.ledger_blocks (
    ledger       text NOT NULL,
    block_no     bigint NOT NULL CHECK (block_no OPERATOR(pg_catalog.>) 0),
    members      pg_catalog.int8multirange NOT NULL,
    max_seq      bigint NOT NULL,
    row_count    bigint NOT NULL,
    merkle_root  bytea NOT NULL,
    prev_hash    bytea NOT NULL,
    block_hash   bytea NOT NULL,
    sealed_at    timestamptz NOT NULL,
    leaf_hashes  bytea NOT NULL,
    PRIMARY KEY (ledger, block_no)
);
CREATE INDEX ledger_blocks_max_seq ON @extschema@.ledger_blocks (ledger, max_seq);
-- leaf hashes are random bytes: never worth a compression attempt
ALTER TABLE @extschema@.ledger_blocks ALTER COLUMN leaf_hashes SET STORAGE EXTERNAL;

-- Hashes of rows removed by trace.purge() past their retention: verification
-- checks them in place of the rows.
CREATE TABLE @extschema@.ledger_tombstones (
    ledger        text NOT NULL,
    seq           bigint NOT NULL,
    row_hash      bytea NOT NULL,
    retain_until  date NOT NULL,
    purged_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    purged_by     text NOT NULL DEFAULT SESSION_USER,
    PRIMARY KEY (ledger, seq)
);

-- pg_dump keeps the ledger's state with the data.
-- Ledgers of the extension's own tables are registered again by CREATE
-- EXTENSION, and the blocks its script seals (sealed_at 2000-01-01 UTC) are
-- recreated identically: neither is dumped.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger_tables',
    'WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d'
    ' WHERE d.classid OPERATOR(pg_catalog.=) ''pg_catalog.pg_class''::pg_catalog.regclass'
    ' AND d.objid OPERATOR(pg_catalog.=) relid::pg_catalog.oid AND d.deptype OPERATOR(pg_catalog.=) ''e'')');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger_blocks',
    'WHERE sealed_at OPERATOR(pg_catalog.<>) ''2000-01-01 00:00:00+00''::pg_catalog.timestamptz');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger_tombstones', '');

-- C entry points.
CREATE FUNCTION @extschema@._ledger_insert_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pt_ledger_insert_trigger' LANGUAGE C;
CREATE FUNCTION @extschema@._ledger_refuse_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pt_ledger_refuse_trigger' LANGUAGE C;
CREATE FUNCTION @extschema@._ledger_rehash(tbl pg_catalog.regclass, seq bigint, ledger text, alg text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'pt_ledger_row_hash_sql' LANGUAGE C STABLE STRICT;
CREATE FUNCTION @extschema@._ledger_backfill_hash(tbl pg_catalog.regclass, ledger text, alg text,
        r record, seq bigint, recorded_by text, recorded_at timestamptz, method text, retain_until date)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'pt_ledger_backfill_hash_sql' LANGUAGE C STABLE;
CREATE FUNCTION @extschema@._ledger_verify(tbl pg_catalog.regclass) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_ledger_verify_sql' LANGUAGE C VOLATILE;
CREATE FUNCTION @extschema@._ledger_seal(tbl pg_catalog.regclass) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pt_ledger_seal_sql' LANGUAGE C VOLATILE;
CREATE FUNCTION @extschema@._ledger_hooks_active() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_ledger_hooks_active_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@._ledger_bulk_batched() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pt_ledger_bulk_batched_sql' LANGUAGE C STABLE STRICT PARALLEL SAFE;

-- The ledger's own tables are append-only too (purge writes tombstones only).
CREATE TRIGGER pgtrace_ledger_refuse BEFORE UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.ledger_blocks FOR EACH STATEMENT
    EXECUTE FUNCTION @extschema@._ledger_refuse_trigger();
ALTER TABLE @extschema@.ledger_blocks ENABLE ALWAYS TRIGGER pgtrace_ledger_refuse;
CREATE TRIGGER pgtrace_ledger_refuse BEFORE UPDATE OR DELETE OR TRUNCATE
    ON @extschema@.ledger_tombstones FOR EACH STATEMENT
    EXECUTE FUNCTION @extschema@._ledger_refuse_trigger();
ALTER TABLE @extschema@.ledger_tombstones ENABLE ALWAYS TRIGGER pgtrace_ledger_refuse;
-- The registry of ledgers: registrations never change (the sealer's state
-- moves, seal_floor only up) and go only with a break-glass drop; never
-- truncated.
CREATE FUNCTION @extschema@._ledger_tables_guard() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pt_ledger_tables_guard' LANGUAGE C;
CREATE TRIGGER pgtrace_ledger_guard BEFORE UPDATE OR DELETE
    ON @extschema@.ledger_tables FOR EACH ROW
    EXECUTE FUNCTION @extschema@._ledger_tables_guard();
ALTER TABLE @extschema@.ledger_tables ENABLE ALWAYS TRIGGER pgtrace_ledger_guard;
CREATE TRIGGER pgtrace_ledger_refuse BEFORE TRUNCATE
    ON @extschema@.ledger_tables FOR EACH STATEMENT
    EXECUTE FUNCTION @extschema@._ledger_refuse_trigger();
ALTER TABLE @extschema@.ledger_tables ENABLE ALWAYS TRIGGER pgtrace_ledger_refuse;
REVOKE ALL ON FUNCTION @extschema@._ledger_tables_guard() FROM PUBLIC;

-- Registration, the privileged half of ledger_enable: only a table that
-- carries the ledger's columns and both triggers can be registered.
CREATE FUNCTION @extschema@._ledger_is_registered(tbl pg_catalog.regclass) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN EXISTS (SELECT 1 FROM @extschema@.ledger_tables l WHERE l.relid = tbl);

CREATE FUNCTION @extschema@._ledger_register(tbl pg_catalog.regclass, name text, alg text, retention interval)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF (SELECT count(*) FROM pg_catalog.pg_trigger t
         WHERE t.tgrelid = tbl AND t.tgenabled = 'A'
           AND t.tgname IN ('pgtrace_ledger_insert', 'pgtrace_ledger_refuse')) <> 2
       OR (SELECT count(*) FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = tbl AND NOT a.attisdropped
              AND a.attname IN ('ledger_seq', 'ledger_hash')) <> 2 THEN
        RAISE EXCEPTION 'table % is not prepared for the ledger', tbl
            USING ERRCODE = '55000', DETAIL = 'Use trace.ledger_enable().';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.ledger_tables l WHERE l.relid = tbl) THEN
        RAISE EXCEPTION 'table % is already a ledger table', tbl USING ERRCODE = '42710';
    END IF;
    INSERT INTO @extschema@.ledger_tables (relid, ledger_name, hash_algorithm, retention, enabled_by)
    VALUES (tbl, name, alg, retention, SESSION_USER);
END
$fn$;

-- trace.ledger_enable(tbl, hash_algorithm, retention): put a table under the
-- ledger. Adds the ledger columns, the seq sequence and its unique index, and
-- the two ENABLE ALWAYS triggers; rows the table already holds are numbered,
-- hashed and sealed in the same transaction.
CREATE FUNCTION @extschema@.ledger_enable(
    tbl pg_catalog.regclass,
    hash_algorithm text DEFAULT 'sha256',
    retention interval DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    rel record;
    qname text;
    seqname text;
    idxname text;
    col text;
    nrows bigint;
    numbered bigint;
    ord text;
    retain date;
BEGIN
    SELECT c.relname, c.relkind, c.relpersistence, n.nspname, c.relowner, c.relrowsecurity
      INTO rel
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tbl;
    IF NOT pg_catalog.pg_has_role(CURRENT_USER, rel.relowner, 'USAGE') THEN
        RAISE EXCEPTION 'must be owner of table %', tbl
            USING ERRCODE = '42501',
                  DETAIL = 'Only the owner of a table can put it under the ledger.';
    END IF;
    IF rel.relkind <> 'r' THEN
        RAISE EXCEPTION '"%" is not an ordinary table', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Only ordinary tables can be put under the ledger (no partitioned tables, views or foreign tables).';
    END IF;
    -- A ledger must outlive the session and a crash.
    IF rel.relpersistence <> 'p' THEN
        RAISE EXCEPTION 'table % is %', tbl, CASE rel.relpersistence WHEN 't' THEN 'temporary' ELSE 'unlogged' END
            USING ERRCODE = '42809',
                  DETAIL = 'A temporary table is gone at the end of the session, an unlogged one loses its rows in a crash.';
    END IF;
    -- The refusal trigger fires on the table a statement names: UPDATE or
    -- DELETE through a parent would reach a ledger child's rows without it,
    -- and a child's rows would show in the ledger's queries.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = tbl) THEN
        RAISE EXCEPTION 'table % is a partition or an inheritance child', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'UPDATE and DELETE through its parent would not fire the ledger''s refusal trigger.',
                  HINT = 'Detach it (ALTER TABLE ... DETACH PARTITION / NO INHERIT) first.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = tbl) THEN
        RAISE EXCEPTION 'table % has inheritance children', tbl
            USING ERRCODE = '42809',
                  DETAIL = 'Their rows would show in the ledger table''s queries without being in its ledger.';
    END IF;
    IF hash_algorithm IS NULL OR hash_algorithm NOT IN ('sha256', 'sm3') THEN
        RAISE EXCEPTION 'unknown ledger hash algorithm "%"', hash_algorithm
            USING ERRCODE = '22023', DETAIL = 'Known algorithms are sha256 and sm3.';
    END IF;
    IF @extschema@._ledger_is_registered(tbl) THEN
        RAISE EXCEPTION 'table % is already a ledger table', tbl USING ERRCODE = '42710';
    END IF;
    qname := pg_catalog.format('%I.%I', rel.nspname, rel.relname);
    EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s', qname) INTO STRICT nrows;
    IF nrows > 0 THEN
        -- Existing rows get their ledger columns by one UPDATE (below): no
        -- user trigger may fire on it, and every row must be reachable.
        SELECT t.tgname INTO col FROM pg_catalog.pg_trigger t
         WHERE t.tgrelid = tbl AND NOT t.tgisinternal AND t.tgenabled <> 'D'
           AND (t.tgtype::int & 16) <> 0
         ORDER BY t.tgname LIMIT 1;
        IF col IS NOT NULL THEN
            RAISE EXCEPTION 'trigger "%" on table % would fire while its existing rows are put under the ledger', col, tbl
                USING ERRCODE = '55000',
                      DETAIL = 'trace.ledger_enable() fills the ledger columns of existing rows with one UPDATE; a ledger table refuses updates afterwards anyway.',
                      HINT = 'Drop or disable the UPDATE trigger first.';
        END IF;
        IF rel.relrowsecurity THEN
            RAISE EXCEPTION 'table % has row-level security enabled and holds rows', tbl
                USING ERRCODE = '55000',
                      DETAIL = 'Every existing row must be hashed; a policy could hide some of them.',
                      HINT = 'Disable row-level security while enabling the ledger, or enable the ledger on the empty table.';
        END IF;
    END IF;
    -- A BEFORE INSERT row trigger that fires after the ledger's (triggers fire
    -- in name order) would change rows after they are hashed.
    SELECT t.tgname INTO col FROM pg_catalog.pg_trigger t
     WHERE t.tgrelid = tbl AND NOT t.tgisinternal
       AND (t.tgtype::int & 7) = 7 AND t.tgname > 'pgtrace_ledger_insert'
     ORDER BY t.tgname LIMIT 1;
    IF col IS NOT NULL THEN
        RAISE EXCEPTION 'trigger "%" on table % would change rows after the ledger hashed them', col, tbl
            USING ERRCODE = '55000',
                  DETAIL = 'BEFORE INSERT row triggers fire in name order, after pgtrace_ledger_insert when their name sorts later.',
                  HINT = 'Rename it so that it sorts before pgtrace_ledger_insert, or drop it.';
    END IF;
    FOREACH col IN ARRAY ARRAY['ledger_seq', 'ledger_hash', 'ledger_recorded_by', 'ledger_recorded_at',
                               'ledger_method', 'ledger_retain_until', 'ledger_supersedes', 'ledger_reason']
    LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = tbl AND a.attname = col AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'table % already has a column named "%"', tbl, col
                USING ERRCODE = '42701', DETAIL = 'The ledger adds columns whose names start with ledger_.';
        END IF;
    END LOOP;

    -- NOT NULL is set once existing rows have their values.
    EXECUTE pg_catalog.format(
        'ALTER TABLE %s ADD COLUMN ledger_seq bigint,'
        ' ADD COLUMN ledger_hash bytea,'
        ' ADD COLUMN ledger_recorded_by text,'
        ' ADD COLUMN ledger_recorded_at timestamptz,'
        ' ADD COLUMN ledger_method text,'
        ' ADD COLUMN ledger_retain_until date,'
        ' ADD COLUMN ledger_supersedes bigint,'
        ' ADD COLUMN ledger_reason text', qname);
    seqname := pg_catalog.format('%I.%I', rel.nspname, pg_catalog.left(rel.relname, 48) || '_ledger_seq');
    idxname := pg_catalog.left(rel.relname, 48) || '_ledger_seq_key';
    EXECUTE pg_catalog.format('CREATE SEQUENCE %s AS bigint CACHE 1', seqname);
    EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.ledger_seq', seqname, qname);
    IF nrows > 0 THEN
        -- Existing rows: seqs 1..n in primary-key order (physical order
        -- without a primary key); who = the enabling session user, when = this
        -- transaction's start, how = 'ledger_enable'; retain-until from the
        -- retention as for a new row; each row hashed as the insert trigger
        -- hashes a new one. They are sealed below, in this transaction.
        SELECT pg_catalog.string_agg(pg_catalog.format('%I', a.attname), ', ' ORDER BY k.ord)
          INTO ord
          FROM pg_catalog.pg_index i
               CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = tbl AND i.indisprimary;
        retain := ((pg_catalog.now() AT TIME ZONE 'UTC') + retention)::date;
        EXECUTE pg_catalog.format(
            'UPDATE %1$s t SET ledger_seq = o.seq, ledger_recorded_by = $2, ledger_recorded_at = $3,'
            ' ledger_method = $4, ledger_retain_until = $5,'
            ' ledger_hash = @extschema@._ledger_backfill_hash($1, $6, $7, t, o.seq, $2, $3, $4, $5)'
            ' FROM (SELECT s.ctid AS tid, pg_catalog.row_number() OVER (ORDER BY %2$s) AS seq FROM %1$s s) o'
            ' WHERE t.ctid OPERATOR(pg_catalog.=) o.tid',
            qname, COALESCE(ord, 's.ctid'))
          USING tbl, SESSION_USER::text, pg_catalog.now(), 'ledger_enable'::text, retain, qname, hash_algorithm;
        GET DIAGNOSTICS numbered = ROW_COUNT;
        IF numbered <> nrows THEN
            RAISE EXCEPTION 'table % changed while it was put under the ledger', tbl
                USING ERRCODE = '55000',
                      DETAIL = pg_catalog.format('%s rows counted, %s numbered.', nrows, numbered);
        END IF;
        PERFORM pg_catalog.setval(seqname::pg_catalog.regclass, nrows, true);
    END IF;
    EXECUTE pg_catalog.format(
        'ALTER TABLE %s ALTER COLUMN ledger_seq SET NOT NULL, ALTER COLUMN ledger_hash SET NOT NULL,'
        ' ALTER COLUMN ledger_recorded_by SET NOT NULL, ALTER COLUMN ledger_recorded_at SET NOT NULL', qname);
    EXECUTE pg_catalog.format('CREATE UNIQUE INDEX %I ON %s (ledger_seq)', idxname, qname);
    -- An extension's own ledger table (enabled from its install script): its
    -- sequence is extension-owned too, so pg_dump must keep its position.
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                  AND d.objid = tbl AND d.deptype = 'e') THEN
        PERFORM pg_catalog.pg_extension_config_dump(seqname::pg_catalog.regclass, '');
    END IF;
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER pgtrace_ledger_insert BEFORE INSERT ON %s FOR EACH ROW'
        ' EXECUTE FUNCTION @extschema@._ledger_insert_trigger(%L, %L, %L)',
        qname, qname, hash_algorithm, COALESCE(retention::text, ''));
    EXECUTE pg_catalog.format(
        'CREATE TRIGGER pgtrace_ledger_refuse BEFORE UPDATE OR DELETE OR TRUNCATE ON %s'
        ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@._ledger_refuse_trigger()', qname);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgtrace_ledger_insert', qname);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER pgtrace_ledger_refuse', qname);

    PERFORM @extschema@._ledger_register(tbl, qname, hash_algorithm, retention);
    IF nrows > 0 THEN
        PERFORM @extschema@.seal(tbl);
    END IF;
END
$fn$;

-- trace.seal(tbl): seal committed rows now (all ledgers when tbl is NULL).
CREATE FUNCTION @extschema@.seal(tbl pg_catalog.regclass DEFAULT NULL) RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@._ledger_seal(tbl);

-- trace.verify(): recompute every ledger (contract, see DESIGN.md).
CREATE FUNCTION @extschema@.verify() RETURNS jsonb
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@._ledger_verify(NULL);

-- trace.ledger_verify(tbl): the same for one ledger table.
CREATE FUNCTION @extschema@.ledger_verify(tbl pg_catalog.regclass) RETURNS jsonb
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@._ledger_verify(tbl);

-- trace.ledger_rehash(tbl, seq): the hash the ledger computes for a stored row.
CREATE FUNCTION @extschema@.ledger_rehash(tbl pg_catalog.regclass, seq bigint) RETURNS bytea
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT @extschema@._ledger_rehash(l.relid, seq, l.ledger_name, l.hash_algorithm)
              FROM @extschema@.ledger_tables l WHERE l.relid = tbl);

CREATE FUNCTION @extschema@._ledger_proof(tbl pg_catalog.regclass, seq bigint, upto_block bigint)
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pt_ledger_proof_sql' LANGUAGE C STABLE;

-- The ledger state a checkpoint signs: per ledger its block count, row count
-- and head block hash (hex), in ledger-name order.
CREATE FUNCTION @extschema@._ledger_state() RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'ledger', l.ledger_name,
                'alg', l.hash_algorithm,
                'blocks', COALESCE(h.blocks, 0),
                'rows', COALESCE(h.rows, 0),
                'head', COALESCE(pg_catalog.encode(h.head, 'hex'), pg_catalog.repeat('0', 64)))
              ORDER BY l.ledger_name), '[]'::jsonb)
       FROM @extschema@.ledger_tables l
       LEFT JOIN LATERAL (
            SELECT pg_catalog.count(*) AS blocks, pg_catalog.sum(b.row_count) AS rows,
                   (SELECT b2.block_hash FROM @extschema@.ledger_blocks b2
                     WHERE b2.ledger = l.ledger_name ORDER BY b2.block_no DESC LIMIT 1) AS head
              FROM @extschema@.ledger_blocks b WHERE b.ledger = l.ledger_name) h ON true);

-- trace.checkpoint(): seal, then sign the ledger state with the server key
-- (trace.sign: compact JWS over RFC 8785 JSON). Keep the result outside the
-- database; trace.verify(checkpoint) proves the database still extends it.
CREATE FUNCTION @extschema@.checkpoint() RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    in_recovery boolean := pg_catalog.pg_is_in_recovery();
    v jsonb;
    bad text;
BEGIN
    IF NOT in_recovery THEN
        PERFORM @extschema@._ledger_seal(NULL);
    END IF;
    -- The checkpoint signs the heads as they are; say so when some ledger
    -- does not verify (its problems stay visible to every later verify).
    IF pg_catalog.current_setting('pgtrace.checkpoint_verify', true) IS DISTINCT FROM 'off' THEN
        v := @extschema@._ledger_verify(NULL);
    END IF;
    IF v IS NOT NULL AND NOT (v ->> 'ok')::boolean THEN
        SELECT pg_catalog.string_agg(DISTINCT p ->> 'ledger', ', ') INTO bad
          FROM pg_catalog.jsonb_array_elements(v -> 'problems') p;
        RAISE WARNING 'trace.checkpoint() signs the heads of ledgers that fail verification: %', bad
            USING DETAIL = pg_catalog.format('trace.verify() reports %s problem(s)%s.',
                               pg_catalog.jsonb_array_length(v -> 'problems'),
                               CASE WHEN (v ->> 'truncated')::boolean THEN ' (list truncated)' ELSE '' END),
                  HINT = 'The checkpoint records the current state; a later trace.verify(checkpoint) still reports these problems.';
    END IF;
    RETURN @extschema@.sign(pg_catalog.jsonb_build_object(
        'typ', 'pgtrace-ledger-checkpoint',
        'version', 1,
        'database', pg_catalog.current_database(),
        'system_identifier', (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s),
        'timeline', (SELECT c.timeline_id FROM pg_catalog.pg_control_checkpoint() c),
        'lsn', (CASE WHEN in_recovery THEN pg_catalog.pg_last_wal_replay_lsn()
                     ELSE pg_catalog.pg_current_wal_lsn() END)::text,
        'time', pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'ledgers', @extschema@._ledger_state()));
END
$fn$;

-- trace.verify(checkpoint): everything trace.verify() checks, plus that each
-- ledger of the checkpoint still exists and extends it: at least as many
-- blocks, the same rows up to its head, and the same head hash.
CREATE FUNCTION @extschema@.verify(checkpoint text) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cp jsonb;
    result jsonb;
    problems jsonb := '[]';
    l jsonb;
    nblocks bigint;
    nrows numeric;
    head bytea;
BEGIN
    cp := @extschema@.jws_verify(checkpoint);
    IF cp ->> 'typ' IS DISTINCT FROM 'pgtrace-ledger-checkpoint' THEN
        RAISE EXCEPTION 'not a ledger checkpoint'
            USING ERRCODE = '22023', DETAIL = 'The signed payload has no "typ": "pgtrace-ledger-checkpoint".';
    END IF;
    result := @extschema@._ledger_verify(NULL);
    FOR l IN SELECT * FROM pg_catalog.jsonb_array_elements(cp -> 'ledgers') LOOP
        SELECT pg_catalog.count(*) INTO nblocks FROM @extschema@.ledger_blocks b
         WHERE b.ledger = l ->> 'ledger';
        SELECT pg_catalog.sum(b.row_count), (pg_catalog.array_agg(b.block_hash ORDER BY b.block_no DESC))[1]
          INTO nrows, head
          FROM @extschema@.ledger_blocks b
         WHERE b.ledger = l ->> 'ledger' AND b.block_no <= (l ->> 'blocks')::bigint;
        IF NOT EXISTS (SELECT 1 FROM @extschema@.ledger_tables t WHERE t.ledger_name = l ->> 'ledger') THEN
            problems := problems || pg_catalog.jsonb_build_object('ledger', l -> 'ledger', 'kind', 'missing',
                'detail', 'The ledger of the checkpoint is no longer registered.');
        ELSIF nblocks < (l ->> 'blocks')::bigint OR COALESCE(nrows, 0) < (l ->> 'rows')::numeric THEN
            problems := problems || pg_catalog.jsonb_build_object('ledger', l -> 'ledger', 'kind', 'rolled_back',
                'detail', pg_catalog.format('The checkpoint has %s blocks and %s rows; the database has %s blocks and %s rows up to that point.',
                                            l ->> 'blocks', l ->> 'rows', nblocks, COALESCE(nrows, 0)));
        ELSIF (l ->> 'blocks')::bigint > 0
              AND (pg_catalog.encode(head, 'hex') IS DISTINCT FROM l ->> 'head'
                   OR nrows <> (l ->> 'rows')::numeric) THEN
            problems := problems || pg_catalog.jsonb_build_object('ledger', l -> 'ledger', 'kind', 'rewritten',
                'block', (l ->> 'blocks')::bigint,
                'detail', 'The block at the checkpoint''s head is not the one the checkpoint signed.');
        END IF;
    END LOOP;
    RETURN pg_catalog.jsonb_set(
        pg_catalog.jsonb_set(result, '{problems}', (result -> 'problems') || problems),
        '{ok}', pg_catalog.to_jsonb((result ->> 'ok')::boolean AND pg_catalog.jsonb_array_length(problems) = 0))
        || pg_catalog.jsonb_build_object('checkpoint', pg_catalog.jsonb_build_object(
               'time', cp -> 'time', 'ledgers', pg_catalog.jsonb_array_length(cp -> 'ledgers'),
               'extends', pg_catalog.jsonb_array_length(problems) = 0,
               'same_system', cp ->> 'system_identifier' =
                   (SELECT s.system_identifier::text FROM pg_catalog.pg_control_system() s)));
END
$fn$;

-- trace.proof(tbl, seq [, checkpoint]): the row, its Merkle audit path and
-- the chain of blocks up to the head (or up to the checkpoint's head, with
-- the checkpoint included so that the proof stands alone).
CREATE FUNCTION @extschema@.proof(tbl pg_catalog.regclass, seq bigint, checkpoint text DEFAULT NULL)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    cp jsonb;
    upto bigint;
    ledger text;
BEGIN
    IF checkpoint IS NULL THEN
        RETURN @extschema@._ledger_proof(tbl, seq, NULL);
    END IF;
    cp := @extschema@.jws_verify(checkpoint);
    SELECT l.ledger_name INTO ledger FROM @extschema@.ledger_tables l WHERE l.relid = tbl;
    SELECT (e ->> 'blocks')::bigint INTO upto
      FROM pg_catalog.jsonb_array_elements(cp -> 'ledgers') e WHERE e ->> 'ledger' = ledger;
    IF upto IS NULL THEN
        RAISE EXCEPTION 'the checkpoint does not cover ledger table %', tbl USING ERRCODE = '22023';
    END IF;
    RETURN @extschema@._ledger_proof(tbl, seq, upto)
        || pg_catalog.jsonb_build_object('checkpoint', checkpoint);
END
$fn$;

CREATE FUNCTION @extschema@._ledger_purge(tbl pg_catalog.regclass, before date) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pt_ledger_purge_sql' LANGUAGE C VOLATILE STRICT;

-- trace.purge(before, tbl): remove ledger rows whose retain-until date is
-- before `before` (and before today), keeping their hashes as tombstones so
-- that verification still passes. Only sealed rows whose hash recomputes
-- equal are removed. Returns how many rows were removed.
CREATE FUNCTION @extschema@.purge(before date, tbl pg_catalog.regclass DEFAULT NULL) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    l record;
    total bigint := 0;
BEGIN
    IF before IS NULL THEN
        RAISE EXCEPTION 'purge needs a date' USING ERRCODE = '22004';
    END IF;
    -- a ledger whose table no longer exists has nothing to purge (verify reports it)
    FOR l IN SELECT t.relid FROM @extschema@.ledger_tables t
              WHERE (tbl IS NULL OR t.relid = tbl)
                AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.relid)
              ORDER BY t.ledger_name LOOP
        total := total + @extschema@._ledger_purge(l.relid, before);
    END LOOP;
    RETURN total;
END
$fn$;

-- Events about the ledgers themselves (break-glass drops), itself a ledger.
CREATE TABLE @extschema@.ledger_events (
    event   text NOT NULL,
    ledger  text NOT NULL,
    detail  jsonb
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.ledger_events', '');
SELECT @extschema@.ledger_enable('@extschema@.ledger_events');
REVOKE ALL ON TABLE @extschema@.ledger_events FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.ledger_events TO trace_admin, trace_regulator;

-- trace.ledger_current_view(tbl, view_name): corrections are new rows whose
-- ledger_supersedes names the seq they correct (with ledger_reason); this
-- creates a view of the current state: the rows no other row supersedes.
-- Runs with the caller's rights (the view belongs to the caller).
CREATE FUNCTION @extschema@.ledger_current_view(tbl pg_catalog.regclass, view_name text DEFAULT NULL)
    RETURNS pg_catalog.regclass
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    nsp text;
    rel text;
    vname text;
BEGIN
    IF NOT @extschema@._ledger_is_registered(tbl) THEN
        RAISE EXCEPTION 'table % is not a ledger table', tbl
            USING ERRCODE = '22023', HINT = 'Use trace.ledger_enable() first.';
    END IF;
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tbl;
    vname := COALESCE(view_name, pg_catalog.left(rel, 55) || '_current');
    EXECUTE pg_catalog.format(
        'CREATE INDEX IF NOT EXISTS %I ON %I.%I (ledger_supersedes) WHERE ledger_supersedes IS NOT NULL',
        pg_catalog.left(rel, 40) || '_ledger_supersedes_idx', nsp, rel);
    EXECUTE pg_catalog.format(
        'CREATE VIEW %I.%I AS SELECT t.* FROM %I.%I t WHERE NOT EXISTS'
        ' (SELECT 1 FROM %I.%I s WHERE s.ledger_supersedes OPERATOR(pg_catalog.=) t.ledger_seq)',
        nsp, vname, nsp, rel, nsp, rel);
    RETURN pg_catalog.format('%I.%I', nsp, vname)::pg_catalog.regclass;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.ledger_current_view(pg_catalog.regclass, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ledger_current_view(pg_catalog.regclass, text) TO trace_admin;

CREATE FUNCTION @extschema@._ledger_export(tbl pg_catalog.regclass) RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'pt_ledger_export_sql' LANGUAGE C STABLE STRICT;

-- trace.ledger_export(tbl): the whole sealed ledger as JSON lines (a header,
-- then one line per block with each row's canonical encoding), for
-- tools/pgtrace-verify --export. Format: docs/ledger.md.
CREATE FUNCTION @extschema@.ledger_export(tbl pg_catalog.regclass) RETURNS SETOF text
    LANGUAGE sql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $fn$ SELECT * FROM @extschema@._ledger_export(tbl) $fn$;
REVOKE ALL ON FUNCTION @extschema@._ledger_export(pg_catalog.regclass),
    @extschema@.ledger_export(pg_catalog.regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ledger_export(pg_catalog.regclass) TO trace_admin, trace_regulator;

-- Status for trace.status(): ledgers, pending rows, seal lag, hooks.
CREATE FUNCTION @extschema@._status_ledger() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    l record;
    pending bigint := 0;
    n bigint;
    oldest timestamptz;
    lag interval;
    missing jsonb := '[]';
    last_seal timestamptz;
BEGIN
    FOR l IN SELECT t.relid, t.ledger_name, t.seal_floor, n.nspname, c.relname
               FROM @extschema@.ledger_tables t
               LEFT JOIN pg_catalog.pg_class c ON c.oid = t.relid
               LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              ORDER BY t.ledger_name LOOP
        IF l.relname IS NULL THEN
            missing := missing || pg_catalog.to_jsonb(pg_catalog.format(
                'ledger: the table of ledger %s no longer exists; it is not sealed and trace.verify() reports it',
                l.ledger_name));
            CONTINUE;
        END IF;
        EXECUTE pg_catalog.format(
            'SELECT count(*), min(x.ledger_recorded_at) FROM %I.%I x WHERE x.ledger_seq > $1'
            ' AND NOT (x.ledger_seq <@ COALESCE((SELECT pg_catalog.range_agg(r)'
            ' FROM @extschema@.ledger_blocks b, pg_catalog.unnest(b.members) r'
            ' WHERE b.ledger = $2 AND b.max_seq > $1), ''{}''::pg_catalog.int8multirange))',
            l.nspname, l.relname) INTO n, oldest USING l.seal_floor, l.ledger_name;
        pending := pending + n;
        IF oldest IS NOT NULL AND (lag IS NULL OR pg_catalog.now() - oldest > lag) THEN
            lag := pg_catalog.now() - oldest;
        END IF;
    END LOOP;
    -- blocks sealed by the install script carry 2000-01-01: not a seal run
    SELECT max(b.sealed_at) INTO last_seal FROM @extschema@.ledger_blocks b
     WHERE b.sealed_at > '2000-01-01 00:00:00+00'::timestamptz;
    IF NOT @extschema@._ledger_hooks_active() THEN
        missing := missing || pg_catalog.to_jsonb(
            'ledger: the utility hook is not active, so DISABLE TRIGGER, rules and DROP of ledger tables are refused only by triggers and detected by trace.verify()'::text);
    END IF;
    IF NOT @extschema@._preloaded() THEN
        missing := missing || pg_catalog.to_jsonb(
            'ledger: no background sealer runs; rows stay pending until trace.seal() is called'::text);
    ELSIF pg_catalog.current_setting('pgtrace.database', true) IS DISTINCT FROM pg_catalog.current_database() THEN
        missing := missing || pg_catalog.to_jsonb(pg_catalog.format(
            'ledger: the background sealer works in database %s (pgtrace.database), not in this one; rows here stay pending until trace.seal() is called',
            pg_catalog.current_setting('pgtrace.database', true)));
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'ledgers', (SELECT count(*) FROM @extschema@.ledger_tables),
        'pending_rows', pending,
        'seal_lag_seconds', COALESCE(EXTRACT(epoch FROM lag), 0),
        'last_sealed_at', last_seal,
        'hooks_active', @extschema@._ledger_hooks_active(),
        'bulk_batched', @extschema@._ledger_bulk_batched(),
        'background_sealer', @extschema@._preloaded()
            AND pg_catalog.current_setting('pgtrace.database', true) = pg_catalog.current_database(),
        'missing_guarantees', missing);
END
$fn$;

REVOKE ALL ON TABLE @extschema@.ledger_tables, @extschema@.ledger_blocks,
    @extschema@.ledger_tombstones FROM PUBLIC;
GRANT SELECT ON TABLE @extschema@.ledger_tables, @extschema@.ledger_blocks,
    @extschema@.ledger_tombstones TO trace_admin, trace_regulator;
REVOKE ALL ON FUNCTION @extschema@._ledger_rehash(pg_catalog.regclass, bigint, text, text),
    @extschema@._ledger_verify(pg_catalog.regclass), @extschema@._ledger_seal(pg_catalog.regclass),
    @extschema@._ledger_hooks_active(), @extschema@._ledger_bulk_batched(), @extschema@._status_ledger(),
    @extschema@.ledger_enable(pg_catalog.regclass, text, interval),
    @extschema@.seal(pg_catalog.regclass), @extschema@.verify(),
    @extschema@.ledger_verify(pg_catalog.regclass),
    @extschema@.ledger_rehash(pg_catalog.regclass, bigint),
    @extschema@._ledger_is_registered(pg_catalog.regclass),
    @extschema@._ledger_register(pg_catalog.regclass, text, text, interval),
    @extschema@._ledger_proof(pg_catalog.regclass, bigint, bigint), @extschema@._ledger_state(),
    @extschema@.checkpoint(), @extschema@.verify(text),
    @extschema@.proof(pg_catalog.regclass, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.checkpoint() TO trace_admin, trace_regulator;
REVOKE ALL ON FUNCTION @extschema@._ledger_purge(pg_catalog.regclass, date),
    @extschema@.purge(date, pg_catalog.regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.purge(date, pg_catalog.regclass) TO trace_admin;
GRANT EXECUTE ON FUNCTION @extschema@.verify(text),
    @extschema@.proof(pg_catalog.regclass, bigint, text) TO trace_admin, trace_regulator;
GRANT EXECUTE ON FUNCTION @extschema@._ledger_is_registered(pg_catalog.regclass),
    @extschema@._ledger_register(pg_catalog.regclass, text, text, interval) TO trace_admin;
GRANT EXECUTE ON FUNCTION @extschema@.ledger_enable(pg_catalog.regclass, text, interval)
    TO trace_admin;
-- called by ledger_enable (with the caller's rights) for rows the table holds
REVOKE ALL ON FUNCTION @extschema@._ledger_backfill_hash(pg_catalog.regclass, text, text, record, bigint,
    text, timestamptz, text, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@._ledger_backfill_hash(pg_catalog.regclass, text, text, record, bigint,
    text, timestamptz, text, date) TO trace_admin;
GRANT EXECUTE ON FUNCTION @extschema@.seal(pg_catalog.regclass) TO trace_admin, trace_operator;
GRANT EXECUTE ON FUNCTION @extschema@.verify(), @extschema@.ledger_verify(pg_catalog.regclass),
    @extschema@.ledger_rehash(pg_catalog.regclass, bigint)
    TO trace_admin, trace_regulator;
