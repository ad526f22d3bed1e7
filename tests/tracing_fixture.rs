//! The `tracing` pack on a real program (tests/fixtures/tracing-app: `#[instrument]`, events,
//! `fmt().init()`, two `// otel:span` fns, no OpenTelemetry code): tracing spans become spans
//! of the woven trace in both directions (a tracing span under a woven one, a woven one under
//! a tracing span, an async `#[instrument]` fn), with their fields as attributes; events
//! become log records under the span current where they fired; the app's own output is
//! unchanged; an app that installs no subscriber gets the same trace; the switch turns the
//! pack off.

use cargo_otel_tests::{copy_fixture, host, otel_build_strict, read_spans, shared_otel_target};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, envs: &[(&str, &str)]) -> (String, Vec<Value>, Vec<Value>) {
    let store = dir.join("store");
    let out = Command::new(shared_otel_target().join(host()).join("debug").join("tracing-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "tracing-app")
        .env("NO_COLOR", "1")
        .envs(envs.iter().copied())
        .output()
        .expect("run tracing-app");
    assert!(out.status.success(), "tracing-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), read_spans(&store), read_spans(&store.join("logs")))
}

fn named<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no span {name} in {spans:?}"))
}

#[test]
fn tracing_spans_and_woven_spans_nest_both_ways() {
    let dir = copy_fixture("tracing-app");
    otel_build_strict(dir.path());
    let (stdout, spans, records) = run(dir.path(), &[]);

    for line in ["starting", "loading order 7", "slow query", "priced", "handled"] {
        assert!(stdout.contains(line), "fmt output lost {line:?}:\n{stdout}");
    }
    check_trace(&spans, &records);

    // No subscriber installed: the same spans and records, nothing printed by tracing.
    let none = tempfile::tempdir().expect("tempdir");
    let (stdout, spans, records) = run(none.path(), &[("TRACING_APP_SUBSCRIBER", "none")]);
    assert!(!stdout.contains("loading order 7"), "{stdout}");
    check_trace(&spans, &records);

    // Switched off: only the woven spans, no log records, the same output.
    let off = tempfile::tempdir().expect("tempdir");
    let (stdout, spans, records) = run(off.path(), &[("OTEL_RUST_INSTRUMENTATION_TRACING_ENABLED", "false")]);
    assert!(stdout.contains("loading order 7"));
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap_or("")).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"handle") && names.contains(&"query"), "{names:?}");
    assert!(records.is_empty(), "{records:?}");
}

/// The trace both modes must produce: tracing spans and woven spans nested both ways, the
/// events as log records under the span current where they fired.
fn check_trace(spans: &[Value], records: &[Value]) {
    assert_eq!(spans.len(), 4, "{spans:#?}");
    let handle = named(spans, "handle");
    let load = named(spans, "load");
    let query = named(spans, "query");
    let price = named(spans, "price");
    assert_eq!(handle["parent_span_id"], "", "the woven fn is the root");
    assert_eq!(load["parent_span_id"], handle["span_id"], "#[instrument] under the woven span");
    assert_eq!(query["parent_span_id"], load["span_id"], "the woven span under the tracing span");
    assert_eq!(price["parent_span_id"], handle["span_id"], "the async #[instrument] fn under the woven span");
    for s in [load, query, price] {
        assert_eq!(s["trace_id"], handle["trace_id"]);
    }
    assert_eq!(load["kind"], "internal");
    assert_eq!(load["attributes"]["order"], 7);
    assert_eq!(load["attributes"]["code.file.path"], "src/main.rs");
    assert!(load["attributes"]["code.line.number"].as_i64().is_some_and(|l| l > 0));
    assert_eq!(price["attributes"]["currency"], "EUR");
    assert_eq!(price["attributes"]["order"], 7);

    let record = |body: &str| -> &Value {
        records.iter().find(|r| r["body"] == body).unwrap_or_else(|| panic!("no log record {body:?} in {records:?}"))
    };
    assert_eq!(records.len(), 5, "{records:#?}");
    assert_eq!(record("starting")["trace_id"], "");
    for (body, span) in [("loading order 7", load), ("slow query", query), ("priced", price), ("handled", handle)] {
        let r = record(body);
        assert_eq!(r["trace_id"], span["trace_id"], "{body}");
        assert_eq!(r["span_id"], span["span_id"], "{body}");
    }
    assert_eq!(record("slow query")["severity_text"], "WARN");
    assert_eq!(record("loading order 7")["severity_number"], 9);
    assert_eq!(record("loading order 7")["attributes"]["rows"], "3");
    assert_eq!(record("handled")["attributes"]["cents"], "700");
    assert_eq!(record("loading order 7")["target"], "tracing_app");
}
