//! Context handles, attach tokens and the thread's stack of what woven code made current.
//!
//! The current context *is* `opentelemetry::Context` (the opentelemetry crate's thread-local
//! stack), so spans the application creates with opentelemetry 0.33 nest under ours and
//! ours under theirs, and `tracing-opentelemetry` 0.34 (which attaches its contexts to the
//! same stack on enter) joins the same tree.
//!
//! - A context handle is a `Box<Context>` as `u64` (0 = empty).
//! - An attach token is the 1-based position of its entry on this thread's stack of
//!   attached spans and contexts (a thread-local `Vec`, so attaching allocates nothing in
//!   steady state); detaching drops the entry, which restores what was current before. The
//!   prelude detaches in LIFO order (guards are scoped values); an out-of-order detach
//!   empties its entry in place (the OTel stack tolerates that) and leaves an empty slot,
//!   popped with the entries above it.
//! - The prelude's `Instrumented`/`Propagated` attach for exactly one poll, so a parked task
//!   never leaves its context on a worker thread.
//!
//! **Published on demand** (ADR 0003, "Context published on demand"). Making a span current
//! through the API costs an `opentelemetry::Context` (an `Arc` and a boxed span the first
//! time) and a push on the API's stack, and most attaches are never read through the API:
//! a task's poll, a server call whose handler starts only woven spans. When the build wove
//! the opentelemetry crate's two doors to its stack (`Context::map_current`, through which
//! every read goes, and `Context::attach`; `rules/opentelemetry`), an entry stays *pending*
//! on this stack, and [`sync`] (what those doors call) publishes the pending entries, bottom
//! up, before the API reads or changes its stack. The runtime reads pending entries in
//! place ([`with_parent`], [`find`], [`current_span_context`]). Whether the doors are woven
//! is not known when the runtime compiles; [`probe`] asks them once, at start-up, and
//! without both every attach is published at once, as before.
//!
//! Invariant: pending entries are above every entry on the API's stack that is still
//! current, so publishing them in order gives the API the stack woven code built.

use crate::span::{Lock, Parent, Record, Shared, SpanRef};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::{Context, ContextGuard};
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicBool, Ordering};

/// Box a context into a handle.
pub fn into_handle(cx: Context) -> u64 {
    Box::into_raw(Box::new(cx)) as u64
}

/// A handle for `cx`, or 0 when it carries neither a span nor baggage.
pub fn handle_if_meaningful(cx: &Context) -> u64 {
    if cx.has_active_span() || !cx.baggage().is_empty() { into_handle(cx.clone()) } else { 0 }
}

/// Borrow the context behind a non-zero handle.
///
/// # Safety
/// `handle` must come from [`into_handle`] and not have been dropped.
pub unsafe fn borrow<'a>(handle: u64) -> &'a Context {
    unsafe { &*(handle as *const Context) }
}

/// # Safety
/// As for [`borrow`]; the handle is invalid afterwards.
pub unsafe fn drop_handle(handle: u64) {
    drop(unsafe { Box::from_raw(handle as *mut Context) });
}

/// Builds the API context of an attached span from its handle (exports.rs: a semconv call
/// adds its marker first).
pub type Build = unsafe fn(u64) -> Context;

enum Item {
    /// A recording span: its handle (a span's or a semconv call's), how to build its API
    /// context, and the record itself, kept alive while it is attached.
    Span {
        handle: u64,
        build: Build,
        record: Shared,
    },
    Context(Context),
    /// Published (the guard holds it) or detached out of order.
    Empty,
}

struct Entry {
    item: Item,
    guard: Option<ContextGuard>,
}

struct Stack {
    entries: RefCell<Vec<Entry>>,
    /// `entries[..published]` are on the API's stack (or empty); the rest are pending.
    published: Cell<usize>,
    len: Cell<usize>,
    /// A publish or an in-place read is running: the woven doors must not start another.
    busy: Cell<bool>,
    /// [`assume_doors_woven`] on this thread: 0 follow [`probe`], 1 pending, 2 published.
    assumed: Cell<u8>,
}

thread_local! {
    static STACK: Stack = const {
        Stack {
            entries: RefCell::new(Vec::new()),
            published: Cell::new(0),
            len: Cell::new(0),
            busy: Cell::new(false),
            assumed: Cell::new(0),
        }
    };
}

thread_local! {
    /// How many entries of [`STACK`] are pending: what the hot paths test, in a thread-local
    /// without a destructor (no registration state to check on each read).
    static WAITING: Cell<usize> = const { Cell::new(0) };
}

/// Whether anything is pending on this thread (read only where some thread may keep
/// entries pending: a relaxed load spares every other build the thread-local read).
#[inline(always)]
fn waiting() -> bool {
    ANY_PENDING.load(Ordering::Relaxed) && WAITING.get() != 0
}

/// Some thread may keep entries pending: [`probe`] found the doors, or a thread assumed them.
static ANY_PENDING: AtomicBool = AtomicBool::new(false);

/// Bring [`WAITING`] up to date with `s`.
#[inline]
fn settle(s: &Stack) {
    WAITING.set(s.len.get().saturating_sub(s.published.get()));
}

/// Whether attaches stay pending until the API looks ([`probe`] found both doors woven).
static ON_DEMAND: AtomicBool = AtomicBool::new(false);

/// Ask the opentelemetry crate's doors whether they call [`sync`]; entries stay pending
/// from now on only if both do. Run once, at start-up.
pub fn probe() {
    // A door that calls back moves PROBE from ASKING to ANSWERED (in [`sync`]).
    let answers = |door: &dyn Fn()| {
        PROBE.set(ASKING);
        door();
        PROBE.replace(IDLE) == ANSWERED
    };
    let reads = answers(&|| Context::map_current(|_| ()));
    let woven = reads && answers(&|| drop(Context::new().attach()));
    ON_DEMAND.store(woven, Ordering::Release);
    if woven {
        ANY_PENDING.store(true, Ordering::Release);
    }
    crate::diag::emit(crate::diag::Level::Debug, || {
        format!(
            "otel-runtime: context doors of the opentelemetry crate {}",
            if woven {
                "woven: attaches are published to the API on demand"
            } else {
                "not woven: every attach is published"
            }
        )
    });
}

/// On this thread, keep entries pending (or not) whatever [`probe`] found: for tests and
/// for `span_cost`'s row of what a woven build does, where nothing reads the API's stack
/// without a door. Not for programs that do.
#[doc(hidden)]
pub fn assume_doors_woven(on: bool) {
    if on {
        ANY_PENDING.store(true, Ordering::Release);
    }
    let _ = STACK.try_with(|s| s.assumed.set(if on { 1 } else { 2 }));
}

#[inline]
fn on_demand(s: &Stack) -> bool {
    match s.assumed.get() {
        0 => ON_DEMAND.load(Ordering::Relaxed),
        assumed => assumed == 1,
    }
}

/// What the woven doors of the API's stack call first (`__otel_v1_ctx_sync`): publish what is
/// pending, so the API sees, and builds on, the context woven code made current.
#[inline]
pub fn sync() {
    if waiting() {
        let _ = STACK.try_with(|s| {
            if !s.busy.get() {
                publish(s);
            }
        });
    } else if PROBE.get() == ASKING {
        PROBE.set(ANSWERED);
    }
}

thread_local! {
    /// [`probe`]'s question to the doors on this thread: [`IDLE`], [`ASKING`] or [`ANSWERED`].
    static PROBE: Cell<u8> = const { Cell::new(IDLE) };
}
const IDLE: u8 = 0;
const ASKING: u8 = 1;
const ANSWERED: u8 = 2;

/// Marks the stack busy for its lifetime (a panic inside still clears it).
struct Busy<'a>(&'a Stack, bool);

impl<'a> Busy<'a> {
    fn enter(s: &'a Stack) -> Busy<'a> {
        Busy(s, s.busy.replace(true))
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.set(self.1);
    }
}

/// Publish the pending entries, bottom up. Building an entry's context reads the API's
/// current context (its parent: the entry below, published just before); the doors see
/// `busy` and leave that read alone.
#[inline(never)]
fn publish(s: &Stack) {
    let _busy = Busy::enter(s);
    loop {
        let at = s.published.get();
        if at >= s.len.get() {
            break;
        }
        let item = std::mem::replace(&mut s.entries.borrow_mut()[at].item, Item::Empty);
        s.published.set(at + 1);
        let cx = match item {
            Item::Span { handle, build, record } => {
                let cx = unsafe { build(handle) };
                drop(record);
                cx
            }
            Item::Context(cx) => cx,
            Item::Empty => continue,
        };
        let guard = cx.attach();
        if let Some(entry) = s.entries.borrow_mut().get_mut(at) {
            entry.guard = Some(guard);
        }
    }
    settle(s);
}

/// Push an entry: pending (`item`) when the doors are woven, else published at once (the
/// context `now` builds, attached to the API's stack).
#[inline]
fn push(item: impl FnOnce() -> Item, now: impl FnOnce() -> Context) -> u64 {
    STACK
        .try_with(|s| {
            let entry = if on_demand(s) {
                Entry { item: item(), guard: None }
            } else {
                // What is below is published too (nothing stays pending without the doors).
                Entry { item: Item::Empty, guard: Some(now().attach()) }
            };
            let token = {
                let mut entries = s.entries.borrow_mut();
                entries.push(entry);
                entries.len()
            };
            s.len.set(token);
            if entries_published(s) {
                s.published.set(token);
            }
            settle(s);
            token as u64
        })
        .unwrap_or(0)
}

/// Whether everything on `s` but the entry just pushed is published and that one was too.
#[inline]
fn entries_published(s: &Stack) -> bool {
    s.published.get() + 1 == s.len.get() && s.entries.borrow().last().is_some_and(|e| e.guard.is_some())
}

/// Make a recording span current on this thread (`handle` is what woven code holds, `build`
/// makes its API context when the API needs it); the token restores the previous context.
pub fn attach_span(handle: u64, record: &Lock<Record>, build: Build) -> u64 {
    push(|| Item::Span { handle, build, record: crate::span::share(record) }, || unsafe { build(handle) })
}

/// Make `cx` current on this thread; the token restores the previous context.
pub fn attach(cx: Context) -> u64 {
    let cell = std::cell::Cell::new(Some(cx));
    push(|| Item::Context(cell.take().unwrap_or_default()), || cell.take().unwrap_or_default())
}

/// # Safety
/// `token` must come from [`attach`] or [`attach_span`], once, on the thread that attached it.
pub unsafe fn detach(token: u64) {
    let _ = STACK.try_with(|s| {
        let dropped = {
            let Ok(mut entries) = s.entries.try_borrow_mut() else { return };
            let at = token as usize;
            if at == 0 || at > entries.len() {
                return;
            }
            let entry = &mut entries[at - 1];
            let dropped = (std::mem::replace(&mut entry.item, Item::Empty), entry.guard.take());
            while entries.last().is_some_and(|e| matches!(e.item, Item::Empty) && e.guard.is_none()) {
                entries.pop();
            }
            s.len.set(entries.len());
            s.published.set(s.published.get().min(entries.len()));
            settle(s);
            dropped
        };
        // Outside the borrow, guard first (the API's stack pops its context): dropping a
        // context may drop a span view, and with it a record.
        drop(dropped.1);
        drop(dropped.0);
    });
}

/// Publish what is pending if `handle` is among it (a call about to be freed).
pub fn forget(handle: u64) {
    if !waiting() {
        return;
    }
    let _ = STACK.try_with(|s| {
        let at = s.published.get();
        if at >= s.len.get() || s.busy.get() {
            return;
        }
        let found = s.entries.try_borrow().is_ok_and(|entries| {
            entries[at.min(entries.len())..]
                .iter()
                .any(|e| matches!(e.item, Item::Span { handle: h, .. } if h == handle))
        });
        if found {
            publish(s);
        }
    });
}

/// Run `f` with the current parent (what a span started now with no explicit parent starts
/// under), read in place. `fast`: the sampler is parent-based with
/// its defaults, so a pending record is a parent as it is; otherwise the sampler is handed
/// the API's context, and what is pending is published first.
#[inline]
pub fn with_parent<R>(fast: bool, f: impl FnOnce(Parent<'_>) -> R) -> R {
    if waiting() {
        return with_pending_parent(fast, f);
    }
    // Nothing pending: the API's context is the current one.
    Context::map_current(|cx| f(Parent::Current(cx)))
}

/// [`with_parent`] with entries pending, out of line (the hot path above inlines `f` once).
#[inline(never)]
fn with_pending_parent<R>(fast: bool, f: impl FnOnce(Parent<'_>) -> R) -> R {
    enum Top {
        Record(Shared),
        Context(Context),
    }
    let top = if fast {
        STACK
            .try_with(|s| {
                let entries = s.entries.borrow();
                entries[s.published.get().min(entries.len())..].iter().rev().find_map(|e| match &e.item {
                    Item::Span { record, .. } => Some(Top::Record(record.clone())),
                    Item::Context(cx) => Some(Top::Context(cx.clone())),
                    Item::Empty => None,
                })
            })
            .ok()
            .flatten()
    } else {
        None
    };
    match top {
        Some(Top::Record(record)) => f(Parent::Record(&record)),
        Some(Top::Context(cx)) => f(Parent::Current(&cx)),
        None => with_current(|cx| f(Parent::Current(cx))),
    }
}

/// Run `f` on the API's current context, everything attached published first.
#[inline]
pub fn with_current<R>(f: impl FnOnce(&Context) -> R) -> R {
    sync();
    Context::map_current(f)
}

/// The API's current context, everything attached published first.
pub fn current() -> Context {
    with_current(Context::clone)
}

/// What [`find`] sees, top down.
pub enum Seen<'a> {
    /// A pending recording span, by the handle woven code attached.
    Span(u64, &'a Lock<Record>),
    /// A pending context, or (last) the API's current one.
    Context(&'a Context),
}

/// Look for something in the current context without publishing: `f` sees the pending
/// entries top down, then the API's current context, and returns `Some` to stop (the
/// answer), `None` to look further down. A span whose record keeps an explicit parent
/// should look there and stop, since it is not built on what is below it.
pub fn find<R>(mut f: impl FnMut(Seen<'_>) -> Option<Option<R>>) -> Option<R> {
    if waiting() {
        let found = STACK.try_with(|s| {
            let _busy = Busy::enter(s);
            let entries = s.entries.borrow();
            for entry in entries[s.published.get().min(entries.len())..].iter().rev() {
                let seen = match &entry.item {
                    Item::Span { handle, record, .. } => Seen::Span(*handle, record),
                    Item::Context(cx) => Seen::Context(cx),
                    Item::Empty => continue,
                };
                if let Some(answer) = f(seen) {
                    return Some(answer);
                }
            }
            // The API's own context, read with the doors kept quiet (`busy`).
            Some(Context::map_current(|cx| f(Seen::Context(cx))).flatten())
        });
        if let Ok(Some(answer)) = found {
            return answer;
        }
    }
    Context::map_current(|cx| f(Seen::Context(cx))).flatten()
}

/// The span context of the current span (invalid when there is none), read in place.
pub fn current_span_context() -> SpanContext {
    find(|seen| match seen {
        Seen::Span(_, record) => Some(Some(record.lock().span_context.clone())),
        Seen::Context(cx) => Some(cx.has_active_span().then(|| cx.span().span_context().clone())),
    })
    .unwrap_or_else(SpanContext::empty_context)
}

/// Whether anything attached on this thread is waiting to be published (tests).
#[cfg(test)]
pub(crate) fn pending() -> usize {
    STACK.with(|s| s.len.get() - s.published.get())
}

/// The context woven code gets for a span ([`SpanRef::context`]): what an eager attach
/// builds.
///
/// # Safety
/// `handle` is a live span handle.
pub unsafe fn build_span(handle: u64) -> Context {
    unsafe { SpanRef::from_handle(handle) }.context()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The doors, as the opentelemetry pack weaves them.
    fn read_through_door<R>(f: impl FnOnce(&Context) -> R) -> R {
        sync();
        Context::map_current(f)
    }

    #[test]
    fn without_woven_doors_every_attach_is_published_at_once() {
        let cx = Context::new().with_value(7u32);
        let token = attach(cx);
        assert_eq!(pending(), 0);
        assert_eq!(Context::map_current(|cx| cx.get::<u32>().copied()), Some(7));
        unsafe { detach(token) };
        assert_eq!(Context::map_current(|cx| cx.get::<u32>().copied()), None);
    }

    #[test]
    fn pending_contexts_publish_in_order_when_a_door_opens_and_detach_either_way() {
        assume_doors_woven(true);
        let outer = attach(Context::new().with_value(1u32));
        let inner = attach(Context::current().with_value(2u64));
        assert_eq!(pending(), 2);
        // Read in place: the top pending context answers, nothing is published.
        let found = find(|seen| match seen {
            Seen::Context(cx) => cx.get::<u64>().map(|v| Some(*v)),
            Seen::Span(..) => None,
        });
        assert_eq!((found, pending()), (Some(2), 2));
        // The API's door publishes both, bottom up.
        assert_eq!(read_through_door(|cx| cx.get::<u64>().copied()), Some(2));
        assert_eq!(pending(), 0);
        unsafe { detach(inner) };
        assert_eq!(read_through_door(|cx| (cx.get::<u32>().copied(), cx.get::<u64>().copied())), (Some(1), None));
        // Detached while pending: nothing reaches the API.
        let never = attach(Context::new().with_value(3u32));
        unsafe { detach(never) };
        assert_eq!(read_through_door(|cx| cx.get::<u32>().copied()), Some(1));
        unsafe { detach(outer) };
        assert_eq!(read_through_door(|cx| cx.get::<u32>().copied()), None);
        assume_doors_woven(false);
    }

    #[test]
    fn an_application_attach_through_the_door_stacks_above_what_is_pending() {
        assume_doors_woven(true);
        let ours = attach(Context::new().with_value(1u32));
        // `Context::attach` is a door too: what is pending goes first.
        sync();
        let theirs = Context::map_current(|cx| cx.with_value(2u64)).attach();
        assert_eq!(read_through_door(|cx| (cx.get::<u32>().copied(), cx.get::<u64>().copied())), (Some(1), Some(2)));
        drop(theirs);
        unsafe { detach(ours) };
        assert_eq!(read_through_door(|cx| cx.get::<u32>().copied()), None);
        assume_doors_woven(false);
    }
}
