//! `inventory`: the gRPC service on `INVENTORY_ADDR` (default 127.0.0.1:50051). Prints
//! `inventory listening on ADDR` once bound; stops on SIGINT/SIGTERM.

use pipeline::inventory::{serve, Stock};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(pipeline::env_or("INVENTORY_ADDR", "127.0.0.1:50051")).await?;
    println!("inventory listening on {}", listener.local_addr()?);
    serve(listener, Stock::demo(), pipeline::shutdown()).await?;
    Ok(())
}
