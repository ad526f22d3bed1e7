//! Subcommand mode: `cargo otel <command> [args…]`.
//!
//! Our own options (`--strict`, `--rules DIR`, `--otel-target-dir DIR`, `-v`, `-q`) are
//! taken from anywhere before `--`; everything else goes to cargo unchanged.

mod build;
mod config;
mod explain;
mod init;
mod packs;
mod view;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::shell::{Shell, Verbosity};

pub use build::{RUNTIME_PACKAGE, cargo_plan_env};
pub use packs::load_rule_set;

/// What the user typed, split into ours and cargo's.
#[derive(Debug, Default, Clone)]
pub struct Args {
    pub command: String,
    pub strict: bool,
    pub rules: Vec<PathBuf>,
    pub target_dir: Option<PathBuf>,
    pub verbose: u8,
    pub quiet: bool,
    /// Arguments after the command, for cargo (or the command's own parser).
    pub rest: Vec<String>,
}

impl Args {
    pub fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose > 0 {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    /// Parse `argv` (without the program name and cargo's `otel`).
    pub fn parse(argv: &[String]) -> Result<Args, String> {
        let mut args = Args::default();
        let mut it = argv.iter().peekable();
        let mut after_dashes = false;
        while let Some(a) = it.next() {
            if after_dashes {
                args.rest.push(a.clone());
                continue;
            }
            match a.as_str() {
                "--" => {
                    after_dashes = true;
                    args.rest.push(a.clone());
                }
                "--strict" => args.strict = true,
                "--rules" | "--otel-target-dir" => {
                    let value = it.next().ok_or_else(|| format!("`{a}` needs a directory"))?;
                    if a == "--rules" {
                        args.rules.push(PathBuf::from(value));
                    } else {
                        args.target_dir = Some(PathBuf::from(value));
                    }
                }
                s if s.starts_with("--rules=") => args.rules.push(PathBuf::from(&s["--rules=".len()..])),
                s if s.starts_with("--otel-target-dir=") => {
                    args.target_dir = Some(PathBuf::from(&s["--otel-target-dir=".len()..]))
                }
                "-v" | "--verbose" | "-vv" => {
                    args.verbose += if a == "-vv" { 2 } else { 1 };
                    if !args.command.is_empty() {
                        args.rest.push(a.clone());
                    }
                }
                "-q" | "--quiet" => {
                    args.quiet = true;
                    if !args.command.is_empty() {
                        args.rest.push(a.clone());
                    }
                }
                _ if args.command.is_empty() && !a.starts_with('-') => args.command = a.clone(),
                _ => args.rest.push(a.clone()),
            }
        }
        Ok(args)
    }
}

const HELP: &str = "\
Zero-code OpenTelemetry for Rust: build, run and test with instrumentation woven in.

Usage: cargo otel [OPTIONS] <COMMAND> [ARGS]...

Commands:
    build, run, test, bench, check, doc, …   any cargo command, instrumented
    init                                     add the cfg-gated otel-runtime dependency
    explain [CRATE]                          which rules match what, and why others do not
    view [--all] [--last N] [TRACE_ID]       show recorded traces as a waterfall

Options:
    --strict               fail instead of falling back to the uninstrumented crate
    --rules <DIR>          load extra rule packs (repeatable)
    --otel-target-dir <DIR>  target dir for instrumented builds [default: target/otel]
    -v, --verbose          show every join point (and cargo's verbose output)
    -q, --quiet            no status lines
    -h, --help             this help
    -V, --version          version
";

/// Entry point of subcommand mode.
pub fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().is_some_and(|a| a == "otel") {
        argv.remove(0);
    }
    let args = match Args::parse(&argv) {
        Ok(a) => a,
        Err(e) => {
            Shell::for_terminal(Verbosity::Normal).error(e);
            return ExitCode::from(2);
        }
    };
    let shell = Shell::for_terminal(args.verbosity());
    let result = match args.command.as_str() {
        "" | "help" => {
            if args.rest.iter().any(|a| a == "-V" || a == "--version") {
                println!("cargo-otel {}", env!("CARGO_PKG_VERSION"));
            } else {
                print!("{HELP}");
            }
            Ok(ExitCode::SUCCESS)
        }
        "init" => init::run(&args, &shell),
        "explain" => explain::run(&args, &shell),
        "view" => view::run(&args),
        _ => build::run(&args, &shell),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            shell.error(format!("{err}"));
            for cause in err.chain().skip(1) {
                eprintln!("\nCaused by:\n  {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("parse")
    }

    #[test]
    fn our_options_are_taken_cargos_are_kept() {
        let a = parse(&["--strict", "run", "-p", "x", "--rules", "r", "-v", "--", "--rules", "y"]);
        assert_eq!(a.command, "run");
        assert!(a.strict);
        assert_eq!(a.rules, vec![PathBuf::from("r")]);
        assert_eq!(a.verbose, 1);
        assert_eq!(a.rest, vec!["-p", "x", "-v", "--", "--rules", "y"]);
    }
}
