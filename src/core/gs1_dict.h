/*
 * gs1_dict.h — the GS1 Application Identifier table, generated from
 * data/gs1-syntax-dictionary.txt by scripts/gen_gs1_dict.pl into gs1_dict.c.
 */
#ifndef PGTRACE_GS1_DICT_H
#define PGTRACE_GS1_DICT_H

#include <stdbool.h>

#define GS1_DICT_MAX_COMPONENTS 5

/* One component of an AI's data field, e.g. "N6,yymmd0" or "[X..17]". */
typedef struct gs1_component
{
    char        cset;           /* 'N' numeric, 'X' CSET 82, 'Y' CSET 39, 'Z' CSET 64 */
    unsigned char min;          /* minimum length (== max when fixed) */
    unsigned char max;          /* maximum length */
    bool        optional;       /* "[...]": may be absent (final components only) */
    const char *linters;        /* comma-separated linter names, "" when none */
} gs1_component;

typedef struct gs1_dict_entry
{
    char        ai[5];          /* "01", "3103", … NUL-terminated */
    bool        predefined;     /* "*": predefined length, no FNC1 after it */
    unsigned char ncomp;
    gs1_component comp[GS1_DICT_MAX_COMPONENTS];
    const char *req;            /* space-separated groups of comma-separated alternatives */
    const char *ex;             /* comma-separated AIs or patterns ("310n", "31nn") */
    bool        dlpkey;         /* a Digital Link primary key */
    const char *dlquals;        /* ordered qualifier sequences, e.g. "22,10,21|235" */
    const char *title;
} gs1_dict_entry;

extern const gs1_dict_entry gs1_dict[];
extern const int gs1_dict_len;      /* entries, sorted by ai (strcmp) */

#endif                          /* PGTRACE_GS1_DICT_H */
