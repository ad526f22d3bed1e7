// Advice for hyper 0.14, spliced as `mod __otel_advice_hyper_0_14` at hyper's crate root
// after `../http/request.rs` and `../hyper/h1_server.rs` (the HTTP/1 server advice shared with the 1.x pack: hyper
// 0.14's `proto::h1::dispatch` has the same shape). This file is the client half. Uses
// hyper's `http` (0.2) dependency only; everything is generic, so it compiles whatever hyper
// features are on (`poll_exit` in the shared file is cfg-gated like the type it names).
//
// Client ownership: the CLIENT span travels from `Client::request` to
// `retryably_send_request` inside the request (an extension), then lives in the call context
// of `retryably_send_request`'s on_exit until the response head, the error, or the drop.

use std::cell::Cell;

/// This pack's name: its run-time switch (`OTEL_RUST_INSTRUMENTATION_HYPER_0_14_ENABLED`).
const PACK: &str = "hyper-0_14";

// ===== Client =====

thread_local! {
    /// How many `Client::request` calls are running on this thread: a `PendingCall` dropped
    /// meanwhile belongs to a request that `request` rejected without sending it.
    static IN_REQUEST: Cell<u32> = Cell::new(0);
}

/// One outgoing request being traced (a runtime HTTP client call).
pub struct ClientCall {
    span: __otel::Span,
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
            let description = "the request was rejected before it was sent";
            call.span.http_client_end(0, "", call.rejected, description);
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

/// The call context of `Client::request`: while it lives, the request is inside `request`.
pub struct InRequest(());

impl Drop for InRequest {
    fn drop(&mut self) {
        IN_REQUEST.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// OnEnter of `Client::request`: start the CLIENT span and inject it (see
/// `client_start`), and put it into the request for `retryably_send_request`.
pub fn client_enter<B>(req: &mut ::http::Request<B>) -> InRequest {
    IN_REQUEST.with(|depth| depth.set(depth.get() + 1));
    if let Some(span) = client_start(PACK, req) {
        let rejected = rejection(req);
        req.extensions_mut().insert(PendingCall(Some(ClientCall { span, rejected })));
    }
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
            call.span.http_client_end(response.status().as_u16(), protocol_version(response.version()), "", "")
        }
        Err(e) => call.span.http_client_end(0, "", &error_kind(e), &e.to_string()),
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
