/*
 * jws.h — JSON Web Signature (RFC 7515) with Ed25519 (RFC 8037 "EdDSA") and
 * SM2-with-SM3 (GB/T 32918.2 + GB/T 32905; JOSE alg name "SM2SM3", signature
 * r||s of 32 bytes each, distinguishing ID "1234567812345678"), public JWKs
 * and RFC 7638 thumbprints. Pure C on OpenSSL 3 EVP; no PostgreSQL headers.
 *
 * Functions return a pt_jws_status and write a message into err (errlen
 * bytes); on error nothing is left allocated. Output strings come from malloc.
 */
#ifndef PT_JWS_H
#define PT_JWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define PT_JWS_SM2_ID        "1234567812345678"
#define PT_JWS_KID_LEN       43     /* base64url of a SHA-256 digest */
#define PT_JWS_SIG_MAX       64     /* Ed25519 and SM2 r||s are both 64 bytes */

typedef enum pt_jws_alg
{
    PT_JWS_ALG_UNKNOWN = 0,
    PT_JWS_EDDSA,               /* Ed25519, JOSE "EdDSA" */
    PT_JWS_SM2SM3               /* SM2 signature over SM3, JOSE "SM2SM3" (private use) */
} pt_jws_alg;

typedef enum pt_jws_status
{
    PT_JWS_OK = 0,
    PT_JWS_ERR_MALFORMED,       /* not a JWS: bad structure, base64url or JSON */
    PT_JWS_ERR_UNSUPPORTED,     /* unknown alg, "crit", "b64": false, key type */
    PT_JWS_ERR_UNKNOWN_KEY,     /* no configured key matches kid / alg */
    PT_JWS_ERR_BAD_SIGNATURE,   /* signature does not verify */
    PT_JWS_ERR_KEY,             /* a key file could not be read or used */
    PT_JWS_ERR_CRYPTO,          /* OpenSSL failed */
    PT_JWS_ERR_NOMEM
} pt_jws_status;

/* A loaded key: private (signs and verifies) or public (verifies). */
typedef struct pt_jws_key
{
    EVP_PKEY   *pkey;
    pt_jws_alg  alg;
    bool        has_private;
    char        kid[PT_JWS_KID_LEN + 1];   /* RFC 7638 thumbprint */
    char       *thumbprint_input;           /* the JWK members hashed for kid */
} pt_jws_key;

const char *pt_jws_alg_name(pt_jws_alg alg);
pt_jws_alg  pt_jws_alg_from_name(const char *name);

/*
 * Read every key in a PEM text (PKCS#8 "PRIVATE KEY", "PUBLIC KEY"; Ed25519
 * or SM2). With want_private every block must be a private key. *keys is a
 * malloc'ed array of *nkeys entries (free with pt_jws_keys_free).
 */
pt_jws_status pt_jws_keys_from_pem(const char *pem, size_t len, bool want_private,
                                   pt_jws_key **keys, int *nkeys,
                                   char *err, size_t errlen);
/* Wrap one EVP_PKEY (reference taken over on success). */
pt_jws_status pt_jws_key_init(pt_jws_key *key, EVP_PKEY *pkey, char *err, size_t errlen);
void        pt_jws_keys_free(pt_jws_key *keys, int nkeys);

/*
 * A public key from a JWK (RFC 7517): {"kty":"OKP","crv":"Ed25519","x"} or
 * {"kty":"EC","crv":"SM2","x","y"}. A JWK holding a private member ("d") is
 * refused; "alg" and "use", when present, must fit ("EdDSA"/"SM2SM3", "sig").
 * Free the key with pt_jws_key_release.
 */
pt_jws_status pt_jws_key_from_jwk(const char *json, size_t len, pt_jws_key *key,
                                  char *err, size_t errlen);
void        pt_jws_key_release(pt_jws_key *key);

/*
 * The public JWK of a key as canonical JSON, with "alg", "kid" and
 * "use":"sig" added to the thumbprint members. Never any private part.
 */
pt_jws_status pt_jws_public_jwk(const pt_jws_key *key, char **out, size_t *outlen);

/* Raw signature over msg (64 bytes into sig) and its verification. */
pt_jws_status pt_jws_sign_raw(const pt_jws_key *key, const unsigned char *msg, size_t len,
                              unsigned char sig[PT_JWS_SIG_MAX], size_t *siglen,
                              char *err, size_t errlen);
pt_jws_status pt_jws_verify_raw(const pt_jws_key *key, const unsigned char *msg, size_t len,
                                const unsigned char *sig, size_t siglen,
                                char *err, size_t errlen);

/* SM2 with SM3 and an explicit distinguishing ID (r||s signatures). */
pt_jws_status pt_sm2_sign(EVP_PKEY *pkey, const char *id, size_t idlen,
                          const unsigned char *msg, size_t len, unsigned char sig[64],
                          char *err, size_t errlen);
pt_jws_status pt_sm2_verify(EVP_PKEY *pkey, const char *id, size_t idlen,
                            const unsigned char *msg, size_t len, const unsigned char sig[64],
                            char *err, size_t errlen);

/*
 * The protected header pt_jws_sign_* write: {"alg","iat","jti","kid","typ"}
 * in canonical order. jti is the caller's unique token id (printable ASCII).
 */
pt_jws_status pt_jws_header(const pt_jws_key *key, int64_t iat, const char *jti,
                            const char *typ, char **out, size_t *outlen);

/*
 * Compact serialisation BASE64URL(header).BASE64URL(payload).BASE64URL(sig);
 * with detached the middle part is left empty (RFC 7515 appendix F).
 */
pt_jws_status pt_jws_sign_compact(const pt_jws_key *key,
                                  const char *header, size_t hlen,
                                  const char *payload, size_t plen, bool detached,
                                  char **out, char *err, size_t errlen);

/*
 * Flattened JSON serialisation {"payload":..,"protected":..,"signature":..}
 * (RFC 7515 section 7.2.2); with detached, "payload" is omitted.
 */
pt_jws_status pt_jws_sign_json(const pt_jws_key *key,
                               const char *header, size_t hlen,
                               const char *payload, size_t plen, bool detached,
                               char **out, char *err, size_t errlen);

/* A parsed JWS (either serialisation), before verification. */
typedef struct pt_jws_parsed
{
    char       *signing_input;  /* BASE64URL(header) '.' BASE64URL(payload) */
    size_t      signing_input_len;
    char       *header;         /* decoded protected header JSON */
    size_t      header_len;
    unsigned char *payload;     /* decoded payload bytes (NUL-terminated) */
    size_t      payload_len;
    unsigned char sig[PT_JWS_SIG_MAX];
    size_t      sig_len;
    pt_jws_alg  alg;
    char        alg_name[32];
    char        kid[128];       /* empty when the header has none */
} pt_jws_parsed;

/*
 * Parse a compact or JSON-serialised JWS. For a detached JWS pass the
 * payload bytes (otherwise NULL); a payload both embedded and supplied must
 * match. Rejects unknown "alg", any "crit" and "b64":false.
 */
pt_jws_status pt_jws_parse(const char *jws, size_t len,
                           const char *detached, size_t dlen,
                           pt_jws_parsed *out, char *err, size_t errlen);
void        pt_jws_parsed_free(pt_jws_parsed *p);

/*
 * Verify against a set of keys: the key whose thumbprint equals the header's
 * kid (or, without kid, every key of the header's alg). The key's algorithm
 * must be the header's. On success *used (if not NULL) is the key.
 */
pt_jws_status pt_jws_verify(const pt_jws_parsed *p, const pt_jws_key *keys, int nkeys,
                            const pt_jws_key **used, char *err, size_t errlen);

/* SM3 digest (32 bytes) through EVP; false if OpenSSL lacks SM3. */
bool        pt_sm3(const unsigned char *msg, size_t len, unsigned char out[32]);

#endif                          /* PT_JWS_H */
