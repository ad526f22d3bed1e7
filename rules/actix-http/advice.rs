// Advice for actix-http 3.x, spliced as `mod __otel_advice_actix_http` at actix-http's crate
// root after `headers.rs`. Uses actix-http's public types (`crate::Request`, `crate::header`).
//
// Ownership: the SERVER span of a request lives in `OPEN`, a thread-local table keyed by the
// address of the connection's `InnerDispatcher` (pinned for the connection's life; the
// dispatcher is `!Send`, so it is always polled on this thread). Exactly one place ends it:
// `send_response` when the head is written, or a later request whose connection reuses the
// address (the first one was dropped before answering).

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::header::{HeaderMap, HeaderName, HeaderValue};
use crate::Version;

fn enabled() -> bool {
    __otel::enabled("actix-http") && __otel::enabled("actix-web")
}

fn addr<T: ?Sized>(value: &T) -> usize {
    value as *const T as *const u8 as usize
}

/// Keys are heap addresses of this process's own allocations: a multiply, not SipHash.
#[derive(Default)]
struct AddrHasher(u64);

impl std::hash::Hasher for AddrHasher {
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

thread_local! {
    /// The open SERVER span of each connection of this worker thread that awaits a response.
    static OPEN: RefCell<HashMap<usize, __otel::Span, BuildHasherDefault<AddrHasher>>> = RefCell::new(HashMap::default());
}

/// `client.address`: the peer's IP, formatted on the stack.
fn write_ip(ip: std::net::IpAddr, buf: &mut [u8; 48]) -> &str {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    if write!(cursor, "{ip}").is_err() {
        return "";
    }
    let n = cursor.position() as usize;
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// Start the SERVER span of `req`, parented on the context its headers carry.
fn server_start(req: &crate::Request, secure: bool) -> __otel::Span {
    let head = req.head();
    let headers = &head.headers;
    let parent = __otel::extract(&ActixHeaders(headers));
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let host = match head.uri.authority() {
        Some(authority) => authority.as_str(),
        None => header("host"),
    };
    let mut ip = [0u8; 48];
    let client = match req.peer_addr() {
        Some(peer) => write_ip(peer.ip(), &mut ip),
        None => "",
    };
    __otel::HttpServer {
        method: head.method.as_str().into(),
        scheme: head.uri.scheme_str().unwrap_or(if secure { "https" } else { "http" }).into(),
        path: head.uri.path().into(),
        query: head.uri.query().unwrap_or("").into(),
        host: host.into(),
        user_agent: header("user-agent").into(),
        protocol_version: actix_protocol_version(head.version).into(),
        client_address: client.into(),
        ..Default::default()
    }
    .start(&parent)
}

/// OnEnter of `InnerDispatcher::handle_request`: start the request's span, keep it under the
/// connection, and make it current while the service is called and first polled.
pub fn handle_request<D>(dispatcher: &D, req: &crate::Request, secure: bool) -> Option<__otel::Entered> {
    if !enabled() {
        return None;
    }
    let span = server_start(req, secure);
    let entered = span.enter();
    let stale = OPEN.with(|open| open.borrow_mut().insert(addr(dispatcher), span));
    if let Some(stale) = stale {
        stale.http_server_end(0, "connection_closed", "connection closed before the response was sent");
    }
    Some(entered)
}

/// OnEnter of `InnerDispatcher::poll_response`: the connection's open span is current while
/// the service's future is polled.
pub fn poll_response<D>(dispatcher: &D) -> Option<__otel::Entered> {
    let key = addr(dispatcher);
    OPEN.try_with(|open| open.borrow().get(&key).map(|span| span.enter())).ok().flatten()
}

/// OnEnter of `InnerDispatcher::send_response_inner`: the response head is being written; the
/// runtime names the span after the route, maps the status and records the duration.
pub fn send_response<D>(dispatcher: &D, status: u16) {
    let key = addr(dispatcher);
    let open = OPEN.try_with(|open| open.borrow_mut().remove(&key)).ok().flatten();
    if let Some(span) = open {
        span.http_server_end(status, "", "");
    }
}
