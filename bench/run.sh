#!/bin/bash
# make bench: run every benchmark under bench/*/run.sh, one after another.
# Benchmarks print rates and ratios measured in one run; they are not tests.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
for b in bench/*/run.sh; do
    echo "== ${b%/run.sh} =="
    bash "$b" || echo "(benchmark $b failed)"
    echo
done
