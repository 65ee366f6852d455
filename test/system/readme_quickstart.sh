#!/bin/bash
# The README's SQL example runs as written on a fresh cluster, and says what
# its comments claim (TAP output).
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
tap_done
