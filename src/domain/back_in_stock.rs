//! Back-in-stock subscriptions: a shopper's wish, given on the storefront widget, to hear
//! on WhatsApp when one variant is in stock again. Plain data; the transitions are in
//! `logic::back_in_stock`, the storage in `actors::back_in_stock`.

use super::contact::MarketingSource;
use super::phone::PhoneE164;
use super::{ShopifyId, Timestamp};
use serde::{Deserialize, Serialize};

/// Where a subscription is in its life (Galantis' `SubscriptionStatus`).
///
/// The widget records marketing consent with the request, so its subscriptions start
/// `ACTIVE`; `PENDING` is kept for a double opt-in (a subscription waiting for the
/// shopper's confirmation) and is never notified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionStatus {
    /// Waiting for a confirmation (double opt-in); not notified.
    Pending,
    /// Notified at the variant's next restock.
    Active,
    /// Notified once, at a restock; a new request re-activates it.
    Notified,
    /// Cancelled by the shopper; a new request re-activates it.
    Cancelled,
}

/// One shopper's subscription to one variant. At most one exists per (phone, variant):
/// asking again returns or re-activates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    /// The engine's id of the subscription.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: u64,
    /// The Shopify product the variant belongs to.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub product_id: ShopifyId,
    /// The Shopify variant subscribed to (exactly this one: another variant's restock does
    /// not notify).
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub variant_id: ShopifyId,
    /// The shopper's WhatsApp number.
    pub phone: PhoneE164,
    /// The contact holding that number (a Shopify customer, else a WhatsApp-only contact).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub contact_id: Option<ShopifyId>,
    /// Current status.
    pub status: SubscriptionStatus,
    /// When it was first created.
    pub created_at: Timestamp,
    /// When it last became `ACTIVE` (creation or re-activation).
    pub activated_at: Timestamp,
    /// When it was last notified.
    pub notified_at: Option<Timestamp>,
    /// When it was last cancelled.
    pub cancelled_at: Option<Timestamp>,
    /// Where the marketing consent that came with it was given.
    pub consent_source: MarketingSource,
    /// When that consent was given (the last request's time).
    pub consent_at: Timestamp,
    /// How many restocks notified it.
    pub notifications: u32,
}

impl Subscription {
    /// True when the next restock of its variant notifies it.
    pub fn is_active(&self) -> bool {
        self.status == SubscriptionStatus::Active
    }
}

/// A subscription request, checked: what the storefront asked and the contact found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription {
    /// The variant's product.
    pub product_id: ShopifyId,
    /// The variant.
    pub variant_id: ShopifyId,
    /// The shopper's number, in E.164.
    pub phone: PhoneE164,
    /// The contact of that number.
    pub contact_id: Option<ShopifyId>,
    /// Where the consent was given.
    pub consent_source: MarketingSource,
    /// When the request was made.
    pub at: Timestamp,
}
