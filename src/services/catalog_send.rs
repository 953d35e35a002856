//! Which products a message may show (issue #12 point 5): while a catalog is connected
//! through Galantis, a product message (SPM, MPM, catalog thumbnail) or a product
//! template names only items of that catalog that Meta holds (SYNCED) and that are in
//! stock now; anything else is refused here, before any call to Meta, naming the item
//! and why. Without a connected catalog the merchant runs the catalog elsewhere
//! (Commerce Manager): nothing is known to check, and Meta validates.

use super::catalog::CatalogLink;
use super::Context;
use crate::actors::EngineError;
use crate::store::{Kind, StoreError};

/// Why a product cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum SendableError {
    /// The message names another catalog.
    #[error("catalog {asked} is not the shop's connected catalog ({connected})")]
    OtherCatalog {
        /// What was asked.
        asked: String,
        /// The connected one.
        connected: String,
    },
    /// The item cannot be shown.
    #[error("product `{sku}` cannot be shown: {why}")]
    Item {
        /// The retailer id.
        sku: String,
        /// Why.
        why: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The catalog actor could not be asked.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The connected catalog's id, if any.
///
/// # Errors
/// When the store fails.
pub fn connected(ctx: &Context, shop: &str) -> Result<Option<String>, StoreError> {
    Ok(ctx
        .engine
        .store()
        .get::<CatalogLink>(shop, Kind::CatalogLink, 0)?
        .map(|l| l.catalog_id))
}

/// Checks that every sku may be shown from `catalog_id` (`None`: the connected one).
///
/// # Errors
/// [`SendableError`], the first problem found.
pub async fn check(
    ctx: &Context,
    shop: &str,
    catalog_id: Option<&str>,
    skus: &[&str],
) -> Result<(), SendableError> {
    let Some(linked) = connected(ctx, shop)? else {
        return Ok(());
    };
    if let Some(asked) = catalog_id.filter(|c| *c != linked) {
        return Err(SendableError::OtherCatalog {
            asked: asked.to_string(),
            connected: linked,
        });
    }
    for sku in skus {
        if let Some(why) = unsendable(ctx, shop, sku).await? {
            return Err(SendableError::Item {
                sku: sku.to_string(),
                why,
            });
        }
    }
    Ok(())
}

/// Why `sku` cannot be shown, or `None` when it can (a catalog is assumed connected).
///
/// # Errors
/// When the store or the catalog actor fails.
pub async fn unsendable(
    ctx: &Context,
    shop: &str,
    sku: &str,
) -> Result<Option<String>, SendableError> {
    let Ok(id) = sku.trim().parse::<u64>() else {
        return Ok(Some("no variant of this shop has this retailer id".into()));
    };
    let Some(v) = ctx.engine.variant(shop, id).await? else {
        return Ok(Some("no variant of this shop has this retailer id".into()));
    };
    Ok(ctx.engine.store().unsendable(shop, v.product_id, v.id)?)
}
