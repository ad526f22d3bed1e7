//! The semconv ABI end to end through the prelude, read back from the file store: a SERVER
//! call owned by one "pack" whose route a "framework" sets through the current context (the
//! hyper → axum hand-off), a CLIENT and a DB call under it, all in one trace.

use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use std::collections::HashMap;

fn attr<'a>(span: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    span["attributes"].get(key)
}

#[test]
fn semconv_calls_are_exported_with_their_conventions() {
    let dir = std::env::temp_dir().join(format!("otel-semconv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env: HashMap<String, String> = [
        ("CARGO_OTEL_STORE", dir.to_str().expect("utf-8 dir")),
        ("OTEL_SERVICE_NAME", "semconv-svc"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    otel_runtime::__test::install(|| Config::from_env_map(&env, None), None).expect("installed");

    let server = otel::HttpServer {
        method: "GET".into(),
        path: "/orders/42".into(),
        host: "shop:8080".into(),
        protocol_version: "1.1".into(),
        ..Default::default()
    }
    .start(&otel::Context::empty());
    {
        let _current = server.enter();
        // The framework under the server: claims the call once, then reports the route.
        assert!(otel::http_server_route(""));
        assert!(!otel::http_server_route(""), "a nested router must not claim it again");
        assert!(otel::http_server_route("/orders/{id}"));
        let client = otel::HttpClient {
            method: "GET".into(),
            url: "http://u:p@inventory/items/42?token=x".into(),
            host: "inventory".into(),
            ..Default::default()
        }
        .start();
        client.http_client_end(200, "1.1", "", "");
        let db = otel::Db {
            system: "sqlite".into(),
            query_text: "SELECT price FROM items WHERE id = 42".into(),
            ..Default::default()
        }
        .start();
        db.db_end("", "", "");
    }
    server.http_server_end(200, "", "");
    drop(server);
    assert!(!otel::http_server_route(""), "no server call is current any more");
    otel_runtime::exports::__otel_v1_shutdown();

    let text = std::fs::read_to_string(dir.join(format!("semconv-svc-{}.jsonl", std::process::id()))).expect("store");
    let spans: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let find = |name: &str| spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name}: {text}"));
    let server = find("GET /orders/{id}");
    let client = find("GET");
    let db = find("SELECT items");
    assert_eq!(attr(server, "http.route").and_then(|v| v.as_str()), Some("/orders/{id}"));
    assert_eq!(attr(server, "server.port").and_then(|v| v.as_i64()), Some(8080));
    assert_eq!(
        attr(client, "url.full").and_then(|v| v.as_str()),
        Some("http://REDACTED:REDACTED@inventory/items/42?token=REDACTED")
    );
    assert_eq!(attr(db, "db.query.text").and_then(|v| v.as_str()), Some("SELECT price FROM items WHERE id = ?"));
    for child in [client, db] {
        assert_eq!(child["trace_id"], server["trace_id"]);
        assert_eq!(child["parent_span_id"], server["span_id"]);
    }
}
