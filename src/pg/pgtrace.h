/*
 * pgtrace.h — shared declarations of the PostgreSQL layer.
 */
#ifndef PGTRACE_H
#define PGTRACE_H

#include "compat.h"

/* True when loaded through shared_preload_libraries (full guarantees). */
extern bool pt_preloaded;

/*
 * Each part's start-up (settings, hooks, workers). Declared weak so a part
 * that is not in the build is simply skipped by _PG_init; each part defines
 * its own function in its own file.
 */
extern void pt_keys_init(void) __attribute__((weak));
extern void pt_ledger_init(void) __attribute__((weak));
extern void pt_registry_init(void) __attribute__((weak));
extern void pt_access_init(void) __attribute__((weak));
extern void pt_labels_init(void) __attribute__((weak));

/* codes.c: a trace code from text, NULL when invalid (no error); *gtin its GTIN or -1. */
extern struct varlena *pt_code_from_text(const char *s, size_t len, int64 *gtin);
extern bool pt_code_is_sscc(const struct varlena *c);

/* The access log, for trace.lookup (lookup.c); defined in access.c. */
extern bool pt_access_log_on(void);
extern void pt_access_log_lookup(const char *object, bool found);

/* The queue of lookups for the access log (access_buffer.c). */
extern void pt_access_buffer_init(void);
extern bool pt_access_queue_lookup(const char *role, const char *session, const char *object, bool found);
extern bool pt_access_queue_access(char action, const char *role, const char *session, const char *objects);
extern void pt_access_queue_attach(void);
extern void pt_access_queue_drain(MemoryContext loopcxt);
extern int64 pt_access_queue_pending(void);

#endif                          /* PGTRACE_H */
