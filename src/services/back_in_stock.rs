//! Back-in-stock subscriptions as the storefront and the admin API use them: the checks
//! of a subscribe request (tenant installed, variant known and out of stock), the
//! widget's marketing consent, and reads of the subscription indexes. Handlers parse →
//! call this → format. Owns no state; the subscriptions are the back-in-stock actor's.
//!
//! Order of a subscribe (choice): every check runs before anything is written, so a
//! refused request stores nothing; then the contact is found or created, then its
//! consent is recorded (source `back_in_stock_widget`), then the subscription is made.
//! A restock that lands between the stock check and the subscription leaves the
//! subscription ACTIVE for the variant's next restock. A 2xx answer is given once what it
//! reports is on disk (group commit).

use crate::actors::{Engine, EngineError};
use crate::domain::back_in_stock::{NewSubscription, Subscription};
use crate::domain::contact::{MarketingSource, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::{ShopDomain, ShopifyId, Timestamp};
use crate::logic::back_in_stock::Subscribed;
use crate::store::tenants::TenantStatus;
use crate::store::{Kind, Store, StoreError};

/// Why a back-in-stock request is refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum BackInStockError {
    /// No tenant for this shop.
    #[error("`{0}` is not a shop using Galantis")]
    UnknownShop(String),
    /// The shop uninstalled the app (or was redacted).
    #[error("`{0}` no longer uses Galantis")]
    Uninstalled(String),
    /// The shop's catalog has no such variant.
    #[error("variant {0} is not in this shop's catalog")]
    UnknownVariant(ShopifyId),
    /// The variant can be bought now: there is nothing to wait for.
    #[error("variant {variant_id} is in stock ({quantity} available); subscribe only to a sold-out variant")]
    InStock {
        /// The variant.
        variant_id: ShopifyId,
        /// Its inventory.
        quantity: i64,
    },
    /// No subscription with this id for this phone.
    #[error("no back-in-stock subscription {0} for this phone number")]
    NotFound(u64),
    /// The tenant's actors could not be reached or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A subscribe request, parsed.
#[derive(Clone, Debug)]
pub struct SubscribeRequest {
    /// The shop.
    pub shop: ShopDomain,
    /// The sold-out variant.
    pub variant_id: ShopifyId,
    /// The shopper's number.
    pub phone: PhoneE164,
}

/// Refuses a shop that is not an installed tenant.
///
/// # Errors
/// [`BackInStockError::UnknownShop`] or [`BackInStockError::Uninstalled`].
pub fn installed(store: &Store, shop: &str) -> Result<(), BackInStockError> {
    match store.tenant_status(shop)? {
        None => Err(BackInStockError::UnknownShop(shop.to_string())),
        Some(TenantStatus::Active) => Ok(()),
        Some(_) => Err(BackInStockError::Uninstalled(shop.to_string())),
    }
}

/// Subscribes a phone to a sold-out variant and records the widget's marketing consent.
///
/// # Errors
/// [`BackInStockError`]: a refused request (nothing stored) or an engine failure.
pub async fn subscribe(
    engine: &Engine,
    req: SubscribeRequest,
) -> Result<Subscribed, BackInStockError> {
    let shop = req.shop.as_str();
    installed(engine.store(), shop)?;
    let variant = engine
        .variant(shop, req.variant_id)
        .await?
        .ok_or(BackInStockError::UnknownVariant(req.variant_id))?;
    if variant.inventory_quantity > 0 {
        return Err(BackInStockError::InStock {
            variant_id: variant.id,
            quantity: variant.inventory_quantity,
        });
    }
    let at = Timestamp::now();
    let contact_id = engine.contact_for_phone(shop, req.phone, at).await?;
    let source = MarketingSource::BackInStockWidget;
    engine
        .set_marketing_by_phone(shop, req.phone, MarketingState::Subscribed, source, at)
        .await?;
    let new = NewSubscription {
        product_id: variant.product_id,
        variant_id: variant.id,
        phone: req.phone,
        contact_id,
        consent_source: source,
        at,
    };
    let out = engine.subscribe_back_in_stock(shop, new).await?;
    // The answer promises the subscription and the consent: both on disk first.
    engine.store().durable().await?;
    Ok(out)
}

/// One subscription, when `phone` owns it.
///
/// # Errors
/// [`BackInStockError::NotFound`] (also for another phone's), or a shop refusal.
pub async fn get(
    engine: &Engine,
    shop: &str,
    id: u64,
    phone: PhoneE164,
) -> Result<Subscription, BackInStockError> {
    installed(engine.store(), shop)?;
    engine
        .back_in_stock(shop, id)
        .await?
        .filter(|s| s.phone == phone)
        .ok_or(BackInStockError::NotFound(id))
}

/// Cancels a subscription `phone` owns.
///
/// # Errors
/// As [`get`].
pub async fn cancel(
    engine: &Engine,
    shop: &str,
    id: u64,
    phone: PhoneE164,
) -> Result<Subscription, BackInStockError> {
    installed(engine.store(), shop)?;
    let cancelled = engine
        .cancel_back_in_stock(shop, id, phone, Timestamp::now())
        .await?
        .ok_or(BackInStockError::NotFound(id))?;
    engine.store().durable().await?;
    Ok(cancelled)
}

/// Which index a listing reads.
#[derive(Clone, Copy, Debug)]
pub enum ListBy {
    /// Subscriptions to one variant.
    Variant(ShopifyId),
    /// Subscriptions of one contact.
    Contact(ShopifyId),
}

/// Subscriptions by variant or by contact, id > `after`, at most `limit`, by id. Reads the
/// store's index, so only that variant's (or contact's) records are loaded.
///
/// # Errors
/// When the store fails.
pub fn list(
    store: &Store,
    shop: &str,
    by: ListBy,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Subscription>, StoreError> {
    let (kind, key) = match by {
        ListBy::Variant(v) => (Kind::BackInStockByVariant, v),
        ListBy::Contact(c) => (Kind::BackInStockByContact, c),
    };
    let mut out = Vec::new();
    for id in store.pairs_of(shop, kind, key)? {
        if after.is_some_and(|a| id <= a) {
            continue;
        }
        let Some(s) = store.get::<Subscription>(shop, Kind::BackInStock, id)? else {
            continue;
        };
        // The contact index is not pruned when a subscription's contact changes.
        if matches!(by, ListBy::Contact(c) if s.contact_id != Some(c)) {
            continue;
        }
        out.push(s);
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}
