#!/usr/bin/env bash
# Instructions per `#[instrument]`-heavy request (examples/tracing-bench: a span, five nested
# `#[instrument]` calls, two events), three builds of the same program in one run: plain
# (tracing to a registry), woven by `cargo otel` (the tracing pack mirrors every span;
# 100% sampled, nothing exported), and hand-wired (tracing-opentelemetry over the SDK, the
# code an app writes without cargo-otel; sampled, nothing exported). Release builds; N_LOW
# and N_HIGH requests under callgrind, the difference divided by the difference of N.
#
#   ./scripts/instructions-tracing.sh [N_LOW N_HIGH]        (default 200 1200)
set -euo pipefail
cd "$(dirname "$0")/.."
low="${1:-200}"
high="${2:-1200}"
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
cargo build -q --release -p cargo-otel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$PWD/target/tracing-bench"
(cd examples/tracing-bench && cargo build -q --release --target-dir "$target/plain")
(cd examples/tracing-bench && cargo build -q --release --features handwired --target-dir "$target/handwired")
(cd examples/tracing-bench && "$OLDPWD/target/release/cargo-otel" otel --otel-target-dir "$target/otel" build -q --release)
plain="$target/plain/release/tracing-bench"
handwired="$target/handwired/release/tracing-bench"
woven=$(ls "$target"/otel/*/release/tracing-bench)

total() { # binary n envs...
    local bin=$1 n=$2 out="$work/cg.out"
    shift 2
    rm -f "$out"
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$n" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}
per_request() { # binary envs...
    local bin=$1 a b
    shift
    a=$(total "$bin" "$low" "$@")
    b=$(total "$bin" "$high" "$@")
    echo $(((b - a) / (high - low)))
}

p=$(per_request "$plain")
h=$(per_request "$handwired")
w=$(per_request "$woven" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none)
echo "| build | instructions per request | vs plain | vs hand-wired |"
echo "|---|---:|---:|---:|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f×", a / b}'; }
printf '| plain (tracing, registry only) | %s | 1.00× | — |\n' "$p"
printf '| hand-wired tracing-opentelemetry (SDK, sampled, no export) | %s | %s | 1.00× |\n' "$h" "$(ratio "$h" "$p")"
printf '| cargo otel, tracing pack (sampled, no export) | %s | %s | %s |\n' "$w" "$(ratio "$w" "$p")" "$(ratio "$w" "$h")"
