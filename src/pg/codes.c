/*
 * codes.c — SQL types trace.gtin, trace.sscc, trace.gln, trace.uscc and
 * trace.code, and the functions around them (validate, parse_scan, scheme,
 * gtin, serial, digital_link). The rules themselves live in src/core/codes.c
 * and src/core/gs1.c; this file only converts between SQL and C.
 *
 * Storage:
 *   gtin, sscc, gln  int8, pass by value (the 14/18/13-digit number)
 *   uscc             18 bytes, by reference, the normalised characters
 *   code             varlena: one scheme byte, then the identifying key
 */
#include "pgtrace.h"

#include "access/hash.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "codes.h"
#include "gs1.h"

/* Working space for the GS1 parser: large, so one per backend, not per call. */
static gs1_parsed *
scratch(void)
{
    static gs1_parsed *p = NULL;

    if (p == NULL)
        p = MemoryContextAlloc(TopMemoryContext, sizeof(gs1_parsed));
    return p;
}

/* ------------------------------------------------------------------------
 * gtin, sscc, gln: int64 keys
 * ------------------------------------------------------------------------ */

static Datum
key_in(FunctionCallInfo fcinfo, gs1_key_kind kind)
{
    char       *s = PG_GETARG_CSTRING(0);
    int64       n;
    char        msg[CODE_MSG_LEN];

    if (!gs1_key_parse(kind, s, strlen(s), &n, msg, sizeof(msg)))
        pt_input_error(PT_ESCONTEXT(fcinfo), (Datum) 0,
                       (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                        errmsg("%s", msg)));
    PG_RETURN_INT64(n);
}

static Datum
key_out(FunctionCallInfo fcinfo, gs1_key_kind kind)
{
    char        buf[20];

    gs1_key_format(kind, PG_GETARG_INT64(0), buf);
    PG_RETURN_CSTRING(pstrdup(buf));
}

/* Binary input is the int8; it is checked exactly as text input is. */
static Datum
key_recv(FunctionCallInfo fcinfo, gs1_key_kind kind)
{
    StringInfo  buf = (StringInfo) PG_GETARG_POINTER(0);
    int64       n = pq_getmsgint64(buf);
    char        msg[CODE_MSG_LEN];

    if (!gs1_key_valid(kind, n, msg, sizeof(msg)))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                 errmsg("%s", msg)));
    PG_RETURN_INT64(n);
}

static Datum
key_send(FunctionCallInfo fcinfo)
{
    StringInfoData buf;

    pq_begintypsend(&buf);
    pq_sendint64(&buf, PG_GETARG_INT64(0));
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bigint -> key, for casts: the number must be a valid key. */
static Datum
key_from_int8(FunctionCallInfo fcinfo, gs1_key_kind kind)
{
    int64       n = PG_GETARG_INT64(0);
    char        msg[CODE_MSG_LEN];

    if (!gs1_key_valid(kind, n, msg, sizeof(msg)))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                 errmsg("%s", msg)));
    PG_RETURN_INT64(n);
}

#define KEY_TYPE_FUNCTIONS(name, kind) \
    PG_FUNCTION_INFO_V1(name##_in); \
    Datum name##_in(PG_FUNCTION_ARGS) { return key_in(fcinfo, kind); } \
    PG_FUNCTION_INFO_V1(name##_out); \
    Datum name##_out(PG_FUNCTION_ARGS) { return key_out(fcinfo, kind); } \
    PG_FUNCTION_INFO_V1(name##_recv); \
    Datum name##_recv(PG_FUNCTION_ARGS) { return key_recv(fcinfo, kind); } \
    PG_FUNCTION_INFO_V1(name##_send); \
    Datum name##_send(PG_FUNCTION_ARGS) { return key_send(fcinfo); } \
    PG_FUNCTION_INFO_V1(name##_from_int8); \
    Datum name##_from_int8(PG_FUNCTION_ARGS) { return key_from_int8(fcinfo, kind); }

KEY_TYPE_FUNCTIONS(gtin, GS1_KEY_GTIN)
KEY_TYPE_FUNCTIONS(sscc, GS1_KEY_SSCC)
KEY_TYPE_FUNCTIONS(gln, GS1_KEY_GLN)

/* ------------------------------------------------------------------------
 * uscc: 18 bytes
 * ------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(uscc_in);
Datum
uscc_in(PG_FUNCTION_ARGS)
{
    char       *s = PG_GETARG_CSTRING(0);
    char       *result = palloc(USCC_LEN);
    char        msg[CODE_MSG_LEN];

    if (!uscc_parse(s, strlen(s), result, msg, sizeof(msg)))
        pt_input_error(PT_ESCONTEXT(fcinfo), (Datum) 0,
                       (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                        errmsg("%s", msg)));
    PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(uscc_out);
Datum
uscc_out(PG_FUNCTION_ARGS)
{
    const char *u = (const char *) PG_GETARG_POINTER(0);

    PG_RETURN_CSTRING(pnstrdup(u, USCC_LEN));
}

PG_FUNCTION_INFO_V1(uscc_recv);
Datum
uscc_recv(PG_FUNCTION_ARGS)
{
    StringInfo  buf = (StringInfo) PG_GETARG_POINTER(0);
    int         nbytes = buf->len - buf->cursor;
    const char *bytes = pq_getmsgbytes(buf, nbytes);
    char       *result = palloc(USCC_LEN);
    char        msg[CODE_MSG_LEN];

    if (!uscc_parse(bytes, nbytes, result, msg, sizeof(msg))
        || memcmp(result, bytes, USCC_LEN) != 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                 errmsg("%s", nbytes == USCC_LEN && memcmp(result, bytes, USCC_LEN) != 0
                        && msg[0] == '\0' ? "invalid USCC: not in upper case" : msg)));
    PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(uscc_send);
Datum
uscc_send(PG_FUNCTION_ARGS)
{
    StringInfoData buf;

    pq_begintypsend(&buf);
    pq_sendbytes(&buf, (const char *) PG_GETARG_POINTER(0), USCC_LEN);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static int
uscc_compare(FunctionCallInfo fcinfo)
{
    return memcmp(PG_GETARG_POINTER(0), PG_GETARG_POINTER(1), USCC_LEN);
}

#define COMPARE_FUNCTIONS(prefix, cmpfn) \
    PG_FUNCTION_INFO_V1(prefix##_eq); \
    Datum prefix##_eq(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) == 0); } \
    PG_FUNCTION_INFO_V1(prefix##_ne); \
    Datum prefix##_ne(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) != 0); } \
    PG_FUNCTION_INFO_V1(prefix##_lt); \
    Datum prefix##_lt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) < 0); } \
    PG_FUNCTION_INFO_V1(prefix##_le); \
    Datum prefix##_le(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) <= 0); } \
    PG_FUNCTION_INFO_V1(prefix##_gt); \
    Datum prefix##_gt(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) > 0); } \
    PG_FUNCTION_INFO_V1(prefix##_ge); \
    Datum prefix##_ge(PG_FUNCTION_ARGS) { PG_RETURN_BOOL(cmpfn(fcinfo) >= 0); } \
    PG_FUNCTION_INFO_V1(prefix##_cmp); \
    Datum prefix##_cmp(PG_FUNCTION_ARGS) { int c = cmpfn(fcinfo); PG_RETURN_INT32(c < 0 ? -1 : c > 0); } \
    PG_FUNCTION_INFO_V1(prefix##_smaller); \
    Datum prefix##_smaller(PG_FUNCTION_ARGS) { return cmpfn(fcinfo) <= 0 ? PG_GETARG_DATUM(0) : PG_GETARG_DATUM(1); } \
    PG_FUNCTION_INFO_V1(prefix##_larger); \
    Datum prefix##_larger(PG_FUNCTION_ARGS) { return cmpfn(fcinfo) >= 0 ? PG_GETARG_DATUM(0) : PG_GETARG_DATUM(1); }

COMPARE_FUNCTIONS(uscc, uscc_compare)

PG_FUNCTION_INFO_V1(uscc_hash);
Datum
uscc_hash(PG_FUNCTION_ARGS)
{
    return hash_any((const unsigned char *) PG_GETARG_POINTER(0), USCC_LEN);
}

PG_FUNCTION_INFO_V1(uscc_hash_extended);
Datum
uscc_hash_extended(PG_FUNCTION_ARGS)
{
    return hash_any_extended((const unsigned char *) PG_GETARG_POINTER(0), USCC_LEN,
                             PG_GETARG_INT64(1));
}

/*
 * trace.uscc_info(uscc) -> jsonb: the parts of a USCC, and whether the
 * embedded organisation code passes GB 11714 (reported, never enforced).
 */
PG_FUNCTION_INFO_V1(uscc_info);
Datum
uscc_info(PG_FUNCTION_ARGS)
{
    const char *u = (const char *) PG_GETARG_POINTER(0);
    char        expected;
    bool        ok = uscc_org_code_valid(u, &expected);
    StringInfoData s;

    initStringInfo(&s);
    appendStringInfo(&s,
                     "{\"uscc\": \"%.18s\", \"registration_authority\": \"%c\", "
                     "\"organisation_category\": \"%c\", \"region_code\": \"%.6s\", "
                     "\"organisation_code\": \"%.9s\", \"organisation_code_valid\": %s, "
                     "\"organisation_code_expected_check\": \"%c\", \"check_character\": \"%c\"}",
                     u, u[0], u[1], u + 2, u + 8, ok ? "true" : "false", expected, u[17]);
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}

/* ------------------------------------------------------------------------
 * code: varlena (scheme byte + key)
 * ------------------------------------------------------------------------ */

typedef struct pt_code
{
    int32       vl_len_;
    uint8       scheme;
    char        key[FLEXIBLE_ARRAY_MEMBER];
} pt_code;

/*
 * Read access to a stored code whatever its header: values with a 1-byte
 * header (most codes on disk) are read in place, not copied, so comparing
 * them in an index build or a sort allocates nothing.
 */
#define PT_CODE_DATA(c)     ((const unsigned char *) VARDATA_ANY(c))
#define PT_CODE_SCHEME(c)   (PT_CODE_DATA(c)[0])
#define PT_CODE_KEY(c)      ((const char *) PT_CODE_DATA(c) + 1)
#define PT_CODE_KEYLEN(c)   (VARSIZE_ANY_EXHDR(c) - 1)
#define PG_GETARG_CODE_P(n) ((struct varlena *) PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(n)))

static pt_code *
code_to_datum(const code_value *v)
{
    Size        size = offsetof(pt_code, key) + v->keylen;
    pt_code    *c = palloc(size);

    SET_VARSIZE(c, size);
    c->scheme = (uint8) v->scheme;
    memcpy(c->key, v->key, v->keylen);
    return c;
}

/* Unpack a stored code into a code_value (no validation: it was validated on input). */
static void
code_from_datum(const struct varlena *c, code_value *v)
{
    Size        n = PT_CODE_KEYLEN(c);

    v->scheme = (code_scheme) PT_CODE_SCHEME(c);
    v->keylen = Min(n, CODE_MAX_KEY);
    memcpy(v->key, PT_CODE_KEY(c), v->keylen);
    v->key[v->keylen] = '\0';
}

static char *
code_text(const struct varlena *c)
{
    code_value *v = palloc(sizeof(code_value));
    char       *buf = palloc(CODE_MAX_KEY * 2 + 64);

    code_from_datum(c, v);
    code_format(v, buf, CODE_MAX_KEY * 2 + 64);
    pfree(v);
    return buf;
}

PG_FUNCTION_INFO_V1(code_in);
Datum
code_in(PG_FUNCTION_ARGS)
{
    char       *s = PG_GETARG_CSTRING(0);
    code_value *v = palloc(sizeof(code_value));
    char        msg[CODE_MSG_LEN];

    if (!code_parse(s, strlen(s), v, scratch(), msg, sizeof(msg)))
        pt_input_error(PT_ESCONTEXT(fcinfo), (Datum) 0,
                       (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                        errmsg("%s", msg)));
    PG_RETURN_POINTER(code_to_datum(v));
}

PG_FUNCTION_INFO_V1(code_out);
Datum
code_out(PG_FUNCTION_ARGS)
{
    PG_RETURN_CSTRING(code_text(PG_GETARG_CODE_P(0)));
}

/* Binary form: scheme byte, then the key; checked to be canonical. */
PG_FUNCTION_INFO_V1(code_recv);
Datum
code_recv(PG_FUNCTION_ARGS)
{
    StringInfo  buf = (StringInfo) PG_GETARG_POINTER(0);
    int         scheme = pq_getmsgbyte(buf);
    int         nbytes = buf->len - buf->cursor;
    const char *key = pq_getmsgbytes(buf, nbytes);
    code_value *v = palloc(sizeof(code_value));
    char        msg[CODE_MSG_LEN];

    if (!code_from_key((code_scheme) scheme, key, nbytes, v, scratch(), msg, sizeof(msg)))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                 errmsg("%s", msg)));
    PG_RETURN_POINTER(code_to_datum(v));
}

PG_FUNCTION_INFO_V1(code_send);
Datum
code_send(PG_FUNCTION_ARGS)
{
    struct varlena *c = PG_GETARG_CODE_P(0);
    StringInfoData buf;

    pq_begintypsend(&buf);
    pq_sendbyte(&buf, PT_CODE_SCHEME(c));
    pq_sendbytes(&buf, PT_CODE_KEY(c), PT_CODE_KEYLEN(c));
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Order: by scheme, then key bytes, then length. Frees detoasted copies. */
static int
code_compare(FunctionCallInfo fcinfo)
{
    struct varlena *a = PG_GETARG_CODE_P(0);
    struct varlena *b = PG_GETARG_CODE_P(1);
    Size        la = PT_CODE_KEYLEN(a);
    Size        lb = PT_CODE_KEYLEN(b);
    int         r;

    if (PT_CODE_SCHEME(a) != PT_CODE_SCHEME(b))
        r = PT_CODE_SCHEME(a) < PT_CODE_SCHEME(b) ? -1 : 1;
    else
    {
        r = memcmp(PT_CODE_KEY(a), PT_CODE_KEY(b), Min(la, lb));
        if (r == 0 && la != lb)
            r = la < lb ? -1 : 1;
    }
    PG_FREE_IF_COPY(a, 0);
    PG_FREE_IF_COPY(b, 1);
    return r;
}

COMPARE_FUNCTIONS(code, code_compare)

PG_FUNCTION_INFO_V1(code_hash);
Datum
code_hash(PG_FUNCTION_ARGS)
{
    struct varlena *c = PG_GETARG_CODE_P(0);
    Datum       h = hash_any(PT_CODE_DATA(c), PT_CODE_KEYLEN(c) + 1);

    PG_FREE_IF_COPY(c, 0);
    return h;
}

PG_FUNCTION_INFO_V1(code_hash_extended);
Datum
code_hash_extended(PG_FUNCTION_ARGS)
{
    struct varlena *c = PG_GETARG_CODE_P(0);
    Datum       h = hash_any_extended(PT_CODE_DATA(c), PT_CODE_KEYLEN(c) + 1, PG_GETARG_INT64(1));

    PG_FREE_IF_COPY(c, 0);
    return h;
}

/* The AIs of a GS1 code's key (0 for other schemes). */
static int
code_ais(const struct varlena *c, gs1_ai_value *ais, int max)
{
    code_value *v = palloc(sizeof(code_value));
    int         n;

    code_from_datum(c, v);
    n = code_gs1_ais(v, ais, max);
    pfree(v);
    return n;
}

static const char *
ai_value(const gs1_ai_value *ais, int n, const char *ai)
{
    int         i;

    for (i = 0; i < n; i++)
        if (strcmp(ais[i].ai, ai) == 0)
            return ais[i].value;
    return NULL;
}

PG_FUNCTION_INFO_V1(code_scheme_sql);
/* trace.scheme(code) -> 'gs1' | 'handle' | 'oid' | 'ecode' | 'uri' */
Datum
code_scheme_sql(PG_FUNCTION_ARGS)
{
    PG_RETURN_TEXT_P(cstring_to_text(code_scheme_name(PT_CODE_SCHEME(PG_GETARG_CODE_P(0)))));
}

/* The GTIN a code carries (AI 01, or the GTIN inside an ITIP 8006), or -1. */
static int64
code_gtin_value(const struct varlena *c)
{
    gs1_ai_value ais[4];
    int         n = code_ais(c, ais, 4);
    const char *v = ai_value(ais, n, "01");
    char        digits[15];

    if (v == NULL && (v = ai_value(ais, n, "8006")) != NULL)
    {
        memcpy(digits, v, 14);
        digits[14] = '\0';
        v = digits;
    }
    return v ? strtoll(v, NULL, 10) : -1;
}

/*
 * A trace code from text without raising, for callers that name the record
 * themselves (the registry's batch path): NULL when the text is not a trace
 * code. *gtin receives the GTIN the code carries, or -1.
 */
struct varlena *
pt_code_from_text(const char *s, size_t len, int64 *gtin)
{
    code_value *v = palloc(sizeof(code_value));
    char        msg[CODE_MSG_LEN];
    struct varlena *c = NULL;

    if (code_parse(s, len, v, scratch(), msg, sizeof(msg)))
    {
        c = (struct varlena *) code_to_datum(v);
        *gtin = code_gtin_value(c);
    }
    pfree(v);
    return c;
}

/* Is the code an SSCC (AI 00), a logistic unit's code? */
bool
pt_code_is_sscc(const struct varlena *c)
{
    gs1_ai_value ais[4];
    int         n = code_ais(c, ais, 4);

    return ai_value(ais, n, "00") != NULL;
}

PG_FUNCTION_INFO_V1(code_gtin);
/* trace.gtin(code) -> gtin, NULL when the code carries no GTIN */
Datum
code_gtin(PG_FUNCTION_ARGS)
{
    int64       g = code_gtin_value(PG_GETARG_CODE_P(0));

    if (g < 0)
        PG_RETURN_NULL();
    PG_RETURN_INT64(g);
}

PG_FUNCTION_INFO_V1(code_to_gtin_cast);
/* CAST (code AS gtin): like trace.gtin(code), but a code without a GTIN is an error. */
Datum
code_to_gtin_cast(PG_FUNCTION_ARGS)
{
    struct varlena *c = PG_GETARG_CODE_P(0);
    int64       g = code_gtin_value(c);

    if (g < 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("trace code \"%s\" carries no GTIN", code_text(c))));
    PG_RETURN_INT64(g);
}

PG_FUNCTION_INFO_V1(code_to_sscc_cast);
/* CAST (code AS sscc): the code must be an SSCC (AI 00). */
Datum
code_to_sscc_cast(PG_FUNCTION_ARGS)
{
    struct varlena *c = PG_GETARG_CODE_P(0);
    gs1_ai_value ais[4];
    int         n = code_ais(c, ais, 4);
    const char *v = ai_value(ais, n, "00");

    if (v == NULL)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("trace code \"%s\" is not an SSCC", code_text(c))));
    PG_RETURN_INT64(strtoll(v, NULL, 10));
}

PG_FUNCTION_INFO_V1(sscc_to_code_cast);
/* CAST (sscc AS code): a transport package's trace code. */
Datum
sscc_to_code_cast(PG_FUNCTION_ARGS)
{
    code_value *v = palloc(sizeof(code_value));

    v->scheme = CODE_SCHEME_GS1;
    memcpy(v->key, "00", 2);
    gs1_key_format(GS1_KEY_SSCC, PG_GETARG_INT64(0), v->key + 2);
    v->keylen = 20;
    PG_RETURN_POINTER(code_to_datum(v));
}

PG_FUNCTION_INFO_V1(code_from_gtin_serial);
/* trace.code(gtin, serial) -> code: a unit's code from its GTIN and serial number. */
Datum
code_from_gtin_serial(PG_FUNCTION_ARGS)
{
    char        gtin[20];
    char       *serial = text_to_cstring(PG_GETARG_TEXT_PP(1));
    StringInfoData s;
    code_value *v = palloc(sizeof(code_value));
    char        msg[CODE_MSG_LEN];

    gs1_key_format(GS1_KEY_GTIN, PG_GETARG_INT64(0), gtin);
    /* '^' and GS would start another AI: never let a serial smuggle one in */
    if (strpbrk(serial, "^\x1d") != NULL || serial[0] == '\0')
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("invalid serial number \"%s\" for GTIN %s", serial, gtin),
                 errdetail("A serial number is AI (21): 1 to 20 characters of GS1 character set 82.")));
    initStringInfo(&s);
    appendStringInfo(&s, "^01%s21%s", gtin, serial);
    if (!code_parse(s.data, s.len, v, scratch(), msg, sizeof(msg)))
    {
        const char *reason = strstr(msg, "\": ");

        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("invalid serial number \"%s\" for GTIN %s: %s", serial, gtin,
                        reason ? reason + 3 : msg),
                 errdetail("A serial number is AI (21): 1 to 20 characters of GS1 character set 82.")));
    }
    PG_RETURN_POINTER(code_to_datum(v));
}

PG_FUNCTION_INFO_V1(code_serial);
/* trace.serial(code): the serial part of a GS1 unit code (AI 21, 235 or 8011), else NULL. */
Datum
code_serial(PG_FUNCTION_ARGS)
{
    gs1_ai_value ais[4];
    int         n = code_ais(PG_GETARG_CODE_P(0), ais, 4);
    const char *v = ai_value(ais, n, "21");

    if (v == NULL)
        v = ai_value(ais, n, "235");
    if (v == NULL)
        v = ai_value(ais, n, "8011");
    if (v == NULL)
        PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text(v));
}

PG_FUNCTION_INFO_V1(code_digital_link);
/* trace.digital_link(code, domain) -> the GS1 Digital Link URI, NULL for other schemes. */
Datum
code_digital_link(PG_FUNCTION_ARGS)
{
    gs1_ai_value ais[4];
    int         n = code_ais(PG_GETARG_CODE_P(0), ais, 4);
    char       *domain = text_to_cstring(PG_GETARG_TEXT_PP(1));
    size_t      dlen = strlen(domain);
    char        buf[4096];
    char        msg[CODE_MSG_LEN];

    if (n == 0)
        PG_RETURN_NULL();
    while (dlen > 0 && domain[dlen - 1] == '/')
        domain[--dlen] = '\0';
    if (!(strncmp(domain, "https://", 8) == 0 || strncmp(domain, "http://", 7) == 0)
        || strpbrk(domain, " ?#\"<>") != NULL)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("invalid Digital Link domain \"%s\"", domain),
                 errhint("Give the scheme and host, and optionally a path stem, e.g. https://id.example.cn/trace.")));
    if (gs1_build_digital_link(ais, n, domain, buf, sizeof(buf), msg, sizeof(msg)) < 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("cannot build a Digital Link: %s", msg)));
    PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/* ------------------------------------------------------------------------
 * trace.validate(kind, value)
 * ------------------------------------------------------------------------ */

PG_FUNCTION_INFO_V1(pt_validate);
/* NULL when the value is valid for the kind, else the message its input would raise. */
Datum
pt_validate(PG_FUNCTION_ARGS)
{
    char       *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
    text       *value = PG_GETARG_TEXT_PP(1);
    const char *s = VARDATA_ANY(value);
    size_t      len = VARSIZE_ANY_EXHDR(value);
    char        msg[CODE_MSG_LEN];
    bool        ok;
    int64       n;

    msg[0] = '\0';
    if (strcmp(kind, "gtin") == 0)
        ok = gs1_key_parse(GS1_KEY_GTIN, s, len, &n, msg, sizeof(msg));
    else if (strcmp(kind, "sscc") == 0)
        ok = gs1_key_parse(GS1_KEY_SSCC, s, len, &n, msg, sizeof(msg));
    else if (strcmp(kind, "gln") == 0)
        ok = gs1_key_parse(GS1_KEY_GLN, s, len, &n, msg, sizeof(msg));
    else if (strcmp(kind, "uscc") == 0)
    {
        char        u[USCC_LEN];

        ok = uscc_parse(s, len, u, msg, sizeof(msg));
    }
    else if (strcmp(kind, "code") == 0)
    {
        code_value *v = palloc(sizeof(code_value));

        ok = code_parse(s, len, v, scratch(), msg, sizeof(msg));
        pfree(v);
    }
    else
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("unknown kind \"%s\"", kind),
                 errhint("Kinds are gtin, sscc, gln, uscc and code.")));
    if (ok)
        PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text(msg));
}

/* ------------------------------------------------------------------------
 * trace.parse_scan(text, reference_date) -> jsonb
 * ------------------------------------------------------------------------ */

static const char *
form_name(gs1_form f)
{
    switch (f)
    {
        case GS1_FORM_BRACKETED:
            return "bracketed";
        case GS1_FORM_FNC1:
            return "fnc1";
        case GS1_FORM_SCANNER:
            return "scanner";
        case GS1_FORM_PLAIN_GTIN:
            return "plain_gtin";
        case GS1_FORM_DIGITAL_LINK:
            return "digital_link";
    }
    return "unknown";
}

/* Is this AI a YYMMDD date (AIs 11–17, and the date part of 7003/7006…)? */
static bool
ai_is_yymmdd(const char *ai)
{
    return (ai[0] == '1' && ai[1] >= '1' && ai[1] <= '7' && ai[2] == '\0')
        || strcmp(ai, "7006") == 0 || strcmp(ai, "7003") == 0 || strcmp(ai, "4326") == 0;
}

/*
 * ISO date of a YYMMDD value: the century is the one that puts the year
 * within 49 years before and 50 after the reference year (GS1 General
 * Specifications, 7.12); DD = 00 means the last day of the month.
 */
static bool
yymmdd_to_iso(const char *v, int refyear, char out[11])
{
    int         yy,
                mm,
                dd,
                year,
                diff,
                last;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (strlen(v) < 6)
        return false;
    yy = (v[0] - '0') * 10 + (v[1] - '0');
    mm = (v[2] - '0') * 10 + (v[3] - '0');
    dd = (v[4] - '0') * 10 + (v[5] - '0');
    year = refyear - refyear % 100 + yy;
    diff = year - refyear;
    if (diff >= 51)
        year -= 100;
    else if (diff <= -50)
        year += 100;
    if (mm < 1 || mm > 12)
        return false;
    last = mdays[mm - 1] + (mm == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0));
    if (dd == 0)
        dd = last;
    if (dd > last)
        return false;
    snprintf(out, 11, "%04d-%02d-%02d", year, mm, dd);
    return true;
}

static void
json_str(StringInfo s, const char *v)
{
    escape_json(s, v);
}

/* Friendly names for the AIs an application most often wants from a scan. */
static const struct
{
    const char *ai;
    const char *name;
}           scan_attributes[] = {
    {"00", "sscc"}, {"01", "gtin"}, {"21", "serial"}, {"10", "lot"},
    {"11", "production_date"}, {"13", "packaging_date"}, {"15", "best_before_date"},
    {"17", "expiry_date"}, {"8004", "giai"}, {"30", "count"}, {"37", "count"},
};

static void
append_problem(StringInfo j, bool first, const char *ai, const char *message)
{
    appendStringInfoString(j, first ? "{\"ai\": " : ", {\"ai\": ");
    if (ai && ai[0])
        json_str(j, ai);
    else
        appendStringInfoString(j, "null");
    appendStringInfoString(j, ", \"message\": ");
    json_str(j, message);
    appendStringInfoChar(j, '}');
}

PG_FUNCTION_INFO_V1(pt_parse_scan);
/*
 * trace.parse_scan(scan, reference_date) -> jsonb
 *   valid       the scan is well-formed (no problem found)
 *   scheme      gs1 | handle | oid | ecode | uri, or null
 *   code        the normalised trace code, or null when the scan names no unit or package
 *   code_error  why a well-formed scan is not a trace code (e.g. a GTIN without serial)
 *   form, symbology, ais[{ai, title, value, date}], attributes{gtin, serial, lot, …}, problems[{ai, message}]
 */
Datum
pt_parse_scan(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    DateADT     ref = PG_GETARG_DATEADT(1);
    const char *s = VARDATA_ANY(t);
    size_t      len = VARSIZE_ANY_EXHDR(t);
    gs1_parsed *p = scratch();
    code_value *v = palloc(sizeof(code_value));
    char        msg[CODE_MSG_LEN];
    bool        is_gs1;
    bool        code_ok;
    bool        valid;
    int         refyear,
                refmonth,
                refday;
    StringInfoData j;
    int         i,
                k;
    bool        first;

    if (DATE_NOT_FINITE(ref))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("reference_date must be a finite date")));
    j2date(ref + POSTGRES_EPOCH_JDATE, &refyear, &refmonth, &refday);

    code_ok = code_parse(s, len, v, p, msg, sizeof(msg));
    /* parse again for the full AI list: code_parse may have taken another path */
    is_gs1 = gs1_parse(s, len, p);
    valid = is_gs1 ? p->nproblems == 0 : code_ok;

    initStringInfo(&j);
    appendStringInfo(&j, "{\"valid\": %s, \"scheme\": ", valid ? "true" : "false");
    if (code_ok)
        json_str(&j, code_scheme_name(v->scheme));
    else
        appendStringInfoString(&j, is_gs1 ? "\"gs1\"" : "null");
    appendStringInfoString(&j, ", \"code\": ");
    if (code_ok)
    {
        char       *buf = palloc(CODE_MAX_KEY * 2 + 64);

        code_format(v, buf, CODE_MAX_KEY * 2 + 64);
        json_str(&j, buf);
    }
    else
        appendStringInfoString(&j, "null");
    if (!code_ok && valid)
    {
        appendStringInfoString(&j, ", \"code_error\": ");
        json_str(&j, msg);
    }

    appendStringInfoString(&j, ", \"form\": ");
    if (is_gs1)
        json_str(&j, form_name(p->form));
    else
        appendStringInfoString(&j, "null");
    appendStringInfoString(&j, ", \"symbology\": ");
    if (is_gs1 && p->symbology[0])
        json_str(&j, p->symbology);
    else
        appendStringInfoString(&j, "null");

    appendStringInfoString(&j, ", \"ais\": [");
    for (i = 0; is_gs1 && i < p->nais; i++)
    {
        const char *title = gs1_ai_title(p->ais[i].ai);
        char        iso[11];

        appendStringInfoString(&j, i ? ", {\"ai\": " : "{\"ai\": ");
        json_str(&j, p->ais[i].ai);
        appendStringInfoString(&j, ", \"title\": ");
        if (title)
            json_str(&j, title);
        else
            appendStringInfoString(&j, "null");
        appendStringInfoString(&j, ", \"value\": ");
        json_str(&j, p->ais[i].value);
        if (ai_is_yymmdd(p->ais[i].ai) && yymmdd_to_iso(p->ais[i].value, refyear, iso))
        {
            appendStringInfoString(&j, ", \"date\": ");
            json_str(&j, iso);
        }
        appendStringInfoChar(&j, '}');
    }

    appendStringInfoString(&j, "], \"attributes\": {");
    first = true;
    for (k = 0; is_gs1 && k < (int) lengthof(scan_attributes); k++)
    {
        for (i = 0; i < p->nais; i++)
        {
            char        iso[11];

            if (strcmp(p->ais[i].ai, scan_attributes[k].ai) != 0)
                continue;
            appendStringInfoString(&j, first ? "" : ", ");
            json_str(&j, scan_attributes[k].name);
            appendStringInfoString(&j, ": ");
            if (ai_is_yymmdd(p->ais[i].ai) && yymmdd_to_iso(p->ais[i].value, refyear, iso))
                json_str(&j, iso);
            else
                json_str(&j, p->ais[i].value);
            first = false;
            break;
        }
    }

    appendStringInfoString(&j, "}, \"problems\": [");
    if (is_gs1)
        for (i = 0; i < p->nproblems; i++)
            append_problem(&j, i == 0, p->problems[i].ai, p->problems[i].message);
    else if (!code_ok)
        append_problem(&j, true, NULL, msg);
    appendStringInfoString(&j, "]}");
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(j.data)));
}
