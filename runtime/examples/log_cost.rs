//! Instructions per log record: N records (an INFO message with two attributes, under a
//! span, as the `log` and `tracing` packs emit them) through `__otel::log`, against the same
//! program without the log calls. `none`: `OTEL_LOGS_EXPORTER=none` (the call returns at
//! once); `file`: records queued, batched and written as JSON lines to the store (all
//! threads counted: the batch thread's work is part of the cost); `baseline`: no log calls.
//!
//! ```text
//! cargo build --release -p otel-runtime --example log_cost
//! for mode in baseline none file; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/log_cost $mode 20000 2>&1 | grep Collected
//! done
//! # (Ir(mode) - Ir(baseline)) / 20000 = instructions per record
//! ```
use otel_runtime::__prelude as otel;
use otel_runtime::config::Config;
use std::collections::HashMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_else(|| "file".into());
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let store = std::env::temp_dir().join(format!("otel-log-cost-{}", std::process::id()));
    let exporter = if mode == "file" { "file" } else { "none" };
    let env: HashMap<String, String> = [
        ("OTEL_LOGS_EXPORTER", exporter),
        ("OTEL_TRACES_EXPORTER", "none"),
        ("OTEL_METRICS_EXPORTER", "none"),
        ("OTEL_BLRP_MAX_QUEUE_SIZE", "65536"),
        ("CARGO_OTEL_STORE", store.to_str().unwrap_or("/tmp/otel-log-cost")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    otel_runtime::__test::install(|| Config::from_env_map(&env, Some("log-cost")), None).expect("installed");
    let span = otel::SpanGuard::new(otel::Span::start("job", otel::INTERNAL));
    for i in 0..n {
        if mode != "baseline" {
            otel::log(
                9,
                "reserved stock",
                "shop::stock",
                &[("code.file.path", otel::Value::Str("src/stock.rs")), ("code.line.number", otel::Value::I64(42))],
            );
        }
        std::hint::black_box(i);
    }
    drop(span);
    otel_runtime::exports::__otel_v1_shutdown();
    let _ = std::fs::remove_dir_all(&store);
    eprintln!("{mode}: {n} records");
}
