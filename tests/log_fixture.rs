//! The `log` pack on a real program (tests/fixtures/log-app: log + env_logger, one
//! `// otel:span` fn, no OpenTelemetry code): every record that passes the logger's level is
//! also an OpenTelemetry log record in the store's `logs/`, with the span context of the span
//! current where it was logged (none outside it), severity, body, target and code location;
//! env_logger's own output is unchanged; the pack's switch turns the records off.

use cargo_otel_tests::{cargo_otel, copy_fixture, host, otel_build_strict, read_spans, shared_otel_target};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Run the woven app with a store in `dir`; its stderr (env_logger's lines), spans, records.
fn run(dir: &Path, envs: &[(&str, &str)]) -> (String, Vec<Value>, Vec<Value>) {
    let store = dir.join("store");
    let out = Command::new(shared_otel_target().join(host()).join("debug").join("log-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "log-app")
        .envs(envs.iter().copied())
        .output()
        .expect("run log-app");
    assert!(out.status.success(), "log-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stderr).into_owned(), read_spans(&store), read_spans(&store.join("logs")))
}

#[test]
fn log_records_carry_the_current_span_context() {
    let dir = copy_fixture("log-app");
    otel_build_strict(dir.path());
    let (stderr, spans, records) = run(dir.path(), &[]);

    // env_logger printed every line it prints unwoven (the env_logger pack adds the span ids
    // to the ones logged inside `reserve`: tests/e2e_journal.rs checks them).
    for line in ["starting", "reserving apple", "reserving pear", "out of stock"] {
        assert!(stderr.contains(line), "env_logger output lost {line:?}:\n{stderr}");
    }
    let reserves: Vec<&Value> = spans.iter().filter(|s| s["name"] == "reserve").collect();
    assert_eq!(reserves.len(), 2, "{spans:?}");
    let bodies: Vec<&str> = records.iter().map(|r| r["body"].as_str().unwrap_or("")).collect();
    assert_eq!(
        bodies,
        ["starting", "reserving apple", "reserving pear", "out of stock"],
        "below-level records never reach the funnel"
    );

    let starting = &records[0];
    assert_eq!(starting["trace_id"], "", "no span is current in main");
    assert_eq!(starting["severity_number"], 9);
    assert_eq!(starting["severity_text"], "INFO");
    assert_eq!(starting["target"], "log_app");
    assert_eq!(starting["attributes"]["code.file.path"], "src/main.rs");
    assert!(starting["attributes"]["code.line.number"].as_i64().is_some_and(|l| l > 0));

    for (record, span) in [(&records[1], reserves[0]), (&records[2], reserves[1]), (&records[3], reserves[1])] {
        assert_eq!(record["trace_id"], span["trace_id"], "{record}");
        assert_eq!(record["span_id"], span["span_id"], "{record}");
        assert_eq!(record["trace_flags"], 1);
    }
    assert_eq!(records[1]["target"], "shop::stock");
    assert_eq!(records[3]["severity_number"], 17);
    assert_eq!(records[3]["severity_text"], "ERROR");

    // `cargo otel view` shows each record under its span.
    let view = Command::new(cargo_otel())
        .args(["otel", "view", "--all", "--store"])
        .arg(dir.path().join("store"))
        .output()
        .expect("cargo otel view");
    let text = String::from_utf8_lossy(&view.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("· ERROR out of stock")).unwrap_or_else(|| panic!("{text}"));
    assert!(lines[at - 1].contains("· INFO reserving pear") && lines[at - 2].contains("reserve"), "{text}");

    // The switch: the same binary emits no log records, and still logs and traces.
    let off = tempfile::tempdir().expect("tempdir");
    let (stderr, spans, records) = run(off.path(), &[("OTEL_RUST_INSTRUMENTATION_LOG_ENABLED", "false")]);
    assert!(stderr.contains("out of stock"));
    assert_eq!(spans.len(), 2);
    assert!(records.is_empty(), "{records:?}");
}

#[test]
fn the_plain_build_logs_the_same_and_records_nothing() {
    let dir = copy_fixture("log-app");
    let out = cargo_otel_tests::plain_cargo(dir.path()).arg("build").output().expect("cargo build");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(cargo_otel_tests::plain_bins().join("log-app"))
        .env("CARGO_OTEL_STORE", dir.path().join("store"))
        .output()
        .expect("run");
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("out of stock"));
    assert!(!dir.path().join("store").exists(), "a plain build records nothing");
}
