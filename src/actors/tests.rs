//! Actor-level tests: panic containment and restart from durable state.

use super::customers::CustomersMsg;
use super::tenant::TenantMsg;
use super::{Delivered, Engine};
use crate::domain::Timestamp;
use crate::store::tenants::TenantStatus;
use crate::store::{Accepted, JournalEntry, Store, TenantRecord};
use std::sync::Arc;
use std::time::Duration;

pub(super) fn services() -> Arc<super::context::ActorContext> {
    Arc::new(super::context::ActorContext {
        meta: crate::integrations::meta::client::MetaClient::new(
            &crate::integrations::meta::client::MetaClientSettings::default(),
        )
        .expect("client"),
        settings: crate::config::MetaSettings::default(),
        master_key: crate::secrets::MasterKey::parse(&"11".repeat(32)).expect("key"),
        automations: crate::config::AutomationSettings::default(),
        billing: crate::config::BillingSettings::default(),
        campaigns: Default::default(),
    })
}

pub(super) fn tenant(shop: &str, n: u8) -> TenantRecord {
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

pub(super) fn deliver(
    engine: &Engine,
    store: &Store,
    shop: &str,
    topic: &str,
    id: &str,
    body: String,
) {
    let entry = JournalEntry {
        shop: shop.into(),
        source: crate::logic::Source::parse(topic),
        webhook_id: id.into(),
        api_version: "2026-04".into(),
        triggered_at: None,
        received_at: Timestamp::now(),
        body: body.into_bytes().into(),
    };
    let Ok(Accepted::New { seq, entry }) = store.accept_webhook(entry) else {
        panic!("not accepted");
    };
    engine.deliver(shop, Delivered { seq, entry });
}

pub(super) fn deliver_customer(engine: &Engine, store: &Store, shop: &str, id: u64) {
    let body =
        format!(r#"{{"id": {id}, "updated_at": "2026-01-01T00:00:00Z", "first_name": "N{id}"}}"#);
    deliver(
        engine,
        store,
        shop,
        "customers/create",
        &format!("w-{id}"),
        body,
    );
}

pub(super) async fn count(engine: &Engine, shop: &str) -> Option<usize> {
    engine
        .call(shop, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Count { reply_to })
        })
        .await
        .ok()
}

pub(super) async fn wait_count(engine: &Engine, shop: &str, want: usize) {
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

/// A started, recovered engine with two tenants of `n` contacts each (ids 1.., 101..).
pub(super) async fn two_tenants(shops: [&str; 2], n: usize) -> (tempfile::TempDir, Store, Engine) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("store");
    for (i, shop) in (1u8..).zip(shops) {
        store.create_tenant(&tenant(shop, i)).expect("tenant");
    }
    let engine = Engine::start(store.clone(), services(), Duration::from_secs(5))
        .await
        .expect("engine");
    engine.recover().await.expect("recover");
    for id in 1..=n as u64 {
        deliver_customer(&engine, &store, shops[0], id);
        deliver_customer(&engine, &store, shops[1], 100 + id);
    }
    wait_count(&engine, shops[0], n).await;
    wait_count(&engine, shops[1], n).await;
    (dir, store, engine)
}

#[tokio::test]
async fn a_panic_in_one_tenants_actor_is_contained_and_recovered_from_durable_state() {
    let (_dir, store, engine) = two_tenants(["a.myshopify.com", "b.myshopify.com"], 3).await;

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
        source: crate::logic::Source::parse("customers/create"),
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

#[tokio::test]
async fn a_failed_supervisor_takes_every_child_with_it_and_comes_back_whole() {
    let (_dir, store, engine) = two_tenants(["s.myshopify.com", "t.myshopify.com"], 2).await;
    let old = engine.supervisor_of("s.myshopify.com").expect("running");
    let children = old.get_cell().get_children();
    assert_eq!(
        children.len(),
        6,
        "customer, catalog, conversation, automation, back-in-stock and campaign actors"
    );

    engine
        .cast("s.myshopify.com", TenantMsg::Fail)
        .expect("cast");
    // Every child of the failed supervisor stops with it: none lives on as an orphan
    // (an automation actor with timers, say) next to the replacement tree.
    for _ in 0..300 {
        let stopped = children
            .iter()
            .all(|c| c.get_status() == ractor::ActorStatus::Stopped);
        if stopped && old.get_status() == ractor::ActorStatus::Stopped {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for c in &children {
        assert_eq!(
            c.get_status(),
            ractor::ActorStatus::Stopped,
            "child {:?} outlived its supervisor",
            c.get_id()
        );
    }
    // The other tenant never noticed; the failed one is restarted with its state and a
    // fresh set of four children, and takes new webhooks.
    assert_eq!(count(&engine, "t.myshopify.com").await, Some(2));
    let mut new = None;
    for _ in 0..300 {
        new = engine
            .supervisor_of("s.myshopify.com")
            .filter(|s| s.get_id() != old.get_id());
        if new.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let new = new.expect("the supervisor was restarted");
    wait_count(&engine, "s.myshopify.com", 2).await;
    let fresh = new.get_cell().get_children();
    assert_eq!(fresh.len(), children.len());
    assert!(fresh
        .iter()
        .all(|c| children.iter().all(|o| o.get_id() != c.get_id())));
    deliver_customer(&engine, &store, "s.myshopify.com", 3);
    wait_count(&engine, "s.myshopify.com", 3).await;
    engine.shutdown().await;
}

#[tokio::test]
async fn an_order_that_changes_customer_moves_its_index_entry() {
    use crate::store::Kind;
    let (_dir, store, engine) = two_tenants(["o.myshopify.com", "q.myshopify.com"], 2).await;
    let shop = "o.myshopify.com";
    let order = |customer: u64, updated: &str| {
        format!(
            r##"{{"id": 9, "name": "#1001", "currency": "EUR", "total_price": "5.00", "created_at": "2026-01-02T00:00:00Z", "updated_at": "{updated}", "customer": {{"id": {customer}}}, "line_items": []}}"##
        )
    };
    let pairs = |customer: u64| {
        store
            .pairs_of(shop, Kind::OrderByCustomer, customer)
            .expect("pairs")
    };
    deliver(
        &engine,
        &store,
        shop,
        "orders/create",
        "o-1",
        order(1, "2026-01-02T00:00:00Z"),
    );
    deliver(
        &engine,
        &store,
        shop,
        "orders/updated",
        "o-2",
        order(2, "2026-01-03T00:00:00Z"),
    );
    for _ in 0..300 {
        if !pairs(2).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(pairs(2), vec![9]);
    assert!(
        pairs(1).is_empty(),
        "the first customer's index entry was removed"
    );
    engine.shutdown().await;
}
