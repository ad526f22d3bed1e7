//! The built-in hyper-0.14 pack on an application that uses hyper 0.14 alone
//! (tests/fixtures/hyper014-app): a plain `hyper::Server` with `service_fn`, called once
//! through hyper 0.14's `Client`, gets exactly one CLIENT span and one SERVER span, in one
//! trace, the SERVER a child of the CLIENT (traceparent injected by the client advice,
//! extracted by the server advice), with the semantic-convention attributes; and the same
//! for one request over HTTP/2 with prior knowledge (h2c), `network.protocol.version = "2"`.

use cargo_otel_tests::{assert_one_client_one_server, attr, copy_fixture, otel_build_strict_weaving, run_fixture_app};
use serde_json::Value;

#[test]
fn hyper_014_server_and_client_get_one_span_each_in_one_trace() {
    let fixture = copy_fixture("hyper014-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["hyper"]);
    assert!(err.contains("Weaving hyper v0.14."), "{err}");
    assert!(err.contains("hyper-0_14)"), "woven by the hyper-0.14 pack: {err}");

    let (stdout, spans) = run_fixture_app(dir, "hyper014-app");
    assert_eq!(stdout.trim(), "200 hello /hello\n200 HTTP/2.0 hello /h2");
    let (h1, h2): (Vec<Value>, Vec<Value>) =
        spans.into_iter().partition(|s| attr(s, "network.protocol.version") == "1.1");
    let (client, server) = assert_one_client_one_server(&h1);
    assert_eq!(client["status"], "unset", "{client:#?}");
    assert_eq!(server["status"], "unset", "{server:#?}");
    assert!(attr(client, "server.port").as_i64().is_some_and(|p| p > 0), "{client:#?}");

    // HTTP/2: one SERVER span per stream, the child of the CLIENT span.
    assert_eq!(h2.len(), 2, "{h2:#?}");
    let client = h2.iter().find(|s| s["kind"] == "client").expect("h2 client span");
    let server = h2.iter().find(|s| s["kind"] == "server").expect("h2 server span");
    assert_eq!(server["name"], "GET");
    assert_eq!(server["parent_span_id"], client["span_id"], "{h2:#?}");
    assert_eq!(server["trace_id"], client["trace_id"]);
    assert_eq!(attr(server, "url.path"), "/h2");
    assert_eq!(attr(server, "network.protocol.version"), "2");
    assert_eq!(attr(server, "http.response.status_code"), 200);
    assert_eq!(server["status"], "unset", "{server:#?}");
}
