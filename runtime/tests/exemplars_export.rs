//! Exemplars end to end in one process: HTTP server calls measured through the semconv ABI
//! (and one measurement recorded by advice under a current span) reach a real OTLP receiver
//! with their trace and span ids on the `http.server.request.duration` data points; the
//! spans those ids name are exported to the same receiver. An unsampled call leaves none.

mod common;

use common::receiver;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{exemplar, metric};
use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use prost::Message;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

fn serve(route: &str, status: u16) {
    let fields = otel::OtelHttpServerV1 {
        method: "GET".into(),
        scheme: "http".into(),
        path: route.into(),
        route: route.into(),
        protocol_version: "1.1".into(),
        ..Default::default()
    };
    let span = fields.start(&otel::Context::empty());
    span.http_server_end(status, "", "");
}

#[test]
fn duration_data_points_carry_exemplars_of_exported_spans() {
    let rx = receiver::start(None, vec![]);
    let env: HashMap<String, String> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.base.as_str()),
        ("OTEL_SERVICE_NAME", "exemplar-svc"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_LOGS_EXPORTER", "none"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    otel_runtime::__test::install(|| Config::from_env_map(&env, None), None).expect("installed");

    serve("/a", 200);
    serve("/a", 200);
    serve("/b", 500);
    {
        // A measurement recorded by advice: the exemplar is the current span.
        let _job = otel::SpanGuard::new(otel::Span::start("job", otel::INTERNAL));
        otel::record(otel::HTTP_SERVER_DURATION, 0.3, &[("http.route", otel::Value::Str("/job"))]);
    }
    // An unsampled remote parent: the call is measured but leaves no exemplar.
    let unsampled = {
        struct Headers;
        impl otel::Extractor for Headers {
            fn get(&self, key: &str) -> Option<&str> {
                (key == "traceparent").then_some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")
            }
        }
        otel::extract(&Headers)
    };
    let fields = otel::OtelHttpServerV1 { method: "GET".into(), route: "/c".into(), ..Default::default() };
    fields.start(&unsampled).http_server_end(200, "", "");
    otel_runtime::exports::__otel_v1_shutdown();

    let mut traces = HashSet::new();
    let mut exemplars: Vec<(String, Vec<u8>, Vec<u8>, f64)> = Vec::new();
    let mut saw_c = false;
    while let Ok(r) = rx.requests.recv_timeout(Duration::from_secs(2)) {
        match r.path.as_str() {
            "/v1/traces" => {
                let req = ExportTraceServiceRequest::decode(r.body.as_slice()).expect("traces");
                for s in req.resource_spans.iter().flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans) {
                    traces.insert((s.trace_id.clone(), s.span_id.clone()));
                }
            }
            "/v1/metrics" => {
                let req = ExportMetricsServiceRequest::decode(r.body.as_slice()).expect("metrics");
                for m in req.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|sm| &sm.metrics) {
                    let Some(metric::Data::Histogram(h)) = &m.data else { continue };
                    if m.name != "http.server.request.duration" {
                        continue;
                    }
                    for p in &h.data_points {
                        let route = p
                            .attributes
                            .iter()
                            .find(|kv| kv.key == "http.route")
                            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                                opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s) => {
                                    Some(s.clone())
                                }
                                _ => None,
                            })
                            .unwrap_or_default();
                        saw_c |= route == "/c";
                        for e in &p.exemplars {
                            let Some(exemplar::Value::AsDouble(v)) = e.value else { panic!("double exemplar") };
                            exemplars.push((route.clone(), e.trace_id.clone(), e.span_id.clone(), v));
                        }
                    }
                }
            }
            other => panic!("unexpected path {other}"),
        }
    }
    assert!(saw_c, "the unsampled call is still measured");
    let routes: Vec<&str> = exemplars.iter().map(|e| e.0.as_str()).collect();
    // Both /a calls fall in one bucket: the last one is kept.
    assert_eq!(routes.iter().filter(|r| **r == "/a").count(), 1, "{routes:?}");
    assert!(routes.contains(&"/b") && routes.contains(&"/job"), "{routes:?}");
    assert!(!routes.contains(&"/c"), "no exemplar for an unsampled call: {routes:?}");
    for (route, trace_id, span_id, _) in &exemplars {
        assert_eq!(trace_id.len(), 16, "{route}");
        assert!(traces.contains(&(trace_id.clone(), span_id.clone())), "{route}'s exemplar names an exported span");
    }
    let job = exemplars.iter().find(|e| e.0 == "/job").unwrap();
    assert_eq!(job.3, 0.3);
}
