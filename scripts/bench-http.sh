#!/usr/bin/env bash
# Runtime overhead on a real service (issue 4), measured in one run with wrk on loopback:
# service-a built plain vs with `cargo otel` (release), on the hello-world route and on the
# A→B route, with 100% sampling (spans exported to the local file store) and with
# OTEL_SDK_DISABLED=true (and, to separate recording from exporting, sampled with no
# exporter). Both services are restarted for every row; run it twice to see the noise.
#
#   ./scripts/bench-http.sh [SECONDS] [CONNECTIONS]     (default 10 s, 32 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-32}"
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
host="$(rustc -vV | sed -n 's/^host: //p')"

cargo build -q --release -p cargo-otel
cargo build -q --release -p service-a -p service-b
target/release/cargo-otel otel -q build -q --release -p service-a -p service-b
plain="$PWD/target/release"
woven="$PWD/target/otel/$host/release"
work="$(mktemp -d)"
trap 'pkill -TERM -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT

start() { # dir name envs... → prints the address
    local dir=$1 name=$2
    shift 2
    cp "$dir/$name" "$work/$name"
    env "$@" "$work/$name" >"$work/$name.out" 2>"$work/$name.err" &
    for _ in $(seq 1 100); do
        grep -q "listening on" "$work/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    sed -n 's/.*listening on //p' "$work/$name.out"
}

stop() {
    pkill -TERM -f "$work/service-" 2>/dev/null || true
    sleep 0.5
}

row() { # label dir envs...
    local label=$1 dir=$2
    shift 2
    local b a
    b=$(start "$dir" service-b SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$work/db" CARGO_OTEL_STORE="$work/store" "$@")
    a=$(start "$dir" service-a SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b" CARGO_OTEL_STORE="$work/store" "$@")
    for route in /hello /orders/1; do
        wrk -t1 -c"$conns" -d"${secs}s" --latency "http://$a$route" >"$work/wrk.txt"
        local rps p99
        rps=$(sed -n 's/^Requests\/sec: *//p' "$work/wrk.txt")
        p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
        printf '| %s | %s | %s | %s |\n' "$label" "$route" "$rps" "$p99"
    done
    stop
}

echo "| build | route | requests/s | p99 latency |"
echo "|---|---|---:|---:|"
row "plain cargo build" "$plain"
row "cargo otel, 100% sampled, exported to the file store" "$woven" OTEL_TRACES_SAMPLER=always_on
row "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" "$woven" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none
row "cargo otel, OTEL_SDK_DISABLED=true" "$woven" OTEL_SDK_DISABLED=true
echo "spans recorded: $(cat "$work"/store/*.jsonl 2>/dev/null | wc -l)"
