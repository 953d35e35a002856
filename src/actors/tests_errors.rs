//! Actor-level tests of errors that must not poison: a store read error in a query is the
//! caller's error, never the actor's death; a transient read error while applying a webhook
//! is retried (the webhook lands, nothing is dead-lettered).

use super::conversations::ConversationsMsg;
use super::customers::CustomersMsg;
use super::tenant::TenantMsg;
use super::tests::{deliver, deliver_customer, two_tenants, wait_count};
use super::Engine;
use crate::domain::Timestamp;
use crate::integrations::meta::webhook;
use crate::logic::inbox::ThreadFilter;
use crate::store::{keys, Kind};
use std::time::Duration;

const SHOP: &str = "a.myshopify.com";

/// The ids of the tenant's child actors (a restart replaces one).
fn children(engine: &Engine) -> Vec<ractor::ActorId> {
    let sup = engine.supervisor_of(SHOP).expect("running");
    let mut ids: Vec<_> = sup
        .get_cell()
        .get_children()
        .iter()
        .map(|c| c.get_id())
        .collect();
    ids.sort();
    ids
}

/// A Meta delivery of one inbound text to number 111, as Meta sends it.
fn inbound_delivery() -> String {
    let now = Timestamp::now().millis() / 1000;
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"900","changes":[{{"field":"messages","value":{{
        "messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"111"}},
        "contacts":[{{"profile":{{"name":"Ann"}},"wa_id":"16135550199"}}],
        "messages":[{{"from":"16135550199","id":"wamid.T1","timestamp":"{now}","type":"text","text":{{"body":"hello"}}}}]}}}}]}}]}}"#
    )
}

/// One inbound text, as `POST /webhooks/meta` journals it.
fn deliver_inbound(engine: &Engine, store: &crate::store::Store) {
    let body = inbound_delivery();
    let events = webhook::parse(body.as_bytes()).expect("parses");
    let e = &events[0];
    let json = serde_json::to_string(e).expect("encodes");
    let topic = crate::logic::Source::Meta(crate::logic::MetaKind::of(e));
    deliver(engine, store, SHOP, topic.as_str(), "wamid.T1:text", json);
}

async fn wait_thread(engine: &Engine) -> u64 {
    for _ in 0..200 {
        if let Some(id) = thread_ids(engine).await.first() {
            return *id;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no thread was opened");
}

/// Thread `id` with its messages; the read must succeed.
async fn read_thread(engine: &Engine, id: u64) -> super::conversations::ThreadWithMessages {
    engine
        .call(SHOP, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Thread { id, reply_to })
        })
        .await
        .expect("answers")
        .expect("reads")
        .expect("thread")
}

async fn thread_ids(engine: &Engine) -> Vec<u64> {
    engine
        .call(SHOP, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Threads {
                filter: ThreadFilter::default(),
                reply_to,
            })
        })
        .await
        .map(|ts| ts.into_iter().map(|t| t.id).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_store_read_error_on_a_thread_query_leaves_the_actor_alive() {
    let (_dir, store, engine) = two_tenants([SHOP, "b.myshopify.com"], 1).await;
    deliver_inbound(&engine, &store);
    let id = wait_thread(&engine).await;
    let before = children(&engine);

    store.fail_reads(&keys::kind_prefix(SHOP, Kind::Message), 1);
    let failed = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::Thread { id, reply_to })
        })
        .await
        .expect("the actor answers");
    let err = failed.expect_err("the injected read error is the caller's error");
    assert!(
        crate::telemetry::chain(&err).contains("injected read failure"),
        "{err}"
    );

    // Same actor, still serving: the thread and its message are there.
    let (thread, messages) = read_thread(&engine, id).await;
    assert_eq!(thread.id, id);
    assert_eq!(messages.len(), 1);
    assert_eq!(children(&engine), before, "no actor was restarted");
}

fn order(id: u64, customer: u64, minute: u32) -> String {
    format!(
        r##"{{"id": {id}, "name": "#{id}", "total_price": "10.00", "currency": "USD",
        "created_at": "2026-01-01T00:{minute:02}:00Z", "updated_at": "2026-01-01T00:{minute:02}:00Z",
        "customer": {{"id": {customer}, "updated_at": "2026-01-01T00:00:00Z"}}}}"##
    )
}

async fn orders_count(engine: &Engine, id: u64) -> Option<u32> {
    engine
        .call(SHOP, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Profile { id, reply_to })
        })
        .await
        .ok()?
        .ok()?
        .map(|p| p.contact.orders_count)
}

#[tokio::test]
async fn a_transient_read_error_while_applying_retries_and_the_webhook_lands() {
    let (_dir, store, engine) = two_tenants([SHOP, "b.myshopify.com"], 1).await;
    deliver(
        &engine,
        &store,
        SHOP,
        "orders/create",
        "o-1",
        order(11, 1, 1),
    );
    deliver(
        &engine,
        &store,
        SHOP,
        "orders/create",
        "o-2",
        order(12, 1, 2),
    );
    for _ in 0..200 {
        if orders_count(&engine, 1).await == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(orders_count(&engine, 1).await, Some(2));
    let before = children(&engine);

    // Reading order 11 (for the customer's aggregates) fails once, as a disk error would.
    store.fail_reads(&keys::record(SHOP, Kind::Order, 11), 1);
    deliver(
        &engine,
        &store,
        SHOP,
        "orders/create",
        "o-3",
        order(13, 1, 3),
    );

    // Applied after a retry, with every order counted (never from partial data).
    let mut got = None;
    for _ in 0..300 {
        got = orders_count(&engine, 1).await;
        if got == Some(3) && store.pending_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        got,
        Some(3),
        "the order landed and the aggregate counts all three"
    );
    assert_eq!(store.pending_count(), 0, "the webhook was applied");
    assert!(
        store.dead_letters(SHOP).expect("reads").is_empty(),
        "a transient error is not a poison payload"
    );
    assert_eq!(children(&engine), before, "no actor was restarted");
    // The actor keeps applying new webhooks.
    deliver_customer(&engine, &store, SHOP, 2);
    wait_count(&engine, SHOP, 2).await;
}

#[tokio::test]
async fn a_whole_meta_delivery_replayed_after_a_fix_is_applied_event_by_event() {
    let (_dir, store, engine) = two_tenants([SHOP, "b.myshopify.com"], 1).await;
    let mut b = crate::store::Batch::new();
    b.put_phone_number("111", SHOP);
    store.commit(b).expect("commit");
    // What a replay of a `meta/delivery` dead letter journals once the parser accepts it.
    deliver(
        &engine,
        &store,
        SHOP,
        "meta/delivery",
        "delivery:abc",
        inbound_delivery(),
    );
    let id = wait_thread(&engine).await;
    let (_, messages) = read_thread(&engine, id).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].wamid.as_deref(), Some("wamid.T1"));
    assert!(store.dead_letters(SHOP).expect("reads").is_empty());
}

#[tokio::test]
async fn a_transient_read_error_while_applying_a_meta_event_retries_and_it_lands() {
    let (_dir, store, engine) = two_tenants([SHOP, "b.myshopify.com"], 1).await;
    let before = children(&engine);
    // Reading the template record (to merge the review into it) fails once.
    store.fail_reads(&keys::kind_prefix(SHOP, Kind::Template), 1);
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"900","time":1751247548,"changes":[
        {"field":"message_template_status_update","value":{"event":"APPROVED","message_template_id":1689556908129832,
        "message_template_name":"order_confirmation","message_template_language":"en_US","reason":"NONE",
        "message_template_category":"UTILITY"}}]}]}"#;
    let events = webhook::parse(body).expect("parses");
    let json = serde_json::to_string(&events[0]).expect("encodes");
    let source = crate::logic::Source::Meta(crate::logic::MetaKind::of(&events[0]));
    deliver(&engine, &store, SHOP, source.as_str(), "tpl-1", json);
    let mut found = Vec::new();
    for _ in 0..300 {
        found = engine
            .call(SHOP, |reply_to| {
                TenantMsg::Conversations(ConversationsMsg::Templates { reply_to })
            })
            .await
            .expect("answers")
            .unwrap_or_default();
        if !found.is_empty() && store.pending_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(found.len(), 1, "the review landed after a retry");
    assert_eq!(found[0].name, "order_confirmation");
    assert!(store.dead_letters(SHOP).expect("reads").is_empty());
    assert_eq!(children(&engine), before, "no actor was restarted");
}
