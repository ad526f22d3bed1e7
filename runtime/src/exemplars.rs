//! Exemplars on the duration histograms: a recorded duration keeps the trace and span id
//! of the call it measured, so a latency spike on `http.server.request.duration` opens an
//! example trace. The SDK (0.33) exports no exemplars, so the runtime keeps them itself.
//!
//! - **Filter** (`OTEL_METRICS_EXEMPLAR_FILTER`): `trace_based` (default: only measurements
//!   whose span is sampled), `always_on`, `always_off`.
//! - **Reservoir**: one per attribute set of each instrument, with one slot per histogram
//!   bucket, the last measurement of each bucket winning (the spec's aligned-histogram-bucket
//!   reservoir, its default for explicit-bucket histograms). Bounded: sets are capped by the
//!   metrics cache (`metrics::MAX_RESOLVED_SETS`), slots by the bucket count.
//! - **Export**: the OTLP metric exporter moves each reservoir's exemplars into the matching
//!   histogram data point of the request ([`attach`]), so every export carries the exemplars
//!   recorded since the previous one.

use opentelemetry::KeyValue;
use opentelemetry::trace::SpanContext;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as ProtoValue;
use opentelemetry_proto::tonic::metrics::v1::{exemplar, metric};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// `OTEL_METRICS_EXEMPLAR_FILTER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    AlwaysOn,
    AlwaysOff,
    TraceBased,
}

/// One kept measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exemplar {
    pub value: f64,
    pub time_unix_nano: u64,
    /// Zero when the measurement had no span (only under `always_on`).
    pub trace_id: [u8; 16],
    pub span_id: [u8; 8],
}

/// The exemplars of one attribute set: one slot per bucket of `bounds` (and the overflow).
#[derive(Debug)]
pub struct Reservoir {
    bounds: &'static [f64],
    slots: Mutex<Vec<Option<Exemplar>>>,
}

impl Reservoir {
    fn new(bounds: &'static [f64]) -> Reservoir {
        Reservoir { bounds, slots: Mutex::new(vec![None; bounds.len() + 1]) }
    }

    /// Offer a measurement; `span` is the measured call's span context, if any.
    pub fn offer(&self, filter: Filter, value: f64, span: Option<&SpanContext>) {
        let sampled = span.filter(|sc| sc.is_valid() && sc.is_sampled());
        let (trace_id, span_id) = match (filter, sampled) {
            (Filter::AlwaysOff, _) | (Filter::TraceBased, None) => return,
            (_, Some(sc)) => (sc.trace_id().to_bytes(), sc.span_id().to_bytes()),
            (Filter::AlwaysOn, None) => ([0; 16], [0; 8]),
        };
        // Buckets are upper-inclusive, as the SDK's histogram counts them.
        let bucket = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        let time_unix_nano = crate::export::unix_nanos(std::time::SystemTime::now());
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots[bucket] = Some(Exemplar { value, time_unix_nano, trace_id, span_id });
    }

    /// The kept exemplars, emptying the slots.
    pub fn take(&self) -> Vec<Exemplar> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.iter_mut().filter_map(Option::take).collect()
    }
}

/// Every reservoir, by instrument name and attribute set.
#[derive(Debug, Default)]
struct Registry {
    reservoirs: RwLock<HashMap<(&'static str, String), Arc<Reservoir>>>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// Reservoirs kept at most (one per attribute set per instrument): past this, new sets
/// get no exemplars.
pub const MAX_RESERVOIRS: usize = 4096;

/// The reservoir of `instrument`'s data point with `attributes` (the resolved set the SDK
/// records it under), created on first use; `None` once [`MAX_RESERVOIRS`] exist.
pub fn reservoir(instrument: &'static str, attributes: &[KeyValue], bounds: &'static [f64]) -> Option<Arc<Reservoir>> {
    let key = (instrument, canonical(attributes.iter().map(|kv| (kv.key.as_str(), value_text(&kv.value)))));
    if let Some(r) = registry().reservoirs.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Some(r.clone());
    }
    let mut map = registry().reservoirs.write().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_RESERVOIRS && !map.contains_key(&key) {
        return None;
    }
    Some(map.entry(key).or_insert_with(|| Arc::new(Reservoir::new(bounds))).clone())
}

/// Move every kept exemplar into its histogram data point of `request`.
pub fn attach(request: &mut ExportMetricsServiceRequest) {
    let map = registry().reservoirs.read().unwrap_or_else(|e| e.into_inner());
    if map.is_empty() {
        return;
    }
    for m in request.resource_metrics.iter_mut().flat_map(|rm| &mut rm.scope_metrics).flat_map(|sm| &mut sm.metrics) {
        let Some(metric::Data::Histogram(h)) = &mut m.data else { continue };
        let Some((&(name, _), _)) = map.iter().find(|((n, _), _)| *n == m.name) else { continue };
        for point in &mut h.data_points {
            let key = canonical(point.attributes.iter().map(|kv| {
                let text = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(ProtoValue::StringValue(s)) => s.clone(),
                    Some(ProtoValue::IntValue(i)) => i.to_string(),
                    Some(ProtoValue::DoubleValue(f)) => f.to_string(),
                    Some(ProtoValue::BoolValue(b)) => b.to_string(),
                    _ => String::new(),
                };
                (kv.key.as_str(), text)
            }));
            let Some(reservoir) = map.get(&(name, key)) else { continue };
            point.exemplars.extend(reservoir.take().into_iter().map(|e| {
                opentelemetry_proto::tonic::metrics::v1::Exemplar {
                    filtered_attributes: Vec::new(),
                    time_unix_nano: e.time_unix_nano,
                    span_id: if e.span_id == [0; 8] { Vec::new() } else { e.span_id.to_vec() },
                    trace_id: if e.trace_id == [0; 16] { Vec::new() } else { e.trace_id.to_vec() },
                    value: Some(exemplar::Value::AsDouble(e.value)),
                }
            }));
        }
    }
}

fn value_text(v: &opentelemetry::Value) -> String {
    match v {
        opentelemetry::Value::F64(f) => f.to_string(),
        other => other.to_string(),
    }
}

/// An attribute set as one string, independent of order.
fn canonical<'a>(pairs: impl Iterator<Item = (&'a str, String)>) -> String {
    let mut pairs: Vec<(&str, String)> = pairs.collect();
    pairs.sort();
    let mut out = String::new();
    for (k, v) in pairs {
        out.push_str(k);
        out.push('\u{1}');
        out.push_str(&v);
        out.push('\u{2}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};

    const BOUNDS: &[f64] = &[0.01, 0.1, 1.0];

    fn sc(sampled: bool) -> SpanContext {
        let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        SpanContext::new(TraceId::from(7u128), SpanId::from(9u64), flags, false, TraceState::default())
    }

    #[test]
    fn one_exemplar_per_bucket_the_last_wins_and_take_empties() {
        let r = Reservoir::new(BOUNDS);
        r.offer(Filter::TraceBased, 0.005, Some(&sc(true)));
        r.offer(Filter::TraceBased, 0.007, Some(&sc(true)));
        r.offer(Filter::TraceBased, 0.5, Some(&sc(true)));
        r.offer(Filter::TraceBased, 0.1, Some(&sc(true))); // upper-inclusive: bucket 1
        r.offer(Filter::TraceBased, 5.0, Some(&sc(true)));
        let values: Vec<f64> = r.take().iter().map(|e| e.value).collect();
        assert_eq!(values, [0.007, 0.1, 0.5, 5.0]);
        assert!(r.take().is_empty());
    }

    #[test]
    fn the_filter_decides_which_measurements_are_kept() {
        let r = Reservoir::new(BOUNDS);
        r.offer(Filter::TraceBased, 0.5, Some(&sc(false)));
        r.offer(Filter::TraceBased, 0.5, None);
        r.offer(Filter::AlwaysOff, 0.5, Some(&sc(true)));
        assert!(r.take().is_empty());
        r.offer(Filter::AlwaysOn, 0.5, None);
        let kept = r.take();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].trace_id, [0; 16]);
        r.offer(Filter::TraceBased, 0.5, Some(&sc(true)));
        let kept = r.take();
        assert_eq!(kept[0].trace_id, TraceId::from(7u128).to_bytes());
        assert_eq!(kept[0].span_id, SpanId::from(9u64).to_bytes());
    }

    #[test]
    fn attribute_sets_match_in_any_order() {
        let a = canonical([("b", "2".to_string()), ("a", "1".to_string())].into_iter());
        let b = canonical([("a", "1".to_string()), ("b", "2".to_string())].into_iter());
        assert_eq!(a, b);
        assert_ne!(a, canonical([("a", "12".to_string())].into_iter()));
    }
}
