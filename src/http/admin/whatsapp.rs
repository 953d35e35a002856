//! Tenant endpoints of the WhatsApp integration: phone numbers, the Meta token and
//! integration health (templates are in `templates`). Health transitions are
//! `logic::whatsapp::health`; these handlers make the calls and pass the results.

use crate::actors::conversations::ConversationsMsg;
use crate::actors::tenant::TenantMsg;
use crate::domain::whatsapp::IntegrationHealth;
use crate::domain::Timestamp;
use crate::http::auth::TenantScope;
use crate::http::error::{json_rejection, ApiError, ErrorBody};
use crate::http::AppState;
use crate::integrations::meta::error::{classify, Action, MetaError};
use crate::logic::whatsapp::health::{self as whatsapp_health, NumberCheck, TokenCheck};
use crate::store::{Batch, TenantRecord};
use crate::tenants::seal_context;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

pub(crate) fn tenant(state: &AppState, shop: &str) -> Result<TenantRecord, ApiError> {
    state.engine.store().tenant(shop)?.ok_or_else(|| {
        ApiError::not_found("unknown_shop", format!("shop `{shop}` is not a tenant"))
    })
}

/// The tenant's Meta token, opened.
pub(crate) fn token(state: &AppState, t: &TenantRecord) -> Result<String, ApiError> {
    let sealed = t.meta_token.as_ref().ok_or_else(|| {
        ApiError::bad_request(
            "no_meta_token",
            "this shop has no WhatsApp access token; set it with PUT /api/v1/integrations/meta",
        )
    })?;
    let plain = state
        .master_key
        .open(&seal_context(&t.shop, "meta_token"), sealed)
        .map_err(ApiError::internal)?;
    String::from_utf8(plain).map_err(ApiError::internal)
}

pub(crate) fn waba(t: &TenantRecord) -> Result<String, ApiError> {
    t.meta_waba_id.clone().ok_or_else(|| {
        ApiError::bad_request("no_waba", "this shop has no WhatsApp Business Account id; set it with PUT /api/v1/integrations/meta")
    })
}

pub(crate) async fn health(state: &AppState, shop: &str) -> Result<IntegrationHealth, ApiError> {
    Ok(state
        .engine
        .call(shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Health { reply_to })
        })
        .await?)
}

/// Records a failed Meta call in the tenant's health (a dead token turns it red) and maps
/// it to a 502 carrying Meta's code and text.
pub(crate) async fn upstream(state: &AppState, shop: &str, e: MetaError) -> ApiError {
    let action = classify(&e);
    if let Ok(h) = health(state, shop).await {
        let token_dead = action == Action::TokenDead;
        let h = whatsapp_health::on_failed_call(&h, e.to_string(), token_dead, Timestamp::now());
        let _ = state.engine.cast(
            shop,
            TenantMsg::Conversations(ConversationsMsg::SetHealth { health: h }),
        );
    }
    ApiError::Upstream {
        code: if action == Action::TokenDead {
            "meta_token_invalid"
        } else {
            "meta_error"
        },
        message: format!("Meta refused the call: {e}"),
    }
}

/// A WhatsApp number of the shop.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumber {
    /// Meta's phone number id (digits).
    pub phone_number_id: String,
}

/// Lists the shop's WhatsApp phone number ids.
#[utoipa::path(get, path = "/api/v1/phone-numbers", tag = "whatsapp", responses((status = 200, body = Vec<PhoneNumber>)), security(("bearer" = [])))]
pub async fn phone_numbers(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Vec<PhoneNumber>>, ApiError> {
    let t = tenant(&state, &scope.shop)?;
    Ok(Json(
        t.meta_phone_number_ids
            .into_iter()
            .map(|phone_number_id| PhoneNumber { phone_number_id })
            .collect(),
    ))
}

/// Adds a WhatsApp phone number id (routes its webhooks to this shop).
#[utoipa::path(post, path = "/api/v1/phone-numbers", tag = "whatsapp", request_body = PhoneNumber,
    responses((status = 201, body = PhoneNumber), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_phone_number(
    State(state): State<AppState>,
    scope: TenantScope,
    body: Result<Json<PhoneNumber>, JsonRejection>,
) -> Result<(StatusCode, Json<PhoneNumber>), ApiError> {
    let Json(p) = body.map_err(json_rejection)?;
    let id = p.phone_number_id.trim().to_string();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "invalid_phone_number_id",
            format!("`{id}` is not a numeric phone number id"),
        ));
    }
    let store = state.engine.store();
    if let Some(owner) = store.shop_for_phone_number(&id)? {
        return Err(ApiError::Conflict(if owner == scope.shop {
            format!("phone number id {id} is already this shop's")
        } else {
            format!("phone number id {id} belongs to another shop")
        }));
    }
    let mut t = tenant(&state, &scope.shop)?;
    t.meta_phone_number_ids.push(id.clone());
    let mut b = Batch::new();
    b.put_tenant(&t)?;
    b.put_phone_number(&id, &scope.shop);
    store.commit(b)?;
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
/// health state, which lets the held outbox drain.
#[utoipa::path(put, path = "/api/v1/integrations/meta", tag = "whatsapp", request_body = MetaCredentials,
    responses((status = 204), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_meta(
    State(state): State<AppState>,
    scope: TenantScope,
    body: Result<Json<MetaCredentials>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let Json(c) = body.map_err(json_rejection)?;
    let store = state.engine.store();
    let mut t = tenant(&state, &scope.shop)?;
    let mut b = Batch::new();
    if let Some(tok) = c.access_token.as_deref().map(str::trim) {
        if tok.is_empty() {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`access_token` must not be empty",
            ));
        }
        t.meta_token = Some(
            state
                .master_key
                .seal(&seal_context(&scope.shop, "meta_token"), tok.as_bytes())
                .map_err(ApiError::internal)?,
        );
    }
    if let Some(w) = c.waba_id.as_deref().map(str::trim) {
        if w.is_empty() || !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`waba_id` must be Meta's numeric id",
            ));
        }
        if let Some(old) = &t.meta_waba_id {
            b.remove_waba(old);
        }
        b.put_waba(w, &scope.shop);
        t.meta_waba_id = Some(w.to_string());
    }
    b.put_tenant(&t)?;
    store.commit(b)?;
    store.durable().await?;
    if c.access_token.is_some() {
        let health = whatsapp_health::fresh();
        let _ = state.engine.cast(
            &scope.shop,
            TenantMsg::Conversations(ConversationsMsg::SetHealth { health }),
        );
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Health of a tenant's integrations.
#[derive(Debug, Serialize)]
pub struct HealthView {
    /// Shopify: whether a token is stored (the engine makes no Shopify calls yet).
    pub shopify: IntegrationHealth,
    /// Meta: token, numbers, last error.
    pub meta: IntegrationHealth,
}

/// The shop's integration health.
#[utoipa::path(get, path = "/api/v1/integrations/health", tag = "whatsapp", responses((status = 200, description = "health")), security(("bearer" = [])))]
pub async fn get_health(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<HealthView>, ApiError> {
    let t = tenant(&state, &scope.shop)?;
    let shopify = whatsapp_health::shopify_view(!t.shopify_token.is_empty());
    let meta =
        whatsapp_health::meta_view(&health(&state, &scope.shop).await?, t.meta_token.is_some());
    Ok(Json(HealthView { shopify, meta }))
}

/// Checks the Meta side now: `debug_token` and every number's `health_status`.
#[utoipa::path(post, path = "/api/v1/integrations/health/check", tag = "whatsapp",
    responses((status = 200, description = "health"), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn check_health(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<HealthView>, ApiError> {
    let t = tenant(&state, &scope.shop)?;
    let tok = token(&state, &t)?;
    let h = health(&state, &scope.shop).await?;
    let now = Timestamp::now();
    let app_token = state
        .meta_app_id
        .as_ref()
        .map(|id| format!("{id}|{}", state.meta_app_secret))
        .unwrap_or_else(|| tok.clone());
    let token_check = match state.meta.debug_token(&app_token, &tok).await {
        Ok(info) if info.is_valid => TokenCheck::Valid,
        Ok(info) => TokenCheck::Invalid {
            reason: info.error.as_ref().map(|e| e.message.clone()),
        },
        Err(e) => TokenCheck::Failed {
            error: e.to_string(),
            token_dead: classify(&e) == Action::TokenDead,
        },
    };
    let mut numbers = Vec::with_capacity(t.meta_phone_number_ids.len());
    for pnid in &t.meta_phone_number_ids {
        let result = state.meta.health_status(&tok, pnid).await;
        numbers.push(NumberCheck {
            phone_number_id: pnid.clone(),
            result: result
                .map(|s| s.can_send_message)
                .map_err(|e| e.to_string()),
        });
    }
    let h = whatsapp_health::after_check(&h, &token_check, &numbers, now);
    state.engine.cast(
        &scope.shop,
        TenantMsg::Conversations(ConversationsMsg::SetHealth { health: h }),
    )?;
    get_health(State(state), scope).await
}
