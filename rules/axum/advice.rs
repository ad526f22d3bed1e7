// Advice for axum 0.8, spliced as `mod __otel_advice_axum` at axum's crate root after the
// shared `../http/request.rs`. Uses axum's own types (`crate::…`) and its dependencies
// (`http`, `tower_service`) only.

use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::body::Body;
use crate::response::Response;
use crate::routing::future::RouteFuture;
use crate::routing::Route;

const NEST_TAIL: &str = "{*__private__axum_nest_tail_param}";

thread_local! {
    /// The route template matched by the routing step now running on this thread: set by
    /// `matched_path`, taken by `router_exit` in the same synchronous `call_with_state`.
    static ROUTE: RefCell<Option<Arc<str>>> = RefCell::new(None);
}

/// Marks a request that already has a server span (a nested router must not add one).
#[derive(Clone, Copy)]
struct ServerSpanStarted;

/// What OnEnter hands to the exit advice: this router owns the request's SERVER span, or a
/// server under it (hyper's pack) does and only needs the route.
pub enum Call {
    Own(__otel::Span),
    Enrich,
}

/// OnEnter of `Router::call_with_state`: when hyper's pack already started the request's
/// SERVER span (it is current now, and this router claims it in the runtime), only report the
/// route later; otherwise extract the remote parent and start the span here.
pub fn router_enter<B>(req: &mut ::http::Request<B>) -> Option<Call> {
    if req.extensions().get::<ServerSpanStarted>().is_some() || !__otel::enabled("axum") || is_grpc(req) {
        return None;
    }
    req.extensions_mut().insert(ServerSpanStarted);
    ROUTE.with(|r| *r.borrow_mut() = None);
    if __otel::http_server_route("") {
        return Some(Call::Enrich);
    }
    Some(Call::Own(server_start(req)))
}

/// OnEnter of `set_matched_path_for_request`: remember the template this routing step matched
/// (for the top-level router of a request: `nest`ed routers are flattened into it).
pub fn matched_path<K: Eq + Hash>(id: &K, route_id_to_path: &HashMap<K, Arc<str>>, _extensions: &::http::Extensions) {
    if let Some(path) = route_id_to_path.get(id) {
        let path = Arc::clone(path);
        ROUTE.with(|r| *r.borrow_mut() = Some(path));
    }
}

/// A gRPC call (tonic's router is an axum `Router`): the tonic pack's RPC SERVER span is
/// the request's only SERVER span.
fn is_grpc<B>(req: &::http::Request<B>) -> bool {
    req.headers()
        .get(::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

type BoxedResponse = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// A service that yields, once, a response future built elsewhere: lets the advice hand
/// axum a `RouteFuture` (the type `call_with_state` must return) around an instrumented one.
#[derive(Clone)]
struct Once(Arc<Mutex<Option<BoxedResponse>>>);

impl ::tower_service::Service<::http::Request<Body>> for Once {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxedResponse;

    fn poll_ready(&mut self, _cx: &mut ::std::task::Context<'_>) -> ::std::task::Poll<Result<(), Infallible>> {
        ::std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _req: ::http::Request<Body>) -> BoxedResponse {
        let taken = self.0.lock().ok().and_then(|mut f| f.take());
        match taken {
            Some(future) => future,
            None => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = ::http::StatusCode::INTERNAL_SERVER_ERROR;
                Box::pin(::std::future::ready(Ok(response)))
            }
        }
    }
}

/// Exit of `Router::call_with_state`: report the route, and for a span of our own wrap the
/// future so the span is current while the handler runs and ends with the response.
pub fn router_exit(call: Option<Call>, future: RouteFuture<Infallible>) -> RouteFuture<Infallible> {
    let Some(call) = call else { return future };
    let route = ROUTE.with(|r| r.borrow_mut().take()).filter(|r| !r.ends_with(NEST_TAIL));
    let span = match call {
        Call::Own(span) => span,
        Call::Enrich => {
            // hyper's span (current here) names itself after the route and records the metric.
            if let Some(route) = &route {
                __otel::http_server_route(route);
            }
            return future;
        }
    };
    if let Some(route) = &route {
        span.http_route(route);
    }
    let instrumented = __otel::instrument_with(span, future, move |span: &__otel::Span, out: &Result<Response, Infallible>| {
        let status = match out {
            Ok(response) => response.status().as_u16(),
            Err(never) => match *never {},
        };
        span.http_server_end(status, "", "");
    });
    let boxed: BoxedResponse = Box::pin(instrumented);
    let once = Once(Arc::new(Mutex::new(Some(boxed))));
    // The outer future is not top level: the inner one already set Allow/Content-Length
    // and stripped HEAD bodies.
    Route::new(once).oneshot_inner_owned(::http::Request::new(Body::empty())).not_top_level()
}
