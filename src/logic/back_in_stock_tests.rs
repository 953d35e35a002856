//! Tests of the back-in-stock rules, with a property test over interleavings.

use super::*;
use crate::domain::contact::MarketingSource;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};

fn phone(n: u64) -> PhoneE164 {
    PhoneE164::parse(&format!("+1415555{:04}", n)).expect("a valid number")
}

fn req(p: u64, variant: u64, at: i64) -> NewSubscription {
    NewSubscription {
        product_id: 1,
        variant_id: variant,
        phone: phone(p),
        contact_id: Some(p + 100),
        consent_source: MarketingSource::BackInStockWidget,
        at: Timestamp(at),
    }
}

#[test]
fn subscribing_twice_returns_the_same_subscription() {
    let mut book = BackInStockBook::new();
    let first = book.subscribe(&req(1, 10, 1), 7);
    assert!(first.created && first.changed);
    assert_eq!(first.subscription.status, SubscriptionStatus::Active);
    let again = book.subscribe(&req(1, 10, 2), 8);
    assert!(!again.created && !again.changed);
    assert_eq!(again.subscription.id, 7);
    assert_eq!(book.len(), 1);
}

#[test]
fn a_restock_notifies_active_subscribers_of_exactly_that_variant_once() {
    let mut book = BackInStockBook::new();
    book.subscribe(&req(1, 10, 1), 1);
    book.subscribe(&req(2, 10, 1), 2);
    book.subscribe(&req(3, 11, 1), 3);
    book.cancel(2, phone(2), Timestamp(2)).expect("cancelled");
    let r = Restock {
        event_seq: 512,
        variant_id: 10,
    };
    let notified = book.restock(r, Timestamp(3));
    assert_eq!(notified.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1]);
    assert!(
        book.restock(r, Timestamp(4)).is_empty(),
        "a duplicate event"
    );
    assert_eq!(
        book.get(3).map(|s| s.status),
        Some(SubscriptionStatus::Active)
    );
    assert_eq!(
        book.get(2).map(|s| s.status),
        Some(SubscriptionStatus::Cancelled)
    );
}

#[test]
fn a_notified_or_cancelled_subscription_is_reactivated_for_the_next_restock() {
    let mut book = BackInStockBook::new();
    book.subscribe(&req(1, 10, 1), 1);
    let r1 = Restock {
        event_seq: 256,
        variant_id: 10,
    };
    assert_eq!(book.restock(r1, Timestamp(2)).len(), 1);
    let again = book.subscribe(&req(1, 10, 3), 9);
    assert!(!again.created && again.changed);
    assert_eq!(again.subscription.status, SubscriptionStatus::Active);
    // A late copy of the first restock does not notify the re-subscribed shopper.
    assert!(book.restock(r1, Timestamp(4)).is_empty());
    let r2 = Restock {
        event_seq: 1024,
        variant_id: 10,
    };
    let n = book.restock(r2, Timestamp(5));
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].notifications, 2);
}

#[test]
fn cancel_needs_the_subscribers_phone() {
    let mut book = BackInStockBook::new();
    book.subscribe(&req(1, 10, 1), 1);
    assert!(book.cancel(1, phone(2), Timestamp(2)).is_none());
    assert!(book.cancel(99, phone(1), Timestamp(2)).is_none());
    let (s, changed) = book.cancel(1, phone(1), Timestamp(2)).expect("own");
    assert!(changed);
    assert_eq!(s.status, SubscriptionStatus::Cancelled);
    assert!(!book.cancel(1, phone(1), Timestamp(3)).expect("again").1);
}

#[test]
fn restore_keeps_applied_restocks() {
    let mut book = BackInStockBook::new();
    let s = book.subscribe(&req(1, 10, 1), 1).subscription;
    let mut back = BackInStockBook::restore([s], [256]);
    let r = Restock {
        event_seq: 256,
        variant_id: 10,
    };
    assert!(back.restock_applied(256));
    assert!(back.restock(r, Timestamp(2)).is_empty());
    assert_eq!(back.find(phone(1), 10).map(|s| s.id), Some(1));
}

#[derive(Clone, Debug)]
enum Op {
    Subscribe(u64, u64),
    Cancel(u64, u64),
    /// Delivery of real restock number k (possibly again, possibly out of order).
    Restock(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..4u64, 0..2u64).prop_map(|(p, v)| Op::Subscribe(p, v)),
        1 => (0..4u64, 0..2u64).prop_map(|(p, v)| Op::Cancel(p, v)),
        3 => (0..5usize).prop_map(Op::Restock),
    ]
}

proptest! {
    /// For any interleaving of subscribe / cancel calls and duplicate, reordered
    /// deliveries of five real restocks: each restock notifies, once, exactly the
    /// subscribers of its variant that were ACTIVE when it was first delivered.
    #[test]
    fn each_active_subscriber_is_notified_once_per_real_restock(
        ops in proptest::collection::vec(op(), 0..60),
        variants in proptest::collection::vec(0..2u64, 5),
    ) {
        let restocks: Vec<Restock> = variants
            .iter()
            .enumerate()
            .map(|(k, v)| Restock { event_seq: (k as u64 + 1) * 256, variant_id: *v })
            .collect();
        let mut book = BackInStockBook::new();
        let mut model: BTreeMap<(u64, u64), SubscriptionStatus> = BTreeMap::new();
        let mut seen: HashSet<usize> = HashSet::new();
        let mut pairs: HashSet<(u64, u64)> = HashSet::new();
        let mut next_id = 1;
        for (t, op) in ops.iter().enumerate() {
            let at = Timestamp(t as i64);
            match *op {
                Op::Subscribe(p, v) => {
                    next_id += 1;
                    book.subscribe(&req(p, v, t as i64), next_id);
                    let e = model.entry((p, v)).or_insert(SubscriptionStatus::Active);
                    if *e != SubscriptionStatus::Pending {
                        *e = SubscriptionStatus::Active;
                    }
                }
                Op::Cancel(p, v) => {
                    let id = book.find(phone(p), v).map(|s| s.id);
                    if let Some(id) = id {
                        book.cancel(id, phone(p), at);
                        model.insert((p, v), SubscriptionStatus::Cancelled);
                    }
                }
                Op::Restock(k) => {
                    let r = restocks[k];
                    let notified = book.restock(r, at);
                    let mut expected: Vec<(u64, u64)> = Vec::new();
                    if seen.insert(k) {
                        for ((p, v), st) in model.iter_mut() {
                            if *v == r.variant_id && *st == SubscriptionStatus::Active {
                                *st = SubscriptionStatus::Notified;
                                expected.push((*p, *v));
                            }
                        }
                    }
                    let mut got: Vec<(u64, u64)> = Vec::new();
                    for s in &notified {
                        let p = s.phone.digits() % 10_000;
                        prop_assert!(pairs.insert((s.id, r.event_seq)), "notified twice");
                        got.push((p, s.variant_id));
                    }
                    got.sort_unstable();
                    prop_assert_eq!(got, expected);
                }
            }
        }
    }
}
