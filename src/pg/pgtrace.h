/*
 * pgtrace.h — shared declarations of the PostgreSQL layer.
 */
#ifndef PGTRACE_H
#define PGTRACE_H

#include "compat.h"

/* True when loaded through shared_preload_libraries (full guarantees). */
extern bool pt_preloaded;

#endif                          /* PGTRACE_H */
