//! Stage 3, match: rules against the collected join points.
//!
//! A pure filter over [`JoinPoints`]: every rule of the unit's packs is tried on every fn
//! definition and call site, and the result is a list of [`Match`]es (which rule, which
//! site), ordered for code generation. For rules that match nothing, [`explain_miss`] says
//! why. Matching never looks at advice and never produces code.

use std::borrow::Cow;

use crate::collect::{CallSite, FnSite, JoinPoints};
use crate::model::{Advice, CrateTarget, Exclude, FnJoin, JoinPoint, Pack, Rule, SpanKind, SpanTemplate};

/// The pack name directive spans are switched by (`OTEL_RUST_INSTRUMENTATION_USER_ENABLED`).
pub const DIRECTIVE_PACK: &str = "user";
/// The rule id reported for `// otel:span` directives.
pub const DIRECTIVE_RULE: &str = "otel:span";

/// Where a match is.
#[derive(Clone, Copy, Debug)]
pub enum At<'a> {
    Fn(&'a FnSite),
    Call(&'a CallSite),
}

/// One rule that selected a site, with the pack it comes from (`None`: a directive).
#[derive(Clone, Debug)]
pub struct Matched<'a> {
    pub pack: Option<&'a Pack>,
    pub rule: Cow<'a, Rule>,
}

impl Matched<'_> {
    /// The pack name the instrumentation switch and status lines use.
    pub fn pack_name(&self) -> &str {
        self.pack.map_or(DIRECTIVE_PACK, |p| p.name.as_str())
    }
}

/// One advised site: every rule that selected it, outermost first, and whether the
/// runtime's initialisation goes there (`fn main` of a unit that links the runtime).
#[derive(Clone, Debug)]
pub struct Match<'a> {
    pub at: At<'a>,
    pub rules: Vec<Matched<'a>>,
    pub init: bool,
}

/// What the match stage is asked: the unit's packs and switches.
#[derive(Clone, Copy, Debug)]
pub struct MatchRequest<'a> {
    pub packs: &'a [&'a Pack],
    /// Honour `// otel:span` directives (workspace and path packages only).
    pub directives: bool,
    /// The unit links the runtime: its `fn main` initialises it.
    pub links_runtime: bool,
}

/// Match every rule of `request.packs` against `points`. Fn sites come first, in
/// collection order, then call sites.
pub fn match_unit<'a>(points: &'a JoinPoints, request: &MatchRequest<'a>) -> Vec<Match<'a>> {
    let rules: Vec<(&'a Pack, &'a Rule)> =
        request.packs.iter().flat_map(|p| p.rules.iter().map(move |r| (*p, r))).collect();
    let mut out = Vec::new();
    for site in &points.fns {
        let mut matched: Vec<(usize, &'a Pack, &'a Rule)> = rules
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| matches!(&r.join, JoinPoint::Fn(j) if fn_matches(j, site) && applicable(j, site)))
            .map(|(i, (p, r))| (i, *p, *r))
            .collect();
        matched.sort_by_key(|(i, _, r)| (-r.priority, *i));
        let mut list: Vec<Matched<'a>> =
            matched.into_iter().map(|(_, p, r)| Matched { pack: Some(p), rule: Cow::Borrowed(r) }).collect();
        if request.directives && site.directive.is_some() {
            list.push(Matched { pack: None, rule: Cow::Owned(directive_rule(site)) });
        }
        let init = request.links_runtime && site.is_main;
        if !list.is_empty() || init {
            out.push(Match { at: At::Fn(site), rules: list, init });
        }
    }
    for call in &points.calls {
        let list: Vec<Matched<'a>> = rules
            .iter()
            .filter(|(_, r)| call_matches(&r.join, call))
            .map(|(p, r)| Matched { pack: Some(*p), rule: Cow::Borrowed(*r) })
            .collect();
        if !list.is_empty() {
            out.push(Match { at: At::Call(call), rules: list, init: false });
        }
    }
    out
}

/// Is a site that `join` selects one it can advise? A `const fn` cannot call the runtime: a
/// rule naming it exactly gets a warning from codegen, but a glob (`fn = "*"`) passes over
/// it silently, as "not applicable here" rather than a problem.
fn applicable(join: &FnJoin, site: &FnSite) -> bool {
    let trait_method = site.trait_name.is_some();
    !(site.is_const && is_glob(&join.name))
        && (!join.public_only || site.is_pub || trait_method)
        && join.exclude.iter().all(|e| match e {
            Exclude::Tests => !site.in_test,
            Exclude::TraitImpls => !trait_method,
            Exclude::Unsafe => !site.is_unsafe,
        })
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains('*')
}

/// Rules of named-crate packs that selected nothing (a `@workspace` pack matching nothing in
/// one crate is normal), with why: a warning each, since a pack that silently matches
/// nothing is usually a pack written against another version. A rule whose fn name is a
/// glob is a catch-all, for which a crate without a match (a crate that only re-exports) is
/// normal too.
pub fn misses<'a>(packs: &[&'a Pack], matches: &[Match<'_>], points: &JoinPoints) -> Vec<(&'a Pack, &'a Rule, String)> {
    let mut out = Vec::new();
    for pack in packs.iter().filter(|p| !matches!(p.target, CrateTarget::Workspace)) {
        for rule in pack.rules.iter().filter(|r| !matches!(&r.join, JoinPoint::Fn(j) if is_glob(&j.name))) {
            let hit = matches.iter().any(|m| m.rules.iter().any(|r| r.pack.is_some() && r.rule.id == rule.id));
            if !hit {
                out.push((*pack, rule, explain_miss(rule, points)));
            }
        }
    }
    out
}

/// The pre-filter: what a file must contain, given its module path, to hold a join point of
/// a request. It keeps files away from syn, the weaver's main cost on large crates.
#[derive(Debug, Default)]
pub struct Prefilter {
    /// (module glob of the rule, if any; a word the file must contain).
    needles: Vec<(Option<String>, String)>,
    /// Some rule could match anywhere (`fn = "*"` with no receiver or trait).
    everything: bool,
}

impl Prefilter {
    pub fn new(request: &MatchRequest<'_>) -> Prefilter {
        /// The longest literal run of a glob: any text it matches contains it.
        fn literal(glob: &str) -> Option<String> {
            glob.split('*').max_by_key(|s| s.len()).filter(|s| !s.is_empty()).map(str::to_string)
        }
        let mut filter = Prefilter::default();
        if request.directives {
            filter.needles.push((None, "otel:span".to_string()));
        }
        for rule in request.packs.iter().flat_map(|p| &p.rules) {
            let needle = match &rule.join {
                JoinPoint::Fn(j) => literal(&j.name)
                    .or_else(|| j.receiver.as_deref().and_then(literal))
                    .or_else(|| j.trait_name.clone())
                    .map(|word| (j.module.clone(), word)),
                JoinPoint::Call { path } => path.last().map(|word| (None, word.clone())),
                JoinPoint::MethodCall { method, .. } => Some((None, method.clone())),
            };
            match needle {
                Some(n) => filter.needles.push(n),
                None => filter.everything = true,
            }
        }
        filter
    }

    /// May a file of module `module` whose text is `text` hold a join point? (Fns of inline
    /// modules in the file extend `module`, so a module glob is checked as a prefix.)
    pub fn may_match(&self, module: &[String], text: &str) -> bool {
        self.everything
            || self.needles.iter().any(|(glob, word)| {
                glob.as_deref().is_none_or(|g| module_prefix_may_match(g, module)) && text.contains(word.as_str())
            })
    }
}

/// Could `pattern` match `module` followed by some (possibly empty) further segments?
pub fn module_prefix_may_match(pattern: &str, module: &[String]) -> bool {
    let pat: Vec<&str> = pattern.split("::").filter(|s| !s.is_empty()).collect();
    fn go(pat: &[&str], module: &[String]) -> bool {
        if module.is_empty() {
            return true; // the rest of the pattern may match inline modules
        }
        match pat.split_first() {
            None => false,
            Some((&"**", rest)) => (0..=module.len()).any(|i| go(rest, &module[i..])),
            Some((seg, rest)) => module.split_first().is_some_and(|(m, mrest)| glob(seg, m) && go(rest, mrest)),
        }
    }
    go(&pat, module)
}

/// `// otel:span [name]`: an INTERNAL span named after the fn (or the given name).
fn directive_rule(site: &FnSite) -> Rule {
    let name = match site.directive.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "{fn}".to_string(),
    };
    Rule {
        id: DIRECTIVE_RULE.into(),
        join: JoinPoint::Fn(FnJoin { name: site.name.clone(), ..FnJoin::default() }),
        advice: vec![Advice::Span(SpanTemplate {
            name,
            kind: SpanKind::Internal,
            attributes: vec![("code.function.name".into(), "{fn}".into())],
        })],
        priority: 0,
        loc: Default::default(),
    }
}

/// Glob match with `*` (any run of characters) on one string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Module path glob: segments separated by `::`; `*` within a segment, `**` any segments.
pub fn module_matches(pattern: &str, module: &[String]) -> bool {
    let pat: Vec<&str> = pattern.split("::").filter(|s| !s.is_empty()).collect();
    fn go(pat: &[&str], module: &[String]) -> bool {
        match pat.split_first() {
            None => module.is_empty(),
            Some((&"**", rest)) => (0..=module.len()).any(|i| go(rest, &module[i..])),
            Some((seg, rest)) => module.split_first().is_some_and(|(m, mrest)| glob(seg, m) && go(rest, mrest)),
        }
    }
    go(&pat, module)
}

/// Does a fn join point select this site?
pub fn fn_matches(join: &FnJoin, site: &FnSite) -> bool {
    glob(&join.name, &site.name)
        && join.module.as_deref().is_none_or(|m| module_matches(m, &site.module))
        && join.receiver.as_deref().is_none_or(|r| site.receiver.as_deref().is_some_and(|s| glob(r, s)))
        && join.trait_name.as_deref().is_none_or(|t| site.trait_name.as_deref() == Some(t))
}

fn path_ends_with(path: &[String], suffix: &[String]) -> bool {
    !suffix.is_empty() && path.len() >= suffix.len() && path[path.len() - suffix.len()..] == *suffix
}

/// Does a call-site join point select this call?
pub fn call_matches(join: &JoinPoint, call: &CallSite) -> bool {
    match join {
        JoinPoint::Call { path } => call.method.is_none() && path_ends_with(&call.path, path),
        JoinPoint::MethodCall { method, receiver_root, scope_of } => {
            call.method.as_deref() == Some(method.as_str())
                && receiver_root.as_ref().is_none_or(|r| path_ends_with(&call.receiver_root, r))
                && scope_of.as_ref().is_none_or(|s| path_ends_with(&call.receiver_scope, s))
                && (receiver_root.is_some() || scope_of.is_some() || call.receiver_root.is_empty())
        }
        JoinPoint::Fn(_) => false,
    }
}

/// Why a rule matched nothing in this crate: the nearest candidates and what differs.
pub fn explain_miss(rule: &Rule, points: &JoinPoints) -> String {
    match &rule.join {
        JoinPoint::Fn(join) => {
            let named: Vec<&FnSite> = points.fns.iter().filter(|s| glob(&join.name, &s.name)).collect();
            if named.is_empty() {
                let macro_note = if points.opaque_macros.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} item-position macro calls were not expanded; fns they generate are invisible before expansion)",
                        points.opaque_macros.len()
                    )
                };
                return format!("no fn named `{}` in the crate{macro_note}", join.name);
            }
            let reasons: Vec<String> = named
                .iter()
                .take(3)
                .map(|s| {
                    let mut why = Vec::new();
                    if let Some(m) = &join.module
                        && !module_matches(m, &s.module)
                    {
                        why.push(format!("module `{}` is not `{m}`", s.module.join("::")));
                    }
                    if let Some(r) = &join.receiver
                        && !s.receiver.as_deref().is_some_and(|x| glob(r, x))
                    {
                        why.push(format!("receiver is {:?}, not `{r}`", s.receiver));
                    }
                    if let Some(t) = &join.trait_name
                        && s.trait_name.as_deref() != Some(t.as_str())
                    {
                        why.push(format!("trait is {:?}, not `{t}`", s.trait_name));
                    }
                    format!("`{}` at line {}: {}", s.qualified(), s.ident_at.line, why.join(", "))
                })
                .collect();
            format!("fns named `{}` exist but differ: {}", join.name, reasons.join("; "))
        }
        _ => "no call site matches in this crate".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("spawn*", "spawn_blocking"));
        assert!(glob("*", "x"));
        assert!(!glob("spawn", "spawn_blocking"));
        assert!(module_matches("task::**", &["task".into(), "spawn".into()]));
        assert!(module_matches("**", &[]));
        assert!(module_matches("async_*::client", &["async_impl".into(), "client".into()]));
        assert!(!module_matches("task", &["task".into(), "spawn".into()]));
    }

    #[test]
    fn module_prefixes() {
        let m = |s: &str| s.split("::").filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>();
        assert!(module_prefix_may_match("task::spawn", &m("task")));
        assert!(module_prefix_may_match("task::spawn", &m("task::spawn")));
        assert!(!module_prefix_may_match("task::spawn", &m("task::spawn::inner")));
        assert!(!module_prefix_may_match("task::spawn", &m("runtime")));
        assert!(module_prefix_may_match("client::**", &m("client::legacy::pool")));
        assert!(module_prefix_may_match("**", &m("a::b")));
        assert!(module_prefix_may_match("a", &[]));
    }
}
