//! `cargo otel`'s command line as a process: help for every command, typos rejected,
//! options taken as options, other cargo subcommands handed to cargo before any work,
//! and package selection as cargo does it (`--exclude`).

use std::path::Path;
use std::process::{Command, Output};

use cargo_otel_tests::cargo_otel;

fn otel(dir: &Path, args: &[&str]) -> Output {
    Command::new(cargo_otel())
        .arg("otel")
        .args(args)
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run cargo-otel")
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A one-package project named `demo` in `dir`.
fn demo_package(dir: &Path) {
    write(&dir.join("Cargo.toml"), "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    write(&dir.join("src/main.rs"), "fn main() {}\n");
}

#[test]
fn help_for_view_and_explain_instead_of_running_them() {
    // No Cargo.toml here: running explain (or view) would fail on `cargo metadata`.
    let dir = tempfile::tempdir().expect("tempdir");
    for cmd in ["view", "explain", "init", "build", "run", "test"] {
        let out = otel(dir.path(), &[cmd, "--help"]);
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{cmd} --help failed: {stderr}");
        assert!(stdout.contains(&format!("Usage: cargo otel {cmd}")), "{cmd}: {stdout}");
    }
    let (stdout, _) = text(&otel(dir.path(), &["init", "--help"]));
    assert!(stdout.contains("--path <PATH>"), "{stdout}");
    let out = otel(dir.path(), &["--version"]);
    assert!(text(&out).0.starts_with("cargo-otel "), "{:?}", text(&out));
    let out = otel(dir.path(), &[]);
    assert!(out.status.success() && text(&out).0.contains("Commands:"), "{:?}", text(&out));
    // Invoked directly as `cargo-otel …`, without cargo's `otel`.
    let out = Command::new(cargo_otel()).arg("view").arg("--help").output().expect("run");
    assert!(out.status.success() && text(&out).0.contains("Usage: cargo otel view"));
}

#[test]
fn init_rejects_a_typo_and_an_unknown_package_without_editing() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_package(dir.path());
    let manifest = dir.path().join("Cargo.toml");
    let before = std::fs::read_to_string(&manifest).expect("read");

    let out = otel(dir.path(), &["init", "--pakage", "nosuch"]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a similar argument exists: '--package'"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&manifest).expect("read"), before);

    let out = otel(dir.path(), &["init", "-p", "nosuch"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("package `nosuch` is not a member"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&manifest).expect("read"), before);
}

#[test]
fn init_restores_manifests_when_the_result_does_not_resolve() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_package(dir.path());
    let manifest = dir.path().join("Cargo.toml");
    let before = std::fs::read_to_string(&manifest).expect("read");
    // A version no registry has (and --offline-free: the index answers it does not exist).
    let out = otel(dir.path(), &["init", "--version", "=999.0.0"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("does not resolve, so no manifest was changed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&manifest).expect("read"), before);
}

#[test]
fn explain_takes_manifest_path_as_an_option_not_a_filter() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_package(&dir.path().join("x"));
    let out = otel(dir.path(), &["explain", "--manifest-path", "x/Cargo.toml", "demo"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    // The filter is `demo` (the std pack targets workspace crates), not the path.
    assert!(stdout.contains("pack std → demo v0.1.0"), "{stdout}\n{stderr}");
    assert!(!stderr.contains("no pack targets"), "{stderr}");
    let out = otel(dir.path(), &["explain", "--manifest-path", "x/Cargo.toml", "nosuch"]);
    assert!(text(&out).1.contains("no pack targets `nosuch`"), "{:?}", text(&out));
}

#[test]
fn other_subcommands_go_to_cargo_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_package(dir.path());
    let out = otel(dir.path(), &["frobnicate", "--strict"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("no such command: `frobnicate`"), "{stderr}");
    // Nothing resolved, no plan written.
    let otel_dir = dir.path().join("target/otel");
    let plans: Vec<_> = std::fs::read_dir(&otel_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("plan-"))
        .collect();
    assert!(plans.is_empty() && !otel_dir.exists(), "{plans:?}");
    // A real non-compiling subcommand works, with its arguments as typed.
    let out = otel(dir.path(), &["locate-project", "--message-format", "plain"]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(Path::new(stdout.trim()), dir.path().join("Cargo.toml"));
    assert!(!otel_dir.exists());
}

/// A workspace where `b` links `c`, a crate a pack instruments, without the runtime: a
/// build selecting `b` is refused, one excluding it is not.
#[test]
fn exclude_takes_a_package_out_of_the_selection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"a\", \"b\", \"c\"]\n\n[workspace.metadata.otel]\nrules = [\"rules\"]\nbuiltin = false\n",
    );
    for (name, deps) in [("a", ""), ("b", "c = { path = \"../c\" }\n")] {
        write(
            &root.join(name).join("Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"),
        );
        write(&root.join(name).join("src/main.rs"), "fn main() {}\n");
    }
    write(&root.join("c/Cargo.toml"), "[package]\nname = \"c\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    write(&root.join("c/src/lib.rs"), "pub fn hello() {}\n");
    write(
        &root.join("rules/c/pack.toml"),
        "[pack]\nname = \"c\"\ncrate = \"c\"\n\n[[rule]]\nid = \"hello\"\nfn = \"hello\"\nspan = { name = \"{fn}\", kind = \"internal\" }\n",
    );

    let out = otel(root, &["build", "--workspace"]);
    let (_, stderr) = text(&out);
    assert!(!out.status.success(), "selecting b must be refused: {stderr}");
    assert!(stderr.contains("package `b` links crates that cargo otel instruments (c)"), "{stderr}");

    for args in [&["build", "--workspace", "--exclude", "b"][..], &["build", "--workspace", "--exclude=b"]] {
        let out = otel(root, args);
        let (_, stderr) = text(&out);
        assert!(out.status.success(), "{args:?}: {stderr}");
    }
    let out = otel(root, &["build", "-p", "nosuch"]);
    let (_, stderr) = text(&out);
    assert!(stderr.contains("package ID specification `nosuch` did not match any packages"), "{stderr}");
}

#[test]
fn init_path_is_written_absolute_and_survives_a_move() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("before");
    demo_package(&project);
    let runtime = std::fs::canonicalize(cargo_otel_tests::workspace_root().join("runtime")).expect("runtime");
    // A relative --path, from the project's directory.
    let depth = project.components().count();
    let relative: std::path::PathBuf = std::iter::repeat_n("..", depth - 1)
        .collect::<std::path::PathBuf>()
        .join(runtime.strip_prefix("/").expect("abs"));
    let out = otel(&project, &["init", "--path", relative.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{:?}", text(&out));
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).expect("read");
    assert!(manifest.contains(&format!("otel-runtime = {{ path = \"{}\" }}", runtime.display())), "{manifest}");
    // Moved elsewhere, the manifest still resolves.
    let moved = dir.path().join("elsewhere/after");
    std::fs::create_dir_all(moved.parent().expect("parent")).expect("mkdir");
    std::fs::rename(&project, &moved).expect("move");
    let out = Command::new(env!("CARGO")).args(["metadata", "--format-version", "1"]).current_dir(&moved).output();
    let out = out.expect("cargo metadata");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Not a runtime: refused, nothing edited.
    let out = otel(&moved, &["init", "--path", "."]);
    assert!(text(&out).1.contains("no Cargo.toml of package `otel-runtime`"), "{:?}", text(&out));
}
