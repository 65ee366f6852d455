/*
 * jcs.c — strict JSON parser and RFC 8785 (JSON Canonicalization Scheme)
 * serialiser.
 *
 * The parser accepts exactly RFC 8259 JSON: no trailing commas, no comments,
 * no NaN/Infinity, no leading zeros, no lone surrogates, valid UTF-8 only,
 * unique member names and bounded nesting. Numbers become IEEE doubles, as
 * JCS requires, and are written back with ECMAScript's Number::toString rules.
 * Object members are sorted by their UTF-16 code units.
 */
#include "jcs.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- buffers */

static void
buf_reserve(jcs_buf *b, size_t extra)
{
    size_t      need;
    char       *nd;

    if (b->failed)
        return;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    {
        size_t      cap = b->cap ? b->cap : 64;

        while (cap < need)
            cap *= 2;
        nd = realloc(b->data, cap);
        if (nd == NULL)
        {
            b->failed = true;
            return;
        }
        b->data = nd;
        b->cap = cap;
    }
}

void
jcs_buf_put(jcs_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void
jcs_buf_puts(jcs_buf *b, const char *s)
{
    jcs_buf_put(b, s, strlen(s));
}

static void
buf_putc(jcs_buf *b, char c)
{
    jcs_buf_put(b, &c, 1);
}

/* RFC 8785 3.2.2.2: escape only '"', '\\' and control characters. */
void
jcs_buf_put_string(jcs_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t      i,
                run = 0;

    buf_putc(b, '"');
    for (i = 0; i < n; i++)
    {
        unsigned char c = (unsigned char) s[i];
        char        esc[7];
        size_t      elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jcs_buf_put(b, s + run, i - run);
        run = i + 1;
        esc[0] = '\\';
        switch (c)
        {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\f': esc[1] = 'f'; break;
            case '\n': esc[1] = 'n'; break;
            case '\r': esc[1] = 'r'; break;
            case '\t': esc[1] = 't'; break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                elen = 6;
                break;
        }
        jcs_buf_put(b, esc, elen);
    }
    jcs_buf_put(b, s + run, n - run);
    buf_putc(b, '"');
}

/* ---------------------------------------------------------------- numbers */

/*
 * Shortest decimal digits that read back as x (x > 0, finite): digits
 * without trailing zeros into dig (NUL-terminated), and n such that
 * x = 0.d1d2...dk * 10^n. Tries 1..17 significant digits with the correctly
 * rounded printf form; where the rounding interval is lopsided (at powers of
 * two) the neighbour one unit away may round-trip when the nearest does not.
 */
static void
shortest_digits(double x, char dig[20], int *n_out)
{
    char        tmp[40];
    int         p = 1;

    /*
     * Integers below 2^53 are their own shortest form. For other normal
     * doubles, any decimal of up to 15 significant digits that reads back as
     * x is the nearest 15-digit decimal padded with zeros (the 15-digit grid
     * is coarser than the double's rounding interval), so one correctly
     * rounded 15-digit try settles every short case; otherwise 16 or 17
     * digits are needed. Subnormals have wide intervals: try every length.
     */
    if (x < 9007199254740992.0 && x == (double) (long long) x)
    {
        snprintf(dig, 20, "%lld", (long long) x);
        *n_out = (int) strlen(dig);
        goto strip;
    }
    if (x >= DBL_MIN)
    {
        char       *e;

        snprintf(tmp, sizeof(tmp), "%.14e", x);
        if (strtod(tmp, NULL) == x)
        {
            char       *o = dig;
            const char *s;

            e = strchr(tmp, 'e');
            for (s = tmp; s < e; s++)
                if (*s >= '0' && *s <= '9')
                    *o++ = *s;
            *o = '\0';
            *n_out = atoi(e + 1) + 1;
            goto strip;
        }
        p = 16;
    }

    for (; p <= 17; p++)
    {
        char       *e;
        int         e10;
        unsigned long long m = 0;
        int         delta;
        const char *s;

        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
        e = strchr(tmp, 'e');
        e10 = atoi(e + 1);
        for (s = tmp; s < e; s++)
            if (*s >= '0' && *s <= '9')
                m = m * 10 + (unsigned long long) (*s - '0');

        if (strtod(tmp, NULL) == x)
        {
            snprintf(dig, 20, "%llu", m);
            /* m has p digits; value = m * 10^(e10 - p + 1) */
            *n_out = e10 + 1;
            goto strip;
        }
        for (delta = 1; delta >= -1; delta -= 2)
        {
            unsigned long long c = m + (unsigned long long) (long long) delta;
            int         len;

            if (c == 0)
                continue;
            snprintf(tmp, sizeof(tmp), "%llue%d", c, e10 - p + 1);
            if (strtod(tmp, NULL) != x)
                continue;
            len = snprintf(dig, 20, "%llu", c);
            *n_out = len + e10 - p + 1;
            goto strip;
        }
    }
    /* 17 digits always round-trip; not reached */
    snprintf(tmp, sizeof(tmp), "%.16e", x);
    dig[0] = '\0';
    *n_out = 0;
    return;

strip:
    {
        size_t      k = strlen(dig);

        while (k > 1 && dig[k - 1] == '0')
            dig[--k] = '\0';
    }
}

bool
jcs_format_number(double d, char buf[JCS_NUMBER_BUFSZ])
{
    char        dig[20];
    int         n,
                k,
                i;
    char       *o = buf;

    if (!isfinite(d))
        return false;
    if (d == 0)
    {
        strcpy(buf, "0");       /* also -0 */
        return true;
    }
    if (d < 0)
    {
        *o++ = '-';
        d = -d;
    }
    shortest_digits(d, dig, &n);
    k = (int) strlen(dig);

    if (k <= n && n <= 21)
    {
        memcpy(o, dig, k);
        o += k;
        for (i = 0; i < n - k; i++)
            *o++ = '0';
    }
    else if (0 < n && n <= 21)
    {
        memcpy(o, dig, n);
        o += n;
        *o++ = '.';
        memcpy(o, dig + n, k - n);
        o += k - n;
    }
    else if (-6 < n && n <= 0)
    {
        *o++ = '0';
        *o++ = '.';
        for (i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, dig, k);
        o += k;
    }
    else
    {
        int         e = n - 1;

        *o++ = dig[0];
        if (k > 1)
        {
            *o++ = '.';
            memcpy(o, dig + 1, k - 1);
            o += k - 1;
        }
        o += sprintf(o, "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    *o = '\0';
    return true;
}

/* ---------------------------------------------------------------- key order */

/* Next code point of valid UTF-8 at s[*pos]. */
static uint32_t
utf8_next(const unsigned char *s, size_t *pos)
{
    uint32_t    c = s[*pos];

    if (c < 0x80)
    {
        *pos += 1;
        return c;
    }
    if (c < 0xE0)
    {
        c = ((c & 0x1F) << 6) | (s[*pos + 1] & 0x3F);
        *pos += 2;
        return c;
    }
    if (c < 0xF0)
    {
        c = ((c & 0x0F) << 12) | ((s[*pos + 1] & 0x3F) << 6) | (s[*pos + 2] & 0x3F);
        *pos += 3;
        return c;
    }
    c = ((c & 0x07) << 18) | ((s[*pos + 1] & 0x3F) << 12) |
        ((s[*pos + 2] & 0x3F) << 6) | (s[*pos + 3] & 0x3F);
    *pos += 4;
    return c;
}

/* Next UTF-16 code unit, or -1 at the end; *low carries a pending surrogate. */
static long
utf16_next(const unsigned char *s, size_t len, size_t *pos, uint32_t *low)
{
    uint32_t    cp;

    if (*low)
    {
        cp = *low;
        *low = 0;
        return (long) cp;
    }
    if (*pos >= len)
        return -1;
    cp = utf8_next(s, pos);
    if (cp < 0x10000)
        return (long) cp;
    cp -= 0x10000;
    *low = 0xDC00 + (cp & 0x3FF);
    return (long) (0xD800 + (cp >> 10));
}

int
jcs_compare_keys(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t      pa = 0,
                pb = 0;
    uint32_t    la = 0,
                lb = 0;

    for (;;)
    {
        long        ua = utf16_next((const unsigned char *) a, alen, &pa, &la);
        long        ub = utf16_next((const unsigned char *) b, blen, &pb, &lb);

        if (ua != ub)
            return ua < ub ? -1 : 1;
        if (ua < 0)
            return 0;
    }
}

static int
member_cmp(const void *x, const void *y)
{
    const jcs_member *a = x;
    const jcs_member *b = y;

    return jcs_compare_keys(a->key, a->keylen, b->key, b->keylen);
}

/* ---------------------------------------------------------------- parser */

typedef struct parser
{
    const unsigned char *start;
    const unsigned char *p;
    const unsigned char *end;
    int         depth;
    jcs_status  status;
    char       *err;
    size_t      errlen;
} parser;

static void fail_at(parser *ps, jcs_status st, const unsigned char *where, const char *fmt, ...)
            __attribute__((format(printf, 4, 5)));

static void
fail_at(parser *ps, jcs_status st, const unsigned char *where, const char *fmt, ...)
{
    va_list     ap;
    size_t      used;

    if (ps->status != JCS_OK)
        return;
    ps->status = st;
    if (ps->err == NULL || ps->errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(ps->err, ps->errlen, fmt, ap);
    va_end(ap);
    used = strlen(ps->err);
    if (used < ps->errlen)
        snprintf(ps->err + used, ps->errlen - used, " at byte %zu",
                 (size_t) (where - ps->start));
}

static void
skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

/* Length of a valid UTF-8 sequence at p (0 if invalid). */
static int
utf8_valid_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t      avail = (size_t) (end - p);

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (avail >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF)
    {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0;           /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0;           /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4)
    {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0;           /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0;           /* beyond U+10FFFF */
        return 4;
    }
    return 0;
}

static void
put_utf8(jcs_buf *b, uint32_t cp)
{
    char        u[4];
    size_t      n;

    if (cp < 0x80)
    {
        u[0] = (char) cp;
        n = 1;
    }
    else if (cp < 0x800)
    {
        u[0] = (char) (0xC0 | (cp >> 6));
        u[1] = (char) (0x80 | (cp & 0x3F));
        n = 2;
    }
    else if (cp < 0x10000)
    {
        u[0] = (char) (0xE0 | (cp >> 12));
        u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char) (0x80 | (cp & 0x3F));
        n = 3;
    }
    else
    {
        u[0] = (char) (0xF0 | (cp >> 18));
        u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char) (0x80 | (cp & 0x3F));
        n = 4;
    }
    jcs_buf_put(b, u, n);
}

static int
hex4(const unsigned char *p)
{
    int         v = 0,
                i;

    for (i = 0; i < 4; i++)
    {
        int         c = p[i],
                    d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Parse a string at ps->p (which is '"'); decoded UTF-8 into *out. */
static bool
parse_string(parser *ps, char **out, size_t *outlen)
{
    jcs_buf     b = {0};
    const unsigned char *open = ps->p;

    ps->p++;
    for (;;)
    {
        const unsigned char *run = ps->p;

        while (ps->p < ps->end && *ps->p >= 0x20 && *ps->p < 0x80 &&
               *ps->p != '"' && *ps->p != '\\')
            ps->p++;
        jcs_buf_put(&b, (const char *) run, (size_t) (ps->p - run));
        if (ps->p >= ps->end)
        {
            fail_at(ps, JCS_ERR_STRING, open, "unterminated string");
            goto bad;
        }
        if (*ps->p == '"')
        {
            ps->p++;
            break;
        }
        if (*ps->p < 0x20)
        {
            fail_at(ps, JCS_ERR_STRING, ps->p, "unescaped control character in string");
            goto bad;
        }
        if (*ps->p >= 0x80)
        {
            int         n = utf8_valid_len(ps->p, ps->end);

            if (n == 0)
            {
                fail_at(ps, JCS_ERR_UTF8, ps->p, "invalid UTF-8");
                goto bad;
            }
            jcs_buf_put(&b, (const char *) ps->p, (size_t) n);
            ps->p += n;
            continue;
        }
        /* backslash */
        if (ps->end - ps->p < 2)
        {
            fail_at(ps, JCS_ERR_STRING, ps->p, "unterminated escape");
            goto bad;
        }
        switch (ps->p[1])
        {
            case '"': buf_putc(&b, '"'); ps->p += 2; break;
            case '\\': buf_putc(&b, '\\'); ps->p += 2; break;
            case '/': buf_putc(&b, '/'); ps->p += 2; break;
            case 'b': buf_putc(&b, '\b'); ps->p += 2; break;
            case 'f': buf_putc(&b, '\f'); ps->p += 2; break;
            case 'n': buf_putc(&b, '\n'); ps->p += 2; break;
            case 'r': buf_putc(&b, '\r'); ps->p += 2; break;
            case 't': buf_putc(&b, '\t'); ps->p += 2; break;
            case 'u':
                {
                    const unsigned char *esc = ps->p;
                    int         u;

                    if (ps->end - ps->p < 6 || (u = hex4(ps->p + 2)) < 0)
                    {
                        fail_at(ps, JCS_ERR_STRING, esc, "bad \\u escape");
                        goto bad;
                    }
                    ps->p += 6;
                    if (u >= 0xDC00 && u <= 0xDFFF)
                    {
                        fail_at(ps, JCS_ERR_STRING, esc, "lone low surrogate");
                        goto bad;
                    }
                    if (u >= 0xD800 && u <= 0xDBFF)
                    {
                        int         lo;

                        if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                            (lo = hex4(ps->p + 2)) < 0xDC00 || lo > 0xDFFF)
                        {
                            fail_at(ps, JCS_ERR_STRING, esc, "lone high surrogate");
                            goto bad;
                        }
                        ps->p += 6;
                        put_utf8(&b, 0x10000 + (((uint32_t) u - 0xD800) << 10) +
                                 ((uint32_t) lo - 0xDC00));
                    }
                    else
                        put_utf8(&b, (uint32_t) u);
                    break;
                }
            default:
                fail_at(ps, JCS_ERR_STRING, ps->p, "bad escape");
                goto bad;
        }
    }
    if (b.failed)
    {
        fail_at(ps, JCS_ERR_NOMEM, open, "out of memory");
        goto bad;
    }
    if (b.data == NULL)
    {
        b.data = malloc(1);
        if (b.data == NULL)
        {
            fail_at(ps, JCS_ERR_NOMEM, open, "out of memory");
            return false;
        }
        b.data[0] = '\0';
    }
    *out = b.data;
    *outlen = b.len;
    return true;

bad:
    free(b.data);
    return false;
}

static bool
is_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static bool
parse_number(parser *ps, double *out)
{
    const unsigned char *s = ps->p;
    const unsigned char *p = s;
    char        small[64];
    char       *copy;
    size_t      n;
    double      d;

    if (p < ps->end && *p == '-')
        p++;
    if (!is_digit(p, ps->end))
    {
        fail_at(ps, JCS_ERR_NUMBER, s, "bad number");
        return false;
    }
    if (*p == '0')
    {
        p++;
        if (is_digit(p, ps->end))
        {
            fail_at(ps, JCS_ERR_NUMBER, s, "leading zero in number");
            return false;
        }
    }
    else
        while (is_digit(p, ps->end))
            p++;
    if (p < ps->end && *p == '.')
    {
        p++;
        if (!is_digit(p, ps->end))
        {
            fail_at(ps, JCS_ERR_NUMBER, s, "bad fraction in number");
            return false;
        }
        while (is_digit(p, ps->end))
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E'))
    {
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, ps->end))
        {
            fail_at(ps, JCS_ERR_NUMBER, s, "bad exponent in number");
            return false;
        }
        while (is_digit(p, ps->end))
            p++;
    }
    n = (size_t) (p - s);
    copy = n < sizeof(small) ? small : malloc(n + 1);
    if (copy == NULL)
    {
        fail_at(ps, JCS_ERR_NOMEM, s, "out of memory");
        return false;
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    errno = 0;
    d = strtod(copy, NULL);
    if (copy != small)
        free(copy);
    if (!isfinite(d))
    {
        fail_at(ps, JCS_ERR_NUMBER, s, "number out of IEEE double range");
        return false;
    }
    ps->p = p;
    *out = d;
    return true;
}

static jcs_value *parse_value(parser *ps);

static jcs_value *
new_value(parser *ps, jcs_type t, const unsigned char *at)
{
    jcs_value  *v = calloc(1, sizeof(jcs_value));

    if (v == NULL)
    {
        fail_at(ps, JCS_ERR_NOMEM, at, "out of memory");
        return NULL;
    }
    v->type = t;
    v->offset = (size_t) (at - ps->start);
    return v;
}

static bool
literal(parser *ps, const char *word)
{
    size_t      n = strlen(word);

    if ((size_t) (ps->end - ps->p) >= n && memcmp(ps->p, word, n) == 0)
    {
        ps->p += n;
        return true;
    }
    return false;
}

static jcs_value *
parse_array(parser *ps)
{
    jcs_value  *v = new_value(ps, JCS_ARRAY, ps->p);
    size_t      cap = 0;

    if (v == NULL)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']')
    {
        ps->p++;
        return v;
    }
    for (;;)
    {
        jcs_value  *item;

        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']')
        {
            fail_at(ps, JCS_ERR_SYNTAX, ps->p, "trailing comma in array");
            goto bad;
        }
        item = parse_value(ps);
        if (item == NULL)
            goto bad;
        if (v->len == cap)
        {
            size_t      ncap = cap ? cap * 2 : 4;
            jcs_value **ni = realloc(v->items, ncap * sizeof(jcs_value *));

            if (ni == NULL)
            {
                jcs_free(item);
                fail_at(ps, JCS_ERR_NOMEM, ps->p, "out of memory");
                goto bad;
            }
            v->items = ni;
            cap = ncap;
        }
        v->items[v->len++] = item;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',')
        {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']')
        {
            ps->p++;
            return v;
        }
        fail_at(ps, JCS_ERR_SYNTAX, ps->p, "expected ',' or ']' in array");
        goto bad;
    }
bad:
    jcs_free(v);
    return NULL;
}

static jcs_value *
parse_object(parser *ps)
{
    jcs_value  *v = new_value(ps, JCS_OBJECT, ps->p);
    size_t      cap = 0,
                i;

    if (v == NULL)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}')
    {
        ps->p++;
        return v;
    }
    for (;;)
    {
        jcs_member  m;

        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"')
        {
            if (ps->p < ps->end && *ps->p == '}')
                fail_at(ps, JCS_ERR_SYNTAX, ps->p, "trailing comma in object");
            else
                fail_at(ps, JCS_ERR_SYNTAX, ps->p, "expected member name string");
            goto bad;
        }
        m.offset = (size_t) (ps->p - ps->start);
        if (!parse_string(ps, &m.key, &m.keylen))
            goto bad;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
        {
            free(m.key);
            fail_at(ps, JCS_ERR_SYNTAX, ps->p, "expected ':' after member name");
            goto bad;
        }
        ps->p++;
        skip_ws(ps);
        m.value = parse_value(ps);
        if (m.value == NULL)
        {
            free(m.key);
            goto bad;
        }
        if (v->len == cap)
        {
            size_t      ncap = cap ? cap * 2 : 4;
            jcs_member *nm = realloc(v->members, ncap * sizeof(jcs_member));

            if (nm == NULL)
            {
                free(m.key);
                jcs_free(m.value);
                fail_at(ps, JCS_ERR_NOMEM, ps->p, "out of memory");
                goto bad;
            }
            v->members = nm;
            cap = ncap;
        }
        v->members[v->len++] = m;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',')
        {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}')
        {
            ps->p++;
            break;
        }
        fail_at(ps, JCS_ERR_SYNTAX, ps->p, "expected ',' or '}' in object");
        goto bad;
    }

    qsort(v->members, v->len, sizeof(jcs_member), member_cmp);
    for (i = 1; i < v->len; i++)
    {
        jcs_member *a = &v->members[i - 1];
        jcs_member *b = &v->members[i];

        if (a->keylen == b->keylen && memcmp(a->key, b->key, a->keylen) == 0)
        {
            size_t      off = a->offset > b->offset ? a->offset : b->offset;

            fail_at(ps, JCS_ERR_DUPLICATE_KEY, ps->start + off, "duplicate member name");
            goto bad;
        }
    }
    return v;

bad:
    jcs_free(v);
    return NULL;
}

static jcs_value *
parse_value(parser *ps)
{
    jcs_value  *v;
    const unsigned char *at;

    skip_ws(ps);
    at = ps->p;
    if (ps->p >= ps->end)
    {
        fail_at(ps, JCS_ERR_SYNTAX, ps->p, "unexpected end of input");
        return NULL;
    }
    switch (*ps->p)
    {
        case '{':
        case '[':
            if (ps->depth >= JCS_MAX_DEPTH)
            {
                fail_at(ps, JCS_ERR_DEPTH, ps->p, "nesting deeper than %d", JCS_MAX_DEPTH);
                return NULL;
            }
            ps->depth++;
            v = (*ps->p == '{') ? parse_object(ps) : parse_array(ps);
            ps->depth--;
            return v;
        case '"':
            v = new_value(ps, JCS_STRING, at);
            if (v && !parse_string(ps, &v->str, &v->len))
            {
                free(v);
                return NULL;
            }
            return v;
        case 't':
            if (literal(ps, "true"))
                return new_value(ps, JCS_TRUE, at);
            break;
        case 'f':
            if (literal(ps, "false"))
                return new_value(ps, JCS_FALSE, at);
            break;
        case 'n':
            if (literal(ps, "null"))
                return new_value(ps, JCS_NULL, at);
            break;
        default:
            if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            {
                double      d;

                if (!parse_number(ps, &d))
                    return NULL;
                v = new_value(ps, JCS_NUMBER, at);
                if (v)
                    v->number = d;
                return v;
            }
            break;
    }
    if (*ps->p >= 0x80 && utf8_valid_len(ps->p, ps->end) == 0)
        fail_at(ps, JCS_ERR_UTF8, ps->p, "invalid UTF-8");
    else
        fail_at(ps, JCS_ERR_SYNTAX, ps->p, "unexpected character");
    return NULL;
}

jcs_status
jcs_parse(const char *text, size_t len, jcs_value **out, char *err, size_t errlen)
{
    parser      ps;
    jcs_value  *v;

    ps.start = ps.p = (const unsigned char *) text;
    ps.end = ps.start + len;
    ps.depth = 0;
    ps.status = JCS_OK;
    ps.err = err;
    ps.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    *out = NULL;

    v = parse_value(&ps);
    if (v == NULL)
        return ps.status != JCS_OK ? ps.status : JCS_ERR_SYNTAX;
    skip_ws(&ps);
    if (ps.p != ps.end)
    {
        fail_at(&ps, JCS_ERR_SYNTAX, ps.p, "unexpected data after the JSON value");
        jcs_free(v);
        return ps.status;
    }
    *out = v;
    return JCS_OK;
}

void
jcs_free(jcs_value *v)
{
    size_t      i;

    if (v == NULL)
        return;
    if (v->type == JCS_ARRAY)
    {
        for (i = 0; i < v->len; i++)
            jcs_free(v->items[i]);
        free(v->items);
    }
    else if (v->type == JCS_OBJECT)
    {
        for (i = 0; i < v->len; i++)
        {
            free(v->members[i].key);
            jcs_free(v->members[i].value);
        }
        free(v->members);
    }
    else if (v->type == JCS_STRING)
        free(v->str);
    free(v);
}

const jcs_value *
jcs_get(const jcs_value *obj, const char *key)
{
    size_t      i,
                klen = strlen(key);

    if (obj == NULL || obj->type != JCS_OBJECT)
        return NULL;
    for (i = 0; i < obj->len; i++)
        if (obj->members[i].keylen == klen && memcmp(obj->members[i].key, key, klen) == 0)
            return obj->members[i].value;
    return NULL;
}

/* ---------------------------------------------------------------- output */

static void
emit(jcs_buf *b, const jcs_value *v)
{
    size_t      i;
    char        num[JCS_NUMBER_BUFSZ];

    switch (v->type)
    {
        case JCS_NULL:
            jcs_buf_put(b, "null", 4);
            break;
        case JCS_TRUE:
            jcs_buf_put(b, "true", 4);
            break;
        case JCS_FALSE:
            jcs_buf_put(b, "false", 5);
            break;
        case JCS_NUMBER:
            if (!jcs_format_number(v->number, num))
                strcpy(num, "null");    /* not reached: the parser rejects them */
            jcs_buf_puts(b, num);
            break;
        case JCS_STRING:
            jcs_buf_put_string(b, v->str, v->len);
            break;
        case JCS_ARRAY:
            buf_putc(b, '[');
            for (i = 0; i < v->len; i++)
            {
                if (i)
                    buf_putc(b, ',');
                emit(b, v->items[i]);
            }
            buf_putc(b, ']');
            break;
        case JCS_OBJECT:
            buf_putc(b, '{');
            for (i = 0; i < v->len; i++)
            {
                if (i)
                    buf_putc(b, ',');
                jcs_buf_put_string(b, v->members[i].key, v->members[i].keylen);
                buf_putc(b, ':');
                emit(b, v->members[i].value);
            }
            buf_putc(b, '}');
            break;
    }
}

jcs_status
jcs_serialize(const jcs_value *v, char **out, size_t *outlen)
{
    jcs_buf     b = {0};

    emit(&b, v);
    if (b.failed || b.data == NULL)
    {
        free(b.data);
        return JCS_ERR_NOMEM;
    }
    *out = b.data;
    *outlen = b.len;
    return JCS_OK;
}

jcs_status
jcs_canonicalize(const char *text, size_t len, char **out, size_t *outlen,
                 char *err, size_t errlen)
{
    jcs_value  *v;
    jcs_status  st = jcs_parse(text, len, &v, err, errlen);

    if (st != JCS_OK)
        return st;
    st = jcs_serialize(v, out, outlen);
    jcs_free(v);
    if (st != JCS_OK && err && errlen)
        snprintf(err, errlen, "out of memory");
    return st;
}
