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

/// Resolves on SIGINT or SIGTERM. The handlers are installed by this call, not at the
/// future's first poll: axum polls it on a task of its own, which a busy machine may first
/// run after the first request, and a SIGTERM before that would end the process by the
/// signal instead of this graceful stop. Call it (inside the runtime) before announcing
/// the address.
pub fn shutdown() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn recv(signal: Option<Signal>) {
        match signal {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let (term, int) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok());
    async move {
        tokio::select! {
            _ = recv(term) => {}
            _ = recv(int) => {}
        }
    }
}
