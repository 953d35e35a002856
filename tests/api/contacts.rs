//! Contacts API: search, pagination, profile, the exclusion flag, bad input.

use crate::helpers::{order_body, spawn_app, IdExt};
use galantis::sandbox::payloads::{to_bytes, Address, Customer};
use reqwest::Method;
use serde_json::json;

const SHOP: &str = "contacts.myshopify.com";

fn customer(id: u64, first: &str, email: &str, phone: &str, country: &str) -> Vec<u8> {
    let mut c = Customer::new(id);
    (c.first_name, c.last_name) = (first.into(), "Smith".into());
    c.email = Some(email.into());
    c.phone = Some(phone.into());
    c.address = Some(Address::in_country(id + 100, country));
    to_bytes(&c.body())
}

#[tokio::test]
async fn contacts_are_searchable_paged_and_excludable() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    app.webhook_ok(
        SHOP,
        "customers/create",
        "k-1",
        &customer(1, "Alice", "alice@x.com", "+44 7700 900123", "GB"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "customers/create",
        "k-2",
        &customer(2, "Bruno", "bruno@y.com", "(11) 91234-5678", "BR"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "customers/create",
        "k-3",
        &customer(3, "Carla", "carla@y.com", "0151 23456789", ""),
    )
    .await;

    // E.164 from the address country; without a country the error code is recorded.
    let (_, b) = app.get("/api/v1/contacts/2", &key).await;
    assert_eq!(b["phone"], "+5511912345678", "{b}");
    let (_, c) = app.get("/api/v1/contacts/3", &key).await;
    assert_eq!(c["phone"], serde_json::Value::Null);
    assert!(
        c["error_codes"]
            .to_string()
            .contains("CUSTOMER_IS_MISSING_CALLING_CODE"),
        "{c}"
    );

    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["shopify_customer_id"].id())
            .collect()
    };
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=bruno", &key).await.1),
        vec![2]
    );
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=y.com", &key).await.1),
        vec![2, 3]
    );
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=7700900", &key).await.1),
        vec![1]
    );
    assert_eq!(
        ids(&app.get("/api/v1/contacts?q=smith", &key).await.1),
        vec![1, 2, 3]
    );
    let (_, page) = app.get("/api/v1/contacts?limit=2", &key).await;
    assert_eq!(ids(&page), vec![1, 2]);
    assert_eq!(page["next_after"], "2");
    let (_, page) = app.get("/api/v1/contacts?limit=2&after=2", &key).await;
    assert_eq!(ids(&page), vec![3]);
    assert_eq!(page["next_after"], serde_json::Value::Null);

    // Exclusion is stored durably.
    let (s, v) = app
        .send(
            Method::PATCH,
            "/api/v1/contacts/1",
            &key,
            Some(json!({"exclude_from_galantis": true})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["exclude_from_galantis"], true);
    let app = app.restart().await;
    assert_eq!(
        app.get("/api/v1/contacts/1", &key).await.1["exclude_from_galantis"],
        true
    );

    // Bad input: named 4xx, nothing changed.
    let (s, v) = app
        .send(
            Method::PATCH,
            "/api/v1/contacts/1",
            &key,
            Some(json!({"exclude": 1})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["code"], "invalid_body");
    let (s, v) = app.get("/api/v1/contacts/abc", &key).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_id")));
    let (s, _) = app
        .send(
            Method::PATCH,
            "/api/v1/contacts/99",
            &key,
            Some(json!({"exclude_from_galantis": true})),
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        app.get("/api/v1/contacts/1", &key).await.1["exclude_from_galantis"],
        true
    );
}

/// An order whose newer version names another customer leaves the first customer's
/// history and aggregates and joins the second's, also after a restart.
#[tokio::test]
async fn an_order_that_changes_customer_moves_between_profiles() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    for (i, id) in [(1, 7001u64), (2, 7002)] {
        let body = customer(id, "Mo", &format!("mo{id}@example.com"), "", "GB");
        app.webhook_ok(SHOP, "customers/create", &format!("m-{i}"), &body)
            .await;
    }
    let first = order_body(8001, 7001, "2026-01-02T00:00:00Z");
    app.webhook_ok(SHOP, "orders/create", "m-3", &first).await;
    let (_, a) = app
        .eventually("the order on 7001", || async {
            let r = app.get("/api/v1/contacts/7001", &key).await;
            (r.1["orders_count"] == 1).then_some(r)
        })
        .await;
    assert_eq!(a["orders"][0]["id"], "8001", "{a}");

    let moved = order_body(8001, 7002, "2026-01-03T00:00:00Z");
    app.webhook_ok(SHOP, "orders/updated", "m-4", &moved).await;
    app.eventually("the order on 7002", || async {
        let r = app.get("/api/v1/contacts/7002", &key).await;
        (r.1["orders_count"] == 1).then_some(r)
    })
    .await;
    let app = app.restart().await;
    let (_, a) = app.get("/api/v1/contacts/7001", &key).await;
    let (_, b) = app.get("/api/v1/contacts/7002", &key).await;
    assert_eq!(a["orders_count"], 0, "{a}");
    assert_eq!(a["orders"].as_array().map(Vec::len), Some(0), "{a}");
    assert_eq!(b["orders_count"], 1, "{b}");
    assert_eq!(b["orders"][0]["id"], "8001", "{b}");
}

/// Ids above 2^53 are served as strings (a JavaScript client keeps every digit) and are
/// taken in both forms on input (issue #9, point 7).
#[tokio::test]
async fn big_ids_are_strings_in_json_and_accepted_in_both_forms() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let big: u64 = 706_405_506_930_370_085; // above 2^53: a float would change it
    app.webhook_ok(
        SHOP,
        "customers/create",
        "big-1",
        &customer(big, "Dora", "dora@x.com", "+44 7700 900555", "GB"),
    )
    .await;
    let (s, c) = app.get(&format!("/api/v1/contacts/{big}"), &key).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["shopify_customer_id"], big.to_string(), "{c}");
    let (_, page) = app.get("/api/v1/contacts?limit=1", &key).await;
    assert_eq!(page["items"][0]["shopify_customer_id"].id(), Some(big));
    assert_eq!(page["next_after"], big.to_string(), "{page}");

    // The same answer whichever form names the contact; a malformed id names the field.
    let send = |contact: serde_json::Value| {
        let body = json!({"contact_id": contact, "message": {"type": "text", "text": "hi"}});
        let app = &app;
        let key = &key;
        async move {
            app.send(Method::POST, "/api/v1/messages", key, Some(body))
                .await
        }
    };
    let (as_string, a) = send(json!(big.to_string())).await;
    let (as_number, b) = send(json!(big)).await;
    assert_eq!((as_string, &a["code"]), (as_number, &b["code"]), "{a} {b}");
    assert_ne!(a["code"], "invalid_json", "{a}");
    let (s, v) = send(json!("70640550693037008x")).await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("contact_id"),
        "{v}"
    );
}
