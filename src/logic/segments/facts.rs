//! `ContactFacts`: everything segment rules read of one contact, gathered from the
//! contact record, its engagement times and what it bought. Owns nothing else: the
//! actors supply engagement (from the inbox and the outbox) and purchases (from orders
//! and the catalog).

use crate::domain::contact::{Contact, CountryCode, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::segments::LanguageCode;
use crate::domain::{ShopifyId, Timestamp};

/// When the contact last heard from the shop and last answered it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Engagement {
    /// The last WhatsApp message sent to the contact that reached them (delivered).
    pub last_message_received_at: Option<Timestamp>,
    /// The last inbound reply or click from the contact.
    pub last_engaged_at: Option<Timestamp>,
}

/// What a contact did that the engagement rules read (the conversation actor reports it
/// to the customer actor, which keeps the times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engaged {
    /// A message of the shop's reached them (delivered or read).
    Received,
    /// They wrote or clicked.
    Replied,
}

/// What the contact bought, as the purchase rules read it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purchases {
    /// Collections of the products in the contact's orders.
    pub collections: Vec<ShopifyId>,
    /// Vendors (brands) of those products.
    pub vendors: Vec<Box<str>>,
}

/// What segment rules read of one contact. Built per change by [`facts_of`]; the index
/// keeps only its columns, never this record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactFacts {
    /// The contact's E.164 phone.
    pub phone: Option<PhoneE164>,
    /// Orders not deleted, as on the contact.
    pub orders_count: u32,
    /// Thousandths of the shop currency.
    pub total_spent: i64,
    /// Thousandths of the shop currency; 0 without counted orders.
    pub average_order_value: i64,
    /// UTC day (see [`crate::domain::segments::day_of`]) of the first order.
    pub first_order_day: Option<i32>,
    /// UTC day of the last order.
    pub last_order_day: Option<i32>,
    /// UTC day of the last message received.
    pub last_message_received_day: Option<i32>,
    /// UTC day of the last engagement.
    pub last_engaged_day: Option<i32>,
    /// Default-address country.
    pub country: Option<CountryCode>,
    /// The language of the contact's locale.
    pub language: Option<LanguageCode>,
    /// WhatsApp marketing consent.
    pub consent: MarketingState,
    /// Present tags, sorted, without duplicates.
    pub tags: Vec<Box<str>>,
    /// Sorted, without duplicates.
    pub collections: Vec<ShopifyId>,
    /// Sorted, without duplicates.
    pub vendors: Vec<Box<str>>,
}

/// The facts of `contact` with its engagement and purchases.
pub fn facts_of(contact: &Contact, engagement: &Engagement, purchases: &Purchases) -> ContactFacts {
    use crate::domain::segments::day_of;
    let mut collections = purchases.collections.clone();
    collections.sort_unstable();
    collections.dedup();
    let mut vendors: Vec<Box<str>> = (purchases.vendors.iter())
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(Box::from)
        .collect();
    vendors.sort_unstable();
    vendors.dedup();
    ContactFacts {
        phone: contact.phone,
        orders_count: contact.orders_count,
        total_spent: contact.total_spent.0,
        average_order_value: contact.average_order_value.0,
        first_order_day: contact.first_order_at.map(day_of),
        last_order_day: contact.last_order_at.map(day_of),
        last_message_received_day: engagement.last_message_received_at.map(day_of),
        last_engaged_day: engagement.last_engaged_at.map(day_of),
        country: contact.country,
        language: contact.locale.as_deref().and_then(LanguageCode::parse),
        consent: contact.marketing_state,
        tags: contact.tags.iter().map(Box::from).collect(),
        collections,
        vendors,
    }
}
