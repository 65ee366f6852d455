/*
 * compat.h — the one place for PostgreSQL version differences (15 is the floor;
 * 16 and 17 must build too).
 */
#ifndef PGTRACE_COMPAT_H
#define PGTRACE_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "pgtrace needs PostgreSQL 15 or later"
#endif

/*
 * Soft input errors: PostgreSQL 16 lets type input functions report errors
 * into fcinfo->context (pg_input_is_valid, COPY ... ON_ERROR). On 15 the
 * escontext is ignored and the error is raised.
 */
#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#define PT_ESCONTEXT(fcinfo)  ((fcinfo)->context)
#define pt_input_error(escontext, retval, ...) ereturn((escontext), (retval), __VA_ARGS__)
#else
#define PT_ESCONTEXT(fcinfo)  ((Node *) NULL)
#define pt_input_error(escontext, retval, ...) \
    do { (void) (escontext); ereport(ERROR, __VA_ARGS__); return (retval); } while (0)
#endif

#endif                          /* PGTRACE_COMPAT_H */
