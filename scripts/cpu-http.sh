#!/usr/bin/env bash
# CPU time (user + system, from /proc/<pid>/stat) per request of service-a and service-b,
# plain vs `cargo otel` (100% sampled, without and with the file store), around one wrk run
# of SECONDS per row: unlike requests/s, it does not depend on how the two cores are shared
# between wrk and the services.
#
#   ./scripts/cpu-http.sh [SECONDS]          (default 8 s per row)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-8}"
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
# shellcheck source=scripts/services-release.sh
. scripts/services-release.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

row() { # label dir route envs...
    local label=$1 dir=$2 route=$3
    shift 3
    local b a pa pb a0 b0 n a1 b1
    env SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$work/db" CARGO_OTEL_STORE="$work/store" "$@" \
        "$dir/service-b" >"$work/b.out" 2>/dev/null &
    pb=$!
    b=$(wait_listening "$work/b.out")
    env SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b" CARGO_OTEL_STORE="$work/store" "$@" \
        "$dir/service-a" >"$work/a.out" 2>/dev/null &
    pa=$!
    a=$(wait_listening "$work/a.out")
    curl -s "http://$a$route" >/dev/null
    a0=$(cpu_ticks "$pa")
    b0=$(cpu_ticks "$pb")
    n=$(wrk -t1 -c32 -d"${secs}s" "http://$a$route" | awk '/requests in/ {print $1}')
    a1=$(cpu_ticks "$pa")
    b1=$(cpu_ticks "$pb")
    kill -TERM "$pa" "$pb" 2>/dev/null || true
    wait "$pa" "$pb" 2>/dev/null || true
    rm -rf "$work/store"
    awk -v l="$label" -v r="$route" -v n="$n" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t="$(getconf CLK_TCK)" \
        'BEGIN {printf "| %s | %s | %d | %.1f µs | %.1f µs |\n", l, r, n, a * 1e6 / t / n, b * 1e6 / t / n}'
}

echo "| build | route | requests | service-a CPU per request | service-b CPU per request |"
echo "|---|---|---:|---:|---:|"
for route in /hello /orders/1; do
    row "plain cargo build" "$plain" "$route"
    row "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" "$woven" "$route" \
        OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none
    row "cargo otel, 100% sampled, file store" "$woven" "$route" OTEL_TRACES_SAMPLER=always_on
done
