//! Shared test support: the body of the collector-down tests and a real OTLP receiver.

// Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod receiver;

use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub fn run_against(endpoint: &str, _keep: Option<std::thread::JoinHandle<usize>>) {
    let env: HashMap<String, String> = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
        ("OTEL_BSP_SCHEDULE_DELAY", "20"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "256"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64"),
        ("OTEL_METRICS_EXPORTER", "otlp"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "100"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    otel_runtime::__test::install(|| Config::from_env_map(&env, Some("down")), None).expect("installed");

    const N: usize = 200_000;
    let start = Instant::now();
    for i in 0..N {
        let span = otel::Span::start("work", otel::INTERNAL);
        span.i64("i", i as i64);
        span.str("k", "v");
        drop(span);
        if i % 1000 == 0 {
            otel::record(otel::HTTP_SERVER_DURATION, 0.01, &[("http.route", otel::Value::Str("/x"))]);
        }
    }
    let created = start.elapsed();
    // Generous bound: 200k spans take well under a second at full speed, even in debug;
    // a blocked application would take N × timeout.
    assert!(created < Duration::from_secs(30), "span creation blocked: {created:?}");
    let dropped = otel_runtime::__test::dropped_spans();
    assert!(dropped > 0, "a bounded queue must drop when the collector is down");
    assert!(dropped <= N as u64);

    let start = Instant::now();
    otel_runtime::exports::__otel_v1_shutdown();
    let shutdown = start.elapsed();
    assert!(shutdown < Duration::from_secs(10), "shutdown hung: {shutdown:?}");
    // Idempotent and immediate the second time.
    let start = Instant::now();
    otel_runtime::exports::__otel_v1_shutdown();
    assert!(start.elapsed() < Duration::from_secs(1));
    // Spans after shutdown are harmless.
    drop(otel::Span::start("after", otel::INTERNAL));
}
