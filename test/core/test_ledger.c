/*
 * test_ledger.c — known-answer tests of the ledger's canonical encoding,
 * Merkle trees and block hash (src/core/ledger.c). The expected digests were
 * computed by an independent reference written from docs/ledger.md.
 */
#include <stdio.h>
#include <string.h>

#include "ledger.h"

static int  n_test;
static int  n_fail;

static void
ok(int cond, const char *name)
{
    n_test++;
    if (!cond)
        n_fail++;
    printf("%sok %d - %s\n", cond ? "" : "not ", n_test, name);
}

static int
hex_is(const uint8_t *h, const char *want)
{
    char        got[2 * LEDGER_HASH_LEN + 1];

    ledger_hex(h, LEDGER_HASH_LEN, got);
    if (strcmp(got, want) != 0)
    {
        printf("# got  %s\n# want %s\n", got, want);
        return 0;
    }
    return 1;
}

/* The row of the known-answer vector: int4 7, text 'héllo', NULL, int8 -2, true. */
static void
kat_row(ledger_hasher *h, uint8_t out[LEDGER_HASH_LEN])
{
    const char *name = "public.kat";

    ledger_enc_row_header(h, name, strlen(name), 42);
    ledger_enc_int(h, LEDGER_TAG_INT4, 7);
    ledger_enc_value(h, LEDGER_TAG_TEXT, "h\xc3\xa9llo", 6);
    ledger_enc_null(h);
    ledger_enc_int(h, LEDGER_TAG_INT8, -2);
    ledger_enc_int(h, LEDGER_TAG_BOOL, 1);
    ledger_hasher_final(h, out);
}

int
main(void)
{
    ledger_hasher h;
    ledger_hasher sm3;
    ledger_alg  alg;
    uint8_t     rows[7][LEDGER_HASH_LEN];
    uint8_t     out[LEDGER_HASH_LEN];
    uint8_t     path[LEDGER_MERKLE_MAX_DEPTH][LEDGER_HASH_LEN];
    uint8_t     zero[LEDGER_HASH_LEN] = {0};
    ledger_merkle m;
    int64_t     ranges[4] = {1, 5, 6, 9};
    int         i;
    int         len;
    int         all_paths_ok = 1;
    char        hex[8];

    ok(ledger_alg_parse("sha256", &alg) && alg == LEDGER_ALG_SHA256, "sha256 name parses");
    ok(ledger_alg_parse("sm3", &alg) && alg == LEDGER_ALG_SM3, "sm3 name parses");
    ok(!ledger_alg_parse("md5", &alg), "unknown algorithm refused");
    ok(ledger_hasher_init(&h, LEDGER_ALG_SHA256), "sha256 available");
    ok(ledger_hasher_init(&sm3, LEDGER_ALG_SM3), "sm3 available");

    ledger_hasher_update(&sm3, "abc", 3);
    ledger_hasher_final(&sm3, out);
    ok(hex_is(out, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
       "SM3(abc) standard vector");

    kat_row(&h, out);
    ok(hex_is(out, "489a5759ad8791bf9029b868493f341a57af0747eac3899ff03c3c863011f999"),
       "row encoding v1 known answer (sha256)");
    kat_row(&sm3, out);
    ok(hex_is(out, "e6c8d5d966189f433d7af48121ad34998dc120af02723bf42dc85d1bc2c8484c"),
       "row encoding v1 known answer (sm3)");

    for (i = 0; i < 7; i++)
    {
        uint8_t     b = (uint8_t) i;

        ledger_digest(LEDGER_ALG_SHA256, &b, 1, rows[i]);
    }
    ledger_merkle_init(&m, &h);
    ledger_merkle_push(&m, rows[0]);
    ledger_merkle_root(&m, out);
    ok(hex_is(out, "d9de27625445003d8a9739a851e3ff8d41c0683630b4d63a88327a6aaa37c409"),
       "merkle root of one leaf is its leaf hash");
    ledger_merkle_init(&m, &h);
    for (i = 0; i < 7; i++)
        ledger_merkle_push(&m, rows[i]);
    ledger_merkle_root(&m, out);
    ok(hex_is(out, "bee2275db16667589a4515f63e0d053a2fa602c1d9f9703e98920a5bdad59baf"),
       "streaming merkle root of 7 leaves matches RFC 6962 MTH");

    len = ledger_merkle_path(&h, &rows[0][0], 7, 3, path);
    ledger_hex(path[0], 3, hex);
    ok(len == 3 && strcmp(hex, "27d02c") == 0, "audit path of leaf 3 of 7");
    len = ledger_merkle_path(&h, &rows[0][0], 7, 6, path);
    ok(len == 2, "audit path of the last leaf of 7 has 2 siblings");
    for (i = 0; i < 7; i++)
    {
        len = ledger_merkle_path(&h, &rows[0][0], 7, (uint64_t) i, path);
        if (!ledger_merkle_check(&h, rows[i], (uint64_t) i, 7, (const uint8_t (*)[LEDGER_HASH_LEN]) path, len, out))
            all_paths_ok = 0;
    }
    ok(all_paths_ok, "every audit path of 7 leaves checks against the root");
    len = ledger_merkle_path(&h, &rows[0][0], 7, 2, path);
    ok(!ledger_merkle_check(&h, rows[3], 2, 7, (const uint8_t (*)[LEDGER_HASH_LEN]) path, len, out),
       "a wrong leaf fails its audit path");
    ok(!ledger_merkle_check(&h, rows[2], 3, 7, (const uint8_t (*)[LEDGER_HASH_LEN]) path, len, out),
       "a wrong index fails the audit path");
    ok(ledger_merkle_path(&h, &rows[0][0], 7, 7, path) == -1, "index past the end refused");

    ledger_block_hash(&h, "public.kat", 10, 1, 7, out, zero, 1000, ranges, 2, out);
    ok(hex_is(out, "2ec6905b0191cedef68e78874f5e26d0689197225f40df92e40b3fbd6178cf1c"),
       "block hash known answer");

    ok(ledger_unhex("00ff10", 6, out, 3) && out[1] == 0xff, "hex decodes");
    ok(!ledger_unhex("0g", 2, out, 1), "bad hex refused");

    ledger_hasher_free(&h);
    ledger_hasher_free(&sm3);
    printf("1..%d\n", n_test);
    return n_fail ? 1 : 0;
}
