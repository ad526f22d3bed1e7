//! The sqlx packs on tests/fixtures/sqlx-app (sqlx 0.8) against the real PostgreSQL and
//! MariaDB of scripts/services.sh and a SQLite file: per backend, under its `// otel:span`
//! parent, one CLIENT span per query with the connection's facts, BEGIN/INSERT/COMMIT of a
//! transaction, the SQLSTATE of a unique violation, a query in a spawned task, the pool's
//! wait as an event, and no bound value anywhere.

use cargo_otel_tests::{
    Service, attr, copy_fixture, host, otel_build_strict_weaving, read_spans, require, shared_otel_target,
};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const SECRET: &str = "s3cr3t-bound-value";

fn run(bin: &Path, dir: &Path, store: &Path, extra: &[(&str, &str)]) -> String {
    let out = Command::new(bin)
        .env("CARGO_OTEL_STORE", store)
        .env("OTEL_SERVICE_NAME", "sqlx-app")
        .env("SQLX_APP_POSTGRES", require(Service::Postgres))
        .env("SQLX_APP_MYSQL", require(Service::MariaDb))
        .env("SQLX_APP_DIR", dir)
        .envs(extra.iter().copied())
        .output()
        .expect("run sqlx-app");
    assert!(out.status.success(), "sqlx-app failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const EXPECTED: &str = "postgres: item 1 true\npostgres: ids [1]\npostgres: duplicate 23505\npostgres: spawned 1\n\
mysql: item 1 true\nmysql: ids [1]\nmysql: duplicate 23000\nmysql: spawned 1\n\
sqlite: item 1 true\nsqlite: ids [1]\nsqlite: duplicate 1555\nsqlite: spawned 1\n";

struct Backend {
    parent: &'static str,
    system: &'static str,
    namespace: &'static str,
    address: Option<(&'static str, i64)>,
    placeholder: [&'static str; 2],
    duplicate: &'static str,
    sleep_text: &'static str,
}

fn check_backend(spans: &[Value], b: &Backend) {
    let parent = spans.iter().find(|s| s["name"] == b.parent).unwrap_or_else(|| panic!("no {} span", b.parent));
    assert_eq!(parent["parent_span_id"], "", "the directive's span is a root");
    let id = &parent["span_id"];
    let spawn = spans
        .iter()
        .find(|s| s["name"] == "tokio::spawn" && s["parent_span_id"] == *id)
        .expect("the spawned task's span under the parent");
    let db: Vec<&Value> =
        spans.iter().filter(|s| s["kind"] == "client" && s["trace_id"] == parent["trace_id"]).collect();
    let names: Vec<&str> = db.iter().filter_map(|s| s["name"].as_str()).collect();
    let table = "sqlx_fixture_items";
    let sleep_name = if b.system == "sqlite" { "WITH SELECT SELECT c SELECT c" } else { "SELECT" };
    let select = format!("SELECT {table}");
    let insert = format!("INSERT {table}");
    let expected = [
        format!("DROP {table}"),
        format!("CREATE {table}"),
        "BEGIN".to_string(),
        insert.clone(),
        "COMMIT".to_string(),
        select.clone(),
        select.clone(),
        insert.clone(),
        select.clone(),
        sleep_name.to_string(),
        sleep_name.to_string(),
    ];
    assert_eq!(names, expected, "{}: one span per operation, in order (connect-time statements make none)", b.parent);
    for (i, s) in db.iter().enumerate() {
        let spawned = i == 8;
        let want_parent = if spawned { &spawn["span_id"] } else { id };
        assert_eq!(s["parent_span_id"], *want_parent, "{}: {} under its parent", b.parent, s["name"]);
        assert_eq!(attr(s, "db.system.name"), b.system, "{}", s["name"]);
        assert_eq!(attr(s, "db.namespace"), b.namespace, "{}", s["name"]);
        match b.address {
            Some((host, port)) => {
                assert_eq!(attr(s, "server.address"), host);
                assert_eq!(attr(s, "server.port"), port);
            }
            None => assert!(attr(s, "server.address").is_null() && attr(s, "server.port").is_null()),
        }
        // Queries on the pool carry the acquire's wait; BEGIN (after `pool.begin()`'s own
        // acquire) and the statements on the transaction's connection do not.
        let events = s["events"].as_array().expect("events");
        let on_pool = !matches!(i, 2..=4);
        assert_eq!(events.len(), usize::from(on_pool), "{}: {events:?}", s["name"]);
        if on_pool {
            assert_eq!(events[0]["name"], "db.client.connection.acquired");
            assert!(events[0]["attributes"]["db.client.connection.wait_time"].as_f64().is_some_and(|w| w >= 0.0));
        }
        let failed = i == 7;
        assert_eq!(s["status"], if failed { "error" } else { "unset" }, "{}", s["name"]);
        if failed {
            assert_eq!(attr(s, "db.response.status_code"), b.duplicate);
            assert_eq!(attr(s, "error.type"), b.duplicate);
        } else {
            assert!(attr(s, "db.response.status_code").is_null() && attr(s, "error.type").is_null());
        }
    }
    let [p1, p2] = b.placeholder;
    assert_eq!(*attr(db[3], "db.query.text"), format!("INSERT INTO {table} (id, name) VALUES ({p1}, {p2})"));
    assert_eq!(*attr(db[3], "db.operation.name"), "INSERT");
    assert_eq!(*attr(db[3], "db.collection.name"), table);
    assert_eq!(*attr(db[5], "db.query.text"), format!("SELECT id, name FROM {table} WHERE id = {p1}"));
    assert_eq!(*attr(db[5], "db.query.summary"), select);
    assert_eq!(*attr(db[6], "db.query.text"), format!("SELECT id FROM {table} WHERE id > ?"), "literal replaced");
    assert_eq!(*attr(db[9], "db.query.text"), b.sleep_text);
    // The pool wait: of two queries started in one poll on a one-connection pool (its
    // connection already open), the first gets it at once and the second waits for the whole
    // first query. A causal order, not a duration threshold: no timing assert.
    let wait = |s: &Value| s["events"][0]["attributes"]["db.client.connection.wait_time"].as_f64().unwrap_or(0.0);
    assert!(wait(db[10]) > wait(db[9]), "{}: waits {} then {}", b.parent, wait(db[9]), wait(db[10]));
    // The stream's span lasts until its rows ended: it ends after it started, in the parent.
    assert!(db[6]["end_unix_nano"].as_u64() >= db[6]["start_unix_nano"].as_u64());
}

#[test]
fn sqlx_queries_are_client_spans_with_connection_facts_and_no_bound_values() {
    let fixture = copy_fixture("sqlx-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["sqlx-core", "sqlx-postgres", "sqlx-mysql", "sqlx-sqlite"]);
    for krate in ["sqlx-core", "sqlx-postgres", "sqlx-mysql", "sqlx-sqlite"] {
        assert!(err.contains(&format!("Weaving {krate} v0.8.")), "{krate} woven:\n{err}");
    }
    let bin = shared_otel_target().join(host()).join("debug").join("sqlx-app");

    let store = dir.join("store");
    assert_eq!(run(&bin, dir, &store, &[]), EXPECTED);
    let spans = read_spans(&store);
    // Spans, and log records (sqlx's own query events, which the tracing pack exports even
    // though the app installs no subscriber): no bound value may reach either.
    let raw = [store.clone(), store.join("logs")]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).into_iter().flatten().flatten())
        .filter(|f| f.path().is_file())
        .map(|f| std::fs::read_to_string(f.path()).expect("read store"))
        .collect::<String>();
    assert!(!raw.contains(SECRET) && !raw.contains("dup\""), "a bound value reached the spans or logs");

    check_backend(
        &spans,
        &Backend {
            parent: "postgres",
            system: "postgresql",
            namespace: "otel",
            address: Some(("127.0.0.1", 55432)),
            placeholder: ["$1", "$2"],
            duplicate: "23505",
            sleep_text: "SELECT pg_sleep(?)",
        },
    );
    check_backend(
        &spans,
        &Backend {
            parent: "mysql",
            system: "mariadb",
            namespace: "otel",
            address: Some(("127.0.0.1", 53306)),
            placeholder: ["?", "?"],
            duplicate: "23000",
            sleep_text: "SELECT SLEEP(?)",
        },
    );
    check_backend(
        &spans,
        &Backend {
            parent: "sqlite",
            system: "sqlite",
            namespace: "sqlx-fixture.db",
            address: None,
            placeholder: ["?", "?"],
            duplicate: "1555",
            sleep_text: "WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + ? FROM c WHERE x < ?) SELECT count(*) FROM c",
        },
    );

    // Switched off: the same run, no database span.
    let off = dir.join("store-off");
    assert_eq!(run(&bin, dir, &off, &[("OTEL_RUST_INSTRUMENTATION_SQLX_ENABLED", "false")]), EXPECTED);
    let spans = read_spans(&off);
    assert!(spans.iter().any(|s| s["name"] == "postgres"), "the parents remain");
    assert!(!spans.iter().any(|s| s["kind"] == "client"), "no sqlx span when switched off: {spans:#?}");

    // The plain build (no weaving) runs the same.
    let plain = cargo_otel_tests::plain_cargo(dir).args(["build", "--locked"]).status().expect("cargo build");
    assert!(plain.success(), "plain build failed");
    let plain_bin = cargo_otel_tests::plain_bins().join("sqlx-app");
    let none = dir.join("store-plain");
    assert_eq!(run(&plain_bin, dir, &none, &[]), EXPECTED);
    assert!(read_spans(&none).is_empty(), "the plain build exports nothing");
}
