/*
 * raw_openssl.c — the OpenSSL baseline for bench/exchange: signatures and
 * verifications per second on one core with a key decoded once, over a
 * message of the given size, through the same EVP calls pgtrace uses.
 *
 *   raw_openssl KEY.pem MESSAGE_BYTES SECONDS
 * prints: "<alg> <signs/s> <verifies/s>", each the best of ten windows of
 * SECONDS/10, so that a busy machine's pauses do not count against OpenSSL.
 */
#include "jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    FILE       *f;
    char        pem[8192];
    size_t      len;
    pt_jws_key *keys;
    int         nkeys;
    char        err[256];
    size_t      msglen = argc > 2 ? (size_t) atol(argv[2]) : 300;
    double      seconds = argc > 3 ? atof(argv[3]) : 2.0;
    unsigned char *msg = malloc(msglen);
    unsigned char sig[64];
    size_t      siglen = 0;
    long        n;
    double      t0,
                sign_rate,
                verify_rate;

    if (argc < 2 || (f = fopen(argv[1], "r")) == NULL)
    {
        fprintf(stderr, "usage: raw_openssl KEY.pem [MESSAGE_BYTES] [SECONDS]\n");
        return 2;
    }
    len = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    if (pt_jws_keys_from_pem(pem, len, true, &keys, &nkeys, err, sizeof(err)) != PT_JWS_OK)
    {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    memset(msg, 'x', msglen);

    /* sign: EVP context per signature, as pgtrace does; best window */
    sign_rate = 0;
    for (int w = 0; w < 10; w++)
    {
        n = 0;
        t0 = now();
        while (now() - t0 < seconds / 10)
        {
            for (int i = 0; i < 20; i++)
            {
                msg[i % msglen] ^= 1;
                if (pt_jws_sign_raw(&keys[0], msg, msglen, sig, &siglen, err, sizeof(err)) != PT_JWS_OK)
                    return 1;
            }
            n += 20;
        }
        if ((double) n / (now() - t0) > sign_rate)
            sign_rate = (double) n / (now() - t0);
    }

    pt_jws_sign_raw(&keys[0], msg, msglen, sig, &siglen, err, sizeof(err));
    verify_rate = 0;
    for (int w = 0; w < 10; w++)
    {
        n = 0;
        t0 = now();
        while (now() - t0 < seconds / 10)
        {
            for (int i = 0; i < 20; i++)
                if (pt_jws_verify_raw(&keys[0], msg, msglen, sig, siglen, err, sizeof(err)) != PT_JWS_OK)
                    return 1;
            n += 20;
        }
        if ((double) n / (now() - t0) > verify_rate)
            verify_rate = (double) n / (now() - t0);
    }

    printf("%s %.0f %.0f\n", pt_jws_alg_name(keys[0].alg), sign_rate, verify_rate);
    pt_jws_keys_free(keys, nkeys);
    free(msg);
    return 0;
}
