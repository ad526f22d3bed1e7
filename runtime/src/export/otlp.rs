//! The OTLP/HTTP exporters: encoding, compression, retries and the accounting of every item.
//!
//! Requests are built with `opentelemetry-proto`'s types and sent as `http/protobuf` (prost)
//! or `http/json` (the same types' serde support, which follows the OTLP/JSON mapping: hex
//! trace and span ids, lowerCamelCase names, enums as integers, 64-bit integers as decimal
//! strings), gzip-compressed on request, over [`super::http::Transport`].
//!
//! Retries follow the OTLP/HTTP spec: 429, 502, 503 and 504 and failures without a response
//! (connection refused or reset, DNS, timeouts) are retried with exponential backoff and
//! jitter, a `Retry-After` in seconds is honoured, and the whole export, retries included,
//! stays within one export timeout. Any other answer is final: its items are dropped and
//! counted, never retried. A 2xx answer's `partial_success` is read and its rejected count
//! reported.
//!
//! Diagnostics go to stderr once per distinct cause, never through the application's logger,
//! and an export that lost data still returns `Ok`: the loss is counted here ([`ExportStats`],
//! reported at shutdown), and an `Err` would only make the SDK log the same loss again.

use super::http::{Response, SendError, Transport};
use super::tls;
use crate::config::{Compression, Config, OtlpProtocol, OtlpSignal};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_proto::transform::trace::tonic::group_spans_by_resource_and_scope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// First backoff step; doubled per retry up to [`MAX_BACKOFF`], with ±50 % jitter.
const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The signal an exporter carries (names its items in messages and counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    fn items(self) -> &'static str {
        match self {
            Signal::Traces => "spans",
            Signal::Metrics => "data points",
            Signal::Logs => "log records",
        }
    }

    /// `otel.sdk.exporter.<item>.exported` and the exporter's `otel.component.type`, as the
    /// SDK-metrics conventions name them.
    fn self_metric(self) -> (&'static str, &'static str) {
        match self {
            Signal::Traces => ("otel.sdk.exporter.span.exported", "otlp_http_span_exporter"),
            Signal::Metrics => ("otel.sdk.exporter.metric_data_point.exported", "otlp_http_metric_exporter"),
            Signal::Logs => ("otel.sdk.exporter.log.exported", "otlp_http_log_exporter"),
        }
    }
}

/// The exporters' own counters as the SDK-conventional `otel.sdk.exporter.*.exported`
/// observable counters (one per signal, `error.type` on the items that did not make it:
/// `rejected` by a partial success, `dropped` on a final answer, `failed` otherwise), read
/// from the same counts as the shutdown report when the metric reader collects.
pub fn register_self_metrics(meter: &opentelemetry::metrics::Meter) {
    use opentelemetry::KeyValue;
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        let (name, component) = signal.self_metric();
        let _ = meter
            .u64_observable_counter(name)
            .with_unit(match signal {
                Signal::Traces => "{span}",
                Signal::Metrics => "{data_point}",
                Signal::Logs => "{log_record}",
            })
            .with_description("The number of items for which the export has finished, either successful or failed")
            .with_callback(move |observer| {
                let registry = registry().lock().unwrap_or_else(|p| p.into_inner());
                for (i, (_, stats)) in registry.iter().filter(|(s, _)| *s == signal).enumerate() {
                    let s = stats.snapshot();
                    let base = [
                        KeyValue::new("otel.component.type", component),
                        KeyValue::new("otel.component.name", format!("{component}/{i}")),
                    ];
                    observer.observe(s.exported, &base);
                    for (error, n) in [("rejected", s.rejected), ("dropped", s.dropped), ("failed", s.failed)] {
                        if n > 0 {
                            let mut attrs = base.to_vec();
                            attrs.push(KeyValue::new("error.type", error));
                            observer.observe(n, &attrs);
                        }
                    }
                }
            })
            .build();
    }
}

/// What happened to the items handed to one exporter.
#[derive(Debug, Default)]
pub struct ExportStats {
    /// Accepted by the collector.
    pub exported: AtomicU64,
    /// Refused by the collector in a partial-success answer.
    pub rejected: AtomicU64,
    /// Answered with a non-retryable status (400, 401, 413, …): dropped, not retried.
    pub dropped: AtomicU64,
    /// No success within the export timeout (unreachable, TLS failure, retries exhausted).
    pub failed: AtomicU64,
    /// Requests sent again after a retryable answer.
    pub retries: AtomicU64,
}

/// A snapshot of [`ExportStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub exported: u64,
    pub rejected: u64,
    pub dropped: u64,
    pub failed: u64,
    pub retries: u64,
}

impl ExportStats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            exported: self.exported.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

type Registry = Mutex<Vec<(Signal, Arc<ExportStats>)>>;

/// Every exporter built in this process, for the shutdown report.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(Vec::new()))
}

/// One line per signal that lost data, for the shutdown report; empty when nothing was lost.
pub fn loss_report() -> Vec<String> {
    let registry = registry().lock().unwrap_or_else(|p| p.into_inner());
    registry
        .iter()
        .filter_map(|(signal, stats)| {
            let s = stats.snapshot();
            (s.rejected + s.dropped + s.failed > 0).then(|| {
                format!(
                    "otel-runtime: OTLP {}: {} exported, {} rejected by the collector, {} dropped \
                     (non-retryable answer), {} failed (not delivered within the export timeout)",
                    signal.items(),
                    s.exported,
                    s.rejected,
                    s.dropped,
                    s.failed
                )
            })
        })
        .collect()
}

/// Diagnostics printed once per distinct cause; the printed lines are kept (bounded) for tests.
#[derive(Debug, Default)]
struct Diagnostics {
    seen: Mutex<HashSet<String>>,
}

fn printed() -> &'static Mutex<Vec<String>> {
    static PRINTED: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    PRINTED.get_or_init(|| Mutex::new(Vec::new()))
}

/// The warnings the exporters printed so far (at most 64), oldest first.
pub fn warnings() -> Vec<String> {
    printed().lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl Diagnostics {
    fn warn_once(&self, cause: &str, message: impl FnOnce() -> String) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= 64 || !seen.insert(cause.to_owned()) {
            return;
        }
        let line = format!("otel-runtime: warning: {}", message());
        crate::diag::emit(crate::diag::Level::Warn, || line.clone());
        let mut printed = printed().lock().unwrap_or_else(|p| p.into_inner());
        if printed.len() < 64 {
            printed.push(line);
        }
    }
}

/// The signal-independent half: encode, compress, send, retry, account.
#[derive(Debug)]
struct Client {
    signal: Signal,
    transport: Transport,
    protocol: OtlpProtocol,
    compression: Compression,
    timeout: Duration,
    stats: Arc<ExportStats>,
    diagnostics: Diagnostics,
}

/// How one answer is handled.
enum Verdict {
    Done(Response),
    Retry { after: Option<Duration>, why: String },
    Drop { why: String },
    Fail { why: String },
}

/// What an OTLP request can be encoded as: protobuf, and with feature `json` the spec's JSON.
#[cfg(feature = "json")]
trait WireOut: prost::Message + serde::Serialize {}
#[cfg(feature = "json")]
impl<T: prost::Message + serde::Serialize> WireOut for T {}
#[cfg(not(feature = "json"))]
trait WireOut: prost::Message {}
#[cfg(not(feature = "json"))]
impl<T: prost::Message> WireOut for T {}

/// What an OTLP response can be decoded from.
#[cfg(feature = "json")]
trait WireIn: prost::Message + Default + serde::de::DeserializeOwned {}
#[cfg(feature = "json")]
impl<T: prost::Message + Default + serde::de::DeserializeOwned> WireIn for T {}
#[cfg(not(feature = "json"))]
trait WireIn: prost::Message + Default {}
#[cfg(not(feature = "json"))]
impl<T: prost::Message + Default> WireIn for T {}

impl Client {
    fn new(signal: Signal, config: &OtlpSignal, timeout: Duration) -> Client {
        let (endpoint, headers, t) = (config.endpoint.as_str(), config.headers.clone(), &config.transport);
        let (endpoint_owned, tls_config) = (endpoint.to_owned(), t.clone());
        let transport =
            Transport::new(endpoint, headers, Box::new(move || tls::client_config(&endpoint_owned, &tls_config)));
        let stats = Arc::new(ExportStats::default());
        registry().lock().unwrap_or_else(|p| p.into_inner()).push((signal, stats.clone()));
        let diagnostics = Diagnostics::default();
        let protocol = match t.protocol {
            OtlpProtocol::HttpJson if !cfg!(feature = "json") => {
                diagnostics.warn_once("protocol", || {
                    format!(
                        "otel-runtime: OTEL_EXPORTER_OTLP_PROTOCOL=http/json needs otel-runtime's `json` feature; exporting {} to {endpoint} as http/protobuf",
                        signal.items()
                    )
                });
                OtlpProtocol::HttpProtobuf
            }
            p => p,
        };
        Client { signal, transport, protocol, compression: t.compression, timeout, stats, diagnostics }
    }

    fn content_type(&self) -> &'static str {
        match self.protocol {
            OtlpProtocol::HttpProtobuf => "application/x-protobuf",
            OtlpProtocol::HttpJson => "application/json",
        }
    }

    /// Send an encoded request carrying `items` items; returns the 2xx response, if any.
    fn send(&self, body: Vec<u8>, items: u64) -> Option<Response> {
        let deadline = Instant::now() + self.timeout;
        let (body, encoding) = match self.compression {
            Compression::None => (body, None),
            Compression::Gzip => match gzip(&body) {
                Ok(compressed) => (compressed, Some("gzip")),
                Err(e) => {
                    self.fail(items, "gzip", format!("gzip compression failed: {e}"));
                    return None;
                }
            },
        };
        let url = self.transport.url().to_owned();
        let mut backoff = INITIAL_BACKOFF;
        loop {
            let verdict = match self.transport.post(self.content_type(), encoding, &body, deadline) {
                Ok(resp) => classify(resp),
                Err(SendError::Io(why) | SendError::Timeout(why)) => Verdict::Retry { after: None, why },
                Err(SendError::Tls(why)) => {
                    let hint = if why.contains("UnknownIssuer") {
                        " (if the collector uses a private CA, set OTEL_EXPORTER_OTLP_CERTIFICATE to its PEM file)"
                    } else {
                        ""
                    };
                    Verdict::Fail { why: format!("{why}{hint}") }
                }
                Err(SendError::Config(why)) => Verdict::Fail { why },
            };
            match verdict {
                Verdict::Done(resp) => return Some(resp),
                Verdict::Drop { why } => {
                    self.stats.dropped.fetch_add(items, Ordering::Relaxed);
                    let cause = format!("drop {why}");
                    self.diagnostics.warn_once(&cause, || {
                        format!(
                            "the collector at {url} answered {why}; {items} {} dropped (not retried: the \
                             OTLP spec makes this answer final)",
                            self.signal.items()
                        )
                    });
                    return None;
                }
                Verdict::Fail { why } => {
                    let cause = why.clone();
                    self.fail(items, &cause, why);
                    return None;
                }
                Verdict::Retry { after, why } => {
                    // Retry-After is the server's minimum; our own backoff is the floor.
                    let wait = after.unwrap_or_else(|| jitter(backoff));
                    if Instant::now() + wait >= deadline {
                        let cause = format!("timeout {}", why.split(':').next_back().unwrap_or_default());
                        self.fail(
                            items,
                            &cause,
                            format!("{why} (gave up: the export timeout of {:?} ran out)", self.timeout),
                        );
                        return None;
                    }
                    std::thread::sleep(wait);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn fail(&self, items: u64, cause: &str, why: String) {
        self.stats.failed.fetch_add(items, Ordering::Relaxed);
        self.diagnostics.warn_once(cause, || {
            let url = self.transport.url();
            // Transport errors name the endpoint themselves; say it once.
            let why = why.replace(&format!("{url}: "), "");
            format!("OTLP export to {url} failed: {why}; {items} {} not delivered", self.signal.items())
        });
    }

    /// Account for a delivered request whose partial success rejected `rejected` items.
    fn delivered(&self, items: u64, rejected: i64, message: &str) {
        let rejected = u64::try_from(rejected).unwrap_or(0).min(items);
        self.stats.exported.fetch_add(items - rejected, Ordering::Relaxed);
        if rejected > 0 || !message.is_empty() {
            self.stats.rejected.fetch_add(rejected, Ordering::Relaxed);
            self.diagnostics.warn_once("partial", || {
                format!(
                    "the collector at {} rejected {rejected} of {items} {}: {message:?} (further partial \
                     rejections are counted and reported at shutdown)",
                    self.transport.url(),
                    self.signal.items()
                )
            });
        }
    }

    /// Encode `request`, send it, and count the answer: delivered, or what its partial
    /// success (`rejected` counts and message, read by `partial`) rejected.
    fn export<Req: WireOut, Resp: WireIn>(
        &self,
        request: &Req,
        items: u64,
        partial: impl FnOnce(Resp) -> Option<(i64, String)>,
    ) {
        let body = match self.encode(request) {
            Ok(body) => body,
            Err(e) => return self.fail(items, "encode", format!("encoding failed: {e}")),
        };
        if let Some(resp) = self.send(body, items) {
            let (rejected, message) = self.decode::<Resp>(&resp).and_then(partial).unwrap_or_default();
            self.delivered(items, rejected, &message);
        }
    }

    fn encode<M: WireOut>(&self, request: &M) -> Result<Vec<u8>, String> {
        match self.protocol {
            #[cfg(feature = "json")]
            OtlpProtocol::HttpJson => serde_json::to_vec(request).map_err(|e| e.to_string()),
            _ => Ok(request.encode_to_vec()),
        }
    }

    /// Decode a 2xx body (empty means full success).
    fn decode<M: WireIn>(&self, resp: &Response) -> Option<M> {
        if resp.body.is_empty() {
            return None;
        }
        let json = resp.header("content-type").is_some_and(|v| v.contains("json"));
        #[cfg(feature = "json")]
        if json {
            return serde_json::from_slice(&resp.body).ok();
        }
        #[cfg(not(feature = "json"))]
        let _ = json;
        M::decode(resp.body.as_slice()).ok()
    }
}

fn classify(resp: Response) -> Verdict {
    let status = resp.status;
    let reason = || format!("HTTP {status}{}", body_hint(&resp.body));
    match status {
        200..=299 => Verdict::Done(resp),
        429 | 502 | 503 | 504 => {
            Verdict::Retry { after: resp.header("retry-after").and_then(retry_after), why: reason() }
        }
        _ => Verdict::Drop { why: reason() },
    }
}

/// A short printable excerpt of an error body (collectors put the reason there).
fn body_hint(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    if text.trim().is_empty() { String::new() } else { format!(" ({})", text.trim()) }
}

/// `Retry-After` in seconds. The HTTP-date form is rare from collectors and falls back to
/// exponential backoff.
fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// `base` scaled by a factor in [0.5, 1.5): clients that failed together do not retry together.
fn jitter(base: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    let per_mille = 500 + h.finish() % 1000;
    base * per_mille as u32 / 1000
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::default());
    encoder.write_all(body)?;
    encoder.finish()
}

/// The trace exporter.
#[derive(Debug)]
pub struct OtlpSpanExporter {
    client: Client,
    resource: ResourceAttributesWithSchema,
}

impl OtlpSpanExporter {
    pub fn new(config: &Config) -> OtlpSpanExporter {
        let timeout = config.traces.timeout.min(config.bsp.export_timeout);
        OtlpSpanExporter {
            client: Client::new(Signal::Traces, &config.traces, timeout),
            resource: ResourceAttributesWithSchema::default(),
        }
    }

    pub fn stats(&self) -> Arc<ExportStats> {
        self.client.stats.clone()
    }
}

impl SpanExporter for OtlpSpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let items = batch.len() as u64;
        let request =
            ExportTraceServiceRequest { resource_spans: group_spans_by_resource_and_scope(batch, &self.resource) };
        self.client.export(&request, items, |r: ExportTraceServiceResponse| {
            r.partial_success.map(|p| (p.rejected_spans, p.error_message))
        });
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.into();
    }
}

/// The metric exporter (cumulative temporality, the OTLP default).
#[derive(Debug)]
pub struct OtlpMetricExporter {
    client: Client,
}

impl OtlpMetricExporter {
    pub fn new(config: &Config) -> OtlpMetricExporter {
        OtlpMetricExporter { client: Client::new(Signal::Metrics, &config.metrics, config.metrics.timeout) }
    }

    pub fn stats(&self) -> Arc<ExportStats> {
        self.client.stats.clone()
    }
}

fn data_points(request: &ExportMetricsServiceRequest) -> u64 {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    let mut n = 0;
    for rm in &request.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                n += match &m.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                } as u64;
            }
        }
    }
    n
}

impl PushMetricExporter for OtlpMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let mut request = ExportMetricsServiceRequest::from(metrics);
        crate::exemplars::attach(&mut request);
        let items = data_points(&request);
        self.client.export(&request, items, |r: ExportMetricsServiceResponse| {
            r.partial_success.map(|p| (p.rejected_data_points, p.error_message))
        });
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

/// The log record exporter.
#[derive(Debug)]
pub struct OtlpLogExporter {
    client: Client,
    resource: ResourceAttributesWithSchema,
}

impl OtlpLogExporter {
    pub fn new(config: &Config) -> OtlpLogExporter {
        let timeout = config.logs.timeout.min(config.blrp.export_timeout);
        OtlpLogExporter {
            client: Client::new(Signal::Logs, &config.logs, timeout),
            resource: ResourceAttributesWithSchema::default(),
        }
    }

    pub fn stats(&self) -> Arc<ExportStats> {
        self.client.stats.clone()
    }
}

impl LogExporter for OtlpLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let items = batch.iter().count() as u64;
        let request =
            ExportLogsServiceRequest { resource_logs: group_logs_by_resource_and_scope(&batch, &self.resource) };
        self.client.export(&request, items, |r: ExportLogsServiceResponse| {
            r.partial_success.map(|p| (p.rejected_log_records, p.error_message))
        });
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_per_the_otlp_spec() {
        let resp = |status, headers: &[(&str, &str)]| Response {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: b"slow down".to_vec(),
        };
        assert!(matches!(classify(resp(200, &[])), Verdict::Done(_)));
        assert!(matches!(classify(resp(202, &[])), Verdict::Done(_)));
        for status in [429, 502, 503, 504] {
            assert!(matches!(classify(resp(status, &[])), Verdict::Retry { after: None, .. }), "{status}");
        }
        let v = classify(resp(503, &[("Retry-After", "2")]));
        assert!(matches!(v, Verdict::Retry { after: Some(d), .. } if d == Duration::from_secs(2)));
        for status in [400, 401, 403, 404, 413, 500] {
            assert!(matches!(classify(resp(status, &[])), Verdict::Drop { .. }), "{status}");
        }
        match classify(resp(400, &[])) {
            Verdict::Drop { why } => assert_eq!(why, "HTTP 400 (slow down)"),
            _ => unreachable!(),
        }
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn jitter_stays_within_half_to_one_and_a_half() {
        for _ in 0..100 {
            let d = jitter(Duration::from_millis(1000));
            assert!(d >= Duration::from_millis(500) && d < Duration::from_millis(1500), "{d:?}");
        }
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"hello hello hello hello".repeat(100);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gzip(&body).unwrap().as_slice()).read_to_end(&mut out).unwrap();
        assert_eq!(out, body);
    }
}
