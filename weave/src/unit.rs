//! The entry point: one unit (a rustc invocation's crate) through every stage.
//!
//! parse → collect → match → codegen → splice → emit, each stage's output the next one's
//! input. The unit's [`UnitPlan`] is what the subcommand decided for its package; the result
//! is the woven unit, or a [`WeaveError`] saying whether the unit is skipped (compiled as it
//! is, with the reason) or the build must stop (`--strict`).

use std::path::{Path, PathBuf};

use crate::codegen::{self, JoinPointReport};
use crate::matcher::{self, MatchRequest};
use crate::model::Pack;
use crate::{collect, emit, parse, splice};

/// What the plan says about one unit.
#[derive(Clone, Debug)]
pub struct UnitPlan<'a> {
    /// `name vX.Y.Z`, for messages.
    pub package: String,
    /// The packs that apply to this package (name and version already checked).
    pub packs: Vec<&'a Pack>,
    /// Honour `// otel:span` directives (workspace and path packages only).
    pub directives: bool,
    /// The unit links the runtime: add `extern crate otel_runtime as _;` and init in `main`.
    pub links_runtime: bool,
    /// Relax `#![forbid(unsafe_code)]` (not needed under `--cap-lints allow`).
    pub relax_forbid: bool,
    /// Any problem weaving a site is fatal instead of a warning.
    pub strict: bool,
    /// The application's sources outside the workspace, for the prelude's `in_app` (see
    /// [`emit::prelude_module_with`]).
    pub app_sources: Vec<String>,
}

/// Where the unit's sources are and where the woven copy goes.
#[derive(Clone, Copy, Debug)]
pub struct UnitSources<'a> {
    /// The crate root file (`src/lib.rs`), absolute.
    pub root: &'a Path,
    /// The package directory (holding `Cargo.toml`), absolute.
    pub package_dir: &'a Path,
    /// The shadow tree to write; `None` only returns the woven text (goldens, benches).
    pub shadow: Option<&'a Path>,
}

/// A woven unit.
#[derive(Debug, Default)]
pub struct WovenUnit {
    /// Modified files, relative to the package directory, and their new text.
    pub files: Vec<(PathBuf, String)>,
    /// The crate root inside the shadow tree (when one was written).
    pub root: Option<PathBuf>,
    pub joins: Vec<JoinPointReport>,
    /// Problems that did not stop weaving (never set under `strict`: they are fatal there).
    pub warnings: Vec<String>,
    /// Packs that advised at least one join point (`user` for directives).
    pub used_packs: Vec<String>,
    /// What the weaver appended to the crate root, to map compiler errors back.
    pub appended: Vec<emit::Appended>,
}

/// Why a unit is compiled as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// No rule selected anything: not a problem.
    NothingToWeave,
    /// Weaving failed and the plan lets the build fall back.
    Failed(String),
}

/// A unit that is not woven.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WeaveError {
    /// Compile the unit unmodified; `warnings` are worth printing either way.
    #[error("{}", match reason { SkipReason::NothingToWeave => "nothing to weave", SkipReason::Failed(r) => r.as_str() })]
    Skip { reason: SkipReason, warnings: Vec<String> },
    /// Stop the build (`--strict`): every problem found.
    #[error("{}", errors.join("\n"))]
    Fatal { errors: Vec<String> },
}

impl WeaveError {
    pub fn is_fatal(&self) -> bool {
        matches!(self, WeaveError::Fatal { .. })
    }
}

impl UnitPlan<'_> {
    /// A failure: fatal under `strict`, else a skip that says why.
    fn fail(&self, reason: String, mut warnings: Vec<String>) -> WeaveError {
        if self.strict {
            warnings.push(reason);
            WeaveError::Fatal { errors: warnings }
        } else {
            WeaveError::Skip { reason: SkipReason::Failed(reason), warnings }
        }
    }
}

/// Weave one unit.
pub fn weave_unit(plan: &UnitPlan<'_>, input: UnitSources<'_>) -> Result<WovenUnit, WeaveError> {
    let request = MatchRequest { packs: &plan.packs, directives: plan.directives, links_runtime: plan.links_runtime };
    let prefilter = matcher::Prefilter::new(&request);
    let may_match = |module: &[String], text: &str| prefilter.may_match(module, text);
    let sources = parse::parse_crate_filtered(input.root, &may_match)
        .map_err(|e| plan.fail(format!("{} does not parse ({e}); not instrumented", plan.package), Vec::new()))?;
    let points = collect::collect(&sources, plan.packs.iter().any(|p| p.has_call_rules()));
    let matches = matcher::match_unit(&points, &request);
    let generated = codegen::generate(&sources, &matches);

    let mut warnings = generated.warnings.clone();
    for (_, rule, why) in matcher::misses(&plan.packs, &matches, &points) {
        warnings.push(format!("{}: rule `{}` matched nothing: {why}", rule.loc, rule.id));
    }
    for (path, error) in &sources.unparsed {
        warnings.push(format!("{}: not parsed, not instrumented: {error}", path.display()));
    }
    if plan.strict && !warnings.is_empty() {
        return Err(WeaveError::Fatal { errors: warnings });
    }
    if generated.edits.is_empty() && !plan.links_runtime {
        return Err(WeaveError::Skip { reason: SkipReason::NothingToWeave, warnings });
    }

    let used_packs = generated.used_packs();
    let used: Vec<&Pack> = plan.packs.iter().copied().filter(|p| used_packs.contains(&p.name)).collect();
    let mut edits = generated.edits;
    edits.entry(0).or_default(); // the root always takes the prelude
    let mut files = Vec::new();
    let mut appended = Vec::new();
    for (index, file_edits) in edits {
        let file = &sources.files[index];
        let base = if index == 0 && plan.relax_forbid {
            splice::relax_forbid_text(&file.text, &file.ast)
        } else {
            file.text.clone()
        };
        let mut text = match splice::apply(&base, &file_edits) {
            Ok(text) => text,
            Err(e) => {
                let reason = format!("{}: {e}", file.path.display());
                if plan.strict || index == 0 {
                    return Err(plan.fail(reason, warnings));
                }
                warnings.push(reason);
                continue;
            }
        };
        if index == 0 {
            appended = emit::append_modules(&mut text, &file.ast, &used, plan.links_runtime, &plan.app_sources);
        }
        let rel = relative_to(&file.path, input.package_dir).ok_or_else(|| {
            plan.fail(
                format!("{} is outside the package {}", file.path.display(), input.package_dir.display()),
                warnings.clone(),
            )
        })?;
        files.push((rel, text));
    }

    let root = match input.shadow {
        Some(shadow) => {
            emit::build_shadow(input.package_dir, shadow, &files).map_err(|e| {
                plan.fail(format!("cannot create the shadow tree {}: {e}", shadow.display()), warnings.clone())
            })?;
            let root_rel = relative_to(input.root, input.package_dir).ok_or_else(|| {
                plan.fail(format!("crate root {} outside its package", input.root.display()), warnings.clone())
            })?;
            Some(shadow.join(root_rel))
        }
        None => None,
    };
    let mut used_packs = used_packs;
    used_packs.sort();
    Ok(WovenUnit { files, root, joins: generated.joins, warnings, used_packs, appended })
}

/// Relative path of `file` inside `package`, for the shadow tree (`file` may be relative to
/// the process's cwd, as cargo passes workspace members).
pub fn relative_to(file: &Path, package: &Path) -> Option<PathBuf> {
    let abs = if file.is_absolute() { file.to_path_buf() } else { std::env::current_dir().ok()?.join(file) };
    abs.strip_prefix(package).ok().map(Path::to_path_buf)
}

#[cfg(all(test, feature = "packs"))]
mod tests {
    use super::*;
    use crate::load::parse_pack;

    const PACK: &str = r#"[pack]
name = "demo"
crate = "demo"

[[rule]]
id = "outer"
fn = "work"
priority = 10
span = { name = "outer" }

[[rule]]
id = "inner"
fn = "work"
span = { name = "inner {arg.n}" }

[[rule]]
id = "typo"
fn = "helper"
span = { name = "{arg.missing}" }

[[rule]]
id = "gone"
fn = "renamed_long_ago"
span = { name = "x" }
"#;

    struct Crate {
        dir: tempfile::TempDir,
    }

    impl Crate {
        fn new(files: &[(&str, &str)]) -> Crate {
            let dir = tempfile::tempdir().expect("tempdir");
            for (path, text) in files {
                let path = dir.path().join(path);
                std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
                std::fs::write(path, text).expect("write");
            }
            Crate { dir }
        }
        fn weave(&self, pack: &Pack, strict: bool, shadow: bool) -> Result<WovenUnit, WeaveError> {
            let plan = UnitPlan {
                package: "demo v0.1.0".into(),
                packs: vec![pack],
                directives: true,
                links_runtime: false,
                relax_forbid: false,
                strict,
                app_sources: Vec::new(),
            };
            let root = self.dir.path().join("src/lib.rs");
            let shadow_dir = self.dir.path().join("shadow");
            let input = UnitSources {
                root: &root,
                package_dir: self.dir.path(),
                shadow: shadow.then_some(shadow_dir.as_path()),
            };
            weave_unit(&plan, input)
        }
    }

    fn pack(dir: &Path) -> Pack {
        parse_pack(&dir.join("pack.toml"), PACK).expect("pack parses")
    }

    #[test]
    fn layers_nest_by_priority_and_problems_cite_the_rule() {
        let krate = Crate::new(&[("src/lib.rs", "pub fn work(n: u8) -> u8 {\n    n\n}\npub fn helper() {}\n")]);
        let pack = pack(krate.dir.path());
        let woven = krate.weave(&pack, false, true).expect("woven");
        let (rel, text) = &woven.files[0];
        assert_eq!(rel, Path::new("src/lib.rs"));
        let outer = text.find("\"outer\"").expect("outer span");
        let inner = text.find("\"inner {}\"").expect("inner span");
        assert!(outer < inner, "the higher priority is outermost:\n{text}");
        assert_eq!(text.lines().nth(1), Some("    n"), "no original line moved");
        assert!(text.contains("mod __otel"), "the prelude is appended to the root");
        let rules: Vec<&str> = woven.joins.iter().map(|j| j.rule.as_str()).collect();
        assert_eq!(rules, ["demo/outer", "demo/inner"]);
        assert_eq!(woven.used_packs, ["demo"]);
        // The template error names the rule's pack.toml line and the fn; the miss says why.
        assert!(
            woven.warnings.iter().any(|w| w.contains("pack.toml:")
                && w.contains("rule `demo/typo` not applied to fn `helper`")
                && w.contains("`missing`")),
            "{:?}",
            woven.warnings
        );
        assert!(woven.warnings.iter().any(|w| w.contains("rule `demo/gone` matched nothing")), "{:?}", woven.warnings);
        // The shadow holds the woven root and links the rest.
        let root = woven.root.expect("shadow root");
        assert_eq!(std::fs::read_to_string(root).expect("read"), *text);
    }

    #[test]
    fn strict_turns_every_problem_into_a_fatal_error() {
        let krate = Crate::new(&[("src/lib.rs", "pub fn work(n: u8) -> u8 { n }\npub fn helper() {}\n")]);
        let pack = pack(krate.dir.path());
        match krate.weave(&pack, true, false) {
            Err(WeaveError::Fatal { errors }) => {
                assert!(errors.iter().any(|e| e.contains("demo/typo")), "{errors:?}");
                assert!(errors.iter().any(|e| e.contains("demo/gone")), "{errors:?}");
            }
            other => panic!("expected a fatal error, got {other:?}"),
        }
    }

    #[test]
    fn a_crate_without_join_points_is_skipped_and_one_that_does_not_parse_fails() {
        let krate = Crate::new(&[("src/lib.rs", "pub fn unrelated() {}\n")]);
        let pack = pack(krate.dir.path());
        match krate.weave(&pack, false, true) {
            Err(WeaveError::Skip { reason: SkipReason::NothingToWeave, .. }) => {}
            other => panic!("expected a skip, got {other:?}"),
        }
        assert!(!krate.dir.path().join("shadow").exists(), "nothing written for a skipped unit");

        let broken = Crate::new(&[("src/lib.rs", "pub fn work( {\n")]);
        match broken.weave(&pack, false, false) {
            Err(WeaveError::Skip { reason: SkipReason::Failed(r), .. }) => assert!(r.contains("does not parse"), "{r}"),
            other => panic!("expected a failed skip, got {other:?}"),
        }
        assert!(broken.weave(&pack, true, false).is_err_and(|e| e.is_fatal()));
    }

    #[test]
    fn a_catch_all_rule_takes_public_fns_and_leaves_out_what_it_excludes() {
        let krate = Crate::new(&[
            (
                "src/lib.rs",
                "pub fn api() {}\nfn private() {}\npub(crate) fn internal() {}\npub unsafe fn raw() {}\n\
                 pub const fn konst() -> u8 { 1 }\npub struct S;\nimpl Clone for S { fn clone(&self) -> S { S } }\n\
                 impl S { pub fn method(&self) {} }\n#[cfg(test)]\nmod tests {\n    pub fn helper() {}\n}\nmod t;\n",
            ),
            ("src/t.rs", "#[cfg(test)]\nmod inner;\n"),
        ]);
        let text = r#"[pack]
name = "all"
crate = ["other", "dem*"]

[[rule]]
id = "every-pub-fn"
fn = "*"
visibility = "pub"
exclude = ["tests", "trait_impls", "unsafe"]
span = { name = "{fn}" }
"#;
        let pack = parse_pack(&krate.dir.path().join("pack.toml"), text).expect("pack parses");
        assert!(pack.target.names_package("demo") && pack.target.names_package("other"));
        assert!(!pack.target.names_package("another"));
        let woven = krate.weave(&pack, true, false).expect("strict: nothing to warn about");
        let what: Vec<&str> = woven.joins.iter().map(|j| j.what.as_str()).collect();
        assert_eq!(what, ["api", "S::method"]);
    }

    #[test]
    fn the_prefilter_keeps_files_without_join_points_from_later_stages() {
        let krate = Crate::new(&[
            ("src/lib.rs", "mod a;\nmod b;\n"),
            ("src/a.rs", "pub fn work(n: u8) -> u8 { n }\n"),
            ("src/b.rs", "pub fn other() {}\n"),
        ]);
        let pack = pack(krate.dir.path());
        let woven = krate.weave(&pack, false, false).expect("woven");
        let files: Vec<&Path> = woven.files.iter().map(|(p, _)| p.as_path()).collect();
        assert_eq!(files, [Path::new("src/lib.rs"), Path::new("src/a.rs")]);
    }
}
