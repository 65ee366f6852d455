/*
 * ledger_copy.c — COPY FROM into a ledger table, in batches.
 *
 * PostgreSQL's COPY inserts row by row as soon as a table has a BEFORE ROW
 * trigger (the trigger might read the table), so a ledger table loses the
 * batched heap_multi_insert path a plain table gets. The ledger's own insert
 * trigger reads nothing of the table, so for a table whose only triggers are
 * the ledger's two, the utility hook (ledger_hook.c) runs COPY FROM itself:
 * PostgreSQL's COPY parser reads the rows (BeginCopyFrom / NextCopyFrom, so
 * every format and option behaves as usual), each row is completed exactly as
 * the trigger would complete it (pt_ledger_fill_row: same seq, metadata and
 * hash, same checks of rows that arrive with a hash), checked against the
 * table's constraints, and stored in batches with table_multi_insert, then
 * indexed. Anything unusual (other triggers, a WHERE clause, FREEZE, a
 * partition, generated columns, deferrable unique indexes, row-level
 * security, missing file privileges) is left to PostgreSQL's own COPY, which
 * fires the trigger row by row.
 */
#include "ledger_pg.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/copy.h"
#include "commands/copyfrom_internal.h"
#include "commands/progress.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/parse_relation.h"
#include "rewrite/rewriteHandler.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include <string.h>

/* Rows per table_multi_insert call, and bytes: as PostgreSQL's COPY. */
#define LEDGER_BATCH_ROWS  1000
#define LEDGER_BATCH_BYTES 65535

/*
 * The ledger's insert trigger of rel, when no other trigger runs for each
 * row before an insert (or instead of it). AFTER INSERT triggers (foreign
 * keys among them) and statement triggers may be there: the batched paths
 * fire them as PostgreSQL fires them.
 */
static Trigger *
ledger_insert_trigger(Relation rel)
{
    TriggerDesc *td = rel->trigdesc;
    Trigger    *ins = NULL;
    bool        refuse = false;
    Oid         nsp = pt_ledger_extension_schema();
    int         i;

    if (td == NULL)
        return NULL;
    for (i = 0; i < td->numtriggers; i++)
    {
        Trigger    *t = &td->triggers[i];
        char       *fn = get_func_name(t->tgfoid);
        bool        ours = fn != NULL && get_func_namespace(t->tgfoid) == nsp;

        if (ours && strcmp(t->tgname, PT_TRIGGER_INSERT) == 0
            && strcmp(fn, "_ledger_insert_trigger") == 0 && t->tgnargs >= 3
            && TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_BEFORE(t->tgtype)
            && TRIGGER_FOR_INSERT(t->tgtype))
        {
            if (t->tgenabled != TRIGGER_FIRES_ALWAYS)
                return NULL;
            ins = t;
        }
        else if (ours && strcmp(t->tgname, PT_TRIGGER_REFUSE) == 0
                 && strcmp(fn, "_ledger_refuse_trigger") == 0
                 && !TRIGGER_FOR_INSERT(t->tgtype))
            refuse = true;
        else if (TRIGGER_FOR_INSERT(t->tgtype) && TRIGGER_FOR_ROW(t->tgtype)
                 && !TRIGGER_FOR_AFTER(t->tgtype))
            return NULL;        /* BEFORE or INSTEAD OF, for each row */
    }
    return refuse ? ins : NULL;
}

/* Every index of rel checks uniqueness immediately (no deferred rechecks). */
static bool
indexes_immediate(Relation rel)
{
    List       *idxs = RelationGetIndexList(rel);
    ListCell   *lc;
    bool        ok = true;

    foreach(lc, idxs)
    {
        HeapTuple   ht = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));

        if (!HeapTupleIsValid(ht))
            continue;
        if (!((Form_pg_index) GETSTRUCT(ht))->indimmediate)
            ok = false;
        ReleaseSysCache(ht);
    }
    list_free(idxs);
    return ok;
}

/*
 * The ledger's insert trigger of rel when rows may be stored in batches,
 * completed as that trigger would complete them (COPY FROM here, INSERT ...
 * SELECT in ledger_insert.c); NULL when PostgreSQL's own row-by-row path must
 * run: another BEFORE ROW trigger, not a plain table, a partition, stored
 * generated columns, row-level security for this user, deferrable unique
 * indexes.
 */
Trigger *
pt_ledger_batch_trigger(Relation rel)
{
    Trigger    *ins = ledger_insert_trigger(rel);

    if (ins == NULL
        || rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition
        || (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
        || check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED
        || !indexes_immediate(rel))
        return NULL;
    return ins;
}

/*
 * Must each stored row be handed to ExecARInsertTriggers: an AFTER ROW
 * INSERT trigger that may fire, or a transition table to fill?
 */
static bool
after_row_triggers(ResultRelInfo *rri)
{
    TriggerDesc *td = rri->ri_TrigDesc;
    int         i;

    if (td == NULL)
        return false;
    if (td->trig_insert_new_table)
        return true;
    for (i = 0; i < td->numtriggers; i++)
    {
        Trigger    *t = &td->triggers[i];

        if (TRIGGER_FOR_ROW(t->tgtype) && TRIGGER_FOR_AFTER(t->tgtype)
            && TRIGGER_FOR_INSERT(t->tgtype) && t->tgenabled != TRIGGER_DISABLED)
            return true;
    }
    return false;
}

/*
 * Store and index one batch of completed rows; with after_triggers, queue
 * the AFTER ROW INSERT triggers of each row and capture it for transition
 * tables (tcs), as PostgreSQL's COPY does.
 */
static void
flush_batch(Relation rel, ResultRelInfo *rri, EState *estate, TupleTableSlot **slots,
                      int n, CommandId cid, BulkInsertState bistate,
                      bool after_triggers, TransitionCaptureState *tcs,
                      CopyFromState cstate, const uint64 *linenos)
{
    uint64      save_lineno = 0;
    int         i;

    if (n == 0)
        return;
    if (cstate)
    {
        /* as PostgreSQL's COPY: an error names the line of the row it is about */
        cstate->line_buf_valid = false;
        save_lineno = cstate->cur_lineno;
        cstate->cur_lineno = linenos[0];
    }
    table_multi_insert(rel, slots, n, cid, 0, bistate);
    for (i = 0; i < n; i++)
    {
        List       *recheck = NIL;

        if (cstate)
            cstate->cur_lineno = linenos[i];
        if (rri->ri_NumIndices > 0)
            recheck = ExecInsertIndexTuples(rri, slots[i], estate, false, false, NULL, NIL);
        if (after_triggers)
            ExecARInsertTriggers(estate, rri, slots[i], recheck, tcs);
        list_free(recheck);
        ExecClearTuple(slots[i]);
    }
    if (cstate)
        cstate->cur_lineno = save_lineno;
}

/*
 * Every row next_row gives, completed, checked, stored in batches, indexed,
 * queued for AFTER ROW triggers (after_row, tcs) and noted for the
 * foreign-key check (fc); returns how many.
 */
static uint64
batch_loop(ResultRelInfo *rri, EState *estate, PtLedgerRel *lr, const char *retention,
           CommandId cid, bool after_row, TransitionCaptureState *tcs, PtFkChecks *fc,
           BulkInsertState bistate, CopyFromState cstate, PtLedgerNextRow next_row, void *arg)
{
    Relation    rel = rri->ri_RelationDesc;
    TupleTableSlot *slots[LEDGER_BATCH_ROWS];
    uint64      linenos[LEDGER_BATCH_ROWS];
    uint64      processed = 0;
    int         n = 0;
    int         nslots = 0;
    Size        bytes = 0;
    PtSeqBlock  blk = {0, -1, 0, false};

    for (;;)
    {
        TupleTableSlot *slot;
        MemoryContext old;
        bool        more;

        CHECK_FOR_INTERRUPTS();
        ResetPerTupleExprContext(estate);
        if (n == nslots)
            slots[nslots++] = table_slot_create(rel, &estate->es_tupleTable);
        slot = slots[n];
        ExecClearTuple(slot);

        more = next_row(slot, arg);
        if (more)
        {
            old = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
            (void) pt_ledger_fill_row(lr, rel, retention, slot->tts_values, slot->tts_isnull, &blk);
            ExecStoreVirtualTuple(slot);
            slot->tts_tableOid = RelationGetRelid(rel);
            if (fc)
                pt_fk_checks_add(fc, slot);
            if (rel->rd_att->constr)
                ExecConstraints(rri, slot, estate);
            /* the slot keeps its own copy until the batch is stored */
            bytes += ExecFetchSlotHeapTuple(slot, true, NULL)->t_len;
            MemoryContextSwitchTo(old);
            processed++;
            if (cstate)
            {
                linenos[n] = cstate->cur_lineno;
                pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, (int64) processed);
            }
            n++;
        }

        if (n == LEDGER_BATCH_ROWS || bytes > LEDGER_BATCH_BYTES || (!more && n > 0))
        {
            flush_batch(rel, rri, estate, slots, n, cid, bistate, after_row, tcs, cstate, linenos);
            n = 0;
            bytes = 0;
        }
        if (!more)
            break;
    }
    return processed;
}

/*
 * Store the rows next_row gives into the ledger table of rri (whose insert
 * trigger, by pt_ledger_batch_trigger, is ins) in batches, each completed
 * exactly as that trigger would complete it; returns how many. The caller
 * has fired the BEFORE STATEMENT triggers and fires the AFTER STATEMENT ones
 * (with tcs); AFTER ROW triggers are queued here, simple foreign keys
 * checked once per key (ledger_fkcheck.c). For COPY (cstate), errors while
 * rows are read and stored name their line, and progress is reported.
 */
uint64
pt_ledger_store_batched(ResultRelInfo *rri, EState *estate, Trigger *ins, CommandId cid,
                        TransitionCaptureState *tcs, CopyFromState cstate,
                        PtLedgerNextRow next_row, void *arg)
{
    Relation    rel = rri->ri_RelationDesc;
    PtLedgerRel *lr = pt_ledger_trigger_rel(rel, ins);
    PtFkChecks *fc = pt_fk_checks_begin(rri);
    bool        after_row = after_row_triggers(rri);
    BulkInsertState bistate = GetBulkInsertState();
    ErrorContextCallback errcallback;
    uint64      processed = 0;

    if (cstate)
    {
        errcallback.callback = CopyFromErrorCallback;
        errcallback.arg = (void *) cstate;
        errcallback.previous = error_context_stack;
        error_context_stack = &errcallback;
    }
    PG_TRY();
    {
        processed = batch_loop(rri, estate, lr, ins->tgargs[2], cid, after_row, tcs, fc, bistate,
                               cstate, next_row, arg);
        if (cstate)
            error_context_stack = errcallback.previous;
        if (fc)
            pt_fk_checks_run(fc);
    }
    PG_FINALLY();
    {
        pt_fk_checks_end(fc);
    }
    PG_END_TRY();
    FreeBulkInsertState(bistate);
    table_finish_bulk_insert(rel, 0);
    return processed;
}

/* COPY's next row: PostgreSQL's parser, in per-tuple memory. */
typedef struct CopyNext
{
    CopyFromState cstate;
    EState     *estate;
} CopyNext;

static bool
copy_next_row(TupleTableSlot *slot, void *arg)
{
    CopyNext   *cn = (CopyNext *) arg;
    MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(cn->estate));
    bool        more = NextCopyFrom(cn->cstate, GetPerTupleExprContext(cn->estate),
                                    slot->tts_values, slot->tts_isnull);

    MemoryContextSwitchTo(old);
    return more;
}

/*
 * Read every row of cstate into rel; returns how many. Statement triggers
 * fire as in PostgreSQL's COPY (BEFORE first, AFTER last, the queue run when
 * the COPY ends).
 */
static uint64
copy_rows(CopyFromState cstate, Relation rel, List *rtable, Trigger *ins)
{
    EState     *estate = CreateExecutorState();
    ResultRelInfo *rri = makeNode(ResultRelInfo);
    TransitionCaptureState *tcs;
    CopyNext    cn;
    uint64      processed;

    ExecInitRangeTable(estate, rtable);
    ExecInitResultRelation(estate, rri, 1);
    ExecOpenIndices(rri, false);
    AfterTriggerBeginQuery();
    tcs = MakeTransitionCaptureState(rel->trigdesc, RelationGetRelid(rel), CMD_INSERT);
    ExecBSInsertTriggers(estate, rri);
    cn.cstate = cstate;
    cn.estate = estate;
    processed = pt_ledger_store_batched(rri, estate, ins, GetCurrentCommandId(true), tcs, cstate,
                                        copy_next_row, &cn);
    ExecASInsertTriggers(estate, rri, tcs);
    AfterTriggerEndQuery(estate);
    ExecCloseResultRelations(estate);  /* and their indexes */
    ExecCloseRangeTableRelations(estate);
    ExecResetTupleTable(estate->es_tupleTable, false);
    FreeExecutorState(estate);
    return processed;
}

/*
 * COPY ... FROM into the ledger table relid, when the batched path applies:
 * returns false (having done nothing) otherwise. The caller has checked
 * that relid is a registered ledger table.
 */
bool
pt_ledger_copy_from(CopyStmt *stmt, Oid relid, const char *queryString,
                    QueryEnvironment *queryEnv, uint64 *processed)
{
    Relation    rel;
    Trigger    *ins;
    ParseState *pstate;
    ParseNamespaceItem *nsitem;
    RangeTblEntry *rte;
    List       *attnums;
    ListCell   *lc;
    CopyFromState cstate;

    if (!stmt->is_from || stmt->relation == NULL || stmt->query != NULL
        || stmt->whereClause != NULL)
        return false;
    foreach(lc, stmt->options)
        if (strcmp(lfirst_node(DefElem, lc)->defname, "freeze") == 0)
            return false;
    /* reading a server file or running a program: PostgreSQL says who may */
    if (stmt->filename != NULL
        && !has_privs_of_role(GetUserId(), stmt->is_program ? ROLE_PG_EXECUTE_SERVER_PROGRAM
                              : ROLE_PG_READ_SERVER_FILES))
        return false;

    rel = table_open(relid, RowExclusiveLock);
    ins = pt_ledger_batch_trigger(rel);
    if (ins == NULL)
    {
        table_close(rel, RowExclusiveLock);
        return false;
    }

    /* the checks of PostgreSQL's DoCopy: privileges, read-only transaction */
    pstate = make_parsestate(NULL);
    pstate->p_sourcetext = queryString;
    pstate->p_queryEnv = queryEnv;
    nsitem = addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, NULL, false, false);
    rte = nsitem->p_rte;
    rte->requiredPerms = ACL_INSERT;
    attnums = CopyGetAttnums(RelationGetDescr(rel), rel, stmt->attlist);
    foreach(lc, attnums)
        rte->insertedCols = bms_add_member(rte->insertedCols,
                                           lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
    /*
     * A volatile default (nextval() aside) of a column COPY does not fill
     * could read the table and would miss rows of a batch not yet stored:
     * PostgreSQL's COPY goes row by row then, and so does this one.
     */
    {
        TupleDesc   desc = RelationGetDescr(rel);
        int         a;

        for (a = 1; a <= desc->natts; a++)
        {
            Form_pg_attribute att = TupleDescAttr(desc, a - 1);
            Node       *def;

            if (att->attisdropped || list_member_int(attnums, a))
                continue;
            def = build_column_default(rel, a);
            if (def != NULL && contain_volatile_functions_not_nextval(def))
            {
                free_parsestate(pstate);
                table_close(rel, RowExclusiveLock);
                return false;
            }
        }
    }
    ExecCheckRTPerms(pstate->p_rtable, true);
    if (XactReadOnly && !rel->rd_islocaltemp)
        PreventCommandIfReadOnly("COPY FROM");

    cstate = BeginCopyFrom(pstate, rel, NULL, stmt->filename, stmt->is_program, NULL,
                           stmt->attlist, stmt->options);
    *processed = copy_rows(cstate, rel, pstate->p_rtable, ins);
    EndCopyFrom(cstate);
    free_parsestate(pstate);
    table_close(rel, NoLock);
    return true;
}
