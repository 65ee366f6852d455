/*
 * codes.c — GS1 numeric keys, USCC (GB 32100) and trace codes of every
 * scheme in clause 6.1.4. Pure C; see codes.h for the contract.
 */
#include "codes.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GS '\x1d'

static void set_msg(char *msg, size_t msglen, const char *what, const char *s, size_t len,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Write "invalid <what> "<input>": <reason>" into msg; the input is shortened. */
static void
set_msg(char *msg, size_t msglen, const char *what, const char *s, size_t len,
        const char *fmt, ...)
{
    char        shown[80];
    size_t      o = 0;
    size_t      i;
    int         n;
    va_list     ap;

    if (msg == NULL || msglen == 0)
        return;
    /* show the input printable and bounded: control bytes as \xNN */
    for (i = 0; i < len && o + 5 < sizeof(shown) - 4; i++)
    {
        unsigned char c = (unsigned char) s[i];

        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            o += snprintf(shown + o, sizeof(shown) - o, "\\x%02X", c);
        else
            shown[o++] = (char) c;
    }
    if (i < len)
    {
        /* do not cut a UTF-8 sequence in two */
        while (o > 0 && (shown[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 0 && (shown[o - 1] & 0x80))
            o--;
        memcpy(shown + o, "...", 3);
        o += 3;
    }
    shown[o] = '\0';
    n = snprintf(msg, msglen, "invalid %s \"%s\": ", what, shown);
    if (n < 0 || (size_t) n >= msglen)
        return;
    va_start(ap, fmt);
    vsnprintf(msg + n, msglen - n, fmt, ap);
    va_end(ap);
}

/*
 * Describe the character at s[i] for a message: a printable ASCII character,
 * a whole UTF-8 character, or \xNN for a control or stray byte.
 */
static const char *
show_char_at(const char *s, size_t len, size_t i, char buf[8])
{
    unsigned char c = (unsigned char) s[i];
    size_t      n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
    size_t      k;

    if (c >= 0x20 && c < 0x7f)
    {
        buf[0] = (char) c;
        buf[1] = '\0';
        return buf;
    }
    if (c >= 0xC2 && c <= 0xF4 && i + n <= len)
    {
        for (k = 1; k < n; k++)
            if (((unsigned char) s[i + k] & 0xC0) != 0x80)
                break;
        if (k == n)
        {
            memcpy(buf, s + i, n);
            buf[n] = '\0';
            return buf;
        }
    }
    snprintf(buf, 8, "\\x%02X", c);
    return buf;
}

/* 1-based character position of byte i (UTF-8 continuation bytes not counted). */
static size_t
char_position(const char *s, size_t i)
{
    size_t      pos = 1;
    size_t      k;

    for (k = 0; k < i; k++)
        if (((unsigned char) s[k] & 0xC0) != 0x80)
            pos++;
    return pos;
}

/* Describe a single byte (for callers without the surrounding text). */
static const char *
show_char(unsigned char c, char buf[8])
{
    char        one = (char) c;

    return show_char_at(&one, 1, 0, buf);
}

/* Drop leading and trailing blanks (space, tab, CR, LF). */
static void
trim(const char **s, size_t *len)
{
    while (*len > 0 && strchr(" \t\r\n", (*s)[0]) != NULL && (*s)[0] != '\0')
    {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && strchr(" \t\r\n", (*s)[*len - 1]) != NULL && (*s)[*len - 1] != '\0')
        (*len)--;
}

/* ------------------------------------------------------------------------
 * GS1 numeric keys
 * ------------------------------------------------------------------------ */

static const char *
key_name(gs1_key_kind kind)
{
    switch (kind)
    {
        case GS1_KEY_GTIN:
            return "GTIN";
        case GS1_KEY_SSCC:
            return "SSCC";
        case GS1_KEY_GLN:
            return "GLN";
    }
    return "GS1 key";
}

static int
key_width(gs1_key_kind kind)
{
    return kind == GS1_KEY_GTIN ? 14 : kind == GS1_KEY_SSCC ? 18 : 13;
}

static bool
key_length_ok(gs1_key_kind kind, size_t len)
{
    switch (kind)
    {
        case GS1_KEY_GTIN:
            return len == 8 || len == 12 || len == 13 || len == 14;
        case GS1_KEY_SSCC:
            return len == 18;
        case GS1_KEY_GLN:
            return len == 13;
    }
    return false;
}

static const char *
key_lengths_text(gs1_key_kind kind)
{
    switch (kind)
    {
        case GS1_KEY_GTIN:
            return "8, 12, 13 or 14 digits";
        case GS1_KEY_SSCC:
            return "18 digits";
        case GS1_KEY_GLN:
            return "13 digits";
    }
    return "";
}

bool
gs1_key_parse(gs1_key_kind kind, const char *s, size_t len, int64_t *out,
              char *msg, size_t msglen)
{
    const char *what = key_name(kind);
    size_t      i;
    int64_t     n = 0;
    int         expected;
    char        cb[8];

    trim(&s, &len);
    if (len == 0)
    {
        set_msg(msg, msglen, what, s, len, "the value is empty");
        return false;
    }
    for (i = 0; i < len; i++)
    {
        if (s[i] < '0' || s[i] > '9')
        {
            set_msg(msg, msglen, what, s, len,
                    "character \"%s\" at position %zu is not a digit",
                    show_char_at(s, len, i, cb), char_position(s, i));
            return false;
        }
    }
    if (!key_length_ok(kind, len))
    {
        set_msg(msg, msglen, what, s, len, "length %zu, expected %s",
                len, key_lengths_text(kind));
        return false;
    }
    expected = gs1_check_digit(s, len - 1);
    if (expected != s[len - 1] - '0')
    {
        set_msg(msg, msglen, what, s, len, "check digit %c is wrong, expected %d",
                s[len - 1], expected);
        return false;
    }
    for (i = 0; i < len; i++)
        n = n * 10 + (s[i] - '0');
    *out = n;
    return true;
}

void
gs1_key_format(gs1_key_kind kind, int64_t n, char *buf)
{
    snprintf(buf, 19, "%0*lld", key_width(kind), (long long) n);
}

bool
gs1_key_valid(gs1_key_kind kind, int64_t n, char *msg, size_t msglen)
{
    static const int64_t limits[] = {100000000000000LL, 1000000000000000000LL, 10000000000000LL};
    char        digits[20];
    int         width = key_width(kind);
    int64_t     limit = limits[kind == GS1_KEY_GTIN ? 0 : kind == GS1_KEY_SSCC ? 1 : 2];

    if (n < 0 || n >= limit)
    {
        snprintf(msg, msglen, "invalid %s %lld: out of range for %d digits",
                 key_name(kind), (long long) n, width);
        return false;
    }
    gs1_key_format(kind, n, digits);
    if (gs1_check_digit(digits, width - 1) != digits[width - 1] - '0')
    {
        set_msg(msg, msglen, key_name(kind), digits, width,
                "check digit %c is wrong, expected %d", digits[width - 1],
                gs1_check_digit(digits, width - 1));
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------
 * USCC, GB 32100-2015
 * ------------------------------------------------------------------------ */

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

/* Value of a USCC character (its index in the alphabet), or -1. */
static int
uscc_value(char c)
{
    const char *p;

    if (c >= 'a' && c <= 'z')
        c = (char) (c - 'a' + 'A');
    if (c == '\0')
        return -1;
    p = strchr(uscc_alphabet, c);
    return p ? (int) (p - uscc_alphabet) : -1;
}

char
uscc_check_char(const char *s17)
{
    int         sum = 0;
    int         i;

    for (i = 0; i < 17; i++)
    {
        int         v = uscc_value(s17[i]);

        if (v < 0)
            return 0;
        sum += v * uscc_weights[i];
    }
    return uscc_alphabet[(31 - sum % 31) % 31];
}

bool
uscc_parse(const char *s, size_t len, char out[USCC_LEN], char *msg, size_t msglen)
{
    size_t      i;
    char        expected;
    char        cb[8];

    trim(&s, &len);
    if (len == 0)
    {
        set_msg(msg, msglen, "USCC", s, len, "the value is empty");
        return false;
    }
    for (i = 0; i < len && i < USCC_LEN; i++)
    {
        if (uscc_value(s[i]) < 0)
        {
            set_msg(msg, msglen, "USCC", s, len,
                    "character \"%s\" at position %zu is not in the GB 32100 alphabet "
                    "(digits and upper-case letters except I, O, S, V, Z)",
                    show_char_at(s, len, i, cb), char_position(s, i));
            return false;
        }
    }
    if (len != USCC_LEN)
    {
        set_msg(msg, msglen, "USCC", s, len, "length %zu, expected 18 characters", len);
        return false;
    }
    for (i = 0; i < USCC_LEN; i++)
        out[i] = uscc_alphabet[uscc_value(s[i])];
    expected = uscc_check_char(out);
    if (out[17] != expected)
    {
        set_msg(msg, msglen, "USCC", s, len, "check character %c is wrong, expected %c",
                out[17], expected);
        return false;
    }
    return true;
}

bool
uscc_org_code_valid(const char *uscc, char *expected)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int         sum = 0;
    int         i;
    int         c9;
    char        want;

    for (i = 0; i < 8; i++)
    {
        char        c = uscc[8 + i];
        int         v;

        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = c - 'A' + 10;
        else
            return false;
        sum += v * w[i];
    }
    c9 = 11 - sum % 11;
    want = c9 == 10 ? 'X' : c9 == 11 ? '0' : (char) ('0' + c9);
    if (expected)
        *expected = want;
    return uscc[16] == want;
}

/* ------------------------------------------------------------------------
 * Trace codes
 * ------------------------------------------------------------------------ */

const char *
code_scheme_name(code_scheme scheme)
{
    switch (scheme)
    {
        case CODE_SCHEME_GS1:
            return "gs1";
        case CODE_SCHEME_HANDLE:
            return "handle";
        case CODE_SCHEME_OID:
            return "oid";
        case CODE_SCHEME_ECODE:
            return "ecode";
        case CODE_SCHEME_URI:
            return "uri";
    }
    return "unknown";
}

#define WHAT "trace code"

static bool
has_prefix_ci(const char *s, size_t len, const char *prefix)
{
    size_t      n = strlen(prefix);
    size_t      i;

    if (len < n)
        return false;
    for (i = 0; i < n; i++)
    {
        char        c = s[i];

        if (c >= 'A' && c <= 'Z')
            c = (char) (c - 'A' + 'a');
        if (c != prefix[i])
            return false;
    }
    return true;
}

static bool
set_key(code_value *out, code_scheme scheme, const char *key, size_t keylen,
        const char *s, size_t len, char *msg, size_t msglen)
{
    if (keylen > CODE_MAX_KEY)
    {
        set_msg(msg, msglen, WHAT, s, len, "too long: %zu bytes, at most %d", keylen, CODE_MAX_KEY);
        return false;
    }
    out->scheme = scheme;
    memcpy(out->key, key, keylen);
    out->key[keylen] = '\0';
    out->keylen = keylen;
    return true;
}

/* Length of an AI from its first two digits (GS1 General Specifications). */
static int
ai_length(const char *p, size_t avail)
{
    int         two;

    if (avail < 2 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return 0;
    two = (p[0] - '0') * 10 + (p[1] - '0');
    if (two <= 22 || two == 30 || two == 37 || two >= 90)
        return 2;
    if ((two >= 23 && two <= 25) || (two >= 40 && two <= 49))
        return 3;
    return 4;
}

/* Fixed value length of the AIs our stored keys can start with, 0 when variable. */
static int
stored_fixed_length(const char *ai)
{
    if (strcmp(ai, "00") == 0)
        return 18;
    if (strcmp(ai, "01") == 0)
        return 14;
    if (strcmp(ai, "8006") == 0)
        return 18;
    return 0;
}

int
code_gs1_ais(const code_value *c, gs1_ai_value *ais, int maxais)
{
    size_t      pos = 0;
    int         n = 0;

    if (c->scheme != CODE_SCHEME_GS1)
        return 0;
    while (pos < c->keylen && n < maxais)
    {
        int         alen = ai_length(c->key + pos, c->keylen - pos);
        int         fixed;
        size_t      vlen;

        if (alen == 0 || pos + alen > c->keylen)
            break;
        memcpy(ais[n].ai, c->key + pos, alen);
        ais[n].ai[alen] = '\0';
        ais[n].in_query = false;
        pos += alen;
        fixed = stored_fixed_length(ais[n].ai);
        if (fixed > 0)
            vlen = (size_t) fixed <= c->keylen - pos ? (size_t) fixed : c->keylen - pos;
        else
        {
            const char *gs = memchr(c->key + pos, GS, c->keylen - pos);

            vlen = gs ? (size_t) (gs - (c->key + pos)) : c->keylen - pos;
        }
        if (vlen > GS1_MAX_AI_VALUE)
            vlen = GS1_MAX_AI_VALUE;
        memcpy(ais[n].value, c->key + pos, vlen);
        ais[n].value[vlen] = '\0';
        pos += vlen;
        if (pos < c->keylen && c->key[pos] == GS)
            pos++;
        n++;
    }
    return n;
}

/* Value of the first occurrence of an AI in a parse, or NULL. */
static const char *
find_ai(const gs1_parsed *p, const char *ai)
{
    int         i;

    for (i = 0; i < p->nais; i++)
        if (strcmp(p->ais[i].ai, ai) == 0)
            return p->ais[i].value;
    return NULL;
}

/* Append AI + value to a stored GS1 key. */
static void
key_append(char *key, size_t *klen, const char *ai, const char *value)
{
    memcpy(key + *klen, ai, strlen(ai));
    *klen += strlen(ai);
    memcpy(key + *klen, value, strlen(value));
    *klen += strlen(value);
}

/* Build the stored key from up to two (AI, value) pairs. */
static size_t
key_from_pairs(char *key, const char *ai1, const char *v1, const char *ai2, const char *v2)
{
    size_t      klen = 0;

    key_append(key, &klen, ai1, v1);
    if (ai2 != NULL)
    {
        if (stored_fixed_length(ai1) == 0)
            key[klen++] = GS;
        key_append(key, &klen, ai2, v2);
    }
    key[klen] = '\0';
    return klen;
}

/* From a parsed GS1 message, keep the AIs that identify one unit or package. */
static bool
gs1_identity(const gs1_parsed *p, const char *s, size_t len, code_value *out,
             char *msg, size_t msglen)
{
    char        key[2 * (GS1_MAX_AI_VALUE + 8)];
    size_t      klen;
    const char *v;
    const char *serial;

    if (p->nproblems > 0)
    {
        char        all[CODE_MSG_LEN];
        size_t      o = 0;
        int         i;

        all[0] = '\0';
        for (i = 0; i < p->nproblems && o + 4 < sizeof(all); i++)
            o += snprintf(all + o, sizeof(all) - o, "%s%s", i ? "; " : "", p->problems[i].message);
        set_msg(msg, msglen, WHAT, s, len, "%s", all);
        return false;
    }

    if ((v = find_ai(p, "00")) != NULL)
        klen = key_from_pairs(key, "00", v, NULL, NULL);
    else if ((v = find_ai(p, "01")) != NULL && (serial = find_ai(p, "21")) != NULL)
        klen = key_from_pairs(key, "01", v, "21", serial);
    else if (v != NULL && (serial = find_ai(p, "235")) != NULL)
        klen = key_from_pairs(key, "01", v, "235", serial);
    else if ((v = find_ai(p, "8006")) != NULL && (serial = find_ai(p, "21")) != NULL)
        klen = key_from_pairs(key, "8006", v, "21", serial);
    else if ((v = find_ai(p, "8010")) != NULL && (serial = find_ai(p, "8011")) != NULL)
        klen = key_from_pairs(key, "8010", v, "8011", serial);
    else if ((v = find_ai(p, "8004")) != NULL)
        klen = key_from_pairs(key, "8004", v, NULL, NULL);
    else if ((v = find_ai(p, "8003")) != NULL && strlen(v) > 14)
        klen = key_from_pairs(key, "8003", v, NULL, NULL);
    else if ((v = find_ai(p, "253")) != NULL && strlen(v) > 13)
        klen = key_from_pairs(key, "253", v, NULL, NULL);
    else if ((v = find_ai(p, "8017")) != NULL)
        klen = key_from_pairs(key, "8017", v, NULL, NULL);
    else if ((v = find_ai(p, "8018")) != NULL)
        klen = key_from_pairs(key, "8018", v, NULL, NULL);
    else if ((v = find_ai(p, "01")) != NULL)
    {
        set_msg(msg, msglen, WHAT, s, len,
                "GTIN %s without a serial number (AI 21) identifies a product, not one unit",
                v);
        return false;
    }
    else if ((v = find_ai(p, "8003")) != NULL)
    {
        set_msg(msg, msglen, WHAT, s, len,
                "GRAI %s without a serial component identifies an asset type, not one asset", v);
        return false;
    }
    else
    {
        set_msg(msg, msglen, WHAT, s, len,
                "no GS1 key of a unit or package (AI 00, 01 with 21 or 235, 8003, 8004, "
                "8006 with 21, 8010 with 8011, 253, 8017, 8018)");
        return false;
    }
    return set_key(out, CODE_SCHEME_GS1, key, klen, s, len, msg, msglen);
}

/* OID: dotted non-negative integers, >= 2 arcs, first arc 0-2, no leading zeros. */
static bool
parse_oid(const char *s, size_t len, const char *orig, size_t origlen, code_value *out,
          char *msg, size_t msglen)
{
    size_t      i = 0;
    int         arc = 0;

    if (len == 0)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "the OID is empty");
        return false;
    }
    while (i < len)
    {
        size_t      start = i;
        unsigned long first = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9')
        {
            if (arc < 2 && i - start < 6)
                first = first * 10 + (unsigned long) (s[i] - '0');
            i++;
        }
        if (i == start)
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "OID arc %d is empty or not a number (position %zu)", arc + 1,
                    (size_t) (s - orig) + start + 1);
            return false;
        }
        if (i - start > 1 && s[start] == '0')
        {
            set_msg(msg, msglen, WHAT, orig, origlen, "OID arc %d has a leading zero", arc + 1);
            return false;
        }
        if (arc == 0 && (i - start > 1 || first > 2))
        {
            set_msg(msg, msglen, WHAT, orig, origlen, "OID first arc must be 0, 1 or 2");
            return false;
        }
        if (arc == 1 && (s[0] == '0' || s[0] == '1') && (i - start > 2 || first > 39))
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "OID second arc must be at most 39 under arc 0 or 1");
            return false;
        }
        arc++;
        if (i < len)
        {
            if (s[i] != '.')
            {
                char        cb[8];

                set_msg(msg, msglen, WHAT, orig, origlen,
                        "character \"%s\" at position %zu is not allowed in an OID",
                        show_char_at(s, len, i, cb), char_position(orig, (size_t) (s - orig) + i));
                return false;
            }
            i++;
            if (i == len)
            {
                set_msg(msg, msglen, WHAT, orig, origlen, "OID ends with a dot");
                return false;
            }
        }
    }
    if (arc < 2)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "an OID needs at least two arcs");
        return false;
    }
    return set_key(out, CODE_SCHEME_OID, s, len, orig, origlen, msg, msglen);
}

/* Bytes allowed in an identifier: no control characters, no blanks. */
static bool
check_printable(const char *s, size_t len, const char *orig, size_t origlen,
                const char *part, char *msg, size_t msglen)
{
    size_t      i;
    char        cb[8];

    for (i = 0; i < len; i++)
    {
        unsigned char c = (unsigned char) s[i];

        if (c <= 0x20 || c == 0x7f)
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "character \"%s\" at position %zu is not allowed in %s",
                    show_char_at(s, len, i, cb), char_position(orig, (size_t) (s - orig) + i), part);
            return false;
        }
    }
    return true;
}

/* Handle (RFC 3651): prefix "/" suffix, both non-empty. */
static bool
parse_handle(const char *s, size_t len, const char *orig, size_t origlen, code_value *out,
             char *msg, size_t msglen)
{
    const char *slash = memchr(s, '/', len);

    if (slash == NULL || slash == s || slash == s + len - 1)
    {
        set_msg(msg, msglen, WHAT, orig, origlen,
                "a Handle needs a prefix and a suffix separated by \"/\" (e.g. 88.118.8/ABC123)");
        return false;
    }
    if (!check_printable(s, len, orig, origlen, "a Handle", msg, msglen))
        return false;
    {
        /* prefix segments separated by dots, none empty */
        size_t      plen = (size_t) (slash - s);
        size_t      i;

        if (s[0] == '.' || s[plen - 1] == '.')
        {
            set_msg(msg, msglen, WHAT, orig, origlen, "Handle prefix segment is empty");
            return false;
        }
        for (i = 1; i < plen; i++)
            if (s[i] == '.' && s[i - 1] == '.')
            {
                set_msg(msg, msglen, WHAT, orig, origlen, "Handle prefix segment is empty");
                return false;
            }
    }
    return set_key(out, CODE_SCHEME_HANDLE, s, len, orig, origlen, msg, msglen);
}

/*
 * Ecode (GB/T 31866): version digit + numbering-system identifier + master
 * code. Only the structure is checked here (digits and upper-case letters,
 * version 0–4, 8–48 characters): the per-version length table is not public.
 */
static bool
parse_ecode(const char *s, size_t len, const char *orig, size_t origlen, code_value *out,
            char *msg, size_t msglen)
{
    size_t      i;
    char        cb[8];

    if (len < 8 || len > 48)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "Ecode length %zu, expected 8 to 48 characters", len);
        return false;
    }
    if (s[0] < '0' || s[0] > '4')
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "Ecode version \"%s\" is not 0 to 4",
                show_char((unsigned char) s[0], cb));
        return false;
    }
    for (i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "character \"%s\" at position %zu is not allowed in an Ecode (digits and upper-case letters)",
                    show_char_at(s, len, i, cb), char_position(orig, (size_t) (s - orig) + i));
            return false;
        }
    return set_key(out, CODE_SCHEME_ECODE, s, len, orig, origlen, msg, msglen);
}

/* Length of an RFC 3986 scheme followed by ':', or 0 when there is none. */
static size_t
uri_scheme_length(const char *s, size_t len)
{
    size_t      i;

    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (i = 1; i < len; i++)
    {
        char        c = s[i];

        if (c == ':')
            return i;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 0;
}

static bool
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Any other absolute URI: ASCII, no blanks, valid percent escapes; scheme lower-cased. */
static bool
parse_uri(const char *s, size_t len, size_t schemelen, const char *orig, size_t origlen,
          code_value *out, char *msg, size_t msglen)
{
    char        buf[CODE_MAX_KEY + 1];
    size_t      i;
    char        cb[8];

    if (len > CODE_MAX_KEY)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "too long: %zu bytes, at most %d", len, CODE_MAX_KEY);
        return false;
    }
    if (schemelen + 1 == len)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "the URI has nothing after its scheme");
        return false;
    }
    for (i = 0; i < len; i++)
    {
        unsigned char c = (unsigned char) s[i];

        if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "character \"%s\" at position %zu is not allowed in a URI (percent-encode it)",
                    show_char_at(s, len, i, cb), char_position(orig, (size_t) (s - orig) + i));
            return false;
        }
        if (c == '%' && (i + 2 >= len || !is_hex(s[i + 1]) || !is_hex(s[i + 2])))
        {
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "\"%%\" at position %zu does not start a percent escape",
                    char_position(orig, (size_t) (s - orig) + i));
            return false;
        }
        buf[i] = (i < schemelen && c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : (char) c;
    }
    return set_key(out, CODE_SCHEME_URI, buf, len, orig, origlen, msg, msglen);
}

static bool
all_digits(const char *s, size_t len)
{
    size_t      i;

    for (i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return len > 0;
}

static bool
digits_and_dots(const char *s, size_t len)
{
    size_t      i;

    for (i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
            return false;
    return len > 0;
}

/* Parse s (already trimmed) reporting positions against orig. */
static bool
code_parse_inner(const char *s, size_t len, const char *orig, size_t origlen,
                 code_value *out, gs1_parsed *scratch, char *msg, size_t msglen, int depth)
{
    size_t      schemelen;

    if (len == 0)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "the value is empty");
        return false;
    }
    if (memchr(s, '\0', len) != NULL)
    {
        set_msg(msg, msglen, WHAT, orig, origlen, "it contains a NUL byte");
        return false;
    }

    /* Scanner data with an AIM symbology identifier. */
    if (s[0] == ']')
    {
        if (gs1_parse(s, len, scratch))
            return gs1_identity(scratch, orig, origlen, out, msg, msglen);
        if (depth == 0 && len > 3 && (memcmp(s, "]d1", 3) == 0 || memcmp(s, "]Q1", 3) == 0
                                      || memcmp(s, "]Q0", 3) == 0 || memcmp(s, "]d0", 3) == 0))
            return code_parse_inner(s + 3, len - 3, orig, origlen, out, scratch, msg, msglen, 1);
        set_msg(msg, msglen, WHAT, orig, origlen, "%s",
                scratch->nproblems > 0 ? scratch->problems[0].message
                : "unsupported symbology identifier");
        return false;
    }

    if (has_prefix_ci(s, len, "urn:oid:"))
        return parse_oid(s + 8, len - 8, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "oid:"))
        return parse_oid(s + 4, len - 4, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "hdl:"))
        return parse_handle(s + 4, len - 4, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "handle:"))
        return parse_handle(s + 7, len - 7, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "ecode:"))
        return parse_ecode(s + 6, len - 6, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "https://hdl.handle.net/"))
        return parse_handle(s + 23, len - 23, orig, origlen, out, msg, msglen);
    if (has_prefix_ci(s, len, "http://hdl.handle.net/"))
        return parse_handle(s + 22, len - 22, orig, origlen, out, msg, msglen);

    schemelen = uri_scheme_length(s, len);
    if (schemelen > 0)
    {
        if (has_prefix_ci(s, len, "http://") || has_prefix_ci(s, len, "https://"))
        {
            char        lowered[CODE_MAX_KEY + 1];

            if (gs1_parse_digital_link(s, len, scratch))
                return gs1_identity(scratch, orig, origlen, out, msg, msglen);
            /* a Digital Link with a mixed-case scheme must not pass as a plain URI */
            if (len <= CODE_MAX_KEY)
            {
                size_t      i;

                memcpy(lowered, s, len);
                for (i = 0; i < schemelen; i++)
                    if (lowered[i] >= 'A' && lowered[i] <= 'Z')
                        lowered[i] = (char) (lowered[i] - 'A' + 'a');
                if (gs1_parse_digital_link(lowered, len, scratch))
                {
                    set_msg(msg, msglen, WHAT, orig, origlen,
                            "a GS1 Digital Link URI writes its scheme all in lower or all in upper case");
                    return false;
                }
            }
        }
        return parse_uri(s, len, schemelen, orig, origlen, out, msg, msglen);
    }

    /* GS1 element strings: bracketed, ^-FNC1, or GS-separated without identifier. */
    if (s[0] == '(' || s[0] == '^' || memchr(s, GS, len) != NULL)
    {
        if (gs1_parse(s, len, scratch))
            return gs1_identity(scratch, orig, origlen, out, msg, msglen);
        set_msg(msg, msglen, WHAT, orig, origlen, "%s",
                scratch->nproblems > 0 ? scratch->problems[0].message
                : "not a GS1 element string");
        return false;
    }

    if (all_digits(s, len))
    {
        int64_t     n;

        if (len == 18)
        {
            if (!gs1_key_parse(GS1_KEY_SSCC, s, len, &n, msg, msglen))
                return false;
            return set_key(out, CODE_SCHEME_GS1, "00", 2, orig, origlen, msg, msglen)
                && (memcpy(out->key + 2, s, 18), out->keylen = 20, out->key[20] = '\0', true);
        }
        if (len == 8 || len == 12 || len == 13 || len == 14)
        {
            if (!gs1_key_parse(GS1_KEY_GTIN, s, len, &n, msg, msglen))
                return false;
            set_msg(msg, msglen, WHAT, orig, origlen,
                    "a GTIN alone identifies a product, not one unit: add its serial number, "
                    "e.g. (01)%014lld(21)<serial>", (long long) n);
            return false;
        }
        set_msg(msg, msglen, WHAT, orig, origlen,
                "a number of %zu digits is neither an 18-digit SSCC nor a GTIN (and a GTIN needs a serial)",
                len);
        return false;
    }

    if (memchr(s, '/', len) != NULL)
        return parse_handle(s, len, orig, origlen, out, msg, msglen);
    if (digits_and_dots(s, len))
        return parse_oid(s, len, orig, origlen, out, msg, msglen);

    set_msg(msg, msglen, WHAT, orig, origlen,
            "not a recognised form: expected a GS1 element string or scan, a GS1 Digital Link "
            "URI, a Handle (prefix/suffix), an OID, an Ecode (ecode:...) or an absolute URI");
    return false;
}

bool
code_parse(const char *in, size_t len, code_value *out, gs1_parsed *scratch,
           char *msg, size_t msglen)
{
    const char *s = in;
    size_t      n = len;

    trim(&s, &n);
    return code_parse_inner(s, n, s, n, out, scratch, msg, msglen, 0);
}

bool
code_from_key(code_scheme scheme, const char *key, size_t keylen, code_value *out,
              gs1_parsed *scratch, char *msg, size_t msglen)
{
    char        buf[CODE_MAX_KEY + 16];
    size_t      i;

    if (keylen > CODE_MAX_KEY)
    {
        snprintf(msg, msglen, "invalid trace code: key too long (%zu bytes)", keylen);
        return false;
    }
    switch (scheme)
    {
        case CODE_SCHEME_GS1:
            /* our stored form is an FNC1 element string with GS separators */
            buf[0] = '^';
            for (i = 0; i < keylen; i++)
                buf[i + 1] = key[i] == GS ? '^' : key[i];
            if (!code_parse(buf, keylen + 1, out, scratch, msg, msglen))
                return false;
            break;
        case CODE_SCHEME_ECODE:
            memcpy(buf, "ecode:", 6);
            memcpy(buf + 6, key, keylen);
            if (!code_parse(buf, keylen + 6, out, scratch, msg, msglen))
                return false;
            break;
        case CODE_SCHEME_HANDLE:
            memcpy(buf, "hdl:", 4);
            memcpy(buf + 4, key, keylen);
            if (!code_parse(buf, keylen + 4, out, scratch, msg, msglen))
                return false;
            break;
        case CODE_SCHEME_OID:
            memcpy(buf, "urn:oid:", 8);
            memcpy(buf + 8, key, keylen);
            if (!code_parse(buf, keylen + 8, out, scratch, msg, msglen))
                return false;
            break;
        case CODE_SCHEME_URI:
            if (!code_parse(key, keylen, out, scratch, msg, msglen))
                return false;
            break;
        default:
            snprintf(msg, msglen, "invalid trace code: unknown scheme %d", (int) scheme);
            return false;
    }
    if (out->scheme != scheme || out->keylen != keylen || memcmp(out->key, key, keylen) != 0)
    {
        snprintf(msg, msglen, "invalid trace code: stored key is not in canonical form");
        return false;
    }
    return true;
}

size_t
code_format(const code_value *c, char *buf, size_t buflen)
{
    size_t      o = 0;

    if (c->scheme == CODE_SCHEME_GS1)
    {
        gs1_ai_value ais[4];
        int         n = code_gs1_ais(c, ais, 4);
        int         i;

        /* bracketed element string; a '(' inside a value is written "\(" */
        for (i = 0; i < n; i++)
        {
            const char *v;
            int         w = snprintf(buf + o, buflen - o, "(%s)", ais[i].ai);

            if (w < 0 || (size_t) w >= buflen - o)
                break;
            o += (size_t) w;
            for (v = ais[i].value; *v && o + 3 < buflen; v++)
            {
                if (*v == '(')
                    buf[o++] = '\\';
                buf[o++] = *v;
            }
            buf[o] = '\0';
        }
        return o;
    }
    if (c->scheme == CODE_SCHEME_ECODE)
        o = (size_t) snprintf(buf, buflen, "ecode:%s", c->key);
    else if (c->scheme == CODE_SCHEME_HANDLE
             && (uri_scheme_length(c->key, c->keylen) > 0 || strchr("(^]", c->key[0]) != NULL))
        o = (size_t) snprintf(buf, buflen, "hdl:%s", c->key);   /* bare form would read as another scheme */
    else
        o = (size_t) snprintf(buf, buflen, "%s", c->key);
    return o < buflen ? o : buflen - 1;
}
