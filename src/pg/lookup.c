/*
 * lookup.c — trace.lookup(code) in C (issue 5): the Table 3 answer for one
 * trace code, fast enough for consumers' scans at scale.
 *
 * What is disclosed is decided in SQL, from the field catalogue
 * (src/sql/51_access_public.sql generates it): the parts of a unit
 * (_acc_unit_parts) and of a product model (_acc_product_part), and the whole
 * answer (_acc_lookup_sql, the reference). This file only reads the rows of
 * one code and assembles the answer:
 *
 *   - the item: the latest row with this trace code (one probe of the code
 *     index), not withdrawn and not superseded;
 *   - the product part, cached per product record id, with the item's own
 *     values (trace code, production date, serial/batch) put in;
 *   - the producer part and the seller part, cached per USCC;
 *   - the end seller: the latest current seller_sale of the code whose buyer
 *     is not a registered seller.
 *
 * Anything less usual — a unit that was ever packed (the seller may have
 * sold the package), an item with its own model-level values — is answered
 * by _acc_lookup_sql itself, so the fast path never has to get those right.
 * The pgTAP suite checks that both give the same answer on every code.
 *
 * The caches hold public data only and live for the session. A statement
 * trigger on the unit, product, category and document tables sends a
 * relcache invalidation for the table at commit (and, inside the writing
 * transaction, at the next command); every backend then drops its caches
 * before its next lookup.
 *
 * The lookup reads the tables directly, like a SECURITY DEFINER function
 * would: its caller (trace_public) holds no privilege on them. The SQL parts
 * are called through fmgr, not through the executor, for the same reason.
 */
#include "pgtrace.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include <string.h>

extern Datum code_in(PG_FUNCTION_ARGS);
extern Datum code_out(PG_FUNCTION_ARGS);

#define USCC_BYTES 18

/* An index probed by equality on its first column. */
typedef struct LkIndex
{
    Oid         oid;
    FmgrInfo    eq;             /* the equality function of its first column */
    Oid         collation;
} LkIndex;

typedef struct LkUnit
{
    char        uscc[USCC_BYTES];   /* hash key */
    Jsonb      *producer;       /* NULL: not a current unit */
    Jsonb      *seller;
    bool        is_seller;
} LkUnit;

typedef struct LkProduct
{
    int64       product_id;     /* hash key */
    Jsonb      *part;           /* NULL: no such product */
} LkProduct;

static struct
{
    bool        valid;
    MemoryContext cxt;
    /* tables and indexes */
    Oid         unit_rel, product_rel, category_rel, document_rel;
    Oid         item_rel, flow_rel, package_rel;
    LkIndex     item_code, item_sup, flow_code, flow_sup, package_content;
    /* item_record columns */
    AttrNumber  i_id, i_voided, i_product, i_uscc, i_date, i_serial;
    AttrNumber  i_override[5];
    /* flow_record columns */
    AttrNumber  f_id, f_voided, f_kind, f_uscc, f_buyer, f_time;
    /* the SQL parts */
    FmgrInfo    unit_parts, product_part, lookup_sql;
    HTAB       *units;
    HTAB       *products;
} lk;

/* Set by the relcache callback; the caches are dropped at the next lookup. */
static bool lk_stale = false;
static bool lk_callback_registered = false;

/* Item columns whose own value, when set, replaces the product's. */
static const char *const item_overrides[5] = {
    "warranty_period", "mandatory_standards", "production_licence_no",
    "ccc_certificate_no", "manual_or_warning"
};

static void
lk_relcache_callback(Datum arg, Oid relid)
{
    if (!lk.valid || relid == InvalidOid
        || relid == lk.unit_rel || relid == lk.product_rel || relid == lk.category_rel
        || relid == lk.document_rel || relid == lk.item_rel || relid == lk.flow_rel
        || relid == lk.package_rel)
        lk_stale = true;
}

static Oid
lk_relid(Oid nsp, const char *name)
{
    Oid         relid = get_relname_relid(name, nsp);

    if (!OidIsValid(relid))
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_TABLE),
                 errmsg("trace.lookup: relation trace.%s is missing", name)));
    return relid;
}

static AttrNumber
lk_attnum(Oid relid, const char *col)
{
    AttrNumber  a = get_attnum(relid, col);

    if (a == InvalidAttrNumber)
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_COLUMN),
                 errmsg("trace.lookup: column %s of %s is missing", col, get_rel_name(relid))));
    return a;
}

static void
lk_index(LkIndex *ix, Oid nsp, const char *name)
{
    Relation    r;
    Oid         opfamily, opcintype, opr;

    ix->oid = lk_relid(nsp, name);
    r = index_open(ix->oid, AccessShareLock);
    opfamily = r->rd_opfamily[0];
    opcintype = r->rd_opcintype[0];
    ix->collation = r->rd_indcollation[0];
    index_close(r, AccessShareLock);
    opr = get_opfamily_member(opfamily, opcintype, opcintype, BTEqualStrategyNumber);
    if (!OidIsValid(opr))
        elog(ERROR, "trace.lookup: no equality operator for index %s", name);
    fmgr_info_cxt(get_opcode(opr), &ix->eq, lk.cxt);
}

static void
lk_function(FmgrInfo *f, const char *name, Oid argtype)
{
    Oid         fn = LookupFuncName(list_make2(makeString("trace"), makeString(pstrdup(name))),
                                    1, &argtype, false);

    fmgr_info_cxt(fn, f, lk.cxt);
}

/* Resolve the tables, indexes and functions, and start with empty caches. */
static void
lk_setup(void)
{
    Oid         nsp;
    HASHCTL     ctl;
    int         i;

    if (!lk_callback_registered)
    {
        CacheRegisterRelcacheCallback(lk_relcache_callback, (Datum) 0);
        lk_callback_registered = true;
    }
    if (lk.cxt)
        MemoryContextDelete(lk.cxt);
    memset(&lk, 0, sizeof(lk));
    lk_stale = false;
    lk.cxt = AllocSetContextCreate(CacheMemoryContext, "pgtrace lookup cache", ALLOCSET_DEFAULT_SIZES);

    nsp = get_namespace_oid("trace", false);
    lk.unit_rel = lk_relid(nsp, "unit_record");
    lk.product_rel = lk_relid(nsp, "product_record");
    lk.category_rel = lk_relid(nsp, "category_record");
    lk.document_rel = lk_relid(nsp, "document_record");
    lk.item_rel = lk_relid(nsp, "item_record");
    lk.flow_rel = lk_relid(nsp, "flow_record");
    lk.package_rel = lk_relid(nsp, "package_event");
    lk_index(&lk.item_code, nsp, "item_record_code");
    lk_index(&lk.item_sup, nsp, "item_record_supersedes");
    lk_index(&lk.flow_code, nsp, "flow_record_code");
    lk_index(&lk.flow_sup, nsp, "flow_record_supersedes");
    lk_index(&lk.package_content, nsp, "package_event_content");

    lk.i_id = lk_attnum(lk.item_rel, "id");
    lk.i_voided = lk_attnum(lk.item_rel, "voided");
    lk.i_product = lk_attnum(lk.item_rel, "product_id");
    lk.i_uscc = lk_attnum(lk.item_rel, "uscc");
    lk.i_date = lk_attnum(lk.item_rel, "production_date");
    lk.i_serial = lk_attnum(lk.item_rel, "serial_or_batch");
    for (i = 0; i < (int) lengthof(item_overrides); i++)
        lk.i_override[i] = lk_attnum(lk.item_rel, item_overrides[i]);
    lk.f_id = lk_attnum(lk.flow_rel, "id");
    lk.f_voided = lk_attnum(lk.flow_rel, "voided");
    lk.f_kind = lk_attnum(lk.flow_rel, "kind");
    lk.f_uscc = lk_attnum(lk.flow_rel, "uscc");
    lk.f_buyer = lk_attnum(lk.flow_rel, "buyer_uscc");
    lk.f_time = lk_attnum(lk.flow_rel, "event_time");

    lk_function(&lk.unit_parts, "_acc_unit_parts", get_atttype(lk.item_rel, lk.i_uscc));
    lk_function(&lk.product_part, "_acc_product_part", INT8OID);
    lk_function(&lk.lookup_sql, "_acc_lookup_sql", get_atttype(lk.item_rel, get_attnum(lk.item_rel, "trace_code")));

    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = USCC_BYTES;
    ctl.entrysize = sizeof(LkUnit);
    ctl.hcxt = lk.cxt;
    lk.units = hash_create("pgtrace lookup units", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = sizeof(int64);
    ctl.entrysize = sizeof(LkProduct);
    ctl.hcxt = lk.cxt;
    lk.products = hash_create("pgtrace lookup products", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
    lk.valid = true;
}

/* ------------------------------------------------------------ index probes */

typedef struct LkScan
{
    Relation    index;
    IndexScanDesc scan;
    ScanKeyData key;
} LkScan;

static void
lk_scan_begin(LkScan *s, Relation heap, LkIndex *ix, Datum value)
{
    s->index = index_open(ix->oid, AccessShareLock);
    ScanKeyEntryInitializeWithInfo(&s->key, 0, 1, BTEqualStrategyNumber, InvalidOid,
                                   ix->collation, &ix->eq, value);
    s->scan = index_beginscan(heap, s->index, GetActiveSnapshot(), 1, 0);
    index_rescan(s->scan, &s->key, 1, NULL, 0);
}

static void
lk_scan_end(LkScan *s)
{
    index_endscan(s->scan);
    index_close(s->index, AccessShareLock);
}

/* Does any visible row of heap have `value` in the index's first column? */
static bool
lk_exists(Relation heap, LkIndex *ix, Datum value, TupleTableSlot *slot)
{
    LkScan      s;
    bool        found;

    lk_scan_begin(&s, heap, ix, value);
    found = index_getnext_slot(s.scan, ForwardScanDirection, slot);
    lk_scan_end(&s);
    ExecClearTuple(slot);
    return found;
}

/* ----------------------------------------------------------------- caches */

static Jsonb *
lk_copy_jsonb(Jsonb *j)
{
    Jsonb      *c = MemoryContextAlloc(lk.cxt, VARSIZE(j));

    memcpy(c, j, VARSIZE(j));
    return c;
}

/* The value of a top-level key of a jsonb object, as a Jsonb of its own. */
static Jsonb *
lk_member(Jsonb *obj, const char *key, bool *isbool, bool *boolval)
{
    JsonbValue  k;
    JsonbValue *v;

    k.type = jbvString;
    k.val.string.val = (char *) key;
    k.val.string.len = strlen(key);
    v = findJsonbValueFromContainer(&obj->root, JB_FOBJECT, &k);
    if (v == NULL || v->type == jbvNull)
        return NULL;
    if (v->type == jbvBool)
    {
        *isbool = true;
        *boolval = v->val.boolean;
        return NULL;
    }
    return JsonbValueToJsonb(v);
}

static LkUnit *
lk_unit(Datum uscc)
{
    LkUnit     *u;
    bool        found;

    u = hash_search(lk.units, DatumGetPointer(uscc), HASH_ENTER, &found);
    if (!found)
    {
        Datum       d;
        bool        isbool = false, b = false;

        u->producer = u->seller = NULL;
        u->is_seller = false;
        PG_TRY();
        {
            d = FunctionCall1(&lk.unit_parts, uscc);
        }
        PG_CATCH();
        {
            hash_search(lk.units, DatumGetPointer(uscc), HASH_REMOVE, NULL);
            PG_RE_THROW();
        }
        PG_END_TRY();
        {
            Jsonb      *parts = DatumGetJsonbP(d);
            Jsonb      *p = lk_member(parts, "producer", &isbool, &b);
            Jsonb      *s = lk_member(parts, "seller", &isbool, &b);

            u->producer = p ? lk_copy_jsonb(p) : NULL;
            u->seller = s ? lk_copy_jsonb(s) : NULL;
            isbool = false;
            (void) lk_member(parts, "is_seller", &isbool, &b);
            u->is_seller = isbool && b;
        }
    }
    return u;
}

static Jsonb *
lk_product(int64 product_id)
{
    LkProduct  *p;
    bool        found;

    p = hash_search(lk.products, &product_id, HASH_ENTER, &found);
    if (!found)
    {
        LOCAL_FCINFO(fcinfo, 1);
        Datum       d;

        p->part = NULL;
        InitFunctionCallInfoData(*fcinfo, &lk.product_part, 1, InvalidOid, NULL, NULL);
        fcinfo->args[0].value = Int64GetDatum(product_id);
        fcinfo->args[0].isnull = false;
        PG_TRY();
        {
            d = FunctionCallInvoke(fcinfo);
        }
        PG_CATCH();
        {
            hash_search(lk.products, &product_id, HASH_REMOVE, NULL);
            PG_RE_THROW();
        }
        PG_END_TRY();
        if (!fcinfo->isnull)
            p->part = lk_copy_jsonb(DatumGetJsonbP(d));
    }
    return p->part;
}

/* ---------------------------------------------------------------- answer */

static void
push_key(JsonbParseState **st, const char *key)
{
    JsonbValue  v;

    v.type = jbvString;
    v.val.string.val = (char *) key;
    v.val.string.len = strlen(key);
    pushJsonbValue(st, WJB_KEY, &v);
}

static void
push_string(JsonbParseState **st, const char *s, int len)
{
    JsonbValue  v;

    v.type = jbvString;
    v.val.string.val = (char *) s;
    v.val.string.len = len;
    pushJsonbValue(st, WJB_VALUE, &v);
}

static void
push_jsonb(JsonbParseState **st, Jsonb *j)
{
    JsonbValue  v;

    if (j == NULL)
    {
        v.type = jbvNull;
        pushJsonbValue(st, WJB_VALUE, &v);
        return;
    }
    v.type = jbvBinary;
    v.val.binary.data = &j->root;
    v.val.binary.len = VARSIZE(j) - VARHDRSZ;
    pushJsonbValue(st, WJB_VALUE, &v);
}

/*
 * The product part with the item's own values: the cached part's keys in
 * turn, trace_code, production_date and serial_or_batch (placeholders in the
 * cache) replaced by this item's.
 */
static void
push_product(JsonbParseState **st, Jsonb *part, const char *code, DateADT date, text *serial)
{
    JsonbIterator *it = JsonbIteratorInit(&part->root);
    JsonbValue  v;
    JsonbIteratorToken tok;
    const char *key = NULL;
    int         keylen = 0;

    while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
    {
        if (tok == WJB_KEY)
        {
            key = v.val.string.val;
            keylen = v.val.string.len;
            pushJsonbValue(st, tok, &v);
        }
        else if (tok == WJB_VALUE && keylen == 10 && memcmp(key, "trace_code", 10) == 0)
            push_string(st, code, strlen(code));
        else if (tok == WJB_VALUE && keylen == 15 && memcmp(key, "production_date", 15) == 0)
        {
            int         y, m, d;
            char        buf[32];

            j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
            snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
            push_string(st, buf, strlen(buf));
        }
        else if (tok == WJB_VALUE && keylen == 15 && memcmp(key, "serial_or_batch", 15) == 0)
            push_string(st, VARDATA_ANY(serial), VARSIZE_ANY_EXHDR(serial));
        else
            pushJsonbValue(st, tok, tok == WJB_BEGIN_OBJECT || tok == WJB_END_OBJECT ? NULL : &v);
    }
}

/*
 * The answer of the fast path, or NULL with *slow set when the code needs
 * the reference query. *found says whether a current item has this code.
 */
static Jsonb *
lk_answer(Datum code, const char *code_text, bool *slow, bool *found)
{
    Relation    items = table_open(lk.item_rel, AccessShareLock);
    Relation    flows = table_open(lk.flow_rel, AccessShareLock);
    Relation    packages = table_open(lk.package_rel, AccessShareLock);
    TupleTableSlot *slot = table_slot_create(items, NULL);
    TupleTableSlot *best = table_slot_create(items, NULL);
    TupleTableSlot *fslot = table_slot_create(flows, NULL);
    TupleTableSlot *supslot = table_slot_create(flows, NULL);  /* fslot is the flow scan's */
    TupleTableSlot *pslot = table_slot_create(packages, NULL);
    LkScan      s;
    int64       best_id = -1;
    bool        isnull;
    Jsonb      *result = NULL;
    int         i;

    *slow = false;
    *found = false;

    /* the item: the latest row with this code */
    lk_scan_begin(&s, items, &lk.item_code, code);
    while (index_getnext_slot(s.scan, ForwardScanDirection, slot))
    {
        int64       id = DatumGetInt64(slot_getattr(slot, lk.i_id, &isnull));

        if (id > best_id)
        {
            best_id = id;
            ExecCopySlot(best, slot);
        }
    }
    lk_scan_end(&s);

    if (best_id >= 0
        && !DatumGetBool(slot_getattr(best, lk.i_voided, &isnull))
        && !lk_exists(items, &lk.item_sup, Int64GetDatum(best_id), slot))
    {
        *found = true;
        for (i = 0; i < (int) lengthof(item_overrides); i++)
        {
            (void) slot_getattr(best, lk.i_override[i], &isnull);
            if (!isnull)
                *slow = true;
        }
        if (!*slow && lk_exists(packages, &lk.package_content, code, pslot))
            *slow = true;
    }

    if (*found && !*slow)
    {
        Jsonb      *part = lk_product(DatumGetInt64(slot_getattr(best, lk.i_product, &isnull)));
        LkUnit     *producer = lk_unit(slot_getattr(best, lk.i_uscc, &isnull));
        Jsonb      *producer_part = producer->producer;
        char        seller[USCC_BYTES];
        bool        has_seller = false;
        int64       sale_id = -1;
        TimestampTz sale_time = 0;

        /* the end seller: the latest current sale to a buyer that is not a seller */
        lk_scan_begin(&s, flows, &lk.flow_code, code);
        while (index_getnext_slot(s.scan, ForwardScanDirection, fslot))
        {
            text       *kind = DatumGetTextPP(slot_getattr(fslot, lk.f_kind, &isnull));
            int64       id;
            TimestampTz t;
            Datum       buyer;
            bool        nobuyer;

            if (VARSIZE_ANY_EXHDR(kind) != 11 || memcmp(VARDATA_ANY(kind), "seller_sale", 11) != 0)
                continue;
            if (DatumGetBool(slot_getattr(fslot, lk.f_voided, &isnull)))
                continue;
            id = DatumGetInt64(slot_getattr(fslot, lk.f_id, &isnull));
            t = DatumGetTimestampTz(slot_getattr(fslot, lk.f_time, &isnull));
            if (has_seller && (t < sale_time || (t == sale_time && id < sale_id)))
                continue;
            buyer = slot_getattr(fslot, lk.f_buyer, &nobuyer);
            if (!nobuyer && lk_unit(buyer)->is_seller)
                continue;
            if (lk_exists(flows, &lk.flow_sup, Int64GetDatum(id), supslot))
                continue;       /* superseded */
            has_seller = true;
            sale_id = id;
            sale_time = t;
            memcpy(seller, DatumGetPointer(slot_getattr(fslot, lk.f_uscc, &isnull)), USCC_BYTES);
        }
        lk_scan_end(&s);

        if (part != NULL)
        {
            JsonbParseState *st = NULL;
            JsonbValue *res;

            pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
            push_key(&st, "producer");
            push_jsonb(&st, producer_part);
            push_key(&st, "product");
            push_product(&st, part, code_text,
                         DatumGetDateADT(slot_getattr(best, lk.i_date, &isnull)),
                         DatumGetTextPP(slot_getattr(best, lk.i_serial, &isnull)));
            push_key(&st, "seller");
            push_jsonb(&st, has_seller ? lk_unit(PointerGetDatum(seller))->seller : NULL);
            res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
            result = JsonbValueToJsonb(res);
        }
        else
            *found = false;
    }

    ExecDropSingleTupleTableSlot(slot);
    ExecDropSingleTupleTableSlot(best);
    ExecDropSingleTupleTableSlot(fslot);
    ExecDropSingleTupleTableSlot(supslot);
    ExecDropSingleTupleTableSlot(pslot);
    table_close(packages, AccessShareLock);
    table_close(flows, AccessShareLock);
    table_close(items, AccessShareLock);
    return result;
}

PG_FUNCTION_INFO_V1(pt_lookup);
/*
 * trace.lookup(code text) → jsonb (contract): the Table 3 fields of the unit
 * with this trace code (any form trace.code accepts); NULL when no current
 * item has it. Every call is recorded in the access log.
 */
Datum
pt_lookup(PG_FUNCTION_ARGS)
{
    char       *input = text_to_cstring(PG_GETARG_TEXT_PP(0));
    Datum       code = DirectFunctionCall1(code_in, CStringGetDatum(input));
    char       *code_text = DatumGetCString(DirectFunctionCall1(code_out, code));
    Jsonb      *result;
    bool        slow, found;

    AcceptInvalidationMessages();
    if (!lk.valid || lk_stale)
        lk_setup();

    result = lk_answer(code, code_text, &slow, &found);
    if (slow)
    {
        LOCAL_FCINFO(fcinfo, 1);
        Datum       d;

        InitFunctionCallInfoData(*fcinfo, &lk.lookup_sql, 1, InvalidOid, NULL, NULL);
        fcinfo->args[0].value = code;
        fcinfo->args[0].isnull = false;
        d = FunctionCallInvoke(fcinfo);
        result = fcinfo->isnull ? NULL : DatumGetJsonbP(d);
        found = result != NULL;
    }

    if (pt_access_log_on()
        && !pt_access_queue_lookup(GetUserNameFromId(GetOuterUserId(), false),
                                   GetUserNameFromId(GetSessionUserId(), false), code_text, found))
        pt_access_log_lookup(code_text, found);

    if (result == NULL)
        PG_RETURN_NULL();
    PG_RETURN_JSONB_P(result);
}

PG_FUNCTION_INFO_V1(pt_lookup_changed);
/*
 * Statement trigger on the tables whose rows the lookup caches: every
 * backend drops its lookup caches once this transaction commits (and this
 * backend at its next command).
 */
Datum
pt_lookup_changed(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;

    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR,
                (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                 errmsg("trace._acc_lookup_changed() must be called as a trigger")));
    CacheInvalidateRelcacheByRelid(RelationGetRelid(td->tg_relation));
    return PointerGetDatum(NULL);
}
