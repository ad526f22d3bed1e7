//! End to end over TLS: the woven two-services demo exports its spans with OTLP/HTTP, gzip,
//! to a real receiver on loopback that serves HTTPS with a certificate from a CA generated
//! at test time (`OTEL_EXPORTER_OTLP_CERTIFICATE` names it). Both services' spans arrive as
//! protobuf, in one trace with B's SERVER span under A's CLIENT span, and the metrics sent at
//! shutdown carry exemplars on `http.server.request.duration` that name those exported spans.
//! Without the CA the same services keep serving and nothing is delivered.

#[path = "../runtime/tests/common/receiver.rs"]
#[allow(dead_code)]
mod receiver;

use cargo_otel_tests::{Server, http_get, otel_build_two_services};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric;
use prost::Message;
use receiver::Pki;
use std::time::Duration;

use cargo_otel_tests::service_name;

/// (service.name, span name, kind, trace id, span id, parent span id) of every exported span.
type Row = (String, String, i32, Vec<u8>, Vec<u8>, Vec<u8>);

fn rows(body: &[u8]) -> Vec<Row> {
    let req = ExportTraceServiceRequest::decode(body).expect("a protobuf ExportTraceServiceRequest");
    let mut out = Vec::new();
    for rs in req.resource_spans {
        let service = service_name(rs.resource.as_ref());
        for span in rs.scope_spans.into_iter().flat_map(|ss| ss.spans) {
            out.push((service.clone(), span.name, span.kind, span.trace_id, span.span_id, span.parent_span_id));
        }
    }
    out
}

/// Start B then A exporting to `endpoint`, trusting `ca` if given; one `/orders/1`; SIGTERM both.
fn run_demo(endpoint: &str, ca: Option<&str>, work: &std::path::Path) {
    let bin = otel_build_two_services();
    let mut common = vec![
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.to_owned()),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip".to_owned()),
        ("OTEL_TRACES_EXPORTER", "otlp".to_owned()),
        ("OTEL_METRICS_EXPORTER", "otlp".to_owned()),
        ("OTEL_LOGS_EXPORTER", "none".to_owned()),
    ];
    if let Some(ca) = ca {
        common.push(("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.to_owned()));
    }
    let with = |extra: &[(&'static str, String)]| -> Vec<(&'static str, String)> {
        common.iter().cloned().chain(extra.iter().cloned()).collect()
    };
    let mut b = Server::start(
        &bin.join("service-b"),
        &with(&[
            ("OTEL_SERVICE_NAME", "service-b".into()),
            ("SERVICE_B_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_DB", work.join("inventory.db").display().to_string()),
        ]),
    );
    let mut a = Server::start(
        &bin.join("service-a"),
        &with(&[
            ("OTEL_SERVICE_NAME", "service-a".into()),
            ("SERVICE_A_ADDR", "127.0.0.1:0".into()),
            ("SERVICE_B_URL", format!("http://{}", b.addr)),
        ]),
    );
    let (status, body) = http_get(&a.addr, "/orders/1");
    assert_eq!(status, 200, "{body}");
    assert!(a.signal_and_wait("TERM", Duration::from_secs(30)).success(), "service-a exits cleanly");
    assert!(b.signal_and_wait("TERM", Duration::from_secs(30)).success(), "service-b exits cleanly");
}

#[test]
fn the_two_services_export_over_tls_with_the_configured_ca() {
    let pki = Pki::generate("two-services");
    let rx = receiver::start(Some(pki.server_config(false)), vec![]);
    let work = tempfile::tempdir().expect("tempdir");
    run_demo(&rx.base, Some(&pki.ca_pem.display().to_string()), work.path());

    // Both processes flushed at SIGTERM, so everything has arrived once the channel is idle.
    let mut spans = Vec::new();
    // (service.name, trace id, span id) of each exemplar on a server duration data point.
    let mut exemplars = Vec::new();
    while let Ok(r) = rx.requests.recv_timeout(Duration::from_secs(2)) {
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        match r.path.as_str() {
            "/v1/traces" => spans.extend(rows(&r.body)),
            "/v1/metrics" => exemplars.extend(server_exemplars(&r.body)),
            other => panic!("unexpected request to {other}"),
        }
    }
    let find = |service: &str, name: &str| {
        spans.iter().find(|s| s.0 == service && s.1 == name).unwrap_or_else(|| {
            let all: Vec<String> = spans.iter().map(|s| format!("{}:{}", s.0, s.1)).collect();
            panic!("no {service} span `{name}` among {all:?}")
        })
    };
    const SERVER: i32 = 2;
    const CLIENT: i32 = 3;
    let server_a = find("service-a", "GET /orders/{id}");
    let server_b = find("service-b", "GET /inventory/{id}");
    let client = spans
        .iter()
        .find(|s| s.0 == "service-a" && s.2 == CLIENT && s.3 == server_a.3)
        .expect("service-a's CLIENT span to B");
    assert_eq!(server_a.2, SERVER);
    assert!(server_a.5.is_empty(), "A's SERVER span is the root");
    assert_eq!(client.5, server_a.4);
    assert_eq!(server_b.2, SERVER);
    assert_eq!(server_b.3, server_a.3, "one trace across both services");
    assert_eq!(server_b.5, client.4, "B's SERVER span under A's CLIENT span");
    assert!(find("service-b", "SELECT items").3 == server_a.3, "B's query in the same trace");

    // Each service's server duration histogram has an exemplar naming its exported SERVER span.
    for (service, server) in [("service-a", server_a), ("service-b", server_b)] {
        assert!(
            exemplars.iter().any(|(s, trace, span)| s == service && *trace == server.3 && *span == server.4),
            "no exemplar of {service}'s SERVER span among {exemplars:?}"
        );
    }
}

/// The exemplars of the `http.server.request.duration` data points of a metrics request.
fn server_exemplars(body: &[u8]) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let req = ExportMetricsServiceRequest::decode(body).expect("a protobuf ExportMetricsServiceRequest");
    let mut out = Vec::new();
    for rm in req.resource_metrics {
        let service = service_name(rm.resource.as_ref());
        for m in rm.scope_metrics.into_iter().flat_map(|sm| sm.metrics) {
            if let (true, Some(metric::Data::Histogram(h))) = (m.name == "http.server.request.duration", m.data) {
                for e in h.data_points.into_iter().flat_map(|p| p.exemplars) {
                    out.push((service.clone(), e.trace_id, e.span_id));
                }
            }
        }
    }
    out
}

#[test]
fn without_the_ca_nothing_is_delivered_and_the_services_keep_serving() {
    let pki = Pki::generate("untrusted");
    let rx = receiver::start(Some(pki.server_config(false)), vec![]);
    let work = tempfile::tempdir().expect("tempdir");
    // `run_demo` asserts the request still succeeds and both services exit cleanly.
    run_demo(&rx.base, None, work.path());
    assert!(rx.requests.recv_timeout(Duration::from_millis(500)).is_err(), "nothing passes an untrusted TLS handshake");
}
