//! Tenant endpoints of the initial import: start importing the shop's existing records by
//! bulk operation, and watch the progress per resource.

use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::AppState;
use crate::services::shopify_import::{self, ImportError, ImportJob};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Unknown(_) => ApiError::bad_request("unknown_resource", e.to_string()),
            ImportError::Store(s) => s.into(),
            ImportError::Shopify(ref a)
            | ImportError::Auth(crate::services::shopify_auth::AuthError::Shopify(ref a)) => {
                ApiError::shopify(a.is_auth(), e.to_string())
            }
            e => ApiError::shopify(false, e.to_string()),
        }
    }
}

/// What to import.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImport {
    /// Resources (`customers`).
    #[schema(max_items = 4)]
    pub resources: Vec<String>,
}

/// The imports of the shop.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Imports {
    /// One per resource.
    pub items: Vec<ImportJob>,
}

/// Starts importing the shop's existing records (an unfinished import is not started
/// twice); the work goes on in the background.
#[utoipa::path(post, path = "/api/v1/imports", tag = "shopify", request_body = NewImport,
    responses((status = 202, body = Imports, description = "started"), (status = 400, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(new): ApiJson<NewImport>,
) -> Result<(StatusCode, Json<Imports>), ApiError> {
    crate::http::input_limits::max_items("resources", new.resources.len(), 4)?;
    let mut items = Vec::new();
    for r in &new.resources {
        items.push(shopify_import::start(&state.services, &scope.shop, r.trim()).await?);
    }
    Ok((StatusCode::ACCEPTED, Json(Imports { items })))
}

/// The shop's imports and their progress (rows read, applied, skipped).
#[utoipa::path(get, path = "/api/v1/imports", tag = "shopify",
    responses((status = 200, body = Imports, description = "the imports")), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Imports>, ApiError> {
    Ok(Json(Imports {
        items: shopify_import::list(&state.services, &scope.shop)?,
    }))
}

/// Reconciles the shop's customers, products and orders with Shopify now (it also runs
/// every `shopify.reconcile_minutes`): changes our copy missed are applied and counted.
#[utoipa::path(post, path = "/api/v1/integrations/shopify/reconcile", tag = "shopify",
    responses((status = 200, body = crate::services::shopify_reconcile::ReconcileReport, description = "what was checked and repaired, per resource"),
        (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reconcile(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<crate::services::shopify_reconcile::ReconcileReport>, ApiError> {
    Ok(Json(
        crate::services::shopify_reconcile::all(&state.services, &scope.shop).await?,
    ))
}

/// Polls the shop's open abandoned checkouts now (it also runs every
/// `shopify.abandoned_checkout_poll_minutes`): versions not seen before feed the
/// abandoned-checkout trigger like the webhooks, once per checkout.
#[utoipa::path(post, path = "/api/v1/integrations/shopify/checkouts/poll", tag = "shopify",
    responses((status = 200, body = crate::services::shopify_checkouts::Polled, description = "what was found"),
        (status = 422, body = ErrorBody, description = "Shopify refused the token (`shopify_token_invalid`); the Shopify health turns red"),
        (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn poll_checkouts(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<crate::services::shopify_checkouts::Polled>, ApiError> {
    Ok(Json(
        crate::services::shopify_checkouts::poll(&state.services, &scope.shop).await?,
    ))
}
