/*
 * ledger_verify.c — trace.verify() and trace.proof().
 *
 * Verification recomputes everything from the stored rows and blocks, in one
 * snapshot, streaming: blocks are read in block order through a cursor; each
 * block's member rows are read in seq order (so no sort of rows, and memory
 * bounded by one block), by one sequential scan of the table when its rows
 * lie in seq order, else by index range scans over the members (RowSource).
 * Every row hash, every Merkle root and every chain link is recomputed. Rows
 * that no block holds are examined one by one: pending (not yet sealed),
 * pending too long, or inserted (bad hash, or below the sealer's floor).
 */
#include "ledger_pg.h"

#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include <string.h>

#define MAX_PROBLEMS 1000

typedef struct VerifyCtx
{
    StringInfoData problems;
    int         nproblems;
    bool        truncated;
    int64       rows;
    int64       blocks;
    int64       pending;
    int64       purged;
    int         ledgers;
    const char *table;          /* current table, for problems */
    const char *ledger;
    /* problems held back while a sequential scan meets unsealed rows early */
    bool        defer;
    int         nlater;
    bool        later_more;
    struct LaterProblem *later;
} VerifyCtx;

typedef struct LaterProblem
{
    const char *kind;
    bool        has_seq;
    int64       seq;
    int64       block_no;
    const char *detail;         /* a string constant */
} LaterProblem;

/* One block as read from trace.ledger_blocks (copied out of SPI). */
typedef struct BlockRec
{
    int64       block_no;
    int64       row_count;
    uint8       root[LEDGER_HASH_LEN];
    uint8       prev[LEDGER_HASH_LEN];
    uint8       hash[LEDGER_HASH_LEN];
    bool        fields_ok;      /* hashes had the right length */
    int64       sealed_at;
    int         nranges;
    int64      *ranges;         /* lo, hi pairs */
    int64       nleaves;
    uint8      *leaves;
} BlockRec;

static void
add_problem(VerifyCtx *v, const char *kind, bool has_seq, int64 seq, int64 block_no,
            const char *detail)
{
    StringInfo  s = &v->problems;

    if (v->defer)
    {
        if (v->later == NULL)
            v->later = palloc(sizeof(LaterProblem) * MAX_PROBLEMS);
        if (v->nlater < MAX_PROBLEMS)
        {
            LaterProblem *p = &v->later[v->nlater++];

            p->kind = kind;
            p->has_seq = has_seq;
            p->seq = seq;
            p->block_no = block_no;
            p->detail = detail;
        }
        else
            v->later_more = true;
        return;
    }
    if (v->nproblems >= MAX_PROBLEMS)
    {
        v->truncated = true;
        return;
    }
    if (v->nproblems > 0)
        appendStringInfoString(s, ", ");
    appendStringInfoString(s, "{\"table\": ");
    escape_json(s, v->table);
    appendStringInfoString(s, ", \"ledger\": ");
    escape_json(s, v->ledger);
    appendStringInfoString(s, ", \"kind\": ");
    escape_json(s, kind);
    if (has_seq)
        appendStringInfo(s, ", \"seq\": " INT64_FORMAT, seq);
    if (block_no > 0)
        appendStringInfo(s, ", \"block\": " INT64_FORMAT, block_no);
    appendStringInfoString(s, ", \"detail\": ");
    escape_json(s, detail);
    appendStringInfoChar(s, '}');
    v->nproblems++;
}

static bool
copy_hash(Datum d, bool isnull, uint8 out[LEDGER_HASH_LEN])
{
    bytea      *b;

    memset(out, 0, LEDGER_HASH_LEN);
    if (isnull)
        return false;
    b = DatumGetByteaPP(d);
    if (VARSIZE_ANY_EXHDR(b) != LEDGER_HASH_LEN)
        return false;
    memcpy(out, VARDATA_ANY(b), LEDGER_HASH_LEN);
    return true;
}

static int64 *
int8_array(Datum d, int *n)
{
    ArrayType  *a = DatumGetArrayTypeP(d);
    Datum      *elems;
    bool       *nulls;
    int64      *out;
    int         i;

    deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, n);
    out = palloc(sizeof(int64) * Max(*n, 1));
    for (i = 0; i < *n; i++)
        out[i] = nulls[i] ? 0 : DatumGetInt64(elems[i]);
    return out;
}

/* Columns: block_no, row_count, merkle_root, prev_hash, block_hash,
 * sealed_at, leaf_hashes, lowers[], uppers[] */
#define BLOCK_COLUMNS \
    "block_no, row_count, merkle_root, prev_hash, block_hash, sealed_at, leaf_hashes," \
    " ARRAY(SELECT pg_catalog.lower(r) FROM pg_catalog.unnest(members) r)," \
    " ARRAY(SELECT pg_catalog.upper(r) FROM pg_catalog.unnest(members) r)"

static void
read_block(HeapTuple tup, TupleDesc td, BlockRec *b)
{
    bool        isnull;
    bool        ok = true;
    int         nlo;
    int         nhi;
    int64      *lo;
    int64      *hi;
    int         i;
    bytea      *leaves;

    b->block_no = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
    b->row_count = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
    ok &= copy_hash(SPI_getbinval(tup, td, 3, &isnull), isnull, b->root);
    ok &= copy_hash(SPI_getbinval(tup, td, 4, &isnull), isnull, b->prev);
    ok &= copy_hash(SPI_getbinval(tup, td, 5, &isnull), isnull, b->hash);
    b->fields_ok = ok;
    b->sealed_at = DatumGetInt64(SPI_getbinval(tup, td, 6, &isnull));
    leaves = DatumGetByteaPP(SPI_getbinval(tup, td, 7, &isnull));
    b->nleaves = isnull ? 0 : VARSIZE_ANY_EXHDR(leaves) / LEDGER_HASH_LEN;
    b->leaves = palloc(Max(b->nleaves, 1) * LEDGER_HASH_LEN);
    if (b->nleaves > 0)
        memcpy(b->leaves, VARDATA_ANY(leaves), b->nleaves * LEDGER_HASH_LEN);
    lo = int8_array(SPI_getbinval(tup, td, 8, &isnull), &nlo);
    hi = int8_array(SPI_getbinval(tup, td, 9, &isnull), &nhi);
    b->nranges = Min(nlo, nhi);
    b->ranges = palloc(sizeof(int64) * 2 * Max(b->nranges, 1));
    for (i = 0; i < b->nranges; i++)
    {
        b->ranges[2 * i] = lo[i];
        b->ranges[2 * i + 1] = hi[i];
    }
}

static void
free_block(BlockRec *b)
{
    pfree(b->leaves);
    pfree(b->ranges);
}

/*
 * The blocks of one ledger in block order, through an SPI cursor a few at a
 * time (verify, export and proofs page them alike). Each batch is copied out
 * and its SPI tuples freed before the caller sees it, so the caller may run
 * other SPI queries between two blocks.
 */
typedef struct BlockIter
{
    Portal      portal;
    int         batch;
    uint64      n;
    uint64      next;
    BlockRec   *bs;
} BlockIter;

/* Blocks after block `after` up to block `upto` (inclusive). */
static void
block_iter_open(BlockIter *it, const char *ledger, int64 after, int64 upto, int batch)
{
    Oid         t[3] = {TEXTOID, INT8OID, INT8OID};
    Datum       a[3] = {CStringGetTextDatum(ledger), Int64GetDatum(after), Int64GetDatum(upto)};

    it->portal = SPI_cursor_open_with_args(NULL,
                                           "SELECT " BLOCK_COLUMNS " FROM trace.ledger_blocks WHERE ledger = $1"
                                           " AND block_no > $2 AND block_no <= $3 ORDER BY block_no",
                                           3, t, a, NULL, true, 0);
    it->batch = batch;
    it->n = it->next = 0;
    it->bs = NULL;
}

/* The next block into *b (free it with free_block), false after the last. */
static bool
block_iter_next(BlockIter *it, BlockRec *b)
{
    if (it->next >= it->n)
    {
        uint64      k;

        if (it->bs)
            pfree(it->bs);
        it->bs = NULL;
        SPI_cursor_fetch(it->portal, true, it->batch);
        it->n = SPI_processed;
        it->next = 0;
        if (it->n == 0)
            return false;
        it->bs = palloc(sizeof(BlockRec) * it->n);
        for (k = 0; k < it->n; k++)
            read_block(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, &it->bs[k]);
        SPI_freetuptable(SPI_tuptable);
    }
    *b = it->bs[it->next++];
    return true;
}

static void
block_iter_close(BlockIter *it)
{
    if (it->bs)
        pfree(it->bs);
    SPI_cursor_close(it->portal);
}

/*
 * Where walk_block reads a ledger's rows from, in seq order: by default the
 * unique index, one scan restarted per range. In sequential mode (verify,
 * when the blocks' members ascend in block order) one sequential scan of the
 * table serves every range, as long as the table returns its rows in
 * ascending seq order — as a bulk load or a single writer leaves them — and
 * rows met between two ranges go to `between` (the unsealed ones). A row out
 * of order, or a second row with a seq, sets `broken`: the caller then
 * verifies the ledger again through the index.
 */
typedef struct RowSource
{
    PtSeqScan  *index;          /* index mode when set */
    /* sequential mode */
    PtLedgerRel *lr;
    TableScanDesc scan;
    TupleTableSlot *slot;
    bool        pending;        /* slot holds a row not handed out yet */
    bool        done;
    bool        broken;
    bool        seen;
    int64       last;           /* highest seq read so far */
    int64       lo;             /* current range [lo, hi) */
    int64       hi;
    int64       nullseq;        /* rows without a seq */
    void        (*between) (void *arg, int64 seq, Datum *values, bool *nulls);
    void       *between_arg;
} RowSource;

static void
rows_range(RowSource *rs, int64 lo, int64 hi)
{
    if (rs->index)
    {
        pt_seqscan_rescan(rs->index, lo, hi);
        return;
    }
    if (lo < rs->hi)
        rs->broken = true;      /* ranges must ascend */
    rs->lo = lo;
    rs->hi = hi;
}

static bool
rows_next(RowSource *rs, Datum **values, bool **nulls)
{
    AttrNumber  seqatt;

    if (rs->index)
        return pt_seqscan_next(rs->index, values, nulls);
    seqatt = rs->lr->seq_att;
    for (;;)
    {
        int64       seq;

        if (rs->broken)
            return false;
        if (!rs->pending)
        {
            if (rs->done)
                return false;
            if (!table_scan_getnextslot(rs->scan, ForwardScanDirection, rs->slot))
            {
                rs->done = true;
                return false;
            }
            slot_getallattrs(rs->slot);
            if (rs->slot->tts_isnull[seqatt - 1])
            {
                rs->nullseq++;
                continue;
            }
            seq = DatumGetInt64(rs->slot->tts_values[seqatt - 1]);
            if (rs->seen && seq <= rs->last)
            {
                rs->broken = true;
                return false;
            }
            rs->seen = true;
            rs->last = seq;
            rs->pending = true;
        }
        seq = DatumGetInt64(rs->slot->tts_values[seqatt - 1]);
        if (seq >= rs->hi)
            return false;       /* kept for a later range */
        rs->pending = false;
        if (seq < rs->lo)
        {
            CHECK_FOR_INTERRUPTS();
            rs->between(rs->between_arg, seq, rs->slot->tts_values, rs->slot->tts_isnull);
            continue;
        }
        *values = rs->slot->tts_values;
        *nulls = rs->slot->tts_isnull;
        return true;
    }
}

/*
 * What to do with the member seqs of one block, in leaf order (walk_block):
 * a row found for member `seq` at leaf position `pos`, a member with no row,
 * and a further row carrying a seq already seen.
 */
typedef struct BlockWalker
{
    void        (*row) (void *arg, BlockRec *b, int64 pos, int64 seq, Datum *values, bool *nulls);
    void        (*gap) (void *arg, BlockRec *b, int64 pos, int64 seq);
    void        (*dup) (void *arg, BlockRec *b, int64 seq);
    void       *arg;
} BlockWalker;

/*
 * Walk the members of block b in seq order (one range of rows from s per
 * member range), matching each member seq to its leaf position.
 */
static void
walk_block(PtLedgerRel *lr, RowSource *s, BlockRec *b, BlockWalker *w)
{
    int64       pos = 0;
    int         r;

    for (r = 0; r < b->nranges; r++)
    {
        int64       e = b->ranges[2 * r];
        int64       hi = b->ranges[2 * r + 1];
        Datum      *values;
        bool       *nulls;

        if (hi <= e)
            continue;
        rows_range(s, e, hi);
        while (rows_next(s, &values, &nulls))
        {
            int64       seq = DatumGetInt64(values[lr->seq_att - 1]);

            CHECK_FOR_INTERRUPTS();
            if (seq < e)
            {
                w->dup(w->arg, b, seq);
                continue;
            }
            while (e < seq)
                w->gap(w->arg, b, pos++, e++);
            w->row(w->arg, b, pos++, seq, values, nulls);
            e = seq + 1;
        }
        while (e < hi)
            w->gap(w->arg, b, pos++, e++);
    }
}

/* Tombstones of purged rows within [lo, hi), sorted by seq. */
typedef struct Tombs
{
    bool        loaded;
    int         n;
    int64      *seqs;
    uint8      *hashes;
} Tombs;

static void
load_tombs(Tombs *t, const char *ledger, int64 lo, int64 hi)
{
    Oid         types[3] = {TEXTOID, INT8OID, INT8OID};
    Datum       args[3] = {CStringGetTextDatum(ledger), Int64GetDatum(lo), Int64GetDatum(hi)};
    int         i;

    t->loaded = true;
    if (SPI_execute_with_args("SELECT seq, row_hash FROM trace.ledger_tombstones"
                              " WHERE ledger = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
                              3, types, args, NULL, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgtrace ledger: reading tombstones failed");
    t->n = (int) SPI_processed;
    t->seqs = palloc(sizeof(int64) * Max(t->n, 1));
    t->hashes = palloc((size_t) LEDGER_HASH_LEN * Max(t->n, 1));
    for (i = 0; i < t->n; i++)
    {
        bool        isnull;

        t->seqs[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        copy_hash(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull), isnull,
                  t->hashes + (size_t) i * LEDGER_HASH_LEN);
    }
}

static const uint8 *
find_tomb(Tombs *t, int64 seq)
{
    int         lo = 0;
    int         hi = t->n - 1;

    while (lo <= hi)
    {
        int         mid = (lo + hi) / 2;

        if (t->seqs[mid] == seq)
            return t->hashes + (size_t) mid * LEDGER_HASH_LEN;
        if (t->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void
missing_row(VerifyCtx *v, BlockRec *b, Tombs *t, int64 seq, int64 pos)
{
    const uint8 *th;

    if (!t->loaded && b->nranges > 0)
        load_tombs(t, v->ledger, b->ranges[0], b->ranges[2 * b->nranges - 1]);
    th = find_tomb(t, seq);
    if (th && pos < b->nleaves && memcmp(th, b->leaves + pos * LEDGER_HASH_LEN, LEDGER_HASH_LEN) == 0)
    {
        v->purged++;
        return;
    }
    add_problem(v, "missing", true, seq, b->block_no,
                th ? "A tombstone stands for this row but its hash is not the sealed one."
                : "The row was sealed into this block and is no longer in the table.");
}

/* Check one present row at leaf position pos of block b. */
static void
check_row(VerifyCtx *v, PtLedgerRel *lr, BlockRec *b, int64 pos, int64 seq,
          Datum *values, bool *nulls)
{
    uint8       h[LEDGER_HASH_LEN];
    bool        stored_ok = pt_ledger_hash_matches(lr, values, nulls, h);
    const uint8 *leaf = pos < b->nleaves ? b->leaves + pos * LEDGER_HASH_LEN : NULL;

    if (leaf && memcmp(h, leaf, LEDGER_HASH_LEN) == 0)
    {
        if (stored_ok)
            v->rows++;
        else
            add_problem(v, "changed", true, seq, b->block_no,
                        "The row's values are the sealed ones but its ledger_hash column was altered.");
        return;
    }
    if (leaf && !nulls[lr->hash_att - 1])
    {
        /* A row moved with its hash (its seq changed) shows another leaf's hash. */
        bytea      *stored = DatumGetByteaPP(values[lr->hash_att - 1]);
        int64       j;

        if (VARSIZE_ANY_EXHDR(stored) == LEDGER_HASH_LEN)
            for (j = 0; j < b->nleaves; j++)
                if (j != pos && memcmp(VARDATA_ANY(stored), b->leaves + j * LEDGER_HASH_LEN,
                                       LEDGER_HASH_LEN) == 0)
                {
                    add_problem(v, "reordered", true, seq, b->block_no,
                                "The row carries the sealed hash of another position of this block: rows were moved.");
                    return;
                }
    }
    add_problem(v, "changed", true, seq, b->block_no,
                stored_ok ? "The row and its ledger_hash were rewritten after sealing."
                : "The row's values no longer match the hash sealed for it.");
}

/* verify_block's walk: each member row checked, each absent one explained. */
typedef struct VerifyWalk
{
    VerifyCtx  *v;
    PtLedgerRel *lr;
    Tombs       tombs;
} VerifyWalk;

static void
verify_walk_row(void *arg, BlockRec *b, int64 pos, int64 seq, Datum *values, bool *nulls)
{
    VerifyWalk *w = arg;

    check_row(w->v, w->lr, b, pos, seq, values, nulls);
}

static void
verify_walk_gap(void *arg, BlockRec *b, int64 pos, int64 seq)
{
    VerifyWalk *w = arg;

    missing_row(w->v, b, &w->tombs, seq, pos);
}

static void
verify_walk_dup(void *arg, BlockRec *b, int64 seq)
{
    VerifyWalk *w = arg;

    add_problem(w->v, "inserted", true, seq, b->block_no, "A second row carries this seq.");
}

/* Verify one block: its own fields, then each member row. */
static void
verify_block(VerifyCtx *v, PtLedgerRel *lr, RowSource *rows, BlockRec *b,
             int64 expect_no, const uint8 prev_hash[LEDGER_HASH_LEN])
{
    uint8       h[LEDGER_HASH_LEN];
    ledger_merkle m;
    int64       members = 0;
    int64       i;
    int         r;
    char        msg[200];
    VerifyWalk  vw = {v, lr, {0}};
    BlockWalker w = {verify_walk_row, verify_walk_gap, verify_walk_dup, &vw};

    if (b->block_no != expect_no)
    {
        snprintf(msg, sizeof(msg), "Expected block " INT64_FORMAT " here; blocks are numbered without gaps.",
                 expect_no);
        add_problem(v, b->block_no > expect_no ? "missing" : "inserted", false, 0, b->block_no, msg);
    }
    if (!b->fields_ok)
        add_problem(v, "changed", false, 0, b->block_no, "A hash field of the block has the wrong length.");
    if (memcmp(b->prev, prev_hash, LEDGER_HASH_LEN) != 0)
        add_problem(v, "broken_link", false, 0, b->block_no,
                    "The block's prev_hash is not the hash of the block before it.");
    ledger_block_hash(&lr->hasher, lr->hname, lr->name_len, b->block_no, b->row_count,
                      b->root, b->prev, b->sealed_at, b->ranges, (uint32) b->nranges, h);
    if (memcmp(h, b->hash, LEDGER_HASH_LEN) != 0)
        add_problem(v, "broken_link", false, 0, b->block_no,
                    "The block's hash does not match its contents.");
    for (r = 0; r < b->nranges; r++)
        members += b->ranges[2 * r + 1] - b->ranges[2 * r];
    if (members != b->row_count || b->nleaves != b->row_count)
        add_problem(v, "changed", false, 0, b->block_no,
                    "The block's member count, leaf count and row_count disagree.");
    ledger_merkle_init(&m, &lr->hasher);
    for (i = 0; i < b->nleaves; i++)
        ledger_merkle_push(&m, b->leaves + i * LEDGER_HASH_LEN);
    ledger_merkle_root(&m, h);
    if (memcmp(h, b->root, LEDGER_HASH_LEN) != 0)
        add_problem(v, "changed", false, 0, b->block_no,
                    "The block's Merkle root does not match its leaf hashes.");

    walk_block(lr, rows, b, &w);
    v->blocks++;
}

/* One row no block holds: pending, pending too long, or inserted. */
static void
verify_unsealed_row(VerifyCtx *v, PtLedgerRel *lr, int64 seq, Datum *values, bool *nulls,
                    int64 floor, TimestampTz limit)
{
    uint8       h[LEDGER_HASH_LEN];

    if (!pt_ledger_hash_matches(lr, values, nulls, h))
        add_problem(v, "inserted", true, seq, 0,
                    "An unsealed row whose ledger_hash does not match its values.");
    else if (seq <= floor)
        add_problem(v, "inserted", true, seq, 0,
                    "An unsealed row below the sealed floor: it appeared after its place was closed.");
    else if (!nulls[lr->at_att - 1]
             && DatumGetTimestampTz(values[lr->at_att - 1]) < limit
             && pt_pending_limit_s > 0)
        add_problem(v, "pending_too_long", true, seq, 0,
                    "The row is committed but still unsealed after pgtrace.seal_pending_limit.");
    else
        v->pending++;
}

/*
 * Rows no block holds. The blocks' members, merged into ascending disjoint
 * ranges, leave holes (seqs of aborted inserts, unsealed rows, forged ones):
 * only those holes are scanned, by index range scans, so a sealed ledger is
 * not read a second time. Rows without a seq are counted apart.
 */
static void
verify_unsealed(VerifyCtx *v, PtLedgerRel *lr, Relation rel, PtSeqScan *scan, int64 floor)
{
    Oid         types[1] = {TEXTOID};
    Datum       args[1] = {CStringGetTextDatum(lr->name)};
    TimestampTz limit = GetCurrentTransactionStartTimestamp() - (int64) pt_pending_limit_s * USECS_PER_SEC;
    int64      *sealed;
    int         nsealed;
    int         i;
    int64       lo = PG_INT64_MIN;
    int64       nullseq;
    bool        isnull;

    if (SPI_execute_with_args("SELECT pg_catalog.lower(r), pg_catalog.upper(r) FROM pg_catalog.unnest("
                              "(SELECT pg_catalog.range_agg(m) FROM trace.ledger_blocks b, pg_catalog.unnest(b.members) m"
                              " WHERE b.ledger = $1)) r",
                              1, types, args, NULL, true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgtrace ledger: reading sealed ranges failed");
    nsealed = (int) SPI_processed;
    sealed = palloc(sizeof(int64) * 2 * Max(nsealed, 1));
    for (i = 0; i < nsealed; i++)
    {
        sealed[2 * i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
        sealed[2 * i + 1] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
    }
    SPI_freetuptable(SPI_tuptable);

    for (i = 0; i <= nsealed; i++)
    {
        int64       hi = i < nsealed ? sealed[2 * i] : PG_INT64_MAX;
        Datum      *values;
        bool       *nulls;

        if (hi > lo || i == nsealed)
        {
            /* the last hole is open above: [lo, +infinity) */
            pt_seqscan_rescan(scan, lo, i < nsealed ? hi : PT_SEQ_NO_LIMIT);
            while (pt_seqscan_next(scan, &values, &nulls))
            {
                CHECK_FOR_INTERRUPTS();
                verify_unsealed_row(v, lr, DatumGetInt64(values[lr->seq_att - 1]), values, nulls,
                                    floor, limit);
            }
        }
        if (i < nsealed)
            lo = sealed[2 * i + 1];
    }
    pfree(sealed);

    /* rows without a seq cannot be reached through the index ranges */
    if (SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s t WHERE t.%s IS NULL",
                             quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                                        RelationGetRelationName(rel)),
                             PT_COL_SEQ), true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgtrace ledger: counting rows without seq failed");
    nullseq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    SPI_freetuptable(SPI_tuptable);
    for (; nullseq > 0 && !v->truncated; nullseq--)
        add_problem(v, "inserted", false, 0, 0, "A row without ledger_seq was written past the ledger trigger.");
}

/* A sequential scan met an unsealed row: its problem, if any, comes after
 * the blocks' problems, as in the index order. */
typedef struct BetweenArg
{
    VerifyCtx  *v;
    PtLedgerRel *lr;
    int64       floor;
    TimestampTz limit;
} BetweenArg;

static void
unsealed_between(void *arg, int64 seq, Datum *values, bool *nulls)
{
    BetweenArg *a = arg;

    a->v->defer = true;
    verify_unsealed_row(a->v, a->lr, seq, values, nulls, a->floor, a->limit);
    a->v->defer = false;
}

/* Do the blocks' members ascend in block order (no range of a later block
 * below a range of an earlier one)? */
static bool
ranges_ascend(const char *ledger)
{
    Oid         t[1] = {TEXTOID};
    Datum       a[1] = {CStringGetTextDatum(ledger)};
    bool        isnull;
    bool        result;

    if (SPI_execute_with_args("SELECT pg_catalog.bool_and(lo >= prev_hi) FROM"
                              " (SELECT pg_catalog.lower(r) AS lo, pg_catalog.lag(pg_catalog.upper(r))"
                              "   OVER (ORDER BY b.block_no, pg_catalog.lower(r)) AS prev_hi"
                              "  FROM trace.ledger_blocks b, pg_catalog.unnest(b.members) r WHERE b.ledger = $1) x",
                              1, t, a, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
        elog(ERROR, "pgtrace ledger: reading block ranges failed");
    result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    SPI_freetuptable(SPI_tuptable);
    return isnull || result;
}

/*
 * Verify the blocks and rows of one ledger, reading rows sequentially
 * (seqmode) or through the index. Returns false when the sequential reading
 * broke (rows out of seq order): the caller undoes and retries by index.
 */
static bool
verify_ledger_rows(VerifyCtx *v, PtLedgerRel *lr, Relation rel, const char *name, int64 floor,
                   bool seqmode)
{
    RowSource   rows;
    PtSeqScan   index;
    BlockIter   it;
    BlockRec    b;
    int64       expect_no = 1;
    uint8       prev[LEDGER_HASH_LEN];
    BetweenArg  ba = {v, lr, floor,
    GetCurrentTransactionStartTimestamp() - (int64) pt_pending_limit_s * USECS_PER_SEC};
    int         i;

    memset(&rows, 0, sizeof(rows));
    memset(prev, 0, LEDGER_HASH_LEN);
    if (seqmode)
    {
        rows.lr = lr;
        /* no synchronized scan: it could start in the middle of the table */
        rows.scan = table_beginscan_strat(rel, GetActiveSnapshot(), 0, NULL, true, false);
        rows.slot = table_slot_create(rel, NULL);
        rows.lo = rows.hi = PG_INT64_MIN;
        rows.between = unsealed_between;
        rows.between_arg = &ba;
    }
    else
    {
        pt_seqscan_begin(&index, lr, rel, GetActiveSnapshot(), 0, 0);
        rows.index = &index;
    }

    block_iter_open(&it, name, 0, PG_INT64_MAX, 8);
    while (!rows.broken && block_iter_next(&it, &b))
    {
        verify_block(v, lr, &rows, &b, expect_no, prev);
        expect_no = b.block_no + 1;
        memcpy(prev, b.hash, LEDGER_HASH_LEN);
        free_block(&b);
    }
    block_iter_close(&it);

    if (!seqmode)
    {
        verify_unsealed(v, lr, rel, &index, floor);
        pt_seqscan_end(&index);
        return true;
    }

    /* the rows after the last sealed range are unsealed too */
    if (!rows.broken)
    {
        Datum      *values;
        bool       *nulls;

        rows_range(&rows, PG_INT64_MAX, PG_INT64_MAX);
        while (rows_next(&rows, &values, &nulls))
            ;
        if (rows.pending)
            rows.broken = true; /* a seq of PG_INT64_MAX: leave it to the index */
    }
    table_endscan(rows.scan);
    ExecDropSingleTupleTableSlot(rows.slot);
    if (rows.broken)
        return false;
    for (i = 0; i < v->nlater; i++)
        add_problem(v, v->later[i].kind, v->later[i].has_seq, v->later[i].seq,
                    v->later[i].block_no, v->later[i].detail);
    if (v->later_more)
        v->truncated = true;
    for (; rows.nullseq > 0 && !v->truncated; rows.nullseq--)
        add_problem(v, "inserted", false, 0, 0, "A row without ledger_seq was written past the ledger trigger.");
    return true;
}

static void
verify_ledger(VerifyCtx *v, Oid relid, const char *name, const char *alg, int64 floor)
{
    Relation    rel = try_table_open(relid, AccessShareLock);
    PtLedgerRel *lr;

    v->ledger = name;
    v->ledgers++;
    if (rel == NULL)
    {
        v->table = name;
        add_problem(v, "missing", false, 0, 0, "The ledger table no longer exists.");
        return;
    }
    v->table = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
                                          RelationGetRelationName(rel));
    lr = pt_ledger_rel(rel, name, alg);

    if (ranges_ascend(name))
    {
        /* sequentially first; if the table's rows are out of order, undo */
        VerifyCtx   saved = *v;
        int         len = v->problems.len;
        bool        ok;

        v->nlater = 0;
        v->later_more = false;
        ok = verify_ledger_rows(v, lr, rel, name, floor, true);
        v->nlater = 0;
        v->later_more = false;
        if (ok)
        {
            table_close(rel, AccessShareLock);
            return;
        }
        saved.problems = v->problems;   /* the same buffer, cut back */
        saved.problems.len = len;
        saved.problems.data[len] = '\0';
        saved.later = v->later;
        *v = saved;
    }
    (void) verify_ledger_rows(v, lr, rel, name, floor, false);
    table_close(rel, AccessShareLock);
}

/*
 * Blocks of a ledger that trace.ledger_tables does not list: its
 * registration was removed (by a superuser: the guard trigger refuses it
 * otherwise), so it would never be verified. Only a break-glass drop
 * unregisters a ledger legitimately, and it is recorded in the ledger table
 * trace.ledger_events.
 */
static void
report_unregistered(VerifyCtx *v)
{
    int         i;

    if (SPI_execute("SELECT b.ledger, pg_catalog.count(*)::text FROM trace.ledger_blocks b"
                    " WHERE NOT EXISTS (SELECT 1 FROM trace.ledger_tables t WHERE t.ledger_name = b.ledger)"
                    " AND NOT EXISTS (SELECT 1 FROM trace.ledger_events e"
                    "  WHERE e.event = 'break_glass_drop' AND e.ledger = b.ledger)"
                    " GROUP BY b.ledger ORDER BY b.ledger", true, 0) != SPI_OK_SELECT)
        elog(ERROR, "pgtrace ledger: listing unregistered ledgers failed");
    for (i = 0; i < (int) SPI_processed; i++)
    {
        char       *ledger = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
        char       *nblocks = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

        v->table = ledger;
        v->ledger = ledger;
        add_problem(v, "unregistered", false, 0, 0,
                    psprintf("trace.ledger_blocks holds %s blocks of this ledger, but trace.ledger_tables"
                             " does not register it (and no break-glass drop is recorded): it is not verified.",
                             nblocks));
    }
}

PG_FUNCTION_INFO_V1(pt_ledger_verify_sql);
/*
 * trace._ledger_verify(tbl regclass) → jsonb: verify one ledger, or every
 * ledger when tbl is NULL. trace.verify() is this over all ledgers.
 */
Datum
pt_ledger_verify_sql(PG_FUNCTION_ARGS)
{
    VerifyCtx   v;
    StringInfoData out;
    int         n;
    int         i;
    Oid        *relids;
    char      **names;
    char      **algs;
    int64      *floors;

    memset(&v, 0, sizeof(v));
    initStringInfo(&v.problems);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    {
        Oid         types[1] = {OIDOID};
        Datum       args[1] = {PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0)};
        char        nulls[1] = {PG_ARGISNULL(0) ? 'n' : ' '};

        if (SPI_execute_with_args("SELECT relid::pg_catalog.oid, ledger_name, hash_algorithm, seal_floor"
                                  " FROM trace.ledger_tables WHERE $1 IS NULL OR relid = $1 ORDER BY ledger_name",
                                  1, types, args, nulls, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "pgtrace ledger: listing ledgers failed");
    }
    n = (int) SPI_processed;
    if (n == 0 && !PG_ARGISNULL(0))
    {
        char       *relname = get_rel_name(PG_GETARG_OID(0));

        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("table \"%s\" is not a ledger table",
                        relname ? relname : psprintf("%u", PG_GETARG_OID(0))),
                 errdetail("It is not registered in trace.ledger_tables."),
                 errhint("trace.verify() verifies every ledger; trace.ledger_enable() puts a table under the ledger.")));
    }
    relids = palloc(sizeof(Oid) * Max(n, 1));
    names = palloc(sizeof(char *) * Max(n, 1));
    algs = palloc(sizeof(char *) * Max(n, 1));
    floors = palloc(sizeof(int64) * Max(n, 1));
    for (i = 0; i < n; i++)
    {
        bool        isnull;
        HeapTuple   t = SPI_tuptable->vals[i];
        TupleDesc   td = SPI_tuptable->tupdesc;

        relids[i] = DatumGetObjectId(SPI_getbinval(t, td, 1, &isnull));
        names[i] = SPI_getvalue(t, td, 2);
        algs[i] = SPI_getvalue(t, td, 3);
        floors[i] = DatumGetInt64(SPI_getbinval(t, td, 4, &isnull));
    }
    for (i = 0; i < n; i++)
        verify_ledger(&v, relids[i], names[i], algs[i], floors[i]);
    if (PG_ARGISNULL(0))
        report_unregistered(&v);
    SPI_finish();

    initStringInfo(&out);
    appendStringInfo(&out,
                     "{\"ok\": %s, \"rows\": " INT64_FORMAT ", \"blocks\": " INT64_FORMAT
                     ", \"pending\": " INT64_FORMAT ", \"purged\": " INT64_FORMAT
                     ", \"ledgers\": %d, \"problems\": [%s], \"truncated\": %s}",
                     v.nproblems == 0 ? "true" : "false", v.rows, v.blocks, v.pending, v.purged,
                     v.ledgers, v.problems.data, v.truncated ? "true" : "false");
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* --------------------------------------------------------------- proofs */

static void
tee_hex(void *arg, const void *data, size_t len)
{
    StringInfo  s = (StringInfo) arg;
    const uint8 *p = data;
    static const char digits[] = "0123456789abcdef";
    size_t      i;

    for (i = 0; i < len; i++)
    {
        appendStringInfoChar(s, digits[p[i] >> 4]);
        appendStringInfoChar(s, digits[p[i] & 15]);
    }
}

/* Recompute a row's hash, writing its canonical encoding (hex) into enc. */
static bool
hash_showing_encoding(PtLedgerRel *lr, Datum *values, bool *nulls, uint8 h[LEDGER_HASH_LEN],
                      StringInfo enc)
{
    bool        ok = false;

    lr->hasher.tee = tee_hex;
    lr->hasher.tee_arg = enc;
    PG_TRY();
    {
        ok = pt_ledger_hash_matches(lr, values, nulls, h);
    }
    PG_FINALLY();
    {
        lr->hasher.tee = NULL;
        lr->hasher.tee_arg = NULL;
    }
    PG_END_TRY();
    return ok;
}

static void
append_hex(StringInfo s, const uint8 *h)
{
    char        hex[2 * LEDGER_HASH_LEN + 1];

    ledger_hex(h, LEDGER_HASH_LEN, hex);
    appendStringInfo(s, "\"%s\"", hex);
}

/* A block's fields as JSON (what a verifier needs to recompute its hash). */
static void
append_block_json(StringInfo s, BlockRec *b)
{
    int         i;

    appendStringInfo(s, "{\"block_no\": " INT64_FORMAT ", \"row_count\": " INT64_FORMAT
                     ", \"sealed_at_us\": \"" INT64_FORMAT "\", \"merkle_root\": ",
                     b->block_no, b->row_count, b->sealed_at);
    append_hex(s, b->root);
    appendStringInfoString(s, ", \"prev_hash\": ");
    append_hex(s, b->prev);
    appendStringInfoString(s, ", \"block_hash\": ");
    append_hex(s, b->hash);
    appendStringInfoString(s, ", \"ranges\": [");
    for (i = 0; i < b->nranges; i++)
        appendStringInfo(s, "%s[" INT64_FORMAT ", " INT64_FORMAT "]", i ? ", " : "",
                         b->ranges[2 * i], b->ranges[2 * i + 1]);
    appendStringInfoString(s, "]}");
}

PG_FUNCTION_INFO_V1(pt_ledger_proof_sql);
/*
 * trace._ledger_proof(tbl regclass, seq bigint, upto_block bigint) → jsonb:
 * the row's canonical encoding and hash, its Merkle audit path in its block,
 * and the chain of blocks from that block up to upto_block (NULL: the head).
 * Format: docs/ledger.md, checked by tools/pgtrace-verify.
 */
Datum
pt_ledger_proof_sql(PG_FUNCTION_ARGS)
{
    Oid         relid = PG_GETARG_OID(0);
    int64       seq = PG_GETARG_INT64(1);
    bool        has_upto = !PG_ARGISNULL(2);
    int64       upto = has_upto ? PG_GETARG_INT64(2) : PG_INT64_MAX;
    char       *name;
    char       *alg;
    Relation    rel;
    PtLedgerRel *lr;
    BlockRec    blk;
    int64       pos = 0;
    int         r;
    StringInfoData out;
    StringInfoData enc;
    uint8       h[LEDGER_HASH_LEN];
    uint8       path[LEDGER_MERKLE_MAX_DEPTH][LEDGER_HASH_LEN];
    int         plen;
    int         i;
    PtSeqScan   s;
    Datum      *values;
    bool       *nulls;
    bool        found = false;
    bool        stored_ok = false;
    char       *rowjson = NULL;
    MemoryContext callcxt = CurrentMemoryContext;
    MemoryContext spicxt;

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    {
        Oid         t[1] = {OIDOID};
        Datum       a[1] = {ObjectIdGetDatum(relid)};

        if (SPI_execute_with_args("SELECT ledger_name, hash_algorithm FROM trace.ledger_tables WHERE relid = $1",
                                  1, t, a, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("table \"%s\" is not a ledger table", get_rel_name(relid))));
        name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        alg = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
    }
    {
        Oid         t[2] = {TEXTOID, INT8OID};
        Datum       a[2] = {CStringGetTextDatum(name), Int64GetDatum(seq)};

        if (SPI_execute_with_args("SELECT " BLOCK_COLUMNS " FROM trace.ledger_blocks"
                                  " WHERE ledger = $1 AND members OPERATOR(pg_catalog.@>) $2",
                                  2, t, a, NULL, true, 0) != SPI_OK_SELECT)
            elog(ERROR, "pgtrace ledger: reading blocks failed");
        if (SPI_processed != 1)
            ereport(ERROR,
                    (errcode(ERRCODE_NO_DATA_FOUND),
                     errmsg("row " INT64_FORMAT " of ledger table \"%s\" is not sealed", seq, get_rel_name(relid)),
                     errdetail("A proof exists only for a row sealed into a block."),
                     errhint("Call trace.seal() or wait for the background sealer.")));
        read_block(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, &blk);
    }
    if (has_upto && blk.block_no > upto)
        ereport(ERROR,
                (errcode(ERRCODE_NO_DATA_FOUND),
                 errmsg("row " INT64_FORMAT " of ledger table \"%s\" was sealed after the checkpoint",
                        seq, get_rel_name(relid)),
                 errdetail("Its block is " INT64_FORMAT "; the checkpoint ends at block " INT64_FORMAT ".",
                           blk.block_no, upto)));
    for (r = 0; r < blk.nranges; r++)
    {
        if (seq >= blk.ranges[2 * r + 1])
            pos += blk.ranges[2 * r + 1] - blk.ranges[2 * r];
        else
        {
            pos += seq - blk.ranges[2 * r];
            break;
        }
    }
    if (pos >= blk.nleaves)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_CORRUPTED),
                 errmsg("block " INT64_FORMAT " of ledger \"%s\" is damaged", blk.block_no, name),
                 errhint("Run trace.verify().")));

    /* The row: its canonical encoding, recomputed from the stored values. */
    rel = table_open(relid, AccessShareLock);
    lr = pt_ledger_rel(rel, name, alg);
    initStringInfo(&enc);
    pt_seqscan_begin(&s, lr, rel, GetActiveSnapshot(), seq, seq + 1);
    if (pt_seqscan_next(&s, &values, &nulls))
    {
        stored_ok = hash_showing_encoding(lr, values, nulls, h, &enc);
        found = true;
    }
    pt_seqscan_end(&s);
    table_close(rel, AccessShareLock);
    if (!found)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_CORRUPTED),
                 errmsg("row " INT64_FORMAT " of ledger table \"%s\" is sealed but missing", seq, get_rel_name(relid)),
                 errhint("Run trace.verify().")));
    if (!stored_ok || memcmp(h, blk.leaves + pos * LEDGER_HASH_LEN, LEDGER_HASH_LEN) != 0)
        ereport(ERROR,
                (errcode(ERRCODE_DATA_CORRUPTED),
                 errmsg("row " INT64_FORMAT " of ledger table \"%s\" no longer matches its sealed hash",
                        seq, get_rel_name(relid)),
                 errhint("Run trace.verify().")));
    {
        Oid         t[1] = {INT8OID};
        Datum       a[1] = {Int64GetDatum(seq)};
        char       *q = psprintf("SELECT pg_catalog.to_jsonb(t)::text FROM %s t WHERE t.%s = $1",
                                 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
                                                            get_rel_name(relid)), PT_COL_SEQ);

        if (SPI_execute_with_args(q, 1, t, a, NULL, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
            rowjson = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    }

    plen = ledger_merkle_path(&lr->hasher, blk.leaves, (uint64) blk.nleaves, (uint64) pos, path);

    /* the result must outlive SPI_finish */
    spicxt = MemoryContextSwitchTo(callcxt);
    initStringInfo(&out);
    MemoryContextSwitchTo(spicxt);
    appendStringInfoString(&out, "{\"typ\": \"pgtrace-ledger-proof\", \"version\": 1, \"ledger\": ");
    escape_json(&out, name);
    appendStringInfoString(&out, ", \"alg\": ");
    escape_json(&out, alg);
    appendStringInfo(&out, ", \"seq\": " INT64_FORMAT ", \"row\": %s, \"row_encoding\": \"%s\", \"row_hash\": ",
                     seq, rowjson ? rowjson : "null", enc.data);
    append_hex(&out, h);
    appendStringInfo(&out, ", \"leaf_index\": " INT64_FORMAT ", \"audit_path\": [", pos);
    for (i = 0; i < plen; i++)
    {
        if (i)
            appendStringInfoString(&out, ", ");
        append_hex(&out, path[i]);
    }
    appendStringInfoString(&out, "], \"block\": ");
    append_block_json(&out, &blk);
    appendStringInfoString(&out, ", \"chain\": [");

    /* Later blocks, up to the head or the checkpoint's block. */
    {
        BlockIter   it;
        BlockRec    b;
        bool        first = true;
        int64       last = blk.block_no;

        block_iter_open(&it, name, blk.block_no, upto, 64);
        while (block_iter_next(&it, &b))
        {
            if (!first)
                appendStringInfoString(&out, ", ");
            first = false;
            /* leaves are not needed to check a link: only the root */
            append_block_json(&out, &b);
            last = b.block_no;
            free_block(&b);
        }
        block_iter_close(&it);
        if (has_upto && last != upto)
            ereport(ERROR,
                    (errcode(ERRCODE_DATA_CORRUPTED),
                     errmsg("ledger \"%s\" has no block " INT64_FORMAT, name, upto),
                     errdetail("The ledger no longer extends the checkpoint."),
                     errhint("Run trace.verify(checkpoint).")));
    }
    appendStringInfoString(&out, "]}");
    free_block(&blk);
    SPI_finish();
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}

/* ------------------------------------------------------------- exports */

/* The export's walk: each member row's encoding, or its tombstone. */
typedef struct ExportWalk
{
    PtLedgerRel *lr;
    const char *ledger;
    StringInfo  line;
    bool        first;
    Tombs       tombs;
} ExportWalk;

static void
export_walk_row(void *arg, BlockRec *b, int64 pos, int64 seq, Datum *values, bool *nulls)
{
    ExportWalk *w = arg;
    StringInfoData enc;
    uint8       h[LEDGER_HASH_LEN];

    initStringInfo(&enc);
    (void) hash_showing_encoding(w->lr, values, nulls, h, &enc);
    appendStringInfo(w->line, "%s{\"seq\": " INT64_FORMAT ", \"row_encoding\": \"%s\"}",
                     w->first ? "" : ", ", seq, enc.data);
    pfree(enc.data);
    w->first = false;
}

static void
export_walk_gap(void *arg, BlockRec *b, int64 pos, int64 seq)
{
    ExportWalk *w = arg;
    const uint8 *th;

    if (!w->tombs.loaded)
        load_tombs(&w->tombs, w->ledger, b->ranges[0], b->ranges[2 * b->nranges - 1]);
    th = find_tomb(&w->tombs, seq);
    appendStringInfo(w->line, "%s{\"seq\": " INT64_FORMAT, w->first ? "" : ", ", seq);
    if (th)
    {
        appendStringInfoString(w->line, ", \"purged\": ");
        append_hex(w->line, th);
    }
    else
        appendStringInfoString(w->line, ", \"missing\": true");
    appendStringInfoChar(w->line, '}');
    w->first = false;
}

/* a duplicate seq: the first row stands (verify reports the others) */
static void
export_walk_dup(void *arg, BlockRec *b, int64 seq)
{
}

PG_FUNCTION_INFO_V1(pt_ledger_export_sql);
/*
 * trace._ledger_export(tbl regclass) → SETOF text: the whole sealed ledger as
 * JSON lines — a header, then one line per block with its fields and, in leaf
 * order, each row's canonical encoding (or the tombstone hash of a purged
 * row). tools/pgtrace-verify --export recomputes everything from it.
 */
Datum
pt_ledger_export_sql(PG_FUNCTION_ARGS)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
    Oid         relid = PG_GETARG_OID(0);
    char       *name;
    char       *alg;
    Relation    rel;
    PtLedgerRel *lr;
    BlockIter   it;
    BlockRec    b;
    PtSeqScan   scan;
    RowSource   rows;
    StringInfoData line;
    Datum       value;
    bool        isnull = false;

    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    {
        Oid         t[1] = {OIDOID};
        Datum       a[1] = {ObjectIdGetDatum(relid)};

        if (SPI_execute_with_args("SELECT ledger_name, hash_algorithm FROM trace.ledger_tables WHERE relid = $1",
                                  1, t, a, NULL, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("table \"%s\" is not a ledger table", get_rel_name(relid))));
        name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        alg = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
    }
    rel = table_open(relid, AccessShareLock);
    lr = pt_ledger_rel(rel, name, alg);

    initStringInfo(&line);
    appendStringInfoString(&line, "{\"typ\": \"pgtrace-ledger-export\", \"version\": 1, \"ledger\": ");
    escape_json(&line, name);
    appendStringInfoString(&line, ", \"alg\": ");
    escape_json(&line, alg);
    appendStringInfoChar(&line, '}');
    value = CStringGetTextDatum(line.data);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);

    pt_seqscan_begin(&scan, lr, rel, GetActiveSnapshot(), 0, 0);
    memset(&rows, 0, sizeof(rows));
    rows.index = &scan;
    block_iter_open(&it, name, 0, PG_INT64_MAX, 4);
    while (block_iter_next(&it, &b))
    {
        ExportWalk  ew = {lr, name, &line, true, {0}};
        BlockWalker w = {export_walk_row, export_walk_gap, export_walk_dup, &ew};

        resetStringInfo(&line);
        appendStringInfoString(&line, "{\"block\": ");
        append_block_json(&line, &b);
        appendStringInfoString(&line, ", \"rows\": [");
        walk_block(lr, &rows, &b, &w);
        appendStringInfoString(&line, "]}");
        value = CStringGetTextDatum(line.data);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
        free_block(&b);
    }
    block_iter_close(&it);
    pt_seqscan_end(&scan);
    table_close(rel, AccessShareLock);
    SPI_finish();
    return (Datum) 0;
}
