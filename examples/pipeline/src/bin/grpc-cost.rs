//! `grpc-cost N`: an inventory server and a tonic client in one process, N unary `Reserve`
//! calls over loopback, for scripts/instructions-grpc.sh (which runs it under callgrind woven
//! and plain at two values of N and divides the difference: instructions per call, without
//! start-up and connection cost).

use pipeline::inventory::{serve, Service, Stock};
use pipeline::proto::inventory_client::InventoryClient;
use pipeline::proto::ReserveRequest;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::args().nth(1).as_deref().unwrap_or("100").parse()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve(listener, Service { stock: Stock::demo(), events: None }, std::future::pending()));
    let mut client = InventoryClient::connect(url).await?;
    let mut left = 0;
    // One call before the measured ones: the connection and buffers are warm.
    for _ in 0..=n {
        left = client.reserve(ReserveRequest { sku: "bench".into(), quantity: 1 }).await?.into_inner().remaining;
    }
    println!("{left}");
    Ok(())
}
