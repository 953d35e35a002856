//! Connecting the shop's Meta catalog through the API against the Meta emulator: import
//! (reconciled with the Shopify variants), one catalog per WABA, create, link; bad
//! requests named.

use crate::automations::{setup, SHOP};
use crate::whatsapp_send::{TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use reqwest::Method;
use serde_json::{json, Value};

/// Puts items in a catalog the way any Meta client would.
async fn seed_items(emu: &MetaEmulator, catalog: &str, ids: &[&str]) {
    let requests: Vec<Value> = ids
        .iter()
        .map(|id| json!({"method": "UPDATE", "data": {"id": id, "title": "Old", "description": "Old",
            "availability": "in stock", "condition": "new", "price": "1.00 EUR", "link": "https://x/p",
            "brand": "B", "image": [{"url": "https://x/i.jpg"}]}}))
        .collect();
    let r = reqwest::Client::new()
        .post(format!(
            "{}/{}/{catalog}/items_batch",
            emu.base_url(),
            emu.graph_version()
        ))
        .bearer_auth(TOKEN)
        .json(&json!({"item_type": "PRODUCT_ITEM", "requests": requests}))
        .send()
        .await
        .expect("seed");
    assert_eq!(r.status(), 200);
    // Meta ingests a batch asynchronously: wait for its handle to finish.
    let v: Value = r.json().await.expect("json");
    let handle = v["handles"][0].as_str().expect("handle").to_string();
    for _ in 0..200 {
        let st: Value = reqwest::Client::new()
            .get(format!(
                "{}/{}/{catalog}/check_batch_request_status?handle={handle}",
                emu.base_url(),
                emu.graph_version()
            ))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("json");
        if st["data"][0]["status"] == "finished" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the seed batch never finished");
}

#[tokio::test]
async fn each_way_of_connecting_a_catalog_works_and_the_import_is_reconciled() {
    let (emu, app, key) = setup(1).await;
    let (s, v) = app.get("/api/v1/catalog", &key).await;
    assert_eq!((s, v["code"].as_str()), (404, Some("no_catalog")), "{v}");
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "link", "token": TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_field")), "{v}");
    // The shop sells product 8 in two variants (81, 82).
    let product = json!({"id": 8, "title": "Tee", "handle": "tee", "status": "active", "vendor": "Acme",
        "updated_at": "2026-11-01T00:00:00Z",
        "variants": [{"id": 81, "product_id": 8, "title": "M", "price": "20.00", "inventory_quantity": 2},
                     {"id": 82, "product_id": 8, "title": "L", "price": "20.00", "inventory_quantity": 0}]});
    app.webhook_ok(
        SHOP,
        "products/create",
        "p-8",
        &serde_json::to_vec(&product).expect("json"),
    )
    .await;
    app.eventually("the product", || async {
        let (s, _) = app.get("/api/v1/products/8", &key).await;
        (s == 200).then_some(())
    })
    .await;
    // An agency's catalog with 81 and an item of another shop.
    let legacy = emu.add_catalog("Legacy", false);
    seed_items(&emu, &legacy, &["81", "999"]).await;
    let business = galantis::sandbox::meta::EmulatorConfig::default().business_id;
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/catalog/available",
            &key,
            Some(json!({"token": TOKEN, "business_id": business})),
        )
        .await;
    assert_eq!(
        (s, v["clients"][0]["id"].as_str()),
        (200, Some(legacy.as_str())),
        "{v}"
    );
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(
                json!({"mode": "import", "catalog_id": legacy, "token": TOKEN, "currency": "EUR"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["reconciliation"];
    assert_eq!(
        (
            r["matched"].as_u64(),
            r["only_in_meta"].as_u64(),
            r["only_in_shopify"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(
        (
            r["only_in_meta_ids"].clone(),
            r["only_in_shopify_ids"].clone()
        ),
        (json!(["999"]), json!(["82"]))
    );
    assert_eq!(emu.connected_catalog(WABA), Some(legacy.clone()));
    // One catalog per WABA: creating another is refused by Meta, named.
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "create", "business_id": business, "name": "New", "token": TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("meta_refused")), "{v}");
    // Linking the connected one again is fine; the connection is readable, without token.
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "link", "catalog_id": legacy, "token": TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!((s, v["mode"].as_str()), (200, Some("link")), "{v}");
    let (_, v) = app.get("/api/v1/catalog", &key).await;
    assert_eq!(v["catalog_id"], legacy.as_str());
    assert!(v.get("token").is_none(), "{v}");
}

#[tokio::test]
async fn a_new_catalog_is_created_for_the_business_and_connected() {
    let (emu, app, key) = setup(1).await;
    let business = galantis::sandbox::meta::EmulatorConfig::default().business_id;
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "create", "token": TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("invalid_field")),
        "business_id is needed: {v}"
    );
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "create", "business_id": business, "token": TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["name"], "flows", "named after the shop by default: {v}");
    assert_eq!(
        emu.connected_catalog(WABA).as_deref(),
        v["catalog_id"].as_str()
    );
}
