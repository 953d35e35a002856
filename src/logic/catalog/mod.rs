//! The catalog side of a tenant: products, variants, collections, and restock detection.
//! Pure: `CatalogBook::apply` takes a delivery and returns records to write and events.
//!
//! Submodules: `payload` (serde DTOs of the webhook bodies), `products`, `variants`
//! (snapshot versions and `VariantRestocked`), `collections`.

mod collections;
mod payload;
mod products;
mod variants;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_records;
#[cfg(test)]
mod tests_restock;

use super::{ApplyError, Delivery, Topic};
use crate::domain::catalog::{Collection, Product};
use crate::domain::{EventKind, ShopifyId, Timestamp};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// A record to persist (or erase) as the result of applying a delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Insert or replace a product (with its variants).
    Product(Product),
    /// Remove a product; keep a tombstone so a late update cannot resurrect it.
    ProductDeleted { id: ShopifyId, at: Timestamp },
    /// Insert or replace a collection.
    Collection(Collection),
    /// Remove a collection (tombstone kept).
    CollectionDeleted { id: ShopifyId, at: Timestamp },
    /// The pixel sizes of a product's images (those the payload gave sizes for), kept
    /// beside the product for the Meta catalog's image rule.
    ImageSizes {
        product: ShopifyId,
        sizes: Vec<crate::domain::catalog_sync::ImageSize>,
    },
}

/// What applying one delivery did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Records to persist, in order.
    pub writes: Vec<Write>,
    /// Domain events caused, in order (`VariantRestocked`).
    pub events: Vec<EventKind>,
    /// Set when the delivery was deliberately not applied (stale, tombstoned): the reason.
    pub ignored: Option<String>,
}

impl Change {
    /// A change that applied nothing, for `reason`.
    fn ignored(reason: String) -> Self {
        Change {
            ignored: Some(reason),
            ..Change::default()
        }
    }
}

/// In-memory state of a tenant's catalog.
///
/// Products (placeholders included) and collections are kept by id in ordered maps, so
/// listing pages by id needs no sort. Tombstones map a deleted id to its deletion time.
#[derive(Debug, Default)]
pub struct CatalogBook {
    products: BTreeMap<ShopifyId, Product>,
    collections: BTreeMap<ShopifyId, Collection>,
    product_tombstones: HashMap<ShopifyId, Timestamp>,
    collection_tombstones: HashMap<ShopifyId, Timestamp>,
}

impl CatalogBook {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the catalog from stored records (recovery). Tombstones are
    /// `(product or collection id, deleted at)`. A record that also has a tombstone is
    /// dropped: the tombstone wins.
    pub fn restore(
        products: impl IntoIterator<Item = Product>,
        collections: impl IntoIterator<Item = Collection>,
        product_tombstones: impl IntoIterator<Item = (ShopifyId, Timestamp)>,
        collection_tombstones: impl IntoIterator<Item = (ShopifyId, Timestamp)>,
    ) -> Self {
        let product_tombstones: HashMap<_, _> = product_tombstones.into_iter().collect();
        let collection_tombstones: HashMap<_, _> = collection_tombstones.into_iter().collect();
        CatalogBook {
            products: products
                .into_iter()
                .filter(|p| !product_tombstones.contains_key(&p.id))
                .map(|p| (p.id, p))
                .collect(),
            collections: collections
                .into_iter()
                .filter(|c| !collection_tombstones.contains_key(&c.id))
                .map(|c| (c.id, c))
                .collect(),
            product_tombstones,
            collection_tombstones,
        }
    }

    /// Applies one delivery routed to the catalog.
    ///
    /// # Errors
    /// [`ApplyError`] when the payload cannot be parsed or lacks what the topic needs, and
    /// [`ApplyError::Invalid`] for a topic that is not a catalog topic (a routing bug).
    pub fn apply(&mut self, d: &Delivery<'_>) -> Result<Change, ApplyError> {
        match d.topic {
            Topic::ProductsCreate | Topic::ProductsUpdate => products::upsert(self, d),
            Topic::ProductsDelete => products::delete(self, d),
            Topic::CollectionsCreate | Topic::CollectionsUpdate => collections::upsert(self, d),
            Topic::CollectionsDelete => collections::delete(self, d),
            Topic::VariantsInStock | Topic::VariantsOutOfStock => variants::apply(self, d),
            other => Err(ApplyError::invalid(other, "not a catalog topic")),
        }
    }

    /// One product.
    pub fn product(&self, id: ShopifyId) -> Option<&Product> {
        self.products.get(&id)
    }

    /// Products ordered by id with id > `after`, at most `limit`.
    pub fn products(&self, after: Option<ShopifyId>, limit: usize) -> Vec<&Product> {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.products
            .range((lower, Bound::Unbounded))
            .map(|(_, p)| p)
            .take(limit)
            .collect()
    }

    /// One collection.
    pub fn collection(&self, id: ShopifyId) -> Option<&Collection> {
        self.collections.get(&id)
    }

    /// Collections ordered by id with id > `after`, at most `limit`.
    pub fn collections(&self, after: Option<ShopifyId>, limit: usize) -> Vec<&Collection> {
        let lower = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.collections
            .range((lower, Bound::Unbounded))
            .map(|(_, c)| c)
            .take(limit)
            .collect()
    }

    /// When the product was deleted, if it was.
    pub fn product_deleted_at(&self, id: ShopifyId) -> Option<Timestamp> {
        self.product_tombstones.get(&id).copied()
    }

    /// When the collection was deleted, if it was.
    pub fn collection_deleted_at(&self, id: ShopifyId) -> Option<Timestamp> {
        self.collection_tombstones.get(&id).copied()
    }

    /// Records which collections a product belongs to (product webhooks do not say; catalog
    /// sync does). Deleted collections are left out; ids are sorted and deduplicated.
    /// An unknown or deleted product is ignored.
    pub fn set_product_collections(
        &mut self,
        product_id: ShopifyId,
        collections: impl IntoIterator<Item = ShopifyId>,
    ) -> Change {
        let Some(product) = self.products.get_mut(&product_id) else {
            return Change::ignored(format!("product {product_id} is not known"));
        };
        let mut ids: Vec<ShopifyId> = collections
            .into_iter()
            .filter(|c| !self.collection_tombstones.contains_key(c))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if product.collections == ids {
            return Change::default();
        }
        product.collections = ids;
        Change {
            writes: vec![Write::Product(product.clone())],
            ..Change::default()
        }
    }

    /// Number of live products (placeholders included).
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// True when there is no live product.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
