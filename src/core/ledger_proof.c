/*
 * ledger_proof.c — checking a ledger inclusion proof; see ledger_proof.h and
 * the "Proof format" section of docs/ledger.md.
 */
#include "ledger_proof.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcs.h"
#include "ledger.h"

_Static_assert(sizeof(ledger_hasher) <= sizeof(((ledger_export_check *) 0)->hasher),
               "ledger_export_check.hasher too small");

#define MAX_RANGES 65536
#define PROOF_MAX_ROWS ((int64_t) 1 << 40)
#define EXACT_LIMIT 9007199254740992.0  /* 2^53 */

/* A JSON number that is an exact integer below 2^53 in magnitude. */
static bool
exact_int(double d, int64_t *out)
{
    if (!(d > -EXACT_LIMIT && d < EXACT_LIMIT))
        return false;           /* also rejects NaN */
    if ((double) (int64_t) d != d)
        return false;
    *out = (int64_t) d;
    return true;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
            __attribute__((format(printf, 3, 4)));

static bool
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list     ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

/* An integer member: a JSON number with an exact integer value (|v| < 2^53),
 * or a string of decimal digits (for values past 2^53). */
static bool
get_int(const jcs_value *obj, const char *key, int64_t *out)
{
    const jcs_value *v = jcs_get(obj, key);

    if (v == NULL)
        return false;
    if (v->type == JCS_NUMBER)
        return exact_int(v->number, out);
    if (v->type == JCS_STRING)
    {
        char       *end;
        long long   n;

        if (v->len == 0 || v->len > 20 || strlen(v->str) != v->len)
            return false;
        n = strtoll(v->str, &end, 10);
        if (*end != '\0')
            return false;
        *out = (int64_t) n;
        return true;
    }
    return false;
}

static bool
get_hash(const jcs_value *obj, const char *key, uint8_t out[LEDGER_HASH_LEN])
{
    const jcs_value *v = jcs_get(obj, key);

    return v && v->type == JCS_STRING && ledger_unhex(v->str, v->len, out, LEDGER_HASH_LEN);
}

static const char *
get_str(const jcs_value *obj, const char *key)
{
    const jcs_value *v = jcs_get(obj, key);

    return (v && v->type == JCS_STRING && strlen(v->str) == v->len) ? v->str : NULL;
}

/* Recompute a block's hash from its JSON fields; also returns its fields. */
static bool
block_check_ranges(ledger_hasher *h, const char *ledger, const jcs_value *b, int64_t *block_no,
                   uint8_t root[LEDGER_HASH_LEN], uint8_t prev[LEDGER_HASH_LEN],
                   uint8_t hash[LEDGER_HASH_LEN], int64_t *row_count,
                   int64_t **ranges_out, size_t *nranges_out, char *err, size_t errlen);

static bool
block_check(ledger_hasher *h, const char *ledger, const jcs_value *b, int64_t *block_no,
            uint8_t root[LEDGER_HASH_LEN], uint8_t prev[LEDGER_HASH_LEN],
            uint8_t hash[LEDGER_HASH_LEN], int64_t *row_count, char *err, size_t errlen)
{
    return block_check_ranges(h, ledger, b, block_no, root, prev, hash, row_count, NULL, NULL,
                              err, errlen);
}

/* The same, handing the block's ranges (lo, hi pairs, malloc'ed) to the caller. */
static bool
block_check_ranges(ledger_hasher *h, const char *ledger, const jcs_value *b, int64_t *block_no,
                   uint8_t root[LEDGER_HASH_LEN], uint8_t prev[LEDGER_HASH_LEN],
                   uint8_t hash[LEDGER_HASH_LEN], int64_t *row_count,
                   int64_t **ranges_out, size_t *nranges_out, char *err, size_t errlen)
{
    int64_t     sealed_at;
    const jcs_value *ranges;
    int64_t    *r;
    size_t      i;
    uint8_t     got[LEDGER_HASH_LEN];
    int64_t     members = 0;

    if (b == NULL || b->type != JCS_OBJECT
        || !get_int(b, "block_no", block_no) || !get_int(b, "row_count", row_count)
        || !get_int(b, "sealed_at_us", &sealed_at)
        || !get_hash(b, "merkle_root", root) || !get_hash(b, "prev_hash", prev)
        || !get_hash(b, "block_hash", hash))
        return fail(err, errlen, "a block lacks block_no, row_count, sealed_at_us or a 64-hex-digit hash");
    ranges = jcs_get(b, "ranges");
    if (ranges == NULL || ranges->type != JCS_ARRAY || ranges->len == 0 || ranges->len > MAX_RANGES)
        return fail(err, errlen, "block %lld: ranges must be a non-empty array", (long long) *block_no);
    r = malloc(sizeof(int64_t) * 2 * ranges->len);
    if (r == NULL)
        return fail(err, errlen, "out of memory");
    for (i = 0; i < ranges->len; i++)
    {
        const jcs_value *pair = ranges->items[i];

        if (pair->type != JCS_ARRAY || pair->len != 2
            || pair->items[0]->type != JCS_NUMBER || pair->items[1]->type != JCS_NUMBER
            || !exact_int(pair->items[0]->number, &r[2 * i])
            || !exact_int(pair->items[1]->number, &r[2 * i + 1]))
        {
            free(r);
            return fail(err, errlen, "block %lld: each range is [lo, hi]", (long long) *block_no);
        }
        if (r[2 * i + 1] <= r[2 * i] || (i > 0 && r[2 * i] <= r[2 * i - 1]))
        {
            free(r);
            return fail(err, errlen, "block %lld: ranges must be ascending and disjoint", (long long) *block_no);
        }
        members += r[2 * i + 1] - r[2 * i];
        if (members > PROOF_MAX_ROWS)
        {
            free(r);
            return fail(err, errlen, "block %lld: too many members", (long long) *block_no);
        }
    }
    if (members != *row_count)
    {
        free(r);
        return fail(err, errlen, "block %lld: its ranges hold %lld seqs, row_count says %lld",
                    (long long) *block_no, (long long) members, (long long) *row_count);
    }
    ledger_block_hash(h, ledger, strlen(ledger), *block_no, *row_count, root, prev, sealed_at,
                      r, (uint32_t) ranges->len, got);
    if (memcmp(got, hash, LEDGER_HASH_LEN) != 0)
    {
        free(r);
        return fail(err, errlen, "block %lld: block_hash does not match the block's fields", (long long) *block_no);
    }
    if (ranges_out)
    {
        *ranges_out = r;
        *nranges_out = ranges->len;
    }
    else
        free(r);
    return true;
}

static bool
check_tree(const jcs_value *p, const jcs_value *cp, ledger_hasher *h, ledger_proof_info *info,
           char *err, size_t errlen)
{
    const char *typ = get_str(p, "typ");
    const char *ledger = get_str(p, "ledger");
    const char *enc_hex = get_str(p, "row_encoding");
    const jcs_value *path = jcs_get(p, "audit_path");
    const jcs_value *chain = jcs_get(p, "chain");
    int64_t     version;
    int64_t     seq;
    int64_t     leaf_index;
    uint8_t     row_hash[LEDGER_HASH_LEN];
    uint8_t     got[LEDGER_HASH_LEN];
    uint8_t     root[LEDGER_HASH_LEN];
    uint8_t     prev[LEDGER_HASH_LEN];
    uint8_t     hash[LEDGER_HASH_LEN];
    uint8_t     (*steps)[LEDGER_HASH_LEN];
    int64_t     block_no;
    int64_t     row_count;
    size_t      enc_len;
    uint8_t    *enc;
    size_t      i;
    size_t      name_len;
    bool        ok;

    if (typ == NULL || strcmp(typ, "pgtrace-ledger-proof") != 0)
        return fail(err, errlen, "not a ledger proof (typ)");
    if (!get_int(p, "version", &version) || version != 1)
        return fail(err, errlen, "unsupported proof version");
    if (ledger == NULL || strlen(ledger) >= sizeof(info->ledger))
        return fail(err, errlen, "the proof names no ledger");
    snprintf(info->ledger, sizeof(info->ledger), "%s", ledger);
    if (!get_int(p, "seq", &seq) || !get_int(p, "leaf_index", &leaf_index) || leaf_index < 0
        || !get_hash(p, "row_hash", row_hash) || enc_hex == NULL)
        return fail(err, errlen, "the proof lacks seq, leaf_index, row_hash or row_encoding");
    info->seq = seq;

    /* 1. the row's canonical encoding hashes to row_hash and names this row */
    enc_len = strlen(enc_hex) / 2;
    enc = malloc(enc_len + 1);
    if (enc == NULL)
        return fail(err, errlen, "out of memory");
    if (!ledger_unhex(enc_hex, strlen(enc_hex), enc, enc_len))
    {
        free(enc);
        return fail(err, errlen, "row_encoding is not hex");
    }
    name_len = strlen(ledger);
    ok = enc_len >= 13 + name_len && enc[0] == LEDGER_ENCODING_VERSION
        && ((size_t) enc[1] << 24 | (size_t) enc[2] << 16 | (size_t) enc[3] << 8 | enc[4]) == name_len
        && memcmp(enc + 5, ledger, name_len) == 0
        && ledger_get_i64(enc + 5 + name_len) == seq;
    if (ok)
    {
        ledger_hasher_update(h, enc, enc_len);
        ledger_hasher_final(h, got);
    }
    free(enc);
    if (!ok)
        return fail(err, errlen, "row_encoding is not version 1 of ledger %s, seq %lld", ledger, (long long) seq);
    if (memcmp(got, row_hash, LEDGER_HASH_LEN) != 0)
        return fail(err, errlen, "row_encoding does not hash to row_hash");

    /* 2. the audit path leads from the row to the block's Merkle root */
    if (!block_check(h, ledger, jcs_get(p, "block"), &block_no, root, prev, hash, &row_count, err, errlen))
        return false;
    info->block_no = block_no;
    if (path == NULL || path->type != JCS_ARRAY || path->len > LEDGER_MERKLE_MAX_DEPTH)
        return fail(err, errlen, "audit_path must be an array of at most %d hashes", LEDGER_MERKLE_MAX_DEPTH);
    steps = malloc(sizeof(*steps) * (path->len + 1));
    if (steps == NULL)
        return fail(err, errlen, "out of memory");
    for (i = 0; i < path->len; i++)
        if (path->items[i]->type != JCS_STRING
            || !ledger_unhex(path->items[i]->str, path->items[i]->len, steps[i], LEDGER_HASH_LEN))
        {
            free(steps);
            return fail(err, errlen, "audit_path[%zu] is not a 64-hex-digit hash", i);
        }
    ok = leaf_index < row_count
        && ledger_merkle_check(h, row_hash, (uint64_t) leaf_index, (uint64_t) row_count,
                               (const uint8_t (*)[LEDGER_HASH_LEN]) steps, (int) path->len, root);
    free(steps);
    if (!ok)
        return fail(err, errlen, "the audit path does not lead to block %lld's Merkle root", (long long) block_no);

    /* 3. each later block links to the one before */
    if (chain == NULL || chain->type != JCS_ARRAY)
        return fail(err, errlen, "chain must be an array");
    for (i = 0; i < chain->len; i++)
    {
        uint8_t     last[LEDGER_HASH_LEN];
        int64_t     last_no = block_no;

        memcpy(last, hash, LEDGER_HASH_LEN);
        if (!block_check(h, ledger, chain->items[i], &block_no, root, prev, hash, &row_count, err, errlen))
            return false;
        if (block_no != last_no + 1 || memcmp(prev, last, LEDGER_HASH_LEN) != 0)
            return fail(err, errlen, "block %lld does not follow block %lld", (long long) block_no, (long long) last_no);
    }
    info->head_block_no = block_no;
    ledger_hex(hash, LEDGER_HASH_LEN, info->head_hash);

    /* 4. the chain ends at the checkpoint's head of this ledger */
    if (cp)
    {
        const jcs_value *ls = jcs_get(cp, "ledgers");
        const char *cptyp = get_str(cp, "typ");

        if (cptyp == NULL || strcmp(cptyp, "pgtrace-ledger-checkpoint") != 0)
            return fail(err, errlen, "the checkpoint is not a ledger checkpoint (typ)");
        if (ls == NULL || ls->type != JCS_ARRAY)
            return fail(err, errlen, "the checkpoint has no ledgers");
        for (i = 0; i < ls->len; i++)
        {
            const char *name = get_str(ls->items[i], "ledger");
            int64_t     blocks;
            uint8_t     head[LEDGER_HASH_LEN];

            if (name == NULL || strcmp(name, ledger) != 0)
                continue;
            if (!get_int(ls->items[i], "blocks", &blocks) || !get_hash(ls->items[i], "head", head))
                return fail(err, errlen, "the checkpoint's entry for %s lacks blocks or head", ledger);
            if (blocks != block_no || memcmp(head, hash, LEDGER_HASH_LEN) != 0)
                return fail(err, errlen, "the chain ends at block %lld, not at the checkpoint's head (block %lld)",
                            (long long) block_no, (long long) blocks);
            return true;
        }
        return fail(err, errlen, "the checkpoint does not cover ledger %s", ledger);
    }
    return true;
}

bool
ledger_proof_check(const char *proof, size_t proof_len, const char *checkpoint_payload, size_t cp_len,
                   ledger_proof_info *info, char *err, size_t errlen)
{
    jcs_value  *p = NULL;
    jcs_value  *cp = NULL;
    ledger_hasher h;
    ledger_alg  alg;
    const char *algname;
    char        perr[200];
    bool        ok;

    memset(info, 0, sizeof(*info));
    if (jcs_parse(proof, proof_len, &p, perr, sizeof(perr)) != JCS_OK)
        return fail(err, errlen, "the proof is not JSON: %s", perr);
    if (p->type != JCS_OBJECT)
    {
        jcs_free(p);
        return fail(err, errlen, "the proof is not a JSON object");
    }
    if (checkpoint_payload
        && (jcs_parse(checkpoint_payload, cp_len, &cp, perr, sizeof(perr)) != JCS_OK || cp->type != JCS_OBJECT))
    {
        jcs_free(p);
        if (cp)
            jcs_free(cp);
        return fail(err, errlen, "the checkpoint payload is not a JSON object");
    }
    algname = get_str(p, "alg");
    if (algname == NULL || !ledger_alg_parse(algname, &alg))
        ok = fail(err, errlen, "unknown hash algorithm");
    else if (!ledger_hasher_init(&h, alg))
        ok = fail(err, errlen, "hash algorithm %s is not available", algname);
    else
    {
        ok = check_tree(p, cp, &h, info, err, errlen);
        ledger_hasher_free(&h);
    }
    jcs_free(p);
    if (cp)
        jcs_free(cp);
    return ok;
}

/* ------------------------------------------------------------- exports */

/* Hash one row encoding (hex) after checking its header names ledger/seq. */
static bool
encoding_hash(ledger_hasher *h, const char *ledger, int64_t seq, const jcs_value *v,
              uint8_t out[LEDGER_HASH_LEN], char *err, size_t errlen)
{
    size_t      enc_len;
    uint8_t    *enc;
    size_t      name_len = strlen(ledger);
    bool        ok;

    if (v == NULL || v->type != JCS_STRING || v->len % 2 != 0 || strlen(v->str) != v->len)
        return fail(err, errlen, "row %lld: row_encoding is not hex", (long long) seq);
    enc_len = v->len / 2;
    enc = malloc(enc_len + 1);
    if (enc == NULL)
        return fail(err, errlen, "out of memory");
    ok = ledger_unhex(v->str, v->len, enc, enc_len)
        && enc_len >= 13 + name_len && enc[0] == LEDGER_ENCODING_VERSION
        && ((size_t) enc[1] << 24 | (size_t) enc[2] << 16 | (size_t) enc[3] << 8 | enc[4]) == name_len
        && memcmp(enc + 5, ledger, name_len) == 0
        && ledger_get_i64(enc + 5 + name_len) == seq;
    if (ok)
    {
        ledger_hasher_update(h, enc, enc_len);
        ledger_hasher_final(h, out);
    }
    free(enc);
    if (!ok)
        return fail(err, errlen, "row %lld: row_encoding is not version 1 of ledger %s at this seq",
                    (long long) seq, ledger);
    return true;
}

void
ledger_export_begin(ledger_export_check *c)
{
    memset(c, 0, sizeof(*c));
}

bool
ledger_export_line(ledger_export_check *c, const char *line, size_t len, char *err, size_t errlen)
{
    jcs_value  *v = NULL;
    char        perr[200];
    bool        ok = false;
    ledger_hasher *h = (ledger_hasher *) c->hasher;

    if (jcs_parse(line, len, &v, perr, sizeof(perr)) != JCS_OK || v->type != JCS_OBJECT)
    {
        if (v)
            jcs_free(v);
        return fail(err, errlen, "line %lld is not a JSON object: %s", (long long) c->lines + 1, perr);
    }
    c->lines++;
    if (!c->header_seen)
    {
        const char *typ = get_str(v, "typ");
        const char *ledger = get_str(v, "ledger");
        const char *algname = get_str(v, "alg");
        int64_t     version;
        ledger_alg  alg;

        if (typ == NULL || strcmp(typ, "pgtrace-ledger-export") != 0
            || !get_int(v, "version", &version) || version != 1)
            ok = fail(err, errlen, "the first line is not a version 1 ledger export header");
        else if (ledger == NULL || strlen(ledger) >= sizeof(c->ledger))
            ok = fail(err, errlen, "the header names no ledger");
        else if (algname == NULL || !ledger_alg_parse(algname, &alg) || !ledger_hasher_init(h, alg))
            ok = fail(err, errlen, "unknown or unavailable hash algorithm");
        else
        {
            snprintf(c->ledger, sizeof(c->ledger), "%s", ledger);
            c->header_seen = true;
            c->hasher_ready = true;
            ok = true;
        }
        jcs_free(v);
        return ok;
    }
    {
        int64_t     block_no;
        int64_t     row_count;
        uint8_t     root[LEDGER_HASH_LEN];
        uint8_t     prev[LEDGER_HASH_LEN];
        uint8_t     hash[LEDGER_HASH_LEN];
        uint8_t     leaf[LEDGER_HASH_LEN];
        uint8_t     got[LEDGER_HASH_LEN];
        int64_t    *r = NULL;
        size_t      nr = 0;
        size_t      ri = 0;
        int64_t     expect;
        const jcs_value *rows = jcs_get(v, "rows");
        ledger_merkle m;
        size_t      i;

        if (!block_check_ranges(h, c->ledger, jcs_get(v, "block"), &block_no, root, prev, hash,
                                &row_count, &r, &nr, err, errlen))
        {
            jcs_free(v);
            return false;
        }
        ok = true;
        if (block_no != c->last_block + 1
            || memcmp(prev, c->last_hash, LEDGER_HASH_LEN) != 0)
            ok = fail(err, errlen, "block %lld does not follow block %lld", (long long) block_no,
                      (long long) c->last_block);
        else if (rows == NULL || rows->type != JCS_ARRAY || (int64_t) rows->len != row_count)
            ok = fail(err, errlen, "block %lld: rows must list its %lld members", (long long) block_no,
                      (long long) row_count);
        ledger_merkle_init(&m, h);
        expect = r[0];
        for (i = 0; ok && i < rows->len; i++)
        {
            const jcs_value *row = rows->items[i];
            int64_t     seq;

            while (ri < nr && expect >= r[2 * ri + 1])
            {
                ri++;
                if (ri < nr)
                    expect = r[2 * ri];
            }
            if (row->type != JCS_OBJECT || !get_int(row, "seq", &seq) || seq != expect)
            {
                ok = fail(err, errlen, "block %lld: row %zu is not seq %lld", (long long) block_no, i,
                          (long long) expect);
                break;
            }
            if (jcs_get(row, "row_encoding"))
            {
                if (!encoding_hash(h, c->ledger, seq, jcs_get(row, "row_encoding"), leaf, err, errlen))
                {
                    ok = false;
                    break;
                }
                c->rows++;
            }
            else if (get_hash(row, "purged", leaf))
                c->purged++;
            else
            {
                ok = fail(err, errlen, "block %lld: row %lld is missing", (long long) block_no, (long long) seq);
                break;
            }
            ledger_merkle_push(&m, leaf);
            expect++;
        }
        if (ok)
        {
            ledger_merkle_root(&m, got);
            if (memcmp(got, root, LEDGER_HASH_LEN) != 0)
                ok = fail(err, errlen, "block %lld: its rows do not hash to its Merkle root", (long long) block_no);
        }
        free(r);
        jcs_free(v);
        if (!ok)
            return false;
        c->last_block = block_no;
        memcpy(c->last_hash, hash, LEDGER_HASH_LEN);
        c->blocks++;
        if (c->want_block == block_no)
            memcpy(c->hash_at_want, hash, LEDGER_HASH_LEN);
        return true;
    }
}

bool
ledger_export_end(ledger_export_check *c, char *err, size_t errlen)
{
    bool        ok = true;

    if (!c->header_seen)
        ok = fail(err, errlen, "the export is empty");
    if (c->hasher_ready)
        ledger_hasher_free((ledger_hasher *) c->hasher);
    c->hasher_ready = false;
    return ok;
}

/* Which block and head a checkpoint payload fixes for a ledger. */
bool
ledger_checkpoint_head(const char *payload, size_t len, const char *ledger, int64_t *blocks,
                       uint8_t head[LEDGER_HASH_LEN], char *err, size_t errlen)
{
    jcs_value  *cp = NULL;
    const jcs_value *ls;
    char        perr[200];
    size_t      i;
    bool        ok = false;

    if (jcs_parse(payload, len, &cp, perr, sizeof(perr)) != JCS_OK || cp->type != JCS_OBJECT)
    {
        if (cp)
            jcs_free(cp);
        return fail(err, errlen, "the checkpoint payload is not a JSON object");
    }
    ls = jcs_get(cp, "ledgers");
    if (get_str(cp, "typ") == NULL || strcmp(get_str(cp, "typ"), "pgtrace-ledger-checkpoint") != 0
        || ls == NULL || ls->type != JCS_ARRAY)
        ok = fail(err, errlen, "not a ledger checkpoint");
    else
    {
        ok = fail(err, errlen, "the checkpoint does not cover ledger %s", ledger);
        for (i = 0; i < ls->len; i++)
        {
            const char *name = get_str(ls->items[i], "ledger");

            if (name && strcmp(name, ledger) == 0)
            {
                ok = get_int(ls->items[i], "blocks", blocks) && get_hash(ls->items[i], "head", head);
                if (!ok)
                    fail(err, errlen, "the checkpoint's entry for %s lacks blocks or head", ledger);
                break;
            }
        }
    }
    jcs_free(cp);
    return ok;
}
