//! examples/ureq-cli end to end: the CLI (no tracing code) built with `cargo otel`, run as
//! short-lived processes (ureq 3 and ureq 2 bins) against a woven hyper server
//! (tests/fixtures/http-server-app) on loopback. Checks the `ureq` and `ureq-2` packs: one
//! CLIENT span per request (a redirect included), the exact parent chain across the two
//! processes (the server's SERVER span is the child of the CLI's CLIENT span: `traceparent`
//! was injected), names, attributes, 4xx/5xx and connection-refused errors, the flush of a
//! process that exits right after its work, the per-pack switch, and the plain build.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use cargo_otel_tests::{
    Server, attr, cargo_otel, copy_fixture, host, otel_build_strict, read_spans, shared_otel_target, workspace_root,
};
use serde_json::Value;

fn cli_dir() -> PathBuf {
    workspace_root().join("examples/ureq-cli")
}

/// The woven server (built once per test process).
fn server_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = copy_fixture("http-server-app");
        otel_build_strict(dir.path());
        shared_otel_target().join(host()).join("debug").join("http-server-app")
    })
    .clone()
}

/// Both CLI bins built with `cargo otel --strict`; the directory holding them.
fn build_woven_cli() -> PathBuf {
    let out = cargo_otel_tests::lean_profile(&mut Command::new(cargo_otel()))
        .args(["otel", "--strict", "--otel-target-dir"])
        .arg(shared_otel_target())
        .args(["build", "--bins"])
        .current_dir(cli_dir())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo otel");
    assert!(
        out.status.success(),
        "cargo otel build of examples/ureq-cli failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    shared_otel_target().join(host()).join("debug")
}

fn start_server(store: &Path) -> Server {
    Server::start(
        &server_binary(),
        &[("CARGO_OTEL_STORE", store.display().to_string()), ("OTEL_SERVICE_NAME", "http-server".into())],
    )
}

/// SIGTERM: the runtime flushes the server's spans before it exits.
fn stop(mut server: Server) {
    let _ = server.signal_and_wait("TERM", Duration::from_secs(30));
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Run `bin` with `urls`; its stdout lines.
fn run_cli(bin: &Path, urls: &[String], envs: &[(&str, String)]) -> Vec<String> {
    let out = Command::new(bin)
        .args(urls)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    assert_eq!(out.status.code(), Some(1), "some requests fail: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

fn urls(addr: &str, refused: u16) -> Vec<String> {
    let mut urls: Vec<String> = ["/hello?token=secret&x=1", "/missing", "/boom", "/redirect"]
        .iter()
        .map(|p| format!("http://{addr}{p}"))
        .collect();
    urls.push(format!("http://127.0.0.1:{refused}/down"));
    urls
}

fn assert_output(lines: &[String], urls: &[String]) {
    assert_eq!(lines.len(), 5, "{lines:?}");
    for (line, status) in lines.iter().zip(["200", "404", "500", "200"]) {
        assert!(line.ends_with(&format!(" {status}")), "{line}");
    }
    assert!(lines[4].starts_with(&format!("{} error:", urls[4])), "{}", lines[4]);
}

fn server_spans_of<'a>(servers: &'a [Value], client: &Value) -> Vec<&'a Value> {
    servers.iter().filter(|s| s["parent_span_id"] == client["span_id"]).collect()
}

/// The CLIENT spans of one CLI run (in request order) and their SERVER children.
fn check_run(clients: &[Value], servers: &[Value], urls: &[String], refused: u16, addr: &str, ureq2: bool) {
    assert_eq!(clients.len(), 5, "one CLIENT span per request, the redirect included: {clients:#?}");
    let port: i64 = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let by_url = |url: &str| -> &Value {
        let full = url.replace("token=secret", "token=REDACTED");
        clients
            .iter()
            .find(|c| attr(c, "url.full") == full.as_str())
            .unwrap_or_else(|| panic!("no CLIENT span for {full}: {clients:#?}"))
    };
    for c in clients {
        assert_eq!(c["name"], "GET");
        assert_eq!(c["kind"], "client");
        assert_eq!(c["parent_span_id"], "", "a CLI outside any trace: root CLIENT spans");
        assert_eq!(attr(c, "http.request.method"), "GET");
        assert_eq!(attr(c, "server.address"), "127.0.0.1");
    }
    let hello = by_url(&urls[0]);
    assert_eq!(attr(hello, "server.port"), port);
    assert_eq!(attr(hello, "http.response.status_code"), 200);
    assert_eq!(attr(hello, "network.protocol.version"), "1.1");
    assert_ne!(hello["status"], "error");
    for (url, code) in [(&urls[1], 404), (&urls[2], 500)] {
        let c = by_url(url);
        assert_eq!(attr(c, "http.response.status_code"), code);
        assert_eq!(attr(c, "error.type"), code.to_string().as_str());
        assert_eq!(c["status"], "error", "{url}");
    }
    let redirect = by_url(&urls[3]);
    assert_eq!(attr(redirect, "http.response.status_code"), 200, "the final response of the redirect chain");
    let refused_span = by_url(&urls[4]);
    assert_eq!(refused_span["status"], "error");
    assert_eq!(attr(refused_span, "server.port"), i64::from(refused));
    assert!(attr(refused_span, "http.response.status_code").is_null());
    // ureq 3: the io::ErrorKind; ureq 2: its own ErrorKind. The message names no URL.
    let (error_type, prefix) = match ureq2 {
        false => ("ConnectionRefused", "io: Connection refused"),
        true => ("ConnectionFailed", "Connection Failed: Connect error: Connection refused"),
    };
    assert_eq!(attr(refused_span, "error.type"), error_type);
    let message = refused_span["status_message"].as_str().expect("status message");
    assert!(message.starts_with(prefix) && !message.contains("127.0.0.1"), "{message}");

    // Across processes: each server span is the child of the CLIENT span of its request.
    for (client, paths) in [
        (hello, vec!["/hello"]),
        (by_url(&urls[1]), vec!["/missing"]),
        (by_url(&urls[2]), vec!["/boom"]),
        (redirect, vec!["/redirect", "/hello"]),
    ] {
        let children = server_spans_of(servers, client);
        let mut got: Vec<&str> = children.iter().map(|s| attr(s, "url.path").as_str().unwrap_or("")).collect();
        got.sort_unstable();
        let mut want = paths.clone();
        want.sort_unstable();
        assert_eq!(got, want, "SERVER spans under {}", attr(client, "url.full"));
        for s in children {
            assert_eq!(s["kind"], "server");
            assert_eq!(s["trace_id"], client["trace_id"]);
        }
    }
    assert!(server_spans_of(servers, refused_span).is_empty());
}

#[test]
fn woven_cli_requests_are_client_spans_parenting_the_server_spans() {
    let bin = build_woven_cli();
    let work = tempfile::tempdir().expect("tempdir");
    let server_store = work.path().join("server");
    let server = start_server(&server_store);
    let addr = server.addr.clone();
    let refused = closed_port();
    let urls = urls(&addr, refused);

    let mut runs = Vec::new();
    for cli in ["ureq-cli", "ureq2-cli"] {
        let store = work.path().join(cli);
        let lines = run_cli(
            &bin.join(cli),
            &urls,
            &[("CARGO_OTEL_STORE", store.display().to_string()), ("OTEL_SERVICE_NAME", cli.into())],
        );
        assert_output(&lines, &urls);
        // The process exited right after its last request: its spans are in the store anyway.
        runs.push((cli, read_spans(&store)));
    }
    // Switched off: no CLIENT span, nothing injected (the server's spans are roots).
    let off_store = work.path().join("off");
    let off_urls = vec![format!("http://{addr}/missing?off=1"), format!("http://{addr}/boom?off=1")];
    for cli in ["ureq-cli", "ureq2-cli"] {
        let out = Command::new(bin.join(cli))
            .args(&off_urls)
            .env("CARGO_OTEL_STORE", &off_store)
            .env("OTEL_RUST_INSTRUMENTATION_UREQ_ENABLED", "false")
            .output()
            .expect("run cli");
        assert_eq!(out.status.code(), Some(1));
    }
    stop(server);

    let servers: Vec<Value> = read_spans(&server_store).into_iter().filter(|s| s["kind"] == "server").collect();
    for (cli, spans) in &runs {
        assert!(spans.iter().all(|s| s["kind"] == "client"), "{cli}: only CLIENT spans: {spans:#?}");
        check_run(spans, &servers, &urls, refused, &addr, *cli == "ureq2-cli");
    }
    // Exactly one SERVER span per request that reached the server: 5 per run (the redirect
    // is two requests), 4 unparented ones from the switched-off runs.
    assert_eq!(servers.len(), 2 * 5 + 4, "{servers:#?}");
    let off: Vec<&Value> = servers.iter().filter(|s| attr(s, "url.query") == "off=1").collect();
    assert_eq!(off.len(), 4);
    assert!(off.iter().all(|s| s["parent_span_id"] == ""), "no traceparent when the pack is off: {off:#?}");
    assert!(read_spans(&off_store).is_empty(), "no CLIENT spans when the pack is off");
}

#[test]
fn plain_cli_build_runs_and_records_nothing() {
    let status =
        cargo_otel_tests::plain_cargo(&cli_dir()).args(["build", "-q", "--bins"]).status().expect("cargo build");
    assert!(status.success(), "plain build of examples/ureq-cli failed");
    let work = tempfile::tempdir().expect("tempdir");
    let server = start_server(&work.path().join("server"));
    let urls = urls(&server.addr, closed_port());
    let store = work.path().join("store");
    for cli in ["ureq-cli", "ureq2-cli"] {
        let lines = run_cli(
            &cargo_otel_tests::plain_bins().join(cli),
            &urls,
            &[("CARGO_OTEL_STORE", store.display().to_string())],
        );
        assert_output(&lines, &urls);
    }
    stop(server);
    assert!(!store.exists(), "a plain build must not even create the store");
}
