// Advice of the `env_logger` pack, compiled inside env_logger as `mod __otel_advice_env_logger`
// after ../log-ids/ids.rs (`current_ids`). Editions 2021 (0.10, 0.11.0) to 2024 (0.11.12).

/// OnEnter of the default format's `write_args`: the ids before the message.
pub fn ids(buf: &mut crate::fmt::Formatter) {
    if let Some((trace, span)) = current_ids("env_logger") {
        let _ = std::io::Write::write_fmt(buf, format_args!("trace_id={} span_id={} ", trace, span));
    }
}
