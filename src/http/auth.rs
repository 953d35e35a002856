//! Bearer authentication of the admin API: the operator token (all tenants) or a tenant
//! API key (its own tenant only, looked up by SHA-256).

use super::{error::ApiError, AppState};
use crate::secrets::hash_api_key;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The operator: manages tenants; may act on any tenant by naming it in `X-Galantis-Shop`.
    Operator,
    /// A tenant API key: sees only this shop.
    Tenant(String),
}

impl Principal {
    /// The shop a tenant-scoped request is about: the key's own shop, or for the operator
    /// the `X-Galantis-Shop` header.
    ///
    /// # Errors
    /// 400 when the operator names no shop.
    pub fn shop(&self, parts_shop: Option<&str>) -> Result<String, ApiError> {
        match self {
            Principal::Tenant(s) => Ok(s.clone()),
            Principal::Operator => parts_shop.map(str::to_string).ok_or_else(|| {
                ApiError::bad_request(
                    "missing_shop",
                    "operator requests to tenant endpoints must name the shop in `X-Galantis-Shop`",
                )
            }),
        }
    }
}

/// The authenticated principal plus the shop a tenant-scoped request is about.
pub struct TenantScope {
    /// The shop.
    pub shop: String,
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let h = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized("missing_credentials", "send `Authorization: Bearer <key>`")
        })?;
    let s = h.to_str().map_err(|_| {
        ApiError::unauthorized("invalid_credentials", "authorization header is not text")
    })?;
    s.strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_credentials",
                "expected `Authorization: Bearer <key>`",
            )
        })
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let op = state.operator_token.as_bytes();
        if !op.is_empty() && bool::from(token.as_bytes().ct_eq(op)) {
            return Ok(Principal::Operator);
        }
        match state.engine.store().shop_for_key(&hash_api_key(token))? {
            Some(shop) => Ok(Principal::Tenant(shop)),
            None => Err(ApiError::unauthorized(
                "invalid_credentials",
                "unknown API key",
            )),
        }
    }
}

/// The shop named in `X-Galantis-Shop`, normalised.
fn named_shop(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-galantis-shop")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_ascii_lowercase())
}

/// Whose dead letters a request is about: a tenant's (as [`TenantScope`]), or, for the
/// operator naming no shop, the operator's own: authentic Meta events that no tenant
/// owned when they came in (see [`crate::store::OPERATOR_SCOPE`]).
pub enum LetterScope {
    /// A tenant's letters.
    Tenant(String),
    /// The operator's letters.
    Operator,
}

impl FromRequestParts<AppState> for LetterScope {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = Principal::from_request_parts(parts, state).await?;
        if p == Principal::Operator && named_shop(parts).is_none() {
            return Ok(LetterScope::Operator);
        }
        let scope = TenantScope::from_request_parts(parts, state).await?;
        Ok(LetterScope::Tenant(scope.shop))
    }
}

impl FromRequestParts<AppState> for TenantScope {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let p = Principal::from_request_parts(parts, state).await?;
        let named = named_shop(parts);
        let shop = p.shop(named.as_deref())?;
        if state.engine.store().tenant(&shop)?.is_none() {
            return Err(ApiError::not_found(
                "unknown_shop",
                format!("shop `{shop}` is not a tenant"),
            ));
        }
        Ok(TenantScope { shop })
    }
}

/// Rejects anyone but the operator.
pub fn require_operator(p: &Principal) -> Result<(), ApiError> {
    match p {
        Principal::Operator => Ok(()),
        Principal::Tenant(_) => Err(ApiError::unauthorized(
            "operator_only",
            "this endpoint needs the operator token",
        )),
    }
}
