//! HTTP/2 SERVER spans of the hyper pack (tests/fixtures/h2-app): a plain hyper `service_fn`
//! on hyper-util's `auto` builder serves HTTP/2 with prior knowledge (h2c) and HTTP/1 on one
//! port, an axum router is served over h2c by `axum::serve`, and hyper-util's legacy client
//! (HTTP/2 only, and HTTP/1) calls them, injecting `traceparent`.
//!
//! Checked: each HTTP/2 request gets exactly one SERVER span, the child of its CLIENT span,
//! named `GET`, with `network.protocol.version = "2"` and its own status; two streams in
//! flight at once on one connection (`/wait` answers only after `/release`, a 503) each end
//! with their own status, the 503 an error; a gRPC request (`content-type:
//! application/grpc`) gets no hyper SERVER span and its `traceparent` reaches the handler
//! untouched; HTTP/1 on the same server is unchanged; under axum the one span is named after
//! the route; `http.server.request.duration` carries protocol version 2; the pack's switch
//! removes the hyper spans (axum then makes its own); the plain build runs the same.

use std::path::Path;
use std::process::Command;

use cargo_otel_tests::{attr, copy_fixture, host, otel_build_strict_weaving, read_spans, shared_otel_target};
use serde_json::Value;

const EXPECTED_PREFIX: &[&str] =
    &["/hello 200 HTTP/2.0 hello /hello", "/wait 200 HTTP/2.0 hello /wait", "/release 503 HTTP/2.0 hello /release"];

/// Run `bin` with a file store and the console metrics exporter; returns the app's own
/// output lines, the metric lines and the spans.
fn run(bin: &Path, dir: &Path, store: &str, env: &[(&str, &str)]) -> (Vec<String>, Vec<String>, Vec<Value>) {
    let store = dir.join(store);
    let out = Command::new(bin)
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "h2-app")
        .env("OTEL_METRICS_EXPORTER", "console")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "h2-app failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let (metrics, lines): (Vec<String>, Vec<String>) =
        stdout.lines().map(str::to_string).partition(|l| l.starts_with("metric "));
    (lines, metrics, read_spans(&store))
}

fn check_output(lines: &[String]) -> String {
    assert_eq!(&lines[..3], EXPECTED_PREFIX, "{lines:#?}");
    assert_eq!(lines[4], "/http1 200 HTTP/1.1 hello /http1");
    assert_eq!(lines[5], "/items/7 200 HTTP/2.0 item");
    assert_eq!(lines[6], "connections 2", "one HTTP/2 connection for every h2 request, one HTTP/1");
    // What the gRPC handler received as `traceparent`.
    lines[3].strip_prefix("/grpc 200 HTTP/2.0 ").expect("grpc line").to_string()
}

/// The one span of `kind` whose `url.path` (server) or `url.full` (client) ends with `path`.
fn one<'a>(spans: &'a [Value], kind: &str, path: &str) -> &'a Value {
    let key = if kind == "server" { "url.path" } else { "url.full" };
    let found: Vec<&Value> = spans
        .iter()
        .filter(|s| {
            s["kind"] == kind
                && attr(s, key).as_str().is_some_and(|p| p.split('?').next().unwrap_or("").ends_with(path))
        })
        .collect();
    assert_eq!(found.len(), 1, "one {kind} span for {path}: {spans:#?}");
    found[0]
}

#[test]
fn http2_streams_get_server_spans_with_their_own_status_and_grpc_stands_back() {
    let fixture = copy_fixture("h2-app");
    let dir = fixture.path();
    let err = otel_build_strict_weaving(dir, &["hyper"]);
    assert!(err.contains("Weaving hyper v"), "{err}");
    let bin = shared_otel_target().join(host()).join("debug/h2-app");

    let (lines, metrics, spans) = run(&bin, dir, "store", &[]);
    let grpc_traceparent = check_output(&lines);
    let servers: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "server").collect();
    assert_eq!(servers.len(), 5, "hello, wait, release, http1, items (no gRPC): {spans:#?}");

    for (path, status, version, name) in [
        ("/hello", 200, "2", "GET"),
        ("/wait", 200, "2", "GET"),
        ("/release", 503, "2", "GET"),
        ("/http1", 200, "1.1", "GET"),
        ("/items/7", 200, "2", "GET /items/{id}"),
    ] {
        let server = one(&spans, "server", path);
        let client = one(&spans, "client", path);
        assert_eq!(server["name"], name, "{server}");
        assert_eq!(server["trace_id"], client["trace_id"], "{path}: one trace");
        assert_eq!(server["parent_span_id"], client["span_id"], "{path}: the SERVER span's parent is the CLIENT span");
        assert_eq!(attr(server, "http.request.method"), "GET");
        assert_eq!(attr(server, "url.scheme"), "http");
        assert_eq!(attr(server, "server.address"), "127.0.0.1");
        assert_eq!(attr(server, "network.protocol.version"), version, "{server}");
        assert_eq!(attr(client, "network.protocol.version"), version, "{client}");
        assert_eq!(attr(server, "http.response.status_code"), status, "{path}: its own status: {server}");
        if status >= 500 {
            assert_eq!(server["status"], "error", "{server}");
            assert_eq!(attr(server, "error.type"), "503");
        } else {
            assert_eq!(server["status"], "unset", "{server}");
            assert!(attr(server, "error.type").is_null(), "{server}");
        }
    }
    let hello = one(&spans, "server", "/hello");
    assert_eq!(attr(hello, "url.query"), "token=REDACTED&x=1");
    let items = one(&spans, "server", "/items/7");
    assert_eq!(attr(items, "http.route"), "/items/{id}", "axum claimed hyper's HTTP/2 span");

    // /wait and /release, sent together on one connection, each end with their own status
    // (checked above); /wait is answered only once /release arrived, so it ends after
    // /release started. (Nothing orders /wait's start or the two response heads: /release's
    // permit may be taken before /wait's stream even starts.)
    let (wait, release) = (one(&spans, "server", "/wait"), one(&spans, "server", "/release"));
    let nanos = |s: &Value, k: &str| s[k].as_u64().expect("nanos");
    assert!(nanos(release, "start_unix_nano") < nanos(wait, "end_unix_nano"), "{wait} {release}");

    // gRPC: no hyper SERVER span, and the client's context reached the handler untouched.
    let grpc_client = one(&spans, "client", "/grpc");
    assert!(servers.iter().all(|s| attr(s, "url.path") != "/grpc"), "{spans:#?}");
    let (trace, span_id) = (grpc_client["trace_id"].as_str().unwrap(), grpc_client["span_id"].as_str().unwrap());
    assert_eq!(grpc_traceparent, format!("00-{trace}-{span_id}-01"));

    // The duration metric: HTTP/2 requests are counted with protocol version 2.
    let server_metrics: Vec<&String> =
        metrics.iter().filter(|m| m.starts_with("metric http.server.request.duration ")).collect();
    let count = |needles: &[&str]| -> u64 {
        server_metrics
            .iter()
            .filter(|m| needles.iter().all(|n| m.contains(n)))
            .filter_map(|m| m.split(" count=").nth(1)?.split(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    assert_eq!(
        count(&["network.protocol.version=2", "http.response.status_code=200", "http.route=/items/{id}"]),
        1,
        "{metrics:#?}"
    );
    assert_eq!(count(&["network.protocol.version=2", "http.response.status_code=200"]), 3, "{metrics:#?}");
    assert_eq!(
        count(&["network.protocol.version=2", "http.response.status_code=503", "error.type=503"]),
        1,
        "{metrics:#?}"
    );
    assert_eq!(count(&["network.protocol.version=1.1"]), 1, "{metrics:#?}");

    // The switch: no hyper SERVER spans; axum (which has its own switch) makes its own.
    let (lines, _, spans) = run(&bin, dir, "store-off", &[("OTEL_RUST_INSTRUMENTATION_HYPER_ENABLED", "false")]);
    check_output(&lines);
    let servers: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "server").collect();
    assert_eq!(servers.len(), 1, "only axum's: {spans:#?}");
    assert_eq!(servers[0]["name"], "GET /items/{id}");

    // The plain build (no weaving) runs the same and exports nothing.
    let out = cargo_otel_tests::plain_cargo(dir).arg("build").output().expect("cargo build");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("otel-runtime"), "the plain build pulled the runtime:\n{err}");
    let (lines, metrics, spans) = run(&cargo_otel_tests::plain_bins().join("h2-app"), dir, "store-plain", &[]);
    assert_eq!(check_output(&lines), "none", "no traceparent without weaving");
    assert!(spans.is_empty() && metrics.is_empty(), "{spans:#?} {metrics:#?}");
}
