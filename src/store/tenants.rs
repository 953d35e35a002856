//! Tenant records and tenant API keys (stored hashed).

use super::{codec, keys, Batch, Store, StoreError};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

/// Lifecycle of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Installed: webhooks flow, timers run.
    Active,
    /// `app/uninstalled` received: data kept, timers stopped, only compliance webhooks
    /// accepted.
    Uninstalled,
    /// `shop/redact` received: the shop's data is erased; only the record remains.
    Redacted,
}

/// A tenant as stored. Secrets are sealed (AEAD) and never leave the process in clear.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantRecord {
    /// The shop domain (tenant key).
    pub shop: String,
    /// Lifecycle state.
    pub status: TenantStatus,
    /// When the tenant was added.
    pub created_at: Timestamp,
    /// When the status last changed.
    pub status_at: Timestamp,
    /// Sealed Shopify Admin API access token.
    pub shopify_token: Vec<u8>,
    /// Sealed Meta (WhatsApp Cloud API) access token, when configured.
    pub meta_token: Option<Vec<u8>>,
    /// WhatsApp phone number ids of this tenant.
    pub meta_phone_number_ids: Vec<String>,
    /// WhatsApp Business Account id.
    pub meta_waba_id: Option<String>,
    /// SHA-256 of the tenant API key.
    pub api_key_hash: [u8; 32],
}

impl Batch {
    /// Writes a tenant record.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_tenant(&mut self, t: &TenantRecord) -> Result<(), StoreError> {
        self.raw_put(keys::tenant(&t.shop), codec::encode(t)?);
        Ok(())
    }
}

/// Statuses of known tenants, read on every webhook. A generation counter, bumped by
/// every tenant write, keeps a reader that raced a write from caching the old status.
/// Unknown shops are never cached (a flood of them must not grow memory).
#[derive(Debug, Default)]
pub(super) struct StatusCache {
    inner: std::sync::RwLock<(u64, std::collections::HashMap<String, TenantStatus>)>,
}

impl StatusCache {
    /// Forgets everything (a tenant record was written).
    pub(super) fn invalidate(&self) {
        let mut g = self
            .inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.0 += 1;
        g.1.clear();
    }
}

impl Store {
    /// A tenant's status (the webhook paths' check), cached.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn tenant_status(&self, shop: &str) -> Result<Option<TenantStatus>, StoreError> {
        let generation = {
            let g = self
                .statuses
                .inner
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(s) = g.1.get(shop) {
                return Ok(Some(*s));
            }
            g.0
        };
        let status = self.tenant(shop)?.map(|t| t.status);
        if let Some(s) = status {
            let mut g = self
                .statuses
                .inner
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if g.0 == generation {
                g.1.insert(shop.to_string(), s);
            }
        }
        Ok(status)
    }

    /// Creates a tenant and its API key index atomically; `false` if the shop exists.
    ///
    /// # Errors
    /// When sled fails.
    pub fn create_tenant(&self, t: &TenantRecord) -> Result<bool, StoreError> {
        let key = keys::tenant(&t.shop);
        let value = codec::encode(t)?;
        let tree = self.direct()?;
        let created = tree
            .compare_and_swap(&key, None as Option<&[u8]>, Some(value))?
            .is_ok();
        self.statuses.invalidate();
        if created {
            tree.insert(keys::api_key(&t.api_key_hash), t.shop.as_bytes())?;
        }
        Ok(created)
    }

    /// Replaces a tenant record (status changes).
    ///
    /// # Errors
    /// When sled fails.
    pub fn put_tenant(&self, t: &TenantRecord) -> Result<(), StoreError> {
        self.direct()?
            .insert(keys::tenant(&t.shop), codec::encode(t)?)?;
        self.statuses.invalidate();
        Ok(())
    }

    /// One tenant.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn tenant(&self, shop: &str) -> Result<Option<TenantRecord>, StoreError> {
        match self.read(&keys::tenant(shop))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Every tenant, by shop domain.
    ///
    /// # Errors
    /// When sled fails or a record does not decode.
    pub fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let mut out = Vec::new();
        for kv in self.read_prefix(keys::TENANT_PREFIX) {
            let (_, v) = kv?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }

    /// The shop a tenant API key hash belongs to.
    ///
    /// # Errors
    /// When sled fails.
    pub fn shop_for_key(&self, hash: &[u8; 32]) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(&keys::api_key(hash))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Deletes a tenant: record, key, records, dead letters, pending journal entries, and
    /// the routes of its numbers and account, but only those that point to it (a route
    /// another tenant owns stays, whatever the record claims).
    ///
    /// # Errors
    /// When sled fails.
    pub fn delete_tenant(&self, shop: &str) -> Result<(), StoreError> {
        let tree = self.direct()?;
        if let Some(t) = self.tenant(shop)? {
            tree.remove(keys::api_key(&t.api_key_hash))?;
            let mine = |k: Vec<u8>| -> Result<(), StoreError> {
                // Removed only while it still names this shop (a compare-and-swap).
                // `direct` writes staged commits out first, so a claim committed just
                // before is what the swap compares with.
                let _ = self.direct()?.compare_and_swap(
                    k,
                    Some(shop.as_bytes()),
                    None as Option<&[u8]>,
                )?;
                Ok(())
            };
            for id in &t.meta_phone_number_ids {
                mine(keys::phone_number(id))?;
            }
            if let Some(w) = &t.meta_waba_id {
                mine(keys::waba(w))?;
            }
        }
        self.erase_tenant_records(shop)?;
        self.erase_dead_letters(shop)?;
        self.forget_pending_of(shop);
        self.direct()?.remove(keys::tenant(shop))?;
        self.statuses.invalidate();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(shop: &str, numbers: &[&str], waba: &str, key: u8) -> TenantRecord {
        TenantRecord {
            shop: shop.into(),
            status: TenantStatus::Active,
            created_at: Timestamp(0),
            status_at: Timestamp(0),
            shopify_token: vec![1],
            meta_token: None,
            meta_phone_number_ids: numbers.iter().map(|n| n.to_string()).collect(),
            meta_waba_id: Some(waba.into()),
            api_key_hash: [key; 32],
        }
    }

    #[tokio::test]
    async fn deleting_a_tenant_releases_only_the_routes_that_point_to_it() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        // Data from before claims were checked: both records name number 1 and WABA 9,
        // whose routes are a's; b owns number 2 alone.
        let a = record("a.myshopify.com", &["1"], "9", 1);
        let b = record("b.myshopify.com", &["1", "2"], "9", 2);
        let mut batch = Batch::new();
        for t in [&a, &b] {
            assert!(store.create_tenant(t).expect("create"));
        }
        batch.put_phone_number("1", &a.shop);
        batch.put_waba("9", &a.shop);
        batch.put_phone_number("2", &b.shop);
        store.commit(batch).expect("commit");
        store.delete_tenant(&b.shop).expect("delete");
        assert_eq!(
            store.shop_for_phone_number("1").expect("read"),
            Some(a.shop.clone())
        );
        assert_eq!(
            store.shop_for_waba("9").expect("read"),
            Some(a.shop.clone())
        );
        assert_eq!(store.shop_for_phone_number("2").expect("read"), None);
        store.delete_tenant(&a.shop).expect("delete");
        assert_eq!(store.shop_for_phone_number("1").expect("read"), None);
        assert_eq!(store.shop_for_waba("9").expect("read"), None);
    }
}
