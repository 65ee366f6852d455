-- Ledger retention (clause 8.5): trace.purge removes only sealed rows past
-- their retain-until date and keeps their hashes; pgtrace.break_glass drops
-- only a ledger whose every row is past retention, and records it.
BEGIN;
SELECT plan(32);

CREATE TABLE public.ret10 (id int, note text);
SELECT trace.ledger_enable('public.ret10', 'sha256', '10 years');
INSERT INTO public.ret10 (id, note) VALUES (1, 'kept by the ledger default');
SELECT ok((SELECT ledger_retain_until > CURRENT_DATE + 3000 FROM public.ret10 WHERE id = 1),
          'retention: retain-until defaults to insert time + 10 years');
-- the ledger's retention is a floor: a writer may extend it, not shorten it
SELECT throws_ok($$INSERT INTO public.ret10 (id, ledger_retain_until) VALUES (2, '2001-01-01')$$, '22023', NULL,
                 'a retain-until before the ledger''s retention is refused');
SELECT throws_ok($$INSERT INTO public.ret10 (id, ledger_retain_until) SELECT 3, CURRENT_DATE + 10$$, '22023', NULL,
                 'so is one a few days ahead (INSERT ... SELECT)');
SELECT lives_ok($$INSERT INTO public.ret10 (id, ledger_retain_until) VALUES (4, '2999-12-31')$$,
                'a later retain-until is kept');
SELECT is((SELECT ledger_retain_until FROM public.ret10 WHERE id = 4), '2999-12-31'::date, 'as given');

-- a ledger without retention: writers give the dates themselves
CREATE TABLE public.ret (id int, note text);
SELECT trace.ledger_enable('public.ret');
INSERT INTO public.ret (id, note) VALUES (1, 'kept forever (no retention, no date)');
INSERT INTO public.ret (id, note, ledger_retain_until) VALUES (2, 'expired', '2001-01-01'), (3, 'expired too', '2002-06-30');
INSERT INTO public.ret (id, note, ledger_retain_until) VALUES (4, 'expires in the future', '2999-12-31');
SELECT is((SELECT ledger_retain_until FROM public.ret WHERE id = 2), '2001-01-01'::date,
          'a retain-until given by the writer is kept (and hashed)');
SELECT is(trace.purge('2100-01-01', 'public.ret'), 0::bigint, 'unsealed rows are never purged');
SELECT is(trace.seal('public.ret'), 4::bigint, 'seal the four rows');
INSERT INTO public.ret (id, note, ledger_retain_until) VALUES (5, 'expired but unsealed', '2001-01-01');
SELECT is(trace.purge('2002-01-01', 'public.ret'), 1::bigint, 'purge before 2002-01-01 removes row 2 only');
SELECT is(trace.purge('2100-01-01'), 1::bigint, 'purge before 2100 removes row 3 (row 4 is retained until 2999, row 5 unsealed)');
SELECT is((SELECT array_agg(id ORDER BY id) FROM public.ret), ARRAY[1, 4, 5], 'rows 2 and 3 are gone, the rest stays');
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM trace.ledger_tombstones WHERE ledger = 'public.ret'),
          ARRAY[2, 3]::bigint[], 'their tombstones keep seq 2 and 3');
SELECT is((SELECT row_hash FROM trace.ledger_tombstones WHERE ledger = 'public.ret' AND seq = 2),
          (SELECT substr(leaf_hashes, 33, 32) FROM trace.ledger_blocks WHERE ledger = 'public.ret' AND block_no = 1),
          'a tombstone holds the sealed hash of its row');
SELECT is(trace.ledger_verify('public.ret') -> 'ok', 'true'::jsonb, 'verify passes after the purge');
SELECT is(trace.ledger_verify('public.ret') -> 'purged', '2'::jsonb, 'verify counts the purged rows');
SELECT is(trace.ledger_verify('public.ret') -> 'rows', '2'::jsonb, 'and verifies the sealed rows still there');
SELECT throws_ok($$DELETE FROM public.ret WHERE id = 1$$, '42501', NULL, 'DELETE is refused again after a purge');
SELECT throws_ok($$DELETE FROM trace.ledger_tombstones$$, '42501', NULL, 'tombstones are append-only');
SELECT throws_ok($$SELECT trace.purge(NULL)$$, '22004', NULL, 'purge needs a date');

-- a second ledger whose rows are all past retention
CREATE TABLE public.ret2 (id int);
SELECT trace.ledger_enable('public.ret2');
INSERT INTO public.ret2 (id, ledger_retain_until) VALUES (1, '2001-01-01'), (2, '2001-01-01');
SELECT trace.seal('public.ret2');

-- privileges
CREATE ROLE ledger_ret_operator NOLOGIN IN ROLE trace_operator;
SET ROLE ledger_ret_operator;
SELECT throws_ok($$SELECT trace.purge('2100-01-01')$$, '42501', NULL, 'only trace_admin may purge');
RESET ROLE;

-- break glass
SELECT throws_ok($$SET pgtrace.break_glass = on; DROP TABLE public.ret$$, '42501', NULL,
                 'break glass: a ledger with rows within retention is still refused');
RESET pgtrace.break_glass;
SELECT throws_ok($$DROP TABLE public.ret2$$, '42501', NULL, 'without break glass an expired ledger is refused too');
SET pgtrace.break_glass = on;
SELECT lives_ok($$DROP TABLE public.ret2$$, 'break glass: a ledger whose rows are all past retention is dropped');
RESET pgtrace.break_glass;
SELECT is((SELECT count(*) FROM trace.ledger_events WHERE event = 'break_glass_drop' AND ledger = 'public.ret2'),
          1::bigint, 'the break-glass drop is recorded in trace.ledger_events');
SELECT is((SELECT count(*) FROM trace.ledger_tables WHERE ledger_name = 'public.ret2'), 0::bigint,
          'the dropped ledger is unregistered');
SELECT is(trace.seal('trace.ledger_events'), 1::bigint, 'the event row is sealed like any ledger row');
SELECT is(trace.verify() -> 'ok', 'true'::jsonb, 'every ledger verifies after the break-glass drop');

SET pgtrace.break_glass = on;
SELECT throws_ok($$DROP EXTENSION pgtrace CASCADE$$, '42501', NULL,
                 'break glass: DROP EXTENSION is refused while any ledger row is within retention');
RESET pgtrace.break_glass;

-- corrections supersede, a view shows the current state
CREATE TABLE public.readings (sensor text, value numeric);
SELECT trace.ledger_enable('public.readings');
INSERT INTO public.readings (sensor, value) VALUES ('a', 1), ('b', 2);
INSERT INTO public.readings (sensor, value, ledger_supersedes, ledger_reason) VALUES ('a', 1.5, 1, 'recalibrated');
SELECT is(trace.ledger_current_view('public.readings')::text, 'readings_current', 'the current-state view is created');
SELECT is((SELECT array_agg(sensor || '=' || value ORDER BY sensor) FROM public.readings_current),
          ARRAY['a=1.5', 'b=2'], 'the view shows the correction, not the row it supersedes');
SELECT is((SELECT count(*) FROM public.readings), 3::bigint, 'the superseded row stays in the ledger');
SELECT is((SELECT ledger_reason FROM public.readings WHERE ledger_supersedes = 1), 'recalibrated',
          'the reason is kept with the correction (and hashed)');

SELECT * FROM finish();
ROLLBACK;
