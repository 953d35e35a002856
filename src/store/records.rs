//! Typed per-tenant records and events: batches to write them, reads to load them.

use super::{codec, keys, Kind, Store, StoreError};
use crate::domain::DomainEvent;
use serde::{de::DeserializeOwned, Serialize};

/// One write of a batch: a key and its new value, `None` to remove it.
pub(super) type Op = (Vec<u8>, Option<Vec<u8>>);

/// An atomic set of writes. Built by actors, applied by [`Store::commit`].
#[derive(Default)]
pub struct Batch {
    ops: Vec<Op>,
    /// Journal entries this batch marks applied.
    pub(super) settles: Vec<u64>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub(super) fn raw_put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    pub(super) fn raw_remove(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }

    pub(super) fn into_parts(self) -> (Vec<Op>, Vec<u64>) {
        (self.ops, self.settles)
    }

    /// Puts a record of `kind` under `id`.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put<T: Serialize>(
        &mut self,
        shop: &str,
        kind: Kind,
        id: u64,
        value: &T,
    ) -> Result<(), StoreError> {
        self.raw_put(keys::record(shop, kind, id), codec::encode(value)?);
        Ok(())
    }

    /// Removes the record of `kind` under `id`.
    pub fn remove(&mut self, shop: &str, kind: Kind, id: u64) {
        self.raw_remove(keys::record(shop, kind, id));
    }

    /// Adds an index pair (`a`, `b`) of `kind`.
    pub fn put_pair(&mut self, shop: &str, kind: Kind, a: u64, b: u64) {
        self.raw_put(keys::pair(shop, kind, a, b), Vec::new());
    }

    /// Removes an index pair.
    pub fn remove_pair(&mut self, shop: &str, kind: Kind, a: u64, b: u64) {
        self.raw_remove(keys::pair(shop, kind, a, b));
    }

    /// Records a domain event under its sequence (idempotent: same seq, same key).
    ///
    /// # Errors
    /// When the event cannot be encoded.
    pub fn put_event(&mut self, shop: &str, event: &DomainEvent) -> Result<(), StoreError> {
        self.put(shop, Kind::Event, event.seq, event)
    }
}

impl Store {
    /// One record.
    ///
    /// # Errors
    /// When sled fails or the value does not decode.
    pub fn get<T: DeserializeOwned>(
        &self,
        shop: &str,
        kind: Kind,
        id: u64,
    ) -> Result<Option<T>, StoreError> {
        match self.read(&keys::record(shop, kind, id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Every record of `kind` for `shop`, in id order.
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn scan<T: DeserializeOwned>(
        &self,
        shop: &str,
        kind: Kind,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        self.scan_from(shop, kind, None, usize::MAX)
    }

    /// Records of `kind` with id > `after`, at most `limit`, in id order.
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn scan_from<T: DeserializeOwned>(
        &self,
        shop: &str,
        kind: Kind,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        let prefix = keys::kind_prefix(shop, kind);
        let start = match after {
            Some(a) => match a.checked_add(1) {
                Some(n) => keys::record(shop, kind, n),
                None => return Ok(Vec::new()),
            },
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for kv in self.read_range(&start, &prefix) {
            let (k, v) = kv?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            let id = keys::last_u64(&k).ok_or_else(|| StoreError::Corrupt("record key".into()))?;
            out.push((id, codec::decode(&v)?));
        }
        Ok(out)
    }

    /// Second halves of the index pairs (`a`, *) of `kind`.
    ///
    /// # Errors
    /// When sled fails.
    pub fn pairs_of(&self, shop: &str, kind: Kind, a: u64) -> Result<Vec<u64>, StoreError> {
        let prefix = keys::record(shop, kind, a);
        let mut out = Vec::new();
        for kv in self.read_prefix(&prefix) {
            let (k, _) = kv?;
            if let Some(b) = keys::last_u64(&k) {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// Erases every record of a tenant (shop/redact, tenant deletion). Tenant record, keys
    /// and dead letters are handled by their own functions.
    ///
    /// # Errors
    /// When sled fails.
    pub fn erase_tenant_records(&self, shop: &str) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for prefix in [keys::tenant_records_prefix(shop), keys::seen_prefix(shop)] {
            for kv in self.read_prefix(&prefix) {
                let (k, _) = kv?;
                batch.remove(k);
                n += 1;
            }
        }
        // Logged webhooks of this shop must not come back at the next start: their
        // markers are gone with the rest.
        batch.insert(keys::erased(shop), codec::encode(&self.db.generate_id()?)?);
        self.direct()?.apply_batch(batch)?;
        Ok(n)
    }
}
