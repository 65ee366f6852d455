/*
 * ledger_purge.c — retention (clause 8.5): trace.purge() removes ledger rows
 * past their retain-until date and keeps their hashes as tombstones, so that
 * trace.verify() still checks every sealed position. Nothing else deletes
 * ledger rows: the refusal trigger lets a DELETE through only while this file
 * runs one, on the one table it is purging.
 */
#include "ledger_pg.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(pt_ledger_purge_sql);

/* Run the DELETE with the refusal trigger opened for this table only. */
static uint64
purge_delete(Oid relid, const char *q, Oid *types, Datum *args)
{
    uint64      n = 0;

    pt_purging_relid = relid;
    PG_TRY();
    {
        if (SPI_execute_with_args(q, 1, types, args, NULL, false, 0) != SPI_OK_DELETE)
            elog(ERROR, "pgtrace ledger: purge delete failed");
        n = SPI_processed;
    }
    PG_FINALLY();
    {
        pt_purging_relid = InvalidOid;
    }
    PG_END_TRY();
    return n;
}

/*
 * trace._ledger_purge(tbl regclass, before date) → bigint: remove the rows of
 * one ledger whose ledger_retain_until is before both `before` and today,
 * that are sealed, and whose stored hash still recomputes equal. Their hash
 * goes to trace.ledger_tombstones first. Returns the number removed.
 */
Datum
pt_ledger_purge_sql(PG_FUNCTION_ARGS)
{
    Oid         relid = PG_GETARG_OID(0);
    Datum       before = PG_GETARG_DATUM(1);
    char       *name;
    char       *alg;
    char       *qname;
    char       *q;
    uint64      marked;
    uint64      deleted;

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
    if (get_rel_name(relid) == NULL)
        ereport(ERROR,
                (errcode(ERRCODE_UNDEFINED_TABLE),
                 errmsg("the table of ledger \"%s\" no longer exists", name)));
    qname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));

    q = psprintf("INSERT INTO trace.ledger_tombstones (ledger, seq, row_hash, retain_until)"
                 " SELECT $1, t.ledger_seq, t.ledger_hash, t.ledger_retain_until FROM %s t"
                 " WHERE t.ledger_retain_until < $2 AND t.ledger_retain_until < CURRENT_DATE"
                 " AND t.ledger_seq OPERATOR(pg_catalog.<@) COALESCE((SELECT pg_catalog.range_agg(r)"
                 "   FROM trace.ledger_blocks b, pg_catalog.unnest(b.members) r WHERE b.ledger = $1),"
                 "   '{}'::pg_catalog.int8multirange)"
                 " AND t.ledger_hash = trace._ledger_rehash($4, t.ledger_seq, $1, $3)"
                 " ON CONFLICT DO NOTHING",
                 qname);
    {
        Oid         t[4] = {TEXTOID, DATEOID, TEXTOID, OIDOID};
        Datum       a[4] = {CStringGetTextDatum(name), before, CStringGetTextDatum(alg),
        ObjectIdGetDatum(relid)};

        if (SPI_execute_with_args(q, 4, t, a, NULL, false, 0) != SPI_OK_INSERT)
            elog(ERROR, "pgtrace ledger: writing tombstones failed");
        marked = SPI_processed;
    }

    q = psprintf("DELETE FROM %s t USING trace.ledger_tombstones d"
                 " WHERE d.ledger = $1 AND d.seq = t.ledger_seq AND d.row_hash = t.ledger_hash", qname);
    {
        Oid         t[1] = {TEXTOID};
        Datum       a[1] = {CStringGetTextDatum(name)};

        deleted = purge_delete(relid, q, t, a);
    }
    if (deleted < marked)
        elog(ERROR, "pgtrace ledger: purge removed " UINT64_FORMAT " rows of " UINT64_FORMAT " marked",
             deleted, marked);
    SPI_finish();
    PG_RETURN_INT64((int64) deleted);
}
