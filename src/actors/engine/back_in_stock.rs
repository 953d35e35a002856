//! Typed requests for back-in-stock subscriptions: the back-in-stock actor itself, and
//! what the storefront endpoint needs of the catalog (a variant by id) and of the
//! customer actor (the contact of a phone, consent by phone). Thin `call`s; the behaviour
//! is in the actors.

use super::{Engine, EngineError};
use crate::actors::back_in_stock::BackInStockMsg;
use crate::actors::catalog::CatalogMsg;
use crate::actors::customers::CustomersMsg;
use crate::actors::tenant::TenantMsg;
use crate::domain::back_in_stock::{NewSubscription, Subscription};
use crate::domain::catalog::Variant;
use crate::domain::contact::{MarketingSource, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::back_in_stock::Subscribed;

impl Engine {
    /// One variant by id, from the catalog.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn variant(&self, shop: &str, id: ShopifyId) -> Result<Option<Variant>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Catalog(CatalogMsg::Variant { id, reply_to })
        })
        .await
    }

    /// The contact of `phone` (a Shopify customer with it, else a WhatsApp-only contact,
    /// created as inbound messages create one); `None` when storing a new one failed.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn contact_for_phone(
        &self,
        shop: &str,
        phone: PhoneE164,
        at: Timestamp,
    ) -> Result<Option<ShopifyId>, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Customers(CustomersMsg::ContactForPhone {
                phone,
                profile_name: None,
                at,
                reply_to,
            })
        })
        .await
    }

    /// Records a marketing consent decision for every contact with `phone`; how many
    /// changed.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn set_marketing_by_phone(
        &self,
        shop: &str,
        phone: PhoneE164,
        state: MarketingState,
        source: MarketingSource,
        at: Timestamp,
    ) -> Result<usize, EngineError> {
        self.call(shop, |reply_to| {
            TenantMsg::Customers(CustomersMsg::SetMarketingByPhone {
                phone,
                state,
                source,
                at,
                reply_to,
            })
        })
        .await
    }

    /// Subscribes a phone to a variant (idempotent per phone and variant).
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the write failed.
    pub async fn subscribe_back_in_stock(
        &self,
        shop: &str,
        req: NewSubscription,
    ) -> Result<Subscribed, EngineError> {
        let msg = |reply_to| TenantMsg::BackInStock(BackInStockMsg::Subscribe { req, reply_to });
        self.call(shop, msg)
            .await?
            .map_err(|e| EngineError::Actor(e.into()))
    }

    /// One back-in-stock subscription.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn back_in_stock(
        &self,
        shop: &str,
        id: u64,
    ) -> Result<Option<Subscription>, EngineError> {
        let msg = |reply_to| TenantMsg::BackInStock(BackInStockMsg::Get { id, reply_to });
        self.call(shop, msg).await
    }

    /// Cancels subscription `id` of `phone`; `None` when that phone has no such one.
    ///
    /// # Errors
    /// [`EngineError`]: unreachable, or the write failed.
    pub async fn cancel_back_in_stock(
        &self,
        shop: &str,
        id: u64,
        phone: PhoneE164,
        at: Timestamp,
    ) -> Result<Option<Subscription>, EngineError> {
        let msg = |reply_to| {
            TenantMsg::BackInStock(BackInStockMsg::Cancel {
                id,
                phone,
                at,
                reply_to,
            })
        };
        self.call(shop, msg)
            .await?
            .map_err(|e| EngineError::Actor(e.into()))
    }
}
