#!/usr/bin/env bash
# The main job: install `cargo otel`, run the two-services example under `cargo otel run`
# (no tracing code in either service), send a few requests, and show the traces.
#
#   ./scripts/demo.sh            # from the repository root, on a machine with rustup + curl
#
# Services listen on loopback ports chosen by the OS. Traces land in the local file store
# (target/otel/traces) that `cargo otel view` reads.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1;32m%12s\033[0m %s\n' "$1" "$2" >&2; }

if ! command -v curl >/dev/null 2>&1; then
    say Installing "curl (apt-get), used to send the requests"
    { apt-get update -q && apt-get install -y -q curl; } >/dev/null
fi

say Installing "cargo-otel (cargo install --path cargo-otel)"
cargo install --quiet --locked --path cargo-otel

store="$PWD/target/otel/traces"
rm -rf "$store"
logs="$(mktemp -d)"
pids=()
stop_all() {
    # SIGTERM the services themselves: they shut down gracefully and the runtime flushes.
    for bin in service-a service-b; do
        pkill -TERM -f "target/otel/.*/debug/$bin\$" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

say Building "both services with instrumentation woven in (cargo otel build)"
cargo otel build -p service-a -p service-b

# Start one service under `cargo otel run` and wait for its "listening on ADDR" line.
start() {
    local name=$1
    shift
    env "$@" cargo otel -q run -q -p "$name" >"$logs/$name.out" 2>"$logs/$name.err" &
    pids+=($!)
    for _ in $(seq 1 600); do
        if grep -q "listening on" "$logs/$name.out" 2>/dev/null; then
            sed -n 's/.*listening on //p' "$logs/$name.out" | head -n 1
            return 0
        fi
        sleep 0.1
    done
    echo "demo: $name did not start; its log:" >&2
    cat "$logs/$name.err" >&2
    exit 1
}

b_addr=$(start service-b SERVICE_B_ADDR=127.0.0.1:0 SERVICE_B_DB="$PWD/target/two-services/inventory.db")
say Started "service-b on $b_addr"
a_addr=$(start service-a SERVICE_A_ADDR=127.0.0.1:0 SERVICE_B_URL="http://$b_addr")
say Started "service-a on $a_addr"

say Requesting "service-a (which calls service-b)"
SERVICE_A_URL="http://$a_addr" examples/two-services/drive.sh || true

stop_all
trap - EXIT
say Traces "cargo otel view --last 4"
cargo otel view --last 4
