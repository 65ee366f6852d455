/*
 * fuzz_code.c — libFuzzer harness for the trace-code parser (code_parse).
 *
 * Beyond "no crash, no sanitizer report", it checks the properties the SQL
 * type relies on: a parsed code prints to text that parses back to the same
 * key (output/input round trip), and the stored key rebuilds itself through
 * code_from_key (binary receive).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"

static gs1_parsed scratch;
static code_value first, again, rebuilt;
static char text[CODE_MAX_KEY * 2 + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        msg[CODE_MSG_LEN];
    size_t      n;

    if (!code_parse((const char *) data, size, &first, &scratch, msg, sizeof(msg)))
    {
        if (memchr(msg, '\0', sizeof(msg)) == NULL)
            abort();            /* message must be terminated */
        return 0;
    }
    n = code_format(&first, text, sizeof(text));
    if (!code_parse(text, n, &again, &scratch, msg, sizeof(msg)))
        abort();                /* printed form must parse */
    if (again.scheme != first.scheme || again.keylen != first.keylen
        || memcmp(again.key, first.key, first.keylen) != 0)
        abort();                /* and give the same key */
    if (!code_from_key(first.scheme, first.key, first.keylen, &rebuilt, &scratch, msg, sizeof(msg)))
        abort();                /* stored key must be accepted by binary input */
    return 0;
}
