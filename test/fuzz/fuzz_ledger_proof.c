/*
 * fuzz_ledger_proof.c — libFuzzer harness for the ledger proof checker
 * (src/core/ledger_proof.c), the parser of outside input in pgtrace-verify.
 * The input is a proof; when it contains a 0x00 byte, what follows is taken
 * as a checkpoint payload. Properties: no crash, no sanitizer report, and a
 * proof that checks names its ledger and a chain that does not end before
 * its own block.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_proof.h"

int         LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t      plen = nul ? (size_t) (nul - data) : size;
    const char *cp = nul ? (const char *) nul + 1 : NULL;
    size_t      cplen = nul ? size - plen - 1 : 0;
    ledger_proof_info info;
    char        err[256];

    if (ledger_proof_check((const char *) data, plen, cp, cplen, &info, err, sizeof(err)))
    {
        if (info.ledger[0] == '\0' || info.head_block_no < info.block_no)
            abort();
    }
    else if (err[0] == '\0')
        abort();                /* a failure always says why */
    return 0;
}
