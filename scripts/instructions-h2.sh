#!/usr/bin/env bash
# Instructions per HTTP/2 request (h2c, prior knowledge) of service-a's `/hello`, plain vs
# `cargo otel` (100% sampled, no exporter), with the HTTP/1 rows of the same run beside them:
# the companion of instructions-http.sh for the hyper pack's HTTP/2 path (axum::serve's
# `auto` builder; hyper's span claimed by axum). service-a runs under callgrind with
# instrumentation off until it is listening; one warm-up request, then instrumentation on
# for SECONDS of `h2load -c4 -m4` (HTTP/2) or `wrk -c4` (HTTP/1), and the program total is
# divided by the number of requests completed (all of service-a's threads).
#
#   ./scripts/instructions-h2.sh [SECONDS]          (default 5 s per row)
#
# Builds service-a in release twice (plain, and woven with the debug cargo-otel as the
# wrapper: only the woven code's optimisation matters). Stops only the processes it started,
# by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
command -v h2load >/dev/null || { apt-get update -q && apt-get install -y -q nghttp2-client; }
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build -q -p cargo-otel
cargo build -q --release -p service-a
target/debug/cargo-otel otel -q build -q --release -p service-a
plain="$PWD/target/release"
woven="$PWD/target/otel/$host/release"
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; rm -rf "$work"' EXIT

wait_listening() {
    for _ in $(seq 1 1200); do
        grep -q "listening on" "$1" 2>/dev/null && break
        sleep 0.1
    done
    sed -n 's/.*listening on //p' "$1"
}

row() { # label protocol dir envs...
    local label=$1 protocol=$2 dir=$3
    shift 3
    local a out requests total
    out="$work/callgrind.out"
    rm -f "$out"*
    env SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL=http://127.0.0.1:9 "$@" \
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" "$dir/service-a" \
        >"$work/a.out" 2>/dev/null &
    pid=$!
    a=$(wait_listening "$work/a.out")
    if [[ $protocol == 2 ]]; then
        h2load -n1 -c1 "http://$a/hello" >/dev/null
        callgrind_control -i on "$pid" >/dev/null 2>&1
        requests=$(h2load -D "$secs" -c4 -m4 "http://$a/hello" | awk '/^requests:/ {print $8}')
    else
        curl -s "http://$a/hello" >/dev/null
        callgrind_control -i on "$pid" >/dev/null 2>&1
        requests=$(wrk -t1 -c4 -d"${secs}s" "http://$a/hello" | awk '/requests in/ {print $1}')
    fi
    callgrind_control -i off "$pid" >/dev/null 2>&1
    callgrind_control -d "$pid" >/dev/null 2>&1
    sleep 1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    callgrind_annotate "$out".1 >"$work/annotate.txt" 2>/dev/null
    total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$work/annotate.txt")
    printf '| %s | HTTP/%s | %s | %s |\n' "$label" "$protocol" "$requests" "$((total / requests))"
}

echo "| build | protocol | requests (under callgrind) | instructions per request |"
echo "|---|---|---:|---:|"
for protocol in 2 1.1; do
    row "plain cargo build" "$protocol" "$plain"
    row "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" "$protocol" "$woven" \
        OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none
done
