// Advice for hyper 1.x, spliced as `mod __otel_advice_hyper` at hyper's crate root after
// `h1_server.rs` (the HTTP/1 server advice this pack shares with the hyper 0.14 pack).

/// This pack's name: its run-time switch (`OTEL_RUST_INSTRUMENTATION_HYPER_ENABLED`).
const PACK: &str = "hyper";
