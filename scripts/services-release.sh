# Sourced by the service benchmarks (bench-http.sh, instructions-http.sh, cpu-http.sh), from
# the workspace root: builds service-a and service-b in release twice, plain and with
# `cargo otel` (and hello-sdk, the hand-instrumented peer, plain); sets `plain` and `woven`
# to the two binary folders and `work` to a temp dir removed (with any service still running
# from it) on exit; defines `wait_listening`.
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build -q --release -p cargo-otel
cargo build -q --release -p service-a -p service-b -p hello-sdk
target/release/cargo-otel otel -q build -q --release -p service-a -p service-b
plain="$PWD/target/release"
woven="$PWD/target/otel/$host/release"
work="$(mktemp -d)"
trap 'pkill -TERM -f "$work" 2>/dev/null || true; rm -rf "$work"' EXIT

# Wait until a service's stdout (file $1) says `listening on <addr>`; print the address.
wait_listening() {
    for _ in $(seq 1 200); do
        grep -q "listening on" "$1" 2>/dev/null && break
        sleep 0.1
    done
    sed -n 's/.*listening on //p' "$1"
}
