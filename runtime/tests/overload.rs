//! Overload: 4 threads start and end woven spans as fast as they can for 10 s while the
//! exporter takes 50 ms per batch (far slower than the producers). The export queue is
//! bounded, so resident memory stays flat, and every span is accounted for: exported by the
//! slow exporter, dropped by the full queue (counted), or still queued at the end.
//! A memory bound and an exact count: no timing is asserted.

use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{ErasedExporter, TraceSink, dropped_spans, install};
use otel_runtime::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct SlowExporter(Arc<AtomicU64>);

impl SpanExporter for SlowExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        std::thread::sleep(Duration::from_millis(50));
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// Resident set size in bytes (Linux `/proc/self/statm`, pages of 4 KiB).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()).expect("resident pages") * 4096
}

#[test]
fn a_producer_faster_than_the_exporter_keeps_memory_flat_and_counts_every_span() {
    let exported = Arc::new(AtomicU64::new(0));
    let sink = exported.clone();
    let env: std::collections::HashMap<String, String> =
        [("OTEL_METRICS_EXPORTER", "none"), ("OTEL_BSP_MAX_QUEUE_SIZE", "2048"), ("OTEL_BSP_SCHEDULE_DELAY", "100")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    install(
        || Config::from_env_map(&env, Some("overload")),
        Some(TraceSink::Batch(Box::new(move || Box::new(SlowExporter(sink)) as Box<dyn ErasedExporter>))),
    )
    .expect("runtime");

    let start_rss = rss();
    let stop = Arc::new(AtomicBool::new(false));
    let produced = Arc::new(AtomicU64::new(0));
    let producers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, produced) = (stop.clone(), produced.clone());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let span = otel::Span::start_attrs(
                        "GET /users/{id}",
                        otel::SERVER,
                        &[otel::Attr::lit("http.request.method", "GET"), otel::Attr::str("url.path", "/users/42")],
                    );
                    span.i64("http.response.status_code", 200);
                    drop(span);
                    n += 1;
                }
                produced.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    let mut peak = start_rss;
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
        peak = peak.max(rss());
    }
    stop.store(true, Ordering::Relaxed);
    for p in producers {
        p.join().expect("producer");
    }
    peak = peak.max(rss());

    let produced = produced.load(Ordering::Relaxed);
    let dropped = dropped_spans();
    // Let the slow exporter drain what was admitted (the queue holds at most 2048).
    let drained = Instant::now() + Duration::from_secs(30);
    while exported.load(Ordering::Relaxed) + dropped < produced && Instant::now() < drained {
        std::thread::sleep(Duration::from_millis(50));
    }
    let exported = exported.load(Ordering::Relaxed);
    let growth_mib = (peak.saturating_sub(start_rss)) as f64 / (1024.0 * 1024.0);
    eprintln!("produced {produced}, exported {exported}, dropped {dropped}, RSS growth {growth_mib:.1} MiB");
    assert!(dropped > 0, "the exporter is slower than the producers: the queue must have refused spans");
    assert_eq!(exported + dropped, produced, "every span is exported or counted as dropped");
    assert!(growth_mib < 64.0, "RSS grew {growth_mib:.1} MiB under overload");
}
