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

#endif                          /* PGTRACE_H */
