//! `tracing-bench N`: N requests of one span, five nested `#[instrument]` calls and two
//! events each, under a `tracing_subscriber::registry()` (plus the tracing-opentelemetry
//! layer with `--features handwired`). No OpenTelemetry code otherwise.

use tracing::{info, info_span, instrument};
use tracing_subscriber::prelude::*;

#[instrument]
fn parse(id: u64) -> u64 {
    id + 1
}

#[instrument]
fn authorize(user: u64) -> bool {
    user % 7 != 0
}

#[instrument(skip(items))]
fn price(items: &[u64]) -> u64 {
    items.iter().sum()
}

#[instrument]
fn reserve(id: u64, qty: u64) -> u64 {
    info!(qty, "reserved");
    id * qty
}

#[instrument]
fn render(total: u64) -> usize {
    total.to_string().len()
}

fn request(id: u64) -> usize {
    let span = info_span!("request", id);
    let _entered = span.enter();
    let id = parse(id);
    if !authorize(id) {
        info!("denied");
    }
    let total = price(&[id, 2, 3]);
    render(reserve(id, total))
}

#[cfg(feature = "handwired")]
fn install() {
    use opentelemetry::trace::TracerProvider as _;
    // Sampled, recorded and dropped at the end: the woven run's OTEL_TRACES_EXPORTER=none.
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("tracing-bench"));
    tracing_subscriber::registry().with(layer).init();
    std::mem::forget(provider);
}

#[cfg(not(feature = "handwired"))]
fn install() {
    tracing_subscriber::registry().init();
}

fn main() {
    install();
    let n: u64 = std::env::args().nth(1).and_then(|v| v.parse().ok()).unwrap_or(1000);
    let mut out = 0;
    for i in 0..n {
        out += request(i);
    }
    std::hint::black_box(out);
}
