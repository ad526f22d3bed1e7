//! examples/pipeline: `inventory`, a gRPC service (tonic) keeping stock levels in memory, and
//! `gateway`, an HTTP server (axum) whose routes call it through the generated tonic client.
//! No tracing code: `cargo otel build` makes the traces (tests/e2e_pipeline.rs).

pub mod gateway;
pub mod inventory;

/// The generated messages, server and client of proto/inventory.proto.
pub mod proto {
    tonic::include_proto!("shop.inventory.v1");
}

/// `name` from the environment, else `default`.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}
