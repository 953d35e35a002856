//! Tenant administration shared by the operator API and the CLI: create (with a tenant API
//! key shown once and tokens sealed at rest), list, delete. Views never carry tokens.

use crate::actors::context::seal_meta_token;
use crate::domain::shop::InvalidShopDomain;
use crate::domain::{ShopDomain, Timestamp};
use crate::secrets::{new_api_key, MasterKey, SecretsError};
use crate::services::meta_routes::{self, Claimed};
use crate::store::tenants::TenantStatus;
use crate::store::{Store, StoreError, TenantRecord};
use serde::{Deserialize, Serialize};

/// Why a tenant operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// The shop domain is invalid.
    #[error(transparent)]
    Shop(#[from] InvalidShopDomain),
    /// A required field is missing or empty.
    #[error("`{0}` is required and must not be empty")]
    Missing(&'static str),
    /// A field has an invalid value.
    #[error("`{field}` is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The shop is already a tenant.
    #[error("shop `{0}` is already a tenant")]
    Exists(String),
    /// A phone number id or the WABA id already belongs to another tenant.
    #[error(transparent)]
    Claimed(#[from] Claimed),
    /// No such tenant.
    #[error("shop `{0}` is not a tenant")]
    NotFound(String),
    /// Sealing failed.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The body of `POST /api/v1/tenants`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// `{name}.myshopify.com`.
    #[schema(
        max_length = 255,
        pattern = "^\\s*[A-Za-z0-9]([A-Za-z0-9-]{0,58}[A-Za-z0-9])?\\.[Mm][Yy][Ss][Hh][Oo][Pp][Ii][Ff][Yy]\\.[Cc][Oo][Mm]\\s*$"
    )]
    pub shop: String,
    /// Shopify Admin API access token of the installation.
    #[schema(max_length = 4096, pattern = "\\S")]
    pub shopify_access_token: String,
    /// WhatsApp Cloud API access token (optional until WhatsApp is connected).
    #[serde(default)]
    #[schema(max_length = 4096)]
    pub meta_access_token: Option<String>,
    /// WhatsApp phone number ids (digits, at most 20).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub meta_phone_number_ids: Vec<String>,
    /// WhatsApp Business Account id (digits; empty means none).
    #[serde(default)]
    #[schema(pattern = "^[0-9]{0,32}$")]
    pub meta_waba_id: Option<String>,
}

/// A tenant as the API shows it: no token ever.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TenantView {
    /// Shop domain.
    pub shop: String,
    /// `active`, `uninstalled` or `redacted`.
    pub status: String,
    /// When added.
    pub created_at: String,
    /// When the status last changed.
    pub status_at: String,
    /// Whether a Shopify token is stored.
    pub has_shopify_token: bool,
    /// Whether a Meta token is stored.
    pub has_meta_token: bool,
    /// WhatsApp phone number ids.
    pub meta_phone_number_ids: Vec<String>,
    /// WhatsApp Business Account id.
    pub meta_waba_id: Option<String>,
}

impl From<&TenantRecord> for TenantView {
    fn from(t: &TenantRecord) -> Self {
        Self {
            shop: t.shop.clone(),
            status: match t.status {
                TenantStatus::Active => "active",
                TenantStatus::Uninstalled => "uninstalled",
                TenantStatus::Redacted => "redacted",
            }
            .into(),
            created_at: t.created_at.to_rfc3339(),
            status_at: t.status_at.to_rfc3339(),
            has_shopify_token: !t.shopify_token.is_empty(),
            has_meta_token: t.meta_token.is_some(),
            meta_phone_number_ids: t.meta_phone_number_ids.clone(),
            meta_waba_id: t.meta_waba_id.clone(),
        }
    }
}

pub use crate::secrets::seal_context;

/// Creates a tenant; returns its view and the API key (shown once, stored hashed).
///
/// # Errors
/// [`TenantError`] naming the bad field, `Exists`, or `Claimed` when a phone number id or
/// the WABA id belongs to another tenant (nothing is then written).
pub fn create(
    store: &Store,
    key: &MasterKey,
    new: NewTenant,
) -> Result<(TenantView, String), TenantError> {
    let shop = ShopDomain::parse(&new.shop)?;
    let token = new.shopify_access_token.trim();
    if token.is_empty() {
        return Err(TenantError::Missing("shopify_access_token"));
    }
    for id in &new.meta_phone_number_ids {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TenantError::Invalid {
                field: "meta_phone_number_ids",
                reason: format!("`{id}` is not a numeric phone number id"),
            });
        }
    }
    if let Some(w) = new
        .meta_waba_id
        .as_deref()
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        if !w.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TenantError::Invalid {
                field: "meta_waba_id",
                reason: format!("`{w}` is not a numeric WhatsApp Business Account id"),
            });
        }
    }
    let meta_token = match new.meta_access_token.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(t) => Some(seal_meta_token(key, shop.as_str(), t)?),
    };
    let (api_key, api_key_hash) = new_api_key();
    let now = Timestamp::now();
    let rec = TenantRecord {
        shop: shop.to_string(),
        status: TenantStatus::Active,
        created_at: now,
        status_at: now,
        shopify_token: key.seal(
            &seal_context(shop.as_str(), "shopify_token"),
            token.as_bytes(),
        )?,
        meta_token,
        meta_phone_number_ids: new.meta_phone_number_ids,
        meta_waba_id: new
            .meta_waba_id
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty()),
        api_key_hash,
    };
    let _claims = meta_routes::claims_guard();
    meta_routes::check_claims(
        store,
        &rec.shop,
        &rec.meta_phone_number_ids,
        rec.meta_waba_id.as_deref(),
    )??;
    if !store.create_tenant(&rec)? {
        return Err(TenantError::Exists(shop.to_string()));
    }
    let mut b = crate::store::Batch::new();
    for id in &rec.meta_phone_number_ids {
        b.put_phone_number(id, shop.as_str());
    }
    if let Some(w) = &rec.meta_waba_id {
        b.put_waba(w, shop.as_str());
    }
    store.commit(b)?;
    Ok((TenantView::from(&rec), api_key))
}

/// Every tenant.
///
/// # Errors
/// When the store fails.
pub fn list(store: &Store) -> Result<Vec<TenantView>, TenantError> {
    Ok(store.tenants()?.iter().map(TenantView::from).collect())
}
