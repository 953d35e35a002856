//! Tenant endpoints of the Meta catalog: list a business's catalogs, connect one (create,
//! link or import with a reconciliation report), and read the connection.

use crate::http::auth::TenantScope;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::extract::ApiJson;
use crate::http::AppState;
use crate::integrations::meta::error::MetaError;
use crate::services::catalog::{self, CatalogError, CatalogView, Connect, ConnectMode};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Credentials(c) => super::whatsapp::credentials_error(c),
            CatalogError::Invalid(m) => ApiError::bad_request("invalid_field", m),
            CatalogError::Meta(MetaError::InvalidArgument { field, reason }) => {
                ApiError::bad_request("invalid_field", format!("{field}: {reason}"))
            }
            CatalogError::Meta(MetaError::Api { status, .. }) if (400..500).contains(&status) => {
                ApiError::Unprocessable {
                    code: "meta_refused",
                    message: e.to_string(),
                }
            }
            CatalogError::Meta(_) => ApiError::Upstream {
                code: "meta_error",
                message: e.to_string(),
            },
            CatalogError::Store(s) => s.into(),
            e @ CatalogError::Seal(_) => ApiError::internal(e),
        }
    }
}

/// A business and the token to read its catalogs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailableRequest {
    /// The catalog token (`catalog_management`).
    pub token: String,
    /// The Meta business.
    pub business_id: String,
}

/// A catalog of the business.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogItem {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Items in it.
    pub product_count: Option<u64>,
}

/// The business's catalogs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Available {
    /// Owned by the business.
    pub owned: Vec<CatalogItem>,
    /// Shared with it by clients.
    pub clients: Vec<CatalogItem>,
}

/// Lists the business's owned and client catalogs (to pick one to import or link).
#[utoipa::path(post, path = "/api/v1/catalog/available", tag = "catalog", request_body = AvailableRequest,
    responses((status = 200, body = Available, description = "the catalogs"), (status = 400, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn available(
    State(state): State<AppState>,
    _scope: TenantScope,
    ApiJson(req): ApiJson<AvailableRequest>,
) -> Result<Json<Available>, ApiError> {
    let (owned, clients) =
        catalog::available(&state.services, req.token.trim(), req.business_id.trim()).await?;
    let map = |v: Vec<crate::integrations::meta::client::CatalogInfo>| {
        v.into_iter()
            .map(|c| CatalogItem {
                id: c.id,
                name: c.name,
                product_count: c.product_count,
            })
            .collect()
    };
    Ok(Json(Available {
        owned: map(owned),
        clients: map(clients),
    }))
}

/// How to connect.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// `create`, `link` or `import`.
    pub mode: ConnectMode,
    /// The catalog (link, import).
    #[serde(default)]
    pub catalog_id: Option<String>,
    /// The new catalog's name (create; default: the shop's name).
    #[serde(default)]
    pub name: Option<String>,
    /// The business (create).
    #[serde(default)]
    pub business_id: Option<String>,
    /// The catalog token, stored sealed.
    pub token: String,
    /// The shop's currency (ISO 4217) for the items' prices; default: Shopify's.
    #[serde(default)]
    pub currency: Option<String>,
}

/// Connects the shop's Meta catalog to its WhatsApp Business Account: creates one, links
/// one, or imports one (its items reconciled with the Shopify variants).
#[utoipa::path(put, path = "/api/v1/catalog", tag = "catalog", request_body = ConnectRequest,
    responses((status = 200, body = CatalogView, description = "connected"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn connect(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(req): ApiJson<ConnectRequest>,
) -> Result<Json<CatalogView>, ApiError> {
    let c = Connect {
        mode: req.mode,
        catalog_id: req.catalog_id,
        name: req.name,
        business_id: req.business_id,
        token: req.token,
        currency: req.currency,
    };
    Ok(Json(
        catalog::connect(&state.services, &scope.shop, c).await?,
    ))
}

/// The shop's catalog connection.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "catalog",
    responses((status = 200, body = CatalogView, description = "the connection"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<CatalogView>, ApiError> {
    catalog::current(&state.services, &scope.shop)?
        .map(Json)
        .ok_or_else(|| {
            ApiError::not_found(
                "no_catalog",
                "no Meta catalog is connected; PUT /api/v1/catalog",
            )
        })
}

/// What to push again.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResyncRequest {
    /// One product (Shopify id); absent: every product.
    #[serde(default)]
    pub product_id: Option<String>,
}

/// Products queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Resynced {
    /// How many products were queued for a forced push.
    pub queued: u64,
}

/// Pushes one product, or every product, to the Meta catalog again (even unchanged ones).
#[utoipa::path(post, path = "/api/v1/catalog/resync", tag = "catalog", request_body = ResyncRequest,
    responses((status = 202, body = Resynced, description = "queued; the pusher sends them"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn resync(
    State(state): State<AppState>,
    scope: TenantScope,
    ApiJson(req): ApiJson<ResyncRequest>,
) -> Result<(axum::http::StatusCode, Json<Resynced>), ApiError> {
    if catalog::current(&state.services, &scope.shop)?.is_none() {
        return Err(ApiError::not_found(
            "no_catalog",
            "no Meta catalog is connected; PUT /api/v1/catalog",
        ));
    }
    let product = match req.product_id.as_deref() {
        Some(id) => {
            let id = crate::http::extract::path_id(id.trim(), "Shopify product id")?;
            if state.engine.product(&scope.shop, id).await?.is_none() {
                return Err(ApiError::not_found(
                    "product_not_found",
                    format!("no product {id} in this shop"),
                ));
            }
            Some(id)
        }
        None => None,
    };
    let queued =
        crate::services::catalog_queue::resync(&state.services, &scope.shop, product).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(Resynced { queued })))
}
