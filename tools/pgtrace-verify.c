/*
 * pgtrace-verify — check pgtrace ledger proofs and checkpoints outside the
 * database. Links only OpenSSL and src/core (no PostgreSQL).
 *
 *   pgtrace-verify --key PUBLIC.pem --checkpoint CHECKPOINT.jws
 *       verify a checkpoint's signature and print its signed payload
 *   pgtrace-verify --key PUBLIC.pem [--checkpoint CHECKPOINT.jws] PROOF.json
 *       verify a proof (trace.proof) against a checkpoint: the one given, or
 *       the one embedded in the proof
 *       (a proof of a trace code, trace.proof(code), is a bundle: every row
 *       proof in it is checked)
 *   pgtrace-verify --key PUBLIC.pem --checkpoint CHECKPOINT.jws --export LEDGER.jsonl
 *       recompute a whole exported ledger (trace.ledger_export) and check that
 *       it extends the checkpoint
 *
 * The key file holds one or more PEM public keys (Ed25519 or SM2), e.g. the
 * output of `openssl pkey -pubout`. Exit status 0 when everything verifies,
 * 1 when something does not (the reason is printed), 2 on usage errors.
 * Formats: docs/ledger.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcs.h"
#include "jws.h"
#include "ledger.h"
#include "ledger_proof.h"

static char *
read_file(const char *path, size_t *len)
{
    FILE       *f = fopen(path, "rb");
    char       *buf = NULL;
    size_t      cap = 0;
    size_t      n = 0;
    size_t      got;

    if (f == NULL)
        return NULL;
    do
    {
        if (n + 4096 + 1 > cap)
        {
            char       *nb;

            cap = cap ? cap * 2 : 65536;
            nb = realloc(buf, cap);
            if (nb == NULL)
            {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Trim trailing whitespace (a JWS saved by psql ends with a newline). */
static size_t
trimmed(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    return len;
}

/* Recompute an exported ledger, line by line, against a checkpoint payload. */
static int
check_export(const char *path, const char *payload, size_t payload_len)
{
    FILE       *f = fopen(path, "r");
    char       *line = NULL;
    size_t      cap = 0;
    ssize_t     len;
    ledger_export_check c;
    char        err[512];
    int64_t     cp_blocks = 0;
    uint8_t     cp_head[32];
    bool        ok = true;

    if (f == NULL)
    {
        fprintf(stderr, "pgtrace-verify: cannot read %s\n", path);
        return 2;
    }
    ledger_export_begin(&c);
    while (ok && (len = getline(&line, &cap, f)) > 0)
    {
        len = (ssize_t) trimmed(line, (size_t) len);
        if (len == 0)
            continue;
        ok = ledger_export_line(&c, line, (size_t) len, err, sizeof(err));
        if (ok && c.lines == 1)
        {
            ok = ledger_checkpoint_head(payload, payload_len, c.ledger, &cp_blocks, cp_head, err, sizeof(err));
            c.want_block = cp_blocks;
        }
    }
    free(line);
    fclose(f);
    if (!ledger_export_end(&c, ok ? err : err + strlen(err), ok ? sizeof(err) : 1))
        ok = false;
    if (ok && c.last_block < cp_blocks)
    {
        snprintf(err, sizeof(err), "the export ends at block %lld; the checkpoint has %lld blocks",
                 (long long) c.last_block, (long long) cp_blocks);
        ok = false;
    }
    if (ok && cp_blocks > 0 && memcmp(c.hash_at_want, cp_head, 32) != 0)
    {
        snprintf(err, sizeof(err), "block %lld is not the checkpoint's head", (long long) cp_blocks);
        ok = false;
    }
    if (!ok)
    {
        printf("FAILED: %s\n", err);
        return 1;
    }
    printf("ok: ledger %s: %lld blocks, %lld rows recomputed, %lld purged rows by their tombstones;"
           " block %lld is the checkpoint's head\n", c.ledger, (long long) c.blocks, (long long) c.rows,
           (long long) c.purged, (long long) cp_blocks);
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: pgtrace-verify --key PUBLIC.pem [--checkpoint CHECKPOINT.jws] [PROOF.json | --export LEDGER.jsonl]\n");
    return 2;
}

/* Is the proof file a code-proof bundle? (*tree: its parse, kept for the caller) */
static bool
proof_is_code_bundle(const char *text, size_t len, jcs_value **tree)
{
    const jcs_value *typ;
    char        err[256];

    if (*tree == NULL && jcs_parse(text, len, tree, err, sizeof(err)) != JCS_OK)
        return false;
    typ = jcs_get(*tree, "typ");
    return typ != NULL && typ->type == JCS_STRING && strcmp(typ->str, "pgtrace-code-proof") == 0;
}

/*
 * A proof of a trace code (trace.proof(code)): {"typ": "pgtrace-code-proof",
 * "trace_code", "rows": [{"event", "table", "record_id", "seq", "proof"}],
 * "pending": [...]}. Every row proof must verify against the checkpoint.
 */
static int
check_code_proof(const jcs_value *bundle, const char *payload, size_t payload_len)
{
    const jcs_value *rows = jcs_get(bundle, "rows");
    const jcs_value *pending = jcs_get(bundle, "pending");
    const jcs_value *code = jcs_get(bundle, "trace_code");
    size_t      i;
    int         rc = 0;

    if (rows == NULL || rows->type != JCS_ARRAY || code == NULL || code->type != JCS_STRING)
    {
        printf("FAILED: a code proof needs \"trace_code\" and a \"rows\" array\n");
        return 1;
    }
    if (rows->len == 0)
    {
        printf("FAILED: the code proof holds no row proof\n");
        return 1;
    }
    for (i = 0; i < rows->len; i++)
    {
        const jcs_value *r = rows->items[i];
        const jcs_value *p = jcs_get(r, "proof");
        const jcs_value *ev = jcs_get(r, "event");
        char       *text = NULL;
        size_t      len = 0;
        ledger_proof_info info;
        char        err[512];

        if (p == NULL || p->type != JCS_OBJECT || jcs_serialize(p, &text, &len) != JCS_OK)
        {
            printf("FAILED: row %zu of the code proof has no proof object\n", i + 1);
            free(text);
            return 1;
        }
        if (ledger_proof_check(text, len, payload, payload_len, &info, err, sizeof(err)))
            printf("ok: %s: row %lld of ledger %s is in block %lld, chained to block %lld = the checkpoint's head\n",
                   ev && ev->type == JCS_STRING ? ev->str : "row", (long long) info.seq, info.ledger,
                   (long long) info.block_no, (long long) info.head_block_no);
        else
        {
            printf("FAILED: %s (row %zu of the code proof): %s\n",
                   ev && ev->type == JCS_STRING ? ev->str : "row", i + 1, err);
            rc = 1;
        }
        free(text);
    }
    if (pending && pending->type == JCS_ARRAY && pending->len > 0)
        printf("note: %zu row(s) of %s were not sealed at the checkpoint and are not proven here\n",
               pending->len, code->str);
    if (rc == 0)
        printf("ok: %zu row proof(s) of trace code %s verify\n", rows->len, code->str);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *key_path = NULL;
    const char *cp_path = NULL;
    const char *proof_path = NULL;
    const char *export_path = NULL;
    char       *pem;
    size_t      pem_len;
    pt_jws_key *keys = NULL;
    int         nkeys = 0;
    char        err[512];
    char       *cp_text = NULL;
    size_t      cp_len = 0;
    char       *proof = NULL;
    size_t      proof_len = 0;
    jcs_value  *proof_tree = NULL;
    pt_jws_parsed parsed;
    ledger_proof_info info;
    int         i;
    int         rc = 1;

    for (i = 1; i < argc; i++)
    {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc)
            key_path = argv[++i];
        else if (strcmp(argv[i], "--checkpoint") == 0 && i + 1 < argc)
            cp_path = argv[++i];
        else if (strcmp(argv[i], "--export") == 0 && i + 1 < argc)
            export_path = argv[++i];
        else if (argv[i][0] != '-' && proof_path == NULL)
            proof_path = argv[i];
        else
            return usage();
    }
    if (key_path == NULL || (cp_path == NULL && proof_path == NULL)
        || (export_path && (cp_path == NULL || proof_path)))
        return usage();

    pem = read_file(key_path, &pem_len);
    if (pem == NULL)
    {
        fprintf(stderr, "pgtrace-verify: cannot read %s\n", key_path);
        return 2;
    }
    if (pt_jws_keys_from_pem(pem, pem_len, false, &keys, &nkeys, err, sizeof(err)) != PT_JWS_OK)
    {
        fprintf(stderr, "pgtrace-verify: %s: %s\n", key_path, err);
        free(pem);
        return 2;
    }
    free(pem);

    if (proof_path)
    {
        proof = read_file(proof_path, &proof_len);
        if (proof == NULL)
        {
            fprintf(stderr, "pgtrace-verify: cannot read %s\n", proof_path);
            goto done;
        }
    }
    if (cp_path)
    {
        cp_text = read_file(cp_path, &cp_len);
        if (cp_text == NULL)
        {
            fprintf(stderr, "pgtrace-verify: cannot read %s\n", cp_path);
            goto done;
        }
        cp_len = trimmed(cp_text, cp_len);
    }
    else
    {
        /* the checkpoint embedded in the proof */
        const jcs_value *c;

        if (jcs_parse(proof, proof_len, &proof_tree, err, sizeof(err)) != JCS_OK)
        {
            printf("FAILED: the proof is not JSON: %s\n", err);
            goto done;
        }
        c = jcs_get(proof_tree, "checkpoint");
        if (c == NULL || c->type != JCS_STRING)
        {
            printf("FAILED: the proof carries no checkpoint; pass --checkpoint\n");
            goto done;
        }
        cp_text = malloc(c->len + 1);
        if (cp_text == NULL)
            goto done;
        memcpy(cp_text, c->str, c->len + 1);
        cp_len = c->len;
    }

    if (pt_jws_parse(cp_text, cp_len, NULL, 0, &parsed, err, sizeof(err)) != PT_JWS_OK)
    {
        printf("FAILED: the checkpoint is not a JWS: %s\n", err);
        goto done;
    }
    if (pt_jws_verify(&parsed, keys, nkeys, NULL, err, sizeof(err)) != PT_JWS_OK)
    {
        printf("FAILED: the checkpoint's signature does not verify: %s\n", err);
        pt_jws_parsed_free(&parsed);
        goto done;
    }
    if (export_path)
        rc = check_export(export_path, (const char *) parsed.payload, parsed.payload_len);
    else if (proof == NULL)
    {
        printf("ok: checkpoint signature verifies\n%s\n", (const char *) parsed.payload);
        rc = 0;
    }
    else if (proof_is_code_bundle(proof, proof_len, &proof_tree))
        rc = check_code_proof(proof_tree, (const char *) parsed.payload, parsed.payload_len);
    else if (ledger_proof_check(proof, proof_len, (const char *) parsed.payload, parsed.payload_len,
                                &info, err, sizeof(err)))
    {
        printf("ok: row %lld of ledger %s is in block %lld, chained to block %lld = the checkpoint's head %s\n",
               (long long) info.seq, info.ledger, (long long) info.block_no,
               (long long) info.head_block_no, info.head_hash);
        rc = 0;
    }
    else
        printf("FAILED: %s\n", err);
    pt_jws_parsed_free(&parsed);

done:
    if (proof_tree)
        jcs_free(proof_tree);
    free(proof);
    free(cp_text);
    pt_jws_keys_free(keys, nkeys);
    return rc;
}
