/*
 * jcs.h — strict JSON (RFC 8259) parsing and RFC 8785 canonical form (JCS).
 *
 * Pure C, no PostgreSQL headers. Memory comes from malloc and is released by
 * the matching free functions; on error nothing is left allocated.
 */
#ifndef PT_JCS_H
#define PT_JCS_H

#include <stddef.h>
#include <stdbool.h>

/* Nesting deeper than this (arrays + objects) is rejected. */
#define JCS_MAX_DEPTH 128

/* Buffer size that holds any ECMAScript number string plus NUL. */
#define JCS_NUMBER_BUFSZ 32

typedef enum jcs_status
{
    JCS_OK = 0,
    JCS_ERR_SYNTAX,             /* not JSON: bad token, trailing comma, ... */
    JCS_ERR_STRING,             /* bad escape, lone surrogate, control char */
    JCS_ERR_UTF8,               /* input is not valid UTF-8 */
    JCS_ERR_NUMBER,             /* bad number form, or not a finite double */
    JCS_ERR_DUPLICATE_KEY,      /* the same member name twice in one object */
    JCS_ERR_DEPTH,              /* nesting deeper than JCS_MAX_DEPTH */
    JCS_ERR_NOMEM
} jcs_status;

typedef enum jcs_type
{
    JCS_NULL,
    JCS_FALSE,
    JCS_TRUE,
    JCS_NUMBER,
    JCS_STRING,
    JCS_ARRAY,
    JCS_OBJECT
} jcs_type;

typedef struct jcs_value jcs_value;

/* One object member; an object's members are kept in JCS (UTF-16) order. */
typedef struct jcs_member
{
    char       *key;            /* decoded UTF-8, NUL-terminated (may hold NUL) */
    size_t      keylen;
    size_t      offset;         /* byte offset of the key in the input */
    jcs_value  *value;
} jcs_member;

struct jcs_value
{
    jcs_type    type;
    size_t      offset;         /* byte offset of the value in the input */
    double      number;         /* JCS_NUMBER */
    char       *str;            /* JCS_STRING: decoded UTF-8, NUL-terminated */
    size_t      len;            /* string length in bytes, or item count */
    jcs_value **items;          /* JCS_ARRAY */
    jcs_member *members;        /* JCS_OBJECT, sorted */
};

/*
 * Parse JSON text. On success *out holds the tree (free with jcs_free). On
 * failure returns the status and writes "message at byte N" into err.
 */
jcs_status  jcs_parse(const char *text, size_t len, jcs_value **out,
                      char *err, size_t errlen);
void        jcs_free(jcs_value *v);

/* Look up a member of an object by name (NULL if absent or not an object). */
const jcs_value *jcs_get(const jcs_value *obj, const char *key);

/*
 * Serialise a tree in RFC 8785 canonical form. *out is malloc'ed and
 * NUL-terminated; *outlen excludes the NUL.
 */
jcs_status  jcs_serialize(const jcs_value *v, char **out, size_t *outlen);

/* Parse + serialise in one call. */
jcs_status  jcs_canonicalize(const char *text, size_t len, char **out, size_t *outlen,
                             char *err, size_t errlen);

/*
 * Format a finite double as ECMAScript Number::toString does (shortest
 * round-trip digits). Returns false for NaN or infinity.
 */
bool        jcs_format_number(double d, char buf[JCS_NUMBER_BUFSZ]);

/* Compare two UTF-8 strings by their UTF-16 code units (JCS key order). */
int         jcs_compare_keys(const char *a, size_t alen, const char *b, size_t blen);

/* Append a JCS-escaped JSON string (with quotes) to a growable buffer. */
typedef struct jcs_buf
{
    char       *data;
    size_t      len;
    size_t      cap;
    bool        failed;         /* an allocation failed */
} jcs_buf;

void        jcs_buf_put(jcs_buf *b, const char *s, size_t n);
void        jcs_buf_puts(jcs_buf *b, const char *s);
void        jcs_buf_put_string(jcs_buf *b, const char *s, size_t n);

#endif                          /* PT_JCS_H */
