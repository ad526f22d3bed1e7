//! Embeds the built-in rule packs (`../rules/*/`) so an installed `cargo otel` carries them.
use std::fs;
use std::path::Path;

fn main() {
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    println!("cargo:rerun-if-changed={}", rules.display());
    let mut entries = Vec::new();
    if let Ok(dirs) = fs::read_dir(&rules) {
        let mut dirs: Vec<_> = dirs.filter_map(|d| d.ok()).map(|d| d.path()).filter(|p| p.is_dir()).collect();
        dirs.sort();
        for dir in dirs {
            println!("cargo:rerun-if-changed={}", dir.display());
            let mut files: Vec<_> = fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .filter_map(|f| f.ok())
                .map(|f| f.path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            for file in files {
                println!("cargo:rerun-if-changed={}", file.display());
                let rel = file.strip_prefix(&rules).expect("inside rules").to_string_lossy().replace('\\', "/");
                let abs = fs::canonicalize(&file).expect("canonical path");
                entries.push(format!("({rel:?}, include_str!({:?})),", abs.display().to_string()));
            }
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_rules.rs");
    fs::write(out, format!("&[\n{}\n]", entries.join("\n"))).expect("write builtin_rules.rs");
}
