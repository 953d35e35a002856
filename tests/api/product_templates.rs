//! Product templates in flows: a multi-product (MPM) template with a header variable
//! shows the products of the run's order at the Meta emulator (which checks the product
//! button like Meta); a flow whose product template has no `products` mapping, or maps
//! them from a source its trigger lacks, is refused naming the node.

use crate::automations::{active_flow, customer, setup};
use galantis::sandbox::payloads::{to_bytes, LineItem, Order};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "flows.myshopify.com";

fn flow(products: Value) -> Value {
    json!({"name": "Your items", "nodes": [
        {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
        {"id": "show", "type": "ACTION", "template": {"name": "order_items", "language": "en"},
         "header": {"source": "order.order_number"},
         "body": [{"source": "customer.first_name", "fallback": "there"}],
         "products": products}],
        "edges": [{"from": "t", "to": "show"}], "settings": {"frequency_cap": "EVER"}})
}

#[tokio::test]
async fn a_multi_product_template_shows_the_products_of_the_order() {
    let (emu, app, key) = setup(1).await;
    let (s, v) = app
        .send(Method::POST, "/api/v1/templates", &key, Some(json!({
            "name": "order_items", "language": "en", "category": "MARKETING",
            "header_text": "Order {{1}}", "header_example": "#1001",
            "body": "Hi {{1}}, these are waiting for a review (thank you)", "body_examples": ["Ana"],
            "buttons": [{"type": "mpm", "text": "View items"}]})))
        .await;
    assert_eq!(s, 201, "{v}");
    emu.approve_template("order_items", "en")
        .await
        .expect("approve");
    app.eventually("approved", || async {
        let (_, v) = app.get("/api/v1/templates", &key).await;
        (v["items"].as_array().into_iter().flatten())
            .any(|t| t["name"] == "order_items" && t["status"] == "APPROVED")
            .then_some(())
    })
    .await;
    // Refused before activation: no mapping; a source the trigger does not have.
    for (products, code) in [
        (Value::Null, "missing_products"),
        (json!({"from": "CHECKOUT"}), "variable_not_available"),
        (
            json!({"from": "ORDER", "section_title": "x".repeat(25)}),
            "bad_products",
        ),
    ] {
        let (s, v) = app
            .send(
                Method::POST,
                "/api/v1/flows/validate",
                &key,
                Some(flow(products)),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let problems = v["problems"].as_array().cloned().unwrap_or_default();
        assert!(
            problems
                .iter()
                .any(|p| p["code"] == code && p["node"] == "show"),
            "{code}: {v}"
        );
    }
    active_flow(
        &app,
        &key,
        flow(json!({"from": "ORDER", "section_title": "Your order"})),
    )
    .await;
    customer(&app, 8401, "Ines", true).await;
    let mut o = Order::new(9401, 8401);
    o.lines = vec![
        LineItem {
            variant_id: 7001,
            ..LineItem::new(9402, 1_000)
        },
        LineItem {
            variant_id: 7002,
            ..LineItem::new(9403, 2_000)
        },
        LineItem {
            variant_id: 7001,
            ..LineItem::new(9404, 1_000)
        },
    ];
    app.webhook_ok(SHOP, "orders/create", "o-9401", &to_bytes(&o.body()))
        .await;
    let sent = app
        .eventually("the product template", || async {
            emu.sent()
                .into_iter()
                .find(|m| m.body["template"]["name"] == "order_items")
        })
        .await;
    let components = sent.body["template"]["components"].clone();
    let of = |kind: &str| {
        components
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == kind)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        of("header")["parameters"][0]["text"],
        o.body()["name"],
        "{components}"
    );
    assert_eq!(of("body")["parameters"][0]["text"], "Ines");
    let button = of("button");
    assert_eq!(
        (button["sub_type"].as_str(), button["index"].as_str()),
        (Some("mpm"), Some("0")),
        "{button}"
    );
    let action = &button["parameters"][0]["action"];
    assert_eq!(action["thumbnail_product_retailer_id"], "7001");
    assert_eq!(
        action["sections"],
        json!([{"title": "Your order", "product_items": [
            {"product_retailer_id": "7001"}, {"product_retailer_id": "7002"}]}]),
        "each variant once, in order: {action}"
    );
    // Meta accepted it (the emulator checks the product button as Meta does).
    app.eventually("accepted", || async {
        let (_, runs) = app.get("/api/v1/contacts/8401/runs", &key).await;
        (runs["items"][0]["status"] == "COMPLETED").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_single_product_template_shows_the_first_synced_in_stock_product_of_the_order() {
    let (emu, app, key) = crate::automations::setup_with(1, |s| {
        s.catalog.push_interval_ms = 100;
        s.catalog.status_poll_ms = 10;
    })
    .await;
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/templates",
            &key,
            Some(json!({
            "name": "order_spm", "language": "en", "category": "MARKETING",
            "body": "Hi {{1}}, rate what you bought (thank you)", "body_examples": ["Ana"],
            "buttons": [{"type": "spm", "text": "View"}]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    emu.approve_template("order_spm", "en")
        .await
        .expect("approve");
    app.eventually("approved", || async {
        let (_, v) = app.get("/api/v1/templates", &key).await;
        (v["items"].as_array().into_iter().flatten())
            .any(|t| t["name"] == "order_spm" && t["status"] == "APPROVED")
            .then_some(())
    })
    .await;
    // Variant 7002 is sold out, 7001 in stock; both pushed to the connected catalog.
    let product = json!({"id": 70, "title": "Mug", "handle": "mug", "status": "active",
        "vendor": "Acme", "updated_at": "2026-11-01T00:00:00Z",
        "images": [{"id": 701, "product_id": 70, "position": 1, "src": "https://cdn.shopify.com/mug.jpg"}],
        "variants": [{"id": 7001, "product_id": 70, "title": "Blue", "price": "9.00", "inventory_quantity": 4},
                     {"id": 7002, "product_id": 70, "title": "Red", "price": "9.00", "inventory_quantity": 0}]});
    app.webhook_ok(
        SHOP,
        "products/create",
        "p-70",
        &serde_json::to_vec(&product).expect("json"),
    )
    .await;
    let catalog = emu.add_catalog("Mugs", true);
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(json!({"mode": "link",
            "catalog_id": catalog, "token": crate::whatsapp_send::TOKEN, "currency": "EUR"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.eventually("the catalog pushed", || async {
        (emu.catalog_items(&catalog).len() == 2).then_some(())
    })
    .await;
    app.eventually("SYNCED", || async {
        let (_, p) = app.get("/api/v1/products/70", &key).await;
        (p["meta_sync"]["variants"][0]["status"] == "SYNCED").then_some(())
    })
    .await;
    active_flow(
        &app,
        &key,
        json!({"name": "One item", "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
            {"id": "show", "type": "ACTION", "template": {"name": "order_spm", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}],
             "products": {"from": "ORDER"}}],
            "edges": [{"from": "t", "to": "show"}], "settings": {"frequency_cap": "EVER"}}),
    )
    .await;
    customer(&app, 8501, "Olga", true).await;
    let mut o = Order::new(9501, 8501);
    o.lines = vec![
        LineItem {
            variant_id: 7002,
            product_id: 70,
            ..LineItem::new(9502, 900)
        },
        LineItem {
            variant_id: 7001,
            product_id: 70,
            ..LineItem::new(9503, 900)
        },
    ];
    app.webhook_ok(SHOP, "orders/create", "o-9501", &to_bytes(&o.body()))
        .await;
    let sent = app
        .eventually("the SPM template", || async {
            emu.sent()
                .into_iter()
                .find(|m| m.body["template"]["name"] == "order_spm")
        })
        .await;
    let components = sent.body["template"]["components"].clone();
    let header = (components.as_array().into_iter().flatten())
        .find(|c| c["type"] == "header")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        header["parameters"][0],
        json!({"type": "product", "product": {"product_retailer_id": "7001", "catalog_id": catalog}}),
        "the sold-out 7002 is left out: {components}"
    );
    app.eventually("accepted", || async {
        let (_, runs) = app.get("/api/v1/contacts/8501/runs", &key).await;
        (runs["items"][0]["status"] == "COMPLETED").then_some(())
    })
    .await;
}
