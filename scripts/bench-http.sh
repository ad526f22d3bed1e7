#!/usr/bin/env bash
# Runtime overhead on a real service (issue 4), measured in one run with wrk on loopback:
# service-a built plain vs with `cargo otel` (release), on the hello-world route and on the
# A→B route: 100% sampled with spans exported to the local file store, 100% sampled with no
# exporter (recording without exporting), 10% of traces sampled (as production runs it),
# and OTEL_SDK_DISABLED=true. Both services are restarted for every measurement;
# configurations are interleaved over ROUNDS rounds and the table shows medians and every run.
#
#   ./scripts/bench-http.sh [SECONDS] [CONNECTIONS] [ROUNDS]   (default 10 s, 32 connections, 3 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-32}"
rounds="${3:-3}"
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
# shellcheck source=scripts/services-release.sh
. scripts/services-release.sh

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

# One measurement: start both services with `envs`, wrk each route, append
# `config route req/s p99` lines to $work/results.
measure() { # config dir envs...
    local config=$1 dir=$2
    shift 2
    local b a
    b=$(start "$dir" service-b SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$work/db" CARGO_OTEL_STORE="$work/store" "$@")
    a=$(start "$dir" service-a SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b" CARGO_OTEL_STORE="$work/store" "$@")
    for route in /hello /orders/1; do
        wrk -t1 -c"$conns" -d"${secs}s" --latency "http://$a$route" >"$work/wrk.txt"
        local rps p99
        rps=$(sed -n 's/^Requests\/sec: *//p' "$work/wrk.txt")
        p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
        echo "$config $route $rps $p99" >>"$work/results"
    done
    stop
    rm -rf "$work/store"
}

# The peer: /hello instrumented by hand with the OpenTelemetry SDK (examples/hello-sdk), as
# the 100%-sampled, no-exporter row does it.
measure_peer() {
    local a
    a=$(start "$plain" hello-sdk HELLO_SDK_ADDR=127.0.0.1:0)
    wrk -t1 -c"$conns" -d"${secs}s" --latency "http://$a/hello" >"$work/wrk.txt"
    echo "hand-sdk /hello $(sed -n 's/^Requests\/sec: *//p' "$work/wrk.txt") $(awk '$1=="99%" {print $2}' "$work/wrk.txt")" >>"$work/results"
    pkill -TERM -f "$work/hello-sdk" 2>/dev/null || true
    sleep 0.5
}

configs=(plain sampled-file sampled-none hand-sdk ratio-file disabled)
label() {
    case $1 in
        plain) echo "plain cargo build" ;;
        sampled-file) echo "cargo otel, 100% sampled, exported to the file store" ;;
        sampled-none) echo "cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none" ;;
        hand-sdk) echo "peer: instrumented by hand with the SDK, 100% sampled, no exporter" ;;
        ratio-file) echo "cargo otel, 10% sampled (parentbased_traceidratio), file store" ;;
        disabled) echo "cargo otel, OTEL_SDK_DISABLED=true" ;;
    esac
}

# Interleaved rounds: every configuration once per round, so drift on a shared machine
# (other load, frequency) spreads over all of them instead of landing on one row.
for round in $(seq 1 "$rounds"); do
    echo "round $round/$rounds" >&2
    measure plain "$plain"
    measure sampled-file "$woven" OTEL_TRACES_SAMPLER=always_on
    measure sampled-none "$woven" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none
    measure_peer
    measure ratio-file "$woven" OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1
    measure disabled "$woven" OTEL_SDK_DISABLED=true
done

# Medians per configuration and route; loss against plain's median on the same route.
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
p99_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000} print v}'; }
echo "| build | route | requests/s (median of $rounds) | all runs | vs plain | p99 (median) |"
echo "|---|---|---:|---|---:|---:|"
for route in /hello /orders/1; do
    base=$(awk -v r="$route" '$1=="plain" && $2==r {print $3}' "$work/results" | median)
    for config in "${configs[@]}"; do
        grep -q "^$config $route " "$work/results" || continue
        rps=$(awk -v c="$config" -v r="$route" '$1==c && $2==r {print $3}' "$work/results" | median)
        all=$(awk -v c="$config" -v r="$route" '$1==c && $2==r {printf "%s%d", sep, $3; sep=" / "}' "$work/results")
        p99=$(awk -v c="$config" -v r="$route" '$1==c && $2==r {print $4}' "$work/results" | p99_ms | median)
        delta=$(awk -v a="$rps" -v b="$base" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}')
        printf '| %s | %s | %.0f | %s | %s | %.2f ms |\n' "$(label "$config")" "$route" "$rps" "$all" "$delta" "$p99"
    done
done
