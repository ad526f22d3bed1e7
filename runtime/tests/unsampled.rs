//! Unsampled spans record nothing but still propagate their trace context.

use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{TraceSink, install};
use otel_runtime::config::Config;
use std::collections::HashMap;

struct Headers(HashMap<String, String>);
impl otel::Injector for Headers {
    fn set(&mut self, key: &str, value: &str) {
        self.0.insert(key.to_owned(), value.to_owned());
    }
}
impl otel::Extractor for Headers {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

#[test]
fn unsampled_parent_propagates_without_recording() {
    let exporter = InMemorySpanExporter::default();
    let env: HashMap<String, String> =
        [("OTEL_METRICS_EXPORTER", "none")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    install(
        || Config::from_env_map(&env, Some("unsampled")),
        Some(TraceSink::Processor(Box::new(SimpleSpanProcessor::new(exporter.clone())))),
    )
    .unwrap();

    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let incoming = Headers([("traceparent".to_owned(), tp.to_owned())].into_iter().collect());
    let parent = otel::extract(&incoming);
    let server = otel::Span::start_with_parent(&parent, "server", otel::SERVER);
    assert!(!server.is_none(), "unsampled spans still carry context");
    assert!(!server.is_recording());
    server.str("ignored", "x");
    let entered = server.enter();
    let child = otel::Span::start("child", otel::CLIENT);
    assert!(!child.is_recording());
    let _e2 = child.enter();
    let mut out = Headers(HashMap::new());
    otel::inject(&mut out);
    assert_eq!(out.0["traceparent"], tp, "downstream sees the same unsampled trace");
    drop(_e2);
    drop(child);
    drop(entered);
    drop(server);

    // A sampled parent is recorded.
    let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let incoming = Headers([("traceparent".to_owned(), tp.to_owned())].into_iter().collect());
    let sampled = otel::Span::start_with_parent(&otel::extract(&incoming), "sampled", otel::SERVER);
    assert!(sampled.is_recording());
    drop(sampled);
    let names: Vec<String> = exporter.get_finished_spans().unwrap().iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, vec!["sampled".to_owned()]);
}
