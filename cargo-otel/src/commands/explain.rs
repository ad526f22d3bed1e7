//! `cargo otel explain [CRATE]`: without building, which packs apply to which crates of the
//! resolved graph, which functions each rule advises, and for each rule that advises
//! nothing, why.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::build::Workspace;
use crate::flags::Args;
use otel_weave::matcher::{self, At, MatchRequest};
use otel_weave::{collect, parse};

use crate::flags::defs::ExplainOpts;
use crate::model::{CrateTarget, Pack};
use crate::shell::Shell;

pub fn run(args: &Args, opts: &ExplainOpts, shell: &Shell) -> Result<ExitCode> {
    let filter = opts.crate_name.clone();
    let Workspace { metadata, rules, graph, .. } = Workspace::load(args)?;
    let kinds = super::build::source_kinds(&metadata);
    let mut out = String::new();
    let mut any = false;
    for pack in &rules.packs {
        let candidates: Vec<&cargo_metadata::Package> = metadata
            .packages
            .iter()
            .filter(|p| pack.applies_to(&p.name, &p.version, kinds.get(&p.id).is_some_and(|k| k.is_local())).is_some())
            .filter(|p| filter.as_deref().is_none_or(|f| f == p.name.as_str()))
            .collect();
        if candidates.is_empty() {
            if filter.is_none() {
                out.push_str(&format!("pack {}: no crate in the graph ({})\n", pack.name, describe_target(pack)));
            }
            continue;
        }
        for package in candidates {
            any = true;
            out.push_str(&format!("pack {} → {} v{}\n", pack.name, package.name, package.version));
            let decision = graph.packages.get(package.manifest_path.as_std_path());
            if decision.is_some_and(|d| !d.packs.contains(&pack.name))
                || decision.is_none()
                    && pack.applies_to(
                        &package.name,
                        &package.version,
                        kinds.get(&package.id).is_some_and(|k| k.is_local()),
                    ) == Some(false)
            {
                out.push_str(&format!("  not woven: v{} is outside {}\n", package.version, describe_target(pack)));
                continue;
            }
            if decision.is_none() && graph.runtime_closure.contains(&package.id) {
                out.push_str(&format!(
                    "  not woven: otel-runtime itself depends on {}; cargo compiles one copy for the runtime and the app, and the exporter must never trace itself\n",
                    package.name
                ));
                continue;
            }
            if decision.is_none() {
                out.push_str("  not woven: no package that depends on otel-runtime links it (run `cargo otel init`)\n");
                continue;
            }
            let Some(root) = package.targets.iter().find(|t| {
                t.kind.iter().any(|k| {
                    matches!(
                        k,
                        cargo_metadata::TargetKind::Lib
                            | cargo_metadata::TargetKind::RLib
                            | cargo_metadata::TargetKind::Bin
                    )
                })
            }) else {
                out.push_str("  no library or binary target\n");
                continue;
            };
            let sources = match parse::parse_crate(&PathBuf::from(root.src_path.as_std_path())) {
                Ok(s) => s,
                Err(e) => {
                    out.push_str(&format!("  does not parse: {e:#}\n"));
                    continue;
                }
            };
            // Explain stops after the match stage: no code is generated, nothing written.
            let points = collect::collect(&sources, pack.has_call_rules());
            let packs: Vec<&Pack> = vec![pack];
            let request = MatchRequest { packs: &packs, directives: false, links_runtime: false };
            let matches = matcher::match_unit(&points, &request);
            // Paths relative to the package: registry paths are long and say nothing.
            let package_dir = package.manifest_path.parent().map(|d| d.as_std_path().to_path_buf()).unwrap_or_default();
            for m in &matches {
                let (file, line, what) = match m.at {
                    At::Fn(site) => (site.file, site.ident_at.line, site.qualified()),
                    At::Call(call) => {
                        (call.file, call.at.line, call.method.clone().unwrap_or_else(|| call.path.join("::")))
                    }
                };
                let path = &sources.files[file].path;
                let path = path.strip_prefix(&package_dir).unwrap_or(path);
                for rule in &m.rules {
                    out.push_str(&format!("  {:<28} {what} ({}:{line})\n", rule.rule.id, path.display()));
                }
            }
            for (_, rule, why) in matcher::misses(&packs, &matches, &points) {
                out.push_str(&format!("  ! rule {} ({}) matched nothing: {why}\n", rule.id, rule.loc));
            }
            for (path, error) in &sources.unparsed {
                out.push_str(&format!("  ! {}: not parsed: {error}\n", path.display()));
            }
            if !points.opaque_macros.is_empty() {
                out.push_str(&format!(
                    "  note: {} item-position macro calls are not expanded before weaving; fns they generate cannot be matched\n",
                    points.opaque_macros.len()
                ));
            }
        }
    }
    if filter.is_some() && !any {
        shell.warn(format!("no pack targets `{}` in this graph", filter.unwrap_or_default()));
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn describe_target(pack: &Pack) -> String {
    match &pack.target {
        CrateTarget::Named { versions, .. } => {
            format!("{} {}", pack.target.describe(), versions.as_deref().unwrap_or("any version"))
        }
        CrateTarget::Workspace => "workspace crates".to_string(),
    }
}
