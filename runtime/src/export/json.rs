//! The JSON Lines the local store and the console exporters write: one span (or log record)
//! per line, from the SDK's `SpanData` or straight from a lean record ([`SpanView`]).
//!
//! Hand-written rather than through serde: the line is written once per exported span, on
//! the export thread, and at 100% sampling it was the largest single cost of a request
//! (docs/benchmarks.md). Strings are checked for escapes and copied eight bytes at a time.

use super::batch;
use opentelemetry::Value;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry_sdk::trace::SpanData;
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

/// Whether any byte of `w` needs an escape: below 0x20, `"` or `\\`. Word-at-a-time tests:
/// `(x - n·0x01…) & !x & 0x80…` is non-zero exactly when some byte of `x` is below `n`
/// (n ≤ 0x80; with n = 1, when some byte is zero). Flipping bit 1 of every byte keeps the
/// controls below 0x20 and turns `"` (0x22) into 0x20 and nothing else into 0x00–0x20, so
/// one test "below 0x21" finds both; `\\` is a zero byte once XORed with 0x5c.
#[inline(always)]
fn word_needs_escape(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let flipped = w ^ (LO * 0x02);
    let control_or_quote = flipped.wrapping_sub(LO * 0x21) & !flipped;
    let x = w ^ (LO * u64::from(b'\\'));
    let backslash = x.wrapping_sub(LO) & !x;
    (control_or_quote | backslash) & HI != 0
}

/// Copy `src` to `dst` eight bytes at a time, checking each word for bytes JSON must
/// escape; false at the first such word (what was written is then not committed).
///
/// # Safety
/// `dst` must be valid for `max(src.len(), 8)` bytes of writes: a string shorter than a
/// word is written as one word, padded.
#[inline(always)]
unsafe fn copy_unescaped(src: &[u8], dst: *mut u8) -> bool {
    let (n, p) = (src.len(), src.as_ptr());
    if n < 8 {
        // One word, padded past the string with a byte that needs no escape; read as two
        // overlapping halves from four bytes on (a wider read would run past the string).
        let pad = u64::from_le_bytes([b'a'; 8]) & !((1u64 << (8 * n)) - 1);
        let w = if n >= 4 {
            let half = |at: usize| u64::from(u32::from_le_bytes([src[at], src[at + 1], src[at + 2], src[at + 3]]));
            half(0) | (half(n - 4) << (8 * (n - 4))) | pad
        } else {
            src.iter().enumerate().fold(pad, |w, (i, &b)| w | (u64::from(b) << (8 * i)))
        };
        unsafe { dst.cast::<u64>().write_unaligned(w) };
        return !word_needs_escape(w);
    }
    let mut at = 0;
    while at + 8 <= n {
        let w = unsafe { p.add(at).cast::<u64>().read_unaligned() };
        if word_needs_escape(w) {
            return false;
        }
        unsafe { dst.add(at).cast::<u64>().write_unaligned(w) };
        at += 8;
    }
    if at < n {
        // The last word, overlapping bytes already checked and copied (the same values).
        let w = unsafe { p.add(n - 8).cast::<u64>().read_unaligned() };
        if word_needs_escape(w) {
            return false;
        }
        unsafe { dst.add(n - 8).cast::<u64>().write_unaligned(w) };
    }
    true
}

/// Append `s` to `out` as a JSON string literal. Most strings of a span line need no escape:
/// they are checked and copied in one pass of word loads and stores, with no call (checked,
/// then copied by `push_str`, this cost 140 instructions per key: two `memcpy` calls and
/// three capacity checks; byte at a time, 2.4k per /hello request; docs/benchmarks.md).
// Inlined into each caller: as a call, its frame (six saved registers) was a sixth of a
// short key's cost.
#[inline(always)]
pub(crate) fn json_str(out: &mut String, s: &str) {
    let n = s.len();
    // Safety: only whole strings are committed (`set_len`), and the quotes are ASCII, so
    // `out` stays UTF-8; the reserve covers the quotes and a padded short string.
    unsafe {
        let vec = out.as_mut_vec();
        vec.reserve(n + 10);
        let at = vec.len();
        let dst = vec.as_mut_ptr().add(at);
        *dst = b'"';
        if !copy_unescaped(s.as_bytes(), dst.add(1)) {
            return json_str_escaped(out, s);
        }
        *dst.add(1 + n) = b'"';
        vec.set_len(at + n + 2);
    }
}

/// [`json_str`] for a string with something to escape. Runs of bytes that need none are
/// copied whole (every escaped byte is ASCII, so a run never splits a character).
#[inline(never)]
fn json_str_escaped(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (at, &b) in s.as_bytes().iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.push_str(&s[run..at]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(DIGITS[usize::from(b >> 4)]));
                out.push(char::from(DIGITS[usize::from(b & 0xf)]));
            }
        }
        run = at + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Append `n` in decimal (timestamps: four per span, so not through `fmt`).
fn decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Append `bytes` (trace and span ids: 16 or 8) as lowercase hex, in one push; four bytes
/// at a time ([`hex_word`]), since the ids are a quarter of a span line's characters.
fn hex(out: &mut String, bytes: &[u8]) {
    let mut text = [0u8; 32];
    let bytes = &bytes[..bytes.len().min(16)];
    let mut len = 0;
    for (chars, group) in text.chunks_exact_mut(8).zip(bytes.chunks_exact(4)) {
        chars.copy_from_slice(&hex_word(u32::from_be_bytes([group[0], group[1], group[2], group[3]])).to_le_bytes());
        len += 8;
    }
    // Safety: only ASCII hex digits were written. (Validating them was 5% of a span line.)
    out.push_str(unsafe { std::str::from_utf8_unchecked(&text[..len]) });
}

/// The eight hex digits of `g`, most significant first in memory (little-endian bytes):
/// each nibble spread to a byte, then `0`–`9` / `a`–`f` added eight at a time.
fn hex_word(g: u32) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    let mut x = u64::from(g);
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // Byte j holds nibble j counted from the least significant: reverse for text order.
    x = x.swap_bytes();
    let letters = ((x + 6 * LO) >> 4) & LO;
    x + u64::from(b'0') * LO + letters * u64::from(b'a' - b'0' - 10)
}

fn json_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::I64(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Value::F64(f) if f.is_finite() => out.push_str(ryu::Buffer::new().format_finite(*f)),
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
    fn links(&self) -> &[opentelemetry::trace::Link];
}

/// `SpanView` for a type, naming its fields (the SDK's and the record's differ in names only).
macro_rules! span_view {
    ($ty:ty, $kind:ident, $start:ident, $end:ident, |$s:ident| $events:expr, $links:expr) => {
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
            fn links(&self) -> &[opentelemetry::trace::Link] {
                let $s = self;
                $links
            }
        }
    };
}

span_view!(SpanData, span_kind, start_time, end_time, |s| &s.events.events, &s.links.links);
span_view!(crate::span::Record, kind, start, end, |s| &s.events, &s.links);

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
    out.push(']');
    let links = span.links();
    if !links.is_empty() {
        out.push_str(",\"links\":[");
        for (i, link) in links.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str("{\"trace_id\":\"");
            hex(out, &link.span_context.trace_id().to_bytes());
            out.push_str("\",\"span_id\":\"");
            hex(out, &link.span_context.span_id().to_bytes());
            out.push_str("\",\"attributes\":");
            json_attributes(out, &link.attributes);
            out.push('}');
        }
        out.push(']');
    }
    out.push('}');
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
    fn escapes_are_found_at_every_offset_of_the_word_scan() {
        for len in 0..40 {
            for at in 0..len {
                for special in ['"', '\\', '\n', '\u{0}', '\u{1f}', 'é', '\u{7f}', ' '] {
                    let s: String = (0..len).map(|i| if i == at { special } else { 'a' }).collect();
                    let mut out = String::new();
                    json_str(&mut out, &s);
                    let parsed: String = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{out}: {e}"));
                    assert_eq!(parsed, s);
                    // Nothing but the escapes JSON requires: the rest is copied as is.
                    let escaped = matches!(special, '"' | '\\' | '\n' | '\u{0}' | '\u{1f}');
                    assert_eq!(
                        out.len(),
                        s.len() + 2 + usize::from(escaped) * if special < ' ' && special != '\n' { 5 } else { 1 }
                    );
                }
            }
        }
    }

    #[test]
    fn the_word_test_flags_exactly_the_bytes_json_escapes() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                assert_eq!(word_needs_escape(u64::from_le_bytes(word)), NEEDS_ESCAPE[usize::from(b)], "{b:#x} at {at}");
            }
        }
    }

    #[test]
    fn numbers_are_written_as_json_numbers() {
        for (value, text) in [(Value::I64(-42), "-42"), (Value::F64(0.25), "0.25"), (Value::F64(1e21), "1e21")] {
            let mut out = String::new();
            json_value(&mut out, &value);
            assert_eq!(out, text);
            let _: f64 = serde_json::from_str(&out).expect("a JSON number");
        }
    }

    #[test]
    fn a_span_line_carries_its_links_only_when_it_has_some() {
        use opentelemetry::trace::{Link, SpanContext, SpanId, TraceFlags, TraceId};
        use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
        let context = |t: u8, s: u8| {
            SpanContext::new(
                TraceId::from_bytes([t; 16]),
                SpanId::from_bytes([s; 8]),
                TraceFlags::SAMPLED,
                false,
                Default::default(),
            )
        };
        let mut span = SpanData {
            span_context: context(1, 2),
            parent_span_id: SpanId::INVALID,
            parent_span_is_remote: false,
            span_kind: SpanKind::Consumer,
            name: "process".into(),
            start_time: UNIX_EPOCH,
            end_time: UNIX_EPOCH,
            attributes: vec![],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: Default::default(),
        };
        let line: serde_json::Value = serde_json::from_str(&span_json_line(&span, "svc")).expect("JSON");
        assert!(line.get("links").is_none());
        span.links.links.push(Link::new(context(0xab, 0xcd), vec![opentelemetry::KeyValue::new("k", "v")], 0));
        let line: serde_json::Value = serde_json::from_str(&span_json_line(&span, "svc")).expect("JSON");
        assert_eq!(line["links"][0]["trace_id"], "ab".repeat(16));
        assert_eq!(line["links"][0]["span_id"], "cd".repeat(8));
        assert_eq!(line["links"][0]["attributes"]["k"], "v");
        assert_eq!(line["events"], serde_json::json!([]));
    }

    #[test]
    fn ids_are_lowercase_hex() {
        let mut out = String::new();
        hex(&mut out, &[0x00, 0x0f, 0xa0, 0xff]);
        assert_eq!(out, "000fa0ff");
        // Every byte value at every position of a trace id.
        for b in 0..=255u8 {
            let id: Vec<u8> = (0..16u8).map(|i| b.wrapping_add(i.wrapping_mul(37))).collect();
            let mut out = String::new();
            hex(&mut out, &id);
            assert_eq!(out, id.iter().map(|b| format!("{b:02x}")).collect::<String>());
        }
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
