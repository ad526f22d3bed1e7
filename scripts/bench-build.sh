#!/usr/bin/env bash
# Build-time benchmarks of the wrapper (issue 2), measured in one run with hyperfine:
#  1. wrapper overhead on a rustc call it does not touch (probe, and a non-matching crate);
#  2. a clean `cargo otel build` of the two-services graph against a plain `cargo build`
#     of the same graph with the same rustflags (--cfg cargo_otel, --target <host>), in
#     RUNS interleaved pairs.
# The time to weave a large crate is a criterion bench: cargo bench -p otel-weave --bench weave
#
#   ./scripts/bench-build.sh [RUNS] [all|build]   (default: 3 interleaved pairs, both parts)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
command -v hyperfine >/dev/null || { apt-get update -q && apt-get install -y -q hyperfine; }
command -v bc >/dev/null || { apt-get update -q && apt-get install -y -q bc; }

cargo build -q --release -p cargo-otel
wrapper="$PWD/target/release/cargo-otel"
host="$(rustc -vV | sed -n 's/^host: //p')"
registry_crate="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/itoa-1* | head -n 1)"

if [ "${2:-all}" = all ]; then
echo "## wrapper overhead per rustc call it does not weave"
# /bin/true stands in for rustc so the wrapper's own cost is not lost in rustc's start-up
# noise; `env` sets the variables for every row, so the wrapper's cost is row − "env → true".
hyperfine -N --warmup 50 --runs 1000 --export-markdown target/bench-wrapper.md \
    -n "env → /bin/true" "env CARGO_OTEL_WRAPPER=1 /bin/true -vV" \
    -n "env → cargo-otel → /bin/true (probe: -vV)" "env CARGO_OTEL_WRAPPER=1 $wrapper /bin/true -vV" \
    -n "env → cargo-otel → /bin/true (target unit of a crate no pack names)" \
    "env CARGO_OTEL_WRAPPER=1 CARGO_OTEL_PACKAGES=tokio,reqwest,axum CARGO_PKG_NAME=itoa CARGO_MANIFEST_DIR=$registry_crate $wrapper /bin/true --cfg cargo_otel --crate-name itoa -vV"
cat target/bench-wrapper.md
fi

echo "## clean build of the two-services graph"
flags=$'--cfg\x1fcargo_otel\x1f--check-cfg\x1fcfg(cargo_otel)'
crates=$(cargo tree -q -p service-a -p service-b --target "$host" -e normal,build --prefix none --features "" 2>/dev/null | sed 's/ (.*//' | sort -u | wc -l)
echo "graph: $crates packages (cargo tree, normal + build deps, without the runtime)"
# Interleaved pairs (plain, then cargo otel, RUNS times): the machine's drift between
# blocks of runs is larger than the effect, so each pair is compared on its own; the CPU
# sums (user + system of every rustc) vary less than wall time on a shared machine.
measure() { /usr/bin/time -f "%e %U %S" -o target/bench-time "$@" >/dev/null 2>&1; awk '{printf "%s %s", $1, $2 + $3}' target/bench-time; }
pct() { echo "($2 - $1) * 100 / $1" | bc -l; }
echo "| pair | plain wall | cargo otel wall | difference | plain CPU | cargo otel CPU | difference |"
echo "|---|---:|---:|---:|---:|---:|---:|"
sum_pw=0; sum_ow=0; sum_pc=0; sum_oc=0
for i in $(seq 1 "$runs"); do
    rm -rf target/bench-plain target/bench-otel
    read -r pw pc <<<"$(measure env CARGO_ENCODED_RUSTFLAGS="$flags" cargo build -q --target "$host" --target-dir target/bench-plain -p service-a -p service-b)"
    read -r ow oc <<<"$(measure "$wrapper" otel -q build -q --otel-target-dir target/bench-otel -p service-a -p service-b)"
    sum_pw=$(echo "$sum_pw + $pw" | bc); sum_ow=$(echo "$sum_ow + $ow" | bc)
    sum_pc=$(echo "$sum_pc + $pc" | bc); sum_oc=$(echo "$sum_oc + $oc" | bc)
    printf "| %d | %.1f s | %.1f s | %+.1f%% | %.1f s | %.1f s | %+.1f%% |\n" "$i" "$pw" "$ow" "$(pct "$pw" "$ow")" "$pc" "$oc" "$(pct "$pc" "$oc")"
done
printf "| sum | %.1f s | %.1f s | **%+.1f%%** | %.1f s | %.1f s | **%+.1f%%** |\n" "$sum_pw" "$sum_ow" "$(pct "$sum_pw" "$sum_ow")" \
    "$sum_pc" "$sum_oc" "$(pct "$sum_pc" "$sum_oc")"
