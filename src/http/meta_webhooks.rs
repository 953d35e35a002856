//! `GET /webhooks/meta` answers Meta's verify challenge; `POST /webhooks/meta` checks
//! `X-Hub-Signature-256` over the raw bytes (401, nothing stored), parses the delivery into
//! events, routes each by `phone_number_id` (or WABA id) to its tenant, dedupes it on its
//! event key (a message id, a (message id, status) pair …), journals it, and answers 200
//! only once everything is on disk. Events for numbers no tenant owns are counted and
//! skipped: Meta would retry them for a week otherwise.
//!
//! A body with a valid signature that does not parse is never dropped: when it names a
//! number or account of a tenant (read leniently from the raw JSON), it is journaled whole
//! for that tenant (topic `meta/delivery`, deduplicated on its SHA-256), acknowledged, and
//! becomes that tenant's dead letter with the parser's reason, listed and replayable like a
//! Shopify one. Only a body that names no tenant gets a 400 naming the problem (nothing to
//! file it under; Meta redelivers it for 7 days).

use super::{error::ApiError, AppState};
use crate::actors::Delivered;
use crate::domain::Timestamp;
use crate::integrations::meta::webhook::{self, MetaEvent};
use crate::logic::{MetaKind, Source};
use crate::store::tenants::TenantStatus;
use crate::store::{Accepted, JournalEntry};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The query of Meta's verification request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Challenge {
    /// `subscribe`.
    #[serde(rename = "hub.mode")]
    pub mode: Option<String>,
    /// Our verify token.
    #[serde(rename = "hub.verify_token")]
    pub verify_token: Option<String>,
    /// To echo back.
    #[serde(rename = "hub.challenge")]
    pub challenge: Option<String>,
}

/// Answers the verify challenge.
#[utoipa::path(get, path = "/webhooks/meta", tag = "webhooks", params(Challenge),
    responses((status = 200, description = "the challenge, as text"), (status = 403, body = super::error::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Query(q): Query<Challenge>,
) -> Result<String, ApiError> {
    webhook::verify_challenge(
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
        &state.meta_verify_token,
    )
    .map_err(|e| ApiError::Forbidden(e.to_string()))
}

/// The answer to a Meta delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MetaAck {
    /// New events journaled.
    pub accepted: usize,
    /// Events seen before.
    pub duplicates: usize,
    /// Events for numbers or accounts no tenant owns.
    pub unrouted: usize,
    /// Deliveries that did not parse, kept whole as their tenant's dead letter.
    pub unparsed: usize,
}

fn route(
    state: &AppState,
    e: &MetaEvent,
    cache: &mut HashMap<String, Option<String>>,
) -> Result<Option<String>, ApiError> {
    let store = state.engine.store();
    let key = match (e.phone_number_id(), e) {
        (Some(p), _) => format!("p:{p}"),
        (None, MetaEvent::AccountUpdate(a)) => format!("w:{}", a.routing_waba_id()),
        (None, _) => format!("w:{}", e.waba_id()),
    };
    if let Some(hit) = cache.get(&key) {
        return Ok(hit.clone());
    }
    let shop = match (e.phone_number_id(), e) {
        (Some(p), _) => store.shop_for_phone_number(p)?,
        // Some account updates come under the partner's entry id; route by the WABA.
        (None, MetaEvent::AccountUpdate(a)) => store.shop_for_waba(a.routing_waba_id())?,
        (None, _) => store.shop_for_waba(e.waba_id())?,
    };
    cache.insert(key, shop.clone());
    Ok(shop)
}

/// Receives a Meta webhook.
#[utoipa::path(post, path = "/webhooks/meta", tag = "webhooks",
    request_body(content = String, description = "The raw JSON body as Meta sent it", content_type = "application/json"),
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the body under the app secret>")),
    responses((status = 200, body = MetaAck), (status = 400, body = super::error::ErrorBody),
              (status = 401, body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody),
              (status = 503, body = super::error::ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<MetaAck>), ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.max_body_bytes)
        } else {
            ApiError::bad_request("unreadable_body", r.body_text())
        }
    })?;
    let sig = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "missing_signature",
                "header `X-Hub-Signature-256` is required",
            )
        })?;
    if !webhook::verify_signature(state.meta_app_secret.as_bytes(), &body, sig) {
        metrics::counter!("galantis_meta_webhooks_total", "outcome" => "unauthorized").increment(1);
        return Err(ApiError::unauthorized(
            "invalid_signature",
            "X-Hub-Signature-256 does not match the body under the app secret",
        ));
    }
    if !state.engine.is_ready() {
        return Err(ApiError::Unavailable(
            "recovering after a restart; retry shortly".into(),
        ));
    }
    let events = match webhook::parse(&body) {
        Ok(events) => events,
        Err(e) => return keep_unparsed(&state, body, e).await,
    };
    let store = state.engine.store();
    let now = Timestamp::now();
    let mut cache = HashMap::new();
    let mut ack = MetaAck {
        accepted: 0,
        duplicates: 0,
        unrouted: 0,
        unparsed: 0,
    };
    let mut fresh = Vec::new();
    for e in events {
        if matches!(e, MetaEvent::Unhandled(_)) {
            continue;
        }
        let Some(shop) = route(&state, &e, &mut cache)? else {
            ack.unrouted += 1;
            tracing::warn!(message = "Meta event for a number or account no tenant owns; skipped.", kind = e.kind(), waba_id = e.waba_id(), phone_number_id = ?e.phone_number_id());
            continue;
        };
        if store
            .tenant_status(&shop)?
            .is_none_or(|s| s == TenantStatus::Redacted)
        {
            ack.unrouted += 1;
            continue;
        }
        // Inbound messages dedupe on wamid *and* type: a redelivery repeats both, while
        // Meta's own documentation examples reuse one wamid across text, image, reaction
        // and contacts messages, which must not swallow each other.
        let webhook_id = match &e {
            MetaEvent::InboundMessage(m) => format!("{}:{}", e.dedupe_key(), m.content.type_name()),
            _ => e.dedupe_key(),
        };
        let entry = JournalEntry {
            shop: shop.clone(),
            source: Source::Meta(e.source_kind()),
            webhook_id,
            api_version: state.graph_version.to_string(),
            triggered_at: None,
            received_at: now,
            body: serde_json::to_vec(&e).map_err(ApiError::internal)?.into(),
        };
        match store.accept_webhook(entry)? {
            Accepted::New { seq, entry } => {
                ack.accepted += 1;
                fresh.push(Delivered { seq, entry });
            }
            Accepted::Duplicate => ack.duplicates += 1,
        }
    }
    store.ack_durable().await?;
    for d in fresh {
        let shop = d.entry.shop.clone();
        state.engine.deliver(&shop, d);
    }
    metrics::counter!("galantis_meta_webhooks_total", "outcome" => "accepted").increment(1);
    Ok((StatusCode::OK, Json(ack)))
}

/// The tenant an unparseable delivery names, if any (active or uninstalled, not redacted).
fn shop_of_hints(state: &AppState, body: &[u8]) -> Result<Option<String>, ApiError> {
    let store = state.engine.store();
    for hint in webhook::routing_hints(body) {
        let shop = match &hint {
            webhook::RouteHint::PhoneNumber(p) => store.shop_for_phone_number(p)?,
            webhook::RouteHint::Waba(w) => store.shop_for_waba(w)?,
        };
        if let Some(shop) = shop {
            if store
                .tenant_status(&shop)?
                .is_some_and(|s| s != TenantStatus::Redacted)
            {
                return Ok(Some(shop));
            }
        }
    }
    Ok(None)
}

/// Journals an authentic delivery that did not parse, whole, for the tenant it names; the
/// conversation actor dead-letters it with `error` (see the module doc).
async fn keep_unparsed(
    state: &AppState,
    body: Bytes,
    error: webhook::ParseError,
) -> Result<(StatusCode, Json<MetaAck>), ApiError> {
    let Some(shop) = shop_of_hints(state, &body)? else {
        metrics::counter!("galantis_meta_webhooks_total", "outcome" => "invalid").increment(1);
        return Err(ApiError::bad_request(
            "invalid_payload",
            format!("{error} (and it names no number or account of a tenant to keep it for)"),
        ));
    };
    tracing::warn!(message = "Authentic Meta delivery does not parse; kept as a dead letter.", tenant = %shop, %error);
    use sha2::Digest;
    let digest = sha2::Sha256::digest(&body);
    let entry = JournalEntry {
        shop: shop.clone(),
        source: Source::Meta(MetaKind::Delivery),
        webhook_id: format!("delivery:{}", hex::encode(&digest[..16])),
        api_version: state.graph_version.to_string(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body,
    };
    let store = state.engine.store();
    let mut ack = MetaAck {
        accepted: 0,
        duplicates: 0,
        unrouted: 0,
        unparsed: 0,
    };
    match store.accept_webhook(entry)? {
        Accepted::New { seq, entry } => {
            store.ack_durable().await?;
            ack.unparsed = 1;
            state.engine.deliver(&shop, Delivered { seq, entry });
        }
        Accepted::Duplicate => {
            store.ack_durable().await?;
            ack.duplicates = 1;
        }
    }
    metrics::counter!("galantis_meta_webhooks_total", "outcome" => "unparsed").increment(1);
    Ok((StatusCode::OK, Json(ack)))
}
