//! The local file store: `CARGO_OTEL_STORE` makes `file` the default traces exporter, and
//! every finished span is one JSON line in `<service>-<pid>.jsonl`, in the exact format
//! `cargo otel view` reads.

use otel_runtime::__prelude as otel;
use otel_runtime::config::{Config, ExporterKind};
use std::collections::HashMap;

#[test]
fn spans_are_written_as_json_lines() {
    let dir = std::env::temp_dir().join(format!("otel-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let env: HashMap<String, String> = [
        ("CARGO_OTEL_STORE", dir.to_str().unwrap()),
        ("OTEL_SERVICE_NAME", "store-svc"),
        ("OTEL_METRICS_EXPORTER", "none"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_env_map(&env, None);
    assert_eq!(config.traces_exporter, ExporterKind::File);
    otel_runtime::__test::install(|| config, None).expect("installed");

    {
        let parent = otel::SpanGuard::new(otel::Span::start("GET /a", otel::SERVER));
        parent.span.str("quote", "say \"hi\"\n");
        parent.span.i64("n", -3);
        parent.span.f64("x", 2.5);
        parent.span.bool("b", true);
        parent.span.event("started");
        parent.span.event_with("waited", &[("wait_time", otel::Value::F64(0.25))]);
        let child = otel::Span::start("child", otel::PRODUCER);
        child.error("E", "it broke");
        otel::log(13, "slow \"query\"", "app::db", &[("rows", otel::Value::I64(3))]);
    }
    otel_runtime::exports::__otel_v1_shutdown();

    // The log record: in the store's `logs/`, with the span context of `GET /a`.
    let logs = std::fs::read_to_string(dir.join("logs").join(format!("store-svc-{}.jsonl", std::process::id())))
        .expect("log store file written");
    let record: serde_json::Value = serde_json::from_str(logs.lines().next().expect("one record")).unwrap();
    assert_eq!(record["severity_number"], 13);
    assert_eq!(record["severity_text"], "WARN");
    assert_eq!(record["body"], "slow \"query\"");
    assert_eq!(record["target"], "app::db");
    assert_eq!(record["attributes"]["rows"], 3);
    assert_eq!(record["trace_flags"], 1);

    let path = dir.join(format!("store-svc-{}.jsonl", std::process::id()));
    let text = std::fs::read_to_string(&path).expect("store file written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let child: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    let parent: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(record["trace_id"], parent["trace_id"]);
    assert_eq!(record["span_id"], parent["span_id"]);
    // Exact key order of the format.
    let keys: Vec<&str> = parent.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted_expected = vec![
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "kind",
        "start_unix_nano",
        "end_unix_nano",
        "status",
        "status_message",
        "service_name",
        "scope",
        "attributes",
        "events",
    ];
    let key_order: Vec<&str> = {
        let mut v = Vec::new();
        let line = lines[1];
        for k in &sorted_expected {
            v.push((line.find(&format!("\"{k}\":")).unwrap(), *k));
        }
        v.sort();
        v.into_iter().map(|(_, k)| k).collect()
    };
    assert_eq!(key_order, sorted_expected);
    sorted_expected.sort();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort();
    assert_eq!(keys_sorted, sorted_expected);

    assert_eq!(parent["trace_id"].as_str().unwrap().len(), 32);
    assert_eq!(parent["span_id"].as_str().unwrap().len(), 16);
    assert_eq!(parent["parent_span_id"], "");
    assert_eq!(parent["name"], "GET /a");
    assert_eq!(parent["kind"], "server");
    assert_eq!(parent["status"], "unset");
    assert_eq!(parent["service_name"], "store-svc");
    assert_eq!(parent["scope"], "cargo-otel", "no pack started it: the runtime's default scope");
    assert!(parent["end_unix_nano"].as_u64().unwrap() >= parent["start_unix_nano"].as_u64().unwrap());
    assert_eq!(parent["attributes"]["quote"], "say \"hi\"\n");
    assert_eq!(parent["attributes"]["n"], -3);
    assert_eq!(parent["attributes"]["x"], 2.5);
    assert_eq!(parent["attributes"]["b"], true);
    assert_eq!(parent["events"][0]["name"], "started");
    assert!(parent["events"][0]["time_unix_nano"].as_u64().unwrap() > 0);
    assert_eq!(parent["events"][0].get("attributes"), None, "no attributes: no key");
    assert_eq!(parent["events"][1]["name"], "waited");
    assert_eq!(parent["events"][1]["attributes"]["wait_time"], 0.25);
    assert_eq!(child["parent_span_id"], parent["span_id"]);
    assert_eq!(child["trace_id"], parent["trace_id"]);
    assert_eq!(child["kind"], "producer");
    assert_eq!(child["status"], "error");
    assert_eq!(child["status_message"], "it broke");
    assert_eq!(child["attributes"]["error.type"], "E");
    let _ = std::fs::remove_dir_all(&dir);
}
