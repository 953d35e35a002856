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
