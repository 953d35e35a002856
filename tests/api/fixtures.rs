//! Every Shopify webhook fixture of the handled topics, signed, is accepted and lands in
//! state as the payload says (ids above 2^53 exact).

use crate::helpers::{of_type, shopify_fixture, spawn_app, IdExt, TestApp, OPERATOR};
use serde_json::Value;

const SHOP: &str = "fixtures.myshopify.com";
const BOB: u64 = 706405506930370084;
const JOHN: u64 = 115310627314723954;
const ORDER: u64 = 820982911946154508;
const PRODUCT: u64 = 788032119674292922;
const SMALL: u64 = 642667041472713922;
const MEDIUM: u64 = 757650484644203962;
const COLLECTION: u64 = 408372092144951419;
const CHECKOUT: u64 = 981820079255243537;

struct Feed<'a> {
    app: &'a TestApp,
    n: u32,
}

impl Feed<'_> {
    /// Sends a fixture with increasing `X-Shopify-Triggered-At`, so equal payload times
    /// are ordered as sent.
    async fn send(&mut self, topic: &str, file: &str) -> Value {
        self.n += 1;
        let body = shopify_fixture(file);
        let sig = galantis::integrations::shopify::webhook::sign(
            crate::helpers::SECRET.as_bytes(),
            &body,
        );
        let at = format!("2026-06-01T00:00:{:02}.000000000Z", self.n);
        let r = self
            .app
            .webhook_signed(
                SHOP,
                topic,
                &format!("fx-{}-{file}", self.n),
                &body,
                &sig,
                Some(&at),
            )
            .await;
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 200, "{file}: {v}");
        assert_eq!(v["status"], "accepted", "{file}");
        v
    }
}

#[tokio::test]
async fn every_handled_fixture_is_accepted_and_lands_as_the_payload_says() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let mut f = Feed { app: &app, n: 0 };
    let contact = |id: u64| {
        let (app, key) = (&app, key.clone());
        async move { app.get(&format!("/api/v1/contacts/{id}"), &key).await }
    };

    // Customers.
    f.send("customers/create", "customers__create.json").await;
    let (s, c) = contact(BOB).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["shopify_customer_id"].id(), Some(BOB));
    assert_eq!(
        (c["first_name"].as_str(), c["last_name"].as_str()),
        (Some("Bob"), Some("Biller"))
    );
    assert_eq!(c["email"], "bob@biller.com");
    assert_eq!(c["country"], "CA");
    assert_eq!(c["phone"], Value::Null);
    f.send("customers/update", "customers__update.json").await;
    f.send("customers/disable", "customers__disable.json").await;
    assert_eq!(contact(BOB).await.1["state"], "disabled");
    f.send("customers/enable", "customers__enable.json").await;
    assert_eq!(contact(BOB).await.1["state"], "enabled");

    // Consent: SMS and WhatsApp set marketing_state (null state = UNKNOWN); email never does.
    f.send(
        "customers_email_marketing_consent/update",
        "customers_email_marketing_consent__update.json",
    )
    .await;
    let c = contact(BOB).await.1;
    assert_eq!(c["email_marketing_state"], "NOT_SUBSCRIBED", "{c}");
    assert_eq!(c["marketing_state"], "UNKNOWN");
    f.send(
        "customers_marketing_consent/update",
        "customers_marketing_consent__update.json",
    )
    .await;
    assert_eq!(contact(BOB).await.1["marketing_source"], "shopify_sms");
    f.send(
        "customers_whats_app_marketing_consent/update",
        "customers_whats_app_marketing_consent__update.json",
    )
    .await;
    let c = contact(BOB).await.1;
    assert_eq!(
        (
            c["marketing_state"].as_str(),
            c["marketing_source"].as_str()
        ),
        (Some("UNKNOWN"), Some("shopify_whatsapp"))
    );

    // Tags and purchasing summary for customer 1 (created on the fly).
    f.send("customer.tags_added", "customer.tags_added.json")
        .await;
    let c = contact(1).await.1;
    assert_eq!(c["tags"], serde_json::json!(["tag1", "tag2"]), "{c}");
    // The sample removal carries the same `occurredAt` as the addition: on a tie the add
    // wins (any delivery order converges). A later removal takes the tag off.
    f.send("customer.tags_removed", "customer.tags_removed.json")
        .await;
    let later = br#"{"customerId": "gid://shopify/Customer/1", "tags": ["tag1"], "occurredAt": "2005-05-05T07:00:00.000Z"}"#;
    app.webhook_ok(SHOP, "customer.tags_removed", "fx-tags-later", later)
        .await;
    assert_eq!(contact(1).await.1["tags"], serde_json::json!(["tag2"]));
    f.send(
        "customers/purchasing_summary",
        "customers__purchasing_summary.json",
    )
    .await;
    let c = contact(1).await.1;
    assert_eq!(
        (c["orders_count"].as_u64(), c["total_spent"].as_str()),
        (Some(1), Some("100.00")),
        "{c}"
    );
    f.send("customers/merge", "customers__merge.json").await; // a failed merge: no change
    assert_eq!(contact(1).await.0, 200);

    // Orders: the order lands on John (created from the order's customer), ids exact.
    f.send("orders/create", "orders__create.json").await;
    let c = contact(JOHN).await.1;
    assert_eq!(c["orders"][0]["id"].id(), Some(ORDER), "{c}");
    assert_eq!(c["orders"][0]["total_price"], "404.95");
    assert_eq!(c["orders"][0]["currency"], "USD");
    assert_eq!(c["orders_count"], 1);
    for (topic, file) in [
        ("orders/updated", "orders__updated.json"),
        ("orders/paid", "orders__paid.json"),
        ("orders/cancelled", "orders__cancelled.json"),
        ("orders/fulfilled", "orders__fulfilled.json"),
    ] {
        f.send(topic, file).await;
    }
    let c = contact(JOHN).await.1;
    assert_eq!(c["orders"].as_array().map(Vec::len), Some(1));
    assert!(c["orders"][0]["cancelled_at"].is_string(), "{c}");

    // Catalog.
    f.send("products/create", "products__create.json").await;
    f.send("products/update", "products__update.json").await;
    let (s, p) = app.get(&format!("/api/v1/products/{PRODUCT}"), &key).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["id"].id(), Some(PRODUCT));
    assert_eq!(p["title"], "Example T-Shirt");
    assert_eq!(p["tags"], serde_json::json!(["example", "mens", "t-shirt"]));
    let variants = p["variants"].as_array().expect("variants");
    let ids: Vec<u64> = variants.iter().filter_map(|v| v["id"].id()).collect();
    assert_eq!(ids, vec![SMALL, MEDIUM]);
    assert_eq!(
        (
            variants[0]["price"].as_str(),
            variants[0]["compare_at_price"].as_str()
        ),
        (Some("19.99"), Some("24.99"))
    );
    assert_eq!(
        (
            variants[0]["inventory_quantity"].as_i64(),
            variants[1]["inventory_quantity"].as_i64()
        ),
        (Some(75), Some(50))
    );
    f.send("variants/out_of_stock", "variants__out_of_stock.json")
        .await;
    let p = app
        .get(&format!("/api/v1/products/{PRODUCT}"), &key)
        .await
        .1;
    assert_eq!(p["variants"][0]["inventory_quantity"], 0);
    f.send("variants/in_stock", "variants__in_stock.json").await;
    let p = app
        .get(&format!("/api/v1/products/{PRODUCT}"), &key)
        .await
        .1;
    assert_eq!(p["variants"][0]["inventory_quantity"], 75);
    f.send("collections/create", "collections__create.json")
        .await;
    f.send("collections/update", "collections__update.json")
        .await;
    let (_, cols) = app.get("/api/v1/collections", &key).await;
    assert_eq!(cols["items"][0]["id"].id(), Some(COLLECTION), "{cols}");
    assert_eq!(cols["items"][0]["title"], "My New Collection");

    // Checkouts: the id comes from the name in the documented sample.
    f.send("checkouts/create", "checkouts__create.json").await;
    f.send("checkouts/update", "checkouts__update.json").await;
    let (_, ck) = app.get("/api/v1/checkouts", &key).await;
    let k = &ck["items"][0];
    assert_eq!(k["id"].id(), Some(CHECKOUT), "{ck}");
    assert_eq!(k["token"], "123123123");
    assert_eq!(k["total_price"], "421.88");
    assert!(k["abandoned_checkout_url"]
        .as_str()
        .unwrap_or_default()
        .contains("/recover"));
    assert_eq!(k["completed_at"], Value::Null);

    // Compliance requests for a customer we do not hold still complete.
    f.send("customers/data_request", "customers__data_request.json")
        .await;
    f.send("customers/redact", "customers__redact.json").await;

    // Deletes.
    f.send("checkouts/delete", "checkouts__delete.json").await;
    assert_eq!(
        app.get("/api/v1/checkouts", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    f.send("orders/delete", "orders__delete.json").await;
    assert_eq!(
        contact(JOHN).await.1["orders"].as_array().map(Vec::len),
        Some(0)
    );
    f.send("collections/delete", "collections__delete.json")
        .await;
    assert_eq!(
        app.get("/api/v1/collections", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    f.send("products/delete", "products__delete.json").await;
    assert_eq!(
        app.get(&format!("/api/v1/products/{PRODUCT}"), &key)
            .await
            .0,
        404
    );
    f.send("customers/delete", "customers__delete.json").await;
    assert_eq!(contact(BOB).await.0, 404);

    // Events recorded for the automation engine.
    let events = app
        .eventually("events", || async {
            let e = app.events(&key).await;
            (!of_type(&e, "VariantRestocked").is_empty()).then_some(e)
        })
        .await;
    for t in [
        "CustomerCreated",
        "CustomerTagged",
        "OrderPlaced",
        "OrderCancelled",
        "CheckoutUpdated",
        "VariantRestocked",
    ] {
        assert!(
            !of_type(&events, t).is_empty(),
            "no {t} event in {events:?}"
        );
    }
    assert_eq!(of_type(&events, "OrderPlaced").len(), 1);
    assert_eq!(of_type(&events, "VariantRestocked").len(), 1);
    let export = app.get("/api/v1/exports/9999", &key).await;
    assert_eq!(export.0, 200, "{:?}", export.1);

    assert_eq!(
        app.get("/api/v1/deadletters", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );

    // Lifecycle last.
    f.send("app/uninstalled", "app__uninstalled.json").await;
    f.send("shop/redact", "shop__redact.json").await;
    app.eventually("redaction", || async {
        let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
        (v[0]["status"] == "redacted").then_some(())
    })
    .await;
}
