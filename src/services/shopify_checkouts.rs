//! The abandoned-checkout poll: every `shopify.abandoned_checkout_poll_minutes` per
//! active tenant (and on demand), the real `abandonedCheckouts` query for open checkouts
//! updated since the last one seen (a durable mark; the first poll looks back six hours),
//! each turned into the `checkouts/update` delivery the webhooks bring
//! (`logic::shopify::import::checkout_delivery`) and journaled. The abandoned-checkout
//! trigger then sees one checkout whichever path brought it first: the automation engine
//! starts at most one run per checkout (its once-keys), and the customer logic applies a
//! version once (staleness by `updated_at`). Counted in
//! `galantis_shopify_polled_checkouts_total`.

use super::shopify_auth;
use super::shopify_import::ImportError;
use super::shopify_ingest::journal_rows;
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::ops;
use crate::logic::shopify::import::checkout_delivery;
use crate::store::{Batch, Kind};
use serde::Serialize;

/// What one poll did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Polled {
    /// Open abandoned checkouts Shopify reported since the mark.
    pub checked: u64,
    /// Of those, versions not seen before (journaled now).
    pub new: u64,
    /// The new mark.
    pub mark: String,
}

const CHECKOUTS: u64 = 2;
const FIRST_LOOKBACK_MS: i64 = 6 * 3_600_000;

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Polls `shop`'s abandoned checkouts now.
///
/// # Errors
/// [`ImportError`] (token, Shopify, store).
pub async fn poll(ctx: &Context, shop: &str) -> Result<Polled, ImportError> {
    let store = ctx.engine.store();
    let mut mark = store
        .get::<String>(shop, Kind::ReconcileMark, CHECKOUTS)?
        .unwrap_or_else(|| rfc3339(Timestamp::now().millis() - FIRST_LOOKBACK_MS));
    let since = mark.clone();
    let mut out = Polled::default();
    let mut after: Option<String> = None;
    loop {
        let token = shopify_auth::access_token(ctx, shop).await?;
        let (nodes, next) =
            ops::abandoned_checkouts(&ctx.shopify, shop, &token, &since, after.as_deref()).await?;
        let mut rows = Vec::new();
        for node in &nodes {
            out.checked += 1;
            if let Some(u) = node["updatedAt"].as_str() {
                if u > mark.as_str() {
                    mark = u.to_string();
                }
            }
            rows.extend(checkout_delivery(node));
        }
        out.new += journal_rows(ctx, shop, &mut rows).await? as u64;
        match next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    metrics::counter!("galantis_shopify_polled_checkouts_total").increment(out.new);
    let mut b = Batch::new();
    b.put(shop, Kind::ReconcileMark, CHECKOUTS, &mark)?;
    store.commit(b)?;
    store.durable().await?;
    out.mark = mark;
    Ok(out)
}
