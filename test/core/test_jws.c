/*
 * test_jws.c — JWS known answers and rejections: RFC 8037 Appendix A
 * (Ed25519 key, thumbprint, JWS), SM3("abc"), the SM2 examples of
 * GB/T 32918.2 and 32918.5, SM2 round trips with r||s signatures, detached and
 * JSON serialisations, key rotation, and malformed or tampered tokens.
 * Prints TAP. Run from the repository root (or set PT_TOP).
 */
#include "b64url.h"
#include "jcs.h"
#include "jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

static int  test_no = 0;
static int  failures = 0;
static char err[256];

static void
ok(int cond, const char *name)
{
    test_no++;
    if (!cond)
        failures++;
    printf("%sok %d - %s\n", cond ? "" : "not ", test_no, name);
    if (!cond && err[0])
        printf("# last error: %s\n", err);
}

static char *
slurp(const char *rel, size_t *len)
{
    char        path[1024];
    const char *top = getenv("PT_TOP");
    FILE       *f;
    char       *data;
    long        n;

    snprintf(path, sizeof(path), "%s/test/data/keys/%s", top ? top : ".", rel);
    f = fopen(path, "rb");
    if (f == NULL)
    {
        printf("# cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t) n + 1);
    if (fread(data, 1, (size_t) n, f) != (size_t) n)
        n = 0;
    data[n] = '\0';
    fclose(f);
    *len = (size_t) n;
    return data;
}

static int
load(const char *rel, bool priv, pt_jws_key **keys)
{
    size_t      len;
    char       *pem = slurp(rel, &len);
    int         n = 0;

    *keys = NULL;
    if (pem == NULL)
        return 0;
    if (pt_jws_keys_from_pem(pem, len, priv, keys, &n, err, sizeof(err)) != PT_JWS_OK)
        n = 0;
    free(pem);
    return n;
}

/* Value of "name=" in sm2_vectors.txt (static buffer). */
static const char *
vector(const char *name)
{
    static char val[256];
    size_t      len,
                nlen = strlen(name);
    char       *data = slurp("sm2_vectors.txt", &len);
    char       *line;

    val[0] = '\0';
    if (data == NULL)
        return val;
    for (line = strtok(data, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, name, nlen) == 0 && line[nlen] == '=')
            snprintf(val, sizeof(val), "%s", line + nlen + 1);
    free(data);
    return val;
}

static void
hex2bin(const char *hex, unsigned char *out, size_t n)
{
    size_t      i;

    for (i = 0; i < n; i++)
        sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/*
 * SM2 verification written out as GB/T 32918.2 section 7 describes it, for the
 * standard's own test curve (OpenSSL 3.0's SM2 key manager accepts only the
 * SM2 curve): Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA),
 * e = SM3(Z || M), t = r + s mod n, (x1, y1) = [s]G + [t]P, valid when
 * (e + x1) mod n = r. Uses pt_sm3 from the core.
 */
static int
sm2_verify_by_the_standard(const EC_GROUP *group, const BIGNUM *a, const BIGNUM *b,
                           const unsigned char gen[65], const unsigned char pub[65],
                           const char *id, const char *msg, const unsigned char sig[64])
{
    unsigned char zin[2 + 64 + 6 * 32],
               *q = zin,
                z[32],
                e[32];
    unsigned char *em = malloc(32 + strlen(msg));
    size_t      idlen = strlen(id);
    BN_CTX     *ctx = BN_CTX_new();
    BIGNUM     *r = BN_bin2bn(sig, 32, NULL),
               *s = BN_bin2bn(sig + 32, 32, NULL),
               *t = BN_new(),
               *ev = NULL,
               *x1 = BN_new(),
               *n = BN_new(),
               *R = BN_new();
    EC_POINT   *P = EC_POINT_new(group),
               *X = EC_POINT_new(group);
    int         valid = 0;

    *q++ = (unsigned char) ((idlen * 8) >> 8);
    *q++ = (unsigned char) (idlen * 8);
    memcpy(q, id, idlen);
    q += idlen;
    BN_bn2binpad(a, q, 32);
    BN_bn2binpad(b, q + 32, 32);
    memcpy(q + 64, gen + 1, 64);
    memcpy(q + 128, pub + 1, 64);
    q += 192;
    if (!pt_sm3(zin, (size_t) (q - zin), z))
        goto done;
    memcpy(em, z, 32);
    memcpy(em + 32, msg, strlen(msg));
    if (!pt_sm3(em, 32 + strlen(msg), e))
        goto done;
    ev = BN_bin2bn(e, 32, NULL);
    EC_GROUP_get_order(group, n, ctx);
    BN_mod_add(t, r, s, n, ctx);
    if (BN_is_zero(t) || !EC_POINT_oct2point(group, P, pub, 65, ctx) ||
        !EC_POINT_mul(group, X, s, P, t, ctx) ||
        !EC_POINT_get_affine_coordinates(group, X, x1, NULL, ctx))
        goto done;
    BN_mod_add(R, ev, x1, n, ctx);
    valid = BN_cmp(R, r) == 0;
done:
    free(em);
    BN_free(r);
    BN_free(s);
    BN_free(t);
    BN_free(ev);
    BN_free(x1);
    BN_free(n);
    BN_free(R);
    EC_POINT_free(P);
    EC_POINT_free(X);
    BN_CTX_free(ctx);
    return valid;
}

/*
 * Verify one of the GB/T SM2 examples: on the SM2 curve through pt_sm2_verify
 * (the product path), on the standard's test curve by its written-out steps.
 */
static int
sm2_example(const char *which, bool explicit_curve)
{
    char        k[64];
    unsigned char sig[64],
                pub[65];
    BIGNUM     *p = NULL,
               *a = NULL,
               *b = NULL,
               *n = NULL,
               *priv = NULL,
               *one = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY   *pkey = NULL;
    EC_GROUP   *group = NULL;
    EC_POINT   *pt = NULL;
    char        id[64],
                msg[64];
    int         result = 0;

#define V(f) (snprintf(k, sizeof(k), "%s.%s", which, f), vector(k))
    hex2bin(V("r"), sig, 32);
    hex2bin(V("s"), sig + 32, 32);
    snprintf(id, sizeof(id), "%s", V("id"));
    snprintf(msg, sizeof(msg), "%s", V("msg"));
    BN_hex2bn(&priv, V("priv"));

    if (explicit_curve)
    {
        unsigned char gen[65];

        BN_hex2bn(&p, V("p"));
        BN_hex2bn(&a, V("a"));
        BN_hex2bn(&b, V("b"));
        BN_hex2bn(&n, V("n"));
        one = BN_new();
        BN_one(one);
        gen[0] = 4;
        hex2bin(V("gx"), gen + 1, 32);
        hex2bin(V("gy"), gen + 33, 32);
        group = EC_GROUP_new_curve_GFp(p, a, b, NULL);
        pt = EC_POINT_new(group);
        EC_POINT_oct2point(group, pt, gen, 65, NULL);
        EC_GROUP_set_generator(group, pt, n, one);
    }
    else
    {
        group = EC_GROUP_new_by_curve_name(NID_sm2);
        pt = EC_POINT_new(group);
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0);
    }
    /* public key = priv * G; for 32918.2 it must equal the published point */
    EC_POINT_mul(group, pt, priv, NULL, NULL, NULL);
    EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL);
    if (explicit_curve)
    {
        unsigned char want[64];

        hex2bin(V("px"), want, 32);
        hex2bin(V("py"), want + 32, 32);
        if (memcmp(pub + 1, want, 64) != 0)
        {
            printf("# %s: public key does not match the private key\n", which);
            goto done;
        }
    }
    if (explicit_curve)
    {
        unsigned char gen[65];

        gen[0] = 4;
        hex2bin(V("gx"), gen + 1, 32);
        hex2bin(V("gy"), gen + 33, 32);
        result = sm2_verify_by_the_standard(group, a, b, gen, pub, id, msg, sig);
        msg[0] ^= 1;
        result = result && !sm2_verify_by_the_standard(group, a, b, gen, pub, id, msg, sig);
        goto done;
    }
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
    params = OSSL_PARAM_BLD_to_param(bld);
    ERR_clear_error();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
        printf("# %s: cannot build the public key: %s\n", which, ERR_error_string(ERR_get_error(), NULL));
        goto done;
    }
    result = pt_sm2_verify(pkey, id, strlen(id), (unsigned char *) msg, strlen(msg), sig,
                           err, sizeof(err)) == PT_JWS_OK;
    if (result)
    {
        /* and a changed message fails */
        msg[0] ^= 1;
        result = pt_sm2_verify(pkey, id, strlen(id), (unsigned char *) msg, strlen(msg), sig,
                               err, sizeof(err)) == PT_JWS_ERR_BAD_SIGNATURE;
        msg[0] ^= 1;
    }
    if (result && !explicit_curve)
    {
        /* the written-out steps agree with OpenSSL on the SM2 curve */
        unsigned char gen[65];
        BIGNUM     *ca = BN_new(),
                   *cb = BN_new();

        EC_GROUP_get_curve(group, NULL, ca, cb, NULL);
        EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED,
                           gen, 65, NULL);
        result = sm2_verify_by_the_standard(group, ca, cb, gen, pub, id, msg, sig);
        BN_free(ca);
        BN_free(cb);
    }
    if (result && !explicit_curve)
    {
        /* through the JWS key path too (recommended curve, standard ID) */
        pt_jws_key  key;

        result = pt_jws_key_init(&key, pkey, err, sizeof(err)) == PT_JWS_OK &&
            key.alg == PT_JWS_SM2SM3 &&
            pt_jws_verify_raw(&key, (unsigned char *) msg, strlen(msg), sig, 64,
                              err, sizeof(err)) == PT_JWS_OK;
        free(key.thumbprint_input);
    }
done:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EC_POINT_free(pt);
    EC_GROUP_free(group);
    BN_free(p);
    BN_free(a);
    BN_free(b);
    BN_free(n);
    BN_free(one);
    BN_free(priv);
    return result;
#undef V
}

/* Parse and verify a token; returns the status. */
static pt_jws_status
check(const char *jws, const char *detached, const pt_jws_key *keys, int nkeys)
{
    pt_jws_parsed p;
    pt_jws_status st;

    err[0] = '\0';
    st = pt_jws_parse(jws, strlen(jws), detached, detached ? strlen(detached) : 0, &p,
                      err, sizeof(err));
    if (st != PT_JWS_OK)
        return st;
    st = pt_jws_verify(&p, keys, nkeys, NULL, err, sizeof(err));
    pt_jws_parsed_free(&p);
    return st;
}

static const char rfc_jws[] =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

static void
test_rfc8037(pt_jws_key *k)
{
    char       *jws = NULL,
               *jwk = NULL;
    size_t      jwklen;
    const char  hdr[] = "{\"alg\":\"EdDSA\"}";
    const char  payload[] = "Example of Ed25519 signing";

    ok(k->alg == PT_JWS_EDDSA && k->has_private, "RFC 8037 A.1: Ed25519 private key loaded");
    ok(strcmp(k->thumbprint_input,
              "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}") == 0,
       "RFC 8037 A.2/A.3: public JWK members");
    ok(strcmp(k->kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k") == 0,
       "RFC 8037 A.3: RFC 7638 thumbprint");
    ok(pt_jws_sign_compact(k, hdr, strlen(hdr), payload, strlen(payload), false, &jws,
                           err, sizeof(err)) == PT_JWS_OK && strcmp(jws, rfc_jws) == 0,
       "RFC 8037 A.4: compact JWS equals the published one");
    free(jws);
    ok(check(rfc_jws, NULL, k, 1) == PT_JWS_OK, "RFC 8037 A.5: published JWS verifies");
    ok(pt_jws_public_jwk(k, &jwk, &jwklen) == PT_JWS_OK &&
       strcmp(jwk, "{\"alg\":\"EdDSA\",\"crv\":\"Ed25519\",\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\","
              "\"kty\":\"OKP\",\"use\":\"sig\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}") == 0,
       "public JWK: canonical, with kid, and no private member");
    if (jwk)
        printf("# %s\n", jwk);
    free(jwk);
}

static void
test_rejections(pt_jws_key *k, pt_jws_key *other)
{
    char        buf[512];
    size_t      n = strlen(rfc_jws);
    const char *dot2 = strrchr(rfc_jws, '.');

    /* a changed byte in each part */
    strcpy(buf, rfc_jws);
    buf[25] = buf[25] == 'A' ? 'B' : 'A';
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_BAD_SIGNATURE, "changed payload byte: bad signature");
    strcpy(buf, rfc_jws);
    buf[n - 5] = buf[n - 5] == 'A' ? 'B' : 'A';
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_BAD_SIGNATURE, "changed signature byte: bad signature");
    strcpy(buf, rfc_jws);
    buf[3] = 'i';               /* header no longer decodes to the same JSON */
    ok(check(buf, NULL, k, 1) != PT_JWS_OK, "changed header byte: rejected");

    /* wrong key */
    ok(check(rfc_jws, NULL, other, 1) == PT_JWS_ERR_BAD_SIGNATURE,
       "wrong key (no kid in header): bad signature");

    /* truncated */
    memcpy(buf, rfc_jws, n - 10);
    buf[n - 10] = '\0';
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "truncated signature: malformed");
    memcpy(buf, rfc_jws, (size_t) (dot2 - rfc_jws));
    buf[dot2 - rfc_jws] = '\0';
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "two parts only: malformed");
    ok(check("", NULL, k, 1) == PT_JWS_ERR_MALFORMED, "empty string: malformed");
    snprintf(buf, sizeof(buf), " %s\r\n", rfc_jws);
    ok(check(buf, NULL, k, 1) == PT_JWS_OK, "blanks around a token are ignored");
    ok(check("a.b.c.d", NULL, k, 1) == PT_JWS_ERR_MALFORMED, "four parts: malformed");

    /* bad base64url */
    strcpy(buf, rfc_jws);
    buf[25] = '+';
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "'+' in payload: bad base64url");
    snprintf(buf, sizeof(buf), "%s=", rfc_jws);
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "padding: bad base64url");
    strcpy(buf, rfc_jws);
    buf[n - 1] = 'h';           /* non-zero unused bits in the last character */
    ok(check(buf, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "non-canonical last character: malformed");

    /* bad JSON in the header, alg none, crit, duplicate member */
    {
        static const struct
        {
            const char *hdr;
            pt_jws_status st;
            const char *name;
        }           cases[] = {
            {"{\"alg\":\"EdDSA\",}", PT_JWS_ERR_MALFORMED, "header with a trailing comma: malformed"},
            {"[\"alg\"]", PT_JWS_ERR_MALFORMED, "header that is not an object: malformed"},
            {"{\"alg\":\"none\"}", PT_JWS_ERR_UNSUPPORTED, "alg none: unsupported"},
            {"{\"alg\":\"HS256\"}", PT_JWS_ERR_UNSUPPORTED, "alg HS256: unsupported"},
            {"{\"typ\":\"JOSE\"}", PT_JWS_ERR_MALFORMED, "no alg: malformed"},
            {"{\"alg\":\"EdDSA\",\"crit\":[\"exp\"],\"exp\":1}", PT_JWS_ERR_UNSUPPORTED, "crit: unsupported"},
            {"{\"alg\":\"EdDSA\",\"b64\":false}", PT_JWS_ERR_UNSUPPORTED, "b64 false: unsupported"},
            {"{\"alg\":\"EdDSA\",\"alg\":\"none\"}", PT_JWS_ERR_MALFORMED, "duplicate alg: malformed"},
        };
        size_t      i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        {
            char        h64[256];

            b64url_encode((const unsigned char *) cases[i].hdr, strlen(cases[i].hdr), h64);
            snprintf(buf, sizeof(buf), "%s%s", h64, strchr(rfc_jws, '.'));
            ok(check(buf, NULL, k, 1) == cases[i].st, cases[i].name);
        }
    }
}

static void
test_signing(pt_jws_key *k, pt_jws_key *rot, int nrot)
{
    char       *hdr = NULL,
               *jws = NULL;
    size_t      hlen;
    const char  payload[] = "{\"a\":1}";
    pt_jws_parsed p;
    const pt_jws_key *used = NULL;

    ok(pt_jws_header(k, 1700000000, "AAAAAAAAAAAAAAAAAAAAAA", "JOSE", &hdr, &hlen) == PT_JWS_OK &&
       strcmp(hdr, "{\"alg\":\"EdDSA\",\"iat\":1700000000,\"jti\":\"AAAAAAAAAAAAAAAAAAAAAA\","
              "\"kid\":\"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k\",\"typ\":\"JOSE\"}") == 0,
       "header: alg, iat, jti, kid, typ in canonical order");

    /* detached compact */
    ok(pt_jws_sign_compact(k, hdr, hlen, payload, strlen(payload), true, &jws, err, sizeof(err)) == PT_JWS_OK &&
       strstr(jws, "..") != NULL, "detached compact JWS has an empty payload part");
    ok(check(jws, payload, k, 1) == PT_JWS_OK, "detached JWS verifies with the payload supplied");
    ok(check(jws, "{\"a\":2}", k, 1) == PT_JWS_ERR_BAD_SIGNATURE, "detached JWS with another payload: bad signature");
    ok(check(jws, NULL, k, 1) == PT_JWS_ERR_MALFORMED, "detached JWS without a payload: malformed");
    free(jws);

    /* JSON serialisation */
    jws = NULL;
    ok(pt_jws_sign_json(k, hdr, hlen, payload, strlen(payload), false, &jws, err, sizeof(err)) == PT_JWS_OK &&
       strncmp(jws, "{\"payload\":\"eyJhIjoxfQ\",\"protected\":\"", 37) == 0,
       "flattened JSON serialisation");
    ok(pt_jws_parse(jws, strlen(jws), NULL, 0, &p, err, sizeof(err)) == PT_JWS_OK &&
       pt_jws_verify(&p, k, 1, &used, err, sizeof(err)) == PT_JWS_OK && used == k &&
       p.payload_len == strlen(payload) && memcmp(p.payload, payload, p.payload_len) == 0,
       "JSON serialisation verifies and returns the payload");
    pt_jws_parsed_free(&p);
    free(jws);
    jws = NULL;
    ok(pt_jws_sign_json(k, hdr, hlen, payload, strlen(payload), true, &jws, err, sizeof(err)) == PT_JWS_OK &&
       strstr(jws, "payload") == NULL && check(jws, payload, k, 1) == PT_JWS_OK,
       "detached JSON serialisation verifies with the payload supplied");
    free(jws);
    ok(check("{\"payload\":\"eyJhIjoxfQ\",\"protected\":\"eyJhbGciOiJFZERTQSJ9\",\"signature\":\"AAAA\",\"header\":{}}",
             NULL, k, 1) == PT_JWS_ERR_UNSUPPORTED, "JSON serialisation with an unprotected header: rejected");
    free(hdr);

    /* rotation: the first key signs; a token of the second still verifies */
    hdr = NULL;
    jws = NULL;
    ok(nrot == 2 && !rot[0].has_private == false && strcmp(rot[1].kid, k->kid) == 0,
       "rotation file: two keys, the RFC 8037 key second");
    if (nrot == 2 &&
        pt_jws_header(&rot[1], 1, "x", "JOSE", &hdr, &hlen) == PT_JWS_OK &&
        pt_jws_sign_compact(&rot[1], hdr, hlen, payload, strlen(payload), false, &jws, err, sizeof(err)) == PT_JWS_OK)
        ok(check(jws, NULL, rot, nrot) == PT_JWS_OK, "token of the retired key verifies against the key set");
    else
        ok(0, "token of the retired key verifies against the key set");
    ok(check(jws ? jws : "", NULL, rot, 1) == PT_JWS_ERR_UNKNOWN_KEY,
       "token whose kid is not configured: unknown key");
    free(hdr);
    free(jws);
}

static void
test_sm2(void)
{
    pt_jws_key *k = NULL,
               *pub = NULL,
               *ed = NULL;
    int         n = load("sm2.pem", true, &k),
                np = load("sm2.pub.pem", false, &pub),
                ne = load("rfc8037_ed25519.pem", true, &ed);
    char       *hdr = NULL,
               *jws = NULL,
               *jwk = NULL;
    size_t      hlen,
                jwklen;
    const char  payload[] = "{\"sm\":2}";

    ok(n == 1 && k[0].alg == PT_JWS_SM2SM3 && k[0].has_private, "SM2 private key loaded");
    ok(np == 1 && !pub[0].has_private && n == 1 && strcmp(pub[0].kid, k[0].kid) == 0,
       "SM2 public key loaded, same thumbprint");
    if (n != 1 || np != 1 || ne != 1)
    {
        ok(0, "SM2 keys available");
        goto done;
    }
    ok(pt_jws_header(k, 1700000000, "j", "JOSE", &hdr, &hlen) == PT_JWS_OK &&
       strncmp(hdr, "{\"alg\":\"SM2SM3\",", 16) == 0, "SM2 header names alg SM2SM3");
    ok(pt_jws_sign_compact(k, hdr, hlen, payload, strlen(payload), false, &jws, err, sizeof(err)) == PT_JWS_OK &&
       strlen(strrchr(jws, '.') + 1) == 86, "SM2 signature is 64 bytes (r||s)");
    ok(check(jws, NULL, pub, 1) == PT_JWS_OK, "SM2 JWS verifies with the public key");
    {
        char       *t = strdup(jws);

        t[strlen(t) - 3] = t[strlen(t) - 3] == 'A' ? 'B' : 'A';
        ok(check(t, NULL, pub, 1) == PT_JWS_ERR_BAD_SIGNATURE, "SM2 JWS with a changed byte: bad signature");
        free(t);
    }
    ok(check(jws, NULL, ed, 1) == PT_JWS_ERR_UNKNOWN_KEY, "SM2 JWS against an Ed25519 key set: unknown key");
    ok(pt_jws_public_jwk(k, &jwk, &jwklen) == PT_JWS_OK && strstr(jwk, "\"crv\":\"SM2\"") &&
       strstr(jwk, "\"y\":\"") && strstr(jwk, "\"d\"") == NULL, "SM2 public JWK has x, y and no d");
    {
        /* a header lying about alg is refused for a key of the other type */
        char        h64[200],
                    t[600];
        const char  lie[] = "{\"alg\":\"EdDSA\",\"kid\":\"";

        snprintf(t, sizeof(t), "%s%s\"}", lie, k->kid);
        b64url_encode((unsigned char *) t, strlen(t), h64);
        snprintf(t, sizeof(t), "%s%s", h64, strchr(jws, '.'));
        ok(check(t, NULL, pub, 1) == PT_JWS_ERR_BAD_SIGNATURE, "alg that contradicts the key type: rejected");
    }
    {
        unsigned char s1[64],
                    s2[64];
        size_t      l1,
                    l2;

        ok(pt_jws_sign_raw(k, (unsigned char *) "m", 1, s1, &l1, err, sizeof(err)) == PT_JWS_OK &&
           pt_jws_sign_raw(k, (unsigned char *) "m", 1, s2, &l2, err, sizeof(err)) == PT_JWS_OK &&
           pt_sm2_verify(k->pkey, "", 0, (unsigned char *) "m", 1, s1, err, sizeof(err)) == PT_JWS_ERR_BAD_SIGNATURE,
           "SM2 signs with the ID 1234567812345678 (an empty ID does not verify)");
        ok(pt_jws_sign_raw(pub, (unsigned char *) "m", 1, s1, &l1, err, sizeof(err)) == PT_JWS_ERR_KEY,
           "a public key cannot sign");
    }
done:
    free(hdr);
    free(jws);
    free(jwk);
    pt_jws_keys_free(k, n);
    pt_jws_keys_free(pub, np);
    pt_jws_keys_free(ed, ne);
}

static void
test_key_files(void)
{
    pt_jws_key *keys = NULL;
    int         n = 0;
    const char  junk[] = "not a key";
    const char  enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
    size_t      len;
    char       *pub = slurp("rfc8037_ed25519.pub.pem", &len);

    ok(pt_jws_keys_from_pem(junk, strlen(junk), true, &keys, &n, err, sizeof(err)) == PT_JWS_ERR_KEY,
       "text without PEM: no key found");
    ok(pt_jws_keys_from_pem(enc, strlen(enc), true, &keys, &n, err, sizeof(err)) == PT_JWS_ERR_KEY &&
       strstr(err, "ENCRYPTED") != NULL, "encrypted private key: refused with its PEM label named");
    ok(pub && pt_jws_keys_from_pem(pub, len, true, &keys, &n, err, sizeof(err)) == PT_JWS_ERR_KEY,
       "a public key in the signing key file: refused");
    free(pub);
    {
        /* ECDSA keys, also on the SM2 curve as plain "EC", are not ours */
        EVP_PKEY   *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY   *ecsm2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "SM2");
        pt_jws_key  k;

        ok(p256 && pt_jws_key_init(&k, p256, err, sizeof(err)) == PT_JWS_ERR_UNSUPPORTED,
           "a P-256 key: unsupported");
        ok(ecsm2 == NULL || !EVP_PKEY_is_a(ecsm2, "EC") ||
           pt_jws_key_init(&k, ecsm2, err, sizeof(err)) == PT_JWS_ERR_UNSUPPORTED,
           "an EC (ECDSA) key on the SM2 curve: unsupported");
        EVP_PKEY_free(p256);
        EVP_PKEY_free(ecsm2);
    }
}

/* Partner keys from JWKs: thumbprints, verification, refusals. */
static void
test_jwk(void)
{
    pt_jws_key  k,
               *sm2 = NULL;
    int         nsm2 = load("sm2.pem", true, &sm2);
    const char  rfc_jwk[] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
    pt_jws_parsed p;
    char       *jwk = NULL,
               *hdr = NULL,
               *jws = NULL;
    size_t      jlen,
                hlen;

    ok(pt_jws_key_from_jwk(rfc_jwk, strlen(rfc_jwk), &k, err, sizeof(err)) == PT_JWS_OK &&
       strcmp(k.kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k") == 0 && !k.has_private,
       "JWK (RFC 8037 A.2): public key with the RFC 7638 thumbprint");
    ok(pt_jws_parse(rfc_jws, strlen(rfc_jws), NULL, 0, &p, err, sizeof(err)) == PT_JWS_OK &&
       pt_jws_verify(&p, &k, 1, NULL, err, sizeof(err)) == PT_JWS_OK,
       "the RFC 8037 JWS verifies with the key read from the JWK");
    pt_jws_parsed_free(&p);
    pt_jws_key_release(&k);

    if (nsm2 == 1 && pt_jws_public_jwk(&sm2[0], &jwk, &jlen) == PT_JWS_OK &&
        pt_jws_key_from_jwk(jwk, jlen, &k, err, sizeof(err)) == PT_JWS_OK)
    {
        ok(strcmp(k.kid, sm2[0].kid) == 0 && k.alg == PT_JWS_SM2SM3,
           "SM2 JWK from public_jwk reads back with the same kid");
        ok(pt_jws_header(&sm2[0], 1, "j", "JOSE", &hdr, &hlen) == PT_JWS_OK &&
           pt_jws_sign_compact(&sm2[0], hdr, hlen, "{}", 2, false, &jws, err, sizeof(err)) == PT_JWS_OK &&
           check(jws, NULL, &k, 1) == PT_JWS_OK, "SM2 JWS verifies with the key read from the JWK");
        pt_jws_key_release(&k);
        {
            /* y of another point: off the curve */
            char       *y = strstr(jwk, "\"y\":\"") + 5;

            y[3] = y[3] == 'A' ? 'B' : 'A';
            ok(pt_jws_key_from_jwk(jwk, jlen, &k, err, sizeof(err)) == PT_JWS_ERR_MALFORMED,
               "SM2 JWK with a point off the curve: refused");
        }
    }
    else
        ok(0, "SM2 JWK round trip");
    free(jwk);
    free(hdr);
    free(jws);
    pt_jws_keys_free(sm2, nsm2);

    {
        static const struct
        {
            const char *jwk;
            pt_jws_status st;
            const char *name;
        }           bad[] = {
            {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}",
             PT_JWS_ERR_MALFORMED, "JWK with a private member: refused"},
            {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}",
             PT_JWS_ERR_MALFORMED, "JWK with a short x: refused"},
            {"{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", PT_JWS_ERR_UNSUPPORTED, "RSA JWK: unsupported"},
            {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
             PT_JWS_ERR_UNSUPPORTED, "X25519 JWK: unsupported"},
            {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"SM2SM3\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
             PT_JWS_ERR_MALFORMED, "JWK whose alg contradicts its type: refused"},
            {"[1]", PT_JWS_ERR_MALFORMED, "JWK that is not an object: refused"},
        };
        size_t      i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        {
            pt_jws_status st = pt_jws_key_from_jwk(bad[i].jwk, strlen(bad[i].jwk), &k, err, sizeof(err));

            ok(st == bad[i].st, bad[i].name);
            if (st == PT_JWS_OK)
                pt_jws_key_release(&k);
        }
    }
}

int
main(void)
{
    unsigned char d[32];
    char        hex[65];
    int         i;
    pt_jws_key *k = NULL,
               *other = NULL,
               *rot = NULL;
    int         nk,
                no,
                nr;

    ok(pt_sm3((const unsigned char *) "abc", 3, d), "SM3 available");
    for (i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    ok(strcmp(hex, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0") == 0,
       "SM3(\"abc\") known answer (GB/T 32905 A.1)");

    nk = load("rfc8037_ed25519.pem", true, &k);
    no = load("second_ed25519.pub.pem", false, &other);
    nr = load("rotation.pem", true, &rot);
    ok(nk == 1 && no == 1 && nr == 2, "test keys load");
    if (nk == 1 && no == 1)
    {
        test_rfc8037(k);
        test_rejections(k, other);
        test_signing(k, rot, nr);
    }
    ok(sm2_example("gbt32918_5", false), "GB/T 32918.5 Annex A SM2 example verifies (recommended curve)");
    ok(sm2_example("gbt32918_2", true),
       "GB/T 32918.2 Appendix A SM2 example verifies (test curve, ID ALICE123@YAHOO.COM, SM3 from the core)");
    test_sm2();
    test_key_files();
    test_jwk();

    pt_jws_keys_free(k, nk);
    pt_jws_keys_free(other, no);
    pt_jws_keys_free(rot, nr);
    printf("1..%d\n", test_no);
    return failures != 0;
}
