//! Variant snapshots and restock detection, shared by `products/*` (their `variants[]`)
//! and `variants/in_stock` / `variants/out_of_stock`.
//!
//! Every snapshot carries a [`VariantVersion`] (variant `updated_at`, then the delivery's
//! triggered-at time). A snapshot replaces the stored variant's fields only when its version
//! is strictly newer. Restocks are read from the variant's stock history instead: every
//! snapshot (newer or late) is slotted into the history by version, and each adjacent pair
//! "0 or less → positive" is recorded once (the point is marked). So a duplicate never fires
//! twice, and a transition that reordering hid (the sell-out delivered after the restock)
//! is still recorded when the late sell-out arrives: one event per real transition.

use super::payload::{self, VariantDto};
use super::{CatalogBook, Change, Write};
use crate::domain::catalog::{
    Product, SelectedOption, StockPoint, Variant, VariantImage, VariantVersion, STOCK_HISTORY,
};
use crate::domain::{EventKind, ShopifyId, Timestamp};
use crate::logic::{ApplyError, Delivery};

/// What one snapshot did to its variant.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    /// Not newer than the stored variant: nothing changed.
    Stale,
    /// First time this variant is seen (never a restock: no earlier quantity is known).
    Inserted,
    /// Replaced the stored variant; carries the restock events its point revealed.
    Replaced(Vec<EventKind>),
    /// Older than the stored variant but new to its stock history; carries the restock
    /// events the late point revealed (transitions not yet recorded).
    Late(Vec<EventKind>),
}

impl Outcome {
    /// The restock events this outcome carries.
    pub(super) fn events(self) -> Vec<EventKind> {
        match self {
            Outcome::Replaced(e) | Outcome::Late(e) => e,
            Outcome::Stale | Outcome::Inserted => Vec::new(),
        }
    }
}

/// Slots `point` into `history` (unless its version is already there, or it is older than
/// a full history) and returns whether it was new, plus the restock transitions it revealed
/// as `(previous quantity, quantity)`.
///
/// A transition is a run of positive points preceded by a point at 0 or less. It counts as
/// recorded when any point of the run is marked, so a late duplicate of a positive state
/// joins an already recorded run, while a late sell-out that splits a run reveals the
/// second half as a transition of its own.
fn record_point(history: &mut Vec<StockPoint>, point: StockPoint) -> (bool, Vec<(i64, i64)>) {
    if history.iter().any(|p| p.version == point.version) {
        return (false, Vec::new());
    }
    if history.len() >= STOCK_HISTORY && history.first().is_some_and(|p| point.version < p.version)
    {
        return (false, Vec::new());
    }
    let at = history.partition_point(|p| p.version < point.version);
    history.insert(at, point);
    let mut found = Vec::new();
    let mut i = 1;
    while i < history.len() {
        if history[i - 1].quantity <= 0 && history[i].quantity > 0 {
            let end = (i..history.len())
                .find(|&j| history[j].quantity <= 0)
                .unwrap_or(history.len());
            if !history[i..end].iter().any(|p| p.restock_recorded) {
                history[i].restock_recorded = true;
                found.push((history[i - 1].quantity, history[i].quantity));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    if history.len() > STOCK_HISTORY {
        let excess = history.len() - STOCK_HISTORY;
        history.drain(..excess);
    }
    (true, found)
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
        stock_history: Vec::new(),
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
    let product_id = product.id;
    let event = |variant_id, (previous_quantity, quantity)| EventKind::VariantRestocked {
        product_id,
        variant_id,
        previous_quantity,
        quantity,
    };
    match product.variants.iter_mut().find(|v| v.id == snap.id) {
        None => {
            let point = StockPoint {
                version: snap.version,
                quantity: snap.inventory_quantity,
                restock_recorded: false,
            };
            if quantity_known {
                snap.stock_history.push(point);
            }
            product.variants.push(snap);
            Outcome::Inserted
        }
        Some(cur) => {
            let quantity = if quantity_known {
                snap.inventory_quantity
            } else {
                cur.inventory_quantity
            };
            let (new_point, restock) = if quantity_known {
                record_point(
                    &mut cur.stock_history,
                    StockPoint {
                        version: snap.version,
                        quantity,
                        restock_recorded: false,
                    },
                )
            } else {
                (false, Vec::new())
            };
            let variant_id = cur.id;
            let restock: Vec<EventKind> =
                restock.into_iter().map(|t| event(variant_id, t)).collect();
            if snap.version <= cur.version {
                return if new_point {
                    Outcome::Late(restock)
                } else {
                    Outcome::Stale
                };
            }
            snap.inventory_quantity = quantity;
            snap.stock_history = std::mem::take(&mut cur.stock_history);
            *cur = snap;
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
        Outcome::Late(events) => {
            change.ignored = events
                .is_empty()
                .then(|| format!("variant {id}: older snapshot, kept in the stock history only"));
            change.events.extend(events);
        }
        Outcome::Replaced(event) => change.events.extend(event),
    }
    finish(product);
    change.writes.push(Write::Product(product.clone()));
    Ok(change)
}
