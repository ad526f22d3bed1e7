//! The resolved invocation: what the commands run on. Built from [`super::defs`] plus the
//! original argv (cargo's arguments are forwarded exactly as typed, minus our own options).

use std::path::PathBuf;

use super::defs::{CargoOpts, Cli, Cmd, Color, ExplainOpts, GlobalOpts, InitOpts, ViewOpts};
use crate::shell::Verbosity;

/// Our options that take a value (so the value is not mistaken for the command).
const OURS_WITH_VALUE: &[&str] = &["--rules", "--otel-target-dir"];
/// Our options that cargo does not know: removed from what cargo gets.
const OURS_ONLY: &[&str] = &["--strict", "--rules", "--otel-target-dir"];

/// Package selection and the cargo options that decide what cargo builds and how, read
/// from a compiling command's arguments with cargo's spelling (clap-cargo).
#[derive(Debug, Default, Clone)]
pub struct CargoSelection {
    pub workspace: clap_cargo::Workspace,
    pub manifest: clap_cargo::Manifest,
    /// `--target` values (empty: the config's `build.target`, else the host).
    pub targets: Vec<String>,
    /// `--config` values, in order (KEY=VALUE or a file path).
    pub configs: Vec<String>,
}

/// What a compiling command (or `explain`) needs: our options and cargo's arguments.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// The cargo command, canonical (`build`, not `b`).
    pub command: String,
    pub strict: bool,
    pub rules: Vec<PathBuf>,
    pub target_dir: Option<PathBuf>,
    pub verbose: u8,
    pub quiet: bool,
    pub color: Option<Color>,
    /// Arguments after the command, for cargo, as typed (our own options removed).
    pub rest: Vec<String>,
    /// What `rest` selects, parsed as cargo parses it.
    pub cargo: CargoSelection,
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
}

/// One resolved `cargo otel` invocation.
#[derive(Debug)]
pub enum Invocation {
    /// No command: print the help.
    Help,
    Init(Args, InitOpts),
    Explain(Args, ExplainOpts),
    View(Args, ViewOpts),
    /// A compiling cargo command, instrumented.
    Compile(Args),
    /// Any other cargo subcommand: `cargo <args…>` as typed, before any work.
    Passthrough(Vec<String>),
}

impl Invocation {
    /// Our options, whatever the command.
    pub fn args(&self) -> Option<&Args> {
        match self {
            Invocation::Init(a, _) | Invocation::Explain(a, _) | Invocation::View(a, _) | Invocation::Compile(a) => {
                Some(a)
            }
            Invocation::Help | Invocation::Passthrough(_) => None,
        }
    }
}

/// Resolve a parsed command line. `argv` is what was parsed (without the program name and
/// cargo's `otel`), for forwarding cargo's arguments exactly as typed.
pub fn resolve(cli: Cli, argv: &[String]) -> Invocation {
    let GlobalOpts { strict, rules, otel_target_dir, verbose, quiet, color } = cli.global;
    let base = |command: &str, rest: Vec<String>, cargo: CargoSelection| Args {
        command: command.to_string(),
        strict,
        rules: rules.clone(),
        target_dir: otel_target_dir.clone(),
        verbose,
        quiet,
        color,
        rest,
        cargo,
    };
    let after = command_args(argv);
    let compile = |name: &str, opts: CargoOpts| {
        let CargoOpts { workspace, manifest, target, config } = opts;
        let selection = CargoSelection { workspace, manifest, targets: target, configs: config };
        Invocation::Compile(base(name, without_our_options(after), selection))
    };
    let Some(command) = cli.command else { return Invocation::Help };
    match command {
        Cmd::Init(o) => {
            let sel = CargoSelection { manifest: o.manifest.clone(), ..Default::default() };
            Invocation::Init(base("init", Vec::new(), sel), o)
        }
        Cmd::Explain(o) => {
            let sel = CargoSelection { manifest: o.manifest.clone(), ..Default::default() };
            Invocation::Explain(base("explain", Vec::new(), sel), o)
        }
        Cmd::View(o) => {
            let sel = CargoSelection { manifest: o.manifest.clone(), ..Default::default() };
            Invocation::View(base("view", Vec::new(), sel), o)
        }
        Cmd::Build(o) => compile("build", o),
        Cmd::Check(o) => compile("check", o),
        Cmd::Run(o) => compile("run", o),
        Cmd::Test(o) => compile("test", o),
        Cmd::Bench(o) => compile("bench", o),
        Cmd::Doc(o) => compile("doc", o),
        Cmd::Rustc(o) => compile("rustc", o),
        Cmd::Rustdoc(o) => compile("rustdoc", o),
        Cmd::Clippy(o) => compile("clippy", o),
        Cmd::Fix(o) => compile("fix", o),
        Cmd::Nextest(o) => compile("nextest", o),
        // The subcommand and its arguments exactly as typed (clap already split off ours
        // before the name; none can follow it, since clap does not parse them).
        Cmd::External(_) => Invocation::Passthrough(after_from(argv, 0).to_vec()),
    }
}

/// Index of the command in `argv`: the first token that is neither one of our options nor
/// its value (clap accepted the line, so only our options can stand before it).
pub(crate) fn command_index(argv: &[String]) -> usize {
    let mut i = 0;
    while let Some(a) = argv.get(i) {
        if !a.starts_with('-') {
            break;
        }
        i += if OURS_WITH_VALUE.contains(&a.as_str()) || a == "--color" { 2 } else { 1 };
    }
    i
}

fn after_from(argv: &[String], skip: usize) -> &[String] {
    let i = command_index(argv) + skip;
    argv.get(i..).unwrap_or_default()
}

/// The tokens after the command.
fn command_args(argv: &[String]) -> &[String] {
    after_from(argv, 1)
}

/// Cargo's arguments: everything after the command except our own options (`--strict`,
/// `--rules DIR`, `--otel-target-dir DIR`, also in `--opt=value` form), up to `--`.
fn without_our_options(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a.clone());
            out.extend(it.cloned());
            break;
        }
        let (name, inline_value) = match a.split_once('=') {
            Some((n, _)) => (n, true),
            None => (a.as_str(), false),
        };
        if OURS_ONLY.contains(&name) {
            if !inline_value && OURS_WITH_VALUE.contains(&name) {
                it.next();
            }
            continue;
        }
        out.push(a.clone());
    }
    out
}
