/*
 * registry.c — settings of the traceability registry.
 *
 * The registry itself is SQL (src/sql/40_registry.sql); this file only
 * declares its setting so that the name is known (and typed) even when
 * another part reserves the "pgtrace" prefix.
 */
#include "pgtrace.h"

#include "utils/guc.h"

/*
 * pgtrace.reference_time: the "now" against which the registry checks that
 * no production date lies in the future and stamps each record's time of
 * recording. Empty means the transaction's start time. Tests and replays of
 * historical data set it so that results do not depend on the clock.
 */
static char *pt_registry_reference_time = NULL;

void
pt_registry_init(void)
{
    DefineCustomStringVariable("pgtrace.reference_time",
                               "Reference time of registry checks (empty: the transaction start time).",
                               "Set it to replay historical data or to make tests independent of the clock.",
                               &pt_registry_reference_time,
                               "",
                               PGC_USERSET,
                               0,
                               NULL, NULL, NULL);
}
