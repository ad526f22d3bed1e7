//! Exists only so that `links = "otel_runtime_abi_v1"` is accepted: cargo then refuses a
//! dependency graph holding two runtimes that would define the same `__otel_v1_*` symbols.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
