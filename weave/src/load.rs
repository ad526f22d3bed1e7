//! Loading rule packs from TOML into the validated model.
//!
//! Every error names the file, line and column and says how to fix it. Loading never stops
//! at the first problem: all errors of a pack are reported together.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Advice, CrateTarget, Exclude, FnJoin, JoinPoint, Loc, Pack, Rule, RuleSet, SpanKind, SpanTemplate};

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
const PRELUDE_FNS: &[&str] = &["propagate", "propagate_fn", "propagate_fn1", "ctx_sync"];

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
    krate: Spanned<CrateNames>,
    versions: Option<Spanned<String>>,
    advice: Option<Spanned<AdviceFiles>>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    runtime_dependency: Option<Spanned<bool>>,
}

/// `crate = "reqwest"`, `crate = "regex*"` or `crate = ["serde_json", "regex*"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum CrateNames {
    One(String),
    Many(Vec<String>),
}

impl CrateNames {
    fn list(&self) -> Vec<String> {
        match self {
            CrateNames::One(name) => vec![name.clone()],
            CrateNames::Many(names) => names.clone(),
        }
    }
}

/// `advice = "advice.rs"` or `advice = ["../hyper/h1_server.rs", "advice.rs"]`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AdviceFiles {
    One(String),
    Many(Vec<String>),
}

impl AdviceFiles {
    fn paths(&self) -> Vec<&str> {
        match self {
            AdviceFiles::One(path) => vec![path.as_str()],
            AdviceFiles::Many(paths) => paths.iter().map(String::as_str).collect(),
        }
    }
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
    visibility: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
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
    let names = raw.pack.krate.get_ref().list();
    if names.is_empty()
        || names.iter().any(|n| {
            n.is_empty() || n.chars().any(|c| !(c.is_ascii_alphanumeric() || "-_*".contains(c)) && n != "@workspace")
        })
    {
        cx.error(
            raw.pack.krate.span().start,
            "`crate` must name packages",
            "write a package name, a glob such as \"regex*\" or \"*\", a list of those, or \"@workspace\"",
        );
    }
    if names.len() > 1 && names.iter().any(|n| n == "@workspace") {
        cx.error(
            raw.pack.krate.span().start,
            "`@workspace` cannot be combined with names",
            "give `@workspace` a pack of its own",
        );
    }
    let target = if names == ["@workspace"] {
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
        CrateTarget::Named { names, versions }
    };

    let runtime_dependency = raw.pack.runtime_dependency.as_ref().is_some_and(|r| *r.get_ref());
    if let Some(r) = raw.pack.runtime_dependency.as_ref().filter(|r| *r.get_ref()) {
        let named = matches!(&target, CrateTarget::Named { names, .. } if names.iter().all(|n| !n.contains('*')));
        if !named || raw.pack.advice.is_some() {
            cx.error(
                r.span().start,
                "`runtime_dependency` packs weave one named crate of the runtime's graph, with prelude advice only",
                "name the crate without globs and call only `__otel::` functions (no `advice` file)",
            );
        }
    }
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let mut advice_fns: HashSet<String> = HashSet::new();
    // Item names over all advice files (they share one module), for a clear error before
    // rustc's E0428/E0252: name → where it was first defined.
    let mut item_names: BTreeMap<String, Loc> = BTreeMap::new();
    let mut advice: Vec<(PathBuf, String)> = Vec::new();
    let advice_paths = raw.pack.advice.as_ref().map(|a| a.get_ref().paths()).unwrap_or_default();
    if let Some(files) = &raw.pack.advice
        && advice_paths.is_empty()
    {
        cx.error(files.span().start, "`advice` lists no file", "name at least one advice file, or remove `advice`");
    }
    let advice_offset = raw.pack.advice.as_ref().map_or(0, |a| a.span().start);
    for file in &advice_paths {
        let path = dir.join(file);
        let source = match fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => {
                cx.error(
                    advice_offset,
                    format!("cannot read advice file {}: {e}", path.display()),
                    "create the file or fix the `advice` path (relative to pack.toml)",
                );
                continue;
            }
        };
        let parsed = match syn::parse_file(&source) {
            Ok(parsed) => parsed,
            Err(e) => {
                let start = e.span().start();
                cx.errors.push(RuleError {
                    loc: Loc { file: path.clone(), line: start.line, column: start.column + 1 },
                    message: format!("advice does not parse: {e}"),
                    help: "advice files are plain Rust items (std + the `__otel` prelude)".into(),
                });
                continue;
            }
        };
        for item in &parsed.items {
            if let syn::Item::Fn(f) = item {
                advice_fns.insert(f.sig.ident.to_string());
            }
            for ident in item_names_of(item) {
                let start = ident.span().start();
                let here = Loc { file: path.clone(), line: start.line, column: start.column + 1 };
                match item_names.get(&ident.to_string()) {
                    Some(first) if advice_paths.len() > 1 => cx.errors.push(RuleError {
                        loc: here,
                        message: format!("`{ident}` is already defined at {first}"),
                        help: "a pack's advice files are one module: define or import each name once \
                               (shared files name std items by full path, e.g. `::std::sync::Mutex`)"
                            .into(),
                    }),
                    Some(_) => {}
                    None => {
                        item_names.insert(ident.to_string(), here);
                    }
                }
            }
        }
        advice.push((path, source));
    }
    let advice_file = if advice.is_empty() {
        "(no advice file)".to_string()
    } else {
        advice.iter().map(|(p, _)| p.display().to_string()).collect::<Vec<_>>().join(", ")
    };

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
        if !kinds[0] {
            if let Some(v) = &r.visibility {
                cx.error(
                    v.span().start,
                    "`visibility` applies to `fn` rules only",
                    "remove it, or match definitions with `fn`",
                );
            }
            if let Some(e) = r.exclude.first() {
                cx.error(
                    e.span().start,
                    "`exclude` applies to `fn` rules only",
                    "remove it, or match definitions with `fn`",
                );
            }
        }
        let join = match kinds {
            [true, false, false] => {
                let func = r.func.as_ref().map(|f| f.get_ref().clone()).unwrap_or_default();
                let public_only = match &r.visibility {
                    None => false,
                    Some(v) if v.get_ref() == "pub" => true,
                    Some(v) => {
                        cx.error(
                            v.span().start,
                            format!("unknown visibility `{}`", v.get_ref()),
                            "write `visibility = \"pub\"` or leave it out",
                        );
                        false
                    }
                };
                let mut exclude = Vec::new();
                for e in &r.exclude {
                    match Exclude::parse(e.get_ref()) {
                        Some(x) => exclude.push(x),
                        None => cx.error(
                            e.span().start,
                            format!("unknown exclusion `{}`", e.get_ref()),
                            "use \"tests\", \"trait_impls\" or \"unsafe\"",
                        ),
                    }
                }
                JoinPoint::Fn(FnJoin {
                    module: r.module.clone(),
                    receiver: r.receiver.clone(),
                    trait_name: r.trait_name.clone(),
                    name: func,
                    public_only,
                    exclude,
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
    Ok(Pack { name, target, manifest: manifest.to_path_buf(), advice, rules, runtime_dependency })
}

/// The names a top-level item defines in its module (`use` imports included).
fn item_names_of(item: &syn::Item) -> Vec<syn::Ident> {
    fn use_names(tree: &syn::UseTree, out: &mut Vec<syn::Ident>) {
        match tree {
            syn::UseTree::Path(p) => use_names(&p.tree, out),
            syn::UseTree::Name(n) if n.ident != "self" => out.push(n.ident.clone()),
            syn::UseTree::Name(_) | syn::UseTree::Glob(_) => {}
            syn::UseTree::Rename(r) => out.push(r.rename.clone()),
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
        }
    }
    let mut out = Vec::new();
    match item {
        syn::Item::Const(i) => out.push(i.ident.clone()),
        syn::Item::Enum(i) => out.push(i.ident.clone()),
        syn::Item::Fn(i) => out.push(i.sig.ident.clone()),
        syn::Item::Mod(i) => out.push(i.ident.clone()),
        syn::Item::Static(i) => out.push(i.ident.clone()),
        syn::Item::Struct(i) => out.push(i.ident.clone()),
        syn::Item::Trait(i) => out.push(i.ident.clone()),
        syn::Item::Type(i) => out.push(i.ident.clone()),
        syn::Item::Union(i) => out.push(i.ident.clone()),
        syn::Item::Use(i) => use_names(&i.tree, &mut out),
        _ => {}
    }
    out
}

fn split_path(path: &str) -> Vec<String> {
    path.split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
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

    #[test]
    fn catch_all_keys_are_checked() {
        let bad = parse_pack(
            std::path::Path::new("p/pack.toml"),
            "[pack]\nname = \"x\"\ncrate = [\"a\", \"@workspace\"]\n\n[[rule]]\nid = \"r\"\nfn = \"*\"\nvisibility = \"public\"\nexclude = [\"tests\", \"macros\"]\nspan = { name = \"n\" }\n\n[[rule]]\nid = \"c\"\ncall = \"a::b\"\nvisibility = \"pub\"\nwrap_call_arg = { index = 0, with = \"f\" }\n",
        )
        .expect_err("invalid");
        let text = bad.to_string();
        assert!(text.contains("p/pack.toml:3:9: `@workspace` cannot be combined"), "{text}");
        assert!(text.contains("unknown visibility `public`"), "{text}");
        assert!(text.contains("unknown exclusion `macros`"), "{text}");
        assert!(text.contains("`visibility` applies to `fn` rules only"), "{text}");
    }

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
    fn advice_files_of_a_pack_are_one_module() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir(dir.path().join("shared")).expect("mkdir");
        fs::write(dir.path().join("shared/common.rs"), "pub fn shared_enter() {}\nfn helper() {}\n").expect("write");
        fs::write(dir.path().join("advice.rs"), "use std::time::Instant;\npub fn own_enter() {}\n").expect("write");
        let manifest = dir.path().join("pack.toml");
        let text = "[pack]\nname = \"x\"\ncrate = \"x\"\nadvice = [\"shared/common.rs\", \"advice.rs\"]\n\n\
                    [[rule]]\nid = \"a\"\nfn = \"f\"\non_enter = \"shared_enter\"\n\n\
                    [[rule]]\nid = \"b\"\nfn = \"g\"\non_enter = \"own_enter\"\n";
        let pack = parse_pack(&manifest, text).expect("valid pack");
        let files: Vec<_> = pack.advice.iter().map(|(p, _)| p.file_name().expect("name").to_owned()).collect();
        assert_eq!(files, ["common.rs", "advice.rs"]);

        fs::write(dir.path().join("advice.rs"), "pub fn own_enter() {}\nuse std::sync::{Mutex, Arc as helper};\n")
            .expect("write");
        let err = parse_pack(&manifest, text).unwrap_err().to_string();
        assert!(err.contains("advice.rs:2:31: `helper` is already defined at"), "{err}");
        assert!(err.contains("common.rs:2:4"), "{err}");
    }

    #[test]
    fn runtime_dependency_packs_name_one_crate_and_use_prelude_advice() {
        let rule = "\n[[rule]]\nid = \"r\"\nmodule = \"context\"\nfn = \"attach\"\non_enter = \"__otel::ctx_sync\"\n";
        let ok = parse(&format!("[pack]\nname = \"o\"\ncrate = \"opentelemetry\"\nruntime_dependency = true\n{rule}"))
            .expect("valid");
        assert!(ok.runtime_dependency);
        let plain = parse(&format!("[pack]\nname = \"o\"\ncrate = \"opentelemetry\"\n{rule}")).expect("valid");
        assert!(!plain.runtime_dependency);
        let err = parse(&format!("[pack]\nname = \"o\"\ncrate = \"open*\"\nruntime_dependency = true\n{rule}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("pack.toml:4:") && err.contains("one named crate of the runtime's graph"), "{err}");
    }

    #[test]
    fn advice_list_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = dir.path().join("pack.toml");
        let err = parse_pack(&manifest, "[pack]\nname = \"x\"\ncrate = \"x\"\nadvice = [\"missing.rs\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":4:10: cannot read advice file") && err.contains("missing.rs"), "{err}");
        let err = parse_pack(&manifest, "[pack]\nname = \"x\"\ncrate = \"x\"\nadvice = []\n").unwrap_err().to_string();
        assert!(err.contains("`advice` lists no file"), "{err}");
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
        assert_eq!(set.naming("b").count(), 1);
        let c = parse("[pack]\nname = \"demo\"\ncrate = \"c\"\n").expect("c");
        assert!(merge(vec![vec![c]], &["demo".into()]).packs.is_empty());
    }
}
