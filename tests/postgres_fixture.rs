//! The tokio-postgres and deadpool packs on a real PostgreSQL (scripts/services.sh), through
//! tests/fixtures/tokio-postgres-app: tokio-postgres + deadpool-postgres (its main binary)
//! and the sync `postgres` crate (`postgres-sync-app`), with `// otel:span` directives only.

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Values bound as parameters or written inline: none may appear in any exported span.
const SECRETS: &[&str] = &[
    "secret-widget-7731",
    "secret-dup-6620",
    "renamed-5519",
    "hidden-literal-4242",
    "sync-secret-8842",
    "sync-dup-3391",
];

fn run(bin: &Path, store: &Path, url: &str, env: &[(&str, &str)]) -> (String, Vec<Value>) {
    let out = Command::new(bin)
        .env("CARGO_OTEL_STORE", store)
        .env("OTEL_SERVICE_NAME", bin.file_name().unwrap_or_default())
        .env("OTEL_PG_URL", url)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    assert!(out.status.success(), "{} failed:\n{}", bin.display(), String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).trim().to_string(), read_spans(store))
}

fn woven_bin(name: &str) -> std::path::PathBuf {
    shared_otel_target().join(host()).join("debug").join(name)
}

/// The CLIENT spans whose `db.query.text` is `text`.
fn db<'a>(spans: &'a [Value], text: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["kind"] == "client" && attr(s, "db.query.text") == text).collect()
}

fn one<'a>(spans: &'a [Value], text: &str) -> &'a Value {
    let found = db(spans, text);
    assert_eq!(found.len(), 1, "one span for `{text}`: {spans:#?}");
    found[0]
}

fn named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["name"] == name).collect()
}

/// The attributes every span of the pack carries on this server.
fn assert_connection(span: &Value) {
    assert_eq!(attr(span, "db.system.name"), "postgresql", "{span:#}");
    assert_eq!(attr(span, "db.namespace"), "otel", "{span:#}");
    assert_eq!(attr(span, "server.address"), "127.0.0.1", "{span:#}");
    assert_eq!(attr(span, "server.port"), 55432, "{span:#}");
}

fn assert_no_secrets(spans: &[Value]) {
    let all = serde_json::to_string(spans).expect("json");
    for secret in SECRETS {
        assert!(!all.contains(secret), "`{secret}` leaked into the spans: {all}");
    }
}

const EXPECTED: &str =
    "inserted=1 dup=23505 name=secret-widget-7731 copied=3 pipelined=1,3 simple=1 deleted=1 users=1,2";
const INSERT: &str = "INSERT INTO otel_pg_items (id, name) VALUES ($1, $2)";

#[test]
fn tokio_postgres_and_deadpool_queries_are_client_spans_under_the_caller() {
    let url = require(Service::Postgres);
    let fixture = copy_fixture("tokio-postgres-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["tokio-postgres", "deadpool", "tokio"]);
    for woven in ["Weaving tokio-postgres v", "Weaving deadpool v", "Weaving tokio v"] {
        assert!(err.contains(woven), "{woven}…: {err}");
    }

    let (stdout, spans) = run(&woven_bin("tokio-postgres-app"), &dir.join("store"), url, &[]);
    assert_eq!(stdout, EXPECTED);
    let handle = &named(&spans, "handle")[0];
    assert_eq!(handle["parent_span_id"], "", "the directive's span is the root");
    let under_handle = |s: &Value| {
        assert_eq!(s["trace_id"], handle["trace_id"], "{s:#}");
        assert_eq!(s["parent_span_id"], handle["span_id"], "a child of `handle`: {s:#}");
    };
    // The schema set-up ran outside any trace: no span for it.
    assert!(
        spans.iter().all(|s| !attr(s, "db.query.text").as_str().unwrap_or("").contains("DROP TABLE")),
        "{spans:#?}"
    );

    // Success with bound parameters, then the unique violation.
    let inserts = db(&spans, INSERT);
    assert_eq!(inserts.len(), 2, "{spans:#?}");
    let (ok, dup) = if inserts[0]["status"] == "error" { (inserts[1], inserts[0]) } else { (inserts[0], inserts[1]) };
    for s in [ok, dup] {
        under_handle(s);
        assert_connection(s);
        assert_eq!(s["name"], "INSERT otel_pg_items");
        assert_eq!(attr(s, "db.operation.name"), "INSERT");
        assert_eq!(attr(s, "db.collection.name"), "otel_pg_items");
        assert_eq!(attr(s, "db.query.summary"), "INSERT otel_pg_items");
    }
    assert_ne!(ok["status"], "error");
    assert!(attr(ok, "error.type").is_null());
    assert_eq!(dup["status"], "error");
    assert_eq!(attr(dup, "db.response.status_code"), "23505");
    assert_eq!(attr(dup, "error.type"), "23505");
    let message = dup["status_message"].as_str().unwrap_or("");
    assert!(message.contains("duplicate key"), "the server's message: {message}");

    // The explicit prepare is its own span; the query of the statement has the statement's text.
    let select = "SELECT name FROM otel_pg_items WHERE id = $1";
    let prepared: Vec<&Value> = db(&spans, select);
    assert_eq!(prepared.len(), 2, "PREPARE and the query: {spans:#?}");
    let prepare = prepared.iter().find(|s| s["name"] == "PREPARE").expect("PREPARE span");
    assert_eq!(attr(prepare, "db.operation.name"), "PREPARE");
    let query = prepared.iter().find(|s| s["name"] == "SELECT otel_pg_items").expect("query span");
    for s in [prepare, query] {
        under_handle(s);
        assert_connection(s);
    }

    // The transaction: BEGIN, the UPDATE, COMMIT, all children of `handle`.
    for (text, name) in [
        ("START TRANSACTION", "START"), // tokio-postgres 0.7.18's `transaction()` (0.7.0 sent BEGIN)
        ("UPDATE otel_pg_items SET name = $1 WHERE id = $2", "UPDATE otel_pg_items"),
        ("COMMIT", "COMMIT"),
    ] {
        let s = one(&spans, text);
        assert_eq!(s["name"], name);
        under_handle(s);
        assert_connection(s);
    }

    // COPY FROM STDIN.
    let copy = one(&spans, "COPY otel_pg_copy (id, label) FROM STDIN");
    assert_eq!(copy["name"], "COPY otel_pg_copy", "{copy:#}");
    assert_eq!(attr(copy, "db.collection.name"), "otel_pg_copy");
    assert_connection(copy);
    under_handle(copy);

    // The pipelined pair: two spans, both children of `handle`, each with its own text (the
    // two in-flight queries of one client are not mixed up). Their overlap in time is not
    // asserted: nothing orders the second query's start before the first one's answer, and on
    // a loaded machine the first was seen to end before the second's span began.
    let a = one(&spans, "SELECT id, name FROM otel_pg_items WHERE id = $1");
    let b = one(&spans, "SELECT label FROM otel_pg_copy ORDER BY id");
    under_handle(a);
    under_handle(b);
    assert_eq!(b["name"], "SELECT otel_pg_copy");
    assert!(a["span_id"] != b["span_id"]);
    let (a0, a1) = (a["start_unix_nano"].as_u64().unwrap(), a["end_unix_nano"].as_u64().unwrap());
    let (b0, b1) = (b["start_unix_nano"].as_u64().unwrap(), b["end_unix_nano"].as_u64().unwrap());
    assert!(a0 <= a1 && b0 <= b1, "{a:#} {b:#}");

    // Inline literals through the simple query protocol: replaced in db.query.text.
    let simple = one(&spans, "SELECT name FROM otel_pg_items WHERE id = ? AND name <> ?");
    assert_eq!(simple["name"], "SELECT otel_pg_items");
    under_handle(simple);

    // The spawned task's query: under the task's span, under `handle`.
    let delete = one(&spans, "DELETE FROM otel_pg_copy WHERE id = $1");
    let task = spans.iter().find(|s| s["span_id"] == delete["parent_span_id"]).expect("the task span");
    assert_eq!(task["name"], "tokio::spawn");
    under_handle(task);
    assert_connection(delete);

    // Pool of one, two users: each `pool_user` span has the acquisition event; the second
    // waited for the first's 0.2 s query.
    let users = named(&spans, "pool_user");
    assert_eq!(users.len(), 2, "{spans:#?}");
    let mut waits: Vec<f64> = users
        .iter()
        .map(|u| {
            under_handle(u);
            let events: Vec<&Value> = u["events"]
                .as_array()
                .expect("events")
                .iter()
                .filter(|e| e["name"] == "db.client.connection.acquired")
                .collect();
            assert_eq!(events.len(), 1, "one acquisition event on {u:#}");
            let at = events[0]["time_unix_nano"].as_u64().unwrap();
            (at - u["start_unix_nano"].as_u64().unwrap()) as f64 / 1e9
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    // Causal bounds only (no timing assert): the second user, started 10 ms after the first,
    // gets the one connection after the first user's `pg_sleep(0.2)` released it.
    assert!(waits[1] > waits[0] && waits[1] >= 0.15, "one user waited for the other: {waits:?}");
    let sleeps = db(&spans, "SELECT $1::INT4 FROM pg_sleep(?)");
    assert_eq!(sleeps.len(), 2, "{spans:#?}");
    for s in &sleeps {
        assert!(users.iter().any(|u| u["span_id"] == s["parent_span_id"]), "under a pool_user: {s:#}");
    }
    // The spawned task's `pool.get()` ran in `handle`: its event is there.
    assert!(handle["events"].as_array().expect("events").iter().any(|e| e["name"] == "db.client.connection.acquired"));

    // Exactly the operations above, no duplicates (the implicit prepares, `query_one` →
    // `query_opt` → `query_raw` and the transaction's methods add nothing).
    let clients: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "client").collect();
    assert_eq!(
        clients.len(),
        14,
        "{:#?}",
        clients.iter().map(|s| (&s["name"], attr(s, "db.query.text"))).collect::<Vec<_>>()
    );
    assert_no_secrets(&spans);

    // Switched off: the app's own spans only.
    let (stdout, off) = run(
        &woven_bin("tokio-postgres-app"),
        &dir.join("store-off"),
        url,
        &[
            ("OTEL_RUST_INSTRUMENTATION_TOKIO_POSTGRES_ENABLED", "false"),
            ("OTEL_RUST_INSTRUMENTATION_DEADPOOL_ENABLED", "false"),
        ],
    );
    assert_eq!(stdout, EXPECTED);
    assert!(off.iter().all(|s| s["kind"] != "client"), "{off:#?}");
    assert!(!named(&off, "handle").is_empty());
    assert!(off.iter().all(|s| s["events"].as_array().is_none_or(|e| e.is_empty())), "{off:#?}");

    // The plain build (no weaving) behaves the same.
    let plain =
        cargo_otel_tests::plain_cargo(dir).args(["build", "-q", "--locked", "--bins"]).output().expect("cargo build");
    assert!(plain.status.success(), "plain build: {}", String::from_utf8_lossy(&plain.stderr));
    let plain_bins = cargo_otel_tests::plain_bins();
    let (stdout, none) = run(&plain_bins.join("tokio-postgres-app"), &dir.join("store-plain"), url, &[]);
    assert_eq!(stdout, EXPECTED);
    assert!(none.is_empty());

    // The sync `postgres` crate: spans children of the sync caller's span, on its thread.
    let (stdout, spans) = run(&woven_bin("postgres-sync-app"), &dir.join("store-sync"), url, &[]);
    assert_eq!(stdout, "inserted=1 note=sync-secret-8842 dup=23505");
    let (stdout, _) = run(&plain_bins.join("postgres-sync-app"), &dir.join("store-sync-plain"), url, &[]);
    assert_eq!(stdout, "inserted=1 note=sync-secret-8842 dup=23505");
    let caller = &named(&spans, "sync_handle")[0];
    let inserts = db(&spans, "INSERT INTO otel_pg_sync (id, note) VALUES ($1, $2)");
    let select = one(&spans, "SELECT note FROM otel_pg_sync WHERE id = $1");
    assert_eq!(inserts.len(), 2, "{spans:#?}");
    for s in inserts.iter().copied().chain([select]) {
        assert_eq!(s["parent_span_id"], caller["span_id"], "under the sync caller: {s:#}");
        assert_eq!(s["trace_id"], caller["trace_id"]);
        assert_connection(s);
    }
    assert_eq!(inserts.iter().filter(|s| attr(s, "db.response.status_code") == "23505").count(), 1);
    assert_eq!(spans.iter().filter(|s| s["kind"] == "client").count(), 3, "{spans:#?}");
    assert_no_secrets(&spans);
}
