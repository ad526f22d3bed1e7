//! cargo-otel: zero-code OpenTelemetry for Rust.
//!
//! `cargo otel build` runs cargo with this binary as `RUSTC_WRAPPER`. For every crate the
//! wrapper parses the sources ([`weave::parse`]), matches the declarative rule packs
//! ([`rules`], [`weave::matcher`]), splices advice that calls the `otel-runtime` ABI into a
//! shadow copy ([`weave::codegen`], [`weave::splice`], [`weave::emit`]) and compiles that.
//!
//! The binary has two modes (see `main.rs`): the cargo subcommand ([`commands`]) and,
//! when `CARGO_OTEL_WRAPPER` is set, the rustc wrapper ([`wrapper`]).

pub mod commands;
pub mod flags;
pub mod rules;
pub mod shell;
pub mod weave;
pub mod wrapper;
