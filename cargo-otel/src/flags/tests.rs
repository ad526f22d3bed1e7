use std::path::PathBuf;

use clap::CommandFactory as _;
use clap::error::ErrorKind;

use super::*;

fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn ok(args: &[&str]) -> Invocation {
    parse(&argv(args)).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn err(args: &[&str]) -> clap::Error {
    match parse(&argv(args)) {
        Ok(inv) => panic!("{args:?} parsed as {inv:?}"),
        Err(e) => e,
    }
}

fn compile(args: &[&str]) -> Args {
    match ok(args) {
        Invocation::Compile(a) => a,
        other => panic!("{args:?}: not a compiling command: {other:?}"),
    }
}

#[test]
fn definitions_are_consistent() {
    defs::Cli::command().debug_assert();
}

#[test]
fn every_command_has_help() {
    for cmd in ["init", "explain", "view", "build", "b", "check", "run", "test", "t", "bench", "doc", "nextest"] {
        let e = err(&["otel", cmd, "--help"]);
        assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{cmd}: {e}");
        let text = e.to_string();
        assert!(text.contains("Usage: cargo otel "), "{cmd}: {text}");
    }
    let help = err(&["explain", "--help"]).to_string();
    assert!(help.contains("[CRATE]") && help.contains("--manifest-path"), "{help}");
    let help = err(&["otel", "init", "--help"]).to_string();
    assert!(help.contains("--path <PATH>") && help.contains("--version <VERSION>"), "{help}");
    let help = err(&["otel", "view", "--help"]).to_string();
    assert!(help.contains("--last <N>") && help.contains("--store <DIR>"), "{help}");
}

#[test]
fn version_and_no_command() {
    assert_eq!(err(&["otel", "--version"]).kind(), ErrorKind::DisplayVersion);
    assert_eq!(err(&["-V"]).kind(), ErrorKind::DisplayVersion);
    assert!(matches!(ok(&["otel"]), Invocation::Help));
    assert!(matches!(ok(&[]), Invocation::Help));
    assert!(long_help().contains("init"));
}

#[test]
fn typos_are_rejected_with_a_suggestion() {
    let e = err(&["otel", "init", "--pakage", "nosuch"]);
    assert_eq!(e.kind(), ErrorKind::UnknownArgument);
    let text = e.to_string();
    assert!(text.contains("a similar argument exists: '--package'"), "{text}");
    let e = err(&["otel", "view", "--lats", "3"]);
    assert!(e.to_string().contains("'--last'"), "{e}");
    // Our own options too, before the command.
    let e = err(&["otel", "--strcit", "build"]);
    assert!(e.to_string().contains("'--strict'"), "{e}");
}

#[test]
fn explain_takes_manifest_path_as_an_option() {
    let Invocation::Explain(args, o) = ok(&["otel", "explain", "--manifest-path", "x/Cargo.toml", "demo"]) else {
        panic!("not explain")
    };
    assert_eq!(o.crate_name.as_deref(), Some("demo"));
    assert_eq!(args.cargo.manifest.manifest_path, Some(PathBuf::from("x/Cargo.toml")));
}

#[test]
fn our_options_anywhere_cargos_forwarded_unchanged() {
    let a = compile(&[
        "otel",
        "--strict",
        "-v",
        "run",
        "--release",
        "-p",
        "x",
        "--rules",
        "r",
        "-vv",
        "--",
        "--rules",
        "y",
        "-p",
        "z",
    ]);
    assert_eq!(a.command, "run");
    assert!(a.strict);
    assert_eq!(a.rules, vec![PathBuf::from("r")]);
    assert_eq!(a.verbose, 2, "-vv after the command");
    assert_eq!(a.rest, argv(&["--release", "-p", "x", "-vv", "--", "--rules", "y", "-p", "z"]));
    // Selection is read as cargo reads it, and only before `--`.
    assert_eq!(a.cargo.workspace.package, ["x"]);
}

#[test]
fn package_selection_in_every_spelling() {
    let a = compile(&[
        "b",
        "--features",
        "f",
        "-pa",
        "--package=b",
        "--workspace",
        "--exclude",
        "c",
        "--exclude=d",
        "-j",
        "2",
        "--manifest-path=m/Cargo.toml",
        "--target",
        "wasm32-unknown-unknown",
        "--config",
        "build.jobs=1",
    ]);
    assert_eq!(a.command, "build");
    assert_eq!(a.cargo.workspace.package, ["a", "b"]);
    assert!(a.cargo.workspace.workspace);
    assert_eq!(a.cargo.workspace.exclude, ["c", "d"]);
    assert_eq!(a.cargo.manifest.manifest_path, Some(PathBuf::from("m/Cargo.toml")));
    assert_eq!(a.cargo.targets, ["wasm32-unknown-unknown"]);
    assert_eq!(a.cargo.configs, ["build.jobs=1"]);
    assert_eq!(a.rest[..3], argv(&["--features", "f", "-pa"]));
    assert!(compile(&["t", "--all"]).cargo.workspace.all);
    assert_eq!(compile(&["c"]).command, "check");
}

#[test]
fn other_subcommands_pass_through_as_typed() {
    let Invocation::Passthrough(args) = ok(&["otel", "frobnicate", "--strict", "-p", "x"]) else { panic!() };
    assert_eq!(args, argv(&["frobnicate", "--strict", "-p", "x"]));
    let Invocation::Passthrough(args) = ok(&["-q", "tree", "-e", "normal"]) else { panic!() };
    assert_eq!(args, argv(&["tree", "-e", "normal"]));
}

#[test]
fn option_values_are_not_taken_for_the_command() {
    let a = compile(&["otel", "--rules", "build", "--otel-target-dir=o", "--color", "never", "test", "-q"]);
    assert_eq!(a.command, "test");
    assert_eq!(a.rules, vec![PathBuf::from("build")]);
    assert_eq!(a.target_dir, Some(PathBuf::from("o")));
    assert_eq!(a.color, Some(Color::Never));
    assert!(a.quiet);
    assert_eq!(a.rest, argv(&["-q"]));
}

#[test]
fn the_compiling_list_is_the_commands_taking_cargo_args() {
    for name in defs::COMPILING {
        assert!(matches!(ok(&[name, "--release"]), Invocation::Compile(_)), "{name}");
    }
    for name in ["init", "explain", "view"] {
        assert!(!defs::COMPILING.contains(&name));
    }
}

#[test]
fn unknown_cargo_options_do_not_hide_known_ones() {
    let a = compile(&["t", "-F", "x", "--no-fail-fast", "-rp", "a", "--exclude", "b", "name_filter", "-p", "c"]);
    assert_eq!(a.cargo.workspace.package, ["c"]);
    assert_eq!(a.cargo.workspace.exclude, ["b"]);
}
