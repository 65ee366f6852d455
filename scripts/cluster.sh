#!/bin/bash
# Throwaway PostgreSQL clusters for tests, demo and benchmarks.
#
#   scripts/cluster.sh start DIR [conf-line ...]   initdb + start; prints shell exports
#   scripts/cluster.sh stop DIR                    stop and remove DIR
#
# Never touches the system cluster. The server listens on a Unix socket in DIR
# (and on 127.0.0.1 at a free port). PostgreSQL refuses to run as root, so as
# root the server runs as the unprivileged user "postgres".
# PT_PGBIN selects the server binaries (a scripts/tmp-install.sh tree);
# without it, the system installation is used.
set -euo pipefail

BINDIR=${PT_PGBIN:-$(pg_config --bindir)}
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
shift 2

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local p start
    start=$((54330 + RANDOM % 600))
    for p in $(seq "$start" 54999) $(seq 54330 "$start"); do
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && [ ! -e "/tmp/.s.PGSQL.$p" ]; then
            echo "$p"; return 0
        fi
    done
    echo "no free port" >&2; return 1
}

case "$cmd" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 755 "$dir"
    as_server_user "$BINDIR/initdb" -D "$dir/data" -U postgres --auth=trust \
        --no-locale --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    {
        echo "include_if_exists = 'port.conf'"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$dir'"
        echo "shared_preload_libraries = 'pgtrace'"
        echo "fsync = off"
        echo "timezone = 'UTC'"
        echo "log_min_messages = warning"
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    # Parallel runs may pick the same free port at the same moment: retry on a bind failure.
    for attempt in 1 2 3 4 5 6 7 8; do
        port=$(free_port)
        echo "port = $port" >"$dir/data/port.conf"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/data/port.conf"
        if as_server_user "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        if [ "$attempt" -eq 8 ] || ! grep -q "Address already in use\|could not create lock file" "$dir/server.log"; then
            cat "$dir/server.log" >&2; exit 1
        fi
        sleep 0.$((RANDOM % 9 + 1))
    done
    echo "export PGHOST='$dir' PGPORT='$port' PGUSER=postgres PGDATABASE=postgres"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_server_user "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: cluster.sh start|stop DIR [conf-line ...]" >&2; exit 2 ;;
esac
