//! The initial import through the Shopify emulator's bulk operations: a generated store's
//! customers land exactly (names, phones, consent, tags); a webhook newer than the
//! imported row wins; a customer deleted before the import is not brought back; an
//! unknown resource is refused by name.

use crate::helpers::{spawn_app_with, TestApp};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "bulk.myshopify.com";

async fn all_contacts(app: &TestApp, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/contacts?limit=500&after={a}"),
            None => "/api/v1/contacts?limit=500".into(),
        };
        let (s, v) = app.get(&path, key).await;
        assert_eq!(s, 200, "{v}");
        out.extend(v["items"].as_array().cloned().unwrap_or_default());
        match v["next_after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => return out,
        }
    }
}

/// The Shopify emulator (with `emu`'s settings, the tests' client secret) hosting the
/// shop, and an app pointed at it (`poll_ms` between bulk-operation checks) with the
/// shop as a tenant; its API key.
async fn setup(emu: ShopifyEmulatorConfig, poll_ms: u64) -> (ShopifyEmulator, TestApp, String) {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        client_secret: crate::helpers::SECRET.into(),
        ..emu
    })
    .await
    .expect("emulator");
    let base = emu.base_url().to_string();
    let app = spawn_app_with(move |s| {
        s.shopify.admin_base_url = Some(base.clone());
        s.shopify.import_poll_ms = poll_ms;
    })
    .await;
    let key = app.create_tenant(SHOP).await;
    emu.add_shop(SHOP, "shpat_test_token", "Bulk");
    (emu, app, key)
}

#[tokio::test]
async fn a_bulk_import_lands_every_customer_once_and_respects_newer_webhooks_and_deletions() {
    let (emu, app, key) = setup(ShopifyEmulatorConfig::default(), 20).await;
    emu.add_customers(SHOP, 5_000, 1_500);
    // Before the import: 5000 changed since the export's version; 5001 was deleted.
    let mut newer = galantis::sandbox::payloads::Customer::new(5_000);
    newer.first_name = "Newer".into();
    newer.updated_at = "2026-11-01T00:00:00Z".into();
    app.webhook_ok(
        SHOP,
        "customers/create",
        "c-5000",
        &galantis::sandbox::payloads::to_bytes(&newer.body()),
    )
    .await;
    let deleted = json!({"id": 5_001, "admin_graphql_api_id": "gid://shopify/Customer/5001"});
    app.webhook_ok(
        SHOP,
        "customers/delete",
        "d-5001",
        &serde_json::to_vec(&deleted).expect("json"),
    )
    .await;

    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["orders_and_more"]})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (400, Some("unknown_resource")),
        "{v}"
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["customers"]})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let done = app
        .eventually("the import done", || async {
            let (_, v) = app.get("/api/v1/imports", &key).await;
            (v["items"][0]["status"] == "DONE").then_some(v)
        })
        .await;
    let job = &done["items"][0];
    assert_eq!(
        (
            job["rows_read"].as_u64(),
            job["rows_applied"].as_u64(),
            job["rows_skipped"].as_u64()
        ),
        (Some(1_500), Some(1_500), Some(0)),
        "{done}"
    );
    let contacts = app
        .eventually("every contact applied", || async {
            let all = all_contacts(&app, &key).await;
            (all.len() == 1_499).then_some(all)
        })
        .await;
    let by_id = |id: &str| {
        contacts
            .iter()
            .find(|c| c["shopify_customer_id"] == id)
            .cloned()
    };
    assert!(
        by_id("5001").is_none(),
        "a deleted customer is not brought back"
    );
    assert_eq!(
        by_id("5000").expect("5000")["first_name"],
        "Newer",
        "the newer webhook wins"
    );
    let c = by_id("5002").expect("5002");
    assert_eq!(
        (c["phone"].as_str(), c["marketing_state"].as_str()),
        (Some("+34610005002"), Some("SUBSCRIBED")),
        "{c}"
    );
    assert_eq!(
        by_id("5003").expect("5003")["marketing_state"],
        "NOT_SUBSCRIBED"
    );
    assert_eq!(emu.calls().get("bulk_run"), Some(&1));
    // Starting again while done runs a new import; its rows are the same versions:
    // nothing changes.
    let (s, _) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["customers"]})),
        )
        .await;
    assert_eq!(s, 202);
    app.eventually("the second import done", || async {
        let (_, v) = app.get("/api/v1/imports", &key).await;
        (v["items"][0]["status"] == "DONE" && v["items"][0]["operation_id"] != job["operation_id"])
            .then_some(())
    })
    .await;
    assert_eq!(all_contacts(&app, &key).await.len(), 1_499);
}

#[tokio::test]
async fn reconciliation_repairs_a_change_whose_webhook_never_came_and_counts_it() {
    let (emu, app, key) = setup(ShopifyEmulatorConfig::default(), 20).await;
    emu.add_customers(SHOP, 7_000, 3);
    for id in 7_000..7_003u64 {
        let mut c = galantis::sandbox::payloads::Customer::new(id);
        c.updated_at = "2025-06-02T00:00:00Z".into();
        app.webhook_ok(
            SHOP,
            "customers/create",
            &format!("c-{id}"),
            &galantis::sandbox::payloads::to_bytes(&c.body()),
        )
        .await;
    }
    // Products and an order, imported first so that our copy has them.
    emu.add_products(SHOP, 1_000, 2, 1, &[]);
    emu.add_orders(SHOP, 90_000, 1, &[7_000], (1_000, 2), 1);
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["products", "orders"]})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    app.eventually("the import done", || async {
        let (_, v) = app.get("/api/v1/imports", &key).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        (items.len() == 2 && items.iter().all(|j| j["status"] == "DONE")).then_some(())
    })
    .await;
    let path = "/api/v1/integrations/shopify/reconcile";
    let (s, first) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(s, 200, "{first}");
    for r in ["customers", "products", "orders"] {
        assert_eq!(
            first[r]["repaired"].as_u64(),
            Some(0),
            "the first run sets the marks: {first}"
        );
    }
    let mark = first["customers"]["mark"]
        .as_str()
        .expect("mark")
        .to_string();
    // 7001 changed at Shopify and its webhook was lost; 7002 changed and its webhook came.
    let later = "2099-01-01T00:00:00Z";
    emu.update_customer(SHOP, 7_001, "Missed", later);
    emu.update_customer(SHOP, 7_002, "Delivered", later);
    emu.update_product_title(SHOP, 1_000, "Renamed", later);
    emu.cancel_order(SHOP, 90_000, later);
    let mut c = galantis::sandbox::payloads::Customer::new(7_002);
    c.first_name = "Delivered".into();
    c.updated_at = later.into();
    app.webhook_ok(
        SHOP,
        "customers/update",
        "u-7002",
        &galantis::sandbox::payloads::to_bytes(&c.body()),
    )
    .await;
    app.eventually("the delivered change applied", || async {
        let (_, v) = app.get("/api/v1/contacts/7002", &key).await;
        (v["first_name"] == "Delivered").then_some(())
    })
    .await;
    let (s, second) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(s, 200, "{second}");
    let counts = |r: &str| {
        (
            second[r]["checked"].as_u64(),
            second[r]["repaired"].as_u64(),
        )
    };
    assert_eq!(counts("customers"), (Some(2), Some(1)), "{second}");
    assert_eq!(counts("products"), (Some(1), Some(1)), "{second}");
    assert_eq!(counts("orders"), (Some(1), Some(1)), "{second}");
    assert!(
        second["customers"]["mark"].as_str() > Some(mark.as_str()),
        "{second}"
    );
    app.eventually("the missed product and order changes repaired", || async {
        let (_, p) = app.get("/api/v1/products/1000", &key).await;
        let cancelled = app
            .events(&key)
            .await
            .iter()
            .any(|e| e["type"] == "OrderCancelled" && e["history"] == false);
        (p["title"] == "Renamed" && cancelled).then_some(())
    })
    .await;
    app.eventually("the missed change repaired", || async {
        let (_, v) = app.get("/api/v1/contacts/7001", &key).await;
        (v["first_name"] == "Missed").then_some(())
    })
    .await;
    let (_, third) = app.send(Method::POST, path, &key, None).await;
    for r in ["customers", "products", "orders"] {
        assert_eq!(
            third[r]["checked"].as_u64(),
            Some(0),
            "nothing changed since: {third}"
        );
    }
}

#[tokio::test]
async fn the_signed_bulk_operations_finish_webhook_completes_an_import_without_the_poll() {
    // The operation runs 300 ms; the engine would ask again only after 10 minutes.
    let config = ShopifyEmulatorConfig {
        bulk_ms: 300,
        ..ShopifyEmulatorConfig::default()
    };
    let (emu, app, key) = setup(config, 600_000).await;
    emu.add_customers(SHOP, 6_000, 50);
    // The subscription the engine's registration creates (`BULK_OPERATIONS_FINISH`).
    emu.add_subscription(
        SHOP,
        "BULK_OPERATIONS_FINISH",
        &format!("{}/webhooks/shopify", app.base),
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["customers"]})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let job = app
        .eventually("the import done", || async {
            let (_, v) = app.get("/api/v1/imports", &key).await;
            (v["items"][0]["status"] == "DONE").then(|| v["items"][0].clone())
        })
        .await;
    assert_eq!(job["rows_applied"].as_u64(), Some(50), "{job}");
    assert_eq!(
        emu.calls().get("webhook bulk_operations/finish"),
        Some(&1),
        "the signed webhook was accepted (2xx)"
    );
}

#[tokio::test]
async fn a_bulk_operation_that_fails_halfway_applies_its_partial_data_and_says_so() {
    let (emu, app, key) = setup(ShopifyEmulatorConfig::default(), 20).await;
    emu.add_customers(SHOP, 8_000, 40);
    emu.fail_next_bulk();
    let start = || async {
        let (s, v) = app
            .send(
                Method::POST,
                "/api/v1/imports",
                &key,
                Some(json!({"resources": ["customers"]})),
            )
            .await;
        assert_eq!(s, 202, "{v}");
    };
    start().await;
    let job = app
        .eventually("the import failed", || async {
            let (_, v) = app.get("/api/v1/imports", &key).await;
            (v["items"][0]["status"] == "FAILED").then(|| v["items"][0].clone())
        })
        .await;
    assert_eq!(job["rows_applied"].as_u64(), Some(20), "{job}");
    let error = job["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("FAILED (INTERNAL_SERVER_ERROR)") && error.contains("partial data"),
        "{job}"
    );
    assert_eq!(all_contacts(&app, &key).await.len(), 20);
    // Started again, the whole store lands (the 20 already there are not duplicated).
    start().await;
    app.eventually("the second import done", || async {
        let (_, v) = app.get("/api/v1/imports", &key).await;
        (v["items"][0]["status"] == "DONE").then_some(())
    })
    .await;
    assert_eq!(all_contacts(&app, &key).await.len(), 40);
}
