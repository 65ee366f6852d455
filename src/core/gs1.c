/*
 * gs1.c — GS1 element strings, scanner data and Digital Link URIs.
 *
 * Pure C, no PostgreSQL headers, no heap: every result goes into the caller's
 * gs1_parsed. The rules come from the compiled GS1 Barcode Syntax Dictionary
 * (gs1_dict.c); this file holds the parsers, the component linters the
 * dictionary names and the message-wide req=/ex= checks. See docs/gs1.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gs1.h"
#include "gs1_dict.h"

#define GS_CHAR     0x1D        /* ASCII group separator: FNC1 in scanner data */
#define WHY_LEN     120         /* room for a linter's reason */
#define MAX_SEGS    160         /* path segments a Digital Link may have */

/* ------------------------------------------------------------------------
 * Small character helpers
 * ------------------------------------------------------------------------ */

/* '0'..'9' only: isdigit() would depend on the locale. */
static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Every one of the n bytes is a digit (false for n == 0). */
static bool
all_digits(const char *s, size_t n)
{
    size_t      i;

    if (n == 0)
        return false;
    for (i = 0; i < n; i++)
        if (!is_digit((unsigned char) s[i]))
            return false;
    return true;
}

/* Value of two digits; the caller has checked they are digits. */
static int
two_digits(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* CSET 82: the GS1 "invariant" ISO 646 subset used by most AIs. */
static bool
in_cset82(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c))
        return true;
    return c != 0 && strchr("!\"%&'()*+,-./:;<=>?_", c) != NULL;
}

/* CSET 39: upper-case letters, digits and # - / (CPID). */
static bool
in_cset39(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '#' || c == '-' || c == '/';
}

/* CSET 64: the URL-safe base64 alphabet (padding '=' is checked apart). */
static bool
in_cset64(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
        c == '-' || c == '_';
}

/* Printable description of a byte for messages: 'A', or 0x1D for others. */
static void
describe_char(unsigned char c, char *buf, size_t len)
{
    if (c > 0x20 && c < 0x7F && c != '\'')
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "0x%02X", c);
}

/* Copy at most n bytes of s into dst (size cap, cap >= 1), NUL-terminated. */
static void
copy_str(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------
 * Problems and AIs collected in a gs1_parsed
 * ------------------------------------------------------------------------ */

/*
 * Record a problem about `ai` (may be NULL). Identical messages are kept once,
 * so a loop cannot flood the list; when the list is full the last slot says so
 * instead of silently dropping the rest.
 */
#if defined(__GNUC__) || defined(__clang__)
static void add_problem(gs1_parsed *out, const char *ai, const char *fmt,...)
            __attribute__((format(printf, 3, 4)));
#endif

static void
add_problem(gs1_parsed *out, const char *ai, const char *fmt,...)
{
    char        msg[GS1_MSG_LEN];
    va_list     ap;
    int         i;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    for (i = 0; i < out->nproblems; i++)
        if (strcmp(out->problems[i].message, msg) == 0)
            return;
    if (out->nproblems >= GS1_MAX_PROBLEMS)
    {
        gs1_problem *last = &out->problems[GS1_MAX_PROBLEMS - 1];

        last->ai[0] = '\0';
        snprintf(last->message, sizeof(last->message),
                 "more than %d problems were found; the rest are not listed",
                 GS1_MAX_PROBLEMS - 1);
        return;
    }
    copy_str(out->problems[out->nproblems].ai, sizeof(out->problems[0].ai),
             ai ? ai : "", ai ? strlen(ai) : 0);
    memcpy(out->problems[out->nproblems].message, msg, sizeof(msg));
    out->nproblems++;
}

/* Reset a result before parsing: no AIs, no problems, no prefix. */
static void
init_parsed(gs1_parsed *out, gs1_form form)
{
    out->form = form;
    out->symbology[0] = '\0';
    out->nais = 0;
    out->nproblems = 0;
    out->dl_prefix[0] = '\0';
}

/* ------------------------------------------------------------------------
 * Dictionary lookup
 * ------------------------------------------------------------------------ */

/* Compare a NUL-terminated table AI with a key of n digits (n = 2..4). */
static int
ai_cmp(const char *entry, const char *key, size_t n)
{
    size_t      i;

    for (i = 0; i < n; i++)
    {
        unsigned char a = (unsigned char) entry[i];
        unsigned char b = (unsigned char) key[i];

        if (a != b)
            return a < b ? -1 : 1;  /* also ends when entry is shorter */
    }
    return entry[n] ? 1 : 0;
}

/* Binary search of the sorted table for an AI given as n digits. */
static const gs1_dict_entry *
dict_find_n(const char *ai, size_t n)
{
    int         lo = 0,
                hi = gs1_dict_len - 1;

    if (n < 2 || n > 4 || !all_digits(ai, n))
        return NULL;
    while (lo <= hi)
    {
        int         mid = lo + (hi - lo) / 2;
        int         c = ai_cmp(gs1_dict[mid].ai, ai, n);

        if (c == 0)
            return &gs1_dict[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* Lookup by NUL-terminated AI string. */
static const gs1_dict_entry *
dict_find(const char *ai)
{
    return ai ? dict_find_n(ai, strnlen(ai, 5)) : NULL;
}

/* Is the AI in the compiled dictionary? */
bool
gs1_ai_known(const char *ai)
{
    return dict_find(ai) != NULL;
}

/* The dictionary's title of an AI ("SERIAL"), NULL when unknown. */
const char *
gs1_ai_title(const char *ai)
{
    const gs1_dict_entry *e = dict_find(ai);

    return e ? e->title : NULL;
}

/* Shortest and longest value the entry's components allow. */
static void
entry_lengths(const gs1_dict_entry *e, size_t *minlen, size_t *maxlen)
{
    int         i;

    *minlen = *maxlen = 0;
    for (i = 0; i < e->ncomp; i++)
    {
        if (!e->comp[i].optional)
            *minlen += e->comp[i].min;
        *maxlen += e->comp[i].max;
    }
}

/*
 * Digits in an AI from its first two digits (GS1 General Specifications
 * table): used to step over an AI the dictionary does not know. 0 when the
 * prefix is not assigned at all.
 */
static int
prefix_ai_length(const char *p)
{
    int         v = two_digits(p);

    if (v <= 22 || v == 30 || v == 37 || v >= 90)
        return 2;
    if ((v >= 23 && v <= 25) || (v >= 40 && v <= 49))
        return 3;
    if ((v >= 31 && v <= 36) || v == 39 || (v >= 70 && v <= 89))
        return 4;
    return 0;
}

/*
 * Predefined value length by the AI's first two digits (no separator follows
 * these even when the AI itself is unknown); 0 when not predefined.
 */
static int
prefix_fixed_length(const char *p)
{
    int         v = two_digits(p);

    if (v == 0)
        return 18;
    if (v >= 1 && v <= 3)
        return 14;
    if (v == 4)
        return 16;
    if (v >= 11 && v <= 19)
        return 6;
    if (v == 20)
        return 2;
    if (v >= 31 && v <= 36)
        return 6;
    if (v == 41)
        return 13;
    return 0;
}

/* ------------------------------------------------------------------------
 * Check digits
 * ------------------------------------------------------------------------ */

/* GS1 mod-10: weights 3,1,3,… from the rightmost data digit. */
int
gs1_check_digit(const char *s, size_t n)
{
    int         sum = 0;
    int         weight = 3;     /* the rightmost data digit weighs 3 */
    size_t      i;

    for (i = n; i > 0; i--)
    {
        unsigned char c = (unsigned char) s[i - 1];

        if (!is_digit(c))
            return -1;
        sum += (c - '0') * weight;
        weight = 4 - weight;
    }
    return (10 - sum % 10) % 10;
}

/* ------------------------------------------------------------------------
 * Code tables for the country and currency linters
 * (ISO 3166-1 and ISO 4217 as published in the iso-codes package 4.15)
 * ------------------------------------------------------------------------ */

/* ISO 3166-1 numeric country codes (iso-codes 4.15). */
static const short iso3166_numeric[] = {
    4, 8, 10, 12, 16, 20, 24, 28, 31, 32, 36, 40, 44, 48, 50, 51, 52, 56, 60, 64, 68, 70, 72,
    74, 76, 84, 86, 90, 92, 96, 100, 104, 108, 112, 116, 120, 124, 132, 136, 140, 144, 148, 152,
    156, 158, 162, 166, 170, 174, 175, 178, 180, 184, 188, 191, 192, 196, 203, 204, 208, 212,
    214, 218, 222, 226, 231, 232, 233, 234, 238, 239, 242, 246, 248, 250, 254, 258, 260, 262,
    266, 268, 270, 275, 276, 288, 292, 296, 300, 304, 308, 312, 316, 320, 324, 328, 332, 334,
    336, 340, 344, 348, 352, 356, 360, 364, 368, 372, 376, 380, 384, 388, 392, 398, 400, 404,
    408, 410, 414, 417, 418, 422, 426, 428, 430, 434, 438, 440, 442, 446, 450, 454, 458, 462,
    466, 470, 474, 478, 480, 484, 492, 496, 498, 499, 500, 504, 508, 512, 516, 520, 524, 528,
    531, 533, 534, 535, 540, 548, 554, 558, 562, 566, 570, 574, 578, 580, 581, 583, 584, 585,
    586, 591, 598, 600, 604, 608, 612, 616, 620, 624, 626, 630, 634, 638, 642, 643, 646, 652,
    654, 659, 660, 662, 663, 666, 670, 674, 678, 682, 686, 688, 690, 694, 702, 703, 704, 705,
    706, 710, 716, 724, 728, 729, 732, 740, 744, 748, 752, 756, 760, 762, 764, 768, 772, 776,
    780, 784, 788, 792, 795, 796, 798, 800, 804, 807, 818, 826, 831, 832, 833, 834, 840, 850,
    854, 858, 860, 862, 876, 882, 887, 894
};

/* ISO 4217 numeric currency codes (iso-codes 4.15). */
static const short iso4217_numeric[] = {
    8, 12, 32, 36, 44, 48, 50, 51, 52, 60, 64, 68, 72, 84, 90, 96, 104, 108, 116, 124, 132, 136,
    144, 152, 156, 170, 174, 188, 191, 192, 203, 208, 214, 222, 230, 232, 238, 242, 262, 270,
    292, 320, 324, 328, 332, 340, 344, 348, 352, 356, 360, 364, 368, 376, 388, 392, 398, 400,
    404, 408, 410, 414, 417, 418, 422, 426, 430, 434, 446, 454, 458, 462, 480, 484, 496, 498,
    504, 512, 516, 524, 532, 533, 548, 554, 558, 566, 578, 586, 590, 598, 600, 604, 608, 634,
    643, 646, 654, 682, 690, 694, 702, 704, 706, 710, 728, 748, 752, 756, 760, 764, 776, 780,
    784, 788, 800, 807, 818, 826, 834, 840, 858, 860, 882, 886, 901, 925, 926, 927, 928, 929,
    930, 931, 932, 933, 934, 936, 938, 940, 941, 943, 944, 946, 947, 948, 949, 950, 951, 952,
    953, 955, 956, 957, 958, 959, 960, 961, 962, 963, 964, 965, 967, 968, 969, 970, 971, 972,
    973, 975, 976, 977, 978, 979, 980, 981, 984, 985, 986, 990, 994, 997, 999
};

/* ISO 3166-1 alpha-2 country codes, sorted, two letters each (iso-codes 4.15). */
static const char iso3166_alpha2[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCD"
    "CFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGF"
    "GGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
    "KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA"
    "NCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSI"
    "SJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
    "VNVUWFWSYEYTZAZMZW";

/* Is v in the sorted array a of n codes? */
static bool
code_in(const short *a, int n, int v)
{
    int         lo = 0,
                hi = n - 1;

    while (lo <= hi)
    {
        int         mid = lo + (hi - lo) / 2;

        if (a[mid] == v)
            return true;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return false;
}

/* Is the three-digit string s an ISO 3166-1 numeric country code? */
static bool
is_iso3166(const char *s)
{
    return all_digits(s, 3) &&
        code_in(iso3166_numeric, (int) (sizeof(iso3166_numeric) / sizeof(short)),
                (s[0] - '0') * 100 + two_digits(s + 1));
}

/* Is the two-letter string s an ISO 3166-1 alpha-2 country code? */
static bool
is_iso3166_alpha2(const char *s)
{
    size_t      i;

    for (i = 0; i + 1 < sizeof(iso3166_alpha2); i += 2)
        if (iso3166_alpha2[i] == s[0] && iso3166_alpha2[i + 1] == s[1])
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * Component linters
 *
 * Each takes one component's characters (already checked against its
 * character set) and returns false with a reason in `why` — the caller
 * prefixes "AI (nn): ". Names and rules follow the GS1 Barcode Syntax
 * Dictionary's linter reference.
 * ------------------------------------------------------------------------ */

typedef bool (*lint_fn) (const char *v, size_t n, char *why, size_t whylen);

/* csum: the last digit is the GS1 mod-10 check digit of the others. */
static bool
lint_csum(const char *v, size_t n, char *why, size_t whylen)
{
    int         expected;

    if (n < 2 || !all_digits(v, n))
    {
        snprintf(why, whylen, "too short or not numeric for a check digit");
        return false;
    }
    expected = gs1_check_digit(v, n - 1);
    if (v[n - 1] - '0' != expected)
    {
        snprintf(why, whylen, "check digit %c is wrong, expected %d", v[n - 1], expected);
        return false;
    }
    return true;
}

/*
 * csumalpha: the last two characters are the check character pair of an
 * alphanumeric key (GMN): data characters valued by their CSET 82 position,
 * weighted by primes growing from the right, sum mod 1021, split into two
 * CSET 32 characters.
 */
static bool
lint_csumalpha(const char *v, size_t n, char *why, size_t whylen)
{
    static const short primes[] = {
        2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
        73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151,
        157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233,
        239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311, 313, 317,
        331, 337, 347, 349, 353, 359, 367, 373, 379, 383, 389, 397, 401, 409, 419,
        421, 431, 433, 439, 443, 449, 457, 461, 463, 467, 479, 487, 491, 499, 503, 509
    };
    static const char cset82[] =
        "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
    static const char cset32[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    unsigned int sum = 0;
    size_t      i,
                ndata;

    if (n < 2)
    {
        snprintf(why, whylen, "too short for a check character pair");
        return false;
    }
    ndata = n - 2;
    if (ndata > sizeof(primes) / sizeof(primes[0]))
    {
        snprintf(why, whylen, "too long for a check character pair");
        return false;
    }
    for (i = 0; i < ndata; i++)
    {
        const char *pos = v[i] ? strchr(cset82, v[i]) : NULL;

        if (pos == NULL)
        {
            snprintf(why, whylen, "character at position %zu is not in CSET 82", i + 1);
            return false;
        }
        sum += (unsigned int) (pos - cset82) * (unsigned int) primes[ndata - 1 - i];
    }
    sum %= 1021;
    if (v[n - 2] != cset32[sum >> 5] || v[n - 1] != cset32[sum & 31])
    {
        snprintf(why, whylen, "check character pair %c%c is wrong, expected %c%c",
                 v[n - 2], v[n - 1], cset32[sum >> 5], cset32[sum & 31]);
        return false;
    }
    return true;
}

/* key: a GS1 key starts with a GS1 Company Prefix, at least 4 digits. */
static bool
lint_key(const char *v, size_t n, char *why, size_t whylen)
{
    if (n < 4 || !all_digits(v, 4))
    {
        snprintf(why, whylen, "does not start with a GS1 Company Prefix (4 digits or more)");
        return false;
    }
    return true;
}

/* Days in a month; YY % 4 == 0 is a leap year for any century GS1 uses. */
static int
days_in_month(int yy, int mm)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (mm == 2 && yy % 4 == 0)
        return 29;
    return days[mm - 1];
}

/*
 * Check YYMMDD at v (6 digits). allow_day0: DD = 00 means "end of month
 * unknown" (yymmd0). The century does not matter for validity: within the
 * ±50-year window every year divisible by 4 is a leap year.
 */
static bool
check_date(const char *v, bool allow_day0, char *why, size_t whylen)
{
    int         yy,
                mm,
                dd;

    if (!all_digits(v, 6))
    {
        snprintf(why, whylen, "date is not 6 digits");
        return false;
    }
    yy = two_digits(v);
    mm = two_digits(v + 2);
    dd = two_digits(v + 4);
    if (mm < 1 || mm > 12)
    {
        snprintf(why, whylen, "month %.2s is not valid", v + 2);
        return false;
    }
    if (dd == 0 && allow_day0)
        return true;
    if (dd == 0 || dd > days_in_month(yy, mm))
    {
        if (mm == 2 && dd == 29)
            snprintf(why, whylen, "day 29 does not exist in month 02 of year %.2s (not a leap year)", v);
        else
            snprintf(why, whylen, "day %.2s does not exist in month %.2s", v + 4, v + 2);
        return false;
    }
    return true;
}

/* yymmd0: a date where DD = 00 is allowed. */
static bool
lint_yymmd0(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 6)
    {
        snprintf(why, whylen, "date must be 6 digits YYMMDD");
        return false;
    }
    return check_date(v, true, why, whylen);
}

/* yymmdd: a complete date. */
static bool
lint_yymmdd(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 6)
    {
        snprintf(why, whylen, "date must be 6 digits YYMMDD");
        return false;
    }
    return check_date(v, false, why, whylen);
}

/* Check a two-digit field v <= max; name says which for the message. */
static bool
check_upto(const char *v, int max, const char *name, char *why, size_t whylen)
{
    if (!all_digits(v, 2) || two_digits(v) > max)
    {
        snprintf(why, whylen, "%s %.2s is not valid", name, v);
        return false;
    }
    return true;
}

/* yymmddhh: a complete date and an hour 00-23. */
static bool
lint_yymmddhh(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 8)
    {
        snprintf(why, whylen, "date and hour must be 8 digits YYMMDDHH");
        return false;
    }
    return check_date(v, false, why, whylen) && check_upto(v + 6, 23, "hour", why, whylen);
}

/* hhmm: hour 00-23 and minute 00-59. */
static bool
lint_hhmm(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 4)
    {
        snprintf(why, whylen, "time must be 4 digits HHMM");
        return false;
    }
    return check_upto(v, 23, "hour", why, whylen) &&
        check_upto(v + 2, 59, "minute", why, whylen);
}

/* mmoptss: minutes 00-59, optionally followed by seconds 00-59. */
static bool
lint_mmoptss(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 2 && n != 4)
    {
        snprintf(why, whylen, "minutes and seconds must be MM or MMSS");
        return false;
    }
    return check_upto(v, 59, "minute", why, whylen) &&
        (n == 2 || check_upto(v + 2, 59, "second", why, whylen));
}

/* zero: exactly "0" (the GRAI's leading filler). */
static bool
lint_zero(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 1 || v[0] != '0')
    {
        snprintf(why, whylen, "must be 0");
        return false;
    }
    return true;
}

/* nonzero: a number that is not zero. */
static bool
lint_nonzero(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      i;

    for (i = 0; i < n; i++)
        if (v[i] != '0')
            return true;
    snprintf(why, whylen, "must not be zero");
    return false;
}

/* nozeroprefix: no leading zero unless the whole value is "0". */
static bool
lint_nozeroprefix(const char *v, size_t n, char *why, size_t whylen)
{
    if (n > 1 && v[0] == '0')
    {
        snprintf(why, whylen, "must not start with 0");
        return false;
    }
    return true;
}

/* pieceoftotal: piece number then total, halves of equal length, 1 <= piece <= total. */
static bool
lint_pieceoftotal(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      half = n / 2,
                i;
    int         cmp = 0;
    bool        piece0 = true,
                total0 = true;

    if (n == 0 || n % 2 != 0 || !all_digits(v, n))
    {
        snprintf(why, whylen, "piece and total must be two numbers of equal length");
        return false;
    }
    for (i = 0; i < half; i++)
    {
        if (v[i] != '0')
            piece0 = false;
        if (v[half + i] != '0')
            total0 = false;
        if (cmp == 0 && v[i] != v[half + i])
            cmp = v[i] < v[half + i] ? -1 : 1;
    }
    if (piece0 || total0)
    {
        snprintf(why, whylen, "piece %.*s of total %.*s: neither may be zero",
                 (int) half, v, (int) half, v + half);
        return false;
    }
    if (cmp > 0)
    {
        snprintf(why, whylen, "piece %.*s is greater than the total %.*s",
                 (int) half, v, (int) half, v + half);
        return false;
    }
    return true;
}

/* winding: 0 face out, 1 face in, 9 undefined. */
static bool
lint_winding(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 1 || (v[0] != '0' && v[0] != '1' && v[0] != '9'))
    {
        snprintf(why, whylen, "winding direction must be 0, 1 or 9");
        return false;
    }
    return true;
}

/* yesno: 0 or 1. */
static bool
lint_yesno(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 1 || (v[0] != '0' && v[0] != '1'))
    {
        snprintf(why, whylen, "must be 0 (no) or 1 (yes)");
        return false;
    }
    return true;
}

/* hyphen: only '-' (the optional minus sign of a temperature). */
static bool
lint_hyphen(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      i;

    for (i = 0; i < n; i++)
        if (v[i] != '-')
        {
            snprintf(why, whylen, "sign must be '-'");
            return false;
        }
    return true;
}

/* Is c a hexadecimal digit? */
static bool
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

/* pcenc: every '%' starts a two-hex-digit escape. */
static bool
lint_pcenc(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      i;

    for (i = 0; i < n; i++)
        if (v[i] == '%' &&
            (i + 2 >= n || !is_hex((unsigned char) v[i + 1]) || !is_hex((unsigned char) v[i + 2])))
        {
            snprintf(why, whylen, "'%%' at position %zu does not start a %%XX escape", i + 1);
            return false;
        }
    return true;
}

/* iso3166: an ISO 3166-1 numeric country code. */
static bool
lint_iso3166(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 3 || !is_iso3166(v))
    {
        snprintf(why, whylen, "%.*s is not an ISO 3166 country code", (int) (n > 3 ? 3 : n), v);
        return false;
    }
    return true;
}

/* iso3166999: a country code, or 999 for "unknown". */
static bool
lint_iso3166999(const char *v, size_t n, char *why, size_t whylen)
{
    if (n == 3 && memcmp(v, "999", 3) == 0)
        return true;
    return lint_iso3166(v, n, why, whylen);
}

/* iso3166list: one to five country codes, three digits each. */
static bool
lint_iso3166list(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      i;

    if (n == 0 || n % 3 != 0 || n > 15)
    {
        snprintf(why, whylen, "must be a list of 1 to 5 three-digit country codes");
        return false;
    }
    for (i = 0; i < n; i += 3)
        if (!is_iso3166(v + i))
        {
            snprintf(why, whylen, "%.3s is not an ISO 3166 country code", v + i);
            return false;
        }
    return true;
}

/* iso4217: an ISO 4217 numeric currency code. */
static bool
lint_iso4217(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 3 || !all_digits(v, 3) ||
        !code_in(iso4217_numeric, (int) (sizeof(iso4217_numeric) / sizeof(short)),
                 (v[0] - '0') * 100 + two_digits(v + 1)))
    {
        snprintf(why, whylen, "%.*s is not an ISO 4217 currency code", (int) (n > 3 ? 3 : n), v);
        return false;
    }
    return true;
}

/* iso3166alpha2: an ISO 3166-1 alpha-2 country code. */
static bool
lint_iso3166alpha2(const char *v, size_t n, char *why, size_t whylen)
{
    if (n != 2 || !is_iso3166_alpha2(v))
    {
        snprintf(why, whylen, "%.*s is not an ISO 3166 alpha-2 country code", (int) (n > 2 ? 2 : n), v);
        return false;
    }
    return true;
}

/* Compare a 10-digit number with a limit given as 10 digits. */
static bool
ten_digits_at_most(const char *v, size_t n, const char *limit)
{
    return n == 10 && all_digits(v, 10) && memcmp(v, limit, 10) <= 0;
}

/* latitude: 10 digits, degrees + 90 scaled by 10^7, so at most 1800000000. */
static bool
lint_latitude(const char *v, size_t n, char *why, size_t whylen)
{
    if (!ten_digits_at_most(v, n, "1800000000"))
    {
        snprintf(why, whylen, "latitude must be 10 digits, at most 1800000000");
        return false;
    }
    return true;
}

/* longitude: 10 digits, degrees + 180 scaled by 10^7, so at most 3600000000. */
static bool
lint_longitude(const char *v, size_t n, char *why, size_t whylen)
{
    if (!ten_digits_at_most(v, n, "3600000000"))
    {
        snprintf(why, whylen, "longitude must be 10 digits, at most 3600000000");
        return false;
    }
    return true;
}

/* importeridx: one character of - 0-9 A-Z _ a-z (EU 2018/574 importer index). */
static bool
lint_importeridx(const char *v, size_t n, char *why, size_t whylen)
{
    unsigned char c = n == 1 ? (unsigned char) v[0] : 0;

    if (n != 1 || !(is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '-' || c == '_'))
    {
        snprintf(why, whylen, "importer index must be one of - 0-9 A-Z _ a-z");
        return false;
    }
    return true;
}

/* mediatype: AIDC media type 01-10 (assigned) or 80-99 (local use). */
static bool
lint_mediatype(const char *v, size_t n, char *why, size_t whylen)
{
    int         t = (n == 2 && all_digits(v, 2)) ? two_digits(v) : -1;

    if (!((t >= 1 && t <= 10) || (t >= 80 && t <= 99)))
    {
        snprintf(why, whylen, "%.*s is not an AIDC media type", (int) (n > 2 ? 2 : n), v);
        return false;
    }
    return true;
}

/*
 * iban: ISO 13616 — country (alpha-2), two check digits, then upper-case
 * letters and digits; moved to the end and read as a number (A = 10 …) it is
 * 1 modulo 97.
 */
static bool
lint_iban(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      i;
    unsigned int rem = 0;

    if (n < 5 || n > 34)
    {
        snprintf(why, whylen, "an IBAN has 5 to 34 characters");
        return false;
    }
    if (!(v[0] >= 'A' && v[0] <= 'Z' && v[1] >= 'A' && v[1] <= 'Z') || !is_iso3166_alpha2(v))
    {
        snprintf(why, whylen, "IBAN country %.2s is not an ISO 3166 alpha-2 code", v);
        return false;
    }
    if (!all_digits(v + 2, 2))
    {
        snprintf(why, whylen, "IBAN check digits %.2s are not digits", v + 2);
        return false;
    }
    for (i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char) v[(i + 4) % n];

        if (is_digit(c))
            rem = (rem * 10 + (c - '0')) % 97;
        else if (c >= 'A' && c <= 'Z')
            rem = (rem * 100 + (c - 'A' + 10)) % 97;
        else
        {
            snprintf(why, whylen, "IBAN character at position %zu is not A-Z or 0-9", (i + 4) % n + 1);
            return false;
        }
    }
    if (rem != 1)
    {
        snprintf(why, whylen, "IBAN check digits %.2s are wrong", v + 2);
        return false;
    }
    return true;
}

/*
 * Walk a coupon field given by a length indicator digit: the field has
 * (digit + add) digits; lo..hi bounds the indicator. Advances *p; false with
 * `what` named in the reason when missing, out of range or truncated.
 */
static bool
coupon_vli(const char *v, size_t n, size_t *p, int lo, int hi, int add,
           const char *what, char *why, size_t whylen)
{
    int         vli;

    if (*p >= n)
    {
        snprintf(why, whylen, "coupon: %s length indicator is missing", what);
        return false;
    }
    vli = v[*p] - '0';
    if (vli < lo || vli > hi)
    {
        snprintf(why, whylen, "coupon: %s length indicator %c is not valid", what, v[*p]);
        return false;
    }
    (*p)++;
    if (n - *p < (size_t) (vli + add))
    {
        snprintf(why, whylen, "coupon: %s is truncated", what);
        return false;
    }
    *p += (size_t) (vli + add);
    return true;
}

/* Skip a fixed-length coupon field of k digits. */
static bool
coupon_fixed(size_t n, size_t *p, size_t k, const char *what, char *why, size_t whylen)
{
    if (n - *p < k)
    {
        snprintf(why, whylen, "coupon: %s is truncated", what);
        return false;
    }
    *p += k;
    return true;
}

/* A one-digit coupon code that must be in `allowed`. */
static bool
coupon_code(const char *v, size_t n, size_t *p, const char *allowed,
            const char *what, char *why, size_t whylen)
{
    if (*p >= n)
    {
        snprintf(why, whylen, "coupon: %s is missing", what);
        return false;
    }
    if (!strchr(allowed, v[*p]))
    {
        snprintf(why, whylen, "coupon: %s %c is not valid", what, v[*p]);
        return false;
    }
    (*p)++;
    return true;
}

/* A purchase requirement block of the coupon code: VLI + value, code, family. */
static bool
coupon_purchase(const char *v, size_t n, size_t *p, const char *what, char *why, size_t whylen)
{
    return coupon_vli(v, n, p, 1, 5, 0, what, why, whylen) &&
        coupon_code(v, n, p, "012349", "purchase requirement code", why, whylen) &&
        coupon_fixed(n, p, 3, "purchase family code", why, whylen);
}

/* A purchase GCP of the coupon: indicator 0-6 (6 + n digits) or 9 (none). */
static bool
coupon_gcp(const char *v, size_t n, size_t *p, char *why, size_t whylen)
{
    if (*p < n && v[*p] == '9')
    {
        (*p)++;
        return true;
    }
    return coupon_vli(v, n, p, 0, 6, 6, "purchase company prefix", why, whylen);
}

/*
 * couponcode: the North American coupon code of AI (8110): company prefix,
 * offer code, save value, first purchase requirement, then optional fields
 * 1 (second purchase), 2 (third), 3 (expiry), 4 (start), 5 (serial),
 * 6 (retailer), 9 (miscellaneous), in that order.
 */
static bool
lint_couponcode(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      p = 0;
    const char *expiry = NULL;

    if (!all_digits(v, n))
    {
        snprintf(why, whylen, "coupon: must be all digits");
        return false;
    }
    if (!coupon_vli(v, n, &p, 0, 6, 6, "company prefix", why, whylen) ||
        !coupon_fixed(n, &p, 6, "offer code", why, whylen) ||
        !coupon_vli(v, n, &p, 1, 5, 0, "save value", why, whylen) ||
        !coupon_purchase(v, n, &p, "first purchase requirement", why, whylen))
        return false;
    if (p < n && v[p] == '1')
    {
        p++;
        if (!coupon_code(v, n, &p, "0123", "additional purchase rules code", why, whylen) ||
            !coupon_purchase(v, n, &p, "second purchase requirement", why, whylen) ||
            !coupon_gcp(v, n, &p, why, whylen))
            return false;
    }
    if (p < n && v[p] == '2')
    {
        p++;
        if (!coupon_purchase(v, n, &p, "third purchase requirement", why, whylen) ||
            !coupon_gcp(v, n, &p, why, whylen))
            return false;
    }
    if (p < n && v[p] == '3')
    {
        p++;
        if (n - p < 6 || !check_date(v + p, false, why, whylen))
        {
            snprintf(why, whylen, "coupon: expiration date is not a valid YYMMDD");
            return false;
        }
        expiry = v + p;
        p += 6;
    }
    if (p < n && v[p] == '4')
    {
        p++;
        if (n - p < 6 || !check_date(v + p, false, why, whylen))
        {
            snprintf(why, whylen, "coupon: start date is not a valid YYMMDD");
            return false;
        }
        if (expiry && memcmp(v + p, expiry, 6) > 0)
        {
            snprintf(why, whylen, "coupon: expiration date is before the start date");
            return false;
        }
        p += 6;
    }
    if (p < n && v[p] == '5')
    {
        p++;
        if (!coupon_vli(v, n, &p, 0, 9, 6, "serial number", why, whylen))
            return false;
    }
    if (p < n && v[p] == '6')
    {
        p++;
        if (!coupon_vli(v, n, &p, 1, 7, 6, "retailer company prefix or GLN", why, whylen))
            return false;
    }
    if (p < n && v[p] == '9')
    {
        p++;
        if (!coupon_code(v, n, &p, "01256", "save value code", why, whylen) ||
            !coupon_code(v, n, &p, "012", "save value applies to item", why, whylen) ||
            !coupon_code(v, n, &p, "0123456789", "store coupon flag", why, whylen) ||
            !coupon_code(v, n, &p, "01", "don't multiply flag", why, whylen))
            return false;
    }
    if (p != n)
    {
        snprintf(why, whylen, "coupon: unexpected data at position %zu", p + 1);
        return false;
    }
    return true;
}

/*
 * couponposoffer: the positive offer file coupon of AI (8112): format code
 * 0/1, funder (indicator + 6), offer code (6), serial number (indicator + 6).
 */
static bool
lint_couponposoffer(const char *v, size_t n, char *why, size_t whylen)
{
    size_t      p = 0;

    if (!all_digits(v, n))
    {
        snprintf(why, whylen, "coupon: must be all digits");
        return false;
    }
    if (!coupon_code(v, n, &p, "01", "format code", why, whylen) ||
        !coupon_vli(v, n, &p, 0, 6, 6, "funder", why, whylen) ||
        !coupon_fixed(n, &p, 6, "offer code", why, whylen) ||
        !coupon_vli(v, n, &p, 0, 9, 6, "serial number", why, whylen))
        return false;
    if (p != n)
    {
        snprintf(why, whylen, "coupon: unexpected data at position %zu", p + 1);
        return false;
    }
    return true;
}

/* Every linter the dictionary may name, by name. */
static const struct
{
    const char *name;
    lint_fn     fn;
}           linters[] =
{
    {"couponcode", lint_couponcode},
    {"couponposoffer", lint_couponposoffer},
    {"csum", lint_csum},
    {"csumalpha", lint_csumalpha},
    {"hhmm", lint_hhmm},
    {"hyphen", lint_hyphen},
    {"iban", lint_iban},
    {"importeridx", lint_importeridx},
    {"iso3166", lint_iso3166},
    {"iso3166999", lint_iso3166999},
    {"iso3166alpha2", lint_iso3166alpha2},
    {"iso3166list", lint_iso3166list},
    {"iso4217", lint_iso4217},
    {"key", lint_key},
    {"latitude", lint_latitude},
    {"longitude", lint_longitude},
    {"mediatype", lint_mediatype},
    {"mmoptss", lint_mmoptss},
    {"nonzero", lint_nonzero},
    {"nozeroprefix", lint_nozeroprefix},
    {"pcenc", lint_pcenc},
    {"pieceoftotal", lint_pieceoftotal},
    {"winding", lint_winding},
    {"yesno", lint_yesno},
    {"yymmd0", lint_yymmd0},
    {"yymmdd", lint_yymmdd},
    {"yymmddhh", lint_yymmddhh},
    {"zero", lint_zero},
};

/* The linter called name[0..n), or NULL. */
static lint_fn
find_linter(const char *name, size_t n)
{
    size_t      i;

    for (i = 0; i < sizeof(linters) / sizeof(linters[0]); i++)
        if (strlen(linters[i].name) == n && memcmp(linters[i].name, name, n) == 0)
            return linters[i].fn;
    return NULL;
}

/* Is a linter of that name in linters[]? (the tests walk the dictionary) */
bool
gs1_linter_known(const char *name)
{
    return name != NULL && find_linter(name, strlen(name)) != NULL;
}

/* ------------------------------------------------------------------------
 * Validating one AI value against the dictionary
 * ------------------------------------------------------------------------ */

/* Name of a character set for messages. */
static const char *
cset_name(char cset)
{
    switch (cset)
    {
        case 'N':
            return "a digit";
        case 'Y':
            return "in CSET 39";
        case 'Z':
            return "in CSET 64";
        default:
            return "in CSET 82";
    }
}

/*
 * Position (0-based, within v[0..n)) of the first character outside the
 * component's set, or n when all are in it. CSET 64 allows '=' only as up to
 * two padding characters at the end.
 */
static size_t
first_bad_char(char cset, const char *v, size_t n)
{
    size_t      i,
                end = n;

    if (cset == 'Z')
        while (end > 0 && n - end < 2 && v[end - 1] == '=')
            end--;
    for (i = 0; i < end; i++)
    {
        unsigned char c = (unsigned char) v[i];
        bool        ok;

        switch (cset)
        {
            case 'N':
                ok = is_digit(c);
                break;
            case 'Y':
                ok = in_cset39(c);
                break;
            case 'Z':
                ok = in_cset64(c);
                break;
            default:
                ok = in_cset82(c);
                break;
        }
        if (!ok)
            return i;
    }
    return n;
}

/*
 * Run the comma-separated linters of one component over v[0..n). Stops at the
 * first failing one: later linters assume the earlier passed (csum before key).
 * An unknown linter name is a problem, never a silent pass.
 */
static void
run_linters(gs1_parsed *out, const char *ai, const char *names, const char *v, size_t n)
{
    const char *p = names;

    while (*p)
    {
        const char *end = strchr(p, ',');
        size_t      len = end ? (size_t) (end - p) : strlen(p);
        lint_fn     fn = find_linter(p, len);
        char        why[WHY_LEN];

        if (len > 0)
        {
            if (fn == NULL)
            {
                add_problem(out, ai, "AI (%s): linter %.*s is not implemented", ai, (int) len, p);
                return;
            }
            why[0] = '\0';
            if (!fn(v, n, why, sizeof(why)))
            {
                add_problem(out, ai, "AI (%s): %s", ai, why);
                return;
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

/*
 * Check v[0..n) against entry e: overall length first (one clear message),
 * then each component's length, character set and linters. Components are
 * laid end to end; a variable-length one takes what is left, up to its max.
 */
static void
validate_value(gs1_parsed *out, const gs1_dict_entry *e, const char *v, size_t n)
{
    const char *ai = e->ai;
    size_t      minlen,
                maxlen,
                pos = 0;
    int         i;

    entry_lengths(e, &minlen, &maxlen);
    if (n == 0)
    {
        add_problem(out, ai, "AI (%s): empty value", ai);
        return;
    }
    if (n > maxlen)
    {
        add_problem(out, ai, "AI (%s): value too long: %zu characters, %s %zu", ai, n,
                    minlen == maxlen ? "expected" : "at most", maxlen);
        return;
    }
    if (n < minlen)
    {
        add_problem(out, ai, "AI (%s): value too short: %zu characters, %s %zu", ai, n,
                    minlen == maxlen ? "expected" : "at least", minlen);
        return;
    }
    for (i = 0; i < e->ncomp; i++)
    {
        const gs1_component *c = &e->comp[i];
        size_t      take = n - pos < c->max ? n - pos : c->max;
        size_t      bad;

        if (take == 0 && c->optional)
            break;
        if (take < c->min)
        {
            add_problem(out, ai, "AI (%s): part %d has %zu characters, expected %s%d",
                        ai, i + 1, take, c->min == c->max ? "" : "at least ", c->min);
            return;
        }
        bad = first_bad_char(c->cset, v + pos, take);
        if (bad < take)
        {
            char        desc[12];

            describe_char((unsigned char) v[pos + bad], desc, sizeof(desc));
            add_problem(out, ai, "AI (%s): character %s at position %zu is not %s",
                        ai, desc, pos + bad + 1, cset_name(c->cset));
            return;
        }
        if (c->linters && c->linters[0])
            run_linters(out, ai, c->linters, v + pos, take);
        pos += take;
    }
    if (pos < n)
        add_problem(out, ai, "AI (%s): value too long: %zu characters, at most %zu", ai, n, pos);
}

/* Validate one value on its own; the first problem, if any, goes to msg. */
bool
gs1_validate_ai(const char *ai, const char *value, size_t len, char *msg, size_t msglen)
{
    gs1_parsed  tmp;
    const gs1_dict_entry *e = dict_find(ai);

    init_parsed(&tmp, GS1_FORM_BRACKETED);
    if (e == NULL)
        add_problem(&tmp, NULL, "unknown AI (%.4s)", ai ? ai : "");
    else
        validate_value(&tmp, e, value ? value : "", value ? len : 0);
    if (msg && msglen > 0)
        copy_str(msg, msglen, tmp.nproblems ? tmp.problems[0].message : "",
                 tmp.nproblems ? strlen(tmp.problems[0].message) : 0);
    return tmp.nproblems == 0;
}

/*
 * Record AI ai (NUL-terminated digits) with value v[0..n): validate it, then
 * store it. An identical repeat is dropped (allowed, nothing new); a
 * conflicting repeat is stored and reported.
 */
static void
take_ai(gs1_parsed *out, const char *ai, const char *v, size_t n, bool in_query)
{
    const gs1_dict_entry *e = dict_find(ai);
    gs1_ai_value *slot;
    int         i;

    if (e == NULL)
        add_problem(out, ai, "unknown AI (%s)", ai);
    else
        validate_value(out, e, v, n);
    if (strlen(ai) > 4)
        return;                 /* not an AI at all: reported above, not kept */
    if (e == NULL && n > GS1_MAX_AI_VALUE)
        add_problem(out, ai, "AI (%s): value too long: %zu characters, at most %d",
                    ai, n, GS1_MAX_AI_VALUE);

    for (i = 0; i < out->nais; i++)
        if (strcmp(out->ais[i].ai, ai) == 0)
        {
            if (strlen(out->ais[i].value) == n && memcmp(out->ais[i].value, v, n) == 0)
                return;
            add_problem(out, ai, "AI (%s): appears twice with different values", ai);
            break;
        }
    if (out->nais >= GS1_MAX_AIS)
    {
        add_problem(out, NULL, "more than %d AIs", GS1_MAX_AIS);
        return;
    }
    slot = &out->ais[out->nais++];
    copy_str(slot->ai, sizeof(slot->ai), ai, strlen(ai));
    copy_str(slot->value, sizeof(slot->value), v, n);
    slot->in_query = in_query;
}

/* ------------------------------------------------------------------------
 * Checks over the whole message: req= and ex=
 * ------------------------------------------------------------------------ */

/* Does AI match pattern pat[0..n) ('n' stands for any digit, "31nn")? */
static bool
ai_matches(const char *ai, const char *pat, size_t n)
{
    size_t      i;

    if (strlen(ai) != n)
        return false;
    for (i = 0; i < n; i++)
        if (pat[i] != ai[i] && !(pat[i] == 'n' && is_digit((unsigned char) ai[i])))
            return false;
    return true;
}

/* Is some AI in the message matched by pat[0..n)? */
static bool
present(const gs1_parsed *out, const char *pat, size_t n)
{
    int         i;

    for (i = 0; i < out->nais; i++)
        if (ai_matches(out->ais[i].ai, pat, n))
            return true;
    return false;
}

/* Is one alternative "a+b+…" of a req= group satisfied (all its parts present)? */
static bool
alternative_present(const gs1_parsed *out, const char *alt, size_t n)
{
    size_t      i = 0;

    while (i < n)
    {
        size_t      j = i;

        while (j < n && alt[j] != '+')
            j++;
        if (!present(out, alt + i, j - i))
            return false;
        i = j + 1;
    }
    return true;
}

/*
 * req=: each space-separated group of an AI's req string needs one of its
 * comma-separated alternatives present.
 */
static void
check_required(gs1_parsed *out, const char *ai, const char *req)
{
    const char *g = req;

    while (*g)
    {
        size_t      glen = strcspn(g, " ");
        size_t      i = 0;
        bool        ok = false;
        char        list[GS1_MSG_LEN / 2];
        size_t      used = 0;

        list[0] = '\0';
        while (i < glen && !ok)
        {
            size_t      alen = strcspn(g + i, ", ");

            if (alen > glen - i)
                alen = glen - i;
            if (alternative_present(out, g + i, alen))
                ok = true;
            else if (used + alen + 8 < sizeof(list))
                used += (size_t) snprintf(list + used, sizeof(list) - used, "%s(%.*s)",
                                          used ? " or " : "", (int) alen, g + i);
            i += alen + 1;
        }
        if (!ok)
            add_problem(out, ai, "AI (%s): required AI missing: %s", ai, list);
        g += glen;
        while (*g == ' ')
            g++;
    }
}

/* Does the ex= list of an AI (comma-separated AIs or patterns) exclude `other`? */
static bool
excludes(const char *ex, const char *other)
{
    const char *p = ex;

    while (*p)
    {
        size_t      len = strcspn(p, ",");

        if (ai_matches(other, p, len))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/*
 * req= and ex= over all AIs of the message. Each pair of distinct AIs is
 * checked once, so an AI is never exclusive of itself through its own
 * pattern (3103 with ex=310n).
 */
static void
check_pairs(gs1_parsed *out)
{
    int         i,
                j;

    for (i = 0; i < out->nais; i++)
    {
        const gs1_dict_entry *e = dict_find(out->ais[i].ai);

        if (e && e->req && e->req[0])
            check_required(out, out->ais[i].ai, e->req);
    }
    for (i = 0; i < out->nais; i++)
        for (j = i + 1; j < out->nais; j++)
        {
            const char *a = out->ais[i].ai,
                       *b = out->ais[j].ai;
            const gs1_dict_entry *ea = dict_find(a),
                       *eb = dict_find(b);

            if (strcmp(a, b) == 0 || !ea || !eb)
                continue;
            if ((ea->ex && excludes(ea->ex, b)) || (eb->ex && excludes(eb->ex, a)))
                add_problem(out, a, "AI (%s) and AI (%s) must not appear together", a, b);
        }
}

/* ------------------------------------------------------------------------
 * Element strings: FNC1 (^), scanner data (GS) and bracketed forms
 * ------------------------------------------------------------------------ */

/*
 * Identify the AI at p[0..n): the dictionary entry whose AI is a prefix (GS1
 * AIs are prefix-free), and its length in *ailen. NULL when unknown; then
 * *ailen is the length implied by the first two digits (0 if none).
 */
static const gs1_dict_entry *
identify_ai(const char *p, size_t n, size_t *ailen)
{
    size_t      l;

    *ailen = 0;
    for (l = 2; l <= 4 && l <= n; l++)
    {
        const gs1_dict_entry *e = dict_find_n(p, l);

        if (e)
        {
            *ailen = l;
            return e;
        }
    }
    if (n >= 2 && all_digits(p, 2))
    {
        l = (size_t) prefix_ai_length(p);
        if (l > 0 && l <= n && all_digits(p, l))
            *ailen = l;
    }
    return NULL;
}

/*
 * Parse AI + value pairs separated by `sep` (GS in scanner data, '^' in the
 * FNC1 form). A predefined-length AI takes its fixed length and needs no
 * separator (a superfluous one is tolerated); a variable-length value runs to
 * the next separator or the end (trailing separators are tolerated). Returns
 * false when the data does not start with an AI at all. Positions in
 * messages count from the start of the input (base = bytes before p).
 */
static bool
parse_elements(gs1_parsed *out, const char *p, size_t n, char sep, char alt, size_t base)
{
    size_t      pos = 0;
    bool        sep_ok = true;  /* may a separator come here without harm? */
    bool        any = false;

    while (pos < n)
    {
        const gs1_dict_entry *e;
        size_t      ailen,
                    start,
                    end,
                    fixed;
        char        ai[5];

        if (p[pos] == sep || (alt && p[pos] == alt))
        {
            size_t      rest = pos;

            while (rest < n && (p[rest] == sep || (alt && p[rest] == alt)))
                rest++;
            if (rest == n)
                break;          /* trailing separators are harmless */
            if (!sep_ok)
                add_problem(out, NULL, "separator at position %zu where no value ends", base + pos + 1);
            sep_ok = false;
            pos++;
            continue;
        }
        e = identify_ai(p + pos, n - pos, &ailen);
        if (ailen == 0)
        {
            char        desc[12];

            describe_char((unsigned char) p[pos], desc, sizeof(desc));
            if (n - pos >= 2 && all_digits(p + pos, 2))
                add_problem(out, NULL, "unknown AI starting %.2s at position %zu", p + pos, base + pos + 1);
            else if (n - pos < 2 && is_digit((unsigned char) p[pos]))
                add_problem(out, NULL, "data ends inside an AI at position %zu", base + pos + 1);
            else
                add_problem(out, NULL, "expected an AI at position %zu, found %s", base + pos + 1, desc);
            return any;
        }
        copy_str(ai, sizeof(ai), p + pos, ailen);
        start = pos + ailen;
        if (e)
        {
            size_t      minlen;

            entry_lengths(e, &minlen, &fixed);
            if (!e->predefined)
                fixed = 0;
        }
        else
            fixed = (size_t) prefix_fixed_length(ai);
        end = start;
        while (end < n && p[end] != sep && !(alt && p[end] == alt) &&
               (fixed == 0 || end - start < fixed))
            end++;
        if (end == n && start == n)
            add_problem(out, ai, "AI (%s): data ends before its value", ai);
        else
            take_ai(out, ai, p + start, end - start, false);
        any = true;
        pos = end;
        if (fixed > 0 && end - start == fixed)
            sep_ok = true;      /* predefined length: a separator is superfluous */
        else
        {
            sep_ok = false;
            if (pos < n)
                pos++;          /* the separator that ended this value */
        }
    }
    return any;
}

/*
 * Parse the bracketed form "(01)…(21)…". A value runs to the next '(' that is
 * not escaped as "\(" (CSET 82 allows parentheses in values). Returns false
 * when the text does not start with a bracketed AI.
 */
static bool
parse_bracketed(gs1_parsed *out, const char *p, size_t n)
{
    size_t      pos = 0;
    char        buf[GS1_MAX_AI_VALUE * 2 + 2];

    while (pos < n)
    {
        size_t      close = pos + 1,
                    len = 0,
                    count = 0;
        char        ai[5];

        if (p[pos] != '(')
        {
            add_problem(out, NULL, "expected '(' at position %zu", pos + 1);
            return pos > 0;
        }
        while (close < n && close - pos <= 5 && p[close] != ')')
            close++;
        if (close >= n || p[close] != ')' || close - pos - 1 < 2 || close - pos - 1 > 4 ||
            !all_digits(p + pos + 1, close - pos - 1))
        {
            add_problem(out, NULL, "bad AI in brackets at position %zu", pos + 1);
            return pos > 0;
        }
        copy_str(ai, sizeof(ai), p + pos + 1, close - pos - 1);
        pos = close + 1;
        while (pos < n && p[pos] != '(')
        {
            char        c = p[pos];

            if (c == '\\' && pos + 1 < n && p[pos + 1] == '(')
            {
                c = '(';
                pos++;
            }
            if (len < sizeof(buf))
                buf[len++] = c;
            count++;
            pos++;
        }
        if (count > len)
            add_problem(out, ai, "AI (%s): value too long: %zu characters", ai, count);
        else
            take_ai(out, ai, buf, len, false);
    }
    return true;
}

/*
 * A bare GTIN of 8, 12, 13 or 14 digits becomes AI (01), left-padded with
 * zeros to 14 digits; its check digit is validated like any AI (01).
 */
static void
take_gtin(gs1_parsed *out, const char *p, size_t n, bool in_query)
{
    char        gtin[15];

    memset(gtin, '0', 14);
    memcpy(gtin + 14 - n, p, n);
    gtin[14] = '\0';
    take_ai(out, "01", gtin, 14, in_query);
}

/* Is c one of the blanks trimmed around the input (space, tab, CR, LF)? */
static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Does p[0..n) start with the ASCII text s, ignoring case? */
static bool
starts_with_ci(const char *p, size_t n, const char *s)
{
    size_t      i,
                k = strlen(s);

    if (n < k)
        return false;
    for (i = 0; i < k; i++)
    {
        char        a = p[i],
                    b = s[i];

        if (a >= 'A' && a <= 'Z')
            a = (char) (a - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

/* Say why the input is not GS1 and return false. */
static bool
not_gs1(gs1_parsed *out, const char *why)
{
    out->nais = 0;
    out->nproblems = 0;
    add_problem(out, NULL, "not GS1: %s", why);
    return false;
}

/* Scanner data after an AIM symbology identifier ]xy; alt: GS substitute or 0. */
static bool
parse_symbology(gs1_parsed *out, const char *p, size_t n, char alt)
{
    const char *d = p + 3;
    size_t      dn = n - 3;

    copy_str(out->symbology, sizeof(out->symbology), p, 3);
    out->form = GS1_FORM_SCANNER;
    if (memcmp(p, "]C1", 3) == 0 || memcmp(p, "]e0", 3) == 0 || memcmp(p, "]d2", 3) == 0 ||
        memcmp(p, "]Q3", 3) == 0 || memcmp(p, "]J1", 3) == 0)
    {
        if (dn == 0)
            add_problem(out, NULL, "no data after symbology identifier %s", out->symbology);
        else
            parse_elements(out, d, dn, GS_CHAR, alt, 3);
        check_pairs(out);
        return true;
    }
    if (memcmp(p, "]E0", 3) == 0 || memcmp(p, "]E4", 3) == 0)
    {
        size_t      want = p[2] == '0' ? 13 : 8;
        const char *bar = memchr(d, '|', dn);
        size_t      gn = bar ? (size_t) (bar - d) : dn;

        out->form = GS1_FORM_PLAIN_GTIN;
        if (gn != want)
            add_problem(out, "01", "symbology identifier %s carries %zu digits, got %zu characters",
                        out->symbology, want, gn);
        else if (!all_digits(d, gn))
            add_problem(out, "01", "symbology identifier %s carries %zu digits, got a non-digit at position %zu",
                        out->symbology, want, first_bad_char('N', d, gn) + 4);
        else
            take_gtin(out, d, gn, false);
        /* a 2D composite component follows as "|]e0" + element strings */
        if (bar)
        {
            size_t      cn = dn - gn - 1;

            if (cn < 3 || memcmp(bar + 1, "]e0", 3) != 0)
                add_problem(out, NULL, "after '|' a composite component starts with ]e0");
            else if (cn == 3)
                add_problem(out, NULL, "no data in the composite component");
            else
                parse_elements(out, bar + 4, cn - 3, GS_CHAR, alt, (size_t) (bar + 4 - p));
        }
        check_pairs(out);
        return true;
    }
    if (memcmp(p, "]d1", 3) == 0 || memcmp(p, "]Q1", 3) == 0 || memcmp(p, "]J0", 3) == 0)
    {
        char        sym[4];
        bool        ok;

        if (!starts_with_ci(d, dn, "http://") && !starts_with_ci(d, dn, "https://"))
            return not_gs1(out, "plain data that is not a Digital Link URI");
        memcpy(sym, p, 3);
        sym[3] = '\0';
        ok = gs1_parse_digital_link(d, dn, out);
        memcpy(out->symbology, sym, 4);
        return ok;
    }
    return not_gs1(out, "the symbology identifier does not announce GS1 data");
}

/* Any GS1 form, with GS as the only scanner separator. */
bool
gs1_parse(const char *in, size_t len, gs1_parsed *out)
{
    return gs1_parse_sep(in, len, 0, out);
}

/*
 * Any GS1 form; alt is a GS substitute or 0. The first characters decide the
 * form: http(s):// a Digital Link, ']' an AIM identifier, '(' bracketed, '^'
 * FNC1, 8/12/13/14 digits a GTIN, digits with GS scanner data without an
 * identifier, other digits element strings that must parse cleanly.
 */
bool
gs1_parse_sep(const char *in, size_t len, char alt, gs1_parsed *out)
{
    const char *p = in;
    size_t      n = in ? len : 0;

    init_parsed(out, GS1_FORM_SCANNER);
    if (alt == GS_CHAR)
        alt = 0;
    if (alt && (in_cset82((unsigned char) alt) || is_blank(alt) || (unsigned char) alt >= 0x80 ||
                alt == ']' || alt == '('))
        return not_gs1(out, "the GS substitute must be outside CSET 82, blanks, ']' and '('");
    while (n > 0 && is_blank(p[0]))
        p++, n--;
    while (n > 0 && is_blank(p[n - 1]))
        n--;
    if (n == 0)
        return not_gs1(out, "empty input");

    if (starts_with_ci(p, n, "http://") || starts_with_ci(p, n, "https://"))
        return gs1_parse_digital_link(p, n, out);

    if (p[0] == ']')
    {
        if (n < 3)
            return not_gs1(out, "truncated symbology identifier");
        return parse_symbology(out, p, n, alt);
    }
    if (p[0] == '(')
    {
        out->form = GS1_FORM_BRACKETED;
        if (!parse_bracketed(out, p, n))
            return not_gs1(out, "no bracketed AI at the start");
        check_pairs(out);
        return true;
    }
    if (p[0] == '^')
    {
        out->form = GS1_FORM_FNC1;
        if (n == 1)
        {
            add_problem(out, NULL, "no data after FNC1");
            return true;
        }
        if (!parse_elements(out, p + 1, n - 1, '^', 0, 1))
            return not_gs1(out, "no AI after the leading FNC1");
        check_pairs(out);
        return true;
    }
    if (all_digits(p, n) && (n == 8 || n == 12 || n == 13 || n == 14))
    {
        out->form = GS1_FORM_PLAIN_GTIN;
        take_gtin(out, p, n, false);
        return true;
    }
    if (p[0] == GS_CHAR || (alt && p[0] == alt) ||
        (is_digit((unsigned char) p[0]) && (memchr(p, GS_CHAR, n) || (alt && memchr(p, alt, n)))))
    {
        /* scanner data whose identifier the keyboard wedge dropped */
        if (!parse_elements(out, p, n, GS_CHAR, alt, 0))
            return not_gs1(out, "no AI in the scanner data");
        check_pairs(out);
        return true;
    }
    if (n >= 2 && all_digits(p, 2))
    {
        /*
         * Element strings with neither identifier nor separator: accepted only
         * when they parse without a single problem, so a Handle or OID such
         * as 10.1000/x is not mistaken for a batch number.
         */
        if (parse_elements(out, p, n, GS_CHAR, 0, 0) && out->nproblems == 0)
        {
            check_pairs(out);
            if (out->nproblems == 0)
                return true;
        }
        return not_gs1(out, "digits that do not form valid GS1 element strings");
    }
    return not_gs1(out, "no symbology identifier, AI, GTIN or Digital Link found");
}

/* ------------------------------------------------------------------------
 * GS1 Digital Link URIs
 * ------------------------------------------------------------------------ */

/* Value of a hex digit the caller has checked. */
static int
hex_value(unsigned char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

/*
 * Percent-decode s[0..n) into dst (capacity cap); '+' becomes a space only
 * when plus_is_space (query strings). *outlen gets the full decoded length,
 * which may exceed cap (the caller reports it). False on a malformed escape.
 */
static bool
pct_decode(const char *s, size_t n, bool plus_is_space, char *dst, size_t cap, size_t *outlen)
{
    size_t      i,
                k = 0;

    for (i = 0; i < n; i++)
    {
        char        c = s[i];

        if (c == '%')
        {
            if (i + 2 >= n)
                return false;
            if (!is_hex((unsigned char) s[i + 1]) || !is_hex((unsigned char) s[i + 2]))
                return false;
            c = (char) (hex_value((unsigned char) s[i + 1]) * 16 + hex_value((unsigned char) s[i + 2]));
            i += 2;
        }
        else if (c == '+' && plus_is_space)
            c = ' ';
        if (k < cap)
            dst[k] = c;
        k++;
    }
    *outlen = k;
    return true;
}

/*
 * Characters of a URI host: names (also punycode), IPv4, [IPv6] and a port.
 * The form is not checked further, so new host forms keep working.
 */
static bool
is_host_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
        c == '-' || c == '.' || c == ':' || c == '[' || c == ']';
}

/* A path segment: offset and length within the URI. */
typedef struct seg
{
    size_t      off;
    size_t      len;
} seg;

/* Entry of a Digital Link primary key AI given as a path segment, or NULL. */
static const gs1_dict_entry *
dl_key_entry(const char *p, const seg *s)
{
    const gs1_dict_entry *e = dict_find_n(p + s->off, s->len);

    return (e && e->dlpkey) ? e : NULL;
}

/*
 * Do the nq qualifier AIs (segments q[0], q[2], …) appear, in order and each
 * at most once, in the qualifier sequence alt[0..altlen) ("22,10,21")?
 */
static bool
sequence_holds(const char *alt, size_t altlen, const char *p, const seg *q, int nq)
{
    size_t      at = 0;
    int         k;

    for (k = 0; k < nq; k++)
    {
        const seg  *s = &q[2 * k];
        bool        found = false;

        while (at < altlen && !found)
        {
            size_t      l = strcspn(alt + at, ",|");

            if (l > altlen - at)
                l = altlen - at;
            found = (l == s->len && memcmp(alt + at, p + s->off, l) == 0);
            at += l + 1;
        }
        if (!found)
            return false;
    }
    return true;
}

/* Is AI ai[0..n) one of the qualifiers of the sequence alt[0..altlen)? */
static bool
sequence_has(const char *alt, size_t altlen, const char *ai, size_t n)
{
    size_t      at = 0;

    while (at < altlen)
    {
        size_t      l = strcspn(alt + at, ",|");

        if (l > altlen - at)
            l = altlen - at;
        if (l == n && memcmp(alt + at, ai, n) == 0)
            return true;
        at += l + 1;
    }
    return false;
}

/*
 * Do the path qualifiers fit one of the key's dlquals sequences
 * ("22,10,21|235")? With qual_ai given (n > 0): is qual_ai a qualifier of a
 * sequence the path qualifiers fit, i.e. an AI that belongs in the path and
 * not in the query? (With /235/… in the path, (10) may be in the query.)
 */
static bool
fits_sequence(const char *p, const gs1_dict_entry *key, const seg *q, int nq,
              const char *qual_ai, size_t n)
{
    const char *alt = key->dlquals ? key->dlquals : "";

    if (nq == 0 && n == 0)
        return true;
    while (*alt)
    {
        size_t      altlen = strcspn(alt, "|");

        if (sequence_holds(alt, altlen, p, q, nq) &&
            (n == 0 || sequence_has(alt, altlen, qual_ai, n)))
            return true;
        alt += altlen;
        if (*alt == '|')
            alt++;
    }
    return false;
}

/*
 * Decode one Digital Link value and record it under ai. GTIN-8/12/13 given
 * for AI (01), in the path or the query, are normalised to 14 digits.
 */
static void
take_dl_value(gs1_parsed *out, const char *ai, const char *v, size_t n, bool in_query)
{
    char        buf[GS1_MAX_AI_VALUE * 2 + 2];
    size_t      len;

    if (!pct_decode(v, n, in_query, buf, sizeof(buf), &len))
    {
        add_problem(out, ai, "AI (%s): bad percent-encoding in the value", ai);
        return;
    }
    if (len > sizeof(buf))
    {
        add_problem(out, ai, "AI (%s): value too long: %zu characters", ai, len);
        return;
    }
    if (strcmp(ai, "01") == 0 && all_digits(buf, len) &&
        (len == 8 || len == 12 || len == 13))
    {
        take_gtin(out, buf, len, in_query);
        return;
    }
    take_ai(out, ai, buf, len, in_query);
}

/* Is AI ai already in the message? */
static bool
has_ai(const gs1_parsed *out, const char *ai)
{
    int         i;

    for (i = 0; i < out->nais; i++)
        if (strcmp(out->ais[i].ai, ai) == 0)
            return true;
    return false;
}

/*
 * The query string q[0..n): numeric keys are AIs (they must be known, must not
 * be path qualifiers of the key, must not repeat an AI, and need a value);
 * other keys are non-GS1 attributes and are ignored.
 */
static void
parse_dl_query(gs1_parsed *out, const char *p, const gs1_dict_entry *key,
               const seg *quals, int nquals, const char *q, size_t n)
{
    size_t      pos = 0;

    while (pos <= n)
    {
        size_t      plen = 0,
                    klen;
        const char *param = q + pos;
        char        ai[5];
        char        kbuf[32];
        size_t      kdec;

        while (pos + plen < n && q[pos + plen] != '&')
            plen++;
        pos += plen + 1;
        if (plen == 0)
            continue;
        klen = 0;
        while (klen < plen && param[klen] != '=')
            klen++;
        if (!pct_decode(param, klen, true, kbuf, sizeof(kbuf), &kdec))
            continue;           /* not an AI: some other attribute */
        if (kdec > sizeof(kbuf))
        {
            if (all_digits(param, klen))
                add_problem(out, NULL, "unknown AI (%.20s…) in the query", param);
            continue;
        }
        if (!all_digits(kbuf, kdec))
            continue;           /* not an AI: some other attribute */
        if (kdec < 2 || kdec > 4 || dict_find_n(kbuf, kdec) == NULL)
        {
            add_problem(out, NULL, "unknown AI (%.*s) in the query", (int) kdec, kbuf);
            continue;
        }
        copy_str(ai, sizeof(ai), kbuf, kdec);
        if (fits_sequence(p, key, quals, nquals, ai, kdec))
        {
            add_problem(out, ai, "AI (%s): a path qualifier of key AI (%s) must be in the path, not the query",
                        ai, key->ai);
            continue;
        }
        if (has_ai(out, ai))
        {
            add_problem(out, ai, "AI (%s): appears more than once", ai);
            continue;
        }
        if (klen + 1 >= plen)
        {
            add_problem(out, ai, "AI (%s): empty value", ai);
            continue;
        }
        take_dl_value(out, ai, param + klen + 1, plen - klen - 1, true);
    }
}

/*
 * Find the key AI segment: the last key AI whose value is followed only by
 * qualifier pairs in dictionary order. When none makes a valid path, fall
 * back to the last key AI followed by whole pairs, with a problem. -1 if no
 * key AI segment is followed by a value at all.
 */
static int
find_dl_key(gs1_parsed *out, const char *p, const seg *segs, int nseg)
{
    int         i;

    for (i = nseg - 2; i >= 0; i--)
    {
        const gs1_dict_entry *e = dl_key_entry(p, &segs[i]);
        int         rest = nseg - i - 2;

        if (e && rest % 2 == 0 && fits_sequence(p, e, &segs[i + 2], rest / 2, NULL, 0))
            return i;
    }
    for (i = nseg - 2; i >= 0; i--)
    {
        const gs1_dict_entry *e = dl_key_entry(p, &segs[i]);
        int         rest = nseg - i - 2;

        if (e && rest % 2 == 0)
        {
            add_problem(out, e->ai,
                        "AI (%s): path qualifiers are not in an order the dictionary allows (%s)",
                        e->ai, e->dlquals[0] ? e->dlquals : "none");
            return i;
        }
    }
    return -1;
}

/*
 * A Digital Link URI: scheme, host, path segments, the key and its
 * qualifiers, then the query; the fragment is ignored.
 */
bool
gs1_parse_digital_link(const char *in, size_t len, gs1_parsed *out)
{
    const char *p = in;
    size_t      n = in ? len : 0;
    size_t      off,
                auth,
                end,
                path_end,
                i;
    seg         segs[MAX_SEGS] = {{0, 0}};
    int         nseg = 0,
                k,
                key;
    const gs1_dict_entry *ke;
    char        ai[5];

    init_parsed(out, GS1_FORM_DIGITAL_LINK);
    while (n > 0 && is_blank(p[0]))
        p++, n--;
    while (n > 0 && is_blank(p[n - 1]))
        n--;

    if (n >= 8 && (memcmp(p, "https://", 8) == 0 || memcmp(p, "HTTPS://", 8) == 0))
        off = 8;
    else if (n >= 7 && (memcmp(p, "http://", 7) == 0 || memcmp(p, "HTTP://", 7) == 0))
        off = 7;
    else
        return not_gs1(out, "a Digital Link starts with http:// or https://, all lower or all upper case");

    for (i = 0; i < n; i++)
        if ((unsigned char) p[i] <= 0x20 || (unsigned char) p[i] >= 0x7F)
            return not_gs1(out, "a URI has no blanks, control characters or non-ASCII bytes");

    end = n;
    for (i = off; i < n; i++)
        if (p[i] == '#')
        {
            end = i;            /* the fragment is not sent to the server: ignored */
            break;
        }
    auth = off;
    while (auth < end && p[auth] != '/' && p[auth] != '?')
    {
        if (!is_host_char((unsigned char) p[auth]))
            return not_gs1(out, "the URI host has a character a host name cannot have");
        auth++;
    }
    if (auth == off)
        return not_gs1(out, "the URI has no host");
    path_end = auth;
    while (path_end < end && p[path_end] != '?')
        path_end++;

    /* split the path into segments */
    i = auth;
    while (i < path_end)
    {
        size_t      s = i + 1,
                    e = s;

        while (e < path_end && p[e] != '/')
            e++;
        if (nseg >= MAX_SEGS)
            return not_gs1(out, "the URI path has too many segments");
        segs[nseg].off = s;
        segs[nseg].len = e - s;
        nseg++;
        i = e;
    }

    key = find_dl_key(out, p, segs, nseg);
    if (key < 0 && nseg > 1 && segs[nseg - 1].len == 0)
    {
        /* ".../00/006141411234567890/": a valid path but for the final '/' */
        nseg--;
        if ((key = find_dl_key(out, p, segs, nseg)) >= 0)
            add_problem(out, NULL, "the URI path ends with '/'");
    }
    if (key < 0)
        return not_gs1(out, "no GS1 key AI with a value in the URI path");

    if (segs[key].off - 1 >= sizeof(out->dl_prefix))
        add_problem(out, NULL, "the part before the key AI is longer than %zu characters",
                    sizeof(out->dl_prefix) - 1);
    copy_str(out->dl_prefix, sizeof(out->dl_prefix), p, segs[key].off - 1);

    ke = dl_key_entry(p, &segs[key]);
    for (k = key; k < nseg; k += 2)
    {
        const seg  *s = &segs[k];
        const seg  *v = &segs[k + 1];

        copy_str(ai, sizeof(ai), p + s->off, s->len);
        if (k > key && (s->len < 2 || s->len > 4 || !all_digits(p + s->off, s->len)))
        {
            add_problem(out, NULL, "path segment %.*s after the key is not an AI",
                        (int) (s->len > 20 ? 20 : s->len), p + s->off);
            continue;
        }
        if (k > key && has_ai(out, ai))
        {
            add_problem(out, ai, "AI (%s): appears more than once", ai);
            continue;
        }
        if (v->len == 0)
        {
            add_problem(out, ai, "AI (%s): empty value", ai);
            continue;
        }
        take_dl_value(out, ai, p + v->off, v->len, false);
    }
    if (path_end < end)
        parse_dl_query(out, p, ke, &segs[key + 2], (nseg - key - 2) / 2,
                       p + path_end + 1, end - path_end - 1);
    check_pairs(out);
    return true;
}

/* Append s[0..n) to buf at *pos, percent-encoding all but A-Z a-z 0-9 - . _ ~ . */
static void
append_encoded(char *buf, size_t buflen, size_t *pos, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t      i;

    for (i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char) s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
            c == '-' || c == '.' || c == '_' || c == '~')
        {
            if (*pos < buflen)
                buf[*pos] = (char) c;
            (*pos)++;
        }
        else
        {
            if (*pos + 2 < buflen)
            {
                buf[*pos] = '%';
                buf[*pos + 1] = hex[c >> 4];
                buf[*pos + 2] = hex[c & 15];
            }
            *pos += 3;
        }
    }
}

/* Append the literal text s at *pos (counting even when it does not fit). */
static void
append_raw(char *buf, size_t buflen, size_t *pos, const char *s)
{
    size_t      n = strlen(s);

    if (*pos < buflen)
        memcpy(buf + *pos, s, (*pos + n <= buflen) ? n : buflen - *pos);
    *pos += n;
}

/* Index of the first AI ai in ais (after identical repeats), or -1. */
static int
find_in(const gs1_ai_value *ais, int nais, const char *ai, size_t n)
{
    int         i;

    for (i = 0; i < nais; i++)
        if (strlen(ais[i].ai) == n && memcmp(ais[i].ai, ai, n) == 0)
            return i;
    return -1;
}

/*
 * Choose the key's qualifier sequence that covers most of the AIs given
 * (first on a tie); returns its start in dlquals and its length.
 */
static const char *
best_qualifiers(const gs1_dict_entry *key, const gs1_ai_value *ais, int nais, size_t *outlen)
{
    const char *alt = key->dlquals ? key->dlquals : "";
    const char *best = alt;
    int         bestcount = -1;

    *outlen = 0;
    while (*alt)
    {
        size_t      altlen = strcspn(alt, "|"),
                    at = 0;
        int         count = 0;

        while (at < altlen)
        {
            size_t      l = strcspn(alt + at, ",|");

            if (find_in(ais, nais, alt + at, l) >= 0)
                count++;
            at += l + 1;
        }
        if (count > bestcount)
        {
            bestcount = count;
            best = alt;
            *outlen = altlen;
        }
        alt += altlen;
        if (*alt == '|')
            alt++;
    }
    return best;
}

/*
 * The canonical URI: key (first primary key AI), qualifiers of the sequence
 * covering most AIs in dictionary order, then the rest as query parameters.
 */
int
gs1_build_digital_link(const gs1_ai_value *ais, int nais, const char *domain,
                       char *buf, size_t buflen, char *msg, size_t msglen)
{
    const gs1_dict_entry *key = NULL;
    int         keyidx = -1,
                i,
                j;
    size_t      pos = 0,
                dlen,
                qlen,
                at;
    const char *quals;
    bool        used[GS1_MAX_AIS];
    bool        first_query = true;

    if (msg && msglen)
        msg[0] = '\0';
    if (buf == NULL || buflen == 0 || domain == NULL || ais == NULL || nais < 0 ||
        nais > GS1_MAX_AIS)
    {
        if (msg && msglen)
            snprintf(msg, msglen, "bad arguments");
        return -1;
    }
    for (i = 0; i < nais; i++)
    {
        used[i] = false;
        for (j = 0; j < i; j++)
            if (strcmp(ais[i].ai, ais[j].ai) == 0)
            {
                if (strcmp(ais[i].value, ais[j].value) != 0)
                {
                    if (msg && msglen)
                        snprintf(msg, msglen, "AI (%s) appears twice with different values", ais[i].ai);
                    return -1;
                }
                used[i] = true; /* identical repeat: emitted once */
            }
        if (keyidx < 0 && (key = dict_find(ais[i].ai)) != NULL && key->dlpkey)
            keyidx = i;
    }
    if (keyidx < 0)
    {
        if (msg && msglen)
            snprintf(msg, msglen, "no Digital Link key AI (GTIN, SSCC, GLN, …) among the AIs");
        return -1;
    }
    key = dict_find(ais[keyidx].ai);

    dlen = strlen(domain);
    while (dlen > 0 && domain[dlen - 1] == '/')
        dlen--;
    if (dlen < buflen)
        memcpy(buf, domain, dlen);
    pos = dlen;
    append_raw(buf, buflen, &pos, "/");
    append_raw(buf, buflen, &pos, key->ai);
    append_raw(buf, buflen, &pos, "/");
    append_encoded(buf, buflen, &pos, ais[keyidx].value, strlen(ais[keyidx].value));
    used[keyidx] = true;

    quals = best_qualifiers(key, ais, nais, &qlen);
    at = 0;
    while (at < qlen)
    {
        size_t      l = strcspn(quals + at, ",|");
        int         q = find_in(ais, nais, quals + at, l);

        if (q >= 0 && !used[q])
        {
            append_raw(buf, buflen, &pos, "/");
            append_raw(buf, buflen, &pos, ais[q].ai);
            append_raw(buf, buflen, &pos, "/");
            append_encoded(buf, buflen, &pos, ais[q].value, strlen(ais[q].value));
            used[q] = true;
        }
        at += l + 1;
    }
    for (i = 0; i < nais; i++)
    {
        if (used[i])
            continue;           /* a qualifier of another sequence goes here too */
        append_raw(buf, buflen, &pos, first_query ? "?" : "&");
        append_raw(buf, buflen, &pos, ais[i].ai);
        append_raw(buf, buflen, &pos, "=");
        append_encoded(buf, buflen, &pos, ais[i].value, strlen(ais[i].value));
        first_query = false;
    }
    if (pos >= buflen)
    {
        buf[0] = '\0';
        if (msg && msglen)
            snprintf(msg, msglen, "buffer too small: %zu bytes needed", pos + 1);
        return -1;
    }
    buf[pos] = '\0';
    return (int) pos;
}
