/*
 * ledger_fkcheck.c — foreign keys of a batched INSERT ... SELECT, checked
 * once per distinct key instead of once per row.
 *
 * PostgreSQL checks a foreign key of each inserted row with its own query
 * (an AFTER ROW trigger, RI_FKey_check_ins, run at the end of the
 * statement): `SELECT 1 FROM ONLY pk x WHERE pkcol = $1 FOR KEY SHARE OF x`,
 * with executor start-up and shut-down for every row. Commissioning a million
 * items that reference a handful of products and documents spent about half
 * its time there.
 *
 * For the batched INSERT ... SELECT of ledger_insert.c, a foreign key that is
 * simple enough — one column of an integer type equal to the referenced
 * column's type with its default equality, NOT DEFERRABLE, referencing
 * a plain table (the table itself too), and whose check trigger would fire
 * now — is checked here instead, when such checks are the only AFTER ROW
 * INSERT triggers that fire (another one might act between two rows'
 * checks), at the same moment (after every row is stored, before the
 * statement's AFTER triggers): the distinct non-null keys of the statement,
 * in order of first appearance, are looked up in the referenced table by one
 * query per 10,000 keys, `SELECT pkcol FROM ONLY pk x WHERE pkcol = ANY($1)
 * FOR KEY SHARE OF x`, run as PostgreSQL runs its own check (as the
 * referenced table's owner, row-level security not forced, a fresh snapshot
 * at READ COMMITTED, after a command-counter increment, so the rows the
 * statement inserted are seen as the per-row check at its end sees them), so
 * every referenced row is locked as the per-row check locks it. A missing key raises PostgreSQL's own foreign-key error (23503,
 * same message, same detail, the key hidden from a user who may not read
 * it). While the statement runs, the result relation carries a copy of its
 * trigger descriptor in which those check triggers are disabled, so they are
 * not queued; every other trigger is queued as usual.
 */
#include "ledger_pg.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#define FK_LOOKUP_CHUNK 10000

typedef struct FkCheck
{
    Oid         conoid;
    char       *conname;
    AttrNumber  fkatt;          /* in the inserted table */
    Oid         pkrel;
    Oid         pkowner;
    char       *pkname;         /* unqualified, for the message */
    char       *query;
    Oid         typid;          /* int2, int4 or int8 */
    HTAB       *seen;           /* int64 keys */
    int64      *order;          /* distinct keys in order of first appearance */
    uint64     *first_row;      /* the row (0-based) in which each first appeared */
    Size        n;
    Size        cap;
} FkCheck;

struct PtFkChecks
{
    ResultRelInfo *rri;
    TriggerDesc *saved;
    int         nchecks;
    FkCheck    *checks;
    uint64      nrows;          /* rows noted so far */
};

static Oid
rel_owner(Oid relid)
{
    HeapTuple   tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    Oid         owner;

    if (!HeapTupleIsValid(tup))
        elog(ERROR, "cache lookup failed for relation %u", relid);
    owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
    return owner;
}

/* Would PostgreSQL fire trigger t now (session_replication_role)? */
static bool
fires_now(const Trigger *t)
{
    if (t->tgenabled == TRIGGER_DISABLED)
        return false;
    if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
        return t->tgenabled != TRIGGER_FIRES_ON_ORIGIN;
    return t->tgenabled != TRIGGER_FIRES_ON_REPLICA;
}

/* Fill c for the foreign key behind trigger t of rel; false when not simple enough. */
static bool
simple_fk(Relation rel, const Trigger *t, FkCheck *c)
{
    HeapTuple   tup;
    Form_pg_constraint con;
    Datum       d;
    bool        isnull;
    ArrayType  *conkey, *confkey, *pfeq;
    AttrNumber  fkatt, pkatt;
    Oid         pfeqop;
    Oid         fktype, pktype;
    bool        ok = false;

    if (t->tgfoid != F_RI_FKEY_CHECK_INS || !TRIGGER_FOR_ROW(t->tgtype)
        || !TRIGGER_FOR_AFTER(t->tgtype) || t->tgdeferrable || !OidIsValid(t->tgconstraint))
        return false;
    tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
    if (!HeapTupleIsValid(tup))
        return false;
    con = (Form_pg_constraint) GETSTRUCT(tup);
    if (con->contype != CONSTRAINT_FOREIGN || con->condeferrable
        || con->conrelid != RelationGetRelid(rel)
        || get_rel_relkind(con->confrelid) != RELKIND_RELATION)
        goto out;
    d = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conkey, &isnull);
    if (isnull)
        goto out;
    conkey = DatumGetArrayTypeP(d);
    d = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_confkey, &isnull);
    if (isnull)
        goto out;
    confkey = DatumGetArrayTypeP(d);
    d = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conpfeqop, &isnull);
    if (isnull)
        goto out;
    pfeq = DatumGetArrayTypeP(d);
    {
        Datum      *e1, *e2, *e3;
        int         n1, n2, n3;

        deconstruct_array(conkey, INT2OID, 2, true, TYPALIGN_SHORT, &e1, NULL, &n1);
        deconstruct_array(confkey, INT2OID, 2, true, TYPALIGN_SHORT, &e2, NULL, &n2);
        deconstruct_array(pfeq, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &e3, NULL, &n3);
        if (n1 != 1 || n2 != 1 || n3 != 1)
            goto out;
        fkatt = DatumGetInt16(e1[0]);
        pkatt = DatumGetInt16(e2[0]);
        pfeqop = DatumGetObjectId(e3[0]);
    }
    fktype = get_atttype(RelationGetRelid(rel), fkatt);
    pktype = get_atttype(con->confrelid, pkatt);
    if (fktype != pktype || (fktype != INT2OID && fktype != INT4OID && fktype != INT8OID)
        || lookup_type_cache(fktype, TYPECACHE_EQ_OPR)->eq_opr != pfeqop)
        goto out;

    c->conoid = t->tgconstraint;
    c->conname = pstrdup(NameStr(con->conname));
    c->fkatt = fkatt;
    c->pkrel = con->confrelid;
    c->pkowner = rel_owner(con->confrelid);
    c->pkname = get_rel_name(con->confrelid);
    c->typid = fktype;
    {
        char       *col = get_attname(con->confrelid, pkatt, false);
        const char *qcol = quote_identifier(col);

        c->query = psprintf("SELECT x.%s FROM ONLY %s x WHERE x.%s OPERATOR(pg_catalog.=) ANY ($1)"
                            " FOR KEY SHARE OF x",
                            qcol,
                            quote_qualified_identifier(get_namespace_name(get_rel_namespace(con->confrelid)),
                                                       c->pkname),
                            qcol);
    }
    ok = true;
out:
    ReleaseSysCache(tup);
    return ok;
}

static int64
key_of(Oid typid, Datum d)
{
    switch (typid)
    {
        case INT2OID:
            return DatumGetInt16(d);
        case INT4OID:
            return DatumGetInt32(d);
        default:
            return DatumGetInt64(d);
    }
}

static Datum
datum_of(Oid typid, int64 k)
{
    switch (typid)
    {
        case INT2OID:
            return Int16GetDatum((int16) k);
        case INT4OID:
            return Int32GetDatum((int32) k);
        default:
            return Int64GetDatum(k);
    }
}

/*
 * The simple foreign keys of rri's table, with their check triggers
 * disabled in a copy of its trigger descriptor; NULL when there are none
 * (nothing changed then). Allocated in the current memory context.
 */
PtFkChecks *
pt_fk_checks_begin(ResultRelInfo *rri)
{
    Relation    rel = rri->ri_RelationDesc;
    TriggerDesc *td = rri->ri_TrigDesc;
    PtFkChecks *fc;
    int         i;

    if (td == NULL || !td->trig_insert_after_row)
        return NULL;
    fc = palloc0(sizeof(PtFkChecks));
    fc->rri = rri;
    fc->checks = palloc0(sizeof(FkCheck) * td->numtriggers);
    for (i = 0; i < td->numtriggers; i++)
    {
        FkCheck    *c = &fc->checks[fc->nchecks];

        if (fires_now(&td->triggers[i]) && simple_fk(rel, &td->triggers[i], c))
        {
            HASHCTL     ctl;

            memset(&ctl, 0, sizeof(ctl));
            ctl.keysize = sizeof(int64);
            ctl.entrysize = sizeof(int64);
            ctl.hcxt = CurrentMemoryContext;
            c->seen = hash_create("pgtrace foreign-key keys", 64, &ctl,
                                  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
            c->cap = 64;
            c->order = palloc(sizeof(int64) * c->cap);
            c->first_row = palloc(sizeof(uint64) * c->cap);
            fc->nchecks++;
        }
    }
    /*
     * PostgreSQL fires each row's AFTER ROW triggers in name order, row after
     * row: another such trigger (one that adds the referenced row, say)
     * would run before later rows' checks. Checking all keys at the end is
     * the same only when the checks taken over are the only AFTER ROW
     * INSERT triggers that fire.
     */
    for (i = 0; i < td->numtriggers && fc->nchecks > 0; i++)
    {
        Trigger    *t = &td->triggers[i];
        int         k;
        bool        taken = false;

        if (!TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_AFTER(t->tgtype)
            || !TRIGGER_FOR_INSERT(t->tgtype) || !fires_now(t))
            continue;
        for (k = 0; k < fc->nchecks; k++)
            if (t->tgfoid == F_RI_FKEY_CHECK_INS && t->tgconstraint == fc->checks[k].conoid)
                taken = true;
        if (!taken)
            fc->nchecks = 0;
    }
    if (fc->nchecks == 0)
    {
        pfree(fc->checks);
        pfree(fc);
        return NULL;
    }
    /* the same triggers at the same positions (WHEN clauses and functions
     * are found by position), the ones checked here disabled */
    fc->saved = td;
    rri->ri_TrigDesc = CopyTriggerDesc(td);
    for (i = 0; i < td->numtriggers; i++)
    {
        int         k;

        for (k = 0; k < fc->nchecks; k++)
            if (td->triggers[i].tgfoid == F_RI_FKEY_CHECK_INS
                && td->triggers[i].tgconstraint == fc->checks[k].conoid)
                rri->ri_TrigDesc->triggers[i].tgenabled = TRIGGER_DISABLED;
    }
    return fc;
}

/* Note the keys of one inserted row (slot with all attributes). */
void
pt_fk_checks_add(PtFkChecks *fc, TupleTableSlot *slot)
{
    int         k;

    for (k = 0; k < fc->nchecks; k++)
    {
        FkCheck    *c = &fc->checks[k];
        int64       key;
        bool        found;

        if (slot->tts_isnull[c->fkatt - 1])
            continue;           /* MATCH SIMPLE / FULL with one column: NULL is not checked */
        key = key_of(c->typid, slot->tts_values[c->fkatt - 1]);
        (void) hash_search(c->seen, &key, HASH_ENTER, &found);
        if (found)
            continue;
        if (c->n == c->cap)
        {
            /* huge: a statement may bring more than 2^26 distinct keys */
            c->cap *= 2;
            c->order = repalloc_huge(c->order, sizeof(int64) * c->cap);
            c->first_row = repalloc_huge(c->first_row, sizeof(uint64) * c->cap);
        }
        c->first_row[c->n] = fc->nrows;
        c->order[c->n++] = key;
    }
    fc->nrows++;
}

static void report_violation(Relation rel, FkCheck *c, int64 k) pg_attribute_noreturn();

/* PostgreSQL's foreign-key violation for key k of c (ri_ReportViolation's words). */
static void
report_violation(Relation rel, FkCheck *c, int64 k)
{
    Oid         relid = RelationGetRelid(rel);
    bool        may_see = false;
    char       *col = get_attname(relid, c->fkatt, false);

    if (check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED)
        may_see = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK
            || pg_attribute_aclcheck(relid, c->fkatt, GetUserId(), ACL_SELECT) == ACLCHECK_OK;
    if (may_see)
        ereport(ERROR,
                (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
                 errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
                        RelationGetRelationName(rel), c->conname),
                 errdetail("Key (%s)=(" INT64_FORMAT ") is not present in table \"%s\".",
                           col, k, c->pkname),
                 errtableconstraint(rel, c->conname)));
    ereport(ERROR,
            (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
             errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
                    RelationGetRelationName(rel), c->conname),
             errdetail("Key is not present in table \"%s\".", c->pkname),
             errtableconstraint(rel, c->conname)));
}

/*
 * Look every noted key up (and lock it) in its referenced table; raise
 * PostgreSQL's foreign-key error for the first key, in order of first
 * appearance, that is not there.
 */
void
pt_fk_checks_run(PtFkChecks *fc)
{
    Relation    rel = fc->rri->ri_RelationDesc;
    Oid         save_user;
    int         save_sec;
    int         k;
    FkCheck    *bad = NULL;
    uint64      bad_row = 0;
    int64       bad_key = 0;

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    GetUserIdAndSecContext(&save_user, &save_sec);
    for (k = 0; k < fc->nchecks; k++)
    {
        FkCheck    *c = &fc->checks[k];
        HTAB       *present;
        HASHCTL     ctl;
        Oid         argtype = get_array_type(c->typid);
        int16       typlen;
        bool        typbyval;
        char        typalign;
        Size        from;
        int         i;

        if (c->n == 0)
            continue;
        memset(&ctl, 0, sizeof(ctl));
        ctl.keysize = sizeof(int64);
        ctl.entrysize = sizeof(int64);
        ctl.hcxt = CurrentMemoryContext;
        present = hash_create("pgtrace foreign-key keys present", Min(c->n, 1024), &ctl,
                              HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        get_typlenbyvalalign(c->typid, &typlen, &typbyval, &typalign);
        for (from = 0; from < c->n; from += FK_LOOKUP_CHUNK)
        {
            int         m = (int) Min((Size) FK_LOOKUP_CHUNK, c->n - from);
            Datum      *elems = palloc(sizeof(Datum) * m);
            Datum       arg;
            uint64      r;
            int         rc;

            for (i = 0; i < m; i++)
                elems[i] = datum_of(c->typid, c->order[from + i]);
            arg = PointerGetDatum(construct_array(elems, m, c->typid, typlen, typbyval, typalign));
            /* as ri_PerformCheck: the referenced table's owner, RLS not forced */
            SetUserIdAndSecContext(c->pkowner,
                                   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);
            rc = SPI_execute_with_args(c->query, 1, &argtype, &arg, NULL, false, 0);
            SetUserIdAndSecContext(save_user, save_sec);
            if (rc != SPI_OK_SELECT)
                elog(ERROR, "foreign-key lookup for \"%s\" failed: %s", c->conname,
                     SPI_result_code_string(rc));
            for (r = 0; r < SPI_processed; r++)
            {
                bool        isnull;
                Datum       v = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
                int64       key;

                if (isnull)
                    continue;
                key = key_of(c->typid, v);
                (void) hash_search(present, &key, HASH_ENTER, NULL);
            }
            SPI_freetuptable(SPI_tuptable);
            pfree(elems);
        }
        /* keys are in order of first appearance: the first missing one is
         * this key's earliest failing row */
        for (i = 0; i < (int) c->n; i++)
            if (hash_search(present, &c->order[i], HASH_FIND, NULL) == NULL)
            {
                if (bad == NULL || c->first_row[i] < bad_row)
                {
                    bad = c;
                    bad_row = c->first_row[i];
                    bad_key = c->order[i];
                }
                break;
            }
        hash_destroy(present);
    }
    SPI_finish();
    /*
     * As PostgreSQL reports it: the earliest row with a missing key; in that
     * row, the constraint whose trigger fires first (checks are in trigger
     * name order).
     */
    if (bad != NULL)
        report_violation(rel, bad, bad_key);
}

/* Give the result relation its own trigger descriptor back. */
void
pt_fk_checks_end(PtFkChecks *fc)
{
    if (fc != NULL && fc->saved != NULL)
    {
        fc->rri->ri_TrigDesc = fc->saved;
        fc->saved = NULL;
    }
}
