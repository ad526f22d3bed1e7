// Safe wrappers over the ABI, spliced (after `declare.rs` and `abi.rs`) as `mod __otel` into
// every woven crate, so advice code never writes `unsafe`. Constraints: std only, no crate
// dependencies, and valid in every edition 2015-2024 (no `async`, `dyn`-free signatures,
// `::std` paths). The weaver puts `#[allow(...)]` for every lint on the module.

use ::std::future::Future;
use ::std::pin::Pin;
use ::std::task::{Context as TaskContext, Poll};

pub const INTERNAL: u32 = 0;
pub const SERVER: u32 = 1;
pub const CLIENT: u32 = 2;
pub const PRODUCER: u32 = 3;
pub const CONSUMER: u32 = 4;

pub const STATUS_UNSET: u32 = 0;
pub const STATUS_OK: u32 = 1;
pub const STATUS_ERROR: u32 = 2;

pub const HTTP_SERVER_DURATION: u32 = 1;
pub const HTTP_CLIENT_DURATION: u32 = 2;
pub const DB_CLIENT_DURATION: u32 = 3;

/// Initialise the runtime (injected at the start of `main`).
pub fn init() {
    unsafe { __otel_v1_init() }
}

/// Is instrumentation `pack` switched on (and the SDK enabled)?
#[inline]
pub fn enabled(pack: &str) -> bool {
    unsafe { __otel_v1_enabled(pack.as_ptr(), pack.len()) != 0 }
}

/// An owned span. Dropping it ends it; a drop during a panic marks it as an error first.
pub struct Span(u64);

impl Span {
    /// A span that records nothing.
    #[inline]
    pub fn none() -> Span {
        Span(0)
    }
    /// Start a span under the current context.
    #[inline]
    pub fn start(name: &str, kind: u32) -> Span {
        Span(unsafe { __otel_v1_span_start(0, name.as_ptr(), name.len(), kind) })
    }
    /// Start a span under `parent` (an extracted or captured context); an empty parent
    /// falls back to the current context.
    #[inline]
    pub fn start_with_parent(parent: &Context, name: &str, kind: u32) -> Span {
        Span(unsafe { __otel_v1_span_start(parent.0, name.as_ptr(), name.len(), kind) })
    }
    /// Start a span only when `pack` is enabled.
    #[inline]
    pub fn start_in(pack: &str, name: &str, kind: u32) -> Span {
        if enabled(pack) { Span::start(name, kind) } else { Span::none() }
    }
    #[inline]
    pub fn is_none(&self) -> bool {
        self.0 == 0
    }
    #[inline]
    pub fn is_recording(&self) -> bool {
        self.0 != 0 && unsafe { __otel_v1_span_is_recording(self.0) } != 0
    }
    #[inline]
    pub fn str(&self, key: &str, value: &str) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_set_str(self.0, key.as_ptr(), key.len(), value.as_ptr(), value.len()) }
        }
    }
    #[inline]
    pub fn i64(&self, key: &str, value: i64) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_set_i64(self.0, key.as_ptr(), key.len(), value) }
        }
    }
    #[inline]
    pub fn f64(&self, key: &str, value: f64) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_set_f64(self.0, key.as_ptr(), key.len(), value) }
        }
    }
    #[inline]
    pub fn bool(&self, key: &str, value: bool) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_set_bool(self.0, key.as_ptr(), key.len(), value as u32) }
        }
    }
    pub fn set_name(&self, name: &str) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_update_name(self.0, name.as_ptr(), name.len()) }
        }
    }
    pub fn event(&self, name: &str) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_add_event(self.0, name.as_ptr(), name.len()) }
        }
    }
    /// Mark the span as failed, with `error.type` and a description.
    pub fn error(&self, error_type: &str, description: &str) {
        if self.0 != 0 {
            self.str("error.type", error_type);
            unsafe { __otel_v1_span_set_status(self.0, STATUS_ERROR, description.as_ptr(), description.len()) }
        }
    }
    pub fn ok(&self) {
        if self.0 != 0 {
            unsafe { __otel_v1_span_set_status(self.0, STATUS_OK, "".as_ptr(), 0) }
        }
    }
    /// Make this span current until the returned guard drops.
    #[inline]
    pub fn enter(&self) -> Entered {
        Entered(if self.0 == 0 { 0 } else { unsafe { __otel_v1_span_attach(self.0) } })
    }
    /// End the span now (same as dropping it).
    pub fn end(self) {}
}

impl Drop for Span {
    #[inline]
    fn drop(&mut self) {
        if self.0 != 0 {
            if ::std::thread::panicking() {
                self.error("panic", "panicked");
            }
            unsafe { __otel_v1_span_end(self.0) }
        }
    }
}

/// A context made current; dropping it restores the previous one.
pub struct Entered(u64);

impl Drop for Entered {
    #[inline]
    fn drop(&mut self) {
        if self.0 != 0 {
            unsafe { __otel_v1_ctx_detach(self.0) }
        }
    }
}

/// A span that is current for the lifetime of the guard: the prologue of woven sync fns.
/// `?`, early `return` and unwinding all end it. Field order matters: detach, then end.
pub struct SpanGuard {
    entered: Entered,
    pub span: Span,
}

impl SpanGuard {
    #[inline]
    pub fn new(span: Span) -> SpanGuard {
        SpanGuard { entered: span.enter(), span: span }
    }
}

/// A captured context: what a spawned task or thread carries from its parent.
pub struct Context(u64);

impl Context {
    #[inline]
    pub fn current() -> Context {
        Context(unsafe { __otel_v1_ctx_current() })
    }
    #[inline]
    pub fn empty() -> Context {
        Context(0)
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    #[inline]
    pub fn attach(&self) -> Entered {
        Entered(if self.0 == 0 { 0 } else { unsafe { __otel_v1_ctx_attach(self.0) } })
    }
}

impl Clone for Context {
    fn clone(&self) -> Context {
        Context(if self.0 == 0 { 0 } else { unsafe { __otel_v1_ctx_clone(self.0) } })
    }
}

impl Drop for Context {
    #[inline]
    fn drop(&mut self) {
        if self.0 != 0 {
            unsafe { __otel_v1_ctx_drop(self.0) }
        }
    }
}

// Handles are plain integers owned by the runtime, which is thread-safe.
unsafe impl Send for Span {}
unsafe impl Sync for Span {}
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

/// A future whose span is current during each poll and ends when the future completes
/// (or is dropped). `on_ready` sees the span and the output before the span ends.
pub struct Instrumented<F, X> {
    inner: F,
    span: Span,
    on_ready: Option<X>,
}

/// The no-op `on_ready` of `instrument`.
pub fn no_exit<T>(_span: &Span, _output: &T) {}

pub fn instrument<F: Future>(span: Span, inner: F) -> Instrumented<F, fn(&Span, &F::Output)> {
    Instrumented { inner: inner, span: span, on_ready: Some(no_exit::<F::Output> as fn(&Span, &F::Output)) }
}

pub fn instrument_with<F: Future, X: FnOnce(&Span, &F::Output)>(span: Span, inner: F, on_ready: X) -> Instrumented<F, X> {
    Instrumented { inner: inner, span: span, on_ready: Some(on_ready) }
}

impl<F: Future, X: FnOnce(&Span, &F::Output)> Future for Instrumented<F, X> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        // Safety: `inner` is structurally pinned and never moved; the other fields are Unpin
        // in use (a span handle and an optional closure we only take by value).
        let this = unsafe { self.get_unchecked_mut() };
        let polled = {
            let _entered = this.span.enter();
            unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
        };
        if let Poll::Ready(ref output) = polled {
            if let Some(on_ready) = this.on_ready.take() {
                on_ready(&this.span, output);
            }
            let finished = ::std::mem::replace(&mut this.span, Span::none());
            drop(finished);
        }
        polled
    }
}

/// A future that carries the context captured where it was created into every poll:
/// the wrapper spawn-like functions put around the task they are given.
pub struct Propagated<F> {
    inner: F,
    context: Context,
}

pub fn propagate<F>(inner: F) -> Propagated<F> {
    Propagated { inner: inner, context: Context::current() }
}

impl<F: Future> Future for Propagated<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        // Safety: as for `Instrumented`, only `inner` is pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let _entered = this.context.attach();
        unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
    }
}

/// Wrap a closure (a thread body, a blocking task) so it runs under the caller's context.
pub fn propagate_fn<R, F: FnOnce() -> R>(body: F) -> impl FnOnce() -> R {
    let context = Context::current();
    move || {
        let _entered = context.attach();
        body()
    }
}

/// Like `propagate_fn` for closures that take one argument (`thread::scope` spawns).
pub fn propagate_fn1<A, R, F: FnOnce(A) -> R>(body: F) -> impl FnOnce(A) -> R {
    let context = Context::current();
    move |arg| {
        let _entered = context.attach();
        body(arg)
    }
}

/// Run `body`: gives the body of a woven fn a closure boundary so `return` inside it
/// yields the value the advice wraps.
#[inline]
pub fn run<R, B: FnOnce() -> R>(body: B) -> R {
    body()
}

/// Run `body` and hand its result to `on_exit` with the call context from OnEnter advice.
/// Generic in `R` so that `?` and `return` in the body keep their meaning.
#[inline]
pub fn call<C, R, B: FnOnce() -> R, X: FnOnce(C, &R)>(call_context: C, on_exit: X, body: B) -> R {
    let result = body();
    on_exit(call_context, &result);
    result
}

/// Write side of a header carrier.
pub trait Injector {
    fn set(&mut self, key: &str, value: &str);
}

/// Read side of a header carrier.
pub trait Extractor {
    fn get(&self, key: &str) -> Option<&str>;
}

extern "C" fn inject_callback<C: Injector>(carrier: *mut u8, key: *const u8, key_len: usize, val: *const u8, val_len: usize) {
    let carrier = unsafe { &mut *(carrier as *mut C) };
    let key = unsafe { ::std::slice::from_raw_parts(key, key_len) };
    let val = unsafe { ::std::slice::from_raw_parts(val, val_len) };
    if let (Ok(key), Ok(val)) = (::std::str::from_utf8(key), ::std::str::from_utf8(val)) {
        carrier.set(key, val);
    }
}

extern "C" fn extract_callback<C: Extractor>(carrier: *mut u8, key: *const u8, key_len: usize, out_len: *mut usize) -> *const u8 {
    let carrier = unsafe { &*(carrier as *const C) };
    let key = unsafe { ::std::slice::from_raw_parts(key, key_len) };
    let found = match ::std::str::from_utf8(key) {
        Ok(key) => carrier.get(key),
        Err(_) => None,
    };
    match found {
        Some(value) => {
            unsafe { *out_len = value.len() };
            value.as_ptr()
        }
        None => ::std::ptr::null(),
    }
}

/// Write the current context into `carrier` (e.g. `traceparent`).
pub fn inject<C: Injector>(carrier: &mut C) {
    unsafe { __otel_v1_inject(carrier as *mut C as *mut u8, inject_callback::<C>) }
}

/// Read a remote parent context from `carrier`.
pub fn extract<C: Extractor>(carrier: &C) -> Context {
    Context(unsafe { __otel_v1_extract(carrier as *const C as *mut u8, extract_callback::<C>) })
}

/// A metric attribute value.
pub enum Value<'a> {
    Str(&'a str),
    I64(i64),
    F64(f64),
    Bool(bool),
}

/// Record `value` on a built-in instrument (`HTTP_SERVER_DURATION`, ...).
pub fn record(instrument: u32, value: f64, attributes: &[(&str, Value)]) {
    fn raw(key: &str, value: &Value) -> OtelAttrV1 {
        let mut attr = OtelAttrV1 {
            key_ptr: key.as_ptr(),
            key_len: key.len(),
            kind: 0,
            str_ptr: "".as_ptr(),
            str_len: 0,
            int: 0,
            float: 0.0,
        };
        match *value {
            Value::Str(s) => {
                attr.str_ptr = s.as_ptr();
                attr.str_len = s.len();
            }
            Value::I64(i) => {
                attr.kind = 1;
                attr.int = i;
            }
            Value::F64(f) => {
                attr.kind = 2;
                attr.float = f;
            }
            Value::Bool(b) => {
                attr.kind = 3;
                attr.int = b as i64;
            }
        }
        attr
    }
    // The semantic conventions' metric attribute sets fit on the stack.
    const INLINE: usize = 12;
    if attributes.len() <= INLINE {
        let mut inline = [raw("", &Value::Bool(false)); INLINE];
        for (slot, &(key, ref value)) in inline.iter_mut().zip(attributes) {
            *slot = raw(key, value);
        }
        return unsafe { __otel_v1_metric_record(instrument, value, inline.as_ptr(), attributes.len()) };
    }
    let all: Vec<OtelAttrV1> = attributes.iter().map(|&(key, ref value)| raw(key, value)).collect();
    unsafe { __otel_v1_metric_record(instrument, value, all.as_ptr(), all.len()) }
}

/// The semantic-convention `http.request.method`: a known method, or `_OTHER`.
pub fn http_method(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "_OTHER",
    }
}

/// `network.protocol.version` from an `http::Version` (through its `Debug` form, so the
/// prelude needs no `http` dependency): `1.1`, `2`, …; empty when unknown.
pub fn http_version<V: ::std::fmt::Debug>(version: &V) -> &'static str {
    use ::std::fmt::Write;
    /// The `Debug` form, on the stack (this runs per request).
    struct Short([u8; 16], usize);
    impl Write for Short {
        fn write_str(&mut self, s: &str) -> ::std::fmt::Result {
            let end = self.1 + s.len();
            if end > self.0.len() {
                return Err(::std::fmt::Error);
            }
            self.0[self.1..end].copy_from_slice(s.as_bytes());
            self.1 = end;
            Ok(())
        }
    }
    let mut short = Short([0; 16], 0);
    if write!(short, "{:?}", version).is_err() {
        return "";
    }
    match &short.0[..short.1] {
        b"HTTP/0.9" => "0.9",
        b"HTTP/1.0" => "1.0",
        b"HTTP/1.1" => "1.1",
        b"HTTP/2.0" => "2",
        b"HTTP/3.0" => "3",
        _ => "",
    }
}

/// Query parameters whose values `redact_query` replaces (the semantic conventions' list
/// plus common secrets), compared case-insensitively.
pub const SENSITIVE_QUERY_KEYS: &[&str] = &[
    "awsaccesskeyid", "signature", "sig", "x-goog-signature", "x-amz-signature", "x-amz-credential",
    "x-amz-security-token", "token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "key",
    "password", "passwd", "secret", "client_secret", "code",
];

/// `a=1&token=xyz` → `a=1&token=REDACTED`, for `url.query` and `url.full`.
pub fn redact_query(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.find('=') {
            Some(eq) if SENSITIVE_QUERY_KEYS.iter().any(|s| pair[..eq].eq_ignore_ascii_case(s)) => {
                out.push_str(&pair[..eq]);
                out.push_str("=REDACTED");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

/// A spawned task (what task packs wrap around the future a spawn function receives): the
/// context current at the spawn is captured, and `start` runs at the task's first poll with
/// it, returning the task's own span or `Span::none()`. With a span, the span is current
/// during each poll and ends when the task completes or is dropped (a panic while polling
/// marks it as an error); without one, the captured context is attached during each poll,
/// exactly as `propagate` does.
pub struct Task<F, S> {
    inner: F,
    context: Context,
    span: Span,
    start: Option<S>,
}

pub fn task<F, S: FnOnce(&Context) -> Span>(start: S, inner: F) -> Task<F, S> {
    Task { inner: inner, context: Context::current(), span: Span::none(), start: Some(start) }
}

/// Marks a span as failed when a poll unwinds through it.
struct PanicMark<'a>(&'a Span);

impl<'a> Drop for PanicMark<'a> {
    fn drop(&mut self) {
        if ::std::thread::panicking() {
            self.0.error("panic", "panicked");
        }
    }
}

impl<F: Future, S: FnOnce(&Context) -> Span> Future for Task<F, S> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        // Safety: as for `Instrumented`, only `inner` is pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if let Some(start) = this.start.take() {
            this.span = start(&this.context);
        }
        let polled = {
            let _mark = PanicMark(&this.span);
            let _entered = if this.span.is_none() { this.context.attach() } else { this.span.enter() };
            unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
        };
        if let Poll::Ready(_) = polled {
            let finished = ::std::mem::replace(&mut this.span, Span::none());
            drop(finished);
        }
        polled
    }
}

/// The hand-off between the pack that owns a request's SERVER span (hyper's server
/// connection) and a framework pack that learns the route later (axum): the owner inserts
/// one into the request's `http::Extensions`; a framework that finds it starts no span of
/// its own and stores the matched route template in it; the owner names the span
/// `{method} {route}` and sets `http.route` when the span ends. Built from std types only,
/// so its `TypeId` is the same in every woven crate (a type defined here would be one type
/// per crate); the `ServerSpanTag` function-pointer marker makes a clash with an
/// application's own extension of the same shape implausible.
pub type ServerSpanTag = ::std::marker::PhantomData<fn(&'static str, u128, i8) -> [u16; 47]>;
/// See `ServerSpanTag`: `Arc<(tag, route)>`, shared by the owner and the framework.
pub type ServerSpanSlot = ::std::sync::Arc<(ServerSpanTag, ::std::sync::Mutex<Option<::std::sync::Arc<str>>>)>;

/// A new, empty `ServerSpanSlot`.
pub fn server_span_slot() -> ServerSpanSlot {
    ::std::sync::Arc::new((::std::marker::PhantomData, ::std::sync::Mutex::new(None)))
}

/// What a SERVER span reads from an incoming HTTP request. Advice implements it for
/// `http::Request` (which the std-only prelude cannot name); `Extractor::get` reads headers.
pub trait HttpRequest: Extractor {
    fn method(&self) -> &str;
    fn path(&self) -> &str;
    fn query(&self) -> Option<&str>;
    fn scheme(&self) -> Option<&str>;
    fn authority(&self) -> Option<&str>;
    /// `network.protocol.version`, e.g. through `http_version`.
    fn version(&self) -> &'static str;
}

/// A started SERVER span and the request facts its end and its metric need.
pub struct ServerSpan {
    pub span: Span,
    pub method: &'static str,
    pub scheme: &'static str,
    pub version: &'static str,
}

/// Start the SERVER span of an incoming request: parent extracted from its headers, named
/// `{method}`, with the semantic-convention request attributes (query values redacted).
pub fn start_server_span<R: HttpRequest>(req: &R) -> ServerSpan {
    let method = http_method(req.method());
    let parent = extract(req);
    let span = Span::start_with_parent(&parent, method, SERVER);
    let scheme = match req.scheme() {
        Some("https") => "https",
        _ => "http",
    };
    let version = req.version();
    if span.is_recording() {
        span.str("http.request.method", method);
        if method == "_OTHER" {
            span.str("http.request.method_original", req.method());
        }
        span.str("url.path", req.path());
        span.str("url.scheme", scheme);
        if let Some(query) = req.query() {
            span.str("url.query", &redact_query(query));
        }
        if !version.is_empty() {
            span.str("network.protocol.version", version);
        }
        if let Some(host) = req.authority().or_else(|| req.get("host")) {
            let (address, port) = split_host(host);
            span.str("server.address", address);
            if let Some(port) = port {
                span.i64("server.port", port);
            }
        }
        if let Some(agent) = req.get("user-agent") {
            span.str("user_agent.original", agent);
        }
    }
    ServerSpan { span: span, method: method, scheme: scheme, version: version }
}

/// A started CLIENT span and the request facts its metric needs.
pub struct ClientSpan {
    pub span: Span,
    pub method: &'static str,
    pub scheme: String,
    pub address: String,
    pub port: Option<i64>,
    pub started: ::std::time::Instant,
}

/// Start the CLIENT span of an outgoing request under the current context: named `{method}`
/// (`_OTHER` for unknown methods), with the semantic-convention request attributes.
/// `url_full` is only built when the span records. The caller injects the context into the
/// request's headers while the span is current (`span.enter()` + `inject`).
pub fn start_client_span<U: FnOnce() -> String>(
    method: &str,
    scheme: &str,
    address: &str,
    port: Option<i64>,
    url_full: U,
) -> ClientSpan {
    let name = http_method(method);
    let span = Span::start(name, CLIENT);
    if span.is_recording() {
        span.str("http.request.method", name);
        if name == "_OTHER" {
            span.str("http.request.method_original", method);
        }
        span.str("url.full", &url_full());
        if !address.is_empty() {
            span.str("server.address", address);
        }
        if let Some(port) = port {
            span.i64("server.port", port);
        }
    }
    ClientSpan {
        span: span,
        method: name,
        scheme: scheme.to_string(),
        address: address.to_string(),
        port: port,
        started: ::std::time::Instant::now(),
    }
}

impl ClientSpan {
    /// Record the response (status, protocol version) or the failure (`error_type` and a
    /// description) on `span` (this request's span, wherever it lives now), and the
    /// `http.client.request.duration` measurement. A status of 400 or more is an error whose
    /// type is the status code.
    pub fn finish(&self, span: &Span, status: Option<u16>, version: &str, error_type: &str, description: &str) {
        if let Some(code) = status {
            span.i64("http.response.status_code", i64::from(code));
        }
        let status_type = match status {
            Some(code) if code >= 400 && error_type.is_empty() => code.to_string(),
            _ => String::new(),
        };
        let error_type = if status_type.is_empty() { error_type } else { &status_type };
        if !version.is_empty() {
            span.str("network.protocol.version", version);
        }
        if !error_type.is_empty() {
            span.error(error_type, description);
        }
        let metric = HttpMetric {
            method: self.method,
            scheme: &self.scheme,
            status: status.map(i64::from),
            route: None,
            version: version,
            error_type: error_type,
            address: Some(&self.address),
            port: self.port,
        };
        record_http(HTTP_CLIENT_DURATION, self.started.elapsed().as_secs_f64(), &metric);
    }
}

/// Header names of the propagation formats. An outgoing request that already carries one
/// was traced by someone else (reqwest's advice, an application propagating by hand): the
/// lower-level client packs (hyper-util, hyper 0.14) leave it alone.
pub const TRACE_CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

/// `url.full` from a URI's parts: user info replaced by `REDACTED`, sensitive query values
/// redacted (`redact_query`), no fragment.
pub fn full_url(scheme: Option<&str>, authority: Option<&str>, path: &str, query: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = authority {
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(if authority[..at].contains(':') { "REDACTED:REDACTED@" } else { "REDACTED@" });
                out.push_str(&authority[at + 1..]);
            }
            None => out.push_str(authority),
        }
    }
    out.push_str(path);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

/// `host:port`, `[v6]:port` or `host` → (address, port).
pub fn split_host(host: &str) -> (&str, Option<i64>) {
    if let Some(end) = host.rfind(']') {
        let port = host[end + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
        return (&host[..end + 1], port);
    }
    match host.rfind(':') {
        Some(colon) => match host[colon + 1..].parse() {
            Ok(port) => (&host[..colon], Some(port)),
            Err(_) => (host, None),
        },
        None => (host, None),
    }
}

/// The attributes of an HTTP duration metric; empty or absent fields are left out.
pub struct HttpMetric<'a> {
    pub method: &'a str,
    pub scheme: &'a str,
    pub status: Option<i64>,
    pub route: Option<&'a str>,
    pub version: &'a str,
    pub error_type: &'a str,
    pub address: Option<&'a str>,
    pub port: Option<i64>,
}

/// Record `HTTP_SERVER_DURATION` or `HTTP_CLIENT_DURATION` with the attributes the semantic
/// conventions list for those metrics.
pub fn record_http(instrument: u32, seconds: f64, metric: &HttpMetric) {
    let mut attributes: Vec<(&str, Value)> = Vec::with_capacity(8);
    attributes.push(("http.request.method", Value::Str(metric.method)));
    attributes.push(("url.scheme", Value::Str(metric.scheme)));
    if let Some(status) = metric.status {
        attributes.push(("http.response.status_code", Value::I64(status)));
    }
    if let Some(route) = metric.route {
        attributes.push(("http.route", Value::Str(route)));
    }
    if !metric.version.is_empty() {
        attributes.push(("network.protocol.version", Value::Str(metric.version)));
    }
    if !metric.error_type.is_empty() {
        attributes.push(("error.type", Value::Str(metric.error_type)));
    }
    if let Some(address) = metric.address {
        attributes.push(("server.address", Value::Str(address)));
    }
    if let Some(port) = metric.port {
        attributes.push(("server.port", Value::I64(port)));
    }
    record(instrument, seconds, &attributes);
}

/// `http_glue!();` in an advice file defines `Incoming<'a, B>` (an `http::Request` as an
/// `HttpRequest`) and `Carrier<'a>` (an `http::HeaderMap` as an `Injector`) there: the
/// prelude cannot name `http`, but the crates whose packs need these all depend on it.
#[allow(unused_macros)]
macro_rules! http_glue {
    () => {
        /// The W3C propagation headers, parsed once: a `&str` name is parsed and validated by
        /// each lookup or insert, and these are used on every request. (Not `const`:
        /// `HeaderName::from_static` is a `const fn` only from http 0.2.7.)
        fn propagation_header(key: &str) -> Option<&'static ::http::header::HeaderName> {
            static NAMES: ::std::sync::OnceLock<[::http::header::HeaderName; 3]> = ::std::sync::OnceLock::new();
            let index = match key {
                "traceparent" => 0,
                "tracestate" => 1,
                "baggage" => 2,
                _ => return None,
            };
            let names = NAMES.get_or_init(|| {
                [
                    ::http::header::HeaderName::from_static("traceparent"),
                    ::http::header::HeaderName::from_static("tracestate"),
                    ::http::header::HeaderName::from_static("baggage"),
                ]
            });
            Some(&names[index])
        }

        /// An incoming request as the prelude's `HttpRequest` (headers through `Extractor`).
        struct Incoming<'a, B>(&'a ::http::Request<B>);

        impl<'a, B> __otel::Extractor for Incoming<'a, B> {
            fn get(&self, key: &str) -> Option<&str> {
                let headers = self.0.headers();
                let value = match (propagation_header(key), key) {
                    (Some(name), _) => headers.get(name),
                    (None, "host") => headers.get(::http::header::HOST),
                    (None, "user-agent") => headers.get(::http::header::USER_AGENT),
                    (None, _) => headers.get(key),
                };
                value.and_then(|v| v.to_str().ok())
            }
        }

        impl<'a, B> __otel::HttpRequest for Incoming<'a, B> {
            fn method(&self) -> &str {
                self.0.method().as_str()
            }
            fn path(&self) -> &str {
                self.0.uri().path()
            }
            fn query(&self) -> Option<&str> {
                self.0.uri().query()
            }
            fn scheme(&self) -> Option<&str> {
                self.0.uri().scheme_str()
            }
            fn authority(&self) -> Option<&str> {
                self.0.uri().authority().map(|a| a.as_str())
            }
            fn version(&self) -> &'static str {
                __otel::http_version(&self.0.version())
            }
        }

        /// Start the CLIENT span of an outgoing `http::Request` and inject it into the request's
        /// headers, unless pack `pack` is off or the request already carries a trace context
        /// (someone else's span: reqwest's advice, or an application propagating by hand).
        fn start_http_client_span<B>(pack: &str, req: &mut ::http::Request<B>) -> Option<__otel::ClientSpan> {
            if !__otel::enabled(pack) || __otel::TRACE_CONTEXT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
                return None;
            }
            let call = {
                let uri = req.uri();
                let scheme = uri.scheme_str().unwrap_or("http");
                let port = uri.port_u16().map(i64::from).or(match scheme {
                    "http" => Some(80),
                    "https" => Some(443),
                    _ => None,
                });
                __otel::start_client_span(req.method().as_str(), scheme, uri.host().unwrap_or(""), port, || {
                    __otel::full_url(uri.scheme_str(), uri.authority().map(|a| a.as_str()), uri.path(), uri.query())
                })
            };
            {
                let _entered = call.span.enter();
                __otel::inject(&mut Carrier(req.headers_mut()));
            }
            Some(call)
        }

        /// Outgoing headers as the prelude's `Injector`.
        struct Carrier<'a>(&'a mut ::http::HeaderMap);

        impl<'a> __otel::Injector for Carrier<'a> {
            fn set(&mut self, key: &str, value: &str) {
                let value = match ::http::header::HeaderValue::from_str(value) {
                    Ok(value) => value,
                    Err(_) => return,
                };
                if let Some(name) = propagation_header(key) {
                    self.0.insert(name.clone(), value);
                } else if let Ok(name) = ::http::header::HeaderName::from_bytes(key.as_bytes()) {
                    self.0.insert(name, value);
                }
            }
        }
    };
}
