/* TAP tests of src/core/registry.c: strict YYYY-MM-DD dates. */
#include <stdio.h>
#include <string.h>

#include "registry.h"

static int n = 0;

static void
check(const char *s, int want_ok, int wy, int wm, int wd)
{
    int y = 0, m = 0, d = 0;
    int ok = reg_parse_ymd(s, strlen(s), &y, &m, &d);
    int pass = want_ok ? (ok && y == wy && m == wm && d == wd) : !ok;

    printf("%s %d - \"%s\" %s\n", pass ? "ok" : "not ok", ++n, s, want_ok ? "parses" : "is refused");
}

int
main(void)
{
    check("2026-06-01", 1, 2026, 6, 1);
    check("2024-02-29", 1, 2024, 2, 29);   /* leap year */
    check("2000-02-29", 1, 2000, 2, 29);   /* divisible by 400 */
    check("1900-02-29", 0, 0, 0, 0);       /* divisible by 100 only */
    check("2026-02-29", 0, 0, 0, 0);
    check("2026-04-31", 0, 0, 0, 0);
    check("2026-12-31", 1, 2026, 12, 31);
    check("2026-13-01", 0, 0, 0, 0);
    check("2026-00-10", 0, 0, 0, 0);
    check("2026-01-00", 0, 0, 0, 0);
    check("0000-01-01", 0, 0, 0, 0);
    check("2026-6-01", 0, 0, 0, 0);
    check("2026/06/01", 0, 0, 0, 0);
    check("2026-06-01T", 0, 0, 0, 0);
    check("20260601", 0, 0, 0, 0);
    check("", 0, 0, 0, 0);
    check("2O26-06-01", 0, 0, 0, 0);
    printf("1..%d\n", n);
    return 0;
}
