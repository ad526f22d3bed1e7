//! The HTTP gateway: `POST /orders/{sku}` reserves one unit (`Reserve`), `GET /stock/{sku}`
//! collects three stock levels (`Watch`).

use crate::proto::inventory_client::InventoryClient;
use crate::proto::{ReserveRequest, WatchRequest};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tonic::transport::Channel;

type Reply = (StatusCode, Json<Value>);

/// The gateway's routes, calling inventory at `inventory_url` (connected lazily: the first
/// request connects).
pub fn router(inventory_url: &str) -> Result<Router, Box<dyn std::error::Error>> {
    let channel = Channel::from_shared(inventory_url.to_owned())?.connect_lazy();
    Ok(Router::new()
        .route("/orders/{sku}", post(order))
        .route("/stock/{sku}", get(stock))
        .with_state(InventoryClient::new(channel)))
}

fn failure(status: tonic::Status) -> Reply {
    let code = match status.code() {
        tonic::Code::NotFound => StatusCode::NOT_FOUND,
        tonic::Code::FailedPrecondition => StatusCode::CONFLICT,
        _ => StatusCode::BAD_GATEWAY,
    };
    (code, Json(json!({ "error": status.message() })))
}

async fn order(State(mut client): State<InventoryClient<Channel>>, Path(sku): Path<String>) -> Reply {
    match client.reserve(ReserveRequest { sku, quantity: 1 }).await {
        Ok(reply) => {
            let reply = reply.into_inner();
            (StatusCode::OK, Json(json!({ "sku": reply.sku, "remaining": reply.remaining })))
        }
        Err(status) => failure(status),
    }
}

async fn stock(State(mut client): State<InventoryClient<Channel>>, Path(sku): Path<String>) -> Reply {
    let mut levels = match client.watch(WatchRequest { sku, updates: 3 }).await {
        Ok(levels) => levels.into_inner(),
        Err(status) => return failure(status),
    };
    let mut seen = Vec::new();
    loop {
        match levels.message().await {
            Ok(Some(level)) => seen.push(json!({ "seq": level.seq, "available": level.available })),
            Ok(None) => break,
            Err(status) => return failure(status),
        }
    }
    (StatusCode::OK, Json(json!({ "levels": seen })))
}
