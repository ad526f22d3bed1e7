//! examples/actix-shop end to end: built with `cargo otel --strict`, an actix-web 4 service
//! with no tracing code answers on loopback, and each request is a trace:
//! - `GET /quotes/{id}` is SERVER (actix-http + actix-web packs) → CLIENT (awc pack) → SERVER
//!   of the same process, every parent link checked by span id, the first SERVER span the
//!   child of the `traceparent` the test sends;
//! - `GET /shop/{id}/refresh` makes its awc call in a task spawned with `actix_web::rt::spawn`
//!   (tokio's `spawn_local` underneath, the tokio pack): SERVER → task → CLIENT → SERVER;
//!   and an App middleware's spawned task, after the handler's response, is under the same
//!   SERVER span (the span is current in the middleware's future too);
//! - a 500 is an error, a 404 is not; a routing miss keeps the name `{method}` and no route;
//! - the console metrics carry `http.server.request.duration` by route and
//!   `http.client.request.duration`;
//! - `OTEL_RUST_INSTRUMENTATION_ACTIX_WEB_ENABLED=false` removes the SERVER spans,
//!   `OTEL_RUST_INSTRUMENTATION_AWC_ENABLED=false` the CLIENT spans and the propagation;
//! - the plain build runs and records nothing.

use cargo_otel_tests::{attr, read_spans};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";
const USER_AGENT: &str = "e2e-actix/1.0";

/// The woven binary, built once per test process.
fn woven() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| cargo_otel_tests::otel_build_example("actix-shop", &["--bin", "actix-shop"]).join("actix-shop"))
}

fn plain() -> PathBuf {
    cargo_otel_tests::plain_build_example("actix-shop", &["--bin", "actix-shop"]).join("actix-shop")
}

/// A running shop. Unlike `Server`, stdout is read to the end (the console metrics come
/// after the `listening on` line).
struct Shop {
    child: Child,
    addr: String,
    rest: std::thread::JoinHandle<Vec<String>>,
}

fn start(binary: &Path, store: &Path, envs: &[(&str, &str)]) -> Shop {
    let mut child = Command::new(binary)
        .env("SHOP_ADDR", "127.0.0.1:0")
        .env("CARGO_OTEL_STORE", store)
        .env("OTEL_SERVICE_NAME", "actix-shop")
        .env("OTEL_METRICS_EXPORTER", "console")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start actix-shop");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a first line").expect("read stdout");
    assert!(first.contains("listening on"), "unexpected first line: {first}");
    let addr = first.rsplit(' ').next().expect("address").to_owned();
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect());
    Shop { child, addr, rest }
}

/// SIGINT (actix's graceful stop), wait for the exit, and the rest of stdout.
fn stop(mut shop: Shop) -> Vec<String> {
    let sent = Command::new("kill").args(["-s", "INT"]).arg(shop.child.id().to_string()).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -s INT");
    let status = shop.child.wait().expect("wait");
    assert!(status.success(), "actix-shop exits cleanly: {status}");
    shop.rest.join().expect("stdout reader")
}

/// One HTTP/1.1 request on a fresh connection, carrying our `traceparent` and user agent.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: {USER_AGENT}\r\ntraceparent: 00-{TRACE_ID}-{PARENT_ID}-01\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    (status, response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned())
}

fn by_id<'a>(spans: &'a [Value], id: &Value) -> &'a Value {
    spans.iter().find(|s| &s["span_id"] == id).unwrap_or_else(|| panic!("no span {id}"))
}

/// The SERVER span whose `url.path` is `path`.
fn server<'a>(spans: &'a [Value], path: &str) -> &'a Value {
    let found: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "server" && attr(s, "url.path") == path).collect();
    assert_eq!(found.len(), 1, "one SERVER span for {path}: {found:#?}");
    found[0]
}

fn only_child<'a>(spans: &'a [Value], parent: &Value) -> &'a Value {
    let found: Vec<&Value> = spans.iter().filter(|s| s["parent_span_id"] == parent["span_id"]).collect();
    assert_eq!(found.len(), 1, "one child of {}: {found:#?}", parent["name"]);
    found[0]
}

fn assert_server(span: &Value, port: u16, name: &str, route: Option<&str>, path: &str, status: u16) {
    assert_eq!(span["name"], name, "{span:#}");
    assert_eq!(span["kind"], "server");
    assert_eq!(span["trace_id"], TRACE_ID);
    assert_eq!(attr(span, "http.request.method"), "GET");
    assert_eq!(attr(span, "url.path"), path);
    assert_eq!(attr(span, "url.scheme"), "http");
    assert_eq!(attr(span, "network.protocol.version"), "1.1");
    assert_eq!(attr(span, "server.address"), "127.0.0.1");
    assert_eq!(attr(span, "server.port"), port);
    assert_eq!(attr(span, "client.address"), "127.0.0.1");
    assert_eq!(attr(span, "http.response.status_code"), status);
    match route {
        Some(route) => assert_eq!(attr(span, "http.route"), route),
        None => assert!(attr(span, "http.route").is_null(), "no route on a routing miss: {span:#}"),
    }
}

/// The awc CLIENT span and the SERVER span of `/prices/{id}` it caused.
fn assert_price_call<'a>(spans: &'a [Value], parent: &Value, port: u16, id: u32) -> &'a Value {
    let client = only_child(spans, parent);
    assert_eq!(client["name"], "GET", "{client:#}");
    assert_eq!(client["kind"], "client");
    assert_eq!(client["status"], "unset");
    assert_eq!(attr(client, "http.request.method"), "GET");
    assert_eq!(attr(client, "url.full"), format!("http://127.0.0.1:{port}/prices/{id}").as_str());
    assert_eq!(attr(client, "server.address"), "127.0.0.1");
    assert_eq!(attr(client, "server.port"), port);
    assert_eq!(attr(client, "http.response.status_code"), 200);
    assert_eq!(attr(client, "network.protocol.version"), "1.1");
    let price = only_child(spans, client);
    assert_server(price, port, "GET /prices/{id}", Some("/prices/{id}"), &format!("/prices/{id}"), 200);
    assert_eq!(price["status"], "unset");
    price
}

#[test]
fn actix_requests_are_traces_across_awc_and_spawned_tasks() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let shop = start(woven(), &store, &[]);
    let port: u16 = shop.addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");

    assert_eq!(get(&shop.addr, "/quotes/3?currency=eur"), (200, r#"{"id":3,"cents":130,"tax":26}"#.to_owned()));
    assert_eq!(get(&shop.addr, "/shop/4/refresh"), (200, "refreshed 4: 140".to_owned()));
    assert_eq!(get(&shop.addr, "/broken").0, 500);
    assert_eq!(get(&shop.addr, "/no/such/page").0, 404);
    assert_eq!(get(&shop.addr, "/prices/200").0, 404);
    let stdout = stop(shop);
    let spans = read_spans(&store);
    assert_eq!(spans.len(), 11, "3 + 5 + 1 + 1 + 1 spans: {spans:#?}");

    // SERVER → CLIENT → SERVER, the first under the caller's traceparent.
    let quote = server(&spans, "/quotes/3");
    assert_server(quote, port, "GET /quotes/{id}", Some("/quotes/{id}"), "/quotes/3", 200);
    assert_eq!(quote["parent_span_id"], PARENT_ID);
    assert_eq!(quote["status"], "unset");
    assert_eq!(attr(quote, "user_agent.original"), USER_AGENT);
    assert_eq!(attr(quote, "url.query"), "currency=eur");
    assert_price_call(&spans, quote, port, 3);

    // The spawned task's awc call is in the request's trace, under the task's span.
    let refresh = server(&spans, "/shop/4/refresh");
    assert_server(refresh, port, "GET /shop/{id}/refresh", Some("/shop/{id}/refresh"), "/shop/4/refresh", 200);
    assert_eq!(refresh["parent_span_id"], PARENT_ID);
    let tasks: Vec<&Value> = spans.iter().filter(|s| s["parent_span_id"] == refresh["span_id"]).collect();
    assert_eq!(tasks.len(), 2, "the handler's task and the middleware's: {tasks:#?}");
    for task in &tasks {
        assert_eq!(task["name"], "tokio::task::spawn_local", "{task:#}");
        assert_eq!(task["kind"], "internal");
    }
    let task = *tasks.iter().find(|t| attr(t, "code.function.name") == "actix_shop::refresh").expect("handler task");
    let audit = *tasks.iter().find(|t| attr(t, "code.function.name") == "actix_shop::audit").expect("middleware task");
    assert!(spans.iter().all(|s| s["parent_span_id"] != audit["span_id"]), "the audit task calls nothing");
    let price = assert_price_call(&spans, task, port, 4);
    assert_eq!(by_id(&spans, &price["parent_span_id"])["parent_span_id"], task["span_id"]);

    // 5xx is an error, 4xx is not; a routing miss has no route.
    let broken = server(&spans, "/broken");
    assert_server(broken, port, "GET /broken", Some("/broken"), "/broken", 500);
    assert_eq!(broken["status"], "error");
    assert_eq!(attr(broken, "error.type"), "500");
    let miss = server(&spans, "/no/such/page");
    assert_server(miss, port, "GET", None, "/no/such/page", 404);
    assert_eq!(miss["status"], "unset");
    assert!(attr(miss, "error.type").is_null());
    let missing = server(&spans, "/prices/200");
    assert_server(missing, port, "GET /prices/{id}", Some("/prices/{id}"), "/prices/200", 404);
    assert_eq!(missing["status"], "unset");

    // The duration metrics, by route.
    let metric = |name: &str, needles: &[&str]| {
        stdout.iter().any(|l| l.starts_with(&format!("metric {name} {{")) && needles.iter().all(|n| l.contains(n)))
    };
    assert!(
        metric(
            "http.server.request.duration",
            &["http.route=/quotes/{id}", "http.response.status_code=200", "count=1 "]
        ),
        "{stdout:#?}"
    );
    assert!(metric(
        "http.server.request.duration",
        &["http.route=/prices/{id}", "http.response.status_code=200", "count=2 "]
    ));
    assert!(metric("http.server.request.duration", &["http.route=/broken", "error.type=500"]));
    assert!(metric("http.client.request.duration", &["http.response.status_code=200", "count=2 "]), "{stdout:#?}");
}

#[test]
fn actix_web_switch_removes_server_spans_and_awc_switch_client_spans() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("off-web");
    let shop = start(woven(), &store, &[("OTEL_RUST_INSTRUMENTATION_ACTIX_WEB_ENABLED", "false")]);
    assert_eq!(get(&shop.addr, "/quotes/5").0, 200);
    stop(shop);
    let spans = read_spans(&store);
    assert!(spans.iter().all(|s| s["kind"] != "server"), "no SERVER spans: {spans:#?}");

    let store = work.path().join("off-awc");
    let shop = start(woven(), &store, &[("OTEL_RUST_INSTRUMENTATION_AWC_ENABLED", "false")]);
    assert_eq!(get(&shop.addr, "/quotes/6").0, 200);
    stop(shop);
    let spans = read_spans(&store);
    assert!(spans.iter().all(|s| s["kind"] != "client"), "no CLIENT spans: {spans:#?}");
    assert_eq!(server(&spans, "/quotes/6")["parent_span_id"], PARENT_ID);
    let price = server(&spans, "/prices/6");
    assert!(price["parent_span_id"].is_null() || price["parent_span_id"] == "", "nothing injected: {price:#}");
    assert_ne!(price["trace_id"], TRACE_ID);
}

#[test]
fn plain_actix_shop_runs_and_records_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let shop = start(&plain(), &store, &[]);
    assert_eq!(get(&shop.addr, "/quotes/1"), (200, r#"{"id":1,"cents":110,"tax":22}"#.to_owned()));
    let stdout = stop(shop);
    assert!(!store.exists() || read_spans(&store).is_empty(), "the plain build recorded spans");
    assert!(stdout.iter().all(|l| !l.starts_with("metric ")), "{stdout:#?}");
}
