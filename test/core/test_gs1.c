/*
 * test_gs1.c — TAP unit tests of the GS1 core (src/core/gs1.c).
 *
 *   gcc -Isrc/core test/core/test_gs1.c src/core/[a-z_]*.c -lcrypto; or test/run.sh core
 *
 * Known vectors: GS1 example keys (GTIN 09501101530003, SSCC
 * 106141412345678908, EAN-8 73513537, EAN-13 4006381333931), the GMN check
 * pair and coupon examples of the GS1 Barcode Syntax Dictionary's linter
 * reference, the IBAN examples of ISO 13616. Every malformed form has its
 * exact message pinned, so a change of wording or of behaviour shows here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gs1.h"
#include "gs1_dict.h"

static int  ntests = 0;
static int  nfailed = 0;

/* One TAP assertion. */
static void
ok(bool cond, const char *fmt,...)
{
    va_list     ap;

    ntests++;
    if (!cond)
        nfailed++;
    printf("%s %d - ", cond ? "ok" : "not ok", ntests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* The AIs of a result as "(01)0950…(21)ABC", with " q" after query AIs. */
static const char *
ais_text(const gs1_parsed *p)
{
    static char buf[8192];
    size_t      n = 0;
    int         i;

    buf[0] = '\0';
    for (i = 0; i < p->nais && n < sizeof(buf) - 200; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "(%s)%s%s", p->ais[i].ai,
                               p->ais[i].value, p->ais[i].in_query ? " q" : "");
    return buf;
}

/* Is msg one of the problems (exact match)? */
static bool
has_problem(const gs1_parsed *p, const char *msg)
{
    int         i;

    for (i = 0; i < p->nproblems; i++)
        if (strcmp(p->problems[i].message, msg) == 0)
            return true;
    return false;
}

/* Print the problems as TAP comments (to explain a failure). */
static void
show_problems(const gs1_parsed *p)
{
    int         i;

    for (i = 0; i < p->nproblems; i++)
        printf("#   problem: [%s] %s\n", p->problems[i].ai, p->problems[i].message);
}

/* Turn "{GS}" into 0x1D so tests stay readable; returns the length. */
static size_t
unescape(const char *s, char *buf, size_t cap)
{
    size_t      n = 0;

    while (*s && n < cap)
    {
        if (strncmp(s, "{GS}", 4) == 0)
        {
            buf[n++] = 0x1D;
            s += 4;
        }
        else
            buf[n++] = *s++;
    }
    return n;
}

static gs1_parsed P;

/* Parse input (with {GS}) and expect a clean result with exactly these AIs. */
static void
parse_clean(const char *input, gs1_form form, const char *sym, const char *expect)
{
    char        buf[2048];
    size_t      n = unescape(input, buf, sizeof(buf));
    bool        r = gs1_parse(buf, n, &P);

    ok(r && P.form == form && strcmp(P.symbology, sym) == 0 && P.nproblems == 0 &&
       strcmp(ais_text(&P), expect) == 0,
       "clean parse of %s gives %s", input, expect);
    if (!(r && P.nproblems == 0 && strcmp(ais_text(&P), expect) == 0))
    {
        printf("#   got r=%d form=%d sym='%s' ais=%s\n", r, P.form, P.symbology, ais_text(&P));
        show_problems(&P);
    }
}

/* Parse input (length given, may hold NUL) and expect the problem msg. */
static void
parse_problem_n(const char *label, const char *buf, size_t n, bool expect_ok, const char *msg)
{
    bool        r = gs1_parse(buf, n, &P);

    ok(r == expect_ok && has_problem(&P, msg), "%s: %s", label, msg);
    if (!(r == expect_ok && has_problem(&P, msg)))
    {
        printf("#   got r=%d ais=%s\n", r, ais_text(&P));
        show_problems(&P);
    }
}

/* Parse input (with {GS}) and expect the problem msg; expect_ok is the return. */
static void
parse_problem(const char *input, bool expect_ok, const char *msg)
{
    char        buf[4096];
    size_t      n = unescape(input, buf, sizeof(buf));

    parse_problem_n(input, buf, n, expect_ok, msg);
}

/* Validate one AI value and expect either success (msg NULL) or that message. */
static void
value_is(const char *ai, const char *value, const char *msg)
{
    char        got[GS1_MSG_LEN];
    bool        r = gs1_validate_ai(ai, value, strlen(value), got, sizeof(got));

    if (msg == NULL)
    {
        ok(r, "(%s)%s is valid", ai, value);
        if (!r)
            printf("#   got: %s\n", got);
    }
    else
    {
        ok(!r && strcmp(got, msg) == 0, "(%s)%s: %s", ai, value, msg);
        if (r || strcmp(got, msg) != 0)
            printf("#   got: %s\n", r ? "(valid)" : got);
    }
}

/* ------------------------------------------------------------------------ */

/* Check digits, AI lookup and the compiled table itself. */
static void
test_basics(void)
{
    int         i;
    bool        sorted = true,
                prefix_free = true,
                linters_known = true;

    ok(gs1_check_digit("950110153000", 12) == 3, "check digit of GTIN-13 9501101530003 is 3");
    ok(gs1_check_digit("0950110153000", 13) == 3, "check digit of GTIN-14 09501101530003 is 3");
    ok(gs1_check_digit("10614141234567890", 17) == 8, "check digit of SSCC 106141412345678908 is 8");
    ok(gs1_check_digit("7351353", 7) == 7, "check digit of EAN-8 73513537 is 7");
    ok(gs1_check_digit("400638133393", 12) == 1, "check digit of EAN-13 4006381333931 is 1");
    ok(gs1_check_digit("12A4", 4) == -1, "check digit of a non-digit string is -1");

    ok(gs1_ai_known("01") && gs1_ai_known("8004") && gs1_ai_known("3103"), "AIs 01, 8004, 3103 are known");
    ok(!gs1_ai_known("89") && !gs1_ai_known("0") && !gs1_ai_known("01234") && !gs1_ai_known(""),
       "AIs 89, 0, 01234 and the empty string are unknown");
    ok(gs1_ai_title("21") && strcmp(gs1_ai_title("21"), "SERIAL") == 0, "title of AI 21 is SERIAL");
    ok(gs1_ai_title("99999") == NULL, "title of an unknown AI is NULL");
    ok(GS1_DICT_RELEASE && strlen(GS1_DICT_RELEASE) > 0, "dictionary release recorded: %s", GS1_DICT_RELEASE);
    ok(gs1_dict_len == 522, "the compiled dictionary has 522 AIs");

    for (i = 0; i < gs1_dict_len; i++)
    {
        int         c;

        if (i > 0 && strcmp(gs1_dict[i - 1].ai, gs1_dict[i].ai) >= 0)
            sorted = false;
        for (c = 0; c < gs1_dict_len; c++)
            if (c != i && strncmp(gs1_dict[c].ai, gs1_dict[i].ai, strlen(gs1_dict[i].ai)) == 0)
                prefix_free = false;
        for (c = 0; c < gs1_dict[i].ncomp; c++)
        {
            const char *l = gs1_dict[i].comp[c].linters;

            while (l && *l)
            {
                char        name[32];
                size_t      len = strcspn(l, ",");

                snprintf(name, sizeof(name), "%.*s", (int) len, l);
                if (!gs1_linter_known(name))
                {
                    printf("# AI (%s) names linter %s, which is not implemented\n", gs1_dict[i].ai, name);
                    linters_known = false;
                }
                l += len;
                if (*l == ',')
                    l++;
            }
        }
    }
    ok(sorted, "dictionary sorted by AI (binary search works)");
    ok(prefix_free, "no AI is a prefix of another (AIs can be read without separators)");
    ok(linters_known, "every linter the dictionary names is implemented");
    ok(!gs1_linter_known("nosuchlinter") && !gs1_linter_known("") && !gs1_linter_known("csum,key"),
       "an unknown linter name is not taken as known");
    for (i = 0; i < gs1_dict_len; i++)
        if (strcmp(gs1_dict[i].ai, "01") == 0)
            ok(strcmp(gs1_dict[i].dlquals, "22,10,21|235") == 0 && gs1_dict[i].dlpkey,
               "AI 01 is a DL key with qualifiers 22,10,21 or 235");
}

/*
 * Every dictionary AI whose components have no linter: the shortest value
 * made of characters of its sets is valid, one character more than the
 * longest is "too long", one less than the shortest is "too short".
 */
static void
test_all_lengths(void)
{
    int         i,
                checked = 0,
                bad = 0;

    for (i = 0; i < gs1_dict_len; i++)
    {
        const gs1_dict_entry *e = &gs1_dict[i];
        char        v[256],
                    msg[GS1_MSG_LEN],
                    want[GS1_MSG_LEN];
        size_t      minlen = 0,
                    maxlen = 0;
        int         c;
        bool        lint = false;

        for (c = 0; c < e->ncomp; c++)
        {
            lint |= e->comp[c].linters[0] != '\0';
            if (!e->comp[c].optional)
                minlen += e->comp[c].min;
            maxlen += e->comp[c].max;
        }
        if (lint)
            continue;
        /* each part gets a character of its own set (N3 X..9 and the like) */
        {
            size_t      at = 0;

            for (c = 0; c < e->ncomp; c++)
            {
                memset(v + at, e->comp[c].cset == 'N' ? '7' : 'A', e->comp[c].max);
                at += e->comp[c].max;
            }
            memset(v + at, e->comp[e->ncomp - 1].cset == 'N' ? '7' : 'A', sizeof(v) - at);
        }
        checked++;
        if (!gs1_validate_ai(e->ai, v, minlen, msg, sizeof(msg)))
        {
            printf("# (%s) shortest value refused: %s\n", e->ai, msg);
            bad++;
        }
        snprintf(want, sizeof(want), "AI (%s): value too long: %zu characters, %s %zu", e->ai,
                 maxlen + 1, minlen == maxlen ? "expected" : "at most", maxlen);
        if (gs1_validate_ai(e->ai, v, maxlen + 1, msg, sizeof(msg)) || strcmp(msg, want) != 0)
        {
            printf("# (%s) longest + 1: got %s\n", e->ai, msg);
            bad++;
        }
        if (minlen > 1)
        {
            snprintf(want, sizeof(want), "AI (%s): value too short: %zu characters, %s %zu", e->ai,
                     minlen - 1, minlen == maxlen ? "expected" : "at least", minlen);
            if (gs1_validate_ai(e->ai, v, minlen - 1, msg, sizeof(msg)) || strcmp(msg, want) != 0)
            {
                printf("# (%s) shortest - 1: got %s\n", e->ai, msg);
                bad++;
            }
        }
    }
    ok(checked > 300 && bad == 0, "lengths of all %d AIs without linters: shortest valid, one more than the longest and one less than the shortest refused", checked);
}

/* Character sets, lengths and every linter, through gs1_validate_ai. */
static void
test_values(void)
{
    char        big[128];

    /* check digits */
    value_is("01", "09501101530003", NULL);
    value_is("01", "09501101530004", "AI (01): check digit 4 is wrong, expected 3");
    value_is("00", "106141412345678908", NULL);
    value_is("00", "106141412345678909", "AI (00): check digit 9 is wrong, expected 8");
    value_is("414", "9501101530003", NULL);
    /* lengths and character sets */
    value_is("01", "0950110153000", "AI (01): value too short: 13 characters, expected 14");
    value_is("01", "095011015300031", "AI (01): value too long: 15 characters, expected 14");
    value_is("01", "0950A101530003", "AI (01): character 'A' at position 5 is not a digit");
    value_is("10", "ABCDEFGHIJKLMNOPQRSTU", "AI (10): value too long: 21 characters, at most 20");
    value_is("10", "ABCDEFGHIJKLMNOPQRST", NULL);
    value_is("10", "", "AI (10): empty value");
    value_is("21", "ABC#1", "AI (21): character '#' at position 4 is not in CSET 82");
    value_is("21", "AB C", "AI (21): character 0x20 at position 3 is not in CSET 82");
    value_is("21", "AB\xC3\xA9", "AI (21): character 0xC3 at position 3 is not in CSET 82");
    value_is("90", "!\"%&'()*+,-./09:;<=>?AZ_az", NULL);
    ok(!gs1_validate_ai("21", "AB\0CD", 5, big, sizeof(big)) &&
       strcmp(big, "AI (21): character 0x00 at position 3 is not in CSET 82") == 0,
       "a NUL byte inside a value is reported with its position");
    value_is("89", "123", "unknown AI (89)");
    value_is("421", "15", "AI (421): value too short: 2 characters, at least 4");
    /* CSET 39 and CSET 64 */
    value_is("8010", "1234ABC#-/", NULL);
    value_is("8010", "1234abc", "AI (8010): character 'a' at position 5 is not in CSET 39");
    value_is("8030", "AZaz09-_==", NULL);
    value_is("8030", "AB=C", "AI (8030): character '=' at position 3 is not in CSET 64");
    /* dates */
    value_is("17", "251231", NULL);
    value_is("17", "250431", "AI (17): day 31 does not exist in month 04");
    value_is("17", "240229", NULL);
    value_is("17", "000229", NULL);
    value_is("17", "230229", "AI (17): day 29 does not exist in month 02 of year 23 (not a leap year)");
    value_is("17", "251300", "AI (17): month 13 is not valid");
    value_is("17", "250000", "AI (17): month 00 is not valid");
    value_is("17", "250400", NULL);
    value_is("11", "250230", "AI (11): day 30 does not exist in month 02");
    value_is("7006", "250400", "AI (7006): day 00 does not exist in month 04");
    value_is("7006", "250430", NULL);
    value_is("4326", "251232", "AI (4326): day 32 does not exist in month 12");
    value_is("7003", "2504301259", NULL);
    value_is("7003", "2504302400", "AI (7003): hour 24 is not valid");
    value_is("7003", "2504302360", "AI (7003): minute 60 is not valid");
    value_is("4324", "2504001200", NULL);
    value_is("8008", "25043023", NULL);
    value_is("8008", "25043024", "AI (8008): hour 24 is not valid");
    value_is("8008", "2504302359", NULL);
    value_is("8008", "250430235959", NULL);
    value_is("8008", "250430235960", "AI (8008): second 60 is not valid");
    value_is("8008", "250430236000", "AI (8008): minute 60 is not valid");
    value_is("8008", "250430235", "AI (8008): minutes and seconds must be MM or MMSS");
    value_is("7007", "250101", NULL);
    value_is("7007", "250101250131", NULL);
    value_is("7007", "2501012501", "AI (7007): part 2 has 4 characters, expected 6");
    value_is("7011", "25010112", "AI (7011): part 2 has 2 characters, expected 4");
    /* csumalpha (GMN), key */
    value_is("8013", "1987654Ad4X4bL5ttr2310c2K", NULL);
    value_is("8013", "1987654Ad4X4bL5ttr2310cXK", "AI (8013): check character pair XK is wrong, expected 2K");
    value_is("8013", "12345_nopqrstuvwxyzP2", NULL);
    value_is("8004", "1234ABC", NULL);
    value_is("8004", "123ABC", "AI (8004): does not start with a GS1 Company Prefix (4 digits or more)");
    /* zero, nonzero, winding, nozeroprefix, pieceoftotal, yesno, hyphen, pcenc */
    value_is("8003", "09501101530003SERIAL", NULL);
    value_is("8003", "19501101530003", "AI (8003): must be 0");
    value_is("8001", "01000100010011", NULL);
    value_is("8001", "00000100010011", "AI (8001): must not be zero");
    value_is("8001", "01000100010021", "AI (8001): winding direction must be 0, 1 or 9");
    value_is("8011", "0", NULL);
    value_is("8011", "0123", "AI (8011): must not start with 0");
    value_is("8006", "095011015300030102", NULL);
    value_is("8006", "095011015300030302", "AI (8006): piece 03 is greater than the total 02");
    value_is("8006", "095011015300030002", "AI (8006): piece 00 of total 02: neither may be zero");
    value_is("4321", "1", NULL);
    value_is("4321", "2", "AI (4321): must be 0 (no) or 1 (yes)");
    value_is("4330", "000123-", NULL);
    value_is("4330", "000123", NULL);
    value_is("4330", "000123+", "AI (4330): sign must be '-'");
    value_is("4300", "AB%20C", NULL);
    value_is("4300", "ABC%2", "AI (4300): '%' at position 4 does not start a %XX escape");
    value_is("4300", "AB%G0", "AI (4300): '%' at position 3 does not start a %XX escape");
    /* country and currency codes */
    value_is("422", "156", NULL);
    value_is("422", "999", "AI (422): 999 is not an ISO 3166 country code");
    value_is("7030", "999ABC", NULL);
    value_is("7030", "000ABC", "AI (7030): 000 is not an ISO 3166 country code");
    value_is("423", "156276840", NULL);
    value_is("423", "1562", "AI (423): must be a list of 1 to 5 three-digit country codes");
    value_is("423", "156000", "AI (423): 000 is not an ISO 3166 country code");
    value_is("3910", "1560001234", NULL);
    value_is("3910", "0001234", "AI (3910): 000 is not an ISO 4217 currency code");
    value_is("4307", "CN", NULL);
    value_is("4307", "XX", "AI (4307): XX is not an ISO 3166 alpha-2 country code");
    /* geography, importer index, media type, IBAN */
    value_is("4309", "18000000003600000000", NULL);
    value_is("4309", "18000000013600000000", "AI (4309): latitude must be 10 digits, at most 1800000000");
    value_is("4309", "00000000003600000001", "AI (4309): longitude must be 10 digits, at most 3600000000");
    value_is("7040", "1ABz", NULL);
    value_is("7040", "1AB.", "AI (7040): importer index must be one of - 0-9 A-Z _ a-z");
    value_is("7241", "01", NULL);
    value_is("7241", "80", NULL);
    value_is("7241", "11", "AI (7241): 11 is not an AIDC media type");
    value_is("8007", "GB82WEST12345698765432", NULL);
    value_is("8007", "DE89370400440532013000", NULL);
    value_is("8007", "GB83WEST12345698765432", "AI (8007): IBAN check digits 83 are wrong");
    value_is("8007", "XX82WEST12345698765432", "AI (8007): IBAN country XX is not an ISO 3166 alpha-2 code");
    /* coupons */
    value_is("8110", "012345612345611110123", NULL);
    value_is("8110", "0123456123456", "AI (8110): coupon: save value length indicator is missing");
    value_is("8110", "71234567890123", "AI (8110): coupon: company prefix length indicator 7 is not valid");
    value_is("8110", "0123456123456111101233251231", NULL);
    value_is("8110", "0123456123456111101233251232", "AI (8110): coupon: expiration date is not a valid YYMMDD");
    value_is("8112", "001234561234560123456", NULL);
    value_is("8112", "0012345612345601234567", "AI (8112): coupon: unexpected data at position 22");
    value_is("8112", "201234561234560123456", "AI (8112): coupon: format code 2 is not valid");

    memset(big, 'A', 91);
    big[91] = '\0';
    value_is("8030", big, "AI (8030): value too long: 91 characters, at most 90");
}

/* Every accepted input form, clean. */
static void
test_forms(void)
{
    parse_clean("(01)09501101530003(21)ABC123(17)251231", GS1_FORM_BRACKETED, "",
                "(01)09501101530003(21)ABC123(17)251231");
    parse_clean("^010950110153000321ABC123^17251231", GS1_FORM_FNC1, "",
                "(01)09501101530003(21)ABC123(17)251231");
    parse_clean("^01095011015300031725123110LOT^21S", GS1_FORM_FNC1, "",
                "(01)09501101530003(17)251231(10)LOT(21)S");
    parse_clean("]d2010950110153000321ABC123{GS}17251231", GS1_FORM_SCANNER, "]d2",
                "(01)09501101530003(21)ABC123(17)251231");
    parse_clean("]Q3010950110153000310LOT{GS}21SER", GS1_FORM_SCANNER, "]Q3",
                "(01)09501101530003(10)LOT(21)SER");
    parse_clean("]C100106141412345678908", GS1_FORM_SCANNER, "]C1", "(00)106141412345678908");
    parse_clean("]e0010950110153000317251231", GS1_FORM_SCANNER, "]e0", "(01)09501101530003(17)251231");
    parse_clean("]J1010950110153000321X", GS1_FORM_SCANNER, "]J1", "(01)09501101530003(21)X");
    parse_clean("]E09501101530003", GS1_FORM_PLAIN_GTIN, "]E0", "(01)09501101530003");
    parse_clean("]E473513537", GS1_FORM_PLAIN_GTIN, "]E4", "(01)00000073513537");
    parse_clean("]E02112345678900|]e099COMPOSITE{GS}98XYZ", GS1_FORM_PLAIN_GTIN, "]E0",
                "(01)02112345678900(99)COMPOSITE(98)XYZ");
    parse_clean("]E402345673|]e01725123110LOT", GS1_FORM_PLAIN_GTIN, "]E4",
                "(01)00000002345673(17)251231(10)LOT");
    parse_clean("]J0https://example.com/01/12312312312333?99=TEST", GS1_FORM_DIGITAL_LINK, "]J0",
                "(01)12312312312333(99)TEST q");
    parse_clean("]e0011231231231233310ABC123{GS}1199122598TESTING{GS}97XYZ", GS1_FORM_SCANNER, "]e0",
                "(01)12312312312333(10)ABC123(11)991225(98)TESTING(97)XYZ");
    parse_clean("]Q1https://id.gs1.org/01/09501101530003/21/X", GS1_FORM_DIGITAL_LINK, "]Q1",
                "(01)09501101530003(21)X");
    parse_clean("]d1HTTPS://ID.GS1.ORG/01/09501101530003", GS1_FORM_DIGITAL_LINK, "]d1",
                "(01)09501101530003");
    /* keyboard wedge: no identifier */
    parse_clean("010950110153000321ABC{GS}10LOT", GS1_FORM_SCANNER, "", "(01)09501101530003(21)ABC(10)LOT");
    parse_clean("{GS}010950110153000310LOT", GS1_FORM_SCANNER, "", "(01)09501101530003(10)LOT");
    parse_clean("010950110153000317251231", GS1_FORM_SCANNER, "", "(01)09501101530003(17)251231");
    parse_clean("0109501101530003", GS1_FORM_SCANNER, "", "(01)09501101530003");
    /* tolerated separators */
    parse_clean("]d2010950110153000310LOT{GS}", GS1_FORM_SCANNER, "]d2", "(01)09501101530003(10)LOT");
    parse_clean("]d201095011015300031725123110LOT{GS}{GS}", GS1_FORM_SCANNER, "]d2",
                "(01)09501101530003(17)251231(10)LOT");
    parse_clean("]d20109501101530003{GS}10LOT", GS1_FORM_SCANNER, "]d2", "(01)09501101530003(10)LOT");
    parse_clean("^0109501101530003^10LOT^", GS1_FORM_FNC1, "", "(01)09501101530003(10)LOT");
    /* bare GTINs */
    parse_clean("73513537", GS1_FORM_PLAIN_GTIN, "", "(01)00000073513537");
    parse_clean("036000291452", GS1_FORM_PLAIN_GTIN, "", "(01)00036000291452");
    parse_clean("4006381333931", GS1_FORM_PLAIN_GTIN, "", "(01)04006381333931");
    parse_clean("09501101530003", GS1_FORM_PLAIN_GTIN, "", "(01)09501101530003");
    parse_clean("  9501101530003\r\n", GS1_FORM_PLAIN_GTIN, "", "(01)09501101530003");
    /* bracketed details */
    parse_clean("(01)09501101530003(10)AB\\(C)", GS1_FORM_BRACKETED, "", "(01)09501101530003(10)AB(C)");
    parse_clean("(01)09501101530003(3103)000123(3103)000123", GS1_FORM_BRACKETED, "",
                "(01)09501101530003(3103)000123");
    parse_clean("(00)106141412345678908(3303)000500(400)PO-1", GS1_FORM_BRACKETED, "",
                "(00)106141412345678908(3303)000500(400)PO-1");
    parse_clean("(01)09501101530003(250)SEC(21)S", GS1_FORM_BRACKETED, "",
                "(01)09501101530003(250)SEC(21)S");
}

/* Malformed element strings, scanner data and non-GS1 input. */
static void
test_malformed(void)
{
    int         i;
    char        buf[2048];
    size_t      n;

    /* not GS1 at all */
    parse_problem("", false, "not GS1: empty input");
    parse_problem(" \t\r\n", false, "not GS1: empty input");
    parse_problem_n("NULL input", NULL, 5, false, "not GS1: empty input");
    parse_problem("hello world", false, "not GS1: no symbology identifier, AI, GTIN or Digital Link found");
    parse_problem("10.1000/xyz", false, "not GS1: digits that do not form valid GS1 element strings");
    parse_problem("88.118.8/ABC123", false, "not GS1: digits that do not form valid GS1 element strings");
    parse_problem("1.2.156.112604.1", false, "not GS1: no symbology identifier, AI, GTIN or Digital Link found");
    parse_problem("]C0ABC", false, "not GS1: the symbology identifier does not announce GS1 data");
    parse_problem("]Q1hello", false, "not GS1: plain data that is not a Digital Link URI");
    parse_problem("]d", false, "not GS1: truncated symbology identifier");
    parse_problem("(01", false, "not GS1: no bracketed AI at the start");
    parse_problem("(ab)12", false, "not GS1: no bracketed AI at the start");
    parse_problem("^abc", false, "not GS1: no AI after the leading FNC1");
    parse_problem("\xE2\x82\xAC" "uro", false, "not GS1: no symbology identifier, AI, GTIN or Digital Link found");
    parse_problem_n("a lone NUL byte", "\0", 1, false,
                    "not GS1: no symbology identifier, AI, GTIN or Digital Link found");
    ok(P.nais == 0, "not GS1 leaves no AI behind");

    /* truncated and badly separated */
    parse_problem("]d2", true, "no data after symbology identifier ]d2");
    parse_problem("^", true, "no data after FNC1");
    parse_problem("(01)", true, "AI (01): empty value");
    parse_problem("^01095011", true, "AI (01): value too short: 6 characters, expected 14");
    parse_problem("^0109501101530003^1", true, "data ends inside an AI at position 19");
    parse_problem("^010950110153000310", true, "AI (10): data ends before its value");
    parse_problem("]d201095011{GS}21ABC", true, "AI (01): value too short: 6 characters, expected 14");
    parse_problem("]d2010950110153000310{GS}21ABC", true, "AI (10): empty value");
    parse_problem("]d2010950110153000310ABC{GS}{GS}21X", true, "separator at position 26 where no value ends");
    parse_problem("]d20109501101530003{GS}{GS}10A", true, "separator at position 21 where no value ends");
    parse_problem("]d2421156{GS}10A", true, "AI (421): value too short: 3 characters, at least 4");
    parse_problem("]d2010950110153000310ABCDEFGHIJKLMNOPQRSTUVWXYZ", true,
                  "AI (10): value too long: 26 characters, at most 20");
    parse_problem("^0109501101530003#10A", true, "expected an AI at position 18, found '#'");
    parse_problem("^0109501101530003261234", true, "unknown AI starting 26 at position 18");
    parse_problem("]E0950110153000", true, "symbology identifier ]E0 carries 13 digits, got 12 characters");
    parse_problem("]E49501101", true, "symbology identifier ]E4 carries 8 digits, got 7 characters");
    parse_problem("]E402345674", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("]E01234ABC890123", true, "symbology identifier ]E0 carries 13 digits, got a non-digit at position 8");
    parse_problem("]E02112345678900|99X", true, "after '|' a composite component starts with ]e0");
    parse_problem("]E02112345678900|]e0", true, "no data in the composite component");
    parse_problem("]E02112345678900|]e099A{GS}{GS}98B", true, "separator at position 25 where no value ends");
    parse_problem("]e0", true, "no data after symbology identifier ]e0");

    /* AI-level problems in each form */
    parse_problem("(01)09501101530004", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("^0109501101530004", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("]Q30109501101530004", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("9501101530004", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("(01)09501101530003(17)250431", true, "AI (17): day 31 does not exist in month 04");
    parse_problem("(01)09501101530003(21)ABC#1", true, "AI (21): character '#' at position 4 is not in CSET 82");
    parse_problem("(01)09501101530003(10)ABCDEFGHIJKLMNOPQRSTU", true,
                  "AI (10): value too long: 21 characters, at most 20");
    parse_problem("(89)123", true, "unknown AI (89)");
    parse_problem("(01)09501101530003(12345)6", true, "bad AI in brackets at position 19");
    parse_problem("(01)09501101530003(1)6", true, "bad AI in brackets at position 19");
    parse_problem("(01)09501101530003(21", true, "bad AI in brackets at position 19");
    parse_problem("^0109501101530003^8900123", true, "unknown AI (8900)");
    parse_problem("(01)09501101530003(21)AB\xC3\xA9", true, "AI (21): character 0xC3 at position 3 is not in CSET 82");
    n = unescape("(01)09501101530003(21)AB", buf, sizeof(buf));
    buf[n++] = '\0';
    buf[n++] = 'C';
    parse_problem_n("NUL inside a bracketed value", buf, n, true,
                    "AI (21): character 0x00 at position 3 is not in CSET 82");

    /* whole-message rules */
    parse_problem("(21)ABC", true, "AI (21): required AI missing: (01) or (8006)");
    parse_problem("(01)09501101530003(250)SEC", true, "AI (250): required AI missing: (21)");
    parse_problem("(02)09501101530003", true, "AI (02): required AI missing: (37)");
    parse_problem("(01)09501101530003(02)09501101530003(37)1", true,
                  "AI (01) and AI (02) must not appear together");
    parse_problem("(01)09501101530003(3103)000123(3102)000001", true,
                  "AI (3103) and AI (3102) must not appear together");
    parse_problem("(01)09501101530003(21)A(235)T", true, "AI (21) and AI (235) must not appear together");
    parse_problem("(01)09501101530003(10)A(10)B", true, "AI (10): appears twice with different values");
    ok(P.nais == 3, "a conflicting repeat is kept so both values are seen");
    parse_problem("(01)09501101530003(3922)000123", true,
                  "AI (3922): required AI missing: (30) or (31nn) or (32nn) or (35nn) or (36nn)");
    parse_clean("(01)09501101530003(3922)000123(3103)000456", GS1_FORM_BRACKETED, "",
                "(01)09501101530003(3922)000123(3103)000456");

    /* every problem is collected, up to the limit */
    gs1_parse("(01)09501101530004(17)250431(21)A#", 34, &P);
    ok(P.nproblems == 3 && has_problem(&P, "AI (01): check digit 4 is wrong, expected 3") &&
       has_problem(&P, "AI (17): day 31 does not exist in month 04") &&
       has_problem(&P, "AI (21): character '#' at position 2 is not in CSET 82"),
       "three problems in one message are all reported");
    n = 0;
    for (i = 0; i < 20; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "(7%03d)1", i + 30);
    gs1_parse(buf, n, &P);
    ok(P.nproblems == GS1_MAX_PROBLEMS &&
       strcmp(P.problems[GS1_MAX_PROBLEMS - 1].message,
              "more than 15 problems were found; the rest are not listed") == 0,
       "problems stop at GS1_MAX_PROBLEMS and the last one says so");
    n = snprintf(buf, sizeof(buf), "(01)09501101530003");
    for (i = 0; i < GS1_MAX_AIS; i++)
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "(10)L%d", i);
    gs1_parse(buf, n, &P);
    ok(P.nais == GS1_MAX_AIS && has_problem(&P, "more than 64 AIs"), "at most GS1_MAX_AIS AIs are kept");
}

/* A GS substitute for keyboard wedges that cannot type GS. */
static void
test_gs_substitute(void)
{
    const char *s1 = "]d2010950110153000310LOT|21SER";
    const char *s2 = "010950110153000310LOT~21SER~";

    ok(gs1_parse_sep(s1, strlen(s1), '|', &P) && P.nproblems == 0 &&
       strcmp(ais_text(&P), "(01)09501101530003(10)LOT(21)SER") == 0,
       "'|' read as GS after ]d2: %s", ais_text(&P));
    ok(gs1_parse_sep(s2, strlen(s2), '~', &P) && P.nproblems == 0 && P.symbology[0] == '\0' &&
       strcmp(ais_text(&P), "(01)09501101530003(10)LOT(21)SER") == 0,
       "'~' read as GS without identifier, trailing one tolerated: %s", ais_text(&P));
    ok(gs1_parse_sep("]d2010950110153000310LOT\x1d" "21SER", 30, '|', &P) && P.nproblems == 0 && P.nais == 3,
       "GS itself still separates when a substitute is set");
    ok(gs1_parse(s1, strlen(s1), &P) &&
       has_problem(&P, "AI (10): character '|' at position 4 is not in CSET 82"),
       "without the substitute '|' is a bad character");
    ok(!gs1_parse_sep(s1, strlen(s1), 'A', &P) &&
       has_problem(&P, "not GS1: the GS substitute must be outside CSET 82, blanks, ']' and '('"),
       "a substitute inside CSET 82 is refused");
    ok(gs1_parse_sep("(01)09501101530003(10)A", 23, '|', &P) && P.nproblems == 0 && P.nais == 2,
       "the substitute does not disturb the bracketed form");
}

/* Digital Link parsing. */
static void
test_dl_parse(void)
{
    const char *u;

    parse_clean("https://id.gs1.org/01/09501101530003/10/LOT/21/S1?17=251231&linkType=gs1:pip",
                GS1_FORM_DIGITAL_LINK, "", "(01)09501101530003(10)LOT(21)S1(17)251231 q");
    ok(strcmp(P.dl_prefix, "https://id.gs1.org") == 0, "DL prefix is scheme and host");
    parse_clean("https://example.com/foo/01/9501101530003/21/A%2FB", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(21)A/B");
    ok(strcmp(P.dl_prefix, "https://example.com/foo") == 0, "DL prefix keeps the stem /foo");
    parse_clean("https://example.com/01/73513537", GS1_FORM_DIGITAL_LINK, "", "(01)00000073513537");
    parse_clean("https://example.com/01/036000291452", GS1_FORM_DIGITAL_LINK, "", "(01)00036000291452");
    parse_clean("http://example.com/01/09501101530003/22/CPV/10/L/21/S", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(22)CPV(10)L(21)S");
    parse_clean("https://example.com/01/09501101530003/235/TPX", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(235)TPX");
    parse_clean("HTTPS://EXAMPLE.COM/01/09501101530003/21/S", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(21)S");
    parse_clean("HTTP://EXAMPLE.COM/00/106141412345678908", GS1_FORM_DIGITAL_LINK, "",
                "(00)106141412345678908");
    parse_clean("https://example.com/414/9501101530003/254/EXT?linkType=all#section", GS1_FORM_DIGITAL_LINK, "",
                "(414)9501101530003(254)EXT");
    parse_clean("https://example.com/01/09501101530003/21/A+B", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(21)A+B");
    parse_clean("https://example.com/01/09501101530003/21/%41%62", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(21)Ab");
    parse_clean("https://example.com/8004/9501101530003ABC", GS1_FORM_DIGITAL_LINK, "",
                "(8004)9501101530003ABC");
    /* the key is the last key AI that makes a valid path: stems may hold AIs */
    parse_clean("https://example.com/01/stem/01/09501101530003/21/01", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(21)01");
    ok(strcmp(P.dl_prefix, "https://example.com/01/stem") == 0, "a stem that looks like an AI stays in the prefix");
    parse_clean("https://example.com/01/09501101530003?3103=000123&17=251231&99=INT", GS1_FORM_DIGITAL_LINK, "",
                "(01)09501101530003(3103)000123 q(17)251231 q(99)INT q");

    /* problems */
    u = "https://id.gs1.org/01/09501101530003/21/S/10/L";
    parse_problem(u, true, "AI (01): path qualifiers are not in an order the dictionary allows (22,10,21|235)");
    parse_problem("https://id.gs1.org/01/09501101530003?10=LOT", true,
                  "AI (10): a path qualifier of key AI (01) must be in the path, not the query");
    parse_problem("https://id.gs1.org/01/09501101530003/10/L?10=L", true,
                  "AI (10): a path qualifier of key AI (01) must be in the path, not the query");
    parse_clean("https://id.gs1.org/01/09520123456788/235/XYZ?10=ABC123", GS1_FORM_DIGITAL_LINK, "",
                "(01)09520123456788(235)XYZ(10)ABC123 q");
    parse_problem("https://id.gs1.org/01/09520123456788?235=XYZ", true,
                  "AI (235): a path qualifier of key AI (01) must be in the path, not the query");
    parse_problem("https://a/stem/00/006141411234567890/", true, "the URI path ends with '/'");
    parse_clean("https://a/stem/00/006141411234567890?", GS1_FORM_DIGITAL_LINK, "", "(00)006141411234567890");
    parse_clean("https://a/01/12312312312333?&&&99=ABC&&&&&&98=XYZ&&&", GS1_FORM_DIGITAL_LINK, "",
                "(01)12312312312333(99)ABC q(98)XYZ q");
    parse_clean("https://a/01/12312312312333?singleton1&unknown1=555&99=ABC&singleton2&98=XYZ", GS1_FORM_DIGITAL_LINK, "",
                "(01)12312312312333(99)ABC q(98)XYZ q");
    parse_clean("https://a/01/12312312312333/22/ABC%2d123?99=ABC&98=XYZ%2f987", GS1_FORM_DIGITAL_LINK, "",
                "(01)12312312312333(22)ABC-123(99)ABC q(98)XYZ/987 q");
    parse_clean("https://[2001:db8::1]:8443/01/12312312312333", GS1_FORM_DIGITAL_LINK, "", "(01)12312312312333");
    parse_clean("https://xn--fsq.xn--0zwm56d/01/12312312312333", GS1_FORM_DIGITAL_LINK, "", "(01)12312312312333");
    parse_clean("https://id.gs1.org/00/952012345678912345?02=09520123456788&37=25&10=ABC123", GS1_FORM_DIGITAL_LINK, "",
                "(00)952012345678912345(02)09520123456788 q(37)25 q(10)ABC123 q");
    parse_clean("https://example.com/8004/9520614141234567?01=9520123456788", GS1_FORM_DIGITAL_LINK, "",
                "(8004)9520614141234567(01)09520123456788 q");
    parse_clean("https://a/8018/123456789012345675/8019/123", GS1_FORM_DIGITAL_LINK, "",
                "(8018)123456789012345675(8019)123");
    parse_problem("https://a/253/1231231231232TEST56789012345678", true,
                  "AI (253): value too long: 31 characters, at most 30");
    parse_problem("https://example.com/01/09520123456788/89/ABC123?99=XYZ", true, "unknown AI (89)");
    parse_problem("https://id.gs1.org/01/09520123456788/10/ABC123?99=XYZ789&01=09520123456788", true,
                  "AI (01): appears more than once");
    parse_problem("https://$a/01/12312312312333", false,
                  "not GS1: the URI host has a character a host name cannot have");
    parse_problem("https://[fe80::1%25lo]/01/12312312312333", false,
                  "not GS1: the URI host has a character a host name cannot have");
    parse_problem("https://00/006141411234567890", false, "not GS1: no GS1 key AI with a value in the URI path");
    parse_problem("https://id.gs1.org/01/09501101530003?17=251231&17=251231", true,
                  "AI (17): appears more than once");
    parse_problem("https://id.gs1.org/01/09501101530003?17=", true, "AI (17): empty value");
    parse_problem("https://id.gs1.org/01/09501101530003?17", true, "AI (17): empty value");
    parse_problem("https://id.gs1.org/01/09501101530003/21/", true, "AI (21): empty value");
    parse_problem("https://id.gs1.org/01/09501101530003?89=1", true, "unknown AI (89) in the query");
    parse_problem("https://id.gs1.org/01/09501101530003?12345=1", true, "unknown AI (12345) in the query");
    parse_problem("https://id.gs1.org/01/09501101530003?1234567890123456789012345678901234567890=1", true,
                  "unknown AI (12345678901234567890…) in the query");
    parse_problem("https://id.gs1.org/01/09501101530003?%31%30=L", true,
                  "AI (10): a path qualifier of key AI (01) must be in the path, not the query");
    parse_problem("https://id.gs1.org/01/09501101530003?7002=A+B", true,
                  "AI (7002): character 0x20 at position 2 is not in CSET 82");
    parse_problem("https://id.gs1.org/01/09501101530003/21/A%2", true, "AI (21): bad percent-encoding in the value");
    parse_problem("https://id.gs1.org/01/09501101530004", true, "AI (01): check digit 4 is wrong, expected 3");
    parse_problem("https://id.gs1.org/01/9501101530003?17=250431", true, "AI (17): day 31 does not exist in month 04");
    parse_problem("https://id.gs1.org/01/09501101530003/21/A%00B", true,
                  "AI (21): character 0x00 at position 2 is not in CSET 82");
    parse_problem("Https://id.gs1.org/01/09501101530003", false,
                  "not GS1: a Digital Link starts with http:// or https://, all lower or all upper case");
    parse_problem("hTTP://id.gs1.org/01/09501101530003", false,
                  "not GS1: a Digital Link starts with http:// or https://, all lower or all upper case");
    parse_problem("https://example.com/foo/bar", false, "not GS1: no GS1 key AI with a value in the URI path");
    parse_problem("https://example.com/01", false, "not GS1: no GS1 key AI with a value in the URI path");
    parse_problem("https:///01/09501101530003", false, "not GS1: the URI has no host");
    parse_problem("https://example.com/01/0950 1101530003", false,
                  "not GS1: a URI has no blanks, control characters or non-ASCII bytes");
    ok(!gs1_parse_digital_link("(01)09501101530003", 18, &P), "gs1_parse_digital_link refuses element strings");
}

/* Digital Link building and round trips. */
static void
test_dl_build(void)
{
    gs1_ai_value ais[6];
    char        uri[512],
                msg[200];
    int         n,
                i;
    const char *round[] = {
        "https://id.gs1.org/01/09501101530003/10/LOT/21/S1?17=251231&3103=000123",
        "https://example.com/stem/01/09501101530003/22/CPV/21/A%2FB%21C?7002=X%25Y",
        "HTTPS://EXAMPLE.COM/414/9501101530003/254/EXT",
        "https://id.gs1.org/8004/9501101530003ABC?90=INT",
        "https://id.gs1.org/00/106141412345678908?400=PO%2F1",
    };

    memset(ais, 0, sizeof(ais));
    strcpy(ais[0].ai, "21"); strcpy(ais[0].value, "S/1 X");
    strcpy(ais[1].ai, "17"); strcpy(ais[1].value, "251231");
    strcpy(ais[2].ai, "01"); strcpy(ais[2].value, "09501101530003");
    strcpy(ais[3].ai, "10"); strcpy(ais[3].value, "L~1.2_3-4");
    strcpy(ais[4].ai, "3103"); strcpy(ais[4].value, "000123");
    n = gs1_build_digital_link(ais, 5, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003/10/L~1.2_3-4/21/S%2F1%20X?17=251231&3103=000123") == 0,
       "build puts key, qualifiers in dictionary order, the rest as query, percent-encoded");
    if (n <= 0 || strcmp(uri, "https://id.gs1.org/01/09501101530003/10/L~1.2_3-4/21/S%2F1%20X?17=251231&3103=000123") != 0)
        printf("#   got %d %s (%s)\n", n, uri, msg);
    ok(n == (int) strlen(uri), "build returns the length written");
    n = gs1_build_digital_link(ais, 5, "https://example.com/stem/", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strncmp(uri, "https://example.com/stem/01/", 28) == 0, "a trailing slash of the domain is dropped");
    n = gs1_build_digital_link(ais, 5, "https://id.gs1.org", uri, 20, msg, sizeof(msg));
    ok(n == -1 && uri[0] == '\0' && strncmp(msg, "buffer too small", 16) == 0, "a short buffer is refused: %s", msg);
    n = gs1_build_digital_link(ais, 2, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n == -1 && strcmp(msg, "no Digital Link key AI (GTIN, SSCC, GLN, …) among the AIs") == 0,
       "no key AI: refused with a message");
    strcpy(ais[0].ai, "235"); strcpy(ais[0].value, "TPX");
    n = gs1_build_digital_link(ais + 0, 3, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003/235/TPX?17=251231") == 0,
       "the qualifier sequence 235 is chosen when (235) is given: %s", uri);
    strcpy(ais[0].ai, "01"); strcpy(ais[0].value, "09501101530003");
    n = gs1_build_digital_link(ais, 3, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003?17=251231") == 0,
       "an identical repeat of the key is emitted once: %s", uri);
    strcpy(ais[1].ai, "21"); strcpy(ais[1].value, "S");
    strcpy(ais[2].ai, "235"); strcpy(ais[2].value, "T");
    n = gs1_build_digital_link(ais, 3, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003/21/S?235=T") == 0,
       "a qualifier of the sequence not chosen goes to the query: %s", uri);
    strcpy(ais[1].ai, "01"); strcpy(ais[1].value, "09501101530010");
    n = gs1_build_digital_link(ais, 2, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n == -1 && strcmp(msg, "AI (01) appears twice with different values") == 0, "conflicting repeats refused");

    for (i = 0; i < (int) (sizeof(round) / sizeof(round[0])); i++)
    {
        gs1_parsed  again;
        bool        r1 = gs1_parse_digital_link(round[i], strlen(round[i]), &P);

        n = gs1_build_digital_link(P.ais, P.nais, P.dl_prefix, uri, sizeof(uri), msg, sizeof(msg));
        ok(r1 && P.nproblems == 0 && n > 0 && strcmp(uri, round[i]) == 0,
           "canonical URI survives parse and build: %s", round[i]);
        if (!(r1 && P.nproblems == 0 && n > 0 && strcmp(uri, round[i]) == 0))
        {
            printf("#   got %s\n", uri);
            show_problems(&P);
        }
        gs1_parse_digital_link(uri, strlen(uri), &again);
        ok(again.nproblems == 0 && strcmp(ais_text(&again), ais_text(&P)) == 0,
           "re-parsing the built URI gives the same AIs");
    }
    /* a non-canonical URI becomes canonical */
    gs1_parse_digital_link("https://id.gs1.org/01/9501101530003/21/%41B?linkType=x&17=251231#f", 66, &P);
    n = gs1_build_digital_link(P.ais, P.nais, P.dl_prefix, uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003/21/AB?17=251231") == 0,
       "GTIN-13 path, encoded letter, attributes and fragment normalise: %s", uri);
    /* element string to Digital Link */
    gs1_parse("]d2010950110153000317251231{GS}", 29, &P);
    gs1_parse("]d201095011015300031725123110A/B", 32, &P);
    n = gs1_build_digital_link(P.ais, P.nais, "https://id.gs1.org", uri, sizeof(uri), msg, sizeof(msg));
    ok(n > 0 && strcmp(uri, "https://id.gs1.org/01/09501101530003/10/A%2FB?17=251231") == 0,
       "scanner data converts to a Digital Link: %s", uri);
}

int
main(void)
{
    test_basics();
    test_all_lengths();
    test_values();
    test_forms();
    test_malformed();
    test_gs_substitute();
    test_dl_parse();
    test_dl_build();
    printf("1..%d\n", ntests);
    return nfailed ? 1 : 0;
}
