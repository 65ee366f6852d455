/*
 * gs1.h — GS1 element strings, scanner data and Digital Link URIs.
 *
 * Pure C (no PostgreSQL headers): linked into the extension, the libFuzzer
 * harnesses and the standalone tools. Callers pass buffers in and get a
 * status and messages out; nothing here allocates on the heap or aborts.
 *
 * The Application Identifier table is generated at build time from
 * data/gs1-syntax-dictionary.txt (GS1 Barcode Syntax Dictionary) into
 * gs1_dict.c; GS1_DICT_RELEASE records which release it is.
 */
#ifndef PGTRACE_GS1_H
#define PGTRACE_GS1_H

#include <stdbool.h>
#include <stddef.h>

#define GS1_MAX_AIS        64   /* AIs one scan may carry */
#define GS1_MAX_AI_VALUE   90   /* longest AI value in the dictionary */
#define GS1_MAX_PROBLEMS   16
#define GS1_MSG_LEN        200

/* How the input reached us (parse_scan's "form"). */
typedef enum gs1_form
{
    GS1_FORM_BRACKETED,         /* (01)09501101530003(21)ABC */
    GS1_FORM_FNC1,              /* ^0109501101530003 21ABC with '^' as FNC1 */
    GS1_FORM_SCANNER,           /* ]d2 / ]Q3 / ]C1 / ]e0 ... + GS separators */
    GS1_FORM_PLAIN_GTIN,        /* bare 8/12/13/14 digits, or ]E0/]E4 scans */
    GS1_FORM_DIGITAL_LINK       /* https://id.gs1.org/01/…/21/… (also ]d1/]Q1) */
} gs1_form;

/* One AI with its value, in the order it appeared. */
typedef struct gs1_ai_value
{
    char        ai[5];                      /* "01", "8004", NUL-terminated */
    char        value[GS1_MAX_AI_VALUE + 1];
    bool        in_query;                   /* DL: came from the query string */
} gs1_ai_value;

/* A problem found while parsing; parsing goes on where it can. */
typedef struct gs1_problem
{
    char        ai[5];          /* AI concerned, or "" */
    char        message[GS1_MSG_LEN];
} gs1_problem;

typedef struct gs1_parsed
{
    gs1_form    form;
    char        symbology[4];   /* "]d2", "]Q3", … or "" when none was given */
    int         nais;
    gs1_ai_value ais[GS1_MAX_AIS];
    int         nproblems;
    gs1_problem problems[GS1_MAX_PROBLEMS];
    /* Digital Link only: the scheme+authority+stem before the key AI */
    char        dl_prefix[256];
} gs1_parsed;

/* Release of the syntax dictionary compiled in (e.g. "2024-07-31"). */
extern const char *const GS1_DICT_RELEASE;

/*
 * Parse any GS1 form (bracketed, ^-FNC1, scanner data with or without an
 * AIM symbology identifier and GS separators, a bare GTIN, a Digital Link URI).
 * Returns true when the input is syntactically GS1 (even if problems were
 * found: wrong check digit, bad date, missing required AI…); false when it is
 * not GS1 at all (then problems[0] says why). Every problem is recorded in
 * out->problems with the AI it concerns.
 */
extern bool gs1_parse(const char *in, size_t len, gs1_parsed *out);

/*
 * gs1_parse, also reading `gs_substitute` as the GS separator in scanner data:
 * keyboard-wedge scanners that cannot type GS (0x1D) send another character
 * instead (often '|' or '~'). It must be outside CSET 82 (so it cannot occur
 * in a value), not a blank, ']' or '('; 0 means none (plain gs1_parse).
 */
extern bool gs1_parse_sep(const char *in, size_t len, char gs_substitute, gs1_parsed *out);

/*
 * Parse a GS1 Digital Link URI. Same contract as gs1_parse; false when the
 * text is not a DL URI at all (e.g. an http URL without a key AI path).
 */
extern bool gs1_parse_digital_link(const char *in, size_t len, gs1_parsed *out);

/*
 * Build the canonical Digital Link URI for the AIs given: key AI, qualifiers
 * in the order the dictionary fixes, other data attributes as query
 * parameters, everything outside A–Z a–z 0–9 - . _ ~ percent-encoded.
 * `domain` is e.g. "https://id.gs1.org" (no trailing slash; a stem path is
 * allowed). Returns the length written, or -1 with msg filled when the AIs
 * carry no key or the buffer is too small.
 */
extern int  gs1_build_digital_link(const gs1_ai_value *ais, int nais,
                                   const char *domain,
                                   char *buf, size_t buflen,
                                   char *msg, size_t msglen);

/* GS1 mod-10 check digit of the first n digits of s ('0'..'9'); -1 if a non-digit. */
extern int  gs1_check_digit(const char *s, size_t n);

/* Title of an AI from the dictionary ("SERIAL"), or NULL when unknown. */
extern const char *gs1_ai_title(const char *ai);

/* Is the AI known to the dictionary? */
extern bool gs1_ai_known(const char *ai);

/*
 * Check one AI's value against the dictionary: character set, lengths and the
 * linters of each component (check digits, dates, country codes…). Returns
 * true when it is valid; otherwise false with the first problem in msg
 * (e.g. "AI (17): day 31 does not exist in month 04"). An unknown AI is a
 * problem too.
 */
extern bool gs1_validate_ai(const char *ai, const char *value, size_t len,
                            char *msg, size_t msglen);

/*
 * Is a linter of that name implemented? Every linter the compiled dictionary
 * names must be (the unit tests walk the whole table); an unknown one found
 * while validating is reported as a problem, never skipped.
 */
extern bool gs1_linter_known(const char *name);

#endif                          /* PGTRACE_GS1_H */
