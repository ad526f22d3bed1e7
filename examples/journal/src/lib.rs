//! What both journal services share: their address from the environment and a shutdown on
//! SIGINT/SIGTERM (the woven runtime flushes its spans, logs and metrics at exit).

/// `name` from the environment, or `default`.
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
