/*
 * fuzz_gs1_scan.c — libFuzzer harness for gs1_parse (every input form).
 *
 * Also runs gs1_parse_sep with the first byte as the GS substitute.
 * Beyond "no crash, no sanitizer report" it checks the contract: counts stay
 * within their limits, every string is NUL-terminated, "not GS1" leaves no AI
 * and says why, and a clean parse survives a round trip through the
 * bracketed form (same AIs, still no problem).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs1.h"

/* Abort (a finding for libFuzzer) when the condition does not hold. */
#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

/* The structural invariants every result must satisfy. */
static void
check_invariants(const gs1_parsed *p, bool ok)
{
    int         i;

    CHECK(p->nais >= 0 && p->nais <= GS1_MAX_AIS);
    CHECK(p->nproblems >= 0 && p->nproblems <= GS1_MAX_PROBLEMS);
    CHECK(memchr(p->symbology, '\0', sizeof(p->symbology)) != NULL);
    CHECK(memchr(p->dl_prefix, '\0', sizeof(p->dl_prefix)) != NULL);
    for (i = 0; i < p->nais; i++)
    {
        CHECK(memchr(p->ais[i].ai, '\0', sizeof(p->ais[i].ai)) != NULL);
        CHECK(strlen(p->ais[i].ai) >= 2);
        CHECK(memchr(p->ais[i].value, '\0', sizeof(p->ais[i].value)) != NULL);
    }
    for (i = 0; i < p->nproblems; i++)
    {
        CHECK(memchr(p->problems[i].message, '\0', sizeof(p->problems[i].message)) != NULL);
        CHECK(p->problems[i].message[0] != '\0');
    }
    if (!ok)
        CHECK(p->nais == 0 && p->nproblems >= 1);
}

/* Write the AIs in bracketed form, escaping '(' in values as "\(". */
static size_t
to_bracketed(const gs1_parsed *p, char *buf, size_t cap)
{
    size_t      n = 0;
    int         i;

    for (i = 0; i < p->nais; i++)
    {
        const char *v = p->ais[i].value;

        n += (size_t) snprintf(buf + n, cap - n, "(%s)", p->ais[i].ai);
        for (; *v && n + 2 < cap; v++)
        {
            if (*v == '(')
                buf[n++] = '\\';
            buf[n++] = *v;
        }
    }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gs1_parsed p,
                again;
    static char buf[GS1_MAX_AIS * (GS1_MAX_AI_VALUE * 2 + 8)];
    bool        ok;
    int         i;

    /* the first byte as a GS substitute for the rest */
    if (size > 0)
    {
        ok = gs1_parse_sep((const char *) data + 1, size - 1, (char) data[0], &p);
        check_invariants(&p, ok);
    }

    ok = gs1_parse((const char *) data, size, &p);
    check_invariants(&p, ok);

    if (ok && p.nproblems == 0 && p.nais > 0)
    {
        size_t      n = to_bracketed(&p, buf, sizeof(buf));

        CHECK(gs1_parse(buf, n, &again));
        check_invariants(&again, true);
        CHECK(again.nproblems == 0);
        CHECK(again.nais == p.nais);
        for (i = 0; i < p.nais; i++)
        {
            CHECK(strcmp(again.ais[i].ai, p.ais[i].ai) == 0);
            CHECK(strcmp(again.ais[i].value, p.ais[i].value) == 0);
            CHECK(gs1_validate_ai(p.ais[i].ai, p.ais[i].value, strlen(p.ais[i].value), NULL, 0));
        }
    }
    return 0;
}
