//! Compliance and lifecycle: customers/redact, customers/data_request, app/uninstalled,
//! shop/redact.

use crate::helpers::{order_body, spawn_app, IdExt, OPERATOR};
use galantis::sandbox::payloads::{to_bytes, Customer};
use serde_json::json;

const SHOP: &str = "privacy.myshopify.com";

fn customer(id: u64) -> Vec<u8> {
    let mut c = Customer::new(id);
    (c.first_name, c.last_name) = ("Pat".into(), "Private".into());
    c.email = Some("pat@example.com".into());
    c.phone = Some("+447700900123".into());
    to_bytes(&c.body())
}

#[tokio::test]
async fn customers_redact_erases_the_person_and_data_request_exports_them() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    app.webhook_ok(SHOP, "customers/create", "p-1", &customer(191167))
        .await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "p-2",
        &order_body(299938, 191167, "2026-01-02T00:00:00Z"),
    )
    .await;
    app.webhook_ok(SHOP, "customers/create", "p-3", &customer(5))
        .await;

    let req = json!({"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 191167, "email": "pat@example.com", "phone": "+447700900123"},
                     "orders_requested": [299938], "data_request": {"id": 9999}});
    app.webhook_ok(
        SHOP,
        "customers/data_request",
        "p-4",
        &serde_json::to_vec(&req).expect("json"),
    )
    .await;
    let (s, v) = app
        .eventually("the export", || async {
            let r = app.get("/api/v1/exports/9999", &key).await;
            (r.0 == 200).then_some(r)
        })
        .await;
    assert_eq!(s, 200);
    let text = v.to_string();
    assert!(
        text.contains("pat@example.com") && text.contains("299938"),
        "{text}"
    );
    assert_eq!(
        app.get("/api/v1/exports", &key).await.1["items"][0]["request_id"],
        "9999"
    );

    let redact = json!({"shop_id": 954889, "shop_domain": SHOP, "customer": {"id": 191167, "email": "pat@example.com", "phone": "+447700900123"},
                        "orders_to_redact": [299938]});
    app.webhook_ok(
        SHOP,
        "customers/redact",
        "p-5",
        &serde_json::to_vec(&redact).expect("json"),
    )
    .await;
    assert_eq!(app.get("/api/v1/contacts/191167", &key).await.0, 404);
    let (_, list) = app.get("/api/v1/contacts?q=pat", &key).await;
    let ids: Vec<u64> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["shopify_customer_id"].id())
        .collect();
    assert_eq!(ids, vec![5], "only the other contact remains");
    // A late update cannot bring the person back.
    app.webhook_accepted(SHOP, "customers/update", "p-6", &customer(191167))
        .await;
    assert_eq!(app.get("/api/v1/contacts/191167", &key).await.0, 404);
}

#[tokio::test]
async fn uninstall_keeps_data_and_shop_redact_erases_it() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    app.webhook_ok(SHOP, "customers/create", "u-1", &customer(7))
        .await;
    let shop_obj = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(SHOP, "app/uninstalled", "u-2", &shop_obj)
        .await;
    let (_, tenants) = app
        .eventually("uninstalled status", || async {
            let (s, v) = app.get("/api/v1/tenants", OPERATOR).await;
            (s == 200 && v[0]["status"] == "uninstalled").then_some((s, v))
        })
        .await;
    assert_eq!(tenants[0]["shop"], SHOP);
    // Data kept; ordinary webhooks refused with 410; compliance webhooks still accepted.
    assert_eq!(app.get("/api/v1/contacts/7", &key).await.0, 200);
    let r = app
        .webhook(SHOP, "customers/create", "u-3", &customer(8))
        .await;
    assert_eq!(r.status(), 410);
    let redact = json!({"shop_id": 954889, "shop_domain": SHOP});
    app.webhook_ok(
        SHOP,
        "shop/redact",
        "u-4",
        &serde_json::to_vec(&redact).expect("json"),
    )
    .await;
    app.eventually("redacted status", || async {
        let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
        (v[0]["status"] == "redacted").then_some(())
    })
    .await;
    // The shop's key stops working; the operator finds nothing left.
    assert_eq!(app.get("/api/v1/contacts/7", &key).await.0, 401);
    assert_eq!(shop_get(&app, "/api/v1/contacts/7").await, 404);
    let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
    assert_eq!(v[0]["has_shopify_token"], false, "tokens are wiped");
    // After a restart the data stays erased.
    let app = app.restart().await;
    assert_eq!(shop_get(&app, "/api/v1/contacts/7").await, 404);
    let (status, v) = shop_get_json(&app, "/api/v1/events").await;
    assert_eq!(status, 200);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
}

/// A GET as the operator acting on `SHOP`: its status.
async fn shop_get(app: &crate::helpers::TestApp, path: &str) -> u16 {
    shop_get_json(app, path).await.0
}

/// A GET as the operator acting on `SHOP`.
async fn shop_get_json(app: &crate::helpers::TestApp, path: &str) -> (u16, serde_json::Value) {
    let r = app
        .client
        .get(format!("{}{}", app.base, path))
        .bearer_auth(OPERATOR)
        .header("X-Galantis-Shop", SHOP)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}
