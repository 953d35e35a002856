//! Tests of the contact topics (customers/*, tags, consent, purchasing summary, merge)
//! against the real Shopify fixtures.

use super::testkit::{fixture, fixture_with, Harness};
use super::tests_consent::tags;
use super::Write;
use crate::domain::contact::{AccountState, Contact, MarketingState};
use crate::domain::{EventKind, Money, Timestamp};
use crate::logic::ApplyError;
use serde_json::json;

const BOB: u64 = 706_405_506_930_370_084;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("rfc3339")
}

fn customer_at(updated_at: &str) -> String {
    fixture_with("customers/update", |v| {
        v["updated_at"] = json!(updated_at);
        v["first_name"] = json!(format!("Bob@{updated_at}"));
    })
}

#[test]
fn every_customer_side_fixture_applies() {
    let mut h = Harness::default();
    for topic in [
        "customers/create",
        "customers/update",
        "customers/enable",
        "customers/disable",
        "customer.tags_added",
        "customer.tags_removed",
        "customers_marketing_consent/update",
        "customers_email_marketing_consent/update",
        "customers_whats_app_marketing_consent/update",
        "customers/purchasing_summary",
        "customers/merge",
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "checkouts/create",
        "checkouts/update",
        "customers/data_request",
        "customers/redact",
        "checkouts/delete",
        "orders/delete",
        "customers/delete",
    ] {
        let body = fixture(topic);
        if let Err(e) = h.send(topic, &body) {
            panic!("{topic}: {e}");
        }
    }
    assert!(h.book.contact(BOB).is_none());
    assert!(h.book.contact(115_310_627_314_723_954).is_some());
}

#[test]
fn customers_create_lands_as_the_payload_says() {
    let mut h = Harness::default();
    let ch = h.ok("customers/create", &fixture("customers/create"));
    assert_eq!(
        ch.events,
        vec![EventKind::CustomerCreated { customer_id: BOB }]
    );
    assert!(ch.ignored.is_none());
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(c.first_name.as_deref(), Some("Bob"));
    assert_eq!(c.last_name.as_deref(), Some("Biller"));
    assert_eq!(c.email.as_deref(), Some("bob@biller.com"));
    assert_eq!(c.phone, None);
    assert!(c.error_codes.is_empty());
    assert_eq!(c.country.map(|c| c.to_string()).as_deref(), Some("CA"));
    assert_eq!(c.state, Some(AccountState::Disabled));
    assert_eq!(c.updated_at, Some(ts("2021-12-31T19:00:00-05:00")));
    assert_eq!(c.marketing_state, MarketingState::Unknown);
    assert_eq!(ch.writes.len(), 2, "{:?}", ch.writes);
    assert!(ch.writes.contains(&Write::Contact(c.clone())));
    assert!(
        ch.writes.contains(&Write::Region {
            id: BOB,
            province: Some("ON".into())
        }),
        "the province is kept beside the contact: {:?}",
        ch.writes
    );

    let v = serde_json::to_value(c).expect("json");
    assert_eq!(v["shopify_customer_id"], json!(BOB.to_string()));
    assert_eq!(v["marketing_state"], json!("UNKNOWN"));
    assert_eq!(v["state"], json!("disabled"));
    assert_eq!(v["total_spent"], json!("0.00"));
    for key in [
        "first_name",
        "last_name",
        "email",
        "phone",
        "phone_raw",
        "error_codes",
        "tags",
        "locale",
        "country",
        "marketing_source",
        "marketing_updated_at",
        "email_marketing_state",
        "exclude_from_galantis",
        "synced_at",
        "orders_count",
        "first_order_at",
        "last_order_at",
        "average_order_value",
        "updated_at",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}` in {v}");
    }
}

#[test]
fn an_older_update_after_a_newer_one_is_ignored() {
    let mut h = Harness::default();
    h.ok("customers/update", &customer_at("2024-01-02T00:00:00Z"));
    let ch = h.ok("customers/update", &customer_at("2024-01-01T00:00:00Z"));
    assert!(ch.ignored.is_some());
    assert!(ch.writes.is_empty() && ch.events.is_empty());
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(c.first_name.as_deref(), Some("Bob@2024-01-02T00:00:00Z"));
    let ch = h.ok("customers/update", &customer_at("2024-01-02T00:00:00Z"));
    assert!(ch.ignored.is_none(), "equal updated_at applies");
    let ch = h.ok("customers/update", &customer_at("2024-01-03T00:00:00Z"));
    assert!(ch.ignored.is_none() && ch.events.is_empty());
}

#[test]
fn an_update_for_an_unknown_id_is_an_upsert() {
    let mut h = Harness::default();
    let ch = h.ok("customers/update", &fixture("customers/update"));
    assert_eq!(
        ch.events,
        vec![EventKind::CustomerCreated { customer_id: BOB }]
    );
    assert_eq!(h.book.len(), 1);
}

#[test]
fn nothing_resurrects_a_deleted_customer() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    let ch = h.ok("customers/delete", &fixture("customers/delete"));
    assert!(matches!(
        ch.writes[..],
        [Write::ContactDeleted { id: BOB, .. }]
    ));
    assert!(h.book.contact(BOB).is_none());
    let later = customer_at("2030-01-01T00:00:00Z");
    let tags = json!({"customerId": format!("gid://shopify/Customer/{BOB}"), "tags": ["x"],
        "occurredAt": "2030-01-01T00:00:00Z"})
    .to_string();
    let order = fixture_with("orders/create", |v| v["customer"]["id"] = json!(BOB));
    for (topic, body) in [
        ("customers/update", later.clone()),
        ("customers/create", later),
        ("customer.tags_added", tags),
        (
            "customers_whats_app_marketing_consent/update",
            fixture("customers_whats_app_marketing_consent/update"),
        ),
        ("orders/create", order),
    ] {
        let ch = h.ok(topic, &body);
        assert!(ch.ignored.is_some(), "{topic} must be ignored");
        assert!(ch.writes.is_empty() && ch.events.is_empty(), "{topic}");
    }
    assert!(h.book.is_empty());
    let again = h.ok("customers/delete", &fixture("customers/delete"));
    assert!(again.ignored.is_some());
    let restored =
        super::CustomerBook::restore(Vec::<Contact>::new(), h.store.contact_tombstones.clone());
    assert!(restored.deleted_at(BOB).is_some());
}

#[test]
fn a_phone_without_calling_code_takes_the_address_country() {
    let mut h = Harness::default();
    let body = fixture_with("customers/create", |v| v["phone"] = json!("613-555-0199"));
    h.ok("customers/create", &body);
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(
        c.phone.map(|p| p.to_string()).as_deref(),
        Some("+16135550199")
    );
    assert!(c.phone_raw.is_none() && c.error_codes.is_empty());
}

#[test]
fn a_phone_without_calling_code_or_country_is_flagged() {
    let mut h = Harness::default();
    let body = fixture_with("customers/create", |v| {
        v["phone"] = json!("613-555-0199");
        v["default_address"] = json!(null);
    });
    h.ok("customers/create", &body);
    let c = h.book.contact(BOB).expect("contact");
    assert_eq!(c.phone, None);
    assert_eq!(c.phone_raw.as_deref(), Some("613-555-0199"));
    let v = serde_json::to_value(c).expect("json");
    assert_eq!(
        v["error_codes"],
        json!(["CUSTOMER_IS_MISSING_CALLING_CODE"])
    );
    // A later fix in Shopify clears the flag.
    let body = fixture_with("customers/update", |v| {
        v["phone"] = json!("+16135550199");
        v["updated_at"] = json!("2022-01-01T00:00:00Z");
    });
    h.ok("customers/update", &body);
    let c = h.book.contact(BOB).expect("contact");
    assert!(c.error_codes.is_empty() && c.phone.is_some() && c.phone_raw.is_none());
}

#[test]
fn purchasing_summary_sets_totals_when_newer() {
    let mut h = Harness::default();
    h.ok(
        "customers/purchasing_summary",
        &fixture("customers/purchasing_summary"),
    );
    let c = h.book.contact(1).expect("stub");
    assert_eq!((c.orders_count, c.total_spent), (1, Money(100_000)));
    assert_eq!(c.average_order_value, Money(100_000));
    let older = fixture_with("customers/purchasing_summary", |v| {
        v["occurredAt"] = json!("2005-05-05T05:00:00Z");
        v["numberOfOrders"] = json!(7);
    });
    assert!(h
        .ok("customers/purchasing_summary", &older)
        .ignored
        .is_some());
    assert_eq!(h.book.contact(1).expect("stub").orders_count, 1);
}

#[test]
fn enable_and_disable_set_the_account_state() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    h.ok("customers/enable", &fixture("customers/enable"));
    assert_eq!(
        h.book.contact(BOB).expect("c").state,
        Some(AccountState::Enabled)
    );
    h.ok("customers/disable", &fixture("customers/disable"));
    assert_eq!(
        h.book.contact(BOB).expect("c").state,
        Some(AccountState::Disabled)
    );
}

#[test]
fn a_failed_merge_is_ignored_and_a_completed_one_moves_everything() {
    let mut h = Harness::default();
    let ch = h.ok("customers/merge", &fixture("customers/merge"));
    assert!(ch.ignored.as_deref().is_some_and(|r| r.contains("failed")));
    let (t, b) = tags("customer.tags_added", &["from-2"], "2024-01-01T00:00:00Z");
    h.ok(&t, &b.replace(&BOB.to_string(), "2"));
    let order = fixture_with("orders/create", |v| v["customer"]["id"] = json!(2));
    h.ok("orders/create", &order);
    let done = fixture_with("customers/merge", |v| v["status"] = json!("completed"));
    let ch = h.ok("customers/merge", &done);
    assert!(ch.ignored.is_none());
    assert!(h.book.contact(2).is_none());
    let kept = h.book.contact(1).expect("kept");
    assert!(kept.has_tag("from-2"));
    assert_eq!(kept.orders_count, 1);
    assert_eq!(
        h.store.orders.values().next().and_then(|o| o.customer_id),
        Some(1)
    );
    assert!(ch.writes.contains(&Write::ContactDeleted {
        id: 2,
        at: h.book.deleted_at(2).expect("t")
    }));
}

#[test]
fn bad_bodies_are_errors_not_panics() {
    let mut h = Harness::default();
    let e = h
        .send("customers/create", "not json")
        .expect_err("malformed");
    assert!(matches!(e, ApplyError::Malformed { .. }));
    let e = h
        .send("customers/create", r#"{"first_name": "x"}"#)
        .expect_err("no id");
    assert!(matches!(e, ApplyError::Invalid { .. }));
    let e = h
        .send("customer.tags_added", r#"{"tags": 3}"#)
        .expect_err("shape");
    assert!(matches!(e, ApplyError::Malformed { .. }));
    let e = h.send(
        "customers/update",
        r#"{"id": 1, "updated_at": "yesterday"}"#,
    );
    assert!(matches!(e, Err(ApplyError::Malformed { .. })));
}

#[test]
fn search_pages_in_id_order() {
    let mut h = Harness::default();
    for id in [30u64, 10, 20] {
        let body = fixture_with("customers/create", |v| {
            v["id"] = json!(id);
            v["first_name"] = json!(if id == 20 { "Alice" } else { "Bob" });
            v["email"] = json!(format!("c{id}@example.com"));
        });
        h.ok("customers/create", &body);
    }
    let ids = |v: Vec<&Contact>| v.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(h.book.search("", None, 10)), [10, 20, 30]);
    assert_eq!(ids(h.book.search("bob", None, 10)), [10, 30]);
    assert_eq!(ids(h.book.search("BOB", Some(10), 10)), [30]);
    assert_eq!(ids(h.book.search("", None, 2)), [10, 20]);
    assert!(h.book.search("", Some(u64::MAX), 10).is_empty());
}

#[test]
fn set_excluded_writes_the_contact() {
    let mut h = Harness::default();
    h.ok("customers/create", &fixture("customers/create"));
    let ch = h.book.set_excluded(BOB, true).expect("known");
    assert_eq!(ch.writes.len(), 1);
    assert!(h.book.contact(BOB).expect("c").exclude_from_galantis);
    assert!(h.book.set_excluded(7, true).is_none());
}

#[test]
fn a_shopify_id_at_or_above_2_pow_63_is_refused_and_the_whatsapp_contact_is_untouched() {
    use crate::domain::phone::PhoneE164;
    let mut h = Harness::default();
    let phone = PhoneE164::parse("+447700900123").expect("phone");
    let (wa_id, created) =
        h.book
            .ensure_phone_contact(phone, Some("Pat"), ts("2026-01-01T00:00:00Z"));
    assert!(created.is_some() && wa_id >= super::WHATSAPP_CONTACT_BASE);
    let before = h.book.contact(wa_id).cloned();
    for (topic, id) in [
        ("customers/update", json!(wa_id)),
        ("customers/update", json!(wa_id.to_string())),
        (
            "customers/create",
            json!(format!("gid://shopify/Customer/{wa_id}")),
        ),
        ("customers/update", json!(u64::MAX)),
    ] {
        let body = fixture_with(topic, |v| {
            v["id"] = id.clone();
            v["updated_at"] = json!("2030-01-01T00:00:00Z");
            v["first_name"] = json!("Mallory");
        });
        let e = h.send(topic, &body).expect_err("refused");
        assert!(matches!(e, ApplyError::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("2^63"), "{id}: {e}");
    }
    let order = fixture_with("orders/create", |v| {
        v["customer"]["id"] = json!(wa_id);
    });
    assert!(h.send("orders/create", &order).is_err());
    assert_eq!(h.book.contact(wa_id).cloned(), before, "untouched");
}
