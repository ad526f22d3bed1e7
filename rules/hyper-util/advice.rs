// Advice for hyper-util 0.1 (legacy client), spliced as `mod __otel_advice_hyper_util` at
// hyper-util's crate root. Uses hyper-util's public types and its `http`/`hyper`
// dependencies only. The client types exist with the `client-legacy` feature only (axum,
// for one, uses hyper-util without it), hence the `cfg`s.

use std::cell::RefCell;
use std::future::Future;

#[cfg(feature = "client-legacy")]
use crate::client::legacy::Error;

thread_local! {
    /// The span `Client::request` started, waiting for `ResponseFuture::new` to wrap the
    /// future (same synchronous call).
    static PENDING: RefCell<Option<__otel::Span>> = RefCell::new(None);
}

/// Clears the hand-off when `Client::request` returns (or unwinds).
pub struct Armed(());

impl Drop for Armed {
    fn drop(&mut self) {
        PENDING.with(|p| p.borrow_mut().take());
    }
}

/// OnEnter of `Client::request`: start the CLIENT span and inject it (see
/// `client_start`), leaving it for `ResponseFuture::new`.
pub fn client_enter<B>(req: &mut ::http::Request<B>) -> Armed {
    let call = client_start("hyper-util", req);
    PENDING.with(|p| *p.borrow_mut() = call);
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
    let span = PENDING.with(|p| p.borrow_mut().take()).unwrap_or_else(__otel::Span::none);
    __otel::instrument_with(span, future, move |span: &__otel::Span, out: &Result<::http::Response<::hyper::body::Incoming>, Error>| {
        match out {
            Ok(response) => {
                span.http_client_end(response.status().as_u16(), protocol_version(response.version()), "", "")
            }
            Err(e) => span.http_client_end(0, "", &error_kind(e), &e.to_string()),
        }
    })
}
