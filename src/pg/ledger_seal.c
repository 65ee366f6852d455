/*
 * ledger_seal.c — sealing committed ledger rows into Merkle blocks, by
 * trace.seal() and by a background worker.
 *
 * Inserters never touch a chain head: each row gets its hash on insert and
 * nothing else. The sealer alone extends a ledger's chain of blocks, under a
 * transaction advisory lock per ledger, so two sealers can never fork it (and
 * the primary key (ledger, block_no) would refuse a fork anyway). A block
 * holds the committed rows the sealer's snapshot sees and no earlier block
 * holds, in seq order; a row whose transaction commits late simply goes into
 * a later block, so membership is a set of seqs (an int8multirange).
 *
 * The floor: to avoid rescanning sealed history, each ledger keeps a floor
 * below which every seq is resolved (sealed, or never to appear). The floor
 * moves in two steps. A run reads the sequence's last value L and then takes
 * a fresh transaction id X: every inserter holding a seq <= L took its xid
 * before its seq (see the insert trigger), so before X. A later run whose
 * snapshot xmin is >= X knows all those inserters have finished, so its scan
 * sees every row with seq <= L that will ever commit: after sealing them the
 * floor moves to L. A row that later shows up below the floor was not put
 * there by a normal insert, and trace.verify() reports it as inserted.
 */
#include "ledger_pg.h"

#include "access/table.h"
#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include <string.h>

PGDLLEXPORT void pt_ledger_sealer_main(Datum arg);

typedef struct SealBatch
{
    int         n;
    int64      *seqs;
    uint8      *hashes;
} SealBatch;

static void
spi_check(int rc, int want, const char *what)
{
    if (rc != want)
        elog(ERROR, "pgtrace ledger: %s failed: %s", what, SPI_result_code_string(rc));
}

static int64
spi_int8(int row, int col, bool *isnull)
{
    Datum       d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);

    return *isnull ? 0 : DatumGetInt64(d);
}

/* Write one block of the batch and return its hash in prev (the new head). */
static void
write_block(PtLedgerRel *lr, int64 block_no, uint8 prev[LEDGER_HASH_LEN], SealBatch *b)
{
    ledger_merkle m;
    uint8       root[LEDGER_HASH_LEN];
    uint8       bh[LEDGER_HASH_LEN];
    int64      *ranges = palloc(sizeof(int64) * 2 * b->n);
    uint32      nranges = 0;
    StringInfoData members;
    TimestampTz sealed_at = creating_extension ? PT_INSTALL_TIME : GetCurrentTimestamp();
    bytea      *leaves;
    bytea      *rootb;
    bytea      *prevb;
    bytea      *hashb;
    Oid         argtypes[10] = {TEXTOID, INT8OID, TEXTOID, INT8OID, INT8OID, BYTEAOID,
    BYTEAOID, BYTEAOID, TIMESTAMPTZOID, BYTEAOID};
    Datum       args[10];
    int         i;

    ledger_merkle_init(&m, &lr->hasher);
    initStringInfo(&members);
    appendStringInfoChar(&members, '{');
    for (i = 0; i < b->n; i++)
    {
        ledger_merkle_push(&m, b->hashes + (size_t) i * LEDGER_HASH_LEN);
        if (nranges > 0 && ranges[2 * nranges - 1] == b->seqs[i])
            ranges[2 * nranges - 1] = b->seqs[i] + 1;
        else
        {
            ranges[2 * nranges] = b->seqs[i];
            ranges[2 * nranges + 1] = b->seqs[i] + 1;
            nranges++;
        }
    }
    ledger_merkle_root(&m, root);
    for (i = 0; i < (int) nranges; i++)
        appendStringInfo(&members, "%s[" INT64_FORMAT "," INT64_FORMAT ")",
                         i ? "," : "", ranges[2 * i], ranges[2 * i + 1]);
    appendStringInfoChar(&members, '}');

    ledger_block_hash(&lr->hasher, lr->hname, lr->name_len, block_no, b->n, root, prev,
                      (int64) sealed_at, ranges, nranges, bh);

#define MKBYTEA(dst, src, len) do { \
        dst = palloc(VARHDRSZ + (len)); SET_VARSIZE(dst, VARHDRSZ + (len)); \
        memcpy(VARDATA(dst), (src), (len)); } while (0)
    MKBYTEA(leaves, b->hashes, (size_t) b->n * LEDGER_HASH_LEN);
    MKBYTEA(rootb, root, LEDGER_HASH_LEN);
    MKBYTEA(prevb, prev, LEDGER_HASH_LEN);
    MKBYTEA(hashb, bh, LEDGER_HASH_LEN);
#undef MKBYTEA

    args[0] = CStringGetTextDatum(lr->name);
    args[1] = Int64GetDatum(block_no);
    args[2] = CStringGetTextDatum(members.data);
    args[3] = Int64GetDatum(b->seqs[b->n - 1]);
    args[4] = Int64GetDatum(b->n);
    args[5] = PointerGetDatum(rootb);
    args[6] = PointerGetDatum(prevb);
    args[7] = PointerGetDatum(hashb);
    args[8] = TimestampTzGetDatum(sealed_at);
    args[9] = PointerGetDatum(leaves);
    spi_check(SPI_execute_with_args(
                                    "INSERT INTO trace.ledger_blocks (ledger, block_no, members, max_seq, row_count,"
                                    " merkle_root, prev_hash, block_hash, sealed_at, leaf_hashes)"
                                    " VALUES ($1, $2, $3::pg_catalog.int8multirange, $4, $5, $6, $7, $8, $9, $10)",
                                    10, argtypes, args, NULL, false, 0),
              SPI_OK_INSERT, "insert block");
    memcpy(prev, bh, LEDGER_HASH_LEN);
    pfree(ranges);
    pfree(members.data);
    b->n = 0;
}

/*
 * Seal one ledger. With wait, block on the ledger's sealing lock; without,
 * return -1 when another sealer holds it. Returns the number of rows sealed.
 * The caller is connected to SPI inside a transaction.
 */
static int64
seal_ledger(Oid relid, bool wait)
{
    Oid         lockargt[2] = {INT4OID, INT4OID};
    Datum       lockargs[2] = {Int32GetDatum(PT_SEAL_LOCK_CLASS), Int32GetDatum((int32) relid)};
    bool        isnull;
    char       *name;
    char       *alg;
    int64       floor;
    int64       horizon_upto = 0;
    bool        have_horizon;
    bool        horizon_passed = false;
    int64       head_no = 0;
    uint8       prev[LEDGER_HASH_LEN];
    int64      *recent = NULL;
    int         nrecent = 0;
    int         ri;
    int64       L = 0;
    Datum       X = (Datum) 0;
    bool        new_horizon = false;
    Relation    rel;
    PtLedgerRel *lr;
    PtSeqScan   scan;
    Datum      *values;
    bool       *nulls;
    SealBatch   batch;
    int64       sealed = 0;
    int64       newfloor;
    uint8       hash[LEDGER_HASH_LEN];
    int         i;

    if (IsolationUsesXactSnapshot())
        ereport(ERROR,
                (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
                 errmsg("ledger sealing must run at READ COMMITTED isolation"),
                 errdetail("A sealer must see the head block its predecessor committed.")));

    if (wait)
        spi_check(SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock($1, $2)",
                                        2, lockargt, lockargs, NULL, false, 0),
                  SPI_OK_SELECT, "lock ledger");
    else
    {
        spi_check(SPI_execute_with_args("SELECT pg_catalog.pg_try_advisory_xact_lock($1, $2)",
                                        2, lockargt, lockargs, NULL, false, 0),
                  SPI_OK_SELECT, "lock ledger");
        if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
            return -1;
    }

    /*
     * State, read after the lock with a fresh snapshot. The horizon has
     * passed when every transaction that could hold a seq up to horizon_upto
     * has ended. On a logical-replication subscriber of the table, the
     * holders are the publisher's transactions, which this server cannot
     * see: there it passes only once every subscription writing the table
     * has a running apply worker that has received a message the publisher
     * sent pgtrace.subscriber_floor_delay or more after the horizon was
     * taken. A worker applies what it receives in order, so every publisher
     * transaction that committed within the delay has then been applied: one
     * that took its seq up to that long before it committed arrives above the
     * floor, however far the apply worker lagged (a stopped or disabled
     * subscription holds the floor).
     */
    {
        Oid         t2[2] = {OIDOID, INT4OID};
        Datum       a2[2] = {ObjectIdGetDatum(relid), Int32GetDatum(pt_subscriber_floor_delay_s)};

        spi_check(SPI_execute_with_args(
                                        "SELECT ledger_name, hash_algorithm, seal_floor, horizon_upto,"
                                        " horizon_xid IS NOT NULL AND pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) >= horizon_xid"
                                        " AND (horizon_at IS NULL"
                                        "      OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription_rel s WHERE s.srrelid = $1"
                                        "                     AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_subscription w"
                                        "                                     WHERE w.subid = s.srsubid AND w.relid IS NULL"
                                        "                                       AND w.last_msg_send_time >= horizon_at + pg_catalog.make_interval(secs => $2))))"
                                        " FROM trace.ledger_tables WHERE relid = $1",
                                        2, t2, a2, NULL, false, 0),
                  SPI_OK_SELECT, "read ledger state");
    }
    if (SPI_processed != 1)
        return 0;               /* no longer a ledger */
    name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    alg = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
    floor = spi_int8(0, 3, &isnull);
    horizon_upto = spi_int8(0, 4, &isnull);
    have_horizon = !isnull;
    if (have_horizon)
        horizon_passed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull));

    {
        Oid         t[2] = {TEXTOID, INT8OID};
        Datum       a[2] = {CStringGetTextDatum(name), Int64GetDatum(floor)};

        spi_check(SPI_execute_with_args(
                                        "SELECT block_no, block_hash FROM trace.ledger_blocks WHERE ledger = $1"
                                        " ORDER BY block_no DESC LIMIT 1",
                                        1, t, a, NULL, false, 0),
                  SPI_OK_SELECT, "read head block");
        memset(prev, 0, LEDGER_HASH_LEN);
        if (SPI_processed == 1)
        {
            bytea      *h;

            head_no = spi_int8(0, 1, &isnull);
            h = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
            if (!isnull && VARSIZE_ANY_EXHDR(h) == LEDGER_HASH_LEN)
                memcpy(prev, VARDATA_ANY(h), LEDGER_HASH_LEN);
        }

        /* Rows above the floor that earlier blocks already hold. */
        spi_check(SPI_execute_with_args(
                                        "SELECT pg_catalog.lower(r), pg_catalog.upper(r)"
                                        " FROM trace.ledger_blocks b, pg_catalog.unnest(b.members) r"
                                        " WHERE b.ledger = $1 AND b.max_seq > $2 ORDER BY 1",
                                        2, t, a, NULL, false, 0),
                  SPI_OK_SELECT, "read recent blocks");
        nrecent = (int) SPI_processed;
        recent = palloc(sizeof(int64) * 2 * Max(nrecent, 1));
        for (i = 0; i < nrecent; i++)
        {
            recent[2 * i] = spi_int8(i, 1, &isnull);
            recent[2 * i + 1] = spi_int8(i, 2, &isnull);
        }
    }

    rel = try_table_open(relid, AccessShareLock);
    if (rel == NULL)
        return 0;               /* its table is gone: trace.verify() and trace.status() report it */
    lr = pt_ledger_rel(rel, name, alg);

    newfloor = floor;
    if (have_horizon && horizon_passed)
    {
        newfloor = Max(floor, horizon_upto);
        have_horizon = false;
    }
    if (!have_horizon && OidIsValid(lr->seqoid))
    {
        /* L first, then a fresh xid X (order matters, see the file comment). */
        char       *q = psprintf("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM %s",
                                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(lr->seqoid)),
                                                            get_rel_name(lr->seqoid)));

        spi_check(SPI_execute(q, false, 0), SPI_OK_SELECT, "read sequence");
        L = spi_int8(0, 1, &isnull);
        if (L > newfloor)
        {
            spi_check(SPI_execute("SELECT pg_catalog.pg_current_xact_id()", false, 0),
                      SPI_OK_SELECT, "take xid");
            X = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
            new_horizon = true;
        }
    }

    /* Seal every committed, correctly hashed row above the floor. */
    batch.n = 0;
    batch.seqs = palloc(sizeof(int64) * PT_BLOCK_MAX_ROWS);
    batch.hashes = palloc((size_t) LEDGER_HASH_LEN * PT_BLOCK_MAX_ROWS);
    PushActiveSnapshot(GetTransactionSnapshot());
    /*
     * Scan only the gaps between the recent blocks' members (they are sorted
     * and disjoint): rows already sealed are not even fetched.
     */
    {
        int64       gap_lo = floor + 1;

        for (ri = 0; ri <= nrecent; ri++)
        {
            int64       gap_hi = ri < nrecent ? recent[2 * ri] : PG_INT64_MAX;

            if (gap_hi > gap_lo)
            {
                pt_seqscan_begin(&scan, lr, rel, GetActiveSnapshot(), gap_lo, gap_hi);
                while (pt_seqscan_next(&scan, &values, &nulls))
                {
                    int64       seq;

                    CHECK_FOR_INTERRUPTS();
                    if (nulls[lr->seq_att - 1])
                        continue;
                    seq = DatumGetInt64(values[lr->seq_att - 1]);
                    if (batch.n > 0 && batch.seqs[batch.n - 1] == seq)
                        continue;   /* duplicate seq: never sealed twice */
                    if (!pt_ledger_hash_matches(lr, values, nulls, hash))
                        continue;   /* not a genuine row: left for verify to report */
                    batch.seqs[batch.n] = seq;
                    memcpy(batch.hashes + (size_t) batch.n * LEDGER_HASH_LEN, hash, LEDGER_HASH_LEN);
                    batch.n++;
                    sealed++;
                    if (batch.n == PT_BLOCK_MAX_ROWS)
                        write_block(lr, ++head_no, prev, &batch);
                }
                pt_seqscan_end(&scan);
            }
            if (ri < nrecent)
                gap_lo = Max(gap_lo, recent[2 * ri + 1]);
        }
    }
    PopActiveSnapshot();
    if (batch.n > 0)
        write_block(lr, ++head_no, prev, &batch);
    table_close(rel, AccessShareLock);

    /* Kept horizon (not passed yet): nothing changes. Otherwise record the
     * new floor and the new horizon (or none). */
    if (!have_horizon || new_horizon)
    {
        Oid         t[4] = {OIDOID, INT8OID, INT8OID, XID8OID};
        Datum       a[4];
        char        n[5] = "    ";

        a[0] = ObjectIdGetDatum(relid);
        a[1] = Int64GetDatum(newfloor);
        a[2] = Int64GetDatum(L);
        a[3] = X;
        if (!new_horizon)
            n[2] = n[3] = 'n';
        spi_check(SPI_execute_with_args(
                                        "UPDATE trace.ledger_tables SET seal_floor = $2, horizon_upto = $3,"
                                        " horizon_xid = $4, horizon_at = CASE WHEN $4 IS NULL THEN NULL ELSE pg_catalog.clock_timestamp() END"
                                        " WHERE relid = $1"
                                        " AND (seal_floor, horizon_upto, horizon_xid) IS DISTINCT FROM ($2, $3, $4)",
                                        4, t, a, n, false, 0),
                  SPI_OK_UPDATE, "update floor");
    }
    return sealed;
}

PG_FUNCTION_INFO_V1(pt_ledger_seal_sql);
/*
 * trace.seal(tbl regclass DEFAULT NULL) → bigint: seal the committed rows of
 * one ledger (or of all) now; returns how many rows were sealed.
 */
Datum
pt_ledger_seal_sql(PG_FUNCTION_ARGS)
{
    int64       total = 0;
    Oid        *relids;
    int         n;
    int         i;

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    if (PG_ARGISNULL(0))
        spi_check(SPI_execute("SELECT relid::pg_catalog.oid FROM trace.ledger_tables ORDER BY 1",
                              false, 0),
                  SPI_OK_SELECT, "list ledgers");
    else
    {
        Oid         t[1] = {OIDOID};
        Datum       a[1] = {PG_GETARG_DATUM(0)};

        spi_check(SPI_execute_with_args("SELECT relid::pg_catalog.oid FROM trace.ledger_tables WHERE relid = $1",
                                        1, t, a, NULL, false, 0),
                  SPI_OK_SELECT, "find ledger");
        if (SPI_processed == 0)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("table \"%s\" is not a ledger table", get_rel_name(PG_GETARG_OID(0))),
                     errhint("Use trace.ledger_enable() first.")));
    }
    n = (int) SPI_processed;
    relids = palloc(sizeof(Oid) * Max(n, 1));
    for (i = 0; i < n; i++)
    {
        bool        isnull;

        relids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
    }
    for (i = 0; i < n; i++)
        total += seal_ledger(relids[i], true);
    SPI_finish();
    PG_RETURN_INT64(total);
}

/* ---------------------------------------------------------- background worker */

void
pt_ledger_register_sealer(void)
{
    BackgroundWorker w;

    memset(&w, 0, sizeof(w));
    w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    w.bgw_start_time = BgWorkerStart_RecoveryFinished;
    w.bgw_restart_time = 1;
    snprintf(w.bgw_library_name, BGW_MAXLEN, "pgtrace");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "pt_ledger_sealer_main");
    snprintf(w.bgw_name, BGW_MAXLEN, "pgtrace ledger sealer");
    snprintf(w.bgw_type, BGW_MAXLEN, "pgtrace ledger sealer");
    RegisterBackgroundWorker(&w);
}

/*
 * The background sealer: every pgtrace.seal_interval ms, seal each ledger of
 * the database pgtrace.database in its own transaction. A ledger being
 * sealed by trace.seal() at that moment is skipped until the next round.
 */
/*
 * One ledger, one transaction. An error (say, a ledger table dropped behind
 * the ledger's back) is logged and the round goes on with the next ledger.
 */
static void
seal_one_in_worker(Oid relid, MemoryContext loopcxt)
{
    PG_TRY();
    {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        SPI_connect();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "pgtrace: sealing a ledger");
        (void) seal_ledger(relid, false);
        PopActiveSnapshot();
        SPI_finish();
        CommitTransactionCommand();
    }
    PG_CATCH();
    {
        HOLD_INTERRUPTS();
        EmitErrorReport();
        AbortOutOfAnyTransaction();
        FlushErrorState();
        MemoryContextSwitchTo(loopcxt);
        RESUME_INTERRUPTS();
    }
    PG_END_TRY();
    MemoryContextSwitchTo(loopcxt);
}

void
pt_ledger_sealer_main(Datum arg)
{
    TimestampTz round_start;
    MemoryContext loopcxt;

    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(pt_sealer_database, NULL, 0);
    pgstat_report_appname("pgtrace ledger sealer");
    pt_access_queue_attach();   /* lookups of this database may now queue for the access log */
    round_start = GetCurrentTimestamp();
    loopcxt = AllocSetContextCreate(TopMemoryContext, "pgtrace sealer", ALLOCSET_DEFAULT_SIZES);
    MemoryContextSwitchTo(loopcxt);

    for (;;)
    {
        Oid        *relids = NULL;
        int         n = 0;
        int         i;

        /*
         * Rounds start every pgtrace.seal_interval ms, however long sealing
         * took. A wake-up in between (the access-log queue filling up, or
         * trace.access_log_flush) only writes the queued lookups, in small
         * batches that do not hold a core for long.
         */
        for (;;)
        {
            long        elapsed = (long) ((GetCurrentTimestamp() - round_start) / 1000);

            if (elapsed >= pt_seal_interval_ms)
                break;
            (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
                             pt_seal_interval_ms - elapsed, PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
            if ((GetCurrentTimestamp() - round_start) / 1000 < pt_seal_interval_ms)
            {
                MemoryContextSwitchTo(loopcxt);
                pt_access_queue_drain(loopcxt);
            }
        }
        round_start = GetCurrentTimestamp();
        MemoryContextSwitchTo(loopcxt);
        MemoryContextReset(loopcxt);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending)
        {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }

        /* queued lookups first, so their access-log rows are sealed this round */
        pt_access_queue_drain(loopcxt);

        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        SPI_connect();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "pgtrace: listing ledgers");
        if (SPI_execute("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                        " ON n.oid = c.relnamespace WHERE n.nspname = 'trace' AND c.relname = 'ledger_tables'"
                        " AND EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pgtrace')",
                        true, 0) == SPI_OK_SELECT && SPI_processed == 1
            && SPI_execute("SELECT l.relid::pg_catalog.oid FROM trace.ledger_tables l"
                           /* a ledger whose table is gone is skipped (verify and status report it) */
                           " JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) l.relid::pg_catalog.oid"
                           " JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
                           /* idle ledgers cost one look at their sequence */
                           " WHERE l.horizon_xid IS NOT NULL OR l.seal_floor < COALESCE(pg_catalog.pg_sequence_last_value("
                           "   pg_catalog.pg_get_serial_sequence(pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.'"
                           "   OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname), 'ledger_seq')::pg_catalog.regclass), 0)"
                           " ORDER BY 1",
                           true, 0) == SPI_OK_SELECT)
        {
            MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

            n = (int) SPI_processed;
            relids = palloc(sizeof(Oid) * Max(n, 1));
            MemoryContextSwitchTo(old);
            for (i = 0; i < n; i++)
            {
                bool        isnull;

                relids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
                                                           SPI_tuptable->tupdesc, 1, &isnull));
            }
        }
        PopActiveSnapshot();
        SPI_finish();
        CommitTransactionCommand();

        for (i = 0; i < n; i++)
            seal_one_in_worker(relids[i], loopcxt);
        if (relids)
            pfree(relids);
        pgstat_report_activity(STATE_IDLE, NULL);
    }
}
