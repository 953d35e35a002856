//! The Meta catalog side of a product, pure (issue #12's foundation): each Shopify variant
//! is one `PRODUCT_ITEM` of the shop's Meta catalog, under the variant's retailer id
//! (`domain::catalog::retailer_id`, the id product messages name), grouped by product
//! (`item_group_id`). This module turns a product into its items' `data` (with the checks
//! Meta makes, done before sending so a bad item fails here with a clear reason instead
//! of a round trip), and a product change into the `items_batch` requests that bring
//! Meta's copy up to date (UPDATE with `allow_upsert`, DELETE for variants gone, and for
//! products deleted, archived, drafted or excluded by the merchant).
//!
//! Choices, named: the description is the product title while the catalog does not keep
//! Shopify's `body_html` (Meta requires one); the link is the product page on the shop's
//! `myshopify.com` domain with `?variant=` (Shopify redirects it to the primary domain);
//! `condition` is `new`; a compare-at price above the price makes the compare-at price
//! `price` and the price `sale_price` (Meta shows the sale); `brand` is the vendor, else
//! the store's name; `Color`/`Colour` and `Size` options become `color` and `size`, other
//! options `additional_variant_attribute`.

use crate::domain::catalog::{retailer_id, Product, ProductStatus, Variant};
use crate::domain::Money;
use serde_json::{json, Map, Value};

/// Meta's limits on PRODUCT_ITEM fields (items_batch reference).
pub const TITLE_MAX: usize = 100;
/// Description limit.
pub const DESCRIPTION_MAX: usize = 5_000;
/// Requests in one `items_batch` call.
pub const BATCH_MAX: usize = 5_000;

pub use crate::domain::catalog_sync::ShopFacts;

/// Why a variant cannot be an item: the reason Meta would give, found before sending.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ItemProblem {
    /// No title.
    #[error("the product has no title (Meta requires one)")]
    NoTitle,
    /// No image anywhere (variant, featured, product images).
    #[error("the product has no image (Meta requires one)")]
    NoImage,
    /// No handle to link to.
    #[error("the product has no handle, so no page to link to (Meta requires a link)")]
    NoLink,
    /// The shop's currency is not an ISO 4217 code.
    #[error("`{0}` is not a currency code (Meta needs prices as `9.99 USD`)")]
    BadCurrency(String),
    /// A negative price.
    #[error("the price {0} is negative")]
    NegativePrice(String),
    /// The item's image is smaller than Meta takes.
    #[error("the image is {width}×{height} px; Meta needs at least 500×500")]
    SmallImage {
        /// Width in px.
        width: u32,
        /// Height in px.
        height: u32,
    },
}

impl ItemProblem {
    /// A short name of the problem (errors by type in the catalog health).
    pub fn kind(&self) -> &'static str {
        match self {
            ItemProblem::NoTitle => "check: no title",
            ItemProblem::NoImage => "check: no image",
            ItemProblem::NoLink => "check: no link",
            ItemProblem::BadCurrency(_) => "check: bad currency",
            ItemProblem::NegativePrice(_) => "check: negative price",
            ItemProblem::SmallImage { .. } => "check: image under 500 px",
        }
    }
}

/// One `items_batch` request.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemRequest {
    /// Create or replace (`UPDATE` with `allow_upsert`).
    Update {
        /// The retailer id.
        id: String,
        /// The item's fields.
        data: Value,
    },
    /// Remove the item.
    Delete {
        /// The retailer id.
        id: String,
    },
    /// The variant cannot be an item: it is marked FAILED with the reason, nothing sent
    /// (and any stale copy at Meta removed).
    Invalid {
        /// The retailer id.
        id: String,
        /// Why.
        problem: ItemProblem,
    },
}

impl ItemRequest {
    /// The retailer id it is about.
    pub fn id(&self) -> &str {
        match self {
            ItemRequest::Update { id, .. }
            | ItemRequest::Delete { id }
            | ItemRequest::Invalid { id, .. } => id,
        }
    }

    /// The request as `items_batch` takes it (`None` for [`ItemRequest::Invalid`]).
    pub fn wire(&self) -> Option<Value> {
        match self {
            ItemRequest::Update { data, .. } => Some(json!({"method": "UPDATE", "data": data})),
            ItemRequest::Delete { id } => Some(json!({"method": "DELETE", "data": {"id": id}})),
            ItemRequest::Invalid { .. } => None,
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn money(m: Money, currency: &str) -> String {
    format!("{m} {currency}")
}

/// Whether a product's variants belong in Meta's catalog: active and not excluded.
pub fn listed(p: &Product, excluded: bool) -> bool {
    !excluded && !p.placeholder && p.status == ProductStatus::Active
}

/// The item of variant `v` of `p`.
///
/// # Errors
/// [`ItemProblem`], the first found.
pub fn item(shop: &ShopFacts, p: &Product, v: &Variant) -> Result<Value, ItemProblem> {
    item_checked(shop, p, v, &[])
}

/// Meta's least image side, in px.
pub const IMAGE_MIN_PX: u32 = 500;

/// [`item`], with the image's size checked when `sizes` knows it (Shopify's webhooks
/// give `width` and `height`; an image of unknown size is left to Meta).
///
/// # Errors
/// [`ItemProblem`], the first found.
pub fn item_checked(
    shop: &ShopFacts,
    p: &Product,
    v: &Variant,
    sizes: &[crate::domain::catalog_sync::ImageSize],
) -> Result<Value, ItemProblem> {
    let currency = shop.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ItemProblem::BadCurrency(shop.currency.clone()));
    }
    if p.title.trim().is_empty() {
        return Err(ItemProblem::NoTitle);
    }
    if p.handle.trim().is_empty() {
        return Err(ItemProblem::NoLink);
    }
    if v.price.0 < 0 {
        return Err(ItemProblem::NegativePrice(v.price.to_string()));
    }
    let (image_id, image) = v
        .image
        .as_ref()
        .and_then(|i| Some((i.id, i.src.as_deref()?)))
        .or_else(|| p.image.as_ref().map(|i| (i.id, &*i.src)))
        .or_else(|| p.images.first().map(|i| (i.id, &*i.src)))
        .ok_or(ItemProblem::NoImage)?;
    if let Some(s) = sizes.iter().find(|s| s.id == image_id) {
        if s.width < IMAGE_MIN_PX || s.height < IMAGE_MIN_PX {
            return Err(ItemProblem::SmallImage {
                width: s.width,
                height: s.height,
            });
        }
    }
    let single = p.variants.len() <= 1 || v.title.is_empty() || &*v.title == "Default Title";
    let title = if single {
        p.title.to_string()
    } else {
        format!("{} - {}", p.title, v.title)
    };
    let mut data = Map::new();
    data.insert("id".into(), json!(retailer_id(v.id)));
    data.insert("item_group_id".into(), json!(p.id.to_string()));
    data.insert("title".into(), json!(truncate(&title, TITLE_MAX)));
    data.insert(
        "description".into(),
        json!(truncate(&p.title, DESCRIPTION_MAX)),
    );
    let stock = v.inventory_quantity.max(0);
    data.insert(
        "availability".into(),
        json!(if stock > 0 {
            "in stock"
        } else {
            "out of stock"
        }),
    );
    data.insert("quantity_to_sell_on_facebook".into(), json!(stock));
    data.insert("condition".into(), json!("new"));
    match v.compare_at_price.filter(|c| *c > v.price) {
        Some(was) => {
            data.insert("price".into(), json!(money(was, &currency)));
            data.insert("sale_price".into(), json!(money(v.price, &currency)));
        }
        None => {
            data.insert("price".into(), json!(money(v.price, &currency)));
        }
    }
    data.insert(
        "link".into(),
        json!(format!(
            "https://{}/products/{}?variant={}",
            shop.domain, p.handle, v.id
        )),
    );
    data.insert("image".into(), json!([{"url": image}]));
    let brand = if p.vendor.trim().is_empty() {
        &shop.name
    } else {
        &*p.vendor
    };
    data.insert("brand".into(), json!(truncate(brand, TITLE_MAX)));
    let mut extra = Vec::new();
    for o in &v.selected_options {
        match o.name.to_ascii_lowercase().as_str() {
            "color" | "colour" => {
                data.insert("color".into(), json!(truncate(&o.value, TITLE_MAX)));
            }
            "size" => {
                data.insert("size".into(), json!(truncate(&o.value, TITLE_MAX)));
            }
            _ => extra.push(format!("{}:{}", o.name, o.value)),
        }
    }
    if !extra.is_empty() {
        data.insert(
            "additional_variant_attribute".into(),
            json!(extra.join(",")),
        );
    }
    if !p.product_type.is_empty() {
        data.insert("product_type".into(), json!(truncate(&p.product_type, 750)));
    }
    Ok(Value::Object(data))
}

/// The requests that bring Meta's copy of a product from `before` (what was pushed, or
/// `None`) to `after` (`None`: deleted): every listed variant updated (or invalid with its
/// reason), and a variant of `before` deleted when it is gone, invalid now, or the
/// product is no longer listed.
pub fn requests(
    shop: &ShopFacts,
    before: Option<&Product>,
    after: Option<&Product>,
    excluded: bool,
) -> Vec<ItemRequest> {
    let mut out = Vec::new();
    let live = after.filter(|p| listed(p, excluded));
    if let Some(p) = live {
        for v in &p.variants {
            let id = retailer_id(v.id);
            out.push(match item(shop, p, v) {
                Ok(data) => ItemRequest::Update { id, data },
                Err(problem) => ItemRequest::Invalid { id, problem },
            });
        }
    }
    if let Some(b) = before {
        for v in &b.variants {
            let id = retailer_id(v.id);
            let kept = out
                .iter()
                .any(|r| matches!(r, ItemRequest::Update { id: u, .. } if *u == id));
            if !kept {
                out.push(ItemRequest::Delete {
                    id: retailer_id(v.id),
                });
            }
        }
    }
    out
}

/// Whether a message may show variant `v`, given its last push: Meta must hold it
/// (SYNCED, or a later push failed while Meta keeps the earlier copy) and it must be in
/// stock now. The error says why not.
///
/// # Errors
/// The reason, in words.
pub fn sendable(
    sync: Option<&crate::domain::catalog_sync::ItemSync>,
    v: &Variant,
) -> Result<(), String> {
    use crate::domain::catalog_sync::PushOutcome;
    match sync {
        None => return Err("it is not in the Meta catalog yet (not synced)".into()),
        Some(s) if s.outcome == PushOutcome::Failed && !s.at_meta => {
            return Err(format!(
                "Meta refused it: {}",
                s.error.as_deref().unwrap_or("no reason given")
            ))
        }
        Some(s) if !s.at_meta => return Err("it is not in the Meta catalog".into()),
        Some(_) => {}
    }
    if v.inventory_quantity <= 0 {
        return Err("it is out of stock".into());
    }
    Ok(())
}

pub mod plan;

#[cfg(test)]
mod tests;
