//! `OTEL_SPAN_*_LIMIT` on woven spans, whichever ABI call sets the attributes (one-call start,
//! one at a time, `set_all`, events), links added through the API to a woven span, and spans
//! made through the `opentelemetry` API.

use opentelemetry::trace::{Span as _, Tracer as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{TraceSink, install};
use otel_runtime::config::Config;
use std::collections::HashMap;

fn finished(exporter: &InMemorySpanExporter, name: &str) -> SpanData {
    let spans = exporter.get_finished_spans().expect("spans");
    spans.into_iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no span {name}"))
}

fn value(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

#[test]
fn limits_cap_attributes_events_and_string_values() {
    let exporter = InMemorySpanExporter::default();
    let env: HashMap<String, String> = [
        ("OTEL_TRACES_SAMPLER", "always_on"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "3"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
        ("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "1"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4"),
        ("OTEL_SPAN_LINK_COUNT_LIMIT", "1"),
        ("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let processor = SimpleSpanProcessor::new(exporter.clone());
    install(|| Config::from_env_map(&env, Some("limits-test")), Some(TraceSink::Processor(Box::new(processor))))
        .expect("installed");

    // One call: five attributes, three kept; a static and a borrowed string both cut to four
    // characters (a two-byte character counts as one).
    let long = String::from("héllo wörld");
    let span = otel::Span::start_attrs(
        "limits.one-call",
        otel::INTERNAL,
        &[
            otel::Attr::lit("a", "abcdefgh"),
            otel::Attr::str("b", &long),
            otel::Attr::i64("c", 7),
            otel::Attr::i64("d", 8),
            otel::Attr::bool("e", true),
        ],
    );
    span.str("f", "dropped too");
    drop(span);
    let one = finished(&exporter, "limits.one-call");
    assert_eq!(one.attributes.len(), 3);
    assert_eq!(value(&one, "a").as_deref(), Some("abcd"));
    assert_eq!(value(&one, "b").as_deref(), Some("héll"));
    assert_eq!(value(&one, "c").as_deref(), Some("7"));
    assert_eq!(one.dropped_attributes_count, 3);

    // One at a time and `set_all`; then events: one kept, with one attribute.
    let span = otel::Span::start("limits.calls", otel::INTERNAL);
    span.str("short", "abc");
    span.str("long", "abcdefgh");
    span.set_all(&[otel::Attr::str("all", "123456"), otel::Attr::i64("over", 1)]);
    span.event_with("first", &[("x", otel::Value::Str("long value")), ("y", otel::Value::I64(2))]);
    span.event("second");
    drop(span);
    let calls = finished(&exporter, "limits.calls");
    assert_eq!(value(&calls, "short").as_deref(), Some("abc"));
    assert_eq!(value(&calls, "long").as_deref(), Some("abcd"));
    assert_eq!(value(&calls, "all").as_deref(), Some("1234"));
    assert_eq!((calls.attributes.len(), calls.dropped_attributes_count), (3, 1));
    assert_eq!(calls.events.len(), 1);
    assert_eq!(calls.events.dropped_count, 1);
    let event = &calls.events.events[0];
    assert_eq!(event.attributes.len(), 1);
    assert_eq!(event.attributes[0].value.to_string(), "long");
    assert_eq!(event.dropped_attributes_count, 1);

    // Links added through the API to the woven span made current: kept (one, with one
    // attribute cut to four characters), the rest counted as dropped; an invalid context is
    // not a link.
    let linked = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from_bytes([7; 16]),
        opentelemetry::trace::SpanId::from_bytes([9; 8]),
        opentelemetry::trace::TraceFlags::SAMPLED,
        true,
        Default::default(),
    );
    let span = otel::Span::start("limits.links", otel::INTERNAL);
    {
        let _entered = span.enter();
        opentelemetry::trace::get_active_span(|active| {
            active.add_link(
                linked.clone(),
                vec![opentelemetry::KeyValue::new("why", "batched"), opentelemetry::KeyValue::new("n", 2)],
            );
            active.add_link(linked.clone(), vec![]);
            active.add_link(opentelemetry::trace::SpanContext::empty_context(), vec![]);
        });
    }
    drop(span);
    let links = finished(&exporter, "limits.links");
    assert_eq!((links.links.links.len(), links.links.dropped_count), (1, 1));
    let link = &links.links.links[0];
    assert_eq!(link.span_context, linked);
    assert_eq!((link.attributes.len(), link.dropped_attributes_count), (1, 1));
    assert_eq!(link.attributes[0].value.to_string(), "batc");

    // A span of the API's own tracer (the global provider is the runtime's): the same count limit.
    let mut api = opentelemetry::global::tracer("app").start("limits.api");
    for key in ["k1", "k2", "k3", "k4"] {
        api.set_attribute(opentelemetry::KeyValue::new(key, 1));
    }
    api.end();
    let api = finished(&exporter, "limits.api");
    assert_eq!((api.attributes.len(), api.dropped_attributes_count), (3, 1));
}
