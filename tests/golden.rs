//! Golden tests of the weaver: every fn shape of the design brief, woven with
//! `tests/weave/pack.toml`, compared with `tests/weave/<shape>.expected.rs`, checked to move
//! no line, and compiled (with the prelude and advice) in each edition the fixture lists.
//!
//! `UPDATE_EXPECT=1 cargo test -p cargo-otel-tests --test golden` rewrites the expectations.

use std::path::{Path, PathBuf};
use std::process::Command;

use cargo_otel_tests::workspace_root;
use otel_weave::{UnitPlan, UnitSources, emit, load, weave_unit};

fn weave_dir() -> PathBuf {
    workspace_root().join("tests/weave")
}

struct Woven {
    /// The spliced fixture, without the appended modules.
    body: String,
    /// The whole file rustc would compile.
    full: String,
    warnings: Vec<String>,
}

fn weave(fixture: &Path) -> Woven {
    let pack = load::load_pack(&weave_dir()).expect("golden pack loads");
    // Through the library's entry point, as the wrapper weaves, without writing a shadow.
    let plan = UnitPlan {
        package: "golden v0.0.0".into(),
        packs: vec![&pack],
        directives: true,
        links_runtime: false,
        relax_forbid: true,
        strict: false,
        app_sources: Vec::new(),
    };
    let dir = weave_dir();
    let woven =
        weave_unit(&plan, UnitSources { root: fixture, package_dir: &dir, shadow: None }).expect("fixture is woven");
    let full = woven.files.into_iter().next().map(|(_, t)| t).expect("fixture was modified");
    let cut = full.find(emit::ALLOW_ALL).expect("prelude appended");
    Woven { body: full[..cut].to_string(), full, warnings: woven.warnings }
}

/// Is `small` a subsequence of `big` (so `big` only added characters)?
fn only_inserts(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.any(|b| b == c))
}

fn editions(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("// editions:"))
        .map(|e| e.split_whitespace().map(str::to_string).collect())
        .unwrap_or_else(|| vec!["2021".to_string()])
}

fn compile(source: &str, edition: &str, name: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lib.rs");
    std::fs::write(&file, source).expect("write");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .args([
            "--edition",
            edition,
            "--crate-type",
            "lib",
            "--emit=metadata",
            "--crate-name",
            name,
            "-D",
            "warnings",
            "-A",
            "dead_code",
            "-A",
            "unused",
            // Woven text on a user's line must not draw a lint of its own there.
            "-D",
            "unused_parens",
            "-D",
            "unused_braces",
            "-A",
            "unexpected_cfgs",
            "-A",
            "async_fn_in_trait",
            "-o",
        ])
        .arg(dir.path().join("out.rmeta"))
        .arg(&file)
        .output()
        .expect("run rustc");
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

fn check(shape: &str) {
    let fixture = weave_dir().join(format!("{shape}.rs"));
    let original = std::fs::read_to_string(&fixture).expect("read fixture");
    let woven = weave(&fixture);

    // Splicing moves no line: same line count, and every line only gained text.
    let (a, b): (Vec<&str>, Vec<&str>) = (original.lines().collect(), woven.body.lines().collect());
    assert_eq!(a.len(), b.len(), "{shape}: line count changed");
    for (i, (o, w)) in a.iter().zip(&b).enumerate() {
        assert!(only_inserts(o, w), "{shape}:{}: original text changed:\n  {o}\n  {w}", i + 1);
    }
    // Negative cases: `plain_*` fns' signature lines are untouched.
    for (i, (o, w)) in a.iter().zip(&b).enumerate() {
        let directive_above = i > 0 && a[i - 1].contains("otel:span");
        if o.contains("fn plain_") && !directive_above {
            assert_eq!(o, w, "{shape}: a plain_ fn was woven");
        }
    }

    let expected_path = weave_dir().join(format!("{shape}.expected.rs"));
    let mut actual = woven.body.clone();
    for w in &woven.warnings {
        actual.push_str(&format!("// warning: {}\n", w.replace(&*weave_dir().display().to_string(), "tests/weave")));
    }
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &actual).expect("write expectation");
    } else {
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", expected_path.display()));
        assert_eq!(expected, actual, "{shape}: woven output differs from {}", expected_path.display());
    }

    for edition in editions(&original) {
        compile(&original, &edition, shape)
            .unwrap_or_else(|e| panic!("{shape}: the fixture itself does not compile in {edition}:\n{e}"));
        compile(&woven.full, &edition, shape)
            .unwrap_or_else(|e| panic!("{shape}: woven code does not compile in edition {edition}:\n{e}"));
    }
}

macro_rules! golden {
    ($($shape:ident),* $(,)?) => {
        $( #[test] fn $shape() { check(stringify!($shape)); } )*
    };
}

golden!(free_fns, async_fns, methods, generics, traits, patterns, misc, call_sites, no_std, no_implicit_prelude);
