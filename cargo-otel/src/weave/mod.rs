//! The weaver, in four stages that are testable alone:
//! [`parse`] (module tree → syn), [`matcher`] (join points ↔ rules), [`splice`] (text
//! insertions that move no line), [`emit`] (shadow tree, prelude, dep-info).
//! [`codegen`] turns advice into the inserted text; [`plan`] runs the stages for one crate.

pub mod codegen;
pub mod emit;
pub mod matcher;
pub mod parse;
pub mod plan;
pub mod splice;
