//! `worker`: processes the inventory's reservation events from NATS at `NATS_URL` (default
//! nats://127.0.0.1:4222) on `NATS_SUBJECT` (default inventory.reserved). Prints
//! `worker subscribed to SUBJECT` once the server routes the subscription, then
//! `processed SKU REMAINING` per event; stops on SIGINT/SIGTERM.

use pipeline::{events, worker};

#[tokio::main]
async fn main() -> Result<(), async_nats::Error> {
    let client = async_nats::connect(pipeline::env_or("NATS_URL", "nats://127.0.0.1:4222")).await?;
    let subject = events::subject();
    let subscriber = worker::subscribe(&client, &subject).await?;
    let stop = pipeline::shutdown(); // handlers in place before the address is announced
    println!("worker subscribed to {subject}");
    worker::process(subscriber, stop).await;
    Ok(())
}
