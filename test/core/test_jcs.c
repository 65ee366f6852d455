/*
 * test_jcs.c — RFC 8785 canonical JSON: the published input/output pairs,
 * the number serialisation table, and strict rejection of malformed JSON.
 * Prints TAP. Run from the repository root (or set PT_TOP).
 */
#include "jcs.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int  test_no = 0;
static int  failures = 0;

static void
ok(int cond, const char *fmt, const char *arg)
{
    test_no++;
    if (!cond)
        failures++;
    printf("%sok %d - ", cond ? "" : "not ", test_no);
    printf(fmt, arg);
    printf("\n");
}

static char *
slurp(const char *path, size_t *len)
{
    FILE       *f = fopen(path, "rb");
    char       *data;
    long        n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t) n + 1);
    if (fread(data, 1, (size_t) n, f) != (size_t) n)
        n = 0;
    data[n] = '\0';
    fclose(f);
    *len = (size_t) n;
    return data;
}

static const char *
data_dir(void)
{
    static char dir[1024];
    const char *top = getenv("PT_TOP");

    snprintf(dir, sizeof(dir), "%s/test/data/jcs", top ? top : ".");
    return dir;
}

static void
test_pairs(void)
{
    char        path[1200];
    DIR        *d;
    struct dirent *e;
    int         count = 0;

    snprintf(path, sizeof(path), "%s/input", data_dir());
    d = opendir(path);
    if (d == NULL)
    {
        ok(0, "test data directory %s readable", path);
        return;
    }
    while ((e = readdir(d)) != NULL)
    {
        size_t      ilen,
                    olen,
                    clen;
        char       *in,
                   *want,
                   *got = NULL;
        char        err[200];
        jcs_status  st;

        if (strstr(e->d_name, ".json") == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/input/%s", data_dir(), e->d_name);
        in = slurp(path, &ilen);
        snprintf(path, sizeof(path), "%s/output/%s", data_dir(), e->d_name);
        want = slurp(path, &olen);
        if (in == NULL || want == NULL)
        {
            ok(0, "vector %s readable", e->d_name);
            continue;
        }
        st = jcs_canonicalize(in, ilen, &got, &clen, err, sizeof(err));
        ok(st == JCS_OK && clen == olen && memcmp(got, want, olen) == 0,
           "canonical form of %s", e->d_name);
        if (st != JCS_OK)
            printf("# error: %s\n", err);
        else if (clen != olen || memcmp(got, want, olen) != 0)
            printf("# got:  %s\n# want: %s\n", got, want);

        /* canonical form is a fixed point */
        if (st == JCS_OK)
        {
            char       *again = NULL;
            size_t      alen;

            st = jcs_canonicalize(got, clen, &again, &alen, err, sizeof(err));
            ok(st == JCS_OK && alen == clen && memcmp(again, got, clen) == 0,
               "canonical form of %s is a fixed point", e->d_name);
            free(again);
        }
        free(got);
        free(in);
        free(want);
        count++;
    }
    closedir(d);
    ok(count >= 9, "%s: all published vectors present", "input/*.json");
}

static void
test_numbers(void)
{
    char        path[1200];
    char        line[256];
    FILE       *f;
    int         n = 0,
                bad = 0,
                rfc = 0;

    snprintf(path, sizeof(path), "%s/numbers.txt", data_dir());
    f = fopen(path, "r");
    if (f == NULL)
    {
        ok(0, "%s readable", path);
        return;
    }
    while (fgets(line, sizeof(line), f))
    {
        char        hex[32],
                    want[64],
                    got[JCS_NUMBER_BUFSZ];
        uint64_t    bits;
        double      d;
        bool        fine;

        if (line[0] == '#')
        {
            if (strstr(line, "Section 2"))
                rfc = n;
            continue;
        }
        if (sscanf(line, "%31s %63s", hex, want) != 2)
            continue;
        bits = strtoull(hex, NULL, 16);
        memcpy(&d, &bits, sizeof(d));
        fine = jcs_format_number(d, got);
        if (strcmp(want, "error") == 0 ? fine : (!fine || strcmp(got, want) != 0))
        {
            if (bad < 10)
                printf("# %s: got %s, want %s\n", hex, fine ? got : "error", want);
            bad++;
        }
        n++;
    }
    fclose(f);
    test_no++;
    if (bad || rfc < 20 || n < 1000)
        failures++;
    printf("%sok %d - number serialisation: %d values (%d from RFC 8785 Appendix B), %d wrong\n",
           (bad || rfc < 20 || n < 1000) ? "not " : "", test_no, n, rfc, bad);
}

/* Inputs that must be rejected, with the status and the byte offset. */
static void
test_rejects(void)
{
    static const struct
    {
        const char *in;
        jcs_status  st;
        const char *where;
    }           cases[] = {
        {"[1,2,]", JCS_ERR_SYNTAX, "at byte 5"},
        {"{\"a\":1,}", JCS_ERR_SYNTAX, "at byte 7"},
        {"{\"a\":1,\"a\":2}", JCS_ERR_DUPLICATE_KEY, "at byte 7"},
        {"{\"\\u0061\":1,\"a\":2}", JCS_ERR_DUPLICATE_KEY, "at byte 12"},
        {"\"\\x\"", JCS_ERR_STRING, "at byte 1"},
        {"\"\\ud800\"", JCS_ERR_STRING, "at byte 1"},
        {"\"\\udc00\"", JCS_ERR_STRING, "at byte 1"},
        {"\"\\ud800\\u0041\"", JCS_ERR_STRING, "at byte 1"},
        {"\"a\tb\"", JCS_ERR_STRING, "at byte 2"},
        {"\"abc", JCS_ERR_STRING, "at byte 0"},
        {"01", JCS_ERR_NUMBER, "at byte 0"},
        {"-01", JCS_ERR_NUMBER, "at byte 0"},
        {"1.", JCS_ERR_NUMBER, "at byte 0"},
        {".5", JCS_ERR_SYNTAX, "at byte 0"},
        {"1e", JCS_ERR_NUMBER, "at byte 0"},
        {"+1", JCS_ERR_SYNTAX, "at byte 0"},
        {"NaN", JCS_ERR_SYNTAX, "at byte 0"},
        {"Infinity", JCS_ERR_SYNTAX, "at byte 0"},
        {"-Infinity", JCS_ERR_NUMBER, "at byte 0"},
        {"1e400", JCS_ERR_NUMBER, "at byte 0"},
        {"[1 2]", JCS_ERR_SYNTAX, "at byte 3"},
        {"{\"a\" 1}", JCS_ERR_SYNTAX, "at byte 5"},
        {"{1:2}", JCS_ERR_SYNTAX, "at byte 1"},
        {"tru", JCS_ERR_SYNTAX, "at byte 0"},
        {"nulls", JCS_ERR_SYNTAX, "at byte 4"},
        {"", JCS_ERR_SYNTAX, "at byte 0"},
        {"  ", JCS_ERR_SYNTAX, "at byte 2"},
        {"[1]x", JCS_ERR_SYNTAX, "at byte 3"},
        {"\"\xc3\x28\"", JCS_ERR_UTF8, "at byte 1"},
        {"\"\xed\xa0\x80\"", JCS_ERR_UTF8, "at byte 1"},
        {"\"\xc0\xaf\"", JCS_ERR_UTF8, "at byte 1"},
        {"\xef\xbb\xbf{}", JCS_ERR_SYNTAX, "at byte 0"},
        {"/*c*/1", JCS_ERR_SYNTAX, "at byte 0"},
        {"[\"a\"\x0b]", JCS_ERR_SYNTAX, "at byte 4"},
    };
    size_t      i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    {
        char       *out = NULL;
        size_t      olen;
        char        err[200];
        jcs_status  st = jcs_canonicalize(cases[i].in, strlen(cases[i].in), &out, &olen,
                                          err, sizeof(err));

        test_no++;
        if (st != cases[i].st || strstr(err, cases[i].where) == NULL)
        {
            failures++;
            printf("not ");
        }
        printf("ok %d - rejects case %zu: status %d, %s\n", test_no, i, (int) st, err);
        free(out);
    }
}

static void
test_depth(void)
{
    char        buf[2 * JCS_MAX_DEPTH + 8];
    char       *out = NULL;
    size_t      olen;
    char        err[200];
    int         i;

    for (i = 0; i < JCS_MAX_DEPTH; i++)
    {
        buf[i] = '[';
        buf[JCS_MAX_DEPTH + i] = ']';
    }
    ok(jcs_canonicalize(buf, 2 * JCS_MAX_DEPTH, &out, &olen, err, sizeof(err)) == JCS_OK,
       "%s", "nesting at the limit is accepted");
    free(out);
    out = NULL;
    memmove(buf + 1, buf, 2 * JCS_MAX_DEPTH);
    buf[0] = '[';
    buf[2 * JCS_MAX_DEPTH + 1] = ']';
    ok(jcs_canonicalize(buf, 2 * JCS_MAX_DEPTH + 2, &out, &olen, err, sizeof(err)) == JCS_ERR_DEPTH,
       "%s", "nesting beyond the limit is rejected");
    free(out);
}

static void
test_misc(void)
{
    static const struct
    {
        const char *in;
        const char *out;
    }           cases[] = {
        {"-0", "0"},
        {"-0.0e5", "0"},
        {"[1E30,4.50,1e-7,100,1e21,123456789012345678901]",
         "[1e+30,4.5,1e-7,100,1e+21,123456789012345680000]"},
        {"9007199254740993", "9007199254740992"},
        {"\"\\u001f\\u007f\\u2028/\\\\\"", "\"\\u001f\x7f\xe2\x80\xa8/\\\\\""},
        {"{\"b\":[],\"a\":{\"d\":null,\"c\":true}}", "{\"a\":{\"c\":true,\"d\":null},\"b\":[]}"},
        {"{\"\\ud83d\\ude00\":1,\"\\ufb33\":2}", "{\"\xf0\x9f\x98\x80\":1,\"\xef\xac\xb3\":2}"},
        {"\"\\u0000\"", "\"\\u0000\""},
        {" \t\r\n{ } ", "{}"},
    };
    size_t      i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    {
        char       *out = NULL;
        size_t      olen = 0;
        char        err[200];
        jcs_status  st = jcs_canonicalize(cases[i].in, strlen(cases[i].in), &out, &olen,
                                          err, sizeof(err));

        test_no++;
        if (!(st == JCS_OK && olen == strlen(cases[i].out) && memcmp(out, cases[i].out, olen) == 0))
        {
            failures++;
            printf("not ");
        }
        printf("ok %d - canonical form of case %zu\n", test_no, i);
        free(out);
    }
    ok(jcs_compare_keys("\xef\xac\xb3", 3, "\xf0\x9f\x98\x80", 4) > 0,
       "%s", "U+FB33 sorts after U+1F600 (UTF-16 order, not code point order)");
}

int
main(void)
{
    test_pairs();
    test_numbers();
    test_rejects();
    test_depth();
    test_misc();
    printf("1..%d\n", test_no);
    return failures != 0;
}
