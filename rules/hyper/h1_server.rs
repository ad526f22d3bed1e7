// HTTP/1 server advice shared by the hyper 1.x pack (`rules/hyper`) and the hyper 0.14 pack
// (`rules/hyper-0.14`): both versions' `proto::h1::dispatch` have the same
// `Server { in_flight: Pin<Box<Option<F>>> }` and `recv_msg`/`poll_msg`/`poll_catch` shape.
// Each pack lists this file before its own `advice.rs`, which defines `PACK` (the pack's name,
// its run-time switch); the files of a pack are one module, so this file names std items by
// full path and imports nothing. Uses hyper's crate-visible `crate::proto::MessageHead` and
// its `http` dependency only, and the shared `../http/request.rs` (listed before this file).
//
// Ownership: the SERVER span of an HTTP/1 request lives in `CALLS`, keyed by the address of
// the connection's in-flight future slot (`Server::in_flight`, a `Pin<Box<Option<F>>>`
// allocated once per connection, so its address is stable for the connection's life even if
// the connection future moves). Exactly one place ends it: `poll_exit` when the response
// is ready, `dispatcher_exit` when the connection finishes first, or a later request on a
// connection that reuses the address (a connection dropped mid-request without finishing).
// The span is a runtime semconv call: it remembers the method, scheme and start, and takes
// the route a framework pack (axum) sets through the current context while the span is
// current (`__otel::http_server_route`), so nothing but the handle is kept here.

fn addr<T: ?Sized>(value: &T) -> usize {
    value as *const T as *const u8 as usize
}

thread_local! {
    /// `(in-flight slot address, dispatcher's Server address)` while `Server::recv_msg`
    /// runs on this thread: arms the `HttpService::call` it makes.
    static H1: ::std::cell::Cell<(usize, usize)> = ::std::cell::Cell::new((0, 0));
}

/// The requests whose span is open, by in-flight slot address.
static CALLS: ::std::sync::Mutex<Option<Calls>> = ::std::sync::Mutex::new(None);

type Calls = ::std::collections::HashMap<usize, ServerCall, ::std::hash::BuildHasherDefault<AddrHasher>>;

/// Keys are heap addresses, hashed on every poll of a busy connection: a multiply, not
/// SipHash (the process's own allocator picks them, not a peer).
#[derive(Default)]
struct AddrHasher(u64);

impl ::std::hash::Hasher for AddrHasher {
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
static LIVE: ::std::sync::atomic::AtomicUsize = ::std::sync::atomic::AtomicUsize::new(0);

struct ServerCall {
    span: __otel::Span,
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
    LIVE.store(map.len(), ::std::sync::atomic::Ordering::Relaxed);
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

/// OnEnter of `HttpService::call`: start the SERVER span of an HTTP/1 request (an HTTP/2
/// stream's is `h2_call`'s, in `h2_server.rs`). gRPC requests get none (the tonic pack's).
pub fn service_call<B>(req: &mut ::http::Request<B>) -> Option<__otel::Entered> {
    // Disarm at once: only the call `recv_msg` makes is the request's.
    let (key, server) = H1.with(|c| c.replace((0, 0)));
    if key == 0 {
        return h2_call(req);
    }
    if !__otel::enabled(PACK) || is_grpc(req) {
        return None;
    }
    let span = server_start(req);
    let entered = span.enter();
    let call = ServerCall { span, server };
    // A connection dropped mid-request leaves its entry behind; a new connection whose slot
    // reuses the address replaces (and so ends) it.
    let stale = with_calls(|calls| calls.insert(key, call));
    if let Some(stale) = stale {
        stale.span.http_server_end(0, "connection_closed", "connection closed before the response was sent");
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
    if LIVE.load(::std::sync::atomic::Ordering::Relaxed) == 0 {
        return Polling { key, entered: None };
    }
    let entered = with_calls(|calls| calls.get(&key).map(|call| call.span.enter()));
    Polling { key, entered }
}

#[cfg(all(feature = "server", feature = "http1"))]
/// OnExit of `Server::poll_msg`: end the span when the response head is ready.
pub fn poll_exit<B, E>(
    polling: Polling,
    out: &::std::task::Poll<Option<Result<(crate::proto::MessageHead<::http::StatusCode>, B), E>>>,
) {
    let Polling { key, entered } = polling;
    drop(entered);
    let outcome = match out {
        ::std::task::Poll::Ready(Some(Ok((head, _)))) => Ok(head.subject.as_u16()),
        ::std::task::Poll::Ready(Some(Err(_))) => Err(::std::any::type_name::<E>()),
        _ => return,
    };
    if LIVE.load(::std::sync::atomic::Ordering::Relaxed) == 0 {
        return;
    }
    if let Some(call) = with_calls(|calls| calls.remove(&key)) {
        finish_server(call, outcome);
    }
}

/// Record the outcome (the runtime names the span after the route, maps the status and
/// records the metric); the handle is freed when `call` drops.
fn finish_server(call: ServerCall, outcome: Result<u16, &str>) {
    match outcome {
        Ok(code) => call.span.http_server_end(code, "", ""),
        Err(type_name) => call.span.http_server_end(0, type_name, "the service returned an error"),
    }
}

/// OnEnter of `Dispatcher::poll_catch`: which connection this is.
pub fn dispatcher_enter<D>(dispatch: &D) -> usize {
    addr(dispatch)
}

/// OnExit of `Dispatcher::poll_catch`: when the connection is finished, end the span of a
/// request that got no response.
pub fn dispatcher_exit<T>(server: usize, out: &::std::task::Poll<T>) {
    if out.is_pending() || LIVE.load(::std::sync::atomic::Ordering::Relaxed) == 0 {
        return;
    }
    let orphans: Vec<ServerCall> = with_calls(|calls| {
        let keys: Vec<usize> = calls.iter().filter(|(_, c)| c.server == server).map(|(k, _)| *k).collect();
        keys.iter().filter_map(|k| calls.remove(k)).collect()
    });
    for call in orphans {
        call.span.http_server_end(0, "connection_closed", "connection closed before the response was sent");
    }
}
