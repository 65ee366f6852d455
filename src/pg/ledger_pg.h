/*
 * ledger_pg.h — declarations shared by the PostgreSQL side of the ledger
 * (ledger.c: settings, triggers, row hashing; ledger_seal.c: sealing and the
 * background sealer; ledger_verify.c: verification and proofs;
 * ledger_hook.c: the ProcessUtility guard).
 */
#ifndef PGTRACE_LEDGER_PG_H
#define PGTRACE_LEDGER_PG_H

#include "pgtrace.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "datatype/timestamp.h"
#include "utils/date.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/rel.h"
#include "utils/reltrigger.h"
#include "utils/snapshot.h"

#include "ledger.h"

/* Names of the metadata columns ledger_enable adds. */
#define PT_COL_SEQ          "ledger_seq"
#define PT_COL_HASH         "ledger_hash"
#define PT_COL_BY           "ledger_recorded_by"
#define PT_COL_AT           "ledger_recorded_at"
#define PT_COL_METHOD       "ledger_method"
#define PT_COL_RETAIN       "ledger_retain_until"

/* Triggers ledger_enable creates (the utility hook protects them by name). */
#define PT_TRIGGER_INSERT   "pgtrace_ledger_insert"
#define PT_TRIGGER_REFUSE   "pgtrace_ledger_refuse"
#define PT_TRIGGER_GUARD    "pgtrace_ledger_guard"    /* on trace.ledger_tables */

/* Advisory-lock class of the per-ledger sealing lock ('pgtl'). */
#define PT_SEAL_LOCK_CLASS  0x7067746c

/* ledger_recorded_at and sealed_at of what the extension script itself
 * writes (2000-01-01 00:00 UTC): see the insert trigger. */
#define PT_INSTALL_TIME     ((TimestampTz) 0)

/* Rows per block at most: bounds the memory of sealing, verifying, proofs. */
#define PT_BLOCK_MAX_ROWS   65536

typedef struct PtEnc PtEnc;

/* What one ledger table needs to hash its rows, cached per backend. */
typedef struct PtLedgerRel
{
    Oid         relid;          /* hash key */
    bool        valid;
    MemoryContext cxt;          /* everything below lives here */
    MemoryContext rowcxt;       /* reset after each row */
    char       *name;           /* ledger name (database encoding) */
    char       *hname;          /* the name as hashed into every row and block: UTF-8 */
    size_t      name_len;       /* strlen(hname) */
    ledger_alg  alg;
    ledger_hasher hasher;
    int         natts;
    AttrNumber  seq_att;
    AttrNumber  hash_att;
    AttrNumber  by_att;
    AttrNumber  at_att;
    AttrNumber  method_att;
    AttrNumber  retain_att;
    int         nenc;           /* hashed columns */
    AttrNumber *enc_atts;
    PtEnc     **encs;
    Oid         indexoid;       /* unique btree index on ledger_seq */
    Oid         seqoid;         /* sequence handing out ledger_seq (or Invalid) */
    /* relids of the composite types the encoders use (invalidation) */
    Oid        *deprels;
    int         ndeprels;
    int         maxdeprels;
    /* the insert trigger's retention argument, parsed once */
    bool        has_retention;
    char       *retention_text;
    Interval    retention;
    /* and its last answer: retain-until for rows recorded at retain_at */
    bool        retain_valid;
    TimestampTz retain_at;
    DateADT     retain_date;
} PtLedgerRel;

/* ledger.c */
extern char *pt_collection_method;
extern int  pt_seal_interval_ms;
extern int  pt_subscriber_floor_delay_s;
extern char *pt_sealer_database;
extern int  pt_pending_limit_s;
extern bool pt_break_glass;
extern Oid  pt_purging_relid;
extern Oid  pt_unregistering_relid;

extern PtLedgerRel *pt_ledger_rel(Relation rel, const char *name, const char *alg);
extern PtLedgerRel *pt_ledger_trigger_rel(Relation rel, Trigger *trig);
/*
 * The ledger_seq numbers a batched statement has reserved (ledger_seqblock.c):
 * next..end still to hand out; zero-initialised before the first row.
 */
typedef struct PtSeqBlock
{
    int64       next;
    int64       end;
    int64       size;           /* of the last block reserved */
    bool        per_row;        /* no block could be reserved: nextval() per row */
} PtSeqBlock;

extern int64 pt_ledger_seq_next(Oid seqoid, PtSeqBlock *blk);
extern bool pt_ledger_fill_row(PtLedgerRel *lr, Relation rel, const char *retention,
                               Datum *values, bool *nulls, PtSeqBlock *blk);
extern void pt_ledger_rehash(PtLedgerRel *lr, Datum *values, bool *nulls, int64 seq,
                               uint8 out[LEDGER_HASH_LEN]);
extern bool pt_ledger_hash_matches(PtLedgerRel *lr, Datum *values, bool *nulls,
                                   uint8 out[LEDGER_HASH_LEN]);
extern Oid  pt_ledger_extension_schema(void);
extern int64 pt_ledger_seal_floor(Oid relid);

/* An index-order scan of one ledger table over ledger_seq in [lo, hi). */
#define PT_SEQ_NO_LIMIT PG_INT64_MAX    /* as hi: no upper bound */
typedef struct PtSeqScan
{
    Relation    heap;
    Relation    index;
    IndexScanDesc scan;
    TupleTableSlot *slot;
} PtSeqScan;

extern void pt_seqscan_begin(PtSeqScan *s, PtLedgerRel *lr, Relation heap,
                             Snapshot snap, int64 lo, int64 hi);
extern void pt_seqscan_rescan(PtSeqScan *s, int64 lo, int64 hi);
extern bool pt_seqscan_next(PtSeqScan *s, Datum **values, bool **nulls);
extern void pt_seqscan_end(PtSeqScan *s);

/* ledger_copy.c */
struct CopyStmt;
struct QueryEnvironment;
extern bool pt_ledger_copy_from(struct CopyStmt *stmt, Oid relid, const char *queryString,
                                struct QueryEnvironment *queryEnv, uint64 *processed);
struct Trigger;
struct ResultRelInfo;
struct EState;
struct TupleTableSlot;
struct TransitionCaptureState;
struct CopyFromStateData;
extern struct Trigger *pt_ledger_batch_trigger(Relation rel);
/* fills slot's tts_values / tts_isnull with the next row; false when there is none */
typedef bool (*PtLedgerNextRow) (struct TupleTableSlot *slot, void *arg);
extern uint64 pt_ledger_store_batched(struct ResultRelInfo *rri, struct EState *estate,
                                      struct Trigger *ins, CommandId cid,
                                      struct TransitionCaptureState *tcs,
                                      struct CopyFromStateData *cstate,
                                      PtLedgerNextRow next_row, void *arg);

/* ledger_fkcheck.c */
typedef struct PtFkChecks PtFkChecks;
extern PtFkChecks *pt_fk_checks_begin(struct ResultRelInfo *rri);
extern void pt_fk_checks_add(PtFkChecks *fc, struct TupleTableSlot *slot);
extern void pt_fk_checks_run(PtFkChecks *fc);
extern void pt_fk_checks_end(PtFkChecks *fc);

/* ledger_insert.c */
extern void pt_ledger_install_insert_hook(void);
extern bool pt_ledger_insert_batched(void);

/* ledger_seal.c */
extern void pt_ledger_register_sealer(void);

/* ledger_hook.c */
extern void pt_ledger_install_hooks(void);
extern bool pt_ledger_hooks_active;
extern bool pt_ledger_copy_batched(void);

#endif                          /* PGTRACE_LEDGER_PG_H */
