/*
 * pgtrace.c — module entry point: _PG_init wires settings, hooks and workers
 * of every part, and trace.status() reports which guarantees hold.
 */
#include "pgtrace.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "gs1.h"

PG_MODULE_MAGIC;

bool        pt_preloaded = false;

void        _PG_init(void);

void
_PG_init(void)
{
    pt_preloaded = process_shared_preload_libraries_in_progress;

    if (pt_keys_init)
        pt_keys_init();
    if (pt_ledger_init)
        pt_ledger_init();
    if (pt_registry_init)
        pt_registry_init();
    if (pt_access_init)
        pt_access_init();
    if (pt_labels_init)
        pt_labels_init();
}

PG_FUNCTION_INFO_V1(pt_preloaded_sql);
/* trace._preloaded(): was the library loaded by shared_preload_libraries? */
Datum
pt_preloaded_sql(PG_FUNCTION_ARGS)
{
    PG_RETURN_BOOL(pt_preloaded);
}

PG_FUNCTION_INFO_V1(pt_gs1_dictionary_release);
/* trace._gs1_dictionary_release(): the GS1 syntax dictionary compiled in. */
Datum
pt_gs1_dictionary_release(PG_FUNCTION_ARGS)
{
    PG_RETURN_TEXT_P(cstring_to_text(GS1_DICT_RELEASE));
}
