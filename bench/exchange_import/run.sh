#!/bin/bash
# bench/exchange_import: the exchange part's own rates, each as a ratio to
# what it is built on, measured in one run on one backend:
#   - verified imports/s (trace.import of one-record partner batches) against
#     the same records written by trace.commission directly, and against the
#     partner-key verification alone (trace._exchange_jws_verify) and raw
#     OpenSSL Ed25519 verifications/s (bench/exchange/raw_openssl.c);
#   - signed history exports/s (trace.export_history) against building the
#     same document unsigned (trace.history_document) and raw OpenSSL signs/s.
# Prints rates and ratios; it is not a test.
#
#   bench/exchange_import/run.sh [ROWS]        default 5000
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
rows=${1:-5000}

work=$(mktemp -d /tmp/pgtrace-bench.XXXXXX); chmod 755 "$work"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
export PT_PGBIN
PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}

mkdir -p "$work/keys"
openssl genpkey -algorithm ed25519 -out "$work/keys/ed25519.pem" 2>/dev/null
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/keys"
chmod 700 "$work/keys"; chmod 600 "$work/keys"/*.pem
cc -O2 -std=gnu99 -Isrc/core -o "$work/raw_openssl" bench/exchange/raw_openssl.c src/core/jws.c src/core/jcs.c src/core/b64url.c -lcrypto

eval "$(scripts/cluster.sh start "$work/pg" "max_parallel_workers_per_gather = 0" \
        "pgtrace.signing_key_file = '$work/keys/ed25519.pem'")"

# The database's own key plays the partner: its tokens come from trace.sign
# (iat and jti in the header), its public JWK is registered as the partner key.
psql -X -q -v ON_ERROR_STOP=1 -v rows="$rows" >/dev/null <<'SQL'
CREATE EXTENSION pgtrace;
SELECT trace.register_unit('{"uscc": "91330100MA2H3K5L19", "roles": ["producer"], "unit_name": "杭州示例燃气具有限公司",
    "address": "杭州市示例路1号", "contact": "+86 571 8888 0000",
    "business_license": {"content_base64": "bGljZW5jZSBGQUNUT1JZ", "media_type": "application/pdf"}}');
SELECT trace.register_product('{"uscc": "91330100MA2H3K5L19", "category": "gas-hob", "gtin": "06901234567892",
    "product_name": "家用燃气灶", "product_type": "燃气器具", "spec_model": "JZT-2-A1", "mandatory_standards": "GB 16410-2020",
    "ccc_certificate_no": "2026010201000001", "warranty_period": "P3Y",
    "manual_or_warning": {"content_base64": "bWFudWFs", "media_type": "application/pdf"}}');
SELECT trace.attach_document('{"content_base64": "aW5zcGVjdGlvbg==", "media_type": "application/pdf", "uscc": "91330100MA2H3K5L19"}');
SELECT trace.register_partner('bench partner', '91330100MA2H3K5L19', trace.public_jwk() -> 'keys' -> 0, '{commission,record_sale}');
CREATE TABLE recs AS
SELECT n, pg_catalog.jsonb_build_object('uscc', '91330100MA2H3K5L19', 'trace_code', '(01)06901234567892(21)' || kind || n,
           'production_date', '2026-06-01', 'serial_or_batch', 'B260601',
           'inspection_report', pg_catalog.encode(pg_catalog.sha256('inspection'::bytea), 'hex')) AS rec, kind
  FROM pg_catalog.generate_series(1, :rows) n, (VALUES ('I'), ('D')) k(kind);
CREATE TABLE tokens AS
SELECT n, trace.sign(pg_catalog.jsonb_build_object('iss', '91330100MA2H3K5L19',
           'records', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('op', 'commission', 'data', rec)))) AS t
  FROM recs WHERE kind = 'I';
VACUUM ANALYZE recs, tokens;
SQL

# seconds of one statement
timed() {
    psql -X -A -t -q -v ON_ERROR_STOP=1 \
         -c "DO \$\$DECLARE t0 timestamptz := clock_timestamp(); BEGIN PERFORM ($1); RAISE NOTICE '%', extract(epoch FROM clock_timestamp() - t0); END\$\$" 2>&1 \
        | sed -n 's/.*NOTICE:  //p'
}
jwk="(SELECT jwk FROM trace.partners)"
read -r _ raw_sign raw_verify < <("$work/raw_openssl" "$work/keys/ed25519.pem" 600 5)
t_verify=$(timed "SELECT count(trace._exchange_jws_verify(t, $jwk)) FROM tokens")
t_direct=$(timed "SELECT count(trace.commission(rec)) FROM recs WHERE kind = 'D'")
t_import=$(timed "SELECT count(trace.import(t)) FROM tokens")
[ "$(psql -X -A -t -q -c "SELECT count(*) FROM trace.import_log")" = "$rows" ] || { echo "imports missing"; exit 1; }

codes="SELECT '(01)06901234567892(21)I' || n AS c FROM pg_catalog.generate_series(1, $rows) n"
t_doc=$(timed "SELECT count(trace.history_document(c)) FROM ($codes) s")
t_export=$(timed "SELECT count(trace.export_history(c)) FROM ($codes) s")

awk -v n="$rows" -v rs="$raw_sign" -v rv="$raw_verify" -v tv="$t_verify" -v td="$t_direct" -v ti="$t_import" \
    -v tdoc="$t_doc" -v tex="$t_export" 'BEGIN {
    printf "rows: %d one-record batches (Ed25519 partner key)\n", n
    printf "%-34s %12s\n", "", "per second"
    printf "%-34s %12.0f\n", "raw OpenSSL verify", rv
    printf "%-34s %12.0f  (%.2f of raw)\n", "partner-key verify", n / tv, (n / tv) / rv
    printf "%-34s %12.0f\n", "trace.commission (direct)", n / td
    printf "%-34s %12.0f  (%.2f of direct commission, %.2f of raw verify)\n", "trace.import (verified, logged)", n / ti, td / ti, (n / ti) / rv
    printf "%-34s %12.0f\n", "raw OpenSSL sign", rs
    printf "%-34s %12.0f\n", "trace.history_document", n / tdoc
    printf "%-34s %12.0f  (%.2f of unsigned document, %.2f of raw sign)\n", "trace.export_history (signed)", n / tex, tdoc / tex, (n / tex) / rs
}'
echo "One backend, whole statements, one run; on a busy machine compare ratios from several runs."
