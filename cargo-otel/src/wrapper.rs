//! Wrapper mode: cargo runs `cargo-otel <rustc> <args…>` for every compilation.
//!
//! Invariants: a unit that is not a target unit (no `--cfg cargo_otel`: build scripts,
//! proc macros, probes such as `-vV` or `--print cfg`) or that no pack can touch reaches
//! rustc with its argv untouched, through `exec`, before the plan is even read. The
//! original sources are never written: the weaver edits a shadow copy. A woven crate that
//! does not compile is rebuilt unmodified with a warning, unless the plan is strict.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context as _, Result};
use otel_weave::model::CrateTarget;
use otel_weave::{SkipReason, UnitPlan, UnitSources, WeaveError, emit, weave_unit};

use crate::plan::Plan;
use crate::shell::{Shell, Verbosity};

/// Set (to anything) by `cargo otel` to put the binary in wrapper mode.
pub const WRAPPER_ENV: &str = "CARGO_OTEL_WRAPPER";
/// Path of the plan file written by `cargo otel`.
pub const PLAN_ENV: &str = "CARGO_OTEL_PLAN";
/// Comma-separated names of the packages the plan holds: the cheap pre-filter.
pub const PACKAGES_ENV: &str = "CARGO_OTEL_PACKAGES";
/// `1` under `--strict`: known before the plan is read, so a plan that cannot be read fails.
pub const STRICT_ENV: &str = "CARGO_OTEL_STRICT";
/// A pre-existing `RUSTC_WRAPPER` (sccache…) to chain to.
pub const CHAIN_ENV: &str = "CARGO_OTEL_CHAIN";

/// Append lines to the status log (one `write` per line, so concurrent wrappers interleave
/// whole lines).
fn log_status(plan: &Plan, lines: &[String]) {
    use std::io::Write;
    if lines.is_empty() {
        return;
    }
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(&plan.status_log) {
        let _ = file.write_all(lines.iter().map(|l| format!("{l}\n")).collect::<String>().as_bytes());
    }
}

/// Options that take a separate value argument, so a value is never taken for the source.
const VALUE_OPTIONS: &[&str] = &[
    "--crate-name",
    "--crate-type",
    "--edition",
    "--emit",
    "--out-dir",
    "-o",
    "-L",
    "-l",
    "--extern",
    "--cfg",
    "--check-cfg",
    "--target",
    "--cap-lints",
    "-C",
    "--codegen",
    "-A",
    "-W",
    "-D",
    "-F",
    "--allow",
    "--warn",
    "--deny",
    "--forbid",
    "--error-format",
    "--json",
    "--print",
    "--remap-path-prefix",
    "-Z",
    "--sysroot",
    "--explain",
    "--color",
    "--diagnostic-width",
    "--env-set",
];

/// The wrapper's argv, split into rustc and its arguments.
struct Invocation {
    rustc: OsString,
    args: Vec<OsString>,
}

impl Invocation {
    fn has_pair(&self, flag: &str, value: &str) -> bool {
        self.args.windows(2).any(|w| w[0] == flag && w[1] == value)
            || self.args.iter().any(|a| {
                a.to_str().is_some_and(|s| s.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) == Some(value))
            })
    }

    fn value_of(&self, flag: &str) -> Option<String> {
        let mut it = self.args.iter();
        while let Some(a) = it.next() {
            let a = a.to_str()?;
            if a == flag {
                return it.next().and_then(|v| v.to_str()).map(str::to_string);
            }
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(v.to_string());
            }
        }
        None
    }

    /// Index of the crate root source argument.
    fn source_index(&self) -> Option<usize> {
        let mut skip_next = false;
        for (i, a) in self.args.iter().enumerate() {
            if skip_next {
                skip_next = false;
                continue;
            }
            let Some(s) = a.to_str() else { continue };
            if VALUE_OPTIONS.contains(&s) {
                skip_next = true;
                continue;
            }
            if !s.starts_with('-') && s.ends_with(".rs") {
                return Some(i);
            }
        }
        None
    }

    fn links_runtime(&self) -> bool {
        self.args.iter().any(|a| a.to_str().is_some_and(|s| s.starts_with("otel_runtime=")))
    }

    fn command(&self, args: &[OsString]) -> Command {
        match std::env::var_os(CHAIN_ENV).filter(|c| !c.is_empty()) {
            Some(chain) => {
                let mut cmd = Command::new(chain);
                cmd.arg(&self.rustc).args(args);
                cmd
            }
            None => {
                let mut cmd = Command::new(&self.rustc);
                cmd.args(args);
                cmd
            }
        }
    }

    /// Hand over to rustc unmodified (exec on unix: no extra process stays around).
    fn passthrough(&self) -> ExitCode {
        let mut cmd = self.command(&self.args);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            let err = cmd.exec();
            eprintln!("error: cargo-otel: cannot run {}: {err}", self.rustc.to_string_lossy());
            ExitCode::FAILURE
        }
        #[cfg(not(unix))]
        match cmd.status() {
            Ok(s) => ExitCode::from(s.code().unwrap_or(1) as u8),
            Err(err) => {
                eprintln!("error: cargo-otel: cannot run {}: {err}", self.rustc.to_string_lossy());
                ExitCode::FAILURE
            }
        }
    }
}

/// Entry point of wrapper mode.
pub fn main() -> ExitCode {
    let mut argv = std::env::args_os().skip(1);
    let Some(rustc) = argv.next() else {
        eprintln!("error: cargo-otel: wrapper mode needs the rustc path as its first argument");
        return ExitCode::FAILURE;
    };
    let inv = Invocation { rustc, args: argv.collect() };
    if !inv.has_pair("--cfg", "cargo_otel") || inv.value_of("--crate-name").as_deref() == Some("otel_runtime") {
        return inv.passthrough();
    }
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    if !std::env::var(PACKAGES_ENV).is_ok_and(|list| list.split(',').any(|p| p == package)) {
        return inv.passthrough();
    }
    // No source file: a probe that build scripts run through `RUSTC_WRAPPER` with the
    // package's own rustflags (rustix and others compile test code from stdin, `-`).
    if inv.source_index().is_none() {
        return inv.passthrough();
    }
    match weave_and_compile(&inv) {
        Ok(code) => code,
        Err(err) if std::env::var(STRICT_ENV).is_ok_and(|s| s == "1") => {
            Shell::for_terminal(Verbosity::Normal)
                .error(format!("cannot instrument {package} ({err:#}); --strict makes this fatal"));
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("warning: cargo-otel: {err:#}; compiling {package} uninstrumented");
            inv.passthrough()
        }
    }
}

/// The package's manifest, as cargo names it (the plan's key).
fn manifest_path() -> Option<PathBuf> {
    std::env::var_os("CARGO_MANIFEST_PATH")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(|d| PathBuf::from(d).join("Cargo.toml")))
}

/// Weave the unit and compile it. An `Err` is an internal failure (plan unreadable, shadow
/// or rustc not runnable): `main` makes it fatal under `--strict`, a fallback otherwise.
fn weave_and_compile(inv: &Invocation) -> Result<ExitCode> {
    let plan_path = std::env::var_os(PLAN_ENV)
        .map(PathBuf::from)
        .context("CARGO_OTEL_PLAN is not set; run through `cargo otel`")?;
    let plan = Plan::load(&plan_path)?;
    let shell = Shell { verbosity: plan.verbosity, color: plan.color };
    let manifest = manifest_path().context("cargo set neither CARGO_MANIFEST_PATH nor CARGO_MANIFEST_DIR")?;
    let Some(decision) = plan.packages.get(&manifest) else {
        return Ok(inv.passthrough()); // not in a graph that links the runtime
    };
    let label = decision.label();
    let links_runtime = inv.links_runtime();
    let packs = plan.packs_of(decision);
    // A library may have one pack per major version: only a version that no pack of this
    // crate covers is worth a warning.
    let covered = packs.iter().any(|p| matches!(p.target, CrateTarget::Named { .. }));
    if !decision.uncovered.is_empty() && !covered {
        let message = format!("no pack covers {label} ({}); not instrumented", decision.uncovered.join("; "));
        if plan.strict {
            shell.error(&message);
            return Ok(ExitCode::FAILURE);
        }
        shell.warn(message);
    }
    if packs.is_empty() && !decision.directives && !links_runtime {
        return Ok(inv.passthrough());
    }

    let source_index = inv.source_index().context("no crate root among rustc's arguments")?;
    let source_arg = PathBuf::from(&inv.args[source_index]);
    let cwd = std::env::current_dir().context("no current directory")?;
    let root = cwd.join(&source_arg);
    let package_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let package_dir = if package_dir.is_absolute() { package_dir } else { cwd.join(package_dir) };
    let crate_name = inv.value_of("--crate-name").unwrap_or_default();
    let shadow = plan.shadow_root.join(format!("{crate_name}{}", unit_suffix(inv).unwrap_or_default()));
    let cap_lints_allow = inv.has_pair("--cap-lints", "allow");
    let unit = UnitPlan {
        package: label.clone(),
        packs,
        directives: decision.directives,
        links_runtime,
        relax_forbid: !cap_lints_allow,
        strict: plan.strict,
        app_sources: plan.app_sources.clone(),
    };
    let woven = match weave_unit(&unit, UnitSources { root: &root, package_dir: &package_dir, shadow: Some(&shadow) }) {
        Ok(woven) => woven,
        Err(WeaveError::Fatal { errors }) => {
            for error in errors {
                shell.error(format!("{label}: {error}"));
            }
            shell.error(format!("{label} cannot be instrumented; --strict makes this fatal"));
            return Ok(ExitCode::FAILURE);
        }
        Err(WeaveError::Skip { reason, warnings }) => {
            for warning in warnings {
                shell.warn(format!("{label}: {warning}"));
            }
            match reason {
                SkipReason::Failed(reason) => shell.warn(format!("{label}: {reason}; compiling it uninstrumented")),
                SkipReason::NothingToWeave => {
                    let line = shell.format_verbose("Unchanged", format!("{label} (no join point)"));
                    log_status(&plan, line.as_slice());
                }
            }
            return Ok(inv.passthrough());
        }
    };
    for warning in &woven.warnings {
        shell.warn(format!("{label}: {warning}"));
    }
    let shadow_root_file = woven.root.clone().context("the weaver wrote no shadow tree")?;
    let root_rel = otel_weave::relative_to(&root, &package_dir).context("crate root outside its package")?;

    let mut woven_args = inv.args.clone();
    woven_args[source_index] = shadow_root_file.into_os_string();
    // Map the shadow back to the path exactly as cargo gave it, so file!(), panics and
    // debuggers show the original (relative for workspace members, absolute for registry).
    let original_prefix = strip_suffix_path(&source_arg, &root_rel);
    let mut remap = OsString::from("--remap-path-prefix=");
    remap.push(shadow.as_os_str());
    remap.push("=");
    remap.push(original_prefix.as_os_str());
    woven_args.push(remap);
    if !cap_lints_allow {
        relax_forbid_args(&mut woven_args);
    }

    let output = run_pipelined(inv.command(&woven_args))
        .with_context(|| format!("cannot run {}", inv.rustc.to_string_lossy()))?;
    if output.status.success() {
        use std::io::Write;
        let _ = std::io::stdout().write_all(&output.stdout);
        if !output.released {
            let _ = std::io::stderr().write_all(&output.stderr);
        }
        if let Some(dep_info) = dep_info_path(inv, &crate_name) {
            let mut extra: Vec<PathBuf> = unit
                .packs
                .iter()
                .filter(|p| woven.used_packs.contains(&p.name))
                .flat_map(|p| std::iter::once(p.manifest.clone()).chain(p.advice.iter().map(|(f, _)| f.clone())))
                .collect();
            // The weaver itself: a new cargo-otel re-weaves exactly the woven crates; so do
            // new application sources, which the prelude's `in_app` embeds.
            extra.extend(std::env::current_exe().ok());
            extra.push(plan.app_sources_file.clone());
            extra.retain(|p| p.is_absolute());
            if dep_info.is_file() {
                emit::rewrite_dep_info(&dep_info, &shadow, &package_dir, &extra)
                    .with_context(|| format!("cannot rewrite {}", dep_info.display()))?;
            }
        }
        // Only now, with the woven unit compiled, is it worth a status line.
        let mut status = Vec::new();
        if !woven.joins.is_empty() {
            let n = woven.joins.len();
            let packs = woven.used_packs.join(", ");
            status.extend(shell.format_status("Weaving", format!("{label} ({n} join point{}, {packs})", plural(n))));
        }
        for join in &woven.joins {
            let at = format!("{}:{}", join.file.display(), join.line);
            status.extend(shell.format_verbose("Join point", format!("{} at {at} ({})", join.what, join.rule)));
        }
        log_status(&plan, &status);
        return Ok(ExitCode::SUCCESS);
    }

    let first_error = first_error(&output.stderr, &source_arg, &woven.appended);
    let rules: Vec<String> = woven.joins.iter().map(|j| j.rule.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    if plan.strict {
        use std::io::Write;
        if !output.released {
            let _ = std::io::stderr().write_all(&output.stderr);
        }
        shell.error(format!(
            "{label} does not compile once instrumented (rules: {}); --strict makes this fatal",
            rules.join(", ")
        ));
        return Ok(ExitCode::FAILURE);
    }
    shell.warn(format!(
        "{label} does not compile once instrumented (rules: {}); built uninstrumented instead. First error: {first_error}",
        rules.join(", ")
    ));
    Ok(inv.passthrough())
}

/// What a woven rustc run produced.
struct Compiled {
    status: std::process::ExitStatus,
    stdout: Vec<u8>,
    /// Everything rustc wrote to stderr.
    stderr: Vec<u8>,
    /// Whether stderr was already passed on (from the metadata artifact notice onwards).
    released: bool,
}

/// Run the woven rustc, holding its stderr back until it announces the crate's metadata
/// (`"emit":"metadata"`), then passing lines through as they come. Holding back keeps a
/// failing woven compile invisible (we fall back); releasing at the metadata notice keeps
/// cargo's pipelining, so dependents start as early as in a plain build. Type errors, the
/// way woven code fails, come before that notice.
fn run_pipelined(mut cmd: Command) -> std::io::Result<Compiled> {
    use std::io::{BufRead, Read, Write};
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let mut stdout_pipe = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
    let stdout_reader = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        let _ = stdout_pipe.read_to_end(&mut buffer);
        buffer
    });
    let stderr_pipe = child.stderr.take().ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
    let mut stderr = Vec::new();
    let mut released = false;
    let mut reader = std::io::BufReader::new(stderr_pipe);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        stderr.extend_from_slice(&line);
        if released {
            let _ = std::io::stderr().write_all(&line);
        } else if is_metadata_notice(&line) {
            released = true;
            let _ = std::io::stderr().write_all(&stderr);
        }
        line.clear();
    }
    let status = child.wait()?;
    let stdout = stdout_reader.join().unwrap_or_default();
    Ok(Compiled { status, stdout, stderr, released })
}

/// `{"$message_type":"artifact","artifact":"…/libx.rmeta","emit":"metadata"}`
fn is_metadata_notice(line: &[u8]) -> bool {
    let text = String::from_utf8_lossy(line);
    text.contains("\"$message_type\":\"artifact\"") && text.contains("\"emit\":\"metadata\"")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `-C extra-filename=-abc123` distinguishes units of one crate (lib vs test harness).
fn unit_suffix(inv: &Invocation) -> Option<String> {
    let mut it = inv.args.iter().filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        let value = if a == "-C" { it.next() } else { a.strip_prefix("-C") };
        if let Some(v) = value.and_then(|v| v.strip_prefix("extra-filename=")) {
            return Some(v.to_string());
        }
    }
    None
}

fn dep_info_path(inv: &Invocation, crate_name: &str) -> Option<PathBuf> {
    let out_dir = inv.value_of("--out-dir")?;
    Some(Path::new(&out_dir).join(format!("{crate_name}{}.d", unit_suffix(inv).unwrap_or_default())))
}

/// `a/b/src/lib.rs` minus `src/lib.rs` → `a/b` (empty when cargo gave the bare relative path).
fn strip_suffix_path(full: &Path, suffix: &Path) -> PathBuf {
    let full_parts: Vec<_> = full.components().collect();
    let n = suffix.components().count();
    if full_parts.len() < n {
        return PathBuf::new();
    }
    full_parts[..full_parts.len() - n].iter().collect()
}

/// `--forbid=unsafe_code` from `[lints]` would reject the prelude's `#[allow(unsafe_code)]`.
fn relax_forbid_args(args: &mut [OsString]) {
    for i in 0..args.len() {
        let Some(s) = args[i].to_str() else { continue };
        if s == "--forbid=unsafe_code" || s == "-Funsafe_code" || s == "-Funsafe-code" {
            args[i] = OsString::from("--deny=unsafe_code");
        } else if (s == "-F" || s == "--forbid") && args.get(i + 1).is_some_and(|v| v == OsStr::new("unsafe_code")) {
            args[i] = OsString::from("--deny");
        }
    }
}

/// The first error message in rustc's (JSON or human) stderr. An error in code the weaver
/// appended to the crate root (which the remapped path shows as a line past the end of the
/// user's file) is reported at its advice file and line, or as the prelude's.
fn first_error(stderr: &[u8], root: &Path, appended: &[emit::Appended]) -> String {
    let text = String::from_utf8_lossy(stderr);
    for line in text.lines() {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(line)
            && value.get("level").and_then(|l| l.as_str()) == Some("error")
        {
            let message = value.get("message").and_then(|m| m.as_str()).unwrap_or_default();
            let at = value
                .get("spans")
                .and_then(|s| s.as_array())
                .and_then(|s| s.first())
                .map(|s| {
                    let file = s["file_name"].as_str().unwrap_or("?");
                    let line = s["line_start"].as_u64().and_then(|l| usize::try_from(l).ok()).unwrap_or(0);
                    match emit::Appended::describe(appended, line).filter(|_| Path::new(file) == root) {
                        Some(origin) => format!(" in {origin}"),
                        None => format!(" at {file}:{line}"),
                    }
                })
                .unwrap_or_default();
            return format!("{message}{at}");
        }
        if let Some(rest) = line.strip_prefix("error") {
            return format!("error{rest}");
        }
    }
    "(rustc printed no error)".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(args: &[&str]) -> Invocation {
        Invocation { rustc: "rustc".into(), args: args.iter().map(OsString::from).collect() }
    }

    #[test]
    fn finds_the_source_not_an_option_value() {
        let i = inv(&[
            "--crate-name",
            "x",
            "--edition=2021",
            "--remap-path-prefix",
            "a.rs=b",
            "src/lib.rs",
            "--crate-type",
            "lib",
        ]);
        assert_eq!(i.source_index(), Some(5));
        assert!(inv(&["-vV"]).source_index().is_none());
        assert!(inv(&["-", "--print=cfg"]).source_index().is_none());
    }

    #[test]
    fn cfg_detection_accepts_both_spellings() {
        assert!(inv(&["--cfg", "cargo_otel"]).has_pair("--cfg", "cargo_otel"));
        assert!(inv(&["--cfg=cargo_otel"]).has_pair("--cfg", "cargo_otel"));
        assert!(!inv(&["--cfg", "feature=\"x\""]).has_pair("--cfg", "cargo_otel"));
    }

    #[test]
    fn paths_and_suffixes() {
        assert_eq!(strip_suffix_path(Path::new("a/b/src/lib.rs"), Path::new("src/lib.rs")), PathBuf::from("a/b"));
        assert_eq!(strip_suffix_path(Path::new("src/lib.rs"), Path::new("src/lib.rs")), PathBuf::new());
        assert_eq!(unit_suffix(&inv(&["-C", "extra-filename=-abc"])).as_deref(), Some("-abc"));
    }

    #[test]
    fn forbid_flags_are_relaxed() {
        let mut args: Vec<OsString> =
            ["--forbid=unsafe_code", "-F", "unsafe_code", "-F", "warnings"].iter().map(OsString::from).collect();
        relax_forbid_args(&mut args);
        assert_eq!(args, ["--deny=unsafe_code", "--deny", "unsafe_code", "-F", "warnings"].map(OsString::from));
    }

    #[test]
    fn metadata_notice_is_recognised() {
        assert!(is_metadata_notice(br#"{"$message_type":"artifact","artifact":"/t/libx-1.rmeta","emit":"metadata"}"#));
        assert!(!is_metadata_notice(br#"{"$message_type":"artifact","artifact":"/t/x.d","emit":"dep-info"}"#));
        assert!(!is_metadata_notice(br#"{"$message_type":"diagnostic","message":"emit metadata"}"#));
    }

    #[test]
    fn first_error_reads_json_diagnostics() {
        let stderr = br#"{"$message_type":"diagnostic","message":"unused","level":"warning","spans":[]}
{"$message_type":"diagnostic","message":"mismatched types","level":"error","spans":[{"file_name":"src/lib.rs","line_start":3}]}"#;
        assert_eq!(first_error(stderr, Path::new("src/lib.rs"), &[]), "mismatched types at src/lib.rs:3");
        let appended = [emit::Appended {
            first_line: 2,
            last_line: 9,
            origin: emit::Origin::Advice { pack: "p".into(), file: PathBuf::from("rules/p/advice.rs") },
        }];
        assert_eq!(
            first_error(stderr, Path::new("src/lib.rs"), &appended),
            "mismatched types in rules/p/advice.rs:2 (advice of pack `p`)"
        );
    }
}
