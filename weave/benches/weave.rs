//! Time to weave a large registry crate: parse its module tree, collect join points, match
//! the built-in pack, generate and splice advice, and write the shadow tree. This is the
//! work the wrapper adds to a matching crate before rustc runs.
//!
//! `cargo bench -p otel-weave --bench weave` (crate sources come from the workspace's
//! resolved graph, so run `cargo fetch` first).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use otel_weave::{UnitPlan, UnitSources, load, parse, weave_unit};

fn crate_root(name: &str) -> Option<(PathBuf, PathBuf)> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml"))
        .exec()
        .ok()?;
    let package = metadata.packages.iter().find(|p| p.name.as_str() == name)?;
    let lib = package.targets.iter().find(|t| t.is_lib())?;
    Some((package.manifest_path.parent()?.as_std_path().to_path_buf(), lib.src_path.as_std_path().to_path_buf()))
}

fn weave_crate(c: &mut Criterion, name: &str) {
    let Some((package, root)) = crate_root(name) else {
        eprintln!("skipping {name}: not in the resolved graph");
        return;
    };
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules").join(name);
    let pack = load::load_pack(&rules).expect("built-in pack loads");
    let shadow = tempfile::tempdir().expect("tempdir");
    let files = parse::parse_crate(&root).expect("parses").files.len();
    let plan = UnitPlan {
        package: format!("{name} (bench)"),
        packs: vec![&pack],
        directives: false,
        links_runtime: false,
        relax_forbid: false,
        strict: false,
        app_sources: Vec::new(),
    };
    c.bench_function(&format!("weave {name} ({files} files)"), |b| {
        b.iter(|| {
            let shadow = shadow.path().join(name);
            let input = UnitSources { root: &root, package_dir: &package, shadow: Some(&shadow) };
            let woven = weave_unit(&plan, input).expect("woven");
            // The wrapper weaves one crate per process; without this, proc-macro2's
            // thread-local source map would grow with every iteration.
            proc_macro2::extra::invalidate_current_thread_spans();
            woven.files.len()
        })
    });
    // The peer in the same run: what the weaver did before the pre-filter, syn-parsing every
    // file of the crate (and nothing else).
    c.bench_function(&format!("parse every file of {name} (no pre-filter)"), |b| {
        b.iter(|| {
            let parsed = parse::parse_crate(&root).expect("parses").files.len();
            proc_macro2::extra::invalidate_current_thread_spans();
            parsed
        })
    });
}

fn benches(c: &mut Criterion) {
    weave_crate(c, "tokio");
    weave_crate(c, "reqwest");
    weave_crate(c, "axum");
}

criterion_group! {
    name = weave;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(weave);
