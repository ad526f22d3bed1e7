//! Where finished spans and metrics go: the OTLP/HTTP client over `std::net` ([`http`]),
//! the local JSON Lines store that `cargo otel view` reads ([`file`]), and the console
//! exporters ([`console`]).
//!
//! Nothing here depends on tokio, hyper or reqwest: cargo-otel weaves those crates, so an
//! exporter built on them would trace itself. Exports run on the SDK's own threads (the batch
//! span processor's worker and the periodic metric reader), never on the application's.

pub mod console;
pub mod file;
pub mod http;

use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Append `s` to `out` as a JSON string literal.
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn json_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::I64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::F64(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        other => json_str(out, &other.to_string()),
    }
}

pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

fn kind_name(kind: &SpanKind) -> &'static str {
    match kind {
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    }
}

/// One finished span as one line of the local store format (see [`file`]), without the
/// trailing newline.
pub fn span_json_line(span: &SpanData, service_name: &str) -> String {
    let mut out = String::with_capacity(512);
    let sc = &span.span_context;
    let _ = write!(out, "{{\"trace_id\":\"{}\",\"span_id\":\"{}\"", sc.trace_id(), sc.span_id());
    if span.parent_span_id == opentelemetry::trace::SpanId::INVALID {
        out.push_str(",\"parent_span_id\":\"\"");
    } else {
        let _ = write!(out, ",\"parent_span_id\":\"{}\"", span.parent_span_id);
    }
    out.push_str(",\"name\":");
    json_str(&mut out, &span.name);
    let _ = write!(
        out,
        ",\"kind\":\"{}\",\"start_unix_nano\":{},\"end_unix_nano\":{}",
        kind_name(&span.span_kind),
        unix_nanos(span.start_time),
        unix_nanos(span.end_time)
    );
    let (status, message) = match &span.status {
        Status::Unset => ("unset", ""),
        Status::Ok => ("ok", ""),
        Status::Error { description } => ("error", description.as_ref()),
    };
    let _ = write!(out, ",\"status\":\"{status}\",\"status_message\":");
    json_str(&mut out, message);
    out.push_str(",\"service_name\":");
    json_str(&mut out, service_name);
    out.push_str(",\"attributes\":{");
    for (i, kv) in span.attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(&mut out, kv.key.as_str());
        out.push(':');
        json_value(&mut out, &kv.value);
    }
    out.push_str("},\"events\":[");
    for (i, event) in span.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json_str(&mut out, &event.name);
        let _ = write!(out, ",\"time_unix_nano\":{}}}", unix_nanos(event.timestamp));
    }
    out.push_str("]}");
    out
}
