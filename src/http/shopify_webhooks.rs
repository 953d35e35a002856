//! `POST /webhooks/shopify`: raw bytes → HMAC (401) → required headers (400) → tenant
//! (404 unknown, 410 uninstalled) → dedupe on `X-Shopify-Webhook-Id` → journal → group
//! commit → hand to the tenant → 200. Nothing is stored for a rejected request, and the
//! 200 is sent only once the webhook is on disk.

use super::{error::ApiError, AppState};
use crate::actors::Delivered;
use crate::domain::{ShopDomain, Timestamp};
use crate::integrations::shopify::webhook;
use crate::logic::{Route, Topic};
use crate::store::tenants::TenantStatus;
use crate::store::{Accepted, JournalEntry};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use std::time::Instant;
use tracing::Instrument;

/// The answer to an accepted webhook.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookAck {
    /// `accepted`, `duplicate` or `not_handled`.
    pub status: &'static str,
}

/// Longest accepted `X-Shopify-Webhook-Id`. Shopify's are UUIDs (36 characters); the id
/// is stored as the dedupe key, so an unbounded one would be stored unbounded.
pub const MAX_WEBHOOK_ID_CHARS: usize = 255;

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn required<'a>(h: &'a HeaderMap, name: &'static str) -> Result<&'a str, ApiError> {
    header(h, name).ok_or_else(|| {
        ApiError::bad_request("missing_header", format!("header `{name}` is required"))
    })
}

/// Topics an uninstalled shop may still send: privacy law requires us to act on them.
fn allowed_after_uninstall(t: Topic) -> bool {
    matches!(
        t,
        Topic::CustomersRedact
            | Topic::CustomersDataRequest
            | Topic::ShopRedact
            | Topic::AppUninstalled
    )
}

/// Receives a Shopify webhook.
#[utoipa::path(post, path = "/webhooks/shopify", tag = "webhooks",
    request_body(content = String, description = "The raw JSON body as Shopify sent it", content_type = "application/json"),
    params(
        ("X-Shopify-Hmac-Sha256" = String, Header, description = "base64 HMAC-SHA256 of the raw body"),
        ("X-Shopify-Topic" = String, Header, description = "e.g. customers/update"),
        ("X-Shopify-Shop-Domain" = String, Header, description = "{name}.myshopify.com"),
        ("X-Shopify-Webhook-Id" = String, Header, description = "dedupe key"),
        ("X-Shopify-API-Version" = String, Header, description = "e.g. 2026-04"),
        ("X-Shopify-Triggered-At" = Option<String>, Header, description = "RFC 3339")),
    responses(
        (status = 200, body = WebhookAck, description = "durably accepted (or duplicate / not handled)"),
        (status = 400, body = super::error::ErrorBody), (status = 401, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 410, body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody), (status = 503, body = super::error::ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<WebhookAck>), ApiError> {
    let started = Instant::now();
    let span = tracing::info_span!(
        "shopify_webhook",
        tenant = tracing::field::Empty,
        topic = tracing::field::Empty,
        webhook_id = tracing::field::Empty
    );
    let r = handle(&state, &headers, body).instrument(span).await;
    let outcome = match &r {
        Ok(ack) => ack.status,
        Err(ApiError::Unauthorized { .. }) => "unauthorized",
        Err(ApiError::BadRequest { .. }) => "bad_request",
        Err(ApiError::NotFound { .. }) => "unknown_shop",
        Err(ApiError::TooLarge(_)) => "too_large",
        Err(_) => "error",
    };
    metrics::counter!("galantis_shopify_webhooks_total", "outcome" => outcome).increment(1);
    metrics::histogram!("galantis_shopify_webhook_ack_seconds")
        .record(started.elapsed().as_secs_f64());
    r.map(|ack| (StatusCode::OK, Json(ack)))
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<WebhookAck, ApiError> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.max_body_bytes)
        } else {
            ApiError::bad_request("unreadable_body", r.body_text())
        }
    })?;
    let sig = header(headers, "x-shopify-hmac-sha256").ok_or_else(|| {
        ApiError::unauthorized(
            "missing_signature",
            "header `X-Shopify-Hmac-Sha256` is required",
        )
    })?;
    let secrets: Vec<&[u8]> = state.shopify_secrets.iter().map(|s| s.as_slice()).collect();
    if body.is_empty() || !webhook::verify(&secrets, &body, sig) {
        return Err(ApiError::unauthorized(
            "invalid_signature",
            "X-Shopify-Hmac-Sha256 does not match the body under the app's client secret",
        ));
    }
    let topic_name = required(headers, "X-Shopify-Topic")?;
    let shop_raw = required(headers, "X-Shopify-Shop-Domain")?;
    let webhook_id = required(headers, "X-Shopify-Webhook-Id")?;
    if webhook_id.chars().count() > MAX_WEBHOOK_ID_CHARS {
        return Err(ApiError::bad_request(
            "invalid_header",
            format!(
                "header `X-Shopify-Webhook-Id` is longer than {MAX_WEBHOOK_ID_CHARS} characters"
            ),
        ));
    }
    let api_version = required(headers, "X-Shopify-API-Version")?;
    let triggered_at = match header(headers, "x-shopify-triggered-at") {
        Some(t) => Some(Timestamp::parse(t).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_header",
                format!("X-Shopify-Triggered-At `{t}` is not an RFC 3339 time"),
            )
        })?),
        None => None,
    };
    let shop = ShopDomain::parse(shop_raw)
        .map_err(|e| ApiError::bad_request("invalid_shop_domain", e.to_string()))?;
    // The span was opened before the headers were read: fill in what they say now, so every
    // line logged for this webhook (here and in the error response) carries them.
    let span = tracing::Span::current();
    span.record("tenant", tracing::field::display(&shop));
    span.record("topic", topic_name);
    span.record("webhook_id", webhook_id);
    if !state.engine.is_ready() {
        return Err(ApiError::Unavailable(
            "recovering after a restart; retry shortly".into(),
        ));
    }
    let status = state
        .engine
        .store()
        .tenant_status(shop.as_str())?
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_shop",
                format!("shop `{shop}` is not a tenant of this engine"),
            )
        })?;
    let topic = Topic::parse(topic_name);
    match status {
        TenantStatus::Active => {}
        TenantStatus::Uninstalled if allowed_after_uninstall(topic) => {}
        TenantStatus::Uninstalled => {
            return Err(ApiError::Gone(format!(
                "shop `{shop}` has uninstalled the app"
            )));
        }
        TenantStatus::Redacted => {
            return Err(ApiError::Gone(format!("shop `{shop}` was redacted")));
        }
    }
    if topic.route() == Route::Ignore {
        tracing::info!(message = "Webhook topic not handled; acknowledged without effect.", tenant = %shop, topic = topic_name, webhook_id);
        return Ok(WebhookAck {
            status: "not_handled",
        });
    }
    let entry = JournalEntry {
        shop: shop.to_string(),
        source: topic.into(),
        webhook_id: webhook_id.to_string(),
        api_version: api_version.to_string(),
        triggered_at,
        received_at: Timestamp::now(),
        body,
    };
    let store = state.engine.store();
    match store.accept_webhook(entry)? {
        Accepted::Duplicate => {
            // The first copy may still be in flight to disk: answer only once it is there.
            store.ack_durable().await?;
            tracing::debug!(message = "Duplicate webhook.", tenant = %shop, topic = topic_name, webhook_id);
            Ok(WebhookAck {
                status: "duplicate",
            })
        }
        Accepted::New { seq, entry } => {
            store.ack_durable().await?;
            state
                .engine
                .deliver(shop.as_str(), Delivered { seq, entry });
            if topic == Topic::BulkOperationsFinish {
                state.services.import_wake.notify_waiters();
            }
            Ok(WebhookAck { status: "accepted" })
        }
    }
}
