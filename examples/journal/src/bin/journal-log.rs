//! `journal-log`: `GET /notes/{id}` on `JOURNAL_ADDR` (default 127.0.0.1:8082), logging with
//! `log::info!` through env_logger (stderr, level `info` unless `RUST_LOG` says otherwise).
//! Prints `journal-log listening on ADDR` once bound; stops on SIGINT/SIGTERM.

use axum::extract::Path;
use axum::routing::get;
use axum::Router;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let app = Router::new().route("/notes/{id}", get(note));
    let listener = tokio::net::TcpListener::bind(journal::env_or("JOURNAL_ADDR", "127.0.0.1:8082")).await?;
    let stop = journal::shutdown(); // handlers in place before the address is announced
    println!("journal-log listening on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(stop).await?;
    Ok(())
}

async fn note(Path(id): Path<u64>) -> String {
    log::info!("note {id} requested");
    let text = read_note(id);
    log::warn!("note {id} is {} bytes", text.len());
    text
}

fn read_note(id: u64) -> String {
    format!("note {id}: remember the milk\n")
}
