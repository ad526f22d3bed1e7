//! catalog: products on PostgreSQL through sqlx, with Redis as a read-through cache.
//!
//! There is no tracing code here. Built with `cargo otel build` every request is a trace:
//! the SERVER span of the route, under it one CLIENT span per cache command and per query
//! (through the sqlx pool, whose waits are events on the query spans), and the view counter
//! written by a spawned task, still in the request's trace.
//!
//! Routes:
//! - `GET /products/{id}`: `{id, name, price_cents}` from the cache, else from PostgreSQL
//!   (then cached for 60 s); 404 for an unknown id.
//! - `POST /products/{id}/views`: counts a view (a spawned task inserts it), answers the count.
//! - `POST /products`: `{"id", "name", "price_cents"}` inserted in a transaction; 409 when the
//!   id exists (a unique violation, SQLSTATE 23505).
//!
//! Environment: `CATALOG_ADDR` (default `127.0.0.1:3002`, port 0 picks a free port and prints
//! it), `DATABASE_URL` (default `postgres://otel@127.0.0.1:55432/otel`), `REDIS_URL` (default
//! `redis://127.0.0.1:56379/`): `scripts/services.sh up postgres redis` starts both.

use std::{env, error::Error};

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use catalog::store::{self, Product, Store};
use tokio::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:3002";
const DEFAULT_DATABASE: &str = "postgres://otel@127.0.0.1:55432/otel";
const DEFAULT_REDIS: &str = "redis://127.0.0.1:56379/";

#[derive(Debug)]
enum ApiError {
    NotFound(i64),
    Conflict(i64),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound(id) => (StatusCode::NOT_FOUND, format!("no product {id}")),
            ApiError::Conflict(id) => (StatusCode::CONFLICT, format!("product {id} exists")),
            ApiError::Internal(message) => {
                eprintln!("catalog: internal error: {message}");
                (StatusCode::INTERNAL_SERVER_ERROR, message)
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<store::StoreError> for ApiError {
    fn from(err: store::StoreError) -> Self {
        ApiError::Internal(err.to_string())
    }
}

async fn product(State(store): State<Store>, Path(id): Path<i64>) -> Result<Json<Product>, ApiError> {
    store.product(id).await?.map(Json).ok_or(ApiError::NotFound(id))
}

async fn view(State(store): State<Store>, Path(id): Path<i64>) -> Result<Json<serde_json::Value>, ApiError> {
    // The insert runs in its own task (as a fire-and-forget write would); the handler waits
    // for it only to answer the count.
    let writer = store.clone();
    let views = tokio::spawn(async move { writer.count_view(id).await })
        .await
        .map_err(|e| ApiError::Internal(format!("task: {e}")))??;
    Ok(Json(serde_json::json!({ "id": id, "views": views })))
}

async fn create(State(store): State<Store>, Json(p): Json<Product>) -> Result<StatusCode, ApiError> {
    match store.create(&p).await {
        Ok(()) => Ok(StatusCode::CREATED),
        Err(store::StoreError::Exists) => Err(ApiError::Conflict(p.id)),
        Err(e) => Err(e.into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let database = env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.to_owned());
    let redis = env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS.to_owned());
    let store = Store::connect(&database, &redis).await?;
    let app = Router::new()
        .route("/products", post(create))
        .route("/products/{id}", get(product))
        .route("/products/{id}/views", post(view))
        .with_state(store);
    let addr = env::var("CATALOG_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("catalog listening on {}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
