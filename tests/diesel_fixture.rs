//! The diesel pack on a sync diesel 2.x program (tests/fixtures/diesel-app) against the real
//! PostgreSQL of scripts/services.sh and a SQLite file: with one `// otel:span` fn, every
//! query it makes (a transaction, a select with a bound parameter, a unique violation, an
//! inline-literal `sql_query`, a cursor kept alive, a query on a spawned thread, SQLite) is a
//! CLIENT span under it; bound values appear nowhere; the switch turns the spans off; the
//! plain build runs the same without them.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target, span,
};
use serde_json::Value;

const EXPECTED: &str = "inserted=1 ids=[1] duplicate=UniqueViolation updated=1 counted=1 sqlite=[\"secret-dave\"]";

fn run(binary: &Path, dir: &Path, envs: &[(&str, &str)]) -> (String, Vec<Value>, String) {
    let store = dir.join("store");
    let _ = std::fs::remove_dir_all(&store);
    let out = Command::new(binary)
        .env("DIESEL_PG_URL", require(Service::Postgres))
        .env("DIESEL_SQLITE_PATH", dir.join("otel_diesel.db"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "diesel-app")
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", binary.display()));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "diesel-app failed:\n{stderr}");
    let raw = std::fs::read_dir(&store)
        .into_iter()
        .flatten()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect::<String>();
    (String::from_utf8_lossy(&out.stdout).trim().to_string(), read_spans(&store), raw)
}

fn woven_binary() -> PathBuf {
    shared_otel_target().join(host()).join("debug").join("diesel-app")
}

fn clients(spans: &[Value]) -> Vec<&Value> {
    let mut clients: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "client").collect();
    clients.sort_by_key(|s| s["start_unix_nano"].as_u64());
    clients
}

fn nanos(span: &Value, key: &str) -> u64 {
    span[key].as_u64().unwrap_or_else(|| panic!("{key} of {span}"))
}

#[test]
fn diesel_queries_are_client_spans_under_the_caller() {
    require(Service::Postgres);
    let fixture = copy_fixture("diesel-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["diesel"]);
    assert!(err.contains("Weaving diesel v2.3.14 (12 join points, diesel)"), "{err}");

    let (stdout, spans, raw) = run(&woven_binary(), dir, &[]);
    assert_eq!(stdout, EXPECTED);
    let work = span(&spans, "work");
    assert_eq!(work["parent_span_id"], "", "the directive's span is the root: {spans:#?}");
    let thread = span(&spans, "std::thread::spawn");
    assert_eq!(thread["parent_span_id"], work["span_id"]);
    // The r2d2 pack: the thread's `pool.get()` is an event on the thread's span.
    let acquired: Vec<&serde_json::Value> = thread["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["name"] == "db.client.connection.acquired")
        .collect();
    assert_eq!(acquired.len(), 1, "{thread:#}");
    assert!(acquired[0]["attributes"]["db.client.connection.wait_time"].as_f64().is_some_and(|w| w >= 0.0));
    for s in &spans {
        assert_eq!(s["trace_id"], work["trace_id"], "one trace: {s}");
    }

    // Exactly these queries, in order: the set-up outside the trace (DROP/CREATE) and the
    // session statements of `establish` on the thread (SET TIME ZONE, ...) make no spans.
    let clients = clients(&spans);
    let names: Vec<&str> = clients.iter().map(|s| s["name"].as_str().unwrap_or("")).collect();
    let t = "otel_diesel_users";
    let select = format!("SELECT {t}");
    let insert = format!("INSERT {t}");
    let update = format!("UPDATE {t}");
    assert_eq!(
        names,
        ["BEGIN", &insert, "COMMIT", &select, &insert, &update, &select, &select, &insert, &select],
        "{spans:#?}"
    );
    let texts: Vec<&str> = clients.iter().map(|s| attr(s, "db.query.text").as_str().unwrap_or("")).collect();
    assert_eq!(
        texts,
        [
            "BEGIN",
            "INSERT INTO \"otel_diesel_users\" (\"id\", \"name\") VALUES ($1, $2)",
            "COMMIT",
            "SELECT \"otel_diesel_users\".\"id\" FROM \"otel_diesel_users\" WHERE (\"otel_diesel_users\".\"name\" = $1)",
            "INSERT INTO \"otel_diesel_users\" (\"id\", \"name\") VALUES ($1, $2)",
            "UPDATE otel_diesel_users SET name = ? WHERE id = ?",
            "SELECT \"otel_diesel_users\".\"name\" FROM \"otel_diesel_users\"",
            "SELECT COUNT(*) FROM \"otel_diesel_users\"",
            "INSERT INTO `otel_diesel_users` (`id`, `name`) VALUES (?, ?)",
            "SELECT `otel_diesel_users`.`name` FROM `otel_diesel_users` WHERE (`otel_diesel_users`.`id` = ?)",
        ]
    );
    for (i, s) in clients.iter().enumerate() {
        let parent = if i == 7 { thread } else { work };
        assert_eq!(s["parent_span_id"], parent["span_id"], "parent of {i} {}: {spans:#?}", s["name"]);
        let (system, namespace) = if i >= 8 { ("sqlite", "otel_diesel.db") } else { ("postgresql", "") };
        assert_eq!(attr(s, "db.system.name"), system, "{s}");
        assert_eq!(attr(s, "db.namespace").as_str().unwrap_or(""), namespace, "{s}");
        assert_eq!(attr(s, "db.query.summary"), &s["name"], "{s}");
        let operation = s["name"].as_str().unwrap_or("").split(' ').next().unwrap_or("");
        assert_eq!(attr(s, "db.operation.name"), operation, "{s}");
        if !matches!(operation, "BEGIN" | "COMMIT") {
            assert_eq!(attr(s, "db.collection.name"), t, "{s}");
        }
        if i != 4 {
            assert_eq!(s["status"], "unset", "{s}");
            assert!(attr(s, "error.type").is_null() && attr(s, "db.response.status_code").is_null(), "{s}");
        }
        assert!(attr(s, "db.operation.batch.size").is_null(), "{s}");
    }

    // The unique violation: SQLSTATE and the kind.
    let failed = clients[4];
    assert_eq!(failed["status"], "error");
    assert_eq!(attr(failed, "db.response.status_code"), "23505");
    assert_eq!(attr(failed, "error.type"), "UniqueViolation");
    assert!(failed["status_message"].as_str().is_some_and(|m| m.contains("duplicate key")), "{failed}");

    // A load's span lasts while its cursor is alive.
    let cursor = clients[6];
    let alive = span(&spans, "rows_alive");
    assert!(nanos(cursor, "start_unix_nano") <= nanos(alive, "start_unix_nano"), "{cursor} {alive}");
    assert!(nanos(cursor, "end_unix_nano") >= nanos(alive, "end_unix_nano"), "{cursor} {alive}");

    // No bound value, and no inline literal, anywhere in the export.
    assert!(raw.contains("otel_diesel_users"), "{raw}");
    assert!(!raw.contains("secret-"), "a value leaked into the spans:\n{raw}");

    // The switch: no diesel spans at all.
    let (stdout, spans, _) = run(&woven_binary(), dir, &[("OTEL_RUST_INSTRUMENTATION_DIESEL_ENABLED", "false")]);
    assert_eq!(stdout, EXPECTED);
    span(&spans, "work");
    assert!(spans.iter().all(|s| s["kind"] != "client"), "{spans:#?}");

    // The plain build (no weaving) runs the same and exports nothing.
    let out = cargo_otel_tests::plain_cargo(dir).arg("build").output().expect("cargo build");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("otel-runtime"), "the plain build pulled the runtime:\n{err}");
    let (stdout, spans, _) = run(&cargo_otel_tests::plain_bins().join("diesel-app"), dir, &[]);
    assert_eq!(stdout, EXPECTED);
    assert!(spans.is_empty(), "{spans:#?}");
}
