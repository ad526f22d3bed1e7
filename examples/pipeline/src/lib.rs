//! examples/pipeline: `inventory`, a gRPC service (tonic) keeping stock levels in memory,
//! `gateway`, an HTTP server (axum) whose routes call it through the generated tonic client,
//! and `worker`, which processes the reservations the inventory publishes to NATS
//! (async-nats). No tracing code: `cargo otel build` makes the traces, HTTP → gRPC → NATS →
//! worker (tests/e2e_pipeline.rs).

pub mod events;
pub mod gateway;
pub mod inventory;
pub mod worker;

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
