//! The weaving plan: what `cargo otel` decided for a build, once, from `cargo metadata`,
//! and what every wrapper invocation looks its unit up in.
//!
//! Invariant: nothing downstream re-derives a decision. Whether a package is "local"
//! (workspace member or path dependency, so directives and `@workspace` packs apply),
//! which packs apply to it and whether the build is strict are decided here, per cargo
//! package, and the wrapper finds its package by the manifest path cargo gives rustc
//! (`CARGO_MANIFEST_PATH`), never by guessing from source paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use otel_weave::model::{Pack, RuleSet};
use serde::{Deserialize, Serialize};

use crate::shell::Verbosity;

/// The runtime's package name: the packages that declare it root the weavable graph.
pub const RUNTIME_PACKAGE: &str = "otel-runtime";

/// Where a package's sources come from, as cargo resolved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    /// A member of the workspace being built.
    Workspace,
    /// A path dependency outside the workspace.
    Path,
    /// A registry crate, unpacked under `$CARGO_HOME/registry/src`.
    Registry,
    /// A registry crate served from a local directory by source replacement (`cargo vendor`):
    /// the user's disk, but not the user's code.
    Vendored,
    /// A git dependency.
    Git,
}

impl SourceKind {
    /// The one definition of "the application's own code".
    pub fn is_local(self) -> bool {
        matches!(self, SourceKind::Workspace | SourceKind::Path)
    }

    /// Classify a package of `cargo metadata`. `cargo_home` tells registry from vendored
    /// sources: source replacement keeps the registry's source id, only the path differs.
    pub fn of(package: &cargo_metadata::Package, members: &[&cargo_metadata::PackageId], cargo_home: &Path) -> Self {
        match &package.source {
            None if members.contains(&&package.id) => SourceKind::Workspace,
            None => SourceKind::Path,
            Some(source) if source.repr.starts_with("git+") => SourceKind::Git,
            Some(_) if package.manifest_path.as_std_path().starts_with(cargo_home.join("registry")) => {
                SourceKind::Registry
            }
            Some(_) => SourceKind::Vendored,
        }
    }
}

/// What the plan says about one package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageDecision {
    /// Cargo's package id.
    pub id: String,
    pub name: String,
    pub version: String,
    pub source: SourceKind,
    /// Packs that apply to this package (names, in rule-set order).
    pub packs: Vec<String>,
    /// Packs for this crate whose version range misses this version (`pack covers range`).
    pub uncovered: Vec<String>,
    /// Honour `// otel:span` directives.
    pub directives: bool,
}

impl PackageDecision {
    /// `name vX.Y.Z`.
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.version)
    }
}

/// Everything a wrapper invocation needs.
#[derive(Debug, Serialize, Deserialize)]
pub struct Plan {
    pub rules: RuleSet,
    pub strict: bool,
    pub verbosity: Verbosity,
    pub color: bool,
    /// Where shadow trees go.
    pub shadow_root: PathBuf,
    /// Packages that may be woven (the dependency closure of packages that declare the
    /// runtime, minus the runtime's own closure), by manifest path.
    pub packages: BTreeMap<PathBuf, PackageDecision>,
    /// Status lines go here, for `cargo otel` to print: cargo replays a fresh unit's cached
    /// stderr, so lines printed by the wrapper would reappear on every no-op build.
    pub status_log: PathBuf,
    /// The application's sources outside the workspace (path dependencies' directories), as
    /// `file!()` names them; workspace members' files are named relative to the workspace
    /// root. Woven code answers `__otel::in_app(file)` from this, so advice running in a
    /// registry crate (tokio's spawn) knows whether its caller is the user's code.
    pub app_sources: Vec<String>,
    /// A file holding `app_sources`, rewritten only when they change and listed in every
    /// woven unit's dep-info, so a new path dependency re-weaves the woven crates.
    pub app_sources_file: PathBuf,
}

impl Plan {
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the weaving plan {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("the weaving plan {} is corrupt; rerun `cargo otel`", path.display()))
    }

    /// The packs a decision names, resolved in the rule set.
    pub fn packs_of<'a>(&'a self, decision: &PackageDecision) -> Vec<&'a Pack> {
        self.rules.packs.iter().filter(|p| decision.packs.contains(&p.name)).collect()
    }

    /// `app_sources` of a plan's packages: the directories of local packages that are not
    /// workspace members.
    pub fn app_sources_of(packages: &BTreeMap<PathBuf, PackageDecision>) -> Vec<String> {
        let mut out: Vec<String> = packages
            .iter()
            .filter(|(_, d)| d.source == SourceKind::Path)
            .filter_map(|(manifest, _)| manifest.parent())
            .map(|dir| format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Package names the plan holds: the wrapper's pre-filter, before the plan is read.
    pub fn package_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.packages.values().map(|d| d.name.clone()).collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_and_path_packages_are_local() {
        assert!(SourceKind::Workspace.is_local());
        assert!(SourceKind::Path.is_local());
        for kind in [SourceKind::Registry, SourceKind::Vendored, SourceKind::Git] {
            assert!(!kind.is_local(), "{kind:?}");
        }
    }

    #[test]
    fn app_sources_are_the_path_dependencies_outside_the_workspace() {
        let decision = |source| PackageDecision {
            id: String::new(),
            name: "x".into(),
            version: "0.1.0".into(),
            source,
            packs: vec![],
            uncovered: vec![],
            directives: source.is_local(),
        };
        let packages: BTreeMap<PathBuf, PackageDecision> = [
            ("/ws/app/Cargo.toml", SourceKind::Workspace),
            ("/elsewhere/lib/Cargo.toml", SourceKind::Path),
            ("/ws/vendor/hex/Cargo.toml", SourceKind::Vendored),
        ]
        .into_iter()
        .map(|(p, s)| (PathBuf::from(p), decision(s)))
        .collect();
        assert_eq!(Plan::app_sources_of(&packages), ["/elsewhere/lib/"]);
    }
}
