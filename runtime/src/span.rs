//! Span handles: what `__otel_v1_span_*` create, mutate and end.
//!
//! A handle is a `Box<SpanState>` turned into a `u64` (0 = nothing). A state holds the
//! `opentelemetry::Context` the span lives in, so making a span current is attaching that
//! context, and application code that asks the OTel API for the active span sees ours.
//!
//! Unsampled spans still propagate: under a parent-based sampler (the default) a child of an
//! unsampled parent skips the SDK entirely and carries the parent's context
//! ([`SpanState::Passthrough`]), the cheap path; a root the sampler drops is a non-recording
//! SDK span with fresh ids, so downstream services see one consistent unsampled trace.

use crate::lifecycle::Runtime;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, Key, KeyValue, Value};

/// What a span handle points to.
pub enum SpanState {
    /// A span started by the SDK; `recording` caches `is_recording()`.
    Sdk { cx: Context, recording: bool },
    /// No span: an unsampled parent's context, carried so propagation keeps working.
    Passthrough(Context),
}

impl SpanState {
    pub fn context(&self) -> &Context {
        match self {
            SpanState::Sdk { cx, .. } | SpanState::Passthrough(cx) => cx,
        }
    }

    pub fn is_recording(&self) -> bool {
        matches!(self, SpanState::Sdk { recording: true, .. })
    }

    /// The context only when it carries a recording span.
    #[inline]
    fn recording(&self) -> Option<&Context> {
        match self {
            SpanState::Sdk { cx, recording: true } => Some(cx),
            _ => None,
        }
    }
}

pub fn kind_from_u32(kind: u32) -> SpanKind {
    match kind {
        1 => SpanKind::Server,
        2 => SpanKind::Client,
        3 => SpanKind::Producer,
        4 => SpanKind::Consumer,
        _ => SpanKind::Internal,
    }
}

/// Start a span under `parent` (or the current context when `None`).
pub fn start(rt: &Runtime, parent: Option<&Context>, name: &str, kind: u32) -> SpanState {
    let parent_cx = match parent {
        Some(cx) => cx.clone(),
        None => Context::current(),
    };
    if rt.parent_fast_path {
        let unsampled_parent = {
            let span = parent_cx.span();
            let sc = span.span_context();
            sc.is_valid() && !sc.is_sampled()
        };
        if unsampled_parent {
            return SpanState::Passthrough(parent_cx);
        }
    }
    let span = rt
        .tracer
        .span_builder(name.to_owned())
        .with_kind(kind_from_u32(kind))
        .start_with_context(&rt.tracer, &parent_cx);
    let recording = opentelemetry::trace::Span::is_recording(&span);
    SpanState::Sdk { cx: parent_cx.with_span(span), recording }
}

pub fn set(state: &SpanState, key: &str, value: impl FnOnce() -> Value) {
    if let Some(cx) = state.recording() {
        cx.span().set_attribute(KeyValue::new(Key::new(key.to_owned()), value()));
    }
}

pub fn update_name(state: &SpanState, name: &str) {
    if let Some(cx) = state.recording() {
        cx.span().update_name(name.to_owned());
    }
}

pub fn add_event(state: &SpanState, name: &str) {
    if let Some(cx) = state.recording() {
        cx.span().add_event(name.to_owned(), Vec::new());
    }
}

/// Status codes of the ABI: 0 unset, 1 ok, 2 error (with `desc`).
pub fn set_status(state: &SpanState, code: u32, desc: &str) {
    if let Some(cx) = state.recording() {
        let status = match code {
            1 => Status::Ok,
            2 => Status::error(desc.to_owned()),
            _ => return,
        };
        cx.span().set_status(status);
    }
}

pub fn end(state: SpanState) {
    if let SpanState::Sdk { cx, .. } = state {
        cx.span().end();
    }
}
