//! Generates the tonic server and client of proto/inventory.proto without `protoc`: protox
//! (a protobuf compiler in Rust) parses the file, tonic-prost-build generates from the
//! descriptors.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/inventory.proto");
    let descriptors = protox::compile(["inventory.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
