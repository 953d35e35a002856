//! Tenant endpoints of the Shopify integration: reconciling the shop's webhook
//! subscriptions now (they are also reconciled at every start).

use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::services::shopify_webhooks::{self, Registration, RegistrationError};
use axum::extract::State;
use axum::Json;

impl From<RegistrationError> for ApiError {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::NoCallback => ApiError::Conflict(e.to_string()),
            RegistrationError::Credentials(c) => super::whatsapp::credentials_error(c),
            RegistrationError::Token => ApiError::Unprocessable {
                code: "no_shopify_token",
                message: "this shop has no usable Shopify access token".into(),
            },
            RegistrationError::Shopify(s) if s.is_auth() => ApiError::shopify(
                true,
                format!("{s}; the Shopify health is red until a new token is set"),
            ),
            RegistrationError::Shopify(s) => ApiError::shopify(false, s.to_string()),
            RegistrationError::Store(s) => s.into(),
        }
    }
}

/// Reconciles the shop's webhook subscriptions with the topics the engine handles at
/// `shopify.webhook_callback_url`: creates what is missing, deletes what is extra or
/// points elsewhere. Running it twice changes nothing the second time.
#[utoipa::path(post, path = "/api/v1/integrations/shopify/webhooks", tag = "shopify",
    responses((status = 200, body = Registration, description = "what was changed"),
        (status = 409, body = ErrorBody, description = "no callback URL configured"),
        (status = 422, body = ErrorBody, description = "Shopify refused the shop's token"),
        (status = 502, body = ErrorBody, description = "Shopify failed")),
    security(("bearer" = [])))]
pub async fn reconcile_webhooks(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Registration>, ApiError> {
    Ok(Json(
        shopify_webhooks::reconcile(&state.services, &scope.shop).await?,
    ))
}

/// The shop as Shopify's Admin API describes it now (name, domain, currency, zone): a
/// live check of the connection; the outcome goes into the Shopify health.
#[utoipa::path(get, path = "/api/v1/integrations/shopify/shop", tag = "shopify",
    responses((status = 200, body = crate::integrations::shopify::admin::ops::ShopInfo, description = "the shop"),
        (status = 422, body = ErrorBody, description = "Shopify refused the shop's token"),
        (status = 502, body = ErrorBody, description = "Shopify failed")),
    security(("bearer" = [])))]
pub async fn shop(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<crate::integrations::shopify::admin::ops::ShopInfo>, ApiError> {
    Ok(Json(
        shopify_webhooks::shop_info(&state.services, &scope.shop).await?,
    ))
}
