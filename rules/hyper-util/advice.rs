// Advice for hyper-util 0.1 (legacy client), spliced as `mod __otel_advice_hyper_util` at
// hyper-util's crate root. Uses hyper-util's public types and its `http`/`hyper`
// dependencies only. The client types exist with the `client-legacy` feature only (axum,
// for one, uses hyper-util without it), hence the `cfg`s.

use std::cell::RefCell;
use std::future::Future;
use std::time::Instant;

#[cfg(feature = "client-legacy")]
use crate::client::legacy::Error;

thread_local! {
    /// The span `Client::request` started, waiting for `ResponseFuture::new` to wrap the
    /// future (same synchronous call).
    static PENDING: RefCell<Option<ClientCall>> = RefCell::new(None);
}

/// Header names of the propagation formats a caller (reqwest's advice, an application that
/// propagates by hand) may already have written: such a request is someone else's span.
const CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

/// One outgoing request being traced.
pub struct ClientCall {
    span: __otel::Span,
    method: &'static str,
    scheme: String,
    address: String,
    port: Option<i64>,
    started: Instant,
}

http_glue!();

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

/// Clears the hand-off when `Client::request` returns (or unwinds).
pub struct Armed(());

impl Drop for Armed {
    fn drop(&mut self) {
        PENDING.with(|p| p.borrow_mut().take());
    }
}

/// OnEnter of `Client::request`.
pub fn client_enter<B>(req: &mut ::http::Request<B>) -> Armed {
    PENDING.with(|p| p.borrow_mut().take());
    if !__otel::enabled("hyper-util") || CONTEXT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
        return Armed(());
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
    let call = ClientCall { span: span, method: name, scheme: scheme, address: address, port: port, started: Instant::now() };
    PENDING.with(|p| *p.borrow_mut() = Some(call));
    Armed(())
}

/// `error.type` of a transport error: the kind from its `Debug` form
/// (`hyper_util::client::legacy::Error(Connect, ..)` → `Connect`).
#[cfg(feature = "client-legacy")]
fn error_kind(e: &Error) -> String {
    let debug = format!("{:?}", e);
    let kind = debug
        .split_once('(')
        .map(|(_, rest)| rest.split(|c: char| c == ',' || c == ')' || c == ' ').next().unwrap_or(""))
        .unwrap_or("");
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        "hyper_util::client::legacy::Error".to_string()
    } else {
        kind.to_string()
    }
}

/// `wrap_args` of `ResponseFuture::new`: the span (if `request` started one) is current
/// while the future is polled and ends with the response head, the error, or the drop.
#[cfg(feature = "client-legacy")]
pub fn client_future<F>(future: F) -> impl Future<Output = Result<::http::Response<::hyper::body::Incoming>, Error>>
where
    F: Future<Output = Result<::http::Response<::hyper::body::Incoming>, Error>>,
{
    let call = PENDING.with(|p| p.borrow_mut().take());
    let (span, call) = match call {
        Some(mut call) => (std::mem::replace(&mut call.span, __otel::Span::none()), Some(call)),
        None => (__otel::Span::none(), None),
    };
    __otel::instrument_with(span, future, move |span: &__otel::Span, out: &Result<::http::Response<::hyper::body::Incoming>, Error>| {
        let Some(call) = call else { return };
        let mut status = None;
        let mut version = "";
        let mut error_type = String::new();
        match out {
            Ok(response) => {
                let code = response.status().as_u16();
                status = Some(i64::from(code));
                span.i64("http.response.status_code", i64::from(code));
                version = __otel::http_version(&response.version());
                if !version.is_empty() {
                    span.str("network.protocol.version", version);
                }
                if code >= 400 {
                    error_type = code.to_string();
                    span.error(&error_type, "");
                }
            }
            Err(e) => {
                error_type = error_kind(e);
                span.error(&error_type, &e.to_string());
            }
        }
        let metric = __otel::HttpMetric {
            method: call.method,
            scheme: &call.scheme,
            status: status,
            route: None,
            version: version,
            error_type: &error_type,
            address: Some(&call.address),
            port: call.port,
        };
        __otel::record_http(__otel::HTTP_CLIENT_DURATION, call.started.elapsed().as_secs_f64(), &metric);
    })
}
