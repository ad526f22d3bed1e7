//! cargo-otel: zero-code OpenTelemetry for Rust.
//!
//! `cargo otel build` runs cargo with this binary as `RUSTC_WRAPPER`. The subcommand
//! ([`commands`]) resolves the graph, loads rule packs and writes the [`plan`]: a decision
//! per package. Wrapper mode ([`wrapper`]) looks its unit up in the plan, hands it to the
//! weaver library ([`otel_weave`]: parse → collect → match → codegen → splice → emit) and
//! does the rustc plumbing around it: argv, the shadow root, path remapping, fallback,
//! dep-info.
//!
//! The binary has two modes (see `main.rs`): the cargo subcommand and, when
//! `CARGO_OTEL_WRAPPER` is set, the rustc wrapper.

pub mod commands;
pub mod flags;
pub mod plan;
pub mod shell;
pub mod wrapper;

/// The rule model and loader, re-exported from the weaver library.
pub use otel_weave::{load, model};
