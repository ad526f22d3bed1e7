// Advice of the `tracing` pack, compiled inside tracing-core as `mod __otel_advice_tracing`.
// Edition 2018 (tracing-core's): no let chains.

use crate::field::{Field, Visit};
use crate::span::{Attributes, Current, Id, Record};
use crate::subscriber::{Interest, Subscriber};
use crate::{Dispatch, Event, LevelFilter, Metadata};
use std::any::TypeId;
use std::convert::TryFrom;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

/// `Dispatch::new`'s subscriber, wrapped.
pub fn wrap<S>(subscriber: S) -> OtelSubscriber<S> {
    OtelSubscriber { inner: subscriber, on: __otel::enabled("tracing") }
}

/// Forwards every call to `inner`; mirrors spans and events when the pack is on.
pub struct OtelSubscriber<S> {
    inner: S,
    on: bool,
}

/// Live mirrored spans, by (subscriber address, tracing span id).
fn spans() -> &'static Mutex<HashMap<(usize, u64), __otel::Span>> {
    static SPANS: OnceLock<Mutex<HashMap<(usize, u64), __otel::Span>>> = OnceLock::new();
    SPANS.get_or_init(|| Mutex::new(HashMap::new()))
}

std::thread_local! {
    /// Contexts attached by `enter`, detached by the matching `exit`.
    static ENTERED: RefCell<Vec<((usize, u64), __otel::Entered)>> = RefCell::new(Vec::new());
}

impl<S> OtelSubscriber<S> {
    fn key(&self, id: &Id) -> (usize, u64) {
        (self as *const Self as usize, id.into_u64())
    }

    /// The context of mirrored span `id` (entered for a moment to capture it).
    fn context_of(&self, id: &Id) -> __otel::Context {
        let map = spans().lock().unwrap_or_else(|e| e.into_inner());
        match map.get(&self.key(id)) {
            Some(span) => {
                let _entered = span.enter();
                __otel::Context::current()
            }
            None => __otel::Context::current(),
        }
    }
}

/// Fields as span attributes (`otel.name` renames the span).
struct SpanFields<'a>(&'a __otel::Span);

impl Visit for SpanFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"))
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "otel.name" {
            self.0.set_name(value)
        } else {
            self.0.str(field.name(), value)
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.i64(field.name(), value)
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        match i64::try_from(value) {
            Ok(v) => self.0.i64(field.name(), v),
            Err(_) => self.0.str(field.name(), &value.to_string()),
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.f64(field.name(), value)
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.bool(field.name(), value)
    }
}

/// An event's message and fields, for its log record.
#[derive(Default)]
struct EventFields {
    message: String,
    fields: Vec<(&'static str, String)>,
    from_log: bool,
}

impl Visit for EventFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"))
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message = value.to_owned(),
            "log.target" => self.from_log = true,
            name => self.fields.push((name, value.to_owned())),
        }
    }
}

fn severity(level: &crate::Level) -> u32 {
    match *level {
        crate::Level::ERROR => 17,
        crate::Level::WARN => 13,
        crate::Level::INFO => 9,
        crate::Level::DEBUG => 5,
        _ => 1,
    }
}

impl<S: Subscriber> Subscriber for OtelSubscriber<S> {
    fn on_register_dispatch(&self, subscriber: &Dispatch) {
        self.inner.on_register_dispatch(subscriber)
    }
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        self.inner.max_level_hint()
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.inner.new_span(attrs);
        if !self.on {
            return id;
        }
        let parent = if attrs.is_contextual() {
            __otel::Context::current()
        } else {
            match attrs.parent() {
                Some(parent) => self.context_of(parent),
                None => __otel::Context::empty(),
            }
        };
        let meta = attrs.metadata();
        // The name and the call site are `'static`: one crossing, kept without a copy.
        let name = __otel::OtelStrV1::from_static(meta.name());
        let code = [
            __otel::Attr::lit("code.file.path", meta.file().unwrap_or("")),
            __otel::Attr::i64("code.line.number", meta.line().map_or(0, i64::from)),
        ];
        let known = match (meta.file(), meta.line()) {
            (Some(_), Some(_)) => &code[..],
            (Some(_), None) => &code[..1],
            (None, Some(_)) => &code[1..],
            (None, None) => &code[..0],
        };
        let span = __otel::Span::start_attrs_with(&parent, name, __otel::INTERNAL, known);
        if span.is_recording() {
            attrs.record(&mut SpanFields(&span));
        }
        if !span.is_none() {
            spans().lock().unwrap_or_else(|e| e.into_inner()).insert(self.key(&id), span);
        }
        id
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        self.inner.record(span, values);
        if self.on {
            if let Some(s) = spans().lock().unwrap_or_else(|e| e.into_inner()).get(&self.key(span)) {
                values.record(&mut SpanFields(s));
            }
        }
    }
    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.inner.record_follows_from(span, follows)
    }
    fn event_enabled(&self, event: &Event<'_>) -> bool {
        self.inner.event_enabled(event)
    }
    fn event(&self, event: &Event<'_>) {
        self.inner.event(event);
        if !self.on {
            return;
        }
        let mut fields = EventFields::default();
        event.record(&mut fields);
        if fields.from_log {
            return;
        }
        let meta = event.metadata();
        let mut attrs: Vec<(&str, __otel::Value<'_>)> =
            fields.fields.iter().map(|(k, v)| (*k, __otel::Value::Str(v.as_str()))).collect();
        if let Some(file) = meta.file() {
            attrs.push(("code.file.path", __otel::Value::Str(file)));
        }
        if let Some(line) = meta.line() {
            attrs.push(("code.line.number", __otel::Value::I64(i64::from(line))));
        }
        __otel::log(severity(meta.level()), &fields.message, meta.target(), &attrs);
    }
    fn enter(&self, span: &Id) {
        self.inner.enter(span);
        if !self.on {
            return;
        }
        let key = self.key(span);
        let map = spans().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(&key) {
            let entered = s.enter();
            drop(map);
            let _ = ENTERED.try_with(|stack| stack.borrow_mut().push((key, entered)));
        }
    }
    fn exit(&self, span: &Id) {
        if self.on {
            let key = self.key(span);
            let _ = ENTERED.try_with(|stack| {
                let mut stack = stack.borrow_mut();
                if let Some(at) = stack.iter().rposition(|(k, _)| *k == key) {
                    // Later entries (entered after this one and not exited) detach first.
                    let later = stack.split_off(at + 1);
                    stack.pop();
                    stack.extend(later);
                }
            });
        }
        self.inner.exit(span)
    }
    fn clone_span(&self, id: &Id) -> Id {
        self.inner.clone_span(id)
    }
    #[allow(deprecated)]
    fn drop_span(&self, id: Id) {
        self.inner.drop_span(id)
    }
    fn try_close(&self, id: Id) -> bool {
        let key = self.key(&id);
        let closed = self.inner.try_close(id);
        if closed && self.on {
            // Dropping the span ends it (outside the lock).
            let span = spans().lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            drop(span);
        }
        closed
    }
    fn current_span(&self) -> Current {
        self.inner.current_span()
    }
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        unsafe { self.inner.downcast_raw(id) }
    }
}

// --- Apps that install no subscriber ---------------------------------------------------
//
// With no subscriber, `LevelFilter::current()` stays OFF and every `tracing` macro stops at
// that check: nothing reaches a dispatcher. The first `LevelFilter::current()` call (the
// first macro) with no dispatcher ever set (`has_been_set`) makes `Fallback`, a minimal
// subscriber, into a `Dispatch` (which wraps it in `OtelSubscriber` and registers it, so
// the max level becomes INFO), and `get_global` returns it while no global default is set.
// An app that sets one later gets it as before (tracing-core >=0.1.31 reads the global on
// every call); in 0.1.30 a thread caches the first dispatcher it sees, so there the fallback
// is never made.

/// 0: not decided, 1: deciding, 2: decided (the fallback made, or not to be made).
static FALLBACK_STATE: AtomicU8 = AtomicU8::new(0);
static FALLBACK: OnceLock<Dispatch> = OnceLock::new();

/// OnEnter of `LevelFilter::current`: make the fallback dispatcher once, if needed.
#[inline]
pub fn ensure_fallback() {
    if FALLBACK_STATE.load(Ordering::Relaxed) == 2 {
        return;
    }
    if FALLBACK_STATE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed).is_err() {
        return; // decided, or being decided (by this thread: `Dispatch::new` below)
    }
    let wanted = env!("CARGO_PKG_VERSION") != "0.1.30" && !crate::dispatcher::has_been_set() && __otel::enabled("tracing");
    if wanted {
        let _ = FALLBACK.set(Dispatch::new(Fallback::default()));
    }
    FALLBACK_STATE.store(2, Ordering::Release);
}

/// `get_global`'s return value, in both of its shapes across the range.
pub trait Global: Sized {
    fn or_fallback(self) -> Self;
}

impl Global for &'static Dispatch {
    #[inline]
    fn or_fallback(self) -> Self {
        match FALLBACK.get() {
            // No global default set: `get_global` returned the no-op dispatcher.
            Some(fallback) if self.is::<crate::subscriber::NoSubscriber>() => fallback,
            _ => self,
        }
    }
}

/// tracing-core 0.1.30 (no fallback there: see above).
impl Global for Option<&'static Dispatch> {
    fn or_fallback(self) -> Self {
        self
    }
}

/// `wrap_return` of `dispatcher::get_global`.
#[inline]
pub fn global<G: Global>(dispatch: G) -> G {
    dispatch.or_fallback()
}

/// The subscriber of an app that installs none: INFO and above, span ids with reference
/// counts (so `OtelSubscriber` ends each span when its last handle closes); nothing printed.
#[derive(Default)]
struct Fallback {
    next: AtomicU64,
    refs: Mutex<HashMap<u64, usize>>,
}

impl Fallback {
    fn refs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, usize>> {
        self.refs.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Subscriber for Fallback {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.enabled(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= crate::Level::INFO
    }
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.refs().insert(id, 1);
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
    fn clone_span(&self, id: &Id) -> Id {
        if let Some(n) = self.refs().get_mut(&id.into_u64()) {
            *n += 1;
        }
        id.clone()
    }
    fn try_close(&self, id: Id) -> bool {
        let mut refs = self.refs();
        match refs.get_mut(&id.into_u64()) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                refs.remove(&id.into_u64());
                true
            }
            None => false,
        }
    }
}
