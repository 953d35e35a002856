//! Tenant endpoints for the catalog: products with their variants.

use super::{Page, Paged};
use crate::domain::catalog::{Collection, Product};
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::Json;

/// Lists products by id.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(Page),
    responses((status = 200, body = Paged<Product>, description = "a page of products")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Product>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state.engine.products(&scope.shop, after, limit).await?;
    Ok(Json(Paged::new(items, limit, |p: &Product| p.id)))
}

/// One product with its variants.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "Shopify product id")),
    responses((status = 200, body = Product, description = "the product"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let id = crate::http::extract::path_id(&id, "Shopify product id")?;
    state
        .engine
        .product(&scope.shop, id)
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found("product_not_found", format!("no product {id} in this shop"))
        })
}

/// Lists collections by id.
#[utoipa::path(get, path = "/api/v1/collections", tag = "catalog", params(Page),
    responses((status = 200, body = Paged<Collection>, description = "a page of collections")),
    security(("bearer" = [])))]
pub async fn collections(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<Collection>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state.engine.collections(&scope.shop, after, limit).await?;
    Ok(Json(Paged::new(items, limit, |c: &Collection| c.id)))
}
