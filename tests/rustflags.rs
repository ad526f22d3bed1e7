//! The user's rustflags reach rustc under `cargo otel`, from every source cargo reads.
//! We pass `CARGO_ENCODED_RUSTFLAGS`, which makes cargo ignore all of them, so each test
//! builds (`cargo otel check`) a tiny package that does not compile unless
//! `--cfg user_flag` arrived, configured through one source in its own temp dir.

use std::path::Path;
use std::process::{Command, Output};

use cargo_otel_tests::{cargo_otel, host};

const RUSTFLAG_VARS: &[&str] = &["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET"];

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A package that compiles only with `--cfg user_flag` (and, when `forbidden` is given,
/// only without `--cfg <forbidden>`), with `config` as its `.cargo/config.toml`.
fn package(config: &str, forbidden: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir.path().join("Cargo.toml"),
        "[package]\nname = \"flagcheck\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[lints.rust]\nunexpected_cfgs = \"allow\"\n",
    );
    let mut main =
        String::from("#[cfg(not(user_flag))]\ncompile_error!(\"the user's --cfg user_flag did not reach rustc\");\n");
    if let Some(f) = forbidden {
        main.push_str(&format!("#[cfg({f})]\ncompile_error!(\"--cfg {f} must not reach rustc\");\n"));
    }
    main.push_str("fn main() {}\n");
    write(&dir.path().join("src/main.rs"), &main);
    if !config.is_empty() {
        write(&dir.path().join(".cargo/config.toml"), config);
    }
    dir
}

/// `cargo otel check` in `dir` with `env` set (and every other rustflags variable unset).
fn check(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(cargo_otel());
    cmd.args(["otel", "check"]).args(args).current_dir(dir).env_remove("CARGO_TARGET_DIR");
    for var in RUSTFLAG_VARS {
        cmd.env_remove(var);
    }
    for (k, _) in std::env::vars() {
        if k.starts_with("CARGO_TARGET_") && k.ends_with("_RUSTFLAGS") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run cargo otel")
}

#[track_caller]
fn assert_reached(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the user's flag was lost:\n{stderr}");
}

#[test]
fn without_the_flag_the_package_does_not_compile() {
    // The control: proves the others can fail.
    let dir = package("", None);
    let out = check(dir.path(), &[], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not reach rustc"));
}

#[test]
fn build_rustflags() {
    let dir = package("[build]\nrustflags = [\"--cfg\", \"user_flag\"]\n", None);
    assert_reached(&check(dir.path(), &[], &[]));
}

#[test]
fn target_triple_rustflags() {
    let dir = package(&format!("[target.{}]\nrustflags = \"--cfg user_flag\"\n", host()), None);
    assert_reached(&check(dir.path(), &[], &[]));
}

#[test]
fn target_cfg_rustflags() {
    let dir = package("[target.'cfg(unix)']\nrustflags = [\"--cfg\", \"user_flag\"]\n", None);
    if cfg!(unix) {
        assert_reached(&check(dir.path(), &[], &[]));
    }
}

#[test]
fn cargo_build_rustflags_env() {
    let dir = package("", None);
    assert_reached(&check(dir.path(), &[("CARGO_BUILD_RUSTFLAGS", "--cfg user_flag")], &[]));
}

#[test]
fn cargo_target_triple_rustflags_env() {
    let dir = package("", None);
    let var = format!("CARGO_TARGET_{}_RUSTFLAGS", host().to_uppercase().replace(['-', '.'], "_"));
    assert_reached(&check(dir.path(), &[(&var, "--cfg user_flag")], &[]));
}

#[test]
fn rustflags_env_replaces_build_rustflags() {
    let dir = package("[build]\nrustflags = [\"--cfg\", \"from_config\"]\n", Some("from_config"));
    assert_reached(&check(dir.path(), &[("RUSTFLAGS", "--cfg user_flag")], &[]));
}

#[test]
fn cargo_encoded_rustflags_env() {
    let dir = package("", None);
    assert_reached(&check(dir.path(), &[("CARGO_ENCODED_RUSTFLAGS", "--cfg\x1fuser_flag")], &[]));
}

#[test]
fn config_key_value() {
    // Merged with the file's build.rustflags, as cargo does.
    let dir = package("[build]\nrustflags = [\"--cfg\", \"from_file\"]\n", None);
    let src = dir.path().join("src/main.rs");
    let main = std::fs::read_to_string(&src).expect("read");
    std::fs::write(&src, format!("#[cfg(not(from_file))]\ncompile_error!(\"file flags dropped\");\n{main}"))
        .expect("write");
    assert_reached(&check(dir.path(), &[], &["--config", "build.rustflags=[\"--cfg\", \"user_flag\"]"]));
}

#[test]
fn config_file() {
    let dir = package("", None);
    write(&dir.path().join("extra.toml"), "[build]\nrustflags = [\"--cfg\", \"user_flag\"]\n");
    assert_reached(&check(dir.path(), &[], &["--config", "extra.toml"]));
}

#[test]
fn include() {
    let dir = package("include = [\"more.toml\"]\n", None);
    write(&dir.path().join(".cargo/more.toml"), "[build]\nrustflags = [\"--cfg\", \"user_flag\"]\n");
    assert_reached(&check(dir.path(), &[], &[]));
}
