//! Helpers shared by the workspace-level tests: locating and building the `cargo-otel`
//! binary, copying fixtures, reading the trace store.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// Build (once per test process) and return the `cargo-otel` binary.
pub fn cargo_otel() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = workspace_root();
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "cargo-otel", "--bin", "cargo-otel"])
            .current_dir(&root)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building cargo-otel failed");
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
        target.join("debug").join(format!("cargo-otel{}", std::env::consts::EXE_SUFFIX))
    })
    .clone()
}

/// A shared otel target dir so fixture builds reuse the runtime's compiled dependencies.
pub fn shared_otel_target() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    target.join("fixture-otel")
}

/// Copy a fixture workspace into a temp dir, pointing its runtime dependency at this
/// checkout's runtime.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = workspace_root().join("tests/fixtures").join(name);
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&src, dir.path());
    let runtime = workspace_root().join("runtime");
    for manifest in find_files(dir.path(), "Cargo.toml") {
        let text = std::fs::read_to_string(&manifest).expect("read manifest");
        std::fs::write(&manifest, text.replace("@RUNTIME@", &runtime.display().to_string())).expect("write manifest");
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn find_files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(find_files(&path, name));
        } else if path.file_name().is_some_and(|n| n == name) {
            out.push(path);
        }
    }
    out
}

/// Every span in a trace store directory.
pub fn read_spans(store: &Path) -> Vec<serde_json::Value> {
    let mut spans = Vec::new();
    for file in std::fs::read_dir(store).into_iter().flatten().flatten() {
        if file.path().extension().is_some_and(|e| e == "jsonl") {
            let text = std::fs::read_to_string(file.path()).expect("read store");
            spans.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok()));
        }
    }
    spans
}

/// The span named `name`, or a panic listing what there is.
pub fn span<'a>(spans: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    spans.iter().find(|s| s["name"] == name).unwrap_or_else(|| {
        let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
        panic!("no span `{name}` among {names:?}")
    })
}
