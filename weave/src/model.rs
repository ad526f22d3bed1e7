//! The validated rule model: packs, their join points and their advice.
//!
//! A [`Rule`] pairs one [`JoinPoint`] (where) with a list of [`Advice`] (what). The two are
//! separate types so that matching never looks at advice and splicing never re-matches.

use std::path::PathBuf;

#[cfg(feature = "packs")]
use serde::{Deserialize, Serialize};

/// Where in a source file a rule or a field of it was written, for error messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct Loc {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Which crates a pack applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub enum CrateTarget {
    /// Packages by name (`reqwest`), glob (`regex*`, `*`) or list of those, with an optional
    /// semver range.
    Named { names: Vec<String>, versions: Option<String> },
    /// Every non-registry crate (workspace members and path dependencies) of a graph that
    /// links the runtime: `crate = "@workspace"`. Used by call-site packs such as `std`.
    Workspace,
}

impl CrateTarget {
    /// Does this target name `package` (`-` and `_` alike, as cargo treats them)?
    pub fn names_package(&self, package: &str) -> bool {
        let package = package.replace('-', "_");
        match self {
            CrateTarget::Named { names, .. } => {
                names.iter().any(|n| crate::matcher::glob(&n.replace('-', "_"), &package))
            }
            CrateTarget::Workspace => false,
        }
    }

    /// `reqwest`, `regex, regex-*`: for messages.
    pub fn describe(&self) -> String {
        match self {
            CrateTarget::Named { names, .. } => names.join(", "),
            CrateTarget::Workspace => "@workspace".to_string(),
        }
    }
}

#[cfg(feature = "packs")]
impl CrateTarget {
    /// The semver range, parsed (validated at load time, so parse errors cannot happen here).
    pub fn version_req(&self) -> Option<semver::VersionReq> {
        match self {
            CrateTarget::Named { versions: Some(v), .. } => semver::VersionReq::parse(v).ok(),
            _ => None,
        }
    }
}

/// A loaded, validated rule pack.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct Pack {
    pub name: String,
    pub target: CrateTarget,
    /// `pack.toml`.
    pub manifest: PathBuf,
    /// The advice source files and their text, spliced together as `mod __otel_advice_<name>`.
    pub advice: Vec<(PathBuf, String)>,
    pub rules: Vec<Rule>,
    /// The pack weaves the runtime's own copy of its crate, and only that one: a crate of
    /// the runtime's dependency graph is otherwise never woven. For the opentelemetry
    /// crate's context doors, whose advice starts nothing.
    pub runtime_dependency: bool,
}

impl Pack {
    /// Does any rule advise call sites (so the matcher must collect them)?
    pub fn has_call_rules(&self) -> bool {
        self.rules.iter().any(|r| !matches!(r.join, JoinPoint::Fn(_)))
    }

    /// The module name the advice is spliced as.
    /// The instrumentation scope of the spans this pack's advice starts.
    pub fn scope_name(&self) -> String {
        format!("cargo-otel.{}", self.name)
    }

    pub fn advice_module(&self) -> String {
        format!("__otel_advice_{}", sanitize_ident(&self.name))
    }

    /// Does this pack apply to `name@version`? `None`: not this crate at all.
    /// `Some(false)`: the crate, but a version outside the range.
    #[cfg(feature = "packs")]
    pub fn applies_to(&self, name: &str, version: &semver::Version, local: bool) -> Option<bool> {
        match &self.target {
            CrateTarget::Workspace => local.then_some(true),
            CrateTarget::Named { .. } => {
                if !self.target.names_package(name) {
                    return None;
                }
                Some(self.target.version_req().is_none_or(|req| req.matches(version)))
            }
        }
    }
}

/// Turn a pack name into a valid identifier fragment.
pub fn sanitize_ident(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// One rule: a join point and what to do there.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct Rule {
    /// `pack/id`, unique in a rule set.
    pub id: String,
    pub join: JoinPoint,
    pub advice: Vec<Advice>,
    /// Higher runs outermost when several rules advise one fn.
    pub priority: i64,
    pub loc: Loc,
}

/// Where a rule applies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub enum JoinPoint {
    /// A function or method definition in the target crate.
    Fn(FnJoin),
    /// Call sites `path(args)` (e.g. `thread::spawn`), matched by path suffix.
    Call { path: Vec<String> },
    /// Method calls `.name(args)` whose receiver chain starts with a call to `receiver_root`
    /// (`thread::Builder::new().spawn(..)`) or whose receiver is the closure parameter of a
    /// call to `scope_of` (`thread::scope(|s| s.spawn(..))`).
    MethodCall { method: String, receiver_root: Option<Vec<String>>, scope_of: Option<Vec<String>> },
}

/// A function join point: `module::Type::fn` with optional trait.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct FnJoin {
    /// Module path glob inside the crate (`async_impl::*`); `None` matches any module.
    pub module: Option<String>,
    /// Self type name of the enclosing `impl` (`Client`); `None`: free fns and any impl.
    pub receiver: Option<String>,
    /// Trait name of the enclosing `impl Trait for T`, or of a trait's default method.
    pub trait_name: Option<String>,
    /// Function name glob.
    pub name: String,
    /// `visibility = "pub"`: only fns declared `pub`, and trait methods (whose visibility is
    /// the trait's).
    pub public_only: bool,
    /// Kinds of fns left out (`exclude = ["tests", "trait_impls", "unsafe"]`).
    pub exclude: Vec<Exclude>,
}

/// What `exclude` can leave out of a fn rule, silently ("not applicable here").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub enum Exclude {
    /// Fns under `#[cfg(test)]` (a module, an impl, the fn) and `#[test]` fns.
    Tests,
    /// Methods of `impl Trait for T` blocks and trait default methods.
    TraitImpls,
    /// `unsafe fn`s.
    Unsafe,
}

impl Exclude {
    pub fn parse(s: &str) -> Option<Exclude> {
        Some(match s {
            "tests" => Exclude::Tests,
            "trait_impls" => Exclude::TraitImpls,
            "unsafe" => Exclude::Unsafe,
            _ => return None,
        })
    }
}

/// What a rule does at its join point.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub enum Advice {
    /// A span around the function: sync bodies get a drop guard, async bodies and returned
    /// futures are instrumented so the span is current only while the task runs.
    Span(SpanTemplate),
    /// Call `func(args…)` first; its value is the call context handed to `OnExit`.
    /// With `skip_call`, `func` returns `ControlFlow<R, C>` and `Break(r)` returns `r`.
    OnEnter { func: String, args: Vec<String>, skip_call: bool },
    /// Call `func(context, &result)` after the body (for async: the output).
    OnExit { func: String },
    /// Rebind an argument: `let arg = func(arg);` before the body.
    WrapArg { arg: String, func: String },
    /// Replace the returned value with `func([context,] value)`.
    WrapReturn { func: String },
    /// Wrap argument `index` of a matched call site: `f(func(arg))`.
    WrapCallArg { index: usize, func: String },
    /// Raw statements at the start of the body.
    Code(String),
}

/// A span template. `{arg.path}` in the name or an attribute value reads a parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct SpanTemplate {
    pub name: String,
    pub kind: SpanKind,
    pub attributes: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub enum SpanKind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    pub fn parse(s: &str) -> Option<SpanKind> {
        Some(match s {
            "internal" => SpanKind::Internal,
            "server" => SpanKind::Server,
            "client" => SpanKind::Client,
            "producer" => SpanKind::Producer,
            "consumer" => SpanKind::Consumer,
            _ => return None,
        })
    }
}

/// Every pack of a build, in load order.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "packs", derive(Serialize, Deserialize))]
pub struct RuleSet {
    pub packs: Vec<Pack>,
}

impl RuleSet {
    /// The packs that name `package` (not `@workspace` ones).
    pub fn naming(&self, package: &str) -> impl Iterator<Item = &Pack> {
        self.packs.iter().filter(move |p| p.target.names_package(package))
    }
}
