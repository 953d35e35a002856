//! Test helpers: a `HashMap` store implementing [`Lookup`] that applies a change's
//! writes, the real Shopify fixtures, and deliveries built from them.

use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::{Checkout, DataExport, Order};
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::{ApplyError, Delivery, LookupError, Topic};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// An in-memory store of what the book does not keep.
#[derive(Default)]
pub struct MemStore {
    pub orders: BTreeMap<ShopifyId, Order>,
    pub checkouts: BTreeMap<ShopifyId, Checkout>,
    pub exports: Vec<DataExport>,
    pub contact_tombstones: HashMap<ShopifyId, Timestamp>,
}

impl Lookup for MemStore {
    fn order(&self, id: ShopifyId) -> Result<Option<Order>, LookupError> {
        Ok(self.orders.get(&id).cloned())
    }
    fn orders_of(&self, customer_id: ShopifyId) -> Result<Vec<Order>, LookupError> {
        let of = |o: &&Order| o.customer_id == Some(customer_id);
        Ok(self.orders.values().filter(of).cloned().collect())
    }
    fn checkout(&self, id: ShopifyId) -> Result<Option<Checkout>, LookupError> {
        Ok(self.checkouts.get(&id).cloned())
    }
    fn checkouts_of(&self, customer_id: ShopifyId) -> Result<Vec<Checkout>, LookupError> {
        let of = |c: &&Checkout| c.customer_id == Some(customer_id);
        Ok(self.checkouts.values().filter(of).cloned().collect())
    }
}

impl MemStore {
    /// Persists a change's writes (what the actor does).
    pub fn commit(&mut self, change: &Change) {
        for w in &change.writes {
            match w {
                Write::Order { order: o, .. } => {
                    self.orders.insert(o.id, o.clone());
                }
                Write::OrderDeleted { id, .. } => {
                    self.orders.remove(id);
                }
                Write::Checkout { checkout: c, .. } => {
                    self.checkouts.insert(c.id, c.clone());
                }
                Write::CheckoutDeleted { id, .. } => {
                    self.checkouts.remove(id);
                }
                Write::Export(e) => self.exports.push(e.clone()),
                Write::ContactDeleted { id, at } | Write::ContactRedacted { id, at } => {
                    self.contact_tombstones.insert(*id, *at);
                }
                Write::Contact(_) | Write::Region { .. } => {}
            }
        }
    }
}

/// A book plus its store: apply and commit in one call.
#[derive(Default)]
pub struct Harness {
    pub book: CustomerBook,
    pub store: MemStore,
    /// Received-at clock, advanced by one second per delivery.
    pub clock: i64,
}

impl Harness {
    /// Applies `body` for `topic` (received now, no triggered-at) and commits it.
    pub fn send(&mut self, topic: &str, body: &str) -> Result<Change, ApplyError> {
        self.clock += 1000;
        let d = Delivery {
            topic: Topic::parse(topic),
            body: body.as_bytes(),
            triggered_at: None,
            received_at: Timestamp(1_700_000_000_000 + self.clock),
        };
        let change = self.book.apply(&d, &self.store)?;
        self.store.commit(&change);
        Ok(change)
    }

    /// Like [`Harness::send`] but the delivery must apply.
    pub fn ok(&mut self, topic: &str, body: &str) -> Change {
        match self.send(topic, body) {
            Ok(c) => c,
            Err(e) => panic!("{topic} failed: {e}"),
        }
    }
}

/// The fixtures directory (`GALANTIS_FIXTURES`, default `../shared/fixtures`).
pub fn fixtures_dir() -> PathBuf {
    let base = std::env::var("GALANTIS_FIXTURES").unwrap_or_else(|_| "../shared/fixtures".into());
    let base = PathBuf::from(base);
    let base = if base.is_absolute() {
        base
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(base)
    };
    base.join("shopify").join("webhooks")
}

/// One webhook fixture's text, e.g. `fixture("customers/create")`.
pub fn fixture(topic: &str) -> String {
    let file = format!("{}.json", topic.replace('/', "__"));
    let path = fixtures_dir().join(&file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A fixture as JSON, edited by `f`, back to text (for variations of real payloads).
/// Big ids survive because serde_json keeps integers as `u64`.
pub fn fixture_with(topic: &str, f: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture(topic)).expect("fixture json");
    f(&mut v);
    v.to_string()
}
