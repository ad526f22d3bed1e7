//! Weave one crate: run match, codegen and splice over its parsed sources for the packs
//! that apply, and report what was done (join points) and what was not (warnings).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::codegen::{self, FnInfo, Layer};
use super::emit;
use super::matcher::{self, FnSite, JoinPoints};
use super::parse::CrateSources;
use super::splice::{self, Edit};
use crate::rules::{Advice, JoinPoint, Pack, Rule, SpanKind, SpanTemplate};

/// What the weaver is asked to do for one crate.
pub struct WeaveRequest<'a> {
    pub packs: &'a [&'a Pack],
    /// Honour `// otel:span` directives (workspace and path crates only).
    pub directives: bool,
    /// The unit links the runtime: add `extern crate otel_runtime as _;` and init in `main`.
    pub links_runtime: bool,
    /// Relax `#![forbid(unsafe_code)]` (not needed under `--cap-lints allow`).
    pub relax_forbid: bool,
}

/// One advised place, for status lines and `explain`.
#[derive(Debug, Clone)]
pub struct JoinPointReport {
    pub rule: String,
    pub file: PathBuf,
    pub line: usize,
    pub what: String,
}

/// The woven crate.
#[derive(Default)]
pub struct WeaveOutcome {
    /// Modified files (as found by the parser) and their new text.
    pub modified: Vec<(PathBuf, String)>,
    pub joins: Vec<JoinPointReport>,
    /// Problems that did not stop weaving (a rule skipped at a site, a rule matching nothing).
    pub warnings: Vec<String>,
    /// Packs that advised at least one join point.
    pub used_packs: Vec<String>,
}

const PRELUDE: &str = "crate::__otel";

/// Weave `sources`. Never fails: anything that cannot be woven becomes a warning.
pub fn weave(sources: &CrateSources, points: &JoinPoints, request: &WeaveRequest) -> WeaveOutcome {
    let mut outcome = WeaveOutcome::default();
    let mut edits: BTreeMap<usize, Vec<Edit>> = BTreeMap::new();
    let rules: Vec<(&Pack, &Rule)> = request.packs.iter().flat_map(|p| p.rules.iter().map(move |r| (*p, r))).collect();
    let mut rule_hits = vec![0usize; rules.len()];

    for site in &points.fns {
        let mut matched: Vec<(usize, &Pack, &Rule)> = rules
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| matches!(&r.join, JoinPoint::Fn(j) if matcher::fn_matches(j, site)))
            .map(|(i, (p, r))| (i, *p, *r))
            .collect();
        matched.sort_by_key(|(i, _, r)| (-r.priority, *i));
        let directive_rule = (request.directives && site.directive.is_some()).then(|| directive_rule(site));
        let init = request.links_runtime && site.is_main;
        if matched.is_empty() && directive_rule.is_none() && !init {
            continue;
        }
        let file = &sources.files[site.file];
        let module_paths: Vec<String> =
            matched.iter().map(|(_, p, _)| format!("crate::{}", p.advice_module())).collect();
        let mut layers: Vec<Layer> = matched
            .iter()
            .zip(&module_paths)
            .map(|((_, p, r), m)| Layer { pack: &p.name, advice_module: m, advice: &r.advice })
            .collect();
        if let Some(rule) = &directive_rule {
            layers.push(Layer { pack: DIRECTIVE_PACK, advice_module: "crate::__otel", advice: &rule.advice });
        }
        let info = fn_info(site);
        let qualified = site.qualified();
        match codegen::weave_fn(&FnInfo { qualified: &qualified, ..info }, &layers, PRELUDE, init) {
            Ok(splice) => {
                let list = edits.entry(site.file).or_default();
                if !splice.prologue.is_empty() {
                    list.push(Edit::new(site.body_open, format!(" {}", splice.prologue.trim_end())));
                }
                if !splice.epilogue.is_empty() {
                    list.push(Edit::new(site.body_close, format!("{} ", splice.epilogue.trim())));
                }
                for (i, _, rule) in &matched {
                    rule_hits[*i] += 1;
                    outcome.joins.push(report(&rule.id, file.path.clone(), site));
                }
                if directive_rule.is_some() {
                    outcome.joins.push(report("otel:span", file.path.clone(), site));
                }
            }
            Err(reason) => {
                for (i, _, _) in &matched {
                    rule_hits[*i] += 1; // it matched; the warning says why it was not applied
                }
                let ids: Vec<&str> = matched.iter().map(|(_, _, r)| r.id.as_str()).collect();
                outcome.warnings.push(format!(
                    "{}:{}: not instrumented ({}): {reason}",
                    file.path.display(),
                    site.ident_at.line,
                    if ids.is_empty() { "otel:span".to_string() } else { ids.join(", ") }
                ));
            }
        }
    }

    for call in &points.calls {
        for (i, (pack, rule)) in rules.iter().enumerate() {
            if !matcher::call_matches(&rule.join, call) {
                continue;
            }
            for advice in &rule.advice {
                let Advice::WrapCallArg { index, func } = advice else {
                    continue;
                };
                let Some((start, end)) = call.args.get(*index) else {
                    continue;
                };
                let func = match func.strip_prefix("__otel::") {
                    Some(rest) => format!("{PRELUDE}::{rest}"),
                    None => format!("crate::{}::{func}", pack.advice_module()),
                };
                let list = edits.entry(call.file).or_default();
                list.push(Edit::new(*start, format!("{func}(")));
                list.push(Edit::new(*end, ")"));
                rule_hits[i] += 1;
                outcome.joins.push(JoinPointReport {
                    rule: rule.id.clone(),
                    file: sources.files[call.file].path.clone(),
                    line: call.at.line,
                    what: call.method.clone().unwrap_or_else(|| call.path.join("::")),
                });
            }
        }
    }

    for (i, (pack, rule)) in rules.iter().enumerate() {
        if rule_hits[i] == 0 && !matches!(pack.target, crate::rules::CrateTarget::Workspace) {
            outcome.warnings.push(format!(
                "rule {} ({}) matched nothing: {}",
                rule.id,
                rule.loc,
                matcher::explain_miss(rule, points)
            ));
        }
    }
    for (path, error) in &sources.unparsed {
        outcome.warnings.push(format!("{}: not parsed, not instrumented: {error}", path.display()));
    }

    let mut used: Vec<&Pack> = request
        .packs
        .iter()
        .copied()
        .filter(|p| rules.iter().zip(&rule_hits).any(|((rp, _), hits)| rp.name == p.name && *hits > 0))
        .collect();
    used.dedup_by_key(|p| p.name.clone());
    outcome.used_packs = used.iter().map(|p| p.name.clone()).collect();
    if outcome.joins.iter().any(|j| j.rule == "otel:span") {
        outcome.used_packs.push("otel:span".to_string());
    }

    if edits.is_empty() && !request.links_runtime {
        return outcome;
    }
    edits.entry(0).or_default();
    for (index, file_edits) in edits {
        let file = &sources.files[index];
        let base = if index == 0 && request.relax_forbid {
            splice::relax_forbid_text(&file.text, &file.ast)
        } else {
            file.text.clone()
        };
        let mut text = match splice::apply(&base, &file_edits) {
            Ok(t) => t,
            Err(e) => {
                outcome.warnings.push(format!("{}: {e}", file.path.display()));
                continue;
            }
        };
        if index == 0 {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&emit::prelude_module());
            for pack in &used {
                if !pack.advice.is_empty() {
                    text.push_str(&emit::advice_module(&pack.advice_module(), &pack.advice));
                }
            }
            if request.links_runtime {
                text.push_str("extern crate otel_runtime as _;\n");
            }
        }
        outcome.modified.push((file.path.clone(), text));
    }
    outcome
}

fn report(rule: &str, file: PathBuf, site: &FnSite) -> JoinPointReport {
    JoinPointReport { rule: rule.to_string(), file, line: site.ident_at.line, what: site.qualified() }
}

fn fn_info(site: &FnSite) -> FnInfo<'_> {
    FnInfo {
        shape: site.shape,
        params: &site.params,
        ret: &site.ret,
        ret_nameable: site.ret_nameable,
        track_caller: site.track_caller,
        is_const: site.is_const,
        qualified: "",
    }
}

/// The pack name directive spans are switched by (`OTEL_RUST_INSTRUMENTATION_USER_ENABLED`).
const DIRECTIVE_PACK: &str = "user";

/// `// otel:span [name]`: an INTERNAL span named after the fn (or the given name).
fn directive_rule(site: &FnSite) -> Rule {
    let name = match site.directive.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "{fn}".to_string(),
    };
    Rule {
        id: "otel:span".into(),
        join: JoinPoint::Fn(crate::rules::FnJoin {
            module: None,
            receiver: None,
            trait_name: None,
            name: site.name.clone(),
        }),
        advice: vec![Advice::Span(SpanTemplate {
            name,
            kind: SpanKind::Internal,
            attributes: vec![("code.function.name".into(), "{fn}".into())],
        })],
        priority: 0,
        loc: Default::default(),
    }
}

/// Relative path of `file` inside `package`, for the shadow tree.
pub fn relative_to(file: &Path, package: &Path) -> Option<PathBuf> {
    file.strip_prefix(package).ok().map(Path::to_path_buf)
}
