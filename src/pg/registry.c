/*
 * registry.c — settings of the traceability registry.
 *
 * The registry itself is SQL (src/sql/40_registry.sql); this file only
 * declares its setting so that the name is known (and typed) even when
 * another part reserves the "pgtrace" prefix.
 */
#include "pgtrace.h"

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"

#include "registry.h"

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

PG_FUNCTION_INFO_V1(pt_registry_date_or_null);
/*
 * trace._reg_date_or_null(text) -> date: the date written exactly YYYY-MM-DD,
 * or NULL when the text is not such a date (no error: the registry names the
 * record and field itself). Used on the bulk path of trace.commission.
 */
Datum
pt_registry_date_or_null(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    int         y, m, d;

    if (!reg_parse_ymd(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &y, &m, &d))
        PG_RETURN_NULL();
    PG_RETURN_DATEADT(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
}
