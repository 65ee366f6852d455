/*
 * ledger_seqblock.c — ledger_seq numbers in blocks for the batched paths.
 *
 * A row inserted through the ledger's trigger takes its ledger_seq from
 * nextval(), one call per row. The batched paths (COPY FROM and INSERT ...
 * SELECT, ledger_copy.c) store thousands of rows per statement; for them a
 * call per row was the largest single cost after the row hash (a buffer
 * lock, a page change and every 32 rows a WAL record each). They take the
 * numbers in blocks instead: one change of the sequence's page, one WAL
 * record, for a block of 1, then 2, 4, ... up to 1024 numbers, handed out one
 * per row. Numbers a statement reserved but did not use (fewer than it
 * stored, and at most 1023) are skipped, as the numbers of a rolled-back
 * insert are: ledger_seq is unique and increasing, not dense.
 *
 * Reserving a block is nextval() advanced by n at once: the same page, the
 * same WAL record (XLOG_SEQ_LOG with the tuple as it now stands, so a crash
 * or a standby resumes after the block), the same lock on the sequence. It
 * is used only for the sequence trace.ledger_enable() creates (increment 1,
 * cache 1, no cycle) and while the block stays below the maximum; anything
 * else (an altered sequence, the end of its range, an old tuple with xmax
 * set) goes back to nextval() per row, which raises PostgreSQL's own errors.
 *
 * The order the sealer relies on still holds: the inserting transaction
 * takes its xid before the block (pt_ledger_fill_row), so every holder of a
 * reserved number is older than any xid handed out after it.
 */
#include "ledger_pg.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xloginsert.h"
#include "catalog/pg_sequence.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/resowner.h"
#include "utils/rel.h"
#include "utils/syscache.h"

/* The sequence page's special space (commands/sequence.c). */
#define PT_SEQ_MAGIC 0x1717

#define PT_SEQ_BLOCK_FIRST 1
#define PT_SEQ_BLOCK_MAX   1024

/*
 * Advance sequence seqoid by n at once; *first gets the first of the n
 * numbers. False (nothing changed) when the sequence is not a plain one
 * (increment 1, cache 1, no cycle) or the block would pass its maximum.
 */
static bool
seq_reserve(Oid seqoid, int64 n, int64 *first)
{
    HeapTuple   pgseq;
    Form_pg_sequence ps;
    int64       maxv;
    bool        plain;
    Relation    seqrel;
    Buffer      buf;
    Page        page;
    ItemId      lp;
    HeapTupleData tuple;
    Form_pg_sequence_data seq;
    int64       from;
    int64       last;

    /*
     * As nextval(): RowExclusiveLock on the sequence, held to the end of the
     * top transaction (not released by a subtransaction's rollback), taken
     * before its parameters are read, so that an ALTER SEQUENCE committed
     * while this waited is seen.
     */
    {
        ResourceOwner save = CurrentResourceOwner;

        CurrentResourceOwner = TopTransactionResourceOwner;
        LockRelationOid(seqoid, RowExclusiveLock);
        CurrentResourceOwner = save;
    }
    seqrel = relation_open(seqoid, NoLock);
    if (seqrel->rd_rel->relkind != RELKIND_SEQUENCE)
    {
        relation_close(seqrel, NoLock);
        return false;
    }
    pgseq = SearchSysCache1(SEQRELID, ObjectIdGetDatum(seqoid));
    if (!HeapTupleIsValid(pgseq))
    {
        relation_close(seqrel, NoLock);
        return false;
    }
    ps = (Form_pg_sequence) GETSTRUCT(pgseq);
    plain = ps->seqincrement == 1 && ps->seqcache == 1 && !ps->seqcycle;
    maxv = ps->seqmax;
    ReleaseSysCache(pgseq);
    if (!plain)
    {
        relation_close(seqrel, NoLock);
        return false;
    }
    buf = ReadBuffer(seqrel, 0);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    page = BufferGetPage(buf);
    if (*(uint32 *) PageGetSpecialPointer(page) != PT_SEQ_MAGIC)
        elog(ERROR, "bad magic number in sequence \"%s\"", RelationGetRelationName(seqrel));
    lp = PageGetItemId(page, FirstOffsetNumber);
    tuple.t_data = (HeapTupleHeader) PageGetItem(page, lp);
    tuple.t_len = ItemIdGetLength(lp);
    /* a tuple nextval() would first repair: leave it to nextval() */
    if (!ItemIdIsNormal(lp) || HeapTupleHeaderGetRawXmax(tuple.t_data) != InvalidTransactionId)
    {
        UnlockReleaseBuffer(buf);
        relation_close(seqrel, NoLock);
        return false;
    }
    seq = (Form_pg_sequence_data) GETSTRUCT(&tuple);
    from = seq->last_value;
    if (seq->is_called)
    {
        if (from >= maxv)
            n = 0;              /* at its maximum: nextval() raises the error */
        else
            from++;
    }
    if (n < 1 || from > maxv || maxv - from < n - 1)
    {
        UnlockReleaseBuffer(buf);
        relation_close(seqrel, NoLock);
        return false;
    }
    last = from + n - 1;

    /* the page as nextval() leaves it after handing out `last`, logged exactly */
    START_CRIT_SECTION();
    MarkBufferDirty(buf);
    seq->last_value = last;
    seq->is_called = true;
    seq->log_cnt = 0;
    if (RelationNeedsWAL(seqrel))
    {
        xl_seq_rec  xlrec;
        XLogRecPtr  recptr;

        XLogBeginInsert();
        XLogRegisterBuffer(0, buf, REGBUF_WILL_INIT);
        xlrec.node = seqrel->rd_node;
        XLogRegisterData((char *) &xlrec, sizeof(xl_seq_rec));
        XLogRegisterData((char *) tuple.t_data, tuple.t_len);
        recptr = XLogInsert(RM_SEQ_ID, XLOG_SEQ_LOG);
        PageSetLSN(page, recptr);
    }
    END_CRIT_SECTION();
    UnlockReleaseBuffer(buf);
    relation_close(seqrel, NoLock);
    *first = from;
    return true;
}

/*
 * The next ledger_seq for a row of a batched statement: from the statement's
 * block, reserving the next block when it is used up; nextval() per row once
 * a block could not be reserved.
 */
int64
pt_ledger_seq_next(Oid seqoid, PtSeqBlock *blk)
{
    if (blk->next > blk->end)
    {
        int64       size = blk->size == 0 ? PT_SEQ_BLOCK_FIRST : Min(blk->size * 2, PT_SEQ_BLOCK_MAX);
        int64       first;

        if (blk->per_row || !seq_reserve(seqoid, size, &first))
        {
            blk->per_row = true;
            return nextval_internal(seqoid, false);
        }
        blk->size = size;
        blk->next = first;
        blk->end = first + size - 1;
    }
    return blk->next++;
}
