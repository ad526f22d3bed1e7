// HTTP/2 server advice shared by the hyper 1.x pack (`rules/hyper`) and the hyper 0.14 pack
// (`rules/hyper-0.14`): both versions' `proto::h2::server` accept a stream, call the service,
// build an `H2Stream` future around its future and hand it to the connection's executor
// (`execute_h2stream`), whose `poll2` later builds the response head with
// `::http::Response::from_parts(head, ())`. Listed after `h1_server.rs` (whose
// `service_call` hands HTTP/2 requests to `h2_call`, and whose `AddrHasher` this file uses);
// names std items by full path, as the other shared files do.
//
// How a stream finds its span. The `H2Stream` gets no identity advice can reach between its
// creation and its first poll (on another task), and its type cannot change. But it is
// spawned *while its span is current*: `execute_h2stream` attaches the span for the
// synchronous spawn, so an executor that carries the caller's context into the task (the
// tokio pack's `tokio::spawn`, which hyper-util's `TokioExecutor` and hyper 0.14's default
// executor call) runs every poll of the stream with that span current. The runtime gives the
// identity of the server call in the current context (`__otel_v1_http_server_current`: its
// route slot's address, unique among live calls), so the span is kept in `H2_CALLS` under
// that identity and `poll2` finds it through the context it runs in.
//
// Ownership: exactly one place ends each span. The response head (`from_parts` inside
// `poll2`, the status), `poll2` finishing with an error before any head (the service failed:
// its error type's name; the stream was reset or the connection failed: `stream_reset`), or
// eviction: the table holds at most `H2_MAX` spans, the oldest is ended (`stream_dropped`)
// and counted in `H2_EVICTED` when a stream never reports (its task was dropped, or an
// executor that does not carry context ran it). gRPC requests (`content-type:
// application/grpc…`) get no span here: the tonic pack owns their RPC SERVER span, and the
// context is left as it is.

thread_local! {
    /// The span `HttpService::call` started for the HTTP/2 stream being accepted on this
    /// thread, until `execute_h2stream` (called next, synchronously) takes it.
    static H2_NEXT: ::std::cell::RefCell<Option<__otel::Span>> = ::std::cell::RefCell::new(None);
    /// The server call identity of the stream whose `poll2` runs on this thread (0: none).
    static H2_POLLING: ::std::cell::Cell<u64> = ::std::cell::Cell::new(0);
}

/// At most this many HTTP/2 spans wait for their response head; beyond, the oldest goes.
const H2_MAX: usize = 4096;

struct H2Call {
    span: __otel::Span,
    /// Insertion order, for eviction.
    seq: u64,
}

type H2Calls = ::std::collections::HashMap<u64, H2Call, ::std::hash::BuildHasherDefault<AddrHasher>>;

/// The HTTP/2 spans waiting for their response head, by server call identity.
static H2_CALLS: ::std::sync::Mutex<Option<(H2Calls, u64)>> = ::std::sync::Mutex::new(None);
/// `H2_CALLS`' length, read without the lock: with no HTTP/2 span open a poll costs a load.
static H2_LIVE: ::std::sync::atomic::AtomicUsize = ::std::sync::atomic::AtomicUsize::new(0);
/// How many spans were evicted (ended as `stream_dropped`) since the process started.
static H2_EVICTED: ::std::sync::atomic::AtomicU64 = ::std::sync::atomic::AtomicU64::new(0);

fn with_h2_calls<R>(f: impl FnOnce(&mut H2Calls, &mut u64) -> R) -> R {
    let mut guard = match H2_CALLS.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    let (map, seq) = guard.get_or_insert_with(|| (H2Calls::default(), 0));
    let out = f(map, seq);
    H2_LIVE.store(map.len(), ::std::sync::atomic::Ordering::Relaxed);
    out
}

fn h2_take(id: u64) -> Option<__otel::Span> {
    if H2_LIVE.load(::std::sync::atomic::Ordering::Relaxed) == 0 {
        return None;
    }
    with_h2_calls(|calls, _| calls.remove(&id)).map(|call| call.span)
}

/// The identity of the server call in the current context (0: none).
fn h2_current() -> u64 {
    unsafe { __otel::__otel_v1_http_server_current() }
}

/// A gRPC request (`application/grpc`, `+proto`, `-web`, …): the tonic pack's to trace.
fn is_grpc<B>(req: &::http::Request<B>) -> bool {
    match req.headers().get(::http::header::CONTENT_TYPE) {
        Some(value) => value.as_bytes().starts_with(b"application/grpc"),
        None => false,
    }
}

/// `HttpService::call` of an HTTP/2 stream (from `service_call`): start its SERVER span,
/// current for the call (where a framework claims it), kept for `execute_h2stream`.
fn h2_call<B>(req: &mut ::http::Request<B>) -> Option<__otel::Entered> {
    if req.version() != ::http::Version::HTTP_2 || !__otel::enabled(PACK) || is_grpc(req) {
        return None;
    }
    let span = server_start(req);
    let entered = span.enter();
    // Left by a call no `execute_h2stream` followed (not hyper's accept loop): ended here.
    let stale = H2_NEXT.with(|next| next.borrow_mut().replace(span));
    if let Some(stale) = stale {
        stale.http_server_end(0, "stream_dropped", "the stream was never started");
    }
    Some(entered)
}

/// OnEnter of `execute_h2stream`: the stream's span is current while the executor spawns
/// its task (so the task carries it), and waits in `H2_CALLS` for the task's polls.
pub fn h2_execute() -> Option<__otel::Entered> {
    let span = H2_NEXT.with(|next| next.borrow_mut().take())?;
    let entered = span.enter();
    let id = h2_current();
    if id == 0 {
        return None;
    }
    let evicted = with_h2_calls(|calls, seq| {
        *seq += 1;
        let evicted = if calls.len() >= H2_MAX {
            let oldest = calls.iter().min_by_key(|(_, c)| c.seq).map(|(k, _)| *k);
            oldest.and_then(|k| calls.remove(&k))
        } else {
            None
        };
        calls.insert(id, H2Call { span, seq: *seq });
        evicted
    });
    if let Some(evicted) = evicted {
        let count = H2_EVICTED.fetch_add(1, ::std::sync::atomic::Ordering::Relaxed) + 1;
        let description = format!("no response was reported for this HTTP/2 stream ({count} evicted)");
        evicted.span.http_server_end(0, "stream_dropped", &description);
    }
    Some(entered)
}

/// What `h2_poll_enter` hands to `h2_poll_exit`.
pub struct H2Polling {
    previous: u64,
    /// The service's error type (`poll2`'s `E`), for a service that fails.
    service_error: &'static str,
}

/// OnEnter of `H2Stream::poll2`: which stream this is (through the context its task runs in).
pub fn h2_poll_enter(service_error: &'static str) -> H2Polling {
    let id = if H2_LIVE.load(::std::sync::atomic::Ordering::Relaxed) == 0 { 0 } else { h2_current() };
    let previous = H2_POLLING.with(|c| c.replace(id));
    H2Polling { previous, service_error }
}

/// Wraps the head in `poll2`'s `::http::Response::from_parts(head, ())`: the response head
/// is ready, so the span ends with its status.
pub fn h2_response_head(head: ::http::response::Parts) -> ::http::response::Parts {
    let id = H2_POLLING.with(|c| c.get());
    if id != 0 {
        if let Some(span) = h2_take(id) {
            span.http_server_end(head.status.as_u16(), "", "");
        }
    }
    head
}

/// OnExit of `H2Stream::poll2`: a stream that finished without a response head.
pub fn h2_poll_exit(polling: H2Polling, out: &::std::task::Poll<crate::Result<()>>) {
    let id = H2_POLLING.with(|c| c.replace(polling.previous));
    let result = match out {
        ::std::task::Poll::Ready(result) if id != 0 => result,
        _ => return,
    };
    let Some(span) = h2_take(id) else { return };
    match result {
        Err(e) if e.is_user() => span.http_server_end(0, polling.service_error, "the service returned an error"),
        Err(_) => span.http_server_end(0, "stream_reset", "the stream was reset before the response was sent"),
        Ok(()) => span.http_server_end(0, "", ""),
    }
}
