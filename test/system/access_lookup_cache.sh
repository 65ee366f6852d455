#!/bin/bash
# trace.lookup across sessions (issue 5): a correction committed by another
# session reaches a session's cached lookup parts at its next lookup; with
# pgtrace preloaded, lookups queue their access-log entries and the background
# sealer writes them (in order, with role, login role, client address,
# application and result; also for rolled-back and read-only transactions),
# the lookup itself writing nothing; regulator reads (also rolled back ones, and
# INSERT ... SELECT) are queued the same way; with pgtrace.access_log_buffer = 0 every
# lookup writes its own row; a tiny queue loses nothing.
. "$(dirname "$0")/common.bash" access-lookup


eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.seal_interval = 200")"
pgdata=$work/pg/data
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
restart() {   # restart the server with extra settings
    as_server_user "$PT_PGBIN/pg_ctl" -D "$pgdata" -l "$work/pg/server.log" -w -t 60 -m fast \
        -o "$*" restart >/dev/null
}

q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "UA==", "media_type": "application/pdf"}}');
SELECT trace.register_unit('{"uscc": "92110105MA01ABC2DR", "roles": ["seller"], "unit_name": "北京示例五金店",
    "address": "北京市示例街3号", "contact": "+86 10 5555 0000",
    "business_license": {"content_base64": "Uw==", "media_type": "application/pdf"}}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1",
    "mandatory_standards": "GB 16410-2020", "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bQ==", "media_type": "application/pdf"}}');
SELECT trace.commission('{"trace_code": "(01)06901234567892(21)U1", "production_date": "2026-06-01",
    "serial_or_batch": "B1", "inspection_report": {"content_base64": "cg==", "media_type": "text/plain"}}');
SELECT trace.record_sale('{"uscc": "91330100MA2H3K5L19", "trace_code": "(01)06901234567892(21)U1",
    "sale_time": "2026-06-02T10:00:00+08:00", "buyer_name": "北京示例五金店", "buyer_address": "北京市示例街3号",
    "buyer_contact": "+86 10 5555 0000", "buyer_uscc": "92110105MA01ABC2DR"}');
SELECT trace.record_purchase('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)U1",
    "supplier_name": "杭州示例燃气具有限公司", "supplier_uscc": "91330100MA2H3K5L19",
    "purchase_time": "2026-06-03T09:00:00+08:00", "quantity": 1}');
SELECT trace.record_sale('{"uscc": "92110105MA01ABC2DR", "trace_code": "(01)06901234567892(21)U1",
    "sold_time": "2026-06-04T15:00:00+08:00", "customer_name": "个人消费者"}');
CREATE ROLE pub LOGIN IN ROLE trace_public;
SQL

code='(01)06901234567892(21)U1'
# --- one session keeps its caches while another session corrects the records
out=$(q -U pub <<SQL
SELECT trace.lookup('$code') #>> '{producer,address}';
SELECT trace.lookup('$code') #>> '{product,spec_model}';
\! psql -X -q -v ON_ERROR_STOP=1 -U postgres -c "SET pgtrace.reference_time = '2026-06-30 12:00:00+08'" -c "SELECT trace.correct('unit', (SELECT record_id FROM trace.units WHERE uscc::text = '91330100MA2H3K5L19'), '{\"address\": \"杭州市新示例路100号\"}', 'moved')" -c "SELECT trace.correct('product', (SELECT product_id FROM trace.products), '{\"spec_model\": \"JZT-2-A2\"}', 'renamed')" >/dev/null
SELECT trace.lookup('$code') #>> '{producer,address}';
SELECT trace.lookup('$code') #>> '{product,spec_model}';
SQL
)
is "$(echo "$out" | tr '\n' '|')" "杭州市示例路1号|JZT-2-A1|杭州市新示例路100号|JZT-2-A2|" \
    "a session's next lookup answers another session's committed corrections"
out=$(q -U pub -c "SELECT trace._acc_lookup_sql('$code'::trace.code)" 2>&1)
echo "$out" | grep -q "permission denied for function _acc_lookup_sql"
ok $? "the reference query itself is not executable by trace_public"
is "$(q -c "SELECT trace.lookup('$code') = trace._acc_lookup_sql('$code'::trace.code)")" "t" \
    "and the lookup equals the reference query after the corrections"

# --- queued access log (pgtrace preloaded, sealer in this database)
q -c "SELECT trace.access_log_flush(10000)" >/dev/null
before=$(q -c "SELECT coalesce(max(id), 0) FROM trace.access_log")
out=$(PGAPPNAME=consumer-app q -h 127.0.0.1 -U pub <<SQL
SELECT trace.lookup('$code') IS NOT NULL;
SELECT pg_catalog.pg_current_xact_id_if_assigned() IS NULL;
BEGIN;
SELECT trace.lookup('(01)06901234567892(21)NOSUCH') IS NULL;
SELECT pg_catalog.pg_current_xact_id_if_assigned() IS NULL;
ROLLBACK;
BEGIN READ ONLY;
SELECT trace.lookup(']d2010690123456789221U1') IS NOT NULL;
COMMIT;
SQL
)
is "$(echo "$out" | tr '\n' '|')" "t|t|t|t|t|" \
    "lookups answer, and a lookup does not make its transaction a writing one (no transaction id)"
is "$(q -c "SELECT trace.access_log_flush(10000)")" "t" "trace.access_log_flush() sees the queue written"
is "$(q -c "SELECT string_agg(concat_ws(',', role_name, session_role, action, object, host(client_addr), application, detail ->> 'found'), '|' ORDER BY id)
            FROM trace.access_log WHERE application = 'consumer-app'")" \
   "pub,pub,lookup,$code,127.0.0.1,consumer-app,true|pub,pub,lookup,(01)06901234567892(21)NOSUCH,127.0.0.1,consumer-app,false|pub,pub,lookup,$code,127.0.0.1,consumer-app,true" \
   "the sealer wrote the three lookups in order: role, login role, code, client address, application, result (also the rolled-back and the read-only one)"
is "$(q -c "SELECT count(*) FROM trace.access_log WHERE id > $before")" "3" "and nothing else"
is "$(q -c "SELECT count(*) || ' ' || sum(pg_catalog.cardinality(entry_id)) FROM trace.access_log_batch
            WHERE 'consumer-app' = ANY (application)")" "1 3" \
   "the three queued lookups share one ledger row of trace.access_log_batch"
q -c "SELECT trace.seal()" >/dev/null
is "$(q -c "SELECT trace.verify() ->> 'ok'")" "true" "the access log written by the sealer verifies clean"

is "$(q -c "SELECT trace.status() -> 'access' ->> 'access_log_queue'")" "true" "trace.status() says the queue serves this database"

# --- regulator reads go through the queue too: rolled back, they stay logged;
# INSERT ... SELECT is a read; a long list of relations is split, not lost
q -c "CREATE ROLE reg LOGIN IN ROLE trace_regulator" >/dev/null
before_reg=$(q -c "SELECT coalesce(max(id), 0) FROM trace.access_log")
out=$(PGAPPNAME=regulator-app q -U reg <<SQL
BEGIN;
SELECT count(*) FROM trace.flow_record;
ROLLBACK;
CREATE TEMP TABLE loot (b text);
BEGIN;
INSERT INTO loot SELECT buyer_name FROM trace.flow_record;
ROLLBACK;
BEGIN;
SELECT trace.history('$code') IS NOT NULL;
ROLLBACK;
SELECT (SELECT count(*) FROM trace.items) + (SELECT count(*) FROM trace.flows) + (SELECT count(*) FROM trace.units)
     + (SELECT count(*) FROM trace.products) + (SELECT count(*) FROM trace.documents) + (SELECT count(*) FROM trace.package_events)
     + (SELECT count(*) FROM trace.corrections) + (SELECT count(*) FROM trace.retention) + (SELECT count(*) FROM trace.categories)
     + (SELECT count(*) FROM trace.operator_bindings) > 0;
SQL
)
is "$(echo "$out" | tr '\n' '|')" "3|t|t|" "the regulator's reads answer"
is "$(q -c "SELECT trace.access_log_flush(10000)")" "t" "the queued reads are written"
is "$(q -c "SELECT string_agg(action || ' ' || object, '|' ORDER BY id) FROM trace.access_log
            WHERE id > $before_reg AND role_name = 'reg' AND id <= (SELECT min(id) + 2 FROM trace.access_log WHERE id > $before_reg AND role_name = 'reg')")" \
   "read trace.flow_record|read trace.flow_record|read trace.history()" \
   "a rolled-back SELECT, a rolled-back INSERT ... SELECT and a rolled-back definer read are all in the log"
is "$(q -c "SELECT bool_and(application = 'regulator-app' AND session_role = 'reg') FROM trace.access_log WHERE id > $before_reg AND role_name = 'reg'")" \
   "t" "with the login role and the application"
n_rows=$(q -c "SELECT count(*) FROM trace.access_log WHERE id > $before_reg AND role_name = 'reg'")
missing=""
for rel in items item_record flows flow_record units unit_record products product_record documents document_record \
           package_events package_event corrections retention categories category_record operator_bindings operator_binding; do
    q -c "SELECT 1 FROM trace.access_log WHERE id > $before_reg AND role_name = 'reg' AND ', ' || object || ',' LIKE '%, trace.$rel,%'" | grep -q 1 || missing="$missing $rel"
done
is "$missing" "" "a read of ten views names every relation it read, however long the list"
ok $([ "$n_rows" -gt 4 ] && echo 0 || echo 1) "the long list took more than one entry ($n_rows rows in all)"
q -c "SELECT trace.seal()" >/dev/null
is "$(q -c "SELECT trace.verify() ->> 'ok'")" "true" "the access log verifies clean after queued reads"
before=$(q -c "SELECT coalesce(max(id), 0) FROM trace.access_log")

# --- no queue: every lookup writes its own row in its own transaction
restart "-c pgtrace.access_log_buffer=0"
out=$(q -U pub <<SQL
BEGIN;
SELECT trace.lookup('$code') IS NOT NULL;
SELECT pg_catalog.pg_current_xact_id_if_assigned() IS NOT NULL;
COMMIT;
SQL
)
is "$(echo "$out" | tr '\n' '|')" "t|t|" "with pgtrace.access_log_buffer = 0 the lookup writes its row itself"
is "$(q -c "SELECT count(*) FROM trace.access_log WHERE id > $before")" "1" "and the row is there at once"
is "$(q -c "SELECT (trace.status() -> 'access' ->> 'access_log_queue') || ' ' || ((trace.status() -> 'missing_guarantees')::text LIKE '%a rollback removes them%')")" \
   "false true" "without the queue, trace.status() says so and lists the missing guarantee"

# --- a tiny queue: a lookup waits for room (or, after a second, writes its row itself); nothing is lost
restart "-c pgtrace.access_log_buffer=2"
for i in $(seq 1 4); do
    q -U pub -c "SELECT count(trace.lookup('(01)06901234567892(21)U' || (g % 3))) FROM generate_series(1, 25) g" >/dev/null &
done
wait
is "$(q -c "SELECT trace.access_log_flush(10000)")" "t" "the tiny queue is written"
is "$(q -c "SELECT count(*) FROM trace.access_log WHERE id > $before")" "101" "100 concurrent lookups through a queue of 2: 100 rows, none lost"
is "$(q -c "SELECT count(*) FROM trace.access_log WHERE id > $before AND object = '$code' AND detail ->> 'found' = 'true'")" \
   "$(q -c "SELECT 1 + 4 * count(*) FROM generate_series(1, 25) g WHERE g % 3 = 1")" \
   "each recorded with its own code and result"

tap_done
