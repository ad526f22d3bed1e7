//! examples/catalog end to end, against the real PostgreSQL and Redis of scripts/services.sh:
//! built with `cargo otel --strict`, the service's requests are traces whose SERVER span is
//! the parent of every cache command (redis pack) and query (sqlx pack), through the sqlx pool
//! and a spawned task; a cache miss is GET → SELECT → SETEX, a hit is GET alone; a duplicate
//! insert fails with SQLSTATE 23505 inside its transaction; concurrent requests on the
//! two-connection pool wait, and the waits are events on the query spans; no bound value
//! reaches the store. The plain build of the same service runs and records nothing.

use cargo_otel_tests::{Server, Service, attr, http_get, http_request, read_spans, require};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn build_woven() -> PathBuf {
    // `--strict`: a woven crate that does not compile fails the build. (No check of the
    // `Weaving` lines: an incremental build prints them only for what it recompiles.)
    cargo_otel_tests::otel_build_example("catalog", &["--bin", "catalog"]).join("catalog")
}

fn build_plain() -> PathBuf {
    cargo_otel_tests::plain_build_example("catalog", &["--bin", "catalog"]).join("catalog")
}

fn start(binary: &Path, store: &Path) -> Server {
    Server::start(
        binary,
        &[
            ("CATALOG_ADDR", "127.0.0.1:0".into()),
            ("DATABASE_URL", require(Service::Postgres).into()),
            ("REDIS_URL", require(Service::Redis).into()),
            ("CARGO_OTEL_STORE", store.display().to_string()),
            ("OTEL_SERVICE_NAME", "catalog".into()),
        ],
    )
}

fn stop(mut server: Server) {
    let status = server.signal_and_wait("INT", std::time::Duration::from_secs(20));
    assert!(status.success(), "catalog exits cleanly: {status}");
}

fn redis_cli(args: &[&str]) {
    let status = Command::new("redis-cli").args(["-h", "127.0.0.1", "-p", "56379"]).args(args).status();
    assert!(status.is_ok_and(|s| s.success()), "redis-cli {args:?}");
}

/// The spans of the trace whose SERVER span is named `server` and has `url.path` = `path`.
fn trace_of<'a>(spans: &'a [Value], server: &str, path: &str, nth: usize) -> (&'a Value, Vec<&'a Value>) {
    let roots: Vec<&Value> = spans.iter().filter(|s| s["name"] == server && attr(s, "url.path") == path).collect();
    let root = *roots.get(nth).unwrap_or_else(|| panic!("SERVER span {server} {path} #{nth}: {roots:?}"));
    let trace: Vec<&Value> = spans.iter().filter(|s| s["trace_id"] == root["trace_id"]).collect();
    (root, trace)
}

fn children<'a>(trace: &[&'a Value], parent: &Value) -> Vec<&'a Value> {
    trace.iter().copied().filter(|s| s["parent_span_id"] == parent["span_id"]).collect()
}

fn names(spans: &[&Value]) -> Vec<String> {
    spans.iter().map(|s| s["name"].as_str().unwrap_or("?").to_owned()).collect()
}

/// The DB spans under `root` (its descendants through task spans), in start order.
fn db_spans<'a>(trace: &[&'a Value], root: &Value) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for child in children(trace, parent) {
            if !attr(child, "db.system.name").is_null() {
                out.push(child);
            }
            frontier.push(child);
        }
    }
    out.sort_by_key(|s| s["start_unix_nano"].as_u64().unwrap_or(0));
    out
}

#[test]
fn catalog_requests_are_traces_of_cache_commands_and_queries() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let woven = build_woven();
    redis_cli(&["DEL", "catalog:product:2"]);
    let server = start(&woven, &store);
    let addr = server.addr.clone();

    let (status, body) = http_get(&addr, "/products/2");
    assert_eq!((status, body.as_str()), (200, r#"{"id":2,"name":"gadget","price_cents":1200}"#));
    let (status, _) = http_get(&addr, "/products/2");
    assert_eq!(status, 200, "the cached copy");
    let (status, body) = http_request(&addr, "POST", "/products/2/views", None);
    assert_eq!(status, 200, "{body}");
    // A duplicate id: the INSERT fails inside its transaction. The name is a bound value
    // that must never reach the store.
    let secret = "bound-name-5e1f9c";
    let duplicate = format!(r#"{{"id":2,"name":"{secret}","price_cents":1}}"#);
    let (status, _) = http_request(&addr, "POST", "/products", Some(&duplicate));
    assert_eq!(status, 409);
    // Six views at once on a two-connection pool: some queries wait for a connection.
    let concurrent: Vec<_> = (0..6)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || http_request(&addr, "POST", "/products/3/views", None).0)
        })
        .collect();
    for request in concurrent {
        assert_eq!(request.join().expect("request thread"), 200);
    }
    stop(server);

    let spans = read_spans(&store);
    let text = serde_json::to_string(&spans).expect("json");
    assert!(!text.contains(secret), "a bound value reached the store");

    // Cache miss: GET, then the query, then SETEX, all children of the SERVER span.
    let (root, trace) = trace_of(&spans, "GET /products/{id}", "/products/2", 0);
    let db = db_spans(&trace, root);
    assert_eq!(names(&db), ["GET", "SELECT catalog_products", "SETEX"], "{db:#?}");
    for span in &db {
        assert_eq!(span["kind"], "client");
        assert_eq!(span["parent_span_id"], root["span_id"], "{}: a direct child of the SERVER span", span["name"]);
    }
    let (get, select, setex) = (db[0], db[1], db[2]);
    assert_eq!(attr(get, "db.system.name"), "redis");
    assert_eq!(attr(get, "db.operation.name"), "GET");
    assert!(!attr(get, "db.query.text").as_str().unwrap_or("").contains("catalog:product"), "no keys");
    assert_eq!(attr(setex, "db.operation.name"), "SETEX");
    assert_eq!(attr(select, "db.system.name"), "postgresql");
    assert_eq!(attr(select, "db.namespace"), "otel");
    assert_eq!(attr(select, "db.query.text"), "SELECT id, name, price_cents FROM catalog_products WHERE id = $1");
    assert_eq!(attr(select, "db.query.summary"), "SELECT catalog_products");
    assert_eq!(attr(select, "db.operation.name"), "SELECT");
    assert_eq!(attr(select, "db.collection.name"), "catalog_products");
    assert_eq!(attr(select, "server.address"), "127.0.0.1");
    assert_eq!(attr(select, "server.port"), 55432);

    // Cache hit: GET alone.
    let (root, trace) = trace_of(&spans, "GET /products/{id}", "/products/2", 1);
    assert_eq!(names(&db_spans(&trace, root)), ["GET"]);

    // The view counter: both queries in the spawned task, still in the request's trace.
    let (root, trace) = trace_of(&spans, "POST /products/{id}/views", "/products/2/views", 0);
    let db = db_spans(&trace, root);
    assert_eq!(names(&db), ["INSERT catalog_views", "SELECT catalog_views"], "{db:#?}");
    let task = trace.iter().find(|s| s["span_id"] == db[0]["parent_span_id"]).expect("the queries' parent");
    assert_eq!(task["name"], "tokio::spawn", "the spawned task is the queries' parent");
    assert_eq!(task["parent_span_id"], root["span_id"]);

    // The duplicate: BEGIN, then the failing INSERT with its SQLSTATE.
    let (root, trace) = trace_of(&spans, "POST /products", "/products", 0);
    assert_eq!(attr(root, "http.response.status_code"), 409);
    let db = db_spans(&trace, root);
    assert_eq!(names(&db[..2]), ["BEGIN", "INSERT catalog_products"], "{db:#?}");
    let insert = db[1];
    assert_eq!(insert["status"], "error", "{insert:#}");
    assert_eq!(attr(insert, "db.response.status_code"), "23505");
    assert_eq!(attr(insert, "error.type"), "23505");
    assert_eq!(
        attr(insert, "db.query.text"),
        "INSERT INTO catalog_products (id, name, price_cents) VALUES ($1, $2, $3)"
    );

    // The concurrent views: every query span is a child of its request's task, and the
    // pool waits are events on query spans.
    let waited = spans
        .iter()
        .filter(|s| attr(s, "db.system.name") == "postgresql")
        .flat_map(|s| s["events"].as_array().cloned().unwrap_or_default())
        .filter(|e| e["name"] == "db.client.connection.acquired")
        .collect::<Vec<_>>();
    assert!(!waited.is_empty(), "pool waits recorded as events");
    for event in &waited {
        let wait = event["attributes"]["db.client.connection.wait_time"].as_f64().expect("wait time");
        assert!(wait >= 0.0, "{event}");
    }
    let view_roots = spans.iter().filter(|s| attr(s, "url.path") == "/products/3/views").count();
    assert_eq!(view_roots, 6);
}

#[test]
fn plain_catalog_runs_and_records_nothing() {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let server = start(&build_plain(), &store);
    let (status, body) = http_get(&server.addr, "/products/1");
    assert_eq!((status, body.as_str()), (200, r#"{"id":1,"name":"widget","price_cents":250}"#));
    stop(server);
    assert!(!store.exists() || read_spans(&store).is_empty(), "the plain build recorded spans");
}
