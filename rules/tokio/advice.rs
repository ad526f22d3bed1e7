// Advice for tokio 1.x, spliced as `mod __otel_advice_tokio` at tokio's crate root.
//
// Every spawn funnel wraps the future (`__otel::task`) or closure (`blocking`) it receives:
// the context current at the spawn is carried into the task, and when the spawn happens
// *inside a trace*, in the application's own code, the task gets an INTERNAL span that is a
// child of the spawner's context and lasts for the task's life (first poll to completion, or
// the closure's run). The funnels are `#[track_caller]` from the public API down, so
// `Location::caller()` here is the user's spawn call.

use std::cell::Cell;
use std::future::Future;
use std::panic::Location;

thread_local! {
    /// The public API that is calling a funnel right now (`JoinSet::spawn` goes through
    /// `tokio::spawn`'s funnel): set by the API's OnEnter, taken by the funnel.
    static API: Cell<Option<&'static str>> = Cell::new(None);
}

/// Restores the previous API name when the public fn returns (or unwinds).
pub struct Api(Option<&'static str>);

impl Drop for Api {
    fn drop(&mut self) {
        let previous = self.0;
        let _ = API.try_with(|a| a.set(previous));
    }
}

fn api(name: &'static str) -> Api {
    Api(API.try_with(|a| a.replace(Some(name))).ok().flatten())
}

fn take_api(default: &'static str) -> &'static str {
    API.try_with(|a| a.take()).ok().flatten().unwrap_or(default)
}

pub fn joinset_spawn() -> Api {
    api("JoinSet::spawn")
}
pub fn joinset_spawn_on() -> Api {
    api("JoinSet::spawn_on")
}
pub fn joinset_spawn_local() -> Api {
    api("JoinSet::spawn_local")
}
pub fn joinset_spawn_local_on() -> Api {
    api("JoinSet::spawn_local_on")
}

/// `code.function.name` from the task's type: the fn that wrote the future or closure
/// (`service_b::quote::{{closure}}` → `service_b::quote`), boxes unwrapped.
fn function_name(type_name: &'static str) -> &'static str {
    let mut name = type_name;
    while let Some(inner) = name.strip_prefix("core::pin::Pin<alloc::boxed::Box<").and_then(|n| n.strip_suffix(">>")) {
        name = inner;
    }
    while let Some(outer) = name.strip_suffix("::{{closure}}") {
        name = outer;
    }
    name
}

fn start(
    parent: &__otel::Context,
    name: &'static str,
    at: &'static Location<'static>,
    function: &'static str,
    thread: bool,
) -> __otel::Span {
    if parent.is_empty() || !__otel::in_app(at.file()) || !__otel::enabled("tokio") {
        return __otel::Span::none();
    }
    // The name and the code attributes are `'static`, kept without a copy; the attributes
    // cross in one call, and only for a span that records (an unsampled one derives nothing).
    let span = __otel::Span::start_attrs_with(parent, __otel::OtelStrV1::from_static(name), __otel::INTERNAL, &[]);
    if span.is_recording() {
        span.set_all(&[
            __otel::Attr::lit("code.function.name", function_name(function)),
            __otel::Attr::lit("code.file.path", at.file()),
            __otel::Attr::i64("code.line.number", i64::from(at.line())),
        ]);
        if thread {
            if let Some(thread_name) = std::thread::current().name() {
                span.str("thread.name", thread_name);
            }
        }
    }
    span
}

#[track_caller]
fn task<F: Future>(
    default: &'static str,
    future: F,
) -> __otel::Task<F, impl FnOnce(&__otel::Context) -> __otel::Span> {
    let at = Location::caller();
    let name = take_api(default);
    __otel::task(move |parent: &__otel::Context| start(parent, name, at, std::any::type_name::<F>(), false), future)
}

#[track_caller]
fn blocking<R, F: FnOnce() -> R>(name: &'static str, f: F) -> impl FnOnce() -> R {
    let at = Location::caller();
    let parent = __otel::Context::current();
    move || {
        // On the blocking thread, outside any advice call: the pack's scope by name.
        let span = {
            let _scope = __otel::ScopeGuard::enter(&__OTEL_SCOPE);
            start(&parent, name, at, std::any::type_name::<F>(), true)
        };
        if span.is_none() {
            let _entered = parent.attach();
            f()
        } else {
            let _guard = __otel::SpanGuard::new(span);
            f()
        }
    }
}

/// `task::spawn::spawn_inner`: `tokio::spawn`, `task::spawn`, `JoinSet::spawn`, `Builder::spawn`.
#[track_caller]
pub fn spawn<F: Future>(future: F) -> __otel::Task<F, impl FnOnce(&__otel::Context) -> __otel::Span> {
    task("tokio::spawn", future)
}

/// `Handle::spawn_named`: `Handle::spawn`, `Runtime::spawn`, `JoinSet::spawn_on`, `Builder::spawn_on`.
#[track_caller]
pub fn handle_spawn<F: Future>(future: F) -> __otel::Task<F, impl FnOnce(&__otel::Context) -> __otel::Span> {
    task("Handle::spawn", future)
}

/// `task::local::spawn_local_inner`: `task::spawn_local`, `JoinSet::spawn_local`, `Builder::spawn_local`.
#[track_caller]
pub fn spawn_local<F: Future>(future: F) -> __otel::Task<F, impl FnOnce(&__otel::Context) -> __otel::Span> {
    task("tokio::task::spawn_local", future)
}

/// `LocalSet::spawn_named`: `LocalSet::spawn_local`, `JoinSet::spawn_local_on`, `Builder::spawn_local_on`.
#[track_caller]
pub fn localset_spawn<F: Future>(future: F) -> __otel::Task<F, impl FnOnce(&__otel::Context) -> __otel::Span> {
    task("LocalSet::spawn_local", future)
}

/// `task::blocking::spawn_blocking`.
#[track_caller]
pub fn spawn_blocking<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    blocking("tokio::task::spawn_blocking", f)
}

/// `JoinSet::spawn_blocking` and `JoinSet::spawn_blocking_on`.
#[track_caller]
pub fn joinset_spawn_blocking<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    blocking("JoinSet::spawn_blocking", f)
}

/// `Runtime::spawn_blocking`.
#[track_caller]
pub fn runtime_spawn_blocking<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    blocking("Runtime::spawn_blocking", f)
}
