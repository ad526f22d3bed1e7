//! service-a: the front door of the two-services example.
//!
//! An axum server that answers `/orders/{id}` by calling service-b over real HTTP with
//! reqwest. There is no tracing code here: run it under `cargo otel run -p service-a` and
//! every request is a trace, with the outgoing reqwest call as a child span whose context
//! travels to service-b in the `traceparent` header.
//!
//! Routes:
//! - `GET /hello`: plain `hello`, for throughput benchmarks.
//! - `GET /orders/{id}`: looks the item up in service-b and returns an order as JSON;
//!   404 when service-b does not know the item, 502 when service-b fails or is down.
//! - `GET /fail`: calls service-b's `/fail` and returns 502 when it answers 5xx.
//!
//! Environment: `SERVICE_A_ADDR` (default `127.0.0.1:3000`, port 0 picks a free port) and
//! `SERVICE_B_URL` (default `http://127.0.0.1:3001`).

use std::{env, error::Error, time::Duration};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const DEFAULT_B_URL: &str = "http://127.0.0.1:3001";

#[derive(Clone)]
struct AppState {
    client: reqwest::Client,
    b_url: String,
}

/// What service-b returns for `/inventory/{id}`.
#[derive(Debug, Deserialize, Serialize)]
struct Item {
    id: u32,
    name: String,
    stock: u32,
    price: f64,
    checksum: String,
}

/// An order: service-a's own fields around service-b's item.
#[derive(Debug, Serialize)]
struct Order {
    order_id: u32,
    status: &'static str,
    item: Item,
}

#[derive(Debug)]
enum ApiError {
    NotFound(u32),
    Upstream(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound(id) => (StatusCode::NOT_FOUND, format!("no item {id}")),
            ApiError::Upstream(message) => {
                eprintln!("service-a: upstream error: {message}");
                (StatusCode::BAD_GATEWAY, message)
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

impl From<reqwest::Error> for ApiError {
    fn from(err: reqwest::Error) -> Self {
        ApiError::Upstream(format!("service-b: {err}"))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let addr = env::var("SERVICE_A_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let b_url = env::var("SERVICE_B_URL").unwrap_or_else(|_| DEFAULT_B_URL.to_owned());
    let state = AppState {
        client: reqwest::Client::builder().timeout(Duration::from_secs(5)).build()?,
        b_url: b_url.trim_end_matches('/').to_owned(),
    };

    let app = Router::new()
        .route("/hello", get(hello))
        .route("/orders/{id}", get(order))
        .route("/fail", get(fail))
        .with_state(state);

    let listener = TcpListener::bind(&addr).await?;
    println!("service-a listening on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn hello() -> &'static str {
    "hello"
}

async fn order(State(state): State<AppState>, Path(id): Path<u32>) -> Result<Json<Order>, ApiError> {
    let url = format!("{}/inventory/{id}", state.b_url);
    let response = state.client.get(url).send().await?;
    match response.status() {
        StatusCode::NOT_FOUND => Err(ApiError::NotFound(id)),
        status if !status.is_success() => Err(ApiError::Upstream(format!("service-b answered {status} for item {id}"))),
        _ => {
            let item: Item = response.json().await?;
            let status = if item.stock > 0 { "confirmed" } else { "backordered" };
            Ok(Json(Order { order_id: id, status, item }))
        }
    }
}

async fn fail(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    let url = format!("{}/fail", state.b_url);
    let status = state.client.get(url).send().await?.status();
    if status.is_server_error() {
        Err(ApiError::Upstream(format!("service-b answered {status}")))
    } else {
        Ok("service-b did not fail")
    }
}

/// Resolves on ctrl-c or SIGTERM, so `main` returns and the process exits normally.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            eprintln!("service-a: cannot listen for ctrl-c: {err}");
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
                eprintln!("service-a: cannot listen for SIGTERM: {err}");
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
    eprintln!("service-a: shutting down");
}
