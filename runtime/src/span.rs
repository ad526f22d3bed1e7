//! Span handles: what `__otel_v1_span_*` create, mutate and end, recorded on the lean path
//! (ADR 0003): a woven span is a pooled [`Record`] the runtime owns, not an SDK span.
//!
//! A handle is a `u64` (0 = nothing): an `Arc<Lock<Record>>` with the low bit set for a span
//! that records, a `Box<Context>` or the tag [`CURRENT`] for one that does not (see
//! [`SpanState`]).
//!
//! The hot path allocates nothing in steady state: records come from a per-thread free list
//! (refilled from the ones the exporter thread hands back, [`recycle`]), keep their attribute
//! list's capacity, take `'static` names, keys and values as they are (the ABI marks them),
//! get their ids from a per-thread generator ([`crate::ids`]) and read the clock once per
//! edge. An ended record goes to the export queue as is (`export::batch`); the exporter
//! thread turns it into the SDK's `SpanData`, so every exporter and a user's processor keep
//! working, and hands the shell back.
//!
//! Interop with the `opentelemetry` API: the first `__otel_v1_span_attach` puts a [`View`] of
//! the record into `parent.with_span(..)`, an ordinary `opentelemetry::Context`, cached in the
//! record for later attaches. While attached, application spans (and tracing-opentelemetry's)
//! nest under it, and `get_active_span` reaches it: the view writes into the same record.
//! The cached context holds the record, and the record the context: `end` breaks that cycle.
//!
//! The handle is `Send + Sync` in the prelude, so a record sits behind a small lock
//! ([`Lock`]: one uncontended compare-and-swap per call).
//!
//! Unsampled spans still propagate: under a parent-based sampler (the default) a child of an
//! unsampled current context is a tag handle ([`SpanState::Current`]: no allocation,
//! attaching it leaves that context current), a child of an explicit unsampled parent
//! carries that context ([`SpanState::Inert`]); a root the sampler drops gets fresh ids in a
//! non-recording context, so downstream services see one consistent unsampled trace.

use crate::intern;
use crate::lifecycle::Runtime;
use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Context, Key, KeyValue, Value};
use opentelemetry_sdk::trace::{SamplingDecision, SpanData, SpanEvents, SpanLinks};
use std::borrow::Cow;
use std::cell::{RefCell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What a span keeps (`config::SpanLimits`: `OTEL_SPAN_*_LIMIT`), set once at start-up and
/// read with relaxed loads on the recording path: attributes, events, attributes per event,
/// the longest string value in characters (`usize::MAX`: no limit), links, attributes per
/// link.
static LIMITS: [AtomicUsize; 6] = [
    AtomicUsize::new(128),
    AtomicUsize::new(128),
    AtomicUsize::new(128),
    AtomicUsize::new(usize::MAX),
    AtomicUsize::new(128),
    AtomicUsize::new(128),
];
const ATTRIBUTES: usize = 0;
const EVENTS: usize = 1;
const EVENT_ATTRIBUTES: usize = 2;
const VALUE_LENGTH: usize = 3;
const LINKS: usize = 4;
const LINK_ATTRIBUTES: usize = 5;

/// Apply `limits` to spans recorded from now on.
pub fn set_limits(limits: &crate::config::SpanLimits) {
    LIMITS[ATTRIBUTES].store(limits.attributes, Ordering::Relaxed);
    LIMITS[EVENTS].store(limits.events, Ordering::Relaxed);
    LIMITS[EVENT_ATTRIBUTES].store(limits.event_attributes, Ordering::Relaxed);
    LIMITS[VALUE_LENGTH].store(limits.value_length.unwrap_or(usize::MAX), Ordering::Relaxed);
    LIMITS[LINKS].store(limits.links, Ordering::Relaxed);
    LIMITS[LINK_ATTRIBUTES].store(limits.link_attributes, Ordering::Relaxed);
}

#[inline(always)]
fn limit(which: usize) -> usize {
    LIMITS[which].load(Ordering::Relaxed)
}

/// `value` cut to `max` characters if it is a longer string (or a string array with longer
/// items, each cut), as the spec's attribute value length limit says; `None` if it fits.
fn truncated(value: &Value, max: usize) -> Option<Value> {
    use opentelemetry::{Array, StringValue};
    fn cut(s: &str, max: usize) -> Option<&str> {
        if s.len() <= max {
            return None; // at most `max` bytes: at most `max` characters
        }
        s.char_indices().nth(max).map(|(at, _)| &s[..at])
    }
    match value {
        Value::String(text) => cut(text.as_str(), max).map(|c| Value::from(c.to_owned())),
        Value::Array(Array::String(items)) if items.iter().any(|i| cut(i.as_str(), max).is_some()) => {
            let items = items.iter().map(|i| StringValue::from(cut(i.as_str(), max).unwrap_or(i.as_str()).to_owned()));
            Some(Value::Array(Array::String(items.collect())))
        }
        _ => None,
    }
}

/// Apply the value length limit to `attributes`; whether any value was replaced (and now
/// owns memory).
#[inline]
pub fn limit_values(attributes: &mut [KeyValue]) -> bool {
    let max = limit(VALUE_LENGTH);
    if max == usize::MAX {
        return false;
    }
    let mut replaced = false;
    for kv in attributes {
        if let Some(value) = truncated(&kv.value, max) {
            kv.value = value;
            replaced = true;
        }
    }
    replaced
}

/// An event's or a link's attributes within `max` and the value length limit; how many were
/// dropped.
fn capped(attributes: &mut Vec<KeyValue>, max: usize) -> u32 {
    let dropped = attributes.len().saturating_sub(max) as u32;
    attributes.truncate(max);
    limit_values(attributes);
    dropped
}

/// A recording span: everything the exporter needs, and what attaching it needs.
#[derive(Debug)]
pub struct Record {
    pub span_context: SpanContext,
    pub parent_span_id: SpanId,
    pub parent_is_remote: bool,
    pub kind: SpanKind,
    pub name: Cow<'static, str>,
    pub start: SystemTime,
    pub end: SystemTime,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes: u32,
    /// Some attribute may own heap memory (else `reset` forgets them without dropping).
    owned: bool,
    pub events: Vec<Event>,
    pub dropped_events: u32,
    /// Links added through the API (`Span::add_link` on the span made current); woven code
    /// adds none, so this stays empty and unallocated on the lean path.
    pub links: Vec<Link>,
    pub dropped_links: u32,
    pub status: Status,
    /// Index into the scope table (`crate::scope`).
    pub scope: u32,
    ended: bool,
    /// The context it was started in, until it is first attached; `None` for a span
    /// started under the current context, which is attached in the context current then.
    parent: Option<Context>,
    /// `parent.with_span(View)`, once attached.
    cx: Option<Context>,
}

impl Record {
    fn blank() -> Record {
        Record {
            span_context: SpanContext::empty_context(),
            parent_span_id: SpanId::INVALID,
            parent_is_remote: false,
            kind: SpanKind::Internal,
            name: Cow::Borrowed(""),
            start: SystemTime::UNIX_EPOCH,
            end: SystemTime::UNIX_EPOCH,
            // SERVER and CLIENT spans carry about a dozen semantic-convention attributes; the
            // capacity survives reuse.
            attributes: Vec::with_capacity(16),
            dropped_attributes: 0,
            owned: false,
            events: Vec::new(),
            dropped_events: 0,
            links: Vec::new(),
            dropped_links: 0,
            status: Status::Unset,
            scope: 0,
            ended: false,
            parent: None,
            cx: None,
        }
    }

    /// Add an attribute (after `end`, or past the limit: ignored, as the SDK does).
    #[inline]
    pub fn set(&mut self, kv: KeyValue) {
        self.push(kv, true);
    }

    /// Room for `n` more attributes (within the limit).
    #[inline]
    pub fn reserve(&mut self, n: usize) {
        self.attributes.reserve(n.min(limit(ATTRIBUTES).saturating_sub(self.attributes.len())));
    }

    /// Room for up to `n` more attributes, reserved: how many fit under the limit (the rest
    /// are counted as dropped); `None` after `end`.
    #[inline]
    pub fn room(&mut self, n: usize) -> Option<usize> {
        if self.ended {
            return None;
        }
        let fit = n.min(limit(ATTRIBUTES).saturating_sub(self.attributes.len()));
        self.dropped_attributes += (n - fit) as u32;
        self.attributes.reserve(fit);
        Some(fit)
    }

    /// The attribute list and the "some attribute owns memory" flag, for writing in place
    /// after [`Record::room`].
    #[inline]
    pub fn attributes_for_push(&mut self) -> (&mut Vec<KeyValue>, &mut bool) {
        (&mut self.attributes, &mut self.owned)
    }

    /// After writing attributes in place from index `from`: apply the value length limit
    /// (a load and a branch when there is none, the default).
    #[inline(always)]
    pub fn pushed(&mut self, from: usize) {
        if limit(VALUE_LENGTH) != usize::MAX {
            self.limit_from(from);
        }
    }

    #[inline(never)]
    fn limit_from(&mut self, from: usize) {
        if let Some(new) = self.attributes.get_mut(from..) {
            self.owned |= limit_values(new);
        }
    }

    /// [`Record::set`], saying whether `kv` may own heap memory (`false` only for `'static`
    /// or interned strings and numbers).
    #[inline(always)]
    pub fn push(&mut self, kv: KeyValue, owned: bool) {
        if self.ended {
            return;
        }
        if self.attributes.len() < limit(ATTRIBUTES) {
            self.owned |= owned;
            self.attributes.push(kv);
            self.pushed(self.attributes.len() - 1);
        } else {
            self.dropped_attributes += 1;
        }
    }

    pub fn add_event(&mut self, name: Cow<'static, str>, attributes: Vec<KeyValue>) {
        self.add_event_at(name, SystemTime::now(), attributes);
    }

    /// An event, within the event and per-event attribute limits (the rest counted dropped).
    pub fn add_event_at(&mut self, name: Cow<'static, str>, at: SystemTime, mut attributes: Vec<KeyValue>) {
        if self.ended {
            return;
        }
        if self.events.len() < limit(EVENTS) {
            let dropped = capped(&mut attributes, limit(EVENT_ATTRIBUTES));
            self.events.push(Event::new(name, at, attributes, dropped));
        } else {
            self.dropped_events += 1;
        }
    }

    pub fn update_name(&mut self, name: Cow<'static, str>) {
        if !self.ended {
            self.name = name;
        }
    }

    /// Add a link (after start, as `Span::add_link` does), within the link limits.
    pub fn add_link(&mut self, span_context: SpanContext, mut attributes: Vec<KeyValue>) {
        if self.ended || !span_context.is_valid() {
            return;
        }
        if self.links.len() < limit(LINKS) {
            let dropped = capped(&mut attributes, limit(LINK_ATTRIBUTES));
            self.links.push(Link::new(span_context, attributes, dropped));
        } else {
            self.dropped_links += 1;
        }
    }

    /// Set the status, as the SDK does: `Ok` is final, `Error` does not replace `Ok`.
    pub fn set_status(&mut self, status: Status) {
        if !self.ended && self.status != Status::Ok && !(matches!(status, Status::Unset)) {
            self.status = status;
        }
    }

    /// The SDK's view of an ended record (the exporter thread's half of the recording path).
    /// The attributes and events move out; the record gets a fresh list of the same
    /// capacity here, on the converting thread, so its next span pushes without allocating.
    pub fn to_span_data(&mut self, scopes: &[opentelemetry::InstrumentationScope]) -> SpanData {
        let room = self.attributes.capacity().max(16);
        let attributes = std::mem::replace(&mut self.attributes, Vec::with_capacity(room));
        let mut events = SpanEvents::default();
        events.events = std::mem::take(&mut self.events);
        events.dropped_count = self.dropped_events;
        SpanData {
            span_context: self.span_context.clone(),
            parent_span_id: self.parent_span_id,
            parent_span_is_remote: self.parent_is_remote,
            span_kind: self.kind.clone(),
            name: self.name.clone(),
            start_time: self.start,
            end_time: self.end,
            attributes,
            dropped_attributes_count: self.dropped_attributes,
            events,
            links: {
                let mut links = SpanLinks::default();
                links.links = std::mem::take(&mut self.links);
                links.dropped_count = self.dropped_links;
                links
            },
            status: self.status.clone(),
            instrumentation_scope: scopes.get(self.scope as usize).or(scopes.first()).cloned().unwrap_or_default(),
        }
    }

    fn reset(&mut self) {
        if self.owned {
            self.attributes.clear();
        } else {
            // Safety: no attribute owns memory (`'static` and interned strings, numbers), so
            // forgetting them frees nothing and leaks nothing.
            unsafe { self.attributes.set_len(0) }
        }
        self.owned = false;
        self.events.clear();
        self.links.clear();
        self.dropped_attributes = 0;
        self.dropped_events = 0;
        self.dropped_links = 0;
        self.status = Status::Unset;
        self.ended = false;
        self.name = Cow::Borrowed("");
        // `cx` and `parent` are not cleared here: `end` takes both before a record can come
        // back (and the next start overwrites them), so dropping them again is only checks.
        debug_assert!(self.cx.is_none() && self.parent.is_none(), "a record back before its end");
    }
}

/// A shared, locked record: what a recording handle points to.
pub type Shared = Arc<Lock<Record>>;

/// A started span, owned: what a handle is made from and turned back into.
pub enum SpanState {
    Recording(Shared),
    /// Not recording: the context to make current on attach (an unsampled parent's context,
    /// or one holding the fresh ids of a dropped root).
    Inert(Box<Context>),
    /// Not recording, child of the unsampled current context: nothing to keep, attaching
    /// it leaves that context current (the cheapest path, with no allocation).
    Current,
}

/// A borrowed view of a live handle.
#[derive(Clone, Copy)]
pub enum SpanRef<'a> {
    Recording(&'a Lock<Record>),
    Inert(&'a Context),
    Current,
}

/// Low bit of a handle: set for a recording span (both pointees are at least 8-aligned).
const RECORDING: u64 = 1;
/// The handle of [`SpanState::Current`] (no tag bit, and no allocation lives at 8); the
/// prelude skips ending it (`OTEL_SPAN_CURRENT`).
pub const CURRENT: u64 = crate::abi::OTEL_SPAN_CURRENT;

impl SpanState {
    /// The handle (never 0).
    #[inline]
    pub fn into_handle(self) -> u64 {
        match self {
            SpanState::Recording(rec) => Arc::into_raw(rec) as u64 | RECORDING,
            SpanState::Inert(cx) => Box::into_raw(cx) as u64,
            SpanState::Current => CURRENT,
        }
    }

    /// Take back ownership of a handle.
    ///
    /// # Safety
    /// `handle` must come from [`SpanState::into_handle`], once; it is invalid afterwards.
    #[inline]
    pub unsafe fn from_handle(handle: u64) -> SpanState {
        if handle & RECORDING != 0 {
            SpanState::Recording(unsafe { Arc::from_raw((handle & !RECORDING) as *const Lock<Record>) })
        } else if handle == CURRENT {
            SpanState::Current
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
            SpanRef::Recording(unsafe { &*((handle & !RECORDING) as *const Lock<Record>) })
        } else if handle == CURRENT {
            SpanRef::Current
        } else {
            SpanRef::Inert(unsafe { &*(handle as *const Context) })
        }
    }

    /// The recording span behind a handle, read from its tag alone.
    ///
    /// # Safety
    /// As for [`SpanRef::from_handle`] (0 is accepted: `None`).
    #[inline(always)]
    pub unsafe fn recording(handle: u64) -> Option<&'a Lock<Record>> {
        if handle & RECORDING != 0 { Some(unsafe { &*((handle & !RECORDING) as *const Lock<Record>) }) } else { None }
    }

    #[inline]
    pub fn is_recording(self) -> bool {
        matches!(self, SpanRef::Recording(_))
    }

    /// The context that makes this span current (built on the first call, then cached).
    pub fn context(self) -> Context {
        match self {
            SpanRef::Inert(cx) => cx.clone(),
            SpanRef::Current => Context::current(),
            SpanRef::Recording(lock) => {
                let mut rec = lock.lock();
                if let Some(cx) = &rec.cx {
                    return cx.clone();
                }
                if rec.ended {
                    return rec.parent.clone().unwrap_or_else(Context::current);
                }
                let view = View { span_context: rec.span_context.clone(), record: share(lock) };
                let cx = match &rec.parent {
                    Some(parent) => parent.with_span(view),
                    None => Context::current().with_span(view),
                };
                rec.cx = Some(cx.clone());
                cx
            }
        }
    }
}

/// Run `f` on the context a record keeps of its own: the one its first attach built, else
/// the explicit parent it was started under; `None` for a span of the current context not
/// attached yet (it will be built on what is current then).
pub fn with_own_context<R>(lock: &Lock<Record>, f: impl FnOnce(Option<&Context>) -> R) -> R {
    let rec = lock.lock();
    f(rec.cx.as_ref().or(rec.parent.as_ref()))
}

/// Another owner of the record behind `lock`.
#[inline]
pub fn share(lock: &Lock<Record>) -> Shared {
    // Safety: `lock` lives inside an `Arc`: every recording handle, and every `SpanRef` made
    // from one, is one.
    unsafe {
        let ptr: *const Lock<Record> = lock;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    }
}

/// A record as an `opentelemetry` span, for the context it is attached in: what
/// application code reaches through `get_active_span`. Ending it there is ignored (the
/// woven code that started the span ends it).
#[derive(Debug)]
struct View {
    span_context: SpanContext,
    record: Shared,
}

impl opentelemetry::trace::Span for View {
    fn add_event_with_timestamp<T: Into<Cow<'static, str>>>(
        &mut self,
        name: T,
        timestamp: SystemTime,
        attributes: Vec<KeyValue>,
    ) {
        self.record.lock().add_event_at(name.into(), timestamp, attributes);
    }
    fn span_context(&self) -> &SpanContext {
        &self.span_context
    }
    fn is_recording(&self) -> bool {
        !self.record.lock().ended
    }
    fn set_attribute(&mut self, attribute: KeyValue) {
        self.record.lock().set(attribute);
    }
    fn set_status(&mut self, status: Status) {
        self.record.lock().set_status(status);
    }
    fn update_name<T: Into<Cow<'static, str>>>(&mut self, new_name: T) {
        self.record.lock().update_name(new_name.into());
    }
    fn add_link(&mut self, span_context: SpanContext, attributes: Vec<KeyValue>) {
        self.record.lock().add_link(span_context, attributes);
    }
    fn end_with_timestamp(&mut self, _timestamp: SystemTime) {}
}

/// A one-byte lock around a record. Every handle has one owner and is practically never
/// touched from two threads at once (the prelude's `Span` is `Sync` only so futures holding
/// it can be), so the uncontended path is what matters: one compare-and-swap to take, one
/// plain release store to give back (`std::sync::Mutex` pays a second read-modify-write to
/// release, and poisoning). Under contention it spins briefly, then yields.
pub struct Lock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// Safety: `value` is only reached through a `LockGuard`, which the flag makes exclusive.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T: std::fmt::Debug> std::fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lock(..)")
    }
}

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
        None => Cow::Owned(owned_text(bytes)),
    }
}

/// `bytes` as an owned string, invalid UTF-8 replaced: `from_utf8` first, which validates
/// far faster than the lossy decoder walks (URLs and query texts are most of these).
fn owned_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A string value: interned when it fits the values table (short values repeat: methods,
/// schemes, hosts), else an owned copy.
#[inline]
pub fn short_text(bytes: &[u8]) -> Cow<'static, str> {
    if bytes.len() <= intern::MAX_VALUE_LEN
        && let Some(s) = intern::VALUES.get(bytes)
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(owned_text(bytes))
}

/// A string attribute value: interned when short (no allocation), else an owned copy
/// (invalid UTF-8 replaced); and whether the value owns its copy.
#[inline]
pub fn str_value_owned(bytes: &[u8]) -> (Value, bool) {
    match short_text(bytes) {
        Cow::Borrowed(s) => (Value::from(s), false),
        Cow::Owned(s) => (Value::from(s), true),
    }
}

/// An attribute key: interned (no allocation) when possible; and whether it owns its copy.
#[inline]
pub fn key_owned(bytes: &[u8]) -> (Key, bool) {
    match intern::KEYS.get(bytes) {
        Some(s) => (Key::from_static_str(s), false),
        None => (Key::new(owned_text(bytes)), true),
    }
}

// The pool of records. A thread takes from its own free list; the exporter thread returns
// shells in batches to a shared list, from which a thread refills its own in one lock.
const LOCAL_MAX: usize = 256;
const SHARED_MAX: usize = 8192;
const REFILL: usize = 64;

/// A thread's first refill: most threads that are not long-lived workers end a span or two
/// (a scoped thread, a blocking call), and a full refill moved 64 shells there and back (1.7k
/// instructions per service-b request, two scoped threads). Each later refill doubles, up to
/// [`REFILL`].
const FIRST_REFILL: usize = 4;

thread_local! {
    static FREE: FreeList = const { FreeList(RefCell::new(Vec::new()), std::cell::Cell::new(FIRST_REFILL)) };
}
static RETURNED: Mutex<Vec<Shared>> = Mutex::new(Vec::new());

/// A thread's free list and the size of its next refill. What is left in it when the
/// thread exits goes back to the shared list: a thread that lives for one request (a
/// scoped thread, a blocking-pool thread) would otherwise take its refill with it, and the
/// pool would allocate again (12 records per /orders/1 request in service-b,
/// docs/benchmarks.md).
struct FreeList(RefCell<Vec<Shared>>, std::cell::Cell<usize>);

impl Drop for FreeList {
    fn drop(&mut self) {
        give_back(std::mem::take(self.0.get_mut()));
    }
}

#[inline]
fn take_record() -> Shared {
    let reused = FREE
        .try_with(|free_list| {
            let mut free = free_list.0.borrow_mut();
            if free.is_empty() {
                let n = free_list.1.get();
                free_list.1.set((2 * n).min(REFILL));
                refill(&mut free, n);
            }
            free.pop()
        })
        .ok()
        .flatten();
    reused.unwrap_or_else(|| Arc::new(Lock::new(Record::blank())))
}

#[cold]
fn refill(free: &mut Vec<Shared>, n: usize) {
    let mut shared = RETURNED.lock().unwrap_or_else(|e| e.into_inner());
    let from = shared.len().saturating_sub(n);
    free.extend(shared.drain(from..));
}

/// Give records back to the pool once nothing else holds them (a context a task kept
/// alive holds one until it drops; that one is then simply freed).
pub fn recycle(records: impl IntoIterator<Item = Shared>) {
    let mut shells: Vec<Shared> = Vec::new();
    for mut rec in records {
        if let Some(lock) = Arc::get_mut(&mut rec) {
            let r = lock.get_mut();
            // A sink that read the record in place left its lists: keep their capacity.
            r.reset();
            if r.attributes.capacity() == 0 {
                r.attributes.reserve(16);
            }
            shells.push(rec);
        }
    }
    give_back(shells);
}

/// Put reset shells on the shared list, as many as it has room for (the rest are freed).
fn give_back(mut shells: Vec<Shared>) {
    if shells.is_empty() {
        return;
    }
    let mut shared = RETURNED.lock().unwrap_or_else(|e| e.into_inner());
    let room = SHARED_MAX.saturating_sub(shared.len());
    shells.truncate(room);
    shared.append(&mut shells);
}

/// Give one record back from the thread that ended it (no export: unsampled, or dropped).
fn recycle_local(mut rec: Shared) {
    if let Some(lock) = Arc::get_mut(&mut rec) {
        lock.get_mut().reset();
        let _ = FREE.try_with(|free| {
            let mut free = free.0.borrow_mut();
            if free.len() < LOCAL_MAX {
                free.push(rec);
            }
        });
    }
}

/// What a span starts under.
#[derive(Clone, Copy)]
pub enum Parent<'a> {
    /// A context woven code gave: kept for the span's first attach.
    Explicit(&'a Context),
    /// The current context, read in place (`context::with_parent`).
    Current(&'a Context),
    /// A recording span current on this thread and not yet published to the API's stack
    /// (`context::with_parent` hands one only under the parent-based sampler's defaults).
    Record(&'a Lock<Record>),
}

/// What a span is started with.
pub struct Start<'a> {
    pub parent: Parent<'a>,
    pub kind: u32,
    /// The instrumentation scope; 0: the one the thread is in (`scope::ambient`).
    pub scope: u32,
}

/// Start a span under `parent`. `name` is only decoded when the span records.
pub fn start(rt: &Runtime, parent: Parent<'_>, name: impl FnOnce() -> Cow<'static, str>, kind: u32) -> SpanState {
    start_with(rt, Start { parent, kind, scope: 0 }, name, |_| {})
}

/// [`start`], with the attributes written by `attrs` straight into a fresh record (no lock).
#[inline]
pub fn start_with(
    rt: &Runtime,
    start: Start<'_>,
    name: impl FnOnce() -> Cow<'static, str>,
    attrs: impl FnOnce(&mut Record),
) -> SpanState {
    let (parent_valid, parent_sampled) = match start.parent {
        Parent::Explicit(cx) | Parent::Current(cx) => {
            let span = cx.span();
            let sc = span.span_context();
            (sc.is_valid(), sc.is_sampled())
        }
        // A record is sampled: an unsampled span has none.
        Parent::Record(_) => (true, true),
    };
    if rt.parent_fast_path && parent_valid && !parent_sampled {
        // A span of the current context attaches in the context current then (see below),
        // which here is this unsampled parent again: nothing to keep.
        return match start.parent {
            Parent::Explicit(cx) => SpanState::Inert(Box::new(cx.clone())),
            _ => SpanState::Current,
        };
    }
    start_sampling(rt, start, name, attrs)
}

/// The rest of [`start_with`], out of line: the unsampled test above stays a small frame.
#[inline(never)]
fn start_sampling(
    rt: &Runtime,
    start: Start<'_>,
    name: impl FnOnce() -> Cow<'static, str>,
    attrs: impl FnOnce(&mut Record),
) -> SpanState {
    let kind = kind_from_u32(start.kind);
    // Decoded once, here (the sampler may read it): one call site keeps `name` inlined.
    let name = name();
    let (trace_id, trace_state, parent_ids, parent) = match start.parent {
        Parent::Record(parent) => {
            let (trace_id, trace_state, span_id) = ids_of(parent);
            (trace_id, trace_state, (span_id, false), None)
        }
        Parent::Explicit(cx) | Parent::Current(cx) => {
            let explicit = matches!(start.parent, Parent::Explicit(_));
            // The parent's ids, read in place (its trace state is cloned only for a sampled child).
            let (parent_valid, parent_trace, parent_span, parent_remote) = {
                let span = cx.span();
                let sc = span.span_context();
                (sc.is_valid(), sc.trace_id(), sc.span_id(), sc.is_remote())
            };
            let trace_id = if parent_valid { parent_trace } else { crate::ids::trace_id() };
            // Under a parent-based sampler an unsampled parent returned above, so a valid one
            // is sampled; `always_on` samples under any parent. Both keep its trace state.
            let (sampled, trace_state) = if rt.child_of_sampled && parent_valid {
                (true, cx.span().span_context().trace_state().clone())
            } else if rt.root_always_on && !parent_valid {
                (true, TraceState::NONE)
            } else {
                use opentelemetry_sdk::trace::ShouldSample;
                let result = rt.sampler.should_sample(Some(cx), trace_id, &name, &kind, &[], &[]);
                (matches!(result.decision, SamplingDecision::RecordAndSample), result.trace_state)
            };
            if !sampled {
                let sc = SpanContext::new(trace_id, crate::ids::span_id(), TraceFlags::default(), false, trace_state);
                return SpanState::Inert(Box::new(cx.with_remote_span_context(sc)));
            }
            let parent_ids = if parent_valid { (parent_span, parent_remote) } else { (SpanId::INVALID, false) };
            // An explicit parent is kept for the attach (semconv calls add their marker to
            // it, a task is polled elsewhere); a span of the current context is attached in
            // the context current at its first attach: the same one wherever woven code
            // starts a span (a guard right after the start, or the first poll of the future
            // it instruments), so the clone is saved.
            (trace_id, trace_state, parent_ids, explicit.then(|| cx.clone()))
        }
    };
    record_span(start.scope, trace_id, trace_state, parent_ids, kind, name, parent, attrs)
}

/// What a child of a pending record takes from it, out of line (non-generic: the starts keep
/// one call of `attrs`, which is then inlined). Under the parent-based defaults and
/// `always_on` (the only cases `context::with_parent` hands a record in) that child is
/// sampled, in the record's trace.
#[inline(never)]
fn ids_of(parent: &Lock<Record>) -> (TraceId, TraceState, SpanId) {
    let p = parent.lock();
    let sc = &p.span_context;
    (sc.trace_id(), sc.trace_state().clone(), sc.span_id())
}

/// A sampled span's record, filled in.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn record_span(
    scope: u32,
    trace_id: TraceId,
    trace_state: TraceState,
    (parent_span, parent_remote): (SpanId, bool),
    kind: SpanKind,
    name: Cow<'static, str>,
    parent: Option<Context>,
    attrs: impl FnOnce(&mut Record),
) -> SpanState {
    let shared = take_record();
    {
        let mut rec = shared.lock();
        rec.span_context = SpanContext::new(trace_id, crate::ids::span_id(), TraceFlags::SAMPLED, false, trace_state);
        rec.parent_span_id = parent_span;
        rec.parent_is_remote = parent_remote;
        rec.kind = kind;
        rec.name = name;
        // 0: the thread's scope (read only for a span that records).
        rec.scope = if scope != 0 { scope } else { crate::scope::ambient() };
        rec.parent = parent;
        rec.start = SystemTime::now();
        attrs(&mut rec);
    }
    SpanState::Recording(shared)
}

/// Replace the parent context of a span not yet attached with `amend(parent)` when it
/// gives one (a semconv call's marker, `semconv::Call::context`); a span of the current
/// context takes the context current now, as its first attach would.
///
/// Must come before the attach it is for: once attached, the context is cached.
pub fn amend_parent(lock: &Lock<Record>, amend: impl FnOnce(&Context) -> Option<Context>) {
    let mut rec = lock.lock();
    if rec.cx.is_some() || rec.ended {
        return;
    }
    let parent = rec.parent.take().unwrap_or_else(Context::current);
    rec.parent = Some(amend(&parent).unwrap_or(parent));
}

/// Add an attribute, saying whether it may own heap memory (`false` only for `'static` or
/// interned keys and strings, and numbers): a record whose attributes own nothing is reset
/// without dropping them one by one (9 drops were 270 instructions of a /hello request).
pub fn set(state: &Lock<Record>, key: Key, value: Value, owned: bool) {
    state.lock().push(KeyValue::new(key, value), owned);
}

pub fn update_name(state: &Lock<Record>, name: Cow<'static, str>) {
    state.lock().update_name(name);
}

pub fn add_event(state: &Lock<Record>, name: Cow<'static, str>, attributes: Vec<KeyValue>) {
    state.lock().add_event(name, attributes);
}

/// Status codes of the ABI: 0 unset, 1 ok, 2 error (with `desc`).
pub fn set_status(state: &Lock<Record>, code: u32, desc: impl FnOnce() -> String) {
    let status = match code {
        1 => Status::Ok,
        2 => Status::error(desc()),
        _ => return,
    };
    state.lock().set_status(status);
}

/// End a span: stamp it, break the record ↔ context cycle, and hand it to the export queue.
pub fn end(state: SpanState) {
    let SpanState::Recording(shared) = state else { return };
    let (cx, parent) = {
        let mut rec = shared.lock();
        if rec.ended {
            return;
        }
        rec.end = SystemTime::now();
        rec.ended = true;
        (rec.cx.take(), std::mem::take(&mut rec.parent))
    };
    // Dropped outside the lock: the cached context holds a view that takes it.
    drop(cx);
    drop(parent);
    match crate::lifecycle::runtime() {
        Some(rt) => {
            if let Some(back) = rt.spans.submit(shared) {
                recycle_local(back);
            }
        }
        None => recycle_local(shared),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attribute said to own memory is dropped at reset (one said to own nothing is
    /// forgotten: the flag is what keeps the pool from leaking).
    #[test]
    fn a_reset_drops_what_an_owned_attribute_holds() {
        let shared: Arc<str> = Arc::from("a statement's text, shared by its spans");
        let rec: Shared = Arc::new(Lock::new(Record::blank()));
        set(&rec, Key::from_static_str("db.query.text"), Value::String(shared.clone().into()), true);
        set(&rec, Key::from_static_str("n"), Value::I64(1), false);
        assert_eq!(Arc::strong_count(&shared), 2);
        rec.lock().reset();
        assert_eq!(Arc::strong_count(&shared), 1);
    }

    /// The shells a thread holds when it exits are back in the shared list.
    #[test]
    fn a_threads_free_list_goes_back_when_the_thread_exits() {
        recycle((0..2 * REFILL).map(|_| Arc::new(Lock::new(Record::blank()))).collect::<Vec<_>>());
        let held = std::thread::spawn(|| {
            let rec = take_record();
            let mut held: Vec<usize> =
                FREE.with(|free| free.0.borrow().iter().map(|r| Arc::as_ptr(r) as usize).collect());
            held.push(Arc::as_ptr(&rec) as usize);
            recycle_local(rec);
            held
        })
        .join()
        .expect("the thread ran");
        assert!(held.len() > 1, "the thread refilled from the shared list");
        assert!(held.len() <= FIRST_REFILL, "a new thread's first refill is small: {}", held.len());
        let shared = RETURNED.lock().unwrap_or_else(|e| e.into_inner());
        let back = held.iter().filter(|p| shared.iter().any(|r| Arc::as_ptr(r) as usize == **p)).count();
        assert_eq!(back, held.len(), "every shell the thread held is back");
    }
}
