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

#endif                          /* PGTRACE_LEDGER_PROOF_H */
