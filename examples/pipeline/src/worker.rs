//! The worker: subscribes to the reservation subject and processes each event (prints
//! `processed <sku> <remaining>`), until the subscription ends or `stop` resolves.

use async_nats::{Client, Subscriber};
use serde_json::Value;
use tokio_stream::StreamExt;

/// Subscribe to `subject` and return once the server routes it: `flush` only empties the
/// client's socket buffer, so the worker sends itself a message on a private inbox subscribed
/// after `subject` and waits for it (the server handles one connection's operations in
/// order). A publish on `subject` from any other connection after this returns reaches the
/// worker.
pub async fn subscribe(client: &Client, subject: &str) -> Result<Subscriber, async_nats::Error> {
    let subscriber = client.subscribe(subject.to_owned()).await?;
    let probe = client.new_inbox();
    let mut echo = client.subscribe(probe.clone()).await?;
    client.publish(probe, "ready".into()).await?;
    echo.next().await.ok_or("the probe subscription ended")?;
    Ok(subscriber)
}

/// Process each message of `subscriber` until it ends or `stop` resolves.
pub async fn process(mut subscriber: Subscriber, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let message = tokio::select! {
            message = subscriber.next() => message,
            () = &mut stop => break,
        };
        let Some(message) = message else { break };
        match serde_json::from_slice::<Value>(&message.payload) {
            Ok(event) => println!("processed {} {}", event["sku"].as_str().unwrap_or("?"), event["remaining"]),
            Err(e) => eprintln!("worker: skipping a message on {}: {e}", message.subject),
        }
    }
    // Unsubscribes; asking for no further message is when the last one is done.
    drop(subscriber);
}
