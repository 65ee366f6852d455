/*
 * labels.c — QR codes, unguessable serial numbers and the signed
 * verification element of labels (clauses 6.1.3, 6.2 and 7).
 *
 * The verification element of a label is a detached JWS made with the
 * server's signing key (src/pg/keys.h) over the bytes
 * "pgtrace-label-v1:" || the trace code's text. Those bytes are not JSON, so
 * nothing trace.sign() produces can pass for a label. The label carries
 * only what a verifier cannot recompute — the header's iat and jti and the
 * 64-byte signature — as "<iat>.<jti>.<signature>"; alg and kid come from
 * the published keys (trace.public_jwk()), and the header is rebuilt as the
 * canonical JSON {"alg","iat","jti","kid","typ":"JOSE"}. docs/labels.md
 * spells out the offline check.
 */
#include "pgtrace.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"

#include <openssl/rand.h>

#include "b64url.h"
#include "keys.h"
#include "qr.h"

void        pt_labels_init(void);

/* settings */
static char *label_domain = NULL;
static int  scan_travel_window = 86400;     /* seconds */
static int  scan_max_speed_kmh = 900;
static int  scan_min_distance_km = 50;
static int  scan_burst_window = 600;        /* seconds */
static int  scan_burst_count = 5;
static int  scan_burst_span = 100;

#define LABEL_CONTEXT "pgtrace-label-v1:"
#define JTI_LEN   B64URL_ENCODED_LEN(16)    /* 22 */
#define SIG_LEN   B64URL_ENCODED_LEN(64)    /* 86 */

static bool
check_label_domain(char **newval, void **extra, GucSource source)
{
    const char *s = *newval;

    if (s == NULL || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0))
    {
        GUC_check_errdetail("The label domain is a URI with scheme http or https, such as https://trace.example.cn.");
        return false;
    }
    return true;
}

/* Define the settings; called by _PG_init. */
void
pt_labels_init(void)
{
    DefineCustomStringVariable("pgtrace.label_domain",
                               "Scheme, host and optional path stem of the GS1 Digital Link URIs on labels.",
                               "trace.label() prints URIs on this domain; it should resolve to a page that calls trace.verify_scan().",
                               &label_domain, "https://id.gs1.org",
                               PGC_SUSET, 0, check_label_domain, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_travel_window",
                            "Scans of one code closer in time than this are checked for impossible travel.",
                            NULL, &scan_travel_window, 86400, 0, 365 * 86400,
                            PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_max_speed_kmh",
                            "Travel faster than this between two scans of one code is flagged (km/h).",
                            NULL, &scan_max_speed_kmh, 900, 1, 100000,
                            PGC_SUSET, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_min_distance_km",
                            "Scans of one code closer than this (km) are never flagged as far apart.",
                            NULL, &scan_min_distance_km, 50, 0, 20000,
                            PGC_SUSET, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_burst_window",
                            "Time window for bursts of scans of sequential codes.",
                            NULL, &scan_burst_window, 600, 1, 30 * 86400,
                            PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_burst_count",
                            "Distinct sequential codes of one series within the window that make a burst.",
                            NULL, &scan_burst_count, 5, 2, 1000000,
                            PGC_SUSET, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.scan_burst_span",
                            "Serial numbers at most this far apart count as sequential.",
                            NULL, &scan_burst_span, 100, 1, 1000000000,
                            PGC_SUSET, 0, NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(pt_labels_config);
/* trace._labels_config() -> the label and scan settings as jsonb. */
Datum
pt_labels_config(PG_FUNCTION_ARGS)
{
    char       *json = psprintf("{\"label_domain\": \"%s\", \"travel_window_s\": %d, \"max_speed_kmh\": %d, "
                                "\"min_distance_km\": %d, \"burst_window_s\": %d, \"burst_count\": %d, "
                                "\"burst_span\": %d}",
                                label_domain ? label_domain : "", scan_travel_window, scan_max_speed_kmh,
                                scan_min_distance_km, scan_burst_window, scan_burst_count, scan_burst_span);

    /* the domain passed the check hook: a URI, but escape quotes and backslashes anyway */
    if (label_domain && strpbrk(label_domain, "\"\\") != NULL)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("pgtrace.label_domain contains a quote or a backslash"),
                 errdetail("A Digital Link domain is a plain URI.")));
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* ------------------------------------------------------------ QR codes */

/* Encode a text argument (converted to UTF-8) with the given parameters. */
static qr_symbol *
encode_args(FunctionCallInfo fcinfo, int *module, int *quiet)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    char       *ecc_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
    int         ecc = qr_ecc_from_name(ecc_name);
    const char *src = VARDATA_ANY(t);
    int         len = VARSIZE_ANY_EXHDR(t);
    unsigned char *utf8;
    qr_symbol  *sym;
    char        err[256];
    qr_status   st;

    *module = PG_GETARG_INT32(2);
    *quiet = PG_GETARG_INT32(3);
    if (ecc < 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("unknown QR error correction level \"%s\"", ecc_name),
                 errdetail("The levels are L (7%%), M (15%%), Q (25%%) and H (30%%).")));
    if (qr_check_layout(*module, *quiet, err, sizeof(err)) != QR_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("%s", err),
                 errdetail("The module size is in pixels per module; the quiet zone in modules (ISO/IEC 18004 asks for 4).")));
    utf8 = (unsigned char *) pg_server_to_any(src, len, PG_UTF8);
    if ((const char *) utf8 != src)
        len = strlen((char *) utf8);
    sym = palloc(sizeof(qr_symbol));
    st = qr_encode(utf8, (size_t) len, (qr_ecc) ecc, sym, err, sizeof(err));
    if (st == QR_TOO_LONG)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("%s", err),
                 errdetail("The largest QR code (version 40) holds %zu bytes of UTF-8 text at level %s "
                           "(more when the text is only digits or upper-case letters).",
                           qr_capacity_bytes((qr_ecc) ecc), qr_ecc_name((qr_ecc) ecc)),
                 errhint("Use a lower error correction level or a shorter text.")));
    if (st == QR_BAD_PARAM)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("%s", err)));
    if (st != QR_OK)
        ereport(ERROR,
                (errcode(st == QR_NO_MEMORY ? ERRCODE_OUT_OF_MEMORY : ERRCODE_INTERNAL_ERROR),
                 errmsg("%s", err)));
    return sym;
}

PG_FUNCTION_INFO_V1(pt_qr_svg);
/* trace.qr_svg(text, ecc, module_size, quiet_zone) -> SVG document. */
Datum
pt_qr_svg(PG_FUNCTION_ARGS)
{
    int         module, quiet;
    qr_symbol  *sym = encode_args(fcinfo, &module, &quiet);
    size_t      cap = qr_svg_size(sym, module, quiet);
    text       *out = palloc(VARHDRSZ + cap);
    size_t      n = qr_render_svg(sym, module, quiet, VARDATA(out), cap);

    if (n == 0)
        elog(ERROR, "QR SVG buffer too small");
    SET_VARSIZE(out, VARHDRSZ + n);
    PG_RETURN_TEXT_P(out);
}

PG_FUNCTION_INFO_V1(pt_qr_png);
/* trace.qr_png(text, ecc, module_size, quiet_zone) -> PNG image. */
Datum
pt_qr_png(PG_FUNCTION_ARGS)
{
    int         module, quiet;
    qr_symbol  *sym = encode_args(fcinfo, &module, &quiet);
    size_t      cap = qr_png_size(sym, module, quiet);
    bytea      *out = palloc(VARHDRSZ + cap);
    size_t      n = qr_render_png(sym, module, quiet, (unsigned char *) VARDATA(out), cap);

    if (n != cap)
        elog(ERROR, "QR PNG rendering wrote %zu of %zu bytes", n, cap);
    SET_VARSIZE(out, VARHDRSZ + n);
    PG_RETURN_BYTEA_P(out);
}

/* ------------------------------------------------------------ serials */

/* GS1 character set 82 (General Specifications figure 7.11-1), in code order. */
static const char cset82[] =
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/* Its letters and digits: nothing to escape in a URI, an element string or print. */
static const char alnum62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

PG_FUNCTION_INFO_V1(pt_random_serials);
/*
 * trace._random_serials(n, length, alphabet) -> text[]: n distinct serials,
 * each character drawn uniformly (rejection sampling of OpenSSL RAND_bytes)
 * from the alphabet.
 */
Datum
pt_random_serials(PG_FUNCTION_ARGS)
{
    int32       n = PG_GETARG_INT32(0);
    int32       length = PG_GETARG_INT32(1);
    char       *alphabet = text_to_cstring(PG_GETARG_TEXT_PP(2));
    const char *chars;
    int         k;
    int         limit;
    Datum      *elems;
    HTAB       *seen;
    HASHCTL     ctl;
    unsigned char pool[256];
    int         pool_pos = sizeof(pool);
    char        buf[21];

    if (strcmp(alphabet, "alnum") == 0)
        chars = alnum62;
    else if (strcmp(alphabet, "cset82") == 0)
        chars = cset82;
    else
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("unknown serial alphabet \"%s\"", alphabet),
                 errdetail("The alphabets are alnum (0-9, A-Z, a-z: 62 characters) and cset82 (all of GS1 character set 82).")));
    if (n < 1 || n > 1000000)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("number of serials %d is out of range", n),
                 errdetail("Between 1 and 1000000 serials are drawn per call.")));
    if (length < 10 || length > 20)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("serial length %d is out of range", length),
                 errdetail("Serials (AI 21) have at most 20 characters; fewer than 10 random characters are too easy to guess.")));
    k = (int) strlen(chars);
    limit = 256 - 256 % k;      /* bytes at or above are rejected: no bias */

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = 21;
    ctl.entrysize = 21;
    seen = hash_create("pgtrace serials", n, &ctl, HASH_ELEM | HASH_STRINGS);
    elems = palloc(sizeof(Datum) * n);
    for (int i = 0; i < n;)
    {
        bool        found;

        for (int j = 0; j < length;)
        {
            if (pool_pos == (int) sizeof(pool))
            {
                if (RAND_bytes(pool, sizeof(pool)) != 1)
                    ereport(ERROR,
                            (errcode(ERRCODE_INTERNAL_ERROR),
                             errmsg("could not draw random bytes"),
                             errdetail("OpenSSL RAND_bytes failed.")));
                pool_pos = 0;
            }
            if (pool[pool_pos] < limit)
                buf[j++] = chars[pool[pool_pos] % k];
            pool_pos++;
        }
        buf[length] = '\0';
        hash_search(seen, buf, HASH_ENTER, &found);
        if (found)
            continue;           /* drawn twice in this call: draw again */
        elems[i++] = PointerGetDatum(cstring_to_text(buf));
    }
    hash_destroy(seen);
    explicit_bzero(pool, sizeof(pool));
    PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ------------------------------------------------------------ verification element */

/* The signed bytes of a label: the context string, then the code's text (UTF-8). */
static char *
label_message(text *code, size_t *len)
{
    char       *c = text_to_cstring(code);
    char       *u = pg_server_to_any(c, strlen(c), PG_UTF8);
    char       *msg = psprintf("%s%s", LABEL_CONTEXT, u);

    *len = strlen(msg);
    return msg;
}

/* The protected header a label signature was made with, rebuilt. */
static char *
label_header(const char *alg, int64 iat, const char *jti, const char *kid)
{
    return psprintf("{\"alg\":\"%s\",\"iat\":" INT64_FORMAT ",\"jti\":\"%s\",\"kid\":\"%s\",\"typ\":\"JOSE\"}",
                    alg, iat, jti, kid);
}

static bool
b64url_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        char        c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Pull "iat" (a number) and "jti" (a string) out of a header we just signed. */
static bool
header_member(const char *hdr, const char *name, char *out, size_t cap)
{
    char       *key = psprintf("\"%s\":", name);
    const char *p = strstr(hdr, key);
    size_t      n = 0;

    if (p == NULL)
        return false;
    p += strlen(key);
    if (*p == '"')
        p++;
    while (p[n] && p[n] != '"' && p[n] != ',' && p[n] != '}' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return n > 0;
}

PG_FUNCTION_INFO_V1(pt_label_sign);
/*
 * trace._label_sign(code text) -> jsonb {alg, kid, iat, jti, signature, token}:
 * sign a label for the code with the server's key.
 */
Datum
pt_label_sign(PG_FUNCTION_ARGS)
{
    size_t      mlen;
    char       *msg = label_message(PG_GETARG_TEXT_PP(0), &mlen);
    char       *jws = pt_jws_sign_payload(msg, mlen, true);
    char        kid[64], alg[16];
    char       *dot1 = strchr(jws, '.');
    char       *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char *hdr;
    size_t      hlen;
    char        iat[24], jti[64];
    char       *sig;
    int64       iat_n;
    char       *expect;

    if (dot1 == NULL || dot2 != dot1 + 1)
        elog(ERROR, "unexpected detached JWS from the signing key");
    hdr = palloc((dot1 - jws) * 3 / 4 + 2);
    if (!b64url_decode(jws, dot1 - jws, hdr, &hlen))
        elog(ERROR, "unexpected JWS header encoding");
    hdr[hlen] = '\0';
    if (!header_member((char *) hdr, "iat", iat, sizeof(iat)) ||
        !header_member((char *) hdr, "jti", jti, sizeof(jti)) ||
        !header_member((char *) hdr, "alg", alg, sizeof(alg)) ||
        !header_member((char *) hdr, "kid", kid, sizeof(kid)))
        elog(ERROR, "JWS header without alg, iat, jti or kid");
    iat_n = strtoi64(iat, NULL, 10);
    sig = dot2 + 1;
    /* the verifier rebuilds the header: make sure it is exactly this one */
    expect = label_header(alg, iat_n, jti, kid);
    if (strcmp(expect, (char *) hdr) != 0 || strlen(jti) != JTI_LEN || strlen(sig) != SIG_LEN)
        ereport(ERROR,
                (errcode(ERRCODE_INTERNAL_ERROR),
                 errmsg("the signing header cannot be rebuilt from a label"),
                 errdetail("Expected %s, the key signed %s.", expect, (char *) hdr)));

    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(
        psprintf("{\"alg\": \"%s\", \"kid\": \"%s\", \"iat\": " INT64_FORMAT ", \"jti\": \"%s\", "
                 "\"signature\": \"%s\", \"token\": \"" INT64_FORMAT ".%s.%s\"}",
                 alg, kid, iat_n, jti, sig, iat_n, jti, sig))));
}

PG_FUNCTION_INFO_V1(pt_label_token_parts);
/*
 * trace._label_token(token text) -> jsonb {iat, jti, signature}, or NULL when
 * the token is not of the form <iat>.<jti>.<signature>.
 */
Datum
pt_label_token_parts(PG_FUNCTION_ARGS)
{
    char       *tok = text_to_cstring(PG_GETARG_TEXT_PP(0));
    char       *d1 = strchr(tok, '.');
    char       *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    size_t      ilen;

    if (d1 == NULL || d2 == NULL)
        PG_RETURN_NULL();
    ilen = d1 - tok;
    if (ilen < 1 || ilen > 12 || strspn(tok, "0123456789") != ilen || (ilen > 1 && tok[0] == '0'))
        PG_RETURN_NULL();
    if (d2 - d1 - 1 != JTI_LEN || !b64url_chars(d1 + 1, JTI_LEN))
        PG_RETURN_NULL();
    if (strlen(d2 + 1) != SIG_LEN || !b64url_chars(d2 + 1, SIG_LEN))
        PG_RETURN_NULL();
    *d1 = '\0';
    *d2 = '\0';
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(
        psprintf("{\"iat\": %s, \"jti\": \"%s\", \"signature\": \"%s\"}", tok, d1 + 1, d2 + 1))));
}

PG_FUNCTION_INFO_V1(pt_label_verify);
/*
 * trace._label_verify(code text, iat bigint, jti text, signature text,
 * kid text, alg text) -> true, or raises 28000 when the signature does not
 * verify with that key (22P02 for a malformed element).
 */
Datum
pt_label_verify(PG_FUNCTION_ARGS)
{
    size_t      mlen;
    char       *msg = label_message(PG_GETARG_TEXT_PP(0), &mlen);
    int64       iat = PG_GETARG_INT64(1);
    char       *jti = text_to_cstring(PG_GETARG_TEXT_PP(2));
    char       *sig = text_to_cstring(PG_GETARG_TEXT_PP(3));
    char       *kid = text_to_cstring(PG_GETARG_TEXT_PP(4));
    char       *alg = text_to_cstring(PG_GETARG_TEXT_PP(5));
    char       *hdr;
    size_t      hlen;
    char       *enc;
    char       *jws;
    size_t      plen;

    if (!b64url_chars(jti, strlen(jti)) || !b64url_chars(kid, strlen(kid)) ||
        !b64url_chars(sig, strlen(sig)) || strspn(alg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(alg))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                 errmsg("malformed label verification element")));
    hdr = label_header(alg, iat, jti, kid);
    hlen = strlen(hdr);
    enc = palloc(B64URL_ENCODED_LEN(hlen) + 1);
    b64url_encode((unsigned char *) hdr, hlen, enc);
    jws = psprintf("%s..%s", enc, sig);
    (void) pt_jws_verify_token(jws, strlen(jws), msg, mlen, &plen, NULL);
    PG_RETURN_BOOL(true);
}
