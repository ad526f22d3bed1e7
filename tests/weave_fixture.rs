//! `cargo otel` on a real fixture workspace (tests/fixtures/weave-app): a binary, a path
//! crate in edition 2015 and the registry crate `hex`, woven by the fixture's packs and
//! linked against the real runtime, whose file store the tests read back.

use std::path::Path;
use std::process::{Command, Output};

use cargo_otel_tests::{cargo_otel, copy_fixture, host, read_spans, shared_otel_target, span};

fn otel(dir: &Path, args: &[&str]) -> Output {
    otel_rebuilding(dir, &[], args)
}

/// `cargo otel` into the shared target dir with `crates` compiled anew (their fingerprints
/// dropped first), one such run at a time in this process: several tests build copies of
/// weave-app there, which cargo takes for one workspace (it names path crates relative to
/// the workspace root), so a test asserting what its build compiles must not find them
/// freshly built by another test.
fn otel_rebuilding(dir: &Path, crates: &[&str], args: &[&str]) -> Output {
    static SHARED: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    cargo_otel_tests::forget_builds(&shared_otel_target(), crates);
    otel_in(dir, &shared_otel_target(), args)
}

fn otel_in(dir: &Path, target: &Path, args: &[&str]) -> Output {
    otel_command(dir, target, args).output().expect("run cargo otel")
}

/// [`otel_in`] for a build whose target units no other build shares (its own rustflags or
/// packs give them other names): cargo's intermediates go to the shared otel target, so the
/// host units (proc macros, build scripts: the same for every weave-app build) are compiled
/// once, while `target` keeps this build's binaries and cargo-otel's own state.
fn otel_in_own_units(dir: &Path, target: &Path, args: &[&str]) -> Output {
    own_units(&mut otel_command(dir, target, args)).output().expect("run cargo otel")
}

/// Cargo's intermediates in the shared otel target (see [`otel_in_own_units`]).
fn own_units(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_BUILD_BUILD_DIR", shared_otel_target())
}

fn otel_command(dir: &Path, target: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(cargo_otel());
    cargo_otel_tests::lean_profile(&mut cmd)
        .arg("otel")
        .args(args)
        .arg("--otel-target-dir")
        .arg(target)
        .current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TERM_COLOR", "never");
    cmd
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn app_binary() -> std::path::PathBuf {
    let triple = host();
    shared_otel_target().join(triple).join("debug").join("app")
}

fn build_ok(dir: &Path, args: &[&str]) -> String {
    let out = otel(dir, args);
    let err = stderr(&out);
    assert!(out.status.success(), "cargo otel {args:?} failed:\n{err}");
    err
}

fn run_app(dir: &Path, args: &[&str]) -> (Output, Vec<serde_json::Value>) {
    let store = dir.join("store");
    let out = Command::new(app_binary())
        .args(args)
        .env("CARGO_OTEL_STORE", &store)
        .env("OTEL_SERVICE_NAME", "fixture-app")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run app");
    (out, read_spans(&store))
}

#[test]
fn registry_and_path_crates_are_woven_and_their_advice_runs() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let out = otel_rebuilding(dir, &["app"], &["build", "-p", "app"]);
    let err = stderr(&out);
    assert!(out.status.success(), "cargo otel build failed:\n{err}");
    assert!(err.contains("Weaving app v0.1.0 (2 join points, otel:span)"), "{err}");

    let (out, spans) = run_app(dir, &[]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "total=210 hex=323130");
    let checkout = span(&spans, "checkout");
    let compute = span(&spans, "helper.compute");
    let encode = span(&spans, "hex.encode");
    let exit = span(&spans, "hex.encode.exit");
    assert_eq!(checkout["parent_span_id"], "");
    assert_eq!(compute["parent_span_id"], checkout["span_id"]);
    assert_eq!(encode["parent_span_id"], checkout["span_id"]);
    assert_eq!(exit["parent_span_id"], encode["span_id"], "OnExit advice runs while the registry fn's span is current");
    assert_eq!(compute["attributes"]["compute.n"], "20");
    assert_eq!(exit["attributes"]["hex.len"], 6);
    assert_eq!(checkout["service_name"], "fixture-app");
    for s in [compute, encode, exit] {
        assert_eq!(s["trace_id"], checkout["trace_id"]);
    }
}

#[test]
fn panics_report_the_original_file_and_line_and_end_the_span_as_error() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    build_ok(dir, &["build", "-p", "app"]);
    let (out, spans) = run_app(dir, &["panic"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("panicked at app/src/main.rs:13:5"), "{err}");
    let explode = span(&spans, "explode");
    assert_eq!(explode["status"], "error");
    assert_eq!(explode["attributes"]["error.type"], "panic");
}

/// Own target dir: rebuild decisions must not see other tests' builds. Costs one build of
/// the runtime's dependencies.
#[test]
fn no_op_builds_are_fresh_and_edits_rebuild_exactly_what_changed() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let target = dir.join("target-otel");
    let build = |what: &str| {
        let out = otel_in(dir, &target, &["build", "-p", "app"]);
        let err = stderr(&out);
        assert!(out.status.success(), "{what}: {err}");
        err
    };
    let first = build("first build");
    assert!(first.contains("Weaving hex v0.4.3 (1 join point, fixture-hex)"), "{first}");
    assert!(first.contains("Weaving helper v0.1.0 (1 join point, fixture-helper)"), "{first}");
    let again = build("no-op build");
    assert!(!again.contains("Compiling") && !again.contains("Weaving"), "a no-op build rebuilt something:\n{again}");

    // Editing a woven workspace crate rebuilds it (dep-info points at the original files).
    let lib = dir.join("helper/src/lib.rs");
    let text = std::fs::read_to_string(&lib).expect("read");
    std::fs::write(&lib, text.replace("(1..=n).sum()", "(1..=n).sum::<u64>() + 0")).expect("write");
    let edited = build("after a source edit");
    assert!(edited.contains("Compiling helper"), "{edited}");
    assert!(!edited.contains("Compiling hex"), "{edited}");

    // Changing a rule rebuilds exactly the crates it wove.
    let pack = dir.join("rules/fixture/pack.toml");
    let text = std::fs::read_to_string(&pack).expect("read");
    std::fs::write(&pack, text.replace("helper.compute", "helper.compute.v2")).expect("write");
    let rule_changed = build("after a rule edit");
    assert!(rule_changed.contains("Compiling helper"), "{rule_changed}");
    assert!(!rule_changed.contains("Compiling hex"), "{rule_changed}");
    let store = dir.join("store");
    let run =
        Command::new(target.join(host()).join("debug/app")).env("CARGO_OTEL_STORE", &store).output().expect("run");
    assert!(run.status.success());
    span(&read_spans(&store), "helper.compute.v2");
}

#[test]
fn a_crate_that_fails_once_woven_falls_back_with_a_warning_unless_strict() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let bad = dir.join("bad-rules/broken");
    std::fs::create_dir_all(&bad).expect("mkdir");
    std::fs::write(
        bad.join("pack.toml"),
        "[pack]\nname = \"broken\"\ncrate = \"helper\"\n\n[[rule]]\nid = \"type-error\"\nfn = \"compute\"\ncode = \"let _x: u8 = \\\"not a number\\\";\"\n",
    )
    .expect("write");
    let stale = dir.join("bad-rules/stale");
    std::fs::create_dir_all(&stale).expect("mkdir");
    std::fs::write(
        stale.join("pack.toml"),
        "[pack]\nname = \"stale\"\ncrate = \"hex\"\nversions = \">=0.4, <0.5\"\n\n[[rule]]\nid = \"gone\"\nfn = \"encode_upper_v2\"\nspan = { name = \"x\" }\n",
    )
    .expect("write");
    let future = dir.join("bad-rules/future");
    std::fs::create_dir_all(&future).expect("mkdir");
    std::fs::write(
        future.join("pack.toml"),
        "[pack]\nname = \"future\"\ncrate = \"app\"\nversions = \">=2\"\n\n[[rule]]\nid = \"c\"\nfn = \"checkout\"\nspan = { name = \"x\" }\n",
    )
    .expect("write");
    let rules = bad.parent().expect("parent").display().to_string();
    let err = build_ok(dir, &["--rules", &rules, "build", "-p", "app"]);
    assert!(err.contains("warning: no pack covers app v0.1.0 (`future` covers >=2); not instrumented"), "{err}");
    assert!(
        err.contains("hex v0.4.3: ")
            && err.contains(
                "stale/pack.toml:7:6: rule `stale/gone` matched nothing: no fn named `encode_upper_v2` in the crate"
            ),
        "{err}"
    );
    assert!(
        err.contains("helper v0.1.0 does not compile once instrumented (rules: broken/type-error, fixture-helper/compute); built uninstrumented instead. First error: mismatched types at helper/src/lib.rs:2"),
        "{err}"
    );
    let (out, _) = run_app(dir, &[]);
    assert!(out.status.success(), "the fallback build works");

    // An error inside a pack's advice is reported at the advice file's line, not at a line
    // past the end of the woven crate's root.
    let advice = dir.join("advice-rules/bad-advice");
    std::fs::create_dir_all(&advice).expect("mkdir");
    std::fs::write(
        advice.join("pack.toml"),
        "[pack]\nname = \"bad-advice\"\ncrate = \"hex\"\nadvice = \"advice.rs\"\n\n[[rule]]\nid = \"enter\"\nfn = \"encode\"\non_enter = \"enter\"\n",
    )
    .expect("write");
    std::fs::write(advice.join("advice.rs"), "pub fn enter() {\n    let _x: u8 = \"not a number\";\n}\n")
        .expect("write");
    let rules = advice.parent().expect("parent").display().to_string();
    let err = build_ok(dir, &["--rules", &rules, "build", "-p", "app"]);
    assert!(
        err.contains("hex v0.4.3 does not compile once instrumented (rules: bad-advice/enter")
            && err.contains("bad-advice/advice.rs:2 (advice of pack `bad-advice`)"),
        "{err}"
    );

    std::fs::write(
        dir.join("helper/src/lib.rs"),
        "//! changed\npub fn compute(n: u64) -> u64 {\n    (1..=n).sum()\n}\n",
    )
    .expect("write");
    let only_broken = bad.display().to_string();
    let strict = otel(dir, &["--strict", "--rules", &only_broken, "build", "-p", "app"]);
    assert!(!strict.status.success(), "--strict must fail");
    assert!(stderr(&strict).contains("--strict makes this fatal"), "{}", stderr(&strict));
}

#[test]
fn bad_rule_packs_are_refused_before_building_with_file_line_and_column() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let bad = dir.join("bad/malformed");
    std::fs::create_dir_all(&bad).expect("mkdir");
    std::fs::write(bad.join("pack.toml"), "[pack]\nname = \"m\"\ncrate = \"helper\"\nversions = \">=nope\"\n")
        .expect("write");
    let out = otel(dir, &["--rules", &dir.join("bad").display().to_string(), "build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad/malformed/pack.toml:4:12: invalid semver range `>=nope`"), "{err}");
    assert!(!err.contains("Compiling"), "nothing is built on bad rules:\n{err}");
}

#[test]
fn a_package_without_the_runtime_is_refused_with_the_lines_to_add() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let manifest = dir.join("app/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    let cut = text.find("[target.").expect("cfg table");
    std::fs::write(&manifest, &text[..cut]).expect("write");
    let out = otel(dir, &["build", "-p", "app"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("package `app` links crates that cargo otel instruments"), "{err}");
    assert!(err.contains("[target.'cfg(cargo_otel)'.dependencies]\notel-runtime = "), "{err}");

    // `cargo otel init --path` adds exactly that, idempotently.
    let runtime = cargo_otel_tests::workspace_root().join("runtime");
    let init = otel(dir, &["init", "-p", "app", "--path", &runtime.display().to_string()]);
    assert!(init.status.success(), "{}", stderr(&init));
    let again = otel(dir, &["init", "-p", "app", "--path", &runtime.display().to_string()]);
    assert!(stderr(&again).contains("app already has otel-runtime"), "{}", stderr(&again));
    build_ok(dir, &["build", "-p", "app"]);
}

#[test]
fn plain_cargo_build_is_untouched() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let out = cargo_otel_tests::plain_cargo(dir).args(["build", "-p", "app"]).output().expect("cargo build");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("otel-runtime") && !err.contains("warning"),
        "plain build pulled the runtime or warned:\n{err}"
    );
    let run = Command::new(cargo_otel_tests::plain_bins().join("app"))
        .env("CARGO_OTEL_STORE", dir.join("store"))
        .output()
        .expect("run");
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "total=210 hex=323130");
    assert!(read_spans(&dir.join("store")).is_empty());
}

#[test]
fn explain_lists_matches_and_misses_without_building() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let out = otel(dir, &["explain", "hex"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("pack fixture-hex → hex v0.4"), "{text}");
    assert!(text.contains("fixture-hex/encode"), "{text}");

    // A crate of the runtime's own graph gets the real reason, not "run cargo otel init".
    let rules = dir.join("slab-rules/slab");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(
        rules.join("pack.toml"),
        "[pack]\nname = \"slab\"\ncrate = \"slab\"\n\n[[rule]]\nid = \"insert\"\nfn = \"insert\"\nspan = { name = \"x\" }\n",
    )
    .expect("write");
    let extra = rules.parent().expect("parent").display().to_string();
    let out = otel(dir, &["--rules", &extra, "explain", "slab"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("otel-runtime itself depends on slab"), "{text}");
    assert!(!text.contains("cargo otel init"), "{text}");
}

#[test]
fn probes_and_non_target_units_pass_through_untouched() {
    let wrapper = |args: &[&str]| {
        Command::new(cargo_otel())
            .env("CARGO_OTEL_WRAPPER", "1")
            .arg("rustc")
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run wrapper")
    };
    let direct =
        |args: &[&str]| Command::new("rustc").args(args).stdin(std::process::Stdio::null()).output().expect("rustc");
    for args in
        [&["-vV"][..], &["-", "--crate-name", "___", "--print=file-names", "--crate-type", "bin", "--print=cfg"][..]]
    {
        let (w, d) = (wrapper(args), direct(args));
        assert_eq!(w.status.code(), d.status.code(), "{args:?}");
        assert_eq!(w.stdout, d.stdout, "{args:?}");
    }

    // A build script's feature probe (rustix's): the package's own rustflags, `--cfg
    // cargo_otel` among them, and code on stdin. Even for a package the plan holds, under
    // --strict, it is rustc's to answer.
    let out_dir = tempfile::tempdir().expect("tempdir");
    let probe = |program: &std::path::Path, wrapped: bool| {
        use std::io::Write;
        let mut cmd = Command::new(program);
        if wrapped {
            cmd.env("CARGO_OTEL_WRAPPER", "1")
                .env("CARGO_OTEL_PACKAGES", "rustix")
                .env("CARGO_OTEL_STRICT", "1")
                .arg("rustc");
        }
        let mut child = cmd
            .env("CARGO_PKG_NAME", "rustix")
            .args(["--cfg", "cargo_otel", "--crate-type=lib", "--emit=metadata", "--out-dir"])
            .arg(out_dir.path())
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(b"pub fn probe() {}\n").expect("the probe's code is read");
        child.wait().expect("wait").success()
    };
    assert!(probe(std::path::Path::new("rustc"), false));
    assert!(probe(&cargo_otel(), true), "a stdin probe under --strict reaches rustc");
}

/// The user's rustflags from `.cargo/config.toml` survive (cargo would drop them once we set
/// ours), and a pre-existing `RUSTC_WRAPPER` (sccache, here a recording script) is chained.
#[test]
fn user_rustflags_are_kept_and_an_existing_wrapper_is_chained() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    std::fs::create_dir_all(dir.join(".cargo")).expect("mkdir");
    std::fs::write(dir.join(".cargo/config.toml"), "[build]\nrustflags = [\"--cfg\", \"fixture_flag\"]\n")
        .expect("write");
    let log = dir.join("chained.log");
    let chained = dir.join("chained-wrapper.sh");
    std::fs::write(&chained, format!("#!/bin/sh\necho \"$@\" >> {}\nexec \"$@\"\n", log.display())).expect("write");
    std::process::Command::new("chmod").arg("+x").arg(&chained).status().expect("chmod");
    let target = dir.join("target-otel");
    // Its rustflags are its own: only the host units are shared (see `otel_in_own_units`).
    let out = own_units(&mut otel_command(dir, &target, &["build", "-p", "app"]))
        .env("RUSTC_WRAPPER", &chained)
        .output()
        .expect("cargo otel");
    assert!(out.status.success(), "{}", stderr(&out));
    let calls = std::fs::read_to_string(&log).expect("the chained wrapper ran");
    assert!(calls.lines().any(|l| l.contains("--crate-name app")), "app was not compiled through the chained wrapper");
    assert!(
        calls.lines().any(|l| l.contains("--crate-name helper") && l.contains("/shadow/")),
        "woven crates go through it too"
    );
    let run = Command::new(target.join(host()).join("debug/app"))
        .env("CARGO_OTEL_STORE", dir.join("store"))
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("fixture_flag is set"), "the config's rustflags were lost:\n{stdout}");
    span(&read_spans(&dir.join("store")), "checkout");
}

#[test]
fn vendored_registry_crates_are_woven_as_registry_crates() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    // A lock file, then `cargo vendor`, both from the local cache, and the source
    // replacement it prints.
    let cargo = |args: &[&str]| {
        Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir)
            .env("CARGO_NET_OFFLINE", "true")
            .output()
            .expect("cargo")
    };
    let lock = cargo(&["generate-lockfile", "--offline"]);
    assert!(lock.status.success(), "{}", stderr(&lock));
    let vendor = cargo(&["vendor", "vendor"]);
    assert!(vendor.status.success(), "cargo vendor failed: {}", stderr(&vendor));
    std::fs::create_dir_all(dir.join(".cargo")).expect("mkdir");
    std::fs::write(dir.join(".cargo/config.toml"), &vendor.stdout).expect("write config");

    // A directive inside the vendored hex (it is not the user's code), with its checksum
    // entry dropped so cargo accepts the edit.
    let hex = std::fs::read_dir(dir.join("vendor"))
        .expect("vendor dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("hex")))
        .expect("hex is vendored");
    let lib = hex.join("src/lib.rs");
    let text = std::fs::read_to_string(&lib).expect("read hex");
    let text = text.replacen("pub fn encode<", "// otel:span vendored.directive\npub fn encode<", 1);
    std::fs::write(&lib, text).expect("write hex");
    let checksum = hex.join(".cargo-checksum.json");
    let sums: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checksum).expect("read")).expect("json");
    std::fs::write(&checksum, serde_json::json!({ "files": {}, "package": sums["package"] }).to_string())
        .expect("write checksum");

    // A `@workspace` pack: it must reach the workspace's crates, never vendored ones.
    let local = dir.join("local-rules/everywhere");
    std::fs::create_dir_all(&local).expect("mkdir");
    std::fs::write(
        local.join("pack.toml"),
        "[pack]\nname = \"everywhere\"\ncrate = \"@workspace\"\n\n[[rule]]\nid = \"encode\"\nfn = \"encode\"\nspan = { name = \"workspace.encode\" }\n",
    )
    .expect("write");
    let rules = local.parent().expect("parent").display().to_string();
    let target = dir.join("target-otel");
    let out = otel_in_own_units(dir, &target, &["-v", "--rules", &rules, "build", "-p", "app", "--offline"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Weaving hex v0.4.3 (1 join point, fixture-hex)"), "hex woven by its pack only:\n{err}");

    let store = dir.join("store");
    let run =
        Command::new(target.join(host()).join("debug/app")).env("CARGO_OTEL_STORE", &store).output().expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
    let spans = read_spans(&store);
    span(&spans, "hex.encode");
    let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
    assert!(!names.contains(&"vendored.directive"), "a directive in a vendored crate was honoured: {names:?}");
    assert!(!names.contains(&"workspace.encode"), "a @workspace pack wove a vendored crate: {names:?}");
}

#[test]
fn strict_fails_when_the_weave_itself_fails() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let target = dir.join("target-otel");
    std::fs::create_dir_all(&target).expect("mkdir");
    // The shadow root is a file: no shadow tree can be written.
    std::fs::write(target.join("shadow"), "in the way").expect("block the shadow dir");

    let strict = otel_in(dir, &target, &["--strict", "build", "-p", "app"]);
    let err = stderr(&strict);
    assert!(!strict.status.success(), "--strict must fail when weaving fails:\n{err}");
    assert!(err.contains("cannot create the shadow tree"), "{err}");
    assert!(!err.contains("Weaving"), "no status line for a unit that was not woven:\n{err}");

    let lenient = otel_in(dir, &target, &["build", "-p", "app"]);
    let err = stderr(&lenient);
    assert!(lenient.status.success(), "without --strict the build falls back:\n{err}");
    assert!(err.contains("cannot create the shadow tree") && err.contains("compiling it uninstrumented"), "{err}");
}

/// Decisions are per package, not per `name version`: a path crate with the name and version
/// of a registry crate in the runtime's own graph (slab) is woven, the runtime's copy is not
/// (keyed by name and version, both were woven, or neither).
#[test]
fn a_path_crate_and_a_registry_crate_of_one_name_and_version_are_decided_apart() {
    let fixture = copy_fixture("weave-app");
    let dir = fixture.path();
    let metadata = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--filter-platform", &host()])
        .current_dir(dir)
        .env("CARGO_ENCODED_RUSTFLAGS", "--cfg\x1fcargo_otel")
        .output()
        .expect("cargo metadata");
    assert!(metadata.status.success(), "{}", stderr(&metadata));
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).expect("metadata json");
    let version = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "slab"))
        .and_then(|p| p["version"].as_str())
        .expect("the runtime's graph has slab")
        .to_string();

    // The app's own `slab`, a path crate of that very name and version.
    let local = dir.join("slab");
    std::fs::create_dir_all(local.join("src")).expect("mkdir");
    std::fs::write(
        local.join("Cargo.toml"),
        format!("[package]\nname = \"slab\"\nversion = \"{version}\"\nedition = \"2021\"\npublish = false\n"),
    )
    .expect("write");
    std::fs::write(local.join("src/lib.rs"), "pub fn local_slab(n: u8) -> u8 {\n    n + 1\n}\n").expect("write");
    let workspace = std::fs::read_to_string(dir.join("Cargo.toml")).expect("read");
    std::fs::write(
        dir.join("Cargo.toml"),
        workspace.replace("members = [\"app\", \"helper\"]", "members = [\"app\", \"helper\", \"slab\"]"),
    )
    .expect("write");
    let app = std::fs::read_to_string(dir.join("app/Cargo.toml")).expect("read");
    std::fs::write(
        dir.join("app/Cargo.toml"),
        app.replace("[dependencies]\n", "[dependencies]\nslab = { path = \"../slab\" }\n"),
    )
    .expect("write");
    let main = std::fs::read_to_string(dir.join("app/src/main.rs")).expect("read");
    std::fs::write(
        dir.join("app/src/main.rs"),
        main.replace("fn main() {\n", "fn main() {\n    let _ = slab::local_slab(1);\n"),
    )
    .expect("write");

    let rules = dir.join("slab-rules/every-slab-fn");
    std::fs::create_dir_all(&rules).expect("mkdir");
    std::fs::write(
        rules.join("pack.toml"),
        "[pack]\nname = \"every-slab-fn\"\ncrate = \"slab\"\n\n[[rule]]\nid = \"all\"\nfn = \"*\"\nspan = { name = \"slab.{fn}\" }\n",
    )
    .expect("write");
    let extra = rules.parent().expect("parent").display().to_string();
    let target = dir.join("target-otel");
    let out = otel_in_own_units(dir, &target, &["--strict", "--rules", &extra, "build", "-p", "app"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let woven: Vec<&str> = err.lines().filter(|l| l.contains(&format!("Weaving slab v{version}"))).collect();
    assert_eq!(woven.len(), 1, "only the app's slab is woven:\n{err}");
    assert!(woven[0].contains("(1 join point, every-slab-fn)"), "{err}");

    let store = dir.join("store");
    let run =
        Command::new(target.join(host()).join("debug/app")).env("CARGO_OTEL_STORE", &store).output().expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
    span(&read_spans(&store), "slab.local_slab");
}
