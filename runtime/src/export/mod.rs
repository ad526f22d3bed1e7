//! Where finished spans and metrics go: the OTLP/HTTP exporters ([`otlp`]: encoding,
//! compression, retries, accounting) over a std-only HTTP/1.1 client ([`http`]) with rustls
//! ([`tls`]), the local JSON Lines store that `cargo otel view` reads ([`file`]), and the console
//! exporters ([`console`]).
//!
//! Nothing here depends on tokio, hyper or reqwest: cargo-otel weaves those crates, so an
//! exporter built on them would trace itself. Exports run on the SDK's own threads (the batch
//! span processor's worker and the periodic metric reader), never on the application's.

pub mod batch;
pub mod console;
pub mod file;
pub mod http;
pub mod otlp;
pub mod tls;

use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes that a JSON string cannot hold as they are: controls, `"` and `\\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Append `s` to `out` as a JSON string literal. Runs of bytes that need no escape are
/// copied whole (every escaped byte is ASCII, so a run never splits a character).
pub(crate) fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.push_str(&s[run..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Append `n` in decimal (timestamps: four per span, so not through `fmt`).
fn decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

/// Append `bytes` as lowercase hex (trace and span ids).
fn hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
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
        Value::String(s) => json_str(out, s.as_str()),
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

/// What the JSON writers read of a finished span: the SDK's `SpanData` and the lean path's
/// records both are one, so woven spans are written without building a `SpanData`.
pub trait SpanView {
    fn span_context(&self) -> &opentelemetry::trace::SpanContext;
    fn parent_span_id(&self) -> opentelemetry::trace::SpanId;
    fn name(&self) -> &str;
    fn kind(&self) -> &SpanKind;
    fn start_time(&self) -> SystemTime;
    fn end_time(&self) -> SystemTime;
    fn status(&self) -> &Status;
    fn attributes(&self) -> &[opentelemetry::KeyValue];
    fn events(&self) -> &[opentelemetry::trace::Event];
}

/// `SpanView` for a type, naming its fields (the SDK's and the record's differ in names only).
macro_rules! span_view {
    ($ty:ty, $kind:ident, $start:ident, $end:ident, |$s:ident| $events:expr) => {
        impl SpanView for $ty {
            fn span_context(&self) -> &opentelemetry::trace::SpanContext {
                &self.span_context
            }
            fn parent_span_id(&self) -> opentelemetry::trace::SpanId {
                self.parent_span_id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn kind(&self) -> &SpanKind {
                &self.$kind
            }
            fn start_time(&self) -> SystemTime {
                self.$start
            }
            fn end_time(&self) -> SystemTime {
                self.$end
            }
            fn status(&self) -> &Status {
                &self.status
            }
            fn attributes(&self) -> &[opentelemetry::KeyValue] {
                &self.attributes
            }
            fn events(&self) -> &[opentelemetry::trace::Event] {
                let $s = self;
                $events
            }
        }
    };
}

span_view!(SpanData, span_kind, start_time, end_time, |s| &s.events.events);
span_view!(crate::span::Record, kind, start, end, |s| &s.events);

/// Write every span of an export batch as JSON lines into `out` (records without a
/// `SpanData`; SDK spans as they are).
pub fn write_batch_json(
    out: &mut String,
    batch: &[batch::Queued],
    scopes: &[opentelemetry::InstrumentationScope],
    service_name: &str,
) {
    for item in batch {
        match item {
            batch::Queued::Lean(rec) => {
                let rec = rec.lock();
                let scope = scopes.get(rec.scope as usize).or(scopes.first()).map_or("cargo-otel", |s| s.name());
                write_span_json(out, &*rec, scope, service_name);
            }
            batch::Queued::Sdk(data) => write_span_json(out, &**data, data.instrumentation_scope.name(), service_name),
            batch::Queued::Taken => continue,
        }
        out.push('\n');
    }
}

/// One finished span as one line of the local store format (see [`file`]), without the
/// trailing newline.
pub fn span_json_line(span: &SpanData, service_name: &str) -> String {
    let mut out = String::with_capacity(512);
    write_span_json(&mut out, span, span.instrumentation_scope.name(), service_name);
    out
}

/// Append [`span_json_line`]'s line to `out` (exporters reuse one buffer per batch).
pub fn write_span_json(out: &mut String, span: &(impl SpanView + ?Sized), scope: &str, service_name: &str) {
    let sc = span.span_context();
    out.push_str("{\"trace_id\":\"");
    hex(out, &sc.trace_id().to_bytes());
    out.push_str("\",\"span_id\":\"");
    hex(out, &sc.span_id().to_bytes());
    out.push_str("\",\"parent_span_id\":\"");
    if span.parent_span_id() != opentelemetry::trace::SpanId::INVALID {
        hex(out, &span.parent_span_id().to_bytes());
    }
    out.push('"');
    out.push_str(",\"name\":");
    json_str(out, span.name());
    out.push_str(",\"kind\":\"");
    out.push_str(kind_name(span.kind()));
    out.push_str("\",\"start_unix_nano\":");
    decimal(out, unix_nanos(span.start_time()));
    out.push_str(",\"end_unix_nano\":");
    decimal(out, unix_nanos(span.end_time()));
    let (status, message) = match span.status() {
        Status::Unset => ("unset", ""),
        Status::Ok => ("ok", ""),
        Status::Error { description } => ("error", description.as_ref()),
    };
    out.push_str(",\"status\":\"");
    out.push_str(status);
    out.push_str("\",\"status_message\":");
    json_str(out, message);
    out.push_str(",\"service_name\":");
    json_str(out, service_name);
    out.push_str(",\"scope\":");
    json_str(out, scope);
    out.push_str(",\"attributes\":");
    json_attributes(out, span.attributes());
    out.push_str(",\"events\":[");
    for (i, event) in span.events().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json_str(out, &event.name);
        out.push_str(",\"time_unix_nano\":");
        decimal(out, unix_nanos(event.timestamp));
        if !event.attributes.is_empty() {
            out.push_str(",\"attributes\":");
            json_attributes(out, &event.attributes);
        }
        out.push('}');
    }
    out.push_str("]}");
}

/// One log record as a JSON line of the local store (and the console exporter):
///
/// ```json
/// {"trace_id":"32 hex or empty","span_id":"16 hex or empty","trace_flags":1,
///  "time_unix_nano":1700000000000000000,"severity_number":9,"severity_text":"INFO",
///  "body":"...","target":"my_app::db","service_name":"...","attributes":{…}}
/// ```
pub fn write_log_json(out: &mut String, record: &opentelemetry_sdk::logs::SdkLogRecord, service_name: &str) {
    use opentelemetry::logs::AnyValue;
    let tc = record.trace_context();
    out.push_str("{\"trace_id\":\"");
    if let Some(tc) = tc {
        hex(out, &tc.trace_id.to_bytes());
    }
    out.push_str("\",\"span_id\":\"");
    if let Some(tc) = tc {
        hex(out, &tc.span_id.to_bytes());
    }
    out.push_str("\",\"trace_flags\":");
    decimal(out, u64::from(tc.and_then(|tc| tc.trace_flags).map_or(0, |f| f.to_u8())));
    out.push_str(",\"time_unix_nano\":");
    decimal(out, record.timestamp().or(record.observed_timestamp()).map_or(0, unix_nanos));
    out.push_str(",\"severity_number\":");
    decimal(out, record.severity_number().map_or(0, |s| s as u64));
    out.push_str(",\"severity_text\":");
    json_str(out, record.severity_text().unwrap_or_default());
    out.push_str(",\"body\":");
    match record.body() {
        Some(AnyValue::String(s)) => json_str(out, s.as_str()),
        Some(other) => json_str(out, &format!("{other:?}")),
        None => json_str(out, ""),
    }
    out.push_str(",\"target\":");
    json_str(out, record.target().map_or("", |t| t.as_ref()));
    out.push_str(",\"service_name\":");
    json_str(out, service_name);
    out.push_str(",\"attributes\":{");
    for (i, (key, value)) in record.attributes_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, key.as_str());
        out.push(':');
        match value {
            AnyValue::String(s) => json_str(out, s.as_str()),
            AnyValue::Int(n) => out.push_str(&n.to_string()),
            AnyValue::Double(x) if x.is_finite() => out.push_str(&x.to_string()),
            AnyValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
            other => json_str(out, &format!("{other:?}")),
        }
    }
    out.push_str("}}");
}

fn json_attributes(out: &mut String, attributes: &[opentelemetry::KeyValue]) {
    out.push('{');
    for (i, kv) in attributes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_str(out, kv.key.as_str());
        out.push(':');
        json_value(out, &kv.value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_round_trip_through_a_json_parser() {
        for s in
            ["", "plain", "quote \" and \\ back", "lines\n\r\t", "ctl \u{1} \u{1f}", "caf\u{e9} \u{1f600}", "\"", "\\"]
        {
            let mut out = String::new();
            json_str(&mut out, s);
            let parsed: String = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
            assert_eq!(parsed, s);
        }
    }

    #[test]
    fn ids_are_lowercase_hex() {
        let mut out = String::new();
        hex(&mut out, &[0x00, 0x0f, 0xa0, 0xff]);
        assert_eq!(out, "000fa0ff");
    }

    #[test]
    fn decimals_match_display() {
        for n in [0, 7, 10, 1_700_000_000_000_000_000, u64::MAX] {
            let mut out = String::new();
            decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
