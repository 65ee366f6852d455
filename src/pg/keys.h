/*
 * keys.h — server-side signing keys and JWS for other C code of pgtrace.
 *
 * The keys come from the file named by pgtrace.signing_key_file (the first
 * key signs; every key there and in pgtrace.verify_key_file verifies). They
 * are loaded once per backend, cached, and reloaded when a setting or a
 * file changes. Nothing here ever returns private key material.
 *
 * All functions raise an ERROR (ereport) on failure and return palloc'ed
 * memory in the current memory context.
 */
#ifndef PGTRACE_KEYS_H
#define PGTRACE_KEYS_H

#include "utils/jsonb.h"

/*
 * Compact JWS over payload bytes (which should be canonical JSON: use
 * pt_canonical_jsonb or pt_jws_sign_jsonb), with the header
 * {"alg","iat","jti","kid","typ":"JOSE"}; detached leaves the payload part
 * empty. Raises 55000 with a hint when no signing key is configured.
 */
extern char *pt_jws_sign_payload(const char *payload, size_t len, bool detached);

/* Canonical (RFC 8785) UTF-8 form of a jsonb value, and its compact JWS. */
extern char *pt_canonical_jsonb(Jsonb *jb, size_t *len);
extern char *pt_jws_sign_jsonb(Jsonb *jb, bool detached);

/*
 * Verify a compact or JSON-serialised JWS with the configured keys. For a
 * detached JWS pass the payload bytes, else NULL. Returns the payload bytes
 * (NUL-terminated; length in *payload_len) and, if header is not NULL, the
 * decoded protected header JSON. Raises 22P02 (malformed), 22023
 * (unsupported alg / crit) or 28000 (unknown key, bad signature).
 */
extern char *pt_jws_verify_token(const char *jws, size_t len,
                                 const char *detached, size_t dlen,
                                 size_t *payload_len, char **header);

/*
 * Verify with one given public JWK (a partner's key) instead of the
 * configured keys; same results and errors, and 22023 for a JWK that is not
 * a usable public Ed25519 or SM2 key (a JWK with a private part is refused).
 */
extern char *pt_jws_verify_with_jwk(const char *jws, size_t len,
                                    const char *jwk, size_t jwklen,
                                    const char *detached, size_t dlen,
                                    size_t *payload_len, char **header);

/* RFC 7638 thumbprint of a public JWK (22023 if unusable). */
extern char *pt_jwk_thumbprint(const char *jwk, size_t jwklen);

/* kid (RFC 7638 thumbprint) and JOSE alg of the current signing key, or NULL. */
extern const char *pt_signing_kid(void);
extern const char *pt_signing_alg(void);

#endif                          /* PGTRACE_KEYS_H */
