//! Where rule packs come from: the built-in `rules/` (embedded in the binary), the
//! workspace's `[workspace.metadata.otel]` (`rules = ["dir"]`, `disable = ["pack"]`,
//! `builtin = false`) and
//! `--rules DIR`. Later sources override earlier packs of the same name.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow};

use crate::load;
use crate::model::RuleSet;

static BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in packs as files: the source checkout when this binary was built from one
/// (so errors name `rules/x/pack.toml`), else the embedded copy written under `otel_dir`.
pub fn builtin_dir(otel_dir: &Path) -> Result<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    if source.is_dir() {
        return fs::canonicalize(&source).with_context(|| format!("cannot resolve {}", source.display()));
    }
    let dir = otel_dir.join("rules");
    for (rel, text) in BUILTIN {
        let path = dir.join(rel);
        // Rewrite only what changed: crates list these files in their dep-info.
        if fs::read_to_string(&path).ok().as_deref() != Some(*text) {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(dir)
}

/// Load the rule set of a build.
pub fn load_rule_set(
    workspace_root: &Path,
    workspace_metadata: &serde_json::Value,
    extra: &[PathBuf],
    otel_dir: &Path,
) -> Result<RuleSet> {
    let mut sources = Vec::new();
    let otel = workspace_metadata.get("otel");
    // `builtin = false` opts out of the built-in packs (tests and custom rule sets).
    if otel.and_then(|o| o.get("builtin")).and_then(|b| b.as_bool()) != Some(false) {
        let builtin = builtin_dir(otel_dir)?;
        sources.push(load::load_dir(&builtin).map_err(|e| anyhow!("{e}"))?);
    }
    let strings = |key: &str| -> Vec<String> {
        otel.and_then(|o| o.get(key))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    for dir in strings("rules") {
        let dir = workspace_root.join(dir);
        sources.push(load::load_dir(&absolute(&dir)?).map_err(|e| anyhow!("{e}"))?);
    }
    for dir in extra {
        sources.push(load::load_dir(&absolute(dir)?).map_err(|e| anyhow!("{e}"))?);
    }
    Ok(load::merge(sources, &strings("disable")))
}

fn absolute(dir: &Path) -> Result<PathBuf> {
    fs::canonicalize(dir).with_context(|| format!("rules directory {} does not exist", dir.display()))
}
