//! The redis pack on a job worker against the real Redis of scripts/services.sh
//! (tests/fixtures/redis-app): one CLIENT span per command and per pipeline, under the
//! `// otel:span` fn's span (also from a spawned task), none outside a trace, one (not two)
//! through ConnectionManager, the Redis error prefix on failures, and no key or value anywhere.

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Run the woven fixture with `REDIS_URL` (and `envs`): its stdout and spans.
fn run(dir: &Path, url: &str, store: &str, envs: &[(&str, &str)]) -> (String, Vec<Value>) {
    let store = dir.join(store);
    let out = Command::new(shared_otel_target().join(host()).join("debug").join("redis-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "redis-app")
        .env("REDIS_URL", url)
        .envs(envs.iter().copied())
        .output()
        .expect("run redis-app");
    assert!(out.status.success(), "redis-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), read_spans(&store))
}

/// The one span named `name` (a second one would be a duplicate).
fn only<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    let found: Vec<&Value> = spans.iter().filter(|s| s["name"] == name).collect();
    assert_eq!(found.len(), 1, "exactly one `{name}` span: {spans:#?}");
    found[0]
}

fn redis_spans(spans: &[Value]) -> Vec<&Value> {
    spans.iter().filter(|s| attr(s, "db.system.name") == "redis").collect()
}

#[test]
fn redis_commands_and_pipelines_are_client_spans_without_keys_or_values() {
    let url = require(Service::Redis);
    let fixture = copy_fixture("redis-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["redis"]);
    assert!(err.contains("Weaving redis v"), "{err}");

    let (stdout, spans) = run(dir, url, "store", &[]);
    assert_eq!(stdout.trim(), "PONG done");

    let work = only(&spans, "work");
    assert_eq!(work["parent_span_id"], "", "the directive's span is the root: {spans:#?}");
    let redis = redis_spans(&spans);
    let names: Vec<&str> = redis.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names.len(),
        11,
        "SET GET LPUSH OTELNOSUCH PIPELINE `MULTI GET` EXISTS STRLEN GETRANGE `PIPELINE TTL` DEL, \
         and no PING (outside the trace), no duplicate: {names:?}"
    );

    // (name, db.query.text, batch size, parent is `work`)
    let expected: [(&str, &str, Option<i64>, bool); 11] = [
        ("SET", "SET ? ?", None, true),
        ("GET", "GET ?", None, true),
        ("LPUSH", "LPUSH ? ?", None, true),
        ("OTELNOSUCH", "OTELNOSUCH ?", None, true),
        ("PIPELINE", "SET ? ?; INCRBY ? ?; GET ?", Some(3), true),
        ("MULTI GET", "GET ?", Some(2), true),
        ("EXISTS", "EXISTS ?", None, false),
        ("STRLEN", "STRLEN ?", None, true),
        ("GETRANGE", "GETRANGE ? ? ?", None, true),
        ("PIPELINE TTL", "TTL ?", Some(2), true),
        ("DEL", "DEL ? ? ?", None, true),
    ];
    for (name, text, batch, under_work) in expected {
        let s = only(&spans, name);
        assert_eq!(s["kind"], "client", "{s:#?}");
        assert_eq!(s["trace_id"], work["trace_id"], "{name}: one trace");
        if under_work {
            assert_eq!(s["parent_span_id"], work["span_id"], "{name} under `work`: {spans:#?}");
        }
        assert_eq!(attr(s, "db.system.name"), "redis");
        assert_eq!(attr(s, "db.namespace"), "0", "{name}");
        assert_eq!(attr(s, "db.operation.name"), name);
        assert_eq!(attr(s, "db.query.text"), text, "{name}");
        assert_eq!(attr(s, "db.query.summary"), &Value::Null, "{name}: no SQL summary");
        match batch {
            Some(n) => assert_eq!(attr(s, "db.operation.batch.size"), n, "{name}"),
            None => assert_eq!(attr(s, "db.operation.batch.size"), &Value::Null, "{name}"),
        }
    }

    // The spawned task: EXISTS under the task's span, under `work`.
    let exists = only(&spans, "EXISTS");
    let task = only(&spans, "tokio::spawn");
    assert_eq!(task["parent_span_id"], work["span_id"]);
    assert_eq!(exists["parent_span_id"], task["span_id"], "EXISTS inside the spawned task: {spans:#?}");

    // Failures: the Redis error prefix.
    for (name, code) in [("LPUSH", "WRONGTYPE"), ("OTELNOSUCH", "ERR")] {
        let s = only(&spans, name);
        assert_eq!(s["status"], "error", "{s:#?}");
        assert_eq!(attr(s, "db.response.status_code"), code, "{s:#?}");
        assert_eq!(attr(s, "error.type"), code, "{s:#?}");
    }
    for s in redis.iter().filter(|s| !["LPUSH", "OTELNOSUCH"].contains(&s["name"].as_str().unwrap_or(""))) {
        assert_eq!(s["status"], "unset", "{s:#?}");
        assert_eq!(attr(s, "error.type"), &Value::Null);
    }

    // No key, value or argument text anywhere in the export (the ERR message quotes the
    // argument: it must not become a description).
    let all = serde_json::to_string(&spans).expect("json");
    for secret in ["otel-secret-value-1", "otel-secret-value-2", "otel-secret-argument", "otel-redis-test"] {
        assert!(!all.contains(secret), "`{secret}` leaked into the spans: {all}");
    }

    // Switched off: the app runs, `work` is there, no redis span.
    let (stdout, spans) = run(dir, url, "store-off", &[("OTEL_RUST_INSTRUMENTATION_REDIS_ENABLED", "false")]);
    assert_eq!(stdout.trim(), "PONG done");
    only(&spans, "work");
    assert!(redis_spans(&spans).is_empty(), "{spans:#?}");
}

#[test]
fn the_plain_build_of_the_fixture_runs() {
    let url = require(Service::Redis);
    let fixture = copy_fixture("redis-app");
    let dir = fixture.path();
    let out = cargo_otel_tests::plain_cargo(dir).args(["run", "-q"]).env("REDIS_URL", url).output().expect("cargo run");
    assert!(out.status.success(), "plain run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "PONG done");
}
