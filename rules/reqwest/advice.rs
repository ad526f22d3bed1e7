// Advice for reqwest 0.11, 0.12 and 0.13, spliced as `mod __otel_advice_reqwest` at reqwest's crate
// root, after the shared `../http/request.rs` (carriers, `protocol_version`). Uses reqwest's
// own re-exports (`crate::header`, `crate::Url`, ...) and its `http` dependency, so one file
// fits both the http 0.2 (0.11) and http 1 (0.12) lines.

use std::cell::{Cell, RefCell};
use std::future::Future;

use crate::header::HeaderMap;

thread_local! {
    /// Set while `send`/`execute` builds its future: `execute_request` may start a span.
    static ARMED: Cell<bool> = Cell::new(false);
    /// The span `execute_request` started, waiting for `send`/`execute` to wrap the future.
    static PENDING: RefCell<Option<__otel::Span>> = RefCell::new(None);
}

/// Start the CLIENT span for `method url` under the current context and inject it into
/// `headers`. `None` when instrumentation is off, or when the request already carries a
/// trace context and nothing is current (the blocking client's worker, or an app that
/// propagates by hand): then the headers are left as they are. The runtime redacts the URL.
fn start(method: &crate::Method, url: &crate::Url, headers: &mut HeaderMap) -> Option<__otel::Span> {
    if !__otel::enabled("reqwest") {
        return None;
    }
    if headers.contains_key("traceparent") && __otel::Context::current().is_empty() {
        return None;
    }
    let span = __otel::HttpClient {
        method: method.as_str().into(),
        scheme: url.scheme().into(),
        host: url.host_str().unwrap_or("").into(),
        port: url.port_or_known_default().map_or(0, u32::from),
        url: url.as_str().into(),
        ..Default::default()
    }
    .start();
    {
        let _entered = span.enter();
        __otel::inject(&mut Carrier(headers));
    }
    Some(span)
}

/// Record the outcome (status, version or error) of the request on its span.
fn finish(span: &__otel::Span, status: Option<u16>, version: Option<crate::Version>, error: Option<&crate::Error>) {
    let version = version.map_or("", protocol_version);
    match error {
        Some(e) => span.http_client_end(status.unwrap_or(0), version, error_kind(e), &e.to_string()),
        None => span.http_client_end(status.unwrap_or(0), version, "", ""),
    }
}

fn error_kind(e: &crate::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_redirect() {
        "redirect"
    } else if e.is_body() {
        "body"
    } else if e.is_decode() {
        "decode"
    } else if e.is_request() {
        "request"
    } else {
        "reqwest::Error"
    }
}

/// Disarms the hand-off when `send`/`execute` returns (or unwinds).
pub struct Armed(());

impl Drop for Armed {
    fn drop(&mut self) {
        ARMED.with(|a| a.set(false));
        PENDING.with(|p| p.borrow_mut().take());
    }
}

/// OnEnter of `RequestBuilder::send` / `Client::execute`.
pub fn arm() -> Armed {
    ARMED.with(|a| a.set(true));
    Armed(())
}

/// OnEnter of `Client::execute_request`.
pub fn client_enter(req: &mut crate::Request) {
    let armed = ARMED.with(|a| a.replace(false));
    let method = req.method().clone();
    let url = req.url().clone();
    if armed {
        let call = start(&method, &url, req.headers_mut());
        PENDING.with(|p| *p.borrow_mut() = call);
    } else if __otel::enabled("reqwest") && !__otel::Context::current().is_empty() {
        // tower `Service::call`: no span can be ended here, but the context still travels.
        __otel::inject(&mut Carrier(req.headers_mut()));
    }
}

/// Wrap of `send` / `execute`: the span ends when the response headers arrive, on error,
/// or when the future is dropped.
pub fn client_future<F>(armed: Armed, future: F) -> impl Future<Output = Result<crate::Response, crate::Error>>
where
    F: Future<Output = Result<crate::Response, crate::Error>>,
{
    let span = PENDING.with(|p| p.borrow_mut().take()).unwrap_or_else(__otel::Span::none);
    drop(armed);
    __otel::instrument_with(span, future, move |span: &__otel::Span, out: &Result<crate::Response, crate::Error>| match out {
        Ok(response) => finish(span, Some(response.status().as_u16()), Some(response.version()), None),
        Err(e) => finish(span, e.status().map(|s| s.as_u16()), None, Some(e)),
    })
}

/// OnEnter of `blocking::Client::execute`.
#[cfg(feature = "blocking")]
pub fn blocking_enter(request: &mut crate::blocking::Request) -> Option<__otel::Span> {
    let method = request.method().clone();
    let url = request.url().clone();
    start(&method, &url, request.headers_mut())
}

/// OnExit of `blocking::Client::execute`.
#[cfg(feature = "blocking")]
pub fn blocking_exit(span: Option<__otel::Span>, out: &crate::Result<crate::blocking::Response>) {
    if let Some(span) = span {
        match out {
            Ok(response) => finish(&span, Some(response.status().as_u16()), Some(response.version()), None),
            Err(e) => finish(&span, e.status().map(|s| s.as_u16()), None, Some(e)),
        }
    }
}
