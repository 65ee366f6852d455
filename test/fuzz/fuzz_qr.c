/*
 * fuzz_qr.c — QR encoding and rendering of arbitrary bytes. The first byte
 * picks the error-correction level, module size and quiet zone; the rest is
 * the text. Whatever encodes must render to an SVG and a PNG that read back
 * module for module (test/core/qr_read.h); whatever does not must fail with
 * a status and a message, never a crash.
 */
#include "qr.h"
#include "../core/qr_read.h"

#include <stdint.h>
#include <stdlib.h>

int         LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static qr_symbol sym;
    char        err[256];
    qr_ecc      ecc;
    int         module, quiet;
    qr_status   st;
    size_t      n;
    char       *svg;
    unsigned char *png;

    if (size < 1 || size > 4000)
        return 0;
    ecc = (qr_ecc) (data[0] & 3);
    module = 1 + ((data[0] >> 2) & 3);
    quiet = (data[0] >> 4) & 7;
    err[0] = '\0';
    st = qr_encode(data + 1, size - 1, ecc, &sym, err, sizeof err);
    if (st != QR_OK)
    {
        if (err[0] == '\0' || (size > 1 && st == QR_BAD_PARAM))
            abort();            /* every failure explains itself; only empty text is a bad parameter */
        return 0;
    }
    if (sym.width != 17 + 4 * sym.version)
        abort();
    n = qr_svg_size(&sym, module, quiet);
    svg = malloc(n);
    if (qr_render_svg(&sym, module, quiet, svg, n) == 0 || !qr_svg_matches(svg, &sym, module, quiet))
        abort();
    free(svg);
    n = qr_png_size(&sym, module, quiet);
    png = malloc(n);
    if (qr_render_png(&sym, module, quiet, png, n) != n || !qr_png_matches(png, n, &sym, module, quiet))
        abort();
    free(png);
    return 0;
}
