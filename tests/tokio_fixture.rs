//! The tokio pack on a program that speaks no HTTP (tests/fixtures/tokio-app): with one
//! `// otel:span` comment on the fn that handles a job, the task it spawns and the blocking
//! closure it runs become INTERNAL spans under that fn's span, in one trace; spans the app
//! makes through the opentelemetry API nest under and over woven spans.

use cargo_otel_tests::{copy_fixture, otel_build_strict_weaving, run_fixture_app, span};

#[test]
fn a_directive_gives_a_tokio_worker_without_http_its_task_spans() {
    let fixture = copy_fixture("tokio-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["tokio"]);
    assert!(err.contains("Weaving tokio v"), "{err}");

    let (stdout, spans) = run_fixture_app(dir, "tokio-app");
    assert_eq!(stdout.trim(), "total=61");
    // The application's own span nests under the woven `process` (whose context the
    // runtime publishes to the API only when the API reads it), and the woven `audit` under it.
    let (api, audit) = (span(&spans, "api-check"), span(&spans, "audit"));
    assert_eq!(api["parent_span_id"], span(&spans, "process")["span_id"], "api-check under process: {spans:#?}");
    assert_eq!(audit["parent_span_id"], api["span_id"], "audit under api-check: {spans:#?}");
    // ... and the runtime did keep them pending: it found the doors woven.
    let bin = cargo_otel_tests::shared_otel_target().join(cargo_otel_tests::host()).join("debug/tokio-app");
    let run = std::process::Command::new(bin)
        .env("OTEL_LOG_LEVEL", "debug")
        .env("OTEL_TRACES_EXPORTER", "none")
        .output()
        .expect("run tokio-app");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("doors of the opentelemetry crate woven"), "{stderr}");
    let process = span(&spans, "process");
    assert_eq!(process["parent_span_id"], "", "the directive's span is the root: {spans:#?}");
    for child in ["tokio::spawn", "tokio::task::spawn_blocking"] {
        let task = span(&spans, child);
        assert_eq!(task["parent_span_id"], process["span_id"], "{child} under `process`: {spans:#?}");
        assert_eq!(task["trace_id"], process["trace_id"]);
    }
}
