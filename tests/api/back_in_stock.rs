//! Back-in-stock: subscribing on the storefront endpoint (read, cancel), the contact's
//! widget consent, and restocks turning ACTIVE subscriptions into one
//! `BackInStockNotified` event each. The endpoint's guards are in `back_in_stock_guards.rs`.

use crate::helpers::{of_type, spawn_app_with, TestApp};
use galantis::sandbox::payloads::{to_bytes, Customer, Product, Variant};
use reqwest::Method;
use serde_json::{json, Value};

pub(crate) const SHOP: &str = "bis.myshopify.com";
pub(crate) const PRODUCT: u64 = 788_032_119_674_292_900;
pub(crate) const SOLD_OUT: u64 = 642_667_041_472_713_901;
pub(crate) const OTHER: u64 = 642_667_041_472_713_902;
pub(crate) const IN_STOCK: u64 = 642_667_041_472_713_903;

fn product(qty_sold_out: i64, qty_other: i64, updated_at: &str) -> Vec<u8> {
    let mut p = Product::new(PRODUCT);
    p.updated_at = updated_at.into();
    p.variant_gids_updated_at = updated_at.into();
    p.variants = [(SOLD_OUT, qty_sold_out), (OTHER, qty_other), (IN_STOCK, 4)]
        .into_iter()
        .map(|(id, q)| {
            let mut v = Variant::new(id, PRODUCT, q);
            v.updated_at = updated_at.into();
            v
        })
        .collect();
    to_bytes(&p.body())
}

fn variant(qty: i64, updated_at: &str) -> Vec<u8> {
    let mut v = Variant::new(SOLD_OUT, PRODUCT, qty);
    v.old_inventory_quantity = 0;
    v.updated_at = updated_at.into();
    to_bytes(&v.body())
}

/// An app whose storefront limits stay out of the way unless a test sets them.
pub(crate) async fn setup(per_ip: u32, per_phone: u32) -> (TestApp, String) {
    let app = spawn_app_with(|s| {
        s.storefront.per_ip_per_minute = per_ip;
        s.storefront.per_phone_per_minute = per_phone;
    })
    .await;
    let key = app.create_tenant(SHOP).await;
    app.webhook_ok(
        SHOP,
        "products/create",
        "p-1",
        &product(0, 0, "2026-05-01T10:00:00Z"),
    )
    .await;
    (app, key)
}

async fn storefront(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub(crate) async fn subscribe(app: &TestApp, body: Value) -> (u16, Value) {
    storefront(
        app,
        Method::POST,
        "/storefront/v1/back-in-stock",
        Some(body),
    )
    .await
}

pub(crate) async fn subscribe_ok(app: &TestApp, variant: u64, phone: &str) -> Value {
    let (s, v) = subscribe(
        app,
        json!({"shop": SHOP, "variant_id": variant, "phone": phone}),
    )
    .await;
    assert!(s == 201 || s == 200, "{s} {v}");
    v
}

pub(crate) async fn listed(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let (s, v) = app
        .get(&format!("/api/v1/back-in-stock?{query}"), key)
        .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_sold_out_variant_takes_one_subscription_per_phone_and_the_contact_consents() {
    let (app, key) = setup(1000, 1000).await;
    let body = json!({"shop": SHOP, "variant_id": SOLD_OUT.to_string(), "phone": "(415) 555-0123", "country": "US"});
    let (s, sub) = subscribe(&app, body).await;
    assert_eq!(s, 201, "{sub}");
    assert_eq!(sub["status"], "ACTIVE");
    assert_eq!(sub["phone"], "+14155550123");
    assert_eq!(sub["variant_id"], SOLD_OUT.to_string());
    assert_eq!(sub["product_id"], PRODUCT.to_string());
    assert_eq!(sub["consent_source"], "back_in_stock_widget");
    // Idempotent: the same phone (now in E.164) and variant (now a number) → the same one.
    let body = json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+1 415 555 0123"});
    let (s, again) = subscribe(&app, body).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["id"], sub["id"]);
    assert_eq!(
        listed(&app, &key, &format!("variant_id={SOLD_OUT}"))
            .await
            .len(),
        1
    );

    // The WhatsApp-only contact made for the number consents with the widget as source.
    let contact_id = sub["contact_id"].as_str().expect("a contact").to_string();
    let (s, c) = app
        .get(&format!("/api/v1/contacts/{contact_id}"), &key)
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["marketing_state"], "SUBSCRIBED", "{c}");
    assert_eq!(c["marketing_source"], "back_in_stock_widget", "{c}");
    assert_eq!(
        listed(&app, &key, &format!("contact_id={contact_id}"))
            .await
            .len(),
        1
    );

    // The subscriber reads it with their number; another number cannot.
    let id = sub["id"].as_str().expect("id");
    let path = format!("/storefront/v1/back-in-stock/{id}?shop={SHOP}&phone=%2B14155550123");
    let (s, got) = storefront(&app, Method::GET, &path, None).await;
    assert_eq!((s, &got["id"]), (200, &sub["id"]), "{got}");
    let path = format!("/storefront/v1/back-in-stock/{id}?shop={SHOP}&phone=%2B14155550199");
    let (s, v) = storefront(&app, Method::GET, &path, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (404, Some("subscription_not_found")),
        "{v}"
    );

    // A Shopify customer with the number gets the subscription and the consent.
    let mut cust = Customer::new(42);
    cust.phone = Some("+14155550177".into());
    app.webhook_ok(SHOP, "customers/create", "c-42", &to_bytes(&cust.body()))
        .await;
    let sub = subscribe_ok(&app, OTHER, "+14155550177").await;
    assert_eq!(sub["contact_id"], "42", "{sub}");
    let (_, c) = app.get("/api/v1/contacts/42", &key).await;
    assert_eq!(c["marketing_source"], "back_in_stock_widget", "{c}");
}

async fn notified(app: &TestApp, key: &str, at_least: usize) -> Vec<Value> {
    app.eventually("BackInStockNotified events", || async {
        let e = app.events(key).await;
        let n: Vec<Value> = of_type(&e, "BackInStockNotified")
            .into_iter()
            .cloned()
            .collect();
        (n.len() >= at_least).then_some(n)
    })
    .await
}

async fn status_of(app: &TestApp, key: &str, id: &Value) -> Value {
    let all = listed(app, key, &format!("variant_id={SOLD_OUT}")).await;
    let mine = all.into_iter().find(|s| &s["id"] == id).expect("listed");
    mine["status"].clone()
}

async fn webhooks(app: &TestApp, hooks: &[(&str, &str, Vec<u8>)]) {
    for (topic, id, body) in hooks {
        app.webhook_ok(SHOP, topic, id, body).await;
    }
}

/// `a` and `b` wait for the sold-out variant, `c` did and cancelled, `d` waits for another.
async fn four_subscribers(app: &TestApp) -> [Value; 4] {
    let a = subscribe_ok(app, SOLD_OUT, "+14155550101").await;
    let b = subscribe_ok(app, SOLD_OUT, "+14155550102").await;
    let c = subscribe_ok(app, SOLD_OUT, "+14155550103").await;
    let d = subscribe_ok(app, OTHER, "+14155550104").await;
    let id = c["id"].as_str().expect("id");
    let path = format!("/storefront/v1/back-in-stock/{id}/cancel?shop={SHOP}&phone=%2B14155550103");
    let (s, c) = storefront(app, Method::POST, &path, None).await;
    assert_eq!((s, &c["status"]), (200, &json!("CANCELLED")), "{c}");
    [a, b, c, d]
}

#[tokio::test]
async fn a_restock_notifies_each_active_subscriber_once_whatever_the_webhooks_do() {
    let (app, key) = setup(1000, 1000).await;
    let [a, b, gone, other] = four_subscribers(&app).await;
    // One real restock, reported several ways, twice, and a stale sell-out after it.
    let (t1, t2) = ("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z");
    webhooks(
        &app,
        &[
            ("variants/in_stock", "r-1", variant(5, t2)),
            ("products/update", "r-2", product(5, 0, t2)),
            ("variants/in_stock", "r-1", variant(5, t2)),
            ("variants/out_of_stock", "r-3", variant(0, t1)),
            ("variants/in_stock", "r-4", variant(5, t2)),
        ],
    )
    .await;
    let events = notified(&app, &key, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(notified(&app, &key, 2).await.len(), 2, "{events:?}");
    let mut subs: Vec<String> = events
        .iter()
        .map(|e| e["data"]["subscription_id"].to_string())
        .collect();
    subs.sort();
    let mut want = vec![a["id"].to_string(), b["id"].to_string()];
    want.sort();
    assert_eq!(subs, want);
    let data = &events[0]["data"];
    assert_eq!(
        (&data["variant_id"], &data["product_id"]),
        (&json!(SOLD_OUT.to_string()), &json!(PRODUCT.to_string()))
    );
    assert!(data["contact_id"].is_string(), "{data}");
    assert_eq!(status_of(&app, &key, &a["id"]).await, "NOTIFIED");
    assert_eq!(status_of(&app, &key, &gone["id"]).await, "CANCELLED");
    let others = listed(&app, &key, &format!("variant_id={OTHER}")).await;
    assert_eq!(
        (others.len(), &others[0]["id"], &others[0]["status"]),
        (1, &other["id"], &json!("ACTIVE"))
    );

    // Sold out and restocked again: nobody is ACTIVE any more until `a` asks again.
    let out = (
        "variants/out_of_stock",
        "r-5",
        variant(0, "2026-05-02T00:00:00Z"),
    );
    webhooks(&app, &[out]).await;
    let again = subscribe_ok(&app, SOLD_OUT, "+14155550101").await;
    assert_eq!(
        (&again["id"], &again["status"]),
        (&a["id"], &json!("ACTIVE"))
    );
    let back = variant(3, "2026-05-03T00:00:00Z");
    webhooks(
        &app,
        &[
            ("variants/in_stock", "r-6", back.clone()),
            ("variants/in_stock", "r-7", back),
        ],
    )
    .await;
    let events = notified(&app, &key, 3).await;
    assert_eq!(events[2]["data"]["subscription_id"], a["id"]);

    // A restart neither loses nor repeats a notification.
    let app = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(notified(&app, &key, 3).await.len(), 3);
    assert_eq!(status_of(&app, &key, &a["id"]).await, "NOTIFIED");
}
