#!/bin/bash
# The README's SQL example runs as written on a fresh cluster, and says what
# its comments claim; an install nobody used can be removed as the docs say,
# a used one cannot (TAP output).
. "$(dirname "$0")/common.bash" pgtrace-readme
eval "$(scripts/cluster.sh start "$work/pg")" || { echo "not ok 1 - cluster starts"; exit 1; }

awk '/^```sql$/{f=1;next}/^```$/{f=0}f' README.md > "$work/readme.sql"
check() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1"; echo "#   want: $2"; fi; }

out=$(psql -X -v ON_ERROR_STOP=1 -At -d postgres -f "$work/readme.sql" 2>&1); st=$?
check "$st" 0 "README SQL example runs without error"
check "$(echo "$out" | sed -n 3p)" "06901234567892" "GTIN-13 is held as 14 digits"
check "$(echo "$out" | sed -n 5p)" "t" "a raw DataMatrix scan equals the bracketed code"
check "$(echo "$out" | sed -n 6p)" "(01)06901234567892(21)SN0001" "a Digital Link with a GTIN-13 normalises"
check "$(echo "$out" | grep -c 'check digit 3 is wrong, expected 2')" "1" "validate names the wrong check digit"
check "$(echo "$out" | tail -1)" "https://trace.example.cn/01/06901234567892/21/SN0001" "digital_link on a custom domain"

# a DBA who tried it and wants it gone: an install with nothing recorded but its
# own seed is removed with the documented break-glass setting, and only then
psql -X -q -d postgres -c "CREATE DATABASE tried" -c "CREATE DATABASE used" >/dev/null
for db in tried used; do psql -X -q -d $db -c "CREATE EXTENSION pgtrace" >/dev/null; done
out=$(psql -X -At -d tried -c "DROP EXTENSION pgtrace" 2>&1)
check "$(echo "$out" | grep -c 'DROP EXTENSION pgtrace is not allowed while ledger tables hold rows')" 1 \
    "DROP EXTENSION is refused while ledger tables hold rows, the seed's included"
out=$(psql -X -At -d tried -c "SET pgtrace.break_glass = on" -c "DROP EXTENSION pgtrace" 2>&1)
check "$(echo "$out" | tail -1)" "DROP EXTENSION" "with pgtrace.break_glass an install that recorded nothing but its seed is removed"
psql -X -q -d used -c "SELECT trace.register_unit('{\"uscc\": \"91330100MA2H3K5L19\", \"roles\": [\"producer\"], \"unit_name\": \"u\", \"address\": \"a\", \"contact\": \"c\", \"business_license\": {\"content_base64\": \"eA==\", \"media_type\": \"text/plain\"}}')" >/dev/null
out=$(psql -X -At -d used -c "SET pgtrace.break_glass = on" -c "DROP EXTENSION pgtrace" 2>&1)
check "$(echo "$out" | grep -c 'Some ledger rows are still within their retention')" 1 \
    "once a unit is registered, not even break glass removes it"
tap_done
