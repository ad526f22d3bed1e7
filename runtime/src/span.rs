//! Span handles: what `__otel_v1_span_*` create, mutate and end.
//!
//! A handle is a `u64` (0 = nothing): a `Box<Context>` for a span that does not record, or
//! a `Box<Lock<Live>>` with the low bit set for one that does (see [`SpanState`]).
//!
//! A recording span starts *detached*: the handle owns the SDK span itself (plus the parent
//! context it will join), so attributes go straight into it, with no `Context` allocation
//! and no trip through the API's boxed, mutex-guarded span. The first
//! `__otel_v1_span_attach` moves the span into `parent.with_span(span)`, an ordinary
//! `opentelemetry::Context`: from then on the span is current while attached, application
//! code reaches it through `get_active_span`, its own spans nest under it, and our later
//! calls go through that context. A span that is never attached cannot be the current span,
//! so nothing outside the handle can observe the difference.
//!
//! The handle is `Send + Sync` in the prelude, so a recording state is behind a small lock
//! ([`Lock`]: one uncontended compare-and-swap per call); non-recording states are
//! immutable and need none.
//!
//! Unsampled spans still propagate: under a parent-based sampler (the default) a child of an
//! unsampled parent skips the SDK entirely and carries the parent's context
//! ([`SpanState::Inert`]), the cheap path; a root the sampler drops is a non-recording SDK
//! span with fresh ids, so downstream services see one consistent unsampled trace.

use crate::intern;
use crate::lifecycle::Runtime;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, Key, KeyValue, Value};
use opentelemetry_sdk::trace::Span as SdkSpan;
use std::borrow::Cow;
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

/// A started span, owned: what a handle is made from and turned back into.
pub enum SpanState {
    /// A recording SDK span.
    Recording(Box<Lock<Live>>),
    /// Not recording: the context to make current on attach (an unsampled parent's context,
    /// or the context holding a non-recording SDK span). Kept small so this, the unsampled
    /// path, allocates only a `Context`.
    Inert(Box<Context>),
}

/// A borrowed view of a live handle.
#[derive(Clone, Copy)]
pub enum SpanRef<'a> {
    Recording(&'a Lock<Live>),
    Inert(&'a Context),
}

/// Where a recording span lives. The size difference is intended: the state is boxed once
/// per span, and boxing the SDK span separately would cost a second allocation.
#[allow(clippy::large_enum_variant)]
pub enum Live {
    /// Never attached: the span itself, and the context it will be attached in.
    Detached { span: SdkSpan, parent: Context },
    /// Attached at least once: the span lives in this context.
    InContext(Context),
}

/// Low bit of a handle: set for a recording span (both boxes are at least 8-aligned).
const RECORDING: u64 = 1;

impl SpanState {
    /// The handle (never 0).
    #[inline]
    pub fn into_handle(self) -> u64 {
        match self {
            SpanState::Recording(live) => Box::into_raw(live) as u64 | RECORDING,
            SpanState::Inert(cx) => Box::into_raw(cx) as u64,
        }
    }

    /// Take back ownership of a handle.
    ///
    /// # Safety
    /// `handle` must come from [`SpanState::into_handle`], once; it is invalid afterwards.
    #[inline]
    pub unsafe fn from_handle(handle: u64) -> SpanState {
        if handle & RECORDING != 0 {
            SpanState::Recording(unsafe { Box::from_raw((handle & !RECORDING) as *mut Lock<Live>) })
        } else {
            SpanState::Inert(unsafe { Box::from_raw(handle as *mut Context) })
        }
    }
}

impl<'a> SpanRef<'a> {
    /// Borrow the state behind a handle.
    ///
    /// # Safety
    /// `handle` must come from [`SpanState::into_handle`] and not have been taken back.
    #[inline]
    pub unsafe fn from_handle(handle: u64) -> SpanRef<'a> {
        if handle & RECORDING != 0 {
            SpanRef::Recording(unsafe { &*((handle & !RECORDING) as *const Lock<Live>) })
        } else {
            SpanRef::Inert(unsafe { &*(handle as *const Context) })
        }
    }

    /// The recording span behind a handle, read from its tag alone.
    ///
    /// # Safety
    /// As for [`SpanRef::from_handle`] (0 is accepted: `None`).
    #[inline(always)]
    pub unsafe fn recording(handle: u64) -> Option<&'a Lock<Live>> {
        if handle & RECORDING != 0 { Some(unsafe { &*((handle & !RECORDING) as *const Lock<Live>) }) } else { None }
    }

    #[inline]
    pub fn is_recording(self) -> bool {
        matches!(self, SpanRef::Recording(_))
    }

    /// The context that makes this span current, moving a detached span into it first.
    pub fn context(self) -> Context {
        match self {
            SpanRef::Inert(cx) => cx.clone(),
            SpanRef::Recording(live) => {
                let mut live = lock(live);
                if let Live::InContext(cx) = &*live {
                    return cx.clone();
                }
                // Detached: move the span into its context. The placeholder is never
                // observed (the lock is held until it is replaced).
                let Live::Detached { span, parent } = std::mem::replace(&mut *live, Live::InContext(Context::new()))
                else {
                    unreachable!()
                };
                let cx = parent.with_span(span);
                *live = Live::InContext(cx.clone());
                cx
            }
        }
    }
}

#[inline]
fn lock(live: &Lock<Live>) -> LockGuard<'_, Live> {
    live.lock()
}

/// A one-byte lock around a recording span's state. Every handle has one owner and is
/// practically never touched from two threads at once (the prelude's `Span` is `Sync`
/// only so futures holding it can be), so the uncontended path is what matters: one
/// compare-and-swap to take, one plain release store to give back (`std::sync::Mutex`
/// pays a second read-modify-write to release, and poisoning). Under contention it
/// spins briefly, then yields.
pub struct Lock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// Safety: `value` is only reached through a `LockGuard`, which the flag makes exclusive.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T> Lock<T> {
    pub fn new(value: T) -> Self {
        Lock { locked: AtomicBool::new(false), value: UnsafeCell::new(value) }
    }

    #[inline]
    pub fn lock(&self) -> LockGuard<'_, T> {
        if self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_contended();
        }
        LockGuard(self)
    }

    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut spins = 0u32;
        loop {
            if !self.locked.load(Ordering::Relaxed)
                && self.locked.compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                return;
            }
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// The value, through exclusive ownership of the lock (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

/// Exclusive access to a [`Lock`]'s value; released on drop (also while unwinding).
pub struct LockGuard<'a, T>(&'a Lock<T>);

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // Safety: the guard holds the lock.
        unsafe { &*self.0.value.get() }
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // Safety: the guard holds the lock.
        unsafe { &mut *self.0.value.get() }
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.0.locked.store(false, Ordering::Release);
    }
}

/// A recording span, wherever it lives.
enum Target<'a> {
    Direct(&'a mut SdkSpan),
    Shared(&'a Context),
}

impl Target<'_> {
    fn set_attribute(self, kv: KeyValue) {
        match self {
            Target::Direct(span) => span.set_attribute(kv),
            Target::Shared(cx) => cx.span().set_attribute(kv),
        }
    }
    fn update_name(self, name: Cow<'static, str>) {
        match self {
            Target::Direct(span) => span.update_name(name),
            Target::Shared(cx) => cx.span().update_name(name),
        }
    }
    fn add_event(self, name: Cow<'static, str>, attributes: Vec<KeyValue>) {
        match self {
            Target::Direct(span) => span.add_event(name, attributes),
            Target::Shared(cx) => cx.span().add_event(name, attributes),
        }
    }
    fn set_status(self, status: Status) {
        match self {
            Target::Direct(span) => span.set_status(status),
            Target::Shared(cx) => cx.span().set_status(status),
        }
    }
}

/// Run `f` on the recording span.
#[inline]
fn with_live(live: &Lock<Live>, f: impl FnOnce(Target<'_>)) {
    match &mut *lock(live) {
        Live::Detached { span, .. } => f(Target::Direct(span)),
        Live::InContext(cx) => f(Target::Shared(cx)),
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

/// A span name: the interned copy when there is one (no allocation), else an owned copy
/// (invalid UTF-8 replaced).
#[inline]
pub fn name(bytes: &[u8]) -> Cow<'static, str> {
    match intern::NAMES.get(bytes) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// An attribute key: interned (no allocation) when possible.
#[inline]
pub fn key(bytes: &[u8]) -> Key {
    match intern::KEYS.get(bytes) {
        Some(s) => Key::from_static_str(s),
        None => Key::new(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// A string attribute value: interned when short (no allocation), else an owned copy
/// (invalid UTF-8 replaced).
#[inline]
pub fn str_value(bytes: &[u8]) -> Value {
    if bytes.len() <= intern::MAX_VALUE_LEN
        && let Some(s) = intern::VALUES.get(bytes)
    {
        return Value::from(s);
    }
    Value::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Start a span under `parent` (or the current context when `None`). `name` is only
/// decoded when the SDK is asked for a span.
pub fn start(rt: &Runtime, parent: Option<&Context>, name: impl FnOnce() -> Cow<'static, str>, kind: u32) -> SpanState {
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
            return SpanState::Inert(Box::new(parent_cx));
        }
    }
    let span = start_sdk(rt, &parent_cx, name(), kind);
    if span.is_recording() {
        SpanState::Recording(Box::new(Lock::new(Live::Detached { span, parent: parent_cx })))
    } else {
        SpanState::Inert(Box::new(parent_cx.with_span(span)))
    }
}

/// The SDK half of [`start`], out of line: the span builder is large, and the unsampled
/// path above should not pay for its stack frame.
#[inline(never)]
fn start_sdk(rt: &Runtime, parent_cx: &Context, name: Cow<'static, str>, kind: u32) -> SdkSpan {
    // SERVER and CLIENT spans carry about a dozen semantic-convention attributes: room for
    // them up front saves the attribute list's regrowth (4 → 8 → 16) on every request.
    let room = if matches!(kind, 1 | 2) { 12 } else { 0 };
    rt.tracer
        .span_builder(name)
        .with_kind(kind_from_u32(kind))
        .with_attributes(Vec::with_capacity(room))
        .start_with_context(&rt.tracer, parent_cx)
}

pub fn set(state: &Lock<Live>, key: Key, value: Value) {
    with_live(state, |t| t.set_attribute(KeyValue::new(key, value)));
}

pub fn update_name(state: &Lock<Live>, name: Cow<'static, str>) {
    with_live(state, |t| t.update_name(name));
}

pub fn add_event(state: &Lock<Live>, name: Cow<'static, str>, attributes: Vec<KeyValue>) {
    with_live(state, |t| t.add_event(name, attributes));
}

/// Status codes of the ABI: 0 unset, 1 ok, 2 error (with `desc`).
pub fn set_status(state: &Lock<Live>, code: u32, desc: impl FnOnce() -> String) {
    let status = match code {
        1 => Status::Ok,
        2 => Status::error(desc()),
        _ => return,
    };
    with_live(state, |t| t.set_status(status));
}

pub fn end(state: SpanState) {
    if let SpanState::Recording(mut live) = state {
        // End in place (moving the state out of its box would copy the whole SDK span).
        match live.get_mut() {
            Live::Detached { span, .. } => span.end(),
            Live::InContext(cx) => cx.span().end(),
        }
    }
}
