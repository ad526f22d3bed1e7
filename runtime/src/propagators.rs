//! Header propagation formats of `OTEL_PROPAGATORS`, and the carrier adapters that let
//! `__otel_v1_inject` / `__otel_v1_extract` go through the ABI's C callbacks.
//!
//! `baggage` comes from opentelemetry_sdk; W3C `tracecontext` is ours ([`TraceContext`]: it
//! runs on every request that crosses a service, both ways); `b3` (single header),
//! `b3multi` (`X-B3-*`) and `jaeger` (`uber-trace-id`) are implemented here, since no small
//! crate targets opentelemetry 0.33. All are combined in one composite propagator:
//! injection writes every format, extraction lets later formats override earlier ones (the
//! OTel composite semantics).

use crate::config::PropagatorKind;
use opentelemetry::Context;
use opentelemetry::propagation::{
    Extractor, Injector, TextMapCompositePropagator, TextMapPropagator, text_map_propagator::FieldIter,
};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};

/// Build the composite propagator for `kinds` (empty: propagates nothing).
pub fn build(kinds: &[PropagatorKind]) -> TextMapCompositePropagator {
    let list = kinds
        .iter()
        .map(|kind| -> Box<dyn TextMapPropagator + Send + Sync> {
            match kind {
                PropagatorKind::TraceContext => Box::new(TraceContext::default()),
                PropagatorKind::Baggage => Box::new(BaggagePropagator::new()),
                PropagatorKind::B3 => Box::new(B3Propagator::single()),
                PropagatorKind::B3Multi => Box::new(B3Propagator::multi()),
                PropagatorKind::Jaeger => Box::new(JaegerPropagator::new()),
            }
        })
        .collect();
    TextMapCompositePropagator::new(list)
}

/// W3C Trace Context. Injection writes `traceparent` without `fmt` (the SDK's `format!` of
/// the ids cost more than the rest of a client span's injection) and omits an empty
/// `tracestate`, as the Go SDK does. Extraction reads the fixed-width header in place
/// ([`parse_traceparent`]) where the SDK splits it into a `Vec` and parses each field with
/// `from_str_radix`: 1.8k of the 3.4k instructions an incoming `traceparent` cost
/// (docs/benchmarks.md). `tracestate` is parsed by the SDK's `TraceState`.
#[derive(Debug, Default)]
pub struct TraceContext(TraceContextPropagator);

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

impl TraceContext {
    /// `00-{trace id}-{span id}-{flags}`.
    fn traceparent(sc: &SpanContext) -> String {
        fn hex(out: &mut [u8], bytes: &[u8]) {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            for (pair, &b) in out.chunks_exact_mut(2).zip(bytes) {
                pair[0] = DIGITS[usize::from(b >> 4)];
                pair[1] = DIGITS[usize::from(b & 0xf)];
            }
        }
        let mut out = *b"00-00000000000000000000000000000000-0000000000000000-00";
        hex(&mut out[3..35], &sc.trace_id().to_bytes());
        hex(&mut out[36..52], &sc.span_id().to_bytes());
        hex(&mut out[53..55], &[(sc.trace_flags() & TraceFlags::SAMPLED).to_u8()]);
        // Safety: ASCII digits, hex and dashes only (a lossy conversion checked them again:
        // 445 instructions of a client call's 1.9k injection).
        unsafe { String::from_utf8_unchecked(out.to_vec()) }
    }
}

/// The ids and flags of a `traceparent` header, as W3C Trace Context reads it:
/// `{version}-{trace id}-{parent id}-{flags}`, two, 32, 16 and two lowercase hex digits;
/// version `ff` is invalid, version `00` is exactly 55 characters, a later version may add
/// fields after a `-`; all-zero ids are invalid. Flags other than `sampled` are dropped
/// (the spec's "other flags"). Stricter than the SDK in one way the spec asks for: ids of
/// the wrong length are refused, where `from_str_radix` takes them.
fn parse_traceparent(header: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let b = header.trim().as_bytes();
    if b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    let version = lower_hex::<1>(&b[0..2])?[0];
    if version == 0xff || (version == 0 && b.len() != 55) || (b.len() > 55 && b[55] != b'-') {
        return None;
    }
    let trace_id = u128::from_be_bytes(lower_hex::<16>(&b[3..35])?);
    let span_id = u64::from_be_bytes(lower_hex::<8>(&b[36..52])?);
    let flags = lower_hex::<1>(&b[53..55])?[0];
    if trace_id == 0 || span_id == 0 {
        return None;
    }
    Some((TraceId::from(trace_id), SpanId::from(span_id), TraceFlags::new(flags) & TraceFlags::SAMPLED))
}

/// `2 * N` lowercase hex digits as `N` bytes (`None` on any other character).
#[inline]
fn lower_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    #[inline(always)]
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

impl TextMapPropagator for TraceContext {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        injector.set(TRACEPARENT, Self::traceparent(sc));
        let state = sc.trace_state().header();
        if !state.is_empty() {
            injector.set(TRACESTATE, state);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let Some((trace_id, span_id, flags)) = extractor.get(TRACEPARENT).and_then(parse_traceparent) else {
            return cx.clone();
        };
        let state = extractor.get(TRACESTATE).and_then(|s| s.parse::<TraceState>().ok()).unwrap_or_default();
        cx.with_remote_span_context(SpanContext::new(trace_id, span_id, flags, true, state))
    }

    fn fields(&self) -> FieldIter<'_> {
        self.0.fields()
    }
}

fn parse_trace_id(hex: &str) -> Option<TraceId> {
    if hex.is_empty() || hex.len() > 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = TraceId::from_hex(&format!("{hex:0>32}")).ok()?;
    (id != TraceId::INVALID).then_some(id)
}

fn parse_span_id(hex: &str) -> Option<SpanId> {
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let id = SpanId::from_hex(&format!("{hex:0>16}")).ok()?;
    (id != SpanId::INVALID).then_some(id)
}

fn remote(cx: &Context, trace_id: TraceId, span_id: SpanId, sampled: bool) -> Context {
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    cx.with_remote_span_context(SpanContext::new(trace_id, span_id, flags, true, TraceState::default()))
}

/// Zipkin B3, single header (`b3`) or multiple headers (`X-B3-*`).
#[derive(Debug)]
pub struct B3Propagator {
    single: bool,
    fields: Vec<String>,
}

const B3_SINGLE: &str = "b3";
const B3_TRACE: &str = "x-b3-traceid";
const B3_SPAN: &str = "x-b3-spanid";
const B3_SAMPLED: &str = "x-b3-sampled";
const B3_FLAGS: &str = "x-b3-flags";

impl B3Propagator {
    pub fn single() -> Self {
        B3Propagator { single: true, fields: vec![B3_SINGLE.to_owned()] }
    }
    pub fn multi() -> Self {
        let fields = [B3_TRACE, B3_SPAN, B3_SAMPLED, B3_FLAGS].map(str::to_owned).to_vec();
        B3Propagator { single: false, fields }
    }

    fn extract_single(cx: &Context, value: &str) -> Option<Context> {
        let mut parts = value.trim().split('-');
        let trace_id = parse_trace_id(parts.next()?)?;
        let span_id = parse_span_id(parts.next()?)?;
        let sampled = match parts.next() {
            None => true, // deferred: sample like a new root (we default to on)
            Some("1") | Some("d") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(_) => return None,
        };
        Some(remote(cx, trace_id, span_id, sampled))
    }

    fn extract_multi(cx: &Context, extractor: &dyn Extractor) -> Option<Context> {
        let trace_id = parse_trace_id(extractor.get(B3_TRACE)?.trim())?;
        let span_id = parse_span_id(extractor.get(B3_SPAN)?.trim())?;
        let debug = extractor.get(B3_FLAGS).map(str::trim) == Some("1");
        let sampled = match extractor.get(B3_SAMPLED).map(str::trim) {
            _ if debug => true,
            None => true,
            Some("1") | Some("true") => true,
            Some("0") | Some("false") => false,
            Some(_) => return None,
        };
        Some(remote(cx, trace_id, span_id, sampled))
    }
}

impl TextMapPropagator for B3Propagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let sampled = if sc.is_sampled() { "1" } else { "0" };
        if self.single {
            injector.set(B3_SINGLE, format!("{}-{}-{}", sc.trace_id(), sc.span_id(), sampled));
        } else {
            injector.set(B3_TRACE, sc.trace_id().to_string());
            injector.set(B3_SPAN, sc.span_id().to_string());
            injector.set(B3_SAMPLED, sampled.to_owned());
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let found = if self.single {
            extractor.get(B3_SINGLE).and_then(|v| Self::extract_single(cx, v))
        } else {
            Self::extract_multi(cx, extractor)
        };
        found.unwrap_or_else(|| cx.clone())
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// Jaeger's `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`.
#[derive(Debug)]
pub struct JaegerPropagator {
    fields: Vec<String>,
}

const JAEGER_HEADER: &str = "uber-trace-id";

impl JaegerPropagator {
    pub fn new() -> Self {
        JaegerPropagator { fields: vec![JAEGER_HEADER.to_owned()] }
    }
}

impl Default for JaegerPropagator {
    fn default() -> Self {
        Self::new()
    }
}

impl TextMapPropagator for JaegerPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        let flags = if sc.is_sampled() { "1" } else { "0" };
        injector.set(JAEGER_HEADER, format!("{}:{}:0:{}", sc.trace_id(), sc.span_id(), flags));
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        let parse = || -> Option<Context> {
            let raw = extractor.get(JAEGER_HEADER)?.trim();
            let decoded = raw.replace("%3A", ":").replace("%3a", ":");
            let parts: Vec<&str> = decoded.split(':').collect();
            if parts.len() != 4 {
                return None;
            }
            let trace_id = parse_trace_id(parts[0])?;
            let span_id = parse_span_id(parts[1])?;
            let flags = u8::from_str_radix(parts[3], 16).ok()?;
            Some(remote(cx, trace_id, span_id, flags & 1 == 1))
        };
        parse().unwrap_or_else(|| cx.clone())
    }

    fn fields(&self) -> FieldIter<'_> {
        FieldIter::new(&self.fields)
    }
}

/// The write side of an ABI carrier: `set(carrier, key, key_len, value, value_len)`.
pub struct CInjector {
    pub carrier: *mut u8,
    pub set: extern "C" fn(*mut u8, *const u8, usize, *const u8, usize),
}

impl Injector for CInjector {
    fn set(&mut self, key: &str, value: String) {
        (self.set)(self.carrier, key.as_ptr(), key.len(), value.as_ptr(), value.len());
    }
}

/// The read side of an ABI carrier: `get(carrier, key, key_len, &mut len) -> ptr|null`.
/// Keys cannot be enumerated through the ABI, so `keys()` is empty.
pub struct CExtractor {
    pub carrier: *mut u8,
    pub get: extern "C" fn(*mut u8, *const u8, usize, *mut usize) -> *const u8,
}

impl Extractor for CExtractor {
    fn get(&self, key: &str) -> Option<&str> {
        let mut len = 0usize;
        let ptr = (self.get)(self.carrier, key.as_ptr(), key.len(), &mut len);
        if ptr.is_null() {
            return None;
        }
        // Safety: the callback contract (prelude.rs) returns a pointer to `len` bytes that
        // live as long as the carrier, which outlives this extractor.
        let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
        std::str::from_utf8(bytes).ok()
    }

    fn keys(&self) -> Vec<&str> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sample_cx(sampled: bool) -> Context {
        remote(
            &Context::new(),
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            sampled,
        )
    }

    #[test]
    fn traceparent_matches_the_sdk_byte_for_byte() {
        let states = [TraceState::default(), TraceState::from_key_value([("vendor", "opaque")]).unwrap()];
        for sampled in [true, false] {
            for state in &states {
                let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
                let sc = SpanContext::new(
                    TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
                    SpanId::from_hex("b7ad6b7169203331").unwrap(),
                    flags,
                    false,
                    state.clone(),
                );
                let cx = Context::new().with_remote_span_context(sc);
                let (mut ours, mut sdk) = (HashMap::new(), HashMap::new());
                TraceContext::default().inject_context(&cx, &mut ours);
                TraceContextPropagator::new().inject_context(&cx, &mut sdk);
                sdk.retain(|_, v: &mut String| !v.is_empty());
                assert_eq!(ours, sdk, "sampled={sampled} state={state:?}");
            }
        }
        let mut none = HashMap::new();
        TraceContext::default().inject_context(&Context::new(), &mut none);
        assert!(none.is_empty(), "no span, no header: {none:?}");
    }

    fn extracted(traceparent: &str, tracestate: Option<&str>) -> (Option<SpanContext>, Option<SpanContext>) {
        let mut h = HashMap::new();
        h.insert("traceparent".to_owned(), traceparent.to_owned());
        if let Some(state) = tracestate {
            h.insert("tracestate".to_owned(), state.to_owned());
        }
        let valid = |cx: Context| Some(cx.span().span_context().clone()).filter(|sc| sc.is_valid());
        (valid(TraceContext::default().extract(&h)), valid(TraceContextPropagator::new().extract(&h)))
    }

    /// Headers the spec accepts, and ones it refuses, read as the SDK reads them.
    #[test]
    fn traceparent_extraction_agrees_with_the_sdk() {
        let good = [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            "  00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
            "00-00000000000000000000000000000001-0000000000000001-09", // other flags dropped
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds",
        ];
        for header in good {
            for state in [None, Some("vendor=opaque,other=x"), Some("not a state")] {
                let (ours, sdk) = extracted(header, state);
                assert!(ours.is_some(), "{header:?} refused");
                assert_eq!(ours, sdk, "{header:?} {state:?}");
            }
        }
        let bad = [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.extra",
        ];
        for header in bad {
            let (ours, sdk) = extracted(header, None);
            assert_eq!(ours, None, "{header:?} accepted");
            assert_eq!(sdk, None, "{header:?}: the SDK accepts it");
        }
        // Where the spec and the SDK part: an id of the wrong length is invalid.
        let short = "00-f92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-";
        assert_eq!(extracted(short, None).0, None);
        // The state rides along, and a bad one is dropped, as the SDK does.
        let (ours, _) = extracted(good[0], Some("vendor=opaque"));
        assert_eq!(ours.map(|sc| sc.trace_state().header()), Some("vendor=opaque".to_owned()));
    }

    fn round_trip(kinds: &[PropagatorKind], sampled: bool) -> (HashMap<String, String>, Context) {
        let prop = build(kinds);
        let mut headers = HashMap::new();
        prop.inject_context(&sample_cx(sampled), &mut headers);
        let back = prop.extract(&headers);
        (headers, back)
    }

    fn assert_same(cx: &Context, sampled: bool) {
        let span = cx.span();
        let sc = span.span_context();
        assert_eq!(sc.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(sc.span_id().to_string(), "00f067aa0ba902b7");
        assert_eq!(sc.is_sampled(), sampled);
        assert!(sc.is_remote());
    }

    #[test]
    fn every_format_round_trips() {
        use PropagatorKind::*;
        for kind in [TraceContext, B3, B3Multi, Jaeger] {
            for sampled in [true, false] {
                let (headers, back) = round_trip(&[kind], sampled);
                assert!(!headers.is_empty(), "{kind:?}");
                assert_same(&back, sampled);
            }
        }
    }

    #[test]
    fn header_shapes() {
        use PropagatorKind::*;
        let (h, _) = round_trip(&[TraceContext], true);
        assert_eq!(h["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        let (h, _) = round_trip(&[B3], true);
        assert_eq!(h["b3"], "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
        let (h, _) = round_trip(&[B3Multi], false);
        assert_eq!(h["x-b3-traceid"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(h["x-b3-spanid"], "00f067aa0ba902b7");
        assert_eq!(h["x-b3-sampled"], "0");
        let (h, _) = round_trip(&[Jaeger], true);
        assert_eq!(h["uber-trace-id"], "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1");
        let (h, _) = round_trip(&[], true);
        assert!(h.is_empty());
    }

    #[test]
    fn short_ids_and_bad_input() {
        let prop = build(&[PropagatorKind::B3, PropagatorKind::Jaeger]);
        let mut h = HashMap::new();
        h.insert("b3".to_owned(), "a3ce929d0e0e4736-00f067aa0ba902b7-d".to_owned());
        let cx = prop.extract(&h);
        assert_eq!(cx.span().span_context().trace_id().to_string(), "0000000000000000a3ce929d0e0e4736");
        let mut h = HashMap::new();
        h.insert("uber-trace-id".to_owned(), "abc%3A1%3A0%3A1".to_owned());
        assert!(prop.extract(&h).span().span_context().is_valid());
        for bad in ["", "0", "zz-11", "1-0-1", "x:y:0:1", "1:2:3"] {
            let mut h = HashMap::new();
            h.insert("b3".to_owned(), bad.to_owned());
            h.insert("uber-trace-id".to_owned(), bad.to_owned());
            assert!(!prop.extract(&h).span().span_context().is_valid(), "{bad}");
        }
    }

    #[test]
    fn baggage_round_trips() {
        use opentelemetry::KeyValue;
        use opentelemetry::baggage::BaggageExt;
        let prop = build(&[PropagatorKind::TraceContext, PropagatorKind::Baggage]);
        let cx = sample_cx(true).with_baggage(vec![KeyValue::new("user", "ada")]);
        let mut h = HashMap::new();
        prop.inject_context(&cx, &mut h);
        assert_eq!(h["baggage"], "user=ada");
        let back = prop.extract(&h);
        assert_eq!(back.baggage().get("user").map(|v| v.to_string()), Some("ada".into()));
        assert_same(&back, true);
    }
}
