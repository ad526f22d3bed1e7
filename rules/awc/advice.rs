// Advice for awc 3.x, spliced as `mod __otel_advice_awc` at awc's crate root after the shared
// `../actix-http/headers.rs`. Uses awc's crate-private `sender::RequestSender` and
// `connect::ConnectRequest`, and actix-http's types through awc's `crate::http` re-exports.

use std::cell::RefCell;

use crate::connect::{ConnectRequest, ConnectResponse};
use crate::error::SendRequestError;
use crate::http::header::{HeaderMap, HeaderName, HeaderValue};
use crate::http::Version;
use crate::sender::{RequestSender, SendClientRequest};
use actix_http::{RequestHead, RequestHeadType};

const PACK: &str = "awc";

thread_local! {
    /// The span `send_enter` started, for `connector_call` (inject) and `send_exit` (wrap),
    /// all inside one synchronous `send_body`.
    static PENDING: RefCell<Option<__otel::Span>> = RefCell::new(None);
}

/// Clears the hand-off when `send_body` returns (or unwinds).
pub struct Armed(());

impl Drop for Armed {
    fn drop(&mut self) {
        let _ = PENDING.try_with(|p| p.borrow_mut().take());
    }
}

fn has_trace_context(headers: &HeaderMap) -> bool {
    headers.contains_key("traceparent")
}

/// Start the CLIENT span of `head` under the current context. None when the pack is off, or
/// when the request already carries a trace context and nothing is current (an app that
/// propagates by hand): its headers are left as they are.
fn start(head: &RequestHead, extra: Option<&HeaderMap>) -> Option<__otel::Span> {
    if !__otel::enabled(PACK) {
        return None;
    }
    let propagated = has_trace_context(&head.headers) || extra.map_or(false, has_trace_context);
    if propagated && __otel::Context::current().is_empty() {
        return None;
    }
    let uri = &head.uri;
    Some(
        __otel::HttpClient {
            method: head.method.as_str().into(),
            scheme: uri.scheme_str().unwrap_or("").into(),
            host: uri.host().unwrap_or("").into(),
            port: uri.port_u16().map_or(0, u32::from),
            authority: uri.authority().map_or("", |a| a.as_str()).into(),
            path: uri.path().into(),
            query: uri.query().unwrap_or("").into(),
            ..Default::default()
        }
        .start(),
    )
}

/// OnEnter of `RequestSender::send_body`.
pub fn send_enter(sender: &RequestSender) -> Armed {
    let span = match sender {
        RequestSender::Owned(head) => start(head, None),
        RequestSender::Rc(head, extra) => start(head, extra.as_ref()),
    };
    let _ = PENDING.try_with(|p| *p.borrow_mut() = span);
    Armed(())
}

fn inject(req: &mut ConnectRequest) {
    match req {
        ConnectRequest::Client(RequestHeadType::Owned(head), ..) => {
            __otel::inject(&mut ActixCarrier(&mut head.headers))
        }
        ConnectRequest::Client(RequestHeadType::Rc(_, extra), ..) => {
            __otel::inject(&mut ActixCarrier(extra.get_or_insert_with(HeaderMap::new)))
        }
        ConnectRequest::Tunnel(head, _) => __otel::inject(&mut ActixCarrier(&mut head.headers)),
    }
}

/// OnEnter of `DefaultConnector::call`: the request's context into its headers.
pub fn connector_call(req: &mut ConnectRequest) {
    let injected = PENDING
        .try_with(|p| {
            p.borrow().as_ref().map(|span| {
                let _entered = span.enter();
                inject(req);
            })
        })
        .ok()
        .flatten();
    if injected.is_none() && __otel::enabled(PACK) && !__otel::Context::current().is_empty() {
        inject(req);
    }
}

fn error_kind(e: &SendRequestError) -> &'static str {
    match e {
        SendRequestError::Url(_) => "url",
        SendRequestError::Connect(_) => "connect",
        SendRequestError::Send(_) => "send",
        SendRequestError::Response(_) => "response",
        SendRequestError::Http(_) => "http",
        SendRequestError::Timeout => "timeout",
        _ => "awc::error::SendRequestError",
    }
}

/// Wrap of `RequestSender::send_body`: the span is current while the request's future is
/// polled and ends when the response head arrives or the request fails.
pub fn send_exit(armed: Armed, sent: SendClientRequest) -> SendClientRequest {
    let span = PENDING.try_with(|p| p.borrow_mut().take()).ok().flatten();
    drop(armed);
    let span = match span {
        Some(span) => span,
        None => return sent,
    };
    match sent {
        SendClientRequest::Fut(future, delay, decompress) => {
            let instrumented = __otel::instrument_with(
                span,
                future,
                |span: &__otel::Span, out: &Result<ConnectResponse, SendRequestError>| match out {
                    Ok(ConnectResponse::Client(res)) => {
                        span.http_client_end(res.status().as_u16(), actix_protocol_version(res.version()), "", "")
                    }
                    Ok(ConnectResponse::Tunnel(head, _)) => {
                        span.http_client_end(head.status.as_u16(), actix_protocol_version(head.version), "", "")
                    }
                    Err(e) => span.http_client_end(0, "", error_kind(e), &e.to_string()),
                },
            );
            SendClientRequest::Fut(Box::pin(instrumented), delay, decompress)
        }
        SendClientRequest::Err(err) => {
            if let Some(e) = &err {
                span.http_client_end(0, "", error_kind(e), &e.to_string());
            }
            SendClientRequest::Err(err)
        }
    }
}
