//! Console exporters (`OTEL_TRACES_EXPORTER=console`, `OTEL_METRICS_EXPORTER=console`,
//! `OTEL_LOGS_EXPORTER=console`): spans and log records as the same JSON Lines as the file
//! store, histograms as one summary line per data point, all on stdout.

use super::{write_log_json, write_span_json};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{LogBatch, LogExporter};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::io::Write;
use std::time::Duration;

/// Prints each finished span as a JSON line on stdout.
#[derive(Debug)]
pub struct ConsoleSpanExporter {
    pub service_name: String,
}

impl SpanExporter for ConsoleSpanExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut out = String::new();
        for span in &batch {
            write_span_json(&mut out, span, span.instrumentation_scope.name(), &self.service_name);
            out.push('\n');
        }
        print(&out);
        Ok(())
    }
}

/// Prints each log record as a JSON line on stdout.
#[derive(Debug)]
pub struct ConsoleLogExporter {
    pub service_name: String,
}

impl LogExporter for ConsoleLogExporter {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        let mut out = String::new();
        for (record, _scope) in batch.iter() {
            write_log_json(&mut out, record, &self.service_name);
            out.push('\n');
        }
        print(&out);
        Ok(())
    }
}

fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Prints `metric name {attrs} count=.. sum=..` for every histogram data point.
#[derive(Debug)]
pub struct ConsoleMetricExporter;

impl PushMetricExporter for ConsoleMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let mut out = String::new();
        for scope in metrics.scope_metrics() {
            for metric in scope.metrics() {
                if let AggregatedMetrics::F64(MetricData::Histogram(h)) = metric.data() {
                    for point in h.data_points() {
                        let attrs: Vec<String> =
                            point.attributes().map(|kv| format!("{}={}", kv.key, kv.value)).collect();
                        out.push_str(&format!(
                            "metric {} {{{}}} count={} sum={}{}\n",
                            metric.name(),
                            attrs.join(","),
                            point.count(),
                            point.sum(),
                            metric.unit()
                        ));
                    }
                }
            }
        }
        print(&out);
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

impl crate::export::batch::Sink for ConsoleSpanExporter {
    fn export(
        &self,
        batch: &mut [crate::export::batch::Queued],
        scopes: &[opentelemetry::InstrumentationScope],
    ) -> OTelSdkResult {
        let mut out = String::new();
        super::write_batch_json(&mut out, batch, scopes, &self.service_name);
        print(&out);
        Ok(())
    }
    fn shutdown(&self, _timeout: std::time::Duration) -> OTelSdkResult {
        Ok(())
    }
}
