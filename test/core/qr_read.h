/*
 * qr_read.h — read back what src/core/qr.c renders, for the unit test and the
 * fuzz harness: the PNG (chunk CRCs, stored deflate blocks, Adler-32, 1-bit
 * rows) and the SVG path (runs of dark modules). Each returns true when the
 * image is well-formed and shows exactly the symbol's modules.
 */
#ifndef PT_QR_READ_H
#define PT_QR_READ_H

#include "qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
qrr_be32(const unsigned char *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static bool
qr_png_matches(const unsigned char *png, size_t len, const qr_symbol *sym, int module, int quiet)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    size_t      pos = 8;
    int         px = qr_image_side(sym, module, quiet);
    size_t      rowbytes = 1 + (size_t) (px + 7) / 8;
    unsigned char *raw = NULL;
    size_t      rawlen = 0;
    bool        ihdr = false, iend = false, ok = true;

    if (len < 8 || memcmp(png, sig, 8) != 0)
        return false;
    while (pos + 12 <= len && !iend)
    {
        uint32_t    clen = qrr_be32(png + pos);
        const unsigned char *type = png + pos + 4;
        const unsigned char *data = png + pos + 8;

        if (clen > len - pos - 12)
            return false;
        if (qr_crc32(0, type, clen + 4) != qrr_be32(data + clen))
            return false;
        if (memcmp(type, "IHDR", 4) == 0)
        {
            if (clen != 13 || qrr_be32(data) != (uint32_t) px || qrr_be32(data + 4) != (uint32_t) px ||
                data[8] != 1 || data[9] != 0 || data[10] != 0 || data[11] != 0 || data[12] != 0)
                return false;
            ihdr = true;
        }
        else if (memcmp(type, "IDAT", 4) == 0)
        {
            size_t      z = 2;
            bool        final = false;

            if (raw != NULL || clen < 6 || data[0] != 0x78 || ((data[0] << 8) | data[1]) % 31 != 0)
                return false;
            raw = malloc(clen);
            while (!final && z + 5 <= clen - 4)
            {
                size_t      blen = data[z + 1] | (data[z + 2] << 8);
                size_t      nlen = data[z + 3] | (data[z + 4] << 8);

                if ((data[z] & 0x06) != 0 || (blen ^ 0xFFFF) != nlen || z + 5 + blen > clen - 4)
                {
                    free(raw);
                    return false;
                }
                final = data[z] & 1;
                memcpy(raw + rawlen, data + z + 5, blen);
                rawlen += blen;
                z += 5 + blen;
            }
            if (!final || z != clen - 4 || qr_adler32(1, raw, rawlen) != qrr_be32(data + z))
            {
                free(raw);
                return false;
            }
        }
        else if (memcmp(type, "IEND", 4) == 0)
            iend = true;
        pos += 12 + clen;
    }
    if (!ihdr || !iend || pos != len || raw == NULL || rawlen != rowbytes * (size_t) px)
    {
        free(raw);
        return false;
    }
    for (int y = 0; y < px && ok; y++)
    {
        const unsigned char *row = raw + (size_t) y * rowbytes;

        if (row[0] != 0)
            ok = false;
        for (int x = 0; x < px && ok; x++)
        {
            int         mx = x / module - quiet, my = y / module - quiet;
            bool        dark = mx >= 0 && my >= 0 && mx < sym->width && my < sym->width &&
                sym->modules[my * sym->width + mx];
            bool        white = (row[1 + x / 8] >> (7 - x % 8)) & 1;

            if (dark == white)
                ok = false;
        }
    }
    free(raw);
    return ok;
}

static bool
qrr_num(const char **p, int *v)
{
    int         n = 0;
    bool        any = false;

    while (**p >= '0' && **p <= '9')
    {
        n = n * 10 + (**p - '0');
        (*p)++;
        any = true;
    }
    *v = n;
    return any;
}

static bool
qr_svg_matches(const char *svg, const qr_symbol *sym, int module, int quiet)
{
    int         side = sym->width + 2 * quiet;
    unsigned char *seen = calloc((size_t) side * side, 1);
    char        head[160];
    const char *p;
    bool        ok = true;

    snprintf(head, sizeof head, "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"",
             side * module, side * module, side, side);
    if (strstr(svg, head) == NULL || (p = strstr(svg, " d=\"")) == NULL)
    {
        free(seen);
        return false;
    }
    p += 4;
    while (*p == 'M' && ok)
    {
        int         x, y, w, w2;

        p++;
        if (!qrr_num(&p, &x) || *p++ != ' ' || !qrr_num(&p, &y) || *p++ != 'h' || !qrr_num(&p, &w) ||
            strncmp(p, "v1h-", 4) != 0)
            ok = false;
        else
        {
            p += 4;
            if (!qrr_num(&p, &w2) || w2 != w || *p++ != 'z' || w < 1 || x + w > side || y >= side)
                ok = false;
            for (int i = 0; ok && i < w; i++)
            {
                if (seen[y * side + x + i])
                    ok = false;
                seen[y * side + x + i] = 1;
            }
        }
    }
    if (ok && strcmp(p, "\"/></svg>") != 0)
        ok = false;
    for (int y = 0; y < side && ok; y++)
        for (int x = 0; x < side && ok; x++)
        {
            int         mx = x - quiet, my = y - quiet;
            bool        dark = mx >= 0 && my >= 0 && mx < sym->width && my < sym->width &&
                sym->modules[my * sym->width + mx];

            if (dark != (seen[y * side + x] != 0))
                ok = false;
        }
    free(seen);
    return ok;
}

#endif                          /* PT_QR_READ_H */
