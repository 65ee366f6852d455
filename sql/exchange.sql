-- Exchange: every refusal of register_partner, import and the masking rule,
-- one literal per line so the expected output pins each message. Nothing
-- here writes registry rows (a partner is registered inside a rolled-back
-- transaction only).
-- PL/pgSQL line numbers in CONTEXT lines would pin the code's layout, not its messages
\set SHOW_CONTEXT never
\set VERBOSITY default
\set SHOW_CONTEXT never
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';

-- register_partner
SELECT trace.register_partner(NULL, '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission}');
SELECT trace.register_partner('p', NULL, '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L1', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '[]', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs","d":"x"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"X25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs=="}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs","alg":"SM2SM3"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs","kid":"abc"}', '{commission}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission,correct,NULL}');
SELECT trace.register_partner('p', '91330100MA2H3K5L19', '{"kty":"EC","crv":"SM2","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}', '{commission}');
BEGIN;
SELECT trace.register_partner(' 杭州示例燃气具有限公司 ', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs","use":"sig"}', '{record_sale,commission,commission}') - 'partner_id';
SELECT trace.register_partner('again', '91330100MA2H3K5L19', '{"kty":"OKP","crv":"Ed25519","x":"4YM03kvarYBzmClslAtisyBX0QRAnfRfsxj8li_HtCs"}', '{commission}');
ROLLBACK;
SELECT trace.revoke_partner('QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc', 'lost');
SELECT trace.revoke_partner('QiaSNOIlQC_xj_v4To6WAWpBNd1nXlFwkVacRPBNblc', NULL);

-- import: malformed tokens, before any partner is known
SELECT trace.import(NULL);
SELECT trace.import('');
SELECT trace.import('abc');
SELECT trace.import('a.b');
SELECT trace.import('eyJhbGciOiJub25lIn0.e30.');
SELECT trace.import('eyJhbGciOiJFZERTQSJ9.e30.AAAA');
SELECT trace.import('eyJhbGciOiJFZERTQSIsImtpZCI6Im5vYm9keSJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
SELECT trace.import('{"protected":"eyJhbGciOiJFZERTQSJ9","payload":"e30"}');

-- the masking rule
SELECT trace.mask('{"event": "seller_sale", "customer_name": "个人消费者"}', 'public');
SELECT trace.mask('{"event": "seller_sale", "customer_name": "个人消费者"}', 'partner');
SELECT trace.mask('{"event": "seller_sale", "customer_name": "个人消费者"}', 'regulator');
SELECT trace.mask('{"customer_name": "北京示例五金店", "buyer_uscc": "92110105MA01ABC2DR"}', 'public');
SELECT trace.mask('{"buyer_name": "张三", "buyer_address": "", "buyer_contact": null}', 'public');
SELECT trace.mask('{"supplier_name": "王五", "supplier_uscc": null}', 'public');
SELECT trace.mask('[1, 2]', 'public');
SELECT trace.mask(NULL, 'public');
SELECT trace.mask('{}', 'Regulator');
SELECT trace.mask('{}', NULL);

-- documents and exports: arguments
SELECT trace.history_document('(01)06901234567892(21)NONE');
SELECT trace.history_document('(01)06901234567893(21)X');
SELECT trace.history_document('(01)06901234567892(21)X', 'world');
SELECT trace.unit_document('91330100MA2H3K5L19', '2026-06-01', '2026-06-01');
SELECT trace.unit_document('91330100MA2H3K5L19', NULL, '2026-06-01');
SELECT trace.unit_document('91330100MA2H3K5L1X', '2026-06-01', '2026-07-01');
SELECT trace.unit_document('92110105MA01ABC2DR', '2026-06-01', '2026-07-01');
SELECT trace.export_history('(01)06901234567892(21)X', 'public', 'jwt');
SELECT trace.export_history(NULL);
SELECT trace.export_epcis('91330100MA2H3K5L19', '2026-07-01', '2026-06-01');
SELECT trace.export_epcis('91330100MA2H3K5L19', '2026-06-01', '2026-07-01', 'public', NULL);
SELECT trace.export_epcis('91330100MA2H3K5L19', '2026-06-01', '2026-07-01', 'public', 'ftp://example.com');
SELECT trace.export_epcis('91330100MA2H3K5L19', '2026-06-01', '2026-07-01') -> 'epcisBody';
RESET pgtrace.reference_time;
