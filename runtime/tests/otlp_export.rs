//! OTLP/HTTP export against a real receiver on loopback: a small HTTP/1.1 server decodes
//! the protobuf `ExportTraceServiceRequest` and the test checks names, ids, attributes and
//! the resource's `service.name`.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use prost::Message;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// Accept connections; send each decoded request (path, body) to the channel.
fn receiver() -> (String, mpsc::Receiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 16384];
            let (path, body) = loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break (String::new(), Vec::new());
                }
                raw.extend_from_slice(&buf[..n]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if raw.len() >= end + 4 + len {
                    let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
                    break (path, raw[end + 4..end + 4 + len].to_vec());
                }
            };
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send((path, body));
        }
    });
    (format!("http://{addr}"), rx)
}

#[test]
fn spans_reach_a_real_otlp_http_receiver() {
    let (endpoint, requests) = receiver();
    let env: HashMap<String, String> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "otlp-test-svc"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_env_map(&env, None);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    otel_runtime::__test::install(|| config, None).expect("installed");

    let (parent_id, child_id, trace_id);
    {
        let parent = otel::SpanGuard::new(otel::Span::start("GET /users/{id}", otel::SERVER));
        parent.span.str("http.request.method", "GET");
        parent.span.i64("http.response.status_code", 200);
        parent.span.f64("ratio", 0.5);
        parent.span.bool("cached", false);
        let child = otel::Span::start("SELECT users", otel::CLIENT);
        child.error("timeout", "query timed out");
        // Capture ids through the propagation API.
        struct H(Option<String>);
        impl otel::Injector for H {
            fn set(&mut self, k: &str, v: &str) {
                if k == "traceparent" {
                    self.0 = Some(v.to_owned());
                }
            }
        }
        let mut h = H(None);
        let _e = child.enter();
        otel::inject(&mut h);
        let tp = h.0.unwrap();
        let parts: Vec<&str> = tp.split('-').collect();
        trace_id = parts[1].to_owned();
        child_id = parts[2].to_owned();
        drop(_e);
        drop(child);
        let mut h = H(None);
        otel::inject(&mut h);
        parent_id = h.0.unwrap().split('-').nth(2).unwrap().to_owned();
    }
    otel_runtime::exports::__otel_v1_shutdown();

    let mut spans = Vec::new();
    let mut service = None;
    let mut resource_keys = Vec::new();
    while spans.len() < 2 {
        let (path, body) = requests.recv_timeout(Duration::from_secs(10)).expect("an export");
        assert_eq!(path, "/v1/traces");
        let req = ExportTraceServiceRequest::decode(body.as_slice()).expect("valid protobuf");
        for rs in req.resource_spans {
            let resource = rs.resource.unwrap();
            for kv in &resource.attributes {
                resource_keys.push(kv.key.clone());
                if kv.key == "service.name" {
                    service = kv.value.as_ref().and_then(|v| v.value.clone());
                }
            }
            for ss in rs.scope_spans {
                spans.extend(ss.spans);
            }
        }
    }
    assert_eq!(service, Some(AnyValue::StringValue("otlp-test-svc".into())));
    for key in ["telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version", "process.pid", "host.name"] {
        assert!(resource_keys.iter().any(|k| k == key), "resource has {key}: {resource_keys:?}");
    }
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let parent = spans.iter().find(|s| s.name == "GET /users/{id}").expect("server span");
    let child = spans.iter().find(|s| s.name == "SELECT users").expect("client span");
    assert_eq!(hex(&parent.trace_id), trace_id);
    assert_eq!(hex(&parent.span_id), parent_id);
    assert_eq!(hex(&child.span_id), child_id);
    assert_eq!(child.parent_span_id, parent.span_id);
    assert!(parent.parent_span_id.is_empty());
    assert_eq!(parent.kind, 2); // SPAN_KIND_SERVER
    assert_eq!(child.kind, 3); // SPAN_KIND_CLIENT
    let attrs: HashMap<&str, AnyValue> =
        parent.attributes.iter().map(|kv| (kv.key.as_str(), kv.value.clone().unwrap().value.unwrap())).collect();
    assert_eq!(attrs["http.request.method"], AnyValue::StringValue("GET".into()));
    assert_eq!(attrs["http.response.status_code"], AnyValue::IntValue(200));
    assert_eq!(attrs["ratio"], AnyValue::DoubleValue(0.5));
    assert_eq!(attrs["cached"], AnyValue::BoolValue(false));
    let status = child.status.as_ref().unwrap();
    assert_eq!(status.code, 2);
    assert_eq!(status.message, "query timed out");
}
