//! Products, variants and collections: the catalog side's records, as stored (bincode)
//! and served (JSON). Built from Shopify webhooks by `logic::catalog`.
//!
//! Serialisation rules (both formats use the same derive): no `skip_serializing_if`, no
//! `flatten`, no untagged or internally tagged enums, no `serde_json::Value`, because
//! bincode is not self-describing.

use super::{Money, ShopifyId, Timestamp};
use serde::{Deserialize, Serialize};

/// A product with its variants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Product {
    /// Shopify product id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// Title; empty while the product is a placeholder (see [`Product::placeholder`]).
    pub title: Box<str>,
    /// URL handle (`example-t-shirt`).
    pub handle: Box<str>,
    /// Vendor (may be empty).
    pub vendor: Box<str>,
    /// Product type (may be empty).
    pub product_type: Box<str>,
    /// Tags, trimmed, empties dropped, in Shopify's order (the payload sends one
    /// comma-separated string).
    pub tags: Vec<Box<str>>,
    /// Publication status.
    pub status: ProductStatus,
    /// When the product was published to the online store; `None` when unpublished or unknown.
    pub published_at: Option<Timestamp>,
    /// Option names by position (`["Size", "Color"]`); names the variants' `selected_options`.
    pub options: Vec<Box<str>>,
    /// Images, ordered by position.
    pub images: Vec<ProductImage>,
    /// The featured image (Shopify's `image`), when there is one.
    pub image: Option<ProductImage>,
    /// Ids of the collections the product belongs to. Product webhooks do not carry
    /// membership, so this is filled by catalog sync (`CatalogBook::set_product_collections`)
    /// and kept across product updates; a deleted collection is removed from it.
    #[serde(with = "crate::domain::ids::as_string::vec", default)]
    #[schema(value_type = Vec<String>)]
    pub collections: Vec<ShopifyId>,
    /// Shopify's `updated_at`; `None` for a placeholder.
    pub updated_at: Option<Timestamp>,
    /// True while the product is known only from `variants/*` webhooks (created so that a
    /// variant's stock history is kept): title, handle and the rest are not known yet.
    pub placeholder: bool,
    /// Variants, ordered by position then id.
    pub variants: Vec<Variant>,
}

/// Galantis's retailer id of a variant in the shop's Meta catalog: the Shopify variant
/// id in decimal. Chosen over the SKU, which may be empty or shared by several variants;
/// a variant id is unique and never reused. Product messages name items by it and the
/// catalog sync pushes items under it.
pub fn retailer_id(variant_id: ShopifyId) -> String {
    variant_id.to_string()
}

impl Product {
    /// An empty placeholder product (known only by id).
    pub fn new_placeholder(id: ShopifyId) -> Self {
        Product {
            id,
            title: Box::from(""),
            handle: Box::from(""),
            vendor: Box::from(""),
            product_type: Box::from(""),
            tags: Vec::new(),
            status: ProductStatus::Unknown,
            published_at: None,
            options: Vec::new(),
            images: Vec::new(),
            image: None,
            collections: Vec::new(),
            updated_at: None,
            placeholder: true,
            variants: Vec::new(),
        }
    }

    /// One variant of this product.
    pub fn variant(&self, id: ShopifyId) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == id)
    }

    /// True when at least one variant has stock.
    pub fn in_stock(&self) -> bool {
        self.variants.iter().any(|v| v.inventory_quantity > 0)
    }
}

/// A product's publication status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProductStatus {
    /// Sellable.
    Active,
    /// Not yet published.
    Draft,
    /// Retired.
    Archived,
    /// Not known (placeholder, or a status this version does not know).
    Unknown,
}

impl ProductStatus {
    /// Parses Shopify's `status` (`active`, `draft`, `archived`; any case).
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" => ProductStatus::Active,
            "draft" => ProductStatus::Draft,
            "archived" => ProductStatus::Archived,
            _ => ProductStatus::Unknown,
        }
    }
}

/// A product image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductImage {
    /// Shopify image id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// Image URL.
    pub src: Box<str>,
    /// 1-based position among the product's images (0 when not given).
    pub position: u32,
    /// Alt text.
    pub alt: Option<Box<str>>,
}

/// One purchasable variant of a product.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Variant {
    /// Shopify variant id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// The product it belongs to.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub product_id: ShopifyId,
    /// Variant title (`Small`, `Red / M`).
    pub title: Box<str>,
    /// Price.
    pub price: Money,
    /// The original price shown crossed out, when set.
    pub compare_at_price: Option<Money>,
    /// Stock level; 0 or less is out of stock. Drives restock (`VariantRestocked`).
    pub inventory_quantity: i64,
    /// SKU, when set (empty strings become `None`).
    pub sku: Option<Box<str>>,
    /// The variant's own image (`image_id` resolved against the product images), if any.
    pub image: Option<VariantImage>,
    /// The option combination (`Size: M`, `Color: Blue`).
    pub selected_options: Vec<SelectedOption>,
    /// 1-based position among the product's variants (0 when not given).
    pub position: u32,
    /// Shopify's `updated_at` for the variant.
    pub updated_at: Option<Timestamp>,
    /// Version of the snapshot this record holds: only a strictly newer snapshot replaces
    /// it. This is what makes restock detection immune to duplicates and reordering.
    pub version: VariantVersion,
    /// The last few stock levels seen, in version order, each marked when its restock was
    /// recorded. A late snapshot is slotted into its place, so a transition hidden by
    /// reordering (sold out at t3, restocked at t4, t3 delivered last) is still recorded,
    /// once. Bounded to [`STOCK_HISTORY`] points.
    pub stock_history: Vec<StockPoint>,
}

/// How many stock points a variant remembers: reordering deeper than this is treated as
/// stale. Shopify delivers within seconds in practice and retries within 4 hours.
pub const STOCK_HISTORY: usize = 8;

/// One observed stock level of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockPoint {
    /// The snapshot's version.
    pub version: VariantVersion,
    /// Its inventory quantity.
    pub quantity: i64,
    /// True once the 0-or-less → positive transition ending at this point was recorded.
    pub restock_recorded: bool,
}

/// A variant image: the image id, and its URL when the product's images list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VariantImage {
    /// Shopify image id (`image_id`).
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// URL from the product's images; `None` while unknown.
    pub src: Option<Box<str>>,
}

/// One option of a variant: `{ name: "Size", value: "M" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SelectedOption {
    /// Option name from the product's `options` by position, else `Option1`, `Option2` …
    pub name: Box<str>,
    /// The variant's value (`option1` … `option3`).
    pub value: Box<str>,
}

/// Ordering of variant snapshots: Shopify's variant `updated_at` first (a missing one
/// sorts first), then the delivery's `X-Shopify-Triggered-At` (else the time we received
/// it) to order snapshots that share an `updated_at` (stock changes need not bump it).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub struct VariantVersion {
    /// The variant's `updated_at` (else its `variant_gids` entry); `None` sorts first.
    pub updated_at: Option<Timestamp>,
    /// When the snapshot was taken: `X-Shopify-Triggered-At`, else the receive time.
    pub triggered_at: Timestamp,
}

/// A collection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Collection {
    /// Shopify collection id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// URL handle.
    pub handle: Box<str>,
    /// Title.
    pub title: Box<str>,
    /// Shopify's `updated_at`.
    pub updated_at: Option<Timestamp>,
    /// When published; `None` when unpublished or unknown.
    pub published_at: Option<Timestamp>,
    /// Sort order (`manual`, `best-selling`, `alpha-asc` …), when given.
    pub sort_order: Option<Box<str>>,
}
