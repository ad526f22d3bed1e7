//! The local file store: finished spans as JSON Lines, read by `cargo otel view`.
//!
//! Selected by `OTEL_TRACES_EXPORTER=file`, and the default traces exporter when
//! `CARGO_OTEL_STORE` is set (as `cargo otel run` does) and `OTEL_TRACES_EXPORTER` is not.
//!
//! - Directory: `$CARGO_OTEL_STORE`, default `target/otel/traces` relative to the current
//!   directory; created on first export.
//! - File: `<service.name>-<pid>.jsonl` (path separators in the service name become `_`),
//!   opened in append mode, written and flushed once per batch.
//! - One finished span per line, exactly these keys in this order:
//!
//! ```json
//! {"trace_id":"32 hex","span_id":"16 hex","parent_span_id":"16 hex or empty string",
//!  "name":"...","kind":"internal|server|client|producer|consumer",
//!  "start_unix_nano":1700000000000000000,"end_unix_nano":1700000000000001000,
//!  "status":"unset|ok|error","status_message":"...","service_name":"...","scope":"...",
//!  "attributes":{"key":"string","n":42,"x":1.5,"b":true},
//!  "events":[{"name":"...","time_unix_nano":1700000000000000500,"attributes":{…}}],
//!  "links":[{"trace_id":"32 hex","span_id":"16 hex","attributes":{…}}]}
//! (an event's `attributes` only when it has some; `links` only when the span has some)
//! ```
//!
//! (shown wrapped; on disk each span is a single line). Attribute values are JSON strings,
//! numbers or booleans; arrays and non-finite floats are written as strings.

//! Log records (`OTEL_LOGS_EXPORTER=file`, the default with `CARGO_OTEL_STORE`) go to
//! `$CARGO_OTEL_STORE/logs/<service.name>-<pid>.jsonl`, one record per line in the format of
//! [`super::write_log_json`]; a subdirectory, so readers of the span files never see them.

use super::{write_log_json, write_span_json};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `<dir>/<service>-<pid>.jsonl`, created on the first write and appended to, once per batch.
#[derive(Debug)]
struct AppendFile {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl AppendFile {
    fn new(dir: PathBuf, service_name: &str) -> AppendFile {
        let safe: String =
            service_name.chars().map(|c| if c == '/' || c == '\\' || c == '\0' { '_' } else { c }).collect();
        AppendFile { path: dir.join(format!("{safe}-{}.jsonl", std::process::id())), file: Mutex::new(None) }
    }

    fn append(&self, lines: &str) -> OTelSdkResult {
        self.try_append(lines).map_err(|e| OTelSdkError::InternalFailure(format!("{}: {e}", self.path.display())))
    }

    fn try_append(&self, lines: &str) -> std::io::Result<()> {
        let mut guard = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            *guard = Some(OpenOptions::new().create(true).append(true).open(&self.path)?);
        }
        if let Some(file) = guard.as_mut() {
            file.write_all(lines.as_bytes())?;
            file.flush()?;
        }
        Ok(())
    }
}

/// Appends finished spans to `<dir>/<service>-<pid>.jsonl`.
#[derive(Debug)]
pub struct FileExporter {
    out: AppendFile,
    service_name: String,
}

impl FileExporter {
    pub fn new(dir: impl Into<PathBuf>, service_name: &str) -> Self {
        FileExporter { out: AppendFile::new(dir.into(), service_name), service_name: service_name.to_owned() }
    }

    /// The file this exporter appends to.
    pub fn path(&self) -> &Path {
        &self.out.path
    }
}

impl SpanExporter for FileExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut buf = String::with_capacity(batch.len() * 512);
        for span in &batch {
            write_span_json(&mut buf, span, span.instrumentation_scope.name(), &self.service_name);
            buf.push('\n');
        }
        self.out.append(&buf)
    }
}

/// Appends log records to `<dir>/<service>-<pid>.jsonl` (`dir` is the store's `logs/`).
#[derive(Debug)]
pub struct FileLogExporter {
    out: AppendFile,
    service_name: String,
}

impl FileLogExporter {
    pub fn new(dir: impl Into<PathBuf>, service_name: &str) -> Self {
        FileLogExporter { out: AppendFile::new(dir.into(), service_name), service_name: service_name.to_owned() }
    }
}

impl LogExporter for FileLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let mut buf = String::with_capacity(batch.iter().count() * 256);
        for (record, _scope) in batch.iter() {
            write_log_json(&mut buf, record, &self.service_name);
            buf.push('\n');
        }
        self.out.append(&buf)
    }
}

impl crate::export::batch::Sink for FileExporter {
    fn export(
        &self,
        batch: &mut [crate::export::batch::Queued],
        scopes: &[opentelemetry::InstrumentationScope],
    ) -> OTelSdkResult {
        let mut buf = String::with_capacity(batch.len() * 512);
        super::write_batch_json(&mut buf, batch, scopes, &self.service_name);
        self.out.append(&buf)
    }
    fn shutdown(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
