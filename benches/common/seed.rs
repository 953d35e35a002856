//! Stores built the way the engine's own records look, for the recovery, runs and enrol
//! benches: the tenant record, contacts built through the real customer logic
//! ([`ContactFactory`]) written 10,000 per batch through the `Store` API, and the
//! services an `Engine` needs (no Meta token anywhere: nothing can reach Meta).

use super::*;
use galantis::logic::customers::CustomerBook;
use galantis::secrets::{hash_api_key, MasterKey};
use galantis::store::tenants::TenantStatus;
use galantis::store::{codec, Batch, Kind, Store, TenantRecord};

/// Contacts written per batch.
pub const CONTACT_CHUNK: u64 = 10_000;

/// The master key the bench stores are sealed with.
pub fn master_key() -> MasterKey {
    MasterKey::parse(&"11".repeat(32)).expect("master key")
}

/// Stores `shop` as an active tenant (a sealed dummy Shopify token, no Meta token or
/// number); false when it existed already.
pub fn create_tenant(store: &Store, shop: &str, api_key: &str) -> bool {
    let now = Timestamp::now();
    let sealed = master_key()
        .seal(
            &galantis::tenants::seal_context(shop, "shopify_token"),
            b"shpat_bench",
        )
        .expect("seal");
    store
        .create_tenant(&TenantRecord {
            shop: shop.to_string(),
            status: TenantStatus::Active,
            created_at: now,
            status_at: now,
            shopify_token: sealed,
            meta_token: None,
            meta_phone_number_ids: Vec::new(),
            meta_waba_id: None,
            api_key_hash: hash_api_key(api_key),
        })
        .expect("create tenant")
}

/// What [`write_contacts`] wrote.
pub struct ContactsWritten {
    /// Contacts stored.
    pub contacts: u64,
    /// Deliveries the customer logic applied to build them.
    pub applied: u64,
    /// Encoded bytes of all contact values.
    pub bytes: u64,
}

/// Writes contacts number `0..n` (Shopify ids `CUSTOMER_BASE + i`) of `shop`, each built
/// by [`ContactFactory::add`] (customer, 3 tags, 2 orders, purchasing summary), 10,000
/// per batch through `Store::commit`; with `with_orders`, also their 2 orders and the
/// order-by-customer pairs. Not flushed: the caller flushes.
pub fn write_contacts(store: &Store, shop: &str, n: u64, with_orders: bool) -> ContactsWritten {
    let mut factory = ContactFactory::new();
    let mut written = 0u64;
    let mut bytes = 0u64;
    let mut start = 0;
    while start < n {
        let end = (start + CONTACT_CHUNK).min(n);
        let mut book = CustomerBook::new();
        for i in start..end {
            factory.add(&mut book, i, with_orders);
        }
        let mut batch = Batch::new();
        for c in book.contacts() {
            bytes += codec::encode(c).map_or(0, |v| v.len() as u64);
            batch.put(shop, Kind::Contact, c.id, c).expect("encode");
            written += 1;
        }
        for o in factory.orders.drain(..) {
            batch.put(shop, Kind::Order, o.id, &o).expect("encode");
            if let Some(c) = o.customer_id {
                batch.put_pair(shop, Kind::OrderByCustomer, c, o.id);
            }
        }
        store.commit(batch).expect("commit");
        start = end;
    }
    assert_eq!(factory.failed, 0, "the customer logic refused deliveries");
    ContactsWritten {
        contacts: written,
        applied: factory.applied,
        bytes,
    }
}

/// The services of an engine with default settings and no Meta token.
pub fn services() -> std::sync::Arc<galantis::actors::context::ActorContext> {
    std::sync::Arc::new(galantis::actors::context::ActorContext {
        meta: galantis::integrations::meta::client::MetaClient::new(
            &galantis::integrations::meta::client::MetaClientSettings::default(),
        )
        .expect("meta client"),
        settings: galantis::config::MetaSettings::default(),
        master_key: master_key(),
        automations: galantis::config::AutomationSettings::default(),
        billing: galantis::config::BillingSettings::default(),
        campaigns: Default::default(),
    })
}
