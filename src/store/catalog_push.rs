//! The records of the catalog push (issue #12): the durable queue of product changes
//! (`Kind::CatalogQueue`, written by the catalog actor in the batch of the change), the
//! per-variant sync records and the push health (written by the pusher), and the
//! merchant's exclusions. Reads and batch helpers only; the pusher decides.

use super::records::Batch;
use super::{codec, keys, Kind, Store, StoreError};
use crate::domain::catalog_sync::{ItemSync, PushHealth};
use crate::domain::ShopifyId;

/// The top bit of a queue number: push even what looks unchanged (manual re-sync).
pub const FORCE: u64 = 1 << 63;

/// One product's queued change numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    /// The product.
    pub product: ShopifyId,
    /// Its queue numbers (removed once pushed).
    pub numbers: Vec<u64>,
}

impl Queued {
    /// Whether a number asks for a forced push.
    pub fn forced(&self) -> bool {
        self.numbers.iter().any(|n| n & FORCE != 0)
    }
}

impl Batch {
    /// Queues product `product` for a push under change number `n` (unique per change:
    /// the journal seq of the webhook, or a fresh number with [`FORCE`]).
    pub fn queue_push(&mut self, shop: &str, product: ShopifyId, n: u64) {
        self.put_pair(shop, Kind::CatalogQueue, product, n);
    }

    /// Removes queue entries the pusher has handled.
    pub fn unqueue_push(&mut self, shop: &str, q: &Queued) {
        for n in &q.numbers {
            self.remove_pair(shop, Kind::CatalogQueue, q.product, *n);
        }
    }

    /// Stores a variant's last push.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_item_sync(
        &mut self,
        shop: &str,
        product: ShopifyId,
        variant: ShopifyId,
        s: &ItemSync,
    ) -> Result<(), StoreError> {
        self.raw_put(
            keys::pair(shop, Kind::ItemSync, product, variant),
            codec::encode(s)?,
        );
        Ok(())
    }

    /// Forgets a variant's push (it is gone from Meta and from the shop).
    pub fn remove_item_sync(&mut self, shop: &str, product: ShopifyId, variant: ShopifyId) {
        self.raw_remove(keys::pair(shop, Kind::ItemSync, product, variant));
    }
}

fn two_u64(key: &[u8]) -> Option<(u64, u64)> {
    let b = keys::last_u64(key)?;
    let a = keys::last_u64(key.get(..key.len().checked_sub(8)?)?)?;
    Some((a, b))
}

impl Store {
    /// The queued products, in product id order, at most `limit` products.
    ///
    /// # Errors
    /// When sled fails.
    pub fn queued_pushes(&self, shop: &str, limit: usize) -> Result<Vec<Queued>, StoreError> {
        let prefix = keys::kind_prefix(shop, Kind::CatalogQueue);
        let mut out: Vec<Queued> = Vec::new();
        for kv in self.read_prefix(&prefix) {
            let (k, _) = kv?;
            let (product, n) =
                two_u64(&k).ok_or_else(|| StoreError::Corrupt("catalog queue key".into()))?;
            if let Some(q) = out.last_mut().filter(|q| q.product == product) {
                q.numbers.push(n);
            } else if out.len() >= limit {
                break;
            } else {
                out.push(Queued {
                    product,
                    numbers: vec![n],
                });
            }
        }
        Ok(out)
    }

    /// Whether a product has a change queued.
    ///
    /// # Errors
    /// When sled fails.
    pub fn push_queued(&self, shop: &str, product: ShopifyId) -> Result<bool, StoreError> {
        Ok(!self.pairs_of(shop, Kind::CatalogQueue, product)?.is_empty())
    }

    /// The last push of each variant of a product that was ever pushed (variant id order).
    ///
    /// # Errors
    /// When sled fails or a record does not decode.
    pub fn item_syncs(
        &self,
        shop: &str,
        product: ShopifyId,
    ) -> Result<Vec<(ShopifyId, ItemSync)>, StoreError> {
        let prefix = keys::record(shop, Kind::ItemSync, product);
        let mut out = Vec::new();
        for kv in self.read_prefix(&prefix) {
            let (k, v) = kv?;
            let variant =
                keys::last_u64(&k).ok_or_else(|| StoreError::Corrupt("item sync key".into()))?;
            out.push((variant, codec::decode(&v)?));
        }
        Ok(out)
    }

    /// One variant's last push.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn item_sync(
        &self,
        shop: &str,
        product: ShopifyId,
        variant: ShopifyId,
    ) -> Result<Option<ItemSync>, StoreError> {
        match self.read(&keys::pair(shop, Kind::ItemSync, product, variant))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Why variant `variant` of product `product` cannot be shown in a product message
    /// (`logic::catalog_sync::sendable` over the stored product and the variant's last
    /// push), or `None` when it can. Shared by the API's product messages and the
    /// automation actor's product templates.
    ///
    /// # Errors
    /// When sled fails or a record does not decode.
    pub fn unsendable(
        &self,
        shop: &str,
        product: ShopifyId,
        variant: ShopifyId,
    ) -> Result<Option<String>, StoreError> {
        let Some(p) = super::catalog::product(self, shop, product)? else {
            return Ok(Some("no product of this shop has it".into()));
        };
        let Some(v) = p.variant(variant) else {
            return Ok(Some("no variant of this shop has this retailer id".into()));
        };
        let sync = self.item_sync(shop, product, variant)?;
        Ok(crate::logic::catalog_sync::sendable(sync.as_ref(), v).err())
    }

    /// Calls `f` with every variant's last push of the tenant (health counts).
    ///
    /// # Errors
    /// When sled fails or a record does not decode.
    pub fn each_item_sync(
        &self,
        shop: &str,
        mut f: impl FnMut(ShopifyId, ShopifyId, &ItemSync),
    ) -> Result<(), StoreError> {
        let prefix = keys::kind_prefix(shop, Kind::ItemSync);
        for kv in self.read_prefix(&prefix) {
            let (k, v) = kv?;
            let (p, var) =
                two_u64(&k).ok_or_else(|| StoreError::Corrupt("item sync key".into()))?;
            f(p, var, &codec::decode(&v)?);
        }
        Ok(())
    }

    /// Number of products queued (health).
    ///
    /// # Errors
    /// When sled fails.
    pub fn queued_push_count(&self, shop: &str) -> Result<u64, StoreError> {
        let prefix = keys::kind_prefix(shop, Kind::CatalogQueue);
        let mut n = 0u64;
        let mut last = None;
        for kv in self.read_prefix(&prefix) {
            let (k, _) = kv?;
            let (p, _) =
                two_u64(&k).ok_or_else(|| StoreError::Corrupt("catalog queue key".into()))?;
            if last != Some(p) {
                n += 1;
                last = Some(p);
            }
        }
        Ok(n)
    }

    /// The push health (default when nothing was pushed yet).
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn push_health(&self, shop: &str) -> Result<PushHealth, StoreError> {
        Ok(self.get(shop, Kind::CatalogHealth, 0)?.unwrap_or_default())
    }

    /// Whether the merchant excluded a product from the catalog.
    ///
    /// # Errors
    /// When sled fails.
    pub fn catalog_excluded(&self, shop: &str, product: ShopifyId) -> Result<bool, StoreError> {
        Ok(self
            .read(&keys::record(shop, Kind::CatalogExcluded, product))?
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn queue_groups_numbers_per_product_and_unqueues_only_what_was_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1 << 20).expect("open");
        let shop = "a.myshopify.com";
        let mut b = Batch::new();
        b.queue_push(shop, 7, 1);
        b.queue_push(shop, 7, 5);
        b.queue_push(shop, 9, 2 | FORCE);
        store.commit(b).expect("commit");
        let q = store.queued_pushes(shop, 10).expect("read");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].numbers, [1, 5]);
        assert!(!q[0].forced() && q[1].forced());
        assert_eq!(store.queued_pushes(shop, 1).expect("read").len(), 1);
        // A change queued after the read stays queued.
        let mut b = Batch::new();
        b.queue_push(shop, 7, 6);
        b.unqueue_push(shop, &q[0]);
        store.commit(b).expect("commit");
        assert_eq!(store.queued_pushes(shop, 10).expect("read")[0].numbers, [6]);
        assert_eq!(store.queued_push_count(shop).expect("count"), 2);
    }
}
