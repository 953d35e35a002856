//! Tenant endpoints for the catalog: products with their variants and each variant's
//! status in the Meta catalog, and the merchant's exclusion of a product from it.

use super::{Page, Paged};
use crate::domain::catalog::{Collection, Product};
use crate::domain::catalog_sync::ProductSync;
use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::AppState;
use crate::services::catalog_queue;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

/// A product with its Meta catalog status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductView {
    /// The product.
    #[serde(flatten)]
    pub product: Product,
    /// Each variant's status in the Meta catalog (PENDING, SYNCED with its time, FAILED
    /// with Meta's error, NOT_LISTED); `null` while no catalog is connected.
    pub meta_sync: Option<ProductSync>,
}

fn view(state: &AppState, shop: &str, product: Product) -> Result<ProductView, ApiError> {
    let meta_sync = catalog_queue::product_sync(&state.services, shop, &product)?;
    Ok(ProductView { product, meta_sync })
}

/// Lists products by id.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(Page),
    responses((status = 200, body = Paged<ProductView>, description = "a page of products")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<Paged<ProductView>>, ApiError> {
    let limit = page.limit()?;
    let after = page.after;
    let items = state.engine.products(&scope.shop, after, limit).await?;
    let items = items
        .into_iter()
        .map(|p| view(&state, &scope.shop, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Paged::new(items, limit, |p: &ProductView| {
        p.product.id
    })))
}

async fn find(state: &AppState, shop: &str, id: u64) -> Result<Product, ApiError> {
    state.engine.product(shop, id).await?.ok_or_else(|| {
        ApiError::not_found("product_not_found", format!("no product {id} in this shop"))
    })
}

/// One product with its variants.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog",
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "Shopify product id")),
    responses((status = 200, body = ProductView, description = "the product"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
) -> Result<Json<ProductView>, ApiError> {
    let id = crate::http::extract::path_id(&id, "Shopify product id")?;
    let p = find(&state, &scope.shop, id).await?;
    Ok(Json(view(&state, &scope.shop, p)?))
}

/// Whether the product belongs in the Meta catalog.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogChoice {
    /// `true`: keep it out of Meta's catalog (removed from it if there); `false`: list
    /// it again (when active).
    pub excluded: bool,
}

/// Keeps a product out of the Meta catalog, or lets it back in; Meta's copy follows at
/// the next push.
#[utoipa::path(put, path = "/api/v1/products/{id}/catalog", tag = "catalog", request_body = CatalogChoice,
    params(("id" = String, Path, pattern = "^[0-9]{1,19}$", description = "Shopify product id")),
    responses((status = 200, body = ProductView, description = "the product, its change queued"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_catalog(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CatalogChoice>,
) -> Result<Json<ProductView>, ApiError> {
    let id = crate::http::extract::path_id(&id, "Shopify product id")?;
    let p = find(&state, &scope.shop, id).await?;
    catalog_queue::set_excluded(&state.services, &scope.shop, id, req.excluded).await?;
    Ok(Json(view(&state, &scope.shop, p)?))
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
