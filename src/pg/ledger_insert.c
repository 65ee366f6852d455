/*
 * ledger_insert.c — INSERT ... SELECT into a ledger table, in batches.
 *
 * PostgreSQL inserts the rows of INSERT ... SELECT one at a time: for each
 * row the executor calls the ledger's BEFORE ROW trigger (forming a tuple for
 * it and storing the one it returns), then heap_insert writes one WAL record
 * and takes the target page's lock once per row. A plain table pays only the
 * second part; for a ledger table the trigger machinery around the hash was
 * about a quarter of a bulk insert.
 *
 * When the statement is a plain INSERT into one ledger table whose rows may
 * be stored in batches (pt_ledger_batch_trigger: no BEFORE or INSTEAD OF
 * row trigger but the ledger's, no row-level security for this user, no
 * partitioning, no stored generated columns, immediate unique indexes) and
 * it has no RETURNING, no ON CONFLICT, no data-modifying WITH, no volatile
 * function but nextval() and no per-node instrumentation (EXPLAIN ANALYZE),
 * the ExecutorRun hook below runs it instead of the ModifyTable node: it
 * pulls the rows from the node's subplan and hands them to
 * pt_ledger_store_batched (ledger_copy.c), which COPY FROM uses too: each
 * row completed exactly as the trigger would complete it, checked, stored
 * with table_multi_insert, indexed, its AFTER ROW triggers queued; statement
 * triggers fire where ExecModifyTable fires them. Anything else, including
 * every single-row INSERT ... VALUES, runs through PostgreSQL's executor and
 * the trigger, unchanged.
 */
#include "ledger_pg.h"

#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "optimizer/optimizer.h"
#include "utils/memutils.h"

static ExecutorRun_hook_type prev_executor_run = NULL;
static bool insert_hook_installed = false;

/* Does an expression call a volatile function other than nextval()? */
static bool
volatile_expr(void *node)
{
    return contain_volatile_functions_not_nextval((Node *) node);
}

/*
 * Does the plan of the INSERT call a volatile function (nextval() aside),
 * anywhere, sub-plans and WITH included? Such a function could read the
 * target table while the statement runs and would then miss the rows of an
 * unflushed batch, where row by row it sees each earlier row: as
 * PostgreSQL's COPY does for volatile defaults, such statements are left to
 * the row-by-row path. Nodes whose expressions are not looked at here
 * (custom scans) count as volatile.
 */
static bool
plan_volatile_walker(PlanState *ps, void *ctx)
{
    Plan       *p = ps->plan;

    if (volatile_expr(p->targetlist) || volatile_expr(p->qual))
        return true;
    switch (nodeTag(p))
    {
        case T_FunctionScan:
            if (volatile_expr(((FunctionScan *) p)->functions))
                return true;
            break;
        case T_ValuesScan:
            if (volatile_expr(((ValuesScan *) p)->values_lists))
                return true;
            break;
        case T_TableFuncScan:
            if (volatile_expr(((TableFuncScan *) p)->tablefunc))
                return true;
            break;
        case T_Result:
            if (volatile_expr(((Result *) p)->resconstantqual))
                return true;
            break;
        case T_NestLoop:
        case T_MergeJoin:
        case T_HashJoin:
            if (volatile_expr(((Join *) p)->joinqual)
                || (IsA(p, MergeJoin) && volatile_expr(((MergeJoin *) p)->mergeclauses))
                || (IsA(p, HashJoin) && volatile_expr(((HashJoin *) p)->hashclauses)))
                return true;
            break;
        case T_Limit:
            if (volatile_expr(((Limit *) p)->limitOffset) || volatile_expr(((Limit *) p)->limitCount))
                return true;
            break;
        case T_WindowAgg:
            if (volatile_expr(((WindowAgg *) p)->startOffset) || volatile_expr(((WindowAgg *) p)->endOffset))
                return true;
            break;
        case T_CustomScan:
            return true;
        default:
            break;
    }
    return planstate_tree_walker(ps, plan_volatile_walker, ctx);
}

/*
 * The ModifyTable state of queryDesc when it is an INSERT the batched path
 * may run, with its ledger insert trigger in *ins; NULL otherwise. Cheap
 * tests first: most statements are not INSERTs, and a single-row INSERT ...
 * VALUES (a Result node without a child) gains nothing from batching.
 */
static ModifyTableState *
batchable_insert(QueryDesc *qd, ScanDirection direction, uint64 count, Trigger **ins)
{
    PlannedStmt *ps = qd->plannedstmt;
    ModifyTableState *mts;
    ModifyTable *mt;
    Plan       *sub;
    ResultRelInfo *rri;

    if (qd->operation != CMD_INSERT || ps->commandType != CMD_INSERT
        || ps->hasReturning || ps->hasModifyingCTE
        || count != 0 || !ScanDirectionIsForward(direction)
        || qd->planstate == NULL || !IsA(qd->planstate, ModifyTableState)
        || qd->planstate->instrument != NULL)
        return NULL;
    mts = (ModifyTableState *) qd->planstate;
    mt = (ModifyTable *) mts->ps.plan;
    sub = outerPlan(mt);
    if (mts->operation != CMD_INSERT || mts->mt_nrels != 1 || mts->mt_done
        || !mts->fireBSTriggers || mt->onConflictAction != ONCONFLICT_NONE
        || mt->returningLists != NIL || mt->withCheckOptionLists != NIL
        || mt->rootRelation != 0
        || sub == NULL || (IsA(sub, Result) && outerPlan(sub) == NULL))
        return NULL;
    if (plan_volatile_walker(&mts->ps, NULL))  /* from the top: its init plans too (WITH) */
        return NULL;
    rri = mts->resultRelInfo;
    if (rri->ri_FdwRoutine != NULL || rri->ri_WithCheckOptions != NIL
        || rri->ri_projectReturning != NULL || rri->ri_RootResultRelInfo != NULL
        || rri->ri_RelationDesc->rd_rel->relkind != RELKIND_RELATION)
        return NULL;
    *ins = pt_ledger_batch_trigger(rri->ri_RelationDesc);
    return *ins ? mts : NULL;
}

/* The INSERT's next row: from the subplan, its columns in table order. */
typedef struct InsertNext
{
    ModifyTableState *mts;
    const AttrNumber *src;      /* subplan column of each table column */
    int         natts;
} InsertNext;

static bool
insert_next_row(TupleTableSlot *slot, void *arg)
{
    InsertNext *in = (InsertNext *) arg;
    TupleTableSlot *planslot;
    int         i;

    if (in->mts->ps.ps_ExprContext)
        ResetExprContext(in->mts->ps.ps_ExprContext);
    planslot = ExecProcNode(outerPlanState(in->mts));
    if (TupIsNull(planslot))
        return false;
    slot_getallattrs(planslot);
    for (i = 0; i < in->natts; i++)
    {
        slot->tts_values[i] = planslot->tts_values[in->src[i] - 1];
        slot->tts_isnull[i] = planslot->tts_isnull[in->src[i] - 1];
    }
    return true;
}

/*
 * Run the INSERT of mts: every row of the subplan stored by
 * pt_ledger_store_batched, with the statement triggers, count and state
 * ExecModifyTable / ExecInsert would give such a statement.
 */
static void
run_batched_insert(QueryDesc *qd, ModifyTableState *mts, Trigger *ins)
{
    EState     *estate = qd->estate;
    ResultRelInfo *rri = mts->resultRelInfo;
    Relation    rel = rri->ri_RelationDesc;
    TupleDesc   desc = RelationGetDescr(rel);
    List       *tlist = outerPlan(mts->ps.plan)->targetlist;
    AttrNumber *src;
    ListCell   *lc;
    int         nsrc = 0;
    InsertNext  in;
    uint64      processed;

    /* which subplan column feeds each table column (junk columns skipped) */
    src = palloc(sizeof(AttrNumber) * desc->natts);
    foreach(lc, tlist)
    {
        TargetEntry *tle = lfirst_node(TargetEntry, lc);

        if (tle->resjunk)
            continue;
        if (nsrc >= desc->natts)
            elog(ERROR, "INSERT plan for \"%s\" has more columns than the table",
                 RelationGetRelationName(rel));
        src[nsrc++] = tle->resno;
    }
    if (nsrc != desc->natts)
        elog(ERROR, "INSERT plan for \"%s\" has %d columns, the table %d",
             RelationGetRelationName(rel), nsrc, desc->natts);

    /* as ExecInsert: the indexes are opened on first use */
    if (rel->rd_rel->relhasindex && rri->ri_IndexRelationDescs == NULL)
        ExecOpenIndices(rri, false);
    /* as ExecModifyTable: BEFORE STATEMENT triggers first */
    ExecBSInsertTriggers(estate, mts->rootResultRelInfo);
    mts->fireBSTriggers = false;
    in.mts = mts;
    in.src = src;
    in.natts = desc->natts;
    processed = pt_ledger_store_batched(rri, estate, ins, estate->es_output_cid,
                                        mts->mt_transition_capture, NULL, insert_next_row, &in);
    if (mts->canSetTag)
        estate->es_processed += processed;
    pfree(src);
    mts->mt_done = true;
    /* as ExecModifyTable: AFTER STATEMENT triggers (queued, with the transition table) */
    ExecASInsertTriggers(estate, rri, mts->mt_transition_capture);
}

/*
 * ExecutorRun: the batched path for a qualifying INSERT, else the next hook
 * or PostgreSQL's own. The bookkeeping mirrors standard_ExecutorRun for a
 * statement that returns no rows.
 */
static void
ledger_executor_run(QueryDesc *qd, ScanDirection direction, uint64 count, bool execute_once)
{
    ModifyTableState *mts;
    Trigger    *ins = NULL;
    MemoryContext old;

    /* batched only when no earlier extension's hook would be skipped */
    mts = prev_executor_run ? NULL : batchable_insert(qd, direction, count, &ins);
    if (mts == NULL)
    {
        if (prev_executor_run)
            prev_executor_run(qd, direction, count, execute_once);
        else
            standard_ExecutorRun(qd, direction, count, execute_once);
        return;
    }

    old = MemoryContextSwitchTo(qd->estate->es_query_cxt);
    if (qd->totaltime)
        InstrStartNode(qd->totaltime);
    qd->estate->es_processed = 0;
    if (execute_once && qd->already_executed)
        elog(ERROR, "can't re-execute query flagged for single execution");
    qd->already_executed = true;
    run_batched_insert(qd, mts, ins);
    (void) ExecShutdownNode(qd->planstate);
    if (qd->totaltime)
        InstrStopNode(qd->totaltime, qd->estate->es_processed);
    MemoryContextSwitchTo(old);
}

/* Is INSERT ... SELECT batched in this backend (no earlier ExecutorRun hook)? */
bool
pt_ledger_insert_batched(void)
{
    return insert_hook_installed && prev_executor_run == NULL;
}

void
pt_ledger_install_insert_hook(void)
{
    prev_executor_run = ExecutorRun_hook;
    ExecutorRun_hook = ledger_executor_run;
    insert_hook_installed = true;
}
