// Shared advice (no pack of its own): the trace id and span id of the current context, for
// packs that write them into an app's formatted log lines (tracing-subscriber, env_logger).
// Listed first in each such pack's `advice`; std items by full path.
//
// The prelude has no call returning the current ids, so they are read from the
// `traceparent` the configured propagators write for the current context (no
// `tracecontext` propagator: no ids).

/// Collects the `traceparent` header of an injection.
struct Traceparent(Option<std::string::String>);

impl __otel::Injector for Traceparent {
    fn set(&mut self, key: &str, value: &str) {
        if key.eq_ignore_ascii_case("traceparent") {
            self.0 = Some(value.to_owned());
        }
    }
}

/// (trace id, span id) in lowercase hex of the current span, when `pack` is on and a valid
/// span context is current.
fn current_ids(pack: &str) -> Option<(std::string::String, std::string::String)> {
    if !__otel::enabled(pack) {
        return None;
    }
    let mut carrier = Traceparent(None);
    __otel::inject(&mut carrier);
    let value = carrier.0?;
    let mut parts = value.split('-');
    let (_version, trace, span) = (parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
    };
    if hex(trace, 32) && hex(span, 16) {
        Some((trace.to_ascii_lowercase(), span.to_ascii_lowercase()))
    } else {
        None
    }
}
