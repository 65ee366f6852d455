#!/bin/bash
# Docs move with code: every function, type, table, view, role and setting the
# extension creates is named in docs/ (TAP: one assertion per kind, listing what
# is missing). Installs the extension on a fresh cluster and reads the catalogs.
. "$(dirname "$0")/common.bash" pgtrace-docs
eval "$(scripts/cluster.sh start "$work/pg")" || { echo "not ok 1 - cluster starts"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pgtrace" || { echo "not ok 1 - CREATE EXTENSION"; exit 1; }

check_kind() {
    local kind=$1 query=$2 missing=""
    for name in $(psql -X -At -d postgres -c "$query"); do
        grep -rqw -- "$name" docs || missing="$missing $name"
    done
    n=$((n + 1))
    if [ -z "$missing" ]; then
        echo "ok $n - every $kind is named in docs/"
    else
        echo "not ok $n - every $kind is named in docs/"
        echo "#   missing:$missing"
    fi
}

check_kind "function" "SELECT DISTINCT p.proname FROM pg_proc p WHERE p.pronamespace = 'trace'::regnamespace"
check_kind "type" "SELECT t.typname FROM pg_type t WHERE t.typnamespace = 'trace'::regnamespace
                    AND t.typtype IN ('b', 'd', 'e', 'r') AND t.typcategory <> 'A'"
check_kind "table or view" "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'trace'::regnamespace
                             AND c.relkind IN ('r', 'p', 'v', 'm')"
check_kind "role" "SELECT r.rolname FROM pg_roles r WHERE r.rolname LIKE 'trace\_%'"
check_kind "setting" "SELECT s.name FROM pg_settings s WHERE s.name LIKE 'pgtrace.%'"
tap_done
