#!/usr/bin/env bash
# CPU time (user + system, from /proc/<pid>/stat) per request of service-a and service-b,
# plain vs `cargo otel` (100% sampled, without and with the file store), around one wrk run
# of SECONDS per row: unlike requests/s, it does not depend on how the two cores are shared
# between wrk and the services. Each row starts with WARMUP seconds (default 2) of the same
# load, unmeasured; the rows of a route run in turn, ROUNDS times (default 3), and each
# figure is the median of its rounds, with the lowest and highest beside it: on two cores
# the same build moves by several percent between runs (docs/benchmarks.md).
#
#   [ROUNDS=3] [WARMUP=2] ./scripts/cpu-http.sh [SECONDS]          (default 8 s per row)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-8}"
rounds="${ROUNDS:-3}"
warmup="${WARMUP:-2}"
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
# shellcheck source=scripts/services-release.sh
. scripts/services-release.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One measured run: prints `<service-a µs> <service-b µs> <requests>`.
run() { # dir route envs...
    local dir=$1 route=$2
    shift 2
    local b a pa pb a0 b0 n a1 b1
    env SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$work/db" CARGO_OTEL_STORE="$work/store" "$@" \
        "$dir/service-b" >"$work/b.out" 2>/dev/null &
    pb=$!
    b=$(wait_listening "$work/b.out")
    env SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b" CARGO_OTEL_STORE="$work/store" "$@" \
        "$dir/service-a" >"$work/a.out" 2>/dev/null &
    pa=$!
    a=$(wait_listening "$work/a.out")
    wrk -t1 -c32 -d"${warmup}s" "http://$a$route" >/dev/null
    a0=$(cpu_ticks "$pa")
    b0=$(cpu_ticks "$pb")
    n=$(wrk -t1 -c32 -d"${secs}s" "http://$a$route" | awk '/requests in/ {print $1}')
    a1=$(cpu_ticks "$pa")
    b1=$(cpu_ticks "$pb")
    kill -TERM "$pa" "$pb" 2>/dev/null || true
    wait "$pa" "$pb" 2>/dev/null || true
    rm -rf "$work/store"
    awk -v n="$n" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v t="$(getconf CLK_TCK)" \
        'BEGIN {printf "%.1f %.1f %d\n", a * 1e6 / t / n, b * 1e6 / t / n, n}'
}

# `median (lowest–highest)` of the numbers on stdin.
spread() {
    sort -n | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f µs (%.1f–%.1f)", m, v[1], v[NR]}'
}

labels=("plain cargo build" "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" "cargo otel, 100% sampled, file store")
row_env() { # index -> dir and envs for that row
    case $1 in
        0) echo "$plain" ;;
        1) echo "$woven OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none" ;;
        2) echo "$woven OTEL_TRACES_SAMPLER=always_on" ;;
    esac
}

echo "| build | route | requests (last round) | service-a CPU per request | service-b CPU per request |"
echo "|---|---|---:|---:|---:|"
for route in /hello /orders/1; do
    for round in $(seq 1 "$rounds"); do
        for i in 0 1 2; do
            # shellcheck disable=SC2046 # the dir and the envs are words
            run $(row_env "$i" | awk '{print $1}') "$route" $(row_env "$i" | cut -s -d' ' -f2-) >"$work/row$i.$round"
        done
    done
    for i in 0 1 2; do
        a=$(cat "$work"/row$i.* | awk '{print $1}' | spread)
        b=$(cat "$work"/row$i.* | awk '{print $2}' | spread)
        n=$(awk '{print $3}' "$work/row$i.$rounds")
        printf '| %s | %s | %s | %s | %s |\n' "${labels[$i]}" "$route" "$n" "$a" "$b"
    done
    rm -f "$work"/row*
done
