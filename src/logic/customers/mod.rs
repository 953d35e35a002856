//! The customer side of a tenant: contacts, their orders and checkouts, consent, tags,
//! compliance (redact, data request). Pure: `CustomerBook::apply` takes a delivery and
//! returns the records to write and the domain events to record.
//!
//! Rules shared by every topic (see `shared/reference/shopify-api.md` §1.4):
//! - Staleness is per record: a `customers/*` payload older (`updated_at`) than the stored
//!   contact, an order or checkout older than the stored one, a tag or consent event older
//!   than what it would replace is not applied. Equal times are applied (idempotent).
//! - Deletes leave tombstones. A deleted or redacted customer id is never brought back,
//!   whatever the times (Shopify never reuses ids). Customer tombstones come back through
//!   [`CustomerBook::restore`]; order and checkout tombstones are kept in memory here
//!   (the [`Lookup`] cannot see them) and come back through
//!   [`CustomerBook::restore_deleted`].
//! - An event about an unknown customer creates the contact (`CustomerCreated`), from the
//!   payload's `customer` object when it has one, else as a stub.
//!
//! Contacts are kept in a `BTreeMap` rather than a `HashMap`: similar memory per entry,
//! and `search` pages in id order without sorting a million ids.

mod checkouts;
mod compliance;
mod consent;
mod contacts;
mod orders;
mod payload;
mod search;
mod tags;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests_consent;
#[cfg(test)]
mod tests_contacts;
#[cfg(test)]
mod tests_orders;

use super::{ApplyError, Delivery, LookupError, Topic};
use crate::domain::contact::{
    Checkout, Contact, DataExport, MarketingSource, MarketingState, Order,
};
use crate::domain::phone::PhoneE164;
use crate::domain::{EventKind, ShopifyId, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// Contacts created from WhatsApp (someone wrote to the shop who is not a Shopify
/// customer) have ids with the top bit set; Shopify ids never reach 2^63, and payloads
/// claiming one are refused at parsing ([`crate::domain::ids::checked_id`]).
pub const WHATSAPP_CONTACT_BASE: ShopifyId = crate::domain::ids::SHOPIFY_ID_LIMIT;

/// Read access to the records the book does not keep in memory (orders, checkouts).
/// The actor implements it over the store; tests over a `HashMap`.
pub trait Lookup {
    /// The stored order with this id, if any.
    fn order(&self, id: ShopifyId) -> Result<Option<Order>, LookupError>;
    /// All stored orders of one customer.
    fn orders_of(&self, customer_id: ShopifyId) -> Result<Vec<Order>, LookupError>;
    /// The stored checkout with this id, if any.
    fn checkout(&self, id: ShopifyId) -> Result<Option<Checkout>, LookupError>;
    /// All stored checkouts of one customer.
    fn checkouts_of(&self, customer_id: ShopifyId) -> Result<Vec<Checkout>, LookupError>;
}

/// A record to persist (or erase) as the result of applying a delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Insert or replace a contact.
    Contact(Contact),
    /// Remove a contact; keep a tombstone (deleted at) so a late update cannot resurrect it.
    ContactDeleted { id: ShopifyId, at: Timestamp },
    /// Remove a contact and everything about them, for `customers/redact` (tombstone kept,
    /// holding no personal data).
    ContactRedacted { id: ShopifyId, at: Timestamp },
    /// Insert or replace an order. `previous_customer` is the customer of the stored
    /// version (the logic read it anyway), so persisting can move the order's index entry
    /// without reading the order back.
    Order {
        order: Order,
        previous_customer: Option<ShopifyId>,
    },
    /// Remove an order (tombstone kept).
    OrderDeleted { id: ShopifyId, at: Timestamp },
    /// Insert or replace a checkout; `previous_customer` as for [`Write::Order`].
    Checkout {
        checkout: Checkout,
        previous_customer: Option<ShopifyId>,
    },
    /// Remove a checkout (tombstone kept).
    CheckoutDeleted { id: ShopifyId, at: Timestamp },
    /// A prepared `customers/data_request` export.
    Export(DataExport),
    /// The province of a contact's default address in a country with several zones
    /// (`None`: none or removed), kept beside the contact record (whose stored layout it
    /// would change) for the quiet hours' zone; not written for other countries.
    Region {
        /// The contact.
        id: ShopifyId,
        /// `CA`, `NSW` …
        province: Option<String>,
    },
}

/// What applying one delivery did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Records to persist, in order.
    pub writes: Vec<Write>,
    /// Domain events caused, in order.
    pub events: Vec<EventKind>,
    /// Set when the delivery was deliberately not applied (stale, tombstoned, failed
    /// merge …): the reason, for logs and metrics.
    pub ignored: Option<String>,
}

impl Change {
    /// A change that applies nothing, with the reason.
    pub fn ignored(reason: impl Into<String>) -> Self {
        Self {
            ignored: Some(reason.into()),
            ..Self::default()
        }
    }
}

/// In-memory state of a tenant's customer side.
#[derive(Debug, Default)]
pub struct CustomerBook {
    /// Live contacts by Shopify customer id.
    contacts: BTreeMap<ShopifyId, Contact>,
    /// Deleted or redacted customer ids, with when.
    tombstones: HashMap<ShopifyId, Timestamp>,
    /// Deleted (or redacted) order ids, with when.
    deleted_orders: HashMap<ShopifyId, Timestamp>,
    /// Deleted (or redacted) checkout ids, with when.
    deleted_checkouts: HashMap<ShopifyId, Timestamp>,
}

impl CustomerBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the book from stored contacts and tombstones (recovery).
    pub fn restore(
        contacts: impl IntoIterator<Item = Contact>,
        tombstones: impl IntoIterator<Item = (ShopifyId, Timestamp)>,
    ) -> Self {
        let tombstones: HashMap<_, _> = tombstones.into_iter().collect();
        let contacts = contacts
            .into_iter()
            .filter(|c| !tombstones.contains_key(&c.id))
            .map(|c| (c.id, c))
            .collect();
        Self {
            contacts,
            tombstones,
            ..Self::default()
        }
    }

    /// Adds stored order and checkout tombstones (recovery), so a late `orders/updated`
    /// or `checkouts/update` after a restart cannot bring a deleted record back.
    pub fn restore_deleted(
        &mut self,
        orders: impl IntoIterator<Item = (ShopifyId, Timestamp)>,
        checkouts: impl IntoIterator<Item = (ShopifyId, Timestamp)>,
    ) {
        self.deleted_orders.extend(orders);
        self.deleted_checkouts.extend(checkouts);
    }

    /// Applies one delivery routed to the customer side.
    ///
    /// # Errors
    /// [`ApplyError`] when the payload cannot be parsed or lacks what the topic needs.
    pub fn apply(&mut self, d: &Delivery<'_>, lookup: &dyn Lookup) -> Result<Change, ApplyError> {
        use Topic::*;
        match d.topic {
            CustomersCreate | CustomersUpdate | CustomersEnable | CustomersDisable => {
                self.on_customer(d)
            }
            CustomersDelete => self.on_customer_delete(d),
            CustomersMerge => self.on_merge(d, lookup),
            CustomerTagsAdded => self.on_tags(d, true),
            CustomerTagsRemoved => self.on_tags(d, false),
            CustomersPurchasingSummary => self.on_purchasing_summary(d, lookup),
            CustomersMarketingConsentUpdate
            | CustomersEmailMarketingConsentUpdate
            | CustomersWhatsAppMarketingConsentUpdate => self.on_consent(d),
            OrdersCreate | OrdersUpdated | OrdersPaid | OrdersCancelled | OrdersFulfilled => {
                self.on_order(d, lookup)
            }
            OrdersDelete => self.on_order_delete(d, lookup),
            CheckoutsCreate | CheckoutsUpdate => self.on_checkout(d, lookup),
            CheckoutsDelete => self.on_checkout_delete(d),
            CustomersRedact => self.on_redact(d, lookup),
            CustomersDataRequest => self.on_data_request(d, lookup),
            other => Ok(Change::ignored(format!(
                "topic `{}` is not handled by the customer side",
                other.as_str()
            ))),
        }
    }

    /// Sets `exclude_from_galantis`; `None` when there is no such contact.
    pub fn set_excluded(&mut self, id: ShopifyId, excluded: bool) -> Option<Change> {
        let c = self.contacts.get_mut(&id)?;
        if c.exclude_from_galantis == excluded {
            return Some(Change::default());
        }
        c.exclude_from_galantis = excluded;
        Some(Change {
            writes: vec![Write::Contact(c.clone())],
            ..Change::default()
        })
    }

    /// Records a WhatsApp marketing consent decision made outside Shopify (a STOP in the
    /// inbox: `Whatsapp`; a merchant: `Admin` …). Like every consent event it applies only
    /// when `at` is not older than the stored consent time, so a late, older Shopify event
    /// cannot undo it either. `None` when there is no such contact.
    pub fn set_marketing(
        &mut self,
        id: ShopifyId,
        state: MarketingState,
        source: MarketingSource,
        at: Timestamp,
    ) -> Option<Change> {
        let c = self.contacts.get_mut(&id)?;
        let consent = consent::Consent {
            state,
            source,
            collected_from: None,
            opt_in_level: None,
            at,
        };
        Some(if consent::apply_marketing(c, &consent) {
            Change {
                writes: vec![Write::Contact(c.clone())],
                ..Change::default()
            }
        } else {
            Change::ignored(format!(
                "consent at {at} is older than the stored consent of customer {id}"
            ))
        })
    }

    /// Ids of the live contacts with this phone number. A linear scan: it runs once per
    /// new WhatsApp thread and per opt-out word, not per message; an index can replace it
    /// when those become hot.
    pub fn find_by_phone(&self, phone: PhoneE164) -> Vec<ShopifyId> {
        self.contacts
            .values()
            .filter(|c| c.phone == Some(phone))
            .map(|c| c.id)
            .collect()
    }

    /// The contact of a WhatsApp number, created when nobody has it: someone who writes to
    /// the shop's number becomes a contact (id [`WHATSAPP_CONTACT_BASE`] + the number's
    /// digits, so the same number always maps to the same contact and never collides with
    /// Shopify's ids). Returns the id and the change to persist, if any.
    pub fn ensure_phone_contact(
        &mut self,
        phone: PhoneE164,
        profile_name: Option<&str>,
        at: Timestamp,
    ) -> (ShopifyId, Option<Change>) {
        if let Some(id) = self.find_by_phone(phone).into_iter().next() {
            return (id, None);
        }
        let id = WHATSAPP_CONTACT_BASE | phone.digits();
        if self.tombstones.contains_key(&id) {
            return (id, None);
        }
        let mut c = Contact::new(id, at);
        c.phone = Some(phone);
        if let Some(name) = profile_name.map(str::trim).filter(|n| !n.is_empty()) {
            c.first_name = Some(name.into());
        }
        self.contacts.insert(id, c.clone());
        (
            id,
            Some(Change {
                writes: vec![Write::Contact(c)],
                events: vec![EventKind::CustomerCreated { customer_id: id }],
                ignored: None,
            }),
        )
    }

    /// One contact.
    pub fn contact(&self, id: ShopifyId) -> Option<&Contact> {
        self.contacts.get(&id)
    }

    /// Every live contact, in id order (segments, exports).
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> + '_ {
        self.contacts.values()
    }

    /// When the customer was deleted or redacted, if it was.
    pub fn deleted_at(&self, id: ShopifyId) -> Option<Timestamp> {
        self.tombstones.get(&id).copied()
    }

    /// Contacts matching `q` (case-insensitive substring of first/last/full name or email,
    /// digits of the phone; empty `q` matches all), ordered by id, with ids > `after`,
    /// at most `limit`.
    pub fn search(&self, q: &str, after: Option<ShopifyId>, limit: usize) -> Vec<&Contact> {
        let query = search::Query::new(q);
        let start = match after {
            Some(a) => match a.checked_add(1) {
                Some(s) => s,
                None => return Vec::new(),
            },
            None => 0,
        };
        self.contacts
            .range(start..)
            .map(|(_, c)| c)
            .filter(|c| query.matches(c))
            .take(limit)
            .collect()
    }

    /// Number of live contacts.
    pub fn len(&self) -> usize {
        self.contacts.len()
    }

    /// True when there is no live contact.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The "deleted" reason when `id` is tombstoned.
    fn tombstoned(&self, id: ShopifyId) -> Option<String> {
        self.tombstones
            .get(&id)
            .map(|at| format!("customer {id} was deleted at {at}; not resurrected"))
    }

    /// The contact `id`, created as a stub (with a `CustomerCreated` event) when unknown.
    /// The caller has checked the tombstones.
    fn upsert_stub(
        &mut self,
        id: ShopifyId,
        d: &Delivery<'_>,
        change: &mut Change,
    ) -> &mut Contact {
        self.contacts.entry(id).or_insert_with(|| {
            change
                .events
                .push(EventKind::CustomerCreated { customer_id: id });
            Contact::new(id, d.received_at)
        })
    }
}
