/*
 * jws.c — JWS signing and verification with Ed25519 and SM2-with-SM3 through
 * OpenSSL 3 EVP, public JWKs and RFC 7638 thumbprints.
 *
 * Ed25519 signatures are deterministic (RFC 8032), so the RFC 8037 example
 * is a known answer. SM2 signatures are randomised; OpenSSL returns them DER
 * encoded and JOSE wants r||s, so they are converted both ways here. The SM2
 * distinguishing ID is set on the key context after DigestSign/VerifyInit:
 * OpenSSL 3.0 otherwise uses an empty ID.
 */
#include "jws.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "b64url.h"
#include "jcs.h"

static pt_jws_status fail(pt_jws_status st, char *err, size_t errlen, const char *fmt, ...)
            __attribute__((format(printf, 4, 5)));

static pt_jws_status
fail(pt_jws_status st, char *err, size_t errlen, const char *fmt, ...)
{
    va_list     ap;

    if (err && errlen)
    {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Append OpenSSL's last error reason (if any) to a message. */
static pt_jws_status
fail_ssl(pt_jws_status st, char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char        reason[160];

    ERR_clear_error();
    if (e == 0)
        return fail(st, err, errlen, "%s", what);
    ERR_error_string_n(e, reason, sizeof(reason));
    return fail(st, err, errlen, "%s: %s", what, reason);
}

const char *
pt_jws_alg_name(pt_jws_alg alg)
{
    switch (alg)
    {
        case PT_JWS_EDDSA:
            return "EdDSA";
        case PT_JWS_SM2SM3:
            return "SM2SM3";
        default:
            return "unknown";
    }
}

pt_jws_alg
pt_jws_alg_from_name(const char *name)
{
    if (strcmp(name, "EdDSA") == 0)
        return PT_JWS_EDDSA;
    if (strcmp(name, "SM2SM3") == 0)
        return PT_JWS_SM2SM3;
    return PT_JWS_ALG_UNKNOWN;
}

bool
pt_sm3(const unsigned char *msg, size_t len, unsigned char out[32])
{
    unsigned int n = 0;
    EVP_MD     *md = EVP_MD_fetch(NULL, "SM3", NULL);
    bool        ok;

    if (md == NULL)
    {
        ERR_clear_error();
        return false;
    }
    ok = EVP_Digest(msg, len, out, &n, md, NULL) == 1 && n == 32;
    EVP_MD_free(md);
    return ok;
}

/* ------------------------------------------------------------------ keys */

/*
 * Thumbprint input (RFC 7638): the required public members in lexical order,
 * no whitespace. SM2 keys use kty "EC" and crv "SM2" (not registered with
 * IANA; documented in docs/keys.md).
 */
static pt_jws_status
key_members(const pt_jws_key *key, jcs_buf *b)
{
    if (key->alg == PT_JWS_EDDSA)
    {
        unsigned char pub[32];
        size_t      n = sizeof(pub);
        char        x[B64URL_ENCODED_LEN(32) + 1];

        if (EVP_PKEY_get_raw_public_key(key->pkey, pub, &n) != 1 || n != 32)
            return PT_JWS_ERR_CRYPTO;
        b64url_encode(pub, n, x);
        jcs_buf_puts(b, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"");
        jcs_buf_puts(b, x);
        jcs_buf_puts(b, "\"}");
    }
    else
    {
        unsigned char pub[65];
        size_t      n = 0;
        char        x[B64URL_ENCODED_LEN(32) + 1],
                    y[B64URL_ENCODED_LEN(32) + 1];

        if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                            pub, sizeof(pub), &n) != 1 ||
            n != 65 || pub[0] != 0x04)
            return PT_JWS_ERR_CRYPTO;
        b64url_encode(pub + 1, 32, x);
        b64url_encode(pub + 33, 32, y);
        jcs_buf_puts(b, "{\"crv\":\"SM2\",\"kty\":\"EC\",\"x\":\"");
        jcs_buf_puts(b, x);
        jcs_buf_puts(b, "\",\"y\":\"");
        jcs_buf_puts(b, y);
        jcs_buf_puts(b, "\"}");
    }
    return b->failed ? PT_JWS_ERR_NOMEM : PT_JWS_OK;
}

pt_jws_status
pt_jws_key_init(pt_jws_key *key, EVP_PKEY *pkey, char *err, size_t errlen)
{
    jcs_buf     b = {0};
    unsigned char digest[32];
    unsigned int dlen = 0;
    pt_jws_status st;

    memset(key, 0, sizeof(*key));
    if (EVP_PKEY_is_a(pkey, "ED25519"))
        key->alg = PT_JWS_EDDSA;
    else if (EVP_PKEY_is_a(pkey, "SM2"))
        key->alg = PT_JWS_SM2SM3;
    /*
     * An "EC" key is refused even on the SM2 curve: EVP would sign it with
     * ECDSA, not SM2. OpenSSL 3 decodes SM2-curve keys from files as "SM2".
     */
    if (key->alg == PT_JWS_ALG_UNKNOWN)
        return fail(PT_JWS_ERR_UNSUPPORTED, err, errlen,
                    "key type %s is not supported (use Ed25519 or SM2)",
                    EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?");
    key->pkey = pkey;

    {
        /* a private key has a private part that can be exported */
        BIGNUM     *priv = NULL;
        unsigned char raw[64];
        size_t      rawlen = sizeof(raw);

        if (key->alg == PT_JWS_EDDSA)
            key->has_private = EVP_PKEY_get_raw_private_key(pkey, raw, &rawlen) == 1;
        else
            key->has_private = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1;
        OPENSSL_cleanse(raw, sizeof(raw));
        BN_clear_free(priv);
        ERR_clear_error();
    }

    st = key_members(key, &b);
    if (st != PT_JWS_OK)
    {
        free(b.data);
        key->pkey = NULL;
        return fail_ssl(st, err, errlen, "cannot read the public key");
    }
    if (EVP_Digest(b.data, b.len, digest, &dlen, EVP_sha256(), NULL) != 1)
    {
        free(b.data);
        key->pkey = NULL;
        return fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "SHA-256 failed");
    }
    b64url_encode(digest, dlen, key->kid);
    key->thumbprint_input = b.data;
    return PT_JWS_OK;
}

void
pt_jws_keys_free(pt_jws_key *keys, int nkeys)
{
    int         i;

    if (keys == NULL)
        return;
    for (i = 0; i < nkeys; i++)
    {
        EVP_PKEY_free(keys[i].pkey);
        free(keys[i].thumbprint_input);
    }
    free(keys);
}

void
pt_jws_key_release(pt_jws_key *key)
{
    EVP_PKEY_free(key->pkey);
    free(key->thumbprint_input);
    memset(key, 0, sizeof(*key));
}

/* A base64url JWK member of exactly n bytes. */
static bool
jwk_bytes(const jcs_value *jwk, const char *name, unsigned char *out, size_t n)
{
    const jcs_value *v = jcs_get(jwk, name);
    unsigned char buf[64];
    size_t      got = 0;

    if (v == NULL || v->type != JCS_STRING || v->len != B64URL_ENCODED_LEN(n) || n > 48 ||
        !b64url_decode(v->str, v->len, buf, &got) || got != n)
        return false;
    memcpy(out, buf, n);
    return true;
}

static bool
jwk_string_is(const jcs_value *jwk, const char *name, const char *want)
{
    const jcs_value *v = jcs_get(jwk, name);

    return v != NULL && v->type == JCS_STRING && strlen(v->str) == v->len &&
        strcmp(v->str, want) == 0;
}

pt_jws_status
pt_jws_key_from_jwk(const char *json, size_t len, pt_jws_key *key, char *err, size_t errlen)
{
    jcs_value  *jwk = NULL;
    char        jerr[128];
    EVP_PKEY   *pkey = NULL;
    pt_jws_alg  alg;
    pt_jws_status st;

    memset(key, 0, sizeof(*key));
    if (jcs_parse(json, len, &jwk, jerr, sizeof(jerr)) != JCS_OK)
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "JWK is not JSON: %s", jerr);
    if (jwk->type != JCS_OBJECT)
    {
        jcs_free(jwk);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "JWK is not a JSON object");
    }
    if (jcs_get(jwk, "d") != NULL)
    {
        jcs_free(jwk);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                    "JWK holds a private key (member \"d\"); only public keys are accepted");
    }
    if (jwk_string_is(jwk, "kty", "OKP") && jwk_string_is(jwk, "crv", "Ed25519"))
    {
        unsigned char x[32];

        alg = PT_JWS_EDDSA;
        if (!jwk_bytes(jwk, "x", x, 32))
        {
            jcs_free(jwk);
            return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                        "Ed25519 JWK needs \"x\": 32 bytes in unpadded base64url");
        }
        pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof(x));
    }
    else if (jwk_string_is(jwk, "kty", "EC") && jwk_string_is(jwk, "crv", "SM2"))
    {
        unsigned char pub[65];
        OSSL_PARAM_BLD *bld;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;

        alg = PT_JWS_SM2SM3;
        pub[0] = 0x04;
        if (!jwk_bytes(jwk, "x", pub + 1, 32) || !jwk_bytes(jwk, "y", pub + 33, 32))
        {
            jcs_free(jwk);
            return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                        "SM2 JWK needs \"x\" and \"y\": 32 bytes each in unpadded base64url");
        }
        bld = OSSL_PARAM_BLD_new();
        if (bld != NULL &&
            OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)))
            params = OSSL_PARAM_BLD_to_param(bld);
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
        if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
            pkey = NULL;
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        if (pkey != NULL)
        {
            /* the point must lie on the curve */
            EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);

            if (check == NULL || EVP_PKEY_public_check(check) != 1)
            {
                EVP_PKEY_free(pkey);
                pkey = NULL;
            }
            EVP_PKEY_CTX_free(check);
        }
    }
    else
    {
        jcs_free(jwk);
        return fail(PT_JWS_ERR_UNSUPPORTED, err, errlen,
                    "JWK type not supported (kty \"OKP\" with crv \"Ed25519\", or kty \"EC\" with crv \"SM2\")");
    }
    if ((jcs_get(jwk, "alg") != NULL && !jwk_string_is(jwk, "alg", pt_jws_alg_name(alg))) ||
        (jcs_get(jwk, "use") != NULL && !jwk_string_is(jwk, "use", "sig")))
    {
        EVP_PKEY_free(pkey);
        jcs_free(jwk);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                    "JWK \"alg\" must be \"%s\" and \"use\" must be \"sig\" when present",
                    pt_jws_alg_name(alg));
    }
    jcs_free(jwk);
    if (pkey == NULL)
        return fail_ssl(PT_JWS_ERR_MALFORMED, err, errlen, "JWK is not a valid public key");
    st = pt_jws_key_init(key, pkey, err, errlen);
    if (st != PT_JWS_OK)
        EVP_PKEY_free(pkey);
    return st;
}

pt_jws_status
pt_jws_keys_from_pem(const char *pem, size_t len, bool want_private,
                     pt_jws_key **keys_out, int *nkeys_out, char *err, size_t errlen)
{
    BIO        *bio;
    pt_jws_key *keys = NULL;
    int         nkeys = 0,
                block = 0;
    pt_jws_status st = PT_JWS_OK;

    *keys_out = NULL;
    *nkeys_out = 0;
    if (len > INT32_MAX)
        return fail(PT_JWS_ERR_KEY, err, errlen, "key file too large");
    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL)
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    ERR_clear_error();

    for (;;)
    {
        char       *name = NULL,
                   *header = NULL;
        unsigned char *data = NULL;
        long        dlen = 0;
        const unsigned char *p;
        EVP_PKEY   *pkey = NULL;
        pt_jws_key *nk;

        if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1)
        {
            unsigned long e = ERR_peek_last_error();

            if (ERR_GET_REASON(e) == PEM_R_NO_START_LINE && block > 0)
            {
                ERR_clear_error();
                break;
            }
            if (block == 0)
            {
                ERR_clear_error();
                st = fail(PT_JWS_ERR_KEY, err, errlen,
                          "no PEM block found (expected \"-----BEGIN PRIVATE KEY-----\")");
            }
            else
                st = fail_ssl(PT_JWS_ERR_KEY, err, errlen, "bad PEM block");
            goto done;
        }
        block++;
        p = data;
        if (strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0)
            pkey = d2i_AutoPrivateKey(NULL, &p, dlen);
        else if (strcmp(name, "PUBLIC KEY") == 0 && !want_private)
            pkey = d2i_PUBKEY(NULL, &p, dlen);
        else if (strcmp(name, "EC PARAMETERS") == 0)
        {
            OPENSSL_free(name);
            OPENSSL_free(header);
            OPENSSL_free(data);
            continue;
        }
        else
        {
            st = fail(PT_JWS_ERR_KEY, err, errlen,
                      "PEM block %d is \"%s\"; expected %s", block, name,
                      want_private ? "an unencrypted \"PRIVATE KEY\"" :
                      "\"PUBLIC KEY\" or \"PRIVATE KEY\"");
        }
        OPENSSL_cleanse(data, (size_t) dlen);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (st != PT_JWS_OK)
            goto done;
        if (pkey == NULL)
        {
            st = fail_ssl(PT_JWS_ERR_KEY, err, errlen, "cannot decode key");
            goto done;
        }
        nk = realloc(keys, sizeof(pt_jws_key) * (size_t) (nkeys + 1));
        if (nk == NULL)
        {
            EVP_PKEY_free(pkey);
            st = fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
            goto done;
        }
        keys = nk;
        st = pt_jws_key_init(&keys[nkeys], pkey, err, errlen);
        if (st != PT_JWS_OK)
        {
            EVP_PKEY_free(pkey);
            goto done;
        }
        nkeys++;
    }
    if (nkeys == 0)
        st = fail(PT_JWS_ERR_KEY, err, errlen, "no key found");

done:
    BIO_free(bio);
    if (st != PT_JWS_OK)
    {
        pt_jws_keys_free(keys, nkeys);
        return st;
    }
    *keys_out = keys;
    *nkeys_out = nkeys;
    return PT_JWS_OK;
}

pt_jws_status
pt_jws_public_jwk(const pt_jws_key *key, char **out, size_t *outlen)
{
    jcs_buf     b = {0};
    pt_jws_status st;
    char       *members;
    jcs_value  *v;
    char        err[64];

    /* members in canonical order: alg, crv, kid, kty, use, x[, y] */
    st = key_members(key, &b);
    if (st != PT_JWS_OK)
    {
        free(b.data);
        return st;
    }
    members = b.data;
    memset(&b, 0, sizeof(b));
    jcs_buf_puts(&b, "{\"alg\":\"");
    jcs_buf_puts(&b, pt_jws_alg_name(key->alg));
    jcs_buf_puts(&b, "\",\"kid\":\"");
    jcs_buf_puts(&b, key->kid);
    jcs_buf_puts(&b, "\",\"use\":\"sig\",");
    jcs_buf_puts(&b, members + 1);
    free(members);
    if (b.failed)
    {
        free(b.data);
        return PT_JWS_ERR_NOMEM;
    }
    /* re-serialise so the member order is canonical */
    if (jcs_parse(b.data, b.len, &v, err, sizeof(err)) != JCS_OK)
    {
        free(b.data);
        return PT_JWS_ERR_CRYPTO;
    }
    free(b.data);
    if (jcs_serialize(v, out, outlen) != JCS_OK)
    {
        jcs_free(v);
        return PT_JWS_ERR_NOMEM;
    }
    jcs_free(v);
    return PT_JWS_OK;
}

/* ------------------------------------------------------------------ raw */

pt_jws_status
pt_sm2_sign(EVP_PKEY *pkey, const char *id, size_t idlen,
            const unsigned char *msg, size_t len, unsigned char sig[64],
            char *err, size_t errlen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char der[128];
    size_t      derlen = sizeof(der);
    const unsigned char *p = der;
    ECDSA_SIG  *es = NULL;
    const BIGNUM *r,
               *s;
    pt_jws_status st = PT_JWS_OK;

    if (md == NULL)
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    if (EVP_DigestSignInit_ex(md, &pctx, "SM3", NULL, NULL, pkey, NULL) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, id, (int) idlen) <= 0 ||
        EVP_DigestSign(md, der, &derlen, msg, len) != 1)
    {
        st = fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "SM2 signing failed");
        goto done;
    }
    es = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
    if (es == NULL)
    {
        st = fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "SM2 signature not DER");
        goto done;
    }
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        st = fail(PT_JWS_ERR_CRYPTO, err, errlen, "SM2 signature component too long");
done:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    return st;
}

pt_jws_status
pt_sm2_verify(EVP_PKEY *pkey, const char *id, size_t idlen,
              const unsigned char *msg, size_t len, const unsigned char sig[64],
              char *err, size_t errlen)
{
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    ECDSA_SIG  *es = ECDSA_SIG_new();
    BIGNUM     *r = BN_bin2bn(sig, 32, NULL);
    BIGNUM     *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int         derlen,
                rc;
    pt_jws_status st;

    if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
    {
        ECDSA_SIG_free(es);
        BN_free(r);
        BN_free(s);
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    }
    derlen = i2d_ECDSA_SIG(es, &der);
    ECDSA_SIG_free(es);
    if (derlen <= 0)
        return fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "cannot encode SM2 signature");
    md = EVP_MD_CTX_new();
    if (md == NULL ||
        EVP_DigestVerifyInit_ex(md, &pctx, "SM3", NULL, NULL, pkey, NULL) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, id, (int) idlen) <= 0)
    {
        st = fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "SM2 verification setup failed");
        goto done;
    }
    rc = EVP_DigestVerify(md, der, (size_t) derlen, msg, len);
    ERR_clear_error();
    st = rc == 1 ? PT_JWS_OK :
        fail(PT_JWS_ERR_BAD_SIGNATURE, err, errlen, "signature does not verify");
done:
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    return st;
}

pt_jws_status
pt_jws_sign_raw(const pt_jws_key *key, const unsigned char *msg, size_t len,
                unsigned char sig[PT_JWS_SIG_MAX], size_t *siglen,
                char *err, size_t errlen)
{
    if (!key->has_private)
        return fail(PT_JWS_ERR_KEY, err, errlen, "key %s is a public key and cannot sign", key->kid);
    if (key->alg == PT_JWS_SM2SM3)
    {
        *siglen = 64;
        return pt_sm2_sign(key->pkey, PT_JWS_SM2_ID, strlen(PT_JWS_SM2_ID), msg, len, sig,
                           err, errlen);
    }
    else
    {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t      n = PT_JWS_SIG_MAX;
        pt_jws_status st = PT_JWS_OK;

        if (md == NULL)
            return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
        if (EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key->pkey, NULL) != 1 ||
            EVP_DigestSign(md, sig, &n, msg, len) != 1 || n != 64)
            st = fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "Ed25519 signing failed");
        EVP_MD_CTX_free(md);
        *siglen = n;
        return st;
    }
}

pt_jws_status
pt_jws_verify_raw(const pt_jws_key *key, const unsigned char *msg, size_t len,
                  const unsigned char *sig, size_t siglen, char *err, size_t errlen)
{
    if (siglen != 64)
        return fail(PT_JWS_ERR_BAD_SIGNATURE, err, errlen,
                    "signature is %zu bytes, %s needs 64", siglen, pt_jws_alg_name(key->alg));
    if (key->alg == PT_JWS_SM2SM3)
        return pt_sm2_verify(key->pkey, PT_JWS_SM2_ID, strlen(PT_JWS_SM2_ID), msg, len, sig,
                             err, errlen);
    else
    {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        int         rc;

        if (md == NULL)
            return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
        if (EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, key->pkey, NULL) != 1)
        {
            EVP_MD_CTX_free(md);
            return fail_ssl(PT_JWS_ERR_CRYPTO, err, errlen, "Ed25519 verification setup failed");
        }
        rc = EVP_DigestVerify(md, sig, siglen, msg, len);
        EVP_MD_CTX_free(md);
        ERR_clear_error();
        return rc == 1 ? PT_JWS_OK :
            fail(PT_JWS_ERR_BAD_SIGNATURE, err, errlen, "signature does not verify");
    }
}

/* ------------------------------------------------------------------ sign */

pt_jws_status
pt_jws_header(const pt_jws_key *key, int64_t iat, const char *jti, const char *typ,
              char **out, size_t *outlen)
{
    jcs_buf     b = {0};
    char        num[32];

    snprintf(num, sizeof(num), "%lld", (long long) iat);
    jcs_buf_puts(&b, "{\"alg\":");
    jcs_buf_put_string(&b, pt_jws_alg_name(key->alg), strlen(pt_jws_alg_name(key->alg)));
    jcs_buf_puts(&b, ",\"iat\":");
    jcs_buf_puts(&b, num);
    jcs_buf_puts(&b, ",\"jti\":");
    jcs_buf_put_string(&b, jti, strlen(jti));
    jcs_buf_puts(&b, ",\"kid\":");
    jcs_buf_put_string(&b, key->kid, strlen(key->kid));
    jcs_buf_puts(&b, ",\"typ\":");
    jcs_buf_put_string(&b, typ, strlen(typ));
    jcs_buf_puts(&b, "}");
    if (b.failed)
    {
        free(b.data);
        return PT_JWS_ERR_NOMEM;
    }
    *out = b.data;
    *outlen = b.len;
    return PT_JWS_OK;
}

/* BASE64URL(header) "." BASE64URL(payload), malloc'ed; *mid = index of '.'. */
static char *
signing_input(const char *header, size_t hlen, const char *payload, size_t plen,
              size_t *len, size_t *mid)
{
    size_t      eh = B64URL_ENCODED_LEN(hlen),
                ep = B64URL_ENCODED_LEN(plen);
    char       *s = malloc(eh + ep + 2);

    if (s == NULL)
        return NULL;
    b64url_encode((const unsigned char *) header, hlen, s);
    s[eh] = '.';
    b64url_encode((const unsigned char *) payload, plen, s + eh + 1);
    *len = eh + 1 + ep;
    *mid = eh;
    return s;
}

pt_jws_status
pt_jws_sign_compact(const pt_jws_key *key, const char *header, size_t hlen,
                    const char *payload, size_t plen, bool detached,
                    char **out, char *err, size_t errlen)
{
    size_t      len,
                mid,
                siglen;
    unsigned char sig[PT_JWS_SIG_MAX];
    char       *in = signing_input(header, hlen, payload, plen, &len, &mid);
    char       *res;
    pt_jws_status st;

    if (in == NULL)
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    st = pt_jws_sign_raw(key, (unsigned char *) in, len, sig, &siglen, err, errlen);
    if (st != PT_JWS_OK)
    {
        free(in);
        return st;
    }
    res = malloc(len + B64URL_ENCODED_LEN(siglen) + 2);
    if (res == NULL)
    {
        free(in);
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    }
    if (detached)
        len = mid + 1;          /* keep "header." and drop the payload */
    memcpy(res, in, len);
    res[len] = '.';
    b64url_encode(sig, siglen, res + len + 1);
    free(in);
    *out = res;
    return PT_JWS_OK;
}

pt_jws_status
pt_jws_sign_json(const pt_jws_key *key, const char *header, size_t hlen,
                 const char *payload, size_t plen, bool detached,
                 char **out, char *err, size_t errlen)
{
    size_t      len,
                mid,
                siglen;
    unsigned char sig[PT_JWS_SIG_MAX];
    char        sig64[B64URL_ENCODED_LEN(PT_JWS_SIG_MAX) + 1];
    char       *in = signing_input(header, hlen, payload, plen, &len, &mid);
    jcs_buf     b = {0};
    pt_jws_status st;

    if (in == NULL)
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    st = pt_jws_sign_raw(key, (unsigned char *) in, len, sig, &siglen, err, errlen);
    if (st != PT_JWS_OK)
    {
        free(in);
        return st;
    }
    b64url_encode(sig, siglen, sig64);
    jcs_buf_puts(&b, "{");
    if (!detached)
    {
        jcs_buf_puts(&b, "\"payload\":\"");
        jcs_buf_put(&b, in + mid + 1, len - mid - 1);
        jcs_buf_puts(&b, "\",");
    }
    jcs_buf_puts(&b, "\"protected\":\"");
    jcs_buf_put(&b, in, mid);
    jcs_buf_puts(&b, "\",\"signature\":\"");
    jcs_buf_puts(&b, sig64);
    jcs_buf_puts(&b, "\"}");
    free(in);
    if (b.failed)
    {
        free(b.data);
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    }
    *out = b.data;
    return PT_JWS_OK;
}

/* ------------------------------------------------------------------ parse */

void
pt_jws_parsed_free(pt_jws_parsed *p)
{
    free(p->signing_input);
    free(p->header);
    free(p->payload);
    memset(p, 0, sizeof(*p));
}

static pt_jws_status
decode_part(const char *s, size_t n, unsigned char **out, size_t *outlen, const char *what,
            char *err, size_t errlen)
{
    unsigned char *buf = malloc(n * 3 / 4 + 2);

    if (buf == NULL)
        return fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
    if (!b64url_decode(s, n, buf, outlen))
    {
        free(buf);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "%s is not valid base64url", what);
    }
    buf[*outlen] = '\0';
    *out = buf;
    return PT_JWS_OK;
}

/* Fill p from the three encoded parts; payload64 may be NULL (detached). */
static pt_jws_status
parse_parts(const char *h64, size_t hn, const char *p64, size_t pn, bool have_payload,
            const char *s64, size_t sn, const char *detached, size_t dlen,
            pt_jws_parsed *p, char *err, size_t errlen)
{
    pt_jws_status st;
    unsigned char *sig = NULL;
    jcs_value  *hdr = NULL;
    const jcs_value *alg,
               *kid,
               *b64;
    char        jerr[128];
    size_t      plen_enc;

    memset(p, 0, sizeof(*p));
    if (hn == 0)
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "protected header is empty");
    st = decode_part(h64, hn, (unsigned char **) &p->header, &p->header_len,
                     "protected header", err, errlen);
    if (st != PT_JWS_OK)
        goto bad;
    if (jcs_parse(p->header, p->header_len, &hdr, jerr, sizeof(jerr)) != JCS_OK)
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "protected header is not JSON: %s", jerr);
        goto bad;
    }
    if (hdr->type != JCS_OBJECT)
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "protected header is not a JSON object");
        goto bad;
    }
    alg = jcs_get(hdr, "alg");
    if (alg == NULL || alg->type != JCS_STRING)
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "protected header has no \"alg\" string");
        goto bad;
    }
    snprintf(p->alg_name, sizeof(p->alg_name), "%s", alg->str);
    p->alg = pt_jws_alg_from_name(alg->str);
    if (p->alg == PT_JWS_ALG_UNKNOWN || strlen(alg->str) != alg->len)
    {
        st = fail(PT_JWS_ERR_UNSUPPORTED, err, errlen,
                  "algorithm \"%s\" is not supported (EdDSA, SM2SM3)", p->alg_name);
        goto bad;
    }
    if (jcs_get(hdr, "crit") != NULL)
    {
        st = fail(PT_JWS_ERR_UNSUPPORTED, err, errlen,
                  "header parameter \"crit\" names extensions this verifier does not implement");
        goto bad;
    }
    b64 = jcs_get(hdr, "b64");
    if (b64 != NULL && b64->type != JCS_TRUE)
    {
        st = fail(PT_JWS_ERR_UNSUPPORTED, err, errlen, "unencoded payloads (\"b64\") are not supported");
        goto bad;
    }
    kid = jcs_get(hdr, "kid");
    if (kid != NULL)
    {
        if (kid->type != JCS_STRING || kid->len >= sizeof(p->kid) || strlen(kid->str) != kid->len)
        {
            st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "header \"kid\" is not a short string");
            goto bad;
        }
        memcpy(p->kid, kid->str, kid->len + 1);
    }
    jcs_free(hdr);
    hdr = NULL;

    /* payload: embedded, supplied (detached), or both and equal */
    if (have_payload && pn > 0)
    {
        st = decode_part(p64, pn, &p->payload, &p->payload_len, "payload", err, errlen);
        if (st != PT_JWS_OK)
            goto bad;
        if (detached && (dlen != p->payload_len || memcmp(detached, p->payload, dlen) != 0))
        {
            st = fail(PT_JWS_ERR_MALFORMED, err, errlen,
                      "the JWS carries a payload that differs from the one supplied");
            goto bad;
        }
    }
    else if (detached)
    {
        p->payload = malloc(dlen + 1);
        if (p->payload == NULL)
        {
            st = fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
            goto bad;
        }
        memcpy(p->payload, detached, dlen);
        p->payload[dlen] = '\0';
        p->payload_len = dlen;
    }
    else if (!have_payload)
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen,
                  "the payload is detached and none was supplied");
        goto bad;
    }
    else
    {
        p->payload = calloc(1, 1);
        if (p->payload == NULL)
        {
            st = fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
            goto bad;
        }
    }

    /* signing input always uses the encoded payload */
    plen_enc = B64URL_ENCODED_LEN(p->payload_len);
    p->signing_input = malloc(hn + 1 + plen_enc + 1);
    if (p->signing_input == NULL)
    {
        st = fail(PT_JWS_ERR_NOMEM, err, errlen, "out of memory");
        goto bad;
    }
    memcpy(p->signing_input, h64, hn);
    p->signing_input[hn] = '.';
    b64url_encode(p->payload, p->payload_len, p->signing_input + hn + 1);
    p->signing_input_len = hn + 1 + plen_enc;

    if (sn > B64URL_ENCODED_LEN(PT_JWS_SIG_MAX))
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "signature is longer than 64 bytes");
        goto bad;
    }
    st = decode_part(s64, sn, &sig, &p->sig_len, "signature", err, errlen);
    if (st != PT_JWS_OK)
        goto bad;
    memcpy(p->sig, sig, p->sig_len);
    free(sig);
    if (p->sig_len != 64)
    {
        st = fail(PT_JWS_ERR_MALFORMED, err, errlen, "signature is %zu bytes, %s needs 64",
                  p->sig_len, p->alg_name);
        goto bad;
    }
    return PT_JWS_OK;

bad:
    jcs_free(hdr);
    pt_jws_parsed_free(p);
    return st;
}

static pt_jws_status
parse_json_form(const char *jws, size_t len, const char *detached, size_t dlen,
                pt_jws_parsed *out, char *err, size_t errlen)
{
    jcs_value  *doc = NULL;
    const jcs_value *sigobj,
               *prot,
               *payload,
               *sig,
               *sigs;
    char        jerr[128];
    pt_jws_status st;

    if (jcs_parse(jws, len, &doc, jerr, sizeof(jerr)) != JCS_OK)
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "JWS JSON serialization is not JSON: %s", jerr);
    if (doc->type != JCS_OBJECT)
    {
        jcs_free(doc);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen, "JWS JSON serialization is not an object");
    }
    sigobj = doc;
    sigs = jcs_get(doc, "signatures");
    if (sigs != NULL)
    {
        /* general form: exactly one signature is supported */
        if (sigs->type != JCS_ARRAY || sigs->len != 1 || sigs->items[0]->type != JCS_OBJECT ||
            jcs_get(doc, "signature") != NULL)
        {
            jcs_free(doc);
            return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                        "\"signatures\" must be an array of exactly one signature object");
        }
        sigobj = sigs->items[0];
    }
    prot = jcs_get(sigobj, "protected");
    sig = jcs_get(sigobj, "signature");
    payload = jcs_get(doc, "payload");
    if (prot == NULL || prot->type != JCS_STRING || sig == NULL || sig->type != JCS_STRING ||
        (payload != NULL && payload->type != JCS_STRING))
    {
        jcs_free(doc);
        return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                    "JWS JSON serialization needs \"protected\" and \"signature\" strings");
    }
    if (jcs_get(sigobj, "header") != NULL)
    {
        jcs_free(doc);
        return fail(PT_JWS_ERR_UNSUPPORTED, err, errlen,
                    "unprotected header parameters are not accepted");
    }
    st = parse_parts(prot->str, prot->len,
                     payload ? payload->str : NULL, payload ? payload->len : 0, payload != NULL,
                     sig->str, sig->len, detached, dlen, out, err, errlen);
    jcs_free(doc);
    return st;
}

pt_jws_status
pt_jws_parse(const char *jws, size_t len, const char *detached, size_t dlen,
             pt_jws_parsed *out, char *err, size_t errlen)
{
    const char *d1,
               *d2;
    size_t      i = 0;

    memset(out, 0, sizeof(*out));
    /* blanks around a token (a trailing newline from a file) are ignored */
    while (i < len && (jws[i] == ' ' || jws[i] == '\t' || jws[i] == '\n' || jws[i] == '\r'))
        i++;
    while (len > i && (jws[len - 1] == ' ' || jws[len - 1] == '\t' ||
                       jws[len - 1] == '\n' || jws[len - 1] == '\r'))
        len--;
    jws += i;
    len -= i;
    if (len > 0 && jws[0] == '{')
        return parse_json_form(jws, len, detached, dlen, out, err, errlen);

    d1 = memchr(jws, '.', len);
    d2 = d1 ? memchr(d1 + 1, '.', len - (size_t) (d1 + 1 - jws)) : NULL;
    if (d1 == NULL || d2 == NULL ||
        memchr(d2 + 1, '.', len - (size_t) (d2 + 1 - jws)) != NULL)
        return fail(PT_JWS_ERR_MALFORMED, err, errlen,
                    "a compact JWS has exactly three base64url parts separated by '.'");
    return parse_parts(jws, (size_t) (d1 - jws),
                       d1 + 1, (size_t) (d2 - d1 - 1), d2 > d1 + 1,
                       d2 + 1, len - (size_t) (d2 + 1 - jws),
                       detached, dlen, out, err, errlen);
}

pt_jws_status
pt_jws_verify(const pt_jws_parsed *p, const pt_jws_key *keys, int nkeys,
              const pt_jws_key **used, char *err, size_t errlen)
{
    int         i;
    bool        tried = false;

    for (i = 0; i < nkeys; i++)
    {
        pt_jws_status st;

        if (p->kid[0] != '\0' && strcmp(p->kid, keys[i].kid) != 0)
            continue;
        if (keys[i].alg != p->alg)
        {
            if (p->kid[0] != '\0')
                return fail(PT_JWS_ERR_BAD_SIGNATURE, err, errlen,
                            "key %s is a %s key but the header says %s",
                            keys[i].kid, pt_jws_alg_name(keys[i].alg), p->alg_name);
            continue;
        }
        tried = true;
        st = pt_jws_verify_raw(&keys[i], (const unsigned char *) p->signing_input,
                               p->signing_input_len, p->sig, p->sig_len, err, errlen);
        if (st == PT_JWS_OK)
        {
            if (used)
                *used = &keys[i];
            return PT_JWS_OK;
        }
        if (st != PT_JWS_ERR_BAD_SIGNATURE)
            return st;
    }
    if (!tried)
        return p->kid[0] ?
            fail(PT_JWS_ERR_UNKNOWN_KEY, err, errlen, "no key has kid \"%s\"", p->kid) :
            fail(PT_JWS_ERR_UNKNOWN_KEY, err, errlen, "no %s key to verify with", p->alg_name);
    return fail(PT_JWS_ERR_BAD_SIGNATURE, err, errlen, "signature does not verify");
}
