//! The built-in hyper and hyper-util packs on an application that uses neither axum nor
//! reqwest (tests/fixtures/hyper-app): a plain hyper 1.x HTTP/1 server with `service_fn`,
//! called once through hyper-util's legacy client, gets exactly one CLIENT span and one
//! SERVER span, in one trace, the SERVER a child of the CLIENT (traceparent injected by
//! the hyper-util advice, extracted by the hyper advice).

use cargo_otel_tests::{assert_one_client_one_server, copy_fixture, otel_build_strict_weaving, run_fixture_app, span};

#[test]
fn plain_hyper_server_and_hyper_util_client_get_one_span_each_in_one_trace() {
    let fixture = copy_fixture("hyper-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["hyper", "hyper-util"]);
    assert!(err.contains("Weaving hyper v"), "{err}");
    assert!(err.contains("Weaving hyper-util v"), "{err}");

    let (stdout, spans) = run_fixture_app(dir, "hyper-app");
    assert_eq!(stdout.trim(), "200 hello /hello");
    let (client, _) = assert_one_client_one_server(&spans);
    assert_eq!(span(&spans, "GET")["trace_id"], client["trace_id"]);
}
