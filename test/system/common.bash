# test/system/common.bash — what every system test shares. Source it first:
#
#   . "$(dirname "$0")/common.bash" NAME
#
# It makes the repository the working directory, makes the work directory
# $work (PT_WORK, as test/run.sh sets it, or a new /tmp/NAME.XXXXXX), installs
# the extension privately unless PT_PGBIN names an installation already, and
# defines the TAP helpers:
#   ok STATUS DESCRIPTION      "ok N - …" when STATUS is 0, else "not ok N - …"
#   is GOT WANT DESCRIPTION    ok when equal; shows both when not
#   as_server_user CMD …       CMD as the unprivileged server user when run as root
#   tap_done                   the plan line; exits non-zero when anything failed
#   wait_sleeping CMD N        until a session of CMD's server is in pg_sleep(N)
#   start_cluster CONF …       a throwaway cluster in $work/pg (see below)
#   at_exit CMD                run CMD when the test ends (before $work/pg is
#                              stopped and an own $work removed)
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
# a work directory of its own (no PT_WORK) is removed when the test ends
own_work=; [ -z "${PT_WORK:-}" ] && own_work=1
work=${PT_WORK:-$(mktemp -d "/tmp/${1:-pgtrace-system}.XXXXXX")}
mkdir -p "$work"
chmod 755 "$work"
export PT_PGBIN=${PT_PGBIN:-$(scripts/tmp-install.sh "$work/install")}

# At exit: the test's own clean-up (at_exit), then the cluster in $work/pg is
# stopped, then a work directory of the test's own is removed.
exit_cmds=()
at_exit() { exit_cmds+=("$1"); }
finish_work() {
    local c
    for c in "${exit_cmds[@]}"; do eval "$c"; done
    scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
    [ -n "$own_work" ] && rm -rf "$work"
    return 0
}
trap finish_work EXIT

n=0
failed=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
is() { if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; echo "#   got:  $1"; echo "#   want: $2"; fi; }
as_server_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
tap_done() { echo "1..$n"; exit $((failed > 0)); }
# wait_sleeping CMD N: until a session of the server CMD (a psql wrapper)
# talks to sits in pg_sleep(N); 5 s at most
wait_sleeping() {
    local i
    for i in $(seq 1 100); do
        [ "$("$1" -c "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE query LIKE '%pg_sleep($2)%' AND pid <> pg_catalog.pg_backend_pid()")" = 1 ] && return 0
        sleep 0.05
    done
    return 1
}

# start_cluster [conf-line …]: a throwaway cluster in $work/pg, stopped on
# exit (finish_work), its connection settings exported; three attempts, else the test
# reports "not ok 1 - cluster starts" and ends.
start_cluster() {
    local out="" attempt
    for attempt in 1 2 3; do
        out=$(scripts/cluster.sh start "$work/pg" "$@") && break
        scripts/cluster.sh stop "$work/pg" >/dev/null 2>&1; out=""; sleep 1
    done
    [ -n "$out" ] || { echo "not ok 1 - cluster starts"; echo "1..1"; exit 1; }
    eval "$out"
}
