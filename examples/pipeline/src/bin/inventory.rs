//! `inventory`: the gRPC service on `INVENTORY_ADDR` (default 127.0.0.1:50051). Prints
//! `inventory listening on ADDR` once bound; stops on SIGINT/SIGTERM. With `NATS_URL` set it
//! connects to NATS first and publishes each reservation (see `pipeline::events`).

use pipeline::events::Events;
use pipeline::inventory::{serve, Service, Stock};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let events = Events::from_env().await?;
    let listener = tokio::net::TcpListener::bind(pipeline::env_or("INVENTORY_ADDR", "127.0.0.1:50051")).await?;
    let stop = pipeline::shutdown(); // handlers in place before the address is announced
    println!("inventory listening on {}", listener.local_addr()?);
    serve(listener, Service { stock: Stock::demo(), events }, stop).await?;
    Ok(())
}
