//! The actor tree: a root supervisor, one supervisor per tenant, and under each tenant the
//! customer, catalog, conversation, automation and back-in-stock actors. [`Engine`] is the handle the
//! HTTP layer and the CLI use to reach them.
//!
//! Also the helpers every child uses: `dead_letter`, `note_applied`, `events_of`,
//! `publish`, `tell_back_in_stock`. Actors must not import `services`, `http` or `app`: they are above.

pub mod automations;
pub mod back_in_stock;
pub mod campaigns;
pub mod catalog;
mod children;
pub mod context;
pub mod conversations;
pub mod customers;
mod engine;
mod retry;
pub mod root;
mod sibling;
pub mod tenant;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

pub use engine::{Engine, EngineError, FlowRequestError, RecoveryProgress, RecoveryReport};

use crate::domain::{DomainEvent, EventKind, Timestamp};
use crate::store::{DeadLetter, JournalEntry, Store};
use automations::AutomationsMsg;
pub use sibling::Sibling;
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
    metrics::counter!("galantis_webhooks_dead_lettered_total", "topic" => entry.source.as_str())
        .increment(1);
    tracing::warn!(
        message = "Webhook dead-lettered.",
        tenant = %entry.shop,
        topic = %entry.source,
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

/// A journaled Shopify webhook as the pure logic reads it (its topic parsed at the edge).
pub(crate) fn shopify_delivery(entry: &JournalEntry) -> crate::logic::Delivery<'_> {
    crate::logic::Delivery {
        topic: entry
            .source
            .topic()
            .unwrap_or(crate::logic::Topic::Unhandled),
        body: &entry.body,
        triggered_at: entry.triggered_at,
        received_at: entry.received_at,
    }
}

/// Stamps the events one change caused with their stream position and time.
/// Position = `seq` × 256 + index, where `seq` is the journal sequence of the webhook (stable
/// across replays, so recording is idempotent) or a fresh id for changes no webhook caused.
/// The index runs to 127; bit [`crate::domain::events::HISTORY`] is set for the events of
/// an imported row (`history`).
pub(crate) fn events_of(
    kinds: &[EventKind],
    seq: u64,
    at: Timestamp,
    history: bool,
) -> Vec<DomainEvent> {
    let mark = if history {
        crate::domain::events::HISTORY
    } else {
        0
    };
    kinds
        .iter()
        .enumerate()
        .map(|(i, k)| DomainEvent {
            seq: seq
                .saturating_mul(256)
                .saturating_add(i.min(127) as u64 | mark),
            occurred_at: at,
            kind: k.clone(),
        })
        .collect()
}

/// Whether a journaled delivery is a row of the initial import (its events are history).
pub(crate) fn is_history(entry: &JournalEntry) -> bool {
    crate::logic::shopify::import::is_history(&entry.webhook_id)
}

/// Logs and counts an applied delivery.
pub(crate) fn note_applied(shop: &str, d: &Delivered, ignored: Option<&str>) {
    let topic = d.entry.source.as_str();
    match ignored {
        Some(reason) => {
            metrics::counter!("galantis_webhooks_ignored_total", "topic" => topic).increment(1);
            tracing::info!(message = "Webhook ignored.", tenant = shop, topic = %d.entry.source, webhook_id = %d.entry.webhook_id, reason);
        }
        None => {
            metrics::counter!("galantis_webhooks_applied_total", "topic" => topic).increment(1);
            tracing::debug!(message = "Webhook applied.", tenant = shop, topic = %d.entry.source, webhook_id = %d.entry.webhook_id);
        }
    }
}

/// Hands recorded events to the tenant's automation actor. If it is restarting, they are
/// not lost: it catches up from the stored event stream at its start.
pub(crate) fn publish(automations: &Sibling<AutomationsMsg>, events: Vec<DomainEvent>) {
    if events.is_empty() {
        return;
    }
    let sent = automations
        .get()
        .map(|a| a.cast(AutomationsMsg::Recorded(events)));
    if !matches!(sent, Some(Ok(()))) {
        tracing::debug!(
            message =
                "Automation actor not running; it catches up from the stored events at its start."
        );
    }
}

/// Hands the catalog's recorded events to the tenant's back-in-stock actor (only the
/// catalog records `VariantRestocked`). If that actor is restarting they are not lost: it
/// reads the stored event stream at its start.
pub(crate) fn tell_back_in_stock(
    back_in_stock: &Sibling<back_in_stock::BackInStockMsg>,
    events: &[DomainEvent],
) {
    if events.is_empty() {
        return;
    }
    let sent = back_in_stock
        .get()
        .map(|a| a.cast(back_in_stock::BackInStockMsg::Recorded(events.to_vec())));
    if !matches!(sent, Some(Ok(()))) {
        tracing::debug!(message = "Back-in-stock actor not running; it catches up at its start.");
    }
}
