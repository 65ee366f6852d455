/*
 * access.c — access control and the access log (issue 5): the settings
 * pgtrace.access_log and pgtrace.tls_writers, the facts the SQL layer
 * (src/sql/50_access.sql) cannot see for itself, and the executor hook that
 * records what regulator roles read.
 *
 * The SQL layer does the deciding; this file reports facts:
 *   - the acting role: the role in effect outside every SECURITY DEFINER
 *     function (GetOuterUserId), so a registry write made through a definer
 *     function is still checked against the role that called it;
 *   - which listed role of pgtrace.tls_writers a role belongs to.
 * Whether the connection is encrypted comes from pg_stat_get_activity (the
 * server's libpq-be.h needs GSSAPI headers that a build host may lack).
 */
#include "pgtrace.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

void        pt_access_init(void);

static bool access_log_on = true;
static char *tls_writers = NULL;
static bool in_access_log = false;
static ExecutorStart_hook_type prev_executor_start = NULL;
static needs_fmgr_hook_type prev_needs_fmgr_hook = NULL;
static fmgr_hook_type prev_fmgr_hook = NULL;

/* Check hook of pgtrace.tls_writers: a comma-separated list of role names. */
static bool
check_tls_writers(char **newval, void **extra, GucSource source)
{
    char       *copy = pstrdup(*newval ? *newval : "");
    List       *names = NIL;
    bool        ok = SplitIdentifierString(copy, ',', &names);

    list_free(names);
    pfree(copy);
    if (!ok)
        GUC_check_errdetail("A comma-separated list of role names is expected, without empty names.");
    return ok;
}

/*
 * The relations of the extension's schema that a plan reads, as a
 * comma-separated list of schema-qualified names (NULL when none).
 */
static char *
trace_relations_read(PlannedStmt *stmt, Oid nsp)
{
    StringInfoData buf;
    List       *seen = NIL;
    ListCell   *lc;

    initStringInfo(&buf);
    foreach(lc, stmt->rtable)
    {
        RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
        char       *name;

        /* what the statement writes is not what it reads */
        if (list_member_int(stmt->resultRelations, foreach_current_index(lc) + 1))
            continue;
        if (rte->rtekind != RTE_RELATION || list_member_oid(seen, rte->relid))
            continue;
        if (get_rel_namespace(rte->relid) != nsp)
            continue;
        name = get_rel_name(rte->relid);
        if (name == NULL)
            continue;
        seen = lappend_oid(seen, rte->relid);
        if (buf.len > 0)
            appendStringInfoString(&buf, ", ");
        appendStringInfo(&buf, "%s.%s", get_namespace_name(nsp), quote_identifier(name));
    }
    list_free(seen);
    return buf.len > 0 ? buf.data : NULL;
}

/*
 * Whether an access-log row can be written here. In a read-only transaction
 * or on a standby it cannot: the entry (fmt: the text after "pgtrace
 * access: ") goes to the server log instead.
 */
static bool access_log_writable(const char *fmt,...) pg_attribute_printf(1, 2);

static bool
access_log_writable(const char *fmt,...)
{
    StringInfoData entry;

    if (!XactReadOnly && !RecoveryInProgress())
        return true;
    initStringInfo(&entry);
    for (;;)
    {
        va_list     args;
        int         needed;

        va_start(args, fmt);
        needed = appendStringInfoVA(&entry, fmt, args);
        va_end(args);
        if (needed == 0)
            break;
        enlargeStringInfo(&entry, needed);
    }
    ereport(LOG,
            (errmsg("pgtrace access: %s (not in trace.access_log: read-only transaction)", entry.data),
             errhidestmt(true)));
    return false;
}

/*
 * Run append(logrel, arg) inside SPI as the owner of the access-log table
 * (the caller itself may not write it); nothing when the table is gone.
 */
static void
append_as_log_owner(void (*append) (Oid logrel, void *arg), void *arg)
{
    Oid         logrel;
    Oid         owner;
    Oid         save_user;
    int         save_sec;
    HeapTuple   tp;

    logrel = get_relname_relid("access_log_record", get_namespace_oid("trace", false));
    if (!OidIsValid(logrel))
        return;
    tp = SearchSysCache1(RELOID, ObjectIdGetDatum(logrel));
    if (!HeapTupleIsValid(tp))
        return;
    owner = ((Form_pg_class) GETSTRUCT(tp))->relowner;
    ReleaseSysCache(tp);

    GetUserIdAndSecContext(&save_user, &save_sec);
    in_access_log = true;
    PG_TRY();
    {
        SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
        if (SPI_connect() != SPI_OK_CONNECT)
            elog(ERROR, "SPI_connect failed");
        append(logrel, arg);
        SPI_finish();
    }
    PG_FINALLY();
    {
        in_access_log = false;
        SetUserIdAndSecContext(save_user, save_sec);
    }
    PG_END_TRY();
}

typedef struct AccessRead
{
    const char *action;
    const char *objects;
} AccessRead;

static void
append_read(Oid logrel, void *arg)
{
    AccessRead *r = (AccessRead *) arg;
    Oid         argtypes[2] = {TEXTOID, TEXTOID};
    Datum       values[2];

    values[0] = CStringGetTextDatum(r->action);
    values[1] = CStringGetTextDatum(r->objects);
    if (SPI_execute_with_args("SELECT trace._acc_log($1, $2, NULL)", 2, argtypes, values,
                              NULL, false, 0) != SPI_OK_SELECT)
        elog(ERROR, "could not append to the access log");
}

/*
 * Record one regulator read or export: through the queue (access_buffer.c),
 * which the caller's transaction cannot take back, else in the caller's own
 * transaction.
 */
static void
log_access(const char *action, const char *objects)
{
    AccessRead  r = {action, objects};

    if (pt_access_queue_access(strcmp(action, "export") == 0 ? 'e' : 'r',
                               GetUserNameFromId(GetOuterUserId(), false),
                               GetUserNameFromId(GetSessionUserId(), false), objects))
        return;
    if (!access_log_writable("%s by \"%s\" of %s", action,
                             GetUserNameFromId(GetOuterUserId(), false), objects))
        return;
    append_as_log_owner(append_read, &r);
}

/*
 * Executor hook: a statement of any kind (SELECT, or INSERT ... SELECT,
 * UPDATE ... FROM, MERGE, ...) run by a member of trace_regulator (not a
 * superuser) that reads relations of the trace schema is recorded. Reads
 * made inside SECURITY DEFINER functions run as the function's owner and are
 * not recorded here; the function itself records what it discloses.
 */
static void
access_executor_start(QueryDesc *queryDesc, int eflags)
{
    if (prev_executor_start)
        prev_executor_start(queryDesc, eflags);
    else
        standard_ExecutorStart(queryDesc, eflags);

    if (!access_log_on || in_access_log || IsParallelWorker()
        || (eflags & EXEC_FLAG_EXPLAIN_ONLY) || !IsTransactionState())
        return;
    {
        Oid         user = GetUserId();
        Oid         regulator;
        Oid         nsp;
        char       *objects;

        if (superuser_arg(user))
            return;
        regulator = get_role_oid("trace_regulator", true);
        if (!OidIsValid(regulator) || !has_privs_of_role(user, regulator))
            return;
        nsp = get_namespace_oid("trace", true);
        if (!OidIsValid(nsp))
            return;
        objects = trace_relations_read(queryDesc->plannedstmt, nsp);
        if (objects != NULL)
            log_access("read", objects);
    }
}

/*
 * Exports and regulator reads through functions (clause 11). Two kinds of
 * call of a function of the extension's schema are recorded:
 *   - every call of a function whose name begins with "export", whoever
 *     calls it (action "export");
 *   - a call by a member of trace_regulator of a SECURITY DEFINER function
 *     that is not internal ("_" prefix) — such functions read as their owner,
 *     so the executor hook does not see what they read (action "read").
 * trace.lookup records itself. needs_fmgr_hook runs when a call is prepared
 * (one catalog lookup per call site, not per row); a call made inside a
 * recorded call is not recorded again.
 */
typedef enum
{
    CALL_NOT_LOGGED = 0,
    CALL_EXPORT,
    CALL_DEFINER_READ
} logged_call;

static int  logged_depth = 0;

static logged_call
classify_function(Oid fn_oid)
{
    HeapTuple   tp;
    logged_call result = CALL_NOT_LOGGED;
    Oid         nsp;

    if (!IsTransactionState())
        return CALL_NOT_LOGGED;
    nsp = get_namespace_oid("trace", true);
    if (!OidIsValid(nsp))
        return CALL_NOT_LOGGED;
    tp = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
    if (HeapTupleIsValid(tp))
    {
        Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tp);
        const char *name = NameStr(p->proname);

        if (p->pronamespace == nsp)
        {
            if (strncmp(name, "export", 6) == 0)
                result = CALL_EXPORT;
            else if (p->prosecdef && name[0] != '_' && strcmp(name, "lookup") != 0)
                result = CALL_DEFINER_READ;
        }
        ReleaseSysCache(tp);
    }
    return result;
}

static bool
access_needs_fmgr_hook(Oid fn_oid)
{
    if (prev_needs_fmgr_hook && prev_needs_fmgr_hook(fn_oid))
        return true;
    return classify_function(fn_oid) != CALL_NOT_LOGGED;
}

/* Is the acting role a regulator (and not a superuser)? */
static bool
acting_regulator(void)
{
    Oid         actor = GetOuterUserId();
    Oid         regulator = get_role_oid("trace_regulator", true);

    return OidIsValid(regulator) && !superuser_arg(actor) && has_privs_of_role(actor, regulator);
}

static void
access_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
    if (prev_fmgr_hook)
        prev_fmgr_hook(event, flinfo, private);
    if (event == FHET_START)
    {
        logged_call kind;

        *private = (Datum) 0;
        if (!access_log_on || in_access_log || IsParallelWorker())
            return;
        kind = classify_function(flinfo->fn_oid);
        if (kind == CALL_NOT_LOGGED || (kind == CALL_DEFINER_READ && !acting_regulator()))
            return;
        if (logged_depth == 0)
        {
            char       *name = get_func_name(flinfo->fn_oid);

            log_access(kind == CALL_EXPORT ? "export" : "read", psprintf("trace.%s()", name ? name : "?"));
        }
        logged_depth++;
        *private = (Datum) 1;
    }
    else if (*private == (Datum) 1)
    {
        /* FHET_END or FHET_ABORT of a recorded call */
        logged_depth--;
        *private = (Datum) 0;
    }
}

/* A recorded call cut short without FHET_ABORT must not silence the session. */
static void
access_xact_callback(XactEvent event, void *arg)
{
    if (event == XACT_EVENT_ABORT || event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_ABORT)
        logged_depth = 0;
}

/*
 * Settings of the access part. Both are superuser-only: a role must not be
 * able to switch off the log of its own reads or its own transport rule.
 */
void
pt_access_init(void)
{
    DefineCustomBoolVariable("pgtrace.access_log",
                             "Record public lookups, regulator reads and exports in trace.access_log.",
                             NULL,
                             &access_log_on, true,
                             PGC_SUSET, 0,
                             NULL, NULL, NULL);
    DefineCustomStringVariable("pgtrace.tls_writers",
                               "Roles that may write registry records only over a TLS-encrypted connection.",
                               "A comma-separated list of role names; members of a listed role are included.",
                               &tls_writers, "",
                               PGC_SUSET, GUC_LIST_INPUT,
                               check_tls_writers, NULL, NULL);

    pt_access_buffer_init();

    prev_executor_start = ExecutorStart_hook;
    ExecutorStart_hook = access_executor_start;
    prev_needs_fmgr_hook = needs_fmgr_hook;
    needs_fmgr_hook = access_needs_fmgr_hook;
    prev_fmgr_hook = fmgr_hook;
    fmgr_hook = access_fmgr_hook;
    RegisterXactCallback(access_xact_callback, NULL);
}

PG_FUNCTION_INFO_V1(pt_access_acting_role);
/*
 * trace._acc_acting_role(): the role in effect outside any SECURITY DEFINER
 * function — the session user or the role of SET ROLE.
 */
Datum
pt_access_acting_role(PG_FUNCTION_ARGS)
{
    PG_RETURN_OID(GetOuterUserId());
}

PG_FUNCTION_INFO_V1(pt_access_tls_writer_of);
/*
 * trace._acc_tls_writer_of(role oid): the listed role of pgtrace.tls_writers
 * that `role` has the privileges of (NULL when none).
 */
Datum
pt_access_tls_writer_of(PG_FUNCTION_ARGS)
{
    Oid         role = PG_GETARG_OID(0);
    char       *copy;
    List       *names = NIL;
    ListCell   *lc;

    if (tls_writers == NULL || tls_writers[0] == '\0')
        PG_RETURN_NULL();
    copy = pstrdup(tls_writers);
    if (!SplitIdentifierString(copy, ',', &names))
        PG_RETURN_NULL();
    foreach(lc, names)
    {
        const char *name = (const char *) lfirst(lc);
        Oid         listed = get_role_oid(name, true);

        if (OidIsValid(listed) && has_privs_of_role(role, listed) && !superuser_arg(role))
            PG_RETURN_TEXT_P(cstring_to_text(name));
    }
    PG_RETURN_NULL();
}

/* Is the access log on? (for trace.lookup in lookup.c) */
bool
pt_access_log_on(void)
{
    return access_log_on;
}

typedef struct AccessLookup
{
    const char *object;
    bool        found;
} AccessLookup;

/* The lookup's row, through a plan kept for the session (per log table). */
static void
append_lookup(Oid logrel, void *arg)
{
    static SPIPlanPtr plan = NULL;
    static Oid  plan_rel = InvalidOid;
    AccessLookup *l = (AccessLookup *) arg;
    Datum       args[5];
    char        nulls[6] = "     ";

    if (plan == NULL || plan_rel != logrel)
    {
        Oid         argtypes[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID};
        SPIPlanPtr  p;

        if (plan)
            SPI_freeplan(plan);
        plan = NULL;
        p = SPI_prepare("INSERT INTO trace.access_log_record"
                        " (logged_at, role_name, session_role, action, object, client_addr, application, detail)"
                        " VALUES (pg_catalog.clock_timestamp(), $1, $2, 'lookup', $3,"
                        " pg_catalog.inet_client_addr(), $4,"
                        " pg_catalog.jsonb_build_object('found', $5))", 5, argtypes);
        if (p == NULL || SPI_keepplan(p) != 0)
            elog(ERROR, "could not prepare the access-log insert");
        plan = p;
        plan_rel = logrel;
    }
    args[0] = CStringGetTextDatum(GetUserNameFromId(GetOuterUserId(), false));
    args[1] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
    args[2] = CStringGetTextDatum(l->object);
    args[3] = (Datum) 0;
    if (application_name && application_name[0])
        args[3] = CStringGetTextDatum(application_name);
    else
        nulls[3] = 'n';
    args[4] = BoolGetDatum(l->found);
    if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
        elog(ERROR, "could not append to the access log");
}

/*
 * Record one lookup in the access log (trace.lookup in lookup.c, when the
 * queue cannot take it): the acting role, the login role, the normalised
 * code, the client address, the application and whether it was found.
 */
void
pt_access_log_lookup(const char *object, bool found)
{
    AccessLookup l = {object, found};

    if (!access_log_writable("lookup by \"%s\" of %s, %s",
                             GetUserNameFromId(GetOuterUserId(), false), object,
                             found ? "found" : "not found"))
        return;
    append_as_log_owner(append_lookup, &l);
}

PG_FUNCTION_INFO_V1(pt_access_log_enabled);
/* trace._acc_log_enabled(): the value of pgtrace.access_log. */
Datum
pt_access_log_enabled(PG_FUNCTION_ARGS)
{
    PG_RETURN_BOOL(access_log_on);
}
