// Advice for tonic 0.12 – 0.14 (gRPC), shared by the `tonic` and `tonic-0_12` packs, spliced
// after `../http/request.rs` (header carriers) and before the pack's `layout.rs` (the response
// body type of its line). Uses tonic's own types (`crate::…`, crate-private ones included) and
// its dependencies (`http`, `http_body`, `bytes`) only. Naming, status mapping and the
// duration metrics are the runtime's (runtime/src/semconv/rpc.rs). See ../tonic/pack.toml.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// One RPC: its span, shared by the funnel's future and the response body that may end it.
pub struct Call {
    span: __otel::Span,
    server: bool,
    ended: AtomicBool,
    /// A response body (`RpcBody`) took over the end.
    body: AtomicBool,
    /// The response's HTTP status (client), for a body that ends without trailers.
    http_status: AtomicU16,
}

impl Call {
    fn new(span: __otel::Span, server: bool) -> Arc<Call> {
        Arc::new(Call {
            span,
            server,
            ended: AtomicBool::new(false),
            body: AtomicBool::new(false),
            http_status: AtomicU16::new(200),
        })
    }

    /// Record the outcome once (gRPC code, -1 for none) and end the span.
    fn end(&self, code: i32, error_type: &str, description: &str) {
        if !self.ended.swap(true, Ordering::AcqRel) {
            self.span.rpc_end(code, error_type, description);
        }
    }

    /// The outcome a response's trailers (or their absence) carry, as tonic infers it.
    fn end_with(&self, trailers: Option<&::http::HeaderMap>) {
        let status = ::http::StatusCode::from_u16(self.http_status.load(Ordering::Relaxed)).unwrap_or(::http::StatusCode::OK);
        match crate::status::infer_grpc_status(trailers, status) {
            Ok(()) | Err(None) => self.end(0, "", ""),
            Err(Some(status)) => self.end(status.code() as i32, "", status.message()),
        }
    }
}

/// The `package.Service/Method` of a gRPC path (`/package.Service/Method`).
fn rpc_method(path: &str) -> &str {
    path.strip_prefix('/').unwrap_or(path)
}

// ---- server ----

/// OnEnter of the server funnels (`server::Grpc::{unary, server_streaming, client_streaming,
/// streaming}`): the SERVER span, parented on the request's metadata (W3C `traceparent` or
/// any configured propagator), named `package.Service/Method` by the runtime.
pub fn server_enter<B>(req: &::http::Request<B>) -> Option<Arc<Call>> {
    if !__otel::enabled("tonic") {
        return None;
    }
    let parent = __otel::extract(&Headers(req.headers()));
    let uri = req.uri();
    let span = __otel::Rpc {
        method: rpc_method(uri.path()).into(),
        server_address: uri.host().unwrap_or("").into(),
        server_port: uri.port_u16().map_or(0, u32::from),
        ..Default::default()
    }
    .start(&parent, __otel::SERVER);
    Some(Call::new(span, true))
}

/// `wrap_return` of the server funnels: the span is current while the handler runs (every
/// poll); a trailers-only response (an error status in the headers) ends it at once, any
/// other response hands it to its body, which ends it with the trailers' status when the
/// response stream has been sent.
pub async fn server_call<F>(call: Option<Arc<Call>>, inner: F) -> ::http::Response<ResponseBody>
where
    F: Future<Output = ::http::Response<ResponseBody>>,
{
    let Some(call) = call else { return inner.await };
    let mut inner = std::pin::pin!(inner);
    let response = std::future::poll_fn(|cx| {
        let _entered = call.span.enter();
        inner.as_mut().poll(cx)
    })
    .await;
    if let Some(status) = crate::Status::from_header_map(response.headers()) {
        call.end(status.code() as i32, "", status.message());
        return response;
    }
    call.body.store(true, Ordering::Release);
    response.map(|body| boxed(RpcBody { inner: body, call: Some(call) }))
}

// ---- client ----

thread_local! {
    /// The client call whose future is being polled on this thread: nested funnels
    /// (`unary` → `client_streaming` → `streaming`) add nothing, and the request and
    /// response built in that poll belong to it.
    static CURRENT: RefCell<Option<Arc<Call>>> = RefCell::new(None);
}

fn current() -> Option<Arc<Call>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Restores the previous `CURRENT` when a poll returns or unwinds.
struct Restore(Option<Arc<Call>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// OnEnter of the client funnels (`client::Grpc::{unary, client_streaming, server_streaming,
/// streaming}`): the CLIENT span under the current context, unless an outer funnel of the
/// same call already made it. `origin` is the client's configured origin (set by
/// `with_origin`; usually empty, then `AddOrigin` reports the channel's).
pub fn client_enter(origin: &::http::Uri, path: &::http::uri::PathAndQuery) -> Option<Arc<Call>> {
    if current().is_some() || !__otel::enabled("tonic") {
        return None;
    }
    let span = __otel::Rpc {
        method: rpc_method(path.path()).into(),
        server_address: origin.host().unwrap_or("").into(),
        server_port: origin.port_u16().map_or(0, u32::from),
        ..Default::default()
    }
    .start(&__otel::Context::empty(), __otel::CLIENT);
    Some(Call::new(span, false))
}

/// `wrap_return` of the client funnels: the span is current while the call is polled (so
/// the request is built, injected and sent under it); an error status ends it, a response
/// whose body took over ends with that body's trailers, any other with OK.
pub async fn client_call<F, T>(call: Option<Arc<Call>>, inner: F) -> Result<T, crate::Status>
where
    F: Future<Output = Result<T, crate::Status>>,
{
    let Some(call) = call else { return inner.await };
    let mut inner = std::pin::pin!(inner);
    let out = std::future::poll_fn(|cx| {
        let _entered = call.span.enter();
        let _restore = Restore(CURRENT.with(|c| c.borrow_mut().replace(call.clone())));
        inner.as_mut().poll(cx)
    })
    .await;
    match &out {
        Err(status) => call.end(status.code() as i32, "", status.message()),
        Ok(_) if !call.body.load(Ordering::Acquire) => call.end(0, "", ""),
        Ok(_) => {}
    }
    out
}

/// The call's span, riding in the request's extensions to the channel's `AddOrigin` (which
/// runs in the channel's worker task).
#[derive(Clone)]
struct RequestCall(Arc<Call>);

/// `wrap_return` of `GrpcConfig::prepare_request` (the one place every call's `http::Request`
/// is built): inject the current call's context into its headers (metadata) and tag it.
pub fn client_request<B>(mut req: ::http::Request<B>) -> ::http::Request<B> {
    if let Some(call) = current() {
        {
            let _entered = call.span.enter();
            __otel::inject(&mut Carrier(req.headers_mut()));
        }
        req.extensions_mut().insert(RequestCall(call));
    }
    req
}

/// OnEnter of `AddOrigin::call`: the channel's authority is the server the call goes to.
pub fn client_origin<B>(authority: &Option<::http::uri::Authority>, req: &::http::Request<B>) {
    if let (Some(RequestCall(call)), Some(authority)) = (req.extensions().get::<RequestCall>(), authority) {
        call.span.str("server.address", authority.host());
        if let Some(port) = authority.port_u16() {
            call.span.i64("server.port", i64::from(port));
        }
    }
}

/// OnEnter of `Streaming::new_response`: the response's HTTP status, for a body that ends
/// without trailers.
pub fn client_status(status: ::http::StatusCode) {
    if let Some(call) = current() {
        call.http_status.store(status.as_u16(), Ordering::Relaxed);
    }
}

/// `wrap_args` of `Streaming::new_response`: the response body of the current call ends its
/// span with the status of its trailers (a server-streaming call lasts until its stream ends).
pub fn client_body<B: ::http_body::Body>(body: B) -> RpcBody<B> {
    let call = current();
    if let Some(call) = &call {
        call.body.store(true, Ordering::Release);
    }
    RpcBody { inner: body, call }
}

// ---- the response body that ends a call ----

/// A response body that ends its call: with the status of its trailers, at its end, on an
/// error, or CANCELLED when dropped before any of these. On the server, the call's span is
/// current while the body (the handler's response stream) is polled.
pub struct RpcBody<B> {
    inner: B,
    call: Option<Arc<Call>>,
}

impl<B: ::http_body::Body> ::http_body::Body for RpcBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<::http_body::Frame<B::Data>, B::Error>>> {
        // Safety: only `inner` is structurally pinned; the call is a plain handle.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        let Some(call) = &this.call else { return inner.poll_frame(cx) };
        let polled = {
            let _entered = if call.server { Some(call.span.enter()) } else { None };
            inner.poll_frame(cx)
        };
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref() {
                    call.end_with(Some(trailers));
                }
            }
            Poll::Ready(Some(Err(_))) => call.end(-1, std::any::type_name::<B::Error>(), "response body failed"),
            Poll::Ready(None) => call.end_with(None),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> ::http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for RpcBody<B> {
    fn drop(&mut self) {
        if let Some(call) = &self.call {
            call.end(1, "", "response stream dropped before its end");
        }
    }
}
