//! CPU per exported span: encode (protobuf or JSON), compress (gzip) and send N spans in
//! batches of 512 over loopback to a receiver that runs in a child process (so callgrind,
//! which does not follow children by default, counts only the exporter's side). `none`
//! builds and clones the same batches without exporting: the baseline to subtract.
//!
//! ```text
//! cargo build --release -p otel-runtime --example export_cost
//! for mode in none protobuf gzip json; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/export_cost $mode 20480 2>&1 | grep 'Collected'
//! done
//! # (Ir(mode) - Ir(none)) / 20480 = instructions per exported span
//! ```
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanExporter as _};
use otel_runtime::config::Config;
use otel_runtime::export::otlp::OtlpSpanExporter;
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

/// The receiver: print the port, answer every request with an empty 200.
fn serve() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!("{}", listener.local_addr().expect("addr").port());
    let _ = std::io::stdout().flush();
    for stream in listener.incoming() {
        let Ok(mut s) = stream else { continue };
        std::thread::spawn(move || {
            let mut raw = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                while let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
                        .unwrap_or(0);
                    if raw.len() < end + 4 + len {
                        break;
                    }
                    raw.drain(..end + 4 + len);
                    if s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").is_err() {
                        return;
                    }
                }
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
        });
    }
}

/// Poll a future that completes without waking (the exporter blocks inside its poll).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        return serve();
    }
    let mode = args.get(1).cloned().unwrap_or_else(|| "protobuf".into());
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(20480);

    // Spans shaped like an HTTP server span of the two-services demo.
    let memory = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(memory.clone()).build();
    let tracer = provider.tracer("cargo-otel");
    for i in 0..n {
        let mut span = tracer.span_builder("GET /users/{id}").with_kind(SpanKind::Server).start(&tracer);
        span.set_attribute(KeyValue::new("http.request.method", "GET"));
        span.set_attribute(KeyValue::new("url.path", format!("/users/{i}")));
        span.set_attribute(KeyValue::new("http.route", "/users/{id}"));
        span.set_attribute(KeyValue::new("http.response.status_code", 200_i64));
        span.set_attribute(KeyValue::new("server.address", "service-a"));
        span.end();
    }
    let spans = memory.get_finished_spans().expect("spans");

    let mut child = Command::new(std::env::current_exe().expect("exe"))
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("receiver");
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut port).expect("port");
    let endpoint = format!("http://127.0.0.1:{}", port.trim());
    let (protocol, compression) = match mode.as_str() {
        "json" => ("http/json", "none"),
        "gzip" => ("http/protobuf", "gzip"),
        _ => ("http/protobuf", "none"),
    };
    let env: HashMap<String, String> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", compression),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut exporter = OtlpSpanExporter::new(&Config::from_env_map(&env, Some("export-cost")));
    exporter.set_resource(&opentelemetry_sdk::Resource::builder().with_service_name("export-cost").build());
    for batch in spans.chunks(512) {
        let batch = batch.to_vec();
        if mode == "none" {
            drop(std::hint::black_box(batch));
        } else {
            let _ = block_on(exporter.export(batch));
        }
    }
    let stats = exporter.stats().snapshot();
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("{mode}: {n} spans, {stats:?}");
}
