//! Built-in metrics: the three semconv duration histograms behind
//! `__otel_v1_metric_record`, and the cardinality limiter every attribute passes through.
//!
//! Cardinality is bounded twice, as design.md section 8 asks:
//! - a normalizer for path-like values (`http.route`, `url.path`, `url.template`): numeric
//!   and UUID path segments (and long hex ids) fold to `{id}`, and the query string is cut;
//! - a limiter: each attribute key admits at most [`MAX_VALUES_PER_KEY`] distinct string
//!   values; later new values fold into `_other`.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

/// Distinct values admitted per attribute key before folding into [`OTHER`].
pub const MAX_VALUES_PER_KEY: usize = 100;
/// The value that overflowing values fold into.
pub const OTHER: &str = "_other";

/// Explicit bucket boundaries of the duration histograms (seconds).
pub const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// Instrument ids of the ABI, and their names.
pub const INSTRUMENTS: [(u32, &str, &str); 3] = [
    (1, "http.server.request.duration", "Duration of HTTP server requests."),
    (2, "http.client.request.duration", "Duration of HTTP client requests."),
    (3, "db.client.operation.duration", "Duration of database client operations."),
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
#[derive(Clone, Copy)]
pub enum AttrValue<'a> {
    Str(&'a str),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// The three duration histograms and their limiter.
pub struct Metrics {
    histograms: Vec<(u32, Histogram<f64>)>,
    limiter: Limiter,
}

impl Metrics {
    pub fn new(meter: &Meter) -> Self {
        let histograms = INSTRUMENTS
            .iter()
            .map(|(id, name, description)| {
                let h = meter
                    .f64_histogram(*name)
                    .with_unit("s")
                    .with_description(*description)
                    .with_boundaries(DURATION_BUCKETS.to_vec())
                    .build();
                (*id, h)
            })
            .collect();
        Metrics { histograms, limiter: Limiter::new(MAX_VALUES_PER_KEY) }
    }

    /// Record `value` on instrument `id` (unknown ids are ignored).
    pub fn record<'a>(&self, id: u32, value: f64, attrs: impl Iterator<Item = (&'a str, AttrValue<'a>)>) {
        let Some((_, histogram)) = self.histograms.iter().find(|(i, _)| *i == id) else {
            return;
        };
        if !value.is_finite() || value < 0.0 {
            return;
        }
        let kvs: Vec<KeyValue> = attrs
            .map(|(key, v)| match v {
                AttrValue::Str(s) => KeyValue::new(key.to_owned(), self.limiter.admit(key, s)),
                AttrValue::I64(i) => KeyValue::new(key.to_owned(), i),
                AttrValue::F64(f) => KeyValue::new(key.to_owned(), f),
                AttrValue::Bool(b) => KeyValue::new(key.to_owned(), b),
            })
            .collect();
        histogram.record(value, &kvs);
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
}
