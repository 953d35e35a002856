//! Pure state machines over domain types: apply a webhook to in-memory state and return
//! what changed (records to write, domain events to record). No I/O, no actors, no sled:
//! every function here is tested without a runtime.

pub mod analytics;
pub mod attribution;
pub mod automations;
pub mod back_in_stock;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod catalog_sync;
pub mod customers;
pub mod inbox;
pub mod links;
pub mod segments;
pub mod shopify;
pub mod source;
pub mod topic;
pub mod whatsapp;

pub use source::{MetaKind, Source};
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
    /// A stored record the rule needs could not be read. Not the payload's fault: when
    /// [`LookupError::transient`], the actor retries the delivery instead of dead-lettering it.
    #[error("a stored record it needs could not be read")]
    Lookup(#[from] LookupError),
}

/// A read through a [`customers::Lookup`] failed. Keeps the store's error as its source.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}reading a stored record failed", if *.transient { "transient: " } else { "" })]
pub struct LookupError {
    /// True when the same read may succeed later (an I/O error), false when it cannot (a
    /// record that does not decode).
    pub transient: bool,
    /// The underlying error.
    #[source]
    pub source: std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>,
}

impl LookupError {
    /// Wraps `source`.
    pub fn new(transient: bool, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            transient,
            source: std::sync::Arc::new(source),
        }
    }
}

impl PartialEq for LookupError {
    fn eq(&self, other: &Self) -> bool {
        self.transient == other.transient && self.source.to_string() == other.source.to_string()
    }
}

impl Eq for LookupError {}

impl ApplyError {
    /// True when applying again later may succeed (a transient read failure): such a
    /// delivery is retried, never dead-lettered as a poison payload.
    pub fn is_transient(&self) -> bool {
        matches!(self, ApplyError::Lookup(l) if l.transient)
    }
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
