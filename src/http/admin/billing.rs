//! Tenant endpoints of billing: the month's usage against the tenant's plan, and
//! subscribing to a plan (Shopify's confirmation URL comes back; the plan is in force
//! once the merchant approves and Shopify's `app_subscriptions/update` arrives). Also
//! the page Shopify sends the merchant back to.

use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::AppState;
use crate::services::billing::{self, BillingError, BillingView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::UnknownPlan(..) => ApiError::bad_request("unknown_plan", e.to_string()),
            BillingError::Disabled => ApiError::Unprocessable {
                code: "billing_disabled",
                message: e.to_string(),
            },
            BillingError::NoAppUrl => ApiError::Unprocessable {
                code: "app_url_missing",
                message: e.to_string(),
            },
            BillingError::Store(s) => s.into(),
            BillingError::Shopify(ref a)
            | BillingError::Auth(crate::services::shopify_auth::AuthError::Shopify(ref a)) => {
                ApiError::shopify(a.is_auth(), e.to_string())
            }
            e => ApiError::shopify(false, e.to_string()),
        }
    }
}

/// The month's usage against the plan: conversations (delivered template messages)
/// counted, the plan's (its trial's during a trial), warnings, whether marketing sends
/// are blocked, and the app subscriptions.
#[utoipa::path(get, path = "/api/v1/billing", tag = "shopify",
    responses((status = 200, body = BillingView, description = "usage")),
    security(("bearer" = [])))]
pub async fn view(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<BillingView>, ApiError> {
    Ok(Json(billing::view(&state.services, &scope.shop)?))
}

/// The plan to subscribe to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// A plan's name (`Growth` …).
    pub plan: String,
}

/// Subscribes the shop to a plan: Shopify's `appSubscriptionCreate`; the answer is the
/// pending subscription with the `confirmation_url` to open for the merchant.
#[utoipa::path(post, path = "/api/v1/billing/subscription", tag = "shopify",
    request_body = NewSubscription,
    responses((status = 201, body = crate::domain::billing::Subscription, description = "pending approval"),
        (status = 400, body = ErrorBody, description = "`unknown_plan`"),
        (status = 422, body = ErrorBody, description = "`billing_disabled`, `app_url_missing`, `shopify_token_invalid`"),
        (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn subscribe(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(new): ApiJson<NewSubscription>,
) -> Result<(StatusCode, Json<crate::domain::billing::Subscription>), ApiError> {
    let sub = billing::subscribe(&state.services, &scope.shop, new.plan.trim()).await?;
    Ok((StatusCode::CREATED, Json(sub)))
}

/// Where Shopify sends the merchant after approving or declining a plan: the plan
/// itself changes with Shopify's `app_subscriptions/update` webhook, not with this visit.
#[utoipa::path(get, path = "/shopify/billing/return", tag = "shopify",
    responses((status = 200, description = "a note for the merchant")))]
pub async fn returned() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "message": "Thank you. Your plan changes as soon as Shopify confirms it; GET /api/v1/billing shows it."
    }))
}
