//! What the engine knows of each variant's copy in the tenant's Meta catalog (issue #12):
//! the per-variant sync record the pusher keeps, the status the API shows (PENDING,
//! SYNCED, FAILED, NOT_LISTED) and the catalog's health as stored (counters, errors by
//! type, the cause of a hold). Records are bincode: new fields go in new records.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the merchant starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectMode {
    /// Create a new catalog for the business.
    Create,
    /// Link an existing catalog by id, without reading it.
    Link,
    /// Link an existing catalog and reconcile its items with the Shopify products.
    Import,
}

/// The tenant's catalog link, as stored (the token sealed): written by the connect
/// service, read by the pusher and by whatever shows products.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CatalogLink {
    /// The catalog.
    pub catalog_id: String,
    /// Its name (when known).
    pub name: String,
    /// How it was connected.
    pub mode: ConnectMode,
    /// When (ms).
    pub connected_ms: i64,
    /// The catalog token, sealed.
    pub token: Vec<u8>,
    /// The store's name (the brand of products without a vendor).
    pub shop_name: String,
    /// The ISO 4217 code of the shop's prices.
    pub currency: String,
}

impl CatalogLink {
    /// What the catalog's items need from the shop.
    pub fn facts(&self, shop: &str) -> ShopFacts {
        ShopFacts {
            domain: shop.to_string(),
            name: self.shop_name.clone(),
            currency: self.currency.clone(),
        }
    }
}

/// What the items need from the shop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShopFacts {
    /// `{name}.myshopify.com`.
    pub domain: String,
    /// The store's name (the brand of products without a vendor).
    pub name: String,
    /// ISO 4217 code of the shop's prices.
    pub currency: String,
}

/// The pixel size of a product image, as Shopify's product webhooks give it (kept beside
/// the product: Meta refuses item images under 500 × 500 px).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSize {
    /// The image.
    pub id: u64,
    /// Width in px.
    pub width: u32,
    /// Height in px.
    pub height: u32,
}

/// The outcome of a variant's last push.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushOutcome {
    /// Meta holds the item as last computed.
    Synced,
    /// Meta (or our own check before sending) refused the item.
    Failed,
}

/// A variant's last push (stored per product and variant by the pusher, its only writer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSync {
    /// How it ended.
    pub outcome: PushOutcome,
    /// When (ms).
    pub at_ms: i64,
    /// Hash of the item's fields as sent: an unchanged item is not sent again.
    pub hash: u64,
    /// Meta's error text (or our check's), when failed.
    pub error: Option<String>,
    /// Whether Meta may hold a copy (an UPDATE was accepted once): deleting the variant
    /// then needs a DELETE; otherwise there is nothing to remove.
    pub at_meta: bool,
}

/// A variant's status in the catalog, as the API shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncStatus {
    /// A change is queued and not yet confirmed by Meta.
    Pending,
    /// Meta holds the current item.
    Synced,
    /// The last push failed (see `error`).
    Failed,
    /// Not in the catalog: the product is a draft, archived, or excluded by the merchant.
    NotListed,
}

/// One variant's status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VariantSync {
    /// The variant.
    pub variant_id: u64,
    /// Its id in Meta's catalog.
    pub retailer_id: String,
    /// The status.
    pub status: SyncStatus,
    /// When the last push ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// Meta's error text (FAILED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A product's catalog side, as the API shows it on the product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProductSync {
    /// The merchant keeps the product out of Meta's catalog.
    pub excluded: bool,
    /// Per variant.
    pub variants: Vec<VariantSync>,
}

/// Why the pusher holds the queue: a call failed in a way only a person can fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Meta's code (190 token, 200/10 permission …).
    pub code: i64,
    /// What Meta said.
    pub cause: String,
    /// When (ms).
    pub since_ms: i64,
    /// A hash of the sealed token that failed: a new token lifts the hold.
    pub token: u64,
}

/// The catalog's push health as stored (id 0), written by the pusher only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushHealth {
    /// Items Meta accepted (UPDATE and DELETE), ever.
    pub accepted: u64,
    /// Items refused, by Meta or by our checks, ever.
    pub refused: u64,
    /// `items_batch` calls made.
    pub calls: u64,
    /// The hour (unix hours) of `calls_in_hour`.
    pub hour: i64,
    /// Calls made in that hour (the hourly budget).
    pub calls_in_hour: u32,
    /// Last push that Meta accepted (ms).
    pub last_success_ms: Option<i64>,
    /// Refusals and failed calls by type (Meta code or our check), counted.
    pub errors: BTreeMap<String, u64>,
    /// The last failed call: code and text.
    pub last_error: Option<(i64, String)>,
    /// The queue is held until a new token (see [`Hold`]).
    pub hold: Option<Hold>,
    /// No call before this time (ms): 80014 or a transient failure backs off.
    pub retry_after_ms: i64,
    /// Consecutive failed calls (backoff exponent).
    pub failures: u32,
}

/// The last check of the catalog's token and link (id 0), written by the health check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogCheck {
    /// When (ms).
    pub at_ms: i64,
    /// `debug_token` said valid (`None`: it could not be asked).
    pub token_valid: Option<bool>,
    /// Why not valid, or why it could not be asked.
    pub token_problem: Option<String>,
    /// The catalog is the one connected to the WABA (`None`: not asked).
    pub linked: Option<bool>,
    /// Why the link could not be read.
    pub link_problem: Option<String>,
}

/// A hold, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    /// Meta's code.
    pub code: i64,
    /// What Meta said.
    pub cause: String,
    /// Since when.
    pub since: Timestamp,
}

/// Counts of the catalog's variants by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SyncCounts {
    /// Variants Meta holds as last computed.
    pub synced: u64,
    /// Variants whose last push failed.
    pub failed: u64,
    /// Products with a change queued.
    pub pending_products: u64,
}

/// The catalog's health in `GET /api/v1/integrations/health`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CatalogHealthView {
    /// Overall: red when held or the token/link check failed, yellow with failed items
    /// or a backoff running, green otherwise.
    pub state: crate::domain::whatsapp::HealthState,
    /// The connected catalog.
    pub catalog_id: String,
    /// `valid`, `invalid` or `unknown` (not checked yet).
    pub token: String,
    /// The catalog is connected to the WABA (`null`: not checked yet).
    pub linked_to_waba: Option<bool>,
    /// Variants by status.
    pub counts: SyncCounts,
    /// Accepted items over all items pushed (`null` before the first push).
    pub success_rate: Option<f64>,
    /// Refusals and failed calls by type, counted.
    pub errors: BTreeMap<String, u64>,
    /// The last push Meta accepted.
    pub last_success_at: Option<Timestamp>,
    /// The last failed call.
    pub last_error: Option<String>,
    /// The queue is held until a new token (PUT /api/v1/catalog with it).
    pub held: Option<HoldView>,
    /// No call before this time (80014 or a transient failure).
    pub retry_after: Option<Timestamp>,
    /// `items_batch` calls this hour, and in all.
    pub calls_this_hour: u32,
    /// `items_batch` calls in all.
    pub calls: u64,
    /// What is wrong, in words (empty when green).
    pub details: Vec<String>,
    /// When the token and link were last checked.
    pub checked_at: Option<Timestamp>,
}
