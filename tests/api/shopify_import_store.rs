//! A whole store imported through the Shopify emulator's bulk operations: collections,
//! products (variants, image, membership: children joined through `__parentId`, which the
//! emulator writes away from their parent), customers and orders (line items) land
//! exactly, purchases feed the segments; the imported history starts no flow, while a
//! live webhook afterwards does.

use crate::automations::{active_flow, counts, handled, order_flow, setup_with, SHOP};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::HashSet;

const PRODUCTS: u64 = 120;
const CUSTOMERS: u64 = 800;
const ORDERS: u64 = 600;
const BUYERS: u64 = 400;

async fn count(app: &crate::helpers::TestApp, key: &str, rule: Value) -> u64 {
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/segments/count",
            key,
            Some(json!({"name": "n", "groups": [{"rules": [rule]}]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    v["count"].as_u64().expect("count")
}

/// The customers (5000 + i) who bought a product matching `pick` (order `o` of customer
/// `o % BUYERS` has products `o % 50` and `(o + 1) % 50`).
fn buyers_of(pick: impl Fn(u64) -> bool) -> u64 {
    let mut who = HashSet::new();
    for o in 0..ORDERS {
        if pick(o % 50) || pick((o + 1) % 50) {
            who.insert(o % BUYERS);
        }
    }
    who.len() as u64
}

#[tokio::test]
async fn a_whole_store_lands_exactly_and_its_history_starts_no_flow() {
    let shopify = ShopifyEmulator::start(ShopifyEmulatorConfig::default())
        .await
        .expect("emulator");
    let base = shopify.base_url().to_string();
    let (meta, app, key) = setup_with(1, move |s| {
        s.shopify.admin_base_url = Some(base.clone());
        s.shopify.import_poll_ms = 20;
    })
    .await;
    shopify.add_shop(SHOP, "shpat_test_token", "Store");
    shopify.add_collections(SHOP, 300, 4);
    shopify.add_products(SHOP, 1_000, PRODUCTS, 2, &[300, 301, 302, 303]);
    shopify.add_customers(SHOP, 5_000, CUSTOMERS);
    let buyers: Vec<u64> = (5_000..5_000 + BUYERS).collect();
    shopify.add_orders(SHOP, 90_000, ORDERS, &buyers, (1_000, 50), 2);
    let on_order = active_flow(&app, &key, order_flow(1)).await;
    let mut welcome = order_flow(1);
    welcome["name"] = json!("Welcome");
    welcome["nodes"][0]["trigger"] = json!({"type": "CUSTOMER_CREATED"});
    welcome["nodes"][2]["body"][1] = json!({"text": "welcome"});
    let on_customer = active_flow(&app, &key, welcome).await;

    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/imports",
            &key,
            Some(json!({"resources": ["orders", "products", "customers", "collections"]})),
        )
        .await;
    assert_eq!(
        (s, v["items"].as_array().map(Vec::len)),
        (202, Some(4)),
        "{v}"
    );
    let done = app
        .eventually("every import done", || async {
            let (_, v) = app.get("/api/v1/imports", &key).await;
            let items = v["items"].as_array().cloned().unwrap_or_default();
            (items.len() == 4 && items.iter().all(|j| j["status"] == "DONE")).then_some(items)
        })
        .await;
    let job = |r: &str| {
        let j = done.iter().find(|j| j["resource"] == r).expect("job");
        (
            j["rows_read"].as_u64(),
            j["rows_applied"].as_u64(),
            j["rows_skipped"].as_u64(),
            j["rows_total"].as_u64(),
        )
    };
    let all = |n: u64| (Some(n), Some(n), Some(0), Some(n));
    assert_eq!(job("collections"), all(4));
    // A product line, two variants, an image and a membership each.
    assert_eq!(job("products"), all(PRODUCTS * 5));
    assert_eq!(job("customers"), all(CUSTOMERS));
    assert_eq!(job("orders"), all(ORDERS * 3));

    let (s, v) = app.get("/api/v1/collections", &key).await;
    assert_eq!(
        (s, v["items"].as_array().map(Vec::len)),
        (200, Some(4)),
        "{v}"
    );
    let (s, p) = app.get("/api/v1/products/1001", &key).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        (
            p["title"].as_str(),
            p["vendor"].as_str(),
            p["variants"].as_array().map(Vec::len),
            p["images"].as_array().map(Vec::len),
        ),
        (Some("Product 1"), Some("Vendor 1"), Some(2), Some(1)),
        "{p}"
    );
    assert_eq!(p["collections"], json!(["301"]), "{p}");
    assert_eq!(p["variants"][1]["price"], "11.00", "{p}");
    let (_, page) = app.get("/api/v1/products?limit=500", &key).await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(PRODUCTS as usize)
    );

    // Orders: customers 5000..5199 bought twice (40 EUR), 5200..5399 once.
    let orders = |op: &str, n: u64| json!({"field": "ORDERS_COUNT", "op": op, "value": n});
    assert_eq!(count(&app, &key, orders("GTE", 1)).await, BUYERS);
    assert_eq!(count(&app, &key, orders("GTE", 2)).await, ORDERS - BUYERS);
    assert_eq!(
        count(
            &app,
            &key,
            json!({"field": "TOTAL_SPENT", "op": "GTE", "value": "40"})
        )
        .await,
        ORDERS - BUYERS
    );
    // Purchases reach the segments through the imported catalog.
    assert_eq!(
        count(
            &app,
            &key,
            json!({"field": "PURCHASED_VENDOR", "op": "IN", "value": ["Vendor 0"]})
        )
        .await,
        buyers_of(|p| p % 3 == 0)
    );
    assert_eq!(
        count(
            &app,
            &key,
            json!({"field": "PURCHASED_COLLECTION", "op": "IN", "value": ["302"]})
        )
        .await,
        buyers_of(|p| p % 4 == 2)
    );

    // The history was recorded and consumed, and started nothing.
    handled(&app, &key, |e| {
        crate::automations::count_of(e, "OrderPlaced") == ORDERS as usize
            && crate::automations::count_of(e, "CustomerCreated") == CUSTOMERS as usize
    })
    .await;
    let events = app.events(&key).await;
    assert!(
        events
            .iter()
            .filter(|e| e["type"] == "OrderPlaced")
            .all(|e| e["history"] == true),
        "imported orders are history"
    );
    assert_eq!(counts(&app, &key, on_order).await["enrolled"], 0);
    assert_eq!(counts(&app, &key, on_customer).await["enrolled"], 0);

    // A live order afterwards runs the flow.
    app.webhook_ok(
        SHOP,
        "orders/create",
        "live-1",
        &crate::helpers::order_body(99_999, 5_000, "2026-12-01T00:00:00Z"),
    )
    .await;
    app.eventually("the live order enrolled", || async {
        (counts(&app, &key, on_order).await["enrolled"] == 1).then_some(())
    })
    .await;
    drop(meta);
}
