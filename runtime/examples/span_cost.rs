//! Per-span CPU cost without the batch processor: the same span as `benches/span.rs`, but
//! every pipeline ends in a processor that discards synchronously, so there is no exporter
//! thread, no queue and no drops to make rows bimodal on a loaded machine. Prints the best
//! of 7 rounds of 1M spans per row; `AB_N` sets the span count (one round below 1M), and an
//! argument selects one row by its exact label. Deterministic comparison, as in
//! docs/benchmarks.md: instructions per span under callgrind, from the difference of two
//! runs (each row runs twice):
//!
//! ```text
//! cargo build --release -p otel-runtime --example span_cost
//! AB_N=10000 valgrind --tool=callgrind target/release/examples/span_cost "prelude sampled"
//! AB_N=30000 valgrind --tool=callgrind target/release/examples/span_cost "prelude sampled"
//! # (Ir(30000) - Ir(10000)) / 40000 = instructions per span
//! ```
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider, SpanData, SpanProcessor};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{ErasedExporter, TraceSink, dropped_spans, install};
use otel_runtime::config::Config;
use otel_runtime::export::batch::{Queued, Sink};
use std::hint::black_box;
use std::time::Instant;

#[derive(Debug)]
struct DiscardProcessor;
impl SpanProcessor for DiscardProcessor {
    fn on_start(&self, _: &mut opentelemetry_sdk::trace::Span, _: &opentelemetry::Context) {}
    fn on_end(&self, span: SpanData) {
        drop(black_box(span));
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}

#[derive(Debug)]
struct DiscardExporter;
impl opentelemetry_sdk::trace::SpanExporter for DiscardExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        drop(black_box(batch));
        Ok(())
    }
}

#[derive(Debug)]
struct DiscardSink;
impl Sink for DiscardSink {
    fn export(&self, batch: &mut [Queued], _scopes: &[opentelemetry::InstrumentationScope]) -> OTelSdkResult {
        for item in batch.iter() {
            if let Queued::Lean(rec) = item {
                black_box(rec.lock().attributes.len());
            }
        }
        Ok(())
    }
    fn shutdown(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The least a span can be and still be current in the API (its context, no recording): the
/// "api attach floor" row, what any tracer behind `opentelemetry::Context` pays to make a span
/// current and end it, whatever it records.
#[derive(Debug)]
struct Minimal(opentelemetry::trace::SpanContext);
impl opentelemetry::trace::Span for Minimal {
    fn add_event_with_timestamp<T: Into<std::borrow::Cow<'static, str>>>(
        &mut self,
        _: T,
        _: std::time::SystemTime,
        _: Vec<KeyValue>,
    ) {
    }
    fn span_context(&self) -> &opentelemetry::trace::SpanContext {
        &self.0
    }
    fn is_recording(&self) -> bool {
        true
    }
    fn set_attribute(&mut self, _: KeyValue) {}
    fn set_status(&mut self, _: opentelemetry::trace::Status) {}
    fn update_name<T: Into<std::borrow::Cow<'static, str>>>(&mut self, _: T) {}
    fn add_link(&mut self, _: opentelemetry::trace::SpanContext, _: Vec<KeyValue>) {}
    fn end_with_timestamp(&mut self, _: std::time::SystemTime) {}
}

#[path = "../benches/common/one_call_span.rs"]
mod one_call;
use one_call::one_call_span;

/// Whether the row filter (the first argument) selects `label`.
fn selected(label: &str) -> bool {
    std::env::args().nth(1).is_none_or(|filter| label.trim() == filter)
}

fn time(label: &str, f: &mut dyn FnMut()) {
    if !selected(label) {
        return;
    }
    let n: u32 = std::env::var("AB_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let rounds = if n < 1_000_000 { 1 } else { 7 };
    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / n as f64);
    }
    println!("{label:40} {best:8.1} ns");
}

struct Headers;
impl otel::Extractor for Headers {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
    }
}

fn main() {
    let env: std::collections::HashMap<String, String> =
        // A queue that holds a whole measured run: nothing is dropped, every span is exported.
        [("OTEL_METRICS_EXPORTER", "none"), ("OTEL_BSP_MAX_QUEUE_SIZE", "131072")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            // `OTEL_SDK_DISABLED=true span_cost ROW`: the same rows on the disabled path.
            .chain(std::env::var("OTEL_SDK_DISABLED").ok().map(|v| ("OTEL_SDK_DISABLED".to_string(), v)))
            .collect();
    let config = Config::from_env_map(&env, Some("bench"));
    // Woven spans end in a sink that reads each record and discards it (no encoding, as the
    // SDK rows do not encode either), called on the ending thread so callgrind counts are
    // deterministic. `SPAN_COST_SINK=queue`: the production path, the export queue and its
    // thread in front of the same sink (counts then vary with how valgrind schedules the
    // two threads); `processor`: a synchronous processor handed a `SpanData` per span, like
    // the SDK rows' processor; `sdk-exporter`: the queue in front of an SDK exporter.
    let sink = match std::env::var("SPAN_COST_SINK").as_deref() {
        Ok("processor") => TraceSink::Processor(Box::new(DiscardProcessor)),
        Ok("sdk-exporter") => TraceSink::Batch(Box::new(|| Box::new(DiscardExporter) as Box<dyn ErasedExporter>)),
        Ok("queue") => TraceSink::Records(Box::new(DiscardSink)),
        _ => TraceSink::RecordsDirect(Box::new(DiscardSink)),
    };
    let disabled = config.disabled;
    // Disabled, there is no runtime to install (every entry point returns at its first test).
    assert!(install(|| config, Some(sink)).is_some() || disabled, "the runtime did not start");
    let provider = SdkTracerProvider::builder()
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)))
        .with_span_processor(DiscardProcessor)
        .build();
    let tracer = provider.tracer("bench");
    for _ in 0..2 {
        time("prelude sampled", &mut || {
            let span = otel::Span::start(black_box("GET /users/{id}"), otel::SERVER);
            span.str("http.request.method", "GET");
            span.str("url.path", "/users/42");
            span.i64("http.response.status_code", 200);
            span.bool("cached", false);
            drop(span);
        });
        time("prelude sampled + enter", &mut || {
            let span = otel::Span::start(black_box("GET /users/{id}"), otel::SERVER);
            span.str("http.request.method", "GET");
            span.str("url.path", "/users/42");
            span.i64("http.response.status_code", 200);
            span.bool("cached", false);
            let _g = otel::SpanGuard::new(span);
        });
        time("prelude one call", &mut || {
            let span = one_call_span();
            drop(span);
        });
        time("advice scope", &mut || {
            // What the weaver puts around every advice call.
            static SCOPE: otel::Scope = otel::Scope::new("cargo-otel.bench");
            let _g = otel::ScopeGuard::enter(black_box(&SCOPE));
        });
        time("prelude one call + enter", &mut || {
            let span = one_call_span();
            let _g = otel::SpanGuard::new(span);
        });
        // As a woven build runs it (rules/opentelemetry weaves the API's context doors): the
        // attach stays on the runtime's stack, published only if the API looks (nothing does here).
        const ON_DEMAND: &str = "prelude one call + enter, on demand";
        if selected(ON_DEMAND) {
            otel_runtime::context::assume_doors_woven(true);
        }
        time(ON_DEMAND, &mut || {
            let span = one_call_span();
            let _g = otel::SpanGuard::new(span);
        });
        otel_runtime::context::assume_doors_woven(false);
        time("sdk direct", &mut || {
            let mut span = tracer.start(black_box("GET /users/{id}"));
            span.set_attribute(KeyValue::new("http.request.method", "GET"));
            span.set_attribute(KeyValue::new("url.path", "/users/42"));
            span.set_attribute(KeyValue::new("http.response.status_code", 200));
            span.set_attribute(KeyValue::new("cached", false));
            span.end();
        });
        time("sdk direct + enter", &mut || {
            let mut span = tracer.start(black_box("GET /users/{id}"));
            span.set_attribute(KeyValue::new("http.request.method", "GET"));
            span.set_attribute(KeyValue::new("url.path", "/users/42"));
            span.set_attribute(KeyValue::new("http.response.status_code", 200));
            span.set_attribute(KeyValue::new("cached", false));
            drop(black_box(opentelemetry::trace::mark_span_as_active(span)));
        });
        let minimal = opentelemetry::trace::SpanContext::new(
            opentelemetry::trace::TraceId::from(7u128),
            opentelemetry::trace::SpanId::from(9u64),
            opentelemetry::trace::TraceFlags::SAMPLED,
            false,
            opentelemetry::trace::TraceState::NONE,
        );
        time("api attach floor", &mut || {
            use opentelemetry::trace::TraceContextExt as _;
            let cx = opentelemetry::Context::current_with_span(Minimal(black_box(minimal.clone())));
            drop(black_box(cx.attach()));
        });
        let parent = otel::extract(&Headers);
        let e = parent.attach();
        time("prelude unsampled", &mut || {
            let span = otel::Span::start(black_box("GET /users/{id}"), otel::SERVER);
            span.str("http.request.method", "GET");
            span.str("url.path", "/users/42");
            span.i64("http.response.status_code", 200);
            span.bool("cached", false);
            drop(span);
        });
        time("prelude one call unsampled", &mut || {
            let span = one_call_span();
            drop(span);
        });
        drop(e);
    }
    // Export what is queued before exit (inside the measured run, as production would).
    otel_runtime::__test::shutdown();
    eprintln!("dropped by the queue: {}", dropped_spans());
}
