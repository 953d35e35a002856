//! The merchant's side of the catalog queue (issue #12 point 3): a forced re-sync of one
//! product or all, keeping a product out of Meta's catalog, and each variant's status as
//! the product API shows it (PENDING while queued, else the last push). The pusher that
//! drains the queue is `catalog_push`.

use super::catalog::CatalogLink;
use super::Context;
use crate::domain::catalog::{retailer_id, Product};
use crate::domain::catalog_sync::{ItemSync, PushOutcome};
use crate::domain::{ShopifyId, Timestamp};
use crate::store::{Batch, Kind, StoreError};
use std::collections::HashMap;

/// Queues one product (or every product) for a forced push: sent again even when
/// unchanged. Returns how many products were queued.
///
/// # Errors
/// When the store fails.
pub async fn resync(
    ctx: &Context,
    shop: &str,
    product: Option<ShopifyId>,
) -> Result<u64, StoreError> {
    let store = ctx.engine.store();
    let ids: Vec<ShopifyId> = match product {
        Some(id) => vec![id],
        None => store
            .scan::<Product>(shop, Kind::Product)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    };
    queue_forced(ctx, shop, &ids).await?;
    Ok(ids.len() as u64)
}

/// Queues `ids` for a forced push (in batches of 10,000, made durable).
///
/// # Errors
/// When the store fails.
pub async fn queue_forced(ctx: &Context, shop: &str, ids: &[ShopifyId]) -> Result<(), StoreError> {
    let store = ctx.engine.store();
    let n =
        crate::store::catalog_push::FORCE | (Timestamp::now().millis() as u64 & ((1 << 62) - 1));
    for chunk in ids.chunks(10_000) {
        let mut b = Batch::new();
        for id in chunk {
            b.queue_push(shop, *id, n);
        }
        store.commit(b)?;
    }
    store.durable().await?;
    Ok(())
}

/// Keeps a product out of Meta's catalog (or lets it back in), and queues it so Meta's
/// copy follows.
///
/// # Errors
/// When the store fails.
pub async fn set_excluded(
    ctx: &Context,
    shop: &str,
    product: ShopifyId,
    excluded: bool,
) -> Result<(), StoreError> {
    let store = ctx.engine.store();
    let mut b = Batch::new();
    if excluded {
        b.put(shop, Kind::CatalogExcluded, product, &())?;
    } else {
        b.remove(shop, Kind::CatalogExcluded, product);
    }
    store.commit(b)?;
    queue_forced(ctx, shop, &[product]).await
}

/// The variants' catalog status of a product (see `domain::catalog_sync::SyncStatus`).
///
/// # Errors
/// When the store fails.
pub fn product_sync(
    ctx: &Context,
    shop: &str,
    p: &Product,
) -> Result<Option<crate::domain::catalog_sync::ProductSync>, StoreError> {
    use crate::domain::catalog_sync::{ProductSync, SyncStatus, VariantSync};
    let store = ctx.engine.store();
    if store
        .get::<CatalogLink>(shop, Kind::CatalogLink, 0)?
        .is_none()
    {
        return Ok(None);
    }
    let excluded = store.catalog_excluded(shop, p.id)?;
    let queued = store.push_queued(shop, p.id)?;
    let known: HashMap<ShopifyId, ItemSync> = store.item_syncs(shop, p.id)?.into_iter().collect();
    let listed = crate::logic::catalog_sync::listed(p, excluded);
    let variants = p
        .variants
        .iter()
        .map(|v| {
            let last = known.get(&v.id);
            let status = if queued {
                SyncStatus::Pending
            } else if !listed {
                SyncStatus::NotListed
            } else {
                match last.map(|s| s.outcome) {
                    Some(PushOutcome::Synced) => SyncStatus::Synced,
                    Some(PushOutcome::Failed) => SyncStatus::Failed,
                    None => SyncStatus::Pending,
                }
            };
            VariantSync {
                variant_id: v.id,
                retailer_id: retailer_id(v.id),
                status,
                at: last.map(|s| Timestamp(s.at_ms)),
                error: last.and_then(|s| s.error.clone()),
            }
        })
        .collect();
    Ok(Some(ProductSync { excluded, variants }))
}
