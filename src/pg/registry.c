/*
 * registry.c — the traceability registry's C parts: its setting (declared so
 * that the name is known, and typed, even when another part reserves the
 * "pgtrace" prefix), a date reader, and the batch path of trace.commission.
 * The registry itself is SQL (src/sql/40_registry.sql ... 49_registry_finish.sql).
 */
#include "pgtrace.h"

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"

#include "registry.h"

/*
 * pgtrace.reference_time: the "now" against which the registry checks that
 * no production date lies in the future and stamps each record's time of
 * recording. Empty means the transaction's start time. Tests and replays of
 * historical data set it so that results do not depend on the clock.
 */
static char *pt_registry_reference_time = NULL;

void
pt_registry_init(void)
{
    DefineCustomStringVariable("pgtrace.reference_time",
                               "Reference time of registry checks (empty: the transaction start time).",
                               "Set it to replay historical data or to make tests independent of the clock.",
                               &pt_registry_reference_time,
                               "",
                               PGC_USERSET,
                               0,
                               NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(pt_registry_date_or_null);
/*
 * trace._reg_date_or_null(text) -> date: the date written exactly YYYY-MM-DD,
 * or NULL when the text is not such a date (no error: the registry names the
 * record and field itself). Used on the bulk path of trace.commission.
 */
Datum
pt_registry_date_or_null(PG_FUNCTION_ARGS)
{
    text       *t = PG_GETARG_TEXT_PP(0);
    int         y, m, d;

    if (!reg_parse_ymd(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &y, &m, &d))
        PG_RETURN_NULL();
    PG_RETURN_DATEADT(date2j(y, m, d) - POSTGRES_EPOCH_JDATE);
}

PG_FUNCTION_INFO_V1(pt_registry_iso);
/*
 * trace._reg_iso(timestamptz) -> text: the time as ISO 8601 in UTC,
 * "YYYY-MM-DDTHH:MI:SS[.fraction]Z", the fraction without trailing zeros and
 * left out when zero; NULL for an infinite time. Independent of TimeZone and
 * DateStyle. The same text as to_char(t AT TIME ZONE 'UTC', ...) (years
 * before 1 as their BC number, as to_char's YYYY); in C because every event
 * of trace.history and every exported record formats times with it, and a
 * SQL function that cannot be inlined is parsed and planned at each call.
 */
Datum
pt_registry_iso(PG_FUNCTION_ARGS)
{
    TimestampTz t = PG_GETARG_TIMESTAMPTZ(0);
    struct pg_tm tm;
    fsec_t      fsec;
    char        buf[64];
    int         len;
    int         year;

    if (TIMESTAMP_NOT_FINITE(t))
        PG_RETURN_NULL();
    if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
        ereport(ERROR,
                (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
                 errmsg("timestamp out of range")));
    year = tm.tm_year > 0 ? tm.tm_year : 1 - tm.tm_year;
    len = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d",
                   year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (fsec != 0)
    {
        len += snprintf(buf + len, sizeof(buf) - len, ".%06d", (int) fsec);
        while (buf[len - 1] == '0')
            len--;
    }
    buf[len++] = 'Z';
    PG_RETURN_TEXT_P(cstring_to_text_with_len(buf, len));
}

/* ------------------------------------------------------------------------
 * trace.commission: the batch path
 *
 * _reg_commission_fast(batch, pmap, today, recorded_at) writes the items of
 * a batch in which every record is of the common, plain kind: only the keys
 * trace_code, production_date, serial_or_batch, inspection_report,
 * collection_method, product and uscc; a valid code (the parser of
 * trace.code) that is not an SSCC; a product that asks for nothing beyond
 * those (pmap, built by _reg_commission) and, when the code carries a GTIN,
 * has that GTIN; a date not in the future; a document given by id or
 * SHA-256. Rows go in chunks through one prepared INSERT ... SELECT FROM
 * ROWS FROM (unnest(...)), so the ledger trigger, the operator write check
 * and every constraint apply as on the checked path, and the per-statement
 * trigger queues stay bounded however large the batch.
 *
 * It accepts nothing the checked path (the SQL in 43_registry_items.sql)
 * would refuse and raises no registry error of its own: at the first record
 * that is not of that kind it raises PTB01; the caller rolls the partial
 * insert back and runs the checked path, which names the record and field.
 * An unknown document is the one error raised here, by the checked path's
 * own _reg_doc.
 * ------------------------------------------------------------------------ */
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/syscache.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include <ctype.h>

/* 1970-01-01 as a DateADT: no earlier production date is plausible */
#define REG_EARLIEST_PRODUCTION (UNIX_EPOCH_JDATE - POSTGRES_EPOCH_JDATE)
#define FAST_PRODUCTS   8       /* products remembered at a time */
#define FAST_KEYLEN     96      /* document / product keys longer than this take the checked path */

typedef struct FastProduct
{
    char        key[FAST_KEYLEN];
    int64       product_id;
    int64       gtin;           /* the product's GTIN, -1 when it has none */
    Datum       uscc;           /* trace.uscc */
    char       *uscc_text;
    Interval   *add;            /* the retention rule: production date + add (+ 1 year) */
    bool        plus_year;
    DateADT     last_date;      /* one-entry cache of the retention date */
    DateADT     last_retain;
} FastProduct;

typedef struct FastDoc
{
    char        key[FAST_KEYLEN];
    int64       id;
} FastDoc;

typedef struct FastState
{
    Jsonb      *batch;
    Jsonb      *pmap;
    DateADT     today;
    int         count;
    FastProduct products[FAST_PRODUCTS];
    int         nproducts;
    HTAB       *docs;
    FmgrInfo    doc_fn;         /* _reg_doc_of(ord, rec, field, owner) */
    Oid         uscc_input;
    Oid         uscc_ioparam;
    text       *method[3];      /* automatic, manual, mixed */
} FastState;

static void pg_attribute_noreturn()
fast_give_up(int ord, const char *why)
{
    ereport(ERROR,
            (errcode(MAKE_SQLSTATE('P', 'T', 'B', '0', '1')),
             errmsg("record %d needs the checked path of trace.commission: %s", ord, why)));
}

static JsonbValue *
fast_key(JsonbContainer *obj, const char *key)
{
    JsonbValue  k;

    k.type = jbvString;
    k.val.string.val = (char *) key;
    k.val.string.len = strlen(key);
    return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

static bool
fast_is_string(const JsonbValue *v)
{
    return v != NULL && v->type == jbvString;
}

/*
 * "Not blank" as the checked path reads it (not ~ '^\s*$'): a printable
 * ASCII character settles it; otherwise (say, only CJK characters) the
 * same regular expression decides.
 */
static bool
reg_not_blank(const char *s, int len)
{
    int         i;

    for (i = 0; i < len; i++)
        if (s[i] > 0x20 && s[i] < 0x7f)
            return true;
    return !DatumGetBool(DirectFunctionCall2Coll(textregexeq, DEFAULT_COLLATION_OID,
                                                 PointerGetDatum(cstring_to_text_with_len(s, len)),
                                                 CStringGetTextDatum("^\\s*$")));
}

static bool
fast_not_blank(const JsonbValue *v)
{
    return reg_not_blank(v->val.string.val, v->val.string.len);
}

/*
 * Longer than FAST_MAX_CHARS characters (trace._reg_max_length of trace_code
 * and serial_or_batch)? Bytes bound characters from above, so most values
 * are settled without counting.
 */
#define FAST_MAX_CHARS  200

static bool
fast_too_long(const JsonbValue *v)
{
    if (v->val.string.len <= FAST_MAX_CHARS)
        return false;
    return pg_mbstrlen_with_len(v->val.string.val, v->val.string.len) > FAST_MAX_CHARS;
}

/* A JSON number as jsonb writes it, into buf; false when it does not fit. */
static bool
fast_number_text(const JsonbValue *v, char *buf, size_t len, const char *prefix)
{
    char       *s = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));

    return (size_t) snprintf(buf, len, "%s%s", prefix, s) < len;
}

static Interval *
fast_interval(JsonbContainer *p, const char *key)
{
    JsonbValue *v = fast_key(p, key);
    char       *s;

    if (v == NULL || v->type == jbvNull)
        return NULL;
    if (v->type != jbvString)
        return NULL;
    s = pnstrdup(v->val.string.val, v->val.string.len);
    return DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(s),
                                                 ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

/* The product an item names (pmap key "id:<n>" or "g:<gtin>"), or NULL. */
static FastProduct *
fast_product(FastState *st, const char *key, int ord)
{
    FastProduct *fp;
    JsonbValue  k, *pv, *v;
    JsonbContainer *p;
    Interval   *w, *s;
    int         i;

    for (i = 0; i < st->nproducts; i++)
        if (strcmp(st->products[i].key, key) == 0)
            return &st->products[i];

    k.type = jbvString;
    k.val.string.val = (char *) key;
    k.val.string.len = strlen(key);
    pv = findJsonbValueFromContainer(&st->pmap->root, JB_FOBJECT, &k);
    if (pv == NULL || pv->type != jbvBinary)
        return NULL;
    p = pv->val.binary.data;
    v = fast_key(p, "extra");
    if (v == NULL || v->type != jbvBool || v->val.boolean)
        fast_give_up(ord, "the product asks for more fields");

    if (st->nproducts < FAST_PRODUCTS)
        fp = &st->products[st->nproducts++];
    else
        fp = &st->products[ord % FAST_PRODUCTS];
    memset(fp, 0, sizeof(*fp));
    strlcpy(fp->key, key, sizeof(fp->key));
    fp->last_date = DATEVAL_NOBEGIN;

    v = fast_key(p, "product_id");
    if (v == NULL || v->type != jbvNumeric)
        fast_give_up(ord, "product without id");
    fp->product_id = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v->val.numeric)));
    v = fast_key(p, "gtin");
    if (fast_is_string(v))
    {
        char       *g = pnstrdup(v->val.string.val, v->val.string.len);

        fp->gtin = strtoll(g, NULL, 10);
    }
    else if (v == NULL || v->type == jbvNull)
        fp->gtin = -1;
    else
        fast_give_up(ord, "product GTIN");
    v = fast_key(p, "uscc");
    if (!fast_is_string(v))
        fast_give_up(ord, "product without producer");
    fp->uscc_text = pnstrdup(v->val.string.val, v->val.string.len);
    fp->uscc = OidInputFunctionCall(st->uscc_input, fp->uscc_text, st->uscc_ioparam, -1);

    /* clause 8.5, as _reg_retain(date, date, retention_years, warranty, service_life) */
    v = fast_key(p, "retention_years");
    w = fast_interval(p, "warranty_period");
    s = fast_interval(p, "service_life");
    if (v != NULL && v->type == jbvNumeric)
    {
        fp->add = DatumGetIntervalP(DirectFunctionCall7(make_interval,
                                                        DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric)),
                                                        Int32GetDatum(0), Int32GetDatum(0), Int32GetDatum(0),
                                                        Int32GetDatum(0), Int32GetDatum(0), Float8GetDatum(0.0)));
        fp->plus_year = false;
    }
    else if (v != NULL && v->type != jbvNull)
        fast_give_up(ord, "unreadable retention rule");
    else if (w != NULL || s != NULL)
    {
        Interval   *a = w ? w : s,
                   *b = s ? s : w;

        /* greatest(a, b): the first of equals, as SQL's GREATEST (interval_larger takes the second) */
        fp->add = DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(a), IntervalPGetDatum(b))) < 0 ? b : a;
        fp->plus_year = true;
    }
    else
    {
        fp->add = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum("2 years"),
                                                        ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
        fp->plus_year = false;
    }
    return fp;
}

static DateADT
fast_retain(FastProduct *fp, DateADT pdate)
{
    static Interval one_year = {0, 0, 12};
    Datum       t;

    if (fp->last_date == pdate)
        return fp->last_retain;
    t = DirectFunctionCall2(date_pl_interval, DateADTGetDatum(pdate), IntervalPGetDatum(fp->add));
    if (fp->plus_year)
        t = DirectFunctionCall2(timestamp_pl_interval, t, IntervalPGetDatum(&one_year));
    fp->last_date = pdate;
    fp->last_retain = DatumGetDateADT(DirectFunctionCall1(timestamp_date, t));
    return fp->last_retain;
}

/*
 * The document an item names: by id, or by SHA-256 for the item's producer
 * (its own copy of bytes several units attached first); resolved once per
 * value and producer.
 */
static int64
fast_doc(FastState *st, JsonbValue *rec, JsonbValue *v, int ord, const FastProduct *fp)
{
    char        key[FAST_KEYLEN];
    FastDoc    *d;
    bool        found;
    int         i;

    if (v->type == jbvNumeric)
    {
        if (!fast_number_text(v, key, sizeof(key), "n:"))
            fast_give_up(ord, "document id");
    }
    else if (v->type == jbvString && v->val.string.len == 64)
    {
        for (i = 0; i < 64; i++)
            if (!isxdigit((unsigned char) v->val.string.val[i]))
                fast_give_up(ord, "document reference");
        if (strlen(fp->uscc_text) > FAST_KEYLEN - 68)
            fast_give_up(ord, "producer");
        memcpy(key, "s:", 2);
        memcpy(key + 2, v->val.string.val, 64);
        key[66] = '|';
        strcpy(key + 67, fp->uscc_text);
    }
    else
        fast_give_up(ord, "document reference");

    d = hash_search(st->docs, key, HASH_ENTER, &found);
    if (!found)
    {
        Datum       id;

        /* _reg_doc raises the checked path's own error for an unknown document */
        d->id = -1;
        id = FunctionCall4(&st->doc_fn, Int32GetDatum(ord),
                           JsonbPGetDatum(JsonbValueToJsonb(rec)), CStringGetTextDatum("inspection_report"),
                           CStringGetTextDatum(fp->uscc_text));
        d->id = DatumGetInt64(id);
    }
    if (d->id < 0)
        fast_give_up(ord, "document reference");
    return d->id;
}

/* One record of the batch (the root object itself when the input is one object). */
static JsonbValue *
fast_record(FastState *st, int ord)
{
    JsonbValue *rec;

    if (JB_ROOT_IS_OBJECT(st->batch))
    {
        rec = palloc(sizeof(JsonbValue));
        rec->type = jbvBinary;
        rec->val.binary.data = &st->batch->root;
        rec->val.binary.len = VARSIZE(st->batch) - VARHDRSZ;
        return rec;
    }
    rec = getIthJsonbValueFromContainer(&st->batch->root, ord - 1);
    if (rec == NULL || rec->type != jbvBinary || !JsonContainerIsObject(rec->val.binary.data))
        fast_give_up(ord, "not an object");
    return rec;
}

/* The columns of one plain record into row[], or PTB01. */
static void
fast_row(FastState *st, int ord, Datum *row, MemoryContext keep)
{
    JsonbValue *rec, *tc, *pd, *sb, *ir, *cm, *pr, *us;
    JsonbContainer *obj;
    int         known;
    char        pkey[FAST_KEYLEN];
    int64       gtin;
    struct varlena *code;
    FastProduct *fp;
    int         y, m, d;
    DateADT     pdate;
    text       *method;
    MemoryContext row_cxt = CurrentMemoryContext;

    rec = fast_record(st, ord);
    obj = rec->val.binary.data;
    tc = fast_key(obj, "trace_code");
    pd = fast_key(obj, "production_date");
    sb = fast_key(obj, "serial_or_batch");
    ir = fast_key(obj, "inspection_report");
    cm = fast_key(obj, "collection_method");
    pr = fast_key(obj, "product");
    us = fast_key(obj, "uscc");
    known = 4 + (cm != NULL) + (pr != NULL) + (us != NULL);
    if (!fast_is_string(tc) || !fast_is_string(pd) || !fast_is_string(sb) || ir == NULL
        || (int) JsonContainerSize(obj) != known)
        fast_give_up(ord, "fields");

    /* longer than the checked path takes (trace._reg_max_length): 22001 there */
    if (fast_too_long(tc) || fast_too_long(sb))
        fast_give_up(ord, "a value longer than its field takes");
    code = pt_code_from_text(tc->val.string.val, tc->val.string.len, &gtin);
    if (code == NULL)
        fast_give_up(ord, "trace code");
    if (pt_code_is_sscc(code))
        fast_give_up(ord, "an SSCC");
    if (pr != NULL)
    {
        if (pr->type != jbvNumeric || !fast_number_text(pr, pkey, sizeof(pkey), "id:"))
            fast_give_up(ord, "product");
    }
    else if (gtin >= 0)
        snprintf(pkey, sizeof(pkey), "g:%014lld", (long long) gtin);
    else
        fast_give_up(ord, "no GTIN");
    MemoryContextSwitchTo(keep);
    fp = fast_product(st, pkey, ord);
    MemoryContextSwitchTo(row_cxt);
    if (fp == NULL)
        fast_give_up(ord, "product");
    if (gtin >= 0 && fp->gtin != gtin)
        fast_give_up(ord, "the product's GTIN is not the code's");
    if (us != NULL && (!fast_is_string(us) || strlen(fp->uscc_text) != (size_t) us->val.string.len
                       || memcmp(fp->uscc_text, us->val.string.val, us->val.string.len) != 0))
        fast_give_up(ord, "uscc");

    if (!reg_parse_ymd(pd->val.string.val, pd->val.string.len, &y, &m, &d))
        fast_give_up(ord, "production date");
    pdate = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
    /* the checked path refuses dates in the future and before 1970-01-01 */
    if (pdate > st->today || pdate < REG_EARLIEST_PRODUCTION)
        fast_give_up(ord, "production date");
    if (!fast_not_blank(sb))
        fast_give_up(ord, "serial or batch");

    if (cm == NULL)
        method = st->method[(tc->val.string.len > 0 && tc->val.string.val[0] == ']') ? 0 : 1];
    else
    {
        int         i;

        method = NULL;
        for (i = 0; i < 3 && cm->type == jbvString; i++)
            if (VARSIZE_ANY_EXHDR(st->method[i]) == (Size) cm->val.string.len
                && memcmp(VARDATA_ANY(st->method[i]), cm->val.string.val, cm->val.string.len) == 0)
                method = st->method[i];
        if (method == NULL)
            fast_give_up(ord, "collection method");
    }

    MemoryContextSwitchTo(keep);
    row[5] = Int64GetDatum(fast_doc(st, rec, ir, ord, fp));
    MemoryContextSwitchTo(row_cxt);

    row[0] = PointerGetDatum(code);
    row[1] = Int64GetDatum(fp->product_id);
    row[2] = fp->uscc;
    row[3] = DateADTGetDatum(pdate);
    row[4] = PointerGetDatum(cstring_to_text_with_len(sb->val.string.val, sb->val.string.len));
    row[6] = PointerGetDatum(method);
    row[7] = DateADTGetDatum(fast_retain(fp, pdate));
}

#define FAST_COLUMNS    8
#define FAST_CHUNK      8192    /* rows per INSERT: bounds the trigger queues */

PG_FUNCTION_INFO_V1(pt_registry_commission_fast);
/*
 * trace._reg_commission_fast(batch jsonb, pmap jsonb, today date,
 * recorded_at timestamptz) -> bigint: the number of items written.
 */
Datum
pt_registry_commission_fast(PG_FUNCTION_ARGS)
{
    static const char *const types[FAST_COLUMNS] = {"code", "int8", "uscc", "date", "text", "int8", "text", "date"};
    MemoryContext caller = CurrentMemoryContext;
    MemoryContext chunk_cxt, row_cxt;
    FastState  *st = palloc0(sizeof(FastState));
    Oid         nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
    char       *nspname = get_namespace_name(nsp);
    Oid         argtypes[4] = {INT4OID, JSONBOID, TEXTOID, TEXTOID};
    Oid         elem[FAST_COLUMNS], ptypes[FAST_COLUMNS + 1];
    int16       elen[FAST_COLUMNS];
    bool        ebyval[FAST_COLUMNS];
    char        ealign[FAST_COLUMNS];
    Datum      *cols[FAST_COLUMNS];
    Datum       params[FAST_COLUMNS + 1];
    Datum       row[FAST_COLUMNS];
    HASHCTL     ctl;
    SPIPlanPtr  plan;
    int64       total = 0;
    int         ord, n, i;

    st->batch = PG_GETARG_JSONB_P(0);
    st->pmap = PG_GETARG_JSONB_P(1);
    st->today = PG_GETARG_DATEADT(2);
    if (JB_ROOT_IS_SCALAR(st->batch))
        fast_give_up(0, "not a record");
    st->count = JB_ROOT_IS_OBJECT(st->batch) ? 1 : (int) JB_ROOT_COUNT(st->batch);
    if (st->count == 0)
        fast_give_up(0, "empty batch");

    fmgr_info(LookupFuncName(list_make2(makeString(nspname), makeString("_reg_doc_of")), 4, argtypes, false),
              &st->doc_fn);
    for (i = 0; i < FAST_COLUMNS; i++)
    {
        elem[i] = (i == 0 || i == 2)
            ? GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum(types[i]), ObjectIdGetDatum(nsp))
            : TypenameGetTypid(types[i]);
        if (!OidIsValid(elem[i]) || !OidIsValid(ptypes[i] = get_array_type(elem[i])))
            elog(ERROR, "type %s not found", types[i]);
        get_typlenbyvalalign(elem[i], &elen[i], &ebyval[i], &ealign[i]);
        cols[i] = palloc(sizeof(Datum) * FAST_CHUNK);
    }
    ptypes[FAST_COLUMNS] = TIMESTAMPTZOID;
    params[FAST_COLUMNS] = PG_GETARG_DATUM(3);
    getTypeInputInfo(elem[2], &st->uscc_input, &st->uscc_ioparam);
    memset(&ctl, 0, sizeof(ctl));
    ctl.keysize = FAST_KEYLEN;
    ctl.entrysize = sizeof(FastDoc);
    ctl.hcxt = caller;
    st->docs = hash_create("trace.commission documents", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
    st->method[0] = cstring_to_text("automatic");
    st->method[1] = cstring_to_text("manual");
    st->method[2] = cstring_to_text("mixed");
    chunk_cxt = AllocSetContextCreate(caller, "trace.commission chunk", ALLOCSET_DEFAULT_SIZES);
    row_cxt = AllocSetContextCreate(caller, "trace.commission record", ALLOCSET_DEFAULT_SIZES);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    plan = SPI_prepare(psprintf("INSERT INTO %s.item_record (trace_code, product_id, uscc, production_date,"
                                " serial_or_batch, inspection_report, collection_method, retain_until,"
                                " recorded_at, recorded_by)"
                                " SELECT u.*, $9, SESSION_USER"
                                " FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
                                " pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
                                " pg_catalog.unnest($7), pg_catalog.unnest($8)) u",
                                quote_identifier(nspname)),
                       FAST_COLUMNS + 1, ptypes);
    if (plan == NULL)
        elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

    for (ord = 1; ord <= st->count;)
    {
        MemoryContextReset(chunk_cxt);
        for (n = 0; n < FAST_CHUNK && ord <= st->count; n++, ord++)
        {
            MemoryContextReset(row_cxt);
            MemoryContextSwitchTo(row_cxt);
            fast_row(st, ord, row, caller);
            /* keep the row's values until the chunk is written */
            MemoryContextSwitchTo(chunk_cxt);
            for (i = 0; i < FAST_COLUMNS; i++)
                cols[i][n] = datumCopy(row[i], ebyval[i], elen[i]);
        }
        MemoryContextSwitchTo(chunk_cxt);
        for (i = 0; i < FAST_COLUMNS; i++)
            params[i] = PointerGetDatum(construct_array(cols[i], n, elem[i], elen[i], ebyval[i], ealign[i]));
        if (SPI_execute_plan(plan, params, NULL, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "trace.commission: insert failed");
        total += (int64) SPI_processed;
    }
    MemoryContextSwitchTo(caller);
    SPI_finish();
    MemoryContextDelete(chunk_cxt);
    MemoryContextDelete(row_cxt);
    PG_RETURN_INT64(total);
}

/* ------------------------------------------------------------------------
 * trace.completeness: which fields a record lacks
 * ------------------------------------------------------------------------ */

typedef enum MissingKind
{
    MK_ABSENT,                  /* not a column of the row */
    MK_OTHER,                   /* present when not null */
    MK_TEXT,                    /* text-like: present when not blank */
    MK_ARRAY,                   /* present when it has elements */
    MK_JSONB                    /* as in a jsonb document */
} MissingKind;

/* The field list of one call site and where each field is in the row type. */
typedef struct MissingFields
{
    ArrayType  *names_raw;      /* copies, to recognise the same arrays again */
    ArrayType  *need_raw;
    int         n;
    char      **names;
    int        *name_lens;
    char      **need;           /* NULL: always applies; else the category flag it needs */
    Oid         rowtype;        /* the row type the positions below are for */
    int32       rowtypmod;
    int         natts;
    TupleDesc   td;             /* a copy, in the function's memory */
    int        *attno;          /* per field: 0-based column, -1 when none */
    MissingKind *kind;
    Datum      *values;
    bool       *nulls;
} MissingFields;

static bool
same_array(ArrayType *a, ArrayType *b)
{
    return a != NULL && VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

static MissingFields *
missing_fields(FunctionCallInfo fcinfo, ArrayType *names, ArrayType *need)
{
    MissingFields *mf = (MissingFields *) fcinfo->flinfo->fn_extra;
    MemoryContext old;
    Datum      *nd, *qd;
    bool       *nn, *qn;
    int         n, q, i;

    if (mf && same_array(mf->names_raw, names) && same_array(mf->need_raw, need))
        return mf;
    if (ARR_NDIM(names) > 1 || ARR_NDIM(need) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("trace._reg_missing_idx: field lists must be one-dimensional")));
    old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    mf = palloc0(sizeof(MissingFields));
    mf->names_raw = (ArrayType *) pg_detoast_datum_copy((struct varlena *) names);
    mf->need_raw = (ArrayType *) pg_detoast_datum_copy((struct varlena *) need);
    deconstruct_array(mf->names_raw, TEXTOID, -1, false, TYPALIGN_INT, &nd, &nn, &n);
    deconstruct_array(mf->need_raw, TEXTOID, -1, false, TYPALIGN_INT, &qd, &qn, &q);
    if (n != q)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("trace._reg_missing_idx: %d field names but %d conditions", n, q)));
    mf->n = n;
    mf->names = palloc(sizeof(char *) * Max(n, 1));
    mf->name_lens = palloc(sizeof(int) * Max(n, 1));
    mf->need = palloc(sizeof(char *) * Max(n, 1));
    mf->attno = palloc(sizeof(int) * Max(n, 1));
    mf->kind = palloc(sizeof(MissingKind) * Max(n, 1));
    mf->rowtype = InvalidOid;
    for (i = 0; i < n; i++)
    {
        if (nn[i])
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                            errmsg("trace._reg_missing_idx: field name %d is null", i + 1)));
        mf->names[i] = TextDatumGetCString(nd[i]);
        mf->name_lens[i] = strlen(mf->names[i]);
        mf->need[i] = qn[i] ? NULL : TextDatumGetCString(qd[i]);
    }
    MemoryContextSwitchTo(old);
    fcinfo->flinfo->fn_extra = mf;
    return mf;
}

/* Where each field is in the row type of rec (once per row type). */
static void
missing_row_layout(FunctionCallInfo fcinfo, MissingFields *mf, Oid rowtype, int32 typmod)
{
    TupleDesc   td;
    MemoryContext old;
    int         i, k;

    if (mf->rowtype == rowtype && mf->rowtypmod == typmod && OidIsValid(rowtype))
        return;
    td = lookup_rowtype_tupdesc(rowtype, typmod);
    old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
    mf->natts = td->natts;
    mf->td = CreateTupleDescCopy(td);
    mf->values = palloc(sizeof(Datum) * Max(td->natts, 1));
    mf->nulls = palloc(sizeof(bool) * Max(td->natts, 1));
    MemoryContextSwitchTo(old);
    for (i = 0; i < mf->n; i++)
    {
        mf->attno[i] = -1;
        mf->kind[i] = MK_ABSENT;
        for (k = 0; k < td->natts; k++)
        {
            Form_pg_attribute a = TupleDescAttr(td, k);
            Oid         base;

            if (a->attisdropped || strcmp(NameStr(a->attname), mf->names[i]) != 0)
                continue;
            base = getBaseType(a->atttypid);
            mf->attno[i] = k;
            if (base == JSONBOID)
                mf->kind[i] = MK_JSONB;
            else if (OidIsValid(get_element_type(base)))
                mf->kind[i] = MK_ARRAY;
            else if (base == TEXTOID || base == VARCHAROID || base == BPCHAROID)
                mf->kind[i] = MK_TEXT;
            else
                mf->kind[i] = MK_OTHER;
            break;
        }
    }
    mf->rowtype = rowtype;
    mf->rowtypmod = typmod;
    ReleaseTupleDesc(td);
}

/* Empty as trace._reg_empty reads it: absent, null, a blank string, [] or {}. */
static bool
missing_empty(const JsonbValue *v)
{
    if (v == NULL || v->type == jbvNull)
        return true;
    if (v->type == jbvString)
        return !fast_not_blank(v);
    if (v->type == jbvBinary)
        return JsonContainerSize(v->val.binary.data) == 0;
    return false;
}

/* A column's value, empty as trace._reg_empty(to_jsonb(value)) reads it. */
static bool
missing_empty_column(MissingKind kind, Datum d, bool isnull)
{
    if (isnull)
        return true;
    switch (kind)
    {
        case MK_TEXT:
            {
                text       *t = DatumGetTextPP(d);

                return !reg_not_blank(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
            }
        case MK_ARRAY:
            {
                ArrayType  *a = DatumGetArrayTypeP(d);

                return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a)) == 0;
            }
        case MK_JSONB:
            {
                Jsonb      *j = DatumGetJsonbP(d);
                JsonbValue  v;

                if (JB_ROOT_IS_SCALAR(j))
                {
                    JsonbExtractScalar(&j->root, &v);
                    return missing_empty(&v);
                }
                return JB_ROOT_COUNT(j) == 0;
            }
        default:
            return false;
    }
}

static JsonbValue *
missing_in_doc(Jsonb *doc, const char *key, int len, JsonbValue *buf)
{
    if (doc == NULL || !JB_ROOT_IS_OBJECT(doc))
        return NULL;
    return getKeyJsonValueFromContainer(&doc->root, key, len, buf);
}

PG_FUNCTION_INFO_V1(pt_registry_missing_idx);
/*
 * trace._reg_missing_idx(unit jsonb, rec record, extra jsonb, names text[],
 * need text[], flags text[]) -> int[]: the 1-based positions in names of the
 * fields that apply to the record and are empty, read as in
 * unit || to_jsonb(rec) || extra (a null argument counts as {}): a field in
 * extra wins over a column of rec, which wins over unit. Field i applies
 * when need[i] is null or is one of flags. One call per record of
 * trace.completeness, which reads the row's columns in place (no jsonb of
 * the row, no catalogue-sized set of rows per record).
 */
Datum
pt_registry_missing_idx(PG_FUNCTION_ARGS)
{
    Jsonb      *unit = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
    Jsonb      *extra = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
    MissingFields *mf;
    ArrayType  *flags = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
    Datum      *fd = NULL;
    bool       *fn = NULL;
    char      **fs = NULL;
    int         nflags = 0;
    bool        have_row = false;
    Datum      *out;
    int         nout = 0;
    int         i;

    if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("trace._reg_missing_idx: field lists must not be null")));
    mf = missing_fields(fcinfo, PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_ARRAYTYPE_P(4));
    if (!PG_ARGISNULL(1))
    {
        HeapTupleHeader th = PG_GETARG_HEAPTUPLEHEADER(1);
        HeapTupleData tup;

        missing_row_layout(fcinfo, mf, HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
        tup.t_len = HeapTupleHeaderGetDatumLength(th);
        ItemPointerSetInvalid(&tup.t_self);
        tup.t_tableOid = InvalidOid;
        tup.t_data = th;
        if (HeapTupleHeaderGetNatts(th) > mf->natts)
            elog(ERROR, "trace._reg_missing_idx: row has more columns than its type");
        heap_deform_tuple(&tup, mf->td, mf->values, mf->nulls);
        have_row = true;
    }
    if (flags != NULL)
    {
        deconstruct_array(flags, TEXTOID, -1, false, TYPALIGN_INT, &fd, &fn, &nflags);
        fs = palloc(sizeof(char *) * Max(nflags, 1));
        for (i = 0; i < nflags; i++)
            fs[i] = fn[i] ? NULL : TextDatumGetCString(fd[i]);
    }
    out = palloc(sizeof(Datum) * Max(mf->n, 1));
    for (i = 0; i < mf->n; i++)
    {
        JsonbValue  buf;
        JsonbValue *v;
        bool        empty;

        if (mf->need[i] != NULL)
        {
            bool        on = false;
            int         k;

            for (k = 0; k < nflags && !on; k++)
                on = fs[k] != NULL && strcmp(fs[k], mf->need[i]) == 0;
            if (!on)
                continue;
        }
        if ((v = missing_in_doc(extra, mf->names[i], mf->name_lens[i], &buf)) != NULL)
            empty = missing_empty(v);
        else if (have_row && mf->attno[i] >= 0)
            empty = missing_empty_column(mf->kind[i], mf->values[mf->attno[i]], mf->nulls[mf->attno[i]]);
        else
            empty = missing_empty(missing_in_doc(unit, mf->names[i], mf->name_lens[i], &buf));
        if (empty)
            out[nout++] = Int32GetDatum(i + 1);
    }
    PG_RETURN_ARRAYTYPE_P(construct_array(out, nout, INT4OID, 4, true, TYPALIGN_INT));
}

/*
 * trace._reg_tally(m int[], mand int[]) -> bigint[]: an aggregate over the
 * results of _reg_missing_idx. Element 1 counts the records, element 2 the
 * records lacking one of the positions in mand, element 2 + i the records
 * lacking field i. Its state is a plain array of counters, so tallying a
 * million records costs no sort and no set-returning unnest per record.
 */
typedef struct Tally
{
    int64      *counts;         /* [0] records, [1] incomplete, [1 + i] field i */
    int         size;
    bool       *mand;           /* by position, from the first call's mand */
    int         nmand;
} Tally;

static void
tally_grow(Tally *t, int need, MemoryContext cxt)
{
    int         size = Max(t->size, 16);

    while (size < need)
        size *= 2;
    if (size == t->size)
        return;
    if (t->counts == NULL)
        t->counts = MemoryContextAllocZero(cxt, sizeof(int64) * size);
    else
    {
        t->counts = repalloc(t->counts, sizeof(int64) * size);
        memset(t->counts + t->size, 0, sizeof(int64) * (size - t->size));
    }
    t->size = size;
}

/*
 * The elements of an int4 array that has no nulls (the callers check that
 * before reading). ARR_DATA_PTR would do, but its ?: of a signed and an
 * unsigned offset fails the -Wextra -Werror build.
 */
static int32 *
int4_elements(ArrayType *a)
{
    return (int32 *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

PG_FUNCTION_INFO_V1(pt_registry_tally_step);
Datum
pt_registry_tally_step(PG_FUNCTION_ARGS)
{
    MemoryContext aggcxt;
    Tally      *t;
    ArrayType  *m;
    int32      *pos;
    int         n, i;
    bool        incomplete = false;

    if (!AggCheckCallContext(fcinfo, &aggcxt))
        elog(ERROR, "trace._reg_tally_step called outside an aggregate");
    t = PG_ARGISNULL(0) ? NULL : (Tally *) PG_GETARG_POINTER(0);
    if (t == NULL)
    {
        t = MemoryContextAllocZero(aggcxt, sizeof(Tally));
        tally_grow(t, 16, aggcxt);
        if (!PG_ARGISNULL(2))
        {
            ArrayType  *ma = PG_GETARG_ARRAYTYPE_P(2);
            int32      *mp;
            int         mn = ArrayGetNItems(ARR_NDIM(ma), ARR_DIMS(ma));

            if (ARR_HASNULL(ma) || ARR_ELEMTYPE(ma) != INT4OID)
                ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                                errmsg("trace._reg_tally: mand must be an int[] without nulls")));
            mp = int4_elements(ma);
            for (i = 0; i < mn; i++)
            {
                if (mp[i] < 1 || mp[i] > 100000)
                    ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                                    errmsg("trace._reg_tally: mandatory field position %d out of range", mp[i])));
                t->nmand = Max(t->nmand, mp[i] + 1);
            }
            t->mand = MemoryContextAllocZero(aggcxt, Max(t->nmand, 1));
            for (i = 0; i < mn; i++)
                t->mand[mp[i]] = true;
        }
    }
    t->counts[0]++;
    if (!PG_ARGISNULL(1))
    {
        m = PG_GETARG_ARRAYTYPE_P(1);
        if (ARR_HASNULL(m) || ARR_ELEMTYPE(m) != INT4OID)
            ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                            errmsg("trace._reg_tally: positions must be an int[] without nulls")));
        pos = int4_elements(m);
        n = ArrayGetNItems(ARR_NDIM(m), ARR_DIMS(m));
        for (i = 0; i < n; i++)
        {
            if (pos[i] < 1 || pos[i] > 100000)
                ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                                errmsg("trace._reg_tally: field position %d out of range", pos[i])));
            if (pos[i] + 2 > t->size)
                tally_grow(t, pos[i] + 2, aggcxt);
            t->counts[1 + pos[i]]++;
            if (pos[i] < t->nmand && t->mand[pos[i]])
                incomplete = true;
        }
    }
    if (incomplete)
        t->counts[1]++;
    PG_RETURN_POINTER(t);
}

PG_FUNCTION_INFO_V1(pt_registry_tally_final);
Datum
pt_registry_tally_final(PG_FUNCTION_ARGS)
{
    Tally      *t = PG_ARGISNULL(0) ? NULL : (Tally *) PG_GETARG_POINTER(0);
    Datum      *d;
    int         n = 2, i;

    if (t == NULL)
    {
        Datum       zero[2] = {Int64GetDatum(0), Int64GetDatum(0)};

        PG_RETURN_ARRAYTYPE_P(construct_array(zero, 2, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
    }
    for (i = 0; i < t->size; i++)
        if (t->counts[i] != 0)
            n = Max(n, i + 1);
    d = palloc(sizeof(Datum) * n);
    for (i = 0; i < n; i++)
        d[i] = Int64GetDatum(t->counts[i]);
    PG_RETURN_ARRAYTYPE_P(construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
