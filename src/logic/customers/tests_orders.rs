//! Tests of orders, checkouts and the compliance topics against the real fixtures.

use super::testkit::{fixture, fixture_with, Harness};
use super::Write;
use crate::domain::{EventKind, Money, Timestamp};
use crate::logic::ApplyError;
use serde_json::json;

const ORDER: u64 = 820_982_911_946_154_508;
const JOHN: u64 = 115_310_627_314_723_954;
const CHECKOUT: u64 = 981_820_079_255_243_537;
const CHECKOUT_CUSTOMER: u64 = 603_851_970_716_743_426;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("rfc3339")
}

/// The order fixture, live (not cancelled, paid), with the given id and times.
fn order(id: u64, created: &str, updated: &str, total: &str) -> String {
    fixture_with("orders/create", |v| {
        v["id"] = json!(id);
        v["created_at"] = json!(created);
        v["updated_at"] = json!(updated);
        v["total_price"] = json!(total);
        v["cancelled_at"] = json!(null);
        v["financial_status"] = json!("paid");
    })
}

#[test]
fn the_order_fixture_lands_exactly_and_places_once() {
    let mut h = Harness::default();
    let ch = h.ok("orders/create", &fixture("orders/create"));
    assert_eq!(
        ch.events[0],
        EventKind::CustomerCreated { customer_id: JOHN }
    );
    assert_eq!(
        ch.events[1],
        EventKind::OrderPlaced {
            order_id: ORDER,
            customer_id: Some(JOHN),
            total: Money(404_950),
            currency: "USD".into()
        }
    );
    assert_eq!(
        ch.events[2],
        EventKind::OrderCancelled {
            order_id: ORDER,
            customer_id: Some(JOHN)
        }
    );
    assert_eq!(ch.events.len(), 3);
    let o = h.store.orders.get(&ORDER).expect("stored");
    assert_eq!(o.customer_id, Some(JOHN));
    assert_eq!(o.name.as_deref(), Some("#9999"));
    assert_eq!(o.line_items.len(), 5);
    assert_eq!(o.line_items[0].product_id, Some(788_032_119_674_292_922));
    assert_eq!(o.line_items[0].variant_id, None);
    assert_eq!(o.line_items[0].price, Money(89_990));
    let c = h.book.contact(JOHN).expect("upserted");
    assert_eq!(c.first_name.as_deref(), Some("John"));
    assert_eq!(c.locale.as_deref(), Some("en"));
    assert_eq!(
        (c.orders_count, c.total_spent),
        (1, Money::ZERO),
        "cancelled + voided"
    );
    for topic in [
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
    ] {
        let ch = h.ok(topic, &fixture(topic));
        assert!(ch.events.is_empty(), "{topic} must not place again");
    }
}

#[test]
fn aggregates_follow_the_orders() {
    let mut h = Harness::default();
    h.ok(
        "orders/create",
        &order(1, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "10.00"),
    );
    h.ok(
        "orders/create",
        &order(2, "2024-02-01T00:00:00Z", "2024-02-01T00:00:00Z", "30.50"),
    );
    let c = h.book.contact(JOHN).expect("contact");
    assert_eq!(c.orders_count, 2);
    assert_eq!(c.total_spent, Money(40_500));
    assert_eq!(c.average_order_value, Money(20_250));
    assert_eq!(c.first_order_at, Some(ts("2024-01-01T00:00:00Z")));
    assert_eq!(c.last_order_at, Some(ts("2024-02-01T00:00:00Z")));

    let cancel = fixture_with("orders/cancelled", |v| {
        v["id"] = json!(2);
        v["created_at"] = json!("2024-02-01T00:00:00Z");
        v["updated_at"] = json!("2024-02-02T00:00:00Z");
        v["total_price"] = json!("30.50");
        v["cancelled_at"] = json!("2024-02-02T00:00:00Z");
    });
    let ch = h.ok("orders/cancelled", &cancel);
    assert_eq!(
        ch.events,
        vec![EventKind::OrderCancelled {
            order_id: 2,
            customer_id: Some(JOHN)
        }]
    );
    let c = h.book.contact(JOHN).expect("contact");
    assert_eq!((c.orders_count, c.total_spent), (2, Money(10_000)));
    assert_eq!(c.average_order_value, Money(10_000));

    let ch = h.ok("orders/delete", r#"{"id": 1}"#);
    assert!(ch.writes.contains(&Write::OrderDeleted {
        id: 1,
        at: ch_time(&ch)
    }));
    let c = h.book.contact(JOHN).expect("contact");
    assert_eq!((c.orders_count, c.total_spent), (1, Money::ZERO));
    let late = order(1, "2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "10.00");
    assert!(
        h.ok("orders/updated", &late).ignored.is_some(),
        "deleted order stays deleted"
    );
}

fn ch_time(ch: &super::Change) -> Timestamp {
    ch.writes
        .iter()
        .find_map(|w| match w {
            Write::OrderDeleted { at, .. } => Some(*at),
            _ => None,
        })
        .expect("a delete")
}

#[test]
fn stale_orders_are_ignored_and_shipping_is_seen_once() {
    let mut h = Harness::default();
    h.ok(
        "orders/create",
        &order(5, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "10.00"),
    );
    let old = order(5, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "99.00");
    assert!(h.ok("orders/updated", &old).ignored.is_some());
    assert_eq!(h.store.orders[&5].total_price, Money(10_000));
    let shipped = fixture_with("orders/fulfilled", |v| {
        v["id"] = json!(5);
        v["updated_at"] = json!("2024-01-03T00:00:00Z");
        v["cancelled_at"] = json!(null);
        v["fulfillment_status"] = json!("fulfilled");
    });
    let ch = h.ok("orders/fulfilled", &shipped);
    assert_eq!(
        ch.events,
        vec![EventKind::OrderShipped {
            order_id: 5,
            customer_id: Some(JOHN)
        }]
    );
    let again = shipped.replace("2024-01-03T00:00:00Z", "2024-01-04T00:00:00Z");
    assert!(h.ok("orders/updated", &again).events.is_empty());
}

#[test]
fn an_order_without_customer_is_stored_alone() {
    let mut h = Harness::default();
    let body = fixture_with("orders/create", |v| v["customer"] = json!(null));
    let ch = h.ok("orders/create", &body);
    assert!(matches!(
        ch.events[0],
        EventKind::OrderPlaced {
            customer_id: None,
            ..
        }
    ));
    assert!(h.book.is_empty());
}

#[test]
fn the_checkout_fixture_takes_its_id_from_the_name() {
    let mut h = Harness::default();
    let ch = h.ok("checkouts/create", &fixture("checkouts/create"));
    assert_eq!(
        ch.events,
        vec![
            EventKind::CustomerCreated {
                customer_id: CHECKOUT_CUSTOMER
            },
            EventKind::CheckoutUpdated {
                checkout_id: CHECKOUT,
                customer_id: Some(CHECKOUT_CUSTOMER)
            },
        ]
    );
    let c = h.store.checkouts.get(&CHECKOUT).expect("stored");
    assert_eq!(c.token.as_deref(), Some("123123123"));
    assert_eq!(c.total_price, Money(421_880));
    assert_eq!(c.currency.as_deref(), Some("USD"));
    assert_eq!(c.line_items[0].variant_id, Some(808_950_810));
    assert!(c.abandoned_checkout_url.is_some());
    assert!(h
        .ok("checkouts/update", &fixture("checkouts/update"))
        .ignored
        .is_some());
}

#[test]
fn a_checkout_completes_once() {
    let mut h = Harness::default();
    h.ok("checkouts/create", &fixture("checkouts/create"));
    let done = |at: &str| {
        fixture_with("checkouts/update", |v| {
            v["id"] = json!(CHECKOUT);
            v["updated_at"] = json!(at);
            v["completed_at"] = json!(at);
            v["phone"] = json!("(613) 555-0199");
        })
    };
    let ch = h.ok("checkouts/update", &done("2024-01-01T00:00:00Z"));
    assert_eq!(
        ch.events,
        vec![EventKind::CheckoutCompleted {
            checkout_id: CHECKOUT,
            customer_id: Some(CHECKOUT_CUSTOMER)
        }]
    );
    assert_eq!(
        h.store.checkouts[&CHECKOUT].phone.as_deref(),
        Some("+16135550199")
    );
    assert!(h
        .ok("checkouts/update", &done("2024-01-02T00:00:00Z"))
        .events
        .is_empty());
    let stale = fixture_with("checkouts/update", |v| {
        v["updated_at"] = json!("2020-01-01T00:00:00Z")
    });
    assert!(h.ok("checkouts/update", &stale).ignored.is_some());
    let ch = h.ok("checkouts/delete", &fixture("checkouts/delete"));
    assert!(matches!(
        ch.writes[..],
        [Write::CheckoutDeleted { id: CHECKOUT, .. }]
    ));
    assert!(h.store.checkouts.is_empty());
    assert!(h
        .ok("checkouts/update", &done("2030-01-01T00:00:00Z"))
        .ignored
        .is_some());
}

#[test]
fn a_checkout_without_id_or_name_is_invalid() {
    let mut h = Harness::default();
    let body = fixture_with("checkouts/create", |v| v["name"] = json!(null));
    assert!(matches!(
        h.send("checkouts/create", &body),
        Err(ApplyError::Invalid { .. })
    ));
}

#[test]
fn redact_erases_the_customer_and_everything_about_them() {
    let mut h = Harness::default();
    let id = 191_167u64;
    let with_customer = |v: &mut serde_json::Value| {
        v["customer"]["id"] = json!(id);
        v["customer"]["phone"] = json!("+16135550199");
    };
    h.ok(
        "orders/create",
        &fixture_with("orders/create", with_customer),
    );
    h.ok(
        "checkouts/create",
        &fixture_with("checkouts/create", with_customer),
    );
    h.ok(
        "orders/create",
        &fixture_with("orders/create", |v| {
            v["id"] = json!(299_938);
            v["customer"] = json!(null);
        }),
    );
    assert!(h.book.contact(id).is_some());
    let ch = h.ok("customers/redact", &fixture("customers/redact"));
    assert!(ch.events.is_empty());
    assert!(matches!(
        ch.writes.last(),
        Some(Write::ContactRedacted { id: 191_167, .. })
    ));
    assert!(h.book.contact(id).is_none());
    assert!(
        h.store.orders.is_empty(),
        "customer's orders and listed orders are gone"
    );
    assert!(h.store.checkouts.is_empty());
    assert!(h.book.search("", None, 10).is_empty());
    let later = fixture_with("orders/updated", |v| {
        v["customer"]["id"] = json!(id);
        v["updated_at"] = json!("2030-01-01T00:00:00Z");
    });
    assert!(h.ok("orders/updated", &later).ignored.is_some());
}

#[test]
fn a_data_request_exports_contact_orders_and_checkouts() {
    let mut h = Harness::default();
    let with_customer = |v: &mut serde_json::Value| v["customer"]["id"] = json!(191_167);
    h.ok(
        "orders/create",
        &fixture_with("orders/create", with_customer),
    );
    h.ok(
        "checkouts/create",
        &fixture_with("checkouts/create", with_customer),
    );
    let ch = h.ok("customers/data_request", &fixture("customers/data_request"));
    let Some(Write::Export(e)) = ch.writes.first() else {
        panic!("expected an export, got {:?}", ch.writes);
    };
    assert_eq!((e.request_id, e.customer_id), (9999, 191_167));
    let v: serde_json::Value = serde_json::from_str(&e.json).expect("json");
    assert_eq!(v["contact"]["shopify_customer_id"], json!("191167"));
    assert_eq!(v["orders"][0]["id"], json!(ORDER.to_string()));
    assert_eq!(v["checkouts"][0]["id"], json!(CHECKOUT.to_string()));
    assert!(e.json.contains('\n'), "pretty");
}

/// A polled abandoned checkout (`logic::shopify::import::checkout_delivery`) of the
/// fixture's checkout, updated at `at`, with a recovery URL that does not carry the token.
fn polled(at: &str) -> String {
    let node = json!({"id": format!("gid://shopify/AbandonedCheckout/{CHECKOUT}"),
        "createdAt": "2021-12-31T23:00:00Z", "updatedAt": at, "completedAt": null,
        "abandonedCheckoutUrl": "https://shop.example/recover/x",
        "customer": {"id": format!("gid://shopify/Customer/{CHECKOUT_CUSTOMER}"),
            "defaultPhoneNumber": null, "defaultEmailAddress": null},
        "totalPriceSet": {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}},
        "lineItems": {"nodes": []}});
    crate::logic::shopify::import::checkout_delivery(&node)
        .expect("delivery")
        .body
        .to_string()
}

#[test]
fn a_polled_checkout_never_replaces_the_same_webhook_version_and_keeps_its_token() {
    let mut h = Harness::default();
    // The fixture's updated_at is 2021-12-31T19:00:00-05:00.
    h.ok("checkouts/create", &fixture("checkouts/create"));
    for at in ["2022-01-01T00:00:00Z", "2021-12-31T23:59:59Z"] {
        let ch = h.ok("checkouts/update", &polled(at));
        assert!(ch.ignored.is_some() && ch.events.is_empty(), "{at}: {ch:?}");
    }
    assert_eq!(h.store.checkouts[&CHECKOUT].total_price, Money(421_880));
    // A newer polled version applies, and keeps what only the webhook knew.
    let ch = h.ok("checkouts/update", &polled("2022-01-01T00:05:00Z"));
    assert_eq!(
        ch.events,
        vec![EventKind::CheckoutUpdated {
            checkout_id: CHECKOUT,
            customer_id: Some(CHECKOUT_CUSTOMER)
        }]
    );
    let c = &h.store.checkouts[&CHECKOUT];
    assert_eq!(c.total_price, Money(10_000));
    assert_eq!(c.token.as_deref(), Some("123123123"), "the token is kept");
    assert_eq!(
        c.cart_token.as_deref(),
        Some("eeafa272cebfd4b22385bc4b645e762c")
    );
    assert!(c.email.is_some());
}

#[test]
fn a_webhook_of_the_same_time_replaces_a_polled_checkout() {
    let mut h = Harness::default();
    let ch = h.ok("checkouts/update", &polled("2022-01-01T00:00:00Z"));
    assert_eq!(
        ch.events.last(),
        Some(&EventKind::CheckoutUpdated {
            checkout_id: CHECKOUT,
            customer_id: Some(CHECKOUT_CUSTOMER)
        })
    );
    assert_eq!(h.store.checkouts[&CHECKOUT].token, None);
    // The same version polled again: nothing.
    assert!(h
        .ok("checkouts/update", &polled("2022-01-01T00:00:00Z"))
        .ignored
        .is_some());
    h.ok("checkouts/update", &fixture("checkouts/update"));
    let c = &h.store.checkouts[&CHECKOUT];
    assert_eq!(c.token.as_deref(), Some("123123123"));
    assert_eq!(c.total_price, Money(421_880));
}
