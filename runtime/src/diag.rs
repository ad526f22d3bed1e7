//! The runtime's own diagnostics: one line each on stderr, at the level `OTEL_LOG_LEVEL` sets
//! (`none`, `error`, `warn`, `info` — the default, as the spec says — or `debug`), never through
//! the application's logger. The SDK's internal logs are compiled out (its `internal-logs`
//! feature is off): they went to whatever `tracing` subscriber the application installed, on
//! every failed export, while an application without one heard nothing about lost data.
//! Repeated causes are printed once by their callers (the exporters' `warn_once`).

use std::sync::OnceLock;

/// Severity of a diagnostic; a line prints when its level is at most the configured one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Error,
    Warn,
    Info,
    Debug,
}

/// `OTEL_LOG_LEVEL`'s value (case-insensitive); unknown values mean the default, `info`.
pub fn parse_level(value: Option<&str>) -> Level {
    match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        Some("none" | "off") => Level::None,
        Some("error" | "fatal") => Level::Error,
        Some("warn" | "warning") => Level::Warn,
        Some("debug" | "trace" | "all") => Level::Debug,
        _ => Level::Info,
    }
}

/// The configured level, read once.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| parse_level(std::env::var("OTEL_LOG_LEVEL").ok().as_deref()))
}

/// Print `line` on stderr if `at` is enabled; the line is built only then.
pub fn emit(at: Level, line: impl FnOnce() -> String) -> bool {
    if at == Level::None || at > level() {
        return false;
    }
    eprintln!("{}", line());
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_as_the_spec_names_them() {
        assert_eq!(parse_level(None), Level::Info);
        assert_eq!(parse_level(Some("NONE")), Level::None);
        assert_eq!(parse_level(Some("error")), Level::Error);
        assert_eq!(parse_level(Some(" Warn ")), Level::Warn);
        assert_eq!(parse_level(Some("debug")), Level::Debug);
        assert_eq!(parse_level(Some("loud")), Level::Info, "unknown: the default");
        assert!(Level::Error < Level::Warn && Level::Warn < Level::Info);
    }
}
