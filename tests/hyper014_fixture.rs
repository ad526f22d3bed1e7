//! The built-in hyper-0.14 pack on an application that uses hyper 0.14 alone
//! (tests/fixtures/hyper014-app): a plain `hyper::Server` with `service_fn`, called once
//! through hyper 0.14's `Client`, gets exactly one CLIENT span and one SERVER span, in one
//! trace, the SERVER a child of the CLIENT (traceparent injected by the client advice,
//! extracted by the server advice), with the semantic-convention attributes.

use std::process::Command;

use cargo_otel_tests::{cargo_otel, copy_fixture, read_spans, shared_otel_target};
use serde_json::Value;

fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("host line")
}

fn attr<'a>(span: &'a Value, key: &str) -> &'a Value {
    &span["attributes"][key]
}

#[test]
fn hyper_014_server_and_client_get_one_span_each_in_one_trace() {
    let fixture = copy_fixture("hyper014-app");
    let dir = fixture.path();
    let target = shared_otel_target();
    let out = Command::new(cargo_otel())
        .args(["otel", "--strict", "--otel-target-dir"])
        .arg(&target)
        .args(["build", "--offline"])
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("run cargo otel");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo otel build failed:\n{err}");
    assert!(err.contains("Weaving hyper v0.14."), "{err}");
    assert!(err.contains("hyper-0_14)"), "woven by the hyper-0.14 pack: {err}");

    let store = dir.join("store");
    let run = Command::new(target.join(host()).join("debug").join("hyper014-app"))
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "hyper014-app")
        .output()
        .expect("run hyper014-app");
    assert!(run.status.success(), "hyper014-app failed:\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "200 hello /hello");

    let spans = read_spans(&store);
    let clients: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "client").collect();
    let servers: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "server").collect();
    assert_eq!(clients.len(), 1, "one CLIENT span: {spans:#?}");
    assert_eq!(servers.len(), 1, "one SERVER span: {spans:#?}");
    let (client, server) = (clients[0], servers[0]);

    assert_eq!(client["name"], "GET");
    assert_eq!(server["name"], "GET", "no route at the hyper level");
    assert_eq!(server["trace_id"], client["trace_id"], "one trace");
    assert_eq!(server["parent_span_id"], client["span_id"], "SERVER's parent is the CLIENT");
    assert_eq!(client["parent_span_id"], "");
    assert_eq!(client["status"], "unset", "{client:#?}");
    assert_eq!(server["status"], "unset", "{server:#?}");

    assert_eq!(attr(client, "http.request.method"), "GET");
    assert_eq!(attr(client, "server.address"), "127.0.0.1");
    assert!(attr(client, "server.port").as_i64().is_some_and(|p| p > 0), "{client:#?}");
    let full = attr(client, "url.full").as_str().expect("url.full");
    assert!(full.starts_with("http://127.0.0.1:") && full.ends_with("/hello?token=REDACTED&x=1"), "{full}");
    assert_eq!(attr(client, "http.response.status_code"), 200);
    assert_eq!(attr(client, "network.protocol.version"), "1.1");

    assert_eq!(attr(server, "http.request.method"), "GET");
    assert_eq!(attr(server, "url.path"), "/hello");
    assert_eq!(attr(server, "url.scheme"), "http");
    assert_eq!(attr(server, "url.query"), "token=REDACTED&x=1");
    assert_eq!(attr(server, "network.protocol.version"), "1.1");
    assert_eq!(attr(server, "server.address"), "127.0.0.1");
    assert_eq!(attr(server, "http.response.status_code"), 200);
}
