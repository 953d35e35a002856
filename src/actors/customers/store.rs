//! The customer actor's store side: the [`Lookup`] over the store (reads fail loudly),
//! loading the book at start, and turning a `Change` into batch writes (records, index
//! pairs, tombstones). Knows no actor; must not decide anything (that is `logic::customers`).

use crate::domain::contact::{Checkout, Contact, Order};
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::customers::{Change, CustomerBook, Lookup, Write};
use crate::logic::LookupError;
use crate::store::{Batch, Kind, Store, StoreError};

pub(super) struct StoreLookup<'a> {
    pub(super) store: &'a Store,
    pub(super) shop: &'a str,
}

fn lookup_error(e: StoreError) -> LookupError {
    LookupError::new(e.is_transient(), e)
}

/// Reads fail loudly: a read error is never taken for "no such order" (that would
/// recompute aggregates from partial data).
impl Lookup for StoreLookup<'_> {
    fn order(&self, id: ShopifyId) -> Result<Option<Order>, LookupError> {
        self.store
            .get(self.shop, Kind::Order, id)
            .map_err(lookup_error)
    }

    fn orders_of(&self, customer_id: ShopifyId) -> Result<Vec<Order>, LookupError> {
        let ids = self
            .store
            .pairs_of(self.shop, Kind::OrderByCustomer, customer_id)
            .map_err(lookup_error)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(
                self.order(id)?
                    .filter(|o| o.customer_id == Some(customer_id)),
            );
        }
        Ok(out)
    }

    fn checkout(&self, id: ShopifyId) -> Result<Option<Checkout>, LookupError> {
        self.store
            .get(self.shop, Kind::Checkout, id)
            .map_err(lookup_error)
    }

    fn checkouts_of(&self, customer_id: ShopifyId) -> Result<Vec<Checkout>, LookupError> {
        let ids = self
            .store
            .pairs_of(self.shop, Kind::CheckoutByCustomer, customer_id)
            .map_err(lookup_error)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(
                self.checkout(id)?
                    .filter(|c| c.customer_id == Some(customer_id)),
            );
        }
        Ok(out)
    }
}

/// Loads the book from the store (recovery and restart).
pub(super) fn load_book(store: &Store, shop: &str) -> Result<CustomerBook, StoreError> {
    let contacts: Vec<(u64, Contact)> = store.scan(shop, Kind::Contact)?;
    let tombstones: Vec<(u64, Timestamp)> = store.scan(shop, Kind::ContactTombstone)?;
    let mut book = CustomerBook::restore(contacts.into_iter().map(|(_, c)| c), tombstones);
    let orders: Vec<(u64, Timestamp)> = store.scan(shop, Kind::OrderTombstone)?;
    let checkouts: Vec<(u64, Timestamp)> = store.scan(shop, Kind::CheckoutTombstone)?;
    book.restore_deleted(orders, checkouts);
    Ok(book)
}

/// Turns a change into store writes.
pub(super) fn stage(
    store: &Store,
    shop: &str,
    change: &Change,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    for w in &change.writes {
        match w {
            Write::Contact(c) => batch.put(shop, Kind::Contact, c.id, c)?,
            Write::ContactDeleted { id, at } | Write::ContactRedacted { id, at } => {
                batch.remove(shop, Kind::Contact, *id);
                batch.remove(shop, Kind::ContactRegion, *id);
                batch.put(shop, Kind::ContactTombstone, *id, at)?;
            }
            Write::Order {
                order: o,
                previous_customer,
            } => {
                if let Some(c) = previous_customer.filter(|c| Some(*c) != o.customer_id) {
                    batch.remove_pair(shop, Kind::OrderByCustomer, c, o.id);
                }
                batch.put(shop, Kind::Order, o.id, o)?;
                if let Some(c) = o.customer_id {
                    batch.put_pair(shop, Kind::OrderByCustomer, c, o.id);
                }
            }
            Write::OrderDeleted { id, at } => {
                if let Some(old) = store.get::<Order>(shop, Kind::Order, *id)? {
                    if let Some(c) = old.customer_id {
                        batch.remove_pair(shop, Kind::OrderByCustomer, c, *id);
                    }
                }
                batch.remove(shop, Kind::Order, *id);
                batch.put(shop, Kind::OrderTombstone, *id, at)?;
            }
            Write::Checkout {
                checkout: k,
                previous_customer,
            } => {
                if let Some(c) = previous_customer.filter(|c| Some(*c) != k.customer_id) {
                    batch.remove_pair(shop, Kind::CheckoutByCustomer, c, k.id);
                }
                batch.put(shop, Kind::Checkout, k.id, k)?;
                if let Some(c) = k.customer_id {
                    batch.put_pair(shop, Kind::CheckoutByCustomer, c, k.id);
                }
            }
            Write::CheckoutDeleted { id, at } => {
                if let Some(old) = store.get::<Checkout>(shop, Kind::Checkout, *id)? {
                    if let Some(c) = old.customer_id {
                        batch.remove_pair(shop, Kind::CheckoutByCustomer, c, *id);
                    }
                }
                batch.remove(shop, Kind::Checkout, *id);
                batch.put(shop, Kind::CheckoutTombstone, *id, at)?;
            }
            Write::Export(x) => batch.put(shop, Kind::Export, x.request_id, x)?,
            Write::Region { id, province } => match province {
                Some(p) => batch.put(shop, Kind::ContactRegion, *id, p)?,
                None => batch.remove(shop, Kind::ContactRegion, *id),
            },
        }
    }
    Ok(())
}
