//! The abandoned-checkout poll (the real `abandonedCheckouts` query against the Shopify
//! emulator) feeds the same trigger as the webhooks: a checkout only the poll sees starts
//! its flow; a checkout seen by both paths, in either order, starts one run and one
//! message.

use crate::automations::{active_flow, cart_flow, checkout, customer, setup_with, PHONE};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use reqwest::Method;
use serde_json::Value;

const SHOP: &str = "flows.myshopify.com";

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn a_checkout_seen_by_poll_and_webhook_triggers_once_whichever_comes_first() {
    let shopify = ShopifyEmulator::start(ShopifyEmulatorConfig::default())
        .await
        .expect("shopify emulator");
    let admin = shopify.base_url().to_string();
    // 30 minutes of flow time pass in half a second.
    let (emu, app, key) = setup_with(3_600, move |s| {
        s.shopify.admin_base_url = Some(admin.clone());
    })
    .await;
    shopify.add_shop(SHOP, "shpat_test_token", "Flows");
    let flow = active_flow(&app, &key, cart_flow()).await;
    customer(&app, 7801, "Pia", true).await;
    // Another contact for the second checkout (the flow's 7-day cap is per contact).
    customer(&app, 7802, "Rui", true).await;
    let now = galantis::domain::Timestamp::now().millis();
    let path = "/api/v1/integrations/shopify/checkouts/poll";

    // 901: only the poll sees it, then its webhook arrives too (poll first).
    shopify.add_abandoned_checkout(
        SHOP,
        901,
        (7801, "Pia", PHONE),
        "150.00",
        &rfc3339(now - 60_000),
    );
    let (s, v) = app.send(Method::POST, path, &key, None).await;
    assert_eq!((s, v["new"].as_u64()), (200, Some(1)), "{v}");
    app.webhook_ok(
        SHOP,
        "checkouts/update",
        "k-901",
        &checkout(901, 7801, 15_000, &rfc3339(now - 60_000)),
    )
    .await;
    // 902: the webhook first, then the poll reports the same checkout.
    app.webhook_ok(
        SHOP,
        "checkouts/create",
        "k-902",
        &checkout(902, 7802, 2_000, &rfc3339(now - 30_000)),
    )
    .await;
    shopify.add_abandoned_checkout(
        SHOP,
        902,
        (7801, "Pia", PHONE),
        "20.00",
        &rfc3339(now - 30_000),
    );
    let (s, v) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(
        (s, v["checked"].as_u64()),
        (200, Some(1)),
        "only what changed since the mark: {v}"
    );
    // A second poll finds nothing new.
    let (_, v) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(v["checked"].as_u64(), Some(0), "{v}");

    let runs = app
        .eventually("a run per checkout, each finished", || async {
            let (_, v) = app
                .get(&format!("/api/v1/flows/{flow}/runs?limit=100"), &key)
                .await;
            let items = v["items"].as_array().cloned().unwrap_or_default();
            let finished = items
                .iter()
                .all(|r| r["status"] != "WAITING" && r["status"] != "RUNNING");
            (items.len() == 2 && finished).then_some(items)
        })
        .await;
    let mut ids: Vec<String> = runs
        .iter()
        .map(|r| {
            r["context"]["checkout_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    ids.sort();
    assert_eq!(ids, ["901", "902"], "one run per checkout: {runs:?}");
    crate::automations::handled(&app, &key, |_| true).await;
    let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
    assert_eq!(v["counts"]["enrolled"], 2, "{v}");
    let sent: Vec<Value> = emu
        .sent()
        .iter()
        .filter(|m| m.body["type"] == "template")
        .map(|m| m.body.clone())
        .collect();
    assert_eq!(sent.len(), 2, "one message per checkout: {sent:?}");
}
