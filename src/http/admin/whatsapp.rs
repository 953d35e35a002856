//! Tenant endpoints of the WhatsApp integration: phone numbers, the Meta token and
//! integration health (templates are in `templates`). Health transitions are
//! `logic::whatsapp::health`; these handlers make the calls and pass the results.

use super::{NamePage, Paged};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::{input_limits as limits, AppState};
use crate::integrations::meta::error::MetaError;
use crate::services::credentials::CredentialsError;
use crate::services::health::{self, FailedCall, HealthError};
use crate::services::whatsapp_account::{self, AccountError};
use crate::store::TenantRecord;
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
    #[schema(pattern = "^[0-9]{1,32}$")]
    pub phone_number_id: String,
}

/// Lists the shop's WhatsApp phone number ids, by id.
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "whatsapp", params(NamePage),
    responses((status = 200, body = Paged<PhoneNumber, String>, description = "a page of phone numbers"), (status = 400, body = ErrorBody)),
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
    whatsapp_account::add_phone_number(&state.services, &scope.shop, &id)
        .await
        .map_err(account_error)?;
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
    #[schema(max_length = 4096)]
    pub access_token: Option<String>,
    /// The WhatsApp Business Account id.
    #[schema(pattern = "^[0-9]{1,32}$")]
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
    let token = c.access_token.as_deref().map(str::trim);
    if let Some(tok) = token {
        limits::max_chars("access_token", tok, limits::TOKEN_CHARS)?;
        if tok.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`access_token` must not be empty",
            ));
        }
    }
    let waba = c.waba_id.as_deref().map(str::trim);
    if let Some(w) = waba {
        limits::meta_id("waba_id", w)?;
    }
    whatsapp_account::set_credentials(&state.services, &scope.shop, token, waba)
        .await
        .map_err(account_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The answer to a refused account change.
fn account_error(e: AccountError) -> ApiError {
    match e {
        AccountError::UnknownShop(ref shop) => {
            ApiError::not_found("unknown_shop", format!("shop `{shop}` is not a tenant"))
        }
        e @ (AccountError::AlreadyOurs(_) | AccountError::Claimed(_)) => {
            ApiError::Conflict(e.to_string())
        }
        e @ AccountError::TooManyNumbers { .. } => ApiError::bad_request("too_many", e.to_string()),
        e @ (AccountError::Seal(_) | AccountError::Store(_)) => ApiError::internal(e),
    }
}

/// The shop's integration health.
#[utoipa::path(get, path = "/api/v1/integrations/health", tag = "whatsapp", responses((status = 200, body = HealthView, description = "health")), security(("bearer" = [])))]
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
    responses((status = 200, body = HealthView, description = "health"), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
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
