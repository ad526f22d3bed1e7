//! Rule packs: the declarative TOML format (see `docs/rules.md`), loaded into a validated
//! [`RuleSet`] that the matcher and the splicer consume.

pub mod load;
pub mod model;

pub use load::{RuleError, RuleErrors, fnv1a, line_col};
pub use model::{Advice, CrateTarget, FnJoin, JoinPoint, Loc, Pack, Rule, RuleSet, SpanKind, SpanTemplate};
