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
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | `http://host:port` or `https://host:port` | `http://localhost:4318` |
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `_METRICS_ENDPOINT` | full URL | endpoint + `/v1/traces` / `/v1/metrics` |
//! | `OTEL_EXPORTER_OTLP_HEADERS` (and `_TRACES_`/`_METRICS_`) | `k=v,k2=v2` | none |
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` (and `_TRACES_`/`_METRICS_`) | milliseconds | `10000` |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` (and `_TRACES_`/`_METRICS_`) | `http/protobuf`, `http/json` (`grpc` warns and falls back, see docs/adr/0002) | `http/protobuf` |
//! | `OTEL_EXPORTER_OTLP_COMPRESSION` (and `_TRACES_`/`_METRICS_`) | `gzip`, `none` | `none` |
//! | `OTEL_EXPORTER_OTLP_CERTIFICATE` (and `_TRACES_`/`_METRICS_`) | PEM file of the CA(s) that verify the collector (replaces the system store) | the system trust store |
//! | `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` / `_CLIENT_KEY` (and `_TRACES_`/`_METRICS_`) | PEM files for mTLS (both or neither) | none |
//! | `OTEL_EXPORTER_OTLP_INSECURE` (and `_TRACES_`/`_METRICS_`) | `true`/`false`; gRPC-only in the spec, so no effect here (the scheme decides) | `false` |
//! | `OTEL_BSP_SCHEDULE_DELAY` | ms | `5000` |
//! | `OTEL_BSP_MAX_QUEUE_SIZE` | count > 0 | `2048` |
//! | `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` | count > 0, ≤ queue size | `512` |
//! | `OTEL_BSP_EXPORT_TIMEOUT` | ms | `30000` |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | ms > 0 | `60000` |
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
    pub traces_endpoint: String,
    pub metrics_endpoint: String,
    pub traces_headers: Vec<(String, String)>,
    pub metrics_headers: Vec<(String, String)>,
    pub traces_timeout: Duration,
    pub metrics_timeout: Duration,
    pub traces_otlp: OtlpTransport,
    pub metrics_otlp: OtlpTransport,
    pub bsp_schedule_delay: Duration,
    pub bsp_max_queue_size: usize,
    pub bsp_max_export_batch_size: usize,
    pub bsp_export_timeout: Duration,
    pub metric_export_interval: Duration,
    /// Packs switched off by `OTEL_RUST_INSTRUMENTATION_<PACK>_ENABLED=false`, normalised
    /// (upper case, `-` → `_`).
    pub disabled_packs: Vec<String>,
    /// Directory of the local file store.
    pub store_dir: String,
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

fn signal_endpoint(r: &Reader<'_>, signal_var: &str, path: &str) -> String {
    if let Some(url) = r.get(signal_var) {
        return url.to_owned();
    }
    let base = r.get("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or(DEFAULT_ENDPOINT);
    format!("{}{}", base.trim_end_matches('/'), path)
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

        let default_traces = if r.get("CARGO_OTEL_STORE").is_some() { ExporterKind::File } else { ExporterKind::Otlp };
        let traces_exporter = r.exporter("OTEL_TRACES_EXPORTER", default_traces);
        let metrics_exporter = r.exporter("OTEL_METRICS_EXPORTER", ExporterKind::Otlp);

        let traces_endpoint = signal_endpoint(&r, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces");
        let metrics_endpoint = signal_endpoint(&r, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "/v1/metrics");
        let headers = r.headers("OTEL_EXPORTER_OTLP_HEADERS").unwrap_or_default();
        let traces_headers = r.headers("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
        let metrics_headers = r.headers("OTEL_EXPORTER_OTLP_METRICS_HEADERS");
        let timeout = r.millis("OTEL_EXPORTER_OTLP_TIMEOUT", 10_000);
        let traces_timeout = if r.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT").is_some() {
            r.millis("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", timeout.as_millis() as u64)
        } else {
            timeout
        };
        let metrics_timeout = if r.get("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT").is_some() {
            r.millis("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", timeout.as_millis() as u64)
        } else {
            timeout
        };

        let (traces_otlp, metrics_otlp) = parse_otlp_transports(&mut r);

        let bsp_schedule_delay = r.millis("OTEL_BSP_SCHEDULE_DELAY", 5_000);
        let bsp_max_queue_size = r.count("OTEL_BSP_MAX_QUEUE_SIZE", 2048);
        let mut bsp_max_export_batch_size = r.count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512);
        if bsp_max_export_batch_size > bsp_max_queue_size {
            let raw = bsp_max_export_batch_size.to_string();
            let default = 512.min(bsp_max_queue_size);
            r.warn(
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                &raw,
                &format!("{default} (it may not exceed OTEL_BSP_MAX_QUEUE_SIZE)"),
            );
            bsp_max_export_batch_size = default;
        }
        let bsp_export_timeout = r.millis("OTEL_BSP_EXPORT_TIMEOUT", 30_000);
        let metric_export_interval = r.millis("OTEL_METRIC_EXPORT_INTERVAL", 60_000);

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

        Config {
            disabled,
            service_name,
            resource_attributes,
            sampler,
            propagators,
            traces_exporter,
            metrics_exporter,
            traces_endpoint,
            metrics_endpoint,
            traces_headers: traces_headers.unwrap_or_else(|| headers.clone()),
            metrics_headers: metrics_headers.unwrap_or(headers),
            traces_timeout,
            metrics_timeout,
            traces_otlp,
            metrics_otlp,
            bsp_schedule_delay,
            bsp_max_queue_size,
            bsp_max_export_batch_size,
            bsp_export_timeout,
            metric_export_interval,
            disabled_packs,
            store_dir,
            warnings: r.warnings,
            shutdown_timeout,
        }
    }

    /// Is instrumentation `pack` switched on?
    pub fn pack_enabled(&self, pack: &str) -> bool {
        if self.disabled_packs.is_empty() {
            return true;
        }
        let name = normalize_pack(pack);
        !self.disabled_packs.contains(&name)
    }
}

/// The generic `OTEL_EXPORTER_OTLP_<NAME>` value, then each signal's override of it. Each
/// variable is parsed (and warned about) once, even when both signals inherit it.
fn per_signal<T: Clone>(
    r: &mut Reader<'_>,
    name: &str,
    default: T,
    parse: impl Fn(&mut Reader<'_>, &str, &str, &T) -> T,
) -> (T, T) {
    let generic_key = format!("OTEL_EXPORTER_OTLP_{name}");
    let generic = match r.get(&generic_key).map(str::to_owned) {
        Some(raw) => parse(r, &generic_key, &raw, &default),
        None => default,
    };
    let mut signal = |sig: &str| {
        let key = format!("OTEL_EXPORTER_OTLP_{sig}_{name}");
        match r.get(&key).map(str::to_owned) {
            Some(raw) => parse(r, &key, &raw, &generic),
            None => generic.clone(),
        }
    };
    (signal("TRACES"), signal("METRICS"))
}

fn protocol_name(p: OtlpProtocol) -> &'static str {
    match p {
        OtlpProtocol::HttpProtobuf => "http/protobuf",
        OtlpProtocol::HttpJson => "http/json",
    }
}

fn parse_otlp_transports(r: &mut Reader<'_>) -> (OtlpTransport, OtlpTransport) {
    let (tp, mp) = per_signal(r, "PROTOCOL", OtlpProtocol::HttpProtobuf, |r, key, raw, default| match raw {
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
    let (tc, mc) = per_signal(r, "COMPRESSION", Compression::None, |r, key, raw, default| {
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
    let (tca, mca) = per_signal(r, "CERTIFICATE", None, path);
    let (tcc, mcc) = per_signal(r, "CLIENT_CERTIFICATE", None, path);
    let (tck, mck) = per_signal(r, "CLIENT_KEY", None, path);
    let (ti, mi) = per_signal(r, "INSECURE", false, |r, key, _, default| r.bool(key, *default));
    (
        OtlpTransport {
            protocol: tp,
            compression: tc,
            certificate: tca,
            client_certificate: tcc,
            client_key: tck,
            insecure: ti,
        },
        OtlpTransport {
            protocol: mp,
            compression: mc,
            certificate: mca,
            client_certificate: mcc,
            client_key: mck,
            insecure: mi,
        },
    )
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
        assert_eq!(c.traces_endpoint, "http://localhost:4318/v1/traces");
        assert_eq!(c.metrics_endpoint, "http://localhost:4318/v1/metrics");
        assert_eq!(c.traces_timeout, Duration::from_secs(10));
        assert_eq!(c.bsp_max_queue_size, 2048);
        assert_eq!(c.bsp_max_export_batch_size, 512);
        assert_eq!(c.bsp_schedule_delay, Duration::from_secs(5));
        assert_eq!(c.bsp_export_timeout, Duration::from_secs(30));
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
    fn otlp_endpoints_headers_timeouts() {
        let c = cfg(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
            ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc,x=a%3Db"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "t=1"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ]);
        assert_eq!(c.traces_endpoint, "http://collector:4318/v1/traces");
        assert_eq!(c.metrics_endpoint, "http://m:9/custom");
        assert_eq!(c.traces_headers, vec![("t".into(), "1".into())]);
        assert_eq!(c.metrics_headers, vec![("api-key".into(), "abc".into()), ("x".into(), "a=b".into())]);
        assert_eq!(c.traces_timeout, Duration::from_millis(2500));
        assert_eq!(c.metrics_timeout, Duration::from_millis(700));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);

        let c = cfg(&[("OTEL_EXPORTER_OTLP_TIMEOUT", "-1")]);
        assert_eq!(c.traces_timeout, Duration::from_secs(10));
        one_warning(&c, "OTEL_EXPORTER_OTLP_TIMEOUT", "-1");
        let c = cfg(&[("OTEL_EXPORTER_OTLP_HEADERS", "broken")]);
        assert!(c.traces_headers.is_empty());
        one_warning(&c, "OTEL_EXPORTER_OTLP_HEADERS", "broken");
    }

    #[test]
    fn protocol() {
        assert!(cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).warnings.is_empty());
        let c = cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]);
        assert_eq!(c.traces_otlp.protocol, OtlpProtocol::HttpJson);
        assert_eq!(c.metrics_otlp.protocol, OtlpProtocol::HttpJson);
        assert!(c.warnings.is_empty());
        let c = cfg(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
            ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf"),
        ]);
        assert_eq!(c.traces_otlp.protocol, OtlpProtocol::HttpJson);
        assert_eq!(c.metrics_otlp.protocol, OtlpProtocol::HttpProtobuf);
        // grpc: one warning (not one per signal) that names the fix, and http/protobuf.
        let c = cfg(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].contains("OTEL_EXPORTER_OTLP_PROTOCOL=\"grpc\""));
        assert!(c.warnings[0].contains("http/protobuf"));
        assert_eq!(c.traces_otlp.protocol, OtlpProtocol::HttpProtobuf);
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
        assert_eq!(c.traces_otlp.compression, Compression::Gzip);
        assert_eq!(c.metrics_otlp.compression, Compression::None);
        assert_eq!(c.traces_otlp.certificate.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(c.metrics_otlp.certificate.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(c.traces_otlp.client_certificate.as_deref(), Some("/etc/client.pem"));
        assert_eq!(c.traces_otlp.client_key.as_deref(), Some("/etc/client.key"));
        assert_eq!(c.metrics_otlp.client_key, None);
        assert!(c.traces_otlp.insecure && c.metrics_otlp.insecure);
        assert_eq!(cfg(&[]).traces_otlp, OtlpTransport::default());

        let c = cfg(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")]);
        assert_eq!(c.traces_otlp.compression, Compression::None);
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
        assert_eq!(c.bsp_schedule_delay, Duration::from_millis(100));
        assert_eq!(c.bsp_max_queue_size, 64);
        assert_eq!(c.bsp_max_export_batch_size, 16);
        assert_eq!(c.bsp_export_timeout, Duration::from_secs(1));
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
        assert_eq!(c.bsp_max_export_batch_size, 100);
        one_warning(&c, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "200");
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
