//! Context propagation through the real prelude against the real ABI definitions: sync
//! nesting, `?`/early return/panic, thousands of interleaved tokio tasks, single-thread
//! interleaving, spawned threads and tasks, and interop with application OTel spans.

use opentelemetry::trace::{SpanId, Status, TraceContextExt, Tracer};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};
use otel_runtime::__prelude as otel;
use otel_runtime::__test::{TraceSink, install};
use otel_runtime::config::Config;
use std::collections::HashMap;
use std::sync::OnceLock;

fn exporter() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let env: HashMap<String, String> = [("OTEL_TRACES_SAMPLER", "always_on"), ("OTEL_METRICS_EXPORTER", "none")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let processor = SimpleSpanProcessor::new(exporter.clone());
        let rt = install(
            || Config::from_env_map(&env, Some("context-test")),
            Some(TraceSink::Processor(Box::new(processor))),
        );
        assert!(rt.is_some());
        exporter
    })
}

/// Finished spans whose name starts with `prefix`, by name.
fn spans(prefix: &str) -> HashMap<String, Vec<SpanData>> {
    let mut out: HashMap<String, Vec<SpanData>> = HashMap::new();
    for span in exporter().get_finished_spans().unwrap() {
        if span.name.starts_with(prefix) {
            out.entry(span.name.to_string()).or_default().push(span);
        }
    }
    out
}

fn one<'a>(map: &'a HashMap<String, Vec<SpanData>>, name: &str) -> &'a SpanData {
    let list = map.get(name).unwrap_or_else(|| panic!("no span {name}"));
    assert_eq!(list.len(), 1, "{name}");
    &list[0]
}

fn attr(span: &SpanData, key: &str) -> Option<String> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string())
}

#[test]
fn sync_nesting_attributes_and_status() {
    exporter();
    {
        let outer = otel::SpanGuard::new(otel::Span::start("sync.outer", otel::SERVER));
        outer.span.str("s", "v");
        outer.span.i64("i", 42);
        outer.span.f64("f", 1.5);
        outer.span.bool("b", true);
        outer.span.event("ev");
        outer.span.set_name("sync.outer.renamed");
        assert!(outer.span.is_recording());
        {
            let inner = otel::SpanGuard::new(otel::Span::start("sync.inner", otel::CLIENT));
            inner.span.error("io", "connection reset");
        }
        let after = otel::Span::start("sync.after", otel::INTERNAL);
        after.ok();
    }
    let root = otel::Span::start("sync.root", otel::INTERNAL);
    drop(root);

    let s = spans("sync.");
    let outer = one(&s, "sync.outer.renamed");
    let inner = one(&s, "sync.inner");
    let after = one(&s, "sync.after");
    assert_eq!(outer.parent_span_id, SpanId::INVALID);
    assert_eq!(inner.parent_span_id, outer.span_context.span_id());
    assert_eq!(after.parent_span_id, outer.span_context.span_id(), "inner guard restored outer");
    assert_eq!(one(&s, "sync.root").parent_span_id, SpanId::INVALID, "outer guard restored empty");
    assert_eq!(attr(outer, "s").as_deref(), Some("v"));
    assert_eq!(attr(outer, "i").as_deref(), Some("42"));
    assert_eq!(attr(outer, "f").as_deref(), Some("1.5"));
    assert_eq!(attr(outer, "b").as_deref(), Some("true"));
    assert_eq!(outer.events.len(), 1);
    assert_eq!(outer.span_kind, opentelemetry::trace::SpanKind::Server);
    assert_eq!(inner.status, Status::error("connection reset"));
    assert_eq!(attr(inner, "error.type").as_deref(), Some("io"));
    assert_eq!(after.status, Status::Ok);
}

fn fallible(fail: bool) -> Result<u32, String> {
    let _g = otel::SpanGuard::new(otel::Span::start("early.q", otel::INTERNAL));
    let v: Result<u32, String> = if fail { Err("bad".into()) } else { Ok(1) };
    let v = v?;
    Ok(v)
}

fn early(ret: bool) -> u32 {
    let _g = otel::SpanGuard::new(otel::Span::start("early.return", otel::INTERNAL));
    if ret {
        return 1;
    }
    2
}

#[test]
fn question_mark_early_return_and_panic_end_spans() {
    exporter();
    assert!(fallible(true).is_err());
    assert_eq!(fallible(false), Ok(1));
    assert_eq!(early(true), 1);
    let caught = std::panic::catch_unwind(|| {
        let _g = otel::SpanGuard::new(otel::Span::start("early.panic", otel::INTERNAL));
        panic!("boom");
    });
    assert!(caught.is_err());
    let after = otel::Span::start("early.after", otel::INTERNAL);
    drop(after);

    let s = spans("early.");
    assert_eq!(s["early.q"].len(), 2);
    assert_eq!(s["early.return"].len(), 1);
    let panicked = one(&s, "early.panic");
    assert!(matches!(panicked.status, Status::Error { .. }));
    assert_eq!(attr(panicked, "error.type").as_deref(), Some("panic"));
    assert_eq!(one(&s, "early.after").parent_span_id, SpanId::INVALID, "unwinding detached");
}

async fn task(i: usize) {
    let parent = otel::Span::start(&format!("mt.p.{i}"), otel::INTERNAL);
    otel::instrument(parent, async move {
        for _ in 0..3 {
            tokio::task::yield_now().await;
            drop(otel::Span::start(&format!("mt.c.{i}"), otel::INTERNAL));
        }
        let nested = otel::Span::start(&format!("mt.n.{i}"), otel::INTERNAL);
        otel::instrument(nested, async move {
            tokio::task::yield_now().await;
            drop(otel::Span::start(&format!("mt.nc.{i}"), otel::INTERNAL));
        })
        .await;
        // A spawned task carries the context captured at the spawn point.
        tokio::spawn(otel::propagate(async move {
            tokio::task::yield_now().await;
            drop(otel::Span::start(&format!("mt.s.{i}"), otel::INTERNAL));
        }))
        .await
        .unwrap();
        tokio::task::yield_now().await;
        drop(otel::Span::start(&format!("mt.c.{i}"), otel::INTERNAL));
    })
    .await
}

fn check_tasks(prefix: &str, n: usize) {
    let s = spans(prefix);
    let mut misparented = 0;
    for i in 0..n {
        let p = one(&s, &format!("{prefix}p.{i}"));
        if p.parent_span_id != SpanId::INVALID {
            misparented += 1;
        }
        let pid = p.span_context.span_id();
        let children = &s[&format!("{prefix}c.{i}")];
        assert_eq!(children.len(), 4);
        misparented += children.iter().filter(|c| c.parent_span_id != pid).count();
        let n_span = one(&s, &format!("{prefix}n.{i}"));
        misparented += usize::from(n_span.parent_span_id != pid);
        let nc = one(&s, &format!("{prefix}nc.{i}"));
        misparented += usize::from(nc.parent_span_id != n_span.span_context.span_id());
        let spawned = one(&s, &format!("{prefix}s.{i}"));
        misparented += usize::from(spawned.parent_span_id != pid);
        assert_eq!(spawned.span_context.trace_id(), p.span_context.trace_id());
    }
    assert_eq!(misparented, 0, "mis-parented spans");
}

#[test]
fn thousands_of_interleaved_tasks_on_a_multi_thread_runtime() {
    exporter();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).build().unwrap();
    const N: usize = 3000;
    rt.block_on(async {
        let handles: Vec<_> = (0..N).map(|i| tokio::spawn(task(i))).collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    check_tasks("mt.", N);
}

async fn local_task(i: usize) {
    let parent = otel::Span::start(&format!("st.p.{i}"), otel::INTERNAL);
    otel::instrument(parent, async move {
        for _ in 0..3 {
            tokio::task::yield_now().await;
            drop(otel::Span::start(&format!("st.c.{i}"), otel::INTERNAL));
        }
        let nested = otel::Span::start(&format!("st.n.{i}"), otel::INTERNAL);
        otel::instrument(nested, async move {
            tokio::task::yield_now().await;
            drop(otel::Span::start(&format!("st.nc.{i}"), otel::INTERNAL));
        })
        .await;
        tokio::task::spawn_local(otel::propagate(async move {
            drop(otel::Span::start(&format!("st.s.{i}"), otel::INTERNAL));
        }))
        .await
        .unwrap();
        drop(otel::Span::start(&format!("st.c.{i}"), otel::INTERNAL));
    })
    .await
}

#[test]
fn concurrent_tasks_on_one_thread_never_see_each_other() {
    exporter();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let local = tokio::task::LocalSet::new();
    const N: usize = 500;
    local.block_on(&rt, async {
        let handles: Vec<_> = (0..N).map(|i| tokio::task::spawn_local(local_task(i))).collect();
        for h in handles {
            h.await.unwrap();
        }
    });
    check_tasks("st.", N);
}

#[test]
fn threads_carry_the_context_through_propagate_fn() {
    exporter();
    let parent = otel::SpanGuard::new(otel::Span::start("thr.parent", otel::INTERNAL));
    let body = otel::propagate_fn(|| drop(otel::Span::start("thr.child", otel::INTERNAL)));
    std::thread::spawn(body).join().unwrap();
    std::thread::spawn(|| drop(otel::Span::start("thr.orphan", otel::INTERNAL))).join().unwrap();
    drop(parent);
    let s = spans("thr.");
    let pid = one(&s, "thr.parent").span_context.span_id();
    assert_eq!(one(&s, "thr.child").parent_span_id, pid);
    assert_eq!(one(&s, "thr.orphan").parent_span_id, SpanId::INVALID);
}

#[test]
fn a_span_keeps_everything_across_its_first_attach_and_later_ones() {
    exporter();
    let span = otel::Span::start("lazy.span", otel::SERVER);
    span.str("before", "1");
    span.event("before.event");
    span.set_name("lazy.renamed");
    {
        let _entered = span.enter();
        span.i64("during", 2);
        opentelemetry::trace::get_active_span(|s| s.set_attribute(opentelemetry::KeyValue::new("app", "3")));
        drop(otel::Span::start("lazy.child1", otel::INTERNAL));
    }
    span.bool("between", true);
    {
        let _entered = span.enter();
        drop(otel::Span::start("lazy.child2", otel::INTERNAL));
    }
    span.error("e", "failed after attach");
    drop(span);

    let s = spans("lazy.");
    let span = one(&s, "lazy.renamed");
    for (k, v) in [("before", "1"), ("during", "2"), ("app", "3"), ("between", "true"), ("error.type", "e")] {
        assert_eq!(attr(span, k).as_deref(), Some(v), "{k}");
    }
    assert_eq!(span.events.len(), 1);
    assert_eq!(span.status, Status::error("failed after attach"));
    assert_eq!(one(&s, "lazy.child1").parent_span_id, span.span_context.span_id());
    assert_eq!(one(&s, "lazy.child2").parent_span_id, span.span_context.span_id());
}

#[test]
fn application_otel_spans_nest_under_and_over_injected_spans() {
    exporter();
    let tracer = opentelemetry::global::tracer("app");
    // Ours under theirs.
    tracer.in_span("interop.app.outer", |_cx| {
        let ours = otel::SpanGuard::new(otel::Span::start("interop.ours", otel::INTERNAL));
        // Theirs under ours.
        tracer.in_span("interop.app.inner", |cx| {
            cx.span().set_attribute(opentelemetry::KeyValue::new("app", true));
        });
        // The application sees our span as the active one.
        opentelemetry::trace::get_active_span(|span| {
            span.set_attribute(opentelemetry::KeyValue::new("from.app", "yes"))
        });
        drop(ours);
    });
    let s = spans("interop.");
    let outer = one(&s, "interop.app.outer");
    let ours = one(&s, "interop.ours");
    let inner = one(&s, "interop.app.inner");
    assert_eq!(ours.parent_span_id, outer.span_context.span_id());
    assert_eq!(inner.parent_span_id, ours.span_context.span_id());
    assert_eq!(inner.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(attr(ours, "from.app").as_deref(), Some("yes"));
}

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
fn inject_extract_through_the_carrier_callbacks() {
    exporter();
    let mut headers = Headers(HashMap::new());
    let client = otel::SpanGuard::new(otel::Span::start("prop.client", otel::CLIENT));
    otel::inject(&mut headers);
    drop(client);
    let traceparent = headers.0.get("traceparent").cloned().expect("traceparent injected");

    // The "server" side, on another thread with an empty context.
    std::thread::spawn(move || {
        let parent = otel::extract(&headers);
        assert!(!parent.is_empty());
        let server = otel::Span::start_with_parent(&parent, "prop.server", otel::SERVER);
        drop(server);
        assert!(otel::extract(&Headers(HashMap::new())).is_empty());
    })
    .join()
    .unwrap();

    let s = spans("prop.");
    let client = one(&s, "prop.client");
    let server = one(&s, "prop.server");
    assert_eq!(server.parent_span_id, client.span_context.span_id());
    assert!(server.parent_span_is_remote);
    assert_eq!(traceparent, format!("00-{}-{}-01", client.span_context.trace_id(), client.span_context.span_id()));
}

#[test]
fn contexts_clone_attach_and_detach_lifo() {
    exporter();
    let a = otel::Span::start("ctx.a", otel::INTERNAL);
    let ea = a.enter();
    let captured = otel::Context::current();
    let cloned = captured.clone();
    drop(ea);
    assert!(otel::Context::current().is_empty());
    {
        let _e1 = cloned.attach();
        let b = otel::Span::start("ctx.b", otel::INTERNAL);
        let _e2 = b.enter();
        drop(otel::Span::start("ctx.c", otel::INTERNAL));
        drop(_e2);
        drop(otel::Span::start("ctx.d", otel::INTERNAL));
        drop(b);
    }
    assert!(otel::Context::current().is_empty());
    drop(a);
    let s = spans("ctx.");
    let a = one(&s, "ctx.a").span_context.span_id();
    let b = one(&s, "ctx.b");
    assert_eq!(b.parent_span_id, a);
    assert_eq!(one(&s, "ctx.c").parent_span_id, b.span_context.span_id());
    assert_eq!(one(&s, "ctx.d").parent_span_id, a);
}

#[test]
fn bad_input_never_panics() {
    exporter();
    // Invalid UTF-8 and null pointers are accepted.
    let bad = [0xffu8, 0xfe];
    let h = otel_runtime::exports::__otel_v1_span_start(0, bad.as_ptr(), bad.len(), 99);
    assert_ne!(h, 0);
    otel_runtime::exports::__otel_v1_span_set_str(h, std::ptr::null(), 5, bad.as_ptr(), 2);
    otel_runtime::exports::__otel_v1_span_set_status(h, 77, std::ptr::null(), 0);
    otel_runtime::exports::__otel_v1_span_end(h);
    otel_runtime::exports::__otel_v1_metric_record(1, 0.1, std::ptr::null(), 3);
    otel::record(
        otel::HTTP_SERVER_DURATION,
        0.02,
        &[("http.route", otel::Value::Str("/a/{id}")), ("http.response.status_code", otel::Value::I64(200))],
    );
    otel::record(99, f64::NAN, &[]);
    assert_eq!(otel_runtime::exports::__otel_v1_abi_version(), 1);
    assert!(otel::enabled("reqwest"));
    // Handle 0 is a no-op everywhere.
    otel_runtime::exports::__otel_v1_span_end(0);
    otel_runtime::exports::__otel_v1_ctx_detach(0);
    otel_runtime::exports::__otel_v1_ctx_drop(0);
    assert_eq!(otel_runtime::exports::__otel_v1_ctx_attach(0), 0);
}

#[test]
fn client_spans_record_the_outcome_by_the_semantic_conventions() {
    exporter();
    let ok = otel::HttpClient {
        method: "PATCH".into(),
        scheme: "https".into(),
        host: "example.com".into(),
        authority: "user:pw@example.com".into(),
        path: "/x".into(),
        query: "token=1&a=2".into(),
        ..Default::default()
    }
    .start();
    ok.http_client_end(204, "1.1", "", "");
    drop(ok);
    let teapot = otel::HttpClient { method: "BREW".into(), url: "http://pot/".into(), ..Default::default() }.start();
    teapot.http_client_end(503, "2", "", "");
    drop(teapot);
    let timed_out = otel::HttpClient { method: "PUT".into(), host: "h".into(), port: 80, ..Default::default() }.start();
    timed_out.http_client_end(500, "", "timeout", "operation timed out");
    drop(timed_out);

    let all = spans("");
    let ok = one(&all, "PATCH");
    assert_eq!(ok.span_kind, opentelemetry::trace::SpanKind::Client);
    assert_eq!(attr(ok, "http.request.method").as_deref(), Some("PATCH"));
    assert_eq!(attr(ok, "url.full").as_deref(), Some("https://REDACTED:REDACTED@example.com/x?token=REDACTED&a=2"));
    assert_eq!(attr(ok, "server.address").as_deref(), Some("example.com"));
    assert_eq!(attr(ok, "server.port").as_deref(), Some("443"));
    assert_eq!(attr(ok, "http.response.status_code").as_deref(), Some("204"));
    assert_eq!(attr(ok, "network.protocol.version").as_deref(), Some("1.1"));
    assert_eq!(attr(ok, "error.type"), None);
    assert_eq!(ok.status, Status::Unset);

    let teapot = one(&all, "_OTHER");
    assert_eq!(attr(teapot, "http.request.method_original").as_deref(), Some("BREW"));
    assert_eq!(attr(teapot, "server.address"), None, "no host, no server.address");
    assert_eq!(attr(teapot, "error.type").as_deref(), Some("503"), "a 5xx is an error typed by its status");
    assert!(matches!(teapot.status, Status::Error { .. }));

    let timed_out = one(&all, "PUT");
    assert_eq!(attr(timed_out, "error.type").as_deref(), Some("timeout"), "an explicit error type wins");
    assert_eq!(timed_out.status, Status::error("operation timed out"));
    assert_eq!(attr(timed_out, "network.protocol.version"), None);
}
