/*
 * keys.c — signing keys (pgtrace.signing_key_file, pgtrace.verify_key_file),
 * RFC 8785 canonical JSON and JWS signing/verification for SQL.
 *
 * Keys are read by the server from PEM files named by superuser-only
 * settings, decoded once per backend and cached: decoding a PEM key on every
 * call would make Ed25519 signing about ten times slower. The cache is
 * rebuilt when a setting names another file or when a file's identity, size
 * or modification time changes (so a SIGHUP after rotating the file, or a
 * new file name, takes effect at the next call). No function returns
 * private key material.
 */
#include "pgtrace.h"

#include <sys/stat.h>
#include <unistd.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "port.h"
#include "storage/fd.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include <openssl/crypto.h>

#include "b64url.h"
#include "jcs.h"
#include "jws.h"
#include "keys.h"

/* settings */
static char *signing_key_file = NULL;
static char *verify_key_file = NULL;

/* One cached key file. */
typedef struct key_file
{
    char       *path;           /* malloc'ed copy of the setting, or NULL */
    struct stat st;
    pt_jws_key *keys;
    int         nkeys;
} key_file;

static key_file signing = {0};
static key_file verifying = {0};

/* bumped whenever a key file is (re)loaded or cleared */
static uint64 key_generation = 1;
static uint64 all_keys_generation = 0;   /* 0: all_keys not built */

/* signing keys followed by verify-only keys (shallow copies, not owned) */
static pt_jws_key *all_keys = NULL;
static int  n_all_keys = 0;

#define KEY_HINT \
    "Set pgtrace.signing_key_file (superuser only, e.g. in postgresql.conf) to a PEM file " \
    "made with: openssl genpkey -algorithm ed25519 -out /etc/postgresql/pgtrace-signing.pem"

void        pt_keys_init(void);

/* A core message ("lower case, no period") as an errdetail sentence. */
static char *
sentence(const char *msg)
{
    size_t      n = strlen(msg);
    char       *s = palloc(n + 2);

    memcpy(s, msg, n + 1);
    if (n > 0 && s[0] >= 'a' && s[0] <= 'z')
        s[0] = (char) (s[0] - 'a' + 'A');
    if (n == 0 || s[n - 1] != '.')
    {
        s[n] = '.';
        s[n + 1] = '\0';
    }
    return s;
}

/* Define the settings; called by _PG_init. */
void
pt_keys_init(void)
{
    DefineCustomStringVariable("pgtrace.signing_key_file",
                               "PEM file with the private key(s) that sign JWS; the first signs, all verify.",
                               "Read by the server; relative paths are relative to the data directory.",
                               &signing_key_file, "",
                               PGC_SUSET, GUC_SUPERUSER_ONLY,
                               NULL, NULL, NULL);
    DefineCustomStringVariable("pgtrace.verify_key_file",
                               "PEM file with retired or extra public keys that still verify JWS.",
                               NULL,
                               &verify_key_file, "",
                               PGC_SUSET, GUC_SUPERUSER_ONLY,
                               NULL, NULL, NULL);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
        a->st_size == b->st_size &&
        a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
        a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
key_file_clear(key_file *kf)
{
    if (kf->path != NULL || kf->keys != NULL)
        key_generation++;
    pt_jws_keys_free(kf->keys, kf->nkeys);
    free(kf->path);
    memset(kf, 0, sizeof(*kf));
}

/*
 * Bring one cached key file up to date with its setting. Returns false with
 * a message (and SQLSTATE) instead of raising, so that trace.status() can
 * report a broken file.
 */
static bool
key_file_refresh(key_file *kf, const char *setting, bool want_private,
                 int *sqlstate, char *msg, size_t msglen)
{
    struct stat st;
    FILE       *f;
    char       *pem;
    size_t      len;
    pt_jws_key *keys = NULL;
    int         nkeys = 0;
    char        err[256];
    pt_jws_status rc;
    const char *what = want_private ? "pgtrace.signing_key_file" : "pgtrace.verify_key_file";

    if (setting == NULL || setting[0] == '\0')
    {
        key_file_clear(kf);
        return true;
    }
    if (stat(setting, &st) != 0)
    {
        int         e = errno;

        key_file_clear(kf);
        *sqlstate = ERRCODE_UNDEFINED_FILE;
        snprintf(msg, msglen, "could not access the file named by %s: %s", what, strerror(e));
        return false;
    }
    if (kf->path && strcmp(kf->path, setting) == 0 && same_file(&st, &kf->st))
        return true;

    key_file_clear(kf);
    if (st.st_size > 1024 * 1024)
    {
        *sqlstate = ERRCODE_CONFIG_FILE_ERROR;
        snprintf(msg, msglen, "the file named by %s is larger than 1 MB", what);
        return false;
    }
    f = AllocateFile(setting, "r");
    if (f == NULL)
    {
        int         e = errno;

        *sqlstate = ERRCODE_UNDEFINED_FILE;
        snprintf(msg, msglen, "could not open the file named by %s: %s", what, strerror(e));
        return false;
    }
    pem = palloc((size_t) st.st_size + 1);
    len = fread(pem, 1, (size_t) st.st_size, f);
    FreeFile(f);
    pem[len] = '\0';
    rc = pt_jws_keys_from_pem(pem, len, want_private, &keys, &nkeys, err, sizeof(err));
    OPENSSL_cleanse(pem, len);
    pfree(pem);
    if (rc != PT_JWS_OK)
    {
        *sqlstate = ERRCODE_CONFIG_FILE_ERROR;
        snprintf(msg, msglen, "the file named by %s holds no usable key: %s", what, err);
        return false;
    }
    kf->path = strdup(setting);
    if (kf->path == NULL)
    {
        pt_jws_keys_free(keys, nkeys);
        *sqlstate = ERRCODE_OUT_OF_MEMORY;
        snprintf(msg, msglen, "out of memory");
        return false;
    }
    kf->st = st;
    kf->keys = keys;
    kf->nkeys = nkeys;
    key_generation++;
    return true;
}

/* Refresh both files and the combined key list; false + message on error. */
static bool
keys_refresh(int *sqlstate, char *msg, size_t msglen)
{
    bool        ok;

    ok = key_file_refresh(&signing, signing_key_file, true, sqlstate, msg, msglen) &&
        key_file_refresh(&verifying, verify_key_file, false, sqlstate, msg, msglen);
    if (!ok || all_keys_generation != key_generation)
    {
        free(all_keys);
        all_keys = NULL;
        n_all_keys = 0;
    }
    if (!ok)
    {
        all_keys_generation = 0;
        return false;
    }
    if (all_keys == NULL && signing.nkeys + verifying.nkeys > 0)
    {
        all_keys = malloc(sizeof(pt_jws_key) * (size_t) (signing.nkeys + verifying.nkeys));
        if (all_keys == NULL)
        {
            all_keys_generation = 0;
            *sqlstate = ERRCODE_OUT_OF_MEMORY;
            snprintf(msg, msglen, "out of memory");
            return false;
        }
        if (signing.nkeys)
            memcpy(all_keys, signing.keys, sizeof(pt_jws_key) * (size_t) signing.nkeys);
        if (verifying.nkeys)
            memcpy(all_keys + signing.nkeys, verifying.keys,
                   sizeof(pt_jws_key) * (size_t) verifying.nkeys);
        n_all_keys = signing.nkeys + verifying.nkeys;
    }
    all_keys_generation = key_generation;
    return true;
}

static void
keys_refresh_or_error(void)
{
    int         sqlstate = 0;
    char        msg[512];

    if (!keys_refresh(&sqlstate, msg, sizeof(msg)))
        ereport(ERROR,
                (errcode(sqlstate),
                 errmsg("pgtrace signing keys are not usable"),
                 errdetail_internal("%s", sentence(msg)),
                 errhint(KEY_HINT)));
}

/* The current signing key; raises 55000 with a hint when none is set. */
static const pt_jws_key *
signing_key(void)
{
    keys_refresh_or_error();
    if (signing.nkeys == 0)
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("no signing key is configured"),
                 errdetail("pgtrace.signing_key_file is empty."),
                 errhint(KEY_HINT)));
    return &signing.keys[0];
}

const char *
pt_signing_kid(void)
{
    return signing_key()->kid;
}

const char *
pt_signing_alg(void)
{
    return pt_jws_alg_name(signing_key()->alg);
}

/* ------------------------------------------------------------ canonical */

/* Raise the SQL error for a JCS failure. */
static void
jcs_error(jcs_status st, const char *what, const char *err)
{
    int         code;

    switch (st)
    {
        case JCS_ERR_NUMBER:
            code = ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
            break;
        case JCS_ERR_NOMEM:
            code = ERRCODE_OUT_OF_MEMORY;
            break;
        case JCS_ERR_DEPTH:
            code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
            break;
        default:
            code = ERRCODE_INVALID_TEXT_REPRESENTATION;
            break;
    }
    ereport(ERROR,
            (errcode(code),
             errmsg("%s cannot be canonicalised", what),
             errdetail_internal("%s", sentence(err)),
             st == JCS_ERR_NUMBER ?
             errhint("RFC 8785 represents numbers as IEEE 754 doubles; send larger numbers as strings.") : 0));
}

char *
pt_canonical_jsonb(Jsonb *jb, size_t *len)
{
    char       *text = JsonbToCString(NULL, &jb->root, VARSIZE(jb));
    size_t      tlen = strlen(text);
    char       *utf8 = pg_server_to_any(text, (int) tlen, PG_UTF8);
    char       *out = NULL;
    size_t      olen = 0;
    char        err[256];
    jcs_status  st;
    char       *res;

    st = jcs_canonicalize(utf8, strlen(utf8), &out, &olen, err, sizeof(err));
    if (st != JCS_OK)
        jcs_error(st, "jsonb value", err);
    res = palloc(olen + 1);
    memcpy(res, out, olen + 1);
    free(out);
    *len = olen;
    return res;
}

PG_FUNCTION_INFO_V1(pt_canonical_json_sql);
/* trace.canonical_json(jsonb) → text: RFC 8785 form. */
Datum
pt_canonical_json_sql(PG_FUNCTION_ARGS)
{
    Jsonb      *jb = PG_GETARG_JSONB_P(0);
    size_t      len;
    char       *c = pt_canonical_jsonb(jb, &len);

    PG_RETURN_TEXT_P(cstring_to_text(pg_any_to_server(c, (int) len, PG_UTF8)));
}

/* ------------------------------------------------------------ signing */

static int64
unix_now(void)
{
    TimestampTz now = GetCurrentTimestamp();

    return (int64) (now / USECS_PER_SEC) +
        (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/* A fresh 128-bit random token id, base64url (22 characters). */
static void
new_jti(char out[B64URL_ENCODED_LEN(16) + 1])
{
    unsigned char r[16];

    if (!pg_strong_random(r, sizeof(r)))
        ereport(ERROR,
                (errcode(ERRCODE_INTERNAL_ERROR),
                 errmsg("could not generate a random token id")));
    b64url_encode(r, sizeof(r), out);
}

static char *
sign_common(const char *payload, size_t len, bool detached, bool json)
{
    const pt_jws_key *key = signing_key();
    char        jti[B64URL_ENCODED_LEN(16) + 1];
    char       *hdr = NULL,
               *out = NULL,
               *res;
    size_t      hlen;
    char        err[256];
    pt_jws_status st;

    new_jti(jti);
    if (pt_jws_header(key, unix_now(), jti, json ? "JOSE+JSON" : "JOSE", &hdr, &hlen) != PT_JWS_OK)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    st = json ?
        pt_jws_sign_json(key, hdr, hlen, payload, len, detached, &out, err, sizeof(err)) :
        pt_jws_sign_compact(key, hdr, hlen, payload, len, detached, &out, err, sizeof(err));
    free(hdr);
    if (st != PT_JWS_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INTERNAL_ERROR),
                 errmsg("JWS signing failed"),
                 errdetail_internal("%s", sentence(err))));
    res = pstrdup(out);
    free(out);
    return res;
}

char *
pt_jws_sign_payload(const char *payload, size_t len, bool detached)
{
    return sign_common(payload, len, detached, false);
}

char *
pt_jws_sign_jsonb(Jsonb *jb, bool detached)
{
    size_t      len;
    char       *c = pt_canonical_jsonb(jb, &len);

    return sign_common(c, len, detached, false);
}

PG_FUNCTION_INFO_V1(pt_sign_sql);
/* trace.sign(payload jsonb [, detached boolean]) → compact JWS text. */
Datum
pt_sign_sql(PG_FUNCTION_ARGS)
{
    Jsonb      *jb = PG_GETARG_JSONB_P(0);
    bool        detached = PG_NARGS() > 1 ? PG_GETARG_BOOL(1) : false;

    PG_RETURN_TEXT_P(cstring_to_text(pt_jws_sign_jsonb(jb, detached)));
}

PG_FUNCTION_INFO_V1(pt_sign_json_sql);
/* trace.sign_json(payload jsonb, detached boolean) → JWS JSON serialisation. */
Datum
pt_sign_json_sql(PG_FUNCTION_ARGS)
{
    Jsonb      *jb = PG_GETARG_JSONB_P(0);
    bool        detached = PG_GETARG_BOOL(1);
    size_t      len;
    char       *c = pt_canonical_jsonb(jb, &len);
    char       *jws = sign_common(c, len, detached, true);

    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(jws)));
}

/* ------------------------------------------------------------ verifying */

/* Raise the SQL error for a failed JWS parse or verification. */
static void
raise_jws_error(pt_jws_status st, const char *err, bool configured_keys)
{
    switch (st)
    {
        case PT_JWS_OK:
            break;
        case PT_JWS_ERR_MALFORMED:
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                     errmsg("malformed JWS"),
                     errdetail_internal("%s", sentence(err))));
            break;
        case PT_JWS_ERR_UNSUPPORTED:
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("unsupported JWS"),
                     errdetail_internal("%s", sentence(err))));
            break;
        case PT_JWS_ERR_UNKNOWN_KEY:
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
                     errmsg("JWS signed by an unknown key"),
                     errdetail_internal("%s", sentence(err)),
                     configured_keys ?
                     errhint("Retired keys that should still verify belong in pgtrace.verify_key_file.") : 0));
            break;
        case PT_JWS_ERR_BAD_SIGNATURE:
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
                     errmsg("JWS signature does not verify"),
                     errdetail_internal("%s", sentence(err))));
            break;
        default:
            ereport(ERROR,
                    (errcode(ERRCODE_INTERNAL_ERROR),
                     errmsg("JWS verification failed"),
                     errdetail_internal("%s", sentence(err))));
            break;
    }
}

char *
pt_jws_verify_token(const char *jws, size_t len, const char *detached, size_t dlen,
                    size_t *payload_len, char **header)
{
    pt_jws_parsed p;
    pt_jws_status st;
    char        err[256];
    char       *res;

    keys_refresh_or_error();
    st = pt_jws_parse(jws, len, detached, dlen, &p, err, sizeof(err));
    if (st == PT_JWS_OK)
    {
        if (n_all_keys == 0)
        {
            pt_jws_parsed_free(&p);
            ereport(ERROR,
                    (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                     errmsg("no verification key is configured"),
                     errdetail("pgtrace.signing_key_file and pgtrace.verify_key_file are empty."),
                     errhint(KEY_HINT)));
        }
        st = pt_jws_verify(&p, all_keys, n_all_keys, NULL, err, sizeof(err));
    }
    if (st != PT_JWS_OK)
    {
        pt_jws_parsed_free(&p);
        raise_jws_error(st, err, true);
    }
    res = palloc(p.payload_len + 1);
    memcpy(res, p.payload, p.payload_len + 1);
    *payload_len = p.payload_len;
    if (header)
        *header = pnstrdup(p.header, p.header_len);
    pt_jws_parsed_free(&p);
    return res;
}

/* A partner's public key from JWK text; 22023 when it is not a usable public JWK. */
static void
key_from_jwk(const char *jwk, size_t jwklen, pt_jws_key *key)
{
    char        err[256];
    pt_jws_status st = pt_jws_key_from_jwk(jwk, jwklen, key, err, sizeof(err));

    if (st == PT_JWS_ERR_NOMEM)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    if (st != PT_JWS_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("invalid JWK"),
                 errdetail_internal("%s", sentence(err))));
}

char *
pt_jws_verify_with_jwk(const char *jws, size_t len, const char *jwk, size_t jwklen,
                       const char *detached, size_t dlen, size_t *payload_len, char **header)
{
    pt_jws_key  key;
    pt_jws_parsed p;
    pt_jws_status st;
    char        err[256];
    char       *res;

    key_from_jwk(jwk, jwklen, &key);
    st = pt_jws_parse(jws, len, detached, dlen, &p, err, sizeof(err));
    if (st == PT_JWS_OK)
    {
        st = pt_jws_verify(&p, &key, 1, NULL, err, sizeof(err));
        if (st != PT_JWS_OK)
            pt_jws_parsed_free(&p);
    }
    pt_jws_key_release(&key);
    if (st != PT_JWS_OK)
        raise_jws_error(st, err, false);
    res = palloc(p.payload_len + 1);
    memcpy(res, p.payload, p.payload_len + 1);
    *payload_len = p.payload_len;
    if (header)
        *header = pnstrdup(p.header, p.header_len);
    pt_jws_parsed_free(&p);
    return res;
}

char *
pt_jwk_thumbprint(const char *jwk, size_t jwklen)
{
    pt_jws_key  key;
    char       *kid;

    key_from_jwk(jwk, jwklen, &key);
    kid = pstrdup(key.kid);
    pt_jws_key_release(&key);
    return kid;
}

/* UTF-8 JSON bytes from a JWS as jsonb in the server encoding; 22P02 if not JSON. */
static void require_json(const char *bytes, size_t len, const char *what);

static Datum
json_bytes_to_jsonb(const char *bytes, size_t len, const char *what)
{
    require_json(bytes, len, what);
    return DirectFunctionCall1(jsonb_in,
                               CStringGetDatum(pg_any_to_server(bytes, (int) len, PG_UTF8)));
}

/* Refuse (22P02) JWS bytes that are not JSON. */
static void
require_json(const char *bytes, size_t len, const char *what)
{
    jcs_value  *v;
    char        err[256];

    if (jcs_parse(bytes, len, &v, err, sizeof(err)) != JCS_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                 errmsg("the %s of the JWS is not JSON", what),
                 errdetail_internal("%s", sentence(err))));
    jcs_free(v);
}

/* {"header": ..., "payload": ...} from the verified header and payload bytes. */
static Datum
detail_jsonb(const char *header, const char *payload, size_t plen)
{
    StringInfoData buf;

    require_json(header, strlen(header), "header");
    require_json(payload, plen, "payload");
    initStringInfo(&buf);
    appendStringInfoString(&buf, "{\"header\":");
    appendStringInfoString(&buf, header);
    appendStringInfoString(&buf, ",\"payload\":");
    appendBinaryStringInfo(&buf, payload, (int) plen);
    appendStringInfoChar(&buf, '}');
    return DirectFunctionCall1(jsonb_in,
                               CStringGetDatum(pg_any_to_server(buf.data, buf.len, PG_UTF8)));
}

/* Verify with the configured keys; the payload, or the detail object. */
static Datum
verify_sql(FunctionCallInfo fcinfo, bool with_header)
{
    text       *jws;
    char       *detached = NULL;
    size_t      dlen = 0,
                plen;
    char       *payload,
               *header = NULL;

    if (PG_ARGISNULL(0))
        PG_RETURN_NULL();
    jws = PG_GETARG_TEXT_PP(0);
    if (PG_NARGS() > 1 && !PG_ARGISNULL(1))
        detached = pt_canonical_jsonb(PG_GETARG_JSONB_P(1), &dlen);
    payload = pt_jws_verify_token(VARDATA_ANY(jws), VARSIZE_ANY_EXHDR(jws), detached, dlen,
                                  &plen, with_header ? &header : NULL);
    if (with_header)
        return detail_jsonb(header, payload, plen);
    return json_bytes_to_jsonb(payload, plen, "payload");
}

PG_FUNCTION_INFO_V1(pt_jws_verify_jwk_sql);
/*
 * trace.jws_verify_jwk(jws text, jwk jsonb [, payload jsonb]) → {"header",
 * "payload"}: verify with one given public key (a partner's), not the
 * configured ones.
 */
Datum
pt_jws_verify_jwk_sql(PG_FUNCTION_ARGS)
{
    text       *jws;
    char       *jwk,
               *detached = NULL,
               *payload,
               *header = NULL;
    size_t      jwklen,
                dlen = 0,
                plen;

    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        PG_RETURN_NULL();
    jws = PG_GETARG_TEXT_PP(0);
    jwk = pt_canonical_jsonb(PG_GETARG_JSONB_P(1), &jwklen);
    if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
        detached = pt_canonical_jsonb(PG_GETARG_JSONB_P(2), &dlen);
    payload = pt_jws_verify_with_jwk(VARDATA_ANY(jws), VARSIZE_ANY_EXHDR(jws), jwk, jwklen,
                                     detached, dlen, &plen, &header);
    return detail_jsonb(header, payload, plen);
}

PG_FUNCTION_INFO_V1(pt_jwk_thumbprint_sql);
/* trace.jwk_thumbprint(jwk jsonb) → text: RFC 7638 thumbprint of a public JWK. */
Datum
pt_jwk_thumbprint_sql(PG_FUNCTION_ARGS)
{
    size_t      len;
    char       *jwk = pt_canonical_jsonb(PG_GETARG_JSONB_P(0), &len);

    PG_RETURN_TEXT_P(cstring_to_text(pt_jwk_thumbprint(jwk, len)));
}

PG_FUNCTION_INFO_V1(pt_jws_verify_sql);
/* trace.jws_verify(jws text [, payload jsonb]) → payload jsonb. */
Datum
pt_jws_verify_sql(PG_FUNCTION_ARGS)
{
    return verify_sql(fcinfo, false);
}

PG_FUNCTION_INFO_V1(pt_jws_verify_detail_sql);
/* trace.jws_verify_detail(jws text [, payload jsonb]) → {"header","payload"}. */
Datum
pt_jws_verify_detail_sql(PG_FUNCTION_ARGS)
{
    return verify_sql(fcinfo, true);
}

PG_FUNCTION_INFO_V1(pt_public_jwk_sql);
/* trace.public_jwk() → {"keys":[...]}: public JWKs of every configured key. */
Datum
pt_public_jwk_sql(PG_FUNCTION_ARGS)
{
    jcs_buf     b = {0};
    int         i;
    Datum       res;

    keys_refresh_or_error();
    jcs_buf_puts(&b, "{\"keys\":[");
    for (i = 0; i < n_all_keys; i++)
    {
        char       *jwk = NULL;
        size_t      len;

        if (pt_jws_public_jwk(&all_keys[i], &jwk, &len) != PT_JWS_OK)
        {
            free(b.data);
            ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                            errmsg("could not export public key %s", all_keys[i].kid)));
        }
        if (i)
            jcs_buf_puts(&b, ",");
        jcs_buf_put(&b, jwk, len);
        free(jwk);
    }
    jcs_buf_puts(&b, "]}");
    if (b.failed)
    {
        free(b.data);
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    }
    res = DirectFunctionCall1(jsonb_in, CStringGetDatum(pstrdup(b.data)));
    free(b.data);
    PG_RETURN_DATUM(res);
}

PG_FUNCTION_INFO_V1(pt_keys_status_sql);
/*
 * trace._status_keys(): whether a signing key is configured, its algorithm
 * and kid, how many keys verify — never a path or key material.
 */
Datum
pt_keys_status_sql(PG_FUNCTION_ARGS)
{
    int         sqlstate = 0;
    char        msg[512];
    bool        ok = keys_refresh(&sqlstate, msg, sizeof(msg));
    jcs_buf     b = {0};
    Datum       res;

    jcs_buf_puts(&b, "{\"configured\":");
    jcs_buf_puts(&b, ok && signing.nkeys > 0 ? "true" : "false");
    if (ok && signing.nkeys > 0)
    {
        const char *alg = pt_jws_alg_name(signing.keys[0].alg);

        jcs_buf_puts(&b, ",\"algorithm\":");
        jcs_buf_put_string(&b, alg, strlen(alg));
        jcs_buf_puts(&b, ",\"kid\":");
        jcs_buf_put_string(&b, signing.keys[0].kid, strlen(signing.keys[0].kid));
    }
    if (ok)
    {
        char        n[16];

        snprintf(n, sizeof(n), "%d", n_all_keys);
        jcs_buf_puts(&b, ",\"verification_keys\":");
        jcs_buf_puts(&b, n);
    }
    else
    {
        jcs_buf_puts(&b, ",\"error\":");
        jcs_buf_put_string(&b, msg, strlen(msg));
    }
    if (!ok || signing.nkeys == 0)
    {
        const char *m = ok ?
            "no signing key: pgtrace.signing_key_file is not set, so trace.sign() and the signed exports and checkpoints fail" :
            "the signing key file is not usable, so trace.sign() and the signed exports and checkpoints fail";

        jcs_buf_puts(&b, ",\"missing_guarantees\":[");
        jcs_buf_put_string(&b, m, strlen(m));
        jcs_buf_puts(&b, "]");
    }
    jcs_buf_puts(&b, "}");
    if (b.failed)
    {
        free(b.data);
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    }
    res = DirectFunctionCall1(jsonb_in,
                              CStringGetDatum(pg_any_to_server(b.data, (int) b.len, PG_UTF8)));
    free(b.data);
    PG_RETURN_DATUM(res);
}
