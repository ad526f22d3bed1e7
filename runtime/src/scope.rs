//! Instrumentation scopes: one per pack (`cargo-otel.<pack>` and the cargo-otel version), so
//! a backend can tell a reqwest CLIENT span from a hyper one by its scope, as the spec asks.
//!
//! Woven code registers its pack's scope once (`__otel_v1_scope`, cached by the prelude in a
//! static of the advice module) and passes the index with every span start; index 0 is the
//! runtime's own `cargo-otel` scope (spans started with no pack). The table only grows, is
//! bounded, and is read by the exporter thread once per batch.

use opentelemetry::InstrumentationScope;
use std::cell::Cell;
use std::sync::RwLock;

/// At most this many scopes (packs are tens); more fall back to the default scope.
const MAX_SCOPES: usize = 1024;

static SCOPES: RwLock<Vec<InstrumentationScope>> = RwLock::new(Vec::new());

fn default_scope() -> InstrumentationScope {
    InstrumentationScope::builder("cargo-otel").with_version(env!("CARGO_PKG_VERSION")).build()
}

thread_local! {
    /// The scope of the advice running on this thread (woven code enters it around each
    /// advice call, `__otel_v1_scope_swap`); spans started without one get it.
    static AMBIENT: Cell<u32> = const { Cell::new(0) };
}

/// This thread's scope (0: the default).
#[inline]
pub fn ambient() -> u32 {
    AMBIENT.try_with(Cell::get).unwrap_or(0)
}

/// Make `scope` this thread's; the previous one. `u32::MAX` reads without changing it.
#[inline]
pub fn swap(scope: u32) -> u32 {
    AMBIENT.try_with(|a| if scope == u32::MAX { a.get() } else { a.replace(scope) }).unwrap_or(0)
}

/// The index of the scope named `name` (registered now if new); 0 for the empty name.
pub fn register(name: &str, version: &str) -> u32 {
    if name.is_empty() {
        return 0;
    }
    let version = if version.is_empty() { env!("CARGO_PKG_VERSION") } else { version };
    let found = |scopes: &[InstrumentationScope]| {
        scopes.iter().position(|s| s.name() == name && s.version() == Some(version)).map(|i| i as u32)
    };
    if let Some(i) = found(&SCOPES.read().unwrap_or_else(|e| e.into_inner())) {
        return i;
    }
    let mut scopes = SCOPES.write().unwrap_or_else(|e| e.into_inner());
    if scopes.is_empty() {
        scopes.push(default_scope());
    }
    if let Some(i) = found(&scopes) {
        return i;
    }
    if scopes.len() >= MAX_SCOPES {
        return 0;
    }
    scopes.push(InstrumentationScope::builder(name.to_owned()).with_version(version.to_owned()).build());
    (scopes.len() - 1) as u32
}

/// The scope at `index` (the default one when there is none).
pub fn get(index: u32) -> InstrumentationScope {
    let scopes = SCOPES.read().unwrap_or_else(|e| e.into_inner());
    scopes.get(index as usize).cloned().unwrap_or_else(default_scope)
}

/// A copy of the table (index → scope), for one export batch.
pub fn snapshot() -> Vec<InstrumentationScope> {
    let scopes = SCOPES.read().unwrap_or_else(|e| e.into_inner());
    if scopes.is_empty() { vec![default_scope()] } else { scopes.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_index_per_scope_and_zero_for_none() {
        let a = register("cargo-otel.test-a", "");
        let b = register("cargo-otel.test-b", "1.2.3");
        assert_ne!(a, 0);
        assert_ne!(a, b);
        assert_eq!(register("cargo-otel.test-a", ""), a);
        assert_eq!(register("", ""), 0);
        let table = snapshot();
        assert_eq!(table[0].name(), "cargo-otel");
        assert_eq!(table[b as usize].name(), "cargo-otel.test-b");
        assert_eq!(table[b as usize].version(), Some("1.2.3"));
    }
}
