/*
 * codes.h — identifiers of clause 6.1.4: GS1 keys (GTIN, SSCC, GLN), the
 * Unified Social Credit Code (GB 32100) and trace codes of every scheme
 * (GS1, Handle, OID, Ecode, other absolute URIs).
 *
 * Pure C: callers pass buffers in and get true/false and a message out. The
 * messages are what the SQL types raise and what trace.validate() returns.
 */
#ifndef PGTRACE_CODES_H
#define PGTRACE_CODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gs1.h"

#define CODE_MSG_LEN    300
#define CODE_MAX_KEY    2048    /* longest stored key, bytes */

/* ---- GS1 numeric keys ---- */

/* Which numeric GS1 key a value is read as (decides lengths and messages). */
typedef enum gs1_key_kind
{
    GS1_KEY_GTIN,               /* 8, 12, 13 or 14 digits, held as 14 */
    GS1_KEY_SSCC,               /* 18 digits */
    GS1_KEY_GLN                 /* 13 digits */
} gs1_key_kind;

/*
 * Parse a GS1 numeric key: digits only (surrounding blanks ignored), an
 * allowed length and a correct mod-10 check digit. On success *out holds the
 * number (a GTIN-8/12/13 is the same number as its 14-digit form).
 */
extern bool gs1_key_parse(gs1_key_kind kind, const char *s, size_t len,
                          int64_t *out, char *msg, size_t msglen);

/* Is n a valid key of this kind (range and check digit)? For binary input. */
extern bool gs1_key_valid(gs1_key_kind kind, int64_t n, char *msg, size_t msglen);

/* Zero-padded decimal form (14, 18 or 13 digits) into buf (at least 19 bytes). */
extern void gs1_key_format(gs1_key_kind kind, int64_t n, char *buf);

/* ---- USCC, GB 32100-2015 ---- */

#define USCC_LEN 18

/*
 * Parse a Unified Social Credit Code: 18 characters from
 * 0123456789ABCDEFGHJKLMNPQRTUWXY (lower case accepted and upper-cased), and
 * the MOD 31 check character. out receives the 18 normalised characters.
 */
extern bool uscc_parse(const char *s, size_t len, char out[USCC_LEN],
                       char *msg, size_t msglen);

/* Check character for the first 17 characters, or 0 when one is not in the alphabet. */
extern char uscc_check_char(const char *s17);

/*
 * The embedded organisation code (characters 9–17) against GB 11714's MOD 11
 * check. Reported separately: many valid USCCs carry codes that fail it.
 * *expected receives the check character GB 11714 would give.
 */
extern bool uscc_org_code_valid(const char *uscc, char *expected);

/* ---- trace codes (trace.code) ---- */

typedef enum code_scheme
{
    CODE_SCHEME_GS1 = 1,
    CODE_SCHEME_HANDLE = 2,
    CODE_SCHEME_OID = 3,
    CODE_SCHEME_ECODE = 4,
    CODE_SCHEME_URI = 5
} code_scheme;

/*
 * A normalised trace code: the scheme and its identifying key, nothing else.
 * For GS1 the key is the element string of the identifying AIs only, in
 * canonical order, with GS (0x1D) after each variable-length AI that is not
 * last; for other schemes it is the identifier's normalised text.
 */
typedef struct code_value
{
    code_scheme scheme;
    size_t      keylen;
    char        key[CODE_MAX_KEY + 1];
} code_value;

/*
 * Parse any trace-code form of clause 6.1.4 and keep only its identifying
 * key. `scratch` is working space for the GS1 parser (it is large; callers
 * that parse in a loop reuse one). On failure msg says what is wrong.
 */
extern bool code_parse(const char *in, size_t len, code_value *out,
                       gs1_parsed *scratch, char *msg, size_t msglen);

/* Rebuild a code from stored bytes (binary input, GS1 keys from a gtin+serial). */
extern bool code_from_key(code_scheme scheme, const char *key, size_t keylen,
                          code_value *out, gs1_parsed *scratch, char *msg, size_t msglen);

/* Canonical text form ("(01)…(21)…", "88.118.8/ABC", "1.2.156.…", "ecode:…", a URI). */
extern size_t code_format(const code_value *c, char *buf, size_t buflen);

/* Scheme name: "gs1", "handle", "oid", "ecode", "uri". */
extern const char *code_scheme_name(code_scheme scheme);

/*
 * The GS1 AIs of a GS1 code's key, in order (for gtin(), serial(),
 * digital_link()). Returns the number of AIs, 0 for other schemes.
 */
extern int  code_gs1_ais(const code_value *c, gs1_ai_value *ais, int maxais);

#endif                          /* PGTRACE_CODES_H */
