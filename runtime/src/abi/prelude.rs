// Safe wrappers over the ABI, spliced after `declare.rs` and `abi.rs` as `mod __otel` into every woven
// crate. Mechanical only (handles, guards, futures, carriers, metrics, thin semconv calls: policy lives
// in the runtime). std only, every edition 2015-2024; tests/prelude.rs caps its size. `std` by a path of
// this module: woven `#![no_std]`/`#![no_implicit_prelude]` crates have neither (runtime graphs have std).
pub extern crate std;
use self::std::prelude::v1::*;
use self::std::{future::Future, marker::PhantomData, pin::Pin, task::{Context as TaskContext, Poll}};

pub const INTERNAL: u32 = 0; pub const SERVER: u32 = 1; pub const CLIENT: u32 = 2; pub const PRODUCER: u32 = 3; pub const CONSUMER: u32 = 4;
pub const HTTP_SERVER_DURATION: u32 = 1; pub const HTTP_CLIENT_DURATION: u32 = 2; pub const DB_CLIENT_DURATION: u32 = 3;
/// The semconv calls' fields (`__otel::HttpServer { method: m.into(), ..Default::default() }`).
pub type HttpServer<'a> = OtelHttpServerV1<'a>; pub type HttpClient<'a> = OtelHttpClientV1<'a>; pub type Db<'a> = OtelDbV1<'a>; pub type Rpc<'a> = OtelRpcV1<'a>; pub type Messaging<'a> = OtelMessagingV1<'a>;
fn s<'a>(v: &'a str) -> OtelStrV1<'a> { OtelStrV1::new(v) }

pub fn init() { unsafe { __otel_v1_init() } } // injected at the start of `main`
/// Is `file` (as `file!()`/`Location::file()` name it) the app's? Members are relative; `APP_SOURCES` (from the plan) lists path deps.
pub fn in_app(file: &str) -> bool { !std::path::Path::new(file).is_absolute() || APP_SOURCES.iter().any(|s| file.starts_with(s)) }
/// Is instrumentation `pack` switched on (and the SDK enabled)?
#[inline]
pub fn enabled(pack: &str) -> bool { unsafe { __otel_v1_enabled(pack.as_ptr(), pack.len()) != 0 } }
/// An owned span (or semconv call). Dropping it ends it; a drop while panicking marks it failed.
pub struct Span(u64);
impl Span {
    #[inline] pub fn none() -> Span { Span(0) }
    #[inline] pub fn start(name: &str, kind: u32) -> Span { Span::start_with_parent(&Context(0), name, kind) }
    /// Start a span under `parent`; an empty parent falls back to the current context.
    #[inline] pub fn start_with_parent(parent: &Context, name: &str, kind: u32) -> Span { Span(unsafe { __otel_v1_span_start(parent.0, name.as_ptr(), name.len(), kind) }) }
    /// Start a span only when `pack` is enabled.
    #[inline] pub fn start_in(pack: &str, name: &str, kind: u32) -> Span { if enabled(pack) { Span::start(name, kind) } else { Span::none() } }
    /// Start a span with its attributes in one call; the name, keys and `Value::Lit`s cross without a copy.
    #[inline] pub fn start_attrs(name: &'static str, kind: u32, attributes: &[Attr]) -> Span { Span::start_attrs_with(&Context(0), OtelStrV1::from_static(name), kind, attributes) }
    #[inline] pub fn start_attrs_with(parent: &Context, name: OtelStrV1, kind: u32, attributes: &[Attr]) -> Span { Span(unsafe { __otel_v1_span_start_attrs(&OtelSpanStartV1 { parent: parent.0, name: name, kind: kind, scope: 0, attrs: attributes.as_ptr() as *const OtelAttrV1, attrs_len: attributes.len() }) }) }
    /// Start only when `pack` is enabled (the weaver's span rules).
    #[inline] pub fn start_attrs_in(pack: &str, name: OtelStrV1, kind: u32, attributes: &[Attr]) -> Span { if enabled(pack) { Span::start_attrs_with(&Context(0), name, kind, attributes) } else { Span::none() } }
    /// Set several attributes in one call.
    #[inline] pub fn set_all(&self, attributes: &[Attr]) { if self.0 != 0 { unsafe { __otel_v1_span_set_attrs(self.0, attributes.as_ptr() as *const OtelAttrV1, attributes.len()) } } }
    #[inline] pub fn is_none(&self) -> bool { self.0 == 0 }
    #[inline] pub fn is_recording(&self) -> bool { self.0 != 0 && unsafe { __otel_v1_span_is_recording(self.0) } != 0 }
    #[inline] pub fn str(&self, key: &str, v: &str) { if self.0 != 0 { unsafe { __otel_v1_span_set_str(self.0, key.as_ptr(), key.len(), v.as_ptr(), v.len()) } } }
    #[inline] pub fn i64(&self, key: &str, v: i64) { if self.0 != 0 { unsafe { __otel_v1_span_set_i64(self.0, key.as_ptr(), key.len(), v) } } }
    #[inline] pub fn f64(&self, key: &str, v: f64) { if self.0 != 0 { unsafe { __otel_v1_span_set_f64(self.0, key.as_ptr(), key.len(), v) } } }
    #[inline] pub fn bool(&self, key: &str, v: bool) { if self.0 != 0 { unsafe { __otel_v1_span_set_bool(self.0, key.as_ptr(), key.len(), v as u32) } } }
    pub fn set_name(&self, n: &str) { if self.0 != 0 { unsafe { __otel_v1_span_update_name(self.0, n.as_ptr(), n.len()) } } }
    pub fn event(&self, n: &str) { if self.0 != 0 { unsafe { __otel_v1_span_add_event(self.0, n.as_ptr(), n.len()) } } }
    pub fn event_with(&self, n: &str, attributes: &[(&str, Value)]) { if self.0 != 0 { with_raw(attributes, |raw| unsafe { __otel_v1_span_add_event_attrs(self.0, n.as_ptr(), n.len(), raw.as_ptr(), raw.len()) }) } }
    pub fn event_on_current(n: &str, attributes: &[(&str, Value)]) { with_raw(attributes, |raw| unsafe { __otel_v1_current_span_add_event_attrs(n.as_ptr(), n.len(), raw.as_ptr(), raw.len()) }) }
    /// Mark the span as failed, with `error.type` and a description.
    pub fn error(&self, error_type: &str, description: &str) { if self.0 != 0 { self.str("error.type", error_type); unsafe { __otel_v1_span_set_status(self.0, 2, description.as_ptr(), description.len()) } } }
    pub fn ok(&self) { if self.0 != 0 { unsafe { __otel_v1_span_set_status(self.0, 1, "".as_ptr(), 0) } } }
    /// Make this span current until the returned guard drops.
    #[inline] pub fn enter(&self) -> Entered { Entered(if self.0 == 0 { 0 } else { unsafe { __otel_v1_span_attach(self.0) } }, PhantomData) }
    /// End the span now (same as dropping it).
    pub fn end(self) {}
    // A semconv call's outcome (status 0: no response): the runtime sets status, error and duration metric, and ends it.
    pub fn http_server_end(&self, status: u16, error_type: &str, desc: &str) { if self.0 != 0 { unsafe { __otel_v1_http_server_end(self.0, u32::from(status), s(error_type), s(desc)) } } }
    /// Set the route of this server call (kept if a framework set one already).
    pub fn http_route(&self, route: &str) -> bool { self.0 != 0 && unsafe { __otel_v1_http_server_route(self.0, route.as_ptr(), route.len()) } != 0 }
    pub fn http_client_end(&self, status: u16, version: &str, error_type: &str, desc: &str) { if self.0 != 0 { unsafe { __otel_v1_http_client_end(self.0, u32::from(status), s(version), s(error_type), s(desc)) } } }
    pub fn db_end(&self, status_code: &str, error_type: &str, desc: &str) { if self.0 != 0 { unsafe { __otel_v1_db_end(self.0, s(status_code), s(error_type), s(desc)) } } }
    pub fn rpc_end(&self, status: i32, error_type: &str, desc: &str) { if self.0 != 0 { unsafe { __otel_v1_rpc_end(self.0, status, s(error_type), s(desc)) } } }
    pub fn messaging_end(&self, error_type: &str, desc: &str) { if self.0 != 0 { unsafe { __otel_v1_messaging_end(self.0, s(error_type), s(desc)) } } }
}
impl<'a> OtelHttpServerV1<'a> { pub fn start(&self, parent: &Context) -> Span { Span(unsafe { __otel_v1_http_server_start(parent.0, self) }) } }
impl<'a> OtelHttpClientV1<'a> { pub fn start(&self) -> Span { Span(unsafe { __otel_v1_http_client_start(self) }) } }
impl<'a> OtelDbV1<'a> { pub fn start(&self) -> Span { Span(unsafe { __otel_v1_db_start(self) }) } }
impl<'a> OtelRpcV1<'a> { pub fn start(&self, parent: &Context, kind: u32) -> Span { Span(unsafe { __otel_v1_rpc_start(parent.0, kind, self) }) } }
impl<'a> OtelMessagingV1<'a> { pub fn start(&self, parent: &Context) -> Span { Span(unsafe { __otel_v1_messaging_start(parent.0, self) }) } }
/// Claim the current context's HTTP server call for a framework (empty `route`; true if it was unclaimed) or set its route (true if none was set): see abi.rs.
pub fn http_server_route(route: &str) -> bool { unsafe { __otel_v1_http_server_route(0, route.as_ptr(), route.len()) != 0 } }
impl Drop for Span { #[inline] fn drop(&mut self) { if self.0 != 0 && self.0 != OTEL_SPAN_CURRENT { if std::thread::panicking() { self.error("panic", "panicked"); } unsafe { __otel_v1_span_end(self.0) } } } }
/// A context made current; dropping it restores the previous one. `!Send`: it must be dropped on the thread that attached it, so it can never be held across an `.await` of a task that may move (the poll-scoped context model of design.md §5).
pub struct Entered(u64, PhantomData<*const ()>);
impl Drop for Entered { #[inline] fn drop(&mut self) { if self.0 != 0 { unsafe { __otel_v1_ctx_detach(self.0) } } } }
/// A span current for the guard's lifetime: the prologue of woven sync fns (`?`, `return` and unwinding all end it). Field order matters: detach, then end.
pub struct SpanGuard { entered: Entered, pub span: Span }
impl SpanGuard { #[inline] pub fn new(span: Span) -> SpanGuard { SpanGuard { entered: span.enter(), span: span } } }
/// A captured context: what a spawned task or thread carries from its parent.
pub struct Context(u64);
impl Context {
    #[inline] pub fn current() -> Context { Context(unsafe { __otel_v1_ctx_current() }) }
    #[inline] pub fn empty() -> Context { Context(0) }
    #[inline] pub fn is_empty(&self) -> bool { self.0 == 0 }
    #[inline] pub fn attach(&self) -> Entered { Entered(if self.0 == 0 { 0 } else { unsafe { __otel_v1_ctx_attach(self.0) } }, PhantomData) }
}
impl Clone for Context { fn clone(&self) -> Context { Context(if self.0 == 0 { 0 } else { unsafe { __otel_v1_ctx_clone(self.0) } }) } }
impl Drop for Context { #[inline] fn drop(&mut self) { if self.0 != 0 { unsafe { __otel_v1_ctx_drop(self.0) } } } }
// Span and context handles are owned by the runtime, which is thread-safe.
unsafe impl Send for Span {} unsafe impl Sync for Span {} unsafe impl Send for Context {} unsafe impl Sync for Context {}
/// A future whose span is current during each poll and ends when the future completes (or is dropped). `on_ready` sees the span and the output before the span ends.
pub struct Instrumented<F, X> { inner: F, span: Span, on_ready: Option<X> }
/// The no-op `on_ready` of `instrument`.
pub fn no_exit<T>(_span: &Span, _output: &T) {}
pub fn instrument<F: Future>(span: Span, inner: F) -> Instrumented<F, fn(&Span, &F::Output)> { Instrumented { inner: inner, span: span, on_ready: Some(no_exit::<F::Output> as fn(&Span, &F::Output)) } }
pub fn instrument_with<F: Future, X: FnOnce(&Span, &F::Output)>(span: Span, inner: F, on_ready: X) -> Instrumented<F, X> { Instrumented { inner: inner, span: span, on_ready: Some(on_ready) } }
impl<F: Future, X: FnOnce(&Span, &F::Output)> Future for Instrumented<F, X> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        // Safety: only `inner` is structurally pinned; a span handle and a closure taken by value are not.
        let this = unsafe { self.get_unchecked_mut() };
        let polled = { let _entered = this.span.enter(); unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx) };
        if let Poll::Ready(ref output) = polled {
            if let Some(on_ready) = this.on_ready.take() { on_ready(&this.span, output); }
            drop(std::mem::replace(&mut this.span, Span::none()));
        }
        polled
    }
}

/// A future that carries the context captured where it was created into every poll.
pub struct Propagated<F> { inner: F, context: Context } pub fn propagate<F>(inner: F) -> Propagated<F> { Propagated { inner: inner, context: Context::current() } }
impl<F: Future> Future for Propagated<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> { let this = unsafe { self.get_unchecked_mut() }; let _entered = this.context.attach(); unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx) } // as for `Instrumented`
}
/// Wrap a closure (a thread body, a blocking task) so it runs under the caller's context.
pub fn propagate_fn<R, F: FnOnce() -> R>(body: F) -> impl FnOnce() -> R { let context = Context::current(); move || { let _entered = context.attach(); body() } }
/// Like `propagate_fn` for closures that take one argument (`thread::scope` spawns).
pub fn propagate_fn1<A, R, F: FnOnce(A) -> R>(body: F) -> impl FnOnce(A) -> R { let context = Context::current(); move |arg| { let _entered = context.attach(); body(arg) } }
/// A spawned task: the context current at the spawn is captured; `start` runs at the first poll and returns the task's span (or `Span::none()`: the context is attached instead). The span is current during each poll and ends with the task; a panicking poll fails it.
pub struct Task<F, S> { inner: F, context: Context, span: Span, start: Option<S>, scope: u32 }
pub fn task<F, S: FnOnce(&Context) -> Span>(start: S, inner: F) -> Task<F, S> { Task { inner: inner, context: Context::current(), span: Span::none(), start: Some(start), scope: ambient_scope() } }
struct PanicMark<'a>(&'a Span); impl<'a> Drop for PanicMark<'a> { fn drop(&mut self) { if std::thread::panicking() { self.0.error("panic", "panicked"); } } }
impl<F: Future, S: FnOnce(&Context) -> Span> Future for Task<F, S> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        let this = unsafe { self.get_unchecked_mut() }; // as for `Instrumented`
        if let Some(start) = this.start.take() { let _g = ScopeGuard(unsafe { __otel_v1_scope_swap(this.scope) }); this.span = start(&this.context); }
        let polled = {
            let _mark = PanicMark(&this.span);
            let _entered = if this.span.is_none() { this.context.attach() } else { this.span.enter() };
            unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
        };
        if polled.is_ready() { drop(std::mem::replace(&mut this.span, Span::none())); }
        polled
    }
}
/// Run `body`: a closure boundary so `return` inside a woven body yields the wrapped value.
#[inline] pub fn run<R, B: FnOnce() -> R>(body: B) -> R { body() }
/// Run `body`, then `on_exit` with OnEnter's call context (generic in `R`: `?` keeps its meaning).
#[inline] pub fn call<C, R, B: FnOnce() -> R, X: FnOnce(C, &R)>(cx: C, on_exit: X, body: B) -> R { let r = body(); on_exit(cx, &r); r }
/// Write and read sides of a header carrier.
pub trait Injector { fn set(&mut self, key: &str, value: &str); } pub trait Extractor { fn get(&self, key: &str) -> Option<&str>; }
unsafe fn utf8<'a>(p: *const u8, n: usize) -> Option<&'a str> { Some(std::str::from_utf8_unchecked(std::slice::from_raw_parts(p, n))) } // the runtime's `&str`s (abi.rs): not validated again
extern "C" fn inject_callback<C: Injector>(carrier: *mut u8, key: *const u8, key_len: usize, val: *const u8, val_len: usize) {
    if let (Some(k), Some(v)) = unsafe { (utf8(key, key_len), utf8(val, val_len)) } { unsafe { &mut *(carrier as *mut C) }.set(k, v) }
}
extern "C" fn extract_callback<C: Extractor>(carrier: *mut u8, key: *const u8, key_len: usize, out_len: *mut usize) -> *const u8 {
    match unsafe { utf8(key, key_len) }.and_then(|k| unsafe { &*(carrier as *const C) }.get(k)) { Some(value) => { unsafe { *out_len = value.len() }; value.as_ptr() } None => std::ptr::null() }
}
pub fn inject<C: Injector>(carrier: &mut C) { unsafe { __otel_v1_inject(carrier as *mut C as *mut u8, inject_callback::<C>) } } // the current context into `carrier` (e.g. `traceparent`)
pub fn current_ids() -> Option<OtelIdsV1> { let mut ids = OtelIdsV1::default(); if unsafe { __otel_v1_ctx_current_ids(&mut ids) } != 0 { Some(ids) } else { None } } // the current span context's ids (trace, span, flags), when one is valid
#[inline] pub fn ctx_sync() { unsafe { __otel_v1_ctx_sync() } } // what the opentelemetry crate's woven context doors call first: see abi.rs
/// Read a remote parent context from `carrier`.
pub fn extract<C: Extractor>(carrier: &C) -> Context { Context(unsafe { __otel_v1_extract(carrier as *const C as *mut u8, extract_callback::<C>) }) }
/// A metric/event/log attribute value.
pub enum Value<'a> { Str(&'a str), I64(i64), F64(f64), Bool(bool) }
/// A span attribute in the ABI's own layout (the array crosses as is); keys are `'static`, `lit` values too (kept without a copy).
#[repr(transparent)] #[derive(Clone, Copy)] pub struct Attr<'a>(OtelAttrV1, PhantomData<&'a str>); impl<'a> Attr<'a> {
    #[inline] fn new(key: &'static str, kind: u32, text: &'a str, lit: usize, int: i64, float: f64) -> Attr<'a> { Attr(OtelAttrV1 { key_ptr: key.as_ptr(), key_len: key.len() | OTEL_STATIC, kind: kind, str_ptr: text.as_ptr(), str_len: text.len() | lit, int: int, float: float }, PhantomData) }
    #[inline] pub fn str(key: &'static str, v: &'a str) -> Attr<'a> { Attr::new(key, 0, v, 0, 0, 0.0) }
    #[inline] pub fn lit(key: &'static str, v: &'static str) -> Attr<'a> { Attr::new(key, 0, v, OTEL_STATIC, 0, 0.0) }
    #[inline] pub fn i64(key: &'static str, v: i64) -> Attr<'a> { Attr::new(key, 1, "", 0, v, 0.0) }
    #[inline] pub fn f64(key: &'static str, v: f64) -> Attr<'a> { Attr::new(key, 2, "", 0, 0, v) }
    #[inline] pub fn bool(key: &'static str, v: bool) -> Attr<'a> { Attr::new(key, 3, "", 0, v as i64, 0.0) }
}
/// A pack's instrumentation scope (`cargo-otel.<pack>`), registered on first use; the weaver puts one in each advice module and enters it around every advice call.
pub struct Scope { name: &'static str, id: std::sync::atomic::AtomicU32 }
impl Scope { pub const fn new(name: &'static str) -> Scope { Scope { name: name, id: std::sync::atomic::AtomicU32::new(u32::MAX) } }
    #[inline] pub fn id(&self) -> u32 { match self.id.load(std::sync::atomic::Ordering::Relaxed) { u32::MAX => { let id = unsafe { __otel_v1_scope(OtelStrV1::from_static(self.name), OtelStrV1::default()) }; self.id.store(id, std::sync::atomic::Ordering::Relaxed); id } id => id } } }
/// `scope` is the scope of the spans this thread starts until the guard drops (around an advice call); id 0 (runtime disabled, table full) swaps nothing.
pub struct ScopeGuard(u32); impl Drop for ScopeGuard { #[inline] fn drop(&mut self) { if self.0 != u32::MAX { unsafe { __otel_v1_scope_swap(self.0); } } } }
impl ScopeGuard { #[inline] pub fn enter(scope: &Scope) -> ScopeGuard { match scope.id() { 0 => ScopeGuard(u32::MAX), id => ScopeGuard(unsafe { __otel_v1_scope_swap(id) }) } } }
/// This thread's scope, for work that starts spans later (a task's first poll).
#[inline] fn ambient_scope() -> u32 { unsafe { __otel_v1_scope_swap(u32::MAX) } }
/// Record `value` on a built-in instrument (`HTTP_SERVER_DURATION`, …; ids in abi.rs).
pub fn record(instrument: u32, value: f64, attributes: &[(&str, Value)]) { with_raw(attributes, |raw| unsafe { __otel_v1_metric_record(instrument, value, raw.as_ptr(), raw.len()) }) }
/// Emit a log record under the current span (severity 1–24: 5 DEBUG, 9 INFO, 13 WARN, 17 ERROR).
pub fn log(severity: u32, body: &str, target: &str, attributes: &[(&str, Value)]) { with_raw(attributes, |raw| unsafe { __otel_v1_log_emit(severity, s(body), s(target), raw.as_ptr(), raw.len()) }) }
fn with_raw<R>(attributes: &[(&str, Value)], f: impl FnOnce(&[OtelAttrV1]) -> R) -> R {
    fn raw(key: &str, value: &Value) -> OtelAttrV1 {
        let (kind, text, int, float) = match *value { Value::Str(s) => (0, s, 0, 0.0), Value::I64(i) => (1, "", i, 0.0), Value::F64(f) => (2, "", 0, f), Value::Bool(b) => (3, "", b as i64, 0.0) };
        OtelAttrV1 { key_ptr: key.as_ptr(), key_len: key.len(), kind: kind, str_ptr: text.as_ptr(), str_len: text.len(), int: int, float: float }
    }
    const INLINE: usize = 12; // the conventions' attribute sets fit on the stack, written once (no zeroing)
    if attributes.len() <= INLINE {
        let mut inline: [std::mem::MaybeUninit<OtelAttrV1>; INLINE] = unsafe { std::mem::MaybeUninit::uninit().assume_init() };
        for (slot, &(key, ref value)) in inline.iter_mut().zip(attributes) { *slot = std::mem::MaybeUninit::new(raw(key, value)); }
        return f(unsafe { std::slice::from_raw_parts(inline.as_ptr() as *const OtelAttrV1, attributes.len()) });
    }
    f(&attributes.iter().map(|&(key, ref value)| raw(key, value)).collect::<Vec<OtelAttrV1>>())
}
