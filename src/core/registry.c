/*
 * registry.c — pure helpers of the traceability registry.
 */
#include "registry.h"

static int
two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

bool
reg_parse_ymd(const char *s, size_t len, int *year, int *month, int *day)
{
    static const int days_in_month[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int         hi, lo, y, m, d, max;

    if (s == NULL || len != 10 || s[4] != '-' || s[7] != '-')
        return false;
    hi = two_digits(s);
    lo = two_digits(s + 2);
    m = two_digits(s + 5);
    d = two_digits(s + 8);
    if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1)
        return false;
    y = hi * 100 + lo;
    if (y < 1)
        return false;
    max = days_in_month[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    if (d > max)
        return false;
    *year = y;
    *month = m;
    *day = d;
    return true;
}
