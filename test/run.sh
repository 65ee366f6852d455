#!/bin/bash
# Run every pgtrace suite against throwaway clusters and end with "N passed, N failed".
#
#   test/run.sh [suite ...]     suites: core regress pgtap system fuzz (default: all)
#
# Expects the extension to be built (make). Installs it into a private copy of
# the PostgreSQL tree under a temporary directory (scripts/tmp-install.sh), so
# the system installation is never touched. Counts: one per C unit-test
# assertion, pg_regress file, pgTAP assertion, system-test assertion and fuzz
# harness.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
suites=${*:-core regress pgtap system fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}

work=$(mktemp -d /tmp/pgtrace-test.XXXXXX)
chmod 755 "$work"
passed=0
failed=0
failures=()

cleanup() {
    scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# Count TAP lines of one run; a run that fails without a "not ok" line
# (crash, plan mismatch, script error) counts as one failure.
tally_tap() {
    local name=$1 log=$2 status=$3 ok nok
    ok=$(grep -cE '^[[:space:]]*ok [0-9]+' "$log")
    nok=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$log")
    passed=$((passed + ok))
    failed=$((failed + nok))
    if [ "$nok" -gt 0 ]; then
        failures+=("$name: $nok failed")
        grep -E '^[[:space:]]*not ok' "$log" | sed 's/^/    /' | head -20
    elif [ "$status" -ne 0 ] || [ "$ok" -eq 0 ]; then
        failed=$((failed + 1))
        failures+=("$name: exited $status")
        tail -20 "$log" | sed 's/^/    /'
    fi
}

section() { printf '\n== %s ==\n' "$1"; }

export PT_PGBIN
PT_PGBIN=$(scripts/tmp-install.sh "$work/install") || { echo "install into $work/install failed"; exit 1; }

start_cluster() {
    local out
    out=$(scripts/cluster.sh start "$work/pg") || { echo "cannot start a test cluster"; exit 1; }
    eval "$out"
}

for suite in $suites; do
case "$suite" in
core)
    section "C unit tests (test/core)"
    for t in test/core/test_*.c; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .c)
        if cc -std=gnu99 -Wall -Wextra -Werror -Wno-unused-parameter -g -Isrc/core \
              -o "$work/$name" "$t" src/core/*.c -lcrypto -lqrencode >"$work/$name.log" 2>&1; then
            "$work/$name" >"$work/$name.log" 2>&1
            st=$?
        else
            st=1
        fi
        tally_tap "$name" "$work/$name.log" "$st"
        printf '%-40s %s\n' "$name" "$(grep -cE '^ok ' "$work/$name.log") ok"
    done
    ;;
regress)
    section "pg_regress (sql/, expected/)"
    start_cluster
    make -s installcheck REGRESS_OPTS="--inputdir=. --load-extension=pgtrace --outputdir=$work/regress" \
        >"$work/regress.log" 2>&1
    st=$?
    cat "$work/regress.log" | grep -E '^(test|ok|not ok|     )|\.\.\.' | head -200
    ok=$(grep -cE '\.\.\. ok|^ok [0-9]+' "$work/regress.log")
    nok=$(grep -cE '\.\.\. FAILED|^not ok [0-9]+' "$work/regress.log")
    passed=$((passed + ok)); failed=$((failed + nok))
    if [ "$nok" -gt 0 ]; then
        failures+=("pg_regress: $nok failed")
        [ -f "$work/regress/regression.diffs" ] && head -150 "$work/regress/regression.diffs"
    elif [ "$st" -ne 0 ]; then
        failed=$((failed + 1)); failures+=("pg_regress: exited $st"); tail -30 "$work/regress.log"
    fi
    scripts/cluster.sh stop "$work/pg"
    ;;
pgtap)
    section "pgTAP (test/pgtap)"
    start_cluster
    psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE pgtap_test" >/dev/null
    psql -X -q -v ON_ERROR_STOP=1 -d pgtap_test \
        -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION pgtrace" >/dev/null
    for t in test/pgtap/*.sql; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sql)
        pg_prove -v -d pgtap_test "$t" >"$work/pgtap-$name.log" 2>&1
        st=$?
        tally_tap "pgtap/$name" "$work/pgtap-$name.log" "$st"
        printf '%-40s %s\n' "$name" "$(tail -1 "$work/pgtap-$name.log")"
    done
    scripts/cluster.sh stop "$work/pg"
    ;;
system)
    section "system tests (test/system)"
    for t in test/system/*.sh; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sh)
        PT_WORK="$work/sys-$name" timeout 900 bash "$t" >"$work/sys-$name.log" 2>&1
        st=$?
        tally_tap "system/$name" "$work/sys-$name.log" "$st"
        printf '%-40s %s ok, %s not ok\n' "$name" \
            "$(grep -cE '^ok ' "$work/sys-$name.log")" "$(grep -cE '^not ok ' "$work/sys-$name.log")"
    done
    ;;
fuzz)
    section "libFuzzer harnesses (test/fuzz), ${FUZZ_SECONDS}s each"
    test/fuzz/run.sh "$FUZZ_SECONDS" "$work/fuzz" >"$work/fuzz.log" 2>&1
    st=$?
    cat "$work/fuzz.log" | grep -E '^(ok|not ok)'
    tally_tap "fuzz" "$work/fuzz.log" "$st"
    ;;
*)
    echo "unknown suite: $suite"; exit 2 ;;
esac
done

echo
if [ "${#failures[@]}" -gt 0 ]; then
    echo "failures:"
    printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
