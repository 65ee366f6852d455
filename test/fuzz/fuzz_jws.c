/*
 * fuzz_jws.c — libFuzzer harness for the JWS parser (compact and JSON
 * serialisations, with and without a detached payload), the JWK reader and
 * base64url. Properties: no crash or sanitizer report; a parsed token has a
 * 64-byte signature and a known alg; verification against the RFC 8037 key
 * returns a status without crashing; an accepted JWK is public and has a
 * thumbprint; base64url decoding accepts only what encoding produces.
 */
#include "b64url.h"
#include "jws.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

int         LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pt_jws_key key;
static bool have_key = false;

static void
init_key(void)
{
    /* RFC 8037 A.1 public key */
    static const unsigned char x[32] = {
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
        0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a
    };
    EVP_PKEY   *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, sizeof(x));
    char        err[128];

    if (pk && pt_jws_key_init(&key, pk, err, sizeof(err)) == PT_JWS_OK)
        have_key = true;
    else
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_jws_parsed p;
    char        err[256];
    int         pass;

    if (!have_key)
        init_key();

    for (pass = 0; pass < 2; pass++)
    {
        /* second pass: the first 8 bytes (if any) are a detached payload */
        const char *det = pass ? (const char *) data : NULL;
        size_t      dlen = pass ? (size > 8 ? 8 : size) : 0;
        const char *tok = (const char *) data + dlen;
        size_t      tlen = size - dlen;

        if (pt_jws_parse(tok, tlen, det, dlen, &p, err, sizeof(err)) == PT_JWS_OK)
        {
            if (p.sig_len != 64 || p.alg == PT_JWS_ALG_UNKNOWN || p.signing_input == NULL)
                abort();
            (void) pt_jws_verify(&p, &key, 1, NULL, err, sizeof(err));
            pt_jws_parsed_free(&p);
        }
    }

    /* JWK reader: a key it accepts has a thumbprint and no private part */
    {
        pt_jws_key  k;

        if (pt_jws_key_from_jwk((const char *) data, size, &k, err, sizeof(err)) == PT_JWS_OK)
        {
            if (k.has_private || strlen(k.kid) != PT_JWS_KID_LEN)
                abort();
            pt_jws_key_release(&k);
        }
    }

    /* base64url: decode, re-encode, compare */
    {
        unsigned char *dec = malloc(size * 3 / 4 + 2);
        char       *enc;
        size_t      dlen;

        if (b64url_decode((const char *) data, size, dec, &dlen))
        {
            enc = malloc(B64URL_ENCODED_LEN(dlen) + 1);
            if (b64url_encode(dec, dlen, enc) != size || memcmp(enc, data, size) != 0)
                abort();
            free(enc);
        }
        free(dec);
    }
    return 0;
}
