// Advice for hyper 0.14, spliced as `mod __otel_advice_hyper_0_14` at hyper's crate root.
// Uses hyper's own crate-visible types (`crate::proto::MessageHead`) and its `http` (0.2)
// dependency only. Everything but `poll_exit` is generic, so it compiles whatever hyper
// features are on; `poll_exit` names a type of the HTTP/1 server and is cfg-gated like it.
//
// The server half is the 1.x pack's (rules/hyper/advice.rs), kept in step with it: hyper
// 0.14's `proto::h1::dispatch` has the same `Server { in_flight: Pin<Box<Option<F>>> }`,
// `recv_msg`/`poll_msg`/`poll_catch` shape, and one pack's advice cannot call another's (each
// is a module of a different crate).
//
// Server ownership: the SERVER span of an HTTP/1 request lives in `CALLS`, keyed by the
// address of the connection's in-flight future slot (`Server::in_flight`, allocated once per
// connection, so its address is stable even if the connection future moves). Exactly one
// place ends it: `poll_exit` when the response is ready, `dispatcher_exit` when the
// connection finishes first, or a later request on a connection that reuses the address.
//
// Client ownership: the CLIENT span travels from `Client::request` to
// `retryably_send_request` inside the request (an extension), then lives in the call context
// of `retryably_send_request`'s on_exit until the response head, the error, or the drop.

use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::Poll;
use std::time::Instant;

/// This pack's name: its run-time switch (`OTEL_RUST_INSTRUMENTATION_HYPER_0_14_ENABLED`).
const PACK: &str = "hyper-0_14";

http_glue!();

fn addr<T: ?Sized>(value: &T) -> usize {
    value as *const T as *const u8 as usize
}

// ===== Server =====

thread_local! {
    /// `(in-flight slot address, dispatcher's Server address)` while `Server::recv_msg`
    /// runs on this thread: arms the `HttpService::call` it makes.
    static H1: Cell<(usize, usize)> = Cell::new((0, 0));
}

/// The requests whose span is open, by in-flight slot address.
static CALLS: Mutex<Option<Calls>> = Mutex::new(None);

type Calls = HashMap<usize, ServerCall, BuildHasherDefault<AddrHasher>>;

/// Keys are heap addresses, hashed on every poll of a busy connection: a multiply, not
/// SipHash (the process's own allocator picks them, not a peer).
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = ((n as u64) >> 4).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// `CALLS.len()`, read without the lock: polls of idle or client connections skip it.
static LIVE: AtomicUsize = AtomicUsize::new(0);

struct ServerCall {
    span: __otel::Span,
    method: &'static str,
    scheme: &'static str,
    version: &'static str,
    started: Instant,
    slot: __otel::ServerSpanSlot,
    /// Address of the dispatcher's `Server` (`Dispatcher::dispatch`), for `dispatcher_exit`.
    server: usize,
}

fn with_calls<R>(f: impl FnOnce(&mut Calls) -> R) -> R {
    let mut guard = match CALLS.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let map = guard.get_or_insert_with(Calls::default);
    let out = f(map);
    LIVE.store(map.len(), Ordering::Relaxed);
    out
}

/// Restores the previous `H1` value when `recv_msg` returns.
pub struct Armed((usize, usize));

impl Drop for Armed {
    fn drop(&mut self) {
        let previous = self.0;
        H1.with(|c| c.set(previous));
    }
}

/// OnEnter of `proto::h1::dispatch::Server::recv_msg`.
pub fn recv_msg<F, S>(in_flight: &F, server: &S) -> Armed {
    let previous = H1.with(|c| c.replace((addr(in_flight), addr(server))));
    Armed(previous)
}

/// OnEnter of `HttpService::call`: start the SERVER span of an HTTP/1 request.
pub fn service_call<B>(req: &mut ::http::Request<B>) -> Option<__otel::Entered> {
    // Disarm at once: only the call `recv_msg` makes is the request's.
    let (key, server) = H1.with(|c| c.replace((0, 0)));
    if key == 0 || !__otel::enabled(PACK) {
        return None;
    }
    if req.extensions().get::<__otel::ServerSpanSlot>().is_some() {
        return None;
    }
    let __otel::ServerSpan { span, method, scheme, version } = __otel::start_server_span(&Incoming(req));
    let slot = __otel::server_span_slot();
    req.extensions_mut().insert(slot.clone());
    let entered = span.enter();
    let call = ServerCall { span, method, scheme, version, started: Instant::now(), slot, server };
    // A connection dropped mid-request leaves its entry behind; a new connection whose slot
    // reuses the address replaces (and so ends) it.
    let stale = with_calls(|calls| calls.insert(key, call));
    if let Some(stale) = stale {
        stale.span.error("connection_closed", "connection closed before the response was sent");
    }
    Some(entered)
}

/// What `poll_enter` hands to `poll_exit`.
pub struct Polling {
    key: usize,
    entered: Option<__otel::Entered>,
}

/// OnEnter of `Server::poll_msg`: make the request's span current while the service's
/// future is polled.
pub fn poll_enter<F>(in_flight: &F) -> Polling {
    let key = addr(in_flight);
    if LIVE.load(Ordering::Relaxed) == 0 {
        return Polling { key, entered: None };
    }
    let entered = with_calls(|calls| calls.get(&key).map(|call| call.span.enter()));
    Polling { key, entered }
}

#[cfg(all(feature = "server", feature = "http1"))]
/// OnExit of `Server::poll_msg`: end the span when the response head is ready.
pub fn poll_exit<B, E>(
    polling: Polling,
    out: &Poll<Option<Result<(crate::proto::MessageHead<::http::StatusCode>, B), E>>>,
) {
    let Polling { key, entered } = polling;
    drop(entered);
    let outcome = match out {
        Poll::Ready(Some(Ok((head, _)))) => Ok(head.subject.as_u16()),
        Poll::Ready(Some(Err(_))) => Err(::std::any::type_name::<E>()),
        _ => return,
    };
    if LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    if let Some(call) = with_calls(|calls| calls.remove(&key)) {
        finish_server(call, outcome);
    }
}

/// Record the outcome, rename after the route a framework reported, record the metric;
/// the span ends when `call` drops.
fn finish_server(call: ServerCall, outcome: Result<u16, &str>) {
    let route: Option<::std::sync::Arc<str>> = match call.slot.1.lock() {
        Ok(route) => route.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let span = &call.span;
    if let Some(route) = &route {
        span.set_name(&format!("{} {}", call.method, route));
        span.str("http.route", route);
    }
    let mut status = None;
    let mut error_type = String::new();
    match outcome {
        Ok(code) => {
            span.i64("http.response.status_code", i64::from(code));
            status = Some(i64::from(code));
            if code >= 500 {
                error_type = code.to_string();
                span.error(&error_type, "");
            }
        }
        Err(type_name) => {
            error_type = type_name.to_string();
            span.error(&error_type, "the service returned an error");
        }
    }
    let metric = __otel::HttpMetric {
        method: call.method,
        scheme: call.scheme,
        status,
        route: route.as_deref(),
        version: call.version,
        error_type: &error_type,
        address: None,
        port: None,
    };
    __otel::record_http(__otel::HTTP_SERVER_DURATION, call.started.elapsed().as_secs_f64(), &metric);
}

/// OnEnter of `Dispatcher::poll_catch`: which connection this is.
pub fn dispatcher_enter<D>(dispatch: &D) -> usize {
    addr(dispatch)
}

/// OnExit of `Dispatcher::poll_catch`: when the connection is finished, end the span of a
/// request that got no response.
pub fn dispatcher_exit<T>(server: usize, out: &Poll<T>) {
    if out.is_pending() || LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    let orphans: Vec<ServerCall> = with_calls(|calls| {
        let keys: Vec<usize> = calls.iter().filter(|(_, c)| c.server == server).map(|(k, _)| *k).collect();
        keys.iter().filter_map(|k| calls.remove(k)).collect()
    });
    for call in orphans {
        call.span.error("connection_closed", "connection closed before the response was sent");
        drop(call);
    }
}

// ===== Client =====

/// Header names of the propagation formats a caller (reqwest's advice, an application that
/// propagates by hand) may already have written: such a request is someone else's span.
const CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

thread_local! {
    /// How many `Client::request` calls are running on this thread: a `PendingCall` dropped
    /// meanwhile belongs to a request that `request` rejected without sending it.
    static IN_REQUEST: Cell<u32> = Cell::new(0);
}

/// One outgoing request being traced.
pub struct ClientCall {
    span: __otel::Span,
    method: &'static str,
    scheme: String,
    address: String,
    port: Option<i64>,
    started: Instant,
    /// `error.type` if `Client::request` rejects the request before sending it.
    rejected: &'static str,
}

/// The request extension that carries the span from `Client::request` to
/// `retryably_send_request`: called within `request` before 0.14.5, first polled later since
/// (an `async fn`). A request dropped on the way ends the span: as rejected if `request` is
/// still running (it returned an error future), otherwise as a request dropped unsent.
struct PendingCall(Option<ClientCall>);

impl Drop for PendingCall {
    fn drop(&mut self) {
        let Some(call) = self.0.take() else { return };
        if IN_REQUEST.with(|depth| depth.get()) > 0 {
            let error_type = call.rejected;
            finish_client(call, None, "", error_type, "the request was rejected before it was sent");
        }
    }
}

/// What `Client::request` rejects synchronously (`error.type` as hyper's error kind).
fn rejection<B>(req: &::http::Request<B>) -> &'static str {
    let connect = req.method() == ::http::Method::CONNECT;
    let version = req.version();
    if connect && version == ::http::Version::HTTP_10 {
        return "UserUnsupportedRequestMethod";
    }
    let known = [::http::Version::HTTP_10, ::http::Version::HTTP_11, ::http::Version::HTTP_2];
    if !known.contains(&version) {
        return "UserUnsupportedVersion";
    }
    let uri = req.uri();
    if uri.authority().is_none() || (uri.scheme().is_none() && !connect) {
        return "UserAbsoluteUriRequired";
    }
    // HTTP/2 on a client that is not HTTP/2-only, in older 0.14 releases.
    "UserUnsupportedVersion"
}

/// `url.full` without user info and with sensitive query values redacted.
fn full_url(uri: &::http::Uri) -> String {
    let mut out = String::new();
    if let Some(scheme) = uri.scheme_str() {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(authority) = uri.authority() {
        let authority = authority.as_str();
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(if authority[..at].contains(':') { "REDACTED:REDACTED@" } else { "REDACTED@" });
                out.push_str(&authority[at + 1..]);
            }
            None => out.push_str(authority),
        }
    }
    out.push_str(uri.path());
    if let Some(query) = uri.query() {
        out.push('?');
        out.push_str(&__otel::redact_query(query));
    }
    out
}

/// The call context of `Client::request`: while it lives, the request is inside `request`.
pub struct InRequest(());

impl Drop for InRequest {
    fn drop(&mut self) {
        IN_REQUEST.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// OnEnter of `Client::request`: start the CLIENT span, inject it, and put it into the
/// request for `retryably_send_request`.
pub fn client_enter<B>(req: &mut ::http::Request<B>) -> InRequest {
    IN_REQUEST.with(|depth| depth.set(depth.get() + 1));
    if !__otel::enabled(PACK) || CONTEXT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
        return InRequest(());
    }
    let name = __otel::http_method(req.method().as_str());
    let span = __otel::Span::start(name, __otel::CLIENT);
    let uri = req.uri();
    let scheme = uri.scheme_str().unwrap_or("http").to_string();
    let address = uri.host().unwrap_or("").to_string();
    let port = uri.port_u16().map(i64::from).or(match &*scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    });
    if span.is_recording() {
        span.str("http.request.method", name);
        if name == "_OTHER" {
            span.str("http.request.method_original", req.method().as_str());
        }
        span.str("url.full", &full_url(uri));
        if !address.is_empty() {
            span.str("server.address", &address);
        }
        if let Some(port) = port {
            span.i64("server.port", port);
        }
    }
    {
        let _entered = span.enter();
        __otel::inject(&mut Carrier(req.headers_mut()));
    }
    let rejected = rejection(req);
    let call = ClientCall { span, method: name, scheme, address, port, started: Instant::now(), rejected };
    req.extensions_mut().insert(PendingCall(Some(call)));
    InRequest(())
}

/// OnExit of `Client::request`: the request has left `request` (sent on, or dropped).
pub fn client_exit<R>(in_request: InRequest, _out: &R) {
    drop(in_request);
}

/// OnEnter of `Client::retryably_send_request`: take the span out of the request.
pub fn client_send<B>(req: &mut ::http::Request<B>) -> Option<ClientCall> {
    req.extensions_mut().remove::<PendingCall>().and_then(|mut pending| pending.0.take())
}

/// OnExit of `Client::retryably_send_request`: the response head or the error.
pub fn client_done<B, E>(call: Option<ClientCall>, out: &Result<::http::Response<B>, E>)
where
    E: ::std::fmt::Debug + ::std::fmt::Display,
{
    let Some(call) = call else { return };
    match out {
        Ok(response) => {
            let code = response.status().as_u16();
            let version = __otel::http_version(&response.version());
            let error_type = if code >= 400 { code.to_string() } else { String::new() };
            finish_client(call, Some(code), version, &error_type, "");
        }
        Err(e) => {
            let error_type = error_kind(e);
            finish_client(call, None, "", &error_type, &e.to_string());
        }
    }
}

/// `error.type` of a transport error: hyper's error kind from its `Debug` form
/// (`hyper::Error(Connect, ConnectError(..))` → `Connect`,
/// `hyper::Error(User(AbsoluteUriRequired))` → `UserAbsoluteUriRequired`).
fn error_kind<E: ::std::fmt::Debug>(e: &E) -> String {
    let debug = format!("{:?}", e);
    let mut kind = String::new();
    if let Some((_, rest)) = debug.split_once('(') {
        let mut depth = 0u32;
        for c in rest.chars() {
            match c {
                '(' => depth += 1,
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                ',' if depth == 0 => break,
                c if c.is_ascii_alphanumeric() || c == '_' => kind.push(c),
                _ => {
                    kind.clear();
                    break;
                }
            }
        }
    }
    if kind.is_empty() {
        "hyper::Error".to_string()
    } else {
        kind
    }
}

/// Set the outcome on the span and record the metric; the span ends when `call` drops.
fn finish_client(call: ClientCall, status: Option<u16>, version: &str, error_type: &str, description: &str) {
    let span = &call.span;
    if let Some(code) = status {
        span.i64("http.response.status_code", i64::from(code));
    }
    if !version.is_empty() {
        span.str("network.protocol.version", version);
    }
    if !error_type.is_empty() {
        span.error(error_type, description);
    }
    let metric = __otel::HttpMetric {
        method: call.method,
        scheme: &call.scheme,
        status: status.map(i64::from),
        route: None,
        version,
        error_type,
        address: Some(&call.address),
        port: call.port,
    };
    __otel::record_http(__otel::HTTP_CLIENT_DURATION, call.started.elapsed().as_secs_f64(), &metric);
}
