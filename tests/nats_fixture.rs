//! The async-nats pack on a price service against the real NATS server of scripts/services.sh
//! (tests/fixtures/nats-app): PRODUCER spans for publishes and requests under the
//! `// otel:span` fn's span, the context carried in the NATS headers (next to the app's own)
//! to a CONSUMER process span per message a subscriber yields (in spawned tasks), one trace,
//! every attribute, NoResponders as an error, and the per-pack switch.

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Subjects unique to this test run.
fn prefix(tag: &str) -> String {
    format!("otel-nats-{tag}-{}", std::process::id())
}

fn run(dir: &Path, url: &str, store: &str, subject: &str, envs: &[(&str, &str)]) -> (String, Vec<Value>) {
    let store = dir.join(store);
    let out = Command::new(shared_otel_target().join(host()).join("debug").join("nats-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "nats-app")
        .env("NATS_URL", url)
        .env("SUBJECT", subject)
        .envs(envs.iter().copied())
        .output()
        .expect("run nats-app");
    assert!(out.status.success(), "nats-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), read_spans(&store))
}

/// The app's header survives next to the injected context.
const OUTPUT: &str = "price-1\nprice-22 kept\nquoted\nNoResponders\ndone";

/// The one span of `kind` named `name` with a body of `size` bytes.
fn find<'a>(spans: &'a [Value], kind: &str, name: &str, size: i64) -> &'a Value {
    let found: Vec<&Value> = spans
        .iter()
        .filter(|s| s["kind"] == kind && s["name"] == name && attr(s, "messaging.message.body.size") == size)
        .collect();
    assert_eq!(found.len(), 1, "exactly one {kind} `{name}` of {size} bytes: {spans:#?}");
    found[0]
}

fn nats_spans(spans: &[Value]) -> Vec<&Value> {
    spans.iter().filter(|s| attr(s, "messaging.system") == "nats").collect()
}

#[test]
fn publishes_and_requests_are_producer_spans_and_messages_consumer_spans_in_one_trace() {
    let url = require(Service::Nats);
    let fixture = copy_fixture("nats-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["async-nats"]);
    assert!(err.contains("Weaving async-nats v0.39.0 (7 join points, async-nats)"), "{err}");

    let subject = prefix("on");
    let (stdout, spans) = run(dir, url, "store", &subject, &[]);
    assert_eq!(stdout.trim(), OUTPUT);
    let root = cargo_otel_tests::span(&spans, "quote");
    assert_eq!(root["parent_span_id"], "", "{spans:#?}");
    // 2 publishes, 2 requests, 3 deliveries, and the responder's reply.
    assert_eq!(nats_spans(&spans).len(), 8, "{spans:#?}");

    let (prices, quote, nobody) =
        (format!("{subject}.prices"), format!("{subject}.quote"), format!("{subject}.nobody"));
    // (operation name, subject, body size)
    let produced = [("publish", &prices, 7), ("publish", &prices, 8), ("request", &quote, 5), ("request", &nobody, 3)];
    for (operation, subject, size) in produced {
        let p = find(&spans, "producer", &format!("{operation} {subject}"), size);
        assert_eq!(p["parent_span_id"], root["span_id"], "{operation} {subject} under quote: {spans:#?}");
        assert_eq!(p["trace_id"], root["trace_id"]);
        assert_eq!(attr(p, "messaging.system"), "nats");
        assert_eq!(attr(p, "messaging.operation.type"), "send");
        assert_eq!(attr(p, "messaging.operation.name"), operation);
        assert_eq!(attr(p, "messaging.destination.name"), subject.as_str());
        assert_eq!(attr(p, "server.address"), "127.0.0.1");
        assert_eq!(attr(p, "server.port"), 54222);
        if subject == &nobody {
            assert_eq!(p["status"], "error", "{p:#?}");
            assert_eq!(attr(p, "error.type"), "NoResponders", "{p:#?}");
        } else {
            assert_eq!(p["status"], "unset", "{p:#?}");
            assert_eq!(attr(p, "error.type"), &Value::Null);
        }
    }

    // Each message's process span is the child of its PRODUCER span.
    for (operation, subject, size) in [("publish", &prices, 7), ("publish", &prices, 8), ("request", &quote, 5)] {
        let p = find(&spans, "producer", &format!("{operation} {subject}"), size);
        let c = find(&spans, "consumer", &format!("process {subject}"), size);
        assert_eq!(c["parent_span_id"], p["span_id"], "{subject} ({size} bytes): parented on the headers' context");
        assert_eq!(c["trace_id"], root["trace_id"]);
        assert_eq!(attr(c, "messaging.system"), "nats");
        assert_eq!(attr(c, "messaging.operation.type"), "process");
        assert_eq!(attr(c, "messaging.operation.name"), "process");
        assert_eq!(attr(c, "messaging.destination.name"), subject.as_str());
        assert_eq!(attr(c, "server.address"), &Value::Null, "no address on the subscriber side");
        assert_eq!(c["status"], "unset");
    }
    // A message's span ends at the subscriber's next poll, which hands over the next message.
    let (c1, c2) = (
        find(&spans, "consumer", &format!("process {prices}"), 7),
        find(&spans, "consumer", &format!("process {prices}"), 8),
    );
    assert!(c1["end_unix_nano"].as_u64() <= c2["start_unix_nano"].as_u64(), "{c1:#?} {c2:#?}");

    // The responder's reply (to the request's inbox) is published outside any trace: a root.
    let reply = spans
        .iter()
        .find(|s| s["kind"] == "producer" && s["name"].as_str().is_some_and(|n| n.starts_with("publish _INBOX.")))
        .unwrap_or_else(|| panic!("the reply's span: {spans:#?}"));
    assert_eq!(reply["parent_span_id"], "");
    assert_eq!(attr(reply, "messaging.message.body.size"), 6);

    // Switched off: the app runs and `quote` is there, no nats span.
    let subject = prefix("off");
    let (stdout, spans) =
        run(dir, url, "store-off", &subject, &[("OTEL_RUST_INSTRUMENTATION_ASYNC_NATS_ENABLED", "false")]);
    assert_eq!(stdout.trim(), OUTPUT);
    cargo_otel_tests::span(&spans, "quote");
    assert!(nats_spans(&spans).is_empty(), "{spans:#?}");
}

#[test]
fn the_plain_build_of_the_fixture_runs() {
    let url = require(Service::Nats);
    let fixture = copy_fixture("nats-app");
    let dir = fixture.path();
    let out = cargo_otel_tests::plain_cargo(dir)
        .args(["run", "-q"])
        .env("NATS_URL", url)
        .env("SUBJECT", prefix("plain"))
        .output()
        .expect("cargo run");
    assert!(out.status.success(), "plain run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), OUTPUT);
}
