//! Context handles and attach tokens: what `__otel_v1_ctx_*` and `__otel_v1_span_attach`
//! deal in.
//!
//! The current context *is* `opentelemetry::Context` (the opentelemetry crate's thread-local
//! stack), so spans the application creates with opentelemetry 0.33 nest under ours and
//! ours under theirs, and `tracing-opentelemetry` 0.34 (which attaches its contexts to the
//! same stack on enter) joins the same tree.
//!
//! - A context handle is a `Box<Context>` as `u64` (0 = empty).
//! - An attach token is the 1-based position of its `ContextGuard` on this thread's guard
//!   stack (a thread-local `Vec`, so attaching allocates nothing in steady state);
//!   detaching drops the guard, which restores what was current before. The prelude
//!   detaches in LIFO order (guards are scoped values); an out-of-order detach drops its
//!   guard in place (the OTel stack tolerates that) and leaves an empty slot, popped with
//!   the guards above it.
//! - The prelude's `Instrumented`/`Propagated` attach for exactly one poll, so a parked task
//!   never leaves its context on a worker thread.

use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, ContextGuard};
use std::cell::RefCell;

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

thread_local! {
    static GUARDS: RefCell<Vec<Option<ContextGuard>>> = const { RefCell::new(Vec::new()) };
}

/// Make `cx` current on this thread; the token restores the previous context.
pub fn attach(cx: Context) -> u64 {
    let guard = cx.attach();
    GUARDS
        .try_with(|stack| {
            let mut stack = stack.borrow_mut();
            stack.push(Some(guard));
            stack.len() as u64
        })
        .unwrap_or(0)
}

/// # Safety
/// `token` must come from [`attach`], once, on the thread that attached it.
pub unsafe fn detach(token: u64) {
    let _ = GUARDS.try_with(|stack| {
        let dropped = {
            let mut stack = stack.borrow_mut();
            let at = token as usize;
            if at == 0 || at > stack.len() {
                return;
            }
            let guard = stack[at - 1].take();
            while stack.last().is_some_and(Option::is_none) {
                stack.pop();
            }
            guard
        };
        // Outside the borrow: dropping a guard may drop a context, and with it a span view.
        drop(dropped);
    });
}
