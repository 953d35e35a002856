//! Reconciliation: Shopify removes a webhook subscription after repeated delivery
//! failures, and a delivery can be lost, so each tenant's customers are re-read
//! periodically — `customers(query: "updated_at:>'<mark>'", sortKey: UPDATED_AT)` from
//! the newest change already seen — and every customer whose version is newer than the
//! stored contact (or who is missing) is applied through the same journal and logic as a
//! webhook. Each repair is counted (`galantis_shopify_reconciled_total{resource}`). The
//! first run only sets the mark (history is the import's job). The mark is durable per
//! tenant (`Kind::ReconcileMark`).
//!
//! Customers only so far; orders and products follow with their own queries.

use super::shopify_auth;
use super::shopify_import::ImportError;
use super::shopify_ingest::journal_rows;
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::ops;
use crate::logic::shopify::import::{customer_deliveries, gid_number};
use crate::store::{Batch, Kind};
use serde::Serialize;

/// What one reconciliation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reconciled {
    /// Customers Shopify reported changed since the mark.
    pub checked: u64,
    /// Of those, the ones our copy had missed (applied now).
    pub repaired: u64,
    /// The new mark (the newest `updatedAt` seen).
    pub mark: String,
}

const CUSTOMERS: u64 = 1;

/// Reconciles `shop`'s customers now.
///
/// # Errors
/// [`ImportError`] (token, Shopify, store).
pub async fn customers(ctx: &Context, shop: &str) -> Result<Reconciled, ImportError> {
    let store = ctx.engine.store();
    let Some(mut mark) = store.get::<String>(shop, Kind::ReconcileMark, CUSTOMERS)? else {
        let now = jiff::Timestamp::from_millisecond(Timestamp::now().millis())
            .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        save_mark(ctx, shop, &now).await?;
        return Ok(Reconciled {
            mark: now,
            ..Reconciled::default()
        });
    };
    let mut out = Reconciled::default();
    let since = mark.clone();
    let mut after: Option<String> = None;
    loop {
        let token = shopify_auth::access_token(ctx, shop).await?;
        let (nodes, next) =
            ops::customers_updated(&ctx.shopify, shop, &token, &since, after.as_deref()).await?;
        let mut rows = Vec::new();
        for node in &nodes {
            out.checked += 1;
            let updated = node["updatedAt"].as_str().unwrap_or_default().to_string();
            if updated > mark {
                mark.clone_from(&updated);
            }
            let Some(id) = node["id"].as_str().and_then(|g| gid_number(g, "Customer")) else {
                continue;
            };
            let stored = ctx.engine.contact_profile(shop, id).await.ok().flatten();
            let ours = stored.and_then(|p| p.contact.updated_at);
            let theirs = updated
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| Timestamp(t.as_millisecond()));
            let missed = match (ours, theirs) {
                (Some(o), Some(t)) => o < t,
                (None, _) => true,
                (Some(_), None) => false,
            };
            if missed {
                rows.extend(customer_deliveries("reconcile", node).unwrap_or_default());
                out.repaired += 1;
            }
        }
        journal_rows(ctx, shop, &mut rows).await?;
        match next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    metrics::counter!("galantis_shopify_reconciled_total", "resource" => "customers")
        .increment(out.repaired);
    save_mark(ctx, shop, &mark).await?;
    if out.repaired > 0 {
        tracing::info!(
            message = "Reconciliation repaired missed customer changes.",
            shop,
            repaired = out.repaired,
            checked = out.checked
        );
    }
    out.mark = mark;
    Ok(out)
}

async fn save_mark(ctx: &Context, shop: &str, mark: &str) -> Result<(), ImportError> {
    let mut b = Batch::new();
    b.put(shop, Kind::ReconcileMark, CUSTOMERS, &mark.to_string())?;
    let store = ctx.engine.store();
    store.commit(b)?;
    store.durable().await?;
    Ok(())
}
