/*
 * access_buffer.c — the access log's queue (issue 5).
 *
 * A public lookup is a read; writing its access-log row in the caller's own
 * transaction would turn every consumer scan into a write transaction with a
 * commit record to flush, and a row written there disappears when the caller
 * rolls back. With pgtrace in shared_preload_libraries, lookups, regulator
 * reads and exports instead append their entry (action, acting role, login
 * role, object, client address, application, found, time) to a queue in
 * shared memory, and the background sealer writes the queued entries, in
 * queue order, at its next round (pgtrace.seal_interval) or as soon as 256
 * entries (or half the queue) wait: lookups into trace.access_log_batch (256
 * to a ledger row), reads and exports into trace.access_log_record. An entry
 * is removed from the queue only after the transaction that wrote it
 * committed, so what the caller's transaction does afterwards (a rollback
 * included) cannot take it back.
 *
 * An object longer than a slot is split: a regulator read's list of
 * relations over several entries, at ", "; a lookup's code is cut with a
 * note of its full length. A full queue wakes the sealer and waits for room
 * (up to a second). Only when the queue cannot be used at all — pgtrace not
 * preloaded, pgtrace.access_log_buffer = 0, the sealer not running in this
 * database, a standby, or a queue still full after the wait — does the entry
 * go into the caller's own transaction (access.c), where a rollback removes
 * it; trace.status() -> access says whether the queue serves this database.
 * What the queue trades: entries not yet written when the server crashes
 * are lost (at most one sealer round).
 * trace.access_log_flush() waits until everything queued so far is written.
 */
#include "pgtrace.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

#include <string.h>

#define ACCQ_OBJECT_LEN 160
#define ACCQ_ADDR_LEN   64
#define ACCQ_WAKE_AT    256     /* queued entries that wake the sealer before its round */
#define ACCQ_ROW_ENTRIES 256    /* entries per row of trace.access_log_batch (its CHECK says so too) */

/*
 * The drain's statement, planned once per sealer (a kept plan: the plan
 * cache replans it when the tables change). Numbered in queue order;
 * lookups ACCQ_ROW_ENTRIES to a row of access_log_batch, reads and exports a
 * row each in access_log_record.
 */
#define DRAIN_SQL \
    "WITH u AS MATERIALIZED (" \
    "    SELECT x.*, pg_catalog.nextval('trace.access_log_entry_id') AS id" \
    "    FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)," \
    "                    pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)," \
    "                    pg_catalog.unnest($7), pg_catalog.unnest($8))" \
    "         WITH ORDINALITY AS x(at, role, sess, obj, addr, app, found, act, ord)" \
    "    ORDER BY x.ord)," \
    " other AS (" \
    "    INSERT INTO trace.access_log_record" \
    "        (entry_id, logged_at, role_name, session_role, action, object, client_addr, application, detail)" \
    "    SELECT u.id, u.at, u.role::pg_catalog.name, u.sess::pg_catalog.name, u.act, u.obj," \
    "           u.addr::pg_catalog.inet, u.app, NULL" \
    "    FROM u WHERE u.act OPERATOR(pg_catalog.<>) 'lookup' ORDER BY u.ord)" \
    " INSERT INTO trace.access_log_batch" \
    " (entry_id, logged_at, role_name, session_role, object, client_addr, application, found)" \
    " SELECT pg_catalog.array_agg(u.id ORDER BY u.ord), pg_catalog.array_agg(u.at ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.role::pg_catalog.name ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.sess::pg_catalog.name ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.obj ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.addr::pg_catalog.inet ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.app ORDER BY u.ord)," \
    "        pg_catalog.array_agg(u.found ORDER BY u.ord)" \
    " FROM (SELECT u.*, pg_catalog.row_number() OVER (ORDER BY u.ord) AS k" \
    "       FROM u WHERE u.act OPERATOR(pg_catalog.=) 'lookup') u" \
    " GROUP BY (u.k - 1) / " CppAsString2(ACCQ_ROW_ENTRIES) \
    " ORDER BY pg_catalog.min(u.ord)"

static SPIPlanPtr drain_plan = NULL;

typedef struct AccEntry
{
    Oid         dbid;
    char        action;         /* 'l' lookup, 'r' read, 'e' export */
    bool        found;
    bool        has_addr;
    TimestampTz logged_at;
    NameData    role_name;
    NameData    session_role;
    char        application[NAMEDATALEN];
    char        object[ACCQ_OBJECT_LEN];
    char        addr[ACCQ_ADDR_LEN];
} AccEntry;

typedef struct AccQueue
{
    LWLock     *lock;
    uint64      head;           /* next entry to write */
    uint64      tail;           /* next entry to drain */
    Oid         worker_db;      /* the sealer's database; InvalidOid: no sealer */
    Latch      *worker_latch;
    int         size;
    AccEntry    entries[FLEXIBLE_ARRAY_MEMBER];
} AccQueue;

static int  accq_size = 16384;
static AccQueue *accq = NULL;
static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

static Size
accq_shmem_size(void)
{
    return add_size(offsetof(AccQueue, entries), mul_size(sizeof(AccEntry), Max(accq_size, 1)));
}

static void
accq_shmem_request(void)
{
    if (prev_shmem_request)
        prev_shmem_request();
    RequestAddinShmemSpace(accq_shmem_size());
    RequestNamedLWLockTranche("pgtrace access log", 1);
}

static void
accq_shmem_startup(void)
{
    bool        found;

    if (prev_shmem_startup)
        prev_shmem_startup();
    LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
    accq = ShmemInitStruct("pgtrace access log", accq_shmem_size(), &found);
    if (!found)
    {
        accq->lock = &(GetNamedLWLockTranche("pgtrace access log"))->lock;
        accq->head = accq->tail = 0;
        accq->worker_db = InvalidOid;
        accq->worker_latch = NULL;
        accq->size = Max(accq_size, 1);
    }
    LWLockRelease(AddinShmemInitLock);
}

/* Called from pt_access_init when preloaded. */
void
pt_access_buffer_init(void)
{
    DefineCustomIntVariable("pgtrace.access_log_buffer",
                            "Entries of the shared-memory queue of lookups waiting for the access log (0: none).",
                            "Lookups are written to trace.access_log by the background sealer; 0 makes every "
                            "lookup write its own row.",
                            &accq_size, 16384, 0, 1048576,
                            PGC_POSTMASTER, 0, NULL, NULL, NULL);
    if (!process_shared_preload_libraries_in_progress || accq_size == 0)
        return;
    prev_shmem_request = shmem_request_hook;
    shmem_request_hook = accq_shmem_request;
    prev_shmem_startup = shmem_startup_hook;
    shmem_startup_hook = accq_shmem_startup;
}

/*
 * The client's address as text (inet_client_addr), or false on a Unix-socket
 * connection. Computed once per session. (The server's libpq-be.h needs GSSAPI
 * headers that a build host may lack, hence the SQL function.)
 */
static bool
client_addr(char *buf, size_t len)
{
    static bool known = false;
    static bool has = false;
    static char addr[ACCQ_ADDR_LEN];

    if (!known)
    {
        LOCAL_FCINFO(fcinfo, 0);
        Datum       d;

        InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
        d = inet_client_addr(fcinfo);
        if (!fcinfo->isnull)
        {
            char       *s = DatumGetCString(DirectFunctionCall1(inet_out, d));

            has = strlen(s) < sizeof(addr);
            if (has)
                strlcpy(addr, s, sizeof(addr));
        }
        known = true;
    }
    if (has)
        strlcpy(buf, addr, len);
    return has;
}

/*
 * Queue entries for the access log, all or none: objects[0..n) become n
 * entries of one action with the same time. Waits up to a second for room
 * when the queue is full. False when they cannot be queued; the caller then
 * writes them itself.
 */
static bool
queue_entries(char action, const char *role, const char *session, const char **objects, int n, bool found)
{
    AccEntry    e;
    bool        queued = false;
    bool        wake = false;
    TimestampTz start = 0;
    Latch      *worker = NULL;
    int         i;

    if (accq == NULL || accq->worker_db != MyDatabaseId || RecoveryInProgress() || n < 1 || n > accq->size)
        return false;
    memset(&e, 0, sizeof(e));
    e.dbid = MyDatabaseId;
    e.action = action;
    e.found = found;
    e.logged_at = GetCurrentTimestamp();
    namestrcpy(&e.role_name, role);
    namestrcpy(&e.session_role, session);
    if (application_name)
        strlcpy(e.application, application_name, sizeof(e.application));
    e.has_addr = client_addr(e.addr, sizeof(e.addr));

    for (;;)
    {
        LWLockAcquire(accq->lock, LW_EXCLUSIVE);
        if (accq->worker_db != MyDatabaseId)
        {
            LWLockRelease(accq->lock);
            return false;
        }
        if (accq->head - accq->tail + (uint64) n <= (uint64) accq->size)
        {
            for (i = 0; i < n; i++)
            {
                AccEntry   *slot = &accq->entries[accq->head % accq->size];

                *slot = e;
                strlcpy(slot->object, objects[i], sizeof(slot->object));
                accq->head++;
            }
            queued = true;
            wake = accq->head - accq->tail >= (uint64) Min(accq->size / 2, ACCQ_WAKE_AT);
        }
        worker = accq->worker_latch;
        LWLockRelease(accq->lock);
        if (queued)
            break;
        /* full: wake the sealer and wait for room, a second at most */
        if (start == 0)
            start = GetCurrentTimestamp();
        else if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), 1000))
            return false;
        if (worker)
            SetLatch(worker);
        (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 5, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
    if (wake && worker)         /* read under the lock above */
        SetLatch(worker);
    return true;
}

/*
 * Queue one lookup. A code longer than a slot is cut (at a character
 * boundary) and the entry says how long it was.
 */
bool
pt_access_queue_lookup(const char *role, const char *session, const char *object, bool found)
{
    int         len = strlen(object);

    if (len >= ACCQ_OBJECT_LEN)
    {
        char        note[48];
        char       *cut;
        int         keep;

        snprintf(note, sizeof(note), "... (%d bytes)", len);
        keep = pg_mbcliplen(object, len, ACCQ_OBJECT_LEN - 1 - (int) strlen(note));
        cut = psprintf("%.*s%s", keep, object, note);
        return queue_entries('l', role, session, (const char **) &cut, 1, found);
    }
    return queue_entries('l', role, session, &object, 1, found);
}

/*
 * Queue one regulator read ('r') or export ('e'). A list of relations longer
 * than a slot ("a, b, c") is split at ", " over several entries.
 */
bool
pt_access_queue_access(char action, const char *role, const char *session, const char *objects)
{
    const char **parts;
    int         n = 0;
    int         max = (int) strlen(objects) / 2 + 2;
    const char *p = objects;

    parts = palloc(sizeof(char *) * max);
    while (*p)
    {
        int         len = strlen(p);
        int         take = len;

        if (len >= ACCQ_OBJECT_LEN)
        {
            /* the last ", " that leaves the piece short enough; else cut */
            take = -1;
            for (int k = ACCQ_OBJECT_LEN - 1; k > 0; k--)
                if (p[k] == ',' && p[k + 1] == ' ')
                {
                    take = k;
                    break;
                }
            if (take <= 0)
                take = pg_mbcliplen(p, len, ACCQ_OBJECT_LEN - 1);
        }
        parts[n++] = pnstrdup(p, take);
        p += take;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return n > 0 && queue_entries(action, role, session, parts, n, false);
}

static void
worker_detach(int code, Datum arg)
{
    if (accq == NULL)
        return;
    LWLockAcquire(accq->lock, LW_EXCLUSIVE);
    accq->worker_db = InvalidOid;
    accq->worker_latch = NULL;
    LWLockRelease(accq->lock);
}

/* The sealer announces itself: lookups of its database may queue. */
void
pt_access_queue_attach(void)
{
    if (accq == NULL)
        return;
    LWLockAcquire(accq->lock, LW_EXCLUSIVE);
    accq->worker_db = MyDatabaseId;
    accq->worker_latch = MyLatch;
    LWLockRelease(accq->lock);
    on_shmem_exit(worker_detach, (Datum) 0);
}

/*
 * Write the queued entries into trace.access_log_batch (256 to a row) in one transaction
 * (the sealer, once a round). They leave the queue only once that committed;
 * after an error they stay and are written at the next round.
 */
void
pt_access_queue_drain(MemoryContext loopcxt)
{
    uint64      from, to, i;
    int         n;
    AccEntry   *batch;

    if (accq == NULL)
        return;
    LWLockAcquire(accq->lock, LW_SHARED);
    from = accq->tail;
    to = accq->head;
    LWLockRelease(accq->lock);
    if (from == to)
        return;
    /* at most one queue's worth per transaction */
    n = (int) Min(to - from, (uint64) accq->size);
    to = from + n;
    batch = MemoryContextAlloc(loopcxt, sizeof(AccEntry) * n);
    for (i = from; i < to; i++)
        batch[i - from] = accq->entries[i % accq->size];   /* the producer never writes these slots */

    PG_TRY();
    {
        Datum      *at = palloc(sizeof(Datum) * n);
        Datum      *role = palloc(sizeof(Datum) * n);
        Datum      *sess = palloc(sizeof(Datum) * n);
        Datum      *obj = palloc(sizeof(Datum) * n);
        Datum      *addr = palloc(sizeof(Datum) * n);
        bool       *addr_null = palloc(sizeof(bool) * n);
        Datum      *app = palloc(sizeof(Datum) * n);
        bool       *app_null = palloc(sizeof(bool) * n);
        Datum      *found = palloc(sizeof(Datum) * n);
        Datum      *act = palloc(sizeof(Datum) * n);
        Datum       args[8];
        Oid         types[8] = {TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
                                TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID, TEXTARRAYOID};
        int         dims[1];
        int         lbs[1] = {1};
        int         k;
        Oid         nsp;

        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        SPI_connect();
        PushActiveSnapshot(GetTransactionSnapshot());
        pgstat_report_activity(STATE_RUNNING, "pgtrace: writing queued entries to the access log");
        /* the extension dropped since: keep the entries for when it is back */
        nsp = get_namespace_oid("trace", true);
        if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("access_log_record", nsp)))
            n = 0;
        for (k = 0; k < n; k++)
        {
            AccEntry   *e = &batch[k];

            at[k] = TimestampTzGetDatum(e->logged_at);
            role[k] = CStringGetTextDatum(NameStr(e->role_name));
            sess[k] = CStringGetTextDatum(NameStr(e->session_role));
            obj[k] = CStringGetTextDatum(e->object);
            addr_null[k] = !e->has_addr;
            addr[k] = e->has_addr ? CStringGetTextDatum(e->addr) : (Datum) 0;
            app_null[k] = e->application[0] == '\0';
            app[k] = app_null[k] ? (Datum) 0 : CStringGetTextDatum(e->application);
            found[k] = BoolGetDatum(e->found);
            act[k] = CStringGetTextDatum(e->action == 'r' ? "read" : e->action == 'e' ? "export" : "lookup");
        }
        dims[0] = n;
        args[0] = PointerGetDatum(construct_array(at, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
        args[1] = PointerGetDatum(construct_array(role, n, TEXTOID, -1, false, TYPALIGN_INT));
        args[2] = PointerGetDatum(construct_array(sess, n, TEXTOID, -1, false, TYPALIGN_INT));
        args[3] = PointerGetDatum(construct_array(obj, n, TEXTOID, -1, false, TYPALIGN_INT));
        args[4] = PointerGetDatum(construct_md_array(addr, addr_null, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
        args[5] = PointerGetDatum(construct_md_array(app, app_null, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
        args[6] = PointerGetDatum(construct_array(found, n, BOOLOID, 1, true, TYPALIGN_CHAR));
        args[7] = PointerGetDatum(construct_array(act, n, TEXTOID, -1, false, TYPALIGN_INT));
        if (n > 0 && drain_plan == NULL)
        {
            SPIPlanPtr  p = SPI_prepare(DRAIN_SQL, 8, types);

            if (p == NULL || SPI_keepplan(p) != 0)
                elog(ERROR, "could not prepare the access-log drain");
            drain_plan = p;
        }
        if (n > 0 && SPI_execute_plan(drain_plan, args, NULL, false, 0) < 0)
            elog(ERROR, "could not write queued entries to the access log");
        PopActiveSnapshot();
        SPI_finish();
        CommitTransactionCommand();

        if (n > 0)
        {
            LWLockAcquire(accq->lock, LW_EXCLUSIVE);
            accq->tail = to;
            LWLockRelease(accq->lock);
        }
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
    pfree(batch);
    pgstat_report_activity(STATE_IDLE, NULL);
}

/* Entries queued and not yet written (0 without a queue). */
int64
pt_access_queue_pending(void)
{
    int64       n;

    if (accq == NULL)
        return 0;
    LWLockAcquire(accq->lock, LW_SHARED);
    n = (int64) (accq->head - accq->tail);
    LWLockRelease(accq->lock);
    return n;
}

PG_FUNCTION_INFO_V1(pt_access_log_flush);
/*
 * trace.access_log_flush(timeout_ms) → boolean: wait until every entry
 * queued before the call is in trace.access_log (true), or the timeout
 * passed (false). True at once when nothing is queued.
 */
Datum
pt_access_log_flush(PG_FUNCTION_ARGS)
{
    int         timeout_ms = PG_ARGISNULL(0) ? 10000 : PG_GETARG_INT32(0);
    TimestampTz start = GetCurrentTimestamp();
    uint64      target;

    if (accq == NULL)
        PG_RETURN_BOOL(true);
    LWLockAcquire(accq->lock, LW_SHARED);
    target = accq->head;
    LWLockRelease(accq->lock);
    for (;;)
    {
        uint64      tail;
        Latch      *worker;

        LWLockAcquire(accq->lock, LW_SHARED);
        tail = accq->tail;
        worker = accq->worker_latch;
        LWLockRelease(accq->lock);
        if (tail >= target)
            PG_RETURN_BOOL(true);
        if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), timeout_ms))
            PG_RETURN_BOOL(false);
        if (worker)
            SetLatch(worker);
        (void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
    }
}

PG_FUNCTION_INFO_V1(pt_access_log_queue_here);
/* trace._acc_log_queue_here(): does the queue serve this database now? */
Datum
pt_access_log_queue_here(PG_FUNCTION_ARGS)
{
    bool        here;

    if (accq == NULL || RecoveryInProgress())
        PG_RETURN_BOOL(false);
    LWLockAcquire(accq->lock, LW_SHARED);
    here = accq->worker_db == MyDatabaseId;
    LWLockRelease(accq->lock);
    PG_RETURN_BOOL(here);
}

PG_FUNCTION_INFO_V1(pt_access_log_queued);
/* trace._acc_log_queued(): lookups queued and not yet in the access log. */
Datum
pt_access_log_queued(PG_FUNCTION_ARGS)
{
    PG_RETURN_INT64(pt_access_queue_pending());
}
