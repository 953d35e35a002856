//! Records read from Shopify's Admin API (an import's rows, reconciliation's missed
//! versions, the abandoned-checkout poll) enter the engine exactly as webhooks do: each
//! delivery journaled under a stable webhook id (a repeat is dropped by the dedupe), on
//! disk before it is handed to the tenant's actors, with the journal's backlog bounded.

use super::shopify_import::ImportError;
use super::Context;
use crate::actors::Delivered;
use crate::domain::Timestamp;
use crate::logic::shopify::import::RowDelivery;
use crate::store::journal::{Accepted, JournalEntry};
use std::time::Duration;

/// Journal entries waiting to be applied above which a reader pauses.
const BACKLOG: usize = 2_000;

/// Journals `batch` like webhooks (durable before delivery), then waits while the
/// journal's backlog is large; how many were new (not already journaled).
pub async fn journal_rows(
    ctx: &Context,
    shop: &str,
    batch: &mut Vec<RowDelivery>,
) -> Result<usize, ImportError> {
    journal_rows_tracked(ctx, shop, batch, &mut None).await
}

/// Waits until the journal entry `seq` has been applied by its actor (an import that
/// others read from — products before orders — is done only once it is in state).
pub async fn wait_applied(ctx: &Context, seq: u64) {
    let store = ctx.engine.store();
    while store.is_pending(seq) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`journal_rows`], keeping in `last` the journal position of the newest new entry.
pub async fn journal_rows_tracked(
    ctx: &Context,
    shop: &str,
    batch: &mut Vec<RowDelivery>,
    last: &mut Option<u64>,
) -> Result<usize, ImportError> {
    let store = ctx.engine.store();
    let mut fresh = Vec::new();
    for d in batch.drain(..) {
        let entry = JournalEntry {
            shop: shop.to_string(),
            source: crate::logic::Topic::parse(d.topic).into(),
            webhook_id: d.webhook_id,
            api_version: "2026-04".into(),
            triggered_at: None,
            received_at: Timestamp::now(),
            body: bytes::Bytes::from(d.body.to_string()),
        };
        if let Accepted::New { seq, entry } = store.accept_webhook(entry)? {
            fresh.push(Delivered { seq, entry });
        }
    }
    store.ack_durable().await?;
    let new = fresh.len();
    if let Some(d) = fresh.last() {
        *last = Some(d.seq);
    }
    for d in fresh {
        ctx.engine.deliver(shop, d);
    }
    while store.pending_count() > BACKLOG {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(new)
}
