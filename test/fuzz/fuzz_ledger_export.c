/*
 * fuzz_ledger_export.c — libFuzzer harness for the exported-ledger checker
 * (src/core/ledger_proof.c, pgtrace-verify --export): the input is fed line
 * by line. Properties: no crash, no sanitizer report, a failure always says
 * why, and an accepted export never counts more blocks than lines.
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
    ledger_export_check c;
    char        err[256];
    size_t      start = 0;
    bool        ok = true;

    ledger_export_begin(&c);
    c.want_block = 1;
    while (ok && start < size)
    {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t      end = nl ? (size_t) (nl - data) : size;

        err[0] = '\0';
        ok = ledger_export_line(&c, (const char *) data + start, end - start, err, sizeof(err));
        if (!ok && err[0] == '\0')
            abort();
        start = end + 1;
    }
    if (ok && c.lines > 0 && c.blocks >= c.lines)
        abort();
    ledger_export_end(&c, err, sizeof(err));
    return 0;
}
