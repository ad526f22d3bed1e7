//! Semantic-convention policy, one tested copy for every pack (design.md §8 and §11).
//!
//! Packs hand the runtime plain facts through the `__otel_v1_{http_server,http_client,db,
//! rpc,messaging}_*` calls; this module names the spans, redacts, maps statuses to span
//! status and `error.type`, and records the duration histograms.
//!
//! A semconv call is a [`Call`] behind a span handle tagged [`CALL`]: the `span_*` entry
//! points resolve it to the span it owns ([`resolve`]), so woven code holds one `Span` for
//! both. The call keeps what its end needs (start instant, method, address, …), so the
//! woven side never carries policy state. `*_end` records the outcome and the metric and
//! ends the span at once (the span's end and the measurement agree); the handle itself is
//! freed by `__otel_v1_span_end` (the prelude's `Drop`).

// Each module defines its `extern "C"` entry points as safe fns, as `exports.rs` does: the
// pointer contracts are those of `abi/abi.rs`, upheld by the prelude.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod db;
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod http;
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod messaging;
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub mod rpc;

use crate::abi::OtelStrV1;
use crate::context::{self, Seen};
use crate::lifecycle::{self, ENABLED};
use crate::metrics::AttrValue;
use crate::span::{self, Lock, Parent, Record, SpanRef, SpanState};
use opentelemetry::{Context, Key, Value};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Tag bit of a call handle (span handles use bit 0; boxes are 8-aligned).
pub const CALL: u64 = 2;

/// One semantic-convention operation: the span it owns and what its end needs.
pub struct Call {
    /// The span handle (0 once `*_end` ended it).
    span: AtomicU64,
    started: Instant,
    facts: Facts,
    /// The recording span's context has been given the call's marker ([`Call::context`]).
    marked: AtomicBool,
}

pub enum Facts {
    HttpServer(http::Server),
    HttpClient(http::Client),
    Db(db::Db),
    Rpc(rpc::Rpc),
    Messaging(messaging::Messaging),
}

/// The span handle behind `handle`: itself for a plain span, the owned span for a call.
///
/// # Safety
/// `handle` must be 0 or a live handle from `__otel_v1_span_start` or a `*_start` call.
#[inline(always)]
pub unsafe fn resolve(handle: u64) -> u64 {
    if handle & CALL == 0 {
        handle
    } else {
        unsafe { &*((handle & !CALL) as *const Call) }.span.load(Ordering::Acquire)
    }
}

/// The call behind a handle, `None` for plain spans and 0.
///
/// # Safety
/// As for [`resolve`].
pub unsafe fn call<'a>(handle: u64) -> Option<&'a Call> {
    (handle & CALL != 0).then(|| unsafe { &*((handle & !CALL) as *const Call) })
}

/// Free a call handle, ending its span (with no outcome) if `*_end` did not.
///
/// # Safety
/// `handle` must be a call handle, freed once.
pub unsafe fn free(handle: u64) {
    // Woven code detaches a call before it ends it; should a pack not, its entry is
    // published now, while the call can still build its context.
    context::forget(handle);
    let call = unsafe { Box::from_raw((handle & !CALL) as *mut Call) };
    end_span(&call);
}

/// Start the span of a call under `parent` (the current context when `None`): an SDK span
/// when spans are on, else the bare context (so attach and propagation still work).
/// Returns the call handle.
pub(crate) fn start(
    parent: Option<&Context>,
    name: impl FnOnce() -> Cow<'static, str>,
    kind: u32,
    facts: Facts,
    record: impl FnOnce(&Rec<'_>, &Facts),
) -> u64 {
    let Some(rt) = lifecycle::runtime() else { return 0 };
    let mut state = match (lifecycle::state() == ENABLED, parent) {
        (true, Some(cx)) => span::start(rt, Parent::Explicit(cx), name, kind),
        // Read in place: a span of the current context is attached in the context current
        // then (`span::start_with`), so nothing is cloned or published here.
        (true, None) => context::with_parent(rt.child_of_sampled, |parent| span::start(rt, parent, name, kind)),
        (false, _) => SpanState::Current,
    };
    // A call that does not record is its context (so attach and propagation still work);
    // one whose kind has a marker needs a context of its own to carry it.
    if matches!(state, SpanState::Current) && (has_marker(&facts) || lifecycle::state() != ENABLED) {
        state = SpanState::Inert(Box::new(parent.cloned().unwrap_or_else(context::current)));
    }
    // A context that does not record is the span: it carries the call's marker from the
    // start. A recording span gets it when first attached ([`Call::context`]): most
    // database calls never are, and `with_value` is three allocations.
    if let SpanState::Inert(cx) = &mut state {
        if let Some(with_marker) = marked(&facts, cx) {
            **cx = with_marker;
        }
    }
    let handle = state.into_handle();
    record(&Rec(unsafe { SpanRef::recording(handle) }), &facts);
    let call =
        Box::new(Call { span: AtomicU64::new(handle), started: Instant::now(), facts, marked: AtomicBool::new(false) });
    Box::into_raw(call) as u64 | CALL
}

/// Run `end` on a live call (records outcome and metric), then end its span. A second end,
/// a plain span or 0 is a no-op.
pub(crate) fn finish(handle: u64, end: impl FnOnce(&Rec<'_>, &Call, f64)) {
    let Some(call) = (unsafe { call(handle) }) else { return };
    let span = call.span.load(Ordering::Acquire);
    if span == 0 {
        return;
    }
    let seconds = call.started.elapsed().as_secs_f64();
    end(&Rec(unsafe { SpanRef::recording(span) }), call, seconds);
    end_span(call);
}

fn end_span(call: &Call) {
    let span = call.span.swap(0, Ordering::AcqRel);
    if span != 0 {
        span::end(unsafe { SpanState::from_handle(span) });
    }
}

/// Whether calls of this kind tell the calls started under them that they are current.
fn has_marker(facts: &Facts) -> bool {
    matches!(facts, Facts::HttpServer(_) | Facts::Rpc(rpc::Rpc { server: false, .. }) | Facts::Db(_))
}

/// Look for a call's marker in the current context without publishing what is pending
/// (`context::find`): `of_call` asks a pending call itself, `of_cx` an API context. A
/// pending span that keeps a context of its own (an explicit parent, or the one its first
/// publish built) is answered from it.
pub(crate) fn find_marker<R>(of_call: impl Fn(&Call) -> Option<R>, of_cx: impl Fn(&Context) -> Option<R>) -> Option<R> {
    context::find(|seen| match seen {
        Seen::Span(handle, record) => {
            if let Some(found) = unsafe { call(handle) }.and_then(&of_call) {
                return Some(Some(found));
            }
            span::with_own_context(record, |own| own.map(&of_cx))
        }
        Seen::Context(cx) => Some(of_cx(cx)),
    })
}

/// `cx` with the value that tells calls started under this one that it is current, for
/// the kinds that have one.
fn marked(facts: &Facts, cx: &Context) -> Option<Context> {
    match facts {
        // The route hand-off rides in the context: see `http::RouteSlot`.
        Facts::HttpServer(server) => Some(cx.with_value(http::CurrentServer(server.slot.clone()))),
        // An HTTP client under this call is its transport: see `rpc::CurrentRpcClient`.
        Facts::Rpc(rpc::Rpc { server: false, .. }) => Some(cx.with_value(rpc::CurrentRpcClient)),
        // Calls started while this one is current refine it instead: see `db::CurrentDb`.
        Facts::Db(db) => Some(cx.with_value(db::CurrentDb(db.conn.clone()))),
        _ => None,
    }
}

impl Call {
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The context that makes the call's span `span` current: on the first attach of a
    /// recording span, its parent is given the call's marker first (the marker is only
    /// ever read from the current context, so it is needed from the first attach on).
    pub fn context(&self, span: SpanRef<'_>) -> Context {
        if let SpanRef::Recording(lock) = span {
            if !self.marked.swap(true, Ordering::AcqRel) {
                span::amend_parent(lock, |parent| marked(&self.facts, parent));
            }
        }
        span.context()
    }
}

/// Attribute writes on a call's span; all no-ops when it does not record.
pub struct Rec<'a>(Option<&'a Lock<Record>>);

impl Rec<'_> {
    pub fn recording(&self) -> bool {
        self.0.is_some()
    }
    /// The span's context (`None` when it does not record).
    pub fn span_context(&self) -> Option<opentelemetry::trace::SpanContext> {
        Some(self.0?.lock().span_context.clone())
    }
    pub fn str(&self, key: &'static str, value: &str) {
        if let (Some(state), false) = (self.0, value.is_empty()) {
            let (value, owned) = span::str_value_owned(value.as_bytes());
            span::set(state, Key::from_static_str(key), value, owned);
        }
    }
    /// [`Rec::str`] for a value many spans share: the span holds a count, not a copy.
    pub fn shared_str(&self, key: &'static str, value: &std::sync::Arc<str>) {
        if let (Some(state), false) = (self.0, value.is_empty()) {
            span::set(state, Key::from_static_str(key), Value::String(value.clone().into()), true);
        }
    }
    pub fn i64(&self, key: &'static str, value: i64) {
        if let Some(state) = self.0 {
            span::set(state, Key::from_static_str(key), Value::I64(value), false);
        }
    }
    pub fn name(&self, name: Cow<'static, str>) {
        if let Some(state) = self.0 {
            span::update_name(state, name);
        }
    }
    /// Mark the span failed: `error.type` and an error status with `description`.
    pub fn error(&self, error_type: &str, description: &str) {
        if let Some(state) = self.0 {
            self.str("error.type", error_type);
            span::set_status(state, 2, || description.to_owned());
        }
    }
    #[cfg(test)]
    pub fn none() -> Rec<'static> {
        Rec(None)
    }
}

/// Record a duration measurement of the call whose span `rec` writes (metrics off: nothing);
/// the span's context is the exemplar's.
pub(crate) fn record(rec: &Rec<'_>, instrument: u32, seconds: f64, attrs: &[(&str, AttrValue<'_>)]) {
    if let Some(metrics) = lifecycle::runtime().and_then(|rt| rt.metrics.as_ref()) {
        metrics.record(instrument, seconds, attrs, rec.span_context().as_ref());
    }
}

/// A string of the semconv structs. Not validated again: an `OtelStrV1` is built only from a
/// `&str` (its fields are private, abi.rs), and validating the dozen of a request was 4% of
/// what a woven /hello request adds (536 instructions).
pub(crate) fn text<'a>(s: &OtelStrV1<'a>) -> Cow<'a, str> {
    let (ptr, len) = s.parts();
    let bytes = if ptr.is_null() || len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(ptr, len) } };
    // Safety: the bytes of a `&str` (above); `parts` only masks the `OTEL_STATIC` bit.
    Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// `v` when non-empty, else `default`.
pub(crate) fn or<'a>(v: &'a str, default: &'a str) -> &'a str {
    if v.is_empty() { default } else { v }
}

/// Metric attributes, skipping empty strings and zero ports: a fixed array on the stack
/// (every convention's set has at most [`Attrs::MAX`]), so a call's end allocates nothing
/// for its measurement.
pub(crate) struct Attrs<'a> {
    items: [(&'static str, AttrValue<'a>); Attrs::MAX],
    len: usize,
}

impl<'a> Attrs<'a> {
    pub const MAX: usize = 10;

    pub fn new() -> Self {
        Attrs { items: [("", AttrValue::I64(0)); Attrs::MAX], len: 0 }
    }

    /// The attributes set so far.
    pub fn as_slice(&self) -> &[(&'static str, AttrValue<'a>)] {
        &self.items[..self.len]
    }

    fn push(&mut self, key: &'static str, value: AttrValue<'a>) {
        // Past `MAX` (a convention grew): dropped, as a limit would.
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (key, value);
            self.len += 1;
        }
    }

    pub fn str(&mut self, key: &'static str, value: &'a str) -> &mut Self {
        if !value.is_empty() {
            self.push(key, AttrValue::Str(value));
        }
        self
    }
    pub fn int(&mut self, key: &'static str, value: i64) -> &mut Self {
        if value != 0 {
            self.push(key, AttrValue::I64(value));
        }
        self
    }
}

/// An `error.type` chosen from the caller's, else the one the status implies.
pub(crate) fn error_type<'a>(given: &'a str, from_status: &'a str) -> &'a str {
    or(given, from_status)
}

#[cfg(test)]
pub(crate) mod testing {
    //! An in-memory pipeline for the semconv unit tests: one process-wide runtime, spans
    //! read back from the exporter by name.
    use crate::config::Config;
    use crate::lifecycle::TraceSink;
    use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
    use std::sync::OnceLock;

    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();

    pub fn install() {
        let exporter = EXPORTER.get_or_init(InMemorySpanExporter::default).clone();
        let env = [("OTEL_METRICS_EXPORTER".to_owned(), "none".to_owned())].into_iter().collect();
        crate::lifecycle::install(
            || Config::from_env_map(&env, Some("semconv-test")),
            Some(TraceSink::Processor(Box::new(SimpleSpanProcessor::new(exporter)))),
        );
    }

    /// The finished span named `name` carrying attribute `key` = `value` (tests run in
    /// parallel in one process: each test filters on its own marker).
    pub fn span(name: &str, key: &str, value: &str) -> SpanData {
        let spans = EXPORTER.get().expect("installed").get_finished_spans().expect("spans");
        spans
            .into_iter()
            .find(|s| s.name == name && attr(s, key).as_deref() == Some(value))
            .unwrap_or_else(|| panic!("no span {name:?} with {key}={value}"))
    }

    pub fn attr(span: &SpanData, key: &str) -> Option<String> {
        span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
    }
}
