//! The command line, ripgrep style: [`defs`] is what the user may type (clap derive; the
//! doc comments are `--help`), [`hiargs`] the resolved [`Invocation`] the commands run.
//!
//! Compiling commands (`build`/`b`, `check`/`c`, `run`/`r`, `test`/`t`, `bench`, `doc`/`d`,
//! `rustc`, `rustdoc`, `clippy`, `fix`, `nextest`) read cargo's package selection with
//! clap-cargo and forward cargo's arguments unchanged; every other subcommand becomes
//! `cargo <sub> <args…>` before any work.
//!
//! ```
//! use cargo_otel::flags::{Invocation, parse};
//! let argv = ["otel", "--strict", "b", "-p", "app", "--release"].map(String::from);
//! let Ok(Invocation::Compile(args)) = parse(&argv) else { panic!() };
//! assert_eq!(args.command, "build");
//! assert!(args.strict);
//! assert_eq!(args.cargo.workspace.package, ["app"]);
//! assert_eq!(args.rest, ["-p", "app", "--release"]);
//! ```

pub mod defs;
pub mod hiargs;

use clap::{CommandFactory as _, FromArgMatches as _};

pub use defs::Color;
pub use hiargs::{Args, CargoSelection, Invocation};

/// Parse a command line (without the program name). A leading `otel`, as cargo passes it
/// to `cargo-otel`, is dropped. `--help`/`--version` and mistakes come back as clap errors
/// (`err.exit()` prints them the clap way).
pub fn parse(argv: &[String]) -> Result<Invocation, clap::Error> {
    let argv = match argv.first() {
        Some(first) if first == "otel" => &argv[1..],
        _ => argv,
    };
    let mut cli = defs::Cli::command();
    cli.build();
    // A compiling command's arguments are cargo's, which we do not all know: clap sees
    // only those its definitions name (with their values), the rest go to cargo only.
    let at = hiargs::command_index(argv);
    let seen: Vec<&str> = match argv.get(at) {
        Some(name) if defs::COMPILING.contains(&name.as_str()) => {
            let sub = cli.find_subcommand(name).unwrap_or(&cli);
            let mut seen: Vec<&str> = argv[..=at].iter().map(String::as_str).collect();
            seen.extend(known_tokens(sub, &argv[at + 1..]));
            seen
        }
        _ => argv.iter().map(String::as_str).collect(),
    };
    let matches = cli.try_get_matches_from(std::iter::once("cargo-otel").chain(seen))?;
    let cli = defs::Cli::from_arg_matches(&matches)?;
    Ok(hiargs::resolve(cli, argv))
}

/// The tokens of `args` (up to `--`) that `cmd` defines, each with its value: `--long`,
/// `--long=v`, `--long v`, `-s`, `-sv`, `-s v`, and clusters of known short flags (`-vv`).
fn known_tokens<'a>(cmd: &clap::Command, args: &'a [String]) -> Vec<&'a str> {
    let takes_value = |a: &clap::Arg| a.get_action().takes_values();
    let mut out = Vec::new();
    let mut it = args.iter().map(String::as_str);
    while let Some(token) = it.next() {
        if token == "--" {
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            let Some(arg) = cmd.get_arguments().find(|a| a.get_long() == Some(name)) else { continue };
            out.push(token);
            if takes_value(arg) && !inline {
                out.extend(it.next());
            }
        } else if let Some(shorts) = token.strip_prefix('-').filter(|s| !s.is_empty()) {
            let find = |c: char| cmd.get_arguments().find(|a| a.get_short() == Some(c));
            let Some(first) = shorts.chars().next().and_then(find) else { continue };
            if takes_value(first) {
                out.push(token);
                if shorts.chars().count() == 1 {
                    out.extend(it.next());
                }
            } else if shorts.chars().all(|c| find(c).is_some_and(|a| !takes_value(a))) {
                out.push(token);
            }
        }
    }
    out
}

/// The long help, for `cargo otel` without a command.
pub fn long_help() -> String {
    defs::Cli::command().render_long_help().to_string()
}

#[cfg(test)]
mod tests;
