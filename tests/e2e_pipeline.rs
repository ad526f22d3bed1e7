//! examples/pipeline end to end, real gRPC between two processes on loopback: both bins built
//! with `cargo otel --strict`; a request to the gateway carrying a `traceparent` is one trace
//! across both processes: gateway SERVER `POST /orders/{sku}` → tonic CLIENT
//! `shop.inventory.v1.Inventory/Reserve` → inventory SERVER of the same name, and nothing
//! else (no HTTP CLIENT span under the RPC's, no axum span for the gRPC request); the
//! `rpc.*` attributes; NOT_FOUND fails the client span but not the server's; the
//! server-streaming `Watch`; the rpc duration metrics (console metric exporter); the switch
//! `OTEL_RUST_INSTRUMENTATION_TONIC_ENABLED=false` removes the RPC spans; the plain build
//! runs and records nothing. With NATS (scripts/services.sh) the queue hop: the inventory
//! publishes each reservation and the `worker` process consumes it, so one order is one
//! trace across three processes: … inventory SERVER → PRODUCER `publish <subject>` → worker
//! CONSUMER `process <subject>` (a child, through the NATS headers); the messaging
//! attributes and duration metrics; `OTEL_RUST_INSTRUMENTATION_ASYNC_NATS_ENABLED=false`
//! removes the messaging spans only.

use cargo_otel_tests::{Service, attr, read_spans, require};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

fn build_woven() -> PathBuf {
    // `--strict`: a woven crate that does not compile (tonic, axum, hyper, …) fails the build.
    cargo_otel_tests::otel_build_example("pipeline", &["--bins"])
}

fn build_plain() -> PathBuf {
    cargo_otel_tests::plain_build_example("pipeline", &["--bins"])
}

/// A running bin: its first stdout line is `… listening on ADDR` (the worker's: `… subscribed
/// to SUBJECT`); the rest (the worker's `processed …` lines, metric lines of the console
/// exporter, written at shutdown) is read by `line` and `stop`.
struct Proc {
    child: Child,
    stdout: BufReader<ChildStdout>,
    addr: String,
}

impl Proc {
    fn start(binary: &Path, envs: &[(&str, String)]) -> Proc {
        let mut child = Command::new(binary)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("listening line");
        assert!(line.contains("listening on") || line.contains("subscribed to"), "unexpected first line: {line}");
        let addr = line.trim().rsplit(' ').next().expect("address").to_owned();
        Proc { child, stdout, addr }
    }

    /// The next stdout line (blocks until the process writes it).
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read a line");
        line.trim_end().to_owned()
    }

    /// SIGINT, then the rest of stdout (read to its end: the process has exited).
    fn stop(mut self) -> String {
        let sent = Command::new("kill").args(["-s", "INT"]).arg(self.child.id().to_string()).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -s INT");
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read stdout");
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "exits cleanly: {status}");
        rest
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `method path` on a fresh HTTP/1.1 connection with `traceparent`: status and body.
fn request(addr: &str, method: &str, path: &str, traceparent: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\ntraceparent: {traceparent}\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

const T_ORDER: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const T_MISSING: &str = "5bf92f3577b34da6a3ce929d0e0e4737";
const T_WATCH: &str = "6bf92f3577b34da6a3ce929d0e0e4738";
const CALLER: &str = "00f067aa0ba902b7";

fn traceparent(trace: &str) -> String {
    format!("00-{trace}-{CALLER}-01")
}

/// The inventory on a free port, then the gateway in front of it (`envs`: each one's
/// environment by service name).
fn start_services<'a>(dir: &Path, envs: &dyn Fn(&str) -> Vec<(&'a str, String)>) -> (Proc, Proc) {
    let mut inventory_env = envs("inventory");
    inventory_env.push(("INVENTORY_ADDR", "127.0.0.1:0".into()));
    let inventory = Proc::start(&dir.join("inventory"), &inventory_env);
    let mut gateway_env = envs("gateway");
    gateway_env.push(("GATEWAY_ADDR", "127.0.0.1:0".into()));
    gateway_env.push(("INVENTORY_URL", format!("http://{}", inventory.addr)));
    let gateway = Proc::start(&dir.join("gateway"), &gateway_env);
    (inventory, gateway)
}

/// Both services, three requests; the spans and each process's stdout after the first line.
fn run(dir: &Path, store: &Path, extra: &[(&str, String)]) -> (Vec<Value>, String, String) {
    let envs = |name: &str| {
        let mut envs = vec![
            ("CARGO_OTEL_STORE", store.display().to_string()),
            ("OTEL_SERVICE_NAME", name.to_owned()),
            ("OTEL_METRICS_EXPORTER", "console".to_owned()),
        ];
        envs.extend(extra.iter().cloned());
        envs
    };
    let (inventory, gateway) = start_services(dir, &envs);

    let (status, body) = request(&gateway.addr, "POST", "/orders/apple", &traceparent(T_ORDER));
    assert_eq!((status, body.as_str()), (200, r#"{"remaining":999,"sku":"apple"}"#));
    let (status, body) = request(&gateway.addr, "POST", "/orders/nope", &traceparent(T_MISSING));
    assert_eq!((status, body.as_str()), (404, r#"{"error":"unknown sku nope"}"#));
    let (status, body) = request(&gateway.addr, "GET", "/stock/pear", &traceparent(T_WATCH));
    let levels = r#"{"levels":[{"available":5,"seq":1},{"available":5,"seq":2},{"available":5,"seq":3}]}"#;
    assert_eq!((status, body.as_str()), (200, levels));

    let port = inventory.addr.rsplit(':').next().expect("port").to_owned();
    let gateway_out = gateway.stop();
    let inventory_out = inventory.stop();
    (read_spans(store), gateway_out, inventory_out + "\ninventory.port=" + &port)
}

fn trace<'a>(spans: &'a [Value], trace_id: &str) -> Vec<&'a Value> {
    let mut trace: Vec<&Value> = spans.iter().filter(|s| s["trace_id"] == trace_id).collect();
    trace.sort_by_key(|s| s["start_unix_nano"].as_u64().unwrap_or(0));
    trace
}

fn one<'a>(trace: &[&'a Value], service: &str, kind: &str) -> &'a Value {
    let found: Vec<&Value> =
        trace.iter().copied().filter(|s| s["service_name"] == service && s["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} span of {service}: {trace:#?}");
    found[0]
}

/// The three spans of one gateway → inventory call, parent chain checked.
fn chain<'a>(spans: &'a [Value], trace_id: &str, route: &str, rpc: &str) -> [&'a Value; 3] {
    let trace = trace(spans, trace_id);
    assert_eq!(trace.len(), 3, "exactly gateway SERVER, tonic CLIENT, inventory SERVER: {trace:#?}");
    rpc_links(&trace, route, rpc)
}

/// Gateway SERVER → tonic CLIENT → inventory SERVER in `trace`, by span id, and their names
/// and RPC attributes.
fn rpc_links<'a>(trace: &[&'a Value], route: &str, rpc: &str) -> [&'a Value; 3] {
    let http = one(trace, "gateway", "server");
    let client = one(trace, "gateway", "client");
    let server = one(trace, "inventory", "server");
    assert_eq!(http["name"], route);
    assert_eq!(http["parent_span_id"], CALLER, "the gateway's span continues the caller's trace");
    assert_eq!(client["name"], rpc);
    assert_eq!(client["parent_span_id"], http["span_id"], "the RPC is a child of the HTTP request");
    assert_eq!(server["name"], rpc);
    assert_eq!(server["parent_span_id"], client["span_id"], "across processes through the metadata");
    for span in [client, server] {
        assert_eq!(attr(span, "rpc.system.name"), "grpc");
        assert_eq!(attr(span, "rpc.method"), rpc);
        assert_eq!(attr(span, "server.address"), "127.0.0.1");
    }
    [http, client, server]
}

fn metric_lines<'a>(out: &'a str, name: &str, with: &[&str]) -> Vec<&'a str> {
    out.lines()
        .filter(|l| l.starts_with(&format!("metric {name} {{")))
        .filter(|l| with.iter().all(|w| l.contains(w)))
        .collect()
}

#[test]
fn gateway_to_inventory_is_one_trace_over_grpc() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let woven = build_woven();
    let (spans, gateway_out, inventory_out) = run(&woven, &store, &[]);
    let port: i64 = inventory_out.rsplit('=').next().and_then(|p| p.parse().ok()).expect("inventory port");

    // Reserve, OK.
    let [http, client, server] = chain(&spans, T_ORDER, "POST /orders/{sku}", "shop.inventory.v1.Inventory/Reserve");
    assert_eq!(attr(http, "http.response.status_code"), 200);
    for span in [client, server] {
        assert_eq!(attr(span, "rpc.response.status_code"), "OK");
        assert_eq!(attr(span, "server.port"), port);
        assert_eq!(span["status"], "unset");
        assert!(attr(span, "error.type").is_null());
    }

    // Reserve of an unknown sku: NOT_FOUND fails the client's span, not the server's.
    let [http, client, server] = chain(&spans, T_MISSING, "POST /orders/{sku}", "shop.inventory.v1.Inventory/Reserve");
    assert_eq!(attr(http, "http.response.status_code"), 404);
    assert_eq!(http["status"], "unset", "a 404 is not a server error");
    assert_eq!(attr(client, "rpc.response.status_code"), "NOT_FOUND");
    assert_eq!(attr(client, "error.type"), "NOT_FOUND");
    assert_eq!(client["status"], "error");
    assert_eq!(client["status_message"], "unknown sku nope");
    assert_eq!(attr(server, "rpc.response.status_code"), "NOT_FOUND");
    assert_eq!(server["status"], "unset", "NOT_FOUND is not a server fault (semconv)");
    assert!(attr(server, "error.type").is_null());

    // Watch (server streaming): both spans last until the stream's end.
    let [http, client, server] = chain(&spans, T_WATCH, "GET /stock/{sku}", "shop.inventory.v1.Inventory/Watch");
    assert_eq!(attr(http, "http.response.status_code"), 200);
    for span in [client, server] {
        assert_eq!(attr(span, "rpc.response.status_code"), "OK");
        assert_eq!(span["status"], "unset");
    }
    let t = |s: &Value, k: &str| s[k].as_u64().expect("timestamp");
    assert!(t(client, "start_unix_nano") <= t(server, "start_unix_nano"));
    assert!(t(server, "start_unix_nano") <= t(client, "end_unix_nano"));
    assert!(t(client, "end_unix_nano") <= t(http, "end_unix_nano"), "the client span ends with the stream");

    // Nothing else: no HTTP CLIENT span for the RPC's transport, no second SERVER span.
    assert!(spans.iter().all(|s| s["kind"] != "client" || !attr(s, "rpc.method").is_null()), "{spans:#?}");
    assert_eq!(spans.len(), 9, "three spans per request: {spans:#?}");

    // The duration histograms (console exporter at shutdown).
    let reserve = "rpc.method=shop.inventory.v1.Inventory/Reserve";
    let watch = "rpc.method=shop.inventory.v1.Inventory/Watch";
    for (out, metric) in [(&inventory_out, "rpc.server.call.duration"), (&gateway_out, "rpc.client.call.duration")] {
        let ok = metric_lines(out, metric, &["rpc.system.name=grpc", reserve, "rpc.response.status_code=OK"]);
        assert_eq!(ok.len(), 1, "{metric} of the OK Reserve:\n{out}");
        assert!(ok[0].contains("count=1"), "{}", ok[0]);
        let missing = metric_lines(out, metric, &[reserve, "rpc.response.status_code=NOT_FOUND"]);
        assert_eq!(missing.len(), 1, "{metric} of the NOT_FOUND Reserve:\n{out}");
        assert_eq!(missing[0].contains("error.type=NOT_FOUND"), metric.contains("client"), "{}", missing[0]);
        assert_eq!(metric_lines(out, metric, &[watch, "rpc.response.status_code=OK"]).len(), 1, "{out}");
    }
    assert_eq!(metric_lines(&inventory_out, "rpc.server.call.duration", &[&format!("server.port={port}")]).len(), 3);
}

#[test]
fn the_tonic_switch_removes_the_rpc_spans_and_the_plain_build_records_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let woven = build_woven();
    let off = [("OTEL_RUST_INSTRUMENTATION_TONIC_ENABLED", "false".to_owned())];
    let (spans, _, _) = run(&woven, &store, &off);
    assert!(spans.iter().all(|s| attr(s, "rpc.system.name").is_null()), "no RPC span: {spans:#?}");
    let order = trace(&spans, T_ORDER);
    let http = one(&order, "gateway", "server");
    assert_eq!(http["name"], "POST /orders/{sku}", "the gateway's own span stays");
    assert!(spans.iter().all(|s| s["kind"] != "server" || s["service_name"] == "gateway"), "{spans:#?}");

    let plain_store = work.path().join("plain-store");
    let (spans, gateway_out, inventory_out) = run(&build_plain(), &plain_store, &[]);
    assert!(spans.is_empty(), "the plain build records nothing: {spans:#?}");
    assert!(!gateway_out.contains("metric ") && !inventory_out.contains("metric "));
    assert!(!plain_store.exists());
}

const T_QUEUE: &str = "7bf92f3577b34da6a3ce929d0e0e4739";
/// The event `POST /orders/apple` publishes (serde_json's sorted keys).
const RESERVED_APPLE: &str = r#"{"remaining":999,"sku":"apple"}"#;

/// What one order through the queue left: the spans, each process's stdout after its first
/// line, and the subject.
struct QueueRun {
    spans: Vec<Value>,
    gateway_out: String,
    inventory_out: String,
    worker_out: String,
    subject: String,
}

/// Worker, inventory (publishing to NATS at `url`) and gateway; one order with a
/// `traceparent`, waited for until the worker has processed its event; then all three stopped.
fn run_queue(dir: &Path, store: &Path, url: &str, tag: &str, extra: &[(&str, String)]) -> QueueRun {
    // A subject of this test run: the NATS server is shared.
    let subject = format!("inventory.reserved.{tag}-{}", std::process::id());
    let envs = |name: &str| {
        let mut envs = vec![
            ("CARGO_OTEL_STORE", store.display().to_string()),
            ("OTEL_SERVICE_NAME", name.to_owned()),
            ("OTEL_METRICS_EXPORTER", "console".to_owned()),
            ("NATS_URL", url.to_owned()),
            ("NATS_SUBJECT", subject.clone()),
        ];
        envs.extend(extra.iter().cloned());
        envs
    };
    // The worker's first line comes once the server routes its subscription.
    let mut worker = Proc::start(&dir.join("worker"), &envs("worker"));
    assert_eq!(worker.addr, subject);
    let (inventory, gateway) = start_services(dir, &envs);

    let (status, body) = request(&gateway.addr, "POST", "/orders/apple", &traceparent(T_QUEUE));
    assert_eq!((status, body.as_str()), (200, RESERVED_APPLE));
    assert_eq!(worker.line(), "processed apple 999");

    let gateway_out = gateway.stop();
    let inventory_out = inventory.stop();
    let worker_out = worker.stop();
    QueueRun { spans: read_spans(store), gateway_out, inventory_out, worker_out, subject }
}

fn messaging(spans: &[Value]) -> Vec<&Value> {
    spans.iter().filter(|s| !attr(s, "messaging.system").is_null()).collect()
}

#[test]
fn an_order_crosses_http_grpc_and_nats_to_the_worker_in_one_trace() {
    let url = require(Service::Nats);
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let run = run_queue(&build_woven(), &store, url, "on", &[]);
    let (spans, subject) = (&run.spans, run.subject.as_str());

    let trace = trace(spans, T_QUEUE);
    assert_eq!(trace.len(), 5, "gateway SERVER, tonic CLIENT, inventory SERVER, PRODUCER, CONSUMER: {trace:#?}");
    let [http, _, server] = rpc_links(&trace, "POST /orders/{sku}", "shop.inventory.v1.Inventory/Reserve");
    assert_eq!(attr(http, "http.response.status_code"), 200);
    assert_eq!(attr(server, "rpc.response.status_code"), "OK");

    // The publish, in the Reserve handler: a child of the inventory's SERVER span.
    let producer = one(&trace, "inventory", "producer");
    assert_eq!(producer["name"], format!("publish {subject}"));
    assert_eq!(producer["parent_span_id"], server["span_id"], "the publish runs in the Reserve handler");
    assert_eq!(attr(producer, "messaging.system"), "nats");
    assert_eq!(attr(producer, "messaging.operation.type"), "send");
    assert_eq!(attr(producer, "messaging.operation.name"), "publish");
    assert_eq!(attr(producer, "messaging.destination.name"), subject);
    assert_eq!(attr(producer, "messaging.message.body.size"), RESERVED_APPLE.len() as i64);
    assert_eq!(attr(producer, "server.address"), "127.0.0.1");
    assert_eq!(attr(producer, "server.port"), 54222);
    assert_eq!(producer["status"], "unset");
    assert!(attr(producer, "error.type").is_null());
    let t = |s: &Value, k: &str| s[k].as_u64().expect("timestamp");
    assert!(t(producer, "end_unix_nano") <= t(server, "end_unix_nano"), "published before the reply");

    // The worker's process span: a child of the PRODUCER span (the context in the NATS
    // headers), in another process.
    let consumer = one(&trace, "worker", "consumer");
    assert_eq!(consumer["name"], format!("process {subject}"));
    assert_eq!(consumer["parent_span_id"], producer["span_id"], "parented on the message's context");
    assert_eq!(attr(consumer, "messaging.system"), "nats");
    assert_eq!(attr(consumer, "messaging.operation.type"), "process");
    assert_eq!(attr(consumer, "messaging.operation.name"), "process");
    assert_eq!(attr(consumer, "messaging.destination.name"), subject);
    assert_eq!(attr(consumer, "messaging.message.body.size"), RESERVED_APPLE.len() as i64);
    assert!(attr(consumer, "server.address").is_null(), "no address on the subscriber side");
    assert_eq!(consumer["status"], "unset");
    assert!(t(producer, "start_unix_nano") <= t(consumer, "start_unix_nano"));

    // Besides the order's trace only the worker's readiness probe (a message to itself on a
    // private inbox): a PRODUCER root and its CONSUMER child, in a trace of their own.
    let others: Vec<&Value> = spans.iter().filter(|s| s["trace_id"] != T_QUEUE).collect();
    assert_eq!(others.len(), 2, "{others:#?}");
    let probe = one(&others, "worker", "producer");
    let echo = one(&others, "worker", "consumer");
    assert!(probe["name"].as_str().is_some_and(|n| n.starts_with("publish _INBOX.")), "{probe:#?}");
    assert_eq!(probe["parent_span_id"], "");
    assert_eq!(echo["parent_span_id"], probe["span_id"]);
    assert_eq!(echo["trace_id"], probe["trace_id"]);

    // The messaging duration histograms (console exporter at shutdown).
    let destination = format!("messaging.destination.name={subject}");
    let sent = metric_lines(&run.inventory_out, "messaging.client.operation.duration", &[&destination]);
    assert_eq!(sent.len(), 1, "{}", run.inventory_out);
    assert!(sent[0].contains("messaging.system=nats") && sent[0].contains("count=1"), "{}", sent[0]);
    let processed = metric_lines(&run.worker_out, "messaging.process.duration", &[&destination]);
    assert_eq!(processed.len(), 1, "{}", run.worker_out);
    assert!(processed[0].contains("messaging.system=nats") && processed[0].contains("count=1"), "{}", processed[0]);
    assert!(metric_lines(&run.gateway_out, "messaging.client.operation.duration", &[]).is_empty());
}

#[test]
fn the_nats_switch_removes_the_messaging_spans_and_the_plain_worker_records_nothing() {
    let url = require(Service::Nats);
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let off = [("OTEL_RUST_INSTRUMENTATION_ASYNC_NATS_ENABLED", "false".to_owned())];
    let run = run_queue(&build_woven(), &store, url, "off", &off);
    assert!(messaging(&run.spans).is_empty(), "no messaging span: {:#?}", run.spans);
    chain(&run.spans, T_QUEUE, "POST /orders/{sku}", "shop.inventory.v1.Inventory/Reserve");
    assert_eq!(run.spans.len(), 3, "{:#?}", run.spans);

    let plain_store = work.path().join("plain-store");
    let run = run_queue(&build_plain(), &plain_store, url, "plain", &[]);
    assert!(run.spans.is_empty(), "the plain build records nothing: {:#?}", run.spans);
    for out in [&run.gateway_out, &run.inventory_out, &run.worker_out] {
        assert!(!out.contains("metric "), "{out}");
    }
    assert!(!plain_store.exists());
}
