//! `cargo otel init`: add the cfg-gated runtime dependency and the `check-cfg` entry to the
//! packages that link instrumented code, with toml_edit so formatting and comments survive.
//! Running it twice changes nothing.
//!
//! The dependency must resolve on this machine: by default it is the runtime source this
//! binary was built from (an absolute path, or the git source `cargo install --git`
//! recorded), `--path DIR` (made absolute) or `--version V` from the registry. Edited
//! manifests are checked with `cargo metadata` and restored if that fails.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::flags::Args;
use crate::flags::defs::InitOpts;
use crate::plan::RUNTIME_PACKAGE;
use crate::shell::Shell;

const CFG_TABLE: &str = "cfg(cargo_otel)";

/// Where the otel-runtime dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeSource {
    /// A local checkout, absolute so the manifest keeps working when the project moves.
    Path(PathBuf),
    /// The git repository and commit this cargo-otel was installed from.
    Git { url: String, rev: String },
    /// A registry version.
    Version(String),
}

impl RuntimeSource {
    fn value(&self) -> Value {
        let mut t = InlineTable::new();
        match self {
            RuntimeSource::Path(p) => {
                t.insert("path", Value::from(p.to_string_lossy().replace('\\', "/")));
            }
            RuntimeSource::Git { url, rev } => {
                t.insert("git", Value::from(url.as_str()));
                t.insert("rev", Value::from(rev.as_str()));
            }
            RuntimeSource::Version(v) => return Value::from(v.as_str()),
        }
        Value::InlineTable(t)
    }
}

impl std::fmt::Display for RuntimeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuntimeSource::Path(p) => write!(f, "{}", p.display()),
            RuntimeSource::Git { url, rev } => write!(f, "{url} (rev {rev})"),
            RuntimeSource::Version(v) => write!(f, "v{v} from the registry"),
        }
    }
}

/// Add the dependency to one manifest's text. Returns `None` when the manifest already has
/// everything (an existing otel-runtime dependency is kept as it is).
pub fn edit_manifest(text: &str, source: &RuntimeSource) -> Result<Option<String>> {
    let mut doc: DocumentMut = text.parse().context("not a valid Cargo.toml")?;
    let before = doc.to_string();
    let target = doc.entry("target").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let target = target.as_table_mut().context("`target` is not a table")?;
    // A literal-string key keeps the manifest in the form people write by hand.
    let key: toml_edit::Key = format!("'{CFG_TABLE}'").parse().context("internal: cfg key")?;
    let cfg = target.entry_format(&key).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let cfg = cfg.as_table_mut().context("`target.'cfg(cargo_otel)'` is not a table")?;
    let deps = cfg.entry("dependencies").or_insert_with(|| Item::Table(Table::new()));
    let deps = deps.as_table_like_mut().context("`dependencies` is not a table")?;
    if deps.get(RUNTIME_PACKAGE).is_none() {
        deps.insert(RUNTIME_PACKAGE, Item::Value(source.value()));
    }

    let workspace_lints = doc.get("lints").and_then(|l| l.get("workspace")).and_then(|w| w.as_bool()) == Some(true);
    if !workspace_lints {
        let lints = doc.entry("lints").or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        let lints = lints.as_table_like_mut().context("`lints` is not a table")?;
        let rust = lints.entry("rust").or_insert(Item::Table(Table::new()));
        let rust = rust.as_table_like_mut().context("`lints.rust` is not a table")?;
        add_check_cfg(rust)?;
    }
    let after = doc.to_string();
    Ok((after != before).then_some(after))
}

/// Add `cfg(cargo_otel)` to `unexpected_cfgs`' check-cfg list, creating the entry if needed.
fn add_check_cfg(rust: &mut dyn toml_edit::TableLike) -> Result<()> {
    let entry = rust.entry("unexpected_cfgs").or_insert_with(|| {
        let mut t = InlineTable::new();
        t.insert("level", Value::from("warn"));
        t.insert("check-cfg", Value::Array(Array::new()));
        Item::Value(Value::InlineTable(t))
    });
    if let Some(level) = entry.as_str().map(str::to_string) {
        let mut t = InlineTable::new();
        t.insert("level", Value::from(level));
        t.insert("check-cfg", Value::Array(Array::new()));
        *entry = Item::Value(Value::InlineTable(t));
    }
    let table = entry.as_table_like_mut().context("`unexpected_cfgs` is neither a level nor a table")?;
    let list = table.entry("check-cfg").or_insert(Item::Value(Value::Array(Array::new())));
    let array = list.as_array_mut().context("`check-cfg` is not an array")?;
    if !array.iter().any(|v| v.as_str() == Some(CFG_TABLE)) {
        array.push(CFG_TABLE);
    }
    Ok(())
}

/// The runtime source this binary was built from, baked in at compile time.
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime");

/// Is `dir` an otel-runtime package?
fn is_runtime_dir(dir: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else { return false };
    let Ok(doc) = text.parse::<DocumentMut>() else { return false };
    doc.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str()) == Some(RUNTIME_PACKAGE)
}

/// The default source: the runtime beside the cargo-otel sources this binary was built
/// from. Built by `cargo install --git` (sources under `$CARGO_HOME/git/checkouts/`), the
/// git url and commit recorded in `$CARGO_HOME/.crates2.json` when cargo recorded them, as
/// a checkout may be garbage-collected; otherwise the absolute path.
fn default_source() -> Result<RuntimeSource> {
    let built = Path::new(BUILT_FROM);
    if !is_runtime_dir(built) {
        bail!(
            "cannot find the otel-runtime this cargo-otel was built from (expected at {BUILT_FROM}).\n\
             Pass `--path DIR` (a checkout's runtime/ folder) or `--version V` (a published otel-runtime)."
        );
    }
    let dir = std::fs::canonicalize(built).with_context(|| format!("cannot resolve {BUILT_FROM}"))?;
    let in_git_checkout = dir
        .components()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0].as_os_str() == "git" && w[1].as_os_str() == "checkouts");
    if in_git_checkout {
        if let Some(source) = installed_git_source() {
            return Ok(source);
        }
    }
    Ok(RuntimeSource::Path(dir))
}

/// `cargo-otel <version> (git+<url>[?query]#<commit>)` from cargo's install record.
fn installed_git_source() -> Option<RuntimeSource> {
    let home =
        std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::home_dir().map(|h| h.join(".cargo")))?;
    let text = std::fs::read_to_string(home.join(".crates2.json")).ok()?;
    git_source_in_install_record(&text, env!("CARGO_PKG_VERSION"))
}

/// The git source of `cargo-otel <version>` in cargo's `.crates2.json`, when it was
/// installed from git at a full commit.
fn git_source_in_install_record(text: &str, version: &str) -> Option<RuntimeSource> {
    let record: serde_json::Value = serde_json::from_str(text).ok()?;
    let prefix = format!("cargo-otel {version} (git+");
    record.get("installs")?.as_object()?.keys().find_map(|key| {
        let rest = key.strip_prefix(&prefix)?.strip_suffix(')')?;
        let (url, rev) = rest.split_once('#')?;
        let url = url.split('?').next().unwrap_or(url);
        (rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| RuntimeSource::Git { url: url.to_string(), rev: rev.to_string() })
    })
}

/// The default source as a TOML value, for messages.
pub fn default_dependency_toml() -> Result<String> {
    Ok(default_source()?.value().to_string().trim().to_string())
}

/// The source the options ask for.
fn requested_source(opts: &InitOpts) -> Result<RuntimeSource> {
    if let Some(path) = &opts.path {
        let abs = std::fs::canonicalize(path).with_context(|| format!("--path {} does not exist", path.display()))?;
        if !is_runtime_dir(&abs) {
            bail!("--path {}: no Cargo.toml of package `{RUNTIME_PACKAGE}` there", abs.display());
        }
        return Ok(RuntimeSource::Path(abs));
    }
    if let Some(version) = &opts.version {
        semver::VersionReq::parse(version).with_context(|| format!("--version {version} is not a version"))?;
        return Ok(RuntimeSource::Version(version.clone()));
    }
    default_source()
}

pub fn run(_args: &Args, opts: &InitOpts, shell: &Shell) -> Result<ExitCode> {
    let source = requested_source(opts)?;
    let metadata =
        opts.manifest.metadata().no_deps().exec().context("`cargo metadata` failed (is this a cargo project?)")?;
    let members = metadata.workspace_packages();
    for name in &opts.package {
        if !members.iter().any(|p| p.name.as_str() == name) {
            let names: Vec<&str> = members.iter().map(|p| p.name.as_str()).collect();
            bail!("package `{name}` is not a member of this workspace (members: {})", names.join(", "));
        }
    }
    // Original texts of the manifests we changed, to restore if the result does not resolve.
    let mut edited: Vec<(PathBuf, String)> = Vec::new();
    for package in members {
        if package.name.as_str() == RUNTIME_PACKAGE
            || (!opts.package.is_empty() && !opts.package.iter().any(|n| n == package.name.as_str()))
        {
            continue;
        }
        if package.targets.iter().all(|t| t.is_proc_macro()) {
            continue;
        }
        let manifest = package.manifest_path.as_std_path();
        let text = std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
        match edit_manifest(&text, &source).with_context(|| format!("cannot edit {}", manifest.display()))? {
            Some(new) => {
                if let Err(e) = std::fs::write(manifest, new) {
                    restore(&edited);
                    return Err(e).with_context(|| format!("cannot write {}", manifest.display()));
                }
                edited.push((manifest.to_path_buf(), text));
                shell.status("Adding", format!("{RUNTIME_PACKAGE} (cfg(cargo_otel)) to {}", package.name));
            }
            None => shell.status("Fresh", format!("{} already has {RUNTIME_PACKAGE}", package.name)),
        }
    }
    if edited.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    // The edited graph must resolve (a registry version that does not exist, a path that
    // is not a runtime, a conflicting second runtime), or we put everything back.
    let lock = metadata.workspace_root.as_std_path().join("Cargo.lock");
    let lock_before = std::fs::read(&lock).ok();
    if let Err(e) = opts.manifest.metadata().exec() {
        restore(&edited);
        match &lock_before {
            Some(bytes) => {
                let _ = std::fs::write(&lock, bytes);
            }
            None => {
                let _ = std::fs::remove_file(&lock);
            }
        }
        return Err(anyhow::Error::new(e)).context(format!(
            "with {RUNTIME_PACKAGE} from {source} the workspace does not resolve, so no manifest was changed; \
             pass `--path DIR` (a checkout's runtime/ folder) or `--version V` (a published otel-runtime)"
        ));
    }
    let n = edited.len();
    shell.status(
        "Finished",
        format!(
            "{n} manifest{} updated ({RUNTIME_PACKAGE} from {source}); plain `cargo build` is unchanged",
            if n == 1 { "" } else { "s" }
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// Put back the original text of every edited manifest.
fn restore(edited: &[(PathBuf, String)]) {
    for (path, text) in edited {
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: could not restore {}: {e}", path.display());
        }
    }
}

/// The exact lines a package needs, for error messages: the runtime source `init` would
/// write (this binary's runtime checkout), so the snippet resolves as pasted.
pub fn runtime_dependency_snippet() -> String {
    let dependency =
        default_dependency_toml().unwrap_or_else(|_| "{ path = \"<a checkout of cargo-otel>/runtime\" }".to_string());
    format!(
        "[target.'cfg(cargo_otel)'.dependencies]\n{RUNTIME_PACKAGE} = {dependency}\n\n[lints.rust]\nunexpected_cfgs = {{ level = \"warn\", check-cfg = [\"cfg(cargo_otel)\"] }}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_dependency_and_lint_keeping_comments_and_is_idempotent() {
        let text =
            "[package]\nname = \"app\" # the app\nversion = \"0.1.0\"\n\n# deps below\n[dependencies]\nserde = \"1\"\n";
        let once = edit_manifest(text, &RuntimeSource::Path("/abs/runtime".into())).expect("edit").expect("changed");
        assert!(once.contains("name = \"app\" # the app"), "{once}");
        assert!(once.contains("# deps below"), "{once}");
        assert!(
            once.contains("[target.'cfg(cargo_otel)'.dependencies]\notel-runtime = { path = \"/abs/runtime\" }"),
            "{once}"
        );
        assert!(once.contains("check-cfg = [\"cfg(cargo_otel)\"]"), "{once}");
        assert_eq!(edit_manifest(&once, &RuntimeSource::Path("/abs/runtime".into())).expect("edit"), None);
    }

    #[test]
    fn git_install_record_gives_url_and_commit() {
        let rev = "0123456789abcdef0123456789abcdef01234567";
        let record = format!(
            "{{\"installs\": {{\"ripgrep 14.1.0 (registry+https://github.com/rust-lang/crates.io-index)\": {{}}, \
             \"cargo-otel 0.1.0 (git+https://example.invalid/cargo-otel?branch=main#{rev})\": {{}}}}}}"
        );
        let source = git_source_in_install_record(&record, "0.1.0").expect("a git source");
        assert_eq!(source, RuntimeSource::Git { url: "https://example.invalid/cargo-otel".into(), rev: rev.into() });
        assert_eq!(
            source.value().to_string().trim(),
            format!("{{ git = \"https://example.invalid/cargo-otel\", rev = \"{rev}\" }}")
        );
        // Another version, or a path install, is not ours.
        assert_eq!(git_source_in_install_record(&record, "0.2.0"), None);
        assert_eq!(
            git_source_in_install_record("{\"installs\": {\"cargo-otel 0.1.0 (path+file:///x)\": {}}}", "0.1.0"),
            None
        );
    }

    #[test]
    fn merges_into_an_existing_unexpected_cfgs_entry() {
        let text = "[package]\nname = \"a\"\n\n[lints.rust]\nunexpected_cfgs = { level = \"warn\", check-cfg = [\"cfg(tokio_unstable)\"] }\n";
        let out = edit_manifest(text, &RuntimeSource::Version("0.1.0".into())).expect("edit").expect("changed");
        assert!(out.contains("check-cfg = [\"cfg(tokio_unstable)\", \"cfg(cargo_otel)\"]"), "{out}");
        let ws = "[package]\nname = \"a\"\n[lints]\nworkspace = true\n";
        let out = edit_manifest(ws, &RuntimeSource::Version("0.1.0".into())).expect("edit").expect("changed");
        assert!(!out.contains("[lints.rust]"), "{out}");
    }
}
