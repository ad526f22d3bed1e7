//! `cargo otel explain [CRATE]`: without building, which packs apply to which crates of the
//! resolved graph, which functions each rule advises, and for each rule that advises
//! nothing, why.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use super::Args;
use super::build::Workspace;
use crate::flags::defs::ExplainOpts;
use crate::rules::{CrateTarget, Pack};
use crate::shell::Shell;
use crate::weave::{matcher, parse, plan};

pub fn run(args: &Args, opts: &ExplainOpts, shell: &Shell) -> Result<ExitCode> {
    let filter = opts.crate_name.clone();
    let Workspace { metadata, rules, graph, .. } = Workspace::load(args)?;
    let mut out = String::new();
    let mut any = false;
    for pack in &rules.packs {
        let candidates: Vec<&cargo_metadata::Package> = metadata
            .packages
            .iter()
            .filter(|p| pack.applies_to(&p.name, &p.version, p.source.is_none()).is_some())
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
            let key = format!("{} {}", package.name, package.version);
            out.push_str(&format!("pack {} → {} v{}\n", pack.name, package.name, package.version));
            if pack.applies_to(&package.name, &package.version, package.source.is_none()) == Some(false) {
                out.push_str(&format!("  not woven: v{} is outside {}\n", package.version, describe_target(pack)));
                continue;
            }
            if !graph.weavable.contains(&key) {
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
            let points = matcher::collect(&sources, pack.has_call_rules());
            let packs: Vec<&Pack> = vec![pack];
            let outcome = plan::weave(
                &sources,
                &points,
                &plan::WeaveRequest { packs: &packs, directives: false, links_runtime: false, relax_forbid: false },
            );
            for join in &outcome.joins {
                // Paths relative to the package: registry paths are long and say nothing.
                let package_dir =
                    package.manifest_path.parent().map(|d| d.as_std_path().to_path_buf()).unwrap_or_default();
                let file = join.file.strip_prefix(&package_dir).unwrap_or(&join.file);
                out.push_str(&format!("  {:<28} {} ({}:{})\n", join.rule, join.what, file.display(), join.line));
            }
            for warning in &outcome.warnings {
                out.push_str(&format!("  ! {warning}\n"));
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
        CrateTarget::Named { name, versions } => {
            format!("{name} {}", versions.as_deref().unwrap_or("any version"))
        }
        CrateTarget::Workspace => "workspace crates".to_string(),
    }
}
