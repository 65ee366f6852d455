/*
 * qr_c.c — the pure C ceiling of QR rendering: encode + SVG (or PNG) of each
 * text read from stdin (one per line), repeated until SECONDS of CPU time have
 * passed. Prints "<renders per CPU-second>".   qr_c svg|png SECONDS < texts
 */
#include "qr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    static qr_symbol sym;
    static char line[4096];
    char      **texts = NULL;
    size_t      n = 0, done = 0;
    bool        png = argc > 1 && strcmp(argv[1], "png") == 0;
    double      secs = argc > 2 ? atof(argv[2]) : 2.0, t0;
    unsigned char *buf = malloc(1 << 22);
    char        err[256];

    while (fgets(line, sizeof line, stdin))
    {
        line[strcspn(line, "\n")] = '\0';
        texts = realloc(texts, (n + 1) * sizeof(char *));
        texts[n++] = strdup(line);
    }
    if (n == 0)
        return 1;
    t0 = now();
    while (now() - t0 < secs)
        for (size_t i = 0; i < n; i++, done++)
        {
            if (qr_encode((unsigned char *) texts[i], strlen(texts[i]), QR_ECC_M, &sym, err, sizeof err) != QR_OK)
                return 2;
            if (png)
                qr_render_png(&sym, 4, 4, buf, 1 << 22);
            else
                qr_render_svg(&sym, 4, 4, (char *) buf, 1 << 22);
        }
    printf("%.0f\n", done / (now() - t0));
    return 0;
}
