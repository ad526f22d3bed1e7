//! The logs signal end to end in one process: the pipeline built from `OTEL_LOGS_EXPORTER=otlp`
//! sends log records over TLS (a CA made at test time), gzip-compressed, to a real receiver on
//! loopback; the decoded `ExportLogsServiceRequest` carries severity, body, attributes, the
//! target as scope name, the resource, and the span context current where each record was
//! emitted (none outside a span). The metrics sent at shutdown carry the SDK-conventional
//! `otel.sdk.*` self-observability counters.

mod common;

use common::receiver::{self, Pki};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use otel_runtime::__prelude as otel;
use otel_runtime::config::{Config, ExporterKind};
use prost::Message;
use std::collections::HashMap;
use std::time::Duration;

#[test]
fn log_records_reach_a_tls_receiver_with_their_span_context() {
    let pki = Pki::generate("logs");
    let rx = receiver::start(Some(pki.server_config(false)), vec![]);
    let ca = pki.ca_pem.display().to_string();
    let env: HashMap<String, String> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", rx.base.as_str()),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca.as_str()),
        ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip"),
        ("OTEL_SERVICE_NAME", "logs-svc"),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_env_map(&env, None);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.logs_exporter, ExporterKind::Otlp);
    otel_runtime::__test::install(|| config, None).expect("installed");

    let (trace_id, span_id) = {
        let _request = otel::SpanGuard::new(otel::Span::start("GET /orders", otel::SERVER));
        otel::log(
            17,
            "query failed",
            "shop::db",
            &[("db.system.name", otel::Value::Str("postgresql")), ("attempt", otel::Value::I64(2))],
        );
        let cx = opentelemetry::Context::current();
        use opentelemetry::trace::TraceContextExt;
        let sc = cx.span().span_context().clone();
        (sc.trace_id().to_bytes().to_vec(), sc.span_id().to_bytes().to_vec())
    };
    otel::log(9, "started", "shop", &[]);
    otel_runtime::exports::__otel_v1_shutdown();

    let mut requests = HashMap::new();
    while requests.len() < 2 {
        let r = rx.requests.recv_timeout(Duration::from_secs(10)).expect("logs and metrics requests arrive");
        requests.insert(r.path.clone(), r);
    }
    // The SDK's own counters (bound to the global meter before the processors are built)
    // and the exporters' `otel.sdk.exporter.*.exported`.
    let metrics = ExportMetricsServiceRequest::decode(requests["/v1/metrics"].body.as_slice()).expect("metrics");
    let names: Vec<&str> = metrics
        .resource_metrics
        .iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .map(|m| m.name.as_str())
        .collect();
    for name in ["otel.sdk.log.created", "otel.sdk.exporter.log.exported", "otel.sdk.processor.log.processed"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let r = &requests["/v1/logs"];
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let req = ExportLogsServiceRequest::decode(r.body.as_slice()).expect("protobuf logs request");
    let rl = &req.resource_logs[0];
    let service = rl.resource.as_ref().unwrap().attributes.iter().find(|kv| kv.key == "service.name").unwrap();
    assert_eq!(service.value.as_ref().unwrap().value, Some(AnyValue::StringValue("logs-svc".into())));
    let records: Vec<_> = rl
        .scope_logs
        .iter()
        .flat_map(|sl| sl.log_records.iter().map(move |lr| (sl.scope.as_ref().map(|s| s.name.clone()), lr)))
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let (scope, failed) = records.iter().find(|(_, lr)| lr.severity_number == 17).expect("the ERROR record");
    assert_eq!(scope.as_deref(), Some("shop::db"));
    assert_eq!(failed.severity_text, "ERROR");
    assert_eq!(failed.body.as_ref().unwrap().value, Some(AnyValue::StringValue("query failed".into())));
    assert_eq!(failed.trace_id, trace_id);
    assert_eq!(failed.span_id, span_id);
    assert_eq!(failed.flags & 0xff, 1, "sampled flag");
    assert!(failed.time_unix_nano > 0);
    let attr = |k: &str| failed.attributes.iter().find(|kv| kv.key == k).and_then(|kv| kv.value.clone()?.value);
    assert_eq!(attr("db.system.name"), Some(AnyValue::StringValue("postgresql".into())));
    assert_eq!(attr("attempt"), Some(AnyValue::IntValue(2)));
    let (_, started) = records.iter().find(|(_, lr)| lr.severity_number == 9).expect("the INFO record");
    assert_eq!(started.severity_text, "INFO");
    assert!(started.trace_id.is_empty() && started.span_id.is_empty(), "no span context outside a span");
}
