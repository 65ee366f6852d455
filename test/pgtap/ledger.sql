-- Ledger: append-only refusals for every role, the hook's refusals, the
-- canonical row hash (known answers, independence from session settings),
-- sealing and verification. Needs pgtrace in shared_preload_libraries.
BEGIN;
SELECT plan(145);

CREATE ROLE ledger_test_owner NOLOGIN;
GRANT trace_admin TO ledger_test_owner;
GRANT CREATE ON SCHEMA public TO ledger_test_owner;

SELECT ok(trace._ledger_hooks_active(), 'the ledger utility hook is active (preloaded)');
SELECT is(trace.status() -> 'ledger' -> 'bulk_batched', 'true'::jsonb,
          'with pgtrace first in shared_preload_libraries, status says bulk loads are batched');

-- ---------------------------------------------------------------- enable
SET ROLE ledger_test_owner;
CREATE TABLE public.ledger_t (id int PRIMARY KEY, note text);
SELECT lives_ok($$SELECT trace.ledger_enable('public.ledger_t')$$, 'owner puts an empty table under the ledger');
SELECT has_column('public', 'ledger_t', 'ledger_seq', 'ledger_seq added');
SELECT has_column('public', 'ledger_t', 'ledger_hash', 'ledger_hash added');
SELECT has_column('public', 'ledger_t', 'ledger_recorded_by', 'ledger_recorded_by added');
SELECT is((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'public.ledger_t'::regclass
           AND tgname = 'pgtrace_ledger_insert'), 'A', 'insert trigger is ENABLE ALWAYS');
SELECT is((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'public.ledger_t'::regclass
           AND tgname = 'pgtrace_ledger_refuse'), 'A', 'refusal trigger is ENABLE ALWAYS');
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_t')$$, '42710', NULL,
                 'enabling twice is refused');
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_t', 'md5')$$, '22023', NULL,
                 'unknown hash algorithm refused');
-- a table that already holds rows: numbered in primary-key order, hashed
-- and sealed by ledger_enable itself, in its transaction
CREATE TABLE public.ledger_full (id int PRIMARY KEY, note text, amount numeric);
INSERT INTO public.ledger_full VALUES (3, 'three', 3.30), (1, 'one', NULL), (2, 'two', 2);
CREATE TABLE public.ledger_full_upd (id int);
INSERT INTO public.ledger_full_upd VALUES (1);
CREATE TRIGGER audit_upd BEFORE UPDATE ON public.ledger_full_upd FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_full_upd')$$, '55000',
                 'trigger "audit_upd" on table public.ledger_full_upd would fire while its existing rows are put under the ledger',
                 'a table with rows and an UPDATE trigger is refused');
SELECT hasnt_column('public', 'ledger_full_upd', 'ledger_seq', 'and nothing of the refused enable is left behind');
SELECT lives_ok($$SELECT trace.ledger_enable('public.ledger_full', 'sha256', '1 year')$$,
                'a table that already holds rows is put under the ledger');
SELECT is((SELECT array_agg(id ORDER BY ledger_seq) FROM public.ledger_full), '{1,2,3}'::int[],
          'existing rows are numbered 1..n in primary-key order');
SELECT is((SELECT array_agg(DISTINCT ledger_method || ' ' || ledger_recorded_by || ' ' || (ledger_recorded_at = now())::text)
             FROM public.ledger_full), ARRAY['ledger_enable ' || session_user || ' true'],
          'existing rows record how (ledger_enable), who (the enabling session user) and when (the enable)');
SELECT is(trace.ledger_verify('public.ledger_full') - 'problems' - 'truncated',
          '{"ok": true, "rows": 3, "blocks": 1, "pending": 0, "purged": 0, "ledgers": 1}'::jsonb,
          'existing rows are sealed by ledger_enable and verify clean');
INSERT INTO public.ledger_full (id, note) VALUES (0, 'zero');
SELECT is((SELECT ledger_seq FROM public.ledger_full WHERE id = 0), 4::bigint,
          'a row added later takes the next seq after the existing rows');
SELECT is((SELECT count(DISTINCT ledger_retain_until) FROM public.ledger_full), 1::bigint,
          'existing and new rows of one transaction get the same retain-until');
SELECT is(trace.seal('public.ledger_full'), 1::bigint, 'the new row is sealed into the next block');
SELECT is((SELECT prev_hash FROM trace.ledger_blocks WHERE ledger = 'public.ledger_full' AND block_no = 2),
          (SELECT block_hash FROM trace.ledger_blocks WHERE ledger = 'public.ledger_full' AND block_no = 1),
          'and that block chains after the block of the existing rows');
SELECT is(trace.ledger_verify('public.ledger_full') -> 'rows', '4'::jsonb, 'verify counts existing and new rows');
CREATE TABLE public.ledger_clash (ledger_hash int);
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_clash')$$, '42701', NULL,
                 'a column named like a ledger column is refused');
CREATE TABLE public.ledger_late_trigger (id int);
CREATE FUNCTION public.ledger_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.id := NEW.id + 1; RETURN NEW; END $$;
CREATE TRIGGER zz_bump BEFORE INSERT ON public.ledger_late_trigger FOR EACH ROW EXECUTE FUNCTION public.ledger_bump();
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_late_trigger')$$, '55000',
                 'trigger "zz_bump" on table public.ledger_late_trigger would change rows after the ledger hashed them',
                 'a BEFORE INSERT row trigger that would fire after the ledger''s is refused');
CREATE VIEW public.ledger_v AS SELECT 1 AS x;
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_v')$$, '42809', NULL,
                 'a view is refused');
RESET ROLE;
CREATE TABLE public.ledger_not_mine (id int);
SET ROLE ledger_test_owner;
SELECT throws_ok($$SELECT trace.ledger_enable('public.ledger_not_mine')$$, '42501', NULL,
                 'only the owner may enable');

-- ---------------------------------------------------------------- insert
INSERT INTO public.ledger_t (id, note) VALUES (1, 'one'), (2, 'two');
COPY public.ledger_t (id, note) FROM STDIN;
3	three
\.
-- the batched paths take seq numbers in blocks (1, 2, 4, ...) and may skip
-- the rest of a block: the two-row VALUES takes 1, then 2 and 3, uses 1 and 2
SELECT is((SELECT array_agg(ledger_seq ORDER BY id) FROM public.ledger_t), ARRAY[1,2,4]::bigint[],
          'seqs are assigned in insert order, COPY included (a multi-row statement may skip the rest of its block)');
SELECT is((SELECT count(*) FROM public.ledger_t WHERE ledger_recorded_by = session_user
           AND octet_length(ledger_hash) = 32), 3::bigint, 'who and the hash are recorded for every row');
SELECT is((SELECT ledger_hash FROM public.ledger_t WHERE id = 2), trace.ledger_rehash('public.ledger_t', 2),
          'stored hash equals the recomputed one');
SELECT throws_ok($$INSERT INTO public.ledger_t (id, note, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at)
                   VALUES (9, 'forged', 9, '\x00', 'x', '2024-01-01')$$, '42501', NULL,
                 'the owner may not insert a row carrying its own hash');

-- ---------------------------------------------------------------- refusals as owner
SELECT throws_ok($$UPDATE public.ledger_t SET note = 'x' WHERE id = 1$$, '42501',
                 'UPDATE on ledger table "ledger_t" is not allowed', 'owner: UPDATE refused');
SELECT throws_ok($$UPDATE public.ledger_t SET note = 'x' WHERE false$$, '42501', NULL,
                 'owner: even an UPDATE matching no row is refused');
SELECT throws_ok($$DELETE FROM public.ledger_t$$, '42501',
                 'DELETE on ledger table "ledger_t" is not allowed', 'owner: DELETE refused');
SELECT throws_ok($$TRUNCATE public.ledger_t$$, '42501', NULL, 'owner: TRUNCATE refused');
SELECT throws_ok($$MERGE INTO public.ledger_t t USING (SELECT 1 AS id) s ON t.id = s.id
                   WHEN MATCHED THEN UPDATE SET note = 'm'$$, '42501', NULL, 'owner: MERGE UPDATE refused');
SELECT throws_ok($$MERGE INTO public.ledger_t t USING (SELECT 1 AS id) s ON t.id = s.id
                   WHEN MATCHED THEN DELETE$$, '42501', NULL, 'owner: MERGE DELETE refused');
SELECT throws_ok($$INSERT INTO public.ledger_t (id, note) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET note = 'y'$$,
                 '42501', NULL, 'owner: upsert refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t DISABLE TRIGGER pgtrace_ledger_refuse$$, '42501', NULL,
                 'owner: DISABLE TRIGGER refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t DISABLE TRIGGER ALL$$, '42501', NULL,
                 'owner: DISABLE TRIGGER ALL refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t ENABLE REPLICA TRIGGER pgtrace_ledger_insert$$, '42501', NULL,
                 'owner: ENABLE REPLICA TRIGGER refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t ENABLE TRIGGER pgtrace_ledger_insert$$, '42501', NULL,
                 'owner: ENABLE (origin) TRIGGER refused');
SELECT throws_ok($$DROP TRIGGER pgtrace_ledger_insert ON public.ledger_t$$, '42501', NULL,
                 'owner: DROP TRIGGER refused');
SELECT throws_ok($$ALTER TRIGGER pgtrace_ledger_refuse ON public.ledger_t RENAME TO x$$, '42501', NULL,
                 'owner: renaming a ledger trigger refused');
SELECT throws_ok($$CREATE RULE ledger_r AS ON INSERT TO public.ledger_t DO INSTEAD NOTHING$$, '42501', NULL,
                 'owner: CREATE RULE refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t ALTER COLUMN note TYPE varchar(10)$$, '42501', NULL,
                 'owner: ALTER COLUMN TYPE refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t ADD COLUMN extra int$$, '42501', NULL,
                 'owner: ADD COLUMN refused while rows exist');
SELECT throws_ok($$ALTER TABLE public.ledger_t DROP COLUMN note$$, '42501', NULL,
                 'owner: DROP COLUMN refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t SET UNLOGGED$$, '42501', NULL,
                 'owner: SET UNLOGGED refused');
SELECT throws_ok($$ALTER TABLE public.ledger_t RENAME COLUMN ledger_hash TO h$$, '42501', NULL,
                 'owner: renaming a ledger column refused');
SELECT throws_ok($$CREATE TRIGGER late BEFORE INSERT ON public.ledger_t FOR EACH ROW
                   EXECUTE FUNCTION suppress_redundant_updates_trigger()$$, '42501', NULL,
                 'owner: another BEFORE ROW trigger refused');
SELECT throws_ok($$DROP TABLE public.ledger_t$$, '42501', NULL, 'owner: DROP TABLE refused');

-- ---------------------------------------------------------------- refusals as superuser, replica role
RESET ROLE;
SET session_replication_role = replica;
SELECT throws_ok($$UPDATE public.ledger_t SET note = 'x'$$, '42501', NULL,
                 'superuser with replica role: UPDATE refused');
SELECT throws_ok($$DELETE FROM public.ledger_t$$, '42501', NULL,
                 'superuser with replica role: DELETE refused');
SELECT throws_ok($$TRUNCATE public.ledger_t$$, '42501', NULL,
                 'superuser with replica role: TRUNCATE refused');
INSERT INTO public.ledger_t (id, note) VALUES (4, 'replica');
SELECT is((SELECT ledger_hash FROM public.ledger_t WHERE id = 4),
          trace.ledger_rehash('public.ledger_t', (SELECT ledger_seq FROM public.ledger_t WHERE id = 4)),
          'superuser with replica role: the insert trigger still hashes');
RESET session_replication_role;
SELECT throws_ok($$ALTER TABLE public.ledger_t DISABLE TRIGGER USER$$, '42501', NULL,
                 'superuser: DISABLE TRIGGER USER refused');
SELECT throws_ok($$DROP TABLE public.ledger_t CASCADE$$, '42501', NULL, 'superuser: DROP TABLE refused');
SELECT throws_ok($$DROP EXTENSION pgtrace CASCADE$$, '42501', NULL, 'superuser: DROP EXTENSION refused');
SELECT throws_ok($$UPDATE trace.ledger_blocks SET row_count = 0$$, '42501', NULL,
                 'superuser: the block table is append-only too');

-- ---------------------------------------------------------------- known answers
-- Every type family of the encoding; digests from an independent reference
-- implementation of docs/ledger.md, under deliberately unusual settings.
CREATE TABLE public.kat (a int2, b int4, c int8, d float4, e float8, f numeric, g text, h bytea,
                         i bool, j date, k timestamp, l timestamptz, m jsonb, n uuid, o int4[], p text);
SELECT trace.ledger_enable('public.kat');
CREATE TABLE public.kat_sm3 (a int2, b int4, c int8, d float4, e float8, f numeric, g text, h bytea,
                         i bool, j date, k timestamp, l timestamptz, m jsonb, n uuid, o int4[], p text);
SELECT trace.ledger_enable('public.kat_sm3', 'sm3');
SET LOCAL timezone = 'Asia/Shanghai';
SET LOCAL datestyle = 'SQL, DMY';
SET LOCAL extra_float_digits = -3;
SELECT lives_ok($$INSERT INTO public.kat VALUES (-3, 7, -2, 1.5, -0.1, 1.50, 'héllo', '\x00ff', true,
    '29/02/2024', '29/02/2024 12:34:56.789', '2024-02-29 12:34:56.789+08', '{"b":[1,2],"a":null}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{1,2},{3,NULL}}', NULL,
    1, '\x0f1f121ff295b26682b2e3867ed3801651a0f14589f7f2a8a17bad58471388d6', 'kat',
    '2024-01-01 08:00:00+08', 'test', NULL, NULL, NULL)$$,
    'sha256 known-answer row accepted (hash recomputed equal)');
SET LOCAL timezone = 'America/St_Johns';
SET LOCAL datestyle = 'German';
SET LOCAL extra_float_digits = 3;
SELECT is(encode(trace.ledger_rehash('public.kat', 1), 'hex'),
          '0f1f121ff295b26682b2e3867ed3801651a0f14589f7f2a8a17bad58471388d6',
          'row hash does not move with TimeZone, DateStyle, extra_float_digits');
SELECT lives_ok($$INSERT INTO public.kat_sm3 VALUES (-3, 7, -2, 1.5, -0.1, 1.50, 'héllo', '\x00ff', true,
    '29.02.2024', '29.02.2024 12:34:56.789', '2024-02-29 12:34:56.789+08', '{"a":null, "b":[1,2]}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{1,2},{3,NULL}}', NULL,
    1, '\x399d2617a2cec88a5c68c002f4fdfc2af325c6e5c476f02cdc58bc1935017013', 'kat',
    '2024-01-01 00:00:00+00', 'test', NULL, NULL, NULL)$$,
    'sm3 known-answer row accepted (other ledger name, other settings, other key order)');
SELECT throws_ok($$INSERT INTO public.kat VALUES (-3, 7, -2, 1.5, -0.1, 1.50, 'héllo', '\x00ff', true,
    '29.02.2024', '29.02.2024 12:34:56.789', '2024-02-29 12:34:56.789+08', '{"a":null, "b":[1,2]}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{1,2},{3,NULL}}', NULL,
    2, '\x0f1f121ff295b26682b2e3867ed3801651a0f14589f7f2a8a17bad58471388d6', 'kat',
    '2024-01-01 00:00:00+00', 'test', NULL, NULL, NULL)$$, '23000', NULL,
    'the seq is inside the hash: the same values at seq 2 need another hash');
SELECT lives_ok($$INSERT INTO public.kat VALUES (-3, 7, -2, 1.5, -0.1, 1.50, 'héllo', '\x00ff', true,
    '29.02.2024', '29.02.2024 12:34:56.789', '2024-02-29 12:34:56.789+08', '{"a":null, "b":[1,2]}',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{1,2},{3,NULL}}', NULL,
    2, '\x3682bb1109cb296c65fb9c7d596e5a0fb490478c6cc8b55fe5c7053b7179fe7c', 'kat',
    '2024-01-01 00:00:00+00', 'test', NULL, NULL, NULL)$$,
    'known answer at seq 2 accepted');
RESET timezone;
RESET datestyle;
RESET extra_float_digits;

-- the known-answer rows were recorded in 2024 and are still unsealed
SELECT is((SELECT string_agg((p ->> 'kind') || ':' || (p ->> 'seq'), ' ' ORDER BY p ->> 'seq')
             FROM jsonb_array_elements(trace.ledger_verify('public.kat') -> 'problems') p),
          'pending_too_long:1 pending_too_long:2',
          'rows committed but unsealed past pgtrace.seal_pending_limit are reported');
SET LOCAL pgtrace.seal_pending_limit = 0;
SELECT is(trace.ledger_verify('public.kat') - 'problems' - 'truncated',
          '{"ok": true, "rows": 0, "blocks": 0, "pending": 2, "purged": 0, "ledgers": 1}'::jsonb,
          'with the limit off they are pending: not problems, not valid rows');
RESET pgtrace.seal_pending_limit;

-- ---------------------------------------------------------------- seal & verify
SELECT is(trace.seal('public.ledger_t'), 4::bigint, 'seal seals the 4 committed rows');
SELECT is(trace.seal('public.ledger_t'), 0::bigint, 'a second seal finds nothing new');
SELECT is((SELECT members::text FROM trace.ledger_blocks WHERE ledger = 'public.ledger_t'),
          '{[1,3),[4,6)}', 'the block holds the four rows'' seqs 1, 2, 4, 5 (3 was reserved and not used)');
SELECT is(trace.ledger_verify('public.ledger_t') -> 'ok', 'true'::jsonb, 'verify is clean');
SELECT is(trace.ledger_verify('public.ledger_t') -> 'rows', '4'::jsonb, 'verify counts 4 rows');
INSERT INTO public.ledger_t (id, note) VALUES (5, 'five');
SELECT is(trace.ledger_verify('public.ledger_t') -> 'pending', '1'::jsonb,
          'an unsealed row is reported pending, not valid');
SELECT is(trace.ledger_verify('public.ledger_t') -> 'rows', '4'::jsonb, 'pending rows are not counted valid');
SELECT is(trace.seal(), 4::bigint, 'seal of all ledgers seals the new row and the 3 known-answer rows');
SELECT is((SELECT prev_hash FROM trace.ledger_blocks WHERE ledger = 'public.ledger_t' AND block_no = 2),
          (SELECT block_hash FROM trace.ledger_blocks WHERE ledger = 'public.ledger_t' AND block_no = 1),
          'block 2 links to block 1');
SELECT is(trace.ledger_verify('public.ledger_t') -> 'ok', 'true'::jsonb, 'verify is clean after two blocks');

-- jsonb is hashed as jsonb_out's text, written by the ledger's own
-- container walker: the encoding of every document must hold exactly that text
CREATE TABLE public.ledger_json (j jsonb);
SELECT trace.ledger_enable('public.ledger_json');
INSERT INTO public.ledger_json (j) VALUES ('{}'), ('[]'), ('"s"'), ('1.50'), ('-0.0'), ('1e100'),
    ('true'), ('false'), ('null'), ('[[[]], {}]'),
    ('{"a": null, "b": [1, 2.5, "x", true, false, null, {}, []], "c": {"d": {"e": "f"}}, "aa": -7}'),
    (to_jsonb(E'\x01\x1f\b\f\n\r\t"\\ é 中 /'::text)),
    (jsonb_build_object(E'k"e\\y\n', E'v\x02', '', '')),
    ((SELECT jsonb_object_agg('k' || g, CASE g % 4 WHEN 0 THEN to_jsonb(g * 1.25) WHEN 1 THEN to_jsonb(repeat('s', g))
                                                   WHEN 2 THEN jsonb_build_array(g, 'x', NULL, jsonb_build_object('n', g))
                                                   ELSE 'null'::jsonb END)
        FROM generate_series(1, 70) g)),
    ((SELECT jsonb_agg(CASE WHEN g % 3 = 0 THEN to_jsonb(g) ELSE to_jsonb('e' || g) END) FROM generate_series(1, 100) g)),
    -- integers around every base-10000 digit boundary (the encoder writes
    -- integral numbers below 10^16 itself), and numbers it leaves to numeric_out
    ('[0, 1, -1, 9, 10, 99, 100, 9999, 10000, 10001, -10000, 12345, 99990000, 100000000, 100000001,
       123456789012, 1000000000000, 1234567890123456, 9999999999999999, -9999999999999999,
       10000000000000000, 12345678901234567, -9223372036854775808, 1.0, 10.00, 1e4, 1e15, 1e16, -0, 0.0001,
       100000000000000000000000000000000000000000000000000000000000000000000000000000000]'),
    -- a document stored out of line (TOAST): its pointer has a one-byte header too
    ((SELECT jsonb_build_object('k', string_agg(md5(i::text), '')) FROM generate_series(1, 300) i));
SELECT ok((SELECT (pg_catalog.xpath('/row/c/text()', pg_catalog.query_to_xml(
                 pg_catalog.format('SELECT count(*) AS c FROM %s', c.reltoastrelid::regclass), false, true, '')))[1]::text::int > 0
            FROM pg_catalog.pg_class c WHERE c.oid = 'public.ledger_json'::regclass),
          'the large document is stored out of line (the TOAST table holds its chunks)');
SELECT is(trace.seal('public.ledger_json'), 17::bigint, 'the jsonb documents are sealed');
SELECT is((SELECT count(*) FROM public.ledger_json
            WHERE position('0d' || lpad(to_hex(octet_length(convert_to(j::text, 'UTF8'))), 8, '0')
                           || encode(convert_to(j::text, 'UTF8'), 'hex')
                           IN trace.proof('public.ledger_json', ledger_seq) ->> 'row_encoding') = 0),
          0::bigint, 'each jsonb document is encoded as its jsonb_out text (tag 0D, length, bytes)');
-- numeric columns: numeric_out's text (tag 07), integers included
CREATE TABLE public.ledger_num (x numeric);
SELECT trace.ledger_enable('public.ledger_num');
INSERT INTO public.ledger_num (x)
SELECT v::numeric FROM pg_catalog.unnest('{0,1,-1,9999,10000,10001,-10000,99990000,100000000,100000001,1234567890123456,
    9999999999999999,-9999999999999999,10000000000000000,1.0,10.00,1e4,1e16,0.0001,NaN,Infinity,-Infinity,
    123456789012345678901234567890.5}'::text[]) v;
SELECT is(trace.seal('public.ledger_num'), 23::bigint, 'the numeric rows are sealed');
SELECT is((SELECT count(*) FROM public.ledger_num
            WHERE position('07' || lpad(to_hex(octet_length(x::text)), 8, '0') || encode(convert_to(x::text, 'UTF8'), 'hex')
                           IN trace.proof('public.ledger_num', ledger_seq) ->> 'row_encoding') = 0),
          0::bigint, 'each numeric is encoded as its numeric_out text (tag 07, length, bytes)');

-- tampering with a row that existed before ledger_enable: a superuser
-- switches the refusal trigger off in the catalog (the pg_class touch makes
-- this session see it), rewrites the row, and switches it back on
RESET ROLE;
UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid = 'public.ledger_full'::regclass AND tgname = 'pgtrace_ledger_refuse';
UPDATE pg_class SET relhastriggers = relhastriggers WHERE oid = 'public.ledger_full'::regclass;
UPDATE public.ledger_full SET amount = 20 WHERE id = 2;
UPDATE pg_trigger SET tgenabled = 'A' WHERE tgrelid = 'public.ledger_full'::regclass AND tgname = 'pgtrace_ledger_refuse';
UPDATE pg_class SET relhastriggers = relhastriggers WHERE oid = 'public.ledger_full'::regclass;
SELECT is((SELECT string_agg((p ->> 'kind') || ':' || (p ->> 'seq'), ' ')
             FROM jsonb_array_elements(trace.ledger_verify('public.ledger_full') -> 'problems') p),
          'changed:2', 'a pre-existing row changed after enable is reported');

-- verification reads a table whose rows lie in seq order with one
-- sequential scan, and through the index when they do not: same answers
CREATE TABLE public.ledger_order (id int, note text);
SELECT trace.ledger_enable('public.ledger_order');
INSERT INTO public.ledger_order SELECT g, 'n' || g FROM generate_series(1, 40) g;
SELECT trace.seal('public.ledger_order');
INSERT INTO public.ledger_order SELECT g, 'p' || g FROM generate_series(41, 45) g;
UPDATE pg_trigger SET tgenabled = 'D' WHERE tgrelid = 'public.ledger_order'::regclass AND tgname = 'pgtrace_ledger_refuse';
UPDATE pg_class SET relhastriggers = relhastriggers WHERE oid = 'public.ledger_order'::regclass;
DELETE FROM public.ledger_order WHERE id IN (7, 42);
UPDATE pg_trigger SET tgenabled = 'A' WHERE tgrelid = 'public.ledger_order'::regclass AND tgname = 'pgtrace_ledger_refuse';
UPDATE pg_class SET relhastriggers = relhastriggers WHERE oid = 'public.ledger_order'::regclass;
CREATE TEMP TABLE ledger_order_result AS SELECT trace.ledger_verify('public.ledger_order') AS v;
SELECT is((SELECT v - 'problems' FROM ledger_order_result),
          '{"ok": false, "rows": 39, "blocks": 1, "pending": 4, "purged": 0, "ledgers": 1, "truncated": false}'::jsonb,
          'rows in seq order: sealed rows valid, unsealed ones pending');
SELECT is((SELECT string_agg((p ->> 'kind') || ':' || (p ->> 'seq') || ':' || (p ->> 'block'), ' ')
             FROM ledger_order_result, jsonb_array_elements(v -> 'problems') p),
          'missing:7:1', 'and the sealed row deleted behind the ledger''s back is missing');
CREATE INDEX ledger_order_desc ON public.ledger_order (ledger_seq DESC);
CLUSTER public.ledger_order USING ledger_order_desc;
SELECT is(trace.ledger_verify('public.ledger_order'), (SELECT v FROM ledger_order_result),
          'rows stored in reverse seq order: the same answer, read through the index');

-- COPY FROM: a ledger table whose only triggers are the ledger's is loaded
-- in batches without calling the trigger; rows come out as the trigger
-- would have made them
SET track_functions = 'all';
CREATE TABLE public.ledger_copy (id int PRIMARY KEY, note text CHECK (note <> 'bad'), doc jsonb);
SELECT trace.ledger_enable('public.ledger_copy', 'sha256', '7 days');
COPY public.ledger_copy (id, note, doc) FROM STDIN;
1	one	{"b": 2, "a": [1, 2.50]}
2	\N	\N
3	three	"x"
\.
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), NULL,
          'COPY into a ledger table does not call the insert trigger row by row');
SELECT is((SELECT array_agg(ledger_seq ORDER BY id) FROM public.ledger_copy), '{1,2,3}'::bigint[],
          'COPY assigns seqs in input order');
-- rows of tbl completed as the insert trigger completes them (7 days' retention)
CREATE FUNCTION pg_temp.rows_as_trigger_makes(tbl regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format($q$SELECT count(*) FROM %s
                      WHERE ledger_hash = trace.ledger_rehash(%L, ledger_seq)
                        AND ledger_recorded_by = session_user AND ledger_recorded_at = now()
                        AND ledger_retain_until = ((now() AT TIME ZONE 'UTC') + interval '7 days')::date$q$,
                   tbl, tbl) INTO n;
    RETURN n;
END $$;
SELECT is(pg_temp.rows_as_trigger_makes('public.ledger_copy'), 3::bigint,
          'COPY fills who, when, retain-until and the hash as the trigger does');
SELECT throws_ok($$COPY public.ledger_copy (id, note) FROM PROGRAM 'printf "4\tbad\n"'$$, '23514', NULL,
                 'COPY checks the table''s constraints');
SELECT throws_ok($$COPY public.ledger_copy (id, note) FROM PROGRAM 'printf "1\tagain\n"'$$, '23505', NULL,
                 'COPY checks unique indexes');
SELECT throws_ok($$COPY public.ledger_copy (id, note, ledger_seq, ledger_hash) FROM PROGRAM 'printf "9\tforged\t9\tnot-the-hash\n"'$$,
                 '23000', NULL, 'COPY refuses a row carrying a hash that does not match');
CREATE TABLE public.ledger_copy_log (id int);
CREATE FUNCTION public.ledger_copy_log() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO public.ledger_copy_log VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER log_after AFTER INSERT ON public.ledger_copy FOR EACH ROW EXECUTE FUNCTION public.ledger_copy_log();
COPY public.ledger_copy (id, note) FROM STDIN;
5	five
\.
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), NULL,
          'with an AFTER ROW trigger on the table, COPY is still batched');
SELECT is((SELECT array_agg(id) FROM public.ledger_copy_log), '{5}'::int[], 'and that trigger fires for each row');
SELECT is(trace.seal('public.ledger_copy'), 4::bigint, 'copied rows are sealed');
SELECT is(trace.ledger_verify('public.ledger_copy') -> 'ok', 'true'::jsonb, 'and verify clean');
-- the guard's lookups answer for every user: a role with no trace
-- privileges copies into, alters and truncates its own plain table
CREATE ROLE pgtrace_plain_owner;
CREATE TABLE public.plain_owned (a int);
ALTER TABLE public.plain_owned OWNER TO pgtrace_plain_owner;
SET LOCAL ROLE pgtrace_plain_owner;
COPY public.plain_owned FROM STDIN;
1
\.
SELECT is((SELECT count(*) FROM public.plain_owned), 1::bigint, 'a role without trace privileges may COPY into its own table');
SELECT lives_ok($$ALTER TABLE public.plain_owned ADD COLUMN b int$$, 'and ALTER it');
SELECT lives_ok($$TRUNCATE public.plain_owned$$, 'and TRUNCATE it');
RESET ROLE;
-- an error while a batch is stored names the line of the row it is about
CREATE FUNCTION pg_temp.copy_error_context(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE c text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN unique_violation THEN
    GET STACKED DIAGNOSTICS c = PG_EXCEPTION_CONTEXT;
    RETURN substring(c FROM 'COPY ledger_copy, line [0-9]+');
END $$;
SELECT is(pg_temp.copy_error_context($$COPY public.ledger_copy (id, note) FROM PROGRAM 'printf "100\tx\n1\ty\n101\tz\n"'$$),
          'COPY ledger_copy, line 2', 'a unique violation found while storing a batch names its own line');
-- a volatile default of a column COPY does not fill may read the table: row
-- by row, it sees every earlier row
CREATE TABLE public.ledger_copy_vol (id int, n bigint);
CREATE FUNCTION public.ledger_copy_vol_count() RETURNS bigint LANGUAGE sql VOLATILE AS
    $$ SELECT count(*) FROM public.ledger_copy_vol $$;
ALTER TABLE public.ledger_copy_vol ALTER COLUMN n SET DEFAULT public.ledger_copy_vol_count();
SELECT trace.ledger_enable('public.ledger_copy_vol');
COPY public.ledger_copy_vol (id) FROM STDIN;
1
2
3
\.
SELECT is((SELECT array_agg(n ORDER BY id) FROM public.ledger_copy_vol), '{0,1,2}'::bigint[],
          'a volatile default in COPY sees each earlier row, as PostgreSQL''s COPY shows it');
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 3::bigint,
          'such a COPY goes row by row through the trigger');

-- INSERT ... SELECT (and multi-row VALUES): stored in batches like COPY,
-- without calling the trigger, rows exactly as the trigger makes them; the
-- table has a dropped column in the middle
CREATE TABLE public.ledger_ins (id int PRIMARY KEY, gone int, note text CHECK (note <> 'bad'), doc jsonb);
ALTER TABLE public.ledger_ins DROP COLUMN gone;
SELECT trace.ledger_enable('public.ledger_ins', 'sha256', '7 days');
INSERT INTO public.ledger_ins (id, note, doc)
    SELECT g, 'n' || g, jsonb_build_object('g', g, 'half', g / 2.0) FROM generate_series(1, 2500) g ORDER BY g DESC;
INSERT INTO public.ledger_ins (id, note) VALUES (3001, 'a'), (3002, NULL);
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 3::bigint,
          'INSERT ... SELECT and multi-row VALUES into a ledger table do not call the insert trigger');
SELECT is((SELECT count(*) FROM public.ledger_ins WHERE id <= 2500 AND ledger_seq = 2501 - id), 2500::bigint,
          'INSERT ... SELECT assigns seqs in the order the SELECT returns rows');
SELECT is(pg_temp.rows_as_trigger_makes('public.ledger_ins'), 2502::bigint,
          'INSERT ... SELECT fills who, when, retain-until and the hash as the trigger does');
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SELECT is((SELECT count(*) FROM public.ledger_ins WHERE ledger_seq >= 1), 2502::bigint,
          'every batched row is in the ledger_seq index');
SELECT is((SELECT count(*) FROM public.ledger_ins WHERE id BETWEEN 1 AND 3002), 2502::bigint,
          'and in the table''s own primary key');
RESET enable_seqscan;
RESET enable_bitmapscan;

INSERT INTO public.ledger_ins (id, note) SELECT id + 10000, note FROM public.ledger_ins WHERE id <= 100;
SELECT is((SELECT count(*) FROM public.ledger_ins WHERE id > 10000), 100::bigint,
          'INSERT INTO t SELECT FROM t does not read its own new rows');
CREATE FUNCTION pg_temp.ledger_ins_count() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    INSERT INTO public.ledger_ins (id, note) SELECT g, 'f' FROM generate_series(20001, 20050) g;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
SELECT is(pg_temp.ledger_ins_count(), 50::bigint, 'inside PL/pgSQL the row count is right');
SELECT throws_ok($$INSERT INTO public.ledger_ins (id, note) SELECT g, CASE WHEN g = 30050 THEN 'bad' END FROM generate_series(30001, 30100) g$$,
                 '23514', NULL, 'INSERT ... SELECT checks the table''s constraints');
SELECT throws_ok($$INSERT INTO public.ledger_ins (id) SELECT g FROM generate_series(2400, 2600) g$$, '23505', NULL,
                 'INSERT ... SELECT checks unique indexes');
SELECT throws_ok($$INSERT INTO public.ledger_ins (id, ledger_seq, ledger_hash) SELECT 40000, 40000, '\x00'::bytea$$,
                 '23000', NULL, 'INSERT ... SELECT refuses a row carrying a hash that does not match');
SELECT is((SELECT count(*) FROM public.ledger_ins WHERE id > 30000), 0::bigint, 'refused statements leave no row');
CREATE FUNCTION pg_temp.ledger_ins_returning() RETURNS SETOF bool LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY INSERT INTO public.ledger_ins (id) SELECT g FROM generate_series(50001, 50003) g
        RETURNING ledger_seq IS NOT NULL AND ledger_hash IS NOT NULL;
END $$;
SELECT is((SELECT array_agg(r) FROM pg_temp.ledger_ins_returning() r), '{t,t,t}'::bool[],
          'INSERT ... SELECT ... RETURNING returns the completed rows');
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 6::bigint,
          'with RETURNING it goes row by row through the trigger');
SELECT lives_ok($$EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) INSERT INTO public.ledger_ins (id) SELECT g FROM generate_series(50004, 50005) g$$,
                'EXPLAIN ANALYZE INSERT ... SELECT works');
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 8::bigint,
          'and shows PostgreSQL''s own plan at work, through the trigger');
-- AFTER triggers (a foreign key, a row trigger, a statement trigger with a
-- transition table) and BEFORE STATEMENT triggers keep INSERT ... SELECT
-- batched, and fire as PostgreSQL fires them
INSERT INTO public.ledger_copy (id, note) SELECT g, 'x' FROM generate_series(6, 8) g;
SELECT is((SELECT array_agg(id ORDER BY id) FROM public.ledger_copy_log), '{5,6,7,8}'::int[],
          'an AFTER ROW trigger fires for each row of a batched INSERT ... SELECT');
CREATE TABLE public.ledger_parent (id int PRIMARY KEY);
INSERT INTO public.ledger_parent VALUES (1), (2);
CREATE TABLE public.ledger_fk (id int, parent int REFERENCES public.ledger_parent);
SELECT trace.ledger_enable('public.ledger_fk');
CREATE TABLE public.ledger_fk_log (what text, n bigint);
CREATE FUNCTION public.ledger_fk_before() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO public.ledger_fk_log VALUES ('before', NULL); RETURN NULL; END $$;
CREATE FUNCTION public.ledger_fk_after() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN
        INSERT INTO public.ledger_fk_log
            SELECT 'after', count(*) FROM new_rows WHERE ledger_hash IS NOT NULL AND ledger_seq IS NOT NULL;
        RETURN NULL;
    END $$;
CREATE TRIGGER ledger_fk_before BEFORE INSERT ON public.ledger_fk
    FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_fk_before();
CREATE TRIGGER ledger_fk_after AFTER INSERT ON public.ledger_fk REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_fk_after();
INSERT INTO public.ledger_fk SELECT g, 1 + g % 2 FROM generate_series(1, 1500) g;
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 8::bigint,
          'with a foreign key and statement triggers INSERT ... SELECT is still batched');
SELECT is((SELECT array_agg(what || ':' || coalesce(n::text, '-') ORDER BY what DESC) FROM public.ledger_fk_log),
          '{before:-,after:1500}'::text[],
          'the BEFORE STATEMENT trigger fires once, the AFTER STATEMENT one sees every completed row in its transition table');
SELECT throws_ok($$INSERT INTO public.ledger_fk SELECT g, CASE WHEN g = 1700 THEN 3 WHEN g = 1800 THEN 4 ELSE 1 END
                   FROM generate_series(1501, 2000) g$$,
                 '23503', 'insert or update on table "ledger_fk" violates foreign key constraint "ledger_fk_parent_fkey"',
                 'the foreign key of a batched INSERT is checked, with PostgreSQL''s error');
SELECT is((SELECT count(*) FROM public.ledger_fk), 1500::bigint, 'and the refused statement leaves no row');
CREATE FUNCTION pg_temp.fk_detail(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
    EXECUTE q;
    RETURN NULL;
EXCEPTION WHEN foreign_key_violation THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END $$;
SELECT is(pg_temp.fk_detail($$INSERT INTO public.ledger_fk SELECT g, CASE WHEN g = 1700 THEN 3 WHEN g = 1800 THEN 4 ELSE 1 END
                                FROM generate_series(1501, 2000) g$$),
          'Key (parent)=(3) is not present in table "ledger_parent".',
          'the error names the first missing key in row order');
SELECT is((SELECT count(*) FROM public.ledger_parent WHERE xmax = pg_current_xact_id()::xid), 2::bigint,
          'the referenced rows are locked (FOR KEY SHARE) by the inserting transaction');
CREATE TABLE public.ledger_fk_self (id int PRIMARY KEY, prev int REFERENCES public.ledger_fk_self);
SELECT trace.ledger_enable('public.ledger_fk_self');
SELECT lives_ok($$INSERT INTO public.ledger_fk_self SELECT g, NULLIF(g - 1, 0) FROM generate_series(1, 2500) g$$,
                'a row may reference a row the same batched statement inserted before it');
SELECT throws_ok($$INSERT INTO public.ledger_fk_self SELECT g, g + 1 FROM generate_series(2501, 2600) g$$,
                 '23503', 'insert or update on table "ledger_fk_self" violates foreign key constraint "ledger_fk_self_prev_fkey"',
                 'and a reference to a row that never comes is refused');
-- another AFTER ROW trigger (here one that adds the referenced row) runs
-- between rows in PostgreSQL: then the foreign key is checked row by row too
CREATE TABLE public.ledger_fk_auto (id int, parent int REFERENCES public.ledger_parent);
CREATE FUNCTION public.ledger_fk_autoparent() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN INSERT INTO public.ledger_parent VALUES (NEW.parent) ON CONFLICT DO NOTHING; RETURN NULL; END $$;
CREATE TRIGGER "A_autoparent" AFTER INSERT ON public.ledger_fk_auto FOR EACH ROW EXECUTE FUNCTION public.ledger_fk_autoparent();
SELECT trace.ledger_enable('public.ledger_fk_auto');
SELECT lives_ok($$INSERT INTO public.ledger_fk_auto SELECT g, 100 + g FROM generate_series(1, 3) g$$,
                'with another AFTER ROW trigger the foreign key is checked after it, as PostgreSQL does');
-- two foreign keys failing in different rows: the earlier row's is reported
CREATE TABLE public.ledger_fk2 (id int, fa int CONSTRAINT fa REFERENCES public.ledger_parent,
                                fb int CONSTRAINT fb REFERENCES public.ledger_parent);
SELECT trace.ledger_enable('public.ledger_fk2');
SELECT throws_ok($$INSERT INTO public.ledger_fk2 SELECT 1, 1, 999 UNION ALL SELECT 2, 999, 1$$,
                 '23503', 'insert or update on table "ledger_fk2" violates foreign key constraint "fb"',
                 'of two foreign keys failing in two rows, the one of the first row is reported');
-- a user who may not read the referencing table is not shown the key
CREATE ROLE pgtrace_fk_writer;
GRANT USAGE ON SCHEMA public TO pgtrace_fk_writer;
GRANT INSERT ON public.ledger_fk2 TO pgtrace_fk_writer;
SET LOCAL ROLE pgtrace_fk_writer;
SELECT is(pg_temp.fk_detail($$INSERT INTO public.ledger_fk2 (id, fa) SELECT g, 999 FROM generate_series(3, 4) g$$),
          'Key is not present in table "ledger_parent".', 'the key is hidden from a writer who may not read it');
RESET ROLE;
CREATE TABLE public.ledger_fk_late (id int, parent int REFERENCES public.ledger_parent DEFERRABLE INITIALLY DEFERRED);
SELECT trace.ledger_enable('public.ledger_fk_late');
SELECT lives_ok($$INSERT INTO public.ledger_fk_late SELECT g, 5 FROM generate_series(1, 3) g$$,
                'a deferred foreign key is not checked when the statement ends');
INSERT INTO public.ledger_parent VALUES (5);
SELECT lives_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'but when PostgreSQL checks it, the referenced row being there by then');
SET CONSTRAINTS ALL DEFERRED;
SELECT is(trace.seal('public.ledger_fk'), 1500::bigint, 'rows of the table with a foreign key are sealed');
SELECT is(trace.ledger_verify('public.ledger_fk') -> 'ok', 'true'::jsonb, 'and verify clean');
COPY public.ledger_fk (id, parent) FROM STDIN;
9001	2
9002	\N
\.
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 8::bigint,
          'COPY into the table with a foreign key and statement triggers is batched too');
SELECT is((SELECT array_agg(what || ':' || coalesce(n::text, '-') ORDER BY what DESC, n) FROM public.ledger_fk_log),
          '{before:-,before:-,after:2,after:1500}'::text[], 'and its statement triggers fire, the transition table complete');
SELECT throws_ok($$COPY public.ledger_fk (id, parent) FROM PROGRAM 'printf "9003\t1\n9004\t7\n"'$$,
                 '23503', 'insert or update on table "ledger_fk" violates foreign key constraint "ledger_fk_parent_fkey"',
                 'COPY checks the foreign key, with PostgreSQL''s error');
-- a volatile function in the SELECT may read the table: row by row, it sees
-- every earlier row of the statement (nextval() alone keeps the batches)
CREATE TABLE public.ledger_vol (id serial, n bigint);
SELECT trace.ledger_enable('public.ledger_vol');
CREATE FUNCTION pg_temp.ledger_vol_count() RETURNS bigint LANGUAGE sql VOLATILE AS
    $$ SELECT count(*) FROM public.ledger_vol $$;
INSERT INTO public.ledger_vol (n) SELECT pg_temp.ledger_vol_count() FROM generate_series(1, 3);
SELECT is((SELECT array_agg(n ORDER BY ledger_seq) FROM public.ledger_vol), '{0,1,2}'::bigint[],
          'a volatile function in INSERT ... SELECT sees each earlier row, as PostgreSQL''s executor shows it');
WITH c AS MATERIALIZED (SELECT pg_temp.ledger_vol_count() AS k)
INSERT INTO public.ledger_vol (n) SELECT c.k FROM c, generate_series(1, 2);
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 13::bigint,
          'those statements (the function in a WITH too) go row by row through the trigger');
INSERT INTO public.ledger_vol (n) SELECT g FROM generate_series(10, 12) g;
SELECT is(pg_stat_get_xact_function_calls('trace._ledger_insert_trigger'::regproc), 13::bigint,
          'a serial column''s nextval() default keeps INSERT ... SELECT batched');
SELECT is((SELECT array_agg(id ORDER BY ledger_seq) FROM public.ledger_vol), '{1,2,3,4,5,6,7,8}'::int[],
          'and takes its values in row order');
SELECT is(trace.seal('public.ledger_ins'), 2657::bigint, 'rows inserted by INSERT ... SELECT are sealed');
SELECT is(trace.ledger_verify('public.ledger_ins') -> 'ok', 'true'::jsonb, 'and verify clean');
RESET track_functions;

-- seq numbers in blocks on the batched paths (ledger_seqblock.c): increasing
-- in insert order, the unused rest of the last block skipped (fewer than the
-- statement stored, at most 1023), the sequence left past every number handed out
CREATE TABLE public.ledger_blk (n int);
SELECT trace.ledger_enable('public.ledger_blk');
INSERT INTO public.ledger_blk SELECT g FROM generate_series(1, 3000) g;
SELECT is((SELECT count(*) FROM (SELECT n, ledger_seq, lag(ledger_seq) OVER (ORDER BY n) AS prev FROM public.ledger_blk) x
            WHERE x.prev IS NOT NULL AND x.ledger_seq <> x.prev + 1), 0::bigint,
          'a batched statement''s rows take consecutive seqs in insert order, block after block');
SELECT ok((SELECT s.last_value - pg_catalog.max(b.ledger_seq) BETWEEN 0 AND 1023 FROM public.ledger_blk b, public.ledger_blk_ledger_seq s
            GROUP BY s.last_value),
          'the sequence stands at most 1023 past the last seq used (the rest of the last block)');
INSERT INTO public.ledger_blk VALUES (3001);
SELECT is((SELECT ledger_seq FROM public.ledger_blk WHERE n = 3001), (SELECT last_value FROM public.ledger_blk_ledger_seq),
          'a row through the trigger afterwards takes the next number: nothing reserved is handed out twice');
-- a sequence that is not plain (altered) is used one nextval() per row
ALTER SEQUENCE public.ledger_blk_ledger_seq INCREMENT BY 3;
INSERT INTO public.ledger_blk SELECT g FROM generate_series(4001, 4004) g;
SELECT is((SELECT array_agg(ledger_seq - (SELECT ledger_seq FROM public.ledger_blk WHERE n = 3001) ORDER BY n)
             FROM public.ledger_blk WHERE n > 4000), '{3,6,9,12}'::bigint[],
          'a sequence altered to another increment: the batched path takes nextval() per row');
DO $$ BEGIN
    EXECUTE format('ALTER SEQUENCE public.ledger_blk_ledger_seq INCREMENT BY 1 MAXVALUE %s',
                   (SELECT last_value + 2 FROM public.ledger_blk_ledger_seq));
END $$;
SELECT throws_ok($$INSERT INTO public.ledger_blk SELECT g FROM generate_series(5001, 5003) g$$, '2200H', NULL,
                 'a block past the sequence''s maximum: nextval() per row, and its own error');

SELECT * FROM finish();
ROLLBACK;
