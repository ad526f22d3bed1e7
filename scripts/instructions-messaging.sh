#!/usr/bin/env bash
# Instructions per publish → consume round trip, plain vs `cargo otel` (100% sampled), on the
# real RabbitMQ and NATS of scripts/services.sh: the fixtures tests/fixtures/lapin-app and
# nats-app, with ROUND_TRIPS=N, run N sequential round trips (publish, then the consumer's
# next delivery; lapin also acks) inside one traced fn under callgrind (all threads: client
# I/O, tokio, exporter), at two values of N; the difference divided by the difference of N is
# the cost of one round trip, without start-up, connection and the fn's own span. Woven, a
# round trip is one PRODUCER and one CONSUMER span, the context injected and extracted.
# Plain and woven are release builds.
#
#   ./scripts/instructions-messaging.sh [N_LOW N_HIGH]        (default 200 1200)
set -euo pipefail
cd "$(dirname "$0")/.."
low="${1:-200}"
high="${2:-1200}"
command -v valgrind >/dev/null || { apt-get update -q && apt-get install -y -q valgrind; }
scripts/services.sh up rabbitmq nats
cargo build -q --release -p cargo-otel
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target="$PWD/target/messaging-bench"
for app in lapin-app nats-app; do
    cp -r "tests/fixtures/$app" "$work/$app"
    sed -i "s#@RUNTIME@#$PWD/runtime#" "$work/$app/Cargo.toml"
    (cd "$work/$app" && cargo build -q --release --target-dir "$target/plain")
    (cd "$work/$app" && "$OLDPWD/target/release/cargo-otel" otel --otel-target-dir "$target/otel" build -q --release)
done

total() { # binary n envs...
    local bin=$1 n=$2 out="$work/cg.out"
    shift 2
    rm -f "$out"
    env ROUND_TRIPS="$n" "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

per_trip() { # binary envs...
    local bin=$1 a b
    shift
    a=$(total "$bin" "$low" "$@")
    b=$(total "$bin" "$high" "$@")
    echo $(((b - a) / (high - low)))
}

urls=(AMQP_URL='amqp://guest:guest@127.0.0.1:55672/%2f' QUEUE="otel-bench-$$" NATS_URL=nats://127.0.0.1:54222 SUBJECT="otel-bench-$$")
echo "| round trip | plain | cargo otel, 100% sampled, OTEL_TRACES_EXPORTER=none | cargo otel, 100% sampled, file store | woven / plain (file store) |"
echo "|---|---:|---:|---:|---:|"
for app in lapin-app nats-app; do
    plain="$target/plain/release/$app"
    woven=$(ls "$target"/otel/*/release/$app)
    p=$(per_trip "$plain" "${urls[@]}")
    n=$(per_trip "$woven" "${urls[@]}" OTEL_TRACES_SAMPLER=always_on OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none)
    f=$(per_trip "$woven" "${urls[@]}" OTEL_TRACES_SAMPLER=always_on CARGO_OTEL_STORE="$work/store")
    label=$([[ $app == lapin-app ]] && echo 'RabbitMQ (lapin): `basic_publish`, stream delivery, ack' || echo 'NATS (async-nats): `publish`, subscriber message')
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$p" "$n" "$f" "$(awk -v a="$f" -v b="$p" 'BEGIN {printf "%.2f×", a / b}')"
done
