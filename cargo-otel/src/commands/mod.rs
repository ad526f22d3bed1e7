//! Subcommand mode: `cargo otel <command> [args…]`. The command line is parsed and
//! resolved by [`crate::flags`]; this module dispatches it.

mod build;
mod config;
mod explain;
mod init;
mod packs;
mod view;

use std::io::IsTerminal as _;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result};

use crate::flags::{self, Color, Invocation};
use crate::shell::{Shell, Verbosity};

pub use build::cargo_plan_env;
pub use config::UserConfig;
pub use flags::Args;
pub use packs::load_rule_set;

fn shell_for(args: Option<&Args>) -> Shell {
    let verbosity = args.map(Args::verbosity).unwrap_or(Verbosity::Normal);
    let mut shell = Shell::for_terminal(verbosity);
    match args.and_then(|a| a.color) {
        Some(Color::Always) => shell.color = true,
        Some(Color::Never) => shell.color = false,
        Some(Color::Auto) => shell.color = std::io::stderr().is_terminal(),
        None => {}
    }
    shell
}

/// Entry point of subcommand mode.
pub fn main() -> ExitCode {
    let argv: Vec<String> = match std::env::args_os().skip(1).map(|a| a.into_string()).collect() {
        Ok(a) => a,
        Err(bad) => {
            Shell::for_terminal(Verbosity::Normal).error(format!("argument {bad:?} is not valid UTF-8"));
            return ExitCode::from(2);
        }
    };
    let invocation = match flags::parse(&argv) {
        Ok(i) => i,
        // --help, --version and usage errors, printed (and exit-coded) the clap way.
        Err(e) => e.exit(),
    };
    let shell = shell_for(invocation.args());
    let result = match invocation {
        Invocation::Help => {
            print!("{}", flags::long_help());
            Ok(ExitCode::SUCCESS)
        }
        Invocation::Passthrough(args) => passthrough(&args),
        Invocation::Init(args, opts) => init::run(&args, &opts, &shell),
        Invocation::Explain(args, opts) => explain::run(&args, &opts, &shell),
        Invocation::View(args, opts) => view::run(&args, &opts),
        Invocation::Compile(args) => build::run(&args, &shell),
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

/// A cargo subcommand that compiles nothing we weave: `cargo <args…>`, nothing else done.
fn passthrough(args: &[String]) -> Result<ExitCode> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo).args(args).status().with_context(|| format!("cannot run `{cargo}`"))?;
    Ok(exit_code(status))
}

/// cargo's exit status as ours.
pub(crate) fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1)),
        None => ExitCode::FAILURE,
    }
}
