#!/bin/bash
# Build every libFuzzer harness test/fuzz/fuzz_*.c against the pure C core
# (src/core) with AddressSanitizer and UndefinedBehaviorSanitizer, run each for
# SECONDS, and print one TAP line per harness.
#
#   test/fuzz/run.sh [SECONDS] [WORKDIR]
# Crash inputs are kept in WORKDIR/<harness>/ (default test/fuzz/bin/).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
seconds=${1:-30}
work=${2:-test/fuzz/bin}
mkdir -p "$work"
CC=${FUZZ_CC:-clang}

n=0
for h in test/fuzz/fuzz_*.c; do
    [ -e "$h" ] || continue
    name=$(basename "$h" .c)
    n=$((n + 1))
    bin="$work/$name"
    mkdir -p "$work/$name.corpus" "$work/$name.crash"
    # seed corpus kept in the repository, when there is one
    seeds=()
    [ -d "test/fuzz/corpus/$name" ] && seeds=("test/fuzz/corpus/$name")
    if ! $CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
            -Isrc/core "$h" src/core/*.c -lcrypto -lqrencode -o "$bin" >"$bin.build.log" 2>&1; then
        echo "not ok $n - $name builds"
        sed 's/^/# /' "$bin.build.log" | head -20
        continue
    fi
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$work/$name.crash/" "$work/$name.corpus" "${seeds[@]}" \
            >"$bin.log" 2>&1; then
        runs=$(grep -oE 'Done [0-9]+ runs' "$bin.log" | grep -oE '[0-9]+' | tail -1)
        echo "ok $n - $name: no crash or sanitizer report in ${runs:-?} runs (${seconds}s)"
    else
        echo "not ok $n - $name: crash or sanitizer report (inputs in $work/$name.crash/)"
        grep -E 'ERROR|SUMMARY|runtime error' "$bin.log" | head -10 | sed 's/^/# /'
    fi
done
echo "1..$n"
