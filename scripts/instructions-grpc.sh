#!/usr/bin/env bash
# Instructions per unary gRPC call, plain vs `cargo otel` (100% sampled): examples/pipeline's
# `grpc-cost N` runs an inventory server and a tonic client in one process and makes N unary
# `Reserve` calls over loopback, under callgrind (all of its threads: client, server,
# exporter), at two values of N; the difference divided by the difference of N is the cost of
# one call (client and server side together), without start-up and connection. Woven, each
# call is a root CLIENT span and its SERVER child (two spans, two duration measurements).
# Plain and woven are release builds.
#
#   ./scripts/instructions-grpc.sh [N_LOW N_HIGH]        (default 200 1200)
set -euo pipefail
cd "$(dirname "$0")/.."
low="${1:-200}"
high="${2:-1200}"
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
cargo build -q --release -p cargo-otel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$PWD/target/pipeline-bench"
(cd examples/pipeline && cargo build -q --release --bin grpc-cost --target-dir "$target/plain")
(cd examples/pipeline && "$OLDPWD/target/release/cargo-otel" otel --otel-target-dir "$target/otel" \
    build -q --release --bin grpc-cost)
plain="$target/plain/release/grpc-cost"
woven=$(ls "$target"/otel/*/release/grpc-cost)

total() { # binary n envs...
    local bin=$1 n=$2 out="$work/cg.out"
    shift 2
    rm -f "$out"
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

per_call() { # binary envs...
    local bin=$1 a b
    shift
    a=$(total "$bin" "$low" "$@")
    b=$(total "$bin" "$high" "$@")
    echo $(((b - a) / (high - low)))
}

p=$(per_call "$plain")
n=$(per_call "$woven" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none)
m=$(per_call "$woven" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none)
f=$(per_call "$woven" OTEL_TRACES_SAMPLER=always_on CARGO_OTEL_STORE="$work/store")
off=$(per_call "$woven" OTEL_RUST_INSTRUMENTATION_TONIC_ENABLED=false OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none)
ratio() { awk -v a="$1" -v b="$p" 'BEGIN {printf "%.2f×", a / b}'; }
echo "| build | instructions per unary call (client + server) | woven / plain |"
echo "|---|---:|---:|"
echo "| plain cargo build | $p | 1.00× |"
echo "| cargo otel, tonic switched off (OTEL_RUST_INSTRUMENTATION_TONIC_ENABLED=false) | $off | $(ratio "$off") |"
echo "| cargo otel, 100% sampled, no exporters (OTEL_TRACES_EXPORTER=none, OTEL_METRICS_EXPORTER=none) | $n | $(ratio "$n") |"
echo "| cargo otel, 100% sampled, no trace exporter, metrics on | $m | $(ratio "$m") |"
echo "| cargo otel, 100% sampled, file store | $f | $(ratio "$f") |"
