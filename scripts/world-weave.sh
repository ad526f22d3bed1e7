#!/usr/bin/env bash
# The world weave: build a pinned list of crates.io crates with a catch-all rule (a span on
# every public fn of every crate) under `cargo otel --strict`, and print a table: crate,
# join points, woven or why not.
#
#   ./scripts/world-weave.sh [LIST]    (default scripts/world-weave/nine.txt; `name req` lines)
#
# The crates come from the registry (the lock file next to the list pins their versions once
# resolved); the generated package lives under target/world-weave. Exit status: non-zero when
# the strict build fails, so CI can gate on it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
list="${1:-scripts/world-weave/nine.txt}"
name="$(basename "$list" .txt)"
work="$root/target/world-weave/$name"
mkdir -p "$work/src" "$work/rules/catch-all"

cargo build -q -p cargo-otel
otel="$root/target/debug/cargo-otel"

{
    echo '[package]'
    echo "name = \"world-weave-$name\""
    echo 'version = "0.1.0"'
    echo 'edition = "2021"'
    echo 'publish = false'
    echo
    echo '[workspace]'
    echo
    echo '[workspace.metadata.otel]'
    echo 'rules = ["rules"]'
    echo 'builtin = false'
    echo
    echo '[dependencies]'
    grep -v '^#' "$list" | awk 'NF == 2 { printf "%s = \"%s\"\n", $1, $2 }'
    echo
    echo "[target.'cfg(cargo_otel)'.dependencies]"
    echo "otel-runtime = { path = \"$root/runtime\" }"
    echo
    echo '[lints.rust]'
    echo 'unexpected_cfgs = { level = "warn", check-cfg = ["cfg(cargo_otel)"] }'
} > "$work/Cargo.toml"
{
    echo '//! Links every crate of the list, so each is compiled (and woven) for this binary.'
    grep -v '^#' "$list" | awk 'NF == 2 { gsub("-", "_", $1); printf "use ::%s as _;\n", $1 }'
    echo 'fn main() {}'
} > "$work/src/main.rs"
cat > "$work/rules/catch-all/pack.toml" <<'TOML'
# A span on every public fn of every crate: the world weave's rule.
[pack]
name = "catch-all"
crate = "*"

[[rule]]
id = "every-pub-fn"
fn = "*"
visibility = "pub"
exclude = ["tests"]
span = { name = "{fn}" }
TOML
# The lock file is kept beside the list, so a run is repeatable.
lock="${list%.txt}.lock"
[ -f "$lock" ] && cp "$lock" "$work/Cargo.lock"

status=0
(cd "$work" && "$otel" otel --strict -v build 2>&1) > "$work/build.log" || status=$?
cp "$work/Cargo.lock" "$lock"

echo "| crate | join points | result |"
echo "|---|---:|---|"
grep -v '^#' "$list" | awk 'NF == 2 { print $1 }' | while read -r crate; do
    line=$(grep -E "^ +Weaving $crate v" "$work/build.log" | head -n 1 || true)
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*\(([0-9]+) join points?.*/\1/')
        echo "| $crate | $n | woven |"
    elif grep -qE "^ +Unchanged $crate v" "$work/build.log"; then
        echo "| $crate | 0 | not woven: no public fn of its own (a facade that re-exports) |"
    else
        # The planner's reason (a crate of the runtime's own graph), else the build's.
        why=$(cd "$work" && "$otel" otel explain "$crate" 2>/dev/null | grep -m1 "not woven:" | sed 's/^ *not woven: //' || true)
        [ -n "$why" ] || why=$(grep -E "(error|warning).*$crate v" "$work/build.log" | head -n 1 | cut -c1-160 || true)
        echo "| $crate | – | not woven: ${why:-see $work/build.log} |"
    fi
done
if [ "$status" -ne 0 ]; then
    echo "strict build failed (exit $status); the first errors:"
    grep -E "^error" "$work/build.log" | head -n 20
fi
exit "$status"
