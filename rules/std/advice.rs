// Advice for std thread spawns, spliced as `mod __otel_advice_std` into each workspace crate
// whose code calls them (call-site rules: std itself is never compiled by cargo). Valid in
// every edition (2015 included): `::std` paths, no `dyn`, no `'_`.
//
// Each wrapper captures the spawner's context and call site; the thread body runs under an
// INTERNAL span that is a child of that context when there is one (a thread spawned inside a
// trace), or under the bare propagated context otherwise (no span: a thread started at
// start-up is never a root trace).

use ::std::panic::Location;

/// Run `f` under the span `name` (child of `parent`), or just under `parent`.
fn run<R, F: FnOnce() -> R>(parent: &__otel::Context, name: &'static str, at: &'static Location<'static>, f: F) -> R {
    if parent.is_empty() || !__otel::enabled("std") {
        let _entered = parent.attach();
        return f();
    }
    // On the new thread, outside any advice call: the pack's scope by name.
    // The name and the code attributes are `'static`, kept without a copy; the attributes
    // cross in one call, and only for a span that records (an unsampled one derives nothing).
    let span = {
        let _scope = __otel::ScopeGuard::enter(&__OTEL_SCOPE);
        __otel::Span::start_attrs_with(parent, __otel::OtelStrV1::from_static(name), __otel::INTERNAL, &[])
    };
    if span.is_recording() {
        span.set_all(&[
            __otel::Attr::lit("code.function.name", function_name(::std::any::type_name::<F>())),
            __otel::Attr::lit("code.file.path", at.file()),
            __otel::Attr::i64("code.line.number", at.line() as i64),
        ]);
        if let Some(thread_name) = ::std::thread::current().name() {
            span.str("thread.name", thread_name);
        }
    }
    let _guard = __otel::SpanGuard::new(span);
    f()
}

/// `code.function.name` from the closure's type: the fn that wrote it
/// (`service_b::checksum::{{closure}}::{{closure}}` → `service_b::checksum`).
fn function_name(type_name: &'static str) -> &'static str {
    let mut name = type_name;
    while name.ends_with("::{{closure}}") {
        name = &name[..name.len() - "::{{closure}}".len()];
    }
    name
}

#[track_caller]
fn wrap<R, F: FnOnce() -> R>(name: &'static str, f: F) -> impl FnOnce() -> R {
    let at = Location::caller();
    let parent = __otel::Context::current();
    move || run(&parent, name, at, f)
}

/// `thread::spawn(f)`.
#[track_caller]
pub fn thread_spawn<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    wrap("std::thread::spawn", f)
}

/// `thread::Builder::new()…spawn(f)`.
#[track_caller]
pub fn builder_spawn<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    wrap("std::thread::Builder::spawn", f)
}

/// `thread::Builder::new()…spawn_scoped(s, f)`.
#[track_caller]
pub fn builder_spawn_scoped<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    wrap("std::thread::Builder::spawn_scoped", f)
}

/// `s.spawn(f)` inside `thread::scope(|s| …)`.
#[track_caller]
pub fn scope_spawn<R, F: FnOnce() -> R>(f: F) -> impl FnOnce() -> R {
    wrap("std::thread::scope spawn", f)
}
