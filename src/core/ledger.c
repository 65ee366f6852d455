/*
 * ledger.c — canonical row encoding, row and block hashes, Merkle trees.
 * See ledger.h for the byte layout; docs/ledger.md for the full reference.
 */
#include "ledger.h"

#include <string.h>

/*
 * SHA-256 goes through the low-level SHA256_* calls: re-initialising an EVP
 * context frees and reallocates its provider state, which cost more than
 * hashing a typical row. They are deprecated in OpenSSL 3 but present.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((ledger_hasher *) 0)->sha),
               "ledger_hasher.sha too small for SHA256_CTX");
#define SHA_CTX_OF(h) ((SHA256_CTX *) (h)->sha)

bool
ledger_alg_parse(const char *name, ledger_alg *out)
{
    if (strcmp(name, "sha256") == 0)
        *out = LEDGER_ALG_SHA256;
    else if (strcmp(name, "sm3") == 0)
        *out = LEDGER_ALG_SM3;
    else
        return false;
    return true;
}

const char *
ledger_alg_name(ledger_alg alg)
{
    return alg == LEDGER_ALG_SM3 ? "sm3" : "sha256";
}

/* The EVP digest of an algorithm, fetched once (fetching is not free). */
static const EVP_MD *
ledger_md(ledger_alg alg)
{
    static const EVP_MD *sha256;
    static const EVP_MD *sm3;
    static bool sm3_tried;

    if (alg == LEDGER_ALG_SM3)
    {
        if (!sm3_tried)
        {
            sm3 = EVP_MD_fetch(NULL, "SM3", NULL);
            sm3_tried = true;
        }
        return sm3;
    }
    /* An explicitly fetched digest: EVP_sha256() would be looked up again on
     * every EVP_DigestInit_ex, which costs more than hashing a row. */
    if (sha256 == NULL)
        sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    return sha256;
}

bool
ledger_hasher_init(ledger_hasher *h, ledger_alg alg)
{
    const EVP_MD *md = ledger_md(alg);
    EVP_MD_CTX *ctx;

    h->ctx = NULL;
    h->alg = alg;
    h->buffered = 0;
    h->tee = NULL;
    h->tee_arg = NULL;
    if (alg == LEDGER_ALG_SHA256)
        return SHA256_Init(SHA_CTX_OF(h)) == 1;
    if (md == NULL)
        return false;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return false;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
    {
        EVP_MD_CTX_free(ctx);
        return false;
    }
    h->ctx = ctx;
    return true;
}

void
ledger_hasher_reset(ledger_hasher *h)
{
    h->buffered = 0;
    if (h->alg == LEDGER_ALG_SHA256)
        SHA256_Init(SHA_CTX_OF(h));
    else
        EVP_DigestInit_ex((EVP_MD_CTX *) h->ctx, NULL, NULL);   /* reuse its digest */
}

static void
raw_update(ledger_hasher *h, const void *data, size_t len)
{
    if (h->alg == LEDGER_ALG_SHA256)
        SHA256_Update(SHA_CTX_OF(h), data, len);
    else
        EVP_DigestUpdate((EVP_MD_CTX *) h->ctx, data, len);
}

static void
hasher_flush(ledger_hasher *h)
{
    if (h->buffered > 0)
        raw_update(h, h->buf, h->buffered);
    h->buffered = 0;
}

/* ledger_hasher_update when the bytes do not simply fit the buffer, or are teed. */
void
ledger_hasher_update_slow(ledger_hasher *h, const void *data, size_t len)
{
    if (len == 0)
        return;
    if (h->tee)
        h->tee(h->tee_arg, data, len);
    if (h->buffered + len > LEDGER_HASHER_BUF)
    {
        hasher_flush(h);
        if (len > LEDGER_HASHER_BUF / 2)
        {
            raw_update(h, data, len);
            return;
        }
    }
    memcpy(h->buf + h->buffered, data, len);
    h->buffered += len;
}

/* Finish the digest and leave the hasher ready for the next one. */
void
ledger_hasher_final(ledger_hasher *h, uint8_t out[LEDGER_HASH_LEN])
{
    unsigned int n = 0;

    hasher_flush(h);
    if (h->alg == LEDGER_ALG_SHA256)
        SHA256_Final(out, SHA_CTX_OF(h));
    else
        EVP_DigestFinal_ex((EVP_MD_CTX *) h->ctx, out, &n);
    ledger_hasher_reset(h);
}

void
ledger_hasher_free(ledger_hasher *h)
{
    if (h->ctx)
        EVP_MD_CTX_free((EVP_MD_CTX *) h->ctx);
    h->ctx = NULL;
}

bool
ledger_digest(ledger_alg alg, const void *data, size_t len, uint8_t out[LEDGER_HASH_LEN])
{
    ledger_hasher h;

    if (!ledger_hasher_init(&h, alg))
        return false;
    ledger_hasher_update(&h, data, len);
    ledger_hasher_final(&h, out);
    ledger_hasher_free(&h);
    return true;
}

void
ledger_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

void
ledger_put_i64(uint8_t *p, int64_t v)
{
    uint64_t    u = (uint64_t) v;
    int         i;

    for (i = 7; i >= 0; i--)
    {
        p[i] = (uint8_t) u;
        u >>= 8;
    }
}

int64_t
ledger_get_i64(const uint8_t *p)
{
    uint64_t    u = 0;
    int         i;

    for (i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t) u;
}

void
ledger_enc_row_header(ledger_hasher *h, const char *ledger_name, size_t name_len,
                      int64_t seq)
{
    uint8_t     buf[13];

    buf[0] = LEDGER_ENCODING_VERSION;
    ledger_put_u32(buf + 1, (uint32_t) name_len);
    ledger_hasher_update(h, buf, 5);
    ledger_hasher_update(h, ledger_name, name_len);
    ledger_put_i64(buf, seq);
    ledger_hasher_update(h, buf, 8);
}

void
ledger_enc_null(ledger_hasher *h)
{
    uint8_t     tag = LEDGER_TAG_NULL;

    ledger_hasher_update(h, &tag, 1);
}

void
ledger_enc_value(ledger_hasher *h, ledger_tag tag, const void *bytes, size_t len)
{
    uint8_t     buf[5];

    buf[0] = (uint8_t) tag;
    ledger_put_u32(buf + 1, (uint32_t) len);
    ledger_hasher_update(h, buf, 5);
    ledger_hasher_update(h, bytes, len);
}

/* Integers (and date/timestamps, float bit patterns) at their natural width. */
void
ledger_enc_int(ledger_hasher *h, ledger_tag tag, int64_t v)
{
    uint8_t     b[8];
    size_t      width;

    switch (tag)
    {
        case LEDGER_TAG_BOOL:
            width = 1;
            break;
        case LEDGER_TAG_INT2:
            width = 2;
            break;
        case LEDGER_TAG_INT4:
        case LEDGER_TAG_FLOAT4:
        case LEDGER_TAG_DATE:
            width = 4;
            break;
        default:
            width = 8;
            break;
    }
    ledger_put_i64(b, v);
    ledger_enc_value(h, tag, b + 8 - width, width);
}

void
ledger_enc_array_header(ledger_hasher *h, int ndim, const int *dims, const int *lbounds)
{
    uint8_t     buf[5];
    int         i;

    buf[0] = LEDGER_TAG_ARRAY;
    ledger_put_u32(buf + 1, (uint32_t) ndim);
    ledger_hasher_update(h, buf, 5);
    for (i = 0; i < ndim; i++)
    {
        ledger_put_u32(buf, (uint32_t) dims[i]);
        ledger_hasher_update(h, buf, 4);
        ledger_put_u32(buf, (uint32_t) lbounds[i]);
        ledger_hasher_update(h, buf, 4);
    }
}

void
ledger_enc_composite_header(ledger_hasher *h, int natts)
{
    uint8_t     buf[5];

    buf[0] = LEDGER_TAG_COMPOSITE;
    ledger_put_u32(buf + 1, (uint32_t) natts);
    ledger_hasher_update(h, buf, 5);
}

void
ledger_leaf_hash(ledger_hasher *h, const uint8_t row_hash[LEDGER_HASH_LEN],
                 uint8_t out[LEDGER_HASH_LEN])
{
    uint8_t     prefix = 0x00;

    ledger_hasher_update(h, &prefix, 1);
    ledger_hasher_update(h, row_hash, LEDGER_HASH_LEN);
    ledger_hasher_final(h, out);
}

void
ledger_node_hash(ledger_hasher *h, const uint8_t left[LEDGER_HASH_LEN],
                 const uint8_t right[LEDGER_HASH_LEN], uint8_t out[LEDGER_HASH_LEN])
{
    uint8_t     prefix = 0x01;
    uint8_t     l[LEDGER_HASH_LEN];
    uint8_t     r[LEDGER_HASH_LEN];

    /* out may alias left or right */
    memcpy(l, left, LEDGER_HASH_LEN);
    memcpy(r, right, LEDGER_HASH_LEN);
    ledger_hasher_update(h, &prefix, 1);
    ledger_hasher_update(h, l, LEDGER_HASH_LEN);
    ledger_hasher_update(h, r, LEDGER_HASH_LEN);
    ledger_hasher_final(h, out);
}

void
ledger_merkle_init(ledger_merkle *m, ledger_hasher *h)
{
    m->h = h;
    m->count = 0;
    m->depth = 0;
}

/*
 * Each stack entry is a perfect subtree; equal-sized neighbours merge, so the
 * stack holds the subtrees of the binary decomposition of count, largest
 * first — exactly the left spine of RFC 6962's split at the largest power of
 * two below n.
 */
void
ledger_merkle_push(ledger_merkle *m, const uint8_t row_hash[LEDGER_HASH_LEN])
{
    ledger_leaf_hash(m->h, row_hash, m->stack[m->depth]);
    m->sizes[m->depth] = 1;
    m->depth++;
    m->count++;
    while (m->depth >= 2 && m->sizes[m->depth - 1] == m->sizes[m->depth - 2])
    {
        ledger_node_hash(m->h, m->stack[m->depth - 2], m->stack[m->depth - 1],
                         m->stack[m->depth - 2]);
        m->sizes[m->depth - 2] *= 2;
        m->depth--;
    }
}

void
ledger_merkle_root(ledger_merkle *m, uint8_t out[LEDGER_HASH_LEN])
{
    uint8_t     acc[LEDGER_HASH_LEN];
    int         i;

    if (m->depth == 0)
    {
        ledger_hasher_final(m->h, out);     /* H("") */
        return;
    }
    memcpy(acc, m->stack[m->depth - 1], LEDGER_HASH_LEN);
    for (i = m->depth - 2; i >= 0; i--)
        ledger_node_hash(m->h, m->stack[i], acc, acc);
    memcpy(out, acc, LEDGER_HASH_LEN);
}

/* MTH over rows[lo, hi). */
static void
merkle_subtree(ledger_hasher *h, const uint8_t *rows, uint64_t lo, uint64_t hi,
               uint8_t out[LEDGER_HASH_LEN])
{
    ledger_merkle m;
    uint64_t    i;

    ledger_merkle_init(&m, h);
    for (i = lo; i < hi; i++)
        ledger_merkle_push(&m, rows + i * LEDGER_HASH_LEN);
    ledger_merkle_root(&m, out);
}

static uint64_t
largest_pow2_below(uint64_t n)
{
    uint64_t    k = 1;

    while (k * 2 < n)
        k *= 2;
    return k;
}

int
ledger_merkle_path(ledger_hasher *h, const uint8_t *rows, uint64_t n, uint64_t index,
                   uint8_t path[][LEDGER_HASH_LEN])
{
    /* Collect siblings from the root down, then reverse (leaf first). */
    uint8_t     tmp[LEDGER_MERKLE_MAX_DEPTH][LEDGER_HASH_LEN];
    int         len = 0;
    int         i;
    uint64_t    lo = 0;
    uint64_t    hi = n;

    if (index >= n)
        return -1;
    while (hi - lo > 1)
    {
        uint64_t    k = largest_pow2_below(hi - lo);

        if (index - lo < k)
        {
            merkle_subtree(h, rows, lo + k, hi, tmp[len++]);
            hi = lo + k;
        }
        else
        {
            merkle_subtree(h, rows, lo, lo + k, tmp[len++]);
            lo = lo + k;
        }
    }
    for (i = 0; i < len; i++)
        memcpy(path[i], tmp[len - 1 - i], LEDGER_HASH_LEN);
    return len;
}

/* RFC 9162 section 2.1.3.2 inclusion-proof verification. */
bool
ledger_merkle_check(ledger_hasher *h, const uint8_t row_hash[LEDGER_HASH_LEN],
                    uint64_t index, uint64_t n,
                    const uint8_t path[][LEDGER_HASH_LEN], int path_len,
                    const uint8_t root[LEDGER_HASH_LEN])
{
    uint64_t    fn = index;
    uint64_t    sn;
    uint8_t     r[LEDGER_HASH_LEN];
    int         i;

    if (n == 0 || index >= n)
        return false;
    sn = n - 1;
    ledger_leaf_hash(h, row_hash, r);
    for (i = 0; i < path_len; i++)
    {
        if (sn == 0)
            return false;
        if ((fn & 1) == 1 || fn == sn)
        {
            ledger_node_hash(h, path[i], r, r);
            if ((fn & 1) == 0)
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        else
            ledger_node_hash(h, r, path[i], r);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(r, root, LEDGER_HASH_LEN) == 0;
}

void
ledger_block_hash(ledger_hasher *h, const char *ledger_name, size_t name_len,
                  int64_t block_no, int64_t row_count,
                  const uint8_t root[LEDGER_HASH_LEN], const uint8_t prev[LEDGER_HASH_LEN],
                  int64_t sealed_at_us, const int64_t *ranges, uint32_t nranges,
                  uint8_t out[LEDGER_HASH_LEN])
{
    uint8_t     buf[8];
    uint32_t    i;

    buf[0] = 0x02;
    buf[1] = LEDGER_ENCODING_VERSION;
    ledger_hasher_update(h, buf, 2);
    ledger_put_u32(buf, (uint32_t) name_len);
    ledger_hasher_update(h, buf, 4);
    ledger_hasher_update(h, ledger_name, name_len);
    ledger_put_i64(buf, block_no);
    ledger_hasher_update(h, buf, 8);
    ledger_put_i64(buf, row_count);
    ledger_hasher_update(h, buf, 8);
    ledger_hasher_update(h, root, LEDGER_HASH_LEN);
    ledger_hasher_update(h, prev, LEDGER_HASH_LEN);
    ledger_put_i64(buf, sealed_at_us);
    ledger_hasher_update(h, buf, 8);
    ledger_put_u32(buf, nranges);
    ledger_hasher_update(h, buf, 4);
    for (i = 0; i < 2 * nranges; i++)
    {
        ledger_put_i64(buf, ranges[i]);
        ledger_hasher_update(h, buf, 8);
    }
    ledger_hasher_final(h, out);
}

void
ledger_hex(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t      i;

    for (i = 0; i < len; i++)
    {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool
ledger_unhex(const char *in, size_t in_len, uint8_t *out, size_t len)
{
    size_t      i;

    if (in_len != 2 * len)
        return false;
    for (i = 0; i < len; i++)
    {
        int         hi = hexval(in[2 * i]);
        int         lo = hexval(in[2 * i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return true;
}
