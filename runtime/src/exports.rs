//! The `#[unsafe(no_mangle)] extern "C"` definitions of every function declared in
//! `abi/abi.rs`: the only door woven code has into the runtime.
//!
//! Every entry point:
//! - starts with one relaxed atomic load of the lifecycle state and a branch (the disabled
//!   path), initialising the runtime lazily on first use;
//! - accepts handle 0 as a cheap no-op;
//! - catches unwinding (`catch_unwind`) and degrades to the no-op result, so no panic ever
//!   crosses the ABI;
//! - treats strings as `(ptr, len)` that may be null/0 and may be invalid UTF-8 (replaced
//!   lossily).
//!
//! `lib.rs` proves at compile time that each definition here has exactly the declared
//! signature (`otel_abi_v1!` over `abi/abi.rs`).

// The definitions are safe `extern "C" fn`s (they coerce to the declared `unsafe extern "C"
// fn` types): the pointer contracts are those of `abi/abi.rs`, upheld by the prelude.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use crate::abi::{OTEL_STATIC, OtelAttrV1, OtelSpanStartV1, OtelStrV1};
use crate::lifecycle::{self, DISABLED, ENABLED, SPANS_OFF, UNINIT};
use crate::metrics::AttrValue;
use crate::propagators::{CExtractor, CInjector};
use crate::span::{Lock, Record, SpanRef, SpanState};
use crate::{context, semconv, span};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::{Context, Value};
use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

// The semconv ABI is defined beside its policy (`semconv/*`); the door is still this module.
pub use crate::semconv::db::{__otel_v1_db_end, __otel_v1_db_start};
pub use crate::semconv::http::{
    __otel_v1_http_client_end, __otel_v1_http_client_start, __otel_v1_http_server_current, __otel_v1_http_server_end,
    __otel_v1_http_server_route, __otel_v1_http_server_start,
};
pub use crate::semconv::messaging::{__otel_v1_messaging_end, __otel_v1_messaging_start};
pub use crate::semconv::rpc::{__otel_v1_rpc_end, __otel_v1_rpc_start};

/// Run `f`, turning a panic into `default`.
#[inline(always)]
pub(crate) fn guard<R>(default: R, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(default)
}

/// # Safety
/// `ptr` must point to `len` readable bytes (or be null, or `len` 0).
#[inline]
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    let len = len & !OTEL_STATIC;
    if ptr.is_null() || len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(ptr, len) } }
}

/// # Safety
/// As for [`bytes`].
#[inline]
pub(crate) unsafe fn text<'a>(ptr: *const u8, len: usize) -> Cow<'a, str> {
    let raw = unsafe { bytes(ptr, len) };
    match utf8(raw) {
        Some(s) => Cow::Borrowed(s),
        None => String::from_utf8_lossy(raw),
    }
}

/// True for ASCII strings of at most 32 bytes (most attribute keys and values), checked
/// with overlapping word loads; `false` means "not known", not "not UTF-8".
#[inline(always)]
fn short_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let n = b.len();
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let half = |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes")));
    match n {
        8..=32 => {
            let mut seen = word(n - 8);
            let mut at = 0;
            while at + 8 < n {
                seen |= word(at);
                at += 8;
            }
            seen & HIGH == 0
        }
        4..=7 => (half(0) | half(n - 4)) & HIGH == 0,
        _ => n < 4 && b.iter().all(u8::is_ascii),
    }
}

/// `raw` as a `&str` when it is UTF-8 (short ASCII without the validating loop).
#[inline]
fn utf8(raw: &[u8]) -> Option<&str> {
    if short_ascii(raw) {
        // Safety: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(raw) });
    }
    std::str::from_utf8(raw).ok()
}

/// Borrow the state behind a span handle (a semconv call resolved to its span); `None`
/// for 0 and for a call whose span has ended.
///
/// # Safety
/// `handle` must be 0 or a live handle returned by `__otel_v1_span_start` or a `*_start`.
#[inline]
unsafe fn span_ref<'a>(handle: u64) -> Option<SpanRef<'a>> {
    let span = unsafe { semconv::resolve(handle) };
    (span != 0).then(|| unsafe { SpanRef::from_handle(span) })
}

/// The state behind `handle` when it is a recording span (0 and non-recording: `None`,
/// read from the handle's tag alone), so unsampled spans skip decoding keys and values.
///
/// # Safety
/// As for [`span_ref`].
#[inline(always)]
unsafe fn recording<'a>(handle: u64) -> Option<&'a Lock<Record>> {
    // Plain recording spans first: the semconv tag costs others one more bit test.
    if handle & 1 != 0 {
        return unsafe { SpanRef::recording(handle) };
    }
    unsafe { SpanRef::recording(semconv::resolve(handle)) }
}

/// Whether spans start at all: enabled and sampling (initialising the runtime on first use).
#[inline(always)]
fn spans_on() -> bool {
    match lifecycle::state() {
        ENABLED => true,
        UNINIT => lifecycle::runtime().is_some() && lifecycle::state() == ENABLED,
        _ => false, // disabled, or always_off
    }
}

/// True when the runtime is up (initialising it if needed) and not disabled.
#[inline(always)]
fn live() -> bool {
    match lifecycle::state() {
        DISABLED => false,
        UNINIT => lifecycle::runtime().is_some(),
        _ => true,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_abi_version() -> u32 {
    1
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_init() {
    guard((), || {
        lifecycle::init();
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_shutdown() {
    guard((), lifecycle::shutdown)
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_enabled(pack_ptr: *const u8, pack_len: usize) -> u32 {
    if !live() {
        return 0;
    }
    guard(0, || match lifecycle::runtime() {
        // Asked before most advice calls: with no pack switched off, the name is not read.
        Some(rt) if rt.config.all_packs_enabled() => 1,
        Some(rt) => u32::from(rt.config.pack_enabled(&unsafe { text(pack_ptr, pack_len) })),
        None => 0,
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_start(parent: u64, name_ptr: *const u8, name_len: usize, kind: u32) -> u64 {
    if !spans_on() {
        return 0;
    }
    guard(0, || {
        let Some(rt) = lifecycle::runtime() else {
            return 0;
        };
        let name = || span::name(unsafe { bytes(name_ptr, name_len) });
        if parent != 0 {
            return span::start(rt, span::Parent::Explicit(unsafe { context::borrow(parent) }), name, kind)
                .into_handle();
        }
        context::with_parent(rt.child_of_sampled, |parent| span::start(rt, parent, name, kind).into_handle())
    })
}

/// A string the prelude marked `'static` (`OTEL_STATIC` in its length).
///
/// # Safety
/// `ptr`/`len` carry `OTEL_STATIC`: the prelude sets it only from a `&'static str`.
#[inline(always)]
unsafe fn static_str(ptr: *const u8, len: usize) -> &'static str {
    unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len & !OTEL_STATIC)) }
}

/// A span name from the ABI: kept as is when `'static`, else interned or copied.
///
/// # Safety
/// As for [`bytes`], or [`static_str`] when marked.
#[inline]
unsafe fn name_of(name: OtelStrV1<'_>) -> Cow<'static, str> {
    let (ptr, len) = name.parts();
    if name.is_static() && !ptr.is_null() {
        return Cow::Borrowed(unsafe { static_str(ptr, len) });
    }
    span::name(unsafe { bytes(ptr, len) })
}

/// Decode `raw` into `rec`: one limit check and one reservation, each attribute written in
/// place (no intermediate copies of the 56-byte `KeyValue`).
///
/// # Safety
/// The attributes' strings are valid for the call, or marked `'static` (see [`static_str`]).
#[inline(always)]
unsafe fn push_attrs(rec: &mut span::Record, raw: &[OtelAttrV1]) {
    let Some(room) = rec.room(raw.len()) else {
        return;
    };
    let raw = &raw[..room];
    let (attributes, owned) = rec.attributes_for_push();
    let start = attributes.len();
    // Each attribute is built in its slot: `room` reserved `raw.len()` of them past `start`.
    let slots = attributes.spare_capacity_mut().as_mut_ptr().cast::<opentelemetry::KeyValue>();
    let (mut n, mut any_owned) = (0, false);
    for a in raw {
        let value = match a.kind {
            0 if a.str_len & OTEL_STATIC != 0 && !a.str_ptr.is_null() => {
                Value::from(unsafe { static_str(a.str_ptr, a.str_len) })
            }
            0 => {
                let (value, value_owned) = span::str_value_owned(unsafe { bytes(a.str_ptr, a.str_len) });
                any_owned |= value_owned;
                value
            }
            1 => Value::I64(a.int),
            2 => Value::F64(a.float),
            3 => Value::Bool(a.int != 0),
            _ => continue,
        };
        let key = if a.key_len & OTEL_STATIC != 0 && !a.key_ptr.is_null() {
            opentelemetry::Key::from_static_str(unsafe { static_str(a.key_ptr, a.key_len) })
        } else {
            let (key, key_owned) = span::key_owned(unsafe { bytes(a.key_ptr, a.key_len) });
            any_owned |= key_owned;
            key
        };
        // Safety: `n < raw.len() <= ` the spare capacity (see above).
        unsafe { slots.add(n).write(opentelemetry::KeyValue::new(key, value)) };
        n += 1;
    }
    *owned |= any_owned;
    // Safety: the first `n` spare slots were just written.
    unsafe { attributes.set_len(start + n) }
    rec.pushed(start);
}

/// # Safety
/// `attrs` is null or points to `len` attributes.
#[inline]
unsafe fn attr_slice<'a>(attrs: *const OtelAttrV1, len: usize) -> &'a [OtelAttrV1] {
    if attrs.is_null() || len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(attrs, len) } }
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_start_attrs(args: *const OtelSpanStartV1<'_>) -> u64 {
    if args.is_null() || !spans_on() {
        return 0;
    }
    guard(0, || {
        let Some(rt) = lifecycle::runtime() else {
            return 0;
        };
        let a = unsafe { &*args };
        let start = |parent: span::Parent<'_>| {
            span::start_with(
                rt,
                span::Start { parent, kind: a.kind, scope: a.scope },
                || unsafe { name_of(a.name) },
                |rec| unsafe { push_attrs(rec, attr_slice(a.attrs, a.attrs_len)) },
            )
            .into_handle()
        };
        if a.parent != 0 {
            return start(span::Parent::Explicit(unsafe { context::borrow(a.parent) }));
        }
        context::with_parent(rt.child_of_sampled, start)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_attrs(span: u64, attrs: *const OtelAttrV1, attrs_len: usize) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    guard((), || {
        let raw = unsafe { attr_slice(attrs, attrs_len) };
        unsafe { push_attrs(&mut state.lock(), raw) }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_current_ids(out: *mut crate::abi::OtelIdsV1) -> u32 {
    if out.is_null() || !live() {
        return 0;
    }
    guard(0, || {
        let sc = context::current_span_context();
        if !sc.is_valid() {
            return 0;
        }
        let ids = crate::abi::OtelIdsV1 {
            trace_id: sc.trace_id().to_bytes(),
            span_id: sc.span_id().to_bytes(),
            flags: sc.trace_flags().to_u8(),
        };
        // Safety: `out` is non-null and points to an `OtelIdsV1` of the caller.
        unsafe { out.write(ids) };
        1
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_sync() {
    // No lifecycle test: a thread with nothing attached pays one thread-local read, and
    // the probe at start-up must be answered before the runtime is live.
    guard((), context::sync)
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_scope(name: OtelStrV1<'_>, version: OtelStrV1<'_>) -> u32 {
    if !live() {
        return 0;
    }
    guard(0, || {
        let (np, nl) = name.parts();
        let (vp, vl) = version.parts();
        crate::scope::register(&unsafe { text(np, nl) }, &unsafe { text(vp, vl) })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_scope_swap(scope: u32) -> u32 {
    guard(0, || crate::scope::swap(scope))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_str(
    span: u64,
    key_ptr: *const u8,
    key_len: usize,
    val_ptr: *const u8,
    val_len: usize,
) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    set_str_recording(state, key_ptr, key_len, val_ptr, val_len);
}

/// The recording half of the numeric `__otel_v1_span_set_*`, out of line (as
/// [`set_str_recording`]).
#[inline(never)]
fn set_recording(state: &span::Lock<span::Record>, key_ptr: *const u8, key_len: usize, value: Value) {
    // Numbers own nothing: only the key may.
    guard((), || {
        let (key, owned) = span::key_owned(unsafe { bytes(key_ptr, key_len) });
        span::set(state, key, value, owned)
    })
}

/// The recording half of `__otel_v1_span_set_str`, out of line so the unsampled path stays
/// a test and a return (no frame for the interning and the unwind guard).
#[inline(never)]
fn set_str_recording(
    state: &span::Lock<span::Record>,
    key_ptr: *const u8,
    key_len: usize,
    val_ptr: *const u8,
    val_len: usize,
) {
    guard((), || {
        let (key, key_owned) = span::key_owned(unsafe { bytes(key_ptr, key_len) });
        let (value, value_owned) = span::str_value_owned(unsafe { bytes(val_ptr, val_len) });
        span::set(state, key, value, key_owned || value_owned);
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_i64(span: u64, key_ptr: *const u8, key_len: usize, val: i64) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    set_recording(state, key_ptr, key_len, Value::I64(val));
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_f64(span: u64, key_ptr: *const u8, key_len: usize, val: f64) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    set_recording(state, key_ptr, key_len, Value::F64(val));
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_bool(span: u64, key_ptr: *const u8, key_len: usize, val: u32) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    set_recording(state, key_ptr, key_len, Value::Bool(val != 0));
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_update_name(span: u64, name_ptr: *const u8, name_len: usize) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    guard((), || span::update_name(state, span::name(unsafe { bytes(name_ptr, name_len) })))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_add_event(span: u64, name_ptr: *const u8, name_len: usize) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    guard((), || span::add_event(state, span::name(unsafe { bytes(name_ptr, name_len) }), Vec::new()))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_add_event_attrs(
    span: u64,
    name_ptr: *const u8,
    name_len: usize,
    attrs: *const OtelAttrV1,
    attrs_len: usize,
) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    guard((), || {
        let attributes = unsafe { event_attributes(attrs, attrs_len) };
        span::add_event(state, span::name(unsafe { bytes(name_ptr, name_len) }), attributes)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_current_span_add_event_attrs(
    name_ptr: *const u8,
    name_len: usize,
    attrs: *const OtelAttrV1,
    attrs_len: usize,
) {
    if !live() {
        return;
    }
    guard((), || {
        use opentelemetry::trace::TraceContextExt;
        context::with_current(|cx| {
            let current = cx.span();
            if current.is_recording() {
                let attributes = unsafe { event_attributes(attrs, attrs_len) };
                current.add_event(span::name(unsafe { bytes(name_ptr, name_len) }), attributes);
            }
        })
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_log_emit(
    severity: u32,
    body: OtelStrV1<'_>,
    target: OtelStrV1<'_>,
    attrs: *const OtelAttrV1,
    attrs_len: usize,
) {
    let Some(logs) = lifecycle::runtime().and_then(|rt| rt.logs.as_ref()) else {
        return;
    };
    guard((), || {
        let attributes = unsafe { event_attributes(attrs, attrs_len) }
            .into_iter()
            .map(|kv| (kv.key, crate::logs::any_value(kv.value)))
            .collect();
        logs.emit(severity, &crate::semconv::text(&body), &crate::semconv::text(&target), attributes)
    })
}

/// The ABI's attribute array (null or empty: none) as event attributes, owned (an event
/// outlives the call); values that are not UTF-8 or of an unknown kind are dropped.
///
/// # Safety
/// `attrs` is null or points to `len` attributes whose strings are valid for the call.
unsafe fn event_attributes(attrs: *const OtelAttrV1, len: usize) -> Vec<opentelemetry::KeyValue> {
    let raw: &[OtelAttrV1] =
        if attrs.is_null() || len == 0 { &[] } else { unsafe { std::slice::from_raw_parts(attrs, len) } };
    raw.iter().filter_map(|a| Some(opentelemetry::KeyValue::new(attr_key(a), attr_value(a)?))).collect()
}

fn attr_key(a: &OtelAttrV1) -> String {
    unsafe { text(a.key_ptr, a.key_len) }.into_owned()
}

/// An attribute's value; `None` for a string that is not UTF-8 or an unknown kind.
fn attr_value(a: &OtelAttrV1) -> Option<Value> {
    match a.kind {
        0 => utf8(unsafe { bytes(a.str_ptr, a.str_len) }).map(|s| Value::from(s.to_owned())),
        1 => Some(Value::I64(a.int)),
        2 => Some(Value::F64(a.float)),
        3 => Some(Value::Bool(a.int != 0)),
        _ => None,
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_set_status(span: u64, code: u32, desc_ptr: *const u8, desc_len: usize) {
    let Some(state) = (unsafe { recording(span) }) else {
        return;
    };
    guard((), || span::set_status(state, code, || unsafe { text(desc_ptr, desc_len) }.into_owned()))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_is_recording(span: u64) -> u32 {
    if span == 0 {
        return 0;
    }
    guard(0, || u32::from(unsafe { span_ref(span) }.is_some_and(SpanRef::is_recording)))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_end(span: u64) {
    if span == 0 || span == span::CURRENT {
        return;
    }
    guard((), || {
        if span & semconv::CALL != 0 {
            unsafe { semconv::free(span) }
        } else {
            span::end(unsafe { SpanState::from_handle(span) })
        }
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_span_attach(span: u64) -> u64 {
    if span == 0 {
        return 0;
    }
    guard(0, || match unsafe { span_ref(span) } {
        None | Some(SpanRef::Current) => 0,
        Some(SpanRef::Recording(record)) => context::attach_span(span, record, span_context),
        Some(SpanRef::Inert(_)) => context::attach(unsafe { span_context(span) }),
    })
}

/// The API context that makes the span (or semconv call) behind `handle` current.
///
/// # Safety
/// `handle` is a live span or call handle.
unsafe fn span_context(handle: u64) -> Context {
    match unsafe { (semconv::call(handle), span_ref(handle)) } {
        (_, None | Some(SpanRef::Current)) => context::current(),
        (Some(call), Some(s)) => call.context(s),
        (None, Some(s)) => s.context(),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_current() -> u64 {
    if !live() {
        return 0;
    }
    guard(0, || context::with_current(context::handle_if_meaningful))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_clone(ctx: u64) -> u64 {
    if ctx == 0 {
        return 0;
    }
    guard(0, || context::into_handle(unsafe { context::borrow(ctx) }.clone()))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_attach(ctx: u64) -> u64 {
    if ctx == 0 {
        return 0;
    }
    guard(0, || context::attach(unsafe { context::borrow(ctx) }.clone()))
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_detach(token: u64) {
    if token == 0 {
        return;
    }
    guard((), || unsafe { context::detach(token) })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_ctx_drop(ctx: u64) {
    if ctx == 0 {
        return;
    }
    guard((), || unsafe { context::drop_handle(ctx) })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_inject(carrier: *mut u8, set: extern "C" fn(*mut u8, *const u8, usize, *const u8, usize)) {
    if !live() {
        return;
    }
    guard((), || {
        let Some(rt) = lifecycle::runtime() else {
            return;
        };
        let mut injector = CInjector { carrier, set };
        context::with_current(|cx| rt.propagator.inject_context(cx, &mut injector));
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_extract(
    carrier: *mut u8,
    get: extern "C" fn(*mut u8, *const u8, usize, *mut usize) -> *const u8,
) -> u64 {
    if !live() {
        return 0;
    }
    guard(0, || {
        let Some(rt) = lifecycle::runtime() else {
            return 0;
        };
        let extractor = CExtractor { carrier, get };
        let cx = rt.propagator.extract_with_context(&Context::new(), &extractor);
        context::handle_if_meaningful(&cx)
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn __otel_v1_metric_record(instrument: u32, value: f64, attrs: *const OtelAttrV1, attrs_len: usize) {
    if !live() {
        return;
    }
    guard((), || {
        let Some(metrics) = lifecycle::runtime().and_then(|rt| rt.metrics.as_ref()) else {
            return;
        };
        // A measurement recorded by advice: the exemplar's span is the current one.
        let span = Some(context::current_span_context()).filter(|sc| sc.is_valid());
        let raw: &[OtelAttrV1] = if attrs.is_null() || attrs_len == 0 {
            &[]
        } else {
            unsafe { std::slice::from_raw_parts(attrs, attrs_len) }
        };
        // Keys are literals (ASCII, borrowed); values that are not UTF-8 or of an unknown
        // kind are dropped. Up to `INLINE` attributes stay on the stack.
        const INLINE: usize = 16;
        let key_of = |a: &OtelAttrV1| unsafe { text(a.key_ptr, a.key_len) };
        let value_of = |a: &OtelAttrV1| match a.kind {
            0 => utf8(unsafe { bytes(a.str_ptr, a.str_len) }).map(AttrValue::Str),
            1 => Some(AttrValue::I64(a.int)),
            2 => Some(AttrValue::F64(a.float)),
            3 => Some(AttrValue::Bool(a.int != 0)),
            _ => None,
        };
        if raw.len() <= INLINE {
            let mut inline = [("", AttrValue::Bool(false)); INLINE];
            let mut n = 0;
            let mut all_borrowed = true;
            for a in raw {
                let Cow::Borrowed(key) = key_of(a) else {
                    all_borrowed = false;
                    break;
                };
                if let Some(v) = value_of(a) {
                    inline[n] = (key, v);
                    n += 1;
                }
            }
            if all_borrowed {
                return metrics.record(instrument, value, &inline[..n], span.as_ref());
            }
        }
        let keys: Vec<Cow<'_, str>> = raw.iter().map(key_of).collect();
        let attrs: Vec<(&str, AttrValue<'_>)> =
            raw.iter().zip(&keys).filter_map(|(a, k)| Some((k.as_ref(), value_of(a)?))).collect();
        metrics.record(instrument, value, &attrs, span.as_ref());
    })
}

// Keep the unused-state constant referenced (documented states of the lifecycle).
const _: u8 = SPANS_OFF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fast_paths_agree_with_lossy_decoding() {
        let cases: [&[u8]; 9] = [
            b"",
            b"GET",
            b"/users/42",
            b"0123456789abcdef",
            b"0123456789abcdefg",
            "caf\u{e9}".as_bytes(),
            b"ab\xffcd",
            b"\xff",
            b"12345678\x80",
        ];
        for raw in cases {
            let got = unsafe { text(raw.as_ptr(), raw.len()) };
            assert_eq!(got, String::from_utf8_lossy(raw), "{raw:?}");
        }
        assert!(short_ascii(b"abcdefgh") && short_ascii(b"abc") && short_ascii(b""));
        assert!(!short_ascii("\u{e9}\u{e9}\u{e9}".as_bytes()) && !short_ascii(b"12345678\x80"));
        assert!(short_ascii(b"0123456789abcdefg") && short_ascii(b"http.response.status_code"));
        assert!(short_ascii(&[b'a'; 32]) && !short_ascii(&[b'a'; 33]), "longer strings take the validating path");
        let mut high = [b'a'; 32];
        for at in 0..32 {
            high[at] = 0x80;
            assert!(!short_ascii(&high[..]) && !short_ascii(&high[at..]), "non-ASCII byte at {at}");
            high[at] = b'a';
        }
        assert_eq!(utf8("caf\u{e9}".as_bytes()), Some("caf\u{e9}"));
        assert_eq!(utf8(b"ab\xffcd"), None);
    }
}
