#!/usr/bin/env bash
# Instructions per query, plain vs `cargo otel` (100% sampled), on the real PostgreSQL and
# Redis of scripts/services.sh: examples/catalog's `query-cost` runs N round trips inside one
# traced job under callgrind (all of its threads: driver, tokio, exporter), at two values of
# N; the difference divided by the difference of N is the cost of one query, without
# start-up, connection and the job's own span. Plain and woven are release builds.
#
#   ./scripts/instructions-db.sh [N_LOW N_HIGH]        (default 200 1200)
set -euo pipefail
cd "$(dirname "$0")/.."
low="${1:-200}"
high="${2:-1200}"
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
scripts/services.sh up postgres redis
cargo build -q --release -p cargo-otel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$PWD/target/catalog-bench"
(cd examples/catalog && cargo build -q --release --bin query-cost --target-dir "$target/plain")
(cd examples/catalog && "$OLDPWD/target/release/cargo-otel" otel --otel-target-dir "$target/otel" \
    build -q --release --bin query-cost)
plain="$target/plain/release/query-cost"
woven=$(ls "$target"/otel/*/release/query-cost)

total() { # binary kind n envs...
    local bin=$1 kind=$2 n=$3 out="$work/cg.out"
    shift 3
    rm -f "$out"
    env "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$kind" "$n" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

per_query() { # binary kind envs...
    local bin=$1 kind=$2 a b
    shift 2
    a=$(total "$bin" "$kind" "$low" "$@")
    b=$(total "$bin" "$kind" "$high" "$@")
    echo $(((b - a) / (high - low)))
}

echo "| query | plain | cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none | cargo otel, 100% sampled, file store | woven / plain (file store) |"
echo "|---|---:|---:|---:|---:|"
for kind in pg redis; do
    p=$(per_query "$plain" "$kind")
    n=$(per_query "$woven" "$kind" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none)
    f=$(per_query "$woven" "$kind" OTEL_TRACES_SAMPLER=always_on CARGO_OTEL_STORE="$work/store")
    label=$([[ $kind == pg ]] && echo 'PostgreSQL `SELECT … WHERE id = $1` (sqlx pool)' || echo 'Redis `GET` (multiplexed)')
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$p" "$n" "$f" "$(awk -v a="$f" -v b="$p" 'BEGIN {printf "%.2f×", a / b}')"
done
