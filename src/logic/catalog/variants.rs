//! Variant snapshots and restock detection, shared by `products/*` (their `variants[]`)
//! and `variants/in_stock` / `variants/out_of_stock`.
//!
//! Every snapshot carries a [`VariantVersion`] (variant `updated_at`, then the delivery's
//! triggered-at time). A snapshot replaces the stored variant only when its version is
//! strictly newer, and `VariantRestocked` fires only when such a replacement moves the
//! quantity from 0 or less to more than 0. Since the applied versions of one variant
//! strictly increase, a duplicate or an older snapshot can never fire a second event.

use super::payload::{self, VariantDto};
use super::{CatalogBook, Change, Write};
use crate::domain::catalog::{Product, SelectedOption, Variant, VariantImage, VariantVersion};
use crate::domain::{EventKind, ShopifyId, Timestamp};
use crate::logic::{ApplyError, Delivery};

/// What one snapshot did to its variant.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    /// Not newer than the stored variant: nothing changed.
    Stale,
    /// First time this variant is seen (never a restock: no earlier quantity is known).
    Inserted,
    /// Replaced the stored variant; carries the restock event when stock came back.
    Replaced(Option<EventKind>),
}

/// Builds a variant from its payload. Option names, the image URL and the order within
/// the product are filled by [`finish`]; a missing quantity is filled by [`apply_snapshot`].
pub(super) fn from_dto(
    dto: &VariantDto,
    id: ShopifyId,
    product_id: ShopifyId,
    version: VariantVersion,
) -> Variant {
    let selected_options = [&dto.option1, &dto.option2, &dto.option3]
        .into_iter()
        .flatten()
        .filter(|v| !v.trim().is_empty())
        .map(|value| SelectedOption {
            name: Box::from(""),
            value: value.clone(),
        })
        .collect();
    Variant {
        id,
        product_id,
        title: dto.title.clone().unwrap_or_default(),
        price: dto.price.unwrap_or_default(),
        compare_at_price: dto.compare_at_price,
        inventory_quantity: dto.inventory_quantity.unwrap_or(0),
        sku: dto.sku.clone().filter(|s| !s.trim().is_empty()),
        image: dto.image_id.map(|id| VariantImage { id, src: None }),
        selected_options,
        position: dto.position.unwrap_or(0),
        updated_at: dto.updated_at,
        version,
    }
}

/// Version of a snapshot: its `updated_at` (else `fallback_updated_at`) and the
/// delivery's triggered-at (else received-at) time.
pub(super) fn version_of(
    dto: &VariantDto,
    fallback_updated_at: Option<Timestamp>,
    d: &Delivery<'_>,
) -> VariantVersion {
    VariantVersion {
        updated_at: dto.updated_at.or(fallback_updated_at),
        triggered_at: d.fallback_time(),
    }
}

/// Applies one snapshot to `product`. `quantity_known` is false when the payload had no
/// `inventory_quantity`; the stored quantity is kept then.
pub(super) fn apply_snapshot(
    product: &mut Product,
    mut snap: Variant,
    quantity_known: bool,
) -> Outcome {
    match product.variants.iter_mut().find(|v| v.id == snap.id) {
        None => {
            product.variants.push(snap);
            Outcome::Inserted
        }
        Some(cur) if snap.version <= cur.version => Outcome::Stale,
        Some(cur) => {
            let previous = cur.inventory_quantity;
            if !quantity_known {
                snap.inventory_quantity = previous;
            }
            let quantity = snap.inventory_quantity;
            *cur = snap;
            let restock = (previous <= 0 && quantity > 0).then_some(EventKind::VariantRestocked {
                product_id: product.id,
                variant_id: cur.id,
                previous_quantity: previous,
                quantity,
            });
            Outcome::Replaced(restock)
        }
    }
}

/// Restores the product's invariants after variants or product fields changed: variants
/// ordered by position then id, option names taken from the product's `options` by
/// position (`Option1` … when unnamed), variant image URLs resolved against the images.
///
/// Option values are kept in order with empty ones skipped; Shopify fills `option1` …
/// `option3` without gaps, so the index of a value is its option's position.
pub(super) fn finish(product: &mut Product) {
    product.variants.sort_by_key(|v| (v.position, v.id));
    let Product {
        variants,
        options,
        images,
        ..
    } = product;
    for v in variants.iter_mut() {
        for (i, opt) in v.selected_options.iter_mut().enumerate() {
            let name = match options.get(i) {
                Some(n) if !n.is_empty() => n.clone(),
                _ => format!("Option{}", i + 1).into_boxed_str(),
            };
            if opt.name != name {
                opt.name = name;
            }
        }
        if let Some(img) = v.image.as_mut() {
            img.src = images
                .iter()
                .find(|i| i.id == img.id)
                .map(|i| i.src.clone());
        }
    }
}

/// `variants/in_stock` and `variants/out_of_stock`: one variant snapshot.
///
/// A variant of a product we have not seen yet creates a placeholder product holding it
/// (see [`Product::new_placeholder`]): otherwise the variant's 0 quantity would be lost and
/// the later restock could not be recognised. The next `products/*` fills the placeholder in.
pub(super) fn apply(book: &mut CatalogBook, d: &Delivery<'_>) -> Result<Change, ApplyError> {
    let dto: VariantDto = payload::parse(d)?;
    let id = dto
        .variant_id()
        .ok_or_else(|| ApplyError::invalid(d.topic, "variant has no id"))?;
    let product_id = match dto.product_id {
        Some(p) => p,
        None => book
            .products
            .values()
            .find(|p| p.variant(id).is_some())
            .map(|p| p.id)
            .ok_or_else(|| ApplyError::invalid(d.topic, "variant has no product_id"))?,
    };
    if let Some(at) = book.product_tombstones.get(&product_id) {
        return Ok(Change::ignored(format!(
            "product {product_id} of variant {id} was deleted at {at}"
        )));
    }
    let version = version_of(&dto, None, d);
    let snap = from_dto(&dto, id, product_id, version);
    let product = book
        .products
        .entry(product_id)
        .or_insert_with(|| Product::new_placeholder(product_id));
    let mut change = Change::default();
    match apply_snapshot(product, snap, dto.inventory_quantity.is_some()) {
        Outcome::Stale => {
            return Ok(Change::ignored(format!(
                "variant {id}: snapshot (updated_at {}, triggered {}) is not newer than the stored one",
                version.updated_at.map_or_else(|| "none".to_string(), |t| t.to_string()),
                version.triggered_at
            )));
        }
        Outcome::Inserted => {}
        Outcome::Replaced(event) => change.events.extend(event),
    }
    finish(product);
    change.writes.push(Write::Product(product.clone()));
    Ok(change)
}
