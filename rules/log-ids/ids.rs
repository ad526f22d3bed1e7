// Shared advice (no pack of its own): the trace id and span id of the current context, for
// packs that write them into an app's formatted log lines (tracing-subscriber, env_logger).
// Listed first in each such pack's `advice`; std items by full path. The ids come from the
// runtime (`__otel::current_ids`), whatever propagators are configured.

/// (trace id, span id) in lowercase hex of the current span, when `pack` is on and a valid
/// span context is current.
fn current_ids(pack: &str) -> Option<(std::string::String, std::string::String)> {
    if !__otel::enabled(pack) {
        return None;
    }
    let ids = __otel::current_ids()?;
    let hex = |bytes: &[u8]| {
        let mut out = std::string::String::with_capacity(bytes.len() * 2);
        for b in bytes {
            out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        out
    };
    Some((hex(&ids.trace_id), hex(&ids.span_id)))
}
