#!/bin/bash
# TLS-only writers (issue 5, deliverable 5): a self-signed certificate, a
# TLS-enabled throwaway cluster with pgtrace.tls_writers naming an operator
# role; that role's writes are refused over a plain connection with a clear
# error and accepted over TLS, its reads work either way, other roles are not
# affected, and the access log records the client address over TCP.
. "$(dirname "$0")/common.bash" access-tls

like() { if [[ "$1" == *"$2"* ]]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  $1"; echo "#   want: *$2*"; fi; }

# a self-signed server certificate
mkdir -p "$work/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
    -keyout "$work/tls/server.key" -out "$work/tls/server.crt" >"$work/tls/openssl.log" 2>&1
ok $? "openssl makes a self-signed certificate"
chmod 600 "$work/tls/server.key"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/tls"

eval "$(scripts/cluster.sh start "$work/pg" "ssl = on" "ssl_cert_file = '$work/tls/server.crt'" \
    "ssl_key_file = '$work/tls/server.key'" "pgtrace.tls_writers = 'tls_factory'")"
q() { psql -X -At -v ON_ERROR_STOP=1 "$@"; }
tcp() { local mode=$1 user=$2; shift 2
        psql -X -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
             "host=127.0.0.1 port=$PGPORT dbname=postgres user=$user sslmode=$mode application_name=tls-test" "$@"; }

q <<'SQL' >/dev/null
CREATE EXTENSION pgtrace;
CREATE ROLE tls_factory LOGIN IN ROLE trace_operator;
CREATE ROLE plain_factory LOGIN IN ROLE trace_operator;
CREATE ROLE tls_public LOGIN IN ROLE trace_public;
SET pgtrace.reference_time = '2026-06-30 12:00:00+08';
SELECT trace.register_unit($${"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf"}}$$);
SELECT trace.bind_operator('tls_factory', '91330100MA2H3K5L19');
SELECT trace.bind_operator('plain_factory', '91330100MA2H3K5L19');
SQL
ok $? "unit registered, two operators bound (one of them listed in pgtrace.tls_writers)"

is "$(q -c "SHOW pgtrace.tls_writers")" "tls_factory" "the setting names the TLS-only role"
is "$(tcp disable tls_factory -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" "f" "sslmode=disable gives a plain connection"
is "$(tcp require tls_factory -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" "t" "sslmode=require gives a TLS connection"

product='{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892", "product_name": "家用燃气灶",
  "product_type": "燃气器具", "spec_model": "JZT-2-A1", "mandatory_standards": "GB 16410-2020",
  "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
  "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}'
out=$(tcp disable tls_factory -c "SELECT trace.register_product('$product')" 2>&1)
like "$out" 'ERROR:  28000: role "tls_factory" may write registry records only over an encrypted connection' \
    "a listed role's write over a plain connection is refused with 28000"
like "$out" 'pgtrace.tls_writers lists "tls_factory" and this connection does not use TLS.' "the detail names the setting"
like "$out" 'sslmode=require' "the hint says how to connect"
is "$(q -c "SELECT count(*) FROM trace.product_record")" "0" "nothing was written"
is "$(tcp disable tls_factory -c "SELECT count(*) FROM trace.units")" "1" "the listed role reads over a plain connection"
tcp require tls_factory -c "SELECT trace.register_product('$product')" >"$work/tls-write.log" 2>&1
ok $? "the same write over TLS is accepted"
is "$(q -c "SELECT product_name FROM trace.products")" "家用燃气灶" "and stored"
out=$(tcp disable plain_factory -c "SELECT trace.attach_document('{\"content_base64\": \"eA==\", \"media_type\": \"text/plain\", \"uscc\": \"91330100MA2H3K5L19\"}') ->> 'size'" 2>&1)
is "$out" "1" "an operator not listed writes over a plain connection"
out=$(tcp disable tls_factory -c "SELECT trace.attach_document('{\"content_base64\": \"eQ==\", \"media_type\": \"text/plain\", \"uscc\": \"91330100MA2H3K5L19\"}')" 2>&1)
like "$out" "28000" "every registry write is covered (attach_document too)"

# a member of a listed role is listed too
q -c "CREATE ROLE tls_line2 LOGIN IN ROLE tls_factory" >/dev/null
out=$(tcp disable tls_line2 -c "SELECT trace.attach_document('{\"content_base64\": \"eg==\", \"media_type\": \"text/plain\", \"uscc\": \"91330100MA2H3K5L19\"}')" 2>&1)
like "$out" 'role "tls_line2" may write registry records only over an encrypted connection' "members of a listed role are listed"

# SET ROLE to a role that is not listed does not shed the rule: the login is listed
q -c "CREATE ROLE tls_group IN ROLE trace_operator; GRANT tls_group TO tls_factory; SELECT trace.bind_operator('tls_group', '91330100MA2H3K5L19')" >/dev/null
out=$(tcp disable tls_factory -c "SET ROLE tls_group" -c "SELECT trace.attach_document('{\"content_base64\": \"dw==\", \"media_type\": \"text/plain\", \"uscc\": \"91330100MA2H3K5L19\"}')" 2>&1)
like "$out" 'role "tls_factory" may write registry records only over an encrypted connection' "a listed login refused after SET ROLE to a role not listed"
out=$(tcp require tls_factory -c "SET ROLE tls_group" -c "SELECT trace.attach_document('{\"content_base64\": \"dw==\", \"media_type\": \"text/plain\", \"uscc\": \"91330100MA2H3K5L19\"}') ->> 'size'" 2>&1)
is "$(echo "$out" | tail -1)" "1" "and accepted over TLS"

# the access log records the client address and application over TCP
tcp disable tls_public -c "SELECT trace.lookup('(01)06901234567892(21)X1')" >/dev/null 2>&1
is "$(q -c "SELECT trace.access_log_flush()" >/dev/null; q -c "SELECT role_name || ' ' || host(client_addr) || ' ' || application FROM trace.access_log ORDER BY id DESC LIMIT 1")" \
    "tls_public 127.0.0.1 tls-test" "a lookup over TCP is logged with role, client address and application"

st=$(q -c "SELECT trace.status() -> 'access' ->> 'tls_writers'")
is "$st" "tls_factory" "trace.status() reports the TLS-only writers"
is "$(q -c "SELECT (trace.status() -> 'access' ->> 'ssl')")" "true" "and that the server has ssl on"

tap_done
