//! Tenant endpoints of the WhatsApp integration: phone numbers, the Meta token and
//! integration health (templates are in `templates`). Health transitions are
//! `logic::whatsapp::health`; these handlers make the calls and pass the results.

use super::{NamePage, Paged};
use crate::actors::context::seal_meta_token;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::{input_limits as limits, AppState};
use crate::integrations::meta::error::MetaError;
use crate::logic::whatsapp::health as whatsapp_health;
use crate::services::credentials::CredentialsError;
use crate::services::health::{self, FailedCall, HealthError};
use crate::services::meta_routes;
use crate::store::{Batch, TenantRecord};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

pub use crate::services::health::HealthView;

pub(crate) fn tenant(state: &AppState, shop: &str) -> Result<TenantRecord, ApiError> {
    state.engine.store().tenant(shop)?.ok_or_else(|| {
        ApiError::not_found("unknown_shop", format!("shop `{shop}` is not a tenant"))
    })
}

/// The answer to a tenant whose Meta credentials are missing or unusable.
pub(crate) fn credentials_error(e: CredentialsError) -> ApiError {
    match e {
        CredentialsError::UnknownShop(ref shop) => {
            ApiError::not_found("unknown_shop", format!("shop `{shop}` is not a tenant"))
        }
        CredentialsError::NoToken => ApiError::bad_request("no_meta_token", e.to_string()),
        CredentialsError::NoWaba => ApiError::bad_request("no_waba", e.to_string()),
        e @ (CredentialsError::Token(_) | CredentialsError::Store(_)) => ApiError::internal(e),
    }
}

/// A Meta call that failed (already recorded in health), carrying Meta's code and text.
/// What the caller can fix is a 4xx: a token Meta rejects is 422 `meta_token_invalid` (set
/// a new one), any other refusal Meta answered with a 4xx is 422 `meta_refused` (the
/// request or the account's state). Only Meta failing or unreachable is 502 `meta_error`.
pub(crate) fn upstream(e: FailedCall) -> ApiError {
    let refused = matches!(&e.source, MetaError::Api { status, .. } if (400..500).contains(status));
    if e.token_dead {
        ApiError::Unprocessable {
            code: "meta_token_invalid",
            message: format!("{e}; set a new access token with PUT /api/v1/integrations/meta"),
        }
    } else if refused {
        ApiError::Unprocessable {
            code: "meta_refused",
            message: e.to_string(),
        }
    } else {
        ApiError::Upstream {
            code: "meta_error",
            message: e.to_string(),
        }
    }
}

fn health_error(e: HealthError) -> ApiError {
    match e {
        HealthError::Credentials(e) => credentials_error(e),
        HealthError::Engine(e) => e.into(),
    }
}

/// A WhatsApp number of the shop.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumber {
    /// Meta's phone number id (digits).
    pub phone_number_id: String,
}

/// Lists the shop's WhatsApp phone number ids, by id.
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "whatsapp", params(NamePage),
    responses((status = 200, description = "`{items: [PhoneNumber], next_after}`"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn phone_numbers(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<NamePage>,
) -> Result<Json<Paged<PhoneNumber, String>>, ApiError> {
    let t = tenant(&state, &scope.shop)?;
    let numbers = t
        .meta_phone_number_ids
        .into_iter()
        .map(|phone_number_id| PhoneNumber { phone_number_id });
    Ok(Json(page.of(numbers, |p: &PhoneNumber| {
        p.phone_number_id.clone()
    })?))
}

/// Adds a WhatsApp phone number id (routes its webhooks to this shop).
#[utoipa::path(post, path = "/api/v1/phone-numbers", tag = "whatsapp", request_body = PhoneNumber,
    responses((status = 201, body = PhoneNumber), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_phone_number(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(p): ApiJson<PhoneNumber>,
) -> Result<(StatusCode, Json<PhoneNumber>), ApiError> {
    scope.require_active()?;
    let id = p.phone_number_id.trim().to_string();
    limits::max_chars("phone_number_id", &id, limits::META_ID_DIGITS)?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "invalid_phone_number_id",
            format!("`{id}` is not a numeric phone number id"),
        ));
    }
    let store = state.engine.store();
    {
        let _claims = meta_routes::claims_guard();
        if let Some(owner) = store.shop_for_phone_number(&id)? {
            return Err(ApiError::Conflict(if owner == scope.shop {
                format!("phone number id {id} is already this shop's")
            } else {
                format!("phone number id {id} belongs to another shop")
            }));
        }
        let mut t = tenant(&state, &scope.shop)?;
        limits::max_items(
            "meta_phone_number_ids",
            t.meta_phone_number_ids.len() + 1,
            limits::PHONE_NUMBERS,
        )?;
        t.meta_phone_number_ids.push(id.clone());
        let mut b = Batch::new();
        b.put_tenant(&t)?;
        b.put_phone_number(&id, &scope.shop);
        store.commit(b)?;
    }
    store.durable().await?;
    Ok((
        StatusCode::CREATED,
        Json(PhoneNumber {
            phone_number_id: id,
        }),
    ))
}

/// The shop's Meta credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetaCredentials {
    /// A new access token (sealed at rest, never returned).
    pub access_token: Option<String>,
    /// The WhatsApp Business Account id.
    pub waba_id: Option<String>,
}

/// Sets the shop's Meta access token and/or WABA id. A new token clears a "token dead"
/// health state, which lets the held outbox drain. A WABA id another tenant owns is
/// refused with 409 and nothing changes.
#[utoipa::path(put, path = "/api/v1/integrations/meta", tag = "whatsapp", request_body = MetaCredentials,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_meta(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(c): ApiJson<MetaCredentials>,
) -> Result<StatusCode, ApiError> {
    scope.require_active()?;
    let store = state.engine.store();
    {
        let _claims = meta_routes::claims_guard();
        update_meta(&state, &scope.shop, &c)?;
    }
    store.durable().await?;
    if c.access_token.is_some() {
        let health = whatsapp_health::fresh();
        let _ = state.engine.set_conversation_health(&scope.shop, health);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Checks and writes [`MetaCredentials`] for `shop` (under the claims guard).
fn update_meta(state: &AppState, shop: &str, c: &MetaCredentials) -> Result<(), ApiError> {
    let store = state.engine.store();
    let mut t = tenant(state, shop)?;
    let mut b = Batch::new();
    if let Some(tok) = c.access_token.as_deref().map(str::trim) {
        limits::max_chars("access_token", tok, limits::TOKEN_CHARS)?;
        if tok.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`access_token` must not be empty",
            ));
        }
        t.meta_token =
            Some(seal_meta_token(&state.master_key, shop, tok).map_err(ApiError::internal)?);
    }
    if let Some(w) = c.waba_id.as_deref().map(str::trim) {
        limits::meta_id("waba_id", w)?;
        if let Err(claimed) = meta_routes::check_claims(store, shop, &[], Some(w))? {
            return Err(ApiError::Conflict(claimed.to_string()));
        }
        if let Some(old) = t.meta_waba_id.as_deref().filter(|old| *old != w) {
            // Release the old account only if it is still this shop's route.
            if store.shop_for_waba(old)?.as_deref() == Some(shop) {
                b.remove_waba(old);
            }
        }
        b.put_waba(w, shop);
        t.meta_waba_id = Some(w.to_string());
    }
    b.put_tenant(&t)?;
    store.commit(b)?;
    Ok(())
}

/// The shop's integration health.
#[utoipa::path(get, path = "/api/v1/integrations/health", tag = "whatsapp", responses((status = 200, description = "health")), security(("bearer" = [])))]
pub async fn get_health(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<HealthView>, ApiError> {
    Ok(Json(
        health::view(&state.services, &scope.shop)
            .await
            .map_err(health_error)?,
    ))
}

/// Checks the Meta side now: `debug_token` and every number's `health_status`.
#[utoipa::path(post, path = "/api/v1/integrations/health/check", tag = "whatsapp",
    responses((status = 200, description = "health"), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn check_health(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<HealthView>, ApiError> {
    Ok(Json(
        health::check(&state.services, &scope.shop)
            .await
            .map_err(health_error)?,
    ))
}
