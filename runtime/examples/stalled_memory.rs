//! Memory of the export path under a stalled collector: 4 threads start and end HTTP-shaped
//! spans (five attributes) as fast as they can for a few seconds while the OTLP endpoint
//! accepts connections and never answers. The queue is bounded (`OTEL_BSP_MAX_QUEUE_SIZE`),
//! so resident memory must level off; the spans it refused are counted. `none` runs the same
//! producers with no exporter: the peer to compare with.
//!
//! ```text
//! cargo build --release -p otel-runtime --example stalled_memory
//! for mode in none stalled; do target/release/examples/stalled_memory $mode 10; done
//! ```
//! Prints one line per second (RSS in MiB, spans produced so far) and a summary line.
use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Resident set size of this process in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A collector that accepts and then never reads or answers (the sockets are kept open).
fn stalled_collector() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    format!("http://{addr}")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "stalled".into());
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let endpoint = stalled_collector();
    let exporter = if mode == "none" { "none" } else { "otlp" };
    let env: HashMap<String, String> = [
        ("OTEL_TRACES_EXPORTER", exporter),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_LOGS_EXPORTER", "none"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2000"),
        ("OTEL_LOG_LEVEL", "error"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    otel_runtime::__test::install(|| Config::from_env_map(&env, Some("stalled-memory")), None).expect("installed");

    let start_rss = rss_kib();
    let produced = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (produced, stop) = (produced.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let span = otel::Span::start("GET /orders/{id}", otel::SERVER);
                    span.str("http.request.method", "GET");
                    span.str("url.path", "/orders/1");
                    span.str("http.route", "/orders/{id}");
                    span.i64("http.response.status_code", 200);
                    span.str("server.address", "127.0.0.1");
                    drop(span);
                    produced.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let begin = Instant::now();
    let mut peak = start_rss;
    for second in 1..=seconds {
        std::thread::sleep(Duration::from_secs(1).saturating_sub(begin.elapsed() - Duration::from_secs(second - 1)));
        let rss = rss_kib();
        peak = peak.max(rss);
        println!("{mode} t={second}s rss={:.1} MiB spans={}", rss as f64 / 1024.0, produced.load(Ordering::Relaxed));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let n = produced.load(Ordering::Relaxed);
    println!(
        "{mode}: {n} spans in {seconds} s, {} dropped by the full queue, RSS start {:.1} MiB, peak {:.1} MiB, growth {:.1} MiB",
        otel_runtime::__test::dropped_spans(),
        start_rss as f64 / 1024.0,
        peak as f64 / 1024.0,
        (peak - start_rss) as f64 / 1024.0
    );
}
