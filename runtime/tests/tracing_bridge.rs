//! Feature `tracing`: `tracing` spans (through `tracing-opentelemetry`) and woven spans
//! share one tree, both ways. Run with `--features tracing` (`required-features` in
//! Cargo.toml; `.ci/run` tests with `--all-features`).

use opentelemetry::trace::SpanId;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{TraceSink, install};
use otel_runtime::config::Config;
use std::collections::HashMap;
use tracing_subscriber::prelude::*;

#[test]
fn tracing_spans_join_the_same_tree() {
    let exporter = InMemorySpanExporter::default();
    let env: HashMap<String, String> =
        [("OTEL_METRICS_EXPORTER", "none")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    install(
        || Config::from_env_map(&env, Some("tracing")),
        Some(TraceSink::Processor(Box::new(SimpleSpanProcessor::new(exporter.clone())))),
    )
    .unwrap();
    let subscriber = tracing_subscriber::registry().with(otel_runtime::tracing_bridge::layer());
    tracing::subscriber::with_default(subscriber, || {
        let outer = tracing::info_span!("t.outer");
        let _o = outer.enter();
        let ours = otel::SpanGuard::new(otel::Span::start("t.ours", otel::INTERNAL));
        {
            let inner = tracing::info_span!("t.inner");
            let _i = inner.enter();
        }
        drop(ours);
    });
    let spans = exporter.get_finished_spans().unwrap();
    let find = |n: &str| spans.iter().find(|s| s.name == n).unwrap_or_else(|| panic!("{n}"));
    let (outer, ours, inner) = (find("t.outer"), find("t.ours"), find("t.inner"));
    assert_eq!(outer.parent_span_id, SpanId::INVALID);
    assert_eq!(ours.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.parent_span_id, ours.span_context.span_id());
}
