/*
 * qr.h — QR Code symbols (ISO/IEC 18004, encoded by libqrencode) rendered as
 * SVG and PNG. Pure C: no PostgreSQL headers.
 *
 * The text is encoded byte for byte (numeric, alphanumeric and 8-bit
 * segments, never Kanji mode, which would reinterpret the bytes as
 * Shift-JIS), so UTF-8 text — Chinese included — decodes to the same bytes.
 * Text that is not plain ASCII is preceded by an ECI designator 000026
 * (UTF-8) so that decoders need not guess the character set.
 *
 * Renderers write into a caller-supplied buffer whose size the matching
 * *_size function gives; nothing here allocates memory that outlives a call.
 */
#ifndef PT_QR_H
#define PT_QR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QR_MAX_WIDTH      177     /* version 40 */
#define QR_MAX_MODULE     50      /* pixels (or SVG units) per module */
#define QR_MAX_QUIET      40      /* modules of quiet zone on each side */

typedef enum
{
    QR_OK = 0,
    QR_TOO_LONG,                /* does not fit in a version 40 symbol */
    QR_BAD_PARAM,               /* error-correction level, module size or quiet zone */
    QR_NO_MEMORY,
    QR_FAILED                   /* libqrencode failed for another reason */
} qr_status;

typedef enum
{
    QR_ECC_L = 0,               /* ~7 % of codewords can be restored */
    QR_ECC_M,                   /* ~15 % */
    QR_ECC_Q,                   /* ~25 % */
    QR_ECC_H                    /* ~30 % */
} qr_ecc;

/* One symbol: width x width modules, row-major, 1 = dark. */
typedef struct
{
    int         version;        /* 1..40 */
    int         width;          /* 21..177 */
    qr_ecc      ecc;
    bool        eci_utf8;       /* an ECI 000026 (UTF-8) header was encoded */
    unsigned char modules[QR_MAX_WIDTH * QR_MAX_WIDTH];
} qr_symbol;

/* "L", "M", "Q", "H" (either case) -> level; -1 when unknown. */
int         qr_ecc_from_name(const char *name);
const char *qr_ecc_name(qr_ecc ecc);

/* Bytes of 8-bit data a version 40 symbol holds at this level. */
size_t      qr_capacity_bytes(qr_ecc ecc);

/*
 * Encode len bytes (NUL bytes allowed) in the smallest version that holds
 * them at level ecc. On failure returns the status and a message in err.
 */
qr_status   qr_encode(const unsigned char *data, size_t len, qr_ecc ecc,
                      qr_symbol *sym, char *err, size_t errlen);

/* Check a module size and quiet zone; message in err. */
qr_status   qr_check_layout(int module, int quiet, char *err, size_t errlen);

/* Side of the rendered image: (width + 2 * quiet) * module. */
int         qr_image_side(const qr_symbol *sym, int module, int quiet);

/*
 * SVG: an upper bound of the output size (including the NUL), and the
 * rendering itself (one path of dark runs over a white background, the view
 * box in modules, width/height in px = modules * module). Returns the length
 * written (without the NUL), or 0 if cap is too small.
 */
size_t      qr_svg_size(const qr_symbol *sym, int module, int quiet);
size_t      qr_render_svg(const qr_symbol *sym, int module, int quiet, char *out, size_t cap);

/*
 * PNG: 1-bit greyscale, the image data in a zlib stream of stored
 * (uncompressed) deflate blocks, so no compression library is needed. The
 * exact size, and the rendering (returns the length, or 0 if cap is short).
 */
size_t      qr_png_size(const qr_symbol *sym, int module, int quiet);
size_t      qr_render_png(const qr_symbol *sym, int module, int quiet, unsigned char *out, size_t cap);

/* Checksums used by PNG, exposed for tests. */
uint32_t    qr_crc32(uint32_t crc, const unsigned char *p, size_t n);
uint32_t    qr_adler32(uint32_t adler, const unsigned char *p, size_t n);

#endif                          /* PT_QR_H */
