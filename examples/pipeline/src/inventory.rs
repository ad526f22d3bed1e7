//! The `Inventory` gRPC service: stock levels in memory, `Reserve` (unary; publishes the
//! reservation to NATS when `events` is set) and `Watch` (server streaming).

use crate::events::Events;
use crate::proto::inventory_server::{Inventory, InventoryServer};
use crate::proto::{ReserveReply, ReserveRequest, StockLevel, WatchRequest};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// Stock by sku.
#[derive(Clone)]
pub struct Stock(Arc<Mutex<HashMap<String, u32>>>);

impl Stock {
    /// The demo stock: `apple` 1000, `pear` 5, `bench` effectively unlimited.
    pub fn demo() -> Stock {
        let items = [("apple", 1000), ("pear", 5), ("bench", u32::MAX)];
        Stock(Arc::new(Mutex::new(items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())))
    }

    fn available(&self, sku: &str) -> Result<u32, Status> {
        let items = self.0.lock().unwrap_or_else(|e| e.into_inner());
        items.get(sku).copied().ok_or_else(|| Status::not_found(format!("unknown sku {sku}")))
    }

    /// Take `quantity` of `sku`: the units left.
    pub fn take(&self, sku: &str, quantity: u32) -> Result<u32, Status> {
        let mut items = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let left = items.get_mut(sku).ok_or_else(|| Status::not_found(format!("unknown sku {sku}")))?;
        if *left < quantity {
            return Err(Status::failed_precondition(format!("only {left} of {sku} left")));
        }
        *left -= quantity;
        Ok(*left)
    }
}

pub struct Service {
    pub stock: Stock,
    /// Where reservations are published; `None`: not published.
    pub events: Option<Events>,
}

type Levels = Pin<Box<dyn Stream<Item = Result<StockLevel, Status>> + Send>>;

#[tonic::async_trait]
impl Inventory for Service {
    async fn reserve(&self, request: Request<ReserveRequest>) -> Result<Response<ReserveReply>, Status> {
        let ReserveRequest { sku, quantity } = request.into_inner();
        let remaining = self.stock.take(&sku, quantity.max(1))?;
        if let Some(events) = &self.events {
            // The unit is reserved either way: a lost event is logged, not the caller's error.
            if let Err(e) = events.reserved(&sku, remaining).await {
                eprintln!("inventory: reservation of {sku} not published: {e}");
            }
        }
        Ok(Response::new(ReserveReply { sku, remaining }))
    }

    type WatchStream = Levels;

    async fn watch(&self, request: Request<WatchRequest>) -> Result<Response<Levels>, Status> {
        let WatchRequest { sku, updates } = request.into_inner();
        let available = self.stock.available(&sku)?;
        let levels = (1..=updates.clamp(1, 100)).map(move |seq| Ok(StockLevel { sku: sku.clone(), available, seq }));
        Ok(Response::new(Box::pin(tokio_stream::iter(levels))))
    }
}

/// Serve `service` on `listener` until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Service,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(InventoryServer::new(service))
        .serve_with_incoming_shutdown(tokio_stream::wrappers::TcpListenerStream::new(listener), stop)
        .await
}
