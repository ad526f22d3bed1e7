#!/usr/bin/env bash
# The real servers the database and messaging packs are tested against, on loopback:
# PostgreSQL, Redis, MariaDB, RabbitMQ and NATS from the distribution's packages, installed
# when missing and started with data under one state directory. Idempotent: `up` reuses a
# server that already answers on its port.
#
#   scripts/services.sh up [postgres|redis|mariadb|rabbitmq|nats ...]   install (apt) and start (default: all)
#   scripts/services.sh down                              stop what `up` started
#   scripts/services.sh status                            which ones answer
#   scripts/services.sh env                               the URLs, as shell assignments
#   scripts/services.sh deps [libpq ...]                  client libraries to link (apt; default: all)
#
# Ports and URLs (fixed, away from the defaults so a system server does not interfere):
#   postgres  127.0.0.1:55432  postgres://otel@127.0.0.1:55432/otel   (trust auth)
#   redis     127.0.0.1:56379  redis://127.0.0.1:56379/
#   mariadb   127.0.0.1:53306  mysql://otel:otel@127.0.0.1:53306/otel
#   rabbitmq  127.0.0.1:55672  amqp://guest:guest@127.0.0.1:55672/%2f  (guest: loopback only)
#   nats      127.0.0.1:54222  nats://127.0.0.1:54222                   (JetStream on)
# RabbitMQ's Erlang node is local to the state dir: node name otel@localhost, its own cookie
# ($HOME of the node), its own epmd on 127.0.0.1:54369 and distribution port 55673, no
# plugins, and none of /etc/rabbitmq read; a system RabbitMQ (epmd 4369) is never touched.
# State: $CARGO_OTEL_SERVICES_DIR (default: target/services of this checkout). The servers
# run as unprivileged users (PostgreSQL and MariaDB refuse root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${CARGO_OTEL_SERVICES_DIR:-$root/target/services}"
PG_PORT=55432
REDIS_PORT=56379
MARIADB_PORT=53306
RABBIT_PORT=55672
RABBIT_DIST_PORT=55673
EPMD_PORT=54369
NATS_PORT=54222

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
# No match is an empty answer, not a failure (`down` runs under `set -e -o pipefail`).
server_on_port() {
    pgrep -f -- "$1.*$2" | head -1 || true
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

# ---- RabbitMQ (Debian's rabbitmq-server: Erlang/OTP and the broker) ----

# Does an AMQP 0-9-1 broker answer on `port`? The protocol header gets a Connection.Start
# method frame (type 1) back, sent only once the broker has booted and opened its listener.
amqp_answers() {
    local frame
    frame=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf 'AMQP\\x00\\x00\\x09\\x01' >&3 && head -c 1 <&3 | od -An -tu1" 2>/dev/null) || return 1
    [ "${frame// /}" = 1 ]
}

rabbit_ready() { amqp_answers $RABBIT_PORT; }

# Run `cmd` as `user` in the node's environment: everything under the state dir, nothing
# from /etc/rabbitmq.
rabbit_run() {
    local user=$1 dir="$state/rabbitmq"
    shift
    as "$user" env HOME="$dir" RABBITMQ_NODENAME=otel@localhost RABBITMQ_USE_LONGNAME=false \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$RABBIT_PORT RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT \
        ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=$EPMD_PORT \
        RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
        RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
        RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/server.pid" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}

rabbit_up() {
    if rabbit_ready; then say Fresh "rabbitmq (127.0.0.1:$RABBIT_PORT)"; return; fi
    install rabbitmq-server
    local dir="$state/rabbitmq" user=rabbitmq
    [ "$(id -u)" -eq 0 ] || user=$(id -un)
    mkdir -p "$dir/log" "$dir/mnesia"
    : >"$dir/rabbitmq-env.conf"
    echo '[].' >"$dir/enabled_plugins"
    printf '%s\n' 'log.console = false' 'log.file.level = warning' 'loopback_users.guest = true' \
        'management_agent.disable_metrics_collector = true' >"$dir/rabbitmq.conf"
    [ -f "$dir/.erlang.cookie" ] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/.erlang.cookie"; }
    chmod 400 "$dir/.erlang.cookie"
    chown -R "$user" "$dir"
    # Our own epmd, on loopback and a port of ours; the node registers with it.
    pgrep -f -- "epmd -address 127.0.0.1 -port $EPMD_PORT" >/dev/null ||
        as "$user" epmd -address 127.0.0.1 -port $EPMD_PORT -daemon 9>&-
    # The subshell redirects itself (a redirection on a function call leaves bash a saved copy
    # of the fd), so neither the server nor its shell holds `up`'s lock or the caller's pipes.
    (
        exec 9>&- </dev/null >"$state/rabbitmq.log" 2>&1
        cd "$dir" && rabbit_run "$user" /usr/lib/rabbitmq/bin/rabbitmq-server &
    )
    local tries=600
    until rabbit_ready; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || die "rabbitmq did not start (logs: $state/rabbitmq.log, $dir/log)"
        sleep 0.1
    done
    say Started "rabbitmq (127.0.0.1:$RABBIT_PORT)"
}

rabbit_down() {
    local pid
    pid=$(cat "$state/rabbitmq/server.pid" 2>/dev/null || server_on_port beam "rabbit tcp_listeners .*$RABBIT_PORT")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        # SIGTERM: the Erlang VM stops its applications in order (init:stop/0).
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        say Stopped rabbitmq
    fi
    rm -f "$state/rabbitmq/server.pid"
    pid=$(server_on_port epmd "-port $EPMD_PORT")
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
}

# ---- NATS (Debian's nats-server) ----

nats_ready() {
    local banner
    banner=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT && head -c 4 <&3" 2>/dev/null) || return 1
    [ "$banner" = INFO ]
}

nats_up() {
    if nats_ready; then say Fresh "nats (127.0.0.1:$NATS_PORT)"; return; fi
    install nats-server
    local dir="$state/nats" user=nobody
    [ "$(id -u)" -eq 0 ] || user=$(id -un)
    mkdir -p "$dir/jetstream" && chown -R "$user" "$dir"
    (as "$user" nats-server -a 127.0.0.1 -p $NATS_PORT -n otel-test -js -sd "$dir/jetstream" \
        -P "$dir/server.pid" -l "$dir/server.log" >/dev/null 2>&1 9>&- &)
    wait_for nats nats_ready
    say Started "nats (127.0.0.1:$NATS_PORT)"
}

nats_down() {
    local pid
    pid=$(cat "$state/nats/server.pid" 2>/dev/null || server_on_port nats-server "-p $NATS_PORT")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        say Stopped nats
    fi
    rm -f "$state/nats/server.pid"
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
    if [ $# -eq 0 ]; then echo postgres redis mariadb rabbitmq nats; else echo "$@"; fi
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
        rabbitmq) rabbit_up ;;
        nats) nats_up ;;
        *) die "unknown service \`$s\` (known: postgres, redis, mariadb, rabbitmq, nats)" ;;
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
    rabbit_down
    nats_down
    ;;
status)
    pg_ready && say up postgres || say down postgres
    redis_ready && say up redis || say down redis
    mariadb_ready && say up mariadb || say down mariadb
    rabbit_ready && say up rabbitmq || say down rabbitmq
    nats_ready && say up nats || say down nats
    ;;
env)
    echo "DATABASE_URL=postgres://otel@127.0.0.1:$PG_PORT/otel"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
    echo "MYSQL_URL=mysql://otel:otel@127.0.0.1:$MARIADB_PORT/otel"
    echo "AMQP_URL=amqp://guest:guest@127.0.0.1:$RABBIT_PORT/%2f"
    echo "NATS_URL=nats://127.0.0.1:$NATS_PORT"
    ;;
*)
    die "usage: scripts/services.sh up [postgres|redis|mariadb|rabbitmq|nats ...] | down | status | env | deps [libpq ...]"
    ;;
esac
