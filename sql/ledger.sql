-- Ledger: the messages users see. One statement per line so that the
-- expected output pins every error.
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
SET pgtrace.collection_method = 'regress';
CREATE TABLE ledger_r (id int, note text, amount numeric);
SELECT trace.ledger_enable('ledger_r', 'sha256', '30 days');
SELECT trace.ledger_enable('ledger_r');
SELECT trace.ledger_enable('ledger_r', 'md5');
CREATE TABLE ledger_r_full (id int);
INSERT INTO ledger_r_full VALUES (1);
CREATE TRIGGER ledger_r_upd BEFORE UPDATE ON ledger_r_full FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT trace.ledger_enable('ledger_r_full');
DROP TRIGGER ledger_r_upd ON ledger_r_full;
SELECT trace.ledger_enable('ledger_r_full');
SELECT id, ledger_seq, ledger_method, ledger_recorded_by = session_user AS by_enabler FROM ledger_r_full;
CREATE VIEW ledger_r_view AS SELECT 1 AS x;
SELECT trace.ledger_enable('ledger_r_view');
SELECT ledger_name, hash_algorithm, retention FROM trace.ledger_tables WHERE ledger_name NOT LIKE 'trace.%' ORDER BY 1;
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
       ledger_hash = trace.ledger_rehash('ledger_r', ledger_seq) AS hash_ok
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
-- checkpoints and proofs (test key of RFC 8037)
\getenv abs_srcdir PG_ABS_SRCDIR
SELECT :'abs_srcdir' || '/test/data/keys/rfc8037_ed25519.pem' AS rfc_key \gset
SET pgtrace.signing_key_file = :'rfc_key';
SELECT trace.checkpoint() AS cp \gset
SELECT p ->> 'typ' AS typ, p -> 'version' AS version, p -> 'ledgers' -> 0 -> 'ledger' AS ledger,
       p -> 'ledgers' -> 0 -> 'blocks' AS blocks, p -> 'ledgers' -> 0 -> 'rows' AS rows,
       p -> 'ledgers' -> 0 ->> 'head' = (SELECT encode(block_hash, 'hex') FROM trace.ledger_blocks
                                         WHERE ledger = 'public.ledger_r' AND block_no = 2) AS head_ok,
       p ? 'system_identifier' AND p ? 'timeline' AND p ? 'lsn' AND p ? 'time' AS has_position
  FROM trace.jws_verify(:'cp') p;
SELECT v -> 'ok' AS ok, v -> 'checkpoint' -> 'extends' AS extends, v -> 'checkpoint' -> 'same_system' AS same_system
  FROM trace.verify(:'cp') v;
INSERT INTO ledger_r (id, note) VALUES (11, 'after the checkpoint');
SELECT trace.seal('ledger_r');
SELECT trace.verify(:'cp') -> 'ok' AS still_extends;
-- a signed state the database does not extend: more blocks than it has, another head
SELECT jsonb_pretty(trace.verify(trace.sign(jsonb_build_object('typ', 'pgtrace-ledger-checkpoint',
    'ledgers', jsonb_build_array(jsonb_build_object('ledger', 'public.ledger_r', 'blocks', 7, 'rows', 40,
                                                    'head', repeat('0', 64))))))
    -> 'problems');
SELECT jsonb_pretty(trace.verify(trace.sign(jsonb_build_object('typ', 'pgtrace-ledger-checkpoint',
    'ledgers', jsonb_build_array(jsonb_build_object('ledger', 'public.ledger_r', 'blocks', 2, 'rows', 9,
                                                    'head', repeat('ab', 32))))))
    -> 'problems');
SELECT trace.verify(trace.sign('{"typ": "something else"}'));
SELECT trace.verify(split_part(:'cp', '.', 1) || '.' || split_part(trace.sign('{"typ": "pgtrace-ledger-checkpoint", "ledgers": []}'), '.', 2) || '.' || split_part(:'cp', '.', 3));
-- proof of row 3 up to the checkpoint
SELECT pr ->> 'typ' AS typ, pr -> 'seq' AS seq, pr -> 'leaf_index' AS leaf_index,
       jsonb_array_length(pr -> 'audit_path') AS path_len, pr -> 'block' -> 'block_no' AS block,
       jsonb_array_length(pr -> 'chain') AS chain_len, pr ->> 'checkpoint' = :'cp' AS carries_checkpoint,
       pr ->> 'row_hash' = encode(trace.ledger_rehash('ledger_r', 3), 'hex') AS hash_ok,
       substr(pr ->> 'row_encoding', 1, 2) AS encoding_version
  FROM trace.proof('ledger_r', 3, :'cp') pr;
SELECT jsonb_array_length(trace.proof('ledger_r', 3) -> 'chain') AS chain_to_head;
-- (seq numbers by id: a batched statement takes them in blocks and may skip some)
SELECT trace.proof('ledger_r', (SELECT ledger_seq FROM ledger_r WHERE id = 11), :'cp');
INSERT INTO ledger_r (id, note) VALUES (12, 'unsealed');
SELECT trace.proof('ledger_r', (SELECT ledger_seq FROM ledger_r WHERE id = 12));
RESET pgtrace.signing_key_file;
