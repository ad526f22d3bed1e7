//! `cargo otel <cargo command>`: resolve the graph, load packs, plan, then run cargo with
//! this binary as `RUSTC_WRAPPER`, a separate target dir, `--target <host>` and the
//! user's rustflags plus `--cfg cargo_otel`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::{DependencyKind, Metadata, PackageId};

use super::config::UserConfig;
use super::packs;
use crate::flags::Args;
use crate::flags::CargoSelection;
use crate::model::{CrateTarget, RuleSet};
use crate::plan::{PackageDecision, Plan, RUNTIME_PACKAGE, SourceKind};
use crate::shell::Shell;
use crate::wrapper::{CHAIN_ENV, PACKAGES_ENV, PLAN_ENV, STRICT_ENV, WRAPPER_ENV};

/// Runtime versions that serve the ABI this weaver emits (`__otel_v1_*`).
const RUNTIME_VERSIONS: &str = ">=0.1, <0.2";

/// Commands whose artifacts run and should record to the local store by default.
const RUNNING_COMMANDS: &[&str] = &["run", "test", "bench", "nextest", "r", "t"];

/// What the graph says about weaving.
pub struct GraphPlan {
    /// Packages that may be woven, by manifest path, with what applies to each.
    pub packages: BTreeMap<PathBuf, PackageDecision>,
    /// Packages (by id) that a named-crate pack would instrument, with the pack names.
    pub woven: BTreeMap<PackageId, Vec<String>>,
    /// Packages that declare the runtime dependency.
    pub declares_runtime: BTreeSet<PackageId>,
    /// The runtime's own dependency closure: never woven, because the exporter must not
    /// trace itself and one compiled copy of each serves the runtime and the app.
    pub runtime_closure: BTreeSet<PackageId>,
}

fn closure(metadata: &Metadata, roots: impl IntoIterator<Item = PackageId>, dev_at_roots: bool) -> BTreeSet<PackageId> {
    let Some(resolve) = &metadata.resolve else {
        return BTreeSet::new();
    };
    let nodes: BTreeMap<&PackageId, &cargo_metadata::Node> = resolve.nodes.iter().map(|n| (&n.id, n)).collect();
    let packages: BTreeMap<&PackageId, &cargo_metadata::Package> =
        metadata.packages.iter().map(|p| (&p.id, p)).collect();
    let mut seen: BTreeSet<PackageId> = BTreeSet::new();
    let mut queue: VecDeque<(PackageId, bool)> = roots.into_iter().map(|r| (r, true)).collect();
    while let Some((id, is_root)) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(node) = nodes.get(&id) else { continue };
        for dep in &node.deps {
            let follows = dep.dep_kinds.iter().any(|k| match k.kind {
                DependencyKind::Normal => true,
                DependencyKind::Development => is_root && dev_at_roots,
                _ => false,
            });
            // The runtime's closure (`dev_at_roots == false`) follows only dependencies its
            // packages require: metadata's resolve unifies features across the workspace,
            // dev-dependencies included, so an optional dependency switched on by a test-only
            // feature (opentelemetry_sdk's `testing` → tokio) would wrongly keep that crate
            // from ever being woven.
            let required = dev_at_roots
                || is_root
                || packages.get(&id).is_some_and(|p| {
                    let dep_name = packages.get(&dep.pkg).map(|d| d.name.as_str()).unwrap_or_default();
                    p.dependencies
                        .iter()
                        .any(|d| d.name.as_str() == dep_name && !d.optional && d.kind == DependencyKind::Normal)
                });
            if follows && required {
                queue.push_back((dep.pkg.clone(), false));
            }
        }
    }
    seen
}

/// `$CARGO_HOME`, where registry sources are unpacked (anything else is vendored).
fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
}

/// Every package's source kind, decided once.
pub fn source_kinds(metadata: &Metadata) -> BTreeMap<PackageId, SourceKind> {
    let members: Vec<&PackageId> = metadata.workspace_members.iter().collect();
    let home = cargo_home();
    let home = std::fs::canonicalize(&home).unwrap_or(home);
    metadata.packages.iter().map(|p| (p.id.clone(), SourceKind::of(p, &members, &home))).collect()
}

/// A resolved workspace with its rule set: what `build` and `explain` start from.
pub struct Workspace {
    pub metadata: Metadata,
    pub otel_dir: PathBuf,
    pub rules: RuleSet,
    pub graph: GraphPlan,
}

impl Workspace {
    pub fn load(args: &Args) -> Result<Workspace> {
        let metadata = metadata_for(args)?;
        let otel_dir = otel_target_dir(args, &metadata);
        std::fs::create_dir_all(&otel_dir).with_context(|| format!("cannot create {}", otel_dir.display()))?;
        let root = metadata.workspace_root.as_std_path();
        let rules = packs::load_rule_set(root, &metadata.workspace_metadata, &args.rules, &otel_dir)?;
        let runtime = runtime_closure(&metadata);
        let graph = graph_plan(&metadata, &rules, runtime);
        Ok(Workspace { metadata, otel_dir, rules, graph })
    }
}

/// The runtime's own dependency closure as cargo builds it for the target: `cargo tree -e
/// normal,no-proc-macro`, which follows the optional dependencies the runtime's enabled
/// features turn on (rand, getrandom, futures…) but not features only dev-dependencies ask
/// for (the SDK's `testing` would pull tokio in, which must stay weavable), nor build or
/// proc-macro dependencies (syn, quote: host units, compiled apart from the app's own). `cargo metadata` alone cannot tell those
/// apart: its resolve unifies dev-dependency features. Falls back to the non-optional
/// closure if cargo tree cannot run.
pub fn runtime_closure(metadata: &Metadata) -> BTreeSet<PackageId> {
    let runtime_ids: Vec<PackageId> =
        metadata.packages.iter().filter(|p| p.name.as_str() == RUNTIME_PACKAGE).map(|p| p.id.clone()).collect();
    let fallback = closure(metadata, runtime_ids.clone(), false);
    if runtime_ids.is_empty() {
        return fallback;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = metadata.workspace_root.as_std_path().join("Cargo.toml");
    let output = Command::new(&cargo)
        .args(["tree", "-q", "-p", RUNTIME_PACKAGE, "-e", "normal,no-proc-macro", "--prefix", "none", "-f", "{p}"])
        .arg("--manifest-path")
        .arg(&manifest)
        // The runtime is behind `cfg(cargo_otel)`: cargo tree evaluates target cfgs with the
        // rustflags it is given.
        .env("CARGO_ENCODED_RUSTFLAGS", "--cfg\x1fcargo_otel")
        .env_remove("RUSTFLAGS")
        .output();
    let Ok(output) = output.as_ref().map(|o| (o.status.success(), &o.stdout)) else { return fallback };
    if !output.0 {
        return fallback;
    }
    let text = String::from_utf8_lossy(output.1);
    let mut ids: BTreeSet<PackageId> = runtime_ids.into_iter().collect();
    for line in text.lines() {
        // `name vX.Y.Z`, `name vX.Y.Z (/path)`, `name vX.Y.Z (*)`.
        let mut words = line.split_whitespace();
        let (Some(name), Some(version)) = (words.next(), words.next().and_then(|v| v.strip_prefix('v'))) else {
            continue;
        };
        // No suffix: crates.io; `(/dir)`: a path package; `(url)`: git or another registry.
        let source = words.next().and_then(|w| w.strip_prefix('(')).and_then(|w| w.strip_suffix(')'));
        let path = source.filter(|s| s.starts_with('/'));
        ids.extend(
            metadata
                .packages
                .iter()
                .filter(|p| p.name.as_str() == name && p.version.to_string() == version)
                .filter(|p| match path {
                    Some(dir) => p.source.is_none() && p.manifest_path.as_std_path().starts_with(dir),
                    // Same name and version as a path package is no match: identity is the package.
                    None => p.source.is_some(),
                })
                .map(|p| p.id.clone()),
        );
    }
    ids
}

/// `, which \`cargo update -p tokio\` reaches` when a semver-compatible update of `name`
/// would be in `req`'s range (a lock file pinning tokio 1.37 under a `>=1.38` pack).
fn update_hint(name: &str, version: &semver::Version, req: Option<&semver::VersionReq>) -> String {
    let Some(req) = req else { return String::new() };
    let newest_compatible = if version.major > 0 {
        semver::Version::new(version.major, u64::from(u32::MAX), 0)
    } else {
        semver::Version::new(0, version.minor, u64::from(u32::MAX))
    };
    if req.matches(&newest_compatible) && !req.matches(version) {
        format!(", which a compatible update reaches: `cargo update -p {name}`")
    } else {
        String::new()
    }
}

/// Compute which packages may be and will be woven.
pub fn graph_plan(metadata: &Metadata, rules: &RuleSet, runtime_closure: BTreeSet<PackageId>) -> GraphPlan {
    let declares_runtime: BTreeSet<PackageId> = metadata
        .packages
        .iter()
        .filter(|p| p.dependencies.iter().any(|d| d.name == RUNTIME_PACKAGE))
        .map(|p| p.id.clone())
        .collect();
    let reach = closure(metadata, declares_runtime.iter().cloned(), true);
    let kinds = source_kinds(metadata);
    let mut packages = BTreeMap::new();
    let mut woven = BTreeMap::new();
    for package in &metadata.packages {
        if !reach.contains(&package.id) {
            continue;
        }
        // The runtime's own graph is never woven (the exporter must not trace itself), but
        // for the packs that exist for it: the opentelemetry crate's context doors.
        let of_runtime = runtime_closure.contains(&package.id);
        if of_runtime && !rules.packs.iter().any(|p| p.runtime_dependency && p.target.names_package(&package.name)) {
            continue;
        }
        let source = kinds.get(&package.id).copied().unwrap_or(SourceKind::Registry);
        let mut packs = Vec::new();
        let mut uncovered = Vec::new();
        for pack in rules.packs.iter().filter(|p| p.runtime_dependency == of_runtime) {
            match pack.applies_to(&package.name, &package.version, source.is_local()) {
                Some(true) => packs.push(pack.name.clone()),
                Some(false) => uncovered.push(match &pack.target {
                    CrateTarget::Named { versions, .. } => {
                        let hint = update_hint(&package.name, &package.version, pack.target.version_req().as_ref());
                        format!("`{}` covers {}{hint}", pack.name, versions.as_deref().unwrap_or(""))
                    }
                    CrateTarget::Workspace => pack.name.clone(),
                }),
                None => {}
            }
        }
        let named: Vec<String> = rules
            .packs
            .iter()
            .filter(|p| packs.contains(&p.name) && !matches!(p.target, CrateTarget::Workspace))
            .map(|p| p.name.clone())
            .collect();
        if !named.is_empty() {
            woven.insert(package.id.clone(), named);
        }
        let decision = PackageDecision {
            id: package.id.repr.clone(),
            name: package.name.to_string(),
            version: package.version.to_string(),
            source,
            packs,
            uncovered,
            directives: source.is_local(),
        };
        packages.insert(package.manifest_path.as_std_path().to_path_buf(), decision);
    }
    GraphPlan { packages, woven, declares_runtime, runtime_closure }
}

/// The packages a cargo command line selects, as cargo selects them: clap-cargo's
/// partition of the workspace (`-p`, `--workspace`/`--all`, `--exclude`; with none of them
/// the default members, which `cargo metadata` already computes from the current directory
/// or `--manifest-path`). clap-cargo compares plain names among workspace members only, so
/// a `-p` spec it does not match is looked up as cargo does: `name`, `name@version`,
/// `name:version` or a glob, over every package of the graph; one matching nothing is the
/// error cargo would give.
fn selected_packages(metadata: &Metadata, selection: &CargoSelection) -> Result<Vec<PackageId>> {
    let ws = &selection.workspace;
    let (selected, _) = ws.partition_packages(metadata);
    let mut ids: Vec<PackageId> =
        selected.iter().filter(|p| !ws.exclude.iter().any(|e| spec_matches(e, p))).map(|p| p.id.clone()).collect();
    for spec in &ws.package {
        if selected.iter().any(|p| p.name.as_str() == spec) {
            continue;
        }
        let matching: Vec<&cargo_metadata::Package> =
            metadata.packages.iter().filter(|p| spec_matches(spec, p)).collect();
        if matching.is_empty() {
            bail!("package ID specification `{spec}` did not match any packages");
        }
        ids.extend(matching.iter().filter(|p| !ws.exclude.iter().any(|e| spec_matches(e, p))).map(|p| p.id.clone()));
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// Does a cargo package spec (`name`, `name@1.2`, `name:1.2.3`, `na*`) name this package?
fn spec_matches(spec: &str, package: &cargo_metadata::Package) -> bool {
    let (name, version) = match spec.split_once(['@', ':']) {
        Some((n, v)) if !spec.contains("://") => (n, Some(v)),
        _ => (spec, None),
    };
    let name_ok = if name.contains(['*', '?', '[']) {
        glob::Pattern::new(name).is_ok_and(|g| g.matches(&package.name))
    } else {
        name == package.name.as_str()
    };
    // A partial version (`1`, `1.2`) matches every version it prefixes, as in cargo.
    let version_ok = version.is_none_or(|v| {
        let full = package.version.to_string();
        full == v || full.starts_with(&format!("{v}."))
    });
    name_ok && version_ok
}

/// Does `command` link an artifact of this package (so woven code in its graph needs the
/// runtime)? `check`/`doc` link nothing; `build`/`run` link binaries and dynamic libraries;
/// `test`/`bench` link every target's harness.
fn links_artifacts(metadata: &Metadata, id: &PackageId, command: &str) -> bool {
    use cargo_metadata::TargetKind;
    match command {
        "check" | "c" | "doc" | "d" | "clippy" | "metadata" | "tree" => false,
        "test" | "t" | "bench" | "nextest" => true,
        _ => metadata.packages.iter().find(|p| &p.id == id).is_some_and(|p| {
            p.targets.iter().any(|t| {
                t.kind.iter().any(|k| {
                    matches!(k, TargetKind::Bin | TargetKind::CDyLib | TargetKind::DyLib | TargetKind::StaticLib)
                })
            })
        }),
    }
}

/// Refuse before building when a selected package would link woven code without the
/// runtime, or would silently get no instrumentation because it lacks the dependency.
fn check_runtime_links(
    metadata: &Metadata,
    rules: &RuleSet,
    selected: &[PackageId],
    command: &str,
    graph: &GraphPlan,
) -> Result<()> {
    let (declares_runtime, runtime_closure) = (&graph.declares_runtime, &graph.runtime_closure);
    let kinds = source_kinds(metadata);
    for id in selected {
        if declares_runtime.contains(id) || !links_artifacts(metadata, id, command) {
            continue;
        }
        let reach = closure(metadata, [id.clone()], true);
        let mut targeted: Vec<String> = metadata
            .packages
            .iter()
            .filter(|p| reach.contains(&p.id) && !runtime_closure.contains(&p.id))
            .filter(|p| {
                rules.packs.iter().any(|pack| {
                    !matches!(pack.target, CrateTarget::Workspace)
                        && pack.applies_to(&p.name, &p.version, kinds.get(&p.id).is_some_and(|k| k.is_local()))
                            == Some(true)
                })
            })
            .map(|p| p.name.to_string())
            .collect();
        targeted.sort();
        targeted.dedup();
        if !targeted.is_empty() {
            let package = metadata
                .packages
                .iter()
                .find(|p| &p.id == id)
                .map(|p| (p.name.to_string(), p.manifest_path.to_string()))
                .unwrap_or_default();
            bail!(
                "package `{}` links crates that cargo otel instruments ({}) but does not depend on {RUNTIME_PACKAGE}, so they cannot be instrumented.\n\
                 Add to {}:\n\n{}\n\nor run `cargo otel init -p {}`.",
                package.0,
                targeted.join(", "),
                package.1,
                super::init::runtime_dependency_snippet(),
                package.0
            );
        }
    }
    for p in metadata.packages.iter().filter(|p| p.name.as_str() == RUNTIME_PACKAGE) {
        let supported = semver::VersionReq::parse(RUNTIME_VERSIONS).expect("valid constant");
        if !supported.matches(&p.version) {
            bail!(
                "{RUNTIME_PACKAGE} v{} does not serve the ABI this cargo-otel weaves for (v1, runtime {RUNTIME_VERSIONS}); use a matching cargo-otel or runtime",
                p.version
            );
        }
    }
    Ok(())
}

/// `cargo metadata` for the command line: its `--manifest-path` (clap-cargo), `--config`
/// values and `--offline`/`--locked`/`--frozen`, so it resolves the graph cargo will build.
fn metadata_for(args: &Args) -> Result<Metadata> {
    let mut cmd = args.cargo.manifest.metadata();
    let mut other: Vec<String> = Vec::new();
    for config in &args.cargo.configs {
        other.extend(["--config".to_string(), config.clone()]);
    }
    let cargo_args = args.rest.iter().take_while(|a| *a != "--");
    other.extend(cargo_args.filter(|a| matches!(a.as_str(), "--offline" | "--locked" | "--frozen")).cloned());
    cmd.other_options(other);
    cmd.exec().context("`cargo metadata` failed (is this a cargo project?)")
}

/// The otel target dir for a workspace.
pub fn otel_target_dir(args: &Args, metadata: &Metadata) -> PathBuf {
    let dir = args.target_dir.clone().unwrap_or_else(|| metadata.target_directory.as_std_path().join("otel"));
    if dir.is_absolute() { dir } else { std::env::current_dir().map(|c| c.join(&dir)).unwrap_or(dir) }
}

/// Environment for cargo so that every rustc call goes through the wrapper with the plan.
pub fn cargo_plan_env(plan_path: &Path, plan: &Plan) -> Vec<(String, String)> {
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "cargo-otel".into());
    let mut env = vec![
        ("RUSTC_WRAPPER".to_string(), exe),
        (WRAPPER_ENV.to_string(), "1".to_string()),
        (PLAN_ENV.to_string(), plan_path.display().to_string()),
        (PACKAGES_ENV.to_string(), plan.package_names().join(",")),
        (STRICT_ENV.to_string(), if plan.strict { "1" } else { "0" }.to_string()),
    ];
    let chained = std::env::var("RUSTC_WRAPPER").ok().filter(|w| !w.is_empty() && !w.contains("cargo-otel"));
    env.push((CHAIN_ENV.to_string(), chained.unwrap_or_default()));
    env
}

/// A fingerprint of what the plan weaves where. It goes into the rustflags, so a package
/// whose decision changed (a pack aimed at it for the first time, or a new cargo-otel that
/// decides differently) is rebuilt; a crate compiled unwoven has no dep-info entry that
/// would notice. Edits inside a pack, and a new weaver binary, are tracked per woven crate
/// through dep-info instead, so they rebuild only the crates they wove.
///
/// It holds only what cargo's own unit hash (package id, features, profile) does not already
/// tell apart, so workspaces that share a target dir, and one workspace copied elsewhere,
/// share the registry crates they have in common. A package's decision follows from its
/// name, version and whether it is local, given the packs' targets, except where the plan
/// leaves it out (the runtime's own graph, or out of the runtime's reach): so the packs'
/// targets and those exceptions are hashed, not every package. Vendored and git packages
/// are hashed with their decisions; local paths are named relative to the workspace root.
/// `app_sources`, which woven code embeds, is hashed too.
fn fingerprint(
    metadata: &Metadata,
    rules: &RuleSet,
    packages: &BTreeMap<PathBuf, PackageDecision>,
    app_sources: &[String],
) -> String {
    let root = metadata.workspace_root.as_std_path();
    let key = |manifest: &Path| manifest.strip_prefix(root).unwrap_or(manifest).display().to_string();
    let mut input = String::from(env!("CARGO_PKG_VERSION"));
    for p in &rules.packs {
        input.push_str(&format!("{}{:?}", p.name, p.target));
    }
    input.push_str(&format!("{app_sources:?}"));
    // Vendored crates keep the registry's package id: cargo cannot tell them apart.
    for (manifest, d) in packages.iter().filter(|(_, d)| matches!(d.source, SourceKind::Vendored | SourceKind::Git)) {
        if !d.packs.is_empty() || d.directives {
            input.push_str(&format!("{}{:?}{:?}{}", key(manifest), d.source, d.packs, d.directives));
        }
    }
    let kinds = source_kinds(metadata);
    for package in &metadata.packages {
        let manifest = package.manifest_path.as_std_path();
        if packages.contains_key(manifest) {
            continue;
        }
        let source = kinds.get(&package.id).copied().unwrap_or(SourceKind::Registry);
        let ruled = source.is_local()
            || rules.packs.iter().any(|p| p.applies_to(&package.name, &package.version, false) == Some(true));
        if ruled {
            let name = if source == SourceKind::Registry { package.id.repr.clone() } else { key(manifest) };
            input.push_str(&format!("!{name}{source:?}"));
        }
    }
    format!("{:016x}", fnv1a(input.as_bytes()))
}

/// FNV-1a: a stable hash for file names and the fingerprint (std's hasher is not stable
/// across releases, and these names outlive the process).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

pub fn run(args: &Args, shell: &Shell) -> Result<ExitCode> {
    let cwd = std::env::current_dir().context("no current directory")?;
    let Workspace { metadata, otel_dir, rules, graph } = Workspace::load(args)?;
    let selected = selected_packages(&metadata, &args.cargo)?;
    check_runtime_links(&metadata, &rules, &selected, &args.command, &graph)?;

    let plan = Plan {
        rules: rules.clone(),
        strict: args.strict,
        verbosity: args.verbosity(),
        color: shell.color,
        shadow_root: otel_dir.join("shadow"),
        packages: graph.packages.clone(),
        status_log: otel_dir.join(format!("status-{}.log", std::process::id())),
        app_sources: Plan::app_sources_of(&graph.packages),
        app_sources_file: otel_dir.join("app-sources"),
    };
    // Rewritten only when it changes: woven units list it in their dep-info.
    let app_sources = plan.app_sources.join("\n");
    if std::fs::read_to_string(&plan.app_sources_file).ok().as_deref() != Some(app_sources.as_str()) {
        std::fs::write(&plan.app_sources_file, &app_sources)
            .with_context(|| format!("cannot write {}", plan.app_sources_file.display()))?;
    }
    // A fresh log per build: the wrappers append, we print as they go.
    std::fs::write(&plan.status_log, "").with_context(|| format!("cannot write {}", plan.status_log.display()))?;
    // Named by content: concurrent `cargo otel` runs on one target dir with different rule
    // sets must not read each other's plan (cargo's lock is only taken later).
    let plan_json = serde_json::to_vec(&plan)?;
    let plan_path = otel_dir.join(format!("plan-{:016x}.json", fnv1a(&plan_json)));
    std::fs::write(&plan_path, &plan_json).with_context(|| format!("cannot write {}", plan_path.display()))?;
    let user = UserConfig::load(&cwd, &args.cargo.targets, &args.cargo.configs)?;
    let mut rest = args.rest.clone();
    // No `--target` given or configured: the host's, explicitly (design.md, section 3).
    if user.configured_targets.is_empty() {
        let at = rest.iter().position(|a| a == "--").unwrap_or(rest.len());
        rest.splice(at..at, ["--target".to_string(), user.host.clone()]);
    }
    shell.verbose("Rustflags", format!("yours: {:?}", user.rustflags));
    // The user's flags from every source cargo reads, then ours (CARGO_ENCODED_RUSTFLAGS
    // replaces all of those sources).
    let mut flags = user.rustflags.clone();
    flags.extend([
        "--cfg".into(),
        "cargo_otel".into(),
        "--check-cfg".into(),
        "cfg(cargo_otel)".into(),
        "--cfg".into(),
        format!("cargo_otel_weaver=\"{}\"", fingerprint(&metadata, &rules, &plan.packages, &plan.app_sources)),
        "--check-cfg".into(),
        "cfg(cargo_otel_weaver, values(any()))".into(),
    ]);

    let woven_names: BTreeSet<String> = graph.woven.values().flatten().cloned().collect();
    shell.status(
        "Planning",
        format!(
            "{} pack{} ({}); {} crate{} to weave; target dir {}",
            rules.packs.len(),
            if rules.packs.len() == 1 { "" } else { "s" },
            rules.packs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
            graph.woven.len(),
            if graph.woven.len() == 1 { "" } else { "s" },
            otel_dir.display()
        ),
    );
    shell.verbose("Packs used", woven_names.into_iter().collect::<Vec<_>>().join(", "));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut printed = 0usize;
    let mut cmd = Command::new(&cargo);
    cmd.arg(&args.command).args(&rest);
    cmd.env("CARGO_TARGET_DIR", &otel_dir);
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    cmd.env_remove("RUSTFLAGS");
    if let Some(color) = args.color {
        cmd.env("CARGO_TERM_COLOR", color.as_str());
    }
    for (k, v) in cargo_plan_env(&plan_path, &plan) {
        cmd.env(k, v);
    }
    if RUNNING_COMMANDS.contains(&args.command.as_str()) && std::env::var_os("CARGO_OTEL_STORE").is_none() {
        cmd.env("CARGO_OTEL_STORE", otel_dir.join("traces"));
    }
    shell.verbose("Running", format!("{cargo} {} {}", args.command, rest.join(" ")));
    let mut child = cmd.spawn().with_context(|| format!("cannot run `{cargo}`"))?;
    // A Ctrl-C in the terminal reaches the whole foreground group: cargo and the program it
    // runs handle it (the runtime flushes before the program dies); we wait for them, so
    // the prompt comes back after the last span is stored, and report their status.
    let _ignoring = IgnoreStopSignals::now();
    let status = loop {
        print_new_status(&plan.status_log, &mut printed);
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => bail!("waiting for cargo: {e}"),
        }
    };
    print_new_status(&plan.status_log, &mut printed);
    let _ = std::fs::remove_file(&plan.status_log);
    Ok(exit_code_of(status))
}

/// The child's status as ours: its code, or `128 + signal` (the shell's convention) when a
/// signal ended it.
fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return ExitCode::from(u8::try_from(128 + signal).unwrap_or(1));
    }
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}

/// SIGINT and SIGTERM ignored by this process while the guard lives (set after the child
/// was spawned: an ignored disposition would be inherited by it), restored on drop.
struct IgnoreStopSignals {
    #[cfg(unix)]
    previous: [libc::sighandler_t; 2],
}

impl IgnoreStopSignals {
    fn now() -> IgnoreStopSignals {
        #[cfg(unix)]
        {
            // SAFETY: `signal` with SIG_IGN installs no handler code; the previous
            // dispositions are restored as they were.
            let previous =
                unsafe { [libc::signal(libc::SIGINT, libc::SIG_IGN), libc::signal(libc::SIGTERM, libc::SIG_IGN)] };
            IgnoreStopSignals { previous }
        }
        #[cfg(not(unix))]
        IgnoreStopSignals {}
    }
}

impl Drop for IgnoreStopSignals {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: restores the dispositions `now` replaced.
        unsafe {
            libc::signal(libc::SIGINT, self.previous[0]);
            libc::signal(libc::SIGTERM, self.previous[1]);
        }
    }
}

/// Print the status lines wrappers appended since the last call (whole lines only).
fn print_new_status(log: &Path, printed: &mut usize) {
    let Ok(text) = std::fs::read_to_string(log) else { return };
    let Some(end) = text.rfind('\n').map(|i| i + 1) else { return };
    if end > *printed {
        eprint!("{}", &text[*printed..end]);
        *printed = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_pinned_version_gets_the_update_that_reaches_the_range() {
        let req = semver::VersionReq::parse(">=1.38, <2").expect("req");
        let v = |s: &str| semver::Version::parse(s).expect("version");
        assert!(update_hint("tokio", &v("1.37.0"), Some(&req)).contains("`cargo update -p tokio`"));
        assert_eq!(update_hint("tokio", &v("2.0.0"), Some(&req)), "", "a newer major is not an update");
        let zero = semver::VersionReq::parse(">=0.11.5, <0.12").expect("req");
        assert!(update_hint("reqwest", &v("0.11.2"), Some(&zero)).contains("cargo update"));
        assert_eq!(update_hint("reqwest", &v("0.10.9"), Some(&zero)), "");
    }
}
