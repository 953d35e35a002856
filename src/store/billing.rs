//! The tenant's app subscriptions record (`Kind::Subscription`, id 0).

use super::{Batch, Kind, Store, StoreError};
use crate::domain::billing::Subscriptions;

impl Store {
    /// The tenant's subscriptions (none yet: empty).
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn subscriptions(&self, shop: &str) -> Result<Subscriptions, StoreError> {
        Ok(self.get(shop, Kind::Subscription, 0)?.unwrap_or_default())
    }
}

impl Batch {
    /// Stores the tenant's subscriptions.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_subscriptions(&mut self, shop: &str, s: &Subscriptions) -> Result<(), StoreError> {
        self.put(shop, Kind::Subscription, 0, s)
    }
}
