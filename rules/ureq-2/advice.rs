// Advice for ureq 2.4 – 2.x, spliced as `mod __otel_advice_ureq_2` at ureq's crate root.
// Uses ureq's own types (`crate::Header`, `crate::Response`, `crate::Error`) and its `url`
// dependency only.

use std::cell::RefCell;

use crate::header::Header;
use crate::{Error, Response};

/// Header names of the propagation formats: a request that already carries one is traced by
/// the application itself, and is left alone.
const TRACE_CONTEXT_HEADERS: &[&str] = &["traceparent", "b3", "x-b3-traceid", "uber-trace-id"];

/// The request `do_call` is running on this thread.
enum Slot {
    /// Armed: the first `Unit::new` starts the span.
    Armed,
    /// The request's span (current while its hops are built and sent).
    Span(__otel::SpanGuard),
    /// No span for this request (instrumentation off, or the app propagates by hand).
    Skip,
}

thread_local! {
    static SLOT: RefCell<Option<Slot>> = RefCell::new(None);
}

/// The call context of `do_call`: the slot of an outer `do_call` on this thread, put back
/// when this one returns or unwinds.
pub struct Outer(Option<Slot>);

impl Drop for Outer {
    fn drop(&mut self) {
        let outer = self.0.take();
        // The inner slot is replaced (and its span, if any is left, dropped) outside the borrow.
        let _inner = SLOT.with(|s| std::mem::replace(&mut *s.borrow_mut(), outer));
    }
}

/// OnEnter of `Request::do_call`.
pub fn call_enter() -> Outer {
    Outer(SLOT.with(|s| s.borrow_mut().replace(Slot::Armed)))
}

/// Outgoing headers as the prelude's `Injector` (replaces a value already set: a redirect
/// hop carries the previous hop's).
struct Carrier<'a>(&'a mut Vec<Header>);

impl<'a> __otel::Injector for Carrier<'a> {
    fn set(&mut self, key: &str, value: &str) {
        self.0.retain(|h| !h.is_name(key));
        self.0.push(Header::new(key, value));
    }
}

/// OnEnter of `Unit::new`: start the span on the first hop of an armed request, inject on
/// every hop.
pub fn unit_new(method: &str, url: &::url::Url, headers: &mut Vec<Header>) {
    SLOT.with(|s| {
        let mut slot = s.borrow_mut();
        if let Some(Slot::Armed) = *slot {
            let ours =
                __otel::enabled("ureq") && !headers.iter().any(|h| TRACE_CONTEXT_HEADERS.iter().any(|t| h.is_name(t)));
            *slot = Some(if ours { Slot::Span(start(method, url)) } else { Slot::Skip });
        }
        if let Some(Slot::Span(_)) = *slot {
            // The span is current (entered by `start`): inject it.
            __otel::inject(&mut Carrier(headers));
        }
    });
}

fn start(method: &str, url: &::url::Url) -> __otel::SpanGuard {
    let span = __otel::HttpClient {
        method: method.into(),
        scheme: url.scheme().into(),
        host: url.host_str().unwrap_or("").into(),
        port: url.port_or_known_default().map_or(0, u32::from),
        url: url.as_str().into(),
        ..Default::default()
    }
    .start();
    __otel::SpanGuard::new(span)
}

/// OnExit of `Request::do_call`: end this request's span with its outcome.
pub fn call_exit(outer: Outer, out: &Result<Response, Error>) {
    let slot = SLOT.with(|s| s.borrow_mut().take());
    drop(outer);
    let guard = match slot {
        Some(Slot::Span(guard)) => guard,
        _ => return,
    };
    match out {
        Ok(response) | Err(Error::Status(_, response)) => {
            let version = response.http_version();
            let version = version.strip_prefix("HTTP/").unwrap_or("");
            guard.span.http_client_end(response.status(), version, "", "");
        }
        Err(Error::Transport(t)) => guard.span.http_client_end(0, "", &format!("{:?}", t.kind()), &description(t)),
    }
}

/// The error's kind, message and source; not `Transport`'s `Display`, which starts with the
/// URL (unredacted: its query may hold secrets).
fn description(t: &crate::Transport) -> String {
    let mut out = t.kind().to_string();
    if let Some(message) = t.message() {
        out.push_str(": ");
        out.push_str(message);
    }
    if let Some(source) = std::error::Error::source(t) {
        out.push_str(": ");
        out.push_str(&source.to_string());
    }
    out
}
