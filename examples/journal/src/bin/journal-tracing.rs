//! `journal-tracing`: `GET /orders/{id}` on `JOURNAL_ADDR` (default 127.0.0.1:8081). The
//! handler logs with `info!` and calls `#[instrument]` fns (`load_order` → `price`) that log
//! too. Log lines go to stderr through `tracing_subscriber::fmt()`, in its full format, or
//! its JSON format when `JOURNAL_FORMAT=json`. Prints `journal-tracing listening on ADDR`
//! once bound; stops on SIGINT/SIGTERM.

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use tracing::{info, instrument};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let builder = tracing_subscriber::fmt().with_ansi(false).with_writer(std::io::stderr);
    if journal::env_or("JOURNAL_FORMAT", "full") == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
    let app = Router::new().route("/orders/{id}", get(order));
    let listener = tokio::net::TcpListener::bind(journal::env_or("JOURNAL_ADDR", "127.0.0.1:8081")).await?;
    let stop = journal::shutdown(); // handlers in place before the address is announced
    println!("journal-tracing listening on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(stop).await?;
    Ok(())
}

async fn order(Path(id): Path<u64>) -> String {
    info!(order = id, "order requested");
    let total = load_order(id).await;
    format!("order {id}: {total} cents\n")
}

#[instrument]
async fn load_order(id: u64) -> u64 {
    tokio::task::yield_now().await;
    info!(rows = 2, "order loaded");
    price(id * 3)
}

#[instrument]
fn price(units: u64) -> u64 {
    info!(units, "priced");
    units * 250
}
