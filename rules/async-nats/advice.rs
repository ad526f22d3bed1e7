// Advice for async-nats 0.33 – 0.39, spliced as `mod __otel_advice_async_nats` at the crate
// root (see pack.toml for the join points). NATS headers (`HeaderMap`) are the carrier.
// Messaging policy (span name, kind, metrics) is the runtime's (`__otel::Messaging`); this
// file only gathers the facts.

use std::future::Future;
use std::sync::Mutex;

use crate::subject::ToSubject;
use crate::HeaderMap;

const PACK: &str = "async-nats";

struct Headers<'a>(&'a mut HeaderMap);

impl<'a> __otel::Injector for Headers<'a> {
    fn set(&mut self, key: &str, value: &str) {
        self.0.insert(key, value);
    }
}

struct ReadHeaders<'a>(Option<&'a HeaderMap>);

impl<'a> __otel::Extractor for ReadHeaders<'a> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0?.get(key).map(|v| v.as_str())
    }
}

/// Is the pack on? Then `publish` and `publish_with_reply` take the `_with_headers` path so
/// the funnel can inject.
pub fn redirect() -> bool {
    __otel::enabled(PACK)
}

type Info = ::tokio::sync::watch::Receiver<crate::ServerInfo>;

fn start(
    operation_type: &str,
    operation_name: &str,
    parent: &__otel::Context,
    info: Option<&Info>,
    subject: &str,
    body_size: usize,
) -> __otel::Span {
    let info = info.map(|i| i.borrow());
    let (host, port) = info.as_ref().map_or(("", 0), |i| (i.host.as_str(), u32::from(i.port)));
    let span = __otel::Messaging {
        system: "nats".into(),
        operation_type: operation_type.into(),
        operation_name: operation_name.into(),
        destination: subject.into(),
        server_address: host.into(),
        server_port: port,
        ..Default::default()
    }
    .start(parent);
    span.i64("messaging.message.body.size", body_size as i64);
    span
}

/// A PRODUCER span under the current context (a root outside any trace), injected into
/// `headers`. None when the pack is off, or when the app put a `traceparent` there itself and
/// no trace is current (it propagates by hand).
fn produce(name: &str, info: &Info, subject: &str, headers: &mut HeaderMap, body_size: usize) -> __otel::Span {
    if !__otel::enabled(PACK) {
        return __otel::Span::none();
    }
    let current = __otel::Context::current();
    if current.is_empty() && !__otel::extract(&ReadHeaders(Some(&*headers))).is_empty() {
        return __otel::Span::none();
    }
    let span = start("send", name, &current, Some(info), subject, body_size);
    {
        let _entered = span.enter();
        __otel::inject(&mut Headers(headers));
    }
    span
}

/// OnEnter of `publish_with_headers` / `publish_with_reply_and_headers`.
pub fn publish_enter<S: ToSubject>(
    info: &Info,
    subject: &S,
    headers: &mut HeaderMap,
    body_size: usize,
) -> __otel::Span {
    if !__otel::enabled(PACK) {
        return __otel::Span::none();
    }
    let subject = subject.to_subject();
    produce("publish", info, subject.as_str(), headers, body_size)
}

pub fn publish_future<F>(span: __otel::Span, future: F) -> impl Future<Output = Result<(), crate::PublishError>>
where
    F: Future<Output = Result<(), crate::PublishError>>,
{
    __otel::instrument_with(span, future, |span: &__otel::Span, out: &Result<(), crate::PublishError>| match out {
        Ok(()) => span.messaging_end("", ""),
        // 0.33's PublishError is a plain wrapper without a kind: the type's name.
        Err(e) => span.messaging_end("PublishError", &e.to_string()),
    })
}

/// OnEnter of `send_request`: a request without a custom inbox (one with goes through the
/// publish funnels).
pub fn request_enter<S: ToSubject>(
    info: &Info,
    subject: &S,
    custom_inbox: bool,
    headers: &mut Option<HeaderMap>,
    body_size: usize,
) -> __otel::Span {
    if custom_inbox || !__otel::enabled(PACK) {
        return __otel::Span::none();
    }
    let subject = subject.to_subject();
    produce("request", info, subject.as_str(), headers.get_or_insert_with(HeaderMap::new), body_size)
}

pub fn request_future<F>(
    span: __otel::Span,
    future: F,
) -> impl Future<Output = Result<crate::Message, crate::RequestError>>
where
    F: Future<Output = Result<crate::Message, crate::RequestError>>,
{
    __otel::instrument_with(span, future, |span: &__otel::Span, out: &Result<crate::Message, crate::RequestError>| {
        match out {
            Ok(_) => span.messaging_end("", ""),
            Err(e) => span.messaging_end(&format!("{:?}", e.kind()), &e.to_string()),
        }
    })
}

// ---- `Stream for Subscriber` ----

/// The open process span of each subscriber (by subscription id), ended at its next poll or drop.
static OPEN: Mutex<Vec<(usize, __otel::Span)>> = Mutex::new(Vec::new());
const MAX_OPEN: usize = 64;

fn close(key: usize) {
    let span = match OPEN.lock() {
        Ok(mut open) => open.iter().position(|(k, _)| *k == key).map(|i| open.swap_remove(i).1),
        Err(_) => None,
    };
    if let Some(span) = span {
        span.messaging_end("", "");
    }
}

/// OnEnter of `poll_next`: the app asks for the next message, so it is done with the last.
pub fn poll_enter(sid: u64) -> usize {
    let key = sid as usize;
    close(key);
    key
}

/// OnExit of `poll_next`: a message starts its process span, parented on its context.
pub fn poll_exit(key: usize, polled: &std::task::Poll<Option<crate::Message>>) {
    let message = match polled {
        std::task::Poll::Ready(Some(message)) => message,
        _ => return,
    };
    if !__otel::enabled(PACK) {
        return;
    }
    let parent = __otel::extract(&ReadHeaders(message.headers.as_ref()));
    let span = start("process", "process", &parent, None, message.subject.as_str(), message.payload.len());
    if span.is_none() {
        return;
    }
    let evicted = match OPEN.lock() {
        Ok(mut open) => {
            open.push((key, span));
            if open.len() > MAX_OPEN {
                Some(open.remove(0).1)
            } else {
                None
            }
        }
        Err(_) => None,
    };
    if let Some(span) = evicted {
        span.messaging_end("", "");
    }
}

/// OnEnter of `Drop for Subscriber`.
pub fn subscriber_drop(sid: u64) {
    close(sid as usize);
}
