//! Configuration from the standard `OTEL_*` environment.
//!
//! [`Config::from_env_map`] is a pure function over a map of variables, so every variable and
//! every invalid value is unit-tested without touching the process environment. An invalid
//! value produces exactly one warning (naming the variable, the bad value and the default
//! used) in [`Config::warnings`] and the spec default; parsing never fails or panics.
//! [`Config::from_env`] reads the process environment and prints the warnings on stderr.
//!
//! | variable | values | default |
//! |---|---|---|
//! | `OTEL_SDK_DISABLED` | `true`/`false` | `false` |
//! | `OTEL_SERVICE_NAME` | any | the executable's file name |
//! | `OTEL_RESOURCE_ATTRIBUTES` | `k=v,k2=v2` (percent-decoded) | none |
//! | `OTEL_TRACES_SAMPLER` | `always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` | `parentbased_always_on` |
//! | `OTEL_TRACES_SAMPLER_ARG` | ratio in `[0, 1]` | `1.0` |
//! | `OTEL_PROPAGATORS` | `tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, `none` | `tracecontext,baggage` |
//! | `OTEL_TRACES_EXPORTER` | `otlp`, `console`, `file`, `none` | `otlp` (`file` when `CARGO_OTEL_STORE` is set) |
//! | `OTEL_METRICS_EXPORTER` | `otlp`, `console`, `file`, `none` | `otlp` (`file` is accepted and means `none`: the store holds traces) |
//! | `OTEL_LOGS_EXPORTER` | `otlp`, `console`, `file`, `none` | `otlp` (`file` when `CARGO_OTEL_STORE` is set) |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | `http://host:port` or `https://host:port` | `http://localhost:4318` |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `_METRICS_ENDPOINT` / `_LOGS_ENDPOINT` | full URL | endpoint + `/v1/traces` / `/v1/metrics` / `/v1/logs` |
//! | `OTEL_EXPORTER_OTLP_HEADERS` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | `k=v,k2=v2` | none |
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | milliseconds | `10000` |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | `http/protobuf`, `http/json` (`grpc` warns and falls back, see docs/adr/0002) | `http/protobuf` |
//! | `OTEL_EXPORTER_OTLP_COMPRESSION` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | `gzip`, `none` | `none` |
//! | `OTEL_EXPORTER_OTLP_CERTIFICATE` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | PEM file of the CA(s) that verify the collector (replaces the system store) | the system trust store |
//! | `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `_CLIENT_KEY` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | PEM files for mTLS (both or neither) | none |
//! | `OTEL_EXPORTER_OTLP_INSECURE` (and `_TRACES_`/`_METRICS_`/`_LOGS_`) | `true`/`false`; gRPC-only in the spec, so no effect here (the scheme decides) | `false` |
//! | `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (else `OTEL_ATTRIBUTE_COUNT_LIMIT`) | count ≥ 0: attributes a span keeps (the rest are counted as dropped) | `128` |
//! | `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`) | characters ≥ 0: longer string values (and string array items) are truncated | none |
//! | `OTEL_SPAN_EVENT_COUNT_LIMIT` / `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT` | count ≥ 0: events a span keeps / attributes an event keeps | `128` / `128` |
//! | `OTEL_SPAN_LINK_COUNT_LIMIT` / `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT` | count ≥ 0, for links added through the `opentelemetry` API (to its own spans and to woven ones) | `128` / `128` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | ms | `5000` |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | count > 0 | `2048` |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | count > 0, ≤ queue size | `512` |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | ms | `30000` |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | ms > 0 | `60000` |
//! | `OTEL_METRICS_EXEMPLAR_FILTER` | `trace_based`, `always_on`, `always_off` | `trace_based` |
//! | `OTEL_BLRP_SCHEDULE_DELAY` / `_MAX_QUEUE_SIZE` / `_MAX_EXPORT_BATCH_SIZE` / `_EXPORT_TIMEOUT` | as `OTEL_BSP_*`, for log records | `1000` / `2048` / `512` / `30000` |
//! | `OTEL_RUST_INSTRUMENTATION_<PACK>_ENABLED` | `true`/`false` | `true` |
//! | `CARGO_OTEL_STORE` | directory of the local file store | `target/otel/traces` |
//! | `CARGO_OTEL_SHUTDOWN_TIMEOUT` | ms > 0: how long exit (or a SIGTERM/SIGINT) waits for the last export | `1000` |

use std::collections::HashMap;
use std::time::Duration;

/// How root and child spans are sampled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SamplerKind {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    ParentBasedAlwaysOn,
    ParentBasedAlwaysOff,
    ParentBasedTraceIdRatio(f64),
}

/// One propagation format of `OTEL_PROPAGATORS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropagatorKind {
    TraceContext,
    Baggage,
    B3,
    B3Multi,
    Jaeger,
}

/// Where a signal goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExporterKind {
    Otlp,
    Console,
    File,
    None,
}

/// The OTLP wire format of `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtlpProtocol {
    HttpProtobuf,
    HttpJson,
}

/// `OTEL_EXPORTER_OTLP_COMPRESSION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// How one signal's OTLP requests are encoded and secured (the per-signal variables
/// override the generic ones, field by field). Certificate paths are read by the exporter,
/// not here: this module never touches the file system.
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpTransport {
    pub protocol: OtlpProtocol,
    pub compression: Compression,
    /// CA bundle that replaces the system trust store.
    pub certificate: Option<String>,
    pub client_certificate: Option<String>,
    pub client_key: Option<String>,
    /// Parsed for completeness; the spec gives it meaning only for gRPC.
    pub insecure: bool,
}

impl Default for OtlpTransport {
    fn default() -> Self {
        OtlpTransport {
            protocol: OtlpProtocol::HttpProtobuf,
            compression: Compression::None,
            certificate: None,
            client_certificate: None,
            client_key: None,
            insecure: false,
        }
    }
}

/// Where one signal's OTLP requests go and how (the `_TRACES_`/`_METRICS_`/`_LOGS_` forms
/// of each variable override the generic one).
#[derive(Clone, Debug, PartialEq)]
pub struct OtlpSignal {
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub transport: OtlpTransport,
}

/// A batch processor's settings (`OTEL_BSP_*` for spans, `OTEL_BLRP_*` for log records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchSettings {
    pub schedule_delay: Duration,
    pub max_queue_size: usize,
    pub max_export_batch_size: usize,
    pub export_timeout: Duration,
}

/// What one span keeps (`OTEL_SPAN_*_LIMIT`, falling back to `OTEL_ATTRIBUTE_*_LIMIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanLimits {
    pub attributes: usize,
    /// In characters; `None`: no limit.
    pub value_length: Option<usize>,
    pub events: usize,
    pub event_attributes: usize,
    pub links: usize,
    pub link_attributes: usize,
}

impl Default for SpanLimits {
    /// The spec's defaults.
    fn default() -> Self {
        SpanLimits {
            attributes: 128,
            value_length: None,
            events: 128,
            event_attributes: 128,
            links: 128,
            link_attributes: 128,
        }
    }
}

/// The signals, in the order of the per-signal arrays below.
const SIGNALS: [(&str, &str); 3] = [("TRACES", "/v1/traces"), ("METRICS", "/v1/metrics"), ("LOGS", "/v1/logs")];

/// The resolved configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub disabled: bool,
    pub service_name: String,
    /// `OTEL_RESOURCE_ATTRIBUTES`, in order (`service.name` from there is honoured when
    /// `OTEL_SERVICE_NAME` is unset).
    pub resource_attributes: Vec<(String, String)>,
    pub sampler: SamplerKind,
    pub propagators: Vec<PropagatorKind>,
    pub traces_exporter: ExporterKind,
    pub metrics_exporter: ExporterKind,
    pub logs_exporter: ExporterKind,
    pub traces: OtlpSignal,
    pub metrics: OtlpSignal,
    pub logs: OtlpSignal,
    /// `OTEL_BSP_*`: the span batch processor.
    pub bsp: BatchSettings,
    /// `OTEL_BLRP_*`: the log record batch processor.
    pub blrp: BatchSettings,
    pub metric_export_interval: Duration,
    pub exemplar_filter: crate::exemplars::Filter,
    /// Packs switched off by `OTEL_RUST_INSTRUMENTATION_<PACK>_ENABLED=false`, normalised
    /// (upper case, `-` → `_`).
    pub disabled_packs: Vec<String>,
    /// Directory of the local file store.
    pub store_dir: String,
    /// `OTEL_SPAN_*_LIMIT`.
    pub span_limits: SpanLimits,
    /// One line per invalid value; printed once on stderr by [`Config::from_env`].
    pub warnings: Vec<String>,
    /// `CARGO_OTEL_SHUTDOWN_TIMEOUT`: the most a normal stop waits for the last exports, so a
    /// CLI whose collector is down or stalled still exits promptly.
    pub shutdown_timeout: Duration,
}

const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
const DEFAULT_STORE: &str = "target/otel/traces";

struct Reader<'a> {
    env: &'a HashMap<String, String>,
    warnings: Vec<String>,
}

impl Reader<'_> {
    /// The trimmed value, `None` when unset or empty (the spec treats empty as unset).
    fn get(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn warn(&mut self, key: &str, value: &str, default: &str) {
        self.warnings.push(format!("otel-runtime: warning: invalid {key}={value:?}, using the default {default}"));
    }

    fn bool(&mut self, key: &str, default: bool) -> bool {
        let Some(raw) = self.get(key) else {
            return default;
        };
        match raw.to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => {
                let raw = raw.to_owned();
                self.warn(key, &raw, &default.to_string());
                default
            }
        }
    }

    /// A positive duration in milliseconds.
    fn millis(&mut self, key: &str, default_ms: u64) -> Duration {
        let Some(raw) = self.get(key) else {
            return Duration::from_millis(default_ms);
        };
        match raw.parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                let raw = raw.to_owned();
                self.warn(key, &raw, &format!("{default_ms} ms"));
                Duration::from_millis(default_ms)
            }
        }
    }

    /// A limit (`0` allowed: keep none); `None` when unset or invalid (with a warning).
    fn limit(&mut self, key: &str, default: &str) -> Option<usize> {
        let raw = self.get(key)?;
        match raw.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                let raw = raw.to_owned();
                self.warn(key, &raw, default);
                None
            }
        }
    }

    /// The span limits: each span-specific variable, else the general one, else the spec's default.
    fn span_limits(&mut self) -> SpanLimits {
        let d = SpanLimits::default();
        let mut either = |span: &str, general: Option<&str>, default: usize| {
            let shown = default.to_string();
            self.limit(span, &shown).or_else(|| general.and_then(|g| self.limit(g, &shown))).unwrap_or(default)
        };
        let attributes = either("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", Some("OTEL_ATTRIBUTE_COUNT_LIMIT"), d.attributes);
        let events = either("OTEL_SPAN_EVENT_COUNT_LIMIT", None, d.events);
        let event_attributes =
            either("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", Some("OTEL_ATTRIBUTE_COUNT_LIMIT"), d.event_attributes);
        let links = either("OTEL_SPAN_LINK_COUNT_LIMIT", None, d.links);
        let link_attributes =
            either("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", Some("OTEL_ATTRIBUTE_COUNT_LIMIT"), d.link_attributes);
        let value_length = self
            .limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "none")
            .or_else(|| self.limit("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "none"));
        SpanLimits { attributes, value_length, events, event_attributes, links, link_attributes }
    }

    fn count(&mut self, key: &str, default: usize) -> usize {
        let Some(raw) = self.get(key) else {
            return default;
        };
        match raw.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                let raw = raw.to_owned();
                self.warn(key, &raw, &default.to_string());
                default
            }
        }
    }

    fn exporter(&mut self, key: &str, default: ExporterKind) -> ExporterKind {
        let Some(raw) = self.get(key) else {
            return default;
        };
        match raw.to_ascii_lowercase().as_str() {
            "otlp" => ExporterKind::Otlp,
            "console" | "stdout" => ExporterKind::Console,
            "file" => ExporterKind::File,
            "none" => ExporterKind::None,
            _ => {
                let raw = raw.to_owned();
                self.warn(key, &raw, exporter_name(default));
                default
            }
        }
    }

    fn headers(&mut self, key: &str) -> Option<Vec<(String, String)>> {
        let raw = self.get(key)?.to_owned();
        let mut out = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() => out.push((percent_decode(k.trim()), percent_decode(v.trim()))),
                _ => {
                    self.warn(key, &raw, "no headers");
                    return Some(Vec::new());
                }
            }
        }
        Some(out)
    }
}

fn exporter_name(kind: ExporterKind) -> &'static str {
    match kind {
        ExporterKind::Otlp => "otlp",
        ExporterKind::Console => "console",
        ExporterKind::File => "file",
        ExporterKind::None => "none",
    }
}

/// Decode `%XX` escapes (W3C baggage / OTEL_RESOURCE_ATTRIBUTES); invalid escapes stay.
pub fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The env var switching instrumentation `pack` on or off.
pub fn pack_variable(pack: &str) -> String {
    format!("OTEL_RUST_INSTRUMENTATION_{}_ENABLED", normalize_pack(pack))
}

/// `tokio-postgres` → `TOKIO_POSTGRES`.
pub fn normalize_pack(pack: &str) -> String {
    pack.chars().map(|c| if c == '-' || c == '.' { '_' } else { c.to_ascii_uppercase() }).collect()
}

impl Config {
    /// Read the process environment; print each warning once on stderr.
    pub fn from_env() -> Config {
        let env: HashMap<String, String> =
            std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
        let exe = std::env::current_exe().ok().and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()));
        let config = Config::from_env_map(&env, exe.as_deref());
        for warning in &config.warnings {
            crate::diag::emit(crate::diag::Level::Warn, || warning.clone());
        }
        config
    }

    /// Resolve the configuration from `env`; `exe_name` is the default service name.
    pub fn from_env_map(env: &HashMap<String, String>, exe_name: Option<&str>) -> Config {
        let mut r = Reader { env, warnings: Vec::new() };
        let disabled = r.bool("OTEL_SDK_DISABLED", false);

        let mut resource_attributes = Vec::new();
        if let Some(raw) = r.get("OTEL_RESOURCE_ATTRIBUTES").map(str::to_owned) {
            let mut bad = false;
            let mut parsed = Vec::new();
            for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, v)) if !k.trim().is_empty() => {
                        parsed.push((percent_decode(k.trim()), percent_decode(v.trim())))
                    }
                    _ => bad = true,
                }
            }
            if bad {
                r.warn("OTEL_RESOURCE_ATTRIBUTES", &raw, "no resource attributes");
            } else {
                resource_attributes = parsed;
            }
        }
        let service_name = r
            .get("OTEL_SERVICE_NAME")
            .map(str::to_owned)
            .or_else(|| resource_attributes.iter().find(|(k, _)| k == "service.name").map(|(_, v)| v.clone()))
            .or_else(|| exe_name.map(str::to_owned))
            .unwrap_or_else(|| "unknown_service".to_owned());

        let sampler = parse_sampler(&mut r);
        let propagators = parse_propagators(&mut r);

        let store_default = if r.get("CARGO_OTEL_STORE").is_some() { ExporterKind::File } else { ExporterKind::Otlp };
        let traces_exporter = r.exporter("OTEL_TRACES_EXPORTER", store_default);
        let metrics_exporter = r.exporter("OTEL_METRICS_EXPORTER", ExporterKind::Otlp);
        let logs_exporter = r.exporter("OTEL_LOGS_EXPORTER", store_default);

        let [traces, metrics, logs] = parse_otlp_signals(&mut r);

        let bsp = parse_batch(&mut r, "OTEL_BSP", 5_000);
        let blrp = parse_batch(&mut r, "OTEL_BLRP", 1_000);
        let metric_export_interval = r.millis("OTEL_METRIC_EXPORT_INTERVAL", 60_000);
        let exemplar_filter = parse_exemplar_filter(&mut r);

        let mut disabled_packs = Vec::new();
        let mut keys: Vec<&String> = env.keys().collect();
        keys.sort();
        for key in keys {
            if let Some(pack) = key
                .strip_prefix("OTEL_RUST_INSTRUMENTATION_")
                .and_then(|k| k.strip_suffix("_ENABLED"))
                .filter(|p| !p.is_empty())
                && !r.bool(key, true)
            {
                disabled_packs.push(pack.to_owned());
            }
        }

        let store_dir = r.get("CARGO_OTEL_STORE").unwrap_or(DEFAULT_STORE).to_owned();
        let shutdown_timeout = r.millis("CARGO_OTEL_SHUTDOWN_TIMEOUT", 1_000);
        let span_limits = r.span_limits();

        Config {
            disabled,
            service_name,
            resource_attributes,
            sampler,
            propagators,
            traces_exporter,
            metrics_exporter,
            logs_exporter,
            traces,
            metrics,
            logs,
            bsp,
            blrp,
            metric_export_interval,
            exemplar_filter,
            disabled_packs,
            store_dir,
            span_limits,
            warnings: r.warnings,
            shutdown_timeout,
        }
    }

    /// Is instrumentation `pack` switched on?
    /// No pack is switched off (no `OTEL_RUST_INSTRUMENTATION_<PACK>_ENABLED=false`).
    pub fn all_packs_enabled(&self) -> bool {
        self.disabled_packs.is_empty()
    }

    pub fn pack_enabled(&self, pack: &str) -> bool {
        if self.disabled_packs.is_empty() {
            return true;
        }
        let name = normalize_pack(pack);
        !self.disabled_packs.contains(&name)
    }
}

/// The generic `OTEL_EXPORTER_OTLP_<NAME>` value, then each signal's override of it. Each
/// variable is parsed (and warned about) once, even when every signal inherits it.
fn per_signal<T: Clone>(
    r: &mut Reader<'_>,
    name: &str,
    default: T,
    parse: impl Fn(&mut Reader<'_>, &str, &str, &T) -> T,
) -> [T; 3] {
    let generic_key = format!("OTEL_EXPORTER_OTLP_{name}");
    let generic = match r.get(&generic_key).map(str::to_owned) {
        Some(raw) => parse(r, &generic_key, &raw, &default),
        None => default,
    };
    SIGNALS.map(|(sig, _)| {
        let key = format!("OTEL_EXPORTER_OTLP_{sig}_{name}");
        match r.get(&key).map(str::to_owned) {
            Some(raw) => parse(r, &key, &raw, &generic),
            None => generic.clone(),
        }
    })
}

/// Endpoint, headers, timeout and transport of each signal (traces, metrics, logs).
fn parse_otlp_signals(r: &mut Reader<'_>) -> [OtlpSignal; 3] {
    let base = r.get("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or(DEFAULT_ENDPOINT).trim_end_matches('/').to_owned();
    let endpoints = SIGNALS.map(|(sig, path)| match r.get(&format!("OTEL_EXPORTER_OTLP_{sig}_ENDPOINT")) {
        Some(url) => url.to_owned(),
        None => format!("{base}{path}"),
    });
    let headers = per_signal(r, "HEADERS", Vec::new(), |r, key, _, default| r.headers(key).unwrap_or(default.clone()));
    let timeouts = per_signal(r, "TIMEOUT", Duration::from_secs(10), |r, key, _, default| {
        r.millis(key, default.as_millis() as u64)
    });
    let mut transports = parse_otlp_transports(r).into_iter();
    let mut headers = headers.into_iter();
    let mut timeouts = timeouts.into_iter();
    endpoints.map(|endpoint| OtlpSignal {
        endpoint,
        headers: headers.next().unwrap_or_default(),
        timeout: timeouts.next().unwrap_or(Duration::from_secs(10)),
        transport: transports.next().unwrap_or_default(),
    })
}

/// `<prefix>_SCHEDULE_DELAY`, `_MAX_QUEUE_SIZE`, `_MAX_EXPORT_BATCH_SIZE` (at most the queue
/// size) and `_EXPORT_TIMEOUT`.
fn parse_batch(r: &mut Reader<'_>, prefix: &str, default_delay_ms: u64) -> BatchSettings {
    let schedule_delay = r.millis(&format!("{prefix}_SCHEDULE_DELAY"), default_delay_ms);
    let max_queue_size = r.count(&format!("{prefix}_MAX_QUEUE_SIZE"), 2048);
    let batch_key = format!("{prefix}_MAX_EXPORT_BATCH_SIZE");
    let mut max_export_batch_size = r.count(&batch_key, 512);
    if max_export_batch_size > max_queue_size {
        let raw = max_export_batch_size.to_string();
        let default = 512.min(max_queue_size);
        r.warn(&batch_key, &raw, &format!("{default} (it may not exceed {prefix}_MAX_QUEUE_SIZE)"));
        max_export_batch_size = default;
    }
    let export_timeout = r.millis(&format!("{prefix}_EXPORT_TIMEOUT"), 30_000);
    BatchSettings { schedule_delay, max_queue_size, max_export_batch_size, export_timeout }
}

fn protocol_name(p: OtlpProtocol) -> &'static str {
    match p {
        OtlpProtocol::HttpProtobuf => "http/protobuf",
        OtlpProtocol::HttpJson => "http/json",
    }
}

fn parse_otlp_transports(r: &mut Reader<'_>) -> [OtlpTransport; 3] {
    let protocols = per_signal(r, "PROTOCOL", OtlpProtocol::HttpProtobuf, |r, key, raw, default| match raw {
        "http/protobuf" => OtlpProtocol::HttpProtobuf,
        "http/json" => OtlpProtocol::HttpJson,
        "grpc" => {
            // gRPC needs HTTP/2, and the only Rust HTTP/2 stacks (h2, hyper, tonic) are
            // woven: docs/adr/0002-otlp-grpc-refused.md.
            r.warnings.push(format!(
                "otel-runtime: warning: {key}=\"grpc\" is not supported by this runtime (gRPC would \
                 need h2/hyper/tokio, which cargo-otel instruments); using http/protobuf instead. \
                 Fix: set {key}=http/protobuf and point the endpoint at the collector's OTLP/HTTP \
                 port (usually 4318, not gRPC's 4317)"
            ));
            OtlpProtocol::HttpProtobuf
        }
        _ => {
            r.warn(key, raw, protocol_name(*default));
            *default
        }
    });
    let compressions = per_signal(r, "COMPRESSION", Compression::None, |r, key, raw, default| {
        match raw.to_ascii_lowercase().as_str() {
            "gzip" => Compression::Gzip,
            "none" => Compression::None,
            _ => {
                r.warn(key, raw, if *default == Compression::Gzip { "gzip" } else { "none" });
                *default
            }
        }
    });
    let path = |_: &mut Reader<'_>, _: &str, raw: &str, _: &Option<String>| Some(raw.to_owned());
    let cas = per_signal(r, "CERTIFICATE", None, path);
    let certs = per_signal(r, "CLIENT_CERTIFICATE", None, path);
    let keys = per_signal(r, "CLIENT_KEY", None, path);
    let insecure = per_signal(r, "INSECURE", false, |r, key, _, default| r.bool(key, *default));
    std::array::from_fn(|i| OtlpTransport {
        protocol: protocols[i],
        compression: compressions[i],
        certificate: cas[i].clone(),
        client_certificate: certs[i].clone(),
        client_key: keys[i].clone(),
        insecure: insecure[i],
    })
}

fn parse_exemplar_filter(r: &mut Reader<'_>) -> crate::exemplars::Filter {
    use crate::exemplars::Filter;
    let Some(raw) = r.get("OTEL_METRICS_EXEMPLAR_FILTER").map(str::to_owned) else {
        return Filter::TraceBased;
    };
    match raw.to_ascii_lowercase().as_str() {
        "trace_based" => Filter::TraceBased,
        "always_on" => Filter::AlwaysOn,
        "always_off" => Filter::AlwaysOff,
        _ => {
            r.warn("OTEL_METRICS_EXEMPLAR_FILTER", &raw, "trace_based");
            Filter::TraceBased
        }
    }
}

fn parse_ratio(r: &mut Reader<'_>) -> f64 {
    let Some(raw) = r.get("OTEL_TRACES_SAMPLER_ARG").map(str::to_owned) else {
        return 1.0;
    };
    match raw.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => v,
        _ => {
            r.warn("OTEL_TRACES_SAMPLER_ARG", &raw, "1.0");
            1.0
        }
    }
}

fn parse_sampler(r: &mut Reader<'_>) -> SamplerKind {
    let Some(raw) = r.get("OTEL_TRACES_SAMPLER").map(str::to_owned) else {
        return SamplerKind::ParentBasedAlwaysOn;
    };
    match raw.to_ascii_lowercase().as_str() {
        "always_on" => SamplerKind::AlwaysOn,
        "always_off" => SamplerKind::AlwaysOff,
        "traceidratio" => SamplerKind::TraceIdRatio(parse_ratio(r)),
        "parentbased_always_on" => SamplerKind::ParentBasedAlwaysOn,
        "parentbased_always_off" => SamplerKind::ParentBasedAlwaysOff,
        "parentbased_traceidratio" => SamplerKind::ParentBasedTraceIdRatio(parse_ratio(r)),
        _ => {
            r.warn("OTEL_TRACES_SAMPLER", &raw, "parentbased_always_on");
            SamplerKind::ParentBasedAlwaysOn
        }
    }
}

fn parse_propagators(r: &mut Reader<'_>) -> Vec<PropagatorKind> {
    let default = vec![PropagatorKind::TraceContext, PropagatorKind::Baggage];
    let Some(raw) = r.get("OTEL_PROPAGATORS").map(str::to_owned) else {
        return default;
    };
    let mut out = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = match name.to_ascii_lowercase().as_str() {
            "tracecontext" => PropagatorKind::TraceContext,
            "baggage" => PropagatorKind::Baggage,
            "b3" => PropagatorKind::B3,
            "b3multi" => PropagatorKind::B3Multi,
            "jaeger" => PropagatorKind::Jaeger,
            "none" => continue,
            _ => {
                r.warn("OTEL_PROPAGATORS", &raw, "tracecontext,baggage");
                return default;
            }
        };
        if !out.contains(&kind) {
            out.push(kind);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        let env = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_env_map(&env, Some("my-exe"))
    }

    fn one_warning(c: &Config, var: &str, bad: &str) {
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains(var), "{:?}", c.warnings);
        assert!(c.warnings[0].contains(bad), "{:?}", c.warnings);
        assert!(c.warnings[0].contains("default"), "{:?}", c.warnings);
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]);
        assert!(!c.disabled);
        assert_eq!(c.service_name, "my-exe");
        assert_eq!(c.sampler, SamplerKind::ParentBasedAlwaysOn);
        assert_eq!(c.propagators, vec![PropagatorKind::TraceContext, PropagatorKind::Baggage]);
        assert_eq!(c.traces_exporter, ExporterKind::Otlp);
        assert_eq!(c.metrics_exporter, ExporterKind::Otlp);
        assert_eq!(c.traces.endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(c.metrics.endpoint, "http://localhost:4318/v1/metrics");
        assert_eq!(c.traces.timeout, Duration::from_secs(10));
        assert_eq!(c.bsp.max_queue_size, 2048);
        assert_eq!(c.bsp.max_export_batch_size, 512);
        assert_eq!(c.bsp.schedule_delay, Duration::from_secs(5));
        assert_eq!(c.bsp.export_timeout, Duration::from_secs(30));
        assert_eq!(c.metric_export_interval, Duration::from_secs(60));
        assert_eq!(c.store_dir, "target/otel/traces");
        assert!(c.warnings.is_empty());
        let c = Config::from_env_map(&HashMap::new(), None);
        assert_eq!(c.service_name, "unknown_service");
    }

    #[test]
    fn sdk_disabled() {
        assert!(cfg(&[("OTEL_SDK_DISABLED", "true")]).disabled);
        assert!(cfg(&[("OTEL_SDK_DISABLED", "TRUE")]).disabled);
        assert!(!cfg(&[("OTEL_SDK_DISABLED", "false")]).disabled);
        let c = cfg(&[("OTEL_SDK_DISABLED", "yes")]);
        assert!(!c.disabled);
        one_warning(&c, "OTEL_SDK_DISABLED", "yes");
    }

    #[test]
    fn service_name_and_resource() {
        let c = cfg(&[("OTEL_SERVICE_NAME", "svc"), ("OTEL_RESOURCE_ATTRIBUTES", "a=1, b=x%20y")]);
        assert_eq!(c.service_name, "svc");
        assert_eq!(c.resource_attributes, vec![("a".into(), "1".into()), ("b".into(), "x y".into())]);
        let c = cfg(&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-res")]);
        assert_eq!(c.service_name, "from-res");
        let c = cfg(&[("OTEL_RESOURCE_ATTRIBUTES", "novalue")]);
        assert!(c.resource_attributes.is_empty());
        one_warning(&c, "OTEL_RESOURCE_ATTRIBUTES", "novalue");
    }

    #[test]
    fn samplers() {
        let s = |v: &str, a: Option<&str>| {
            let mut pairs = vec![("OTEL_TRACES_SAMPLER", v)];
            if let Some(a) = a {
                pairs.push(("OTEL_TRACES_SAMPLER_ARG", a));
            }
            cfg(&pairs)
        };
        assert_eq!(s("always_on", None).sampler, SamplerKind::AlwaysOn);
        assert_eq!(s("always_off", None).sampler, SamplerKind::AlwaysOff);
        assert_eq!(s("traceidratio", Some("0.25")).sampler, SamplerKind::TraceIdRatio(0.25));
        assert_eq!(s("traceidratio", None).sampler, SamplerKind::TraceIdRatio(1.0));
        assert_eq!(s("parentbased_always_off", None).sampler, SamplerKind::ParentBasedAlwaysOff);
        assert_eq!(s("parentbased_traceidratio", Some("0.5")).sampler, SamplerKind::ParentBasedTraceIdRatio(0.5));
        let c = s("sometimes", None);
        assert_eq!(c.sampler, SamplerKind::ParentBasedAlwaysOn);
        one_warning(&c, "OTEL_TRACES_SAMPLER", "sometimes");
        let c = s("traceidratio", Some("1.5"));
        assert_eq!(c.sampler, SamplerKind::TraceIdRatio(1.0));
        one_warning(&c, "OTEL_TRACES_SAMPLER_ARG", "1.5");
        let c = s("traceidratio", Some("abc"));
        one_warning(&c, "OTEL_TRACES_SAMPLER_ARG", "abc");
    }

    #[test]
    fn propagators() {
        use PropagatorKind::*;
        let p = |v: &str| cfg(&[("OTEL_PROPAGATORS", v)]);
        assert_eq!(p("b3").propagators, vec![B3]);
        assert_eq!(p("tracecontext, b3multi,jaeger").propagators, vec![TraceContext, B3Multi, Jaeger]);
        assert!(p("none").propagators.is_empty());
        let c = p("tracecontext,xray");
        assert_eq!(c.propagators, vec![TraceContext, Baggage]);
        one_warning(&c, "OTEL_PROPAGATORS", "xray");
    }

    #[test]
    fn exporters() {
        let c = cfg(&[("OTEL_TRACES_EXPORTER", "console"), ("OTEL_METRICS_EXPORTER", "none")]);
        assert_eq!(c.traces_exporter, ExporterKind::Console);
        assert_eq!(c.metrics_exporter, ExporterKind::None);
        let c = cfg(&[("OTEL_TRACES_EXPORTER", "zipkin")]);
        assert_eq!(c.traces_exporter, ExporterKind::Otlp);
        one_warning(&c, "OTEL_TRACES_EXPORTER", "zipkin");
        let c = cfg(&[("OTEL_METRICS_EXPORTER", "prometheus")]);
        one_warning(&c, "OTEL_METRICS_EXPORTER", "prometheus");
    }

    #[test]
    fn cargo_otel_store_defaults_traces_to_file() {
        let c = cfg(&[("CARGO_OTEL_STORE", "/tmp/store")]);
        assert_eq!(c.traces_exporter, ExporterKind::File);
        assert_eq!(c.store_dir, "/tmp/store");
        let c = cfg(&[("CARGO_OTEL_STORE", "/tmp/store"), ("OTEL_TRACES_EXPORTER", "otlp")]);
        assert_eq!(c.traces_exporter, ExporterKind::Otlp);
    }

    #[test]
    fn exemplar_filter() {
        use crate::exemplars::Filter;
        assert_eq!(cfg(&[]).exemplar_filter, Filter::TraceBased);
        assert_eq!(cfg(&[("OTEL_METRICS_EXEMPLAR_FILTER", "always_on")]).exemplar_filter, Filter::AlwaysOn);
        assert_eq!(cfg(&[("OTEL_METRICS_EXEMPLAR_FILTER", "always_off")]).exemplar_filter, Filter::AlwaysOff);
        let c = cfg(&[("OTEL_METRICS_EXEMPLAR_FILTER", "sometimes")]);
        assert_eq!(c.exemplar_filter, Filter::TraceBased);
        one_warning(&c, "OTEL_METRICS_EXEMPLAR_FILTER", "sometimes");
    }

    #[test]
    fn logs_signal() {
        let c = cfg(&[]);
        assert_eq!(c.logs_exporter, ExporterKind::Otlp);
        assert_eq!(c.logs.endpoint, "http://localhost:4318/v1/logs");
        assert_eq!(c.blrp.schedule_delay, Duration::from_secs(1));
        assert_eq!(c.blrp.max_queue_size, 2048);
        assert_eq!(cfg(&[("CARGO_OTEL_STORE", "/tmp/s")]).logs_exporter, ExporterKind::File);
        let c = cfg(&[
            ("OTEL_LOGS_EXPORTER", "console"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"),
            ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "k=v"),
            ("OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "300"),
            ("OTEL_BLRP_MAX_QUEUE_SIZE", "10"),
            ("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "20"),
        ]);
        assert_eq!(c.logs_exporter, ExporterKind::Console);
        assert_eq!(c.logs.endpoint, "https://c:4318/v1/logs");
        assert_eq!(c.logs.headers, vec![("k".into(), "v".into())]);
        assert!(c.traces.headers.is_empty());
        assert_eq!(c.logs.transport.compression, Compression::Gzip);
        assert_eq!(c.traces.transport.compression, Compression::None);
        assert_eq!(c.logs.timeout, Duration::from_millis(300));
        assert_eq!(c.traces.timeout, Duration::from_secs(10));
        assert_eq!(c.blrp.max_export_batch_size, 10);
        one_warning(&c, "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "20");
        let c = cfg(&[("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://l:1/x")]);
        assert_eq!(c.logs.endpoint, "http://l:1/x");
        assert_eq!(c.traces.endpoint, "http://localhost:4318/v1/traces");
    }

    #[test]
    fn otlp_endpoints_headers_timeouts() {
        let c = cfg(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc,x=a%3Db"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "t=1"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ]);
        assert_eq!(c.traces.endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.metrics.endpoint, "http://m:9/custom");
        assert_eq!(c.traces.headers, vec![("t".into(), "1".into())]);
        assert_eq!(c.metrics.headers, vec![("api-key".into(), "abc".into()), ("x".into(), "a=b".into())]);
        assert_eq!(c.traces.timeout, Duration::from_millis(2500));
        assert_eq!(c.metrics.timeout, Duration::from_millis(700));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        let c = cfg(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "-1")]);
        assert_eq!(c.traces.timeout, Duration::from_secs(10));
        one_warning(&c, "OTEL_EXPORTER_OTLP_TIMEOUT", "-1");
        let c = cfg(&[("OTEL_EXPORTER_OTLP_HEADERS", "broken")]);
        assert!(c.traces.headers.is_empty());
        one_warning(&c, "OTEL_EXPORTER_OTLP_HEADERS", "broken");
    }

    #[test]
    fn protocol() {
        assert!(cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).warnings.is_empty());
        let c = cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]);
        assert_eq!(c.traces.transport.protocol, OtlpProtocol::HttpJson);
        assert_eq!(c.metrics.transport.protocol, OtlpProtocol::HttpJson);
        assert!(c.warnings.is_empty());
        let c = cfg(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
        ]);
        assert_eq!(c.traces.transport.protocol, OtlpProtocol::HttpJson);
        assert_eq!(c.metrics.transport.protocol, OtlpProtocol::HttpProtobuf);
        // grpc: one warning (not one per signal) that names the fix, and http/protobuf.
        let c = cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\""));
        assert!(c.warnings[0].contains("http/protobuf"));
        assert_eq!(c.traces.transport.protocol, OtlpProtocol::HttpProtobuf);
        let c = cfg(&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc")]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
        one_warning(
            &cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")]),
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "carrier-pigeon",
        );
    }

    #[test]
    fn compression_and_tls_files() {
        let c = cfg(&[
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "/etc/client.pem"),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/etc/client.key"),
            ("OTEL_EXPORTER_OTLP_INSECURE", "true"),
        ]);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.traces.transport.compression, Compression::Gzip);
        assert_eq!(c.metrics.transport.compression, Compression::None);
        assert_eq!(c.traces.transport.certificate.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(c.metrics.transport.certificate.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(c.traces.transport.client_certificate.as_deref(), Some("/etc/client.pem"));
        assert_eq!(c.traces.transport.client_key.as_deref(), Some("/etc/client.key"));
        assert_eq!(c.metrics.transport.client_key, None);
        assert!(c.traces.transport.insecure && c.metrics.transport.insecure);
        assert_eq!(cfg(&[]).traces.transport, OtlpTransport::default());

        let c = cfg(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")]);
        assert_eq!(c.traces.transport.compression, Compression::None);
        one_warning(&c, "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd");
        let c = cfg(&[("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "maybe")]);
        one_warning(&c, "OTEL_EXPORTER_OTLP_TRACES_INSECURE", "maybe");
    }

    #[test]
    fn batch_processor_and_metric_interval() {
        let c = cfg(&[
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "64"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "1000"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "2000"),
        ]);
        assert_eq!(c.bsp.schedule_delay, Duration::from_millis(100));
        assert_eq!(c.bsp.max_queue_size, 64);
        assert_eq!(c.bsp.max_export_batch_size, 16);
        assert_eq!(c.bsp.export_timeout, Duration::from_secs(1));
        assert_eq!(c.metric_export_interval, Duration::from_secs(2));
        for (var, bad) in [
            ("OTEL_BSP_SCHEDULE_DELAY", "soon"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many"),
            ("OTEL_BSP_EXPORT_TIMEOUT", "1.5"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "0"),
        ] {
            one_warning(&cfg(&[(var, bad)]), var, bad);
        }
        let c = cfg(&[("OTEL_BSP_MAX_QUEUE_SIZE", "100"), ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200")]);
        assert_eq!(c.bsp.max_export_batch_size, 100);
        one_warning(&c, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200");
    }

    #[test]
    fn span_limits_prefer_the_span_variables_then_the_general_ones() {
        assert_eq!(cfg(&[]).span_limits, SpanLimits::default());
        let c = cfg(&[
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "10"),
            ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"),
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "64"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "0"),
            ("OTEL_SPAN_LINK_COUNT_LIMIT", "5"),
        ]);
        let l = c.span_limits;
        assert_eq!((l.attributes, l.event_attributes, l.link_attributes), (3, 10, 10));
        assert_eq!((l.value_length, l.events, l.links), (Some(64), 0, 5));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let c = cfg(&[("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "12")]);
        assert_eq!(c.span_limits.value_length, Some(12));
        let c = cfg(&[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1")]);
        assert_eq!(c.span_limits.attributes, 128);
        one_warning(&c, "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "-1");
        one_warning(
            &cfg(&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "long")]),
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            "long",
        );
    }

    #[test]
    fn pack_switches() {
        let c = cfg(&[
            ("OTEL_RUST_INSTRUMENTATION_TOKIO_POSTGRES_ENABLED", "false"),
            ("OTEL_RUST_INSTRUMENTATION_REQWEST_ENABLED", "true"),
        ]);
        assert!(!c.pack_enabled("tokio-postgres"));
        assert!(c.pack_enabled("reqwest"));
        assert!(c.pack_enabled("axum"));
        assert_eq!(pack_variable("tokio-postgres"), "OTEL_RUST_INSTRUMENTATION_TOKIO_POSTGRES_ENABLED");
        let c = cfg(&[("OTEL_RUST_INSTRUMENTATION_AXUM_ENABLED", "nope")]);
        assert!(c.pack_enabled("axum"));
        one_warning(&c, "OTEL_RUST_INSTRUMENTATION_AXUM_ENABLED", "nope");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%4"), "%4");
    }

    #[test]
    fn shutdown_timeout() {
        assert_eq!(cfg(&[]).shutdown_timeout, Duration::from_secs(1));
        assert_eq!(cfg(&[("CARGO_OTEL_SHUTDOWN_TIMEOUT", "250")]).shutdown_timeout, Duration::from_millis(250));
        let c = cfg(&[("CARGO_OTEL_SHUTDOWN_TIMEOUT", "0")]);
        assert_eq!(c.shutdown_timeout, Duration::from_secs(1));
        one_warning(&c, "CARGO_OTEL_SHUTDOWN_TIMEOUT", "0");
    }
}
