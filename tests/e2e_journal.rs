//! examples/journal end to end: both services built with `cargo otel --strict` (and plain),
//! one request each carrying a `traceparent`, traces and logs to the file store, metrics over
//! OTLP/HTTP to a receiver on loopback.
//!
//! - `journal-tracing`: the woven trace is SERVER `GET /orders/{id}` (child of the caller) →
//!   `load_order` (`#[instrument]`) → `price` (nested `#[instrument]`), by span id; its three
//!   `info!` events are log records under the span current where they fired (the SERVER span
//!   for the handler's, each `#[instrument]` span for theirs); fmt's own lines, full and JSON,
//!   carry the same trace id and span id (the `tracing-subscriber` pack), which its switch
//!   removes.
//! - `journal-log`: env_logger's records are log records under the SERVER span, and its
//!   own lines carry that span's ids (the `env_logger` pack), which its switch removes.
//! - Both: an exemplar on `http.server.request.duration` names the exported SERVER span.
//! - The plain builds serve the same responses and lines, and export nothing.

#[path = "../runtime/tests/common/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use cargo_otel_tests::read_spans;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric;
use prost::Message;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER: &str = "00f067aa0ba902b7";

fn woven() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| cargo_otel_tests::otel_build_example("journal", &["--bins"]))
}

fn plain() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| cargo_otel_tests::plain_build_example("journal", &["--bins"]))
}

/// What one run of a service left: its stderr (the app's log lines), the spans and log
/// records of the store, and (service, trace id, span id) of every server-duration exemplar.
struct Run {
    stderr: String,
    spans: Vec<Value>,
    records: Vec<Value>,
    exemplars: Vec<(String, String, String)>,
    store: PathBuf,
    _work: tempfile::TempDir,
}

/// Start `bin` from `dir`, send `GET path` with a `traceparent`, stop it with SIGTERM.
fn run(dir: &Path, bin: &str, path: &str, expected_body: &str, extra: &[(&str, &str)]) -> Run {
    let rx = receiver::start(None, vec![]);
    let dir_guard = tempfile::tempdir().expect("tempdir");
    let work = dir_guard.path();
    let store = work.join("store");
    let stderr = std::fs::File::create(work.join("stderr")).expect("stderr file");
    let mut child = Command::new(dir.join(bin))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", bin)
        .env("OTEL_METRICS_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base)
        .env("JOURNAL_ADDR", "127.0.0.1:0")
        .env("RUST_BACKTRACE", "0")
        .envs(extra.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let guard = KillOnDrop(&mut child);
    let mut stdout = BufReader::new(guard.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("listening line");
    assert!(line.contains("listening on"), "unexpected first line: {line}");
    let addr = line.trim().rsplit(' ').next().expect("address").to_owned();

    let (status, body) = get(&addr, path, &format!("00-{TRACE}-{CALLER}-01"));
    assert_eq!((status, body.as_str()), (200, expected_body));

    let sent = Command::new("kill").args(["-s", "TERM"]).arg(guard.0.id().to_string()).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -s TERM");
    let status = guard.0.wait().expect("wait");
    assert!(status.success(), "{bin} exits cleanly: {status}");

    // The metrics were sent (and queued by the receiver before it answered) before exit.
    let mut exemplars = Vec::new();
    while let Ok(r) = rx.requests.try_recv() {
        assert_eq!(r.path, "/v1/metrics", "only metrics go over OTLP");
        exemplars.extend(server_exemplars(&r.body));
    }
    Run {
        stderr: std::fs::read_to_string(work.join("stderr")).expect("read stderr"),
        spans: read_spans(&store),
        records: read_spans(&store.join("logs")),
        exemplars,
        store,
        _work: dir_guard,
    }
}

struct KillOnDrop<'a>(&'a mut Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `GET path` on a fresh HTTP/1.1 connection with `traceparent`: status and body.
fn get(addr: &str, path: &str, traceparent: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\ntraceparent: {traceparent}\r\n\r\n")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// (service.name, trace id, span id) of the exemplars on `http.server.request.duration`.
fn server_exemplars(body: &[u8]) -> Vec<(String, String, String)> {
    let req = ExportMetricsServiceRequest::decode(body).expect("a protobuf ExportMetricsServiceRequest");
    let mut out = Vec::new();
    for rm in req.resource_metrics {
        let service = cargo_otel_tests::service_name(rm.resource.as_ref());
        for m in rm.scope_metrics.into_iter().flat_map(|sm| sm.metrics) {
            if let (true, Some(metric::Data::Histogram(h))) = (m.name == "http.server.request.duration", m.data) {
                for e in h.data_points.into_iter().flat_map(|p| p.exemplars) {
                    out.push((service.clone(), hex(&e.trace_id), hex(&e.span_id)));
                }
            }
        }
    }
    out
}

fn named<'a>(spans: &'a [Value], name: &str) -> &'a Value {
    let found: Vec<&Value> = spans.iter().filter(|s| s["name"] == name).collect();
    assert_eq!(found.len(), 1, "one span {name}: {spans:#?}");
    found[0]
}

fn record<'a>(records: &'a [Value], body: &str) -> &'a Value {
    let found: Vec<&Value> = records.iter().filter(|r| r["body"] == body).collect();
    assert_eq!(found.len(), 1, "one log record {body:?}: {records:#?}");
    found[0]
}

/// The exported SERVER span of the request: a child of the caller, with an exemplar.
fn server<'a>(run: &'a Run, service: &str, name: &str) -> &'a Value {
    let server = named(&run.spans, name);
    assert_eq!(server["kind"], "server");
    assert_eq!(server["trace_id"], TRACE);
    assert_eq!(server["parent_span_id"], CALLER, "the SERVER span continues the caller's trace");
    let span_id = server["span_id"].as_str().expect("span id").to_owned();
    assert!(
        run.exemplars.contains(&(service.to_owned(), TRACE.to_owned(), span_id)),
        "no exemplar of the exported SERVER span among {:?}",
        run.exemplars
    );
    server
}

/// The woven journal-tracing run: the span chain and the log records; returns
/// (SERVER, load_order, price) span ids.
fn check_tracing_run(run: &Run) -> [String; 3] {
    assert_eq!(run.spans.len(), 3, "SERVER, load_order, price: {:#?}", run.spans);
    let server = server(run, "journal-tracing", "GET /orders/{id}");
    let load = named(&run.spans, "load_order");
    let price = named(&run.spans, "price");
    assert_eq!(load["parent_span_id"], server["span_id"], "#[instrument] under the SERVER span");
    assert_eq!(price["parent_span_id"], load["span_id"], "the nested #[instrument] under the outer one");
    for s in [load, price] {
        assert_eq!(s["trace_id"], TRACE);
        assert_eq!(s["kind"], "internal");
        assert_eq!(s["attributes"]["code.file.path"], "src/bin/journal-tracing.rs");
    }
    assert_eq!(load["attributes"]["id"], 7);
    assert_eq!(price["attributes"]["units"], 21);

    assert_eq!(run.records.len(), 3, "{:#?}", run.records);
    for (body, span, attr, value) in [
        ("order requested", server, "order", "7"),
        ("order loaded", load, "rows", "2"),
        ("priced", price, "units", "21"),
    ] {
        let r = record(&run.records, body);
        assert_eq!(r["trace_id"], TRACE, "{body}");
        assert_eq!(r["span_id"], span["span_id"], "{body}");
        assert_eq!(r["trace_flags"], 1, "{body}");
        assert_eq!(r["severity_text"], "INFO", "{body}");
        assert_eq!(r["severity_number"], 9, "{body}");
        assert_eq!(r["target"], "journal_tracing", "{body}");
        assert_eq!(r["attributes"][attr], value, "{body}");
    }
    [server, load, price].map(|s| s["span_id"].as_str().expect("span id").to_owned())
}

/// The app's line holding `needle` (exactly one).
fn line<'a>(stderr: &'a str, needle: &str) -> &'a str {
    let found: Vec<&str> = stderr.lines().filter(|l| l.contains(needle)).collect();
    assert_eq!(found.len(), 1, "one line with {needle:?}:\n{stderr}");
    found[0]
}

const ORDER_BODY: &str = "order 7: 5250 cents\n";
const NOTE_BODY: &str = "note 3: remember the milk\n";

#[test]
fn tracing_full_format_spans_records_exemplar_and_ids_in_the_lines() {
    let run = run(woven(), "journal-tracing", "/orders/7", ORDER_BODY, &[]);
    let [server, load, price] = check_tracing_run(&run);
    for (needle, span) in [("order requested", &server), ("order loaded", &load), ("priced units=21", &price)] {
        let l = line(&run.stderr, needle);
        assert!(l.contains(&format!("trace_id={TRACE} span_id={span} ")), "ids of the exported span in {l:?}");
    }
    assert!(line(&run.stderr, "priced").contains("load_order{id=7}:price{units=21}: journal_tracing:"));

    // Switched off: the same lines without ids, the spans and records as before.
    let run = run_switched_off();
    check_tracing_run(&run);
    assert!(!run.stderr.contains("trace_id="), "{}", run.stderr);
}

fn run_switched_off() -> Run {
    run(
        woven(),
        "journal-tracing",
        "/orders/7",
        ORDER_BODY,
        &[("OTEL_RUST_INSTRUMENTATION_TRACING_SUBSCRIBER_ENABLED", "false")],
    )
}

#[test]
fn tracing_json_format_lines_carry_the_ids() {
    let run = run(woven(), "journal-tracing", "/orders/7", ORDER_BODY, &[("JOURNAL_FORMAT", "json")]);
    let [server, load, price] = check_tracing_run(&run);
    for (message, span) in [("order requested", &server), ("order loaded", &load), ("priced", &price)] {
        let l = line(&run.stderr, &format!("\"message\":\"{message}\""));
        let object: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line: {e}: {l}"));
        assert_eq!(object["trace_id"], TRACE, "{l}");
        assert_eq!(object["span_id"], span.as_str(), "{l}");
        assert_eq!(object["level"], "INFO", "fmt's own keys kept: {l}");
        assert_eq!(object["target"], "journal_tracing", "{l}");
    }
}

#[test]
fn log_records_carry_the_server_span() {
    let run = run(woven(), "journal-log", "/notes/3", NOTE_BODY, &[]);
    assert_eq!(run.spans.len(), 1, "{:#?}", run.spans);
    let server = server(&run, "journal-log", "GET /notes/{id}");
    assert_eq!(run.records.len(), 2, "{:#?}", run.records);
    for (body, severity) in [("note 3 requested", "INFO"), ("note 3 is 26 bytes", "WARN")] {
        let r = record(&run.records, body);
        assert_eq!(r["trace_id"], TRACE, "{body}");
        assert_eq!(r["span_id"], server["span_id"], "{body}");
        assert_eq!(r["severity_text"], severity, "{body}");
        assert_eq!(r["target"], "journal_log", "{body}");
    }
    // env_logger's own lines: the ids between the header and the message (the env_logger pack).
    let ids = format!("trace_id={TRACE} span_id={} ", server["span_id"].as_str().expect("span id"));
    for (header, message) in
        [("[INFO  journal_log] ", "note 3 requested"), ("[WARN  journal_log] ", "note 3 is 26 bytes")]
    {
        line(&run.stderr, &format!("{header}{ids}{message}"));
    }

    // Switched off: the same records, env_logger's lines without ids.
    let off = self::run(
        woven(),
        "journal-log",
        "/notes/3",
        NOTE_BODY,
        &[("OTEL_RUST_INSTRUMENTATION_ENV_LOGGER_ENABLED", "false")],
    );
    assert_eq!(off.records.len(), 2, "{:#?}", off.records);
    line(&off.stderr, "[INFO  journal_log] note 3 requested");
    assert!(!off.stderr.contains("trace_id="), "{}", off.stderr);
}

#[test]
fn plain_builds_serve_and_log_and_export_nothing() {
    for (format, needle) in [("full", "priced units=21"), ("json", "\"message\":\"priced\"")] {
        let run = run(plain(), "journal-tracing", "/orders/7", ORDER_BODY, &[("JOURNAL_FORMAT", format)]);
        assert!(!line(&run.stderr, needle).contains("trace_id"), "{}", run.stderr);
        assert!(!run.store.exists() && run.exemplars.is_empty(), "the plain build exports nothing");
    }
    let run = run(plain(), "journal-log", "/notes/3", NOTE_BODY, &[]);
    line(&run.stderr, "[INFO  journal_log] note 3 requested");
    assert!(!run.store.exists() && run.exemplars.is_empty(), "the plain build exports nothing");
}
