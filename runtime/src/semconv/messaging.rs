//! Messaging spans (development conventions): named `{messaging.operation.name}
//! {destination}`; PRODUCER for send and create, CONSUMER for receive, process and settle
//! (design.md §8 lists PRODUCER/CONSUMER; current semconv draft uses CLIENT for receive and
//! settle); `messaging.client.operation.duration`, or `messaging.process.duration` for
//! process. The consumer's parent is the context the pack extracted from the message.

use super::{Attrs, Call, Facts, Rec, finish, or, record, start, text};
use crate::abi::{OtelMessagingV1, OtelStrV1};
use crate::context;
use crate::exports::guard;
use crate::lifecycle;
use opentelemetry::Context;
use std::borrow::Cow;

pub const CLIENT_DURATION: u32 = 6;
pub const PROCESS_DURATION: u32 = 7;

pub struct Messaging {
    system: Box<str>,
    operation_type: &'static str,
    operation_name: Box<str>,
    destination: Box<str>,
    address: Box<str>,
    port: i64,
}

/// `messaging.operation.type` from the conventions' list; anything else is `_OTHER` (a
/// metric attribute: values must stay bounded).
pub fn operation_type(t: &str) -> &'static str {
    ["send", "create", "receive", "process", "settle"]
        .into_iter()
        .find(|k| t.eq_ignore_ascii_case(k))
        .unwrap_or("_OTHER")
}

/// Span kind of an operation type: 3 PRODUCER, 4 CONSUMER.
pub fn kind(operation_type: &str) -> u32 {
    if matches!(operation_type, "send" | "create") { 3 } else { 4 }
}

pub fn messaging_start(parent: Option<&Context>, f: &OtelMessagingV1<'_>) -> u64 {
    let operation_type = operation_type(&text(&f.operation_type));
    let name_field = text(&f.operation_name);
    let operation_name = or(&name_field, operation_type);
    let destination = text(&f.destination);
    let name =
        if destination.is_empty() { operation_name.to_owned() } else { format!("{operation_name} {destination}") };
    let message_id = text(&f.message_id);
    let facts = Facts::Messaging(Messaging {
        system: text(&f.system).as_ref().into(),
        operation_type,
        operation_name: operation_name.into(),
        destination: destination.as_ref().into(),
        address: text(&f.server_address).as_ref().into(),
        port: i64::from(f.server_port),
    });
    start(
        parent,
        || Cow::Owned(name),
        kind(operation_type),
        facts,
        |rec, facts| {
            let Facts::Messaging(m) = facts else { return };
            rec.str("messaging.system", &m.system);
            rec.str("messaging.operation.type", m.operation_type);
            rec.str("messaging.operation.name", &m.operation_name);
            rec.str("messaging.destination.name", &m.destination);
            rec.str("messaging.message.id", &message_id);
            if f.batch_count >= 2 {
                rec.i64("messaging.batch.message_count", i64::from(f.batch_count));
            }
            rec.str("server.address", &m.address);
            if m.port != 0 {
                rec.i64("server.port", m.port);
            }
        },
    )
}

pub fn messaging_end(rec: &Rec<'_>, call: &Call, seconds: f64, error: &str, description: &str) {
    let Facts::Messaging(m) = call.facts() else { return };
    if !error.is_empty() {
        rec.error(error, description);
    }
    let mut attrs = Attrs::new();
    attrs.str("messaging.system", &m.system).str("messaging.operation.name", &m.operation_name);
    attrs.str("messaging.operation.type", m.operation_type).str("messaging.destination.name", &m.destination);
    attrs.str("error.type", error).str("server.address", &m.address).int("server.port", m.port);
    let instrument = if m.operation_type == "process" { PROCESS_DURATION } else { CLIENT_DURATION };
    record(rec, instrument, seconds, attrs.as_slice());
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_messaging_start(parent: u64, fields: *const OtelMessagingV1<'_>) -> u64 {
    if lifecycle::state() == lifecycle::DISABLED || fields.is_null() {
        return 0;
    }
    guard(0, || {
        let parent = (parent != 0).then(|| unsafe { context::borrow(parent) });
        messaging_start(parent, unsafe { &*fields })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_messaging_end(span: u64, error_type: OtelStrV1<'_>, description: OtelStrV1<'_>) {
    if span == 0 {
        return;
    }
    guard((), || finish(span, |rec, call, s| messaging_end(rec, call, s, &text(&error_type), &text(&description))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::OtelStrV1 as S;
    use crate::semconv::testing::{self, attr, span};
    use opentelemetry::trace::{SpanKind, Status, TraceContextExt};

    #[test]
    fn kinds_and_types() {
        assert_eq!((operation_type("SEND"), kind("send")), ("send", 3));
        assert_eq!((operation_type("process"), kind("process")), ("process", 4));
        assert_eq!(operation_type("publish-ish"), "_OTHER");
    }

    #[test]
    fn producer_and_consumer_spans() {
        testing::install();
        let fields = OtelMessagingV1 {
            system: S::new("kafka"),
            operation_type: S::new("send"),
            destination: S::new("orders"),
            message_id: S::new("msg-producer-1"),
            ..Default::default()
        };
        let h = __otel_v1_messaging_start(0, &fields);
        __otel_v1_messaging_end(h, S::default(), S::default());
        crate::exports::__otel_v1_span_end(h);
        let producer = span("send orders", "messaging.message.id", "msg-producer-1");
        assert_eq!(producer.span_kind, SpanKind::Producer);
        assert_eq!(attr(&producer, "messaging.system").as_deref(), Some("kafka"));
        assert_eq!(attr(&producer, "messaging.operation.type").as_deref(), Some("send"));

        // The consumer is parented on the context carried by the message.
        let parent = Context::new().with_remote_span_context(producer.span_context.clone());
        let parent = crate::context::into_handle(parent);
        let fields = OtelMessagingV1 {
            system: S::new("kafka"),
            operation_type: S::new("process"),
            operation_name: S::new("handle"),
            destination: S::new("orders"),
            message_id: S::new("msg-consumer-1"),
            ..Default::default()
        };
        let h = __otel_v1_messaging_start(parent, &fields);
        __otel_v1_messaging_end(h, S::new("Poison"), S::new("bad payload"));
        crate::exports::__otel_v1_span_end(h);
        crate::exports::__otel_v1_ctx_drop(parent);
        let consumer = span("handle orders", "messaging.message.id", "msg-consumer-1");
        assert_eq!(consumer.span_kind, SpanKind::Consumer);
        assert_eq!(consumer.parent_span_id, producer.span_context.span_id());
        assert_eq!(consumer.span_context.trace_id(), producer.span_context.trace_id());
        assert_eq!(attr(&consumer, "error.type").as_deref(), Some("Poison"));
        assert!(matches!(consumer.status, Status::Error { .. }));
    }
}
