// Advice of the `tracing-subscriber` pack, compiled inside tracing-subscriber as
// `mod __otel_advice_tracing_subscriber`. Edition 2018 (tracing-subscriber's).

use crate::fmt::format::Writer;
use crate::fmt::FmtContext;
use std::fmt::Write as _;

// `current_ids` is in ../log-ids/ids.rs (shared with the env_logger pack).

/// OnEnter of `FmtContext::format_fields`: the ids before the event's fields (text formats).
pub fn text_ids<S, N: 'static>(_ctx: &FmtContext<'_, S, N>, writer: &mut Writer<'_>) {
    #[cfg(feature = "json")]
    {
        if std::any::TypeId::of::<N>() == std::any::TypeId::of::<crate::fmt::format::JsonFields>() {
            return;
        }
    }
    if let Some((trace, span)) = current_ids("tracing-subscriber") {
        let _ = write!(writer, "trace_id={} span_id={} ", trace, span);
    }
}

#[cfg(feature = "json")]
std::thread_local! {
    /// Set while `json_event` runs the original body into its buffer.
    static FORMATTING: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

/// Clears `FORMATTING` when dropped (a panicking formatter included).
#[cfg(feature = "json")]
struct Formatting;

#[cfg(feature = "json")]
impl Drop for Formatting {
    fn drop(&mut self) {
        let _ = FORMATTING.try_with(|f| f.set(false));
    }
}

/// OnEnter of `<Format<Json, T> as FormatEvent>::format_event`: inside a trace, format the
/// line into a buffer with the original body and write it with the ids as the last keys.
#[cfg(feature = "json")]
pub fn json_event<S, N, T>(
    format: &crate::fmt::format::Format<crate::fmt::format::Json, T>,
    ctx: &FmtContext<'_, S, N>,
    writer: &mut Writer<'_>,
    event: &tracing_core::Event<'_>,
) -> std::ops::ControlFlow<std::fmt::Result>
where
    S: tracing_core::Subscriber + for<'a> crate::registry::LookupSpan<'a>,
    N: for<'w> crate::fmt::format::FormatFields<'w> + 'static,
    T: crate::fmt::time::FormatTime,
{
    use crate::fmt::format::FormatEvent;
    use std::ops::ControlFlow;
    if FORMATTING.try_with(|f| f.get()).unwrap_or(true) {
        return ControlFlow::Continue(());
    }
    let (trace, span) = match current_ids("tracing-subscriber") {
        Some(ids) => ids,
        None => return ControlFlow::Continue(()),
    };
    let mut line = String::new();
    let formatted = {
        let _ = FORMATTING.try_with(|f| f.set(true));
        let _reset = Formatting;
        FormatEvent::<S, N>::format_event(format, ctx, Writer::new(&mut line), event)
    };
    if formatted.is_err() {
        return ControlFlow::Break(formatted);
    }
    let ids = format!("\"trace_id\":\"{}\",\"span_id\":\"{}\"", trace, span);
    match line.rfind('}') {
        Some(end) => {
            let comma = if line[..end].trim_end().ends_with('{') { "" } else { "," };
            line.insert_str(end, &format!("{}{}", comma, ids));
        }
        None => {}
    }
    ControlFlow::Break(writer.write_str(&line))
}
