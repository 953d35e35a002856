//! Actor-level tests: panic containment and restart from durable state.

use super::customers::CustomersMsg;
use super::tenant::TenantMsg;
use super::{Delivered, Engine};
use crate::domain::Timestamp;
use crate::store::tenants::TenantStatus;
use crate::store::{Accepted, JournalEntry, Store, TenantRecord};
use std::sync::Arc;
use std::time::Duration;

fn services() -> Arc<super::conversations::Services> {
    Arc::new(super::conversations::Services {
        meta: crate::integrations::meta::client::MetaClient::new(
            &crate::integrations::meta::client::MetaClientSettings::default(),
        )
        .expect("client"),
        settings: crate::config::MetaSettings::default(),
        master_key: crate::secrets::MasterKey::parse(&"11".repeat(32)).expect("key"),
    })
}

fn tenant(shop: &str, n: u8) -> TenantRecord {
    TenantRecord {
        shop: shop.into(),
        status: TenantStatus::Active,
        created_at: Timestamp::now(),
        status_at: Timestamp::now(),
        shopify_token: vec![1, 2, 3],
        meta_token: None,
        meta_phone_number_ids: vec![],
        meta_waba_id: None,
        api_key_hash: [n; 32],
    }
}

fn deliver_customer(engine: &Engine, store: &Store, shop: &str, id: u64) {
    let entry = JournalEntry {
        shop: shop.into(),
        topic: "customers/create".into(),
        webhook_id: format!("w-{id}"),
        api_version: "2026-04".into(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body: format!(
            r#"{{"id": {id}, "updated_at": "2026-01-01T00:00:00Z", "first_name": "N{id}"}}"#
        )
        .into_bytes()
        .into(),
    };
    let Ok(Accepted::New { seq, entry }) = store.accept_webhook(entry) else {
        panic!("not accepted");
    };
    engine.deliver(shop, Delivered { seq, entry });
}

async fn count(engine: &Engine, shop: &str) -> Option<usize> {
    engine
        .call(shop, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Count { reply_to })
        })
        .await
        .ok()
}

async fn wait_count(engine: &Engine, shop: &str, want: usize) {
    for _ in 0..200 {
        if count(engine, shop).await == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{shop} never reached {want} contacts (has {:?})",
        count(engine, shop).await
    );
}

#[tokio::test]
async fn a_panic_in_one_tenants_actor_is_contained_and_recovered_from_durable_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("store");
    store
        .create_tenant(&tenant("a.myshopify.com", 1))
        .expect("a");
    store
        .create_tenant(&tenant("b.myshopify.com", 2))
        .expect("b");
    let engine = Engine::start(store.clone(), services(), Duration::from_secs(5))
        .await
        .expect("engine");
    engine.recover().await.expect("recover");
    for id in 1..=3 {
        deliver_customer(&engine, &store, "a.myshopify.com", id);
        deliver_customer(&engine, &store, "b.myshopify.com", 100 + id);
    }
    wait_count(&engine, "a.myshopify.com", 3).await;
    wait_count(&engine, "b.myshopify.com", 3).await;

    engine
        .cast("a.myshopify.com", TenantMsg::Customers(CustomersMsg::Panic))
        .expect("cast");
    // While A's actor restarts, B answers as always.
    assert_eq!(count(&engine, "b.myshopify.com").await, Some(3));
    // A comes back with its durable state, and takes new webhooks.
    wait_count(&engine, "a.myshopify.com", 3).await;
    deliver_customer(&engine, &store, "a.myshopify.com", 4);
    wait_count(&engine, "a.myshopify.com", 4).await;
    deliver_customer(&engine, &store, "b.myshopify.com", 104);
    wait_count(&engine, "b.myshopify.com", 4).await;
    assert!(store
        .dead_letters("a.myshopify.com")
        .expect("letters")
        .is_empty());
    engine.shutdown().await;
}

#[tokio::test]
async fn a_webhook_that_crashes_its_actor_is_dead_lettered_not_retried_forever() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("store");
    store
        .create_tenant(&tenant("p.myshopify.com", 3))
        .expect("p");
    let engine = Engine::start(store.clone(), services(), Duration::from_secs(5))
        .await
        .expect("engine");
    assert!(!engine.is_ready(), "not ready before recovery");
    engine.recover().await.expect("recover");
    assert!(engine.is_ready());
    deliver_customer(&engine, &store, "p.myshopify.com", 1);
    wait_count(&engine, "p.myshopify.com", 1).await;
    // A journaled entry whose application panics.
    let entry = JournalEntry {
        shop: "p.myshopify.com".into(),
        topic: "customers/create".into(),
        webhook_id: "poison".into(),
        api_version: "2026-04".into(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body: bytes::Bytes::from_static(br#"{"id": 2, "updated_at": "2026-01-01T00:00:00Z"}"#),
    };
    let Ok(Accepted::New { seq, .. }) = store.accept_webhook(entry) else {
        panic!("not accepted");
    };
    engine
        .cast(
            "p.myshopify.com",
            TenantMsg::Customers(CustomersMsg::PanicApplying(seq)),
        )
        .expect("cast");
    for _ in 0..200 {
        if !store
            .dead_letters("p.myshopify.com")
            .expect("letters")
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let letters = store.dead_letters("p.myshopify.com").expect("letters");
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].id, seq);
    assert!(
        letters[0].reason.contains("crashed"),
        "{}",
        letters[0].reason
    );
    assert!(!store.is_pending(seq));
    // The actor is back, with its state, and was not fed the poison again.
    wait_count(&engine, "p.myshopify.com", 1).await;
    engine.shutdown().await;
}
