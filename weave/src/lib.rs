//! The cargo-otel weaver as a library.
//!
//! A one-way, typed pipeline, one module per stage, each testable alone:
//!
//! | stage | module | in → out |
//! |---|---|---|
//! | parse | [`parse`] | crate root → [`parse::CrateSources`] (module tree, syn ASTs) |
//! | collect | [`collect`] | sources → [`collect::JoinPoints`] (fn definitions, call sites) |
//! | match | [`matcher`] | join points × rules → `Vec<`[`matcher::Match`]`>` |
//! | codegen | [`codegen`] | matches → [`codegen::Generated`] (`Vec<`[`splice::Edit`]`>` per file) |
//! | splice | [`splice`] | source text + edits → woven text, no line moved |
//! | emit | [`emit`] | woven texts + prelude + advice → shadow tree; dep-info after rustc |
//!
//! [`weave_unit`] runs them all for one rustc unit, given the [`UnitPlan`] the subcommand
//! decided for its package: it returns the [`WovenUnit`] or a [`WeaveError`] that says
//! whether the unit is skipped (compiled as it is, with the reason) or the build must stop.
//! `cargo otel explain` stops after match; `otel-macros` uses [`sig`] and [`codegen`] only
//! (built without the `packs` feature, so a proc macro carries no TOML or serde).
//!
//! ```no_run
//! # #[cfg(feature = "packs")] {
//! use std::path::Path;
//! use otel_weave::{UnitPlan, UnitSources, load, weave_unit};
//!
//! let pack = load::load_pack(Path::new("rules/reqwest")).expect("pack loads");
//! let plan = UnitPlan {
//!     package: "reqwest v0.12.4".into(),
//!     packs: vec![&pack],
//!     directives: false,
//!     links_runtime: false,
//!     relax_forbid: false,
//!     strict: true,
//!     app_sources: Vec::new(),
//! };
//! let package = Path::new("/src/reqwest-0.12.4");
//! let root = package.join("src/lib.rs");
//! let woven = weave_unit(&plan, UnitSources { root: &root, package_dir: package, shadow: None });
//! # }
//! ```
//!
//! Invariants: the weaver never writes the original sources (only the shadow tree), never
//! moves an original line, and never panics on input: every problem is a warning or an error
//! naming the file, line and column.

pub mod codegen;
pub mod collect;
pub mod emit;
#[cfg(feature = "packs")]
pub mod load;
pub mod matcher;
pub mod model;
pub mod parse;
pub mod sig;
pub mod splice;
mod unit;

pub use unit::{SkipReason, UnitPlan, UnitSources, WeaveError, WovenUnit, relative_to, weave_unit};
