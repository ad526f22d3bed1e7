//! README's "Using it on your project", as written, on a new package outside the
//! repository: install `cargo otel`, `cargo new`, `cargo otel init`, `cargo otel run`,
//! `cargo otel view`, then a plain `cargo build` of the same package.
//!
//! The install is `--debug` into the workspace's target dir, and the app's target dir is
//! kept under it too, so a rerun rebuilds little (a release install takes minutes).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cargo_otel_tests::{read_spans, workspace_root};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

#[track_caller]
fn ok(out: Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed:\n{stderr}");
    format!("{}{stderr}", String::from_utf8_lossy(&out.stdout))
}

/// `cargo <args>` in `dir` with the installed `cargo-otel` first on PATH.
fn cargo(dir: &Path, bin: &Path, target: &Path, args: &[&str]) -> Output {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(bin.to_path_buf()).chain(std::env::split_paths(&path))).expect("PATH");
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target)
        .env("OTEL_METRICS_EXPORTER", "none")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_OTEL_STORE")
        .env_remove("OTEL_TRACES_EXPORTER")
        .output()
        .expect("run cargo")
}

#[test]
fn readme_install_init_run_view_then_plain_build() {
    let root = tempfile::tempdir().expect("tempdir");
    let install = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--debug", "--quiet", "--path"])
        .arg(workspace_root().join("cargo-otel"))
        .arg("--root")
        .arg(root.path())
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .expect("cargo install");
    ok(install, "cargo install --path cargo-otel");
    let bin = root.path().join("bin");
    assert!(bin.join(format!("cargo-otel{}", std::env::consts::EXE_SUFFIX)).is_file());

    // A new package in a temp dir, outside the repository.
    let work = tempfile::tempdir().expect("tempdir");
    assert!(!work.path().starts_with(workspace_root()));
    let app_target = target_dir().join("readme-app");
    ok(cargo(work.path(), &bin, &app_target, &["new", "--vcs", "none", "app"]), "cargo new");
    let app = work.path().join("app");
    // Something the packs trace: a user fn marked `// otel:span` that spawns a scoped
    // thread (the std pack's `std::thread::scope spawn`, a child of the fn's span).
    std::fs::write(
        app.join("src/main.rs"),
        "// otel:span\nfn work() -> u32 {\n    std::thread::scope(|s| s.spawn(|| 21 * 2).join().unwrap_or(0))\n}\n\n\
         fn main() {\n    println!(\"answer {}\", work());\n}\n",
    )
    .expect("write main.rs");

    let out = ok(cargo(&app, &bin, &app_target, &["otel", "init"]), "cargo otel init");
    assert!(out.contains("Adding"), "{out}");
    let manifest = std::fs::read_to_string(app.join("Cargo.toml")).expect("read manifest");
    let runtime = std::fs::canonicalize(workspace_root().join("runtime")).expect("runtime");
    assert!(
        manifest.contains(&format!("otel-runtime = {{ path = \"{}\" }}", runtime.display())),
        "init must write the absolute runtime path:\n{manifest}"
    );
    // Idempotent.
    let again = ok(cargo(&app, &bin, &app_target, &["otel", "init"]), "cargo otel init (again)");
    assert!(again.contains("already has otel-runtime"), "{again}");
    assert_eq!(std::fs::read_to_string(app.join("Cargo.toml")).expect("read"), manifest);

    let store = app_target.join("otel/traces");
    let _ = std::fs::remove_dir_all(&store);
    let out = ok(cargo(&app, &bin, &app_target, &["otel", "run"]), "cargo otel run");
    assert!(out.contains("answer 42"), "{out}");
    let spans = read_spans(&store);
    let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
    let work_span = spans.iter().find(|s| s["name"] == "work").unwrap_or_else(|| panic!("no `work` span in {names:?}"));
    let spawn = spans
        .iter()
        .find(|s| s["name"] == "std::thread::scope spawn")
        .unwrap_or_else(|| panic!("no scoped spawn span in {names:?}"));
    assert_eq!(spawn["trace_id"], work_span["trace_id"]);
    assert_eq!(spawn["parent_span_id"], work_span["span_id"]);

    let view = ok(cargo(&app, &bin, &app_target, &["otel", "view"]), "cargo otel view");
    assert!(view.contains("std::thread::scope spawn") && view.contains("work"), "{view}");

    // Plain cargo is untouched by init: it builds without the runtime.
    let out = ok(cargo(&app, &bin, &app_target, &["build"]), "plain cargo build");
    assert!(!out.contains("otel-runtime"), "plain build compiled the runtime:\n{out}");
}
