//! Reads of the catalog's records for other actors (the customer actor resolves the
//! vendor and collections of the products a contact bought). Writes stay the catalog
//! actor's; this module decides nothing.

use crate::domain::catalog::Product;
use crate::domain::ShopifyId;
use crate::store::{Kind, Store, StoreError};

/// The stored product with this id, if any.
///
/// # Errors
/// When the store fails or the record does not decode.
pub fn product(store: &Store, shop: &str, id: ShopifyId) -> Result<Option<Product>, StoreError> {
    store.get(shop, Kind::Product, id)
}
