//! The Shopify side's records: the integration health after the last Admin API call.

use crate::domain::whatsapp::{IntegrationHealth, TokenState};
use crate::store::{Batch, Kind, Store, StoreError};

/// The stored Shopify health; before any call: unknown, a token stored.
///
/// # Errors
/// When the store fails.
pub fn load_health(store: &Store, shop: &str) -> Result<Option<IntegrationHealth>, StoreError> {
    store.get(shop, Kind::ShopifyHealth, 0)
}

/// Writes the Shopify health (durable at the next checkpoint).
///
/// # Errors
/// When the store fails.
pub fn save_health(store: &Store, shop: &str, h: &IntegrationHealth) -> Result<(), StoreError> {
    let mut b = Batch::new();
    b.put(shop, Kind::ShopifyHealth, 0, h)?;
    store.commit(b)
}

/// What health says before any call.
pub fn fresh() -> IntegrationHealth {
    IntegrationHealth::unknown(TokenState::Stored)
}
