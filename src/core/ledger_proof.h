/*
 * ledger_proof.h — check a ledger inclusion proof (the JSON trace.proof
 * returns, format in docs/ledger.md) without PostgreSQL: the row's canonical
 * encoding against its hash, the Merkle audit path against its block, the
 * block hashes and the chain of blocks, and optionally the chain's end
 * against a checkpoint payload. Used by tools/pgtrace-verify and fuzzed by
 * test/fuzz/fuzz_ledger_proof.c.
 */
#ifndef PGTRACE_LEDGER_PROOF_H
#define PGTRACE_LEDGER_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ledger_proof_info
{
    char        ledger[256];
    int64_t     seq;
    int64_t     block_no;       /* the row's block */
    int64_t     head_block_no;  /* last block of the chain */
    char        head_hash[65];  /* hex */
} ledger_proof_info;

/*
 * Check a proof. checkpoint_payload (the decoded JWS payload, already
 * signature-checked by the caller) may be NULL; when given, the chain must
 * end at that checkpoint's head for the proof's ledger. Returns true when
 * everything holds; otherwise false with the reason in err.
 */
extern bool ledger_proof_check(const char *proof, size_t proof_len,
                               const char *checkpoint_payload, size_t cp_len,
                               ledger_proof_info *info, char *err, size_t errlen);

/*
 * Check an exported ledger (trace.ledger_export: JSON lines) one line at a
 * time: every row encoding against its seq and the ledger, every Merkle root,
 * every block hash and chain link. Set want_block before feeding lines to get
 * that block's hash in hash_at_want (to compare with a checkpoint's head).
 */
typedef struct ledger_export_check
{
    bool        header_seen;
    bool        hasher_ready;
    char        ledger[256];
    uint64_t    hasher[192];    /* a ledger_hasher (kept opaque here) */
    int64_t     lines;
    int64_t     blocks;
    int64_t     rows;
    int64_t     purged;
    int64_t     last_block;
    uint8_t     last_hash[32];
    int64_t     want_block;
    uint8_t     hash_at_want[32];
} ledger_export_check;

extern void ledger_export_begin(ledger_export_check *c);
extern bool ledger_export_line(ledger_export_check *c, const char *line, size_t len,
                               char *err, size_t errlen);
extern bool ledger_export_end(ledger_export_check *c, char *err, size_t errlen);

/* The block count and head hash a checkpoint payload fixes for one ledger. */
extern bool ledger_checkpoint_head(const char *payload, size_t len, const char *ledger,
                                   int64_t *blocks, uint8_t head[32], char *err, size_t errlen);

#endif                          /* PGTRACE_LEDGER_PROOF_H */
