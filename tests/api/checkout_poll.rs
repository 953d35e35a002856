//! The abandoned-checkout poll (the real `abandonedCheckouts` query against the Shopify
//! emulator) feeds the same trigger as the webhooks: a checkout only the poll sees starts
//! its flow; a checkout seen by both paths, in either order, starts one run and one
//! message; the poll's mark survives a restart (nothing read or triggered again); a
//! refused token turns the Shopify health red; the periodic poll (a period shortened to
//! a fraction of a second) triggers a flow without anyone asking.

use crate::automations::{active_flow, cart_flow, checkout, customer, setup_with, PHONE};
use crate::helpers::TestApp;
use galantis::sandbox::meta::MetaEmulator;
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig, ShopifyFault};
use reqwest::Method;
use serde_json::Value;

const SHOP: &str = "flows.myshopify.com";
const POLL: &str = "/api/v1/integrations/shopify/checkouts/poll";

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The Shopify emulator hosting the shop, the Meta emulator, the engine pointed at both
/// (30 minutes of flow time pass in half a second), its key, and the active
/// abandoned-checkout flow.
async fn start() -> (ShopifyEmulator, MetaEmulator, TestApp, String, u64) {
    start_polling_every(0.0).await
}

/// [`start`] with the periodic poll every `minutes` (0: only on demand).
async fn start_polling_every(
    minutes: f64,
) -> (ShopifyEmulator, MetaEmulator, TestApp, String, u64) {
    // A fast-refilling bucket: the emulator charges a query's requested cost in full (no
    // refund of the actual cost, unlike Shopify), so back-to-back polls of 797 points
    // would each wait for the bucket at Shopify's 100 points/s.
    let config = ShopifyEmulatorConfig {
        restore_rate: 10_000.0,
        ..ShopifyEmulatorConfig::default()
    };
    let shopify = ShopifyEmulator::start(config)
        .await
        .expect("shopify emulator");
    let admin = shopify.base_url().to_string();
    let (emu, app, key) = setup_with(3_600, move |s| {
        s.shopify.admin_base_url = Some(admin.clone());
        s.shopify.abandoned_checkout_poll_minutes = minutes;
    })
    .await;
    shopify.add_shop(SHOP, "shpat_test_token", "Flows");
    let flow = active_flow(&app, &key, cart_flow()).await;
    (shopify, emu, app, key, flow)
}

async fn poll(app: &TestApp, key: &str) -> Value {
    let (s, v) = app.send(Method::POST, POLL, key, None).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Waits until the flow has `n` runs, none of them still going; their checkout ids.
async fn finished_runs(app: &TestApp, key: &str, flow: u64, n: usize) -> Vec<String> {
    let runs = app
        .eventually("the runs, each finished", || async {
            let (_, v) = app
                .get(&format!("/api/v1/flows/{flow}/runs?limit=100"), key)
                .await;
            let items = v["items"].as_array().cloned().unwrap_or_default();
            let finished = items
                .iter()
                .all(|r| r["status"] != "WAITING" && r["status"] != "RUNNING");
            (items.len() >= n && finished).then_some(items)
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
    ids
}

fn templates(emu: &MetaEmulator) -> Vec<Value> {
    emu.sent()
        .iter()
        .filter(|m| m.body["type"] == "template")
        .map(|m| m.body.clone())
        .collect()
}

#[tokio::test]
async fn a_checkout_seen_by_poll_and_webhook_triggers_once_whichever_comes_first() {
    let (shopify, emu, app, key, flow) = start().await;
    // One contact per checkout (the flow's 7-day cap is per contact).
    customer(&app, 7801, "Pia", true).await;
    customer(&app, 7802, "Rui", true).await;
    customer(&app, 7803, "Ivo", true).await;
    let now = galantis::domain::Timestamp::now().millis();

    // 901: the poll sees it first, then its webhook (same version) arrives too.
    let at901 = rfc3339(now - 60_000);
    shopify.add_abandoned_checkout(SHOP, 901, (7801, "Pia", PHONE), "150.00", &at901);
    let v = poll(&app, &key).await;
    assert_eq!(v["new"].as_u64(), Some(1), "{v}");
    app.webhook_ok(
        SHOP,
        "checkouts/update",
        "k-901",
        &checkout(901, 7801, 15_000, &at901),
    )
    .await;
    // 902: the webhook first, then the poll reports the same checkout.
    let at902 = rfc3339(now - 30_000);
    app.webhook_ok(
        SHOP,
        "checkouts/create",
        "k-902",
        &checkout(902, 7802, 2_000, &at902),
    )
    .await;
    shopify.add_abandoned_checkout(SHOP, 902, (7802, "Rui", PHONE), "20.00", &at902);
    // 903: only the poll ever sees it.
    let at903 = rfc3339(now - 20_000);
    shopify.add_abandoned_checkout(SHOP, 903, (7803, "Ivo", PHONE), "30.00", &at903);
    let v = poll(&app, &key).await;
    assert_eq!(
        (v["new"].as_u64(), v["mark"].as_str()),
        (Some(2), Some(at903.as_str())),
        "902 and 903 are new; 901 (in the overlap) is not: {v}"
    );
    // Polled again: nothing new.
    let v = poll(&app, &key).await;
    assert_eq!(v["new"].as_u64(), Some(0), "{v}");

    let ids = finished_runs(&app, &key, flow, 3).await;
    assert_eq!(ids, ["901", "902", "903"], "one run per checkout");
    crate::automations::handled(&app, &key, |_| true).await;
    let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
    assert_eq!(v["counts"]["enrolled"], 3, "{v}");
    // The runs are done; their messages leave through the outbox.
    let sent = app
        .eventually("the three messages sent", || async {
            let sent = templates(&emu);
            (sent.len() >= 3).then_some(sent)
        })
        .await;
    assert_eq!(sent.len(), 3, "one message per checkout: {sent:?}");
    let text = serde_json::to_string(&sent).unwrap_or_default();
    assert!(
        text.contains("/checkouts/ac/tok-903/recover"),
        "the polled-only checkout's recovery link is sent: {text}"
    );
}

#[tokio::test]
async fn the_poll_mark_survives_a_restart_and_a_refused_token_turns_health_red() {
    let (shopify, emu, app, key, flow) = start().await;
    customer(&app, 7811, "Ada", true).await;
    let now = galantis::domain::Timestamp::now().millis();
    let at = rfc3339(now - 60_000);
    shopify.add_abandoned_checkout(SHOP, 911, (7811, "Ada", PHONE), "150.00", &at);
    let v = poll(&app, &key).await;
    assert_eq!(
        (v["new"].as_u64(), v["mark"].as_str()),
        (Some(1), Some(at.as_str()))
    );
    assert_eq!(finished_runs(&app, &key, flow, 1).await, ["911"]);
    crate::automations::handled(&app, &key, |_| true).await;

    // A checkout older than the mark (by more than the overlap) shows up after the poll:
    // a restart that lost the mark would look back six hours and read it.
    customer(&app, 7812, "Bea", true).await;
    shopify.add_abandoned_checkout(
        SHOP,
        912,
        (7812, "Bea", PHONE),
        "20.00",
        &rfc3339(now - 3_600_000),
    );
    let app = app.restart().await;
    let v = poll(&app, &key).await;
    assert_eq!(
        (v["new"].as_u64(), v["checked"].as_u64(), v["mark"].as_str()),
        (Some(0), Some(1), Some(at.as_str())),
        "from the stored mark: only 911 (the overlap) read again, nothing new: {v}"
    );
    crate::automations::handled(&app, &key, |_| true).await;
    assert_eq!(finished_runs(&app, &key, flow, 1).await, ["911"]);
    let sent = app
        .eventually("911's message sent", || async {
            let n = templates(&emu).len();
            (n >= 1).then_some(n)
        })
        .await;
    assert_eq!(sent, 1, "no message again after the restart");

    // Shopify refuses the token: the poll fails and the health turns red with the cause.
    shopify.fail_next(ShopifyFault::Status(401));
    let (s, v) = app.send(Method::POST, POLL, &key, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("shopify_token_invalid")),
        "{v}"
    );
    let (_, health) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(
        (
            health["shopify"]["state"].as_str(),
            health["shopify"]["token"].as_str()
        ),
        (Some("red"), Some("invalid")),
        "{health}"
    );
    assert!(
        health["shopify"]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("401"),
        "{health}"
    );
    // The next successful poll clears it.
    poll(&app, &key).await;
    let (_, health) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(health["shopify"]["state"], "green", "{health}");
}

#[tokio::test]
async fn the_periodic_poll_triggers_the_flow_by_itself() {
    // Every 0.3 s instead of every 10 minutes.
    let (shopify, emu, app, key, flow) = start_polling_every(0.005).await;
    customer(&app, 7821, "Eva", true).await;
    let now = galantis::domain::Timestamp::now().millis();
    shopify.add_abandoned_checkout(
        SHOP,
        921,
        (7821, "Eva", PHONE),
        "150.00",
        &rfc3339(now - 60_000),
    );
    assert_eq!(finished_runs(&app, &key, flow, 1).await, ["921"]);
    crate::automations::handled(&app, &key, |_| true).await;
    app.eventually("the message", || async {
        (templates(&emu).len() == 1).then_some(())
    })
    .await;
    assert!(
        shopify
            .calls()
            .get("AbandonedCheckouts")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{:?}",
        shopify.calls()
    );
}
