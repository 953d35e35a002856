//! `products/*` and `variants/*` bodies (`variants/in_stock`, `variants/out_of_stock`
//! carry a variant with `old_inventory_quantity`).

use super::{gid, money};
use serde_json::{json, Value};

/// One variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    /// Shopify's variant id.
    pub id: u64,
    /// Its product.
    pub product_id: u64,
    /// Title (`M / Blue`).
    pub title: String,
    /// Option values (`option1..3`), in order.
    pub options: Vec<String>,
    /// 1-based position.
    pub position: usize,
    /// Price in cents.
    pub price_cents: u64,
    /// Compare-at price in cents.
    pub compare_at_cents: Option<u64>,
    /// SKU.
    pub sku: String,
    /// The inventory item behind it.
    pub inventory_item_id: u64,
    /// Units in stock now.
    pub inventory_quantity: i64,
    /// Units in stock before this change (equal to the above in `products/*`).
    pub old_inventory_quantity: i64,
    /// `created_at` (RFC 3339).
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
}

impl Variant {
    /// Variant `id` ("Small", 19.99, SKU `T-S`) of product `product_id`, `quantity` in
    /// stock (and before), created and updated 2026-01-01.
    pub fn new(id: u64, product_id: u64, quantity: i64) -> Self {
        Self {
            id,
            product_id,
            title: "Small".into(),
            options: vec!["Small".into()],
            position: 1,
            price_cents: 1_999,
            compare_at_cents: None,
            sku: "T-S".into(),
            inventory_item_id: id + 1,
            inventory_quantity: quantity,
            old_inventory_quantity: quantity,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    /// The body (as `variants/*` sends it, and as products embed it).
    pub fn body(&self) -> Value {
        let opt = |k: usize| self.options.get(k).cloned();
        json!({
            "admin_graphql_api_id": gid("ProductVariant", self.id),
            "barcode": null,
            "compare_at_price": self.compare_at_cents.map(money),
            "created_at": self.created_at,
            "id": self.id,
            "inventory_policy": "deny",
            "position": self.position,
            "price": money(self.price_cents),
            "product_id": self.product_id,
            "sku": self.sku,
            "taxable": true,
            "title": self.title,
            "updated_at": self.updated_at,
            "option1": opt(0),
            "option2": opt(1),
            "option3": opt(2),
            "image_id": null,
            "inventory_item_id": self.inventory_item_id,
            "inventory_quantity": self.inventory_quantity,
            "old_inventory_quantity": self.old_inventory_quantity,
        })
    }
}

/// A product option: its id, name and the values the variants use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductOption {
    /// Shopify's option id.
    pub id: u64,
    /// Name (`Size`).
    pub name: String,
    /// Values, in order.
    pub values: Vec<String>,
}

/// A product as `products/create|update` sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// Shopify's product id.
    pub id: u64,
    /// Title.
    pub title: String,
    /// URL handle.
    pub handle: String,
    /// Vendor.
    pub vendor: String,
    /// Product type.
    pub product_type: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Description (HTML).
    pub body_html: String,
    /// Options.
    pub options: Vec<ProductOption>,
    /// Variants.
    pub variants: Vec<Variant>,
    /// `created_at` (RFC 3339), also `published_at`.
    pub created_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// The `updated_at` of `variant_gids` (GraphQL-style UTC time).
    pub variant_gids_updated_at: String,
    /// Image URLs, in position order (`images[]` and the featured `image`; none by
    /// default, as in Shopify's sample body).
    pub images: Vec<String>,
}

impl Product {
    /// Product `id`, "Tee" by Acme, one option `Size`, no variants, created and updated
    /// 2026-01-01.
    pub fn new(id: u64) -> Self {
        Self {
            id,
            title: "Tee".into(),
            handle: "tee".into(),
            vendor: "Acme".into(),
            product_type: "Shirts".into(),
            tags: vec!["a".into(), "b".into()],
            body_html: "<p>Tee by Acme.</p>".into(),
            options: vec![ProductOption {
                id: id + 1,
                name: "Size".into(),
                values: vec!["Small".into()],
            }],
            variants: Vec::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            variant_gids_updated_at: "2026-01-01T00:00:00.000Z".into(),
            images: Vec::new(),
        }
    }

    /// The body.
    pub fn body(&self) -> Value {
        let options: Vec<Value> = self
            .options
            .iter()
            .enumerate()
            .map(|(k, o)| {
                json!({
                    "id": o.id,
                    "product_id": self.id,
                    "name": o.name,
                    "position": k + 1,
                    "values": o.values,
                })
            })
            .collect();
        let variant_gids: Vec<Value> = self
            .variants
            .iter()
            .rev()
            .map(|v| json!({"admin_graphql_api_id": gid("ProductVariant", v.id), "updated_at": self.variant_gids_updated_at}))
            .collect();
        let images: Vec<Value> = self
            .images
            .iter()
            .enumerate()
            .map(|(k, src)| {
                let id = self.id.wrapping_add(900_000 + 1_000 * k as u64);
                json!({"id": id, "admin_graphql_api_id": gid("ProductImage", id),
                    "product_id": self.id, "position": k + 1, "alt": null, "width": 1024,
                    "height": 1024, "src": src, "variant_ids": [],
                    "created_at": self.created_at, "updated_at": self.updated_at})
            })
            .collect();
        json!({
            "admin_graphql_api_id": gid("Product", self.id),
            "body_html": self.body_html,
            "created_at": self.created_at,
            "handle": self.handle,
            "id": self.id,
            "product_type": self.product_type,
            "published_at": self.created_at,
            "template_suffix": null,
            "title": self.title,
            "updated_at": self.updated_at,
            "vendor": self.vendor,
            "status": "active",
            "published_scope": "global",
            "tags": self.tags.join(", "),
            "variants": self.variants.iter().map(Variant::body).collect::<Vec<_>>(),
            "options": options,
            "image": images.first().cloned(),
            "images": images,
            "media": [],
            "variant_gids": variant_gids,
            "has_variants_that_requires_components": false,
            "category": null,
        })
    }
}
