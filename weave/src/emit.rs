//! Stage 6, emit: the prelude and advice modules appended to the crate root, the shadow tree
//! rustc compiles, and the dep-info rewrite (after rustc) that keeps cargo's fingerprints on
//! the original files.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The ABI sources, embedded from the runtime that defines them (the one source of truth).
const ABI_DECLARE: &str = include_str!("../../runtime/src/abi/declare.rs");
const ABI_LIST: &str = include_str!("../../runtime/src/abi/abi.rs");
const ABI_PRELUDE: &str = include_str!("../../runtime/src/abi/prelude.rs");

/// Lints the spliced modules must never trigger, whatever the crate denies.
pub const ALLOW_ALL: &str = "#[allow(warnings, unsafe_code, missing_docs, unreachable_pub, dead_code, unused, non_camel_case_types, non_snake_case, non_upper_case_globals, improper_ctypes, missing_debug_implementations, missing_copy_implementations, unused_qualifications, unused_results, unused_extern_crates, elided_lifetimes_in_paths, trivial_casts, trivial_numeric_casts, single_use_lifetimes, unsafe_op_in_unsafe_fn, clippy::all, clippy::pedantic, clippy::nursery)]";

/// The `mod __otel` prelude: ABI declarations plus safe wrappers, std only.
pub fn prelude_module() -> String {
    prelude_module_with(&[])
}

/// The prelude, with the plan's one definition of the application's code: `in_app(file)`
/// says whether a source file (as `file!()` or `Location::file()` names it) is the user's.
/// Workspace members are compiled from paths relative to the workspace root, everything
/// else from absolute paths; `app_sources` lists the absolute directories of the other
/// local packages (path dependencies). Vendored, registry and git crates are never the app.
pub fn prelude_module_with(app_sources: &[String]) -> String {
    let sources: Vec<String> = app_sources.iter().map(|s| format!("{s:?}")).collect();
    format!(
        "{ALLOW_ALL}\n#[doc(hidden)]\n#[macro_use]\nmod __otel {{\n{ABI_DECLARE}\n{ABI_LIST}\n{ABI_PRELUDE}\npub const APP_SOURCES: &[&str] = &[{}];\n}}\n",
        sources.join(", ")
    )
}

/// A pack's advice as a module of the crate root: its instrumentation scope (`scope`, entered
/// around each of its advice calls), then its files, in order, as one module.
pub fn advice_module(module: &str, scope: &str, files: &[(PathBuf, String)]) -> String {
    let mut out = format!(
        "{ALLOW_ALL}\n#[doc(hidden)]\nmod {module} {{\n#[allow(unused_imports)] use crate::__otel;\npub(crate) static __OTEL_SCOPE: crate::__otel::Scope = crate::__otel::Scope::new({scope:?});\n"
    );
    for (path, source) in files {
        let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        out.push_str(&format!("// advice: {name}\n{source}\n"));
    }
    out.push_str("}\n");
    out
}

/// Append what the crate root of a woven unit needs: the prelude, the advice module of every
/// pack that advised something, and (when the unit links it) `extern crate otel_runtime`,
/// without which an unused runtime dependency is not linked (design.md §3).
pub fn append_modules(
    root_text: &mut String,
    root: &syn::File,
    used: &[&crate::model::Pack],
    links_runtime: bool,
    app: &[String],
) -> Vec<Appended> {
    if !root_text.ends_with('\n') {
        root_text.push('\n');
    }
    let mut regions = Vec::new();
    let facts = RootFacts::of(root);
    let mut push = |root_text: &mut String, text: &str, origin: Origin| {
        let first = root_text.lines().count() + 1;
        root_text.push_str(text);
        regions.push(Appended { first_line: first, last_line: root_text.lines().count(), origin });
    };
    push(root_text, &prelude_module_with(app), Origin::Prelude);
    if let Some(item) = facts.std_item() {
        push(root_text, &item, Origin::Prelude);
    }
    for pack in used {
        let mut module = advice_module(&pack.advice_module(), &pack.scope_name(), &pack.advice);
        if facts.no_std.is_some() || facts.no_implicit_prelude {
            // Advice is written against std's prelude; give it that by name.
            module = module.replacen(
                "use crate::__otel;\n",
                "use crate::__otel;\n#[allow(unused_imports)] use crate::__otel::std::prelude::v1::*;\n",
                1,
            );
        }
        // Each advice file follows its `// advice: name` line: map lines back to the file.
        let base = root_text.lines().count();
        let mut offset = 0;
        for (number, line) in module.lines().enumerate() {
            if line.starts_with("// advice: ") {
                let (path, _) = &pack.advice[offset];
                regions.push(Appended {
                    first_line: base + number + 2,
                    last_line: base + number + 1 + pack.advice[offset].1.lines().count(),
                    origin: Origin::Advice { pack: pack.name.clone(), file: path.clone() },
                });
                offset += 1;
                if offset == pack.advice.len() {
                    break;
                }
            }
        }
        root_text.push_str(&module);
    }
    if links_runtime {
        root_text.push_str("extern crate otel_runtime as _;\n");
    }
    regions
}

/// A block of code the weaver appended to a crate root: where a compiler error in it really
/// comes from, so it is reported against the pack's advice file (or the prelude), never as
/// a line past the end of the user's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Lines of the woven root (1-based, inclusive).
    pub first_line: usize,
    pub last_line: usize,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The prelude (or the `extern crate std` added for `no_std`): a cargo-otel bug.
    Prelude,
    /// One advice file of a pack; line `first_line` of the root is line 1 of `file`.
    Advice { pack: String, file: PathBuf },
}

impl Appended {
    /// `line` of the woven root, described as its origin: `rules/x/advice.rs:12 (pack x's
    /// advice)` or `cargo-otel's prelude`.
    pub fn describe(regions: &[Appended], line: usize) -> Option<String> {
        let region = regions.iter().rev().find(|r| (r.first_line..=r.last_line).contains(&line))?;
        Some(match &region.origin {
            Origin::Prelude => "cargo-otel's injected prelude (a cargo-otel bug: please report it)".to_string(),
            Origin::Advice { pack, file } => {
                format!("{}:{} (advice of pack `{pack}`)", file.display(), line - region.first_line + 1)
            }
        })
    }
}

/// What the crate root says about std, for code that needs it: woven code and advice name
/// `::std` (and std's prelude), which `#![no_std]` and `#![no_implicit_prelude]` crates lack.
/// Graphs that link the runtime have std, so such a crate can always be given it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RootFacts {
    /// The crate is `no_std`: `Some("")` always, `Some(pred)` under `cfg(pred)`
    /// (`#![cfg_attr(pred, no_std)]`).
    pub no_std: Option<String>,
    pub no_implicit_prelude: bool,
    /// The root's own `extern crate std;` items: `Some("")` unconditional, `Some(pred)` under
    /// `cfg(pred)` (several: `any(..)` of them).
    pub extern_std: Option<String>,
    /// An item named `std` other than `extern crate std`: nothing can be added.
    pub std_taken: bool,
}

impl RootFacts {
    pub fn of(root: &syn::File) -> RootFacts {
        use quote::ToTokens;
        let mut facts = RootFacts::default();
        for attr in root.attrs.iter().filter(|a| matches!(a.style, syn::AttrStyle::Inner(_))) {
            if attr.path().is_ident("no_std") {
                facts.no_std = Some(String::new());
            } else if attr.path().is_ident("no_implicit_prelude") {
                facts.no_implicit_prelude = true;
            } else if attr.path().is_ident("cfg_attr") {
                let Ok(list) =
                    attr.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                else {
                    continue;
                };
                let mut items = list.iter();
                let Some(pred) = items.next() else { continue };
                let pred = pred.to_token_stream().to_string();
                for item in items {
                    if item.path().is_ident("no_std") && facts.no_std.as_deref() != Some("") {
                        facts.no_std = Some(pred.clone());
                    } else if item.path().is_ident("no_implicit_prelude") {
                        facts.no_implicit_prelude = true;
                    }
                }
            }
        }
        let mut extern_preds: Vec<String> = Vec::new();
        let mut unconditional = false;
        for item in &root.items {
            let (attrs, named_std, is_extern_std) = match item {
                syn::Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map_or(&e.ident, |(_, r)| r);
                    (&e.attrs, name == "std", e.ident == "std" && e.rename.is_none())
                }
                syn::Item::Mod(i) => (&i.attrs, i.ident == "std", false),
                syn::Item::Use(_) | syn::Item::Macro(_) => continue,
                _ => continue,
            };
            if !named_std {
                continue;
            }
            if !is_extern_std {
                facts.std_taken = true;
                continue;
            }
            let cfgs: Vec<String> = attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg"))
                .filter_map(|a| a.meta.require_list().ok().map(|l| l.tokens.to_string()))
                .collect();
            match cfgs.len() {
                0 => unconditional = true,
                1 => extern_preds.push(cfgs[0].clone()),
                _ => extern_preds.push(format!("all({})", cfgs.join(", "))),
            }
        }
        facts.extern_std = if unconditional {
            Some(String::new())
        } else {
            match extern_preds.len() {
                0 => None,
                1 => Some(extern_preds.remove(0)),
                _ => Some(format!("any({})", extern_preds.join(", "))),
            }
        };
        facts
    }

    /// The `extern crate std;` to add to the root so `::std` resolves in every configuration
    /// where the crate is `no_std` and does not declare it itself; `None` when it always does.
    /// (Never in a std crate: there it exists already, and edition 2015 rejects a second.)
    pub fn std_item(&self) -> Option<String> {
        let no_std = self.no_std.as_deref()?;
        if self.std_taken {
            return None;
        }
        let cfg = match (no_std, self.extern_std.as_deref()) {
            (_, Some("")) => return None,
            ("", None) => None,
            (pred, None) => Some(pred.to_string()),
            ("", Some(q)) => Some(format!("not({q})")),
            (pred, Some(q)) => Some(format!("all({pred}, not({q}))")),
        };
        Some(match cfg {
            Some(cfg) => format!("#[cfg({cfg})]\n#[allow(unused_extern_crates)]\nextern crate std;\n"),
            None => "#[allow(unused_extern_crates)]\nextern crate std;\n".to_string(),
        })
    }
}

/// Create `shadow` as a mirror of `package`: modified files written, everything else a
/// symlink to the original. Only directories on the way to a modified file are real.
pub fn build_shadow(package: &Path, shadow: &Path, modified: &[(PathBuf, String)]) -> io::Result<()> {
    if shadow.exists() {
        fs::remove_dir_all(shadow)?;
    }
    let mut real_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for (rel, _) in modified {
        let mut dir = rel.parent();
        while let Some(d) = dir {
            real_dirs.insert(d.to_path_buf());
            dir = d.parent();
        }
    }
    real_dirs.insert(PathBuf::new());
    mirror(package, shadow, Path::new(""), &real_dirs, modified)
}

fn mirror(
    package: &Path,
    shadow: &Path,
    rel: &Path,
    real_dirs: &BTreeSet<PathBuf>,
    modified: &[(PathBuf, String)],
) -> io::Result<()> {
    fs::create_dir_all(shadow.join(rel))?;
    for entry in fs::read_dir(package.join(rel))? {
        let entry = entry?;
        let child = rel.join(entry.file_name());
        if let Some((_, text)) = modified.iter().find(|(p, _)| *p == child) {
            fs::write(shadow.join(&child), text)?;
        } else if real_dirs.contains(&child) {
            mirror(package, shadow, &child, real_dirs, modified)?;
        } else {
            symlink(&package.join(&child), &shadow.join(&child))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    if target.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

/// Rewrite rustc's dep-info: shadow paths become the original package paths, and `extra`
/// files (the rule packs the crate was woven with) become dependencies, so editing a pack
/// rebuilds exactly the crates it wove.
pub fn rewrite_dep_info(dep_info: &Path, shadow: &Path, package: &Path, extra: &[PathBuf]) -> io::Result<()> {
    let text = fs::read_to_string(dep_info)?;
    let shadow_s = shadow.to_string_lossy();
    let package_s = package.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    let extra_deps: String = extra.iter().map(|p| format!(" {}", escape_dep_path(p))).collect();
    for line in text.lines() {
        let line = line.replace(shadow_s.as_ref(), package_s.as_ref());
        let is_target_line = !line.starts_with('#') && !line.trim_end().ends_with(':') && line.contains(": ");
        out.push_str(&line);
        if is_target_line {
            out.push_str(&extra_deps);
        }
        out.push('\n');
    }
    for p in extra {
        out.push_str(&format!("\n{}:\n", escape_dep_path(p)));
    }
    fs::write(dep_info, out)
}

fn escape_dep_path(p: &Path) -> String {
    p.to_string_lossy().replace(' ', "\\ ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shadow_links_untouched_files_and_writes_modified_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pkg = dir.path().join("pkg");
        fs::create_dir_all(pkg.join("src/net")).expect("mkdir");
        fs::create_dir_all(pkg.join("data")).expect("mkdir");
        fs::write(pkg.join("src/lib.rs"), "mod net;").expect("write");
        fs::write(pkg.join("src/net/mod.rs"), "orig").expect("write");
        fs::write(pkg.join("src/other.rs"), "other").expect("write");
        fs::write(pkg.join("data/x.txt"), "x").expect("write");
        let shadow = dir.path().join("shadow");
        build_shadow(&pkg, &shadow, &[(PathBuf::from("src/net/mod.rs"), "woven".into())]).expect("shadow");
        assert_eq!(fs::read_to_string(shadow.join("src/net/mod.rs")).expect("read"), "woven");
        assert_eq!(fs::read_to_string(shadow.join("src/other.rs")).expect("read"), "other");
        assert!(fs::symlink_metadata(shadow.join("data")).expect("meta").file_type().is_symlink());
        assert!(!fs::symlink_metadata(shadow.join("src")).expect("meta").file_type().is_symlink());
        assert_eq!(fs::read_to_string(pkg.join("src/net/mod.rs")).expect("read"), "orig");
        // Rebuilding replaces the previous shadow.
        build_shadow(&pkg, &shadow, &[]).expect("shadow again");
        assert_eq!(fs::read_to_string(shadow.join("src/net/mod.rs")).expect("read"), "orig");
    }

    #[test]
    fn dep_info_points_at_originals_and_packs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().join("x.d");
        fs::write(
            &d,
            "/out/libx.rmeta: /sh/src/lib.rs /sh/src/a.rs\n\n/sh/src/lib.rs:\n/sh/src/a.rs:\n\n# env-dep:FOO=1\n",
        )
        .expect("write");
        rewrite_dep_info(&d, Path::new("/sh"), Path::new("/pkg"), &[PathBuf::from("/rules/p/pack.toml")])
            .expect("rewrite");
        let out = fs::read_to_string(&d).expect("read");
        assert!(out.starts_with("/out/libx.rmeta: /pkg/src/lib.rs /pkg/src/a.rs /rules/p/pack.toml\n"), "{out}");
        assert!(out.contains("\n/pkg/src/a.rs:\n"));
        assert!(out.contains("# env-dep:FOO=1\n"));
        assert!(out.contains("\n/rules/p/pack.toml:\n"));
        assert!(!out.contains("/sh/"));
    }

    fn facts(text: &str) -> RootFacts {
        RootFacts::of(&syn::parse_file(text).expect("parses"))
    }

    #[test]
    fn no_std_crates_get_exactly_one_extern_crate_std() {
        assert_eq!(facts("fn a() {}").std_item(), None, "a std crate has std");
        assert_eq!(
            facts("#![no_std]").std_item().as_deref(),
            Some("#[allow(unused_extern_crates)]\nextern crate std;\n")
        );
        assert_eq!(facts("#![no_std]\nextern crate std;").std_item(), None);
        let conditional = facts("#![no_std]\n#[cfg(feature = \"std\")]\nextern crate std;").std_item().expect("item");
        assert!(conditional.starts_with("#[cfg(not(feature = \"std\"))]"), "{conditional}");
        let both = facts("#![cfg_attr(not(test), no_std)]\n#[cfg(feature = \"std\")]\nextern crate std;")
            .std_item()
            .expect("item");
        assert!(both.starts_with("#[cfg(all(not (test), not(feature = \"std\")))]"), "{both}");
        assert_eq!(facts("#![no_std]\nmod std {}").std_item(), None, "a module named std");
        assert!(facts("#![no_implicit_prelude]").no_implicit_prelude);
    }

    #[test]
    fn appended_code_maps_back_to_its_advice_file() {
        let pack = crate::model::Pack {
            name: "demo".into(),
            target: crate::model::CrateTarget::Workspace,
            manifest: PathBuf::from("rules/demo/pack.toml"),
            advice: vec![
                (PathBuf::from("rules/shared.rs"), "fn a() {}\nfn b() {}\n".into()),
                (PathBuf::from("rules/demo/advice.rs"), "fn c() {}\nfn d() { oops }\n".into()),
            ],
            rules: vec![],
            runtime_dependency: false,
        };
        let mut text = "fn user() {}\n".to_string();
        let regions =
            append_modules(&mut text, &syn::parse_file("fn user() {}").expect("parses"), &[&pack], false, &[]);
        let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).expect("line") + 1;
        assert_eq!(
            Appended::describe(&regions, line_of("oops")).as_deref(),
            Some("rules/demo/advice.rs:2 (advice of pack `demo`)")
        );
        assert_eq!(
            Appended::describe(&regions, line_of("fn a()")).as_deref(),
            Some("rules/shared.rs:1 (advice of pack `demo`)")
        );
        assert!(Appended::describe(&regions, line_of("pub struct Span")).expect("prelude").contains("prelude"));
        assert_eq!(Appended::describe(&regions, 1), None, "the user's own line");
    }

    #[test]
    fn prelude_parses_as_rust() {
        syn::parse_file(&prelude_module()).expect("prelude is valid Rust");
        let with = prelude_module_with(&["/elsewhere/lib/".to_string()]);
        syn::parse_file(&with).expect("prelude with app sources is valid Rust");
        assert!(with.contains(r#"APP_SOURCES: &[&str] = &["/elsewhere/lib/"]"#));
    }
}
