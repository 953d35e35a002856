//! The actor tree: a root supervisor, one supervisor per tenant, and under each tenant the
//! customer, catalog, conversation and automation actors. [`Engine`] is the handle the
//! HTTP layer and the CLI use to reach them.

pub mod automations;
pub mod catalog;
mod children;
pub mod context;
pub mod conversations;
pub mod customers;
mod engine;
mod retry;
pub mod root;
pub mod tenant;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

pub use engine::{Engine, EngineError, RecoveryProgress, RecoveryReport};

use crate::domain::Timestamp;
use crate::store::{DeadLetter, JournalEntry, Store};
use std::sync::Arc;

/// A journaled webhook on its way to the actor that applies it.
#[derive(Clone, Debug)]
pub struct Delivered {
    /// Journal sequence.
    pub seq: u64,
    /// The webhook.
    pub entry: Arc<JournalEntry>,
}

/// Moves a journal entry to the dead letters with `reason` (used by actors when a payload
/// cannot be applied, and by supervisors when applying one panicked).
pub(crate) fn dead_letter(store: &Store, seq: u64, entry: &JournalEntry, reason: String) {
    metrics::counter!("galantis_webhooks_dead_lettered_total", "topic" => entry.topic.clone())
        .increment(1);
    tracing::warn!(
        message = "Webhook dead-lettered.",
        tenant = %entry.shop,
        topic = %entry.topic,
        webhook_id = %entry.webhook_id,
        seq,
        %reason
    );
    let letter = DeadLetter {
        id: seq,
        reason,
        failed_at: Timestamp::now(),
        entry: entry.clone(),
    };
    let mut batch = crate::store::Batch::new();
    let r = batch
        .dead_letter(&letter)
        .and_then(|()| store.commit(batch));
    if let Err(error) = r {
        tracing::error!(message = "Could not dead-letter a webhook.", %error, seq);
    }
}
