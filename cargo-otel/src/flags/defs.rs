//! What the user may type: the clap (derive) definitions. Doc comments are the `--help`
//! text. Nothing here touches the file system; [`super::hiargs`] resolves these into the
//! [`super::Invocation`] the commands run.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// Zero-code OpenTelemetry for Rust: build, run and test with instrumentation woven in.
///
/// `cargo otel <cargo command> …` runs cargo with this binary as rustc's wrapper, a separate
/// target dir (target/otel) and `--cfg cargo_otel`, and weaves the rule packs into every
/// crate they match. Any cargo subcommand that does not compile (`cargo otel tree`, `cargo
/// otel update`, …) is handed to cargo unchanged.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-otel",
    bin_name = "cargo otel",
    version,
    max_term_width = 100,
    allow_external_subcommands = true,
    after_help = "Options given before the command are cargo otel's. `-v`, `-q` and `--color` after it \
                  apply to both cargo otel and cargo; everything else after it goes to cargo unchanged."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Options of cargo otel itself, accepted before or after the command.
#[derive(Debug, Default, Args)]
pub struct GlobalOpts {
    /// Fail the build when a woven crate does not compile, instead of falling back to the
    /// uninstrumented crate with a warning.
    #[arg(long, global = true, help_heading = "Global options")]
    pub strict: bool,
    /// Load extra rule packs from DIR (repeatable; later packs override earlier ones of the
    /// same name).
    #[arg(long, value_name = "DIR", global = true, help_heading = "Global options")]
    pub rules: Vec<PathBuf>,
    /// Target directory of instrumented builds [default: <cargo target dir>/otel].
    #[arg(long, value_name = "DIR", global = true, help_heading = "Global options")]
    pub otel_target_dir: Option<PathBuf>,
    /// More output: every join point woven (-vv: and the rustc command lines). After the
    /// command, cargo gets it too.
    #[arg(short, long, action = ArgAction::Count, global = true, help_heading = "Global options")]
    pub verbose: u8,
    /// No status lines. After the command, cargo gets it too.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// Coloring of status lines.
    #[arg(long, value_name = "WHEN", global = true, help_heading = "Global options")]
    pub color: Option<Color>,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    pub fn as_str(self) -> &'static str {
        match self {
            Color::Auto => "auto",
            Color::Always => "always",
            Color::Never => "never",
        }
    }
}

/// The commands. The compiling cargo commands are listed so that `--help`, package
/// selection and typo suggestions work; every other name runs `cargo <name> <args…>`.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Add the cfg(cargo_otel)-gated otel-runtime dependency (and its check-cfg lint entry)
    /// to your packages. Plain `cargo build` is unchanged; running it twice changes nothing.
    Init(InitOpts),
    /// Without building: which rule packs apply to which crates of the graph, which
    /// functions each rule advises, and why a rule advises nothing.
    Explain(ExplainOpts),
    /// Show the recorded traces of the local store as waterfalls.
    View(ViewOpts),
    /// `cargo build`, instrumented.
    #[command(visible_alias = "b")]
    Build(CargoOpts),
    /// `cargo check`, instrumented (weaving errors show up without linking).
    #[command(visible_alias = "c")]
    Check(CargoOpts),
    /// `cargo run`, instrumented; spans go to the local store unless OTEL_TRACES_EXPORTER says otherwise.
    #[command(visible_alias = "r")]
    Run(CargoOpts),
    /// `cargo test`, instrumented.
    #[command(visible_alias = "t")]
    Test(CargoOpts),
    /// `cargo bench`, instrumented.
    Bench(CargoOpts),
    /// `cargo doc`, with the instrumented build's cfg.
    #[command(visible_alias = "d")]
    Doc(CargoOpts),
    /// `cargo rustc`, instrumented.
    Rustc(CargoOpts),
    /// `cargo rustdoc`, with the instrumented build's cfg.
    Rustdoc(CargoOpts),
    /// `cargo clippy` on the instrumented build's cfg.
    Clippy(CargoOpts),
    /// `cargo fix` on the instrumented build's cfg.
    Fix(CargoOpts),
    /// `cargo nextest …` (cargo-nextest), instrumented.
    Nextest(CargoOpts),
    /// Any other cargo subcommand: run as `cargo <name> <args…>`, untouched.
    #[command(external_subcommand)]
    External(Vec<String>),
}

/// The compiling cargo commands (with their aliases), which take [`CargoOpts`].
pub const COMPILING: &[&str] = &[
    "build", "b", "check", "c", "run", "r", "test", "t", "bench", "doc", "d", "rustc", "rustdoc", "clippy", "fix",
    "nextest",
];

/// What a compiling command reads of cargo's arguments: package selection,
/// `--manifest-path`, `--target` and `--config`, spelled as cargo spells them. Only these
/// (and our own options) are parsed; every argument, read or not, goes to cargo unchanged.
#[derive(Debug, Default, Clone, Args)]
#[command(after_help = "All arguments go to cargo unchanged; see `cargo help <command>` for them.")]
pub struct CargoOpts {
    #[command(flatten)]
    pub workspace: clap_cargo::Workspace,
    #[command(flatten)]
    pub manifest: clap_cargo::Manifest,
    /// Build for TRIPLE (default: the host, passed explicitly so build scripts and proc
    /// macros stay uninstrumented).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Vec<String>,
    /// Override a cargo configuration value (KEY=VALUE or a TOML file), as cargo does.
    #[arg(long, value_name = "KEY=VALUE|PATH")]
    pub config: Vec<String>,
}

/// `cargo otel init`.
#[derive(Debug, Default, Clone, Args)]
pub struct InitOpts {
    /// Only these workspace packages (default: every member that is not a proc macro).
    #[arg(short, long, value_name = "SPEC")]
    pub package: Vec<String>,
    /// Use the otel-runtime at PATH (written as an absolute path) [default: the runtime
    /// this cargo-otel was built from].
    #[arg(long, value_name = "PATH", conflicts_with = "version")]
    pub path: Option<PathBuf>,
    /// Use otel-runtime VERSION from the registry (it must be published there).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    #[command(flatten)]
    pub manifest: clap_cargo::Manifest,
}

/// `cargo otel explain`.
#[derive(Debug, Default, Clone, Args)]
pub struct ExplainOpts {
    /// Only packs that target this crate.
    #[arg(value_name = "CRATE")]
    pub crate_name: Option<String>,
    #[command(flatten)]
    pub manifest: clap_cargo::Manifest,
}

/// `cargo otel view`.
#[derive(Debug, Default, Clone, Args)]
pub struct ViewOpts {
    /// Show every trace in the store.
    #[arg(long, conflicts_with = "last")]
    pub all: bool,
    /// Show the last N traces.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub last: usize,
    /// Read the store in DIR [default: $CARGO_OTEL_STORE, else <otel target dir>/traces].
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Show only the trace whose id starts with TRACE_ID.
    #[arg(value_name = "TRACE_ID")]
    pub trace: Option<String>,
    #[command(flatten)]
    pub manifest: clap_cargo::Manifest,
}
