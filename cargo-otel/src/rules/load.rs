//! Loading rule packs from TOML into the validated model.
//!
//! Every error names the file, line and column and says how to fix it. Loading never stops
//! at the first problem: all errors of a pack are reported together.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::model::{Advice, CrateTarget, FnJoin, JoinPoint, Loc, Pack, Rule, RuleSet, SpanKind, SpanTemplate};

/// A problem in a rule pack, located in its source.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{loc}: {message}\n  help: {help}")]
pub struct RuleError {
    pub loc: Loc,
    pub message: String,
    pub help: String,
}

/// All problems found while loading.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct RuleErrors(pub Vec<RuleError>);

/// Prelude functions a rule may name as `__otel::…` advice.
const PRELUDE_FNS: &[&str] = &["propagate", "propagate_fn", "propagate_fn1"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pack: RawPack,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    name: Spanned<String>,
    #[serde(rename = "crate")]
    krate: Spanned<String>,
    versions: Option<Spanned<String>>,
    advice: Option<Spanned<String>>,
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    #[serde(rename = "fn")]
    func: Option<Spanned<String>>,
    module: Option<String>,
    receiver: Option<String>,
    #[serde(rename = "trait")]
    trait_name: Option<String>,
    call: Option<Spanned<String>>,
    method: Option<Spanned<String>>,
    receiver_root: Option<String>,
    scope_of: Option<String>,
    span: Option<Spanned<RawSpan>>,
    on_enter: Option<Spanned<String>>,
    #[serde(default)]
    args: Vec<Spanned<String>>,
    #[serde(default)]
    skip_call: bool,
    on_exit: Option<Spanned<String>>,
    #[serde(default)]
    wrap_args: BTreeMap<String, Spanned<String>>,
    wrap_return: Option<Spanned<String>>,
    wrap_call_arg: Option<Spanned<RawWrapCallArg>>,
    code: Option<Spanned<String>>,
    #[serde(default)]
    priority: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpan {
    name: String,
    kind: Option<Spanned<String>>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWrapCallArg {
    index: usize,
    with: Spanned<String>,
}

/// Byte offset → 1-based line and column.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
    errors: Vec<RuleError>,
}

impl Ctx<'_> {
    fn loc(&self, offset: usize) -> Loc {
        let (line, column) = line_col(self.text, offset);
        Loc { file: self.file.to_path_buf(), line, column }
    }

    fn error(&mut self, offset: usize, message: impl Into<String>, help: impl Into<String>) {
        let loc = self.loc(offset);
        self.errors.push(RuleError { loc, message: message.into(), help: help.into() });
    }
}

/// Load one pack from its directory (`<dir>/pack.toml`).
pub fn load_pack(dir: &Path) -> Result<Pack, RuleErrors> {
    let manifest = dir.join("pack.toml");
    let text = fs::read_to_string(&manifest).map_err(|e| {
        RuleErrors(vec![RuleError {
            loc: Loc { file: manifest.clone(), line: 0, column: 0 },
            message: format!("cannot read the pack: {e}"),
            help: "every pack folder needs a pack.toml (see docs/rules.md)".into(),
        }])
    })?;
    parse_pack(&manifest, &text)
}

/// Parse and validate a pack from its `pack.toml` text (advice read relative to it).
pub fn parse_pack(manifest: &Path, text: &str) -> Result<Pack, RuleErrors> {
    let mut cx = Ctx { file: manifest, text, errors: Vec::new() };
    let raw: RawFile = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().to_string();
            let help = if message.contains("unknown field") {
                "remove or rename the key; the keys a pack and a rule accept are listed in docs/rules.md"
            } else if message.contains("missing field") {
                "add the field (docs/rules.md lists the required ones)"
            } else {
                "fix the TOML syntax at this position"
            };
            cx.error(offset, message, help);
            return Err(RuleErrors(cx.errors));
        }
    };

    let name = raw.pack.name.get_ref().clone();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        cx.error(
            raw.pack.name.span().start,
            format!("invalid pack name `{name}`"),
            "use letters, digits, `-` and `_` only",
        );
    }
    let target = if raw.pack.krate.get_ref() == "@workspace" {
        if let Some(v) = &raw.pack.versions {
            cx.error(v.span().start, "`versions` makes no sense with `crate = \"@workspace\"`", "remove `versions`");
        }
        CrateTarget::Workspace
    } else {
        let versions = raw.pack.versions.as_ref().map(|v| {
            if let Err(e) = semver::VersionReq::parse(v.get_ref()) {
                cx.error(
                    v.span().start,
                    format!("invalid semver range `{}`: {e}", v.get_ref()),
                    "write a cargo-style range such as \">=0.11, <0.13\"",
                );
            }
            v.get_ref().clone()
        });
        CrateTarget::Named { name: raw.pack.krate.get_ref().clone(), versions }
    };

    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut advice_fns: HashSet<String> = HashSet::new();
    let advice = match &raw.pack.advice {
        None => None,
        Some(file) => {
            let path = dir.join(file.get_ref());
            match fs::read_to_string(&path) {
                Err(e) => {
                    cx.error(
                        file.span().start,
                        format!("cannot read advice file {}: {e}", path.display()),
                        "create the file or fix the `advice` path (relative to pack.toml)",
                    );
                    None
                }
                Ok(source) => match syn::parse_file(&source) {
                    Err(e) => {
                        let start = e.span().start();
                        cx.errors.push(RuleError {
                            loc: Loc { file: path.clone(), line: start.line, column: start.column + 1 },
                            message: format!("advice does not parse: {e}"),
                            help: "advice files are plain Rust items (std + the `__otel` prelude)".into(),
                        });
                        None
                    }
                    Ok(parsed) => {
                        for item in &parsed.items {
                            if let syn::Item::Fn(f) = item {
                                advice_fns.insert(f.sig.ident.to_string());
                            }
                        }
                        Some((path, source))
                    }
                },
            }
        }
    };
    let advice_file = raw
        .pack
        .advice
        .as_ref()
        .map_or_else(|| "(no advice file)".to_string(), |a| dir.join(a.get_ref()).display().to_string());

    let mut rules = Vec::new();
    let mut ids = HashSet::new();
    for spanned in &raw.rule {
        let offset = spanned.span().start;
        let r = spanned.get_ref();
        let id = format!("{name}/{}", r.id.get_ref());
        if !ids.insert(id.clone()) {
            cx.error(
                r.id.span().start,
                format!("duplicate rule id `{}`", r.id.get_ref()),
                "give every rule of a pack its own id",
            );
        }
        let check_fn = |cx: &mut Ctx, f: &Spanned<String>| {
            let fname = f.get_ref();
            if let Some(prelude) = fname.strip_prefix("__otel::") {
                if !PRELUDE_FNS.contains(&prelude) {
                    cx.error(
                        f.span().start,
                        format!("`{fname}` is not a prelude function"),
                        format!("the prelude offers {}", PRELUDE_FNS.join(", ")),
                    );
                }
            } else if !advice_fns.contains(fname) {
                cx.error(
                    f.span().start,
                    format!("advice fn `{fname}` is not defined in {advice_file}"),
                    format!("define `fn {fname}(..)` in the pack's advice file, or fix the name"),
                );
            }
        };

        let kinds = [r.func.is_some(), r.call.is_some(), r.method.is_some()];
        let join = match kinds {
            [true, false, false] => {
                let func = r.func.as_ref().map(|f| f.get_ref().clone()).unwrap_or_default();
                JoinPoint::Fn(FnJoin {
                    module: r.module.clone(),
                    receiver: r.receiver.clone(),
                    trait_name: r.trait_name.clone(),
                    name: func,
                })
            }
            [false, true, false] => {
                JoinPoint::Call { path: split_path(r.call.as_ref().map(|c| c.get_ref().as_str()).unwrap_or_default()) }
            }
            [false, false, true] => JoinPoint::MethodCall {
                method: r.method.as_ref().map(|m| m.get_ref().clone()).unwrap_or_default(),
                receiver_root: r.receiver_root.as_deref().map(split_path),
                scope_of: r.scope_of.as_deref().map(split_path),
            },
            _ => {
                cx.error(
                    offset,
                    format!("rule `{}` needs exactly one of `fn`, `call`, `method`", r.id.get_ref()),
                    "`fn` advises a definition; `call`/`method` advise call sites",
                );
                continue;
            }
        };
        let call_site = !matches!(join, JoinPoint::Fn(_));

        let mut advice = Vec::new();
        if let Some(span) = &r.span {
            let s = span.get_ref();
            let kind = match &s.kind {
                None => SpanKind::Internal,
                Some(k) => SpanKind::parse(k.get_ref()).unwrap_or_else(|| {
                    cx.error(
                        k.span().start,
                        format!("unknown span kind `{}`", k.get_ref()),
                        "use internal, server, client, producer or consumer",
                    );
                    SpanKind::Internal
                }),
            };
            advice.push(Advice::Span(SpanTemplate {
                name: s.name.clone(),
                kind,
                attributes: s.attributes.clone().into_iter().collect(),
            }));
        }
        if let Some(code) = &r.code {
            if syn::parse_str::<syn::Block>(&format!("{{{}}}", code.get_ref())).is_err() {
                cx.error(
                    code.span().start,
                    "`code` is not valid Rust statements",
                    "write statements as they would appear at the start of the fn body",
                );
            }
            advice.push(Advice::Code(code.get_ref().clone()));
        }
        for (arg, func) in &r.wrap_args {
            check_fn(&mut cx, func);
            advice.push(Advice::WrapArg { arg: arg.clone(), func: func.get_ref().clone() });
        }
        if let Some(f) = &r.on_enter {
            check_fn(&mut cx, f);
            for a in &r.args {
                if syn::parse_str::<syn::Expr>(a.get_ref()).is_err() {
                    cx.error(
                        a.span().start,
                        format!("argument `{}` is not a Rust expression", a.get_ref()),
                        "write e.g. \"&mut request\" or \"&self\"",
                    );
                }
            }
            advice.push(Advice::OnEnter {
                func: f.get_ref().clone(),
                args: r.args.iter().map(|a| a.get_ref().clone()).collect(),
                skip_call: r.skip_call,
            });
        } else if r.skip_call || !r.args.is_empty() {
            cx.error(offset, "`args` and `skip_call` need `on_enter`", "add `on_enter = \"fn_name\"` or remove them");
        }
        if let Some(f) = &r.on_exit {
            check_fn(&mut cx, f);
            advice.push(Advice::OnExit { func: f.get_ref().clone() });
        }
        if let Some(f) = &r.wrap_return {
            check_fn(&mut cx, f);
            advice.push(Advice::WrapReturn { func: f.get_ref().clone() });
        }
        if let Some(w) = &r.wrap_call_arg {
            check_fn(&mut cx, &w.get_ref().with);
            advice.push(Advice::WrapCallArg { index: w.get_ref().index, func: w.get_ref().with.get_ref().clone() });
        }
        let call_site_ok = advice.iter().all(|a| matches!(a, Advice::WrapCallArg { .. }));
        if call_site && (!call_site_ok || advice.is_empty()) {
            cx.error(
                offset,
                "call-site rules (`call`, `method`) take only `wrap_call_arg`",
                "use `fn` to advise a definition",
            );
        } else if !call_site && advice.iter().any(|a| matches!(a, Advice::WrapCallArg { .. })) {
            cx.error(offset, "`wrap_call_arg` needs a `call` or `method` join point", "use `wrap_args` on a `fn` rule");
        } else if advice.is_empty() {
            cx.error(
                offset,
                format!("rule `{}` has no advice", r.id.get_ref()),
                "add `span`, `on_enter`, `on_exit`, `wrap_args`, `wrap_return` or `code`",
            );
        }
        rules.push(Rule { id, join, advice, priority: r.priority, loc: cx.loc(r.id.span().start) });
    }

    if !cx.errors.is_empty() {
        return Err(RuleErrors(cx.errors));
    }
    let mut digest_input = text.to_string();
    if let Some((_, source)) = &advice {
        digest_input.push_str(source);
    }
    Ok(Pack {
        name,
        target,
        manifest: manifest.to_path_buf(),
        advice,
        rules,
        digest: format!("{:016x}", fnv1a(digest_input.as_bytes())),
    })
}

fn split_path(path: &str) -> Vec<String> {
    path.split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// FNV-1a: a stable, dependency-free content hash for fingerprints.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

/// Load every pack below `dir`: `dir` itself if it holds a pack.toml, else each subfolder
/// that does (sorted by name, so load order is stable).
pub fn load_dir(dir: &Path) -> Result<Vec<Pack>, RuleErrors> {
    if dir.join("pack.toml").is_file() {
        return Ok(vec![load_pack(dir)?]);
    }
    let entries = fs::read_dir(dir).map_err(|e| {
        RuleErrors(vec![RuleError {
            loc: Loc { file: dir.to_path_buf(), line: 0, column: 0 },
            message: format!("cannot read rules directory: {e}"),
            help: "pass a folder that holds pack folders (each with a pack.toml)".into(),
        }])
    })?;
    let mut dirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("pack.toml").is_file()).collect();
    dirs.sort();
    let mut packs = Vec::new();
    let mut errors = Vec::new();
    for d in dirs {
        match load_pack(&d) {
            Ok(p) => packs.push(p),
            Err(RuleErrors(mut e)) => errors.append(&mut e),
        }
    }
    if errors.is_empty() { Ok(packs) } else { Err(RuleErrors(errors)) }
}

/// Build a rule set from several sources; a later pack with the same name replaces an
/// earlier one (so `--rules` can override a built-in pack), and `disabled` names are dropped.
pub fn merge(sources: Vec<Vec<Pack>>, disabled: &[String]) -> RuleSet {
    let mut packs: Vec<Pack> = Vec::new();
    for pack in sources.into_iter().flatten() {
        if disabled.contains(&pack.name) {
            continue;
        }
        packs.retain(|p| p.name != pack.name);
        packs.push(pack);
    }
    RuleSet { packs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Pack, RuleErrors> {
        parse_pack(Path::new("rules/demo/pack.toml"), text)
    }

    #[test]
    fn loads_a_span_rule() {
        let pack = parse(
            r#"
[pack]
name = "demo"
crate = "demo"
versions = ">=1, <2"

[[rule]]
id = "work"
fn = "work"
span = { name = "demo.work", kind = "client", attributes = { "a.b" = "{arg.x}" } }
"#,
        )
        .expect("valid pack");
        assert_eq!(pack.rules.len(), 1);
        assert_eq!(pack.rules[0].id, "demo/work");
        assert_eq!(pack.rules[0].loc.line, 8);
        match &pack.rules[0].advice[0] {
            Advice::Span(s) => assert_eq!(s.kind, SpanKind::Client),
            other => panic!("unexpected advice {other:?}"),
        }
    }

    #[test]
    fn malformed_toml_names_line_and_column() {
        let err = parse("[pack]\nname = \"x\"\ncrate = \n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("rules/demo/pack.toml:3:"), "{text}");
    }

    #[test]
    fn unknown_key_is_an_error_with_help() {
        let err = parse("[pack]\nname = \"x\"\ncrate = \"x\"\nversion = \"1\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("pack.toml:4:1"), "{text}");
        assert!(text.contains("unknown field `version`"), "{text}");
        assert!(text.contains("docs/rules.md"), "{text}");
    }

    #[test]
    fn invalid_semver_range_points_at_the_value() {
        let err = parse("[pack]\nname = \"x\"\ncrate = \"x\"\nversions = \">=banana\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("pack.toml:4:12: invalid semver range"), "{text}");
    }

    #[test]
    fn missing_advice_fn_is_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("advice.rs"), "pub fn present() {}\n").expect("write");
        let manifest = dir.path().join("pack.toml");
        let text = "[pack]\nname = \"x\"\ncrate = \"x\"\nadvice = \"advice.rs\"\n\n[[rule]]\nid = \"r\"\nfn = \"f\"\non_enter = \"absent\"\n";
        let err = parse_pack(&manifest, text).unwrap_err().to_string();
        assert!(err.contains(":9:12: advice fn `absent` is not defined"), "{err}");
    }

    #[test]
    fn rule_without_advice_or_join_point_is_rejected() {
        let err = parse("[pack]\nname = \"x\"\ncrate = \"x\"\n[[rule]]\nid = \"a\"\nfn = \"f\"\n[[rule]]\nid = \"b\"\nspan = { name = \"n\" }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rule `a` has no advice"), "{err}");
        assert!(err.contains("exactly one of `fn`, `call`, `method`"), "{err}");
    }

    #[test]
    fn later_pack_overrides_and_disabled_is_dropped() {
        let a = parse("[pack]\nname = \"demo\"\ncrate = \"a\"\n").expect("a");
        let b = parse("[pack]\nname = \"demo\"\ncrate = \"b\"\n").expect("b");
        let set = merge(vec![vec![a], vec![b]], &[]);
        assert_eq!(set.packs.len(), 1);
        assert_eq!(set.target_crates(), vec!["b".to_string()]);
        let c = parse("[pack]\nname = \"demo\"\ncrate = \"c\"\n").expect("c");
        assert!(merge(vec![vec![c]], &["demo".into()]).packs.is_empty());
    }
}
