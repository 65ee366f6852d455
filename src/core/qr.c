/*
 * qr.c — QR Code symbols from libqrencode, rendered as SVG and PNG.
 *
 * The PNG writer is self-contained: 1-bit greyscale rows in a zlib stream of
 * stored deflate blocks (RFC 1950/1951), with our own CRC-32 and Adler-32.
 * A QR image is small (tens of kilobytes uncompressed at print sizes), so
 * compression would save bytes, not time, and no compression library is
 * linked.
 */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 8-bit mode capacity of a version 40 symbol (ISO/IEC 18004 table 7). */
static const size_t capacity_v40[4] = {2953, 2331, 1663, 1273};

int
qr_ecc_from_name(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[1] != '\0')
        return -1;
    switch (name[0])
    {
        case 'L': case 'l': return QR_ECC_L;
        case 'M': case 'm': return QR_ECC_M;
        case 'Q': case 'q': return QR_ECC_Q;
        case 'H': case 'h': return QR_ECC_H;
        default: return -1;
    }
}

const char *
qr_ecc_name(qr_ecc ecc)
{
    static const char *names[4] = {"L", "M", "Q", "H"};

    return (ecc >= QR_ECC_L && ecc <= QR_ECC_H) ? names[ecc] : "?";
}

size_t
qr_capacity_bytes(qr_ecc ecc)
{
    return (ecc >= QR_ECC_L && ecc <= QR_ECC_H) ? capacity_v40[ecc] : 0;
}

/* True when the bytes are well-formed UTF-8 (RFC 3629: no overlongs, no surrogates). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
    size_t      i = 0;

    while (i < n)
    {
        unsigned char c = s[i];
        size_t      k;
        uint32_t    cp;

        if (c < 0x80)
        {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return false;
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++)
        {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

static bool
all_ascii(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return false;
    return true;
}

qr_status
qr_encode(const unsigned char *data, size_t len, qr_ecc ecc,
          qr_symbol *sym, char *err, size_t errlen)
{
    static const QRecLevel levels[4] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
    QRcode     *code = NULL;
    bool        eci = false;

    if (ecc < QR_ECC_L || ecc > QR_ECC_H)
    {
        snprintf(err, errlen, "unknown error correction level");
        return QR_BAD_PARAM;
    }
    if (len > 7089)             /* the numeric-mode maximum of version 40-L */
    {
        snprintf(err, errlen, "text of %zu bytes does not fit in a QR code at error correction level %s",
                 len, qr_ecc_name(ecc));
        return QR_TOO_LONG;
    }
    if (len == 0)
    {
        snprintf(err, errlen, "empty text cannot be encoded as a QR code");
        return QR_BAD_PARAM;
    }

    errno = 0;
    if (!all_ascii(data, len) && valid_utf8(data, len))
    {
        /* UTF-8 text: ECI 000026, then the bytes in 8-bit mode. */
        QRinput    *in = QRinput_new2(0, levels[ecc]);

        if (in == NULL)
        {
            snprintf(err, errlen, "out of memory");
            return QR_NO_MEMORY;
        }
        if (QRinput_appendECIheader(in, 26) == 0 &&
            QRinput_append(in, QR_MODE_8, (int) len, data) == 0)
            code = QRcode_encodeInput(in);
        QRinput_free(in);
        eci = true;
    }
    else if (memchr(data, '\0', len) == NULL)
    {
        /* numeric / alphanumeric / 8-bit segments, chosen by libqrencode */
        char       *s = malloc(len + 1);

        if (s == NULL)
        {
            snprintf(err, errlen, "out of memory");
            return QR_NO_MEMORY;
        }
        memcpy(s, data, len);
        s[len] = '\0';
        code = QRcode_encodeString(s, 0, levels[ecc], QR_MODE_8, 1);
        free(s);
    }
    else
        code = QRcode_encodeData((int) len, data, 0, levels[ecc]);

    if (code == NULL)
    {
        if (errno == ERANGE)
        {
            snprintf(err, errlen, "text of %zu bytes does not fit in a QR code at error correction level %s",
                     len, qr_ecc_name(ecc));
            return QR_TOO_LONG;
        }
        if (errno == ENOMEM)
        {
            snprintf(err, errlen, "out of memory");
            return QR_NO_MEMORY;
        }
        snprintf(err, errlen, "libqrencode could not encode the text (errno %d)", errno);
        return QR_FAILED;
    }
    if (code->width < 21 || code->width > QR_MAX_WIDTH)
    {
        QRcode_free(code);
        snprintf(err, errlen, "libqrencode returned a symbol of unexpected width");
        return QR_FAILED;
    }
    sym->version = code->version;
    sym->width = code->width;
    sym->ecc = ecc;
    sym->eci_utf8 = eci;
    for (int i = 0; i < code->width * code->width; i++)
        sym->modules[i] = code->data[i] & 1;
    QRcode_free(code);
    return QR_OK;
}

qr_status
qr_check_layout(int module, int quiet, char *err, size_t errlen)
{
    if (module < 1 || module > QR_MAX_MODULE)
    {
        snprintf(err, errlen, "module size %d is out of range: it must be between 1 and %d", module, QR_MAX_MODULE);
        return QR_BAD_PARAM;
    }
    if (quiet < 0 || quiet > QR_MAX_QUIET)
    {
        snprintf(err, errlen, "quiet zone %d is out of range: it must be between 0 and %d modules", quiet, QR_MAX_QUIET);
        return QR_BAD_PARAM;
    }
    return QR_OK;
}

int
qr_image_side(const qr_symbol *sym, int module, int quiet)
{
    return (sym->width + 2 * quiet) * module;
}

/* ---------------------------------------------------------------- SVG */

static char *
put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static char *
put_int(char *p, int v)
{
    char        tmp[12];
    int         n = 0;

    if (v < 0)
    {
        *p++ = '-';
        v = -v;
    }
    do
    {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

#define SVG_FIXED 400           /* header, background, path element, footer */
#define SVG_RUN   26            /* "M123 123h123v1h-123z" at most */

size_t
qr_svg_size(const qr_symbol *sym, int module, int quiet)
{
    size_t      runs = (size_t) sym->width * (size_t) ((sym->width + 1) / 2);

    return SVG_FIXED + runs * SVG_RUN + 1;
}

size_t
qr_render_svg(const qr_symbol *sym, int module, int quiet, char *out, size_t cap)
{
    int         n = sym->width;
    int         side = n + 2 * quiet;
    int         px = side * module;
    char       *p = out;

    if (cap < qr_svg_size(sym, module, quiet))
        return 0;
    p = put_str(p, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"");
    p = put_int(p, px);
    p = put_str(p, "\" height=\"");
    p = put_int(p, px);
    p = put_str(p, "\" viewBox=\"0 0 ");
    p = put_int(p, side);
    *p++ = ' ';
    p = put_int(p, side);
    p = put_str(p, "\" shape-rendering=\"crispEdges\"><rect width=\"");
    p = put_int(p, side);
    p = put_str(p, "\" height=\"");
    p = put_int(p, side);
    p = put_str(p, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
    for (int y = 0; y < n; y++)
    {
        const unsigned char *row = sym->modules + (size_t) y * n;
        int         x = 0;

        while (x < n)
        {
            int         start;

            while (x < n && !row[x])
                x++;
            if (x >= n)
                break;
            start = x;
            while (x < n && row[x])
                x++;
            *p++ = 'M';
            p = put_int(p, start + quiet);
            *p++ = ' ';
            p = put_int(p, y + quiet);
            *p++ = 'h';
            p = put_int(p, x - start);
            p = put_str(p, "v1h-");
            p = put_int(p, x - start);
            *p++ = 'z';
        }
    }
    p = put_str(p, "\"/></svg>");
    *p = '\0';
    return (size_t) (p - out);
}

/* ---------------------------------------------------------------- PNG */

static uint32_t crc_table[256];
static bool crc_ready = false;

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++)
    {
        uint32_t    c = i;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    crc_ready = true;
}

uint32_t
qr_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
    if (!crc_ready)
        crc_init();
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

uint32_t
qr_adler32(uint32_t adler, const unsigned char *p, size_t n)
{
    uint32_t    a = adler & 0xFFFF,
                b = adler >> 16;

    while (n > 0)
    {
        size_t      chunk = n < 5552 ? n : 5552;    /* no overflow before the modulo */

        n -= chunk;
        while (chunk--)
        {
            a += *p++;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

#define STORED_MAX 65535

static size_t
png_raw_size(int px)
{
    return (size_t) px * (size_t) (1 + (px + 7) / 8);
}

size_t
qr_png_size(const qr_symbol *sym, int module, int quiet)
{
    int         px = qr_image_side(sym, module, quiet);
    size_t      raw = png_raw_size(px);
    size_t      blocks = (raw + STORED_MAX - 1) / STORED_MAX;
    size_t      zlib = 2 + raw + 5 * blocks + 4;

    /* signature, IHDR (25), IDAT (12 + data), IEND (12) */
    return 8 + 25 + 12 + zlib + 12;
}

static unsigned char *
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
    return p + 4;
}

/* Write a chunk whose data is already at p + 8; returns the end. */
static unsigned char *
finish_chunk(unsigned char *p, const char *type, size_t len)
{
    put_be32(p, (uint32_t) len);
    memcpy(p + 4, type, 4);
    return put_be32(p + 8 + len, qr_crc32(0, p + 4, len + 4));
}

size_t
qr_render_png(const qr_symbol *sym, int module, int quiet, unsigned char *out, size_t cap)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    int         n = sym->width;
    int         px = qr_image_side(sym, module, quiet);
    int         rowbytes = 1 + (px + 7) / 8;
    size_t      raw = png_raw_size(px);
    unsigned char *p = out;
    unsigned char *idat;
    unsigned char *z;
    uint32_t    adler = 1;
    size_t      left;
    size_t      in_block = 0;
    unsigned char line[1 + (((QR_MAX_WIDTH + 2 * QR_MAX_QUIET) * QR_MAX_MODULE) + 7) / 8];
    int         last_my = -QR_MAX_QUIET - 1;     /* no row built yet */

    if (cap < qr_png_size(sym, module, quiet))
        return 0;
    memcpy(p, sig, 8);
    p += 8;

    /* IHDR: width, height, bit depth 1, greyscale, deflate, filter 0, no interlace */
    put_be32(p + 8, (uint32_t) px);
    put_be32(p + 12, (uint32_t) px);
    p[16] = 1;
    p[17] = 0;
    p[18] = 0;
    p[19] = 0;
    p[20] = 0;
    p = finish_chunk(p, "IHDR", 13);

    /* IDAT: zlib header (deflate, 32K window, no dictionary, check bits) */
    idat = p;
    z = p + 8;
    *z++ = 0x78;
    *z++ = 0x01;
    left = raw;
    for (int y = 0; y < px; y++)
    {
        int         my = y / module - quiet;    /* module row, negative in the quiet zone */

        if (my != last_my)
        {
            /* build the row: filter 0, then bits, 1 = white */
            memset(line, 0, (size_t) rowbytes);
            for (int x = 0; x < px; x++)
            {
                int         mx = x / module - quiet;
                bool        dark = my >= 0 && my < n && mx >= 0 && mx < n &&
                    sym->modules[(size_t) my * n + mx];

                if (!dark)
                    line[1 + x / 8] |= (unsigned char) (0x80 >> (x % 8));
            }
            /* padding bits of the last byte: white */
            for (int x = px; x < (rowbytes - 1) * 8; x++)
                line[1 + x / 8] |= (unsigned char) (0x80 >> (x % 8));
            last_my = my;
        }
        adler = qr_adler32(adler, line, (size_t) rowbytes);
        for (int i = 0; i < rowbytes; i++)
        {
            if (in_block == 0)
            {
                size_t      blen = left < STORED_MAX ? left : STORED_MAX;

                *z++ = (unsigned char) (left <= STORED_MAX ? 1 : 0);    /* BFINAL, BTYPE 00 */
                *z++ = (unsigned char) (blen & 0xFF);
                *z++ = (unsigned char) (blen >> 8);
                *z++ = (unsigned char) (~blen & 0xFF);
                *z++ = (unsigned char) ((~blen >> 8) & 0xFF);
                in_block = blen;
            }
            *z++ = line[i];
            in_block--;
            left--;
        }
    }
    z = put_be32(z, adler);
    p = finish_chunk(idat, "IDAT", (size_t) (z - (idat + 8)));

    p = finish_chunk(p, "IEND", 0);
    return (size_t) (p - out);
}
