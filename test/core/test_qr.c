/*
 * test_qr.c — QR symbols and their SVG / PNG renderings: checksum known
 * answers, versions and levels, UTF-8 with the ECI header, the size limit,
 * layout limits, and every rendering read back module for module.
 * Prints TAP.
 */
#include "qr.h"
#include "qr_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int  test_no = 0;
static int  failures = 0;

static void
ok(int cond, const char *what)
{
    test_no++;
    if (!cond)
        failures++;
    printf("%sok %d - %s\n", cond ? "" : "not ", test_no, what);
}

/* Adler-32 by its definition, with the modulo at every step. */
static uint32_t
adler_slow(const unsigned char *p, size_t n)
{
    uint32_t    a = 1, b = 0;

    for (size_t i = 0; i < n; i++)
    {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static qr_symbol sym;
static char err[256];

/* Encode, render both ways at (module, quiet), read both back. */
static bool
round_trip(const char *text, size_t len, qr_ecc ecc, int module, int quiet)
{
    size_t      n;
    char       *svg;
    unsigned char *png;
    bool        good;

    if (qr_encode((const unsigned char *) text, len, ecc, &sym, err, sizeof err) != QR_OK)
        return false;
    n = qr_svg_size(&sym, module, quiet);
    svg = malloc(n);
    good = qr_render_svg(&sym, module, quiet, svg, n) > 0 && qr_svg_matches(svg, &sym, module, quiet);
    free(svg);
    n = qr_png_size(&sym, module, quiet);
    png = malloc(n);
    good = good && qr_render_png(&sym, module, quiet, png, n) == n && qr_png_matches(png, n, &sym, module, quiet);
    free(png);
    return good;
}

int
main(void)
{
    char       *big;
    size_t      n;
    char       *buf;

    ok(qr_crc32(0, (const unsigned char *) "123456789", 9) == 0xCBF43926u, "CRC-32 of \"123456789\" is cbf43926");
    ok(qr_adler32(1, (const unsigned char *) "Wikipedia", 9) == 0x11E60398u, "Adler-32 of \"Wikipedia\" is 11e60398");
    big = malloc(100000);
    memset(big, 0xFF, 100000);
    ok(qr_adler32(1, (unsigned char *) big, 100000) == adler_slow((unsigned char *) big, 100000),
       "Adler-32 over 100000 bytes of 0xff equals the definition");

    ok(qr_ecc_from_name("L") == QR_ECC_L && qr_ecc_from_name("m") == QR_ECC_M &&
       qr_ecc_from_name("Q") == QR_ECC_Q && qr_ecc_from_name("h") == QR_ECC_H, "levels L M Q H by name");
    ok(qr_ecc_from_name("X") == -1 && qr_ecc_from_name("") == -1 && qr_ecc_from_name("MM") == -1,
       "unknown level names refused");
    ok(qr_capacity_bytes(QR_ECC_L) == 2953 && qr_capacity_bytes(QR_ECC_H) == 1273, "version 40 byte capacities");

    ok(qr_encode((const unsigned char *) "HELLO", 5, QR_ECC_M, &sym, err, sizeof err) == QR_OK &&
       sym.version == 1 && sym.width == 21 && !sym.eci_utf8, "HELLO at level M is a version 1 symbol, no ECI");
    /* finder pattern: top-left 7x7 ring and centre */
    ok(sym.modules[0] && sym.modules[6] && sym.modules[6 * 21] && sym.modules[6 * 21 + 6] &&
       !sym.modules[1 * 21 + 1] && sym.modules[3 * 21 + 3] && !sym.modules[7 * 21 + 7],
       "finder pattern in the top-left corner");
    ok(round_trip("HELLO", 5, QR_ECC_M, 1, 0), "HELLO renders and reads back at module 1, no quiet zone");
    ok(round_trip("https://id.gs1.org/01/06901234567892/21/ABC123", 46, QR_ECC_M, 4, 4),
       "a Digital Link renders and reads back at module 4, quiet zone 4");
    ok(round_trip("https://id.gs1.org/01/06901234567892/21/ABC123", 46, QR_ECC_H, 3, 2),
       "level H, module 3, quiet zone 2");
    {
        const char *zh = "电线电缆 重点工业产品质量安全追溯";

        ok(round_trip(zh, strlen(zh), QR_ECC_Q, 5, 4) && sym.eci_utf8, "Chinese UTF-8 carries ECI 000026 and reads back");
    }
    for (int m = 1; m <= 4; m++)
        for (int q = 0; q <= 5; q++)
        {
            char        what[80];

            snprintf(what, sizeof what, "module %d, quiet zone %d: every pixel row is built and reads back", m, q);
            ok(round_trip("HELLO WORLD", 11, QR_ECC_Q, m, q), what);
        }
    ok(qr_encode((const unsigned char *) "\xff\xfe", 2, QR_ECC_M, &sym, err, sizeof err) == QR_OK && !sym.eci_utf8,
       "bytes that are not UTF-8 are encoded without the UTF-8 ECI");
    ok(qr_encode((const unsigned char *) "a\0b", 3, QR_ECC_M, &sym, err, sizeof err) == QR_OK,
       "a NUL byte is encoded (8-bit mode)");

    memset(big, 'a', 2331);
    ok(qr_encode((unsigned char *) big, 2331, QR_ECC_M, &sym, err, sizeof err) == QR_OK && sym.version == 40,
       "2331 lower-case letters fit in version 40-M");
    ok(qr_encode((unsigned char *) big, 2332, QR_ECC_M, &sym, err, sizeof err) == QR_TOO_LONG &&
       strcmp(err, "text of 2332 bytes does not fit in a QR code at error correction level M") == 0,
       "2332 bytes at level M: too long, with the size in the message");
    memset(big, '7', 7089);
    ok(qr_encode((unsigned char *) big, 7089, QR_ECC_L, &sym, err, sizeof err) == QR_OK, "7089 digits fit in version 40-L");
    ok(qr_encode((unsigned char *) big, 7090, QR_ECC_L, &sym, err, sizeof err) == QR_TOO_LONG, "7090 digits do not");
    ok(qr_encode((unsigned char *) big, 0, QR_ECC_L, &sym, err, sizeof err) == QR_BAD_PARAM, "empty text refused");
    ok(qr_encode((unsigned char *) big, 10, (qr_ecc) 7, &sym, err, sizeof err) == QR_BAD_PARAM, "bad level refused");

    ok(qr_check_layout(1, 0, err, sizeof err) == QR_OK && qr_check_layout(50, 40, err, sizeof err) == QR_OK,
       "layout limits accepted");
    ok(qr_check_layout(0, 4, err, sizeof err) == QR_BAD_PARAM &&
       strcmp(err, "module size 0 is out of range: it must be between 1 and 50") == 0, "module size 0 refused");
    ok(qr_check_layout(4, 41, err, sizeof err) == QR_BAD_PARAM, "quiet zone 41 refused");

    /* largest symbol at the largest layout: PNG over several stored blocks */
    memset(big, 'x', 2953);
    ok(round_trip(big, 2953, QR_ECC_L, 7, 4), "version 40 at module 7: PNG of several stored blocks reads back");
    ok(qr_encode((unsigned char *) "HELLO", 5, QR_ECC_M, &sym, err, sizeof err) == QR_OK, "re-encode");
    n = qr_svg_size(&sym, 4, 4);
    buf = malloc(n);
    ok(qr_render_svg(&sym, 4, 4, buf, n - 1) == 0, "SVG refuses a buffer below its bound");
    ok(qr_render_svg(&sym, 4, 4, buf, n) > 0 &&
       strncmp(buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"116\" height=\"116\" viewBox=\"0 0 29 29\"", 95) == 0,
       "SVG size: (21 + 2*4) modules of 4 px");
    free(buf);
    n = qr_png_size(&sym, 4, 4);
    buf = malloc(n);
    ok(qr_render_png(&sym, 4, 4, (unsigned char *) buf, n - 1) == 0, "PNG refuses a short buffer");
    ok(qr_render_png(&sym, 4, 4, (unsigned char *) buf, n) == n && n == 8 + 25 + 12 + 2 + 116 * 16 + 5 + 4 + 12,
       "PNG size of a 116 px image: one stored block");
    free(buf);
    free(big);

    printf("1..%d\n", test_no);
    return failures ? 1 : 0;
}
