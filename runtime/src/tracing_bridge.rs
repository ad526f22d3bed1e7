//! `tracing` integration (feature `tracing`): a `tracing-opentelemetry` layer over the
//! runtime's tracer, so `tracing` spans join the same tree as woven spans.
//!
//! `tracing-opentelemetry` 0.34 reads its parent from `opentelemetry::Context::current()`
//! when a `tracing` span has no `tracing` parent, and attaches its context on enter, so the
//! nesting works both ways as long as the application adds this layer to its subscriber:
//!
//! ```ignore
//! use tracing_subscriber::prelude::*;
//! tracing_subscriber::registry().with(otel_runtime::tracing_bridge::layer()).init();
//! ```

use opentelemetry_sdk::trace::SdkTracer;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// A layer exporting `tracing` spans through the runtime's pipeline (a no-op tracer when
/// the SDK is disabled).
pub fn layer<S>() -> OpenTelemetryLayer<S, SdkTracer>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    let tracer = match crate::lifecycle::runtime() {
        Some(rt) => rt.tracer.clone(),
        None => {
            use opentelemetry::trace::TracerProvider as _;
            opentelemetry_sdk::trace::SdkTracerProvider::builder().build().tracer("disabled")
        }
    };
    tracing_opentelemetry::layer().with_tracer(tracer)
}
