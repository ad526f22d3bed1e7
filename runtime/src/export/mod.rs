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
mod json;
pub mod otlp;
pub mod tls;

pub(crate) use json::unix_nanos;
pub use json::{SpanView, span_json_line, write_batch_json, write_log_json, write_span_json};
