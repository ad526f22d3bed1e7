//! The export queue and its thread: where ended spans wait for the exporter.
//!
//! One bounded queue takes both kinds of ended span: woven spans as pooled records
//! (`span::Record`, the lean path) and spans the application made through the
//! `opentelemetry` API, which the SDK hands to [`BatchProcessor::on_end`] as `SpanData`.
//! A span is admitted only while fewer than `OTEL_BSP_MAX_QUEUE_SIZE` wait, so memory is
//! bounded and every refused span is counted (`dropped`). Admission is one shared atomic
//! add; the queue itself is a `Vec` behind a mutex (taken once per span, uncontended in
//! practice), swapped out whole by the thread, so neither side allocates in steady state.
//!
//! The thread (`otel-export`) wakes every `OTEL_BSP_SCHEDULE_DELAY`, when a batch's worth is
//! waiting, or on flush/shutdown; it turns records into `SpanData` (the records' shells go
//! back to the pool), exports in batches of `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, and counts
//! what is in flight and what failed, for the shutdown report. This replaces the SDK's
//! `BatchSpanProcessor`, which only takes `SpanData` (building one per span on the app's
//! thread is most of what the lean path saves).

use crate::lifecycle::ErasedExporter;
use crate::span::{self, Shared};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanProcessor};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// An ended span waiting for export.
pub enum Queued {
    Lean(Shared),
    Sdk(Box<SpanData>),
    /// An SDK span a sink took out of its batch.
    Taken,
}

/// What the export thread hands each batch to. A sink reads the records in place (their
/// shells go back to the pool after it returns) and may take the SDK spans.
pub trait Sink: Send + Sync + std::fmt::Debug {
    fn export(&self, batch: &mut [Queued], scopes: &[InstrumentationScope]) -> OTelSdkResult;
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult;
}

/// Any SDK exporter as a sink: every record becomes a `SpanData` first.
#[derive(Debug)]
pub struct SdkSink(pub Box<dyn ErasedExporter>);

impl Sink for SdkSink {
    fn export(&self, batch: &mut [Queued], scopes: &[InstrumentationScope]) -> OTelSdkResult {
        let spans = batch
            .iter_mut()
            .filter_map(|item| match item {
                Queued::Lean(rec) => Some(rec.lock().to_span_data(scopes)),
                Queued::Sdk(_) => match std::mem::replace(item, Queued::Taken) {
                    Queued::Sdk(data) => Some(*data),
                    _ => None,
                },
                Queued::Taken => None,
            })
            .collect();
        self.0.export_blocking(spans)
    }
    fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
}

/// What happened to admitted spans, for the shutdown report.
#[derive(Debug, Default)]
pub struct ExportStats {
    /// Admitted, not yet handed to the exporter.
    pub in_queue: AtomicUsize,
    /// Handed to the exporter, which has not returned yet.
    pub in_flight: AtomicUsize,
    /// In a batch whose export failed.
    pub failed: AtomicU64,
    /// Refused because the queue was full.
    pub dropped: AtomicU64,
}

#[derive(Default)]
struct Control {
    flush_requested: u64,
    flush_done: u64,
    shutdown: bool,
    stopped: bool,
}

/// The queue, shared by every producer and the export thread.
pub struct Queue {
    items: Mutex<Vec<Queued>>,
    max_queue: usize,
    batch_size: usize,
    schedule_delay: Duration,
    pub stats: ExportStats,
    control: Mutex<Control>,
    wake: Condvar,
    done: Condvar,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").field("max_queue", &self.max_queue).field("stats", &self.stats).finish()
    }
}

impl Queue {
    /// Admit an ended span, or give it back when the queue is full (counted as dropped).
    #[inline]
    pub fn push(&self, item: Queued) -> Result<(), Queued> {
        if self.stats.in_queue.fetch_add(1, Ordering::AcqRel) >= self.max_queue {
            self.stats.in_queue.fetch_sub(1, Ordering::AcqRel);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(item);
        }
        let waiting = {
            let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
            items.push(item);
            items.len()
        };
        if waiting == self.batch_size {
            // Once per batch; a wake-up lost to a race costs one schedule delay, no span.
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Export everything admitted so far; waits at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        if control.stopped {
            return Ok(());
        }
        control.flush_requested += 1;
        let ticket = control.flush_requested;
        self.wake.notify_one();
        while control.flush_done < ticket && !control.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OTelSdkError::Timeout(timeout));
            }
            control = self.done.wait_timeout(control, left).map_or_else(|e| e.into_inner().0, |(c, _)| c);
        }
        Ok(())
    }

    /// Export what is queued, stop the exporter and the thread; waits at most `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        control.shutdown = true;
        self.wake.notify_one();
        while !control.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(OTelSdkError::Timeout(timeout));
            }
            control = self.done.wait_timeout(control, left).map_or_else(|e| e.into_inner().0, |(c, _)| c);
        }
        Ok(())
    }

    /// Spans admitted but not exported yet (queued or in flight).
    pub fn unsent(&self) -> u64 {
        (self.stats.in_queue.load(Ordering::Acquire) + self.stats.in_flight.load(Ordering::Acquire)) as u64
    }
}

/// Batch settings (`OTEL_BSP_*`).
pub struct Settings {
    pub max_queue: usize,
    pub batch_size: usize,
    pub schedule_delay: Duration,
    pub export_timeout: Duration,
}

/// Start the export thread over `exporter`; the queue it drains.
pub fn start(settings: Settings, exporter: Box<dyn Sink>) -> Arc<Queue> {
    start_on(settings, exporter, |work| std::thread::Builder::new().name("otel-export".into()).spawn(work).map(drop))
}

/// [`start`] with the thread made by `spawn` (tests make it fail).
fn start_on(
    settings: Settings,
    exporter: Box<dyn Sink>,
    spawn: impl FnOnce(Box<dyn FnOnce() + Send>) -> std::io::Result<()>,
) -> Arc<Queue> {
    let queue = |max_queue: usize| {
        Arc::new(Queue {
            items: Mutex::new(Vec::with_capacity(settings.batch_size.min(max_queue))),
            max_queue,
            batch_size: settings.batch_size.clamp(1, settings.max_queue.max(1)),
            schedule_delay: settings.schedule_delay,
            stats: ExportStats::default(),
            control: Mutex::new(Control::default()),
            wake: Condvar::new(),
            done: Condvar::new(),
        })
    };
    let live = queue(settings.max_queue.max(1));
    let worker = live.clone();
    let export_timeout = settings.export_timeout;
    let spawned = spawn(Box::new(move || {
        run(&worker, exporter.as_ref());
        let _ = exporter.shutdown(export_timeout);
        let mut control = worker.control.lock().unwrap_or_else(|e| e.into_inner());
        control.stopped = true;
        worker.done.notify_all();
    }));
    if spawned.is_ok() {
        return live;
    }
    // No thread, no export: a stopped queue that admits nothing, so every span is counted
    // as dropped and none as unsent.
    crate::diag::emit(crate::diag::Level::Error, || {
        "otel-runtime: the export thread could not be started; spans are dropped (and counted)".to_owned()
    });
    let closed = queue(0);
    closed.control.lock().unwrap_or_else(|e| e.into_inner()).stopped = true;
    closed
}

fn run(queue: &Queue, exporter: &dyn Sink) {
    let mut taken: Vec<Queued> = Vec::new();
    loop {
        let (flush_ticket, shutdown) = {
            let mut control = queue.control.lock().unwrap_or_else(|e| e.into_inner());
            if control.flush_requested == control.flush_done
                && !control.shutdown
                && queue.stats.in_queue.load(Ordering::Acquire) < queue.batch_size
            {
                control = queue
                    .wake
                    .wait_timeout(control, queue.schedule_delay)
                    .map_or_else(|e| e.into_inner().0, |(c, _)| c);
            }
            (control.flush_requested, control.shutdown)
        };
        {
            let mut items = queue.items.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::swap(&mut *items, &mut taken);
        }
        export_all(queue, exporter, &mut taken);
        let mut control = queue.control.lock().unwrap_or_else(|e| e.into_inner());
        control.flush_done = control.flush_done.max(flush_ticket);
        queue.done.notify_all();
        if shutdown {
            return;
        }
    }
}

/// Export `taken` in batches, emptying it (its capacity is kept for the next swap).
fn export_all(queue: &Queue, exporter: &dyn Sink, taken: &mut Vec<Queued>) {
    if taken.is_empty() {
        return;
    }
    let scopes = crate::scope::snapshot();
    for batch in taken.chunks_mut(queue.batch_size) {
        let n = batch.len();
        queue.stats.in_flight.fetch_add(n, Ordering::AcqRel);
        queue.stats.in_queue.fetch_sub(n, Ordering::AcqRel);
        if exporter.export(batch, &scopes).is_err() {
            queue.stats.failed.fetch_add(n as u64, Ordering::Relaxed);
        }
        queue.stats.in_flight.fetch_sub(n, Ordering::AcqRel);
    }
    span::recycle(taken.drain(..).filter_map(|item| match item {
        Queued::Lean(rec) => Some(rec),
        _ => None,
    }));
}

/// The queue as the SDK's span processor, for the spans the application makes through the
/// `opentelemetry` API (our global tracer provider): they join the woven spans' queue.
#[derive(Debug)]
pub struct BatchProcessor {
    pub queue: Arc<Queue>,
    pub shutdown_timeout: Duration,
}

impl SpanProcessor for BatchProcessor {
    fn on_start(&self, _span: &mut opentelemetry_sdk::trace::Span, _cx: &opentelemetry::Context) {}
    fn on_end(&self, mut span: SpanData) {
        // The SDK applies the count limits; the value length limit is ours (it has none).
        crate::span::limit_values(&mut span.attributes);
        for event in span.events.events.iter_mut() {
            crate::span::limit_values(&mut event.attributes);
        }
        let _ = self.queue.push(Queued::Sdk(Box::new(span)));
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.queue.flush(self.shutdown_timeout)
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.queue.shutdown(timeout)
    }
    fn set_resource(&mut self, _resource: &Resource) {
        // The exporter got the resource before the thread started (`lifecycle::build`).
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Discard;
    impl Sink for Discard {
        fn export(&self, _: &mut [Queued], _: &[InstrumentationScope]) -> OTelSdkResult {
            Ok(())
        }
        fn shutdown(&self, _: Duration) -> OTelSdkResult {
            Ok(())
        }
    }

    fn settings() -> Settings {
        Settings {
            max_queue: 8,
            batch_size: 4,
            schedule_delay: Duration::from_secs(5),
            export_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn without_an_export_thread_every_span_is_dropped_and_none_is_unsent() {
        let queue = start_on(settings(), Box::new(Discard), |_| Err(std::io::Error::other("no threads left")));
        for _ in 0..3 {
            assert!(queue.push(Queued::Taken).is_err());
        }
        assert_eq!(queue.stats.dropped.load(Ordering::Relaxed), 3);
        assert_eq!(queue.unsent(), 0);
        assert!(queue.flush(Duration::from_millis(10)).is_ok());
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        // A thread that never runs the worker: nothing is taken out.
        let queue = start_on(settings(), Box::new(Discard), |_work| Ok(()));
        let admitted = (0..10).filter(|_| queue.push(Queued::Taken).is_ok()).count();
        assert_eq!(admitted, 8);
        assert_eq!(queue.stats.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(queue.unsent(), 8);
    }
}
