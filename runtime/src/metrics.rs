//! Built-in metrics: the semconv duration histograms behind
//! `__otel_v1_metric_record`, and the cardinality limiter every attribute passes through.
//!
//! Cardinality is bounded twice, as design.md section 8 asks:
//! - a normalizer for path-like values (`http.route`, `url.path`, `url.template`): numeric
//!   and UUID path segments (and long hex ids) fold to `{id}`, and the query string is cut;
//! - a limiter: each attribute key admits at most [`MAX_VALUES_PER_KEY`] distinct string
//!   values; later new values fold into `_other`.
//!
//! Both are pure functions of what was seen before (an admitted value stays admitted, a full
//! key stays full), so the attribute set a measurement resolves to is cached by the exact
//! attributes that arrived, as a histogram bound to the resolved set (the SDK's
//! `experimental_metrics_bound_instruments`): the hot path (a service's few routes ×
//! methods × statuses) is one hash of the raw attributes, a shared read lock and the
//! bucket update, with no allocation and none of the SDK's attribute hashing ([`Resolved`]).

use crate::exemplars::{self, Filter, Reservoir};
use crate::intern;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{BoundHistogram, Histogram, Meter};
use opentelemetry::trace::SpanContext;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Distinct values admitted per attribute key before folding into [`OTHER`].
pub const MAX_VALUES_PER_KEY: usize = 100;
/// Raw attribute sets remembered by [`Resolved`]; past this, new sets take the slow path
/// every time (bounded memory whatever the inputs).
pub const MAX_RESOLVED_SETS: usize = 4096;
/// The value that overflowing values fold into.
pub const OTHER: &str = "_other";

/// Explicit bucket boundaries of the duration histograms (seconds).
pub const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// Instrument ids of the ABI, and their names.
pub const INSTRUMENTS: [(u32, &str, &str); 7] = [
    (1, "http.server.request.duration", "Duration of HTTP server requests."),
    (2, "http.client.request.duration", "Duration of HTTP client requests."),
    (3, "db.client.operation.duration", "Duration of database client operations."),
    (4, "rpc.server.call.duration", "Duration of RPC server calls."),
    (5, "rpc.client.call.duration", "Duration of RPC client calls."),
    (6, "messaging.client.operation.duration", "Duration of messaging operations."),
    (7, "messaging.process.duration", "Duration of processing a message."),
];

/// Keys whose values are paths and get [`normalize_path`].
fn is_path_key(key: &str) -> bool {
    matches!(key, "http.route" | "url.path" | "url.template")
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(
            |(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() }
            },
        )
}

fn is_id_segment(seg: &str) -> bool {
    if seg.is_empty() {
        return false;
    }
    seg.bytes().all(|b| b.is_ascii_digit())
        || is_uuid(seg)
        || (seg.len() >= 16 && seg.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `/users/42/orders/3f2a...-uuid?x=1` → `/users/{id}/orders/{id}`.
pub fn normalize_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/').map(|seg| if is_id_segment(seg) { "{id}" } else { seg }).collect::<Vec<_>>().join("/")
}

/// A bounded allow-list of values per attribute key.
#[derive(Debug)]
pub struct Limiter {
    max_per_key: usize,
    seen: RwLock<HashMap<String, HashSet<String>>>,
}

impl Limiter {
    pub fn new(max_per_key: usize) -> Self {
        Limiter { max_per_key, seen: RwLock::new(HashMap::new()) }
    }

    /// Normalize `value` for `key`, then admit it or fold it into `_other`.
    pub fn admit(&self, key: &str, value: &str) -> String {
        let value = if is_path_key(key) { normalize_path(value) } else { value.to_owned() };
        {
            let seen = self.seen.read().unwrap_or_else(|e| e.into_inner());
            if let Some(values) = seen.get(key) {
                if values.contains(&value) {
                    return value;
                }
                if values.len() >= self.max_per_key {
                    return OTHER.to_owned();
                }
            }
        }
        let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
        let values = seen.entry(key.to_owned()).or_default();
        if values.contains(&value) {
            value
        } else if values.len() >= self.max_per_key {
            OTHER.to_owned()
        } else {
            values.insert(value.clone());
            value
        }
    }
}

/// One attribute as it arrives through the ABI.
#[derive(Clone, Copy, Debug)]
pub enum AttrValue<'a> {
    Str(&'a str),
    I64(i64),
    F64(f64),
    Bool(bool),
}

impl AttrValue<'_> {
    fn to_key(self) -> OwnedAttrValue {
        match self {
            AttrValue::Str(s) => OwnedAttrValue::Str(s.into()),
            AttrValue::I64(i) => OwnedAttrValue::I64(i),
            AttrValue::F64(f) => OwnedAttrValue::F64(f.to_bits()),
            AttrValue::Bool(b) => OwnedAttrValue::Bool(b),
        }
    }
}

/// An [`AttrValue`] kept as a cache key (floats by their bits, so equality is exact).
enum OwnedAttrValue {
    Str(Box<str>),
    I64(i64),
    F64(u64),
    Bool(bool),
}

impl OwnedAttrValue {
    fn matches(&self, value: &AttrValue<'_>) -> bool {
        match (self, value) {
            (OwnedAttrValue::Str(a), AttrValue::Str(b)) => **a == **b,
            (OwnedAttrValue::I64(a), AttrValue::I64(b)) => a == b,
            (OwnedAttrValue::F64(a), AttrValue::F64(b)) => *a == b.to_bits(),
            (OwnedAttrValue::Bool(a), AttrValue::Bool(b)) => a == b,
            _ => false,
        }
    }
}

/// One raw attribute set and what it resolved to.
struct ResolvedSet<T> {
    instrument: u32,
    raw: Box<[(Box<str>, OwnedAttrValue)]>,
    value: T,
}

impl<T> ResolvedSet<T> {
    fn matches(&self, instrument: u32, attrs: &[(&str, AttrValue<'_>)]) -> bool {
        self.instrument == instrument
            && self.raw.len() == attrs.len()
            && self.raw.iter().zip(attrs).all(|((k, v), (key, value))| **k == **key && v.matches(value))
    }
}

/// The keys of [`Resolved`] are already hashes.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Raw attribute sets → what they resolved to (for [`Metrics`], a histogram bound to the
/// resolved attributes), by a fast hash of the raw set (collisions share a bucket and are
/// told apart by comparing the raw attributes).
struct Resolved<T> {
    sets: RwLock<HashMap<u64, Vec<ResolvedSet<T>>, BuildHasherDefault<PassThrough>>>,
    /// How many sets `sets` holds; read without the lock so a full cache costs misses nothing.
    len: AtomicUsize,
}

fn hash_attrs(instrument: u32, attrs: &[(&str, AttrValue<'_>)]) -> u64 {
    let mut h = u64::from(instrument);
    for (key, value) in attrs {
        let v = match value {
            AttrValue::Str(s) => intern::hash(s.as_bytes()),
            AttrValue::I64(i) => *i as u64 ^ 0x9e37_79b9_7f4a_7c15,
            AttrValue::F64(f) => f.to_bits() ^ 0x6a09_e667_f3bc_c908,
            AttrValue::Bool(b) => u64::from(*b) ^ 0xbb67_ae85_84ca_a73b,
        };
        h = (h.rotate_left(5) ^ intern::hash(key.as_bytes())).wrapping_mul(0x517c_c1b7_2722_0a95);
        h = (h.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    h
}

impl<T> Default for Resolved<T> {
    fn default() -> Self {
        Resolved { sets: RwLock::default(), len: AtomicUsize::new(0) }
    }
}

impl<T> Resolved<T> {
    /// Run `hit` on what `attrs` resolved to and return `Ok`, or return `Err(hash)` for
    /// [`Resolved::remember`] when they were never seen.
    fn lookup(&self, instrument: u32, attrs: &[(&str, AttrValue<'_>)], hit: impl FnOnce(&T)) -> Result<(), u64> {
        let hash = hash_attrs(instrument, attrs);
        let sets = self.sets.read().unwrap_or_else(|e| e.into_inner());
        match sets.get(&hash).and_then(|b| b.iter().find(|s| s.matches(instrument, attrs))) {
            Some(set) => {
                hit(&set.value);
                Ok(())
            }
            None => Err(hash),
        }
    }

    /// Whether [`Resolved::remember`] would keep another set.
    fn has_room(&self) -> bool {
        self.len.load(Ordering::Relaxed) < MAX_RESOLVED_SETS
    }

    /// Keep `value` for `attrs` (unless full, or another thread was first).
    fn remember(&self, hash: u64, instrument: u32, attrs: &[(&str, AttrValue<'_>)], value: T) {
        if !self.has_room() {
            return;
        }
        let mut sets = self.sets.write().unwrap_or_else(|e| e.into_inner());
        let bucket = sets.entry(hash).or_default();
        if !bucket.iter().any(|s| s.matches(instrument, attrs)) {
            let raw = attrs.iter().map(|(k, v)| (Box::<str>::from(*k), v.to_key())).collect();
            bucket.push(ResolvedSet { instrument, raw, value });
            self.len.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A resolved attribute set: its bound histogram and its exemplar reservoir.
struct BoundSet {
    histogram: BoundHistogram<f64>,
    exemplars: Option<Arc<Reservoir>>,
}

/// The duration histograms, their limiter and their exemplars.
pub struct Metrics {
    histograms: Vec<(u32, &'static str, Histogram<f64>)>,
    limiter: Limiter,
    resolved: Resolved<BoundSet>,
    exemplar_filter: Filter,
}

impl Metrics {
    pub fn new(meter: &Meter, exemplar_filter: Filter) -> Self {
        let histograms = INSTRUMENTS
            .iter()
            .map(|(id, name, description)| {
                let h = meter
                    .f64_histogram(*name)
                    .with_unit("s")
                    .with_description(*description)
                    .with_boundaries(DURATION_BUCKETS.to_vec())
                    .build();
                (*id, *name, h)
            })
            .collect();
        Metrics {
            histograms,
            limiter: Limiter::new(MAX_VALUES_PER_KEY),
            resolved: Resolved::default(),
            exemplar_filter,
        }
    }

    /// Record `value` on instrument `id` (unknown ids are ignored); `span` is the measured
    /// call's span context, offered as an exemplar.
    pub fn record(&self, id: u32, value: f64, attrs: &[(&str, AttrValue<'_>)], span: Option<&SpanContext>) {
        let Some((_, name, histogram)) = self.histograms.iter().find(|(i, _, _)| *i == id) else {
            return;
        };
        if !value.is_finite() || value < 0.0 {
            return;
        }
        let filter = self.exemplar_filter;
        let offer = |exemplars: &Option<Arc<Reservoir>>| {
            if let Some(r) = exemplars
                && filter != Filter::AlwaysOff
            {
                r.offer(filter, value, span)
            }
        };
        let hit = |set: &BoundSet| {
            set.histogram.record(value);
            offer(&set.exemplars);
        };
        let Err(hash) = self.resolved.lookup(id, attrs, hit) else {
            return;
        };
        let attributes = self.resolve(attrs);
        let exemplars =
            (filter != Filter::AlwaysOff).then(|| exemplars::reservoir(name, &attributes, &DURATION_BUCKETS)).flatten();
        offer(&exemplars);
        if self.resolved.has_room() {
            // Bound: later records of this set skip the SDK's attribute hashing too.
            let bound = histogram.bind(&attributes);
            bound.record(value);
            self.resolved.remember(hash, id, attrs, BoundSet { histogram: bound, exemplars });
        } else {
            histogram.record(value, &attributes);
        }
    }

    /// The SDK attributes of a raw set: path values normalized, strings through the limiter.
    fn resolve(&self, attrs: &[(&str, AttrValue<'_>)]) -> Vec<KeyValue> {
        attrs
            .iter()
            .map(|&(key, v)| match v {
                AttrValue::Str(s) => KeyValue::new(key.to_owned(), self.limiter.admit(key, s)),
                AttrValue::I64(i) => KeyValue::new(key.to_owned(), i),
                AttrValue::F64(f) => KeyValue::new(key.to_owned(), f),
                AttrValue::Bool(b) => KeyValue::new(key.to_owned(), b),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_ids() {
        assert_eq!(normalize_path("/users/42/orders/7"), "/users/{id}/orders/{id}");
        assert_eq!(normalize_path("/items/123e4567-e89b-12d3-a456-426614174000?x=1"), "/items/{id}");
        assert_eq!(normalize_path("/blobs/deadbeefdeadbeef00"), "/blobs/{id}");
        assert_eq!(normalize_path("/v1/users"), "/v1/users");
        assert_eq!(normalize_path("/"), "/");
    }

    #[test]
    fn limiter_folds_overflow_into_other() {
        let limiter = Limiter::new(3);
        assert_eq!(limiter.admit("k", "a"), "a");
        assert_eq!(limiter.admit("k", "b"), "b");
        assert_eq!(limiter.admit("k", "c"), "c");
        assert_eq!(limiter.admit("k", "d"), OTHER);
        assert_eq!(limiter.admit("k", "e"), OTHER);
        assert_eq!(limiter.admit("k", "a"), "a", "admitted values stay");
        assert_eq!(limiter.admit("other-key", "d"), "d", "limits are per key");
    }

    #[test]
    fn normalized_paths_do_not_use_up_the_limit() {
        let limiter = Limiter::new(MAX_VALUES_PER_KEY);
        for i in 0..10_000 {
            assert_eq!(limiter.admit("url.path", &format!("/users/{i}")), "/users/{id}");
        }
        for i in 0..MAX_VALUES_PER_KEY {
            assert_eq!(limiter.admit("http.route", &format!("/r{i}")), format!("/r{i}"));
        }
        assert_eq!(limiter.admit("http.route", "/one-too-many"), OTHER);
    }

    fn resolve_count(
        resolved: &Resolved<Vec<KeyValue>>,
        instrument: u32,
        attrs: &[(&str, AttrValue<'_>)],
    ) -> (Vec<KeyValue>, bool) {
        let mut got = Vec::new();
        match resolved.lookup(instrument, attrs, |a| got = a.clone()) {
            Ok(()) => (got, false),
            Err(hash) => {
                let fresh: Vec<KeyValue> =
                    attrs.iter().map(|(k, v)| KeyValue::new(k.to_string(), format!("{v:?}"))).collect();
                resolved.remember(hash, instrument, attrs, fresh.clone());
                (fresh, true)
            }
        }
    }

    #[test]
    fn resolved_sets_are_reused_only_for_identical_raw_attributes() {
        let resolved = Resolved::default();
        let get = [("http.request.method", AttrValue::Str("GET")), ("http.response.status_code", AttrValue::I64(200))];
        let (first, fresh) = resolve_count(&resolved, 1, &get);
        assert!(fresh);
        let (again, fresh) = resolve_count(&resolved, 1, &get);
        assert!(!fresh, "the second identical set is served from the cache");
        assert_eq!(first, again);

        let variants: [&[(&str, AttrValue<'_>)]; 5] = [
            &[("http.request.method", AttrValue::Str("GET")), ("http.response.status_code", AttrValue::I64(500))],
            &[("http.request.method", AttrValue::Str("GET"))],
            &[("http.request.method", AttrValue::Str("GET")), ("http.response.status_code", AttrValue::F64(200.0))],
            &[("http.response.status_code", AttrValue::I64(200)), ("http.request.method", AttrValue::Str("GET"))],
            &[("http.request.method", AttrValue::Str("GET")), ("other", AttrValue::I64(200))],
        ];
        for attrs in variants {
            assert!(resolve_count(&resolved, 1, attrs).1, "{attrs:?} is a different set");
        }
        assert!(resolve_count(&resolved, 2, &get).1, "per instrument");
    }

    #[test]
    fn a_full_cache_still_resolves_every_set() {
        let resolved = Resolved::default();
        let values: Vec<String> = (0..MAX_RESOLVED_SETS + 10).map(|i| i.to_string()).collect();
        for v in &values {
            resolve_count(&resolved, 1, &[("k", AttrValue::Str(v))]);
        }
        assert_eq!(resolved.len.load(Ordering::Relaxed), MAX_RESOLVED_SETS);
        let last = [("k", AttrValue::Str(values.last().map(String::as_str).unwrap_or_default()))];
        let (attrs, fresh) = resolve_count(&resolved, 1, &last);
        assert!(fresh, "past the bound a set is resolved every time");
        assert_eq!(attrs, vec![KeyValue::new("k", format!("{:?}", last[0].1))]);
    }

    #[test]
    fn caching_keeps_the_limiter_semantics() {
        let meter_provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
        let metrics =
            Metrics::new(&opentelemetry::metrics::MeterProvider::meter(&meter_provider, "t"), Filter::TraceBased);
        let resolve = |v: &str| metrics.resolve(&[("http.route", AttrValue::Str(v))]);
        for i in 0..MAX_VALUES_PER_KEY {
            let route = format!("/r{i}");
            metrics.record(1, 0.1, &[("http.route", AttrValue::Str(&route))], None);
        }
        assert_eq!(resolve("/r0"), vec![KeyValue::new("http.route", "/r0")], "admitted values stay admitted");
        assert_eq!(resolve("/new"), vec![KeyValue::new("http.route", OTHER)], "a full key stays full");
    }

    #[test]
    fn bound_records_reach_the_exporter_per_attribute_set() {
        use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
        use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
        let exporter = InMemoryMetricExporter::default();
        let provider =
            SdkMeterProvider::builder().with_reader(PeriodicReader::builder(exporter.clone()).build()).build();
        let metrics = Metrics::new(&opentelemetry::metrics::MeterProvider::meter(&provider, "t"), Filter::TraceBased);
        let ok = [("http.request.method", AttrValue::Str("GET")), ("http.response.status_code", AttrValue::I64(200))];
        let failed =
            [("http.request.method", AttrValue::Str("GET")), ("http.response.status_code", AttrValue::I64(500))];
        for _ in 0..3 {
            metrics.record(1, 0.5, &ok, None);
        }
        metrics.record(1, 2.0, &failed, None);
        metrics.record(2, 1.0, &ok, None);
        provider.force_flush().expect("flush");

        let mut points = Vec::new();
        for resource in exporter.get_finished_metrics().expect("metrics") {
            for scope in resource.scope_metrics() {
                for metric in scope.metrics() {
                    if let AggregatedMetrics::F64(MetricData::Histogram(h)) = metric.data() {
                        for p in h.data_points() {
                            let status = p.attributes().find(|kv| kv.key.as_str() == "http.response.status_code");
                            points.push((
                                metric.name().to_owned(),
                                status.map(|kv| kv.value.to_string()),
                                p.count(),
                                p.sum(),
                            ));
                        }
                    }
                }
            }
        }
        points.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        let expected = vec![
            ("http.client.request.duration".to_owned(), Some("200".to_owned()), 1, 1.0),
            ("http.server.request.duration".to_owned(), Some("200".to_owned()), 3, 1.5),
            ("http.server.request.duration".to_owned(), Some("500".to_owned()), 1, 2.0),
        ];
        assert_eq!(points, expected);
    }
}
