//! `cargo otel init`: add the cfg-gated runtime dependency and the `check-cfg` entry to the
//! packages that link instrumented code, with toml_edit so formatting and comments survive.
//! Running it twice changes nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use cargo_metadata::MetadataCommand;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::Args;
use super::build::RUNTIME_PACKAGE;
use crate::shell::Shell;

const CFG_TABLE: &str = "cfg(cargo_otel)";

/// Add the dependency to one manifest's text. `runtime_path` is relative to the manifest's
/// directory. Returns `None` when the manifest already has everything.
pub fn edit_manifest(text: &str, runtime_path: Option<&Path>) -> Result<Option<String>> {
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
        let value = match runtime_path {
            Some(p) => {
                let mut t = InlineTable::new();
                t.insert("path", Value::from(p.to_string_lossy().replace('\\', "/")));
                Value::InlineTable(t)
            }
            None => Value::from(env!("CARGO_PKG_VERSION")),
        };
        deps.insert(RUNTIME_PACKAGE, Item::Value(value));
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

fn relative(from_dir: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from_dir.components().collect();
    let to_c: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to_c).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to_c[common..] {
        out.push(c);
    }
    out
}

pub fn run(args: &Args, shell: &Shell) -> Result<ExitCode> {
    let mut runtime_path: Option<PathBuf> = None;
    let mut names = Vec::new();
    let mut it = args.rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--path" => runtime_path = it.next().map(PathBuf::from),
            "-p" | "--package" => names.extend(it.next().cloned()),
            _ => {}
        }
    }
    let runtime_abs = match &runtime_path {
        Some(p) => Some(std::fs::canonicalize(p).with_context(|| format!("--path {} does not exist", p.display()))?),
        None => None,
    };
    let metadata =
        MetadataCommand::new().no_deps().exec().context("`cargo metadata` failed (is this a cargo project?)")?;
    let mut changed = 0;
    for package in metadata.workspace_packages() {
        if package.name.as_str() == RUNTIME_PACKAGE
            || (!names.is_empty() && !names.iter().any(|n| n == package.name.as_str()))
        {
            continue;
        }
        if package.targets.iter().all(|t| t.is_proc_macro()) {
            continue;
        }
        let manifest = package.manifest_path.as_std_path();
        let dir = manifest.parent().unwrap_or(Path::new("."));
        let text = std::fs::read_to_string(manifest).with_context(|| format!("cannot read {}", manifest.display()))?;
        let rel = runtime_abs.as_deref().map(|r| relative(dir, r));
        match edit_manifest(&text, rel.as_deref()).with_context(|| format!("cannot edit {}", manifest.display()))? {
            Some(new) => {
                std::fs::write(manifest, new).with_context(|| format!("cannot write {}", manifest.display()))?;
                shell.status("Adding", format!("{RUNTIME_PACKAGE} (cfg(cargo_otel)) to {}", package.name));
                changed += 1;
            }
            None => shell.status("Fresh", format!("{} already has {RUNTIME_PACKAGE}", package.name)),
        }
    }
    if changed > 0 {
        shell.status(
            "Finished",
            format!(
                "{changed} manifest{} updated; plain `cargo build` is unchanged",
                if changed == 1 { "" } else { "s" }
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_dependency_and_lint_keeping_comments_and_is_idempotent() {
        let text =
            "[package]\nname = \"app\" # the app\nversion = \"0.1.0\"\n\n# deps below\n[dependencies]\nserde = \"1\"\n";
        let once = edit_manifest(text, Some(Path::new("../runtime"))).expect("edit").expect("changed");
        assert!(once.contains("name = \"app\" # the app"), "{once}");
        assert!(once.contains("# deps below"), "{once}");
        assert!(
            once.contains("[target.'cfg(cargo_otel)'.dependencies]\notel-runtime = { path = \"../runtime\" }"),
            "{once}"
        );
        assert!(once.contains("check-cfg = [\"cfg(cargo_otel)\"]"), "{once}");
        assert_eq!(edit_manifest(&once, Some(Path::new("../runtime"))).expect("edit"), None);
    }

    #[test]
    fn merges_into_an_existing_unexpected_cfgs_entry() {
        let text = "[package]\nname = \"a\"\n\n[lints.rust]\nunexpected_cfgs = { level = \"warn\", check-cfg = [\"cfg(tokio_unstable)\"] }\n";
        let out = edit_manifest(text, None).expect("edit").expect("changed");
        assert!(out.contains("check-cfg = [\"cfg(tokio_unstable)\", \"cfg(cargo_otel)\"]"), "{out}");
        let ws = "[package]\nname = \"a\"\n[lints]\nworkspace = true\n";
        let out = edit_manifest(ws, None).expect("edit").expect("changed");
        assert!(!out.contains("[lints.rust]"), "{out}");
    }
}
