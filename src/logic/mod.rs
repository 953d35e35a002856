//! Pure state machines over domain types: apply a webhook to in-memory state and return
//! what changed (records to write, domain events to record). No I/O, no actors, no sled:
//! every function here is tested without a runtime.

pub mod catalog;
pub mod customers;
pub mod inbox;
pub mod topic;
pub mod whatsapp;

pub use topic::{Route, Topic};

use crate::domain::Timestamp;

/// One authenticated Shopify delivery, as the tenant's actors see it.
#[derive(Clone, Copy, Debug)]
pub struct Delivery<'a> {
    /// The topic (from `X-Shopify-Topic`).
    pub topic: Topic,
    /// The raw JSON body.
    pub body: &'a [u8],
    /// `X-Shopify-Triggered-At`, when present: the tie-breaker and the time of payloads
    /// that carry none of their own (deletes, tags, consent without a timestamp).
    pub triggered_at: Option<Timestamp>,
    /// When we accepted the webhook.
    pub received_at: Timestamp,
}

impl Delivery<'_> {
    /// The best time we know for this delivery when the payload has none.
    pub fn fallback_time(&self) -> Timestamp {
        self.triggered_at.unwrap_or(self.received_at)
    }
}

/// Why an authentic delivery could not be applied. It goes to the dead-letter store with
/// this reason and can be replayed after a fix.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ApplyError {
    /// The body is not JSON, or not the shape the topic has.
    #[error("payload for `{topic}` does not parse: {reason}")]
    Malformed { topic: String, reason: String },
    /// The body parsed but a field the engine needs is missing or invalid.
    #[error("payload for `{topic}` is invalid: {reason}")]
    Invalid { topic: String, reason: String },
}

impl ApplyError {
    /// A parse failure of `body` for `topic`.
    pub fn malformed(topic: Topic, err: impl std::fmt::Display) -> Self {
        ApplyError::Malformed {
            topic: topic.as_str().to_string(),
            reason: err.to_string(),
        }
    }

    /// A semantic failure (missing id …) for `topic`.
    pub fn invalid(topic: Topic, reason: impl Into<String>) -> Self {
        ApplyError::Invalid {
            topic: topic.as_str().to_string(),
            reason: reason.into(),
        }
    }
}
