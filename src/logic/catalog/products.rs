//! `products/create`, `products/update`, `products/delete`.
//!
//! Rules: a payload whose `updated_at` is older than the stored product's is ignored; a
//! deleted product keeps a tombstone and is never brought back by a late create/update.
//! Product fields missing from the payload (`include_fields`) keep their stored value.
//! Variants go through the version gate of [`super::variants`].

use super::payload::{self, ImageDto, ProductDto};
use super::variants;
use super::{CatalogBook, Change, Write};
use crate::domain::catalog::{Product, ProductImage, ProductStatus};
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::{ApplyError, Delivery};
use std::collections::{HashMap, HashSet};

/// Shopify puts at most this many variants in full in a product payload.
const PAYLOAD_VARIANT_LIMIT: usize = 100;

/// `products/create` and `products/update` (an update of an unknown product is an upsert).
/// Collection membership, which only the import's bodies carry, is applied even when the
/// rest of an imported product is older than the stored one (no webhook carries it).
pub(super) fn upsert(book: &mut CatalogBook, d: &Delivery<'_>) -> Result<Change, ApplyError> {
    let dto: ProductDto = payload::parse(d)?;
    let id = payload::record_id(dto.id, dto.admin_graphql_api_id.as_deref())
        .ok_or_else(|| ApplyError::invalid(d.topic, "product has no id"))?;
    let mut change = upsert_fields(book, d, &dto, id)?;
    if let Some(ids) = &dto.galantis_collections {
        let member = book.set_product_collections(id, ids.iter().copied());
        if member.ignored.is_none() && !member.writes.is_empty() {
            change.writes.extend(member.writes);
            change.ignored = None;
        }
    }
    Ok(change)
}

fn upsert_fields(
    book: &mut CatalogBook,
    d: &Delivery<'_>,
    dto: &ProductDto,
    id: crate::domain::ShopifyId,
) -> Result<Change, ApplyError> {
    if let Some(at) = book.product_tombstones.get(&id) {
        return Ok(Change::ignored(format!("product {id} was deleted at {at}")));
    }
    let stored = book.products.get(&id);
    if let (Some(new), Some(old)) = (dto.updated_at, stored.and_then(|p| p.updated_at)) {
        if new < old {
            let reason = format!("product {id}: updated_at {new} is older than the stored {old}");
            return Ok(late_stock_points(book, id, dto, d, reason));
        }
    }
    let mut product = stored
        .cloned()
        .unwrap_or_else(|| Product::new_placeholder(id));
    merge_fields(&mut product, dto);
    let mut change = Change::default();
    if let Some(list) = &dto.variants {
        merge_variants(&mut product, dto, list, d, &mut change);
    }
    variants::finish(&mut product);
    if book.products.get(&id) != Some(&product) {
        change.writes.push(Write::Product(product.clone()));
        if let Some(images) = &dto.images {
            let sizes = images
                .iter()
                .filter_map(|i| {
                    Some(crate::domain::catalog_sync::ImageSize {
                        id: payload::record_id(i.id, i.admin_graphql_api_id.as_deref())?,
                        width: i.width?,
                        height: i.height?,
                    })
                })
                .collect::<Vec<_>>();
            // Sizes are looked up by image id: a record of earlier images is harmless.
            if !sizes.is_empty() {
                change.writes.push(Write::ImageSizes { product: id, sizes });
            }
        }
        book.products.insert(id, product);
    }
    Ok(change)
}

/// `products/delete`: drop the product and leave a tombstone (deleted at the delivery's
/// time). Deleting an unknown product still leaves a tombstone, so a late create is ignored.
pub(super) fn delete(book: &mut CatalogBook, d: &Delivery<'_>) -> Result<Change, ApplyError> {
    let dto: ProductDto = payload::parse(d)?;
    let id = payload::record_id(dto.id, dto.admin_graphql_api_id.as_deref())
        .ok_or_else(|| ApplyError::invalid(d.topic, "product has no id"))?;
    if let Some(at) = book.product_tombstones.get(&id) {
        return Ok(Change::ignored(format!(
            "product {id} was already deleted at {at}"
        )));
    }
    let at = d.fallback_time();
    book.products.remove(&id);
    book.product_tombstones.insert(id, at);
    Ok(Change {
        writes: vec![Write::ProductDeleted { id, at }],
        ..Change::default()
    })
}

/// Copies the product-level fields present in the payload.
fn merge_fields(p: &mut Product, dto: &ProductDto) {
    let set = |dst: &mut Box<str>, src: &Option<Box<str>>| {
        if let Some(s) = src {
            dst.clone_from(s);
        }
    };
    set(&mut p.title, &dto.title);
    set(&mut p.handle, &dto.handle);
    set(&mut p.vendor, &dto.vendor);
    set(&mut p.product_type, &dto.product_type);
    if let Some(tags) = &dto.tags {
        p.tags.clone_from(tags);
    }
    if let Some(status) = &dto.status {
        p.status = ProductStatus::parse(status);
    }
    if let Some(published_at) = dto.published_at {
        p.published_at = published_at;
    }
    if let Some(options) = &dto.options {
        let mut named: Vec<_> = options.iter().enumerate().collect();
        named.sort_by_key(|(i, o)| (o.position.unwrap_or(u32::MAX), *i));
        p.options = named
            .into_iter()
            .map(|(_, o)| o.name.clone().unwrap_or_default())
            .collect();
    }
    if let Some(images) = &dto.images {
        p.images = images.iter().filter_map(image).collect();
        p.images.sort_by_key(|i| (i.position, i.id));
    }
    if let Some(featured) = &dto.image {
        p.image = featured.as_ref().and_then(image);
    }
    if dto.updated_at.is_some() {
        p.updated_at = dto.updated_at;
    }
    p.placeholder = false;
}

/// An image with an id and a URL; anything less is skipped.
fn image(dto: &ImageDto) -> Option<ProductImage> {
    Some(ProductImage {
        id: payload::record_id(dto.id, dto.admin_graphql_api_id.as_deref())?,
        src: dto.src.clone().filter(|s| !s.is_empty())?,
        position: dto.position.unwrap_or(0),
        alt: dto.alt.clone().filter(|s| !s.is_empty()),
    })
}

/// A stale product payload changes no product field, but its variants' stock levels still
/// go into their stock histories: a late sell-out may reveal a restock not yet recorded.
fn late_stock_points(
    book: &mut CatalogBook,
    id: ShopifyId,
    dto: &ProductDto,
    d: &Delivery<'_>,
    reason: String,
) -> Change {
    let mut change = Change::ignored(reason);
    let (Some(list), Some(product)) = (&dto.variants, book.products.get_mut(&id)) else {
        return change;
    };
    let before = product.clone();
    for v in list {
        let Some(vid) = v.variant_id() else { continue };
        if product.variant(vid).is_none() {
            continue;
        }
        let version = variants::version_of(v, dto.updated_at, d);
        let snap = variants::from_dto(v, vid, id, version);
        let outcome = variants::apply_snapshot(product, snap, v.inventory_quantity.is_some());
        change.events.extend(outcome.events());
    }
    if *product != before {
        variants::finish(product);
        change.writes.push(Write::Product(product.clone()));
    }
    if !change.events.is_empty() {
        change.ignored = None;
    }
    change
}

/// Applies the payload's variant snapshots, then drops the variants the product no longer has.
///
/// A stored variant is kept when it is in `variants`, or listed in `variant_gids` (payloads
/// carry only the first 100 variants in full), or newer than the payload itself (its
/// version's `updated_at` is after the product's: the payload predates it). Without
/// `variant_gids`, a full page of 100 variants may be truncated, so nothing is dropped.
fn merge_variants(
    product: &mut Product,
    dto: &ProductDto,
    list: &[payload::VariantDto],
    d: &Delivery<'_>,
    change: &mut Change,
) {
    let gid_times: Option<HashMap<ShopifyId, Option<Timestamp>>> =
        dto.variant_gids.as_ref().map(|g| {
            g.iter()
                .filter_map(|e| {
                    let id = payload::record_id(None, e.admin_graphql_api_id.as_deref())?;
                    Some((id, e.updated_at))
                })
                .collect()
        });
    let mut in_payload = HashSet::with_capacity(list.len());
    for v in list {
        let Some(vid) = v.variant_id() else { continue };
        in_payload.insert(vid);
        let fallback = gid_times
            .as_ref()
            .and_then(|g| g.get(&vid).copied().flatten());
        let version = variants::version_of(v, fallback, d);
        let snap = variants::from_dto(v, vid, product.id, version);
        let outcome = variants::apply_snapshot(product, snap, v.inventory_quantity.is_some());
        change.events.extend(outcome.events());
    }
    if gid_times.is_none() && list.len() >= PAYLOAD_VARIANT_LIMIT {
        return;
    }
    let horizon = dto.updated_at.unwrap_or_else(|| d.fallback_time());
    product.variants.retain(|v| {
        in_payload.contains(&v.id)
            || gid_times.as_ref().is_some_and(|g| g.contains_key(&v.id))
            || v.version.updated_at.is_some_and(|t| t > horizon)
    });
}
