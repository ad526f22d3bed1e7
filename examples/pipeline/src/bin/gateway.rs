//! `gateway`: the HTTP front on `GATEWAY_ADDR` (default 127.0.0.1:8080), calling inventory at
//! `INVENTORY_URL` (default http://127.0.0.1:50051). Prints `gateway listening on ADDR`
//! once bound; stops on SIGINT/SIGTERM.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = pipeline::gateway::router(&pipeline::env_or("INVENTORY_URL", "http://127.0.0.1:50051"))?;
    let listener = tokio::net::TcpListener::bind(pipeline::env_or("GATEWAY_ADDR", "127.0.0.1:8080")).await?;
    let stop = pipeline::shutdown(); // handlers in place before the address is announced
    println!("gateway listening on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(stop).await?;
    Ok(())
}
