// Advice for lapin 2.x, spliced as `mod __otel_advice_lapin` at lapin's crate root (see
// pack.toml for the join points). The AMQP headers (`BasicProperties::headers`, a
// `FieldTable`) are the carrier: `traceparent` (and any other field the configured
// propagators write) as AMQP long strings. Messaging policy (span name, kind, metrics) is the
// runtime's (`__otel::Messaging`); this file only gathers the facts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use crate::types::{AMQPValue, FieldTable, LongString, ShortString};

const PACK: &str = "lapin";

/// A `FieldTable` as the propagators' carrier.
struct Headers<'a>(&'a mut FieldTable);

impl<'a> __otel::Injector for Headers<'a> {
    fn set(&mut self, key: &str, value: &str) {
        self.0.insert(ShortString::from(key), AMQPValue::LongString(LongString::from(value)));
    }
}

struct ReadHeaders<'a>(Option<&'a FieldTable>);

impl<'a> __otel::Extractor for ReadHeaders<'a> {
    fn get(&self, key: &str) -> Option<&str> {
        let (_, value) = self.0?.inner().iter().find(|(k, _)| k.as_str().eq_ignore_ascii_case(key))?;
        match value {
            AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok(),
            AMQPValue::ShortString(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

/// With the default exchange (`""`) the routing key names the queue: it is the destination.
fn destination<'a>(exchange: &'a str, routing_key: &'a str) -> &'a str {
    if exchange.is_empty() {
        routing_key
    } else {
        exchange
    }
}

/// A span of this pack with the attributes the runtime's call does not take.
fn start(
    operation_type: &str,
    operation_name: &str,
    parent: &__otel::Context,
    exchange: &str,
    routing_key: &str,
    message_id: &str,
    body_size: usize,
) -> __otel::Span {
    let span = __otel::Messaging {
        system: "rabbitmq".into(),
        operation_type: operation_type.into(),
        operation_name: operation_name.into(),
        destination: destination(exchange, routing_key).into(),
        message_id: message_id.into(),
        ..Default::default()
    }
    .start(parent);
    if span.is_recording() {
        if !routing_key.is_empty() {
            span.str("messaging.rabbitmq.destination.routing_key", routing_key);
        }
        span.i64("messaging.message.body.size", body_size as i64);
    }
    span
}

fn message_id(properties: &crate::BasicProperties) -> &str {
    properties.message_id().as_ref().map_or("", |id| id.as_str())
}

// ---- publish: `Channel::send_method_frame_with_body` ----

/// OnEnter of the publish funnel: the PRODUCER span (under the current context, a root
/// outside any trace), injected into the message's headers. No span when the pack is off, for
/// other methods with a body (none in 2.x), or when the app put a `traceparent` there itself
/// and no trace is current (it propagates by hand).
pub fn publish_enter(
    method: &crate::protocol::AMQPClass,
    payload: &[u8],
    properties: &mut crate::BasicProperties,
) -> __otel::Span {
    use crate::protocol::{basic::AMQPMethod, AMQPClass};
    let publish = match method {
        AMQPClass::Basic(AMQPMethod::Publish(p)) => p,
        _ => return __otel::Span::none(),
    };
    if !__otel::enabled(PACK) {
        return __otel::Span::none();
    }
    let current = __otel::Context::current();
    if current.is_empty() && !__otel::extract(&ReadHeaders(properties.headers().as_ref())).is_empty() {
        return __otel::Span::none();
    }
    let span = start(
        "send",
        "publish",
        &current,
        publish.exchange.as_str(),
        publish.routing_key.as_str(),
        message_id(properties),
        payload.len(),
    );
    if !span.is_none() {
        let mut headers = properties.headers().clone().unwrap_or_default();
        {
            let _entered = span.enter();
            __otel::inject(&mut Headers(&mut headers));
        }
        *properties = std::mem::take(properties).with_headers(headers);
    }
    span
}

/// The publish future: the span is current while it is polled and ends with its output (an
/// error: `error.type` is lapin's error variant).
pub fn publish_future<F, T>(span: __otel::Span, future: F) -> impl Future<Output = crate::Result<T>>
where
    F: Future<Output = crate::Result<T>>,
{
    __otel::instrument_with(span, future, |span: &__otel::Span, out: &crate::Result<T>| match out {
        Ok(_) => span.messaging_end("", ""),
        Err(e) => span.messaging_end(error_type(e), &e.to_string()),
    })
}

/// The variant name of a lapin error (`InvalidChannelState`, `ProtocolError`, …).
fn error_type(e: &crate::Error) -> &'static str {
    use crate::Error::*;
    match e {
        ChannelsLimitReached => "ChannelsLimitReached",
        InvalidProtocolVersion(_) => "InvalidProtocolVersion",
        InvalidChannel(_) => "InvalidChannel",
        InvalidChannelState(_) => "InvalidChannelState",
        InvalidConnectionState(_) => "InvalidConnectionState",
        IOError(_) => "IOError",
        ParsingError(_) => "ParsingError",
        ProtocolError(_) => "ProtocolError",
        SerialisationError(_) => "SerialisationError",
        #[allow(unreachable_patterns)]
        _ => "_OTHER",
    }
}

/// The process span of a delivery handed to the app, parented on the context it carries
/// (a root when it carries none).
fn process(delivery: &crate::message::Delivery) -> __otel::Span {
    let parent = __otel::extract(&ReadHeaders(delivery.properties.headers().as_ref()));
    let span = start(
        "process",
        "process",
        &parent,
        delivery.exchange.as_str(),
        delivery.routing_key.as_str(),
        message_id(&delivery.properties),
        delivery.data.len(),
    );
    span.i64("messaging.rabbitmq.message.delivery_tag", delivery.delivery_tag as i64);
    span
}

// ---- stream consumers: `Stream for Consumer` ----

/// The open process span of each consumer (by tag and queue), ended at its next poll.
static OPEN: Mutex<Vec<(String, __otel::Span)>> = Mutex::new(Vec::new());

fn consumer_key(consumer: &crate::Consumer) -> String {
    format!("{}\u{0}{}", consumer.tag().as_str(), consumer.queue().as_str())
}

fn close(key: &str) {
    let span = match OPEN.lock() {
        Ok(mut open) => open.iter().position(|(k, _)| k == key).map(|i| open.swap_remove(i).1),
        Err(_) => None,
    };
    if let Some(span) = span {
        span.messaging_end("", "");
    }
}

/// OnEnter of `poll_next`: the app asks for the next delivery, so it is done with the last.
pub fn poll_enter(consumer: &crate::Consumer) -> Option<String> {
    let key = consumer_key(consumer);
    close(&key);
    Some(key)
}

/// OnExit of `poll_next`: a delivery starts its process span, open until the next poll.
pub fn poll_exit(key: Option<String>, polled: &std::task::Poll<Option<crate::Result<crate::message::Delivery>>>) {
    let (key, delivery) = match (key, polled) {
        (Some(key), std::task::Poll::Ready(Some(Ok(delivery)))) => (key, delivery),
        _ => return,
    };
    if !__otel::enabled(PACK) {
        return;
    }
    let span = process(delivery);
    if span.is_none() {
        return;
    }
    if let Ok(mut open) = OPEN.lock() {
        open.push((key, span));
    }
}

/// OnEnter of `Drop for Consumer`: a dropped consumer ends its open span.
pub fn consumer_drop(consumer: &crate::Consumer) {
    close(&consumer_key(consumer));
}

// ---- delegate consumers: `ConsumerDelegate for Fn(DeliveryResult) -> Future` ----

pub fn delegate_enter(delivery: &crate::message::DeliveryResult) -> __otel::Span {
    match delivery {
        Ok(Some(delivery)) if __otel::enabled(PACK) => process(delivery),
        _ => __otel::Span::none(),
    }
}

/// The delegate's future: the process span is current while it runs and ends with it.
pub fn delegate_future(
    span: __otel::Span,
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    if span.is_none() {
        return future;
    }
    Box::pin(__otel::instrument_with(span, future, |span: &__otel::Span, _: &()| span.messaging_end("", "")))
}
