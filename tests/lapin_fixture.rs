//! The lapin pack on an order service against the real RabbitMQ of scripts/services.sh
//! (tests/fixtures/lapin-app): a PRODUCER span per publish under the `// otel:span` fn's span,
//! the context carried in the AMQP headers to a CONSUMER process span per delivery (a stream
//! consumer in a spawned task, and a delegate consumer whose process span is current while it
//! publishes on), one trace, every attribute, and the per-pack switch.

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Queues unique to this test run (auto-deleted by the broker).
fn prefix(tag: &str) -> String {
    format!("otel-lapin-{tag}-{}", std::process::id())
}

fn run(dir: &Path, url: &str, store: &str, queue: &str, envs: &[(&str, &str)]) -> (String, Vec<Value>) {
    let store = dir.join(store);
    let out = Command::new(shared_otel_target().join(host()).join("debug").join("lapin-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "lapin-app")
        .env("AMQP_URL", url)
        .env("QUEUE", queue)
        .envs(envs.iter().copied())
        .output()
        .expect("run lapin-app");
    assert!(out.status.success(), "lapin-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), read_spans(&store))
}

const OUTPUT: &str = "order-1\norder-22\naudit-333\ndone";

/// The one span of `kind` whose messaging.message.id is `id`.
fn by_id<'a>(spans: &'a [Value], kind: &str, id: &str) -> &'a Value {
    let found: Vec<&Value> =
        spans.iter().filter(|s| s["kind"] == kind && attr(s, "messaging.message.id") == id).collect();
    assert_eq!(found.len(), 1, "exactly one {kind} span for message {id}: {spans:#?}");
    found[0]
}

fn rabbit_spans(spans: &[Value]) -> Vec<&Value> {
    spans.iter().filter(|s| attr(s, "messaging.system") == "rabbitmq").collect()
}

#[test]
fn publishes_are_producer_spans_and_deliveries_consumer_spans_in_one_trace() {
    let url = require(Service::RabbitMq);
    let fixture = copy_fixture("lapin-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["lapin"]);
    assert!(err.contains("Weaving lapin v2.5.5 (4 join points, lapin)"), "{err}");

    let queue = prefix("on");
    let (stdout, spans) = run(dir, url, "store", &queue, &[]);
    assert_eq!(stdout.trim(), OUTPUT);
    let root = cargo_otel_tests::span(&spans, "place_orders");
    assert_eq!(root["parent_span_id"], "", "{spans:#?}");
    assert_eq!(rabbit_spans(&spans).len(), 8, "5 publishes, 3 deliveries: {spans:#?}");

    let (orders, audit, shipping) = (format!("{queue}.orders"), format!("{queue}.audit"), format!("{queue}.shipping"));
    // (message id, exchange or queue, routing key, body size)
    let published = [
        ("m-1", orders.as_str(), orders.as_str(), 7),
        ("m-2", &orders, &orders, 8),
        ("m-3", &audit, &audit, 9),
        ("m-4", "otel-no-such-exchange", &orders, 4),
        ("m-5", &shipping, &shipping, 9),
    ];
    for (id, destination, routing_key, size) in published {
        let p = by_id(&spans, "producer", id);
        assert_eq!(p["name"], format!("publish {destination}"), "{p:#?}");
        assert_eq!(p["trace_id"], root["trace_id"], "{id}: one trace");
        assert_eq!(attr(p, "messaging.system"), "rabbitmq");
        assert_eq!(attr(p, "messaging.operation.type"), "send");
        assert_eq!(attr(p, "messaging.operation.name"), "publish");
        assert_eq!(attr(p, "messaging.destination.name"), destination);
        assert_eq!(attr(p, "messaging.rabbitmq.destination.routing_key"), routing_key);
        assert_eq!(attr(p, "messaging.message.body.size"), size, "{id}");
        assert_eq!(attr(p, "messaging.rabbitmq.message.delivery_tag"), &Value::Null);
        // The broker's 404 for m-4 arrives on the confirm, after the send: not on this span.
        assert_eq!(p["status"], "unset", "{p:#?}");
        if id != "m-5" {
            assert_eq!(p["parent_span_id"], root["span_id"], "{id} under place_orders: {spans:#?}");
        }
    }

    // Each delivery's process span is the child of its message's PRODUCER span.
    for (id, queue, size, tag) in [("m-1", &orders, 7, 1), ("m-2", &orders, 8, 2), ("m-3", &audit, 9, 1)] {
        let c = by_id(&spans, "consumer", id);
        let p = by_id(&spans, "producer", id);
        assert_eq!(c["name"], format!("process {queue}"));
        assert_eq!(c["parent_span_id"], p["span_id"], "{id}: parented on the headers' context: {spans:#?}");
        assert_eq!(c["trace_id"], root["trace_id"]);
        assert_eq!(attr(c, "messaging.system"), "rabbitmq");
        assert_eq!(attr(c, "messaging.operation.type"), "process");
        assert_eq!(attr(c, "messaging.operation.name"), "process");
        assert_eq!(attr(c, "messaging.destination.name"), queue.as_str());
        assert_eq!(attr(c, "messaging.rabbitmq.destination.routing_key"), queue.as_str());
        assert_eq!(attr(c, "messaging.message.body.size"), size);
        assert_eq!(attr(c, "messaging.rabbitmq.message.delivery_tag"), tag);
        assert_eq!(c["status"], "unset");
    }
    // The delegate's process span is current while it runs: the forward is its child.
    assert_eq!(by_id(&spans, "producer", "m-5")["parent_span_id"], by_id(&spans, "consumer", "m-3")["span_id"]);
    // A stream delivery's span ends at the consumer's next poll, which hands over the next one:
    // m-1's ends before m-2's starts (a causal order, not a duration).
    let (c1, c2) = (by_id(&spans, "consumer", "m-1"), by_id(&spans, "consumer", "m-2"));
    assert!(c1["end_unix_nano"].as_u64() <= c2["start_unix_nano"].as_u64(), "{c1:#?} {c2:#?}");
    // No unknown message: nothing consumed that was not published.
    assert!(spans.iter().all(|s| s["kind"] != "consumer" || !attr(s, "messaging.message.id").is_null()));

    // Switched off: the app runs and `place_orders` is there, no rabbitmq span.
    let queue = prefix("off");
    let (stdout, spans) = run(dir, url, "store-off", &queue, &[("OTEL_RUST_INSTRUMENTATION_LAPIN_ENABLED", "false")]);
    assert_eq!(stdout.trim(), OUTPUT);
    cargo_otel_tests::span(&spans, "place_orders");
    assert!(rabbit_spans(&spans).is_empty(), "{spans:#?}");
}

#[test]
fn the_plain_build_of_the_fixture_runs() {
    let url = require(Service::RabbitMq);
    let fixture = copy_fixture("lapin-app");
    let dir = fixture.path();
    let out = cargo_otel_tests::plain_cargo(dir)
        .args(["run", "-q"])
        .env("AMQP_URL", url)
        .env("QUEUE", prefix("plain"))
        .output()
        .expect("cargo run");
    assert!(out.status.success(), "plain run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), OUTPUT);
}
