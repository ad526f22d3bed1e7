//! The warp and poem packs: route templates on hyper's SERVER span. Real servers
//! (tests/fixtures/warp-app: warp 0.3 on hyper 0.14 and warp 0.4 on hyper 1;
//! tests/fixtures/poem-app: poem 3 on hyper 1) built with `cargo otel --strict`, called on
//! loopback with a `traceparent` per request; asserts, per request, exactly one SERVER span,
//! its name `{method} {http.route}`, `http.route`, its remote parent and status; the per-pack
//! switch; and that the plain builds serve the same answers and record nothing.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use cargo_otel_tests::{Server, attr, copy_fixture, host, otel_build_strict, read_spans, shared_otel_target};
use serde_json::Value;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Build fixture `name` woven (once per test process); the directory of its binaries.
fn woven(name: &'static str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if !built.contains(&name) {
        let dir = copy_fixture(name);
        otel_build_strict(dir.path());
        built.push(name);
    }
    shared_otel_target().join(host()).join("debug")
}

/// `GET path` with a `traceparent` whose parent span id is `parent`: the status code.
fn get_traced(addr: &str, path: &str, parent: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\ntraceparent: 00-{TRACE}-{parent}-01\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code")
}

/// One expected request: path, status, route (None: no template, name `GET`).
type Case = (&'static str, u16, Option<&'static str>);

const WARP: &[Case] = &[
    ("/users/7", 200, Some("/users/{param}")),
    ("/users/7/", 200, Some("/users/{param}")),
    ("/files/docs/a.txt", 200, Some("/files/{*tail}")),
    ("/a/b", 200, Some("/a/b")),
    // `path!("a" / "b")` consumes `a`, rejects on `zz`; `or` rewinds, `path!("a" / String / "c")` matches.
    ("/a/zz/c", 200, Some("/a/{param}/c")),
    ("/", 200, Some("/")),
    ("/nope", 404, None),
    // `users` matched, `u32` rejected `x`: no full match, no route.
    ("/users/x", 404, None),
    // `path!("a" / "b")` consumes `a` (the whole path) and rejects: rewound, so no route.
    ("/a", 404, None),
];

const POEM: &[Case] = &[
    ("/users/7", 200, Some("/users/:id")),
    ("/api/items/x", 200, Some("/api/items/:id")),
    ("/boom", 500, Some("/boom")),
    ("/nope", 404, None),
];

/// Start `bin`, send `cases` (request `i` with parent span id `…{i}`), stop it; its spans
/// and whether its store exists at all.
fn serve(bin: &Path, cases: &[Case], envs: &[(&str, &str)]) -> (Vec<Value>, bool) {
    let work = tempfile::tempdir().expect("tempdir");
    let store = work.path().join("store");
    let mut all_envs = vec![("CARGO_OTEL_STORE", store.display().to_string())];
    all_envs.extend(envs.iter().map(|(k, v)| (*k, v.to_string())));
    let mut server = Server::start(bin, &all_envs);
    for (i, (path, status, _)) in cases.iter().enumerate() {
        assert_eq!(get_traced(&server.addr, path, &parent_id(i)), *status, "{path}");
    }
    // SIGTERM: the runtime flushes before the process exits.
    let _ = server.signal_and_wait("TERM", Duration::from_secs(30));
    (read_spans(&store), store.exists())
}

fn parent_id(i: usize) -> String {
    format!("00f067aa0ba902{i:02x}")
}

fn check(spans: &[Value], cases: &[Case]) {
    let servers: Vec<&Value> = spans.iter().filter(|s| s["kind"] == "server").collect();
    assert_eq!(servers.len(), cases.len(), "exactly one SERVER span per request: {servers:#?}");
    for (i, (path, status, route)) in cases.iter().enumerate() {
        let of_request: Vec<&&Value> =
            servers.iter().filter(|s| s["parent_span_id"] == parent_id(i).as_str()).collect();
        assert_eq!(of_request.len(), 1, "{path}: one SERVER span, child of the caller's span");
        let s = of_request[0];
        assert_eq!(s["trace_id"], TRACE, "{path}");
        assert_eq!(attr(s, "url.path"), *path);
        assert_eq!(attr(s, "http.request.method"), "GET");
        assert_eq!(attr(s, "http.response.status_code"), *status, "{path}");
        match route {
            Some(route) => {
                assert_eq!(s["name"], format!("GET {route}"), "{path}");
                assert_eq!(attr(s, "http.route"), *route, "{path}");
            }
            None => {
                assert_eq!(s["name"], "GET", "{path}");
                assert!(attr(s, "http.route").is_null(), "{path}");
            }
        }
        assert_eq!(s["status"] == "error", *status >= 500, "{path}: only 5xx is a server error");
    }
}

#[test]
fn warp_03_and_04_routes_name_hypers_server_spans() {
    let bin = woven("warp-app");
    for server in ["warp03", "warp04"] {
        let (spans, _) = serve(&bin.join(server), WARP, &[("OTEL_SERVICE_NAME", server)]);
        check(&spans, WARP);
    }
}

#[test]
fn poem_routes_name_hypers_server_spans() {
    let bin = woven("poem-app");
    let (spans, _) = serve(&bin.join("poem-app"), POEM, &[("OTEL_SERVICE_NAME", "poem")]);
    check(&spans, POEM);
}

#[test]
fn switched_off_packs_leave_hypers_spans_unnamed() {
    let no_routes = |cases: &[Case]| -> Vec<Case> { cases.iter().map(|(p, s, _)| (*p, *s, None)).collect() };
    let bin = woven("warp-app");
    for server in ["warp03", "warp04"] {
        let (spans, _) = serve(&bin.join(server), WARP, &[("OTEL_RUST_INSTRUMENTATION_WARP_ENABLED", "false")]);
        check(&spans, &no_routes(WARP));
    }
    let bin = woven("poem-app");
    let (spans, _) = serve(&bin.join("poem-app"), POEM, &[("OTEL_RUST_INSTRUMENTATION_POEM_ENABLED", "false")]);
    check(&spans, &no_routes(POEM));
}

#[test]
fn plain_builds_serve_the_same_and_record_nothing() {
    for (fixture, bins, cases) in [("warp-app", &["warp03", "warp04"][..], WARP), ("poem-app", &["poem-app"][..], POEM)]
    {
        let dir = copy_fixture(fixture);
        let status = cargo_otel_tests::plain_cargo(dir.path()).args(["build", "-q"]).status().expect("cargo build");
        assert!(status.success(), "plain build of {fixture} failed");
        for bin in bins {
            let (spans, store_exists) = serve(&cargo_otel_tests::plain_bins().join(bin), cases, &[]);
            assert!(spans.is_empty() && !store_exists, "a plain build must not even create the store");
        }
    }
}
