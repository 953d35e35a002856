//! Bearer authentication of the admin API: the operator token (all tenants) or a tenant
//! API key (its own tenant only, looked up by SHA-256).
//!
//! What a tenant's state allows:
//! - `active`: everything its key is for.
//! - `uninstalled`: the key keeps **read** access (the merchant may still look at, or
//!   export, what is held until `shop/redact` erases it), but nothing that adds
//!   credentials or sends: those handlers call [`TenantScope::require_active`] (410
//!   `shop_uninstalled`).
//! - `redacted` or removed: the key stops working (401 `tenant_redacted`; a removed
//!   tenant's key hash is deleted with it, so it is an unknown key, 401
//!   `invalid_credentials`).

use super::{error::ApiError, AppState};
use crate::secrets::hash_api_key;
use crate::store::tenants::TenantStatus;
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
    /// Its state when the request came in.
    pub status: TenantStatus,
}

impl TenantScope {
    /// Refuses what only an installed shop may do: add credentials or phone numbers,
    /// send, submit templates. An uninstalled shop keeps read access.
    ///
    /// # Errors
    /// 410 `shop_uninstalled` (or redacted, for the operator naming such a shop).
    pub fn require_active(&self) -> Result<(), ApiError> {
        match self.status {
            TenantStatus::Active => Ok(()),
            TenantStatus::Uninstalled => Err(ApiError::Gone(format!(
                "shop `{}` has uninstalled the app: it can read what is kept, not add \
                 credentials or send",
                self.shop
            ))),
            TenantStatus::Redacted => {
                Err(ApiError::Gone(format!("shop `{}` was redacted", self.shop)))
            }
        }
    }
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
        let store = state.engine.store();
        let Some(shop) = store.shop_for_key(&hash_api_key(token))? else {
            return Err(ApiError::unauthorized(
                "invalid_credentials",
                "unknown API key",
            ));
        };
        match store.tenant_status(&shop)? {
            Some(TenantStatus::Active | TenantStatus::Uninstalled) => Ok(Principal::Tenant(shop)),
            Some(TenantStatus::Redacted) => Err(ApiError::unauthorized(
                "tenant_redacted",
                "this key's shop was redacted (shop/redact); its key no longer works",
            )),
            None => Err(ApiError::unauthorized(
                "tenant_removed",
                "this key's shop is no longer a tenant",
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
        let Some(status) = state.engine.store().tenant_status(&shop)? else {
            return Err(ApiError::not_found(
                "unknown_shop",
                format!("shop `{shop}` is not a tenant"),
            ));
        };
        Ok(TenantScope { shop, status })
    }
}

/// Rejects anyone but the operator: a valid tenant key is authenticated but not allowed
/// (403, not 401).
pub fn require_operator(p: &Principal) -> Result<(), ApiError> {
    match p {
        Principal::Operator => Ok(()),
        Principal::Tenant(_) => Err(ApiError::Forbidden(
            "this endpoint needs the operator token; a tenant key cannot use it".into(),
        )),
    }
}
