//! Reservation events on NATS: after a successful `Reserve` the inventory publishes
//! `{"sku": …, "remaining": …}` on `NATS_SUBJECT` (default `inventory.reserved`) for the
//! worker (`worker.rs`). Off when `NATS_URL` is unset: the inventory then publishes nothing.

use serde_json::json;

/// The subject reservations are published on unless `NATS_SUBJECT` says otherwise.
pub const SUBJECT: &str = "inventory.reserved";

/// `NATS_SUBJECT`, else [`SUBJECT`].
pub fn subject() -> String {
    crate::env_or("NATS_SUBJECT", SUBJECT)
}

/// A connection to NATS and the subject reservations go to.
#[derive(Clone)]
pub struct Events {
    client: async_nats::Client,
    subject: String,
}

impl Events {
    /// Connect to `NATS_URL`; `None` when it is unset.
    pub async fn from_env() -> Result<Option<Events>, async_nats::ConnectError> {
        let Ok(url) = std::env::var("NATS_URL") else { return Ok(None) };
        let client = async_nats::connect(url).await?;
        Ok(Some(Events { client, subject: subject() }))
    }

    /// Publish one reservation and flush: the message has left the process when this returns.
    pub async fn reserved(&self, sku: &str, remaining: u32) -> Result<(), async_nats::Error> {
        let payload = json!({ "sku": sku, "remaining": remaining }).to_string();
        self.client.publish(self.subject.clone(), payload.into()).await?;
        self.client.flush().await?;
        Ok(())
    }
}
