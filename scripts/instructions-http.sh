#!/usr/bin/env bash
# Instructions per request of service-a, plain vs `cargo otel` (100% sampled, no exporter):
# the noise-free companion of bench-http.sh on a shared 2-core machine. service-a runs
# under callgrind with instrumentation off until it is listening and WARMUP seconds (default
# 3) of the same load have run, so pools and caches are at their steady state (the span
# pool grows to the spans in flight to the exporter, a batch's worth); then instrumentation
# on for SECONDS of `wrk -c4`, and the program total is divided by the number of requests
# wrk completed (all of service-a's threads, exporter included).
# The last rows run service-b under callgrind instead (`/orders/1`: its queries, threads
# and blocking tasks are most of that request's spans).
#
#   [WARMUP=3] ./scripts/instructions-http.sh [SECONDS]          (default 5 s per row)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
warmup="${WARMUP:-3}"
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
# shellcheck source=scripts/services-release.sh
. scripts/services-release.sh

row() { # label dir route envs...   (`service-a` under callgrind; BIN=hello-sdk or UNDER=b)
    local label=$1 dir=$2 route=$3
    shift 3
    local b a out requests total bin="${BIN:-service-a}"
    local grind=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out")
    local grind_a=("${grind[@]}") grind_b=()
    if [[ ${UNDER:-a} == b ]]; then grind_b=("${grind[@]}") grind_a=(); fi
    out="$work/callgrind.out"
    rm -f "$out"*
    env SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$work/db" "$@" "${grind_b[@]}" "$dir/service-b" >"$work/b.out" 2>/dev/null &
    b=$(wait_listening "$work/b.out")
    env SERVICE_A_ADDR=127.0.0.1:0 HELLO_SDK_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b" "$@" \
        "${grind_a[@]}" "$dir/$bin" >"$work/a.out" 2>/dev/null &
    a=$(wait_listening "$work/a.out")
    curl -s "http://$a$route" >/dev/null
    wrk -t1 -c4 -d"${warmup}s" "http://$a$route" >/dev/null
    callgrind_control -i on >/dev/null 2>&1
    requests=$(wrk -t1 -c4 -d"${secs}s" "http://$a$route" | awk '/requests in/ {print $1}')
    callgrind_control -i off >/dev/null 2>&1
    callgrind_control -d >/dev/null 2>&1
    sleep 1
    pkill -TERM -f "$dir/service-" 2>/dev/null || true
    pkill -TERM -f "$dir/hello-sdk" 2>/dev/null || true
    sleep 2
    callgrind_annotate "$out".1 >"$work/annotate.txt" 2>/dev/null
    total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}' "$work/annotate.txt")
    printf '| %s | %s | %s | %s |\n' "$label" "$route" "$requests" "$((total / requests))"
}

echo "| build | route | requests (under callgrind) | instructions per request |"
echo "|---|---|---:|---:|"
for route in /hello /orders/1; do
    row "plain cargo build" "$plain" "$route"
    row "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" "$woven" "$route" \
        OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none
    if [[ $route == /hello ]]; then
        BIN=hello-sdk row "peer: instrumented by hand with the SDK (examples/hello-sdk)" "$plain" "$route"
    fi
    row "cargo otel, 100% sampled, file store" "$woven" "$route" \
        OTEL_TRACES_SAMPLER=always_on CARGO_OTEL_STORE="$work/store"
    row "cargo otel, 10% sampled (parentbased_traceidratio), file store" "$woven" "$route" \
        OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1 CARGO_OTEL_STORE="$work/store"
done
UNDER=b row "service-b: plain cargo build" "$plain" /orders/1
UNDER=b row "service-b: cargo otel, 100% sampled, file store" "$woven" /orders/1 \
    OTEL_TRACES_SAMPLER=always_on CARGO_OTEL_STORE="$work/store"
