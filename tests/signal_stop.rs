//! No span lost on SIGTERM or SIGINT, with real woven servers and the file store.
//!
//! - tests/fixtures/signal-app (hyper, no signal handler of its own): N answered requests,
//!   then the signal right after the last answer; the runtime flushes and re-raises, so the
//!   process dies of that signal, and every span of every answered request is on disk.
//! - examples/two-services (their own tokio::signal handlers, SIGTERM and ctrl_c): the
//!   runtime leaves the signals to them, they shut down gracefully and exit 0, and every span
//!   of every answered request, across both processes, is on disk.
//!
//! The signal-app fixture shares hyper-app's dependencies (and the shared otel target), and
//! two-services is built into the same target as tests/e2e_two_services.rs.
#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use cargo_otel_tests::{
    Server, attr, copy_fixture, host, http_get, otel_build_strict, otel_build_two_services, read_spans,
    shared_otel_target,
};
use serde_json::Value;

const REQUESTS: u64 = 8;
/// Generous: the runtime's own bound is `CARGO_OTEL_SHUTDOWN_TIMEOUT` (1 s).
const STOP_LIMIT: Duration = Duration::from_secs(20);

fn children<'a>(spans: &'a [Value], parent: &Value) -> Vec<&'a Value> {
    spans.iter().filter(|s| s["parent_span_id"] == parent["span_id"] && s["trace_id"] == parent["trace_id"]).collect()
}

fn names(spans: &[&Value]) -> Vec<String> {
    spans.iter().map(|s| format!("{}:{}", s["service_name"], s["name"])).collect()
}

/// Every answered request of signal-app: its SERVER span, the spawned task's span under
/// it, and the `// otel:span` fn's span under the task.
fn assert_every_request_complete(spans: &[Value]) {
    for id in 1..=REQUESTS {
        let path = format!("/item/{id}");
        let server: Vec<&Value> =
            spans.iter().filter(|s| s["kind"] == "server" && attr(s, "url.path") == path.as_str()).collect();
        assert_eq!(server.len(), 1, "one SERVER span for {path}; all: {:?}", names(&spans.iter().collect::<Vec<_>>()));
        let server = server[0];
        assert_eq!(attr(server, "http.response.status_code"), 200);
        let tasks = children(spans, server);
        assert_eq!(tasks.len(), 1, "the task span under {path}: {:?}", names(&tasks));
        assert_eq!(tasks[0]["name"], "tokio::spawn");
        let fns = children(spans, tasks[0]);
        assert_eq!(fns.len(), 1, "the price span under the task of {path}: {:?}", names(&fns));
        assert_eq!(attr(fns[0], "code.function.name"), "price");
    }
}

#[test]
fn a_server_without_handlers_flushes_then_dies_of_sigterm_and_sigint() {
    let fixture = copy_fixture("signal-app");
    let dir = fixture.path();
    otel_build_strict(dir);
    let bin = shared_otel_target().join(host()).join("debug").join("signal-app");

    for (signal, number) in [("TERM", 15), ("INT", 2)] {
        let store = dir.join(format!("store-{signal}"));
        let mut server = Server::start(
            &bin,
            &[("CARGO_OTEL_STORE", store.display().to_string()), ("OTEL_SERVICE_NAME", "signal-app".into())],
        );
        for id in 1..=REQUESTS {
            let (status, body) = http_get(&server.addr, &format!("/item/{id}"));
            assert_eq!((status, body), (200, format!("{id} {}", id * 100 + 99)));
        }
        let status = server.signal_and_wait(signal, STOP_LIMIT);
        assert_eq!(status.signal(), Some(number), "SIG{signal} ends the process as it would unwoven: {status}");
        let spans = read_spans(&store);
        assert_every_request_complete(&spans);
        assert_eq!(spans.len() as u64, 3 * REQUESTS, "{:?}", names(&spans.iter().collect::<Vec<_>>()));
    }
}

#[test]
fn services_with_their_own_tokio_handlers_stop_gracefully_with_every_span() {
    let bin = otel_build_two_services();
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let store_env = ("CARGO_OTEL_STORE", store.display().to_string());
    let mut b = Server::start(
        &bin.join("service-b"),
        &[
            store_env.clone(),
            ("OTEL_SERVICE_NAME", "service-b".into()),
            ("SERVICE_B_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_DB", work.path().join("inventory.db").display().to_string()),
        ],
    );
    let mut a = Server::start(
        &bin.join("service-a"),
        &[
            store_env,
            ("OTEL_SERVICE_NAME", "service-a".into()),
            ("SERVICE_A_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_URL", format!("http://{}", b.addr)),
        ],
    );
    for _ in 0..REQUESTS {
        let (status, body) = http_get(&a.addr, "/orders/1");
        assert_eq!(status, 200, "{body}");
    }
    // service-a handles SIGTERM (tokio::signal::unix), service-b ctrl-c (tokio::signal::ctrl_c).
    let a_status = a.signal_and_wait("TERM", STOP_LIMIT);
    let b_status = b.signal_and_wait("INT", STOP_LIMIT);
    assert!(a_status.success(), "service-a shut down through its own handler: {a_status}");
    assert!(b_status.success(), "service-b shut down through its own handler: {b_status}");

    let spans = read_spans(&store);
    let roots: Vec<&Value> = spans
        .iter()
        .filter(|s| s["service_name"] == "service-a" && s["kind"] == "server" && s["name"] == "GET /orders/{id}")
        .collect();
    assert_eq!(roots.len() as u64, REQUESTS, "one SERVER span per answered request");
    for root in roots {
        let trace: Vec<&Value> = spans.iter().filter(|s| s["trace_id"] == root["trace_id"]).collect();
        let client = children(&spans, root);
        assert_eq!(client.len(), 1, "{:?}", names(&client));
        assert_eq!(client[0]["kind"], "client");
        let server_b = children(&spans, client[0]);
        assert_eq!(server_b.len(), 1, "{:?}", names(&server_b));
        assert_eq!(server_b[0]["name"], "GET /inventory/{id}");
        // As in e2e_two_services: SERVER, 2 spawn_blocking, tokio::spawn, 2 JoinSet
        // spawn_blocking, 3 queries, 2 scoped threads.
        let b_spans = trace.iter().filter(|s| s["service_name"] == "service-b").count();
        assert_eq!(b_spans, 11, "service-b spans of one request: {:?}", names(&trace));
        assert_eq!(trace.len(), 13, "{:?}", names(&trace));
    }
}
