//! service-a's `GET /hello`, instrumented by hand with the OpenTelemetry SDK the way a
//! careful user would write it (one axum middleware): the peer that `cargo otel`'s
//! sampled overhead is compared with in docs/benchmarks.md (`scripts/bench-http.sh`).
//!
//! Per request, as the woven service-a does at 100% sampling with no trace exporter: the
//! parent extracted from the headers (W3C trace context + baggage), a SERVER span with the
//! same semantic-convention attributes, current while the handler runs, renamed after the
//! matched route, and one `http.server.request.duration` record with the same attributes
//! (a meter provider whose reader discards). `HELLO_SDK_ADDR` sets the address
//! (default `127.0.0.1:0`); it prints `hello-sdk listening on <addr>`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, MeterProvider as _};
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{FutureExt, SpanKind, Status, TraceContextExt, Tracer as _, TracerProvider as _};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tokio::net::TcpListener;

/// A metric exporter that drops what it is given (the benchmark's rows export no metrics
/// either: they fail to reach a collector off the hot path).
#[derive(Debug)]
struct Discard;

impl PushMetricExporter for Discard {
    async fn export(&self, _: &ResourceMetrics) -> OTelSdkResult {
        Ok(())
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _: Duration) -> OTelSdkResult {
        Ok(())
    }
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

#[derive(Clone)]
struct Telemetry {
    tracer: SdkTracer,
    propagator: std::sync::Arc<TextMapCompositePropagator>,
    duration: Histogram<f64>,
}

async fn trace(telemetry: axum::extract::State<Telemetry>, req: Request, next: Next) -> Response {
    let parent = telemetry.propagator.extract(&HeaderExtractor(req.headers()));
    let method = req.method().as_str().to_owned();
    let version = match req.version() {
        http::Version::HTTP_2 => "2",
        http::Version::HTTP_10 => "1.0",
        _ => "1.1",
    };
    let mut attributes = vec![
        KeyValue::new("http.request.method", method.clone()),
        KeyValue::new("url.path", req.uri().path().to_owned()),
        KeyValue::new("url.scheme", "http"),
        KeyValue::new("network.protocol.version", version),
    ];
    if let Some(host) = req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()) {
        let (address, port) = host.rsplit_once(':').unwrap_or((host, ""));
        attributes.push(KeyValue::new("server.address", address.to_owned()));
        if let Ok(port) = port.parse::<i64>() {
            attributes.push(KeyValue::new("server.port", port));
        }
    }
    if let Some(agent) = req.headers().get(http::header::USER_AGENT).and_then(|h| h.to_str().ok()) {
        attributes.push(KeyValue::new("user_agent.original", agent.to_owned()));
    }
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned());
    let span = telemetry
        .tracer
        .span_builder(method.clone())
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&telemetry.tracer, &parent);
    let cx = parent.with_span(span);
    let started = Instant::now();
    let response = next.run(req).with_context(cx.clone()).await;
    let status = response.status().as_u16();
    let span = cx.span();
    if let Some(route) = &route {
        span.update_name(format!("{method} {route}"));
        span.set_attribute(KeyValue::new("http.route", route.clone()));
    }
    span.set_attribute(KeyValue::new("http.response.status_code", i64::from(status)));
    if status >= 500 {
        span.set_status(Status::error(status.to_string()));
    }
    span.end();
    let mut metric = vec![
        KeyValue::new("http.request.method", method),
        KeyValue::new("url.scheme", "http"),
        KeyValue::new("http.response.status_code", i64::from(status)),
        KeyValue::new("network.protocol.version", version),
    ];
    if let Some(route) = route {
        metric.push(KeyValue::new("http.route", route));
    }
    telemetry.duration.record(started.elapsed().as_secs_f64(), &metric);
    response
}

async fn hello() -> &'static str {
    "hello"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tracer_provider = SdkTracerProvider::builder().build();
    let meter_provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(Discard).build()).build();
    let telemetry = Telemetry {
        tracer: tracer_provider.tracer("hello-sdk"),
        propagator: std::sync::Arc::new(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ])),
        duration: meter_provider
            .meter("hello-sdk")
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_boundaries(vec![0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0])
            .build(),
    };
    let app = Router::new()
        .route("/hello", get(hello))
        .route_layer(middleware::from_fn_with_state(telemetry.clone(), trace))
        .with_state(telemetry);
    let addr = std::env::var("HELLO_SDK_ADDR").unwrap_or_else(|_| "127.0.0.1:0".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("hello-sdk listening on {}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
