//! The Meta catalog push (issue #12 points 2–4): reads a tenant's durable queue of
//! product changes, plans each queued product against what was last pushed
//! (`logic::catalog_sync::plan`), sends the requests in `items_batch` calls of up to
//! `catalog.batch_max` under the hourly budget, follows each batch handle until Meta says
//! finished, and records every variant SYNCED or FAILED (with Meta's text) together with
//! the removal of the queue entries it handled, in one batch made durable. One pusher per
//! tenant at a time (the periodic loop visits tenants one after the other), so the
//! per-variant records and the push health have a single writer.
//!
//! Failures are loud and never a retry storm: a dead token (190) or a lost permission
//! (3, 10, 200–299) holds the queue with the cause in the catalog health until a new
//! token is set (re-linking the catalog); 80014 and transient failures back off (80014
//! until the next hour at least a minute); a batch Meta refuses whole fails its items
//! with the reason, also counted at the catalog level. A crash anywhere leaves the queue
//! entries in place: the next round sends them again (UPDATE with upsert and DELETE are
//! idempotent at Meta).

use super::catalog::CatalogLink;
use super::Context;
use crate::domain::catalog::Product;
use crate::domain::catalog_sync::{Hold, ItemSync, PushHealth, PushOutcome};
use crate::domain::{ShopifyId, Timestamp};
use crate::integrations::meta::error::{backoff_cap_ms, classify, Action, MetaError};
use crate::logic::catalog_sync::plan::{plan, Plan, Planned};
use crate::logic::catalog_sync::ItemRequest;
use crate::store::catalog_push::Queued;
use crate::store::{Batch, Kind, StoreError};
use std::collections::HashMap;
use std::time::Duration;

/// Why a round could not run.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The catalog token could not be opened.
    #[error("opening the catalog token: {0}")]
    Token(String),
}

/// How a round ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Round {
    /// No catalog connected, or nothing queued.
    Idle,
    /// Requests sent and recorded (how many, accepted, refused).
    Pushed {
        /// Requests sent.
        sent: usize,
        /// Refused by Meta or our checks.
        refused: usize,
        /// The queue held more than one call takes: the drain goes on at once.
        more: bool,
    },
    /// Waiting: the hourly budget is spent, or a backoff runs.
    Waiting,
    /// Held until a new token: the cause is in the health.
    Held,
}

/// A short fingerprint of the sealed token (a hold names the token that failed).
fn link_hash(token: &[u8]) -> u64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(token);
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// The record of a variant whose push failed.
fn failed(now: i64, error: String, at_meta: bool) -> ItemSync {
    ItemSync {
        outcome: PushOutcome::Failed,
        at_ms: now,
        hash: 0,
        error: Some(error),
        at_meta,
    }
}

fn save_health(b: &mut Batch, shop: &str, h: &PushHealth) -> Result<(), StoreError> {
    b.put(shop, Kind::CatalogHealth, 0, h)
}

/// What is queued for `shop`, pushed in rounds while a round leaves a full batch behind
/// (a queue longer than one call), until a round waits or holds. Changes that arrive
/// while a round is on its way wait for the next period: that wait is what coalesces a
/// burst, so a burst costs at most one call per period (plus one per full batch).
/// Returns the last round.
///
/// # Errors
/// [`PushError`].
pub async fn drain(ctx: &Context, shop: &str) -> Result<Round, PushError> {
    let mut last = Round::Idle;
    loop {
        match round(ctx, shop).await? {
            r @ Round::Pushed { more: true, .. } => last = r,
            Round::Idle => return Ok(last),
            other => return Ok(other),
        }
    }
}

/// One round: at most one `items_batch` call (see the module doc).
///
/// # Errors
/// [`PushError`].
pub async fn round(ctx: &Context, shop: &str) -> Result<Round, PushError> {
    let store = ctx.engine.store();
    let Some(link) = store.get::<CatalogLink>(shop, Kind::CatalogLink, 0)? else {
        return Ok(Round::Idle);
    };
    let mut health = store.push_health(shop)?;
    let token_hash = link_hash(&link.token);
    if let Some(hold) = &health.hold {
        if hold.token == token_hash {
            return Ok(Round::Held);
        }
        tracing::info!(
            message = "A new catalog token: the held catalog queue resumes.",
            shop
        );
        health.hold = None;
        health.failures = 0;
        health.retry_after_ms = 0;
    }
    let now = Timestamp::now().millis();
    if now < health.retry_after_ms {
        return Ok(Round::Waiting);
    }
    let hour = now.div_euclid(3_600_000);
    if health.hour != hour {
        health.hour = hour;
        health.calls_in_hour = 0;
    }
    let budget = ctx.catalog.calls_per_hour.max(1);
    let limit = ctx.catalog.batch_max.max(1);
    let queued = store.queued_pushes(shop, limit)?;
    if queued.is_empty() {
        return Ok(Round::Idle);
    }
    // A full read may have left products behind; so does a batch cut short below.
    let mut more = queued.len() >= limit;
    let facts = link.facts(shop);
    let max = ctx
        .catalog
        .batch_max
        .clamp(1, crate::logic::catalog_sync::BATCH_MAX);
    let mut b = Batch::new();
    let mut taken: Vec<(Queued, HashMap<ShopifyId, ItemSync>)> = Vec::new();
    let mut sends: Vec<(ShopifyId, Planned)> = Vec::new();
    let mut refused = 0usize;
    for q in queued {
        let product: Option<Product> = store.get(shop, Kind::Product, q.product)?;
        let excluded = store.catalog_excluded(shop, q.product)?;
        let known = store.item_syncs(shop, q.product)?;
        let sizes: Vec<crate::domain::catalog_sync::ImageSize> = store
            .get(shop, Kind::ImageSizes, q.product)?
            .unwrap_or_default();
        let Plan {
            send,
            invalid,
            forget,
        } = plan(
            &facts,
            product.as_ref(),
            excluded,
            &known,
            q.forced(),
            &sizes,
        );
        if !sends.is_empty() && sends.len() + send.len() > max {
            more = true;
            break;
        }
        if !send.is_empty() && health.calls_in_hour >= budget {
            // The budget is spent: what needs no call is still recorded below.
            break;
        }
        let known: HashMap<ShopifyId, ItemSync> = known.into_iter().collect();
        for (v, problem) in invalid {
            refused += 1;
            *health.errors.entry(problem.kind().into()).or_default() += 1;
            b.put_item_sync(shop, q.product, v, &failed(now, problem.to_string(), false))?;
        }
        for v in forget {
            b.remove_item_sync(shop, q.product, v);
        }
        sends.extend(send.into_iter().map(|p| (q.product, p)));
        taken.push((q, known));
    }
    if sends.is_empty() {
        if taken.is_empty() {
            health.retry_after_ms = (hour + 1) * 3_600_000;
            let mut b = Batch::new();
            save_health(&mut b, shop, &health)?;
            store.commit(b)?;
            return Ok(Round::Waiting);
        }
        for (q, _) in &taken {
            b.unqueue_push(shop, q);
        }
        health.refused += refused as u64;
        save_health(&mut b, shop, &health)?;
        store.commit(b)?;
        store.durable().await?;
        return Ok(Round::Pushed {
            sent: 0,
            refused,
            more,
        });
    }
    let token = ctx
        .master_key
        .open(
            &crate::secrets::seal_context(shop, "meta_catalog_token"),
            &link.token,
        )
        .map_err(|e| PushError::Token(e.to_string()))
        .and_then(|t| String::from_utf8(t).map_err(|e| PushError::Token(e.to_string())))?;
    let wire: Vec<serde_json::Value> = sends.iter().filter_map(|(_, p)| p.request.wire()).collect();
    health.calls += 1;
    health.calls_in_hour += 1;
    let answer = ctx.meta.items_batch(&token, &link.catalog_id, &wire).await;
    let mut messages: HashMap<String, Vec<String>> = HashMap::new();
    match answer {
        Err(e) => return failed_call(ctx, shop, health, e, token_hash, &sends, &taken).await,
        Ok(a) => {
            for v in a.validation_status {
                if !v.errors.is_empty() {
                    messages.insert(
                        v.retailer_id,
                        v.errors.into_iter().map(|m| m.message).collect(),
                    );
                }
            }
            if let Some(handle) = a.handles.first() {
                match follow(ctx, &token, &link.catalog_id, handle).await {
                    Ok(Some(st)) => {
                        for id in st.ids_of_invalid_requests {
                            let text: Vec<String> = st
                                .errors
                                .iter()
                                .filter(|e| e.id.as_deref() == Some(&id))
                                .map(|e| e.message.clone())
                                .collect();
                            let entry = messages.entry(id).or_default();
                            if entry.is_empty() {
                                entry.extend(text);
                            }
                            if entry.is_empty() {
                                entry.push("Meta refused the item (no reason given)".into());
                            }
                        }
                    }
                    Ok(None) => {
                        // Not finished in time: the queue stays, the round is sent again.
                        tracing::warn!(message = "A catalog batch did not finish in time; its changes will be sent again.", shop, handle = %handle);
                        let mut b = Batch::new();
                        save_health(&mut b, shop, &health)?;
                        store.commit(b)?;
                        return Ok(Round::Waiting);
                    }
                    Err(e) => {
                        return failed_call(ctx, shop, health, e, token_hash, &sends, &taken).await
                    }
                }
            }
        }
    }
    let sent = sends.len();
    let mut accepted = 0u64;
    for (product, p) in &sends {
        let id = p.request.id();
        let previous = taken
            .iter()
            .find(|(q, _)| q.product == *product)
            .and_then(|(_, k)| k.get(&p.variant));
        if let Some(text) = messages.get(id) {
            refused += 1;
            for m in text {
                *health.errors.entry(error_type(m)).or_default() += 1;
            }
            b.put_item_sync(
                shop,
                *product,
                p.variant,
                &failed(now, text.join("; "), previous.is_some_and(|s| s.at_meta)),
            )?;
            continue;
        }
        accepted += 1;
        match (&p.request, &p.invalid) {
            (ItemRequest::Delete { .. }, None) => b.remove_item_sync(shop, *product, p.variant),
            (ItemRequest::Delete { .. }, Some(problem)) => {
                refused += 1;
                *health.errors.entry(problem.kind().into()).or_default() += 1;
                b.put_item_sync(
                    shop,
                    *product,
                    p.variant,
                    &failed(now, problem.to_string(), false),
                )?
            }
            _ => b.put_item_sync(
                shop,
                *product,
                p.variant,
                &ItemSync {
                    outcome: PushOutcome::Synced,
                    at_ms: now,
                    hash: p.hash,
                    error: None,
                    at_meta: true,
                },
            )?,
        }
    }
    for (q, _) in &taken {
        b.unqueue_push(shop, q);
    }
    health.accepted += accepted;
    health.refused += refused as u64;
    health.failures = 0;
    if accepted > 0 {
        health.last_success_ms = Some(now);
    }
    save_health(&mut b, shop, &health)?;
    store.commit(b)?;
    store.durable().await?;
    metrics::counter!("galantis_catalog_items_pushed_total").increment(accepted);
    metrics::counter!("galantis_catalog_items_refused_total").increment(refused as u64);
    tracing::info!(
        message = "Catalog batch pushed.",
        shop,
        sent,
        accepted,
        refused
    );
    Ok(Round::Pushed {
        sent,
        refused,
        more,
    })
}

/// A refusal's type for the health: Meta's text up to the first `:` or `(`, at most 80
/// characters (`price: …` and `price (…)` count together).
fn error_type(message: &str) -> String {
    let cut = message
        .find([':', '('])
        .map(|i| &message[..i])
        .unwrap_or(message)
        .trim();
    let cut: String = if cut.is_empty() { message } else { cut }
        .chars()
        .take(80)
        .collect();
    format!("item: {cut}")
}

/// Polls a handle until finished; `Ok(None)` when it did not finish within
/// `catalog.status_wait_ms`.
async fn follow(
    ctx: &Context,
    token: &str,
    catalog: &str,
    handle: &str,
) -> Result<Option<crate::integrations::meta::client::BatchStatus>, MetaError> {
    let poll = Duration::from_millis(ctx.catalog.status_poll_ms.max(1));
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ctx.catalog.status_wait_ms);
    loop {
        let st = ctx.meta.batch_status(token, catalog, handle).await?;
        if st.status.eq_ignore_ascii_case("finished") {
            return Ok(Some(st));
        }
        if tokio::time::Instant::now() + poll > deadline {
            return Ok(None);
        }
        tokio::time::sleep(poll).await;
    }
}

/// A failed call: hold (token, permission), back off (80014, transient) or fail the
/// batch's items with the reason (a refusal of the whole batch).
async fn failed_call(
    ctx: &Context,
    shop: &str,
    mut health: PushHealth,
    e: MetaError,
    token_hash: u64,
    sends: &[(ShopifyId, Planned)],
    taken: &[(Queued, HashMap<ShopifyId, ItemSync>)],
) -> Result<Round, PushError> {
    let store = ctx.engine.store();
    let now = Timestamp::now().millis();
    let code = e.code().unwrap_or(0);
    let text = e.to_string();
    *health
        .errors
        .entry(format!("call: {}", call_type(&e)))
        .or_default() += 1;
    health.last_error = Some((code, text.clone()));
    let mut b = Batch::new();
    let action = classify(&e);
    let round = if action == Action::TokenDead || matches!(code, 3 | 10 | 200..=299) {
        tracing::error!(message = "The Meta catalog refused the token; the catalog queue is held until a new token is set.", shop, code, error = %text);
        health.hold = Some(Hold {
            code,
            cause: text,
            since_ms: now,
            token: token_hash,
        });
        Round::Held
    } else if action == Action::RetryBackoff {
        health.failures = health.failures.saturating_add(1);
        let mut wait = backoff_cap_ms(health.failures, 1_000, 3_600_000) as i64;
        if code == 80014 {
            let next_hour = (now.div_euclid(3_600_000) + 1) * 3_600_000 - now;
            wait = wait.max(60_000).min(next_hour.max(60_000));
        }
        health.retry_after_ms = now + wait;
        tracing::warn!(message = "A catalog push failed; it is retried later.", shop, code, wait_ms = wait, error = %text);
        Round::Waiting
    } else {
        tracing::error!(message = "Meta refused a whole catalog batch; its items are FAILED.", shop, code, error = %text);
        let mut refused = 0;
        for (product, p) in sends {
            refused += 1;
            let previous = taken
                .iter()
                .find(|(q, _)| q.product == *product)
                .and_then(|(_, k)| k.get(&p.variant));
            b.put_item_sync(
                shop,
                *product,
                p.variant,
                &failed(now, text.clone(), previous.is_some_and(|s| s.at_meta)),
            )?;
        }
        for (q, _) in taken {
            b.unqueue_push(shop, q);
        }
        health.refused += refused as u64;
        // The rest of the queue waits for the next period after a refused batch.
        Round::Pushed {
            sent: sends.len(),
            refused,
            more: false,
        }
    };
    save_health(&mut b, shop, &health)?;
    store.commit(b)?;
    store.durable().await?;
    Ok(round)
}

fn call_type(e: &MetaError) -> String {
    match e.code() {
        Some(c) => format!("code {c}"),
        None if e.is_transport() => "transport".into(),
        None => "http".into(),
    }
}
