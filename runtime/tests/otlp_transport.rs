//! The OTLP exporters against real receivers on loopback (tests/common/receiver.rs): TLS with
//! a CA made at test time, mTLS, gzip, http/json, retries on 503 + Retry-After, 400 dropped,
//! partial success, headers, connection reuse and gRPC refused. Each test drives the
//! exporter through the SDK's simple processor, so a span's export finishes when it ends.

mod common;

use common::receiver::{self, Pki, Received, Reply};
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use otel_runtime::config::{Compression, Config, OtlpProtocol};
use otel_runtime::export::otlp::{OtlpSpanExporter, StatsSnapshot};
use prost::Message;
use std::collections::HashMap;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

fn config(pairs: &[(&str, &str)]) -> Config {
    let env: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_env_map(&env, Some("transport-test"))
}

/// Export `names` as spans (one export each) through an exporter built from `pairs`;
/// returns the exporter's counters once every export has returned.
fn export_spans(pairs: &[(&str, &str)], names: &[&str]) -> StatsSnapshot {
    let config = config(pairs);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    export_with(&config, names)
}

fn export_with(config: &Config, names: &[&str]) -> StatsSnapshot {
    let exporter = OtlpSpanExporter::new(config);
    let stats = exporter.stats();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(opentelemetry_sdk::Resource::builder_empty().with_service_name("transport-test").build())
        .build();
    let tracer = provider.tracer("transport-test");
    for name in names {
        let mut span = tracer.start(name.to_string());
        span.set_attribute(opentelemetry::KeyValue::new("n", 42_i64));
        span.end();
    }
    stats.snapshot()
}

fn next(rx: &receiver::Receiver) -> Received {
    rx.requests.recv_timeout(Duration::from_secs(10)).expect("a request reached the receiver")
}

fn nothing_more(rx: &receiver::Receiver) {
    match rx.requests.recv_timeout(Duration::from_millis(200)) {
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        Ok(r) => panic!("unexpected request: {r:?}"),
    }
}

fn span_names(body: &[u8]) -> Vec<String> {
    let req = ExportTraceServiceRequest::decode(body).expect("valid protobuf");
    req.resource_spans.into_iter().flat_map(|rs| rs.scope_spans).flat_map(|ss| ss.spans).map(|s| s.name).collect()
}

#[test]
fn headers_go_on_every_request_over_one_kept_alive_connection() {
    let rx = receiver::start(None, vec![]);
    let endpoint = format!("{}/v1/traces", rx.base);
    let stats = export_spans(
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret,x-tenant=a b"),
        ],
        &["one", "two", "three"],
    );
    assert_eq!(stats.exported, 3);
    for name in ["one", "two", "three"] {
        let r = next(&rx);
        assert_eq!(r.path, "/v1/traces");
        assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(r.header("api-key"), Some("s=cret"), "URL-decoded");
        assert_eq!(r.header("x-tenant"), Some("a b"));
        assert_eq!(r.connection, 0, "one connection for every request");
        assert_eq!(span_names(&r.body), vec![name]);
    }
}

#[test]
fn tls_with_the_configured_ca_is_accepted() {
    let pki = Pki::generate("accepted");
    let rx = receiver::start(Some(pki.server_config(false)), vec![]);
    assert!(rx.base.starts_with("https://localhost:"));
    let ca = pki.ca_pem.display().to_string();
    let stats = export_spans(
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca)],
        &["secure"],
    );
    assert_eq!(stats, StatsSnapshot { exported: 1, ..StatsSnapshot::default() });
    assert_eq!(span_names(&next(&rx).body), vec!["secure"]);
}

#[test]
fn tls_without_the_ca_is_refused_with_a_warning_and_nothing_is_delivered() {
    let pki = Pki::generate("refused");
    let rx = receiver::start(Some(pki.server_config(false)), vec![]);
    let start = Instant::now();
    // The system trust store does not know the test CA.
    let stats =
        export_spans(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_TIMEOUT", "5000")], &["a", "b"]);
    assert_eq!(stats.exported, 0);
    assert_eq!(stats.failed, 2);
    assert_eq!(stats.retries, 0, "a certificate problem is not retried");
    assert!(start.elapsed() < Duration::from_secs(5), "within the export timeout");
    nothing_more(&rx);
    let warnings = otel_runtime::export::otlp::warnings();
    let tls: Vec<&String> = warnings.iter().filter(|w| w.contains("TLS handshake") && w.contains(&rx.base)).collect();
    assert_eq!(tls.len(), 1, "one warning naming the endpoint, not one per export: {warnings:?}");
    // The reason: an unknown issuer, or an empty system store on a bare machine.
    assert!(tls[0].contains("UnknownIssuer") || tls[0].contains("trust store"), "{}", tls[0]);

    // A CA file that does not exist: one warning naming the file; the app goes on.
    let stats = export_spans(
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")],
        &["c"],
    );
    assert_eq!(stats.failed, 1);
    assert!(otel_runtime::export::otlp::warnings().iter().any(|w| w.contains("/nonexistent/ca.pem")));
    nothing_more(&rx);
}

#[test]
fn mtls_presents_the_client_certificate() {
    let pki = Pki::generate("mtls");
    let rx = receiver::start(Some(pki.server_config(true)), vec![]);
    let (ca, cert, key) = (
        pki.ca_pem.display().to_string(),
        pki.client_cert_pem.display().to_string(),
        pki.client_key_pem.display().to_string(),
    );
    let stats = export_spans(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", &cert),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", &key),
        ],
        &["mutual"],
    );
    assert_eq!(stats.exported, 1);
    assert_eq!(span_names(&next(&rx).body), vec!["mutual"]);

    // Without the client certificate the receiver refuses the connection.
    let stats = export_spans(
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", &ca),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000"),
        ],
        &["anonymous"],
    );
    assert_eq!(stats.exported, 0);
    assert_eq!(stats.failed, 1);
    nothing_more(&rx);
}

#[test]
fn gzip_bodies_decode_to_the_protobuf_request() {
    let rx = receiver::start(None, vec![]);
    let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")]);
    assert_eq!(c.traces.transport.compression, Compression::Gzip);
    let stats = export_with(&c, &["compressed"]);
    assert_eq!(stats.exported, 1);
    let r = next(&rx);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    // The receiver gunzipped the body: it must be the protobuf request.
    assert_eq!(span_names(&r.body), vec!["compressed"]);
}

#[test]
#[cfg(feature = "json")]
fn http_json_uses_the_spec_field_names_and_encodings() {
    let rx = receiver::start(None, vec![]);
    let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")]);
    assert_eq!(c.traces.transport.protocol, OtlpProtocol::HttpJson);
    assert_eq!(export_with(&c, &["as json"]).exported, 1);
    let r = next(&rx);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("a JSON body");
    let resource = &v["resourceSpans"][0]["resource"]["attributes"];
    assert!(
        resource
            .as_array()
            .expect("attributes")
            .iter()
            .any(|kv| kv["key"] == "service.name" && kv["value"]["stringValue"] == "transport-test"),
        "{resource}"
    );
    let span = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(span["name"], "as json");
    let trace_id = span["traceId"].as_str().expect("traceId is a string");
    assert_eq!(trace_id.len(), 32, "hex, not base64: {trace_id}");
    assert!(trace_id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(span["spanId"].as_str().map(str::len), Some(16));
    // Enums are integers (SPAN_KIND_INTERNAL = 1); 64-bit integers are decimal strings.
    assert_eq!(span["kind"], 1);
    assert!(span["startTimeUnixNano"].as_str().is_some_and(|t| t.parse::<u64>().is_ok()), "{span}");
    assert_eq!(span["attributes"][0]["key"], "n");
    assert_eq!(span["attributes"][0]["value"]["intValue"], "42");
    assert!(v["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"] == "transport-test");
    // And the body decodes back into the proto types with the same names.
    let req: ExportTraceServiceRequest = serde_json::from_slice(&r.body).expect("round trip");
    assert_eq!(req.resource_spans[0].scope_spans[0].spans[0].name, "as json");
}

#[test]
fn a_503_with_retry_after_is_retried_and_the_spans_arrive_once() {
    let rx = receiver::start(None, vec![Reply::status(503).header("Retry-After", "1")]);
    let start = Instant::now();
    let stats = export_spans(
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_TIMEOUT", "8000")],
        &["retry me"],
    );
    assert_eq!(stats, StatsSnapshot { exported: 1, retries: 1, ..StatsSnapshot::default() });
    assert!(start.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
    let first = next(&rx);
    assert_eq!(first.answered, 503);
    let second = next(&rx);
    assert_eq!(second.answered, 200);
    assert_eq!(span_names(&second.body), vec!["retry me"]);
    nothing_more(&rx);
}

#[test]
fn retryable_answers_give_up_within_the_export_timeout() {
    let rx = receiver::start(None, (0..100).map(|_| Reply::status(502)).collect());
    let start = Instant::now();
    let stats =
        export_spans(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")], &["x"]);
    assert_eq!((stats.exported, stats.failed), (0, 1));
    assert!(stats.retries >= 1);
    assert!(start.elapsed() < Duration::from_secs(5), "bounded by the export timeout");
}

#[test]
fn a_400_is_dropped_counted_and_not_retried() {
    let rx = receiver::start(None, vec![Reply::status(400).body(b"bad payload".to_vec())]);
    let stats = export_spans(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base)], &["bad", "good"]);
    assert_eq!(stats, StatsSnapshot { exported: 1, dropped: 1, ..StatsSnapshot::default() });
    assert_eq!(next(&rx).answered, 400);
    let r = next(&rx);
    assert_eq!((r.answered, span_names(&r.body)), (200, vec!["good".to_owned()]), "the next batch, not a retry");
    nothing_more(&rx);
    assert!(otel_runtime::export::otlp::warnings().iter().any(|w| w.contains("HTTP 400 (bad payload)")));
}

#[test]
fn partial_success_rejections_are_counted() {
    let partial = ExportTraceServiceResponse {
        partial_success: Some(ExportTracePartialSuccess { rejected_spans: 1, error_message: "span too big".into() }),
    };
    let rx = receiver::start(
        None,
        vec![Reply::status(200).header("Content-Type", "application/x-protobuf").body(partial.encode_to_vec())],
    );
    let stats = export_spans(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base)], &["big", "small"]);
    assert_eq!(stats, StatsSnapshot { exported: 1, rejected: 1, ..StatsSnapshot::default() });
    assert!(otel_runtime::export::otlp::warnings().iter().any(|w| w.contains("span too big")));
}

#[test]
fn grpc_is_refused_with_the_documented_warning_and_http_protobuf_is_used() {
    let rx = receiver::start(None, vec![]);
    let c = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &rx.base), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("grpc") && c.warnings[0].contains("http/protobuf"), "{}", c.warnings[0]);
    assert_eq!(c.traces.transport.protocol, OtlpProtocol::HttpProtobuf);
    assert_eq!(export_with(&c, &["fell back"]).exported, 1);
    let r = next(&rx);
    assert_eq!(r.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(span_names(&r.body), vec!["fell back"]);
}
