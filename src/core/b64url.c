/*
 * b64url.c — base64url encoding without padding, strict decoding.
 */
#include "b64url.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
b64url_encode(const unsigned char *in, size_t n, char *out)
{
    size_t      i,
                o = 0;

    for (i = 0; i + 2 < n; i += 3)
    {
        unsigned long v = ((unsigned long) in[i] << 16) | ((unsigned long) in[i + 1] << 8) | in[i + 2];

        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1)
    {
        out[o++] = alphabet[in[i] >> 2];
        out[o++] = alphabet[(in[i] & 3) << 4];
    }
    else if (n - i == 2)
    {
        out[o++] = alphabet[in[i] >> 2];
        out[o++] = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[o++] = alphabet[(in[i + 1] & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

static int
b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

bool
b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen)
{
    size_t      i,
                o = 0;
    unsigned long acc = 0;
    int         bits = 0;

    if (n % 4 == 1)
        return false;
    for (i = 0; i < n; i++)
    {
        int         v = b64url_value((unsigned char) in[i]);

        if (v < 0)
            return false;
        acc = (acc << 6) | (unsigned long) v;
        bits += 6;
        if (bits >= 8)
        {
            bits -= 8;
            out[o++] = (unsigned char) (acc >> bits);
            acc &= (1UL << bits) - 1;
        }
    }
    if (acc != 0)               /* non-canonical trailing bits */
        return false;
    *outlen = o;
    return true;
}
