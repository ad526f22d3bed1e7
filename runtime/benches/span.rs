//! Cost of one span: start + 4 attributes + end, through the woven prelude vs the
//! OpenTelemetry SDK directly vs `tracing` + `tracing-opentelemetry` vs `fastrace`, plus the
//! unsampled and disabled paths. Every sampled row uses a batch processor whose exporter
//! discards (fastrace: a reporter that discards). The "entered" pair also makes the span
//! current once, as woven fns do.
//!
//! `cargo bench -p otel-runtime --bench span -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group, criterion_main};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{DISABLED, ENABLED, SPANS_OFF, TraceSink, force_state, install};
use otel_runtime::config::Config;
use std::collections::HashMap;
use std::hint::black_box;

#[derive(Debug)]
struct Discard;

impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(black_box(batch));
        Ok(())
    }
}

struct DiscardReporter;

impl fastrace::collector::Reporter for DiscardReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        drop(black_box(spans));
    }
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[path = "common/one_call_span.rs"]
mod one_call;

fn prelude_span_one_call() {
    drop(one_call::one_call_span());
}

fn prelude_span() {
    let span = otel::Span::start(black_box("GET /users/{id}"), otel::SERVER);
    span.str("http.request.method", "GET");
    span.str("url.path", "/users/42");
    span.i64("http.response.status_code", 200);
    span.bool("cached", false);
    drop(span);
}

struct Headers;
impl otel::Extractor for Headers {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
    }
}

fn bench(c: &mut Criterion) {
    // The runtime: default sampler (parentbased_always_on), batch processor, discarding exporter.
    let config = Config::from_env_map(&env(&[("OTEL_METRICS_EXPORTER", "none")]), Some("bench"));
    install(
        || config,
        Some(TraceSink::Batch(Box::new(|| Box::new(Discard) as Box<dyn otel_runtime::__test::ErasedExporter>))),
    )
    .expect("runtime installed");

    let mut group = c.benchmark_group("one span");

    group.bench_function("cargo-otel prelude (sampled)", |b| b.iter(prelude_span));
    group.bench_function("cargo-otel prelude, one call (sampled)", |b| b.iter(prelude_span_one_call));

    // Same sampler as the runtime's default (for root spans it decides as `AlwaysOn`).
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .with_span_processor(BatchSpanProcessor::builder(Discard).build())
        .build();
    let tracer = provider.tracer("bench");
    group.bench_function("opentelemetry SDK direct (sampled)", |b| {
        b.iter(|| {
            let mut span = tracer.start(black_box("GET /users/{id}"));
            span.set_attribute(KeyValue::new("http.request.method", "GET"));
            span.set_attribute(KeyValue::new("url.path", "/users/42"));
            span.set_attribute(KeyValue::new("http.response.status_code", 200));
            span.set_attribute(KeyValue::new("cached", false));
            span.end();
        })
    });

    // What woven sync fns actually do: the span is current for the body (`SpanGuard`), so
    // application code can reach it; the SDK equivalent is `mark_span_as_active`.
    group.bench_function("cargo-otel prelude, entered (sampled)", |b| {
        b.iter(|| {
            let span = otel::Span::start(black_box("GET /users/{id}"), otel::SERVER);
            span.str("http.request.method", "GET");
            span.str("url.path", "/users/42");
            span.i64("http.response.status_code", 200);
            span.bool("cached", false);
            drop(black_box(otel::SpanGuard::new(span)));
        })
    });
    group.bench_function("cargo-otel prelude, one call, entered (sampled)", |b| {
        b.iter(|| drop(black_box(otel::SpanGuard::new(one_call::one_call_span()))))
    });
    // As a woven build runs it: rules/opentelemetry weaves the API's context doors, so the
    // attach stays on the runtime's stack until the API looks (nothing does here).
    otel_runtime::context::assume_doors_woven(true);
    group.bench_function("cargo-otel prelude, one call, entered on demand (sampled)", |b| {
        b.iter(|| drop(black_box(otel::SpanGuard::new(one_call::one_call_span()))))
    });
    otel_runtime::context::assume_doors_woven(false);
    group.bench_function("opentelemetry SDK direct, entered (sampled)", |b| {
        b.iter(|| {
            let mut span = tracer.start(black_box("GET /users/{id}"));
            span.set_attribute(KeyValue::new("http.request.method", "GET"));
            span.set_attribute(KeyValue::new("url.path", "/users/42"));
            span.set_attribute(KeyValue::new("http.response.status_code", 200));
            span.set_attribute(KeyValue::new("cached", false));
            drop(black_box(opentelemetry::trace::mark_span_as_active(span)));
        })
    });

    {
        use tracing_subscriber::prelude::*;
        let tprovider = SdkTracerProvider::builder()
            .with_sampler(Sampler::AlwaysOn)
            .with_span_processor(BatchSpanProcessor::builder(Discard).build())
            .build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tprovider.tracer("bench")));
        tracing::subscriber::with_default(subscriber, || {
            group.bench_function("tracing + tracing-opentelemetry (sampled)", |b| {
                b.iter(|| {
                    let span = tracing::info_span!(
                        "GET /users/{id}",
                        http.request.method = "GET",
                        url.path = "/users/42",
                        http.response.status_code = 200,
                        cached = false
                    );
                    drop(black_box(span));
                })
            });
        });
        let _ = tprovider.shutdown();
    }

    fastrace::set_reporter(DiscardReporter, fastrace::collector::Config::default());
    group.bench_function("fastrace 0.7 (sampled)", |b| {
        b.iter(|| {
            let span = fastrace::Span::root(black_box("GET /users/{id}"), fastrace::collector::SpanContext::random())
                .with_property(|| ("http.request.method", "GET"))
                .with_property(|| ("url.path", "/users/42"))
                .with_property(|| ("http.response.status_code", "200"))
                .with_property(|| ("cached", "false"));
            drop(span);
        })
    });

    // Unsampled: a parent-based sampler under an unsampled (remote) parent.
    {
        let parent = otel::extract(&Headers);
        let _entered = parent.attach();
        group.bench_function("cargo-otel prelude, unsampled parent (parentbased)", |b| b.iter(prelude_span));
    }

    force_state(SPANS_OFF);
    group.bench_function("cargo-otel prelude, always_off", |b| b.iter(prelude_span));
    force_state(DISABLED);
    group.bench_function("cargo-otel prelude, OTEL_SDK_DISABLED=true", |b| b.iter(prelude_span));
    force_state(ENABLED);

    group.finish();
    let _ = provider.shutdown();
}

criterion_group!(benches, bench);
criterion_main!(benches);
