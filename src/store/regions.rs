//! A contact's default-address province (`Kind::ContactRegion`), kept beside the contact
//! record: the quiet hours' zone in countries that span several.

use super::{Kind, Store, StoreError};

impl Store {
    /// The province code of contact `id`'s default address, when known.
    ///
    /// # Errors
    /// When sled fails or the value does not decode.
    pub fn contact_region(&self, shop: &str, id: u64) -> Result<Option<String>, StoreError> {
        self.get(shop, Kind::ContactRegion, id)
    }
}
