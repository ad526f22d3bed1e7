//! Stage 1, parse: read a crate's module tree from its root file with syn.
//!
//! Follows `mod x;` declarations (`x.rs`, `x/mod.rs`, `#[path]`), including declarations
//! inside item-position macro calls such as tokio's `cfg_rt! { mod task; }`, whose bodies
//! are parsed as items when they are items. cfg'd alternatives are all read: a declaration
//! whose file does not exist is assumed to be cfg'd out and skipped.

use std::fs;
use std::path::{Path, PathBuf};

/// The crate root could not be read or parsed: the unit cannot be woven at all.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}:{column}: {message}")]
pub struct ParseError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// One parsed source file of the crate.
pub struct SourceFile {
    /// Path as found on disk (absolute or relative to the process's cwd).
    pub path: PathBuf,
    /// Module path of the file's top level (`["async_impl", "client"]`); empty at the root.
    pub module: Vec<String>,
    pub text: String,
    pub ast: syn::File,
    /// Declared under `#[cfg(test)]` (its `mod` item, or an enclosing module's).
    pub cfg_test: bool,
}

/// Every file of a crate reachable from its root.
pub struct CrateSources {
    /// The parsed files; the crate root is always the first.
    pub files: Vec<SourceFile>,
    /// Files that did not parse, with syn's error (the weaver warns and skips them).
    pub unparsed: Vec<(PathBuf, String)>,
    /// Files the pre-filter kept away from later stages: their text cannot hold a join point
    /// (read, and parsed only when they declare child modules).
    pub filtered: Vec<PathBuf>,
}

/// Parse the crate rooted at `root` (its `lib.rs`/`main.rs`).
pub fn parse_crate(root: &Path) -> Result<CrateSources, ParseError> {
    parse_crate_filtered(root, &|_, _| true)
}

/// Parse the crate rooted at `root`, keeping only files for which `may_match(module, text)`
/// holds, `module` being the file's module path (the root is always kept). A file that fails it is not syn-parsed at all unless it
/// declares out-of-line modules (`mod x;`), which are needed to find the rest of the tree.
/// This is the weaver's main saving on large crates: most files of tokio hold no join point.
pub fn parse_crate_filtered(
    root: &Path,
    may_match: &dyn Fn(&[String], &str) -> bool,
) -> Result<CrateSources, ParseError> {
    let mut sources = CrateSources { files: Vec::new(), unparsed: Vec::new(), filtered: Vec::new() };
    let text = fs::read_to_string(root).map_err(|e| ParseError {
        path: root.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the crate root: {e}"),
    })?;
    let ast = syn::parse_file(&text).map_err(|e| {
        let at = e.span().start();
        ParseError { path: root.to_path_buf(), line: at.line, column: at.column + 1, message: e.to_string() }
    })?;
    let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
    let node =
        Node { path: root.to_path_buf(), module: Vec::new(), child_dir: dir, text, ast, keep: true, cfg_test: false };
    walk(&mut sources, may_match, node);
    Ok(sources)
}

/// Can `text` declare an out-of-line module (`mod name;`, possibly inside a macro call or
/// an inline module)? Conservative: a match in a comment or string only costs a parse.
pub fn declares_modules(text: &str) -> bool {
    let bytes = text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(found) = text[from..].find("mod") {
        let start = from + found;
        from = start + 3;
        if start > 0 && ident(bytes[start - 1]) {
            continue;
        }
        let mut i = start + 3;
        let spaces = |i: &mut usize| {
            while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
                *i += 1;
            }
        };
        let before = i;
        spaces(&mut i);
        if i == before {
            continue; // `module`, `mod{`
        }
        if text[i..].starts_with("r#") {
            i += 2;
        }
        let name = i;
        while i < bytes.len() && ident(bytes[i]) {
            i += 1;
        }
        if i == name {
            continue;
        }
        spaces(&mut i);
        if bytes.get(i) == Some(&b';') {
            return true;
        }
    }
    false
}

/// One file of the module tree on the way down.
struct Node {
    path: PathBuf,
    module: Vec<String>,
    /// Where its child modules' files are.
    child_dir: PathBuf,
    text: String,
    ast: syn::File,
    /// Kept for later stages (the pre-filter's verdict).
    keep: bool,
    cfg_test: bool,
}

fn walk(sources: &mut CrateSources, may_match: &dyn Fn(&[String], &str) -> bool, node: Node) {
    let Node { path, module, child_dir, text, mut ast, keep, cfg_test } = node;
    flatten_macro_items(&mut ast.items);
    let mut decls = Vec::new();
    collect_mod_decls(&ast.items, &child_dir, &path, &[], cfg_test, &mut decls);
    if keep {
        sources.files.push(SourceFile { path, module: module.clone(), text, ast, cfg_test });
    } else {
        sources.filtered.push(path);
    }
    for decl in decls {
        let Some(file) = decl.candidates.iter().find(|p| p.is_file()).cloned() else {
            continue; // cfg'd out (e.g. a windows-only module on unix): nothing to weave
        };
        if sources.files.iter().any(|f| f.path == file) || sources.filtered.contains(&file) {
            continue;
        }
        let text = match fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                sources.unparsed.push((file, e.to_string()));
                continue;
            }
        };
        let mut child_module = module.clone();
        child_module.extend(decl.inline_prefix.iter().cloned());
        child_module.push(decl.name.clone());
        let keep = may_match(&child_module, &text);
        if !keep && !declares_modules(&text) {
            sources.filtered.push(file);
            continue;
        }
        match syn::parse_file(&text) {
            Ok(ast) => {
                let child_dir = if decl.mod_rs_like || file.file_name().is_some_and(|n| n == "mod.rs") {
                    file.parent().map(Path::to_path_buf).unwrap_or_default()
                } else {
                    let stem = file.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
                    file.parent().map(|p| p.join(stem)).unwrap_or_default()
                };
                let cfg_test = decl.cfg_test;
                walk(
                    sources,
                    may_match,
                    Node { path: file, module: child_module, child_dir, text, ast, keep, cfg_test },
                );
            }
            Err(e) => {
                let at = e.span().start();
                sources.unparsed.push((file, format!("{}:{}: {e}", at.line, at.column + 1)));
            }
        }
    }
}

struct ModDecl {
    name: String,
    inline_prefix: Vec<String>,
    candidates: Vec<PathBuf>,
    /// Loaded through `#[path]`: its children resolve like a `mod.rs`'s.
    mod_rs_like: bool,
    cfg_test: bool,
}

/// `#[cfg(test)]` among `attrs`.
pub fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.meta.require_list().is_ok_and(|l| l.tokens.to_string() == "test"))
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| {
        if !a.path().is_ident("path") {
            return None;
        }
        match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        }
    })
}

fn collect_mod_decls(
    items: &[syn::Item],
    dir: &Path,
    file: &Path,
    inline: &[String],
    in_test: bool,
    out: &mut Vec<ModDecl>,
) {
    for item in items {
        match item {
            syn::Item::Mod(m) => {
                let name = unraw(&m.ident);
                let cfg_test = in_test || is_cfg_test(&m.attrs);
                match &m.content {
                    None => {
                        let (candidates, mod_rs_like) = match path_attr(&m.attrs) {
                            Some(p) if inline.is_empty() => {
                                (vec![file.parent().unwrap_or(Path::new("")).join(p)], true)
                            }
                            Some(p) => (vec![dir.join(inline.join("/")).join(p)], true),
                            None => {
                                let base = dir.join(inline.join("/"));
                                (vec![base.join(format!("{name}.rs")), base.join(&name).join("mod.rs")], false)
                            }
                        };
                        out.push(ModDecl { name, inline_prefix: inline.to_vec(), candidates, mod_rs_like, cfg_test });
                    }
                    Some((_, inner)) => {
                        let mut deeper = inline.to_vec();
                        deeper.push(name);
                        collect_mod_decls(inner, dir, file, &deeper, cfg_test, out);
                    }
                }
            }
            syn::Item::Macro(mac) => {
                if let Some(inner) = macro_items(&mac.mac) {
                    collect_mod_decls(&inner, dir, file, inline, in_test, out);
                }
            }
            _ => {}
        }
    }
}

/// Replace item-position macro calls whose bodies are items (`cfg_rt! { .. }`) by those
/// items, recursively and inside inline modules, so later stages parse each body once and
/// see the fns as ordinary items. Spans keep their file positions, so splicing is unchanged.
fn flatten_macro_items(items: &mut Vec<syn::Item>) {
    let mut flat = Vec::with_capacity(items.len());
    for mut item in items.drain(..) {
        if let syn::Item::Macro(m) = &item
            && let Some(mut inner) = macro_items(&m.mac)
        {
            flatten_macro_items(&mut inner);
            flat.extend(inner);
            continue;
        }
        if let syn::Item::Mod(m) = &mut item
            && let Some((_, inner)) = &mut m.content
        {
            flatten_macro_items(inner);
        }
        flat.push(item);
    }
    *items = flat;
}

/// The items inside an item-position macro call, when its body parses as items
/// (`cfg_rt! { pub fn spawn(..) {..} }`). Spans keep their original file positions.
pub fn macro_items(mac: &syn::Macro) -> Option<Vec<syn::Item>> {
    if mac.path.is_ident("macro_rules") {
        return None;
    }
    syn::parse2::<syn::File>(mac.tokens.clone()).ok().map(|f| f.items)
}

/// An identifier without its `r#` prefix.
pub fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_declarations_are_found_conservatively() {
        assert!(declares_modules("mod a;"));
        assert!(declares_modules("cfg_rt! {\n    pub(crate) mod  r#task ;\n}"));
        assert!(declares_modules("#[path = \"x.rs\"]\nmod x;"));
        assert!(!declares_modules("mod tests { fn a() {} }"));
        assert!(!declares_modules("use crate::module; fn mod_x() {}"));
        assert!(!declares_modules("fn f() { let modx; }"));
    }

    #[test]
    fn filtered_files_are_not_kept_but_their_children_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path();
        std::fs::write(src.join("lib.rs"), "mod a; mod b;").expect("write");
        std::fs::write(src.join("a.rs"), "mod c;").expect("write");
        std::fs::create_dir_all(src.join("a")).expect("mkdir");
        std::fs::write(src.join("a/c.rs"), "fn wanted() {}").expect("write");
        std::fs::write(src.join("b.rs"), "fn other() {}").expect("write");
        let sources = parse_crate_filtered(&src.join("lib.rs"), &|_, t| t.contains("wanted")).expect("parses");
        let kept: Vec<_> = sources.files.iter().map(|f| f.module.join("::")).collect();
        assert_eq!(kept, ["", "a::c"]);
        assert_eq!(sources.filtered.len(), 2);
    }

    #[test]
    fn follows_mods_paths_and_macro_bodies() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("net/tcp")).expect("mkdir");
        fs::create_dir_all(src.join("sys")).expect("mkdir");
        fs::write(
            src.join("lib.rs"),
            "mod net;\ncfg_x! { pub mod task; }\n#[cfg(unix)] #[path = \"sys/unix.rs\"] mod sys;\n#[cfg(windows)] #[path = \"sys/windows.rs\"] mod sys;\nmod inline { mod deep; }\n",
        )
        .expect("write");
        fs::write(src.join("net.rs"), "mod tcp;\n").expect("write");
        fs::write(src.join("net/tcp/mod.rs"), "pub fn connect() {}\n").expect("write");
        fs::write(src.join("task.rs"), "pub fn spawn() {}\n").expect("write");
        fs::write(src.join("sys/unix.rs"), "mod child;\n").expect("write");
        fs::write(src.join("sys/child.rs"), "fn c() {}\n").expect("write");
        fs::create_dir_all(src.join("inline")).expect("mkdir");
        fs::write(src.join("inline/deep.rs"), "fn d() {}\n").expect("write");

        let parsed = parse_crate(&src.join("lib.rs")).expect("parse");
        let mut modules: Vec<String> = parsed.files.iter().map(|f| f.module.join("::")).collect();
        modules.sort();
        assert_eq!(modules, vec!["", "inline::deep", "net", "net::tcp", "sys", "sys::child", "task"]);
        assert!(parsed.unparsed.is_empty());
    }

    #[test]
    fn unparsable_child_is_reported_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("lib.rs"), "mod bad;\n").expect("write");
        fs::write(dir.path().join("bad.rs"), "fn (\n").expect("write");
        let parsed = parse_crate(&dir.path().join("lib.rs")).expect("parse");
        assert_eq!(parsed.files.len(), 1);
        assert_eq!(parsed.unparsed.len(), 1);
    }
}
