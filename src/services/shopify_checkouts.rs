//! The abandoned-checkout poll: every `shopify.abandoned_checkout_poll_minutes` per
//! active tenant (and on demand), the real `abandonedCheckouts` query for open checkouts
//! updated since the last one seen (a durable mark per tenant; the first poll looks back
//! six hours), each turned into the `checkouts/update` delivery the webhooks bring
//! (`logic::shopify::import::checkout_delivery`) and journaled under the webhook id
//! `poll:checkout:<id>:<updatedAt>`. So the webhook path's rules hold unchanged: the
//! journal's dedupe drops a version polled twice, journaled deliveries survive a crash,
//! the customer logic applies a polled version only when it is newer than the stored one
//! (a webhook of the same time wins), and the automation engine starts at most one run
//! per checkout (its once-keys) whichever path brought it first.
//!
//! Why journal synthetic deliveries rather than call the trigger directly: one path means
//! one set of rules (staleness, tombstones of deleted checkouts and customers, consent,
//! once-per-checkout), and the journal makes the poll's work durable before the mark
//! moves.
//!
//! The query re-reads a short overlap before the mark (`updated_at:>'<mark − 2 min>'`):
//! `updatedAt` has one-second resolution and Shopify's search index lags a little, so a
//! checkout updated in the same second as the newest one seen, or indexed late, is not
//! skipped; what the overlap reads again is dropped by the dedupe (it is not counted as
//! new). The mark moves only after every page was journaled and made durable: a failure
//! or a restart mid-poll reads the same window again, never skips it.
//!
//! A refused token (401/403) turns the tenant's Shopify health red with Shopify's answer
//! (as webhook registration does); other failures turn it yellow, are logged by the
//! caller and retried at the next tick. New checkouts are counted in
//! `galantis_shopify_polled_checkouts_total`.

use super::shopify_auth::{self, AuthError};
use super::shopify_import::ImportError;
use super::shopify_ingest::journal_rows;
use super::Context;
use crate::domain::whatsapp::HealthState;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::ops;
use crate::logic::shopify::health::Outcome;
use crate::logic::shopify::import::checkout_delivery;
use crate::store::{Batch, Kind};
use serde::Serialize;

/// What one poll did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Polled {
    /// Open abandoned checkouts Shopify reported since the mark (with the overlap).
    pub checked: u64,
    /// Of those, versions not seen before (journaled now).
    pub new: u64,
    /// The new mark (the newest `updatedAt` seen).
    pub mark: String,
}

const CHECKOUTS: u64 = 2;
const FIRST_LOOKBACK_MS: i64 = 6 * 3_600_000;
/// Read again before the mark (see the module doc).
const OVERLAP_MS: i64 = 120_000;

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn millis(t: &str) -> Option<i64> {
    t.parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}

/// Polls `shop`'s abandoned checkouts now and records a refused token in its Shopify
/// health.
///
/// # Errors
/// [`ImportError`] (token, Shopify, store).
pub async fn poll(ctx: &Context, shop: &str) -> Result<Polled, ImportError> {
    let result = run(ctx, shop).await;
    let outcome = match &result {
        Ok(p) => Some(Outcome::Ok(format!(
            "abandoned checkouts polled ({} new since {})",
            p.new, p.mark
        ))),
        Err(e) if refused(e) => Some(Outcome::TokenRefused(e.to_string())),
        Err(e @ (ImportError::Shopify(_) | ImportError::Auth(AuthError::Shopify(_)))) => {
            Some(Outcome::Failed(format!("abandoned-checkout poll: {e}")))
        }
        Err(_) => None,
    };
    if let Some(outcome) = outcome {
        // A success only clears a red or yellow health: a poll every ten minutes does not
        // overwrite what registration reported.
        let green = crate::store::shopify::load_health(ctx.engine.store(), shop)?
            .is_some_and(|h| h.state == HealthState::Green);
        if !(green && matches!(outcome, Outcome::Ok(_))) {
            super::shopify_webhooks::record(ctx, shop, outcome)?;
        }
    }
    result
}

/// Whether Shopify refused the token (401/403), directly or while refreshing it.
fn refused(e: &ImportError) -> bool {
    match e {
        ImportError::Shopify(a) | ImportError::Auth(AuthError::Shopify(a)) => a.is_auth(),
        _ => false,
    }
}

async fn run(ctx: &Context, shop: &str) -> Result<Polled, ImportError> {
    let store = ctx.engine.store();
    let mut mark = store
        .get::<String>(shop, Kind::ReconcileMark, CHECKOUTS)?
        .unwrap_or_else(|| rfc3339(Timestamp::now().millis() - FIRST_LOOKBACK_MS));
    let since = millis(&mark).map_or_else(|| mark.clone(), |m| rfc3339(m - OVERLAP_MS));
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
                if millis(u) > millis(&mark) {
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
    if out.new > 0 {
        tracing::info!(
            message = "Abandoned-checkout poll found new checkouts.",
            shop,
            new = out.new,
            checked = out.checked
        );
    }
    out.mark = mark;
    Ok(out)
}
