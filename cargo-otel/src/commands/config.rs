//! The user's effective cargo configuration that an instrumented build must keep: the
//! rustflags cargo would give target units, `build.target` and the host triple.
//!
//! We pass `CARGO_ENCODED_RUSTFLAGS` (the user's flags + ours), which makes cargo ignore
//! every other rustflags source, so this must find the flags cargo itself would use.
//! cargo-config2 resolves them with cargo's precedence: `CARGO_ENCODED_RUSTFLAGS`, then
//! `RUSTFLAGS`, then `CARGO_TARGET_<TRIPLE>_RUSTFLAGS` + `target.<triple>.rustflags` +
//! `target.'cfg(..)'.rustflags`, then `CARGO_BUILD_RUSTFLAGS`/`build.rustflags`, over the
//! hierarchical config files and `$CARGO_HOME/config.toml`.
//!
//! Two sources cargo-config2 (0.1.45) does not read, done here: `--config` (KEY=VALUE and
//! file forms) and `include` (stable since cargo 1.93). When either is in play, the
//! rustflags-relevant keys of every layer are merged the way cargo merges config (arrays
//! joined, closer files and `--config` later; an included file below the file including
//! it) into one synthesized config file, and cargo-config2 resolves that instead of the
//! original files (environment variables still apply). Known gap: in that case a
//! `CARGO_BUILD_RUSTFLAGS` in the environment takes precedence over `--config
//! build.rustflags`, the reverse of cargo.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use cargo_config2::{Config, ResolveOptions};

/// What cargo would do with the user's configuration, before ours is added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfig {
    /// The host triple.
    pub host: String,
    /// `--target` given or configured (`build.target`, `CARGO_BUILD_TARGET`): when empty
    /// we pass `--target <host>`.
    pub configured_targets: Vec<String>,
    /// The flags cargo would give target units of the (first) target we build for.
    pub rustflags: Vec<String>,
}

impl UserConfig {
    /// Resolve from `cwd` (where cargo runs) with the command line's `--target` and
    /// `--config` values.
    pub fn load(cwd: &Path, cli_targets: &[String], cli_configs: &[String]) -> Result<UserConfig> {
        let files = config_files(cwd)?;
        let needs_merge = !cli_configs.is_empty() || files.iter().any(|f| f.includes);
        // Keeps the synthesized config alive while cargo-config2 reads it.
        let mut _synth = None;
        let config = if needs_merge {
            let merged = merged_layers(cwd, &files, cli_configs)?;
            let dir =
                tempfile::Builder::new().prefix("cargo-otel-config").tempdir().context("cannot create a temp dir")?;
            std::fs::create_dir_all(dir.path().join(".cargo")).context("cannot create a temp dir")?;
            std::fs::write(dir.path().join(".cargo/config.toml"), toml::to_string(&merged)?)
                .context("cannot write the merged cargo config")?;
            let config = Config::load_with_options(dir.path(), ResolveOptions::default().cargo_home(None));
            _synth = Some(dir);
            config
        } else {
            Config::load_with_options(cwd, ResolveOptions::default())
        };
        let config = config.map_err(|e| anyhow!("{e}")).context("cannot read cargo's configuration")?;
        let host = config.host_triple().map_err(|e| anyhow!("{e}")).context("cannot find the host triple")?.to_string();
        let configured_targets = config.build_target_for_cli(cli_targets).map_err(|e| anyhow!("{e}"))?;
        let target = configured_targets.first().cloned().unwrap_or_else(|| host.clone());
        let rustflags = config
            .rustflags(target.as_str())
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("cannot resolve the rustflags for {target}"))?
            .map(|f| f.flags)
            .unwrap_or_default();
        Ok(UserConfig { host, configured_targets, rustflags })
    }
}

/// One config file of cargo's walk.
struct ConfigFile {
    path: PathBuf,
    includes: bool,
}

/// The config files cargo reads from `cwd`, highest precedence (closest) first: the
/// `.cargo/config[.toml]` of `cwd` and each ancestor, then `$CARGO_HOME`'s.
fn config_files(cwd: &Path) -> Result<Vec<ConfigFile>> {
    let mut dirs: Vec<PathBuf> = cwd.ancestors().map(|d| d.join(".cargo")).collect();
    if let Some(home) = cargo_home(cwd) {
        if !dirs.contains(&home) {
            dirs.push(home);
        }
    }
    let mut out = Vec::new();
    for dir in dirs {
        // Like cargo: `config` wins over `config.toml` when both exist.
        let Some(path) = ["config", "config.toml"].iter().map(|n| dir.join(n)).find(|p| p.is_file()) else { continue };
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let includes = text.parse::<toml::Table>().map(|t| t.contains_key("include")).unwrap_or(false);
        out.push(ConfigFile { path, includes });
    }
    Ok(out)
}

fn cargo_home(cwd: &Path) -> Option<PathBuf> {
    match std::env::var_os("CARGO_HOME").filter(|h| !h.is_empty()).map(PathBuf::from) {
        Some(h) if h.is_absolute() => Some(h),
        Some(h) => Some(cwd.join(h)),
        None => std::env::home_dir().map(|h| h.join(".cargo")),
    }
}

/// Every layer's `build.rustflags`, `build.target` and `target.*.rustflags`, merged from
/// the lowest precedence up.
fn merged_layers(cwd: &Path, files: &[ConfigFile], cli_configs: &[String]) -> Result<toml::Table> {
    let mut merged = toml::Table::new();
    for file in files.iter().rev() {
        merge_file(&mut merged, &file.path, 0)?;
    }
    for arg in cli_configs {
        let path = cwd.join(arg);
        if !arg.contains('=') || path.is_file() {
            merge_file(&mut merged, &path, 0).with_context(|| format!("in `--config {arg}`"))?;
        } else {
            let table: toml::Table =
                arg.parse().with_context(|| format!("`--config {arg}` is not a TOML `key=value`"))?;
            // A `--config` value is relative to the current directory.
            merge(&mut merged, relevant(table, cwd), arg)?;
        }
    }
    Ok(merged)
}

/// Merge one config file, its `include`s first (they rank below the file itself).
fn merge_file(merged: &mut toml::Table, path: &Path, depth: usize) -> Result<()> {
    if depth > 16 {
        bail!("`include` nests too deep at {}", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let table: toml::Table = text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    for (include, optional) in includes(&table).with_context(|| format!("bad `include` in {}", path.display()))? {
        let target = dir.join(&include);
        if optional && !target.is_file() {
            continue;
        }
        merge_file(merged, &target, depth + 1).with_context(|| format!("included from {}", path.display()))?;
    }
    // Relative config paths (a `build.target` spec file) are relative to the directory
    // holding `.cargo/`.
    let base = if dir.ends_with(".cargo") { dir.parent().unwrap_or(dir) } else { dir };
    merge(merged, relevant(table, base), &path.display().to_string())
}

/// `include = "a.toml"`, `["a.toml"]` or `[{ path = "a.toml", optional = true }]`.
fn includes(table: &toml::Table) -> Result<Vec<(String, bool)>> {
    let one = |v: &toml::Value| -> Result<(String, bool)> {
        match v {
            toml::Value::String(s) => Ok((s.clone(), false)),
            toml::Value::Table(t) => {
                let path = t.get("path").and_then(|p| p.as_str()).context("an include table needs `path`")?;
                Ok((path.to_string(), t.get("optional").and_then(|o| o.as_bool()).unwrap_or(false)))
            }
            other => bail!("expected a path or a table, found {other}"),
        }
    };
    match table.get("include") {
        None => Ok(Vec::new()),
        Some(toml::Value::Array(items)) => items.iter().map(one).collect(),
        Some(v) => Ok(vec![one(v)?]),
    }
}

/// The keys that decide rustflags and the target, with `build.target` spec paths made
/// absolute.
fn relevant(table: toml::Table, base: &Path) -> toml::Table {
    let mut out = toml::Table::new();
    if let Some(toml::Value::Table(build)) = table.get("build") {
        let mut b = toml::Table::new();
        if let Some(flags) = build.get("rustflags") {
            b.insert("rustflags".into(), flags.clone());
        }
        if let Some(target) = build.get("target") {
            let absolute = |v: &toml::Value| match v.as_str() {
                Some(s) if s.ends_with(".json") => toml::Value::String(base.join(s).display().to_string()),
                _ => v.clone(),
            };
            let target = match target {
                toml::Value::Array(a) => toml::Value::Array(a.iter().map(absolute).collect()),
                v => absolute(v),
            };
            b.insert("target".into(), target);
        }
        if !b.is_empty() {
            out.insert("build".into(), toml::Value::Table(b));
        }
    }
    if let Some(toml::Value::Table(targets)) = table.get("target") {
        let mut t = toml::Table::new();
        for (name, value) in targets {
            if let Some(flags) = value.get("rustflags") {
                let mut one = toml::Table::new();
                one.insert("rustflags".into(), flags.clone());
                t.insert(name.clone(), toml::Value::Table(one));
            }
        }
        if !t.is_empty() {
            out.insert("target".into(), toml::Value::Table(t));
        }
    }
    out
}

/// Cargo's merge: tables recursively, arrays joined (higher precedence later), other
/// values replaced by the higher layer; a string meeting an array is an error, as in cargo.
fn merge(low: &mut toml::Table, high: toml::Table, source: &str) -> Result<()> {
    for (key, value) in high {
        match (low.get_mut(&key), value) {
            (Some(toml::Value::Table(l)), toml::Value::Table(h)) => merge(l, h, source)?,
            (Some(toml::Value::Array(l)), toml::Value::Array(h)) => l.extend(h),
            (Some(l), h) if std::mem::discriminant(l) != std::mem::discriminant(&h) => {
                bail!("failed to merge `{key}` from {source}: expected {}, found {}", l.type_str(), h.type_str())
            }
            (_, h) => {
                low.insert(key, h);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_joins_arrays_replaces_strings_and_rejects_mixes() {
        let mut low: toml::Table = "build.rustflags = ['-a']\ntarget.x.rustflags = 'old'".parse().expect("toml");
        merge(&mut low, "build.rustflags = ['-b']\ntarget.x.rustflags = 'new'".parse().expect("toml"), "t")
            .expect("merge");
        assert_eq!(low.to_string(), "[build]\nrustflags = [\"-a\", \"-b\"]\n\n[target.x]\nrustflags = \"new\"\n");
        let err = merge(&mut low, "build.rustflags = '-c'".parse().expect("toml"), "t").expect_err("mixed");
        assert!(err.to_string().contains("expected array, found string"), "{err}");
    }

    #[test]
    fn include_forms_and_relative_spec_paths() {
        let t: toml::Table = "include = ['a.toml', { path = 'b.toml', optional = true }]".parse().expect("toml");
        assert_eq!(includes(&t).expect("includes"), vec![("a.toml".into(), false), ("b.toml".into(), true)]);
        let t: toml::Table = "build.target = 'spec.json'\nbuild.jobs = 3".parse().expect("toml");
        let r = relevant(t, Path::new("/p"));
        assert_eq!(r.to_string(), "[build]\ntarget = \"/p/spec.json\"\n");
    }
}
