//! The injected prelude (`emit::prelude_module()`: `declare.rs` + `abi.rs` + `prelude.rs`)
//! stays small and mechanical (design.md §11), and its `Entered` guard is `!Send`, so a
//! context can never stay attached across an `.await` of a task that may change threads.

use otel_weave::emit::{prelude_module, prelude_module_with};
use std::path::Path;
use std::process::Command;

/// The budget of the prelude spliced into every woven crate, in lines.
const MAX_LINES: usize = 350;

#[test]
fn prelude_fits_its_budget() {
    // As injected into a crate of a graph with one path dependency outside the workspace.
    let lines = prelude_module_with(&["/elsewhere/lib/".to_string()]).lines().count();
    assert!(
        lines <= MAX_LINES,
        "the injected prelude has {lines} lines (budget {MAX_LINES}): move policy into the runtime"
    );
}

/// Compile `body` (the body of `fn main`, with `span: __otel::Span` in scope) next to the
/// prelude as a 2021 library; `Err` carries rustc's diagnostics.
fn check(dir: &Path, name: &str, body: &str) -> Result<(), String> {
    let src = dir.join(format!("{name}.rs"));
    let text = format!(
        "{}\nfn need_send<T: Send>(_: T) {{}}\nasync fn pause() {{}}\npub fn probe(span: __otel::Span) {{\n{body}\n}}\n",
        prelude_module()
    );
    std::fs::write(&src, text).expect("write probe");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args(["--edition", "2021", "--crate-type", "lib", "--emit", "metadata", "--crate-name", name])
        .arg("--out-dir")
        .arg(dir)
        .arg(&src)
        .output()
        .expect("run rustc");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[test]
fn entered_cannot_cross_an_await_in_a_send_future() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Control: the same future, with the guard dropped before the await, is `Send`.
    let scoped = "need_send(async move { { let _entered = span.enter(); } pause().await; });";
    check(dir.path(), "scoped", scoped).expect("a guard dropped before the await compiles");
    let no_await = "need_send(async move { let _entered = span.enter(); });";
    check(dir.path(), "no_await", no_await).expect("a guard with no await compiles");
    // Held across the await: rejected, and because of `Entered`.
    let held = "need_send(async move { let _entered = span.enter(); pause().await; });";
    let err = check(dir.path(), "held", held).expect_err("an Entered held across .await must make the future !Send");
    assert!(err.contains("E0277") || err.contains("cannot be sent between threads safely"), "{err}");
    assert!(err.contains("Entered"), "the error should name `Entered`: {err}");
    // The same for a `SpanGuard` (it holds an `Entered`).
    let guard = "need_send(async move { let _g = __otel::SpanGuard::new(span); pause().await; });";
    assert!(check(dir.path(), "guard", guard).is_err(), "a SpanGuard across .await must be rejected too");
}
