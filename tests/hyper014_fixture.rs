//! The built-in hyper-0.14 pack on an application that uses hyper 0.14 alone
//! (tests/fixtures/hyper014-app): a plain `hyper::Server` with `service_fn`, called once
//! through hyper 0.14's `Client`, gets exactly one CLIENT span and one SERVER span, in one
//! trace, the SERVER a child of the CLIENT (traceparent injected by the client advice,
//! extracted by the server advice), with the semantic-convention attributes.

use cargo_otel_tests::{assert_one_client_one_server, attr, copy_fixture, otel_build_strict, run_fixture_app};

#[test]
fn hyper_014_server_and_client_get_one_span_each_in_one_trace() {
    let fixture = copy_fixture("hyper014-app");
    let dir = fixture.path();
    let err = otel_build_strict(dir);
    assert!(err.contains("Weaving hyper v0.14."), "{err}");
    assert!(err.contains("hyper-0_14)"), "woven by the hyper-0.14 pack: {err}");

    let (stdout, spans) = run_fixture_app(dir, "hyper014-app");
    assert_eq!(stdout.trim(), "200 hello /hello");
    let (client, server) = assert_one_client_one_server(&spans);
    assert_eq!(client["status"], "unset", "{client:#?}");
    assert_eq!(server["status"], "unset", "{server:#?}");
    assert!(attr(client, "server.port").as_i64().is_some_and(|p| p > 0), "{client:#?}");
}
