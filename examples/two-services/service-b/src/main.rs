//! service-b: the inventory behind service-a in the two-services example.
//!
//! One request touches every kind of concurrency a Rust service has: a `tokio::spawn`ed
//! task, a `JoinSet` fan-out, `spawn_blocking` calls into SQLite (rusqlite, a real file)
//! and a scoped pool of OS threads. There is no tracing code here: run it under
//! `cargo otel run -p service-b` and every request is a trace, joined to service-a's trace
//! through the incoming `traceparent` header, with each of those hops as a child span.
//!
//! Routes:
//! - `GET /inventory/{id}`: `{id, name, stock, price, checksum}` as JSON, 404 for an unknown id.
//! - `GET /fail`: always 500.
//!
//! Environment: `SERVICE_B_ADDR` (default `127.0.0.1:3001`, port 0 picks a free port) and
//! `SERVICE_B_DB` (default `target/two-services/inventory.db`, created and seeded on start).

mod store;

use std::{env, error::Error, path::PathBuf, sync::Arc, thread};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Serialize;
use tokio::{
    net::TcpListener,
    task::{self, JoinError, JoinSet},
};

const DEFAULT_ADDR: &str = "127.0.0.1:3001";
const DEFAULT_DB: &str = "target/two-services/inventory.db";

#[derive(Clone)]
struct AppState {
    db: Arc<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Item {
    id: u32,
    name: String,
    stock: u32,
    price: f64,
    checksum: String,
}

#[derive(Debug)]
enum ApiError {
    NotFound(u32),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound(id) => (StatusCode::NOT_FOUND, format!("no item {id}")),
            ApiError::Internal(message) => {
                eprintln!("service-b: internal error: {message}");
                (StatusCode::INTERNAL_SERVER_ERROR, message)
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::Internal(format!("database: {err}"))
    }
}

impl From<JoinError> for ApiError {
    fn from(err: JoinError) -> Self {
        ApiError::Internal(format!("task: {err}"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = env::var("SERVICE_B_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let db = PathBuf::from(env::var_os("SERVICE_B_DB").unwrap_or_else(|| DEFAULT_DB.into()));
    store::init(&db).map_err(|err| format!("cannot prepare {}: {err}", db.display()))?;

    let app = Router::new()
        .route("/inventory/{id}", get(inventory))
        .route("/fail", get(fail))
        .with_state(AppState { db: Arc::new(db) });

    let listener = TcpListener::bind(&addr).await?;
    println!("service-b listening on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn inventory(State(state): State<AppState>, Path(id): Path<u32>) -> Result<Json<Item>, ApiError> {
    let db = Arc::clone(&state.db);
    let row = task::spawn_blocking(move || store::item(&db, id)).await??.ok_or(ApiError::NotFound(id))?;

    // The price is computed on the runtime while the warehouses are queried in parallel.
    let price = tokio::spawn(quote(row.price_cents));
    let mut lookups = JoinSet::new();
    for warehouse in store::WAREHOUSES {
        let db = Arc::clone(&state.db);
        lookups.spawn_blocking(move || store::stock(&db, id, warehouse));
    }
    let mut stock = 0u32;
    while let Some(quantity) = lookups.join_next().await {
        stock = stock.saturating_add(quantity??);
    }
    let price = price.await?;

    let record = format!("{id}:{}:{stock}:{price:.2}", row.name);
    let checksum = task::spawn_blocking(move || checksum(record.as_bytes())).await?;

    Ok(Json(Item { id, name: row.name, stock, price, checksum: format!("{checksum:08x}") }))
}

async fn fail() -> ApiError {
    ApiError::Internal("this endpoint always fails".to_owned())
}

/// The price with 8% tax, in currency units rounded to the cent.
async fn quote(price_cents: i64) -> f64 {
    (price_cents as f64 * 1.08).round() / 100.0
}

/// FNV-1a of each half of `bytes`, each half hashed (many rounds, to make some CPU work) on
/// its own OS thread, then combined.
fn checksum(bytes: &[u8]) -> u32 {
    const ROUNDS: usize = 1_000;
    let (left, right) = bytes.split_at(bytes.len() / 2);
    thread::scope(|scope| {
        let workers = [left, right].map(|half| {
            scope.spawn(move || {
                (0..ROUNDS).fold(0x811c_9dc5_u32, |hash, _| {
                    half.iter().fold(hash, |hash, &byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
                })
            })
        });
        workers.into_iter().fold(0_u32, |acc, worker| {
            // A worker only does arithmetic; if it panicked anyway, re-raise the panic.
            let hash = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            acc.rotate_left(5) ^ hash
        })
    })
}

/// Resolves on ctrl-c or SIGTERM, so `main` returns and the process exits normally.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            eprintln!("service-b: cannot listen for ctrl-c: {err}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(err) => {
                eprintln!("service-b: cannot listen for SIGTERM: {err}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    eprintln!("service-b: shutting down");
}
