//! Tests of the back-in-stock actor over a real store: restocks recorded while it was
//! down (even below its cursor) are applied at its start, and never twice.

use super::*;
use crate::domain::back_in_stock::SubscriptionStatus;
use crate::domain::contact::MarketingSource;
use ractor::Actor;

fn answered<T>(r: ractor::rpc::CallResult<T>) -> T {
    match r {
        ractor::rpc::CallResult::Success(v) => v,
        _ => panic!("the actor did not answer"),
    }
}

const SHOP: &str = "bis-actor.myshopify.com";

fn phone(n: u64) -> PhoneE164 {
    PhoneE164::parse(&format!("+1415555{n:04}")).expect("phone")
}

async fn start(store: &Store) -> BackInStockRef {
    let args = BackInStockArgs {
        shop: ShopDomain::parse(SHOP).expect("shop"),
        store: store.clone(),
        automations: Sibling::default(),
    };
    Actor::spawn(None, BackInStock, args)
        .await
        .expect("spawn")
        .0
}

async fn subscribe(actor: &BackInStockRef, p: u64, variant_id: u64) -> Subscription {
    let req = NewSubscription {
        product_id: 1,
        variant_id,
        phone: phone(p),
        contact_id: None,
        consent_source: MarketingSource::BackInStockWidget,
        at: Timestamp::now(),
    };
    let out = actor
        .call(|reply_to| BackInStockMsg::Subscribe { req, reply_to }, None)
        .await
        .map(answered)
        .expect("call")
        .expect("stored");
    out.subscription
}

fn restock(seq: u64, variant_id: u64) -> DomainEvent {
    DomainEvent {
        seq,
        occurred_at: Timestamp::now(),
        kind: EventKind::VariantRestocked {
            product_id: 1,
            variant_id,
            previous_quantity: 0,
            quantity: 3,
        },
    }
}

fn record(store: &Store, e: &DomainEvent) {
    let mut batch = Batch::new();
    batch.put_event(SHOP, e).expect("encode");
    store.commit(batch).expect("commit");
}

fn notifications(store: &Store) -> Vec<u64> {
    let events: Vec<(u64, DomainEvent)> = store.scan(SHOP, Kind::Event).expect("scan");
    events
        .into_iter()
        .filter_map(|(_, e)| match e.kind {
            EventKind::BackInStockNotified {
                subscription_id, ..
            } => Some(subscription_id),
            _ => None,
        })
        .collect()
}

/// Stops the actor after everything queued before (a stop signal skips the mailbox).
async fn stop(actor: BackInStockRef) {
    let _ = actor
        .call(|reply_to| BackInStockMsg::Get { id: 0, reply_to }, None)
        .await;
    actor.stop_and_wait(None, None).await.expect("stopped");
}

#[tokio::test]
async fn restocks_recorded_while_down_are_applied_at_start_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), 8 << 20).expect("store");
    let actor = start(&store).await;
    let a = subscribe(&actor, 1, 10).await;
    let b = subscribe(&actor, 2, 11).await;
    // A live restock of variant 10 moves the cursor past 1000 × 256.
    let live = restock(1000 * 256, 10);
    record(&store, &live);
    actor
        .cast(BackInStockMsg::Recorded(vec![live]))
        .expect("cast");
    stop(actor).await;
    assert_eq!(notifications(&store), vec![a.id]);
    // While it is down, a restock of variant 11 is recorded *below* the cursor.
    record(&store, &restock(900 * 256, 11));
    let actor = start(&store).await;
    let got = actor
        .call(|reply_to| BackInStockMsg::Get { id: b.id, reply_to }, None)
        .await
        .map(answered)
        .expect("call");
    assert_eq!(got.map(|s| s.status), Some(SubscriptionStatus::Notified));
    stop(actor).await;
    let mut n = notifications(&store);
    n.sort_unstable();
    assert_eq!(n, vec![a.id, b.id]);
    // Another start, and a late copy of a restock: nothing is repeated.
    let actor = start(&store).await;
    actor
        .cast(BackInStockMsg::Recorded(vec![restock(900 * 256, 11)]))
        .expect("cast");
    stop(actor).await;
    assert_eq!(notifications(&store).len(), 2);
}
