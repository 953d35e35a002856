//! The tenant's Meta catalog (issue #12): the three ways a merchant starts — create a
//! catalog for the business, link one by id, or import an existing one (its items read
//! and reconciled with the Shopify products by retailer id: matched, only in Meta, only
//! in Shopify) — each connecting the catalog to the tenant's WABA and keeping the link
//! with the catalog token sealed at rest (separate from the messaging token: a catalog
//! needs `catalog_management`). Listing a business's catalogs comes first when picking
//! one to import. The push of product changes builds on this link.

use super::credentials::{self, CredentialsError};
use super::Context;
use crate::domain::catalog::{retailer_id, Product};
use crate::domain::Timestamp;
use crate::integrations::meta::client::CatalogInfo;
use crate::integrations::meta::error::MetaError;
use crate::secrets::seal_context;
use crate::store::{Batch, Kind, StoreError};
use serde::Serialize;

pub use crate::domain::catalog_sync::{CatalogLink, ConnectMode};
use std::collections::BTreeSet;

/// How many ids of each side a reconciliation report lists.
const LISTED: usize = 50;

/// Why a catalog cannot be connected.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The tenant's WhatsApp side is not set up.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// A field of the request.
    #[error("{0}")]
    Invalid(String),
    /// Meta refused or failed.
    #[error("Meta: {0}")]
    Meta(#[from] MetaError),
    /// Sealing the token.
    #[error("sealing the catalog token: {0}")]
    Seal(String),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The link as the API shows it (no token).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CatalogView {
    /// The catalog.
    pub catalog_id: String,
    /// Its name.
    pub name: String,
    /// How it was connected.
    pub mode: ConnectMode,
    /// When.
    pub connected_at: Timestamp,
    /// The import's reconciliation (mode `import`, in the answer to the connect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
}

/// Items of Meta's catalog against the Shopify variants, by retailer id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reconciliation {
    /// In both.
    pub matched: u64,
    /// In Meta's catalog only (not Shopify variants of this shop).
    pub only_in_meta: u64,
    /// Shopify variants not in Meta's catalog yet.
    pub only_in_shopify: u64,
    /// Up to 50 of the Meta-only retailer ids.
    pub only_in_meta_ids: Vec<String>,
    /// Up to 50 of the Shopify-only retailer ids.
    pub only_in_shopify_ids: Vec<String>,
}

/// A Graph id (catalog, business): digits.
fn check_id(field: &str, id: &str) -> Result<(), CatalogError> {
    if (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CatalogError::Invalid(format!(
            "`{field}` must be a Meta id: 1 to 32 digits"
        )))
    }
}

/// A token: printable ASCII without spaces (it travels in a header).
fn check_token(token: &str) -> Result<(), CatalogError> {
    if (1..=2048).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(CatalogError::Invalid(
            "`token` (the catalog token) must be 1 to 2048 printable characters without spaces"
                .into(),
        ))
    }
}

/// Matches Meta's retailer ids with the shop's variants.
pub fn reconcile(meta: &BTreeSet<String>, shopify: &BTreeSet<String>) -> Reconciliation {
    let only_meta: Vec<String> = meta.difference(shopify).cloned().collect();
    let only_shopify: Vec<String> = shopify.difference(meta).cloned().collect();
    Reconciliation {
        matched: meta.intersection(shopify).count() as u64,
        only_in_meta: only_meta.len() as u64,
        only_in_shopify: only_shopify.len() as u64,
        only_in_meta_ids: only_meta.into_iter().take(LISTED).collect(),
        only_in_shopify_ids: only_shopify.into_iter().take(LISTED).collect(),
    }
}

/// A business's owned and client catalogs (to pick one to import or link).
///
/// # Errors
/// [`CatalogError`].
pub async fn available(
    ctx: &Context,
    token: &str,
    business_id: &str,
) -> Result<(Vec<CatalogInfo>, Vec<CatalogInfo>), CatalogError> {
    check_token(token)?;
    check_id("business_id", business_id)?;
    let owned = ctx.meta.list_catalogs(token, business_id, true).await?;
    let clients = ctx.meta.list_catalogs(token, business_id, false).await?;
    Ok((owned, clients))
}

/// What the merchant asks for.
#[derive(Clone, Debug)]
pub struct Connect {
    /// How.
    pub mode: ConnectMode,
    /// The catalog (link, import).
    pub catalog_id: Option<String>,
    /// The new catalog's name (create).
    pub name: Option<String>,
    /// The business that owns it (create).
    pub business_id: Option<String>,
    /// The catalog token.
    pub token: String,
    /// The shop's currency (ISO 4217), when Shopify is not to be asked.
    pub currency: Option<String>,
}

/// The shop's name and currency: Shopify's `shop`, unless the request names the currency
/// (then Shopify is not asked and the brand of vendor-less products is the shop's handle).
async fn shop_facts(
    ctx: &Context,
    shop: &str,
    currency: Option<String>,
) -> Result<(String, String), CatalogError> {
    let fallback_name = shop.trim_end_matches(".myshopify.com").to_string();
    if let Some(c) = currency.filter(|c| !c.trim().is_empty()) {
        let c = c.trim().to_ascii_uppercase();
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(CatalogError::Invalid(
                "`currency` must be an ISO 4217 code such as `EUR`".into(),
            ));
        }
        return Ok((fallback_name, c));
    }
    match super::shopify_webhooks::shop_info(ctx, shop).await {
        Ok(info) => Ok((info.name, info.currency_code.to_ascii_uppercase())),
        Err(e) => Err(CatalogError::Invalid(format!(
            "the shop's currency is unknown (Shopify could not be asked: {e}); pass `currency`"
        ))),
    }
}

/// Connects the tenant's catalog (see the module doc).
///
/// # Errors
/// [`CatalogError`].
pub async fn connect(ctx: &Context, shop: &str, c: Connect) -> Result<CatalogView, CatalogError> {
    let t = credentials::tenant(ctx, shop)?;
    let waba = credentials::waba(&t)?;
    let token = c.token.trim().to_string();
    check_token(&token)?;
    let named = |v: &Option<String>| v.as_deref().is_some_and(|x| !x.trim().is_empty());
    match c.mode {
        ConnectMode::Create if !named(&c.business_id) => {
            return Err(CatalogError::Invalid(
                "`business_id` is required to create a catalog".into(),
            ))
        }
        ConnectMode::Link | ConnectMode::Import if !named(&c.catalog_id) => {
            return Err(CatalogError::Invalid(
                "`catalog_id` is required to link or import a catalog".into(),
            ))
        }
        _ => {}
    }
    let (shop_name, currency) = shop_facts(ctx, shop, c.currency.clone()).await?;
    let (catalog_id, name) = match c.mode {
        ConnectMode::Create => {
            let name = c
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| shop.trim_end_matches(".myshopify.com").to_string());
            let business = c
                .business_id
                .filter(|b| !b.trim().is_empty())
                .ok_or_else(|| {
                    CatalogError::Invalid("`business_id` is required to create a catalog".into())
                })?;
            check_id("business_id", business.trim())?;
            if name.chars().count() > 100 {
                return Err(CatalogError::Invalid(
                    "`name` is longer than 100 characters".into(),
                ));
            }
            let id = ctx
                .meta
                .create_catalog(&token, business.trim(), &name)
                .await?;
            (id, name)
        }
        ConnectMode::Link | ConnectMode::Import => {
            let id = c
                .catalog_id
                .filter(|i| !i.trim().is_empty())
                .ok_or_else(|| {
                    CatalogError::Invalid(
                        "`catalog_id` is required to link or import a catalog".into(),
                    )
                })?;
            let id = id.trim().to_string();
            check_id("catalog_id", &id)?;
            (id, String::new())
        }
    };
    ctx.meta.connect_catalog(&token, &waba, &catalog_id).await?;
    let reconciliation = if c.mode == ConnectMode::Import {
        let meta: BTreeSet<String> = ctx
            .meta
            .catalog_items(&token, &catalog_id)
            .await?
            .into_iter()
            .map(|i| i.retailer_id)
            .collect();
        let store = ctx.engine.store();
        let shopify: BTreeSet<String> = store
            .scan::<Product>(shop, Kind::Product)?
            .into_iter()
            .flat_map(|(_, p)| p.variants.into_iter().map(|v| retailer_id(v.id)))
            .collect();
        Some(reconcile(&meta, &shopify))
    } else {
        None
    };
    let sealed = ctx
        .master_key
        .seal(&seal_context(shop, "meta_catalog_token"), token.as_bytes())
        .map_err(|e| CatalogError::Seal(e.to_string()))?;
    let link = CatalogLink {
        catalog_id,
        name,
        mode: c.mode,
        connected_ms: Timestamp::now().millis(),
        token: sealed,
        shop_name,
        currency,
    };
    let store = ctx.engine.store();
    let before = store.get::<CatalogLink>(shop, Kind::CatalogLink, 0)?;
    // Every product is pushed to the catalog just connected (unchanged items of a
    // re-linked catalog are sent again too: the link may be new at Meta's side). Queued
    // before the link is written, so the pusher's first batch already sees them all.
    let ids: Vec<crate::domain::ShopifyId> = store
        .scan::<Product>(shop, Kind::Product)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    super::catalog_queue::queue_forced(ctx, shop, &ids).await?;
    let mut b = Batch::new();
    if before.is_some_and(|l| l.catalog_id != link.catalog_id) {
        // Another catalog: what was pushed to the old one says nothing of the new one.
        let mut stale = Vec::new();
        store.each_item_sync(shop, |p, v, _| stale.push((p, v)))?;
        for (p, v) in stale {
            b.remove_item_sync(shop, p, v);
        }
    }
    b.put(shop, Kind::CatalogLink, 0, &link)?;
    store.commit(b)?;
    store.durable().await?;
    tracing::info!(message = "Meta catalog connected.", shop, catalog = %link.catalog_id, mode = ?link.mode);
    Ok(CatalogView {
        reconciliation,
        ..view_of(&link)
    })
}

fn view_of(l: &CatalogLink) -> CatalogView {
    CatalogView {
        catalog_id: l.catalog_id.clone(),
        name: l.name.clone(),
        mode: l.mode,
        connected_at: Timestamp(l.connected_ms),
        reconciliation: None,
    }
}

/// The tenant's catalog link, if any.
///
/// # Errors
/// When the store fails.
pub fn current(ctx: &Context, shop: &str) -> Result<Option<CatalogView>, StoreError> {
    Ok(ctx
        .engine
        .store()
        .get::<CatalogLink>(shop, Kind::CatalogLink, 0)?
        .map(|l| view_of(&l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconciliation_counts_each_side() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let r = reconcile(&set(&["1", "2", "9"]), &set(&["1", "2", "3", "4"]));
        assert_eq!((r.matched, r.only_in_meta, r.only_in_shopify), (2, 1, 2));
        assert_eq!(r.only_in_meta_ids, ["9"]);
        assert_eq!(r.only_in_shopify_ids, ["3", "4"]);
    }
}
