-- Ledger: the messages users see. One statement per line so that the
-- expected output pins every error.
SET pgtrace.collection_method = 'regress';
CREATE TABLE ledger_r (id int, note text, amount numeric);
SELECT trace.ledger_enable('ledger_r', 'sha256', '30 days');
SELECT trace.ledger_enable('ledger_r');
SELECT trace.ledger_enable('ledger_r', 'md5');
CREATE TABLE ledger_r_full (id int);
INSERT INTO ledger_r_full VALUES (1);
SELECT trace.ledger_enable('ledger_r_full');
CREATE VIEW ledger_r_view AS SELECT 1 AS x;
SELECT trace.ledger_enable('ledger_r_view');
SELECT ledger_name, hash_algorithm, retention FROM trace.ledger_tables ORDER BY 1;
-- inserts: every way a row can arrive
INSERT INTO ledger_r (id, note, amount) VALUES (1, 'one', 1.50);
INSERT INTO ledger_r (id, note, amount) VALUES (2, NULL, NULL), (3, 'three', 3);
INSERT INTO ledger_r (id, note) SELECT g, 'bulk' FROM generate_series(4, 6) g;
COPY ledger_r (id, note) FROM STDIN;
7	copied
\.
-- user-supplied ledger metadata is overwritten when no hash comes with it
INSERT INTO ledger_r (id, ledger_seq, ledger_recorded_by, ledger_method) VALUES (8, 1000, 'someone else', 'forged');
SELECT id, ledger_seq, ledger_recorded_by = session_user AS by_me, ledger_method,
       ledger_retain_until - ledger_recorded_at::date BETWEEN 29 AND 31 AS retained_30_days,
       ledger_hash = trace.ledger_row_hash('ledger_r', ledger_seq) AS hash_ok
  FROM ledger_r ORDER BY ledger_seq;
INSERT INTO ledger_r (id, ledger_seq, ledger_hash, ledger_recorded_by, ledger_recorded_at) VALUES (9, 9, '\x00', 'x', '2024-01-01 00:00+00');
-- refusals
UPDATE ledger_r SET note = 'x' WHERE id = 1;
DELETE FROM ledger_r WHERE id = 1;
TRUNCATE ledger_r;
ALTER TABLE ledger_r DISABLE TRIGGER pgtrace_ledger_insert;
DROP TABLE ledger_r;
-- seal and verify
SELECT trace.seal('ledger_r');
SELECT block_no, members, row_count, octet_length(leaf_hashes) AS leaf_bytes FROM trace.ledger_blocks WHERE ledger = 'public.ledger_r';
SELECT trace.ledger_verify('ledger_r');
INSERT INTO ledger_r (id, note) VALUES (10, 'late');
SELECT trace.ledger_verify('ledger_r') -> 'pending' AS pending;
SELECT trace.seal('ledger_r');
SELECT trace.ledger_verify('ledger_r');
SELECT trace.seal('ledger_r_full');
SELECT jsonb_object_keys(trace._status_ledger()) ORDER BY 1;
