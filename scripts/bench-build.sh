#!/usr/bin/env bash
# Build-time benchmarks of the wrapper (issue 2), measured in one run with hyperfine:
#  1. wrapper overhead on a rustc call it does not touch (probe, and a non-matching crate);
#  2. a clean `cargo otel build` of the two-services graph against a plain `cargo build`
#     of the same graph with the same rustflags (--cfg cargo_otel, --target <host>).
# The time to weave a large crate is a criterion bench: cargo bench -p otel-weave --bench weave
#
#   ./scripts/bench-build.sh [RUNS]      (default 2 runs of each clean build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-2}"
command -v hyperfine >/dev/null || { apt-get update -q && apt-get install -y -q hyperfine; }

cargo build -q --release -p cargo-otel
wrapper="$PWD/target/release/cargo-otel"
host="$(rustc -vV | sed -n 's/^host: //p')"
registry_crate="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/itoa-1* | head -n 1)"

echo "## wrapper overhead per rustc call it does not weave"
# /bin/true stands in for rustc so the wrapper's own cost is not lost in rustc's start-up
# noise; `env` sets the variables for every row, so the wrapper's cost is row − "env → true".
hyperfine -N --warmup 50 --runs 1000 --export-markdown target/bench-wrapper.md \
    -n "env → /bin/true" "env CARGO_OTEL_WRAPPER=1 /bin/true -vV" \
    -n "env → cargo-otel → /bin/true (probe: -vV)" "env CARGO_OTEL_WRAPPER=1 $wrapper /bin/true -vV" \
    -n "env → cargo-otel → /bin/true (target unit of a crate no pack names)" \
    "env CARGO_OTEL_WRAPPER=1 CARGO_OTEL_PACKAGES=tokio,reqwest,axum CARGO_PKG_NAME=itoa CARGO_MANIFEST_DIR=$registry_crate $wrapper /bin/true --cfg cargo_otel --crate-name itoa -vV"
cat target/bench-wrapper.md

echo "## clean build of the two-services graph"
flags=$'--cfg\x1fcargo_otel\x1f--check-cfg\x1fcfg(cargo_otel)'
crates=$(cargo tree -q -p service-a -p service-b --target "$host" -e normal,build --prefix none --features "" 2>/dev/null | sed 's/ (.*//' | sort -u | wc -l)
echo "graph: $crates packages (cargo tree, normal + build deps, without the runtime)"
hyperfine --runs "$runs" --export-markdown target/bench-build.md \
    -n "cargo build (plain, same rustflags)" \
    --prepare "rm -rf target/bench-plain" \
    "env CARGO_ENCODED_RUSTFLAGS='$flags' cargo build -q --target $host --target-dir target/bench-plain -p service-a -p service-b" \
    -n "cargo otel build" \
    --prepare "rm -rf target/bench-otel" \
    "$wrapper otel -q build -q --otel-target-dir target/bench-otel -p service-a -p service-b"
cat target/bench-build.md
