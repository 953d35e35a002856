//! Domain events: what happened in a shop, recorded durably for the automation engine.

use super::{Money, ShopifyId, Timestamp};
use serde::{Deserialize, Serialize};

/// One thing that happened, as the automation engine will consume it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// A contact appeared for the first time (create, or an upsert of an unknown id).
    CustomerCreated {
        #[serde(with = "crate::domain::ids::as_string")]
        customer_id: ShopifyId,
    },
    /// Tags were added to a contact (only tags that were not already present).
    CustomerTagged {
        #[serde(with = "crate::domain::ids::as_string")]
        customer_id: ShopifyId,
        tags: Vec<String>,
    },
    /// A new order was seen for the first time.
    OrderPlaced {
        #[serde(with = "crate::domain::ids::as_string")]
        order_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        customer_id: Option<ShopifyId>,
        total: Money,
        currency: String,
    },
    /// An order went from not cancelled to cancelled.
    OrderCancelled {
        #[serde(with = "crate::domain::ids::as_string")]
        order_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        customer_id: Option<ShopifyId>,
    },
    /// An order became (fully) fulfilled.
    OrderShipped {
        #[serde(with = "crate::domain::ids::as_string")]
        order_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        customer_id: Option<ShopifyId>,
    },
    /// A variant went from 0 or less to a positive inventory quantity.
    VariantRestocked {
        #[serde(with = "crate::domain::ids::as_string")]
        product_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string")]
        variant_id: ShopifyId,
        previous_quantity: i64,
        quantity: i64,
    },
    /// A checkout was created or changed while still open.
    CheckoutUpdated {
        #[serde(with = "crate::domain::ids::as_string")]
        checkout_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        customer_id: Option<ShopifyId>,
    },
    /// A checkout was completed (became an order).
    CheckoutCompleted {
        #[serde(with = "crate::domain::ids::as_string")]
        checkout_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        customer_id: Option<ShopifyId>,
    },
    /// A back-in-stock subscriber is to be told that their variant is in stock again
    /// (the BACK_IN_STOCK trigger): recorded once per ACTIVE subscriber per restock, in the
    /// batch that marks the subscription NOTIFIED. Added last so stored events still decode.
    BackInStockNotified {
        #[serde(with = "crate::domain::ids::as_string")]
        subscription_id: u64,
        #[serde(with = "crate::domain::ids::as_string")]
        product_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string")]
        variant_id: ShopifyId,
        #[serde(with = "crate::domain::ids::as_string::option", default)]
        contact_id: Option<ShopifyId>,
    },
    /// A contact wrote on WhatsApp (the text, or a button's payload; at most 1,024
    /// characters): the inbound keyword trigger.
    MessageReceived {
        #[serde(with = "crate::domain::ids::as_string")]
        contact_id: ShopifyId,
        text: String,
    },
    /// A contact started to match a segment (not when the segment was defined or edited).
    UserAddedToSegment {
        #[serde(with = "crate::domain::ids::as_string")]
        segment_id: u64,
        #[serde(with = "crate::domain::ids::as_string")]
        contact_id: ShopifyId,
    },
    /// The month's conversations reached a threshold of the plan's (80, 90, 100 %); at
    /// 100 % marketing sends are refused until the next month or an upgrade.
    UsageThreshold {
        percent: u8,
        used: u64,
        included: u64,
    },
}

impl EventKind {
    /// The event's type name, as shown by the API (`OrderPlaced` …).
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::CustomerCreated { .. } => "CustomerCreated",
            EventKind::CustomerTagged { .. } => "CustomerTagged",
            EventKind::OrderPlaced { .. } => "OrderPlaced",
            EventKind::OrderCancelled { .. } => "OrderCancelled",
            EventKind::OrderShipped { .. } => "OrderShipped",
            EventKind::VariantRestocked { .. } => "VariantRestocked",
            EventKind::CheckoutUpdated { .. } => "CheckoutUpdated",
            EventKind::CheckoutCompleted { .. } => "CheckoutCompleted",
            EventKind::BackInStockNotified { .. } => "BackInStockNotified",
            EventKind::MessageReceived { .. } => "MessageReceived",
            EventKind::UserAddedToSegment { .. } => "UserAddedToSegment",
            EventKind::UsageThreshold { .. } => "UsageThreshold",
        }
    }
}

/// The bit of a stream position's index that marks an event of the store's *history*:
/// caused by a row of the initial Admin import (a customer created two years ago, an
/// order placed last spring), not by something happening now. Such events are recorded
/// (segments, `include_existing_users` backfills and analytics read them) but never start
/// a flow run by themselves: installing Galantis must not message every past buyer.
/// Kept in the position rather than in a new field so stored events still decode.
pub const HISTORY: u64 = 128;

/// A recorded event: its kind, when it happened, and its place in the tenant's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// Position in the tenant's event stream: the journal sequence of the webhook that
    /// caused it, times 256, plus its index (stable across replays, so recording is
    /// idempotent); the index's bit [`HISTORY`] marks an event of the store's history.
    pub seq: u64,
    /// When the shop says it happened (payload time), else when we received it.
    pub occurred_at: Timestamp,
    /// What happened.
    pub kind: EventKind,
}

impl DomainEvent {
    /// Whether it records the store's history (see [`HISTORY`]).
    pub fn is_history(&self) -> bool {
        self.seq & HISTORY != 0
    }
}
