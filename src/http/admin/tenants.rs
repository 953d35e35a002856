//! Operator endpoints: create, list and delete tenants.

use crate::http::auth::{require_operator, Principal};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::AppState;
use crate::tenants::{self, NewTenant, TenantError, TenantView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

/// The answer to a tenant creation: the key is shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedTenant {
    /// The tenant.
    pub tenant: TenantView,
    /// The tenant API key. Store it now: only its hash is kept.
    pub api_key: String,
}

fn map(e: TenantError) -> ApiError {
    match e {
        TenantError::Shop(e) => ApiError::bad_request("invalid_shop_domain", e.to_string()),
        TenantError::Missing(_) | TenantError::Invalid { .. } => {
            ApiError::bad_request("invalid_field", e.to_string())
        }
        TenantError::Exists(_) | TenantError::Claimed(_) => ApiError::Conflict(e.to_string()),
        TenantError::NotFound(_) => ApiError::not_found("unknown_shop", e.to_string()),
        other => ApiError::internal(other),
    }
}

/// The size limits of a new tenant (its rules are `tenants::create`'s).
fn check_limits(new: &NewTenant) -> Result<(), ApiError> {
    use crate::http::input_limits as limits;
    limits::max_chars("shop", &new.shop, 255)?;
    limits::max_chars(
        "shopify_access_token",
        &new.shopify_access_token,
        limits::TOKEN_CHARS,
    )?;
    if let Some(t) = &new.meta_access_token {
        limits::max_chars("meta_access_token", t, limits::TOKEN_CHARS)?;
    }
    if let Some(w) = &new.meta_waba_id {
        limits::max_chars("meta_waba_id", w, limits::META_ID_DIGITS)?;
    }
    limits::max_items(
        "meta_phone_number_ids",
        new.meta_phone_number_ids.len(),
        limits::PHONE_NUMBERS,
    )?;
    for id in &new.meta_phone_number_ids {
        limits::max_chars("meta_phone_number_ids[]", id, limits::META_ID_DIGITS)?;
    }
    Ok(())
}

/// Creates a tenant.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenant,
    responses((status = 201, body = CreatedTenant), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(new): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), ApiError> {
    require_operator(&principal)?;
    check_limits(&new)?;
    let (tenant, api_key) =
        tenants::create(state.engine.store(), &state.master_key, new).map_err(map)?;
    state.engine.store().durable().await?;
    state.engine.start_tenant(&tenant.shop).await?;
    tracing::info!(message = "Tenant created.", tenant = %tenant.shop);
    Ok((StatusCode::CREATED, Json(CreatedTenant { tenant, api_key })))
}

/// Lists tenants.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, body = Vec<TenantView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Vec<TenantView>>, ApiError> {
    require_operator(&principal)?;
    Ok(Json(tenants::list(state.engine.store()).map_err(map)?))
}

/// Deletes a tenant and all its data.
#[utoipa::path(delete, path = "/api/v1/tenants/{shop}", tag = "tenants",
    params(("shop" = String, Path, description = "{name}.myshopify.com")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(shop): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_operator(&principal)?;
    let shop = crate::domain::ShopDomain::parse(&shop)
        .map_err(|e| ApiError::bad_request("invalid_shop_domain", e.to_string()))?;
    let store = state.engine.store();
    if store.tenant(shop.as_str())?.is_none() {
        return Err(ApiError::not_found(
            "unknown_shop",
            format!("shop `{shop}` is not a tenant"),
        ));
    }
    state.engine.stop_tenant(shop.as_str()).await?;
    store.delete_tenant(shop.as_str())?;
    store.durable().await?;
    tracing::info!(message = "Tenant deleted.", tenant = %shop);
    Ok(StatusCode::NO_CONTENT)
}
