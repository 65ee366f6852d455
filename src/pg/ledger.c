/*
 * ledger.c — the ledger's settings, its row triggers and the canonical,
 * type-aware row hash (the byte layout itself is in src/core/ledger.c).
 *
 * A ledger row's hash covers its stored values, never their text in the
 * current session: integers and floats by their bits, dates and timestamps by
 * their internal counts, numeric and jsonb by their setting-independent
 * output, everything else by its binary send function. So the hash does not
 * move with DateStyle, TimeZone, extra_float_digits or jsonb key order, and a
 * dumped and restored row hashes the same.
 */
#include "ledger_pg.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include <string.h>

char       *pt_collection_method = NULL;
int         pt_seal_interval_ms = 250;
char       *pt_sealer_database = NULL;
int         pt_pending_limit_s = 60;
int         pt_subscriber_floor_delay_s = 600;
static bool pt_checkpoint_verify = true;
bool        pt_break_glass = false;
Oid         pt_purging_relid = InvalidOid;

/* How one type's values become canonical bytes. */
struct PtEnc
{
    Oid         typid;          /* base type */
    ledger_tag  tag;
    int16       typlen;
    bool        typbyval;
    char        typalign;
    FmgrInfo    send;           /* LEDGER_TAG_SEND */
    bool        is_enum;        /* LEDGER_TAG_SEND of an enum: its label */
    PtEnc      *elem;           /* LEDGER_TAG_ARRAY: element encoder */
    Oid         comptype;       /* LEDGER_TAG_COMPOSITE */
    int32       comptypmod;
    int         nfields;
    PtEnc     **fields;         /* per attribute (NULL for dropped) */
};

static HTAB *ledger_rels = NULL;

/*
 * Text is hashed as UTF-8 (docs/ledger.md): in a database of another
 * encoding, text-like values are converted before they are hashed, so a row
 * hashes the same in a LATIN1 database and in the UTF8 database its dump is
 * restored into. Set by pt_ledger_rel (the database encoding is fixed for a
 * backend); false in UTF8 databases — no conversion, no copy — and in
 * SQL_ASCII ones, whose bytes have no known encoding and are hashed as stored.
 */
static bool to_utf8 = false;

/* Hash text of the database encoding as UTF-8. */
static void
enc_text(ledger_hasher *h, ledger_tag tag, const char *s, size_t len)
{
    if (unlikely(to_utf8) && len > 0)
    {
        char       *u = pg_server_to_any(s, (int) len, PG_UTF8);

        if (u != s)
        {
            ledger_enc_value(h, tag, u, strlen(u));
            pfree(u);
            return;
        }
    }
    ledger_enc_value(h, tag, s, len);
}

/* The access method of an index (get_rel_relam is not in every version). */
static Oid
index_relam(Oid relid)
{
    HeapTuple   tp = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
    Oid         am = InvalidOid;

    if (HeapTupleIsValid(tp))
    {
        am = ((Form_pg_class) GETSTRUCT(tp))->relam;
        ReleaseSysCache(tp);
    }
    return am;
}

/* ---------------------------------------------------------------- encoders */

/*
 * The encoder of one type. The relids of the composite types met on the way
 * are noted in lr (deprels): ALTER TYPE on a composite sends a relcache
 * invalidation for the composite's relation, not for the ledger table, and
 * the cached encoder must be rebuilt then (ledger_rel_invalidate).
 */
static void
note_deprel(PtLedgerRel *lr, Oid relid)
{
    int         i;

    for (i = 0; i < lr->ndeprels; i++)
        if (lr->deprels[i] == relid)
            return;
    if (lr->ndeprels == lr->maxdeprels)
    {
        lr->maxdeprels = Max(8, 2 * lr->maxdeprels);
        lr->deprels = lr->deprels
            ? repalloc(lr->deprels, sizeof(Oid) * lr->maxdeprels)
            : MemoryContextAlloc(lr->cxt, sizeof(Oid) * lr->maxdeprels);
    }
    lr->deprels[lr->ndeprels++] = relid;
}

static PtEnc *
make_enc(PtLedgerRel *lr, Oid typid, int32 typmod, MemoryContext cxt, int depth)
{
    PtEnc      *e = MemoryContextAllocZero(cxt, sizeof(PtEnc));
    Oid         base;
    char        typtype;

    if (depth > 32)
        ereport(ERROR,
                (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                 errmsg("type nesting too deep for the ledger row hash")));
    base = getBaseTypeAndTypmod(typid, &typmod);
    e->typid = base;
    get_typlenbyvalalign(base, &e->typlen, &e->typbyval, &e->typalign);
    typtype = get_typtype(base);

    switch (base)
    {
        case BOOLOID:
            e->tag = LEDGER_TAG_BOOL;
            break;
        case INT2OID:
            e->tag = LEDGER_TAG_INT2;
            break;
        case INT4OID:
            e->tag = LEDGER_TAG_INT4;
            break;
        case INT8OID:
            e->tag = LEDGER_TAG_INT8;
            break;
        case FLOAT4OID:
            e->tag = LEDGER_TAG_FLOAT4;
            break;
        case FLOAT8OID:
            e->tag = LEDGER_TAG_FLOAT8;
            break;
        case NUMERICOID:
            e->tag = LEDGER_TAG_NUMERIC;
            break;
        case TEXTOID:
        case VARCHAROID:
        case BPCHAROID:
        case NAMEOID:
            e->tag = LEDGER_TAG_TEXT;
            break;
        case BYTEAOID:
            e->tag = LEDGER_TAG_BYTEA;
            break;
        case DATEOID:
            e->tag = LEDGER_TAG_DATE;
            break;
        case TIMESTAMPOID:
            e->tag = LEDGER_TAG_TIMESTAMP;
            break;
        case TIMESTAMPTZOID:
            e->tag = LEDGER_TAG_TIMESTAMPTZ;
            break;
        case JSONBOID:
            e->tag = LEDGER_TAG_JSONB;
            break;
        case JSONOID:
            e->tag = LEDGER_TAG_JSON;
            break;
        case UUIDOID:
            e->tag = LEDGER_TAG_UUID;
            break;
        default:
            if (OidIsValid(get_element_type(base)) && e->typlen == -1)
            {
                e->tag = LEDGER_TAG_ARRAY;
                e->elem = make_enc(lr, get_element_type(base), -1, cxt, depth + 1);
            }
            else if (typtype == TYPTYPE_COMPOSITE)
            {
                TupleDesc   td = lookup_rowtype_tupdesc(base, typmod);
                int         i;

                note_deprel(lr, get_typ_typrelid(base));
                e->tag = LEDGER_TAG_COMPOSITE;
                e->comptype = base;
                e->comptypmod = typmod;
                e->nfields = td->natts;
                e->fields = MemoryContextAllocZero(cxt, sizeof(PtEnc *) * Max(td->natts, 1));
                for (i = 0; i < td->natts; i++)
                {
                    Form_pg_attribute a = TupleDescAttr(td, i);

                    if (!a->attisdropped)
                        e->fields[i] = make_enc(lr, a->atttypid, a->atttypmod, cxt, depth + 1);
                }
                ReleaseTupleDesc(td);
            }
            else
            {
                Oid         sendfn;
                bool        isvarlena;

                getTypeBinaryOutputInfo(base, &sendfn, &isvarlena);
                e->tag = LEDGER_TAG_SEND;
                /*
                 * enum_send writes the label in the session's client
                 * encoding; the ledger hashes it as UTF-8 whatever the
                 * session (the same bytes in a UTF8 database and session).
                 */
                e->is_enum = (typtype == TYPTYPE_ENUM);
                fmgr_info_cxt(sendfn, &e->send, cxt);
            }
            break;
    }
    return e;
}

/*
 * jsonb as the text jsonb_out gives it (the canonical form of tag 0D),
 * written straight from the stored container — no iterator, no copies of the
 * strings — byte for byte what JsonbToCString writes: ", " between members,
 * ": " after a key, keys in their stored order, strings escaped as
 * escape_json escapes them, numbers through numeric_out, a raw scalar without
 * brackets. test/pgtap/ledger.sql compares the two over many documents.
 */
static void
jsonb_text_string(StringInfo out, const char *s, uint32 len)
{
    uint32      start = 0;
    uint32      i;

    appendStringInfoCharMacro(out, '"');
    for (i = 0; i < len; i++)
    {
        unsigned char c = (unsigned char) s[i];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (i > start)
            appendBinaryStringInfo(out, s + start, i - start);
        start = i + 1;
        switch (c)
        {
            case '\b':
                appendBinaryStringInfo(out, "\\b", 2);
                break;
            case '\f':
                appendBinaryStringInfo(out, "\\f", 2);
                break;
            case '\n':
                appendBinaryStringInfo(out, "\\n", 2);
                break;
            case '\r':
                appendBinaryStringInfo(out, "\\r", 2);
                break;
            case '\t':
                appendBinaryStringInfo(out, "\\t", 2);
                break;
            case '"':
                appendBinaryStringInfo(out, "\\\"", 2);
                break;
            case '\\':
                appendBinaryStringInfo(out, "\\\\", 2);
                break;
            default:
                appendStringInfo(out, "\\u%04x", (int) c);
                break;
        }
    }
    if (len > start)
        appendBinaryStringInfo(out, s + start, len - start);
    appendStringInfoCharMacro(out, '"');
}

/*
 * numeric_out's text of an integral numeric without numeric_out: a value in
 * the short on-disk form (src/backend/utils/adt/numeric.c, stable since
 * PostgreSQL 9.1 for pg_upgrade) with display scale 0 and fewer than 17
 * digits, written into buf (at least 24 bytes); its length, or -1 for any
 * other value (the caller then calls numeric_out). Numbers in jsonb
 * documents and numeric columns are mostly such integers, and numeric_out's
 * allocations were a tenth of a verification.
 */
#define PT_NUMERIC_SHORT            0x8000
#define PT_NUMERIC_FORM_MASK        0xC000
#define PT_NUMERIC_SHORT_SIGN       0x2000
#define PT_NUMERIC_SHORT_DSCALE     0x1F80
#define PT_NUMERIC_SHORT_WSIGN      0x0040
#define PT_NUMERIC_SHORT_WEIGHT     0x003F

static int
numeric_int_text(const void *numeric, char *buf)
{
    const char *data = VARDATA_ANY(numeric);
    Size        size = VARSIZE_ANY_EXHDR(numeric);
    uint16      header;
    int         weight;
    int         ndigits;
    int         len = 0;
    int         i;

    if (size < sizeof(uint16))
        return -1;
    memcpy(&header, data, sizeof(uint16));
    if ((header & PT_NUMERIC_FORM_MASK) != PT_NUMERIC_SHORT || (header & PT_NUMERIC_SHORT_DSCALE) != 0)
        return -1;
    ndigits = (int) ((size - sizeof(uint16)) / sizeof(int16));
    if (ndigits == 0)
    {
        if (header & PT_NUMERIC_SHORT_SIGN)
            return -1;
        buf[0] = '0';
        return 1;
    }
    weight = ((header & PT_NUMERIC_SHORT_WSIGN) ? ~PT_NUMERIC_SHORT_WEIGHT : 0) | (header & PT_NUMERIC_SHORT_WEIGHT);
    /* integral (no base-10000 digit after the point), below 10^16 */
    if (weight < ndigits - 1 || weight > 3)
        return -1;
    if (header & PT_NUMERIC_SHORT_SIGN)
        buf[len++] = '-';
    for (i = 0; i <= weight; i++)
    {
        int16       d = 0;

        if (i < ndigits)
            memcpy(&d, data + sizeof(uint16) + i * sizeof(int16), sizeof(int16));
        if (d < 0 || d > 9999 || (i == 0 && d == 0))
            return -1;
        if (i == 0)
        {
            /* the leading digit group without leading zeros */
            char        rev[4];
            int         k = 0;

            do
            {
                rev[k++] = (char) ('0' + d % 10);
                d /= 10;
            } while (d > 0);
            while (k > 0)
                buf[len++] = rev[--k];
        }
        else
        {
            buf[len++] = (char) ('0' + d / 1000);
            buf[len++] = (char) ('0' + d / 100 % 10);
            buf[len++] = (char) ('0' + d / 10 % 10);
            buf[len++] = (char) ('0' + d % 10);
        }
    }
    return len;
}

static void jsonb_text_container(StringInfo out, const JsonbContainer *c);

/* One child whose data starts at base + off; off advances past it. */
static void
jsonb_text_child(StringInfo out, JEntry je, const char *base, uint32 *off)
{
    uint32      start = *off;
    uint32      len;

    JBE_ADVANCE_OFFSET(*off, je);
    len = *off - start;
    if (JBE_ISSTRING(je))
        jsonb_text_string(out, base + start, len);
    else if (JBE_ISNUMERIC(je))
    {
        char        buf[24];
        int         n = numeric_int_text(base + INTALIGN(start), buf);

        if (n >= 0)
            appendBinaryStringInfo(out, buf, n);
        else
        {
            char       *t = DatumGetCString(DirectFunctionCall1(numeric_out,
                                                                PointerGetDatum(base + INTALIGN(start))));

            appendStringInfoString(out, t);
            pfree(t);
        }
    }
    else if (JBE_ISBOOL_TRUE(je))
        appendBinaryStringInfo(out, "true", 4);
    else if (JBE_ISBOOL_FALSE(je))
        appendBinaryStringInfo(out, "false", 5);
    else if (JBE_ISNULL(je))
        appendBinaryStringInfo(out, "null", 4);
    else
        jsonb_text_container(out, (const JsonbContainer *) (base + INTALIGN(start)));
}

static void
jsonb_text_container(StringInfo out, const JsonbContainer *c)
{
    uint32      n = JsonContainerSize(c);
    uint32      i;

    check_stack_depth();
    if (JsonContainerIsObject(c))
    {
        const char *base = (const char *) &c->children[2 * n];
        uint32      koff = 0;
        uint32      voff = n > 0 ? getJsonbOffset(c, n) : 0;

        appendStringInfoCharMacro(out, '{');
        for (i = 0; i < n; i++)
        {
            if (i > 0)
                appendBinaryStringInfo(out, ", ", 2);
            jsonb_text_child(out, c->children[i], base, &koff);
            appendBinaryStringInfo(out, ": ", 2);
            jsonb_text_child(out, c->children[n + i], base, &voff);
        }
        appendStringInfoCharMacro(out, '}');
    }
    else
    {
        const char *base = (const char *) &c->children[n];
        uint32      off = 0;
        bool        scalar = JsonContainerIsScalar(c);

        if (!scalar)
            appendStringInfoCharMacro(out, '[');
        for (i = 0; i < n; i++)
        {
            if (i > 0)
                appendBinaryStringInfo(out, ", ", 2);
            jsonb_text_child(out, c->children[i], base, &off);
        }
        if (!scalar)
            appendStringInfoCharMacro(out, ']');
    }
}

/* Free the jsonb text buffer kept between rows when it has grown past 1 MB. */
static void
jtext_trim(StringInfo buf)
{
    if (buf->data != NULL && buf->maxlen > 1024 * 1024)
    {
        pfree(buf->data);
        buf->data = NULL;
    }
}

static void encode_datum(ledger_hasher *h, PtEnc *e, Datum d);

static void
encode_text_varlena(ledger_hasher *h, ledger_tag tag, Datum d)
{
    struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

    if (tag == LEDGER_TAG_BYTEA)
        ledger_enc_value(h, tag, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
    else
        enc_text(h, tag, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
}

static void
encode_datum(ledger_hasher *h, PtEnc *e, Datum d)
{
    switch (e->tag)
    {
        case LEDGER_TAG_BOOL:
            ledger_enc_int(h, e->tag, DatumGetBool(d) ? 1 : 0);
            break;
        case LEDGER_TAG_INT2:
            ledger_enc_int(h, e->tag, DatumGetInt16(d));
            break;
        case LEDGER_TAG_INT4:
            ledger_enc_int(h, e->tag, DatumGetInt32(d));
            break;
        case LEDGER_TAG_INT8:
        case LEDGER_TAG_TIMESTAMP:
        case LEDGER_TAG_TIMESTAMPTZ:
            ledger_enc_int(h, e->tag, DatumGetInt64(d));
            break;
        case LEDGER_TAG_DATE:
            ledger_enc_int(h, e->tag, DatumGetDateADT(d));
            break;
        case LEDGER_TAG_FLOAT4:
            {
                float4      f = DatumGetFloat4(d);
                uint32      bits;

                memcpy(&bits, &f, 4);
                ledger_enc_int(h, e->tag, (int64) bits);
                break;
            }
        case LEDGER_TAG_FLOAT8:
            {
                float8      f = DatumGetFloat8(d);
                int64       bits;

                memcpy(&bits, &f, 8);
                ledger_enc_int(h, e->tag, bits);
                break;
            }
        case LEDGER_TAG_NUMERIC:
            {
                char        buf[24];
                struct varlena *v = PG_DETOAST_DATUM_PACKED(d);
                int         n = numeric_int_text(v, buf);

                if (n >= 0)
                    ledger_enc_value(h, e->tag, buf, n);
                else
                {
                    char       *s = DatumGetCString(DirectFunctionCall1(numeric_out, d));

                    ledger_enc_value(h, e->tag, s, strlen(s));
                }
                break;
            }
        case LEDGER_TAG_JSONB:
            {
                /*
                 * exactly jsonb_out's text (see jsonb_text_container), built
                 * in a buffer kept between rows; a small document stored
                 * with a short header is aligned on the stack rather than
                 * copied by the detoaster into a new allocation
                 */
                static StringInfoData jtext;
                union
                {
                    int32       align;
                    char        bytes[256];
                }           small;
                Jsonb      *jb;

                /* (an out-of-line value's pointer has a one-byte header too) */
                if (VARATT_IS_SHORT(DatumGetPointer(d)) && !VARATT_IS_EXTERNAL(DatumGetPointer(d))
                    && VARSIZE_SHORT(DatumGetPointer(d)) - VARHDRSZ_SHORT + VARHDRSZ <= sizeof(small))
                {
                    Size        n = VARSIZE_SHORT(DatumGetPointer(d)) - VARHDRSZ_SHORT;

                    SET_VARSIZE(small.bytes, n + VARHDRSZ);
                    memcpy(small.bytes + VARHDRSZ, VARDATA_SHORT(DatumGetPointer(d)), n);
                    jb = (Jsonb *) small.bytes;
                }
                else
                    jb = DatumGetJsonbP(d);
                jtext_trim(&jtext);     /* left large by a document whose encoding failed */
                if (jtext.data == NULL)
                {
                    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

                    initStringInfo(&jtext);
                    MemoryContextSwitchTo(old);
                }
                resetStringInfo(&jtext);
                jsonb_text_container(&jtext, &jb->root);
                enc_text(h, e->tag, jtext.data, jtext.len);
                jtext_trim(&jtext);     /* a large document's buffer is not kept */
                break;
            }
        case LEDGER_TAG_TEXT:
            if (e->typid == NAMEOID)
            {
                const char *s = NameStr(*DatumGetName(d));

                enc_text(h, e->tag, s, strlen(s));
            }
            else
                encode_text_varlena(h, e->tag, d);
            break;
        case LEDGER_TAG_BYTEA:
        case LEDGER_TAG_JSON:
            encode_text_varlena(h, e->tag, d);
            break;
        case LEDGER_TAG_UUID:
            ledger_enc_value(h, e->tag, DatumGetUUIDP(d)->data, UUID_LEN);
            break;
        case LEDGER_TAG_ARRAY:
            {
                ArrayType  *a = DatumGetArrayTypeP(d);
                int         ndim = ARR_NDIM(a);
                Datum      *elems;
                bool       *enulls;
                int         n;
                int         i;

                ledger_enc_array_header(h, ndim, ARR_DIMS(a), ARR_LBOUND(a));
                deconstruct_array(a, ARR_ELEMTYPE(a), e->elem->typlen, e->elem->typbyval,
                                  e->elem->typalign, &elems, &enulls, &n);
                for (i = 0; i < n; i++)
                {
                    if (enulls[i])
                        ledger_enc_null(h);
                    else
                        encode_datum(h, e->elem, elems[i]);
                }
                break;
            }
        case LEDGER_TAG_COMPOSITE:
            {
                HeapTupleHeader th = DatumGetHeapTupleHeader(d);
                TupleDesc   td = lookup_rowtype_tupdesc(e->comptype, e->comptypmod);
                HeapTupleData tup;
                Datum      *vals = palloc(sizeof(Datum) * td->natts);
                bool       *nls = palloc(sizeof(bool) * td->natts);
                int         live = 0;
                int         i;

                tup.t_len = HeapTupleHeaderGetDatumLength(th);
                ItemPointerSetInvalid(&tup.t_self);
                tup.t_tableOid = InvalidOid;
                tup.t_data = th;
                heap_deform_tuple(&tup, td, vals, nls);
                for (i = 0; i < td->natts && i < e->nfields; i++)
                    if (e->fields[i])
                        live++;
                ledger_enc_composite_header(h, live);
                for (i = 0; i < td->natts && i < e->nfields; i++)
                {
                    if (!e->fields[i])
                        continue;
                    if (nls[i])
                        ledger_enc_null(h);
                    else
                        encode_datum(h, e->fields[i], vals[i]);
                }
                ReleaseTupleDesc(td);
                break;
            }
        case LEDGER_TAG_SEND:
            if (e->is_enum)
            {
                HeapTuple   tp = SearchSysCache1(ENUMOID, d);
                const char *label;

                if (!HeapTupleIsValid(tp))
                    ereport(ERROR,
                            (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                             errmsg("invalid internal value for enum: %u", DatumGetObjectId(d))));
                label = NameStr(((Form_pg_enum) GETSTRUCT(tp))->enumlabel);
                enc_text(h, e->tag, label, strlen(label));
                ReleaseSysCache(tp);
            }
            else
            {
                bytea      *b = SendFunctionCall(&e->send, d);

                ledger_enc_value(h, e->tag, VARDATA(b), VARSIZE(b) - VARHDRSZ);
            }
            break;
        case LEDGER_TAG_NULL:
            ledger_enc_null(h);
            break;
    }
}

/* ---------------------------------------------------------------- rel cache */

static void
ledger_rel_invalidate(Datum arg, Oid relid)
{
    HASH_SEQ_STATUS st;
    PtLedgerRel *lr;

    if (ledger_rels == NULL)
        return;
    hash_seq_init(&st, ledger_rels);
    while ((lr = hash_seq_search(&st)) != NULL)
    {
        int         i;

        if (relid == InvalidOid || lr->relid == relid)
            lr->valid = false;
        /* a composite type the table's columns use (ALTER TYPE ... ATTRIBUTE) */
        for (i = 0; lr->valid && i < lr->ndeprels; i++)
            if (lr->deprels[i] == relid)
                lr->valid = false;
    }
}

static void
ledger_type_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
    ledger_rel_invalidate(arg, InvalidOid);
}

static AttrNumber
find_att(TupleDesc td, const char *name, Oid typid, bool required, const char *relname)
{
    int         i;

    for (i = 0; i < td->natts; i++)
    {
        Form_pg_attribute a = TupleDescAttr(td, i);

        if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
        {
            if (a->atttypid != typid)
                ereport(ERROR,
                        (errcode(ERRCODE_DATATYPE_MISMATCH),
                         errmsg("ledger column \"%s\" of table \"%s\" has the wrong type", name, relname),
                         errdetail("Expected type %s.", format_type_be(typid))));
            return a->attnum;
        }
    }
    if (required)
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_COLUMN),
                 errmsg("ledger table \"%s\" has no column \"%s\"", relname, name),
                 errdetail("Columns added by trace.ledger_enable() must not be dropped or renamed.")));
    return InvalidAttrNumber;
}

/*
 * The cached hashing state of a ledger table, rebuilt when the table, its
 * types, its ledger name or its algorithm changed.
 */
PtLedgerRel *
pt_ledger_rel(Relation rel, const char *name, const char *alg)
{
    Oid         relid = RelationGetRelid(rel);
    PtLedgerRel *lr;
    bool        found;
    TupleDesc   td = RelationGetDescr(rel);
    const char *relname = RelationGetRelationName(rel);
    ledger_alg  a;
    MemoryContext old;
    List       *seqs;
    ListCell   *lc;
    List       *idxs;
    int         i;

    if (!ledger_alg_parse(alg, &a))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("unknown ledger hash algorithm \"%s\"", alg),
                 errdetail("Known algorithms are sha256 and sm3.")));

    if (ledger_rels == NULL)
    {
        HASHCTL     ctl;

        memset(&ctl, 0, sizeof(ctl));
        ctl.keysize = sizeof(Oid);
        ctl.entrysize = sizeof(PtLedgerRel);
        ctl.hcxt = CacheMemoryContext;
        ledger_rels = hash_create("pgtrace ledger tables", 16, &ctl,
                                  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
        CacheRegisterRelcacheCallback(ledger_rel_invalidate, (Datum) 0);
        CacheRegisterSyscacheCallback(TYPEOID, ledger_type_invalidate, (Datum) 0);
    }

    lr = hash_search(ledger_rels, &relid, HASH_ENTER, &found);
    if (found && lr->valid && lr->alg == a && strcmp(lr->name, name) == 0
        && lr->natts == td->natts)
        return lr;

    if (found && lr->cxt)
    {
        ledger_hasher_free(&lr->hasher);
        MemoryContextDelete(lr->cxt);
    }
    memset(((char *) lr) + sizeof(Oid), 0, sizeof(PtLedgerRel) - sizeof(Oid));
    lr->relid = relid;

    lr->cxt = AllocSetContextCreate(CacheMemoryContext, "pgtrace ledger table",
                                    ALLOCSET_SMALL_SIZES);
    lr->rowcxt = AllocSetContextCreate(lr->cxt, "pgtrace ledger row",
                                       ALLOCSET_DEFAULT_SIZES);
    old = MemoryContextSwitchTo(lr->cxt);
    lr->name = pstrdup(name);
    to_utf8 = GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII;
    lr->hname = to_utf8 ? pg_server_to_any(name, strlen(name), PG_UTF8) : lr->name;
    lr->name_len = strlen(lr->hname);
    lr->alg = a;
    if (!ledger_hasher_init(&lr->hasher, a))
    {
        MemoryContextSwitchTo(old);
        MemoryContextDelete(lr->cxt);
        lr->cxt = NULL;
        ereport(ERROR,
                (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                 errmsg("hash algorithm \"%s\" is not available in this OpenSSL build", alg)));
    }
    lr->natts = td->natts;
    lr->seq_att = find_att(td, PT_COL_SEQ, INT8OID, true, relname);
    lr->hash_att = find_att(td, PT_COL_HASH, BYTEAOID, true, relname);
    lr->by_att = find_att(td, PT_COL_BY, TEXTOID, true, relname);
    lr->at_att = find_att(td, PT_COL_AT, TIMESTAMPTZOID, true, relname);
    lr->method_att = find_att(td, PT_COL_METHOD, TEXTOID, true, relname);
    lr->retain_att = find_att(td, PT_COL_RETAIN, DATEOID, true, relname);

    lr->enc_atts = palloc(sizeof(AttrNumber) * td->natts);
    lr->encs = palloc(sizeof(PtEnc *) * td->natts);
    for (i = 0; i < td->natts; i++)
    {
        Form_pg_attribute att = TupleDescAttr(td, i);

        /*
         * Generated columns are computed after BEFORE triggers, from the
         * hashed columns: they add nothing and are left out.
         */
        if (att->attisdropped || att->attgenerated
            || att->attnum == lr->seq_att || att->attnum == lr->hash_att)
            continue;
        lr->enc_atts[lr->nenc] = att->attnum;
        lr->encs[lr->nenc] = make_enc(lr, att->atttypid, att->atttypmod, lr->cxt, 0);
        lr->nenc++;
    }

    /* The unique btree index on ledger_seq. */
    idxs = RelationGetIndexList(rel);
    foreach(lc, idxs)
    {
        Oid         idxoid = lfirst_oid(lc);
        HeapTuple   ht = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idxoid));
        Form_pg_index ix;

        if (!HeapTupleIsValid(ht))
            continue;
        ix = (Form_pg_index) GETSTRUCT(ht);
        if (ix->indisunique && ix->indisvalid && ix->indnatts == 1
            && ix->indkey.values[0] == lr->seq_att && heap_attisnull(ht, Anum_pg_index_indpred, NULL)
            && index_relam(idxoid) == BTREE_AM_OID)
            lr->indexoid = idxoid;
        ReleaseSysCache(ht);
    }
    list_free(idxs);

    /* The sequence owned by ledger_seq. */
    seqs = getOwnedSequences(relid);
    foreach(lc, seqs)
    {
        Oid         seqid = lfirst_oid(lc);
        Oid         tab;
        int32       col;

        if ((sequenceIsOwned(seqid, DEPENDENCY_AUTO, &tab, &col)
             || sequenceIsOwned(seqid, DEPENDENCY_INTERNAL, &tab, &col))
            && col == lr->seq_att)
            lr->seqoid = seqid;
    }
    list_free(seqs);
    MemoryContextSwitchTo(old);

    lr->valid = true;
    return lr;
}

/* Hash one row given its values (indexed by attnum - 1). */
void
pt_ledger_rehash(PtLedgerRel *lr, Datum *values, bool *nulls, int64 seq,
                   uint8 out[LEDGER_HASH_LEN])
{
    MemoryContext old = MemoryContextSwitchTo(lr->rowcxt);
    int         i;

    ledger_hasher_reset(&lr->hasher);
    ledger_enc_row_header(&lr->hasher, lr->hname, lr->name_len, seq);
    for (i = 0; i < lr->nenc; i++)
    {
        int         k = lr->enc_atts[i] - 1;

        if (nulls[k])
            ledger_enc_null(&lr->hasher);
        else
            encode_datum(&lr->hasher, lr->encs[i], values[k]);
    }
    ledger_hasher_final(&lr->hasher, out);
    MemoryContextSwitchTo(old);
    MemoryContextReset(lr->rowcxt);
}

/* Recompute a stored row's hash into out; true when it equals ledger_hash. */
bool
pt_ledger_hash_matches(PtLedgerRel *lr, Datum *values, bool *nulls, uint8 out[LEDGER_HASH_LEN])
{
    bytea      *stored;

    if (nulls[lr->seq_att - 1])
    {
        memset(out, 0, LEDGER_HASH_LEN);
        return false;
    }
    pt_ledger_rehash(lr, values, nulls, DatumGetInt64(values[lr->seq_att - 1]), out);
    if (nulls[lr->hash_att - 1])
        return false;
    stored = DatumGetByteaPP(values[lr->hash_att - 1]);
    return VARSIZE_ANY_EXHDR(stored) == LEDGER_HASH_LEN
        && memcmp(VARDATA_ANY(stored), out, LEDGER_HASH_LEN) == 0;
}

Oid
pt_ledger_extension_schema(void)
{
    /* The schema is fixed (pgtrace.control: schema = trace, not relocatable). */
    if (!OidIsValid(get_extension_oid("pgtrace", true)))
        return InvalidOid;
    return get_namespace_oid("trace", true);
}

/* ------------------------------------------------------------- index scans */

void
pt_seqscan_begin(PtSeqScan *s, PtLedgerRel *lr, Relation heap, Snapshot snap,
                 int64 lo, int64 hi)
{
    if (!OidIsValid(lr->indexoid))
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("ledger table \"%s\" has no unique index on %s",
                        RelationGetRelationName(heap), PT_COL_SEQ),
                 errdetail("trace.ledger_enable() creates one; it must not be dropped.")));
    s->heap = heap;
    s->index = index_open(lr->indexoid, AccessShareLock);
    s->scan = index_beginscan(heap, s->index, snap, 2, 0);
    s->slot = table_slot_create(heap, NULL);
    pt_seqscan_rescan(s, lo, hi);
}

/* Restart an open scan on [lo, hi); hi = PT_SEQ_NO_LIMIT: no upper bound. */
void
pt_seqscan_rescan(PtSeqScan *s, int64 lo, int64 hi)
{
    ScanKeyData keys[2];

    /* always two keys: btree keeps the key count of index_beginscan */
    ScanKeyInit(&keys[0], 1, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(lo));
    if (hi == PT_SEQ_NO_LIMIT)
        ScanKeyInit(&keys[1], 1, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(PG_INT64_MAX));
    else
        ScanKeyInit(&keys[1], 1, BTLessStrategyNumber, F_INT8LT, Int64GetDatum(hi));
    index_rescan(s->scan, keys, 2, NULL, 0);
}

bool
pt_seqscan_next(PtSeqScan *s, Datum **values, bool **nulls)
{
    if (!index_getnext_slot(s->scan, ForwardScanDirection, s->slot))
        return false;
    slot_getallattrs(s->slot);
    *values = s->slot->tts_values;
    *nulls = s->slot->tts_isnull;
    return true;
}

void
pt_seqscan_end(PtSeqScan *s)
{
    index_endscan(s->scan);
    ExecDropSingleTupleTableSlot(s->slot);
    index_close(s->index, AccessShareLock);
}

/* ---------------------------------------------------------------- triggers */

/* How the row was collected: pgtrace.collection_method, else application_name. */
static const char *
collection_method(void)
{
    if (pt_collection_method && pt_collection_method[0])
        return pt_collection_method;
    return (application_name && application_name[0]) ? application_name : NULL;
}

/*
 * What the insert trigger writes into the who/how columns of every row, kept
 * as ready text datums between rows: the session user and the collection
 * method rarely change, and looking them up (a syscache probe, a GUC search)
 * and copying them for each row of a bulk load cost more than hashing it.
 */
typedef struct RowMetaCache
{
    Oid         user;
    Datum       user_text;      /* in TopMemoryContext */
    char       *method;         /* NULL: none */
    Datum       method_text;
    bool        method_valid;
} RowMetaCache;

static RowMetaCache rowmeta = {InvalidOid, (Datum) 0, NULL, (Datum) 0, false};

static Datum
cached_user_text(void)
{
    Oid         user = GetSessionUserId();

    if (user != rowmeta.user || rowmeta.user_text == (Datum) 0)
    {
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
        Datum       t = CStringGetTextDatum(GetUserNameFromId(user, false));

        MemoryContextSwitchTo(old);
        if (rowmeta.user_text != (Datum) 0)
            pfree(DatumGetPointer(rowmeta.user_text));
        rowmeta.user_text = t;
        rowmeta.user = user;
    }
    return rowmeta.user_text;
}

/* The method as a text datum (false when there is none). */
static bool
cached_method_text(Datum *out)
{
    const char *m = collection_method();

    if (!rowmeta.method_valid
        || (m == NULL) != (rowmeta.method == NULL)
        || (m != NULL && strcmp(m, rowmeta.method) != 0))
    {
        MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

        if (rowmeta.method)
            pfree(rowmeta.method);
        if (rowmeta.method_text != (Datum) 0)
            pfree(DatumGetPointer(rowmeta.method_text));
        rowmeta.method = m ? pstrdup(m) : NULL;
        rowmeta.method_text = m ? CStringGetTextDatum(m) : (Datum) 0;
        rowmeta.method_valid = true;
        MemoryContextSwitchTo(old);
    }
    *out = rowmeta.method_text;
    return rowmeta.method != NULL;
}

/*
 * Retain-until for a row recorded at `at` under a ledger whose retention is
 * the interval text `retention`: at + retention counted in UTC, as a date.
 * The parsed interval and the last answer are kept in lr (one transaction
 * start serves a whole bulk load).
 */
static DateADT
retain_until(PtLedgerRel *lr, const char *retention, TimestampTz at)
{
    Timestamp   until;
    int64       days;

    if (!lr->has_retention || strcmp(lr->retention_text, retention) != 0)
    {
        Interval   *iv = DatumGetIntervalP(DirectFunctionCall3(interval_in,
                                                               CStringGetDatum(retention),
                                                               ObjectIdGetDatum(InvalidOid),
                                                               Int32GetDatum(-1)));

        lr->retention = *iv;
        lr->retention_text = MemoryContextStrdup(lr->cxt, retention);
        lr->has_retention = true;
        lr->retain_valid = false;
    }
    if (lr->retain_valid && lr->retain_at == at)
        return lr->retain_date;
    until = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
                                                  TimestampGetDatum((Timestamp) at),
                                                  IntervalPGetDatum(&lr->retention)));
    days = until / USECS_PER_DAY;
    if (until < 0 && until % USECS_PER_DAY != 0)
        days--;
    lr->retain_at = at;
    lr->retain_date = (DateADT) days;
    lr->retain_valid = true;
    return lr->retain_date;
}

/*
 * A row that arrived with its own seq (replication, re-import) must not make
 * a later local insert collide with it: move the sequence past it.
 */
static void
keep_sequence_ahead(PtLedgerRel *lr, int64 seq)
{
    LOCAL_FCINFO(fcinfo, 1);
    Datum       last;

    if (!OidIsValid(lr->seqoid))
        return;
    /* a writer without rights on the sequence keeps the old behaviour */
    if (pg_class_aclcheck(lr->seqoid, GetUserId(), ACL_SELECT | ACL_USAGE) != ACLCHECK_OK
        || pg_class_aclcheck(lr->seqoid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
        return;
    InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
    fcinfo->args[0].value = ObjectIdGetDatum(lr->seqoid);
    fcinfo->args[0].isnull = false;
    last = pg_sequence_last_value(fcinfo);
    if (fcinfo->isnull || DatumGetInt64(last) < seq)
        DirectFunctionCall2(setval_oid, ObjectIdGetDatum(lr->seqoid), Int64GetDatum(seq));
}

/* The 32-byte hash as a bytea datum (palloc'd in the current context). */
static Datum
hash_datum(const uint8 hash[LEDGER_HASH_LEN])
{
    bytea      *hb = palloc(VARHDRSZ + LEDGER_HASH_LEN);

    SET_VARSIZE(hb, VARHDRSZ + LEDGER_HASH_LEN);
    memcpy(VARDATA(hb), hash, LEDGER_HASH_LEN);
    return PointerGetDatum(hb);
}

/*
 * The ledger of the last trigger call: a bulk load fires the trigger once
 * per row on the same table, so the hash-table probe of pt_ledger_rel() is
 * skipped while that entry stays valid (an invalidation clears lr->valid;
 * entries are never removed from the hash table, so the pointer stays good).
 */
static PtLedgerRel *last_lr = NULL;

PtLedgerRel *
pt_ledger_trigger_rel(Relation rel, Trigger *trig)
{
    if (last_lr && last_lr->valid && last_lr->relid == RelationGetRelid(rel)
        && last_lr->natts == RelationGetDescr(rel)->natts
        && strcmp(last_lr->name, trig->tgargs[0]) == 0
        && strcmp(ledger_alg_name(last_lr->alg), trig->tgargs[1]) == 0)
        return last_lr;
    last_lr = pt_ledger_rel(rel, trig->tgargs[0], trig->tgargs[1]);
    return last_lr;
}

/*
 * May a row arrive with its ledger columns already set? Only from a logical
 * replication apply worker (it runs with session_replication_role = replica)
 * or from a superuser session (pg_restore loads the extension's own ledger
 * tables after CREATE EXTENSION made their triggers): both session and
 * current user must be superusers, so a SECURITY DEFINER function does not
 * lend the right to its callers.
 */
static bool
supplied_rows_allowed(void)
{
    if (SessionReplicationRole == SESSION_REPLICATION_ROLE_REPLICA)
        return true;
    return superuser() && superuser_arg(GetSessionUserId());
}

/*
 * Complete a row about to be inserted into a ledger table (values/nulls
 * indexed by attnum - 1, changed in place; new values are palloc'd in the
 * current memory context): its seq, who/when/how, retain-until (retention is
 * the interval text of the ledger, '' for none), then its hash. A row that
 * arrives already carrying seq and hash (pg_restore, a logical replication
 * subscriber; nobody else, see supplied_rows_allowed) is checked instead —
 * its hash must recompute equal and its seq lie above the sealed floor — and
 * left as it is: then false is returned.
 * Used by the insert trigger and by the COPY path (ledger_copy.c).
 */
bool
pt_ledger_fill_row(PtLedgerRel *lr, Relation rel, const char *retention,
                   Datum *values, bool *nulls, PtSeqBlock *blk)
{
    uint8       hash[LEDGER_HASH_LEN];
    int64       seq;

    if (!nulls[lr->hash_att - 1])
    {
        int64       floor;

        /*
         * A row that already carries its hash (and with it its seq, who, when
         * and how): only a restore or a replication apply may bring one.
         * Anyone else would be writing the ledger's own columns.
         */
        if (!supplied_rows_allowed())
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("a row of ledger table \"%s\" may not carry its own ledger_hash",
                            RelationGetRelationName(rel)),
                     errdetail("Only a superuser (restoring a dump) or a logical replication apply worker"
                               " (session_replication_role = replica) may insert rows with ledger_seq, ledger_hash"
                               " and the recorded who, when and how already set."),
                     errhint("Leave the ledger_* columns out; the ledger fills them.")));
        /* A row that already carries its hash: accept it only if it is right. */
        if (!pt_ledger_hash_matches(lr, values, nulls, hash))
            ereport(ERROR,
                    (errcode(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION),
                     errmsg("row of ledger table \"%s\" carries a ledger_hash that does not match its contents",
                            RelationGetRelationName(rel)),
                     errdetail("A row may arrive with ledger_seq and ledger_hash set (restore, replication) only when the hash recomputes equal."),
                     errhint("Leave ledger_hash NULL to let the ledger assign it.")));
        /* Below the floor every seq is resolved: no row may appear there. */
        floor = pt_ledger_seal_floor(RelationGetRelid(rel));
        if (DatumGetInt64(values[lr->seq_att - 1]) <= floor)
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("row of ledger table \"%s\" carries ledger_seq " INT64_FORMAT
                            ", at or below the ledger's sealed floor " INT64_FORMAT,
                            RelationGetRelationName(rel), DatumGetInt64(values[lr->seq_att - 1]), floor),
                     errdetail("Every seq up to the floor is sealed or closed; a row appearing there would be reported as inserted.")));
        keep_sequence_ahead(lr, DatumGetInt64(values[lr->seq_att - 1]));
        return false;
    }

    if (!OidIsValid(lr->seqoid))
        ereport(ERROR,
                (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                 errmsg("ledger table \"%s\" has no sequence owned by %s",
                        RelationGetRelationName(rel), PT_COL_SEQ)));

    /*
     * Take the transaction id before the sequence number: the sealer relies
     * on every holder of a seq having an xid older than any xid handed out
     * after that seq (ledger_seal.c, "horizon").
     */
    (void) GetTopTransactionId();
    /* a batched statement takes its numbers in blocks (ledger_seqblock.c) */
    seq = blk ? pt_ledger_seq_next(lr->seqoid, blk) : nextval_internal(lr->seqoid, false);

    values[lr->seq_att - 1] = Int64GetDatum(seq);
    nulls[lr->seq_att - 1] = false;
    nulls[lr->by_att - 1] = false;
    nulls[lr->at_att - 1] = false;
    if (creating_extension)
    {
        /*
         * Rows written by the extension's own script (seed data) get fixed
         * metadata, so that CREATE EXTENSION during a restore recreates them,
         * and the blocks sealing them, bit for bit.
         */
        values[lr->by_att - 1] = CStringGetTextDatum("pgtrace");
        values[lr->at_att - 1] = TimestampTzGetDatum(PT_INSTALL_TIME);
        values[lr->method_att - 1] = CStringGetTextDatum("CREATE EXTENSION");
        nulls[lr->method_att - 1] = false;
    }
    else
    {
        values[lr->by_att - 1] = cached_user_text();
        values[lr->at_att - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
        nulls[lr->method_att - 1] = !cached_method_text(&values[lr->method_att - 1]);
    }
    if (retention[0] != '\0')
    {
        /*
         * The ledger's retention is a floor: retain-until = start of
         * transaction + retention (counted in UTC) unless the writer gives a
         * later date; an earlier one is refused.
         */
        DateADT     floor = retain_until(lr, retention, DatumGetTimestampTz(values[lr->at_att - 1]));

        if (nulls[lr->retain_att - 1])
        {
            values[lr->retain_att - 1] = DateADTGetDatum(floor);
            nulls[lr->retain_att - 1] = false;
        }
        else if (DatumGetDateADT(values[lr->retain_att - 1]) < floor)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("ledger_retain_until %s of a row of ledger table \"%s\" is before its retention allows (%s)",
                            DatumGetCString(DirectFunctionCall1(date_out, values[lr->retain_att - 1])),
                            RelationGetRelationName(rel),
                            DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(floor)))),
                     errdetail("The ledger keeps its rows for %s from when they are recorded; a writer may only extend that.",
                               retention),
                     errhint("Leave ledger_retain_until out, or give a later date.")));
    }

    pt_ledger_rehash(lr, values, nulls, seq, hash);
    values[lr->hash_att - 1] = hash_datum(hash);
    nulls[lr->hash_att - 1] = false;
    return true;
}

PG_FUNCTION_INFO_V1(pt_ledger_insert_trigger);
/*
 * BEFORE INSERT FOR EACH ROW on a ledger table (ENABLE ALWAYS).
 * Arguments: ledger name, hash algorithm, retention interval ('' for none).
 * The row is completed by pt_ledger_fill_row. Its values are taken from the
 * trigger slot (already deformed by the executor) rather than by deforming
 * the trigger tuple again.
 */
Datum
pt_ledger_insert_trigger(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;
    Relation    rel;
    TupleDesc   desc;
    PtLedgerRel *lr;
    Datum      *values;
    bool       *nulls;
    int         natts;

    if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event)
        || !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !TRIGGER_FIRED_BY_INSERT(td->tg_event)
        || td->tg_trigger->tgnargs < 3)
        ereport(ERROR,
                (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                 errmsg("pt_ledger_insert_trigger must run BEFORE INSERT FOR EACH ROW with 3 arguments")));

    rel = td->tg_relation;
    desc = RelationGetDescr(rel);
    natts = desc->natts;
    lr = pt_ledger_trigger_rel(rel, td->tg_trigger);

    values = palloc(sizeof(Datum) * natts);
    nulls = palloc(sizeof(bool) * natts);
    if (td->tg_trigslot != NULL)
    {
        slot_getallattrs(td->tg_trigslot);
        memcpy(values, td->tg_trigslot->tts_values, sizeof(Datum) * natts);
        memcpy(nulls, td->tg_trigslot->tts_isnull, sizeof(bool) * natts);
    }
    else
        heap_deform_tuple(td->tg_trigtuple, desc, values, nulls);

    if (!pt_ledger_fill_row(lr, rel, td->tg_trigger->tgargs[2], values, nulls, NULL))
        return PointerGetDatum(td->tg_trigtuple);
    return PointerGetDatum(heap_form_tuple(desc, values, nulls));
}

PG_FUNCTION_INFO_V1(pt_ledger_refuse_trigger);
/*
 * BEFORE UPDATE OR DELETE OR TRUNCATE FOR EACH STATEMENT (ENABLE ALWAYS):
 * ledger tables are append-only for every role. trace.purge() alone may
 * delete, and only rows past their retention.
 */
Datum
pt_ledger_refuse_trigger(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;
    const char *op;

    if (!CALLED_AS_TRIGGER(fcinfo))
        ereport(ERROR,
                (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                 errmsg("pt_ledger_refuse_trigger must be called as a trigger")));
    if (TRIGGER_FIRED_BY_DELETE(td->tg_event)
        && pt_purging_relid == RelationGetRelid(td->tg_relation))
        return PointerGetDatum(NULL);

    if (TRIGGER_FIRED_BY_UPDATE(td->tg_event))
        op = "UPDATE";
    else if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
        op = "DELETE";
    else if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
        op = "TRUNCATE";
    else
        op = "this command";
    ereport(ERROR,
            (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
             errmsg("%s on ledger table \"%s\" is not allowed", op,
                    RelationGetRelationName(td->tg_relation)),
             errdetail("Ledger tables are append-only for every role, owner and superuser included."),
             errhint("Record a correction as a new row that supersedes the old one; rows past retention are removed by trace.purge().")));
    PG_RETURN_NULL();
}

/* set by break_glass_drop while it unregisters a ledger (ledger_hook.c) */
Oid         pt_unregistering_relid = InvalidOid;

PG_FUNCTION_INFO_V1(pt_ledger_tables_guard);
/*
 * BEFORE UPDATE OR DELETE FOR EACH ROW on trace.ledger_tables (ENABLE
 * ALWAYS). The registry of ledgers is bookkeeping that verification relies
 * on: a ledger's registration never changes, only the sealer's state
 * (seal_floor, which never goes down, horizon_upto, horizon_xid) moves; a
 * row is deleted only by a break-glass drop of its table.
 */
Datum
pt_ledger_tables_guard(PG_FUNCTION_ARGS)
{
    TriggerData *td = (TriggerData *) fcinfo->context;
    TupleDesc   desc;
    HeapTuple   oldt;
    HeapTuple   newt;
    bool        isnull;
    int         i;
    static const char *const fixed[] = {"relid", "ledger_name", "hash_algorithm", "retention",
    "enabled_at", "enabled_by"};

    if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(td->tg_event)
        || !TRIGGER_FIRED_BEFORE(td->tg_event))
        ereport(ERROR,
                (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                 errmsg("pt_ledger_tables_guard must run BEFORE UPDATE OR DELETE FOR EACH ROW")));
    desc = RelationGetDescr(td->tg_relation);
    oldt = td->tg_trigtuple;
    if (TRIGGER_FIRED_BY_DELETE(td->tg_event))
    {
        Datum       relid = heap_getattr(oldt, 1, desc, &isnull);

        if (OidIsValid(pt_unregistering_relid) && !isnull
            && DatumGetObjectId(relid) == pt_unregistering_relid)
            return PointerGetDatum(oldt);
        ereport(ERROR,
                (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                 errmsg("DELETE on ledger table \"%s\" is not allowed", RelationGetRelationName(td->tg_relation)),
                 errdetail("A ledger stays registered; only a break-glass drop of its table unregisters it (recorded in trace.ledger_events)."),
                 errhint("See pgtrace.break_glass in docs/ledger.md.")));
    }
    if (!TRIGGER_FIRED_BY_UPDATE(td->tg_event))
        return PointerGetDatum(oldt);
    newt = td->tg_newtuple;
    for (i = 0; i < (int) lengthof(fixed); i++)
    {
        AttrNumber  att = SPI_fnumber(desc, fixed[i]);
        Form_pg_attribute a;
        bool        n1;
        bool        n2;
        Datum       d1;
        Datum       d2;

        if (att <= 0)
            continue;
        a = TupleDescAttr(desc, att - 1);
        d1 = heap_getattr(oldt, att, desc, &n1);
        d2 = heap_getattr(newt, att, desc, &n2);
        if (n1 != n2 || (!n1 && !datumIsEqual(d1, d2, a->attbyval, a->attlen)))
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("UPDATE of column \"%s\" of ledger table \"%s\" is not allowed",
                            fixed[i], RelationGetRelationName(td->tg_relation)),
                     errdetail("A ledger's registration is fixed; only the sealer's state (seal_floor, horizon_upto, horizon_xid, horizon_at) changes.")));
    }
    {
        AttrNumber  att = SPI_fnumber(desc, "seal_floor");
        bool        n1;
        bool        n2;
        Datum       d1 = heap_getattr(oldt, att, desc, &n1);
        Datum       d2 = heap_getattr(newt, att, desc, &n2);

        if (!n1 && (n2 || DatumGetInt64(d2) < DatumGetInt64(d1)))
            ereport(ERROR,
                    (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                     errmsg("lowering seal_floor in ledger table \"%s\" is not allowed",
                            RelationGetRelationName(td->tg_relation)),
                     errdetail("Every seq up to the floor is resolved; a lower floor would let rows appear there unreported.")));
    }
    return PointerGetDatum(newt);
}

PG_FUNCTION_INFO_V1(pt_ledger_row_hash_sql);
/*
 * trace._ledger_rehash(tbl regclass, seq bigint) → bytea: recompute the
 * hash of one stored row (for tests and inspection).
 */
Datum
pt_ledger_row_hash_sql(PG_FUNCTION_ARGS)
{
    Oid         relid = PG_GETARG_OID(0);
    int64       seq = PG_GETARG_INT64(1);
    text       *name = PG_GETARG_TEXT_PP(2);
    text       *alg = PG_GETARG_TEXT_PP(3);
    Relation    rel = table_open(relid, AccessShareLock);
    PtLedgerRel *lr = pt_ledger_rel(rel, text_to_cstring(name), text_to_cstring(alg));
    PtSeqScan   s;
    Datum      *values;
    bool       *nulls;
    uint8       hash[LEDGER_HASH_LEN];
    bool        got = false;
    bytea      *out = NULL;

    pt_seqscan_begin(&s, lr, rel, GetActiveSnapshot(), seq, seq + 1);
    if (pt_seqscan_next(&s, &values, &nulls))
    {
        pt_ledger_rehash(lr, values, nulls, seq, hash);
        got = true;
    }
    pt_seqscan_end(&s);
    table_close(rel, AccessShareLock);
    if (!got)
        PG_RETURN_NULL();
    out = palloc(VARHDRSZ + LEDGER_HASH_LEN);
    SET_VARSIZE(out, VARHDRSZ + LEDGER_HASH_LEN);
    memcpy(VARDATA(out), hash, LEDGER_HASH_LEN);
    PG_RETURN_BYTEA_P(out);
}

PG_FUNCTION_INFO_V1(pt_ledger_backfill_hash_sql);
/*
 * trace._ledger_backfill_hash(tbl, ledger, alg, r, seq, by, at, method,
 * retain_until) → bytea: the hash of a row that existed before
 * trace.ledger_enable() put its table under the ledger. r is the stored row
 * (its ledger columns still NULL); the other arguments are the ledger values
 * ledger_enable writes into it in the same UPDATE. Hashes exactly as the
 * insert trigger does for a new row.
 */
Datum
pt_ledger_backfill_hash_sql(PG_FUNCTION_ARGS)
{
    Oid         relid = PG_GETARG_OID(0);
    Relation    rel;
    TupleDesc   desc;
    PtLedgerRel *lr;
    HeapTupleHeader th;
    HeapTupleData tup;
    Datum      *values;
    bool       *nulls;
    uint8       hash[LEDGER_HASH_LEN];
    int         i;

    for (i = 0; i <= 6; i++)
        if (PG_ARGISNULL(i))
            ereport(ERROR,
                    (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                     errmsg("trace._ledger_backfill_hash: argument %d must not be NULL", i + 1)));
    rel = table_open(relid, AccessShareLock);
    if (!pg_class_ownercheck(relid, GetUserId()))
        aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
    desc = RelationGetDescr(rel);
    lr = pt_ledger_rel(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)), text_to_cstring(PG_GETARG_TEXT_PP(2)));
    th = PG_GETARG_HEAPTUPLEHEADER(3);
    if (HeapTupleHeaderGetTypeId(th) != rel->rd_rel->reltype)
        ereport(ERROR,
                (errcode(ERRCODE_DATATYPE_MISMATCH),
                 errmsg("trace._ledger_backfill_hash: the row is not a row of table \"%s\"",
                        RelationGetRelationName(rel))));
    tup.t_len = HeapTupleHeaderGetDatumLength(th);
    ItemPointerSetInvalid(&tup.t_self);
    tup.t_tableOid = relid;
    tup.t_data = th;
    values = palloc(sizeof(Datum) * desc->natts);
    nulls = palloc(sizeof(bool) * desc->natts);
    heap_deform_tuple(&tup, desc, values, nulls);

    values[lr->seq_att - 1] = PG_GETARG_DATUM(4);
    nulls[lr->seq_att - 1] = false;
    values[lr->by_att - 1] = PG_GETARG_DATUM(5);
    nulls[lr->by_att - 1] = false;
    values[lr->at_att - 1] = PG_GETARG_DATUM(6);
    nulls[lr->at_att - 1] = false;
    values[lr->method_att - 1] = PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7);
    nulls[lr->method_att - 1] = PG_ARGISNULL(7);
    values[lr->retain_att - 1] = PG_ARGISNULL(8) ? (Datum) 0 : PG_GETARG_DATUM(8);
    nulls[lr->retain_att - 1] = PG_ARGISNULL(8);

    pt_ledger_rehash(lr, values, nulls, PG_GETARG_INT64(4), hash);
    table_close(rel, AccessShareLock);
    PG_RETURN_DATUM(hash_datum(hash));
}

PG_FUNCTION_INFO_V1(pt_ledger_hooks_active_sql);
Datum
pt_ledger_hooks_active_sql(PG_FUNCTION_ARGS)
{
    PG_RETURN_BOOL(pt_ledger_hooks_active);
}

PG_FUNCTION_INFO_V1(pt_ledger_bulk_batched_sql);
/*
 * trace._ledger_bulk_batched(): are INSERT ... SELECT and COPY into ledger
 * tables batched in this backend (ledger_insert.c, ledger_copy.c)? Not when
 * another extension installed its hook before pgtrace's.
 */
Datum
pt_ledger_bulk_batched_sql(PG_FUNCTION_ARGS)
{
    PG_RETURN_BOOL(pt_ledger_insert_batched() && pt_ledger_copy_batched());
}

/* ------------------------------------------------------------------- init */

void
pt_ledger_init(void)
{
    DefineCustomStringVariable("pgtrace.collection_method",
                               "How ledger rows are collected (recorded in ledger_method and hashed).",
                               "When empty, application_name is recorded.",
                               &pt_collection_method, "", PGC_USERSET, 0, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.seal_interval",
                            "Milliseconds between two runs of the background ledger sealer.",
                            "Rows are sealed within about this long after they commit (plus the time sealing takes).",
                            &pt_seal_interval_ms, 250, 10, 3600 * 1000,
                            PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
    DefineCustomStringVariable("pgtrace.database",
                               "Database in which the background ledger sealer runs.",
                               NULL, &pt_sealer_database, "postgres", PGC_POSTMASTER, 0,
                               NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.seal_pending_limit",
                            "Seconds a committed ledger row may stay unsealed before trace.verify() reports it.",
                            NULL, &pt_pending_limit_s, 60, 0, INT_MAX,
                            PGC_USERSET, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomIntVariable("pgtrace.subscriber_floor_delay",
                            "Seconds the sealer holds back the floor of a ledger table a logical-replication subscription writes.",
                            "A publisher transaction that took its seq this long before it committed still arrives above the floor.",
                            &pt_subscriber_floor_delay_s, 600, 0, INT_MAX,
                            PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
    DefineCustomBoolVariable("pgtrace.checkpoint_verify",
                             "trace.checkpoint() verifies every ledger first and warns about those that fail.",
                             "A full verification per checkpoint; turn it off for frequent checkpoints of large ledgers.",
                             &pt_checkpoint_verify, true, PGC_USERSET, 0, NULL, NULL, NULL);
    DefineCustomBoolVariable("pgtrace.break_glass",
                             "Allow removing a ledger table or the extension past retention (recorded).",
                             NULL, &pt_break_glass, false, PGC_SUSET, 0, NULL, NULL, NULL);

    /* batched INSERT ... SELECT: an optimisation, so also when loaded late */
    pt_ledger_install_insert_hook();
    if (pt_preloaded)
    {
        pt_ledger_install_hooks();
        pt_ledger_register_sealer();
    }
}
