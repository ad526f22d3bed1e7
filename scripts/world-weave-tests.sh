#!/usr/bin/env bash
# The world weave's test part: do crates.io crates' own test suites pass woven as they pass
# plain? For each `name version` of the list, a copy of the crate's published source is made
# its own workspace, given the cfg(cargo_otel)-gated otel-runtime dependency (`cargo otel
# init`) and a catch-all pack for that crate only (a span on every public fn), and its tests
# are run twice: plain `cargo test` and `cargo otel --strict test`. Prints a table.
#
#   ./scripts/world-weave-tests.sh [LIST]    (default scripts/world-weave/tests.txt)
#
# The list holds `name version` lines (exact versions, as pinned by top100.lock). Copies and
# logs live under target/world-weave-tests/<name> (throwaway); the two modes each share one
# target dir there, so dependencies are built once per mode. Each crate's resolved lock file
# is kept in scripts/world-weave/tests/<name>.lock, so a run is repeatable.
#
# Tests: `--lib --tests` in both modes (doctests of a woven library do not link; see the
# README's known limits), `--no-fail-fast`. The woven tests export nothing
# (OTEL_TRACES_EXPORTER=none unless set): spans are still created and ended, only not sent.
#
# Exit status: non-zero when a crate's woven tests fail (or do not build) where its plain
# ones pass, or pass a different set of tests; zero otherwise (a crate whose plain tests
# already fail is reported, not counted).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
list="${1:-scripts/world-weave/tests.txt}"
base="$root/target/world-weave-tests"
locks="$root/scripts/world-weave/tests"
plain_target="$base/target-plain"
otel_target="$base/target-otel"
timeout_s="${WORLD_WEAVE_TESTS_TIMEOUT:-1200}"
mkdir -p "$base" "$locks"

cargo build -q -p cargo-otel
otel="$root/target/debug/cargo-otel"
# The same profile for both modes, lean on disk: the woven target dir does not share
# builds across crates (the weaver's fingerprint in the rustflags differs per crate's pack,
# so each crate rebuilds the runtime's graph), only across reruns of one crate. Set after
# building the tool, so that build stays the ordinary one.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_TEST_DEBUG=0
min_free_kb="${WORLD_WEAVE_TESTS_MIN_FREE_KB:-6000000}"
registry_src() { ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$1-$2" 2>/dev/null | head -n 1; }

# The crate's published source, downloaded through a throwaway package if not unpacked yet.
fetch_crate() {
    local name="$1" version="$2" dir
    dir=$(registry_src "$name" "$version")
    if [ -z "$dir" ]; then
        local f="$base/fetch-$name"
        rm -rf "$f" && mkdir -p "$f/src" && : > "$f/src/lib.rs"
        printf '[package]\nname = "fetch-%s"\nversion = "0.0.0"\nedition = "2021"\n\n[workspace]\n\n[dependencies]\n%s = "=%s"\n' \
            "$name" "$name" "$version" > "$f/Cargo.toml"
        (cd "$f" && cargo fetch -q) >&2
        dir=$(registry_src "$name" "$version")
    fi
    echo "$dir"
}

# Sum libtest's `test result:` lines of a log: "passed failed".
counts() {
    grep -E '^test result: ' "$1" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' |
        awk '{ p += $1; f += $2 } END { printf "%d %d\n", p, f }'
}
# The names of the failed tests of a log, sorted.
failed_tests() { grep -E '^test .* \.\.\. FAILED$' "$1" | sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | sort -u; }
# Why a run failed: the first compiler error, else the first panic, else the failed tests.
first_error() {
    local e
    e=$(grep -m1 -E '^error(\[E[0-9]+\])?:' "$1" || true)
    [ -n "$e" ] || e=$(grep -m1 -E "panicked at|^thread '.*' panicked" "$1" || true)
    [ -n "$e" ] || e=$(failed_tests "$1" | head -n 3 | tr '\n' ' ')
    [ -n "$e" ] || e=$(grep -m1 -E 'timed out|Killed|signal' "$1" || true)
    echo "${e:-see $1}" | cut -c1-200 | sed 's/|/\\|/g'
}

status=0
rows=()
# A row for the table, also shown as it comes (on stderr).
row() { rows+=("$1"); echo "   $1" >&2; }
start_all=$(date +%s)
while read -r name version _; do
    case "$name" in ''|'#'*) continue ;; esac
    work="$base/$name"
    src=$(fetch_crate "$name" "$version")
    if [ -z "$src" ]; then
        row "| $name | $version | – | – | – | not run: cannot fetch $name $version |"
        continue
    fi
    echo "== $name $version" >&2
    rm -rf "$work"
    mkdir -p "$work"
    cp -r "$src" "$work/src-copy"
    crate="$work/src-copy"
    chmod -R u+w "$crate"
    # Its own workspace (a published manifest has no [workspace]), with a catch-all pack
    # for this crate alone and no built-in packs.
    grep -qE '^\[workspace\]' "$crate/Cargo.toml" || printf '\n[workspace]\n' >> "$crate/Cargo.toml"
    printf '\n[workspace.metadata.otel]\nrules = ["otel-rules"]\nbuiltin = false\n' >> "$crate/Cargo.toml"
    mkdir -p "$crate/otel-rules/catch-all-$name"
    cat > "$crate/otel-rules/catch-all-$name/pack.toml" <<TOML
# A span on every public fn of $name: the world weave's rule, for this crate alone.
[pack]
name = "catch-all-$name"
crate = "$name"

[[rule]]
id = "every-pub-fn"
fn = "*"
visibility = "pub"
exclude = ["tests"]
span = { name = "{fn}" }
TOML
    [ -f "$locks/$name.lock" ] && cp "$locks/$name.lock" "$crate/Cargo.lock"
    if ! (cd "$crate" && "$otel" otel init --path "$root/runtime") > "$work/init.log" 2>&1; then
        row "| $name | $version | – | – | – | not run: \`cargo otel init\` failed: $(first_error "$work/init.log") |"
        status=1
        continue
    fi

    t0=$(date +%s)
    prc=0
    (cd "$crate" && CARGO_TARGET_DIR="$plain_target" timeout "$timeout_s" \
        cargo test --lib --tests --no-fail-fast 2>&1) > "$work/plain.log" || prc=$?
    t1=$(date +%s)
    wrc=0
    (cd "$crate" && OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-none}" timeout "$timeout_s" \
        "$otel" otel --strict -v --otel-target-dir "$otel_target" test --lib --tests --no-fail-fast 2>&1) \
        > "$work/woven.log" || wrc=$?
    t2=$(date +%s)
    cp "$crate/Cargo.lock" "$locks/$name.lock"
    # Under a disk floor, the woven builds of earlier crates go (they are not reused).
    if [ "$(df -Pk "$base" | awk 'NR == 2 { print $4 }')" -lt "$min_free_kb" ]; then
        echo "   low on disk: removing $otel_target" >&2
        rm -rf "$otel_target"
    fi
    echo "   plain exit $prc in $((t1 - t0)) s, woven exit $wrc in $((t2 - t1)) s" >&2

    line=$(grep -m1 -E "^ +Weaving $name v" "$work/woven.log" || true)
    if [ -n "$line" ]; then
        jp=$(echo "$line" | sed -E 's/.*\(([0-9]+) join points?.*/\1/')
    else
        jp="–"  # no crate woven: the woven build failed before, or nothing matched
    fi
    read -r pp pf < <(counts "$work/plain.log")
    read -r wp wf < <(counts "$work/woven.log")
    plain="$pp/$pf"
    woven="$wp/$wf"
    grep -q '^test result: ' "$work/plain.log" || plain="did not build"
    grep -q '^test result: ' "$work/woven.log" || woven="did not build"
    if [ "$prc" -ne 0 ] && [ "$plain" = "did not build" ]; then
        result="not compared: plain tests do not build: $(first_error "$work/plain.log")"
    elif [ "$wrc" -eq 0 ] && [ "$prc" -eq 0 ] && [ "$pp" = "$wp" ] && [ "$jp" != "–" ]; then
        result="same"
    elif [ "$wrc" -eq 0 ] && [ "$prc" -eq 0 ] && [ "$pp" = "$wp" ]; then
        result="same, but nothing woven (no Weaving line in $work/woven.log)"
        status=1
    elif [ "$prc" -ne 0 ] && [ "$woven" != "did not build" ] &&
         [ "$pp" = "$wp" ] && [ "$(failed_tests "$work/plain.log")" = "$(failed_tests "$work/woven.log")" ]; then
        result="same: the same $pf failed plain ($(failed_tests "$work/plain.log" | head -n 3 | paste -sd, -))"
    elif [ "$wrc" -ne 0 ] && [ "$woven" = "did not build" ]; then
        [ "$wrc" -eq 124 ] && why="timed out after $timeout_s s" || why=$(first_error "$work/woven.log")
        result="differs: woven tests do not build: $why"
        status=1
    elif [ "$wrc" -eq 124 ]; then
        result="differs: woven tests timed out after $timeout_s s"
        status=1
    elif [ "$wrc" -ne 0 ]; then
        result="differs: woven tests fail: $(first_error "$work/woven.log")"
        status=1
    else
        result="differs: $pp tests pass plain, $wp woven"
        status=1
    fi
    row "| $name | $version | $jp | $plain | $woven | $result |"
done < "$list"

echo "| crate | version | join points | plain (passed/failed) | woven (passed/failed) | result |"
echo "|---|---|---:|---:|---:|---|"
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "wall time: $(( $(date +%s) - start_all )) s"
exit "$status"
