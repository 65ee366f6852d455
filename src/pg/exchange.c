/*
 * exchange.c — the C side of signed exchange with partners (docs/exchange.md):
 * turning a partner's public JWK into a key and its RFC 7638 kid, reading a
 * JWS header before the partner is known, verifying a JWS with one partner
 * key, and signing exports whatever SQL privileges the caller holds on
 * trace.sign (an export signs only what the database itself assembled).
 *
 * Parsing JWKs and JWS and verifying are the core's (src/core/jws.h); this
 * file maps their statuses to SQLSTATEs.
 */
#include "postgres.h"

#include "pgtrace.h"
#include "fmgr.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "jws.h"
#include "keys.h"

/*
 * A partner's public key from its JWK (parsed by the core's
 * pt_jws_key_from_jwk); raise 22023 naming what is wrong.
 */
static void
partner_key_from_jwk(Jsonb *jwk, pt_jws_key *key)
{
    size_t      len;
    char       *json = pt_canonical_jsonb(jwk, &len);
    char        err[256] = "";

    if (pt_jws_key_from_jwk(json, len, key, err, sizeof(err)) != PT_JWS_OK)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("partner key: %s", err),
                 errdetail("Partners sign with Ed25519 ({\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\"}) or SM2 ({\"kty\":\"EC\",\"crv\":\"SM2\",\"x\",\"y\"}) keys.")));
}

static Datum
json_text_to_jsonb(const char *json)
{
    return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

PG_FUNCTION_INFO_V1(pt_exchange_jwk_key);
/*
 * trace._exchange_jwk_key(jwk) → jsonb {"kid","alg","jwk"}: the
 * RFC 7638 thumbprint, JOSE alg and normalised public JWK of a partner key.
 */
Datum
pt_exchange_jwk_key(PG_FUNCTION_ARGS)
{
    pt_jws_key  key;
    char       *jwk = NULL;
    size_t      jlen;
    StringInfoData out;
    Datum       res;

    partner_key_from_jwk(PG_GETARG_JSONB_P(0), &key);
    if (pt_jws_public_jwk(&key, &jwk, &jlen) != PT_JWS_OK)
    {
        pt_jws_key_release(&key);
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    }
    initStringInfo(&out);
    appendStringInfo(&out, "{\"kid\":\"%s\",\"alg\":\"%s\",\"jwk\":%.*s}",
                     key.kid, pt_jws_alg_name(key.alg), (int) jlen, jwk);
    free(jwk);
    pt_jws_key_release(&key);
    res = json_text_to_jsonb(out.data);
    PG_RETURN_DATUM(res);
}

/* Raise the SQLSTATE of a parse or verification failure. */
static void
jws_fail(pt_jws_status st, const char *err)
{
    int         code;

    switch (st)
    {
        case PT_JWS_ERR_MALFORMED:
            code = ERRCODE_INVALID_TEXT_REPRESENTATION;
            break;
        case PT_JWS_ERR_UNSUPPORTED:
            code = ERRCODE_INVALID_PARAMETER_VALUE;
            break;
        case PT_JWS_ERR_UNKNOWN_KEY:
        case PT_JWS_ERR_BAD_SIGNATURE:
            code = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
            break;
        case PT_JWS_ERR_NOMEM:
            code = ERRCODE_OUT_OF_MEMORY;
            break;
        default:
            code = ERRCODE_INTERNAL_ERROR;
            break;
    }
    if (st == PT_JWS_ERR_BAD_SIGNATURE || st == PT_JWS_ERR_UNKNOWN_KEY)
        ereport(ERROR,
                (errcode(code),
                 errmsg("trace.import: the signature does not verify with the partner's key"),
                 errdetail("The token was changed after signing, or it was signed with another key than the one registered under its kid.")));
    ereport(ERROR,
            (errcode(code),
             errmsg("trace.import: %s", err[0] ? err : "malformed JWS")));
}

PG_FUNCTION_INFO_V1(pt_exchange_jws_header);
/*
 * trace._exchange_jws_header(jws) → jsonb: the protected header of a compact
 * or JSON-serialised JWS, NOT verified (used only to find the partner key).
 */
Datum
pt_exchange_jws_header(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    pt_jws_parsed p;
    char        err[256] = "";
    pt_jws_status st;
    char       *hdr;

    memset(&p, 0, sizeof(p));
    st = pt_jws_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, 0, &p, err, sizeof(err));
    if (st != PT_JWS_OK)
        jws_fail(st, err);
    hdr = pnstrdup(p.header, p.header_len);
    pt_jws_parsed_free(&p);
    PG_RETURN_DATUM(json_text_to_jsonb(hdr));
}

PG_FUNCTION_INFO_V1(pt_exchange_jws_verify);
/*
 * trace._exchange_jws_verify(jws, jwk) → jsonb {"header","payload"}:
 * verifies the JWS with exactly this partner key (28000 when it does not).
 */
Datum
pt_exchange_jws_verify(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    pt_jws_key  key;
    pt_jws_parsed p;
    char        err[256] = "";
    pt_jws_status st;
    char       *hdr,
               *payload;
    size_t      plen;
    StringInfoData out;

    partner_key_from_jwk(PG_GETARG_JSONB_P(1), &key);
    memset(&p, 0, sizeof(p));
    st = pt_jws_parse(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), NULL, 0, &p, err, sizeof(err));
    if (st == PT_JWS_OK)
        st = pt_jws_verify(&p, &key, 1, NULL, err, sizeof(err));
    pt_jws_key_release(&key);
    if (st != PT_JWS_OK)
    {
        pt_jws_parsed_free(&p);
        jws_fail(st, err);
    }
    hdr = pnstrdup(p.header, p.header_len);
    payload = pnstrdup((const char *) p.payload, p.payload_len);
    plen = p.payload_len;
    pt_jws_parsed_free(&p);
    if (strlen(payload) != plen)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                 errmsg("trace.import: the payload contains a NUL byte")));
    initStringInfo(&out);
    appendStringInfo(&out, "{\"header\":%s,\"payload\":%s}", hdr, payload);
    PG_RETURN_DATUM(json_text_to_jsonb(out.data));
}

/* trace.sign_json's implementation (src/pg/keys.c), called directly below. */
extern Datum pt_sign_json_sql(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(pt_exchange_sign);
/*
 * trace._exchange_sign(document jsonb, serialization text, detached bool) → text:
 * the JWS of an export document — compact, or the flattened JSON
 * serialisation — with the database's signing key. Not granted to anyone:
 * the export functions call it on documents they assembled themselves.
 */
Datum
pt_exchange_sign(PG_FUNCTION_ARGS)
{
    Jsonb      *doc = PG_GETARG_JSONB_P(0);
    char       *ser = text_to_cstring(PG_GETARG_TEXT_PP(1));
    bool        detached = PG_GETARG_BOOL(2);

    if (strcmp(ser, "compact") == 0)
        PG_RETURN_TEXT_P(cstring_to_text(pt_jws_sign_jsonb(doc, detached)));
    if (strcmp(ser, "json") == 0)
    {
        Datum       j = DirectFunctionCall2(pt_sign_json_sql, JsonbPGetDatum(doc), BoolGetDatum(detached));

        PG_RETURN_TEXT_P(cstring_to_text(DatumGetCString(DirectFunctionCall1(jsonb_out, j))));
    }
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
             errmsg("unknown JWS serialization \"%s\"", ser),
             errdetail("Use \"compact\" or \"json\".")));
    PG_RETURN_NULL();
}

/*
 * Run one document query (SPI, with the caller's privileges: row security
 * and grants apply as if the caller had run it) and sign its jsonb result.
 */
static text *
export_signed(const char *query, int nargs, Oid *types, Datum *values, const char *nulls,
              const char *serialization, bool detached)
{
    Jsonb      *doc;
    bool        isnull;
    Datum       d;
    char       *jws;
    MemoryContext caller = CurrentMemoryContext;

    if (strcmp(serialization, "compact") != 0 && strcmp(serialization, "json") != 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("unknown JWS serialization \"%s\"", serialization),
                 errdetail("Use \"compact\" or \"json\".")));
    SPI_connect();
    if (SPI_execute_with_args(query, nargs, types, values, nulls, true, 1) != SPI_OK_SELECT ||
        SPI_processed != 1)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("export query returned no row")));
    d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (isnull)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("export document is null")));
    {
        MemoryContext spi = MemoryContextSwitchTo(caller);

        doc = DatumGetJsonbPCopy(d);
        MemoryContextSwitchTo(spi);
    }
    SPI_finish();
    jws = text_to_cstring(DatumGetTextPP(DirectFunctionCall3(pt_exchange_sign, JsonbPGetDatum(doc),
                                                             CStringGetTextDatum(serialization),
                                                             BoolGetDatum(detached))));
    return cstring_to_text(jws);
}

static void
require_args(FunctionCallInfo fcinfo, int n, const char *fn)
{
    for (int i = 0; i < n; i++)
        if (PG_ARGISNULL(i))
            ereport(ERROR,
                    (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                     errmsg("%s: argument %d must not be null", fn, i + 1)));
}

PG_FUNCTION_INFO_V1(pt_exchange_export_history);
/* trace.export_history(code, audience, serialization, detached) → JWS text. */
Datum
pt_exchange_export_history(PG_FUNCTION_ARGS)
{
    Oid         types[2] = {TEXTOID, TEXTOID};
    Datum       values[2];

    require_args(fcinfo, 4, "trace.export_history");
    values[0] = PG_GETARG_DATUM(0);
    values[1] = PG_GETARG_DATUM(1);
    PG_RETURN_TEXT_P(export_signed("SELECT trace.history_document($1, $2)", 2, types, values, NULL,
                                   text_to_cstring(PG_GETARG_TEXT_PP(2)), PG_GETARG_BOOL(3)));
}

PG_FUNCTION_INFO_V1(pt_exchange_export_unit);
/* trace.export_unit(uscc, from, to, audience, serialization, detached) → JWS text. */
Datum
pt_exchange_export_unit(PG_FUNCTION_ARGS)
{
    Oid         types[4] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID};
    Datum       values[4];

    require_args(fcinfo, 6, "trace.export_unit");
    for (int i = 0; i < 4; i++)
        values[i] = PG_GETARG_DATUM(i);
    PG_RETURN_TEXT_P(export_signed("SELECT trace.unit_document($1, $2, $3, $4)", 4, types, values, NULL,
                                   text_to_cstring(PG_GETARG_TEXT_PP(4)), PG_GETARG_BOOL(5)));
}
