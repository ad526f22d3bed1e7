//! End to end: the two-services example built with `cargo otel`, both services running as
//! real processes talking real HTTP on loopback, and one trace across both read back from
//! the file store. The same services built with plain `cargo build` still work and emit
//! nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cargo_otel_tests::{cargo_otel, host, read_spans, workspace_root};
use serde_json::Value;

fn otel_target() -> PathBuf {
    cargo_otel_tests::two_services_otel_target()
}

/// A running service; SIGTERM on drop so a failing test leaves nothing behind.
struct Service {
    child: Child,
    addr: String,
}

impl Service {
    fn start(binary: &Path, envs: &[(&str, String)]) -> Service {
        let mut child = Command::new(binary)
            .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
            .env("RUST_BACKTRACE", "0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("listening line");
        let addr = line.trim().rsplit(' ').next().expect("address").to_string();
        assert!(line.contains("listening on"), "unexpected first line: {line}");
        Service { child, addr }
    }

    /// SIGTERM and wait: the services shut down gracefully and the runtime flushes at exit.
    fn stop(mut self) -> std::process::ExitStatus {
        terminate(&mut self.child)
    }
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    child.wait().expect("wait")
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            terminate(&mut self.child);
        }
    }
}

/// A plain HTTP/1.1 GET: status code and body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_string();
    (status, body)
}

fn build(args: &[&str], otel: bool) {
    let root = workspace_root();
    let mut cmd = if otel {
        let mut c = Command::new(cargo_otel());
        // As `otel_build_two_services` builds them (the same artifacts); the plain build
        // below shares the workspace's target dir and profile instead.
        cargo_otel_tests::lean_profile(&mut c).arg("otel").arg("--otel-target-dir").arg(otel_target());
        c
    } else {
        Command::new(env!("CARGO"))
    };
    let out = cmd.args(args).current_dir(&root).env_remove("CARGO_TARGET_DIR").output().expect("build");
    assert!(out.status.success(), "build failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn spans_of<'a>(spans: &'a [Value], trace: &Value) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["trace_id"] == *trace).collect()
}

fn find<'a>(spans: &[&'a Value], service: &str, name: &str) -> &'a Value {
    spans.iter().copied().find(|s| s["service_name"] == service && s["name"] == name).unwrap_or_else(|| {
        let all: Vec<String> = spans.iter().map(|s| format!("{}:{}", s["service_name"], s["name"])).collect();
        panic!("no {service} span `{name}` among {all:?}")
    })
}

#[test]
fn one_trace_across_two_services_with_the_exact_parent_chain() {
    build(&["build", "-p", "service-a", "-p", "service-b"], true);
    let bin = otel_target().join(host()).join("debug");
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let store_env = ("CARGO_OTEL_STORE", store.display().to_string());

    let b = Service::start(
        &bin.join("service-b"),
        &[
            store_env.clone(),
            ("OTEL_SERVICE_NAME", "service-b".into()),
            ("SERVICE_B_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_DB", work.path().join("inventory.db").display().to_string()),
        ],
    );
    let a = Service::start(
        &bin.join("service-a"),
        &[
            store_env,
            ("OTEL_SERVICE_NAME", "service-a".into()),
            ("SERVICE_A_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_URL", format!("http://{}", b.addr)),
        ],
    );
    let b_addr = b.addr.clone();
    let (status, body) = get(&a.addr, "/orders/1");
    assert_eq!(status, 200, "{body}");
    let (status, _) = get(&a.addr, "/fail");
    assert_eq!(status, 502);
    assert!(a.stop().success(), "service-a exits cleanly");
    assert!(b.stop().success(), "service-b exits cleanly");

    let spans = read_spans(&store);
    let server_a = spans
        .iter()
        .find(|s| s["name"] == "GET /orders/{id}" && s["service_name"] == "service-a")
        .expect("service-a SERVER span for /orders/{id}");
    let trace = spans_of(&spans, &server_a["trace_id"]);
    let client = find(&trace, "service-a", "GET");
    let server_b = find(&trace, "service-b", "GET /inventory/{id}");

    // The exact chain: SERVER A → CLIENT A→B → SERVER B (across processes).
    assert_eq!(server_a["kind"], "server");
    assert_eq!(server_a["parent_span_id"], "");
    assert_eq!(client["kind"], "client");
    assert_eq!(client["parent_span_id"], server_a["span_id"]);
    assert_eq!(server_b["kind"], "server");
    assert_eq!(server_b["parent_span_id"], client["span_id"], "traceparent carried A's CLIENT span to B");

    // Every other span of the trace (B's tasks, threads, queries) hangs under B's SERVER span.
    let ids: Vec<&Value> = trace.iter().map(|s| &s["span_id"]).collect();
    for s in &trace {
        if s["parent_span_id"] != "" {
            assert!(ids.contains(&&s["parent_span_id"]), "span {} has a parent outside the trace", s["name"]);
        }
        if s["service_name"] == "service-b" && s["span_id"] != server_b["span_id"] {
            let mut parent = s["parent_span_id"].clone();
            let mut steps = 0;
            while parent != server_b["span_id"] {
                let p = trace
                    .iter()
                    .find(|x| x["span_id"] == parent)
                    .unwrap_or_else(|| panic!("{} is not under B's SERVER span", s["name"]));
                parent = p["parent_span_id"].clone();
                steps += 1;
                assert!(steps < 20, "parent loop");
            }
        }
    }

    // Semantic-convention attributes.
    let attrs = |s: &Value, k: &str| s["attributes"][k].clone();
    assert_eq!(attrs(server_a, "http.request.method"), "GET");
    assert_eq!(attrs(server_a, "http.route"), "/orders/{id}");
    assert_eq!(attrs(server_a, "url.path"), "/orders/1");
    assert_eq!(attrs(server_a, "http.response.status_code"), 200);
    assert_eq!(attrs(client, "http.request.method"), "GET");
    assert_eq!(attrs(client, "url.full"), format!("http://{b_addr}/inventory/1"));
    assert_eq!(attrs(client, "server.address"), "127.0.0.1");
    assert_eq!(attrs(client, "http.response.status_code"), 200);
    assert_eq!(attrs(server_b, "http.route"), "/inventory/{id}");
    assert_eq!(attrs(server_b, "http.response.status_code"), 200);

    // B's internal spans (tokio, std and rusqlite packs), each with its exact parent.
    let b_spans: Vec<&Value> = trace.iter().copied().filter(|s| s["service_name"] == "service-b").collect();
    let parent_of = |s: &Value| -> &Value {
        trace.iter().copied().find(|p| p["span_id"] == s["parent_span_id"]).expect("parent in the trace")
    };
    let main_rs = "examples/two-services/service-b/src/main.rs";
    // spawn_blocking(store::item) → SELECT items: a CLIENT span with the parameterised SQL.
    let item_query = find(&trace, "service-b", "SELECT items");
    assert_eq!(item_query["kind"], "client");
    assert_eq!(attrs(item_query, "db.system.name"), "sqlite");
    assert_eq!(attrs(item_query, "db.query.text"), "SELECT name, price_cents FROM items WHERE id = ?1");
    assert_eq!(attrs(item_query, "db.operation.name"), "SELECT");
    assert_eq!(attrs(item_query, "db.collection.name"), "items");
    assert_eq!(attrs(item_query, "db.namespace"), "inventory.db");
    let blocking = parent_of(item_query);
    assert_eq!(blocking["name"], "tokio::task::spawn_blocking");
    assert_eq!(blocking["kind"], "internal");
    assert_eq!(blocking["parent_span_id"], server_b["span_id"]);
    assert_eq!(attrs(blocking, "code.function.name"), "service_b::inventory");
    assert_eq!(attrs(blocking, "code.file.path"), main_rs);
    assert!(attrs(blocking, "code.line.number").as_i64().is_some_and(|l| l > 0));
    // tokio::spawn(quote(..)): the task's span, named after the async fn that is the task.
    let task = find(&trace, "service-b", "tokio::spawn");
    assert_eq!(task["kind"], "internal");
    assert_eq!(task["parent_span_id"], server_b["span_id"]);
    assert_eq!(attrs(task, "code.function.name"), "service_b::quote");
    assert_eq!(attrs(task, "code.file.path"), main_rs);
    // JoinSet::spawn_blocking per warehouse, one SELECT stock under each.
    let stock: Vec<&Value> = b_spans.iter().copied().filter(|s| s["name"] == "SELECT stock").collect();
    assert_eq!(stock.len(), 2, "one query per warehouse");
    for query in &stock {
        assert_eq!(attrs(query, "db.system.name"), "sqlite");
        assert_eq!(attrs(query, "db.query.text"), "SELECT quantity FROM stock WHERE item_id = ?1 AND warehouse = ?2");
        let lookup = parent_of(query);
        assert_eq!(lookup["name"], "JoinSet::spawn_blocking");
        assert_eq!(lookup["parent_span_id"], server_b["span_id"]);
    }
    // checksum: a second spawn_blocking whose thread::scope runs two scoped threads.
    let scoped: Vec<&Value> = b_spans.iter().copied().filter(|s| s["name"] == "std::thread::scope spawn").collect();
    assert_eq!(scoped.len(), 2, "two scoped threads");
    for thread in &scoped {
        assert_eq!(thread["kind"], "internal");
        assert_eq!(attrs(thread, "code.function.name"), "service_b::checksum");
        assert_eq!(attrs(thread, "code.file.path"), main_rs);
        let outer = parent_of(thread);
        assert_eq!(outer["name"], "tokio::task::spawn_blocking");
        assert_eq!(outer["parent_span_id"], server_b["span_id"]);
    }
    // One instrumentation scope per pack: the pack whose advice started the span.
    let scopes: Vec<(String, String)> = [server_a, client, server_b, item_query, blocking, task, stock[0], scoped[0]]
        .iter()
        .map(|s| (s["name"].as_str().unwrap_or("").to_owned(), s["scope"].as_str().unwrap_or("").to_owned()))
        .collect();
    let expected: Vec<(String, String)> = [
        ("GET /orders/{id}", "cargo-otel.hyper"),
        ("GET", "cargo-otel.reqwest"),
        ("GET /inventory/{id}", "cargo-otel.hyper"),
        ("SELECT items", "cargo-otel.rusqlite"),
        ("tokio::task::spawn_blocking", "cargo-otel.tokio"),
        ("tokio::spawn", "cargo-otel.tokio"),
        ("SELECT stock", "cargo-otel.rusqlite"),
        ("std::thread::scope spawn", "cargo-otel.std"),
    ]
    .iter()
    .map(|(n, s)| (n.to_string(), s.to_string()))
    .collect();
    assert_eq!(scopes, expected);
    // Exactly these: SERVER, 2 spawn_blocking, tokio::spawn, 2 JoinSet::spawn_blocking,
    // 3 queries, 2 scoped threads. Nothing from hyper's connection tasks or pools.
    let names: Vec<&Value> = b_spans.iter().map(|s| &s["name"]).collect();
    assert_eq!(b_spans.len(), 11, "service-b spans of the request: {names:?}");
    // No stray root traces (connection tasks, start-up queries): the only roots are A's SERVER spans.
    for s in &spans {
        if s["parent_span_id"] == "" {
            assert!(
                s["service_name"] == "service-a" && s["kind"] == "server",
                "stray root span {}:{}",
                s["service_name"],
                s["name"]
            );
        }
    }

    // Errors: B's 500 makes A's CLIENT span an error and A's 502 its SERVER span an error.
    let fail_a =
        spans.iter().find(|s| s["name"] == "GET /fail" && s["service_name"] == "service-a").expect("fail span");
    let fail_trace = spans_of(&spans, &fail_a["trace_id"]);
    let fail_client = find(&fail_trace, "service-a", "GET");
    let fail_b = find(&fail_trace, "service-b", "GET /fail");
    assert_eq!(fail_a["status"], "error");
    assert_eq!(attrs(fail_a, "http.response.status_code"), 502);
    assert_eq!(fail_client["status"], "error");
    assert_eq!(attrs(fail_client, "http.response.status_code"), 500);
    assert_eq!(fail_b["status"], "error");
}

#[test]
fn plain_builds_of_the_same_services_work_and_emit_nothing() {
    build(&["build", "-p", "service-a", "-p", "service-b"], false);
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let bin = target.join("debug");
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let store_env = ("CARGO_OTEL_STORE", store.display().to_string());
    let b = Service::start(
        &bin.join("service-b"),
        &[
            store_env.clone(),
            ("SERVICE_B_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_DB", work.path().join("db").display().to_string()),
        ],
    );
    let a = Service::start(
        &bin.join("service-a"),
        &[store_env, ("SERVICE_A_ADDR", "127.0.0.1:0".into()), ("SERVICE_B_URL", format!("http://{}", b.addr))],
    );
    let (status, body) = get(&a.addr, "/orders/1");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"order_id\":1"), "{body}");
    assert!(a.stop().success());
    assert!(b.stop().success());
    assert!(read_spans(&store).is_empty(), "a plain build must not emit telemetry");
    assert!(!store.exists(), "a plain build must not even create the store");
}
