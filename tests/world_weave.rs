//! The world weave's CI subset: `scripts/world-weave.sh` builds nine popular registry crates
//! (scripts/world-weave/nine.txt, pinned by nine.lock) with a span on every public fn
//! under `cargo otel --strict`; each must be woven, none may fall back. The one accepted
//! exception is a crate of otel-runtime's own graph, which the planner never weaves (the
//! exporter must not trace itself): none of the nine is today.

use std::process::Command;

use cargo_otel_tests::workspace_root;

#[test]
fn nine_popular_crates_are_woven_under_strict_with_a_catch_all_rule() {
    let root = workspace_root();
    let out = Command::new("bash")
        .arg(root.join("scripts/world-weave.sh"))
        .arg(root.join("scripts/world-weave/nine.txt"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("run scripts/world-weave.sh");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the strict world weave failed:\n{table}\n{}", String::from_utf8_lossy(&out.stderr));
    let list = std::fs::read_to_string(root.join("scripts/world-weave/nine.txt")).expect("list");
    for name in list.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split_whitespace().next()) {
        let row = table.lines().find(|r| r.starts_with(&format!("| {name} |"))).unwrap_or_default();
        assert!(
            row.ends_with("| woven |") || row.contains("otel-runtime itself depends on"),
            "{name} was not woven: {row}\n{table}"
        );
    }
}
