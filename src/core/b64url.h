/*
 * b64url.h — base64url without padding (RFC 4648 section 5, RFC 7515 section 2).
 */
#ifndef PT_B64URL_H
#define PT_B64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Characters needed to encode n bytes (without NUL). */
#define B64URL_ENCODED_LEN(n) (((n) / 3) * 4 + (((n) % 3) ? ((n) % 3) + 1 : 0))

/* Encode n bytes into out (B64URL_ENCODED_LEN(n) + 1 bytes); returns length. */
size_t      b64url_encode(const unsigned char *in, size_t n, char *out);

/*
 * Strict decode: only the URL-safe alphabet, no padding, no whitespace, and
 * the unused low bits of the last character must be zero. out needs
 * (n * 3) / 4 + 1 bytes. Returns false on bad input.
 */
bool        b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen);

#endif                          /* PT_B64URL_H */
