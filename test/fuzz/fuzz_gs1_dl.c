/*
 * fuzz_gs1_dl.c — libFuzzer harness for GS1 Digital Link URIs.
 *
 * Parses the input with gs1_parse_digital_link; when it parses without a
 * problem, rebuilds the canonical URI from the AIs found (on the same
 * scheme, host and stem), parses that again and requires the same AIs with
 * the same values and still no problem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gs1.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* Is (ai, value) among the AIs of p? */
static bool
has_pair(const gs1_parsed *p, const gs1_ai_value *v)
{
    int         i;

    for (i = 0; i < p->nais; i++)
        if (strcmp(p->ais[i].ai, v->ai) == 0 && strcmp(p->ais[i].value, v->value) == 0)
            return true;
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gs1_parsed p,
                again;
    static char uri[8192];
    char        msg[200];
    bool        ok;
    int         n,
                i;

    ok = gs1_parse_digital_link((const char *) data, size, &p);
    CHECK(p.nais >= 0 && p.nais <= GS1_MAX_AIS);
    CHECK(p.nproblems >= 0 && p.nproblems <= GS1_MAX_PROBLEMS);
    CHECK(memchr(p.dl_prefix, '\0', sizeof(p.dl_prefix)) != NULL);
    if (!ok)
    {
        CHECK(p.nais == 0 && p.nproblems >= 1);
        return 0;
    }
    if (p.nproblems != 0 || p.nais == 0)
        return 0;

    n = gs1_build_digital_link(p.ais, p.nais, p.dl_prefix, uri, sizeof(uri), msg, sizeof(msg));
    CHECK(n > 0);
    CHECK((size_t) n == strlen(uri));
    CHECK(gs1_parse_digital_link(uri, (size_t) n, &again));
    CHECK(again.nproblems == 0);
    CHECK(again.nais == p.nais);
    for (i = 0; i < p.nais; i++)
        CHECK(has_pair(&again, &p.ais[i]));

    /* a buffer one byte short must be refused, not overrun */
    CHECK(gs1_build_digital_link(p.ais, p.nais, p.dl_prefix, uri, (size_t) n, msg, sizeof(msg)) == -1);
    return 0;
}
