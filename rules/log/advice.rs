// Advice of the `log` pack, compiled inside the `log` crate as `mod __otel_advice_log`.

/// OnEnter of `log_impl`: the record as an OpenTelemetry log record. A message without
/// arguments is passed as it is; one with arguments is formatted once, only when the pack is
/// on (the logger formats it again for its own output).
pub fn record(args: &core::fmt::Arguments<'_>, level: crate::Level, target: &str, file: &str, line: u32) {
    if !__otel::enabled("log") {
        return;
    }
    let severity = match level {
        crate::Level::Error => 17,
        crate::Level::Warn => 13,
        crate::Level::Info => 9,
        crate::Level::Debug => 5,
        crate::Level::Trace => 1,
    };
    let formatted;
    let body = match args.as_str() {
        Some(text) => text,
        None => {
            formatted = args.to_string();
            &formatted
        }
    };
    __otel::log(
        severity,
        body,
        target,
        &[("code.file.path", __otel::Value::Str(file)), ("code.line.number", __otel::Value::I64(i64::from(line)))],
    );
}
