//! Back-in-stock: the public storefront endpoint (subscribe, read, cancel; bad input,
//! rate limits, CORS), the contact's widget consent, and restocks turning ACTIVE
//! subscriptions into one `BackInStockNotified` event each.

use crate::helpers::{of_type, spawn_app_with, TestApp};
use galantis::sandbox::payloads::{to_bytes, Customer, Product, Variant};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "bis.myshopify.com";
const PRODUCT: u64 = 788_032_119_674_292_900;
const SOLD_OUT: u64 = 642_667_041_472_713_901;
const OTHER: u64 = 642_667_041_472_713_902;
const IN_STOCK: u64 = 642_667_041_472_713_903;

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
async fn setup(per_ip: u32, per_phone: u32) -> (TestApp, String) {
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

async fn subscribe(app: &TestApp, body: Value) -> (u16, Value) {
    storefront(
        app,
        Method::POST,
        "/storefront/v1/back-in-stock",
        Some(body),
    )
    .await
}

async fn subscribe_ok(app: &TestApp, variant: u64, phone: &str) -> Value {
    let (s, v) = subscribe(
        app,
        json!({"shop": SHOP, "variant_id": variant, "phone": phone}),
    )
    .await;
    assert!(s == 201 || s == 200, "{s} {v}");
    v
}

async fn listed(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
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

#[tokio::test]
async fn bad_requests_get_clear_errors_and_store_nothing() {
    let (app, key) = setup(1000, 1000).await;
    let cases = [
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "415 555 0123"}),
            400,
            "phone_missing_calling_code",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "12", "country": "US"}),
            400,
            "invalid_phone",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+1".repeat(20)}),
            400,
            "too_long",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550123", "country": "USA"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shop": SHOP, "variant_id": "12ab", "phone": "+14155550123"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shop": "not a shop", "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            400,
            "invalid_shop",
        ),
        (
            json!({"shop": SHOP, "variant_id": IN_STOCK, "phone": "+14155550123"}),
            409,
            "variant_in_stock",
        ),
        (
            json!({"shop": SHOP, "variant_id": 999, "phone": "+14155550123"}),
            404,
            "unknown_variant",
        ),
        (
            json!({"shop": "nobody.myshopify.com", "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            404,
            "unknown_shop",
        ),
        (
            json!({"shop": SHOP, "phone": "+14155550123"}),
            400,
            "invalid_body",
        ),
        (json!([1, 2]), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (s, v) = subscribe(&app, body.clone()).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let r = app
        .client
        .post(format!("{}/storefront/v1/back-in-stock", app.base))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
    let big = json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "1".repeat(300 * 1024)});
    assert_eq!(subscribe(&app, big).await.0, 413);
    // Nothing was stored: no subscription, no contact for the number, no consent event.
    for v in [SOLD_OUT, IN_STOCK] {
        assert!(listed(&app, &key, &format!("variant_id={v}"))
            .await
            .is_empty());
    }
    let (_, found) = app.get("/api/v1/contacts?q=4155550123", &key).await;
    assert_eq!(found["items"], json!([]), "{found}");
    // An uninstalled shop: 410.
    let body = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(SHOP, "app/uninstalled", "u-1", &body).await;
    let (s, v) = app
        .eventually("the uninstall", || async {
            let r = subscribe(
                &app,
                json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            )
            .await;
            (r.0 == 410).then_some(r)
        })
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (410, Some("shop_uninstalled")),
        "{v}"
    );
}

#[tokio::test]
async fn a_flood_from_one_address_or_for_one_phone_is_limited() {
    let (app, key) = setup(5, 2).await;
    for i in 0..2 {
        let phone = format!("+1415555010{i}");
        subscribe_ok(&app, SOLD_OUT, &phone).await;
    }
    // The same phone for a third variant: over the per-phone limit, nothing stored.
    subscribe_ok(&app, OTHER, "+14155550177").await;
    subscribe_ok(&app, SOLD_OUT, "+14155550177").await;
    let r = app
        .client
        .post(format!("{}/storefront/v1/back-in-stock", app.base))
        .json(&json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550177"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // Five requests per minute from this address: the sixth is refused.
    let (s, v) = subscribe(
        &app,
        json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550188"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
    let ids: Vec<Value> = listed(&app, &key, &format!("variant_id={SOLD_OUT}")).await;
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|s| s["phone"] != "+14155550188"));
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

#[tokio::test]
async fn a_restock_notifies_each_active_subscriber_once_whatever_the_webhooks_do() {
    let (app, key) = setup(1000, 1000).await;
    let a = subscribe_ok(&app, SOLD_OUT, "+14155550101").await;
    let b = subscribe_ok(&app, SOLD_OUT, "+14155550102").await;
    let gone = subscribe_ok(&app, SOLD_OUT, "+14155550103").await;
    let other = subscribe_ok(&app, OTHER, "+14155550104").await;
    let id = gone["id"].as_str().expect("id");
    let path = format!("/storefront/v1/back-in-stock/{id}/cancel?shop={SHOP}&phone=%2B14155550103");
    let (s, c) = storefront(&app, Method::POST, &path, None).await;
    assert_eq!((s, &c["status"]), (200, &json!("CANCELLED")), "{c}");

    // One real restock, reported several ways, twice, and a stale sell-out after it.
    let (t1, t2) = ("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z");
    app.webhook_ok(SHOP, "variants/in_stock", "r-1", &variant(5, t2))
        .await;
    app.webhook_ok(SHOP, "products/update", "r-2", &product(5, 0, t2))
        .await;
    app.webhook_ok(SHOP, "variants/in_stock", "r-1", &variant(5, t2))
        .await;
    app.webhook_ok(SHOP, "variants/out_of_stock", "r-3", &variant(0, t1))
        .await;
    app.webhook_ok(SHOP, "variants/in_stock", "r-4", &variant(5, t2))
        .await;
    let events = notified(&app, &key, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let events_now = notified(&app, &key, 2).await;
    assert_eq!(events_now.len(), 2, "{events_now:?}");
    let mut subs: Vec<&Value> = events
        .iter()
        .map(|e| &e["data"]["subscription_id"])
        .collect();
    subs.sort_by_key(|v| v.to_string());
    let mut want = vec![&a["id"], &b["id"]];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(subs, want);
    assert_eq!(events[0]["data"]["variant_id"], SOLD_OUT.to_string());
    assert_eq!(events[0]["data"]["product_id"], PRODUCT.to_string());
    assert!(
        events[0]["data"]["contact_id"].is_string(),
        "{:?}",
        events[0]
    );
    assert_eq!(status_of(&app, &key, &a["id"]).await, "NOTIFIED");
    assert_eq!(status_of(&app, &key, &gone["id"]).await, "CANCELLED");
    let others = listed(&app, &key, &format!("variant_id={OTHER}")).await;
    assert_eq!(
        (others.len(), &others[0]["id"], &others[0]["status"]),
        (1, &other["id"], &json!("ACTIVE"))
    );

    // Sold out and restocked again: nobody is ACTIVE any more until `a` asks again.
    app.webhook_ok(
        SHOP,
        "variants/out_of_stock",
        "r-5",
        &variant(0, "2026-05-02T00:00:00Z"),
    )
    .await;
    let again = subscribe_ok(&app, SOLD_OUT, "+14155550101").await;
    assert_eq!(
        (&again["id"], &again["status"]),
        (&a["id"], &json!("ACTIVE"))
    );
    app.webhook_ok(
        SHOP,
        "variants/in_stock",
        "r-6",
        &variant(3, "2026-05-03T00:00:00Z"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "variants/in_stock",
        "r-7",
        &variant(3, "2026-05-03T00:00:00Z"),
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

#[tokio::test]
async fn cors_is_allowed_for_the_shops_storefront_only() {
    let (app, _key) = setup(1000, 1000).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                Method::OPTIONS,
                format!("{}/storefront/v1/back-in-stock", app.base),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let ok = preflight("https://bis.myshopify.com")
        .await
        .expect("request");
    assert_eq!(ok.status(), 204);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://bis.myshopify.com"
    );
    assert!(ok.headers()["access-control-allow-methods"]
        .to_str()
        .is_ok_and(|m| m.contains("POST")));
    let no = preflight("https://evil.example").await.expect("request");
    assert_eq!(no.status(), 403);
    assert!(no.headers().get("access-control-allow-origin").is_none());
    let other_shop = preflight("https://nobody.myshopify.com")
        .await
        .expect("request");
    assert!(other_shop
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // The answers themselves (errors included) carry the header for the shop's origin only.
    for (origin, allowed) in [
        ("https://bis.myshopify.com", true),
        ("https://evil.example", false),
    ] {
        let r = app
            .client
            .post(format!("{}/storefront/v1/back-in-stock", app.base))
            .header("Origin", origin)
            .json(&json!({"shop": SHOP, "variant_id": IN_STOCK, "phone": "+14155550123"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 409);
        assert_eq!(
            r.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
    // The OpenAPI document describes the storefront endpoints.
    let (_, doc) = app.get("/api/v1/openapi.json", "").await;
    for path in [
        "/storefront/v1/back-in-stock",
        "/storefront/v1/back-in-stock/{id}",
        "/storefront/v1/back-in-stock/{id}/cancel",
        "/api/v1/back-in-stock",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {r}"
        );
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
