#!/usr/bin/env bash
# The real servers the database packs are tested against, on loopback: PostgreSQL, Redis and
# MariaDB from the distribution's packages, installed when missing and started with data under
# one state directory. Idempotent: `up` reuses a server that already answers on its port.
#
#   scripts/services.sh up [postgres|redis|mariadb ...]   install (apt) and start (default: all)
#   scripts/services.sh down                              stop what `up` started
#   scripts/services.sh status                            which ones answer
#   scripts/services.sh env                               the URLs, as shell assignments
#   scripts/services.sh deps [libpq ...]                  client libraries to link (apt; default: all)
#
# Ports and URLs (fixed, away from the defaults so a system server does not interfere):
#   postgres  127.0.0.1:55432  postgres://otel@127.0.0.1:55432/otel   (trust auth)
#   redis     127.0.0.1:56379  redis://127.0.0.1:56379/
#   mariadb   127.0.0.1:53306  mysql://otel:otel@127.0.0.1:53306/otel
# State: $CARGO_OTEL_SERVICES_DIR (default: target/services of this checkout). The servers
# run as unprivileged users (PostgreSQL and MariaDB refuse root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${CARGO_OTEL_SERVICES_DIR:-$root/target/services}"
PG_PORT=55432
REDIS_PORT=56379
MARIADB_PORT=53306

say() { printf '%12s %s\n' "$1" "$2" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt-get, once per missing package set; needs root (CI runs as root) and the Debian mirror.
install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "packages ${missing[*]} are missing; install them (as root: apt-get install ${missing[*]}) and rerun"
    say Installing "${missing[*]} (apt-get)"
    # No service starts from the package scripts: ours run on their own ports and data dirs.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    local rc=0
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$state/apt.log" 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$state/apt.log" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$state/apt.log" 2>&1 || rc=$?
    fi
    rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || die "apt-get install ${missing[*]} failed (log: $state/apt.log)"
}

# Run as `user` (root drops privileges; others run as themselves).
as() {
    local user=$1
    shift
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

wait_for() {
    local what=$1 tries=100
    shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || die "$what did not start (logs under $state)"
        sleep 0.1
    done
}

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    echo "$dir"
}

pg_up() {
    if pg_ready; then say Fresh "postgres (127.0.0.1:$PG_PORT)"; return; fi
    install postgresql
    local bin user=postgres data="$state/postgres"
    bin=$(pg_bin)
    [ "$(id -u)" -eq 0 ] || user=$(id -un)
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data" && chown "$user" "$data" && chmod 700 "$data"
        as "$user" "$bin/initdb" -D "$data" -U otel --auth=trust -E UTF8 >"$state/postgres-init.log" 2>&1 ||
            die "initdb failed (log: $state/postgres-init.log)"
    fi
    as "$user" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 start \
        -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null 9>&- ||
        die "postgres did not start (log: $data/server.log)"
    wait_for postgres "$bin/pg_isready" -h 127.0.0.1 -p $PG_PORT
    "$bin/psql" -h 127.0.0.1 -p $PG_PORT -U otel -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='otel'" |
        grep -q 1 || "$bin/createdb" -h 127.0.0.1 -p $PG_PORT -U otel otel
    say Started "postgres (127.0.0.1:$PG_PORT)"
}

pg_ready() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$bin" ] && "$bin/psql" -h 127.0.0.1 -p $PG_PORT -U otel -d otel -tAc 'SELECT 1' >/dev/null 2>&1
}

pg_down() {
    local data="$state/postgres" user=postgres pid
    [ "$(id -u)" -eq 0 ] || user=$(id -un)
    if [ -f "$data/postmaster.pid" ]; then
        as "$user" "$(pg_bin)/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
        say Stopped postgres
    elif pid=$(server_on_port "postgres -D" "-p $PG_PORT") && [ -n "$pid" ]; then
        # SIGINT: PostgreSQL's fast shutdown.
        kill -INT "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        say Stopped postgres
    fi
}

redis_ready() {
    command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p $REDIS_PORT ping 2>/dev/null)" = PONG ]
}

redis_up() {
    if redis_ready; then say Fresh "redis (127.0.0.1:$REDIS_PORT)"; return; fi
    install redis-server redis-tools
    mkdir -p "$state/redis"
    redis-server --port $REDIS_PORT --bind 127.0.0.1 --daemonize yes --dir "$state/redis" \
        --pidfile "$state/redis.pid" --logfile "$state/redis.log" --save '' --appendonly no >/dev/null 9>&-
    wait_for redis redis_ready
    say Started "redis (127.0.0.1:$REDIS_PORT)"
}

redis_down() {
    if redis_ready; then
        redis-cli -h 127.0.0.1 -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || true
        say Stopped redis
    fi
}

mariadb_sock() { echo "$state/mariadb/server.sock"; }

mariadb_ready() {
    command -v mariadb >/dev/null &&
        mariadb -h 127.0.0.1 -P $MARIADB_PORT -uotel -potel otel -e 'SELECT 1' >/dev/null 2>&1
}

mariadb_up() {
    if mariadb_ready; then say Fresh "mariadb (127.0.0.1:$MARIADB_PORT)"; return; fi
    install mariadb-server mariadb-client
    local data="$state/mariadb" user=mysql
    [ "$(id -u)" -eq 0 ] || user=$(id -un)
    if [ ! -d "$data/mysql" ]; then
        mkdir -p "$data" && chown "$user" "$data"
        as "$user" mariadb-install-db --datadir="$data" --auth-root-authentication-method=socket \
            --skip-test-db >"$state/mariadb-init.log" 2>&1 || die "mariadb-install-db failed (log: $state/mariadb-init.log)"
    fi
    # The server runs in the background as `user`; its pid file tells `down` what to stop.
    (as "$user" mariadbd --datadir="$data" --port=$MARIADB_PORT --bind-address=127.0.0.1 \
        --socket="$(mariadb_sock)" --pid-file="$data/server.pid" --skip-name-resolve \
        --innodb-flush-log-at-trx-commit=0 >"$state/mariadb.log" 2>&1 9>&- &)
    wait_for mariadb test -S "$(mariadb_sock)"
    wait_for mariadb mariadb --socket="$(mariadb_sock)" -uroot -e 'SELECT 1'
    mariadb --socket="$(mariadb_sock)" -uroot -e "
        CREATE DATABASE IF NOT EXISTS otel;
        CREATE USER IF NOT EXISTS 'otel'@'127.0.0.1' IDENTIFIED BY 'otel';
        CREATE USER IF NOT EXISTS 'otel'@'localhost' IDENTIFIED BY 'otel';
        GRANT ALL ON otel.* TO 'otel'@'127.0.0.1';
        GRANT ALL ON otel.* TO 'otel'@'localhost';"
    wait_for mariadb mariadb_ready
    say Started "mariadb (127.0.0.1:$MARIADB_PORT)"
}

# The pid of a server of ours on `port` started from any checkout (its state dir may be gone):
# `down` stops it too, so a stale server never answers for a new `up`.
server_on_port() {
    pgrep -f -- "$1.*$2" | head -1
}

mariadb_down() {
    local pid
    pid=$(cat "$state/mariadb/server.pid" 2>/dev/null || server_on_port mariadbd "--port=$MARIADB_PORT")
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$state/mariadb/server.pid"
        say Stopped mariadb
    fi
}

# Client libraries (not servers) that some builds link from the system: libpq for diesel 2.0
# and 2.1, whose pq-sys (< 0.6) has no bundled build (rules/check-versions.sh asks for it).
deps_install() {
    for lib in "$@"; do
        case "$lib" in
        libpq) install libpq-dev ;;
        *) die "unknown library \`$lib\` (known: libpq)" ;;
        esac
    done
}

services() {
    if [ $# -eq 0 ]; then echo postgres redis mariadb; else echo "$@"; fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
mkdir -p "$state"
case "$cmd" in
up)
    # One `up` at a time (tests in parallel ask for the same servers).
    exec 9>"$state/lock"
    flock 9
    for s in $(services "$@"); do
        case "$s" in
        postgres) pg_up ;;
        redis) redis_up ;;
        mariadb | mysql) mariadb_up ;;
        *) die "unknown service \`$s\` (known: postgres, redis, mariadb)" ;;
        esac
    done
    ;;
deps)
    exec 9>"$state/lock"
    flock 9
    if [ $# -eq 0 ]; then deps_install libpq; else deps_install "$@"; fi
    ;;
down)
    exec 9>"$state/lock"
    flock 9
    pg_down
    redis_down
    mariadb_down
    ;;
status)
    pg_ready && say up postgres || say down postgres
    redis_ready && say up redis || say down redis
    mariadb_ready && say up mariadb || say down mariadb
    ;;
env)
    echo "DATABASE_URL=postgres://otel@127.0.0.1:$PG_PORT/otel"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
    echo "MYSQL_URL=mysql://otel:otel@127.0.0.1:$MARIADB_PORT/otel"
    ;;
*)
    die "usage: scripts/services.sh up [postgres|redis|mariadb ...] | down | status | env | deps [libpq ...]"
    ;;
esac
