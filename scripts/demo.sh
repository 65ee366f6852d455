#!/bin/bash
# make demo: a throwaway cluster with pgtrace preloaded and a signing key,
# then a realistic scenario (scripts/demo.sql) run end to end with psql.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

work=$(mktemp -d /tmp/pgtrace-demo.XXXXXX)
chmod 755 "$work"
trap 'scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT

export PT_PGBIN
PT_PGBIN=$(scripts/tmp-install.sh "$work/install")

# The signing key: a file only the server reads (pgtrace.signing_key_file).
mkdir -p "$work/keys"
openssl genpkey -algorithm ed25519 -out "$work/keys/signing.pem" 2>/dev/null
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/keys"
chmod 700 "$work/keys"; chmod 600 "$work/keys/signing.pem"

eval "$(scripts/cluster.sh start "$work/pg" "pgtrace.signing_key_file = '$work/keys/signing.pem'")"
echo "demo cluster: PGHOST=$PGHOST PGPORT=$PGPORT (removed when the demo ends)"
psql -X -v ON_ERROR_STOP=1 -q -P pager=off -d postgres -f scripts/demo.sql
echo
echo "demo finished: every step above ran against a fresh cluster."
