//! The user's effective cargo configuration that we must preserve: rustflags (env, then
//! `target.<triple>.rustflags`, then `build.rustflags`), `build.target` and the host triple.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// Rustflags from one config source, in cargo's precedence order.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ConfigFlags {
    pub target_rustflags: Option<Vec<String>>,
    pub build_rustflags: Option<Vec<String>>,
    pub build_target: Option<String>,
}

/// Config files cargo would read from `cwd`, lowest precedence first.
pub fn config_files(cwd: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(home) = cargo_home() {
        for name in ["config.toml", "config"] {
            let f = home.join(name);
            if f.is_file() {
                files.push(f);
                break;
            }
        }
    }
    let mut ancestors: Vec<&Path> = cwd.ancestors().collect();
    ancestors.reverse();
    for dir in ancestors {
        for name in ["config.toml", "config"] {
            let f = dir.join(".cargo").join(name);
            if f.is_file() && !files.contains(&f) {
                files.push(f);
                break;
            }
        }
    }
    files
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

fn flags_value(v: &toml::Value) -> Option<Vec<String>> {
    match v {
        toml::Value::String(s) => Some(s.split_whitespace().map(str::to_string).collect()),
        toml::Value::Array(a) => Some(a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()),
        _ => None,
    }
}

/// Merge the config files' flags for `triple` (arrays are joined, closer files later).
pub fn read_config(files: &[PathBuf], triple: &str) -> Result<ConfigFlags> {
    let mut out = ConfigFlags::default();
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let value: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not valid TOML", file.display()))?;
        if let Some(flags) =
            value.get("target").and_then(|t| t.get(triple)).and_then(|t| t.get("rustflags")).and_then(flags_value)
        {
            out.target_rustflags.get_or_insert_with(Vec::new).extend(flags);
        }
        if let Some(build) = value.get("build") {
            if let Some(flags) = build.get("rustflags").and_then(flags_value) {
                out.build_rustflags.get_or_insert_with(Vec::new).extend(flags);
            }
            if let Some(t) = build.get("target").and_then(|t| t.as_str()) {
                out.build_target = Some(t.to_string());
            }
        }
    }
    Ok(out)
}

/// The flags cargo would give target units, before ours are added.
pub fn effective_user_flags(config: &ConfigFlags) -> Vec<String> {
    if let Ok(encoded) = std::env::var("CARGO_ENCODED_RUSTFLAGS") {
        return encoded.split('\x1f').filter(|s| !s.is_empty()).map(str::to_string).collect();
    }
    if let Ok(flags) = std::env::var("RUSTFLAGS") {
        return flags.split_whitespace().map(str::to_string).collect();
    }
    config.target_rustflags.clone().or_else(|| config.build_rustflags.clone()).unwrap_or_default()
}

/// The host triple, from `rustc -vV`.
pub fn host_triple() -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc).arg("-vV").output().with_context(|| format!("cannot run `{rustc} -vV`"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find_map(|l| l.strip_prefix("host: ")) {
        Some(h) => Ok(h.trim().to_string()),
        None => bail!("`{rustc} -vV` printed no host triple"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_flags_win_over_build_flags_and_arrays_join() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        std::fs::write(&a, "[build]\nrustflags = \"-C opt-level=1\"\n[target.x86_64-unknown-linux-gnu]\nrustflags = [\"-Ctarget-cpu=native\"]\n").expect("write");
        std::fs::write(&b, "[build]\nrustflags = [\"--cfg\", \"mine\"]\ntarget = \"wasm32-unknown-unknown\"\n")
            .expect("write");
        let cfg = read_config(&[a, b], "x86_64-unknown-linux-gnu").expect("config");
        assert_eq!(cfg.target_rustflags, Some(vec!["-Ctarget-cpu=native".to_string()]));
        assert_eq!(cfg.build_rustflags, Some(vec!["-C".into(), "opt-level=1".into(), "--cfg".into(), "mine".into()]));
        assert_eq!(cfg.build_target.as_deref(), Some("wasm32-unknown-unknown"));
    }
}
