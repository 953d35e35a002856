//! Usage metering: each template message counts once when the Meta emulator reports it
//! delivered; 80, 90 and 100 % of the plan are recorded as events; at 100 % a marketing
//! send is refused with the reason while a utility send still goes.

use crate::automations::{setup_with, PHONE};
use reqwest::Method;
use serde_json::json;

fn template(name: &str, purpose: &str) -> serde_json::Value {
    json!({"to": PHONE, "purpose": purpose, "message": {
        "type": "template", "name": name, "language": "en",
        "body": [{"text": "Ana"}, {"text": "https://x"}]}})
}

#[tokio::test]
async fn delivered_templates_count_once_and_a_used_up_plan_blocks_marketing_only() {
    let (_emu, app, key) = setup_with(1, |s| {
        s.billing.enabled = true;
        s.billing.plans.push(galantis::config::PlanSettings {
            name: "Tiny".into(),
            price_usd: 0,
            conversations: 3,
        });
        s.billing.plan = "Tiny".into();
    })
    .await;
    let (_, v) = app.get("/api/v1/billing", &key).await;
    assert_eq!(
        (
            v["plan"].as_str(),
            v["included"].as_u64(),
            v["used"].as_u64()
        ),
        (Some("Tiny"), Some(3), Some(0)),
        "{v}"
    );
    for _ in 0..3 {
        let (s, v) = app
            .send(
                Method::POST,
                "/api/v1/messages",
                &key,
                Some(template("cart_std", "marketing")),
            )
            .await;
        assert_eq!(s, 202, "{v}");
    }
    let used = app
        .eventually("three conversations counted", || async {
            let (_, v) = app.get("/api/v1/billing", &key).await;
            (v["used"] == 3).then_some(v)
        })
        .await;
    assert_eq!(
        (
            used["percent"].as_u64(),
            used["marketing_blocked"].as_bool()
        ),
        (Some(100), Some(true)),
        "{used}"
    );
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    assert!(
        h["billing_warnings"]
            .to_string()
            .contains("marketing messages are blocked"),
        "the health view says why marketing stops: {h}"
    );
    let events = app.events(&key).await;
    let mut thresholds: Vec<u64> = events
        .iter()
        .filter(|e| e["type"] == "UsageThreshold")
        .filter_map(|e| e["data"]["percent"].as_u64())
        .collect();
    thresholds.sort_unstable();
    assert_eq!(thresholds, vec![80, 90, 100], "{events:?}");
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/messages",
            &key,
            Some(template("cart_std", "marketing")),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("plan_usage_exhausted")),
        "{v}"
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Tiny plan's 3 conversations"),
        "{v}"
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/messages",
            &key,
            Some(template("order_thanks", "utility")),
        )
        .await;
    assert_eq!(s, 202, "a utility message still goes: {v}");
}

/// Posts a signed `app_subscriptions/update` as Shopify would.
async fn subscription_update(
    app: &crate::helpers::TestApp,
    shop: &str,
    id: &str,
    status: &str,
    at: &str,
) {
    let body = json!({"app_subscription": {"admin_graphql_api_id": id, "name": "Growth",
        "status": status, "created_at": at, "updated_at": at}});
    app.webhook_ok(
        shop,
        "app_subscriptions/update",
        &format!("sub-{status}-{at}"),
        &serde_json::to_vec(&body).expect("json"),
    )
    .await;
}

#[tokio::test]
async fn a_merchant_subscribes_through_shopify_and_the_plan_follows_the_webhooks_in_their_time_order(
) {
    use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
    const SHOP: &str = "plans.myshopify.com";
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        client_secret: crate::helpers::SECRET.into(),
        ..ShopifyEmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let base = emu.base_url().to_string();
    let app = crate::helpers::spawn_app_with(move |s| {
        s.shopify.admin_base_url = Some(base.clone());
        s.shopify.app_url = Some("https://app.example".into());
        s.billing.enabled = true;
    })
    .await;
    let key = app.create_tenant(SHOP).await;
    emu.add_shop(SHOP, "shpat_test_token", "Plans");
    emu.add_subscription(
        SHOP,
        "APP_SUBSCRIPTIONS_UPDATE",
        &format!("{}/webhooks/shopify", app.base),
    );
    let (_, v) = app.get("/api/v1/billing", &key).await;
    assert_eq!(
        (v["plan"].as_str(), v["included"].as_u64()),
        (Some("Starter"), Some(50)),
        "before subscribing, the default plan: {v}"
    );
    let path = "/api/v1/billing/subscription";
    let (s, v) = app
        .send(Method::POST, path, &key, Some(json!({"plan": "Gold"})))
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("unknown_plan")), "{v}");
    assert!(
        v["message"].as_str().unwrap_or_default().contains("Growth"),
        "{v}"
    );
    let (s, sub) = app
        .send(Method::POST, path, &key, Some(json!({"plan": "Growth"})))
        .await;
    assert_eq!((s, sub["status"].as_str()), (201, Some("PENDING")), "{sub}");
    let id = sub["id"].as_str().expect("id").to_string();
    let (_, v) = app.get("/api/v1/billing", &key).await;
    assert_eq!(v["plan"], "Starter", "not in force before approval: {v}");
    assert!(
        v["warnings"].to_string().contains("waits for the merchant"),
        "{v}"
    );
    // The merchant approves at Shopify and is sent back to the app.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = browser
        .get(sub["confirmation_url"].as_str().expect("url"))
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 302);
    let back = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        back.starts_with(&format!(
            "https://app.example/shopify/billing/return?shop={SHOP}&charge_id="
        )),
        "{back}"
    );
    let v = app
        .eventually("Growth in force", || async {
            let (_, v) = app.get("/api/v1/billing", &key).await;
            (v["plan"] == "Growth").then_some(v)
        })
        .await;
    assert_eq!(
        (v["trial"].as_bool(), v["included"].as_u64()),
        (Some(true), Some(10)),
        "the trial's conversations first: {v}"
    );
    assert_eq!(
        v["subscriptions"]["pending"],
        serde_json::Value::Null,
        "{v}"
    );
    // A delivery older than the one applied changes nothing; a newer one does. (Updates
    // are applied in the order they came: once a later one shows, the earlier one was
    // applied.)
    subscription_update(&app, SHOP, &id, "CANCELLED", "2020-01-01T00:00:00Z").await;
    subscription_update(
        &app,
        SHOP,
        "gid://shopify/AppSubscription/999",
        "PENDING",
        "2098-01-01T00:00:00Z",
    )
    .await;
    let v = app
        .eventually("the later delivery applied", || async {
            let (_, v) = app.get("/api/v1/billing", &key).await;
            (v["subscriptions"]["pending"]["id"] == "gid://shopify/AppSubscription/999")
                .then_some(v)
        })
        .await;
    assert_eq!(v["plan"], "Growth", "the stale CANCELLED was ignored: {v}");
    subscription_update(&app, SHOP, &id, "FROZEN", "2099-01-01T00:00:00Z").await;
    let v = app
        .eventually("frozen", || async {
            let (_, v) = app.get("/api/v1/billing", &key).await;
            (v["plan"] == "Starter").then_some(v)
        })
        .await;
    assert!(v["warnings"].to_string().contains("frozen"), "{v}");
}
