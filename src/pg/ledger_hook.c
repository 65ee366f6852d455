/*
 * ledger_hook.c — the ProcessUtility guard of ledger tables (active only when
 * pgtrace is in shared_preload_libraries).
 *
 * Triggers refuse UPDATE, DELETE and TRUNCATE; this hook closes the utility
 * commands around them: switching the ledger triggers off (or to ORIGIN /
 * REPLICA mode, which session_replication_role silences), dropping or renaming
 * them, rules, column changes and rewrites, DROP of a ledger table or of the
 * extension while ledger rows exist. Prevention stops at SQL: a superuser
 * editing the catalog or the files is caught by trace.verify() instead.
 */
#include "ledger_pg.h"

#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_proc.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "utils/regproc.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "access/relation.h"
#include "nodes/makefuncs.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "storage/proc.h"

#include <string.h>

bool        pt_ledger_hooks_active = false;

static ProcessUtility_hook_type prev_utility = NULL;
static object_access_hook_type prev_object_access = NULL;

/*
 * The guard's own lookups (is this a ledger table, does it hold rows) run as
 * the bootstrap superuser: they must answer the same for every user — one
 * who may not read trace.ledger_tables, or who sees no rows of a table
 * through row-level security — and must not fail a command on a table that
 * has nothing to do with the ledger. Restored by the caller (and on error by
 * the transaction abort).
 */
static void
as_superuser_begin(Oid *save_user, int *save_sec)
{
    GetUserIdAndSecContext(save_user, save_sec);
    SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID, *save_sec | SECURITY_LOCAL_USERID_CHANGE);
}

/* Is relid a registered ledger table (or one of the ledger's own tables)? */
static bool
is_ledger(Oid relid)
{
    Oid         nsp = pt_ledger_extension_schema();
    bool        result = false;
    Oid         types[1] = {OIDOID};
    Datum       args[1] = {ObjectIdGetDatum(relid)};
    char       *relname;
    Oid         save_user;
    int         save_sec;

    if (!OidIsValid(nsp) || !OidIsValid(relid) || !IsTransactionState())
        return false;
    if (get_rel_namespace(relid) == nsp)
    {
        relname = get_rel_name(relid);
        if (relname && (strcmp(relname, "ledger_blocks") == 0
                        || strcmp(relname, "ledger_tombstones") == 0
                        || strcmp(relname, "ledger_tables") == 0))
            return true;
    }
    if (!OidIsValid(get_relname_relid("ledger_tables", nsp)))
        return false;
    as_superuser_begin(&save_user, &save_sec);
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute_with_args("SELECT 1 FROM trace.ledger_tables WHERE relid = $1",
                              1, types, args, NULL, true, 1) == SPI_OK_SELECT)
        result = SPI_processed > 0;
    PopActiveSnapshot();
    SPI_finish();
    SetUserIdAndSecContext(save_user, save_sec);
    return result;
}

/*
 * The sealed floor of a ledger (trace.ledger_tables.seal_floor; 0 when not
 * registered), read as the bootstrap superuser like is_ledger.
 */
int64
pt_ledger_seal_floor(Oid relid)
{
    int64       result = 0;
    Oid         types[1] = {OIDOID};
    Datum       args[1] = {ObjectIdGetDatum(relid)};
    Oid         save_user;
    int         save_sec;

    as_superuser_begin(&save_user, &save_sec);
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute_with_args("SELECT seal_floor FROM trace.ledger_tables WHERE relid = $1",
                              1, types, args, NULL, true, 1) == SPI_OK_SELECT
        && SPI_processed == 1)
    {
        bool        isnull;
        Datum       d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

        if (!isnull)
            result = DatumGetInt64(d);
    }
    PopActiveSnapshot();
    SPI_finish();
    SetUserIdAndSecContext(save_user, save_sec);
    return result;
}

/* Does the table hold at least one row? */
static bool
has_rows(Oid relid)
{
    bool        result = false;
    char       *q;
    Oid         save_user;
    int         save_sec;

    q = psprintf("SELECT 1 FROM %s LIMIT 1",
                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                            get_rel_name(relid)));
    as_superuser_begin(&save_user, &save_sec);
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute(q, true, 1) == SPI_OK_SELECT)
        result = SPI_processed > 0;
    PopActiveSnapshot();
    SPI_finish();
    SetUserIdAndSecContext(save_user, save_sec);
    return result;
}

/*
 * Does the ledger table hold a row still within its retention? The
 * install's own seed — the first-batch product categories, reference data
 * rather than trace records, kept for ever — does not count, so that
 * pgtrace.break_glass can remove an install in which nothing was recorded.
 */
static bool
has_retained_rows(Oid relid)
{
    bool        result = false;
    char       *q;
    bool        seed_table = relid == get_relname_relid("category_record", pt_ledger_extension_schema());

    q = psprintf("SELECT 1 FROM %s WHERE (ledger_retain_until IS NULL OR ledger_retain_until >= CURRENT_DATE)%s LIMIT 1",
                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                            get_rel_name(relid)),
                 seed_table ? " AND NOT seeded" : "");
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute(q, true, 1) == SPI_OK_SELECT)
        result = SPI_processed > 0;
    PopActiveSnapshot();
    SPI_finish();
    return result;
}

/*
 * The relids of every registered ledger table that still exists (*n of
 * them), read as the bootstrap superuser like is_ledger.
 */
static Oid *
ledger_relids(int *n)
{
    Oid         nsp = pt_ledger_extension_schema();
    Oid        *relids = NULL;
    int         found = 0;
    int         i;
    Oid         save_user;
    int         save_sec;

    *n = 0;
    if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("ledger_tables", nsp)))
        return NULL;
    as_superuser_begin(&save_user, &save_sec);
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    if (SPI_execute("SELECT relid::pg_catalog.oid FROM trace.ledger_tables", true, 0) == SPI_OK_SELECT)
    {
        relids = MemoryContextAlloc(CurTransactionContext, sizeof(Oid) * Max(SPI_processed, 1));
        for (i = 0; i < (int) SPI_processed; i++)
        {
            bool        isnull;
            Oid         relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

            if (!isnull && OidIsValid(relid) && SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
                relids[found++] = relid;
        }
    }
    PopActiveSnapshot();
    SPI_finish();
    SetUserIdAndSecContext(save_user, save_sec);
    *n = found;
    return relids;
}

/*
 * Does any ledger table hold a row (with only_retained: a row still within
 * its retention, which break glass never removes)?
 */
static bool
any_ledger_rows(bool only_retained)
{
    int         n;
    Oid        *relids = ledger_relids(&n);
    int         i;

    for (i = 0; i < n; i++)
        if (only_retained ? has_retained_rows(relids[i]) : has_rows(relids[i]))
            return true;
    return false;
}

static void
refuse(const char *what, const char *relname, const char *detail)
{
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("%s on ledger table \"%s\" is not allowed", what, relname),
             errdetail("%s", detail),
             errhint("Ledger tables are append-only; see docs/ledger.md.")));
}

static Oid
rangevar_relid(RangeVar *rv)
{
    return rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
}

static bool
is_ledger_column_name(const char *name)
{
    return name != NULL && strncmp(name, "ledger_", 7) == 0;
}

static bool
is_ledger_trigger_name(const char *name)
{
    return strcmp(name, PT_TRIGGER_INSERT) == 0 || strcmp(name, PT_TRIGGER_REFUSE) == 0
        || strcmp(name, PT_TRIGGER_GUARD) == 0;
}

/*
 * A ledger table must stay out of every inheritance tree and partitioned
 * table: the refusal trigger fires on the table a statement names, so an
 * UPDATE or DELETE through a parent would reach a ledger child's rows
 * without it; and rows of a child would show in the ledger's queries without
 * being in its ledger. Refused: ALTER TABLE parent ATTACH PARTITION ledger,
 * ALTER TABLE t INHERIT ledger (the ledger's own INHERIT / NO INHERIT /
 * ATTACH / DETACH are refused in check_alter_table's loop).
 */
static void
check_alter_table_other(AlterTableStmt *stmt)
{
    ListCell   *lc;

    foreach(lc, stmt->cmds)
    {
        AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
        Oid         other = InvalidOid;

        if (cmd->subtype == AT_AttachPartition && cmd->def && IsA(cmd->def, PartitionCmd))
            other = rangevar_relid(((PartitionCmd *) cmd->def)->name);
        else if (cmd->subtype == AT_AddInherit && cmd->def && IsA(cmd->def, RangeVar))
            other = rangevar_relid((RangeVar *) cmd->def);
        if (OidIsValid(other) && is_ledger(other))
            refuse(cmd->subtype == AT_AttachPartition ? "ATTACH PARTITION" : "inheriting from a ledger table",
                   get_rel_name(other),
                   "A ledger table cannot be a partition, an inheritance child or an inheritance parent:"
                   " UPDATE and DELETE through a parent would bypass its refusal trigger.");
    }
}

static void
check_alter_table(AlterTableStmt *stmt)
{
    Oid         relid = rangevar_relid(stmt->relation);
    ListCell   *lc;
    int         rows = -1;      /* unknown */

    check_alter_table_other(stmt);
    if (!is_ledger(relid))
        return;
    foreach(lc, stmt->cmds)
    {
        AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
        const char *what = NULL;
        bool        only_with_rows = false;

        switch (cmd->subtype)
        {
            case AT_EnableTrig:
            case AT_EnableReplicaTrig:
            case AT_DisableTrig:
                if (cmd->name && is_ledger_trigger_name(cmd->name))
                    what = "changing the firing of a ledger trigger";
                break;
            case AT_EnableTrigAll:
            case AT_DisableTrigAll:
            case AT_EnableTrigUser:
            case AT_DisableTrigUser:
                what = "changing the firing of all triggers";
                break;
            case AT_EnableRule:
            case AT_EnableAlwaysRule:
            case AT_EnableReplicaRule:
                what = "enabling a rule";
                break;
            case AT_AlterColumnType:
                what = "ALTER COLUMN TYPE";
                only_with_rows = !is_ledger_column_name(cmd->name);
                break;
            case AT_DropColumn:
                what = "DROP COLUMN";
                only_with_rows = !is_ledger_column_name(cmd->name);
                break;
            case AT_DropNotNull:
                if (is_ledger_column_name(cmd->name))
                    what = "DROP NOT NULL on a ledger column";
                break;
            case AT_AddColumn:
                what = "ADD COLUMN";
                only_with_rows = true;
                break;
            case AT_SetUnLogged:
                what = "SET UNLOGGED";  /* its rows would be lost on a crash */
                break;
            case AT_SetLogged:
            case AT_SetAccessMethod:
                what = "rewriting the table";
                only_with_rows = true;
                break;
            case AT_AddInherit:
            case AT_DropInherit:
            case AT_AttachPartition:
            case AT_DetachPartition:
                what = "changing inheritance";
                break;
            case AT_DropExpression:
                what = "DROP EXPRESSION";
                only_with_rows = true;
                break;
            default:
                break;
        }
        if (what == NULL)
            continue;
        if (only_with_rows)
        {
            if (rows < 0)
                rows = has_rows(relid) ? 1 : 0;
            if (rows == 0)
                continue;
        }
        refuse(what, get_rel_name(relid),
               "The ledger's triggers, columns and storage are fixed while it holds rows.");
    }
}

/* Delete the registration of relid (the guard trigger lets this one through). */
static bool
unregister_ledger(Oid relid, Oid *types, Datum *args)
{
    bool        ok;

    pt_unregistering_relid = relid;
    PG_TRY();
    {
        ok = SPI_execute_with_args("DELETE FROM trace.ledger_tables WHERE relid = $1",
                                   1, types, args, NULL, false, 0) == SPI_OK_DELETE;
    }
    PG_FINALLY();
    {
        pt_unregistering_relid = InvalidOid;
    }
    PG_END_TRY();
    return ok;
}

/*
 * pgtrace.break_glass (superuser only): a ledger table whose every row is past
 * its retain-until date may be dropped. The drop is recorded in the ledger
 * table trace.ledger_events (so the next checkpoint shows it) and the ledger
 * is unregistered; its blocks stay.
 */
static void
break_glass_drop(Oid relid)
{
    char       *qname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                                   get_rel_name(relid));
    char       *q;
    int64       live;
    int64       total;
    bool        isnull;
    Oid         types[2] = {OIDOID, TEXTOID};
    Datum       args[2];

    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
    q = psprintf("SELECT count(*) FILTER (WHERE ledger_retain_until IS NULL OR ledger_retain_until >= CURRENT_DATE),"
                 " count(*) FROM %s", qname);
    if (SPI_execute(q, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgtrace ledger: counting rows failed");
    live = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
    if (live > 0)
        ereport(ERROR,
                (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                 errmsg("DROP TABLE on ledger table \"%s\" is not allowed", get_rel_name(relid)),
                 errdetail(INT64_FORMAT " of its " INT64_FORMAT " rows are still within retention.", live, total),
                 errhint("pgtrace.break_glass removes only ledgers whose every row is past ledger_retain_until.")));
    args[0] = ObjectIdGetDatum(relid);
    args[1] = CStringGetTextDatum(psprintf("{\"rows\": " INT64_FORMAT "}", total));
    if (SPI_execute_with_args("INSERT INTO trace.ledger_events (event, ledger, detail)"
                              " SELECT 'break_glass_drop', l.ledger_name, $2::jsonb"
                              " FROM trace.ledger_tables l WHERE l.relid = $1",
                              2, types, args, NULL, false, 0) != SPI_OK_INSERT
        || !unregister_ledger(relid, types, args))
        elog(ERROR, "pgtrace ledger: recording the break-glass drop failed");
    PopActiveSnapshot();
    SPI_finish();
    ereport(WARNING,
            (errmsg("pgtrace.break_glass: dropping ledger table \"%s\" (" INT64_FORMAT " rows past retention)",
                    get_rel_name(relid), total),
             errdetail("The drop is recorded in trace.ledger_events.")));
}

static void
refuse_extension_drop(void)
{
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("DROP EXTENSION pgtrace is not allowed while ledger tables hold rows"),
             errdetail(pt_break_glass ? "Some ledger rows are still within their retention."
                       : "Dropping the extension would remove the ledger's blocks and its triggers."),
             errhint("See pgtrace.break_glass in docs/ledger.md.")));
}

static void
check_drop(DropStmt *stmt)
{
    ListCell   *lc;

    foreach(lc, stmt->objects)
    {
        switch (stmt->removeType)
        {
            case OBJECT_TABLE:
                {
                    Oid         relid = rangevar_relid(makeRangeVarFromNameList((List *) lfirst(lc)));

                    if (!is_ledger(relid) || !has_rows(relid))
                        break;
                    if (pt_break_glass && get_rel_namespace(relid) != pt_ledger_extension_schema())
                        break_glass_drop(relid);
                    else
                        refuse("DROP TABLE", get_rel_name(relid),
                               "A ledger table cannot be dropped while it holds rows.");
                    break;
                }
            case OBJECT_TRIGGER:
                {
                    List       *names = (List *) lfirst(lc);
                    char       *trig = strVal(llast(names));
                    Oid         relid = rangevar_relid(makeRangeVarFromNameList(list_truncate(list_copy(names), list_length(names) - 1)));

                    if (is_ledger_trigger_name(trig) && is_ledger(relid))
                        refuse("DROP TRIGGER", get_rel_name(relid),
                               "The ledger triggers cannot be dropped.");
                    break;
                }
            case OBJECT_EXTENSION:
                {
                    char       *ext = strVal(lfirst(lc));

                    if (strcmp(ext, "pgtrace") == 0 && any_ledger_rows(pt_break_glass))
                        refuse_extension_drop();
                    break;
                }
            case OBJECT_SCHEMA:
                {
                    char       *nspname = strVal(lfirst(lc));
                    Oid         nsp = get_namespace_oid(nspname, true);

                    if (OidIsValid(nsp) && nsp != pt_ledger_extension_schema()
                        && stmt->behavior == DROP_CASCADE && any_ledger_rows(false))
                    {
                        /* Conservative: cascade could reach a ledger table. */
                        SPI_connect();
                        PushActiveSnapshot(GetTransactionSnapshot());
                        {
                            Oid         types[1] = {OIDOID};
                            Datum       args[1] = {ObjectIdGetDatum(nsp)};

                            if (SPI_execute_with_args("SELECT c.relname::text FROM trace.ledger_tables l"
                                                      " JOIN pg_catalog.pg_class c ON c.oid = l.relid"
                                                      " WHERE c.relnamespace = $1 ORDER BY c.relname",
                                                      1, types, args, NULL, true, 1) == SPI_OK_SELECT
                                && SPI_processed > 0)
                                ereport(ERROR,
                                        (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                                         errmsg("DROP SCHEMA \"%s\" CASCADE would drop ledger table \"%s\"", nspname,
                                                SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
                                         errhint("Ledger tables are append-only; see docs/ledger.md.")));
                        }
                        PopActiveSnapshot();
                        SPI_finish();
                    }
                    break;
                }
            default:
                return;
        }
    }
}

/* ------------------------------------------------------- type DDL */

/*
 * Is target the type typid itself, or inside it: the base of a domain, the
 * element of an array, an attribute of a composite (at any depth), the
 * subtype of a range or multirange? Those are the ways a column's stored
 * values carry a value of target, and so its canonical encoding.
 */
static bool
type_contains(Oid typid, Oid target, int depth)
{
    HeapTuple   tp;
    Form_pg_type t;
    Oid         next = InvalidOid;
    Oid         relid = InvalidOid;
    bool        result = false;

    if (typid == target)
        return true;
    if (depth > 32 || !OidIsValid(typid))
        return false;
    tp = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
    if (!HeapTupleIsValid(tp))
        return false;
    t = (Form_pg_type) GETSTRUCT(tp);
    if (t->typtype == TYPTYPE_DOMAIN)
        next = t->typbasetype;
    else if (t->typtype == TYPTYPE_COMPOSITE)
        relid = t->typrelid;
    else if (t->typtype == TYPTYPE_RANGE)
        next = get_range_subtype(typid);
    else if (t->typtype == TYPTYPE_MULTIRANGE)
        next = get_multirange_range(typid);
    else
        next = get_element_type(typid);     /* InvalidOid unless an array */
    ReleaseSysCache(tp);

    if (OidIsValid(next))
        return type_contains(next, target, depth + 1);
    if (OidIsValid(relid))
    {
        Relation    rel = relation_open(relid, AccessShareLock);
        TupleDesc   td = RelationGetDescr(rel);
        int         i;

        for (i = 0; i < td->natts && !result; i++)
        {
            Form_pg_attribute a = TupleDescAttr(td, i);

            if (!a->attisdropped)
                result = type_contains(a->atttypid, target, depth + 1);
        }
        relation_close(rel, AccessShareLock);
    }
    return result;
}

/*
 * Type DDL that changes the canonical encoding of values already stored
 * (what: the command) is refused while a ledger table with rows has a column
 * using the type, directly or inside a domain, an array, a composite or a
 * range: it would turn every such row 'changed' for verification.
 */
static void
refuse_type_change(Oid typid, const char *what)
{
    int         n;
    Oid        *relids;
    int         i;

    if (!OidIsValid(typid))
        return;
    relids = ledger_relids(&n);
    for (i = 0; i < n; i++)
    {
        Relation    rel = relation_open(relids[i], AccessShareLock);
        TupleDesc   td = RelationGetDescr(rel);
        const char *col = NULL;
        int         k;

        for (k = 0; k < td->natts && col == NULL; k++)
        {
            Form_pg_attribute a = TupleDescAttr(td, k);

            if (!a->attisdropped && type_contains(a->atttypid, typid, 0))
                col = pstrdup(NameStr(a->attname));
        }
        relation_close(rel, AccessShareLock);
        if (col != NULL && has_rows(relids[i]))
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("%s on type %s is not allowed: column \"%s\" of ledger table \"%s\" uses it",
                            what, format_type_be(typid), col, get_rel_name(relids[i])),
                     errdetail("It would change the canonical encoding, and so the hash, of rows the ledger already holds."),
                     errhint("Create a new type (or a new enum value) instead; see docs/ledger.md.")));
    }
}

static void
check_type_commands(Node *parsetree)
{
    switch (nodeTag(parsetree))
    {
        case T_AlterEnumStmt:
            {
                AlterEnumStmt *ae = (AlterEnumStmt *) parsetree;

                /* ADD VALUE leaves every stored value as it is */
                if (ae->oldVal != NULL)
                    refuse_type_change(LookupTypeNameOid(NULL, makeTypeNameFromNameList(ae->typeName), true),
                                       "ALTER TYPE ... RENAME VALUE");
                break;
            }
        case T_AlterTableStmt:
            {
                AlterTableStmt *at = (AlterTableStmt *) parsetree;
                Oid         relid;
                ListCell   *lc;

                if (at->objtype != OBJECT_TYPE)
                    break;
                relid = rangevar_relid(at->relation);
                if (!OidIsValid(relid))
                    break;
                foreach(lc, at->cmds)
                {
                    AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
                    const char *what = NULL;

                    if (cmd->subtype == AT_AddColumn)
                        what = "ALTER TYPE ... ADD ATTRIBUTE";
                    else if (cmd->subtype == AT_DropColumn)
                        what = "ALTER TYPE ... DROP ATTRIBUTE";
                    else if (cmd->subtype == AT_AlterColumnType)
                        what = "ALTER TYPE ... ALTER ATTRIBUTE ... TYPE";
                    if (what)
                        refuse_type_change(get_rel_type_id(relid), what);
                }
                break;
            }
        case T_AlterTypeStmt:
            {
                /* ALTER TYPE ... SET (SEND = ...): the ledger hashes the send output */
                AlterTypeStmt *as = (AlterTypeStmt *) parsetree;
                ListCell   *lc;

                foreach(lc, as->options)
                    if (strcmp(lfirst_node(DefElem, lc)->defname, "send") == 0)
                        refuse_type_change(LookupTypeNameOid(NULL, makeTypeNameFromNameList(as->typeName), true),
                                           "ALTER TYPE ... SET (SEND)");
                break;
            }
        default:
            break;
    }
}

/* ------------------------------------------- the extension's functions */

/*
 * The extension's functions are what the ledger runs (its triggers, their
 * SQL wrappers): replacing, altering, renaming, moving or re-owning one — or
 * taking it out of the extension first — would switch the guarantees off,
 * even for a superuser. Allowed only while the extension's own script runs
 * (CREATE / ALTER EXTENSION ... UPDATE) and in pg_upgrade's binary-upgrade
 * restore (which adds each member with ALTER EXTENSION ... ADD).
 */
static void
check_extension_function(Oid funcoid, const char *what)
{
    Oid         ext;

    if (!OidIsValid(funcoid) || creating_extension || IsBinaryUpgrade)
        return;
    ext = get_extension_oid("pgtrace", true);
    if (OidIsValid(ext) && getExtensionOfObject(ProcedureRelationId, funcoid) == ext)
        ereport(ERROR,
                (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                 errmsg("%s function %s of extension pgtrace is not allowed", what, format_procedure(funcoid)),
                 errdetail("The ledger's triggers and functions change only with the extension (ALTER EXTENSION pgtrace UPDATE)."),
                 errhint("Ledger tables are append-only; see docs/ledger.md.")));
}

static bool
is_routine_type(ObjectType t)
{
    return t == OBJECT_FUNCTION || t == OBJECT_PROCEDURE || t == OBJECT_ROUTINE || t == OBJECT_AGGREGATE;
}

static Oid
routine_oid(ObjectType t, Node *obj)
{
    if (!is_routine_type(t) || obj == NULL || !IsA(obj, ObjectWithArgs))
        return InvalidOid;
    return LookupFuncWithArgs(t, (ObjectWithArgs *) obj, true);
}

/* CREATE OR REPLACE FUNCTION: the function it would replace, if any. */
static Oid
replaced_function(CreateFunctionStmt *cf)
{
    Oid         argtypes[FUNC_MAX_ARGS];
    int         nargs = 0;
    ListCell   *lc;

    if (!cf->replace)
        return InvalidOid;
    foreach(lc, cf->parameters)
    {
        FunctionParameter *fp = lfirst_node(FunctionParameter, lc);

        if (fp->mode == FUNC_PARAM_OUT || fp->mode == FUNC_PARAM_TABLE)
            continue;
        if (nargs >= FUNC_MAX_ARGS)
            return InvalidOid;
        argtypes[nargs] = LookupTypeNameOid(NULL, fp->argType, true);
        if (!OidIsValid(argtypes[nargs]))
            return InvalidOid;
        nargs++;
    }
    return LookupFuncName(cf->funcname, nargs, argtypes, true);
}

static void
check_function_commands(Node *parsetree)
{
    switch (nodeTag(parsetree))
    {
        case T_CreateFunctionStmt:
            check_extension_function(replaced_function((CreateFunctionStmt *) parsetree), "replacing");
            break;
        case T_AlterFunctionStmt:
            {
                AlterFunctionStmt *af = (AlterFunctionStmt *) parsetree;

                check_extension_function(routine_oid(af->objtype, (Node *) af->func), "altering");
                break;
            }
        case T_RenameStmt:
            {
                RenameStmt *rs = (RenameStmt *) parsetree;

                check_extension_function(routine_oid(rs->renameType, rs->object), "renaming");
                break;
            }
        case T_AlterOwnerStmt:
            {
                AlterOwnerStmt *ao = (AlterOwnerStmt *) parsetree;

                check_extension_function(routine_oid(ao->objectType, ao->object), "changing the owner of");
                break;
            }
        case T_AlterObjectSchemaStmt:
            {
                AlterObjectSchemaStmt *os = (AlterObjectSchemaStmt *) parsetree;

                check_extension_function(routine_oid(os->objectType, os->object), "moving");
                break;
            }
        case T_DropStmt:
            {
                DropStmt   *ds = (DropStmt *) parsetree;
                ListCell   *lc;

                foreach(lc, ds->objects)
                    check_extension_function(routine_oid(ds->removeType, lfirst(lc)), "dropping");
                break;
            }
        case T_AlterExtensionContentsStmt:
            {
                AlterExtensionContentsStmt *ec = (AlterExtensionContentsStmt *) parsetree;

                if (strcmp(ec->extname, "pgtrace") == 0 && !creating_extension && !IsBinaryUpgrade)
                    ereport(ERROR,
                            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                             errmsg("ALTER EXTENSION pgtrace %s is not allowed", ec->action > 0 ? "ADD" : "DROP"),
                             errdetail("The extension's members change only with its own scripts."),
                             errhint("Ledger tables are append-only; see docs/ledger.md.")));
                break;
            }
        default:
            break;
    }
}

/* -------------------------------------------------- drops by any path */

/*
 * The object-access hook sees every object a command deletes, whatever the
 * command: DROP TABLE, DROP OWNED, DROP ... CASCADE (of a schema, a type, a
 * domain, a function), DROP SEQUENCE, DROP INDEX. A ledger table with rows,
 * a ledger_* column (any column while the table holds rows) are refused when
 * they are about to go. The ledger's seq sequence and its unique seq index
 * go first when their table is dropped, so they are noted here and judged
 * when the command ends: refused if the ledger table is still there.
 */
static List *pending_ledgers = NIL;     /* ledger tables, in TopTransactionContext */
static List *pending_kinds = NIL;       /* 0: the sequence, 1: the index */
static LocalTransactionId pending_lxid = InvalidLocalTransactionId;

static void
pending_reset(void)
{
    pending_ledgers = NIL;
    pending_kinds = NIL;
    pending_lxid = MyProc->lxid;
}

static void
pending_add(Oid ledger, int kind)
{
    MemoryContext old;

    if (pending_lxid != MyProc->lxid)
        pending_reset();
    old = MemoryContextSwitchTo(TopTransactionContext);
    pending_ledgers = lappend_oid(pending_ledgers, ledger);
    pending_kinds = lappend_int(pending_kinds, kind);
    MemoryContextSwitchTo(old);
}

static void
pending_check(void)
{
    List       *ledgers = pending_ledgers;
    List       *kinds = pending_kinds;
    ListCell   *a;
    ListCell   *b;

    if (pending_lxid != MyProc->lxid)
    {
        pending_reset();
        return;
    }
    pending_reset();
    forboth(a, ledgers, b, kinds)
    {
        Oid         ledger = lfirst_oid(a);

        if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(ledger)))
            refuse(lfirst_int(b) == 0 ? "dropping the ledger_seq sequence" : "dropping the unique index on ledger_seq",
                   get_rel_name(ledger),
                   "The ledger numbers and reads its rows with them; they go only with the ledger table.");
    }
}

static void
check_drop_relation(Oid relid, int subId)
{
    Oid         ext = get_extension_oid("pgtrace", true);
    char       *relname = get_rel_name(relid);

    if (relname == NULL)
        return;
    /*
     * Members of the extension go only with it (PostgreSQL refuses them
     * alone): that is DROP EXTENSION, or a cascade reaching the extension
     * (DROP SCHEMA trace CASCADE, DROP OWNED BY its owner). Refused as DROP
     * EXTENSION is while ledger rows exist.
     */
    if (OidIsValid(ext) && getExtensionOfObject(RelationRelationId, relid) == ext)
    {
        if (any_ledger_rows(pt_break_glass))
            refuse_extension_drop();
        return;
    }
    if (subId != 0)
    {
        char       *att = get_attname(relid, (AttrNumber) subId, true);

        if (att && is_ledger(relid) && (is_ledger_column_name(att) || has_rows(relid)))
            refuse(psprintf("dropping column \"%s\"", att), relname,
                   "The ledger's columns are fixed while it holds rows, and its ledger_* columns always.");
        return;
    }
    switch (get_rel_relkind(relid))
    {
        case RELKIND_RELATION:
            if (!is_ledger(relid) || !has_rows(relid))
                break;
            if (pt_break_glass)
                break_glass_drop(relid);
            else
                refuse("DROP", relname,
                       "A ledger table cannot be dropped while it holds rows (DROP TABLE, DROP OWNED,"
                       " DROP ... CASCADE alike).");
            break;
        case RELKIND_SEQUENCE:
            {
                Oid         tab;
                int32       col;

                if (sequenceIsOwned(relid, DEPENDENCY_AUTO, &tab, &col) && is_ledger(tab)
                    && col == get_attnum(tab, PT_COL_SEQ))
                    pending_add(tab, 0);
                break;
            }
        case RELKIND_INDEX:
            {
                HeapTuple   ht = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(relid));
                Oid         tab = InvalidOid;

                if (HeapTupleIsValid(ht))
                {
                    Form_pg_index ix = (Form_pg_index) GETSTRUCT(ht);

                    if (ix->indisunique && ix->indnatts == 1)
                        tab = ix->indrelid;
                    if (OidIsValid(tab) && ix->indkey.values[0] != get_attnum(tab, PT_COL_SEQ))
                        tab = InvalidOid;
                    ReleaseSysCache(ht);
                }
                if (OidIsValid(tab) && is_ledger(tab))
                    pending_add(tab, 1);
                break;
            }
        default:
            break;
    }
}

static void
ledger_object_access(ObjectAccessType access, Oid classId, Oid objectId, int subId, void *arg)
{
    if (prev_object_access)
        prev_object_access(access, classId, objectId, subId, arg);
    if (access != OAT_DROP || classId != RelationRelationId)
        return;
    if (creating_extension || !IsTransactionState() || !OidIsValid(pt_ledger_extension_schema()))
        return;
    check_drop_relation(objectId, subId);
}

static void
ledger_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
               ProcessUtilityContext context, ParamListInfo params,
               QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
    Node       *parsetree = pstmt->utilityStmt;

    if (IsTransactionState() && OidIsValid(pt_ledger_extension_schema()))
    {
        check_function_commands(parsetree);
        check_type_commands(parsetree);
        switch (nodeTag(parsetree))
        {
            case T_AlterTableStmt:
                check_alter_table((AlterTableStmt *) parsetree);
                break;
            case T_DropStmt:
                check_drop((DropStmt *) parsetree);
                break;
            case T_TruncateStmt:
                {
                    ListCell   *lc;

                    foreach(lc, ((TruncateStmt *) parsetree)->relations)
                    {
                        Oid         relid = rangevar_relid(lfirst_node(RangeVar, lc));

                        if (is_ledger(relid))
                            refuse("TRUNCATE", get_rel_name(relid),
                                   "Ledger tables are append-only for every role, owner and superuser included.");
                    }
                    break;
                }
            case T_CopyStmt:
                {
                    CopyStmt   *cs = (CopyStmt *) parsetree;
                    uint64      processed = 0;
                    Oid         relid;

                    if (!cs->is_from || cs->relation == NULL)
                        break;
                    relid = rangevar_relid(cs->relation);
                    /* batched only when no earlier extension's hook would be skipped */
                    if (prev_utility == NULL && is_ledger(relid)
                        && pt_ledger_copy_from(cs, relid, queryString, queryEnv, &processed))
                    {
                        if (qc)
                            SetQueryCompletion(qc, CMDTAG_COPY, processed);
                        return;
                    }
                    break;
                }
            case T_AlterSeqStmt:
                {
                    AlterSeqStmt *as = (AlterSeqStmt *) parsetree;
                    Oid         seqid = rangevar_relid(as->sequence);
                    Oid         tab;
                    int32       col;
                    ListCell   *lc;

                    foreach(lc, as->options)
                        if (strcmp(lfirst_node(DefElem, lc)->defname, "owned_by") == 0
                            && OidIsValid(seqid) && sequenceIsOwned(seqid, DEPENDENCY_AUTO, &tab, &col)
                            && is_ledger(tab))
                            refuse("changing the owner column of the ledger_seq sequence", get_rel_name(tab),
                                   "The ledger's sequence belongs to its ledger_seq column.");
                    break;
                }
            case T_CreateStmt:
                {
                    ListCell   *lc;

                    foreach(lc, ((CreateStmt *) parsetree)->inhRelations)
                    {
                        Oid         parent = rangevar_relid(lfirst_node(RangeVar, lc));

                        if (is_ledger(parent))
                            refuse("inheriting from a ledger table", get_rel_name(parent),
                                   "A ledger table cannot be an inheritance parent: rows of a child would show"
                                   " in its queries without being in its ledger.");
                    }
                    break;
                }
            case T_RuleStmt:
                {
                    Oid         relid = rangevar_relid(((RuleStmt *) parsetree)->relation);

                    if (is_ledger(relid))
                        refuse("CREATE RULE", get_rel_name(relid),
                               "A rule could redirect or drop the ledger's inserts.");
                    break;
                }
            case T_CreateTrigStmt:
                {
                    CreateTrigStmt *ct = (CreateTrigStmt *) parsetree;
                    Oid         relid = rangevar_relid(ct->relation);
                    char       *fn = strVal(llast(ct->funcname));

                    if (ct->row && ct->timing == TRIGGER_TYPE_BEFORE
                        && strcmp(fn, "_ledger_insert_trigger") != 0
                        && strcmp(fn, "_ledger_refuse_trigger") != 0
                        && strcmp(fn, "_ledger_tables_guard") != 0
                        && is_ledger(relid))
                        refuse("a BEFORE ROW trigger", get_rel_name(relid),
                               "Only the ledger's own trigger may change a row before it is stored and hashed.");
                    if (ct->replace && is_ledger_trigger_name(ct->trigname) && is_ledger(relid))
                        refuse("replacing a ledger trigger", get_rel_name(relid),
                               "The ledger triggers cannot be replaced.");
                    break;
                }
            case T_RenameStmt:
                {
                    RenameStmt *rs = (RenameStmt *) parsetree;

                    if (rs->renameType == OBJECT_COLUMN && rs->subname
                        && strncmp(rs->subname, "ledger_", 7) == 0)
                    {
                        Oid         relid = rangevar_relid(rs->relation);

                        if (is_ledger(relid))
                            refuse("renaming a ledger column", get_rel_name(relid),
                                   "The ledger's columns are fixed.");
                    }
                    else if (rs->renameType == OBJECT_TRIGGER && rs->subname
                             && is_ledger_trigger_name(rs->subname))
                    {
                        Oid         relid = rangevar_relid(rs->relation);

                        if (is_ledger(relid))
                            refuse("renaming a ledger trigger", get_rel_name(relid),
                                   "The ledger triggers are fixed.");
                    }
                    break;
                }
            default:
                break;
        }
    }

    PG_TRY();
    {
        if (prev_utility)
            prev_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
        else
            standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
    }
    PG_CATCH();
    {
        pending_ledgers = NIL;  /* the failed command's drops are undone */
        pending_kinds = NIL;
        PG_RE_THROW();
    }
    PG_END_TRY();
    if (pending_ledgers != NIL)
        pending_check();
}

/* Is COPY FROM batched in this backend (guard active, no earlier utility hook)? */
bool
pt_ledger_copy_batched(void)
{
    return pt_ledger_hooks_active && prev_utility == NULL;
}

void
pt_ledger_install_hooks(void)
{
    prev_utility = ProcessUtility_hook;
    ProcessUtility_hook = ledger_utility;
    prev_object_access = object_access_hook;
    object_access_hook = ledger_object_access;
    pt_ledger_hooks_active = true;
}
