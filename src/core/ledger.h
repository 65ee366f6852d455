/*
 * ledger.h — canonical row encoding, row and block hashes, Merkle trees.
 *
 * Pure C (no PostgreSQL headers): linked into the extension, the libFuzzer
 * harnesses and the standalone verifier tools/pgtrace-verify. The PostgreSQL
 * layer (src/pg/ledger*.c) turns each stored value into canonical bytes and
 * feeds them here; everything that decides what is hashed, and how, lives in
 * this file so that an outside verifier computes exactly the same digests.
 *
 * Encoding, version 1 (docs/ledger.md is the reference):
 *
 *   row    = 0x01 (version) ‖ u32 len(ledger name) ‖ ledger name (UTF-8)
 *            ‖ i64 seq ‖ field*            (live columns in attnum order,
 *                                            without ledger_seq/ledger_hash)
 *   field  = 0x00                          SQL NULL
 *          | tag ‖ u32 len ‖ bytes         a value, tag says its kind
 *   leaf   = H(0x00 ‖ row hash)            RFC 6962 leaf
 *   node   = H(0x01 ‖ left ‖ right)        RFC 6962 interior node
 *   block  = H(0x02 ‖ 0x01 ‖ u32 len(name) ‖ name ‖ i64 block_no
 *              ‖ i64 row_count ‖ root ‖ prev ‖ i64 sealed_at (µs since 2000)
 *              ‖ u32 nranges ‖ (i64 lo ‖ i64 hi_exclusive)*)
 *
 * All integers are big-endian two's complement. H is SHA-256 or SM3.
 */
#ifndef PGTRACE_LEDGER_H
#define PGTRACE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LEDGER_ENCODING_VERSION 1
#define LEDGER_HASH_LEN         32      /* both SHA-256 and SM3 */
#define LEDGER_MERKLE_MAX_DEPTH 64

/* Field tags of the canonical encoding (never renumber: they are hashed). */
typedef enum ledger_tag
{
    LEDGER_TAG_NULL = 0x00,
    LEDGER_TAG_BOOL = 0x01,         /* 1 byte, 0 or 1 */
    LEDGER_TAG_INT2 = 0x02,         /* 2 bytes big-endian */
    LEDGER_TAG_INT4 = 0x03,         /* 4 bytes big-endian */
    LEDGER_TAG_INT8 = 0x04,         /* 8 bytes big-endian */
    LEDGER_TAG_FLOAT4 = 0x05,       /* IEEE 754 bits, big-endian */
    LEDGER_TAG_FLOAT8 = 0x06,       /* IEEE 754 bits, big-endian */
    LEDGER_TAG_NUMERIC = 0x07,      /* numeric_out text (setting-independent) */
    LEDGER_TAG_TEXT = 0x08,         /* text, varchar, bpchar, name: stored bytes */
    LEDGER_TAG_BYTEA = 0x09,        /* raw bytes */
    LEDGER_TAG_DATE = 0x0A,         /* int32 days since 2000-01-01 */
    LEDGER_TAG_TIMESTAMP = 0x0B,    /* int64 µs since 2000-01-01 00:00 */
    LEDGER_TAG_TIMESTAMPTZ = 0x0C,  /* int64 µs since 2000-01-01 00:00 UTC */
    LEDGER_TAG_JSONB = 0x0D,        /* jsonb_out text (keys already sorted) */
    LEDGER_TAG_UUID = 0x0E,         /* 16 bytes */
    LEDGER_TAG_ARRAY = 0x0F,        /* u32 ndim ‖ (i32 dim ‖ i32 lbound)* ‖ field* */
    LEDGER_TAG_JSON = 0x10,         /* json text as stored */
    LEDGER_TAG_COMPOSITE = 0x11,    /* u32 natts ‖ field* */
    LEDGER_TAG_SEND = 0x12          /* the type's binary send output */
} ledger_tag;

typedef enum ledger_alg
{
    LEDGER_ALG_SHA256 = 0,
    LEDGER_ALG_SM3 = 1
} ledger_alg;

/* Parse "sha256" / "sm3"; false when unknown. */
extern bool ledger_alg_parse(const char *name, ledger_alg *out);
extern const char *ledger_alg_name(ledger_alg alg);

/* An incremental hash (OpenSSL EVP underneath). */
#define LEDGER_HASHER_BUF 1024

typedef struct ledger_hasher
{
    void       *ctx;            /* EVP_MD_CTX * (SM3) */
    uint64_t    sha[16];        /* SHA256_CTX (SHA-256: no EVP context churn per row) */
    ledger_alg  alg;
    /* small writes are gathered here: one EVP call per row, not per field */
    size_t      buffered;
    uint8_t     buf[LEDGER_HASHER_BUF];
    /* When set, also receives every byte hashed (to show an encoding). */
    void        (*tee) (void *arg, const void *data, size_t len);
    void       *tee_arg;
} ledger_hasher;

/* Returns false when the algorithm is unavailable (e.g. SM3 disabled). */
extern bool ledger_hasher_init(ledger_hasher *h, ledger_alg alg);
extern void ledger_hasher_reset(ledger_hasher *h);
extern void ledger_hasher_update_slow(ledger_hasher *h, const void *data, size_t len);

/*
 * Add bytes to the hash. Inline: a row is encoded as many small writes
 * (tags, lengths, values), which only need copying into the buffer.
 */
static inline void
ledger_hasher_update(ledger_hasher *h, const void *data, size_t len)
{
    if (h->tee == NULL && h->buffered + len <= LEDGER_HASHER_BUF)
    {
        memcpy(h->buf + h->buffered, data, len);
        h->buffered += len;
    }
    else
        ledger_hasher_update_slow(h, data, len);
}
extern void ledger_hasher_final(ledger_hasher *h, uint8_t out[LEDGER_HASH_LEN]);
extern void ledger_hasher_free(ledger_hasher *h);

/* One-shot digest. */
extern bool ledger_digest(ledger_alg alg, const void *data, size_t len,
                          uint8_t out[LEDGER_HASH_LEN]);

/* Encoding primitives: each writes its bytes into the hasher. */
extern void ledger_enc_row_header(ledger_hasher *h, const char *ledger_name,
                                  size_t name_len, int64_t seq);
extern void ledger_enc_null(ledger_hasher *h);
extern void ledger_enc_value(ledger_hasher *h, ledger_tag tag,
                             const void *bytes, size_t len);
extern void ledger_enc_int(ledger_hasher *h, ledger_tag tag, int64_t v);
/* Opens an array/composite: tag ‖ u32 len of what follows is not known in
 * advance, so containers carry counts instead of a length. */
extern void ledger_enc_array_header(ledger_hasher *h, int ndim,
                                    const int *dims, const int *lbounds);
extern void ledger_enc_composite_header(ledger_hasher *h, int natts);

extern void ledger_put_u32(uint8_t *p, uint32_t v);
extern void ledger_put_i64(uint8_t *p, int64_t v);
extern int64_t ledger_get_i64(const uint8_t *p);

/* RFC 6962 leaf and node hashes. */
extern void ledger_leaf_hash(ledger_hasher *h, const uint8_t row_hash[LEDGER_HASH_LEN],
                             uint8_t out[LEDGER_HASH_LEN]);
extern void ledger_node_hash(ledger_hasher *h, const uint8_t left[LEDGER_HASH_LEN],
                             const uint8_t right[LEDGER_HASH_LEN],
                             uint8_t out[LEDGER_HASH_LEN]);

/*
 * Streaming Merkle root: push row hashes in order, O(log n) memory. The root
 * equals RFC 6962's MTH over the leaves; the empty tree's root is H("").
 */
typedef struct ledger_merkle
{
    ledger_hasher *h;
    uint64_t    count;
    int         depth;
    uint8_t     stack[LEDGER_MERKLE_MAX_DEPTH][LEDGER_HASH_LEN];
    uint64_t    sizes[LEDGER_MERKLE_MAX_DEPTH];
} ledger_merkle;

extern void ledger_merkle_init(ledger_merkle *m, ledger_hasher *h);
extern void ledger_merkle_push(ledger_merkle *m, const uint8_t row_hash[LEDGER_HASH_LEN]);
extern void ledger_merkle_root(ledger_merkle *m, uint8_t out[LEDGER_HASH_LEN]);

/*
 * Audit path (RFC 6962 PATH(m, D[n])) for leaf `index` among `n` row hashes
 * laid out contiguously in `rows` (n * 32 bytes). Writes up to
 * LEDGER_MERKLE_MAX_DEPTH sibling hashes to `path` and returns how many, or
 * -1 when index >= n.
 */
extern int  ledger_merkle_path(ledger_hasher *h, const uint8_t *rows, uint64_t n,
                               uint64_t index,
                               uint8_t path[][LEDGER_HASH_LEN]);

/* Recompute the root from one row hash and its audit path; true when it
 * equals `root`. */
extern bool ledger_merkle_check(ledger_hasher *h, const uint8_t row_hash[LEDGER_HASH_LEN],
                                uint64_t index, uint64_t n,
                                const uint8_t path[][LEDGER_HASH_LEN], int path_len,
                                const uint8_t root[LEDGER_HASH_LEN]);

/* The hash of one block (see the header comment). ranges holds nranges
 * pairs lo, hi (hi exclusive). prev is all zeros for the first block. */
extern void ledger_block_hash(ledger_hasher *h, const char *ledger_name, size_t name_len,
                              int64_t block_no, int64_t row_count,
                              const uint8_t root[LEDGER_HASH_LEN],
                              const uint8_t prev[LEDGER_HASH_LEN],
                              int64_t sealed_at_us,
                              const int64_t *ranges, uint32_t nranges,
                              uint8_t out[LEDGER_HASH_LEN]);

/* Lower-case hex; out must hold 2*len+1 bytes. */
extern void ledger_hex(const uint8_t *in, size_t len, char *out);
/* Parse exactly 2*len hex digits; false on anything else. */
extern bool ledger_unhex(const char *in, size_t in_len, uint8_t *out, size_t len);

#endif                          /* PGTRACE_LEDGER_H */
