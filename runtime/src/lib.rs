/*!
otel-runtime: what the code cargo-otel weaves into your crates calls at run time.

# Overview

cargo-otel rewrites crates at compile time; the woven code cannot depend on this crate
through Cargo, so it declares a small C ABI (`__otel_v1_*`, listed once in `abi/abi.rs`)
and the linker binds it to the definitions in [`exports`]. Everything behind that door is
ordinary OpenTelemetry 0.33:

- [`lifecycle`]: builds the pipeline from the environment on first use, flushes on every
  normal stop (exit, `process::exit`, SIGTERM, SIGINT, an abort-panic) within a deadline;
- [`config`]: the standard `OTEL_*` variables, parsed by a pure, tested function;
- [`span`] and [`context`]: span and context handles over `opentelemetry::Context`, so the
  application's own OTel (and `tracing-opentelemetry`) spans share one tree with ours (a
  recording span joins a `Context` when it is first made current);
- [`intern`]: attribute keys and span names copied once into bounded `'static` tables, so
  the literals woven code passes cost no allocation per span;
- [`propagators`]: W3C tracecontext/baggage, B3 (single and multi), Jaeger;
- [`semconv`]: semantic-convention policy (HTTP, database, RPC, messaging): span names,
  redaction, status mapping and the duration metrics, behind the semconv ABI calls;
- [`metrics`]: the duration histograms and their cardinality limiter;
- [`export`]: OTLP/HTTP over `std::net`, the local JSON Lines store read by
  `cargo otel view`, console output.

Failure policy: no panic crosses the ABI, the export queue is bounded (spans dropped or not
sent are counted and reported at shutdown), and shutdown is bounded (1 s by default) when
the collector is down or stalled.

# Example

Woven code uses the prelude (`abi/prelude.rs`); the same prelude, compiled against this
crate, is available for tests and benches as [`__prelude`]:

```
use otel_runtime::__prelude as otel;

let span = otel::Span::start("GET /users/{id}", otel::SERVER);
span.str("http.request.method", "GET");
span.i64("http.response.status_code", 200);
let _current = span.enter();
// ... spans started here are children of `span`
```
*/

pub mod config;
pub mod context;
pub mod diag;
pub mod exemplars;
pub mod export;
pub mod exports;
pub mod ids;
pub mod intern;
pub mod lifecycle;
pub mod logs;
pub mod metrics;
pub mod propagators;
pub mod resource;
pub mod scope;
pub mod semconv;
pub mod span;

#[cfg(feature = "tracing")]
pub mod tracing_bridge;

/// The ABI's shared types, and the compile-time proof that every definition in [`exports`]
/// has exactly the signature `abi/abi.rs` declares.
pub mod abi {
    // For every entry of the list: the definition must coerce to the declared fn pointer type.
    macro_rules! otel_abi_v1 {
        ($( $(#[$meta:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?; )*) => {
            $( const _: unsafe extern "C" fn($($ty),*) $(-> $ret)? = crate::exports::$name; )*
        };
    }
    include!("abi/abi.rs");
}

/// The prelude exactly as the weaver splices it into woven crates (`declare.rs` + `abi.rs` +
/// `prelude.rs`), bound to this crate's definitions: for tests, benches and examples.
#[doc(hidden)]
#[allow(
    dead_code,
    unused,
    unsafe_code,
    clippy::all,
    clippy::pedantic,
    unsafe_op_in_unsafe_fn,
    clashing_extern_declarations,
    missing_docs
)]
pub mod __prelude {
    /// What the weaver generates from the plan; code linked with the runtime directly
    /// (otel-macros) is the app's only through relative paths.
    pub const APP_SOURCES: &[&str] = &[];
    include!("abi/declare.rs");
    include!("abi/abi.rs");
    include!("abi/prelude.rs");
}

/// Hooks for tests and benches: install the pipeline with a chosen exporter before first use.
#[doc(hidden)]
pub mod __test {
    pub use crate::lifecycle::{
        DISABLED, ENABLED, ErasedExporter, SPANS_OFF, TraceSink, force_state, install, install_abort_flush,
    };

    /// Flush and stop the pipeline now (what atexit does).
    pub fn shutdown() {
        crate::lifecycle::shutdown();
    }

    /// Whether the runtime counted spans dropped by a full queue, and how many.
    pub fn dropped_spans() -> u64 {
        crate::lifecycle::runtime().map_or(0, |rt| rt.dropped_spans())
    }
}
