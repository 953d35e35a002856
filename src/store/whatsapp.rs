//! WhatsApp routing indexes (phone number id and WABA id to shop) and the small hashes
//! the inbox uses as record ids (wamid, template name + language).

use super::{keys, Batch, Store, StoreError};
use sha2::{Digest, Sha256};

/// A stable 64-bit id for a text key (wamid, `name|language`).
pub fn text_id(s: &str) -> u64 {
    let d = Sha256::digest(s.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

impl Batch {
    /// Routes a WhatsApp phone number id to a shop.
    pub fn put_phone_number(&mut self, phone_number_id: &str, shop: &str) {
        self.raw_put(
            keys::phone_number(phone_number_id),
            shop.as_bytes().to_vec(),
        );
    }

    /// Routes a WABA id to a shop.
    pub fn put_waba(&mut self, waba_id: &str, shop: &str) {
        self.raw_put(keys::waba(waba_id), shop.as_bytes().to_vec());
    }

    /// Removes a phone number route.
    pub fn remove_phone_number(&mut self, phone_number_id: &str) {
        self.raw_remove(keys::phone_number(phone_number_id));
    }

    /// Removes a WABA route.
    pub fn remove_waba(&mut self, waba_id: &str) {
        self.raw_remove(keys::waba(waba_id));
    }
}

impl Store {
    /// The shop a WhatsApp phone number id belongs to.
    ///
    /// # Errors
    /// When sled fails.
    pub fn shop_for_phone_number(
        &self,
        phone_number_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(&keys::phone_number(phone_number_id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// The shop a WABA id belongs to.
    ///
    /// # Errors
    /// When sled fails.
    pub fn shop_for_waba(&self, waba_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(&keys::waba(waba_id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Allocates a fresh id (threads, messages), unique across restarts.
    ///
    /// # Errors
    /// When sled fails.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    /// Keys of index pairs `(a, b)` of `kind` with `a` in `[from, to)`, in order (the
    /// outbox: due time, message id).
    ///
    /// # Errors
    /// When sled fails.
    pub fn pairs_between(
        &self,
        shop: &str,
        kind: keys::Kind,
        from: u64,
        to: u64,
        limit: usize,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let start = keys::record(shop, kind, from);
        let end = keys::record(shop, kind, to);
        let mut out = Vec::new();
        for kv in self.read_range(&start, &keys::kind_prefix(shop, kind)) {
            let (k, _) = kv?;
            if out.len() >= limit || k.as_ref() >= end.as_slice() {
                break;
            }
            let n = k.len();
            if n < 16 {
                continue;
            }
            let a = keys::last_u64(&k[..n - 8])
                .ok_or_else(|| StoreError::Corrupt("pair key".into()))?;
            let b = keys::last_u64(&k).ok_or_else(|| StoreError::Corrupt("pair key".into()))?;
            out.push((a, b));
        }
        Ok(out)
    }

    /// A raw index value of `kind` under `id` (an 8-byte big-endian id), e.g. the
    /// message id stored under a wamid hash.
    ///
    /// # Errors
    /// When sled fails or the value is not 8 bytes.
    pub fn get_u64(
        &self,
        shop: &str,
        kind: keys::Kind,
        id: u64,
    ) -> Result<Option<u64>, StoreError> {
        match self.read(&keys::record(shop, kind, id))? {
            Some(v) => {
                let b: [u8; 8] = v
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("index value".into()))?;
                Ok(Some(u64::from_be_bytes(b)))
            }
            None => Ok(None),
        }
    }
}

impl Batch {
    /// Puts a raw 8-byte index value of `kind` under `id`.
    pub fn put_u64(&mut self, shop: &str, kind: keys::Kind, id: u64, value: u64) {
        self.raw_put(keys::record(shop, kind, id), value.to_be_bytes().to_vec());
    }
}
