//! `GET /webhooks/meta` answers Meta's verify challenge; `POST /webhooks/meta` checks
//! `X-Hub-Signature-256` over the raw bytes (401, nothing stored), parses the delivery
//! change by change, routes each event by `phone_number_id` (or WABA id) to its tenant,
//! dedupes it on its event key (a message id, a (message id, status) pair …), journals it,
//! and answers 200 only once everything is on disk.
//!
//! Nothing authentic is acknowledged and dropped:
//! - an event for a number or account no tenant owns becomes a dead letter of the operator
//!   ([`OPERATOR_SCOPE`], listed by `GET /api/v1/deadletters` with the operator token and
//!   no `X-Galantis-Shop`), replayable to whichever tenant owns it once connected;
//! - a change that does not parse (say one bad change in a batch of good ones, or a time
//!   outside 1970..2100) is kept alone (topic `meta/delivery`, deduplicated on its
//!   SHA-256) as a dead letter of the tenant it names, or of the operator, with the
//!   parser's reason naming `entry[i].changes[j]`; the good changes are applied;
//! - a body that does not parse as a whole is kept whole the same way when it names a
//!   tenant's number or account. Only one that names none gets a 400 naming the problem
//!   (there is no part to file it under; Meta redelivers it for 7 days).

use super::extract::ApiQuery;
use super::{error::ApiError, AppState};
use crate::actors::Delivered;
use crate::domain::Timestamp;
use crate::integrations::meta::webhook::{self, MetaEvent};
use crate::logic::{MetaKind, Source};
use crate::services::meta_routes;
use crate::store::{Accepted, JournalEntry, OPERATOR_SCOPE};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

/// The query of Meta's verification request.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    responses((status = 200, body = String, content_type = "text/plain", description = "the challenge, as text"), (status = 403, body = super::error::ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<Challenge>,
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
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct MetaAck {
    /// New events journaled for their tenant.
    pub accepted: usize,
    /// Events (or kept parts) seen before.
    pub duplicates: usize,
    /// Events for numbers or accounts no tenant owns: kept as the operator's dead letters.
    pub unrouted: usize,
    /// Parts (a change, an entry, or the whole body) that did not parse, kept as dead
    /// letters of their tenant (or of the operator when they name none).
    pub unparsed: usize,
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
    let parts = match webhook::parse_parts(&body) {
        Ok(parts) => parts,
        Err(e) => return keep_unparsed(&state, body, e).await,
    };
    let mut ack = MetaAck::default();
    let mut fresh = Vec::new();
    for part in parts {
        match part.events {
            Ok(events) => {
                for e in events {
                    journal_event(&state, e, &mut ack, &mut fresh)?;
                }
            }
            Err(error) => {
                let reason = format!("Meta delivery does not parse: {error}");
                keep_part(&state, part.body.into(), reason, &mut ack)?;
            }
        }
    }
    let store = state.engine.store();
    store.ack_durable().await?;
    for d in fresh {
        let shop = d.entry.shop.clone();
        state.engine.deliver(&shop, d);
    }
    metrics::counter!("galantis_meta_webhooks_total", "outcome" => "accepted").increment(1);
    Ok((StatusCode::OK, Json(ack)))
}

/// Journals one parsed event for its tenant (to apply), or as the operator's dead letter
/// when no live tenant owns its number or account.
fn journal_event(
    state: &AppState,
    e: MetaEvent,
    ack: &mut MetaAck,
    fresh: &mut Vec<Delivered>,
) -> Result<(), ApiError> {
    if matches!(e, MetaEvent::Unhandled(_)) {
        return Ok(());
    }
    let store = state.engine.store();
    let shop = meta_routes::tenant_of_event(store, &e)?;
    let entry = JournalEntry {
        shop: shop.clone().unwrap_or_else(|| OPERATOR_SCOPE.to_string()),
        source: Source::Meta(MetaKind::of(&e)),
        webhook_id: meta_routes::journal_id(&e),
        api_version: state.graph_version.to_string(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body: serde_json::to_vec(&e).map_err(ApiError::internal)?.into(),
    };
    let (seq, entry) = match store.accept_webhook(entry)? {
        Accepted::New { seq, entry } => (seq, entry),
        Accepted::Duplicate => {
            ack.duplicates += 1;
            return Ok(());
        }
    };
    if shop.is_some() {
        ack.accepted += 1;
        fresh.push(Delivered { seq, entry });
        return Ok(());
    }
    ack.unrouted += 1;
    let reason = format!(
        "no tenant owns {} (connect it, then replay this letter)",
        meta_routes::route_key(&e)
    );
    crate::actors::dead_letter(store, seq, &entry, reason);
    Ok(())
}

/// Keeps a part that did not parse (or a whole body) as a dead letter with `reason`
/// (which names the part's place in the delivery Meta sent): the tenant's, when it names
/// one of its numbers or its account, else the operator's. Journaled first, so Meta's
/// redelivery of the same bytes is a duplicate; a crash before the letter is written
/// replays the entry through the conversation actor, which dead-letters it too.
fn keep_part(
    state: &AppState,
    body: Bytes,
    reason: String,
    ack: &mut MetaAck,
) -> Result<(), ApiError> {
    let store = state.engine.store();
    let shop = meta_routes::tenant_of_body(store, &body)?;
    tracing::warn!(message = "Authentic Meta delivery (or part) does not parse; kept as a dead letter.", tenant = ?shop, %reason);
    let entry = JournalEntry {
        shop: shop.unwrap_or_else(|| OPERATOR_SCOPE.to_string()),
        source: Source::Meta(MetaKind::Delivery),
        webhook_id: meta_routes::delivery_id(&body),
        api_version: state.graph_version.to_string(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body,
    };
    match store.accept_webhook(entry)? {
        Accepted::New { seq, entry } => {
            ack.unparsed += 1;
            crate::actors::dead_letter(store, seq, &entry, reason);
        }
        Accepted::Duplicate => ack.duplicates += 1,
    }
    Ok(())
}

/// A body that does not parse as a whole: kept whole for the tenant it names (see the
/// module doc), else refused with 400.
async fn keep_unparsed(
    state: &AppState,
    body: Bytes,
    error: webhook::ParseError,
) -> Result<(StatusCode, Json<MetaAck>), ApiError> {
    if meta_routes::tenant_of_body(state.engine.store(), &body)?.is_none() {
        metrics::counter!("galantis_meta_webhooks_total", "outcome" => "invalid").increment(1);
        return Err(ApiError::bad_request(
            "invalid_payload",
            format!("{error} (and it names no number or account of a tenant to keep it for)"),
        ));
    }
    let mut ack = MetaAck::default();
    let reason = format!("Meta delivery does not parse: {error}");
    keep_part(state, body, reason, &mut ack)?;
    state.engine.store().ack_durable().await?;
    metrics::counter!("galantis_meta_webhooks_total", "outcome" => "unparsed").increment(1);
    Ok((StatusCode::OK, Json(ack)))
}
