-- Ledger hardening: ways around the ledger's guarantees that are closed,
-- each tried as a new user would try it. Needs pgtrace in
-- shared_preload_libraries (the utility and object-access hooks).
BEGIN;
SELECT plan(69);

CREATE ROLE hard_owner NOLOGIN;
GRANT trace_admin TO hard_owner;
GRANT CREATE ON SCHEMA public TO hard_owner;
CREATE ROLE hard_writer NOLOGIN;
GRANT pg_execute_server_program TO hard_writer;   -- for COPY FROM PROGRAM below

-- ------------------------------------------------ 1. supplied ledger columns
SET ROLE hard_owner;
CREATE TABLE public.hard_w (id int, note text);
SELECT trace.ledger_enable('public.hard_w');
GRANT INSERT, SELECT ON public.hard_w TO hard_writer;
RESET ROLE;
-- The hash of a forged row (other who, when, how), computed from the
-- documented encoding: here by the ledger's own function, as a writer would
-- compute it offline.
CREATE TEMP TABLE hard_forged ON COMMIT DROP AS
SELECT trace._ledger_backfill_hash('public.hard_w', 'public.hard_w', 'sha256',
           ROW(2, 'forged', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::public.hard_w,
           20, 'somebody_else', '2001-01-01 00:00+00', 'paper', NULL) AS h;
GRANT SELECT ON hard_forged TO hard_writer;
SET ROLE hard_writer;
INSERT INTO public.hard_w (id, note) VALUES (1, 'genuine');
SELECT throws_ok($$INSERT INTO public.hard_w (id, note, ledger_seq, ledger_hash, ledger_recorded_by,
                                               ledger_recorded_at, ledger_method)
                   SELECT 2, 'forged', 20, h, 'somebody_else', '2001-01-01 00:00+00', 'paper' FROM hard_forged$$,
                 '42501', 'a row of ledger table "hard_w" may not carry its own ledger_hash',
                 'a writer cannot insert a row with its own (correctly computed) hash, seq, who, when and how');
SELECT throws_ok($$COPY public.hard_w (id, note, ledger_seq, ledger_hash) FROM PROGRAM 'printf "2\tforged\t2\tabcd\n"'$$,
                 '42501', NULL, 'nor through COPY');
SELECT throws_ok($$INSERT INTO public.hard_w (id, note, ledger_seq, ledger_hash, ledger_recorded_by,
                                               ledger_recorded_at, ledger_method)
                   SELECT g, 'forged', g, h, 'somebody_else', '2001-01-01 00:00+00', 'paper'
                     FROM hard_forged, generate_series(2, 3) g$$,
                 '42501', NULL, 'nor through a batched INSERT ... SELECT');
INSERT INTO public.hard_w (id, note, ledger_seq, ledger_recorded_by, ledger_recorded_at, ledger_method)
VALUES (3, 'no hash', 900, 'somebody_else', '2001-01-01 00:00+00', 'paper');
SELECT is((SELECT ROW(ledger_seq < 900, ledger_recorded_by, ledger_recorded_at > '2001-01-02', ledger_method IS DISTINCT FROM 'paper')::text
             FROM public.hard_w WHERE id = 3),
          ROW(true, 'postgres', true, true)::text,
          'without a hash, the seq, who, when and how a writer supplies are overwritten by the trigger');
RESET ROLE;
SELECT is((SELECT count(*) FROM public.hard_w WHERE id = 2), 0::bigint, 'no forged row was stored');
-- A superuser (restoring a dump) may still bring rows with their hash ...
SELECT lives_ok($$INSERT INTO public.hard_w (id, note, ledger_seq, ledger_hash, ledger_recorded_by,
                                              ledger_recorded_at, ledger_method)
                  SELECT 2, 'forged', 20, h, 'somebody_else', '2001-01-01 00:00+00', 'paper' FROM hard_forged$$,
                'a superuser may insert a row carrying its hash (restore), when it recomputes equal ...');
-- ... but never at or below the sealed floor
SELECT trace.seal('public.hard_w');
UPDATE trace.ledger_tables SET seal_floor = 20 WHERE relid = 'public.hard_w'::regclass;
CREATE TEMP TABLE hard_below ON COMMIT DROP AS
SELECT trace._ledger_backfill_hash('public.hard_w', 'public.hard_w', 'sha256',
           ROW(4, 'late', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::public.hard_w,
           4, 'postgres', '2001-01-01 00:00+00', NULL, NULL) AS h;
SELECT throws_ok($$INSERT INTO public.hard_w (id, note, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at)
                   SELECT 4, 'late', 4, h, 'postgres', '2001-01-01 00:00+00' FROM hard_below$$,
                 '42501', 'row of ledger table "hard_w" carries ledger_seq 4, at or below the ledger''s sealed floor 20',
                 '... and not even a superuser may insert a row at or below the sealed floor');
SET session_replication_role = replica;
SELECT throws_ok($$INSERT INTO public.hard_w (id, note, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at)
                   SELECT 4, 'late', 4, h, 'postgres', '2001-01-01 00:00+00' FROM hard_below$$,
                 '42501', NULL, 'nor as a replication apply worker (session_replication_role = replica)');
RESET session_replication_role;
SELECT is(trace.ledger_verify('public.hard_w') -> 'problems', '[]'::jsonb, 'the ledger has no problem to report');

-- ------------------------------------------------ 2. partitions and inheritance
SET ROLE hard_owner;
CREATE TABLE public.hard_p (id int, note text);
SELECT trace.ledger_enable('public.hard_p');
INSERT INTO public.hard_p (id, note) VALUES (1, 'one');
CREATE TABLE public.hard_root (LIKE public.hard_p) PARTITION BY LIST (id);
SELECT throws_ok($$ALTER TABLE public.hard_root ATTACH PARTITION public.hard_p FOR VALUES IN (1, 2, 3)$$,
                 '42501', 'ATTACH PARTITION on ledger table "hard_p" is not allowed',
                 'a table owner cannot attach a ledger table as a partition (UPDATE through the root would bypass it)');
CREATE TABLE public.hard_parent (id int, note text);
SELECT throws_ok($$ALTER TABLE public.hard_p INHERIT public.hard_parent$$, '42501', NULL,
                 'a ledger table cannot become an inheritance child');
CREATE TABLE public.hard_child (id int, note text);
SELECT throws_ok($$ALTER TABLE public.hard_child INHERIT public.hard_p$$, '42501',
                 'inheriting from a ledger table on ledger table "hard_p" is not allowed',
                 'nor an inheritance parent (ALTER TABLE ... INHERIT)');
SELECT throws_ok($$CREATE TABLE public.hard_child2 () INHERITS (public.hard_p)$$, '42501', NULL,
                 'nor an inheritance parent (CREATE TABLE ... INHERITS)');
-- tables already in a tree are refused by ledger_enable
CREATE TABLE public.hard_root2 (id int, note text) PARTITION BY LIST (id);
CREATE TABLE public.hard_leaf PARTITION OF public.hard_root2 FOR VALUES IN (1, 2);
SELECT throws_ok($$SELECT trace.ledger_enable('public.hard_leaf')$$, '42809',
                 'table public.hard_leaf is a partition or an inheritance child',
                 'ledger_enable refuses a partition');
CREATE TABLE public.hard_kid () INHERITS (public.hard_parent);
SELECT throws_ok($$SELECT trace.ledger_enable('public.hard_kid')$$, '42809', NULL,
                 'ledger_enable refuses an inheritance child');
SELECT throws_ok($$SELECT trace.ledger_enable('public.hard_parent')$$, '42809',
                 'table public.hard_parent has inheritance children',
                 'ledger_enable refuses a table with inheritance children');
SELECT is((SELECT count(*) FROM trace.ledger_tables
            WHERE relid IN ('public.hard_leaf'::regclass, 'public.hard_kid'::regclass, 'public.hard_parent'::regclass)),
          0::bigint, 'none of them became a ledger');
RESET ROLE;

-- ------------------------------------------------ 3. a ledger table cannot disappear
SET ROLE hard_owner;
CREATE TEMP TABLE hard_temp (id int);
SELECT throws_ok($$SELECT trace.ledger_enable('hard_temp')$$, '42809', NULL,
                 'ledger_enable refuses a temporary table (gone at session end)');
CREATE UNLOGGED TABLE public.hard_unlogged (id int);
SELECT throws_ok($$SELECT trace.ledger_enable('public.hard_unlogged')$$, '42809',
                 'table public.hard_unlogged is unlogged', 'ledger_enable refuses an unlogged table (rows lost on crash)');
CREATE TABLE public.hard_empty (id int);
SELECT trace.ledger_enable('public.hard_empty');
SELECT throws_ok($$ALTER TABLE public.hard_empty SET UNLOGGED$$, '42501', NULL,
                 'SET UNLOGGED is refused even while the ledger is empty');
RESET ROLE;
SELECT throws_ok($$DROP OWNED BY hard_owner$$, '42501', 'DROP on ledger table "hard_p" is not allowed',
                 'DROP OWNED BY the owner does not drop a ledger table holding rows');
SELECT throws_ok($$DROP OWNED BY hard_owner CASCADE$$, '42501', NULL, 'nor DROP OWNED ... CASCADE');
CREATE SCHEMA hard_s;
CREATE TABLE hard_s.l (x int);
SELECT trace.ledger_enable('hard_s.l');
INSERT INTO hard_s.l VALUES (1);
SELECT throws_ok($$DROP TABLE hard_s.l CASCADE$$, '42501', NULL, 'nor DROP TABLE ... CASCADE');
SELECT throws_ok($$DROP SCHEMA hard_s CASCADE$$, '42501', 'DROP SCHEMA "hard_s" CASCADE would drop ledger table "l"',
                 'nor DROP SCHEMA ... CASCADE, whose refusal names the ledger table');
SELECT throws_ok($$DROP SCHEMA trace CASCADE$$, '42501', 'DROP EXTENSION pgtrace is not allowed while ledger tables hold rows',
                 'nor a cascade reaching the extension (DROP SCHEMA trace CASCADE)');
-- a ledger whose table was dropped empty stays registered: nothing fails for the other ledgers
SELECT lives_ok($$DROP TABLE public.hard_empty$$, 'an empty ledger table may still be dropped (its sequence and index go with it)');
SELECT lives_ok($$SELECT trace.seal()$$, 'trace.seal() skips the ledger whose table is gone');
SELECT lives_ok($$SELECT trace.purge(CURRENT_DATE)$$, 'trace.purge() skips it too');
SELECT ok(trace.status() -> 'missing_guarantees' ? 'ledger: the table of ledger public.hard_empty no longer exists; it is not sealed and trace.verify() reports it',
          'trace.status() works and reports the ledger whose table is gone');
SELECT is((SELECT count(*) FROM jsonb_array_elements(trace.verify() -> 'problems') p
            WHERE p ->> 'ledger' = 'public.hard_empty' AND p ->> 'kind' = 'missing'), 1::bigint,
          'trace.verify() reports it as missing');

-- ------------------------------------------------ 4. columns, sequence, index
CREATE TYPE public.hard_mood AS ENUM ('calm', 'cross');
CREATE DOMAIN public.hard_pos AS int CHECK (VALUE > 0);
CREATE TABLE public.hard_c (id public.hard_pos, mood public.hard_mood);
SELECT trace.ledger_enable('public.hard_c');
INSERT INTO public.hard_c VALUES (1, 'calm');
SELECT throws_ok($$DROP TYPE public.hard_mood CASCADE$$, '42501',
                 'dropping column "mood" on ledger table "hard_c" is not allowed',
                 'DROP TYPE ... CASCADE cannot drop a ledger table''s column');
SELECT throws_ok($$DROP DOMAIN public.hard_pos CASCADE$$, '42501', NULL,
                 'DROP DOMAIN ... CASCADE cannot drop a ledger table''s column');
SELECT throws_ok($$DROP SEQUENCE public.hard_c_ledger_seq$$, '42501',
                 'dropping the ledger_seq sequence on ledger table "hard_c" is not allowed',
                 'DROP SEQUENCE of the ledger''s seq sequence is refused');
SELECT throws_ok($$ALTER SEQUENCE public.hard_c_ledger_seq OWNED BY NONE$$, '42501', NULL,
                 'and so is detaching it from ledger_seq');
SELECT throws_ok($$DROP INDEX public.hard_c_ledger_seq_key$$, '42501',
                 'dropping the unique index on ledger_seq on ledger table "hard_c" is not allowed',
                 'DROP INDEX of the ledger''s unique seq index is refused');
SELECT throws_ok($$ALTER TABLE public.hard_c ALTER COLUMN ledger_hash DROP NOT NULL$$, '42501', NULL,
                 'ALTER COLUMN ledger_hash DROP NOT NULL is refused');
SELECT throws_ok($$ALTER TABLE public.hard_c ALTER COLUMN ledger_seq DROP NOT NULL$$, '42501', NULL,
                 'ALTER COLUMN ledger_seq DROP NOT NULL is refused');
CREATE TABLE public.hard_c0 (id int, note text);
SELECT trace.ledger_enable('public.hard_c0');
SELECT throws_ok($$ALTER TABLE public.hard_c0 DROP COLUMN ledger_reason$$, '42501', NULL,
                 'a ledger_* column cannot be dropped even while the ledger is empty');
SELECT lives_ok($$ALTER TABLE public.hard_c0 DROP COLUMN note$$, 'other columns of an empty ledger still can');
SELECT is(trace.ledger_verify('public.hard_c') -> 'ok', 'true'::jsonb, 'the ledger is intact');

-- ------------------------------------------------ 5. the extension's functions, even for a superuser
SELECT throws_ok($q$CREATE OR REPLACE FUNCTION trace._ledger_refuse_trigger() RETURNS trigger
                   LANGUAGE plpgsql AS $f$ BEGIN RETURN NULL; END $f$$q$, '42501',
                 'replacing function trace._ledger_refuse_trigger() of extension pgtrace is not allowed',
                 'a superuser cannot replace the refusal trigger''s function');
SELECT throws_ok($$CREATE OR REPLACE FUNCTION trace.verify() RETURNS jsonb LANGUAGE sql RETURN '{"ok": true}'$$,
                 '42501', NULL, 'nor a SQL function of the extension');
SELECT throws_ok($$ALTER FUNCTION trace._ledger_insert_trigger() RENAME TO x$$, '42501', NULL, 'nor rename one');
SELECT throws_ok($$ALTER FUNCTION trace.verify() SECURITY INVOKER$$, '42501', NULL, 'nor alter one');
SELECT throws_ok($$ALTER FUNCTION trace.verify() OWNER TO hard_owner$$, '42501', NULL, 'nor change its owner');
SELECT throws_ok($$ALTER FUNCTION trace.verify() SET SCHEMA public$$, '42501', NULL, 'nor move it');
SELECT throws_ok($$DROP FUNCTION trace._ledger_refuse_trigger() CASCADE$$, '42501', NULL, 'nor drop it');
SELECT throws_ok($$ALTER EXTENSION pgtrace DROP FUNCTION trace._ledger_refuse_trigger()$$, '42501', NULL,
                 'nor take it out of the extension first');
SELECT lives_ok($$CREATE OR REPLACE FUNCTION public.hard_fn() RETURNS int LANGUAGE sql RETURN 1$$,
                'other functions are replaced as usual');
SELECT lives_ok($$CREATE OR REPLACE FUNCTION public.hard_fn() RETURNS int LANGUAGE sql RETURN 2$$,
                'twice');
SELECT throws_ok($$UPDATE public.hard_p SET note = 'x'$$, '42501', NULL, 'the ledger is still append-only');

-- ------------------------------------------------------------ type DDL
-- A type a ledger column uses (directly, in an array, through a domain or
-- inside a composite) keeps the encoding of the values already stored.
CREATE TYPE public.hard_color AS ENUM ('red', 'green');
CREATE TYPE public.hard_pair AS (a int, b text);
CREATE DOMAIN public.hard_dcolor AS public.hard_color;
CREATE TYPE public.hard_wrap AS (p public.hard_pair, c public.hard_dcolor[]);
CREATE TABLE public.hard_ty (id int, c public.hard_color, w public.hard_wrap[]);
SELECT trace.ledger_enable('public.hard_ty');
INSERT INTO public.hard_ty (id, c, w)
VALUES (1, 'red', ARRAY[ROW(ROW(1, 'x'), ARRAY['green']::public.hard_dcolor[])::public.hard_wrap]);
SELECT throws_ok($$ALTER TYPE public.hard_color RENAME VALUE 'red' TO 'crimson'$$, '42501',
                 'ALTER TYPE ... RENAME VALUE on type hard_color is not allowed: column "c" of ledger table "hard_ty" uses it',
                 'type DDL: renaming an enum value a ledger with rows uses is refused, naming table and column');
SELECT lives_ok($$ALTER TYPE public.hard_color ADD VALUE 'blue'$$,
                'adding an enum value is allowed (stored values keep their encoding)');
SELECT throws_ok($$ALTER TYPE public.hard_pair ADD ATTRIBUTE z int$$, '42501',
                 'ALTER TYPE ... ADD ATTRIBUTE on type hard_pair is not allowed: column "w" of ledger table "hard_ty" uses it',
                 'adding an attribute to a composite nested in an array of a composite is refused');
SELECT throws_ok($$ALTER TYPE public.hard_pair DROP ATTRIBUTE b$$, '42501', NULL, 'dropping one is refused');
SELECT throws_ok($$ALTER TYPE public.hard_pair ALTER ATTRIBUTE a TYPE bigint$$, '42501', NULL,
                 'retyping one is refused');
SELECT lives_ok($$ALTER TYPE public.hard_pair RENAME ATTRIBUTE b TO bb$$,
                'renaming an attribute is allowed (names are not hashed)');
SELECT is(trace.ledger_verify('public.hard_ty') -> 'problems', '[]'::jsonb, 'and the row still verifies');
CREATE TYPE public.hard_pair2 AS (a int);
CREATE TABLE public.hard_ty2 (id int, p public.hard_pair2);
SELECT trace.ledger_enable('public.hard_ty2');
SELECT lives_ok($$ALTER TYPE public.hard_pair2 ADD ATTRIBUTE z int$$,
                'a type used only by an empty ledger may change');

-- ------------------------------------------------ verify of a non-ledger
SELECT throws_ok($$SELECT trace.ledger_verify('pg_authid')$$, '22023', 'table "pg_authid" is not a ledger table',
                 'ledger_verify of a table that is not a ledger is an error, not {"ok": true}');
CREATE TABLE public.hard_plain (id int);
SELECT throws_ok($$SELECT trace.ledger_verify('public.hard_plain')$$, '22023', 'table "hard_plain" is not a ledger table',
                 'so is that of an ordinary user table');

-- ------------------------------------------------ the registry of ledgers
SELECT throws_ok($$DELETE FROM trace.ledger_tables WHERE relid = 'public.hard_w'::regclass$$, '42501',
                 'DELETE on ledger table "ledger_tables" is not allowed',
                 'a ledger cannot be unregistered by DELETE, superuser included');
SELECT throws_ok($$UPDATE trace.ledger_tables SET ledger_name = 'public.other' WHERE relid = 'public.hard_w'::regclass$$,
                 '42501', 'UPDATE of column "ledger_name" of ledger table "ledger_tables" is not allowed',
                 'nor renamed');
SELECT throws_ok($$UPDATE trace.ledger_tables SET retention = '1 day' WHERE relid = 'public.hard_w'::regclass$$,
                 '42501', NULL, 'nor its retention changed');
SELECT throws_ok($$UPDATE trace.ledger_tables SET seal_floor = seal_floor - 1 WHERE relid = 'public.hard_w'::regclass$$,
                 '42501', NULL, 'its seal floor never goes down');
SELECT lives_ok($$UPDATE trace.ledger_tables SET seal_floor = seal_floor WHERE relid = 'public.hard_w'::regclass$$,
                'the sealer''s state may be written (floor kept or raised)');
SELECT throws_ok($$TRUNCATE trace.ledger_tables$$, '42501', NULL, 'the registry cannot be truncated');
SELECT throws_ok($$ALTER TABLE trace.ledger_tables DISABLE TRIGGER pgtrace_ledger_guard$$, '42501', NULL,
                 'its guard trigger cannot be disabled');
SELECT throws_ok($$DROP TRIGGER pgtrace_ledger_guard ON trace.ledger_tables$$, '42501', NULL,
                 'nor dropped');

SELECT * FROM finish();
ROLLBACK;
