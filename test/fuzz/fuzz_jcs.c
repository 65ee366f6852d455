/*
 * fuzz_jcs.c — libFuzzer harness for the strict JSON parser and the RFC 8785
 * serialiser. Properties: no crash or sanitizer report; an accepted input's
 * canonical form is accepted again and is a fixed point; a rejected input
 * always comes with a message naming a byte offset inside the input.
 */
#include "jcs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int         LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *out = NULL,
               *again = NULL;
    size_t      olen = 0,
                alen = 0;
    char        err[256];
    jcs_status  st;

    st = jcs_canonicalize((const char *) data, size, &out, &olen, err, sizeof(err));
    if (st != JCS_OK)
    {
        const char *at = strstr(err, " at byte ");

        if (st != JCS_ERR_NOMEM && (at == NULL || strtoul(at + 9, NULL, 10) > size))
            abort();
        return 0;
    }
    if (jcs_canonicalize(out, olen, &again, &alen, err, sizeof(err)) != JCS_OK)
        abort();
    if (alen != olen || memcmp(out, again, olen) != 0)
        abort();
    free(out);
    free(again);
    return 0;
}
