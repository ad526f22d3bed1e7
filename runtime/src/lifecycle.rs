//! Lifecycle: lazy initialisation, the process-wide pipeline, shutdown on every normal stop.
//!
//! The state is one atomic byte read with a relaxed load by every entry point, so the
//! disabled path (`OTEL_SDK_DISABLED=true`) is a load and a branch. `__otel_v1_init` (which
//! the weaver puts at the start of `main`) builds the pipeline; any entry point called first
//! (test binaries, libraries) builds it lazily. The disabled path builds nothing and installs
//! no handler of any kind.
//!
//! # Nothing that has ended is lost on a normal stop
//!
//! Building the pipeline arranges a shutdown (flush of every ended span, then the exporters
//! stop) for each way a process normally stops:
//!
//! | stop | how it is flushed |
//! |---|---|
//! | return from `main`, a panicking `main` (unwind), `std::process::exit` | libc `atexit` |
//! | SIGTERM, SIGINT, the app handling neither | our `sigaction` handler wakes the `otel-signals` thread, which shuts down and re-raises with `SIG_DFL`: the exit status is the signal's |
//! | SIGTERM, SIGINT, the app handling them (tokio::signal, signal-hook, ctrlc, sigaction) | the app's handler runs as before (we chain to one installed before us; tokio and signal-hook chain to us); we flush early, and the app's return from `main` shuts down through atexit |
//! | a panic under `panic = "abort"` | a panic hook (after the previous hook) shuts down before the abort |
//!
//! Spans still open at that moment are not ended and are not exported (under `abort` the
//! panicking span included); an app that replaces our panic hook loses the abort flush.
//! Not covered: SIGKILL and the OOM killer (uncatchable), `_exit`/`abort` called directly,
//! other signals, a crash (SIGSEGV). The signal handling is unix only (a no-op elsewhere);
//! details in `lifecycle/signals.rs`.
//!
//! # Exit stays fast
//!
//! A shutdown waits at most `CARGO_OTEL_SHUTDOWN_TIMEOUT` (default 1 s) for the last
//! exports, whatever the OTLP timeout, so a CLI whose collector is down or stalled exits
//! within a second of its own work. A concurrent second shutdown (atexit while a signal's
//! shutdown runs) waits for the first within the same bound. Spans that were not exported
//! (dropped by the full queue, refused by the collector, still queued or in flight at the
//! deadline) are counted in one line on stderr.

use crate::config::{Config, ExporterKind, SamplerKind};
use crate::diag::{self, Level};
use crate::export::batch::{self, BatchProcessor, Queue};
use crate::export::{console, file::FileExporter, otlp};
use crate::metrics::Metrics;
use crate::propagators;
use crate::span::Shared;
use opentelemetry::InstrumentationScope;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider, SpanData, SpanExporter, SpanProcessor};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const UNINIT: u8 = 0;
/// Spans are sampled by the configured sampler.
pub const ENABLED: u8 = 1;
/// `OTEL_SDK_DISABLED=true` (or initialisation failed): every entry point is a no-op.
pub const DISABLED: u8 = 2;
/// `always_off`: span starts return 0 at once; contexts and propagation still work.
pub const SPANS_OFF: u8 = 3;

mod signals;

static STATE: AtomicU8 = AtomicU8::new(UNINIT);
static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();

/// The process-wide pipeline.
pub struct Runtime {
    pub config: Config,
    pub tracer: SdkTracer,
    pub tracer_provider: SdkTracerProvider,
    pub meter_provider: Option<SdkMeterProvider>,
    pub metrics: Option<Metrics>,
    /// The logs signal (`OTEL_LOGS_EXPORTER`); `None` for `none`.
    pub logs: Option<crate::logs::Logs>,
    pub propagator: TextMapCompositePropagator,
    /// The configured sampler, asked by the lean path for roots (and for every span when
    /// it is not parent-based).
    pub sampler: Sampler,
    /// The sampler is parent-based: a child follows its parent's decision, so `span_start`
    /// needs no sampler call under a parent (and an unsampled one's context is just carried).
    pub parent_fast_path: bool,
    /// A root is always sampled (`parentbased_always_on`, `always_on`): no sampler call.
    pub root_always_on: bool,
    /// A child of a sampled parent is sampled, with the parent's trace state (parent-based
    /// samplers and `always_on`): no sampler call, and a pending record is a parent as it is.
    pub child_of_sampled: bool,
    /// Where ended woven spans go.
    pub spans: SpanSink,
    shut_down: AtomicBool,
    /// Set (and notified) when the first shutdown has finished.
    finished: (Mutex<bool>, Condvar),
}

/// Where an ended woven span goes.
pub enum SpanSink {
    /// No exporter: ended spans go straight back to the pool.
    None,
    /// The export queue (`export::batch`), shared with the SDK's spans.
    Queue(Arc<Queue>),
    /// A processor a test or bench installed: handed the span's `SpanData` synchronously.
    Processor(Arc<dyn SpanProcessor>),
    /// A records sink called synchronously (`TraceSink::RecordsDirect`).
    Direct(Box<dyn batch::Sink>),
}

impl SpanSink {
    /// Hand over an ended, sampled record; the record back when its shell can be reused now.
    #[inline]
    pub fn submit(&self, rec: Shared) -> Option<Shared> {
        match self {
            SpanSink::None => Some(rec),
            SpanSink::Queue(queue) => match queue.push(batch::Queued::Lean(rec)) {
                Ok(()) => None,
                Err(batch::Queued::Lean(rec)) => Some(rec),
                Err(_) => None,
            },
            SpanSink::Direct(sink) => {
                let mut one = [batch::Queued::Lean(rec)];
                let _ = sink.export(&mut one, &[]);
                match one {
                    [batch::Queued::Lean(rec)] => Some(rec),
                    _ => None,
                }
            }
            SpanSink::Processor(p) => {
                let data = {
                    let mut r = rec.lock();
                    let scope = crate::scope::get(r.scope);
                    r.to_span_data(std::slice::from_ref(&scope))
                };
                p.on_end(data);
                Some(rec)
            }
        }
    }

    fn queue(&self) -> Option<&Queue> {
        match self {
            SpanSink::Queue(q) => Some(q),
            _ => None,
        }
    }
}

/// The current state byte (one relaxed load).
#[inline(always)]
pub(crate) fn state() -> u8 {
    STATE.load(Ordering::Relaxed)
}

/// Force the state byte (benches measure the disabled and `always_off` paths of a live
/// runtime this way). Not for production use.
#[doc(hidden)]
pub fn force_state(state: u8) {
    STATE.store(state, Ordering::Release);
}

/// The runtime, initialising it on first use; `None` when disabled.
#[inline]
pub(crate) fn runtime() -> Option<&'static Runtime> {
    match state() {
        DISABLED => None,
        UNINIT => init(),
        _ => RUNTIME.get().and_then(Option::as_ref),
    }
}

/// Initialise from the process environment (idempotent).
pub fn init() -> Option<&'static Runtime> {
    install(Config::from_env, None)
}

/// Where spans go: from the configuration, or a caller-supplied exporter (tests, benches).
pub enum TraceSink {
    FromConfig,
    /// The given exporter behind the batch processor configured by `OTEL_BSP_*`.
    Batch(Box<dyn FnOnce() -> Box<dyn ErasedExporter> + Send>),
    /// A sink that reads the records themselves (benches), behind the export queue.
    Records(Box<dyn batch::Sink>),
    /// The same, called on the ending thread with each span (no queue, no thread): the
    /// deterministic measurement of the per-span work (`runtime/examples/span_cost.rs`).
    RecordsDirect(Box<dyn batch::Sink>),
    /// A processor used as is (e.g. a simple processor over an in-memory exporter).
    Processor(Box<dyn SpanProcessor>),
}

/// Install the pipeline once. Later calls return the first pipeline.
pub fn install(config: impl FnOnce() -> Config, sink: Option<TraceSink>) -> Option<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        let config = config();
        let built = if config.disabled {
            None
        } else {
            let sink = sink.unwrap_or(TraceSink::FromConfig);
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(config, sink)))
                .map_err(|_| {
                    diag::emit(Level::Error, || "otel-runtime: initialisation failed; telemetry is off".to_owned())
                })
                .ok()
        };
        let state = match &built {
            None => DISABLED,
            Some(rt) if rt.config.sampler == SamplerKind::AlwaysOff => SPANS_OFF,
            Some(_) => ENABLED,
        };
        STATE.store(state, Ordering::Release);
        if built.is_some() {
            // Attaches stay pending only where the opentelemetry crate's doors are woven.
            crate::context::probe();
            register_atexit();
            signals::install();
            if cfg!(panic = "abort") {
                install_abort_flush();
            }
        }
        built
    });
    rt.as_ref()
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> i32;
}

extern "C" fn at_exit() {
    crate::exports::__otel_v1_shutdown();
}

fn register_atexit() {
    // Safety: registering a plain `extern "C" fn()` with libc is always valid.
    unsafe {
        atexit(at_exit);
    }
}

/// With `panic = "abort"` there is no unwinding and no atexit: shut down from the panic hook,
/// after the previous hook (which prints the message). Installed automatically in such builds.
pub fn install_abort_flush() {
    // take_hook panics on a panicking thread (a lazy init from a drop during unwinding).
    if std::thread::panicking() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        shutdown();
    }));
}

fn resource(config: &Config) -> Resource {
    crate::resource::build(config)
}

fn sdk_sampler(kind: SamplerKind) -> Sampler {
    match kind {
        SamplerKind::AlwaysOn => Sampler::AlwaysOn,
        SamplerKind::AlwaysOff => Sampler::AlwaysOff,
        SamplerKind::TraceIdRatio(r) => Sampler::TraceIdRatioBased(r),
        SamplerKind::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
        SamplerKind::ParentBasedAlwaysOff => Sampler::ParentBased(Box::new(Sampler::AlwaysOff)),
        SamplerKind::ParentBasedTraceIdRatio(r) => Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(r))),
    }
}

/// Object-safe view of a `SpanExporter`, so callers can hand in any exporter.
pub trait ErasedExporter: Send + Sync + std::fmt::Debug {
    fn export_blocking(&self, batch: Vec<SpanData>) -> OTelSdkResult;
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult;
    fn set_resource(&mut self, resource: &Resource);
}

impl<E: SpanExporter> ErasedExporter for E {
    fn export_blocking(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        block_on(self.export(batch))
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        SpanExporter::shutdown_with_timeout(self, timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        SpanExporter::set_resource(self, resource)
    }
}

/// Poll a future to completion on this thread. The exporters used here complete without
/// waking (they block inside their first poll), so a no-op waker and a yield loop suffice.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The export queue and thread over `exporter` (which gets the resource first).
fn batch(config: &Config, sink: Box<dyn batch::Sink>) -> Arc<Queue> {
    let settings = batch::Settings {
        max_queue: config.bsp.max_queue_size,
        batch_size: config.bsp.max_export_batch_size,
        schedule_delay: config.bsp.schedule_delay,
        export_timeout: config.bsp.export_timeout,
    };
    batch::start(settings, sink)
}

/// An SDK exporter (given the resource) as the export thread's sink.
fn sdk_sink(mut exporter: Box<dyn ErasedExporter>, resource: &Resource) -> Box<dyn batch::Sink> {
    exporter.set_resource(resource);
    Box::new(batch::SdkSink(exporter))
}

fn otlp_span_exporter(config: &Config) -> Option<Box<dyn ErasedExporter>> {
    Some(Box::new(otlp::OtlpSpanExporter::new(config)))
}

fn meter_provider(config: &Config, resource: Resource) -> Option<SdkMeterProvider> {
    let builder = SdkMeterProvider::builder().with_resource(resource);
    let provider = match config.metrics_exporter {
        ExporterKind::None | ExporterKind::File => return None,
        ExporterKind::Console => builder.with_reader(
            PeriodicReader::builder(console::ConsoleMetricExporter)
                .with_interval(config.metric_export_interval)
                .build(),
        ),
        ExporterKind::Otlp => builder.with_reader(
            PeriodicReader::builder(otlp::OtlpMetricExporter::new(config))
                .with_interval(config.metric_export_interval)
                .build(),
        ),
    };
    Some(provider.build())
}

fn build(config: Config, sink: TraceSink) -> Runtime {
    let resource = resource(&config);
    let scope = InstrumentationScope::builder("cargo-otel").with_version(env!("CARGO_PKG_VERSION")).build();
    // The meter provider goes global first: the SDK's processors bind their own `otel.sdk.*`
    // counters (spans and log records processed) to the global meter when they are built.
    let meter_provider = meter_provider(&config, resource.clone());
    if let Some(mp) = &meter_provider {
        opentelemetry::global::set_meter_provider(mp.clone());
        otlp::register_self_metrics(&opentelemetry::global::meter("otel.sdk"));
    }
    // One set of span limits for woven spans and for spans made through the API's SDK tracer.
    crate::span::set_limits(&config.span_limits);
    let l = config.span_limits;
    let sdk_limit = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut builder = SdkTracerProvider::builder()
        .with_resource(resource.clone())
        .with_sampler(sdk_sampler(config.sampler))
        .with_span_limits(opentelemetry_sdk::trace::SpanLimits {
            max_events_per_span: sdk_limit(l.events),
            max_attributes_per_span: sdk_limit(l.attributes),
            max_links_per_span: sdk_limit(l.links),
            max_attributes_per_event: sdk_limit(l.event_attributes),
            max_attributes_per_link: sdk_limit(l.link_attributes),
        });
    let queued = |builder: opentelemetry_sdk::trace::TracerProviderBuilder, sink| {
        let queue = batch(&config, sink);
        let processor = BatchProcessor { queue: queue.clone(), shutdown_timeout: config.shutdown_timeout };
        (builder.with_span_processor(processor), SpanSink::Queue(queue))
    };
    let spans;
    match sink {
        TraceSink::Processor(p) => {
            let p: Arc<dyn SpanProcessor> = Arc::from(p);
            builder = builder.with_span_processor(ProcessorBox(p.clone()));
            spans = SpanSink::Processor(p);
        }
        TraceSink::Batch(make) => {
            (builder, spans) = queued(builder, sdk_sink(make(), &resource));
        }
        TraceSink::Records(sink) => {
            (builder, spans) = queued(builder, sink);
        }
        TraceSink::RecordsDirect(sink) => {
            spans = SpanSink::Direct(sink);
        }
        TraceSink::FromConfig => {
            // The file store and the console write records as they are; OTLP goes through
            // `SpanData` (its proto conversion wants one).
            let sink: Option<Box<dyn batch::Sink>> = match config.traces_exporter {
                ExporterKind::None => None,
                ExporterKind::Otlp => otlp_span_exporter(&config).map(|e| sdk_sink(e, &resource)),
                ExporterKind::Console => {
                    Some(Box::new(console::ConsoleSpanExporter { service_name: config.service_name.clone() }))
                }
                ExporterKind::File => Some(Box::new(FileExporter::new(&config.store_dir, &config.service_name))),
            };
            match sink {
                Some(sink) => (builder, spans) = queued(builder, sink),
                None => spans = SpanSink::None,
            }
        }
    }
    let tracer_provider = builder.build();
    use opentelemetry::trace::TracerProvider as _;
    let tracer = tracer_provider.tracer_with_scope(scope.clone());
    let logs = crate::logs::build(&config, resource, scope.clone());
    let metrics = meter_provider.as_ref().map(|mp| {
        use opentelemetry::metrics::MeterProvider as _;
        Metrics::new(&mp.meter_with_scope(scope), config.exemplar_filter)
    });

    // Application code using the same opentelemetry version shares our pipeline and context.
    opentelemetry::global::set_tracer_provider(tracer_provider.clone());
    opentelemetry::global::set_text_map_propagator(propagators::build(&config.propagators));

    let parent_fast_path = matches!(
        config.sampler,
        SamplerKind::ParentBasedAlwaysOn | SamplerKind::ParentBasedAlwaysOff | SamplerKind::ParentBasedTraceIdRatio(_)
    );
    let root_always_on = matches!(config.sampler, SamplerKind::ParentBasedAlwaysOn | SamplerKind::AlwaysOn);
    let child_of_sampled = parent_fast_path || config.sampler == SamplerKind::AlwaysOn;
    Runtime {
        propagator: propagators::build(&config.propagators),
        root_always_on,
        sampler: sdk_sampler(config.sampler),
        config,
        tracer,
        tracer_provider,
        meter_provider,
        metrics,
        logs,
        parent_fast_path,
        child_of_sampled,
        spans,
        shut_down: AtomicBool::new(false),
        finished: (Mutex::new(false), Condvar::new()),
    }
}

/// A shared processor as a processor.
#[derive(Debug)]
struct ProcessorBox(Arc<dyn SpanProcessor>);

impl SpanProcessor for ProcessorBox {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, cx: &opentelemetry::Context) {
        self.0.on_start(span, cx)
    }
    fn on_end(&self, span: SpanData) {
        self.0.on_end(span)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn set_resource(&mut self, resource: &Resource) {
        if let Some(p) = Arc::get_mut(&mut self.0) {
            p.set_resource(resource)
        }
    }
}

impl Runtime {
    /// Flush and stop the exporters, once, within `CARGO_OTEL_SHUTDOWN_TIMEOUT`. A call
    /// while another is running waits for it, within the same bound.
    pub fn shutdown(&self) {
        let timeout = self.config.shutdown_timeout;
        let deadline = Instant::now() + timeout;
        if self.shut_down.swap(true, Ordering::AcqRel) {
            self.wait_finished(deadline);
            return;
        }
        let tracer_provider = self.tracer_provider.clone();
        let meter_provider = self.meter_provider.clone();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        // Traces, metrics and logs shut down in parallel on helper threads, so a stalled collector
        // costs one timeout, and the caller (atexit, the signal thread, a panic hook) waits
        // at most that long: a helper still blocked on the network dies with the process.
        let t_done = done_tx.clone();
        let spawned_t = std::thread::Builder::new().name("otel-shutdown".into()).spawn(move || {
            let _ = tracer_provider.shutdown_with_timeout(timeout);
            let _ = t_done.send(());
        });
        let mut waiting = usize::from(spawned_t.is_ok());
        if let Some(mp) = meter_provider {
            let m_done = done_tx.clone();
            let spawned = std::thread::Builder::new().name("otel-shutdown".into()).spawn(move || {
                let _ = mp.shutdown_with_timeout(timeout);
                let _ = m_done.send(());
            });
            waiting += usize::from(spawned.is_ok());
        }
        if let Some(lp) = self.logs.as_ref().map(|l| l.provider.clone()) {
            let l_done = done_tx.clone();
            let spawned = std::thread::Builder::new().name("otel-shutdown".into()).spawn(move || {
                let _ = lp.shutdown_with_timeout(timeout);
                let _ = l_done.send(());
            });
            waiting += usize::from(spawned.is_ok());
        }
        drop(done_tx);
        while waiting > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || done_rx.recv_timeout(left).is_err() {
                break;
            }
            waiting -= 1;
        }
        if let Some(line) = self.report() {
            diag::emit(Level::Warn, || line);
        }
        if let Some(line) = self.logs.as_ref().and_then(|l| l.report()) {
            diag::emit(Level::Warn, || line);
        }
        for line in otlp::loss_report() {
            diag::emit(Level::Warn, || line);
        }
        let (lock, cvar) = &self.finished;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
    }

    fn wait_finished(&self, deadline: Instant) {
        let (lock, cvar) = &self.finished;
        let mut done = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*done {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            done = match cvar.wait_timeout(done, left) {
                Ok((guard, _)) => guard,
                Err(e) => e.into_inner().0,
            };
        }
    }

    /// Spans refused because the export queue was full.
    pub fn dropped_spans(&self) -> u64 {
        self.spans.queue().map_or(0, |q| q.stats.dropped.load(Ordering::Relaxed))
    }

    /// The one-line report of spans that were not exported, if any.
    fn report(&self) -> Option<String> {
        let queue = self.spans.queue()?;
        let dropped = queue.stats.dropped.load(Ordering::Relaxed);
        let failed = queue.stats.failed.load(Ordering::Relaxed);
        let unsent = queue.unsent();
        let total = dropped + failed + unsent;
        if total == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if dropped > 0 {
            parts.push(format!(
                "{dropped} dropped because the export queue was full (OTEL_BSP_MAX_QUEUE_SIZE={})",
                self.config.bsp.max_queue_size
            ));
        }
        if failed > 0 {
            parts.push(format!("{failed} in failed exports"));
        }
        if unsent > 0 {
            parts.push(format!(
                "{unsent} unsent at the shutdown deadline (CARGO_OTEL_SHUTDOWN_TIMEOUT={} ms)",
                self.config.shutdown_timeout.as_millis()
            ));
        }
        Some(format!("otel-runtime: {total} spans not exported: {}", parts.join(", ")))
    }
}

/// Shut the pipeline down if it was ever built.
pub(crate) fn shutdown() {
    if let Some(Some(rt)) = RUNTIME.get() {
        rt.shutdown();
    }
}

/// Export what has ended now, without stopping (a signal the application handles itself).
pub(crate) fn flush() {
    if let Some(Some(rt)) = RUNTIME.get()
        && !rt.shut_down.load(Ordering::Acquire)
    {
        let _ = rt.tracer_provider.force_flush();
        if let Some(logs) = &rt.logs {
            let _ = logs.provider.force_flush();
        }
    }
}
