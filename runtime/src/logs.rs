//! The logs signal: log records from woven code (a logging library's funnel calls
//! `__otel_v1_log_emit`) on the SDK's logger provider, exported by `OTEL_LOGS_EXPORTER`
//! (`otlp` over the same transport as spans, `console`, `file`, `none`).
//!
//! A record carries the span context current where it was emitted (trace id, span id,
//! flags), so a backend shows a request's log lines beside its trace. Severity text is
//! derived from the number here (the conventions' ranges: 1–4 TRACE … 21–24 FATAL), so
//! packs pass one integer.
//!
//! Like the span queue, the log queue is bounded (`OTEL_BLRP_MAX_QUEUE_SIZE`) with an exact
//! count: a record is admitted only while fewer than that many wait for export; the rest
//! are counted and reported at shutdown with the exporter's own losses.

use crate::config::{Config, ExporterKind};
use crate::export::{console, file::FileLogExporter, otlp};
use opentelemetry::InstrumentationScope;
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogBatch, LogExporter, LogProcessor, SdkLogRecord, SdkLogger,
    SdkLoggerProvider,
};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The process's log pipeline.
#[derive(Debug)]
pub struct Logs {
    pub provider: SdkLoggerProvider,
    logger: SdkLogger,
    stats: Arc<QueueStats>,
    max_queue: usize,
}

/// Records admitted to the batch processor and not yet exported, and records refused.
#[derive(Debug, Default)]
struct QueueStats {
    in_queue: AtomicUsize,
    dropped: AtomicU64,
}

/// Build the pipeline `OTEL_LOGS_EXPORTER` asks for (`None` for `none`).
pub fn build(config: &Config, resource: Resource, scope: InstrumentationScope) -> Option<Logs> {
    let exporter: Box<dyn ErasedLogExporter> = match config.logs_exporter {
        ExporterKind::None => return None,
        ExporterKind::Otlp => Box::new(otlp::OtlpLogExporter::new(config)),
        ExporterKind::Console => Box::new(console::ConsoleLogExporter { service_name: config.service_name.clone() }),
        ExporterKind::File => {
            Box::new(FileLogExporter::new(std::path::Path::new(&config.store_dir).join("logs"), &config.service_name))
        }
    };
    let stats = Arc::new(QueueStats::default());
    let batch = BatchConfigBuilder::default()
        .with_max_queue_size(config.blrp.max_queue_size)
        .with_max_export_batch_size(config.blrp.max_export_batch_size)
        .with_scheduled_delay(config.blrp.schedule_delay)
        .build();
    let processor =
        BatchLogProcessor::builder(Counted { inner: exporter, stats: stats.clone() }).with_batch_config(batch).build();
    let max_queue = config.blrp.max_queue_size;
    let provider = SdkLoggerProvider::builder()
        .with_resource(resource)
        .with_log_processor(Bounded { inner: processor, stats: stats.clone(), max_queue })
        .build();
    let logger = provider.logger_with_scope(scope);
    Some(Logs { provider, logger, stats, max_queue })
}

impl Logs {
    /// Emit one record under the current span context. `target` (the logger's name, e.g. a
    /// module path) is the record's target, which OTLP carries as the scope name.
    pub fn emit(&self, severity: u32, body: &str, target: &str, attributes: Vec<(opentelemetry::Key, AnyValue)>) {
        let mut record = self.logger.create_log_record();
        let severity = severity_of(severity);
        record.set_severity_number(severity);
        record.set_severity_text(severity.name());
        record.set_body(AnyValue::String(body.to_owned().into()));
        if !target.is_empty() {
            record.set_target(Cow::Owned(target.to_owned()));
        }
        record.set_timestamp(std::time::SystemTime::now());
        record.add_attributes(attributes);
        let sc = crate::context::current_span_context();
        if sc.is_valid() {
            record.set_trace_context(sc.trace_id(), sc.span_id(), Some(sc.trace_flags()));
        }
        self.logger.emit(record);
    }

    /// The shutdown report's line about log records that were not exported, if any.
    pub fn report(&self) -> Option<String> {
        let dropped = self.stats.dropped.load(Ordering::Relaxed);
        let unsent = self.stats.in_queue.load(Ordering::Acquire) as u64;
        if dropped + unsent == 0 {
            return None;
        }
        Some(format!(
            "otel-runtime: {} log records not exported: {dropped} dropped because the queue was full \
             (OTEL_BLRP_MAX_QUEUE_SIZE={}), {unsent} unsent at the shutdown deadline",
            dropped + unsent,
            self.max_queue
        ))
    }
}

/// An attribute value as a log record's value.
pub fn any_value(v: opentelemetry::Value) -> AnyValue {
    match v {
        opentelemetry::Value::Bool(b) => AnyValue::Boolean(b),
        opentelemetry::Value::I64(i) => AnyValue::Int(i),
        opentelemetry::Value::F64(f) => AnyValue::Double(f),
        opentelemetry::Value::String(s) => AnyValue::String(s),
        other => AnyValue::String(other.to_string().into()),
    }
}

/// The severity number clamped to the data model's 1–24 (0 or out of range: INFO).
fn severity_of(n: u32) -> Severity {
    use Severity::*;
    const ALL: [Severity; 24] = [
        Trace, Trace2, Trace3, Trace4, Debug, Debug2, Debug3, Debug4, Info, Info2, Info3, Info4, Warn, Warn2, Warn3,
        Warn4, Error, Error2, Error3, Error4, Fatal, Fatal2, Fatal3, Fatal4,
    ];
    n.checked_sub(1).and_then(|i| ALL.get(i as usize)).copied().unwrap_or(Info)
}

/// Object-safe view of a `LogExporter` (the configured one is chosen at run time).
pub trait ErasedLogExporter: Send + Sync + std::fmt::Debug {
    fn export_blocking(&self, batch: LogBatch<'_>) -> OTelSdkResult;
    fn set_resource(&mut self, resource: &Resource);
}

impl<E: LogExporter> ErasedLogExporter for E {
    fn export_blocking(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        crate::lifecycle::block_on(self.export(batch))
    }
    fn set_resource(&mut self, resource: &Resource) {
        LogExporter::set_resource(self, resource)
    }
}

/// Counts records leaving the queue.
#[derive(Debug)]
struct Counted {
    inner: Box<dyn ErasedLogExporter>,
    stats: Arc<QueueStats>,
}

impl LogExporter for Counted {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let n = batch.iter().count();
        let result = self.inner.export_blocking(batch);
        self.stats.in_queue.fetch_sub(n, Ordering::AcqRel);
        result
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

/// Admits a record only while fewer than `max_queue` wait (the SDK's own channel, of the
/// same size, would otherwise drop silently).
#[derive(Debug)]
struct Bounded {
    inner: BatchLogProcessor,
    stats: Arc<QueueStats>,
    max_queue: usize,
}

impl LogProcessor for Bounded {
    fn emit(&self, record: &mut SdkLogRecord, scope: &InstrumentationScope) {
        if self.stats.in_queue.fetch_add(1, Ordering::AcqRel) >= self.max_queue {
            self.stats.in_queue.fetch_sub(1, Ordering::AcqRel);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.inner.emit(record, scope)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_numbers_map_to_the_data_model() {
        assert_eq!(severity_of(1), Severity::Trace);
        assert_eq!(severity_of(5), Severity::Debug);
        assert_eq!(severity_of(9), Severity::Info);
        assert_eq!(severity_of(13), Severity::Warn);
        assert_eq!(severity_of(17), Severity::Error);
        assert_eq!(severity_of(24), Severity::Fatal4);
        assert_eq!(severity_of(0), Severity::Info);
        assert_eq!(severity_of(99), Severity::Info);
        assert_eq!(severity_of(17).name(), "ERROR");
    }
}
