//! Tests of tags and consent: per-tag last-writer-wins, newest consent wins, email
//! consent kept apart, and a WhatsApp STOP that older Shopify events cannot undo.

use super::testkit::{fixture, fixture_with, Harness};
use crate::domain::contact::{Contact, MarketingSource, MarketingState};
use crate::domain::{EventKind, Timestamp};
use serde_json::json;

const BOB: u64 = 706_405_506_930_370_084;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("rfc3339")
}

pub(super) fn tags(topic: &str, tags: &[&str], at: &str) -> (String, String) {
    let body = json!({"customerId": format!("gid://shopify/Customer/{BOB}"), "tags": tags,
        "occurredAt": at});
    (topic.to_string(), body.to_string())
}

#[test]
fn reordered_tag_events_resolve_by_occurred_at() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    let (t, b) = tags("customer.tags_removed", &["vip"], "2024-01-02T00:00:00Z");
    let ch = h.ok(&t, &b);
    assert!(ch.events.is_empty());
    let (t, b) = tags(
        "customer.tags_added",
        &["vip", "new"],
        "2024-01-01T00:00:00Z",
    );
    let ch = h.ok(&t, &b);
    assert_eq!(
        ch.events,
        vec![EventKind::CustomerTagged {
            customer_id: BOB,
            tags: vec!["new".into()]
        }]
    );
    let c = h.book.contact(BOB).expect("contact");
    assert!(!c.has_tag("vip") && c.has_tag("new"));
    // A duplicate changes nothing and emits nothing.
    let ch = h.ok(&t, &b);
    assert!(ch.ignored.is_some() && ch.events.is_empty());
    assert_eq!(
        serde_json::to_value(h.book.contact(BOB)).expect("json")["tags"],
        json!(["new"])
    );
}

#[test]
fn tags_for_an_unknown_customer_create_a_stub() {
    let mut h = Harness::default();
    let ch = h.ok("customer.tags_added", &fixture("customer.tags_added"));
    assert_eq!(ch.events[0], EventKind::CustomerCreated { customer_id: 1 });
    assert_eq!(
        ch.events[1],
        EventKind::CustomerTagged {
            customer_id: 1,
            tags: vec!["tag1".into(), "tag2".into()]
        }
    );
    let ch = h.ok("customer.tags_removed", &fixture("customer.tags_removed"));
    assert!(ch.ignored.is_some(), "same occurredAt: the add wins");
    let later = fixture_with("customer.tags_removed", |v| {
        v["occurredAt"] = json!("2005-05-05T06:00:01Z");
    });
    h.ok("customer.tags_removed", &later);
    assert!(h.book.contact(1).expect("stub").tags.is_empty());
}

fn consent(topic: &str, state: &str, at: &str) -> String {
    match topic {
        "customers_whats_app_marketing_consent/update" => json!({"customer_id": BOB,
            "phone_number": "+16135550199", "whats_app_marketing_consent": {"state": state,
            "opt_in_level": "single_opt_in", "updated_at": at, "collected_from": "shopify"}}),
        "customers_marketing_consent/update" => json!({"id": BOB, "phone": null,
            "sms_marketing_consent": {"state": state, "opt_in_level": null,
            "consent_updated_at": at, "consent_collected_from": "other"}}),
        _ => json!({"customer_id": BOB, "email_address": "bob@biller.com",
            "email_marketing_consent": {"state": state, "opt_in_level": null,
            "consent_updated_at": at}}),
    }
    .to_string()
}

const WA: &str = "customers_whats_app_marketing_consent/update";
const SMS: &str = "customers_marketing_consent/update";
const EMAIL: &str = "customers_email_marketing_consent/update";

#[test]
fn the_newest_consent_event_wins_and_email_never_sets_marketing_state() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    h.ok(WA, &consent(WA, "subscribed", "2024-01-02T00:00:00Z"));
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(c.marketing_state, MarketingState::Subscribed);
    assert_eq!(c.marketing_source, Some(MarketingSource::ShopifyWhatsapp));
    assert_eq!(
        c.phone.map(|p| p.to_string()).as_deref(),
        Some("+16135550199")
    );
    assert!(c.can_receive_marketing());

    let ch = h.ok(SMS, &consent(SMS, "unsubscribed", "2024-01-01T00:00:00Z"));
    assert!(ch.ignored.is_some(), "older SMS consent is ignored");
    let ch = h.ok(
        EMAIL,
        &consent(EMAIL, "unsubscribed", "2024-02-01T00:00:00Z"),
    );
    assert!(ch.ignored.is_none());
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(
        c.marketing_state,
        MarketingState::Subscribed,
        "email never sets it"
    );
    assert_eq!(c.email_marketing_state, MarketingState::Unsubscribed);

    h.ok(SMS, &consent(SMS, "not_subscribed", "2024-01-03T00:00:00Z"));
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(
        c.marketing_state,
        MarketingState::NotSubscribed,
        "newer SMS wins"
    );
    assert_eq!(c.marketing_source, Some(MarketingSource::ShopifySms));
    assert_eq!(
        serde_json::to_value(c).expect("json")["marketing_source"],
        json!("shopify_sms")
    );
}

#[test]
fn a_whatsapp_stop_is_not_undone_by_an_older_shopify_event() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    h.ok(WA, &consent(WA, "subscribed", "2024-01-01T00:00:00Z"));
    let stop = ts("2024-01-05T00:00:00Z");
    let ch = h
        .book
        .set_marketing(
            BOB,
            MarketingState::Unsubscribed,
            MarketingSource::Whatsapp,
            stop,
        )
        .expect("known contact");
    assert_eq!(ch.writes.len(), 1);
    let ch = h.ok(WA, &consent(WA, "subscribed", "2024-01-04T00:00:00Z"));
    assert!(ch.ignored.is_some());
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(c.marketing_state, MarketingState::Unsubscribed);
    assert_eq!(c.marketing_updated_at, Some(stop));
    assert!(h
        .book
        .set_marketing(42, MarketingState::Subscribed, MarketingSource::Admin, stop)
        .is_none());
}

#[test]
fn consent_fixtures_with_null_state_are_unknown() {
    let mut h = Harness::default();
    for topic in [SMS, EMAIL, WA] {
        h.ok(topic, &fixture(topic));
    }
    let c = h.book.contact(BOB).expect("stub from consent");
    assert_eq!(c.marketing_state, MarketingState::Unknown);
    assert_eq!(c.marketing_source, Some(MarketingSource::ShopifyWhatsapp));
    assert_eq!(c.email_marketing_state, MarketingState::NotSubscribed);
    assert_eq!(c.email.as_deref(), Some("bob@biller.com"));
}

#[test]
fn contacts_round_trip_through_bincode_and_stay_small() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    let (t, b) = tags(
        "customer.tags_added",
        &["vip", "newsletter"],
        "2024-01-01T00:00:00Z",
    );
    h.ok(&t, &b);
    h.ok(WA, &consent(WA, "subscribed", "2024-01-02T00:00:00Z"));
    let c = h.book.contact(BOB).expect("contact").clone();
    let cfg = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(&c, cfg).expect("encode");
    let (back, _): (Contact, usize) =
        bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
    assert_eq!(back, c);
    let json = serde_json::to_string(&c).expect("json");
    let back: Contact = serde_json::from_str(&json).expect("json back");
    assert_eq!(back.id, BOB);
    assert!(
        std::mem::size_of::<Contact>() <= 400,
        "{}",
        std::mem::size_of::<Contact>()
    );
}

#[test]
#[ignore = "measures memory; run with --ignored --nocapture"]
fn resident_memory_per_contact() {
    fn rss_kb() -> u64 {
        let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: u64 = s
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4
    }
    let n = 200_000u64;
    let before = rss_kb();
    let mut contacts = Vec::with_capacity(n as usize);
    for id in 0..n {
        let mut c = Contact::new(1_000_000_000_000 + id, Timestamp(1));
        c.first_name = Some(format!("First{id}").into());
        c.last_name = Some(format!("Lastname{id}").into());
        c.email = Some(format!("customer{id}@example-shop.com").into());
        c.phone = crate::domain::phone::PhoneE164::parse("+16135550199").ok();
        c.locale = Some("en-CA".into());
        c.tags = crate::domain::contact::Tags::from_names(
            ["vip", "newsletter", "wholesale"],
            Timestamp(5),
        );
        c.marketing_updated_at = Some(Timestamp(7));
        c.first_order_at = Some(Timestamp(7));
        c.last_order_at = Some(Timestamp(7));
        c.updated_at = Some(Timestamp(7));
        contacts.push(c);
    }
    let book = super::CustomerBook::restore(contacts, Vec::new());
    let after = rss_kb();
    println!(
        "size_of::<Contact>() = {}, resident per contact ≈ {} bytes ({} contacts)",
        std::mem::size_of::<Contact>(),
        (after - before) * 1024 / n,
        book.len()
    );
}
