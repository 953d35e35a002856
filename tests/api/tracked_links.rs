//! Tracked URL buttons: a template whose URL button is `{link_base_url}/r/{{1}}` gets a
//! fresh code per message, from a campaign and from a flow alike; the redirect forwards to
//! the destination mapped as the message's `url_suffix`, with our UTM parameters, and the
//! click counts on the campaign and on the flow's node. A destination that is not a full
//! URL is refused by name, not sent as a dead link.

use crate::automations::{active_flow, customer, setup_with, PHONE, SHOP};
use crate::campaigns::{contact, create, launch, list, wait_status};
use crate::helpers::{order_body, TestApp};
use galantis::sandbox::meta::MetaEmulator;
use reqwest::Method;
use serde_json::{json, Value};

const BASE: &str = "https://links.example";

async fn button_template(app: &TestApp, emu: &MetaEmulator, key: &str) {
    let (s, v) = app
        .send(Method::POST, "/api/v1/templates", key, Some(json!({
            "name": "boots_drop", "language": "en", "category": "MARKETING",
            "body": "Hi {{1}}, new boots are in.", "body_examples": ["Ana"],
            "buttons": [{"type": "url", "text": "Shop boots", "url": format!("{BASE}/r/{{{{1}}}}"), "example": "abc123"}]})))
        .await;
    assert_eq!(s, 201, "{v}");
    emu.approve_template("boots_drop", "en")
        .await
        .expect("approve");
    app.eventually("the button template approved", || async {
        let (_, v) = app.get("/api/v1/templates", key).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .any(|t| t["name"] == "boots_drop" && t["status"] == "APPROVED")
            .then_some(())
    })
    .await;
}

/// The URL button's parameter of the `n`th `boots_drop` message Meta received.
fn button_code(emu: &MetaEmulator, n: usize) -> Option<String> {
    let sent: Vec<Value> = emu
        .sent()
        .into_iter()
        .map(|m| m.body)
        .filter(|b| b["template"]["name"] == "boots_drop")
        .collect();
    let components = sent.get(n)?["template"]["components"].as_array()?.clone();
    let button = components
        .iter()
        .find(|c| c["type"] == "button" && c["sub_type"] == "url")?;
    button["parameters"][0]["text"].as_str().map(String::from)
}

/// Follows `/r/{code}` once; where it forwards.
async fn follow(app: &TestApp, code: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = client
        .get(format!("{}/r/{code}", app.base))
        .send()
        .await
        .expect("click");
    assert_eq!(r.status(), 302, "{code}");
    r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

#[tokio::test]
async fn a_tracked_url_button_counts_clicks_for_campaigns_and_flows() {
    let (emu, app, key) = setup_with(1, |s| {
        s.campaigns.link_base_url = Some(BASE.into());
    })
    .await;
    button_template(&app, &emu, &key).await;

    // A campaign: the button's code forwards to the campaign's destination.
    contact(&app, 8100, Some("+447700904001".into()), true, "GB").await;
    let one = list(&app, &key, "One", &[8100]).await;
    let id = create(
        &app,
        &key,
        json!({
        "name": "Boots", "audience": {"include_lists": [one]},
        "message": {"template": {"name": "boots_drop", "language": "en"},
                    "body": [{"source": "customer.first_name", "fallback": "there"}],
                    "url_suffix": {"text": "https://shop.example/boots"}}}),
    )
    .await;
    launch(&app, &key, &id).await;
    wait_status(&app, &key, &id, "SENT").await;
    let code = button_code(&emu, 0).expect("the campaign message's button code");
    assert!(
        code.chars().all(|c| c.is_ascii_alphanumeric()) && code.len() == 12,
        "{code}"
    );
    let to = follow(&app, &code).await;
    assert!(to.starts_with("https://shop.example/boots?"), "{to}");
    assert!(to.contains(&format!("utm_campaign=c{id}v0")), "{to}");
    app.eventually("the campaign's click", || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
        (v["results"]["clicked"] == 1).then_some(())
    })
    .await;

    // A flow: the same template from an action node; the click lands on that node.
    customer(&app, 8200, "Bea", true).await;
    let flow = active_flow(
        &app,
        &key,
        json!({
        "name": "Boots after an order",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
            {"id": "boots", "type": "ACTION", "template": {"name": "boots_drop", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}],
             "url_suffix": {"text": "https://shop.example/new-in"}}
        ],
        "edges": [{"from": "t", "to": "boots"}],
        "settings": {"frequency_cap": "HOURS_24"}}),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-82",
        &order_body(82, 8200, "2026-03-01T10:00:00Z"),
    )
    .await;
    let code = app
        .eventually("the flow's message at Meta", || async {
            button_code(&emu, 1)
        })
        .await;
    let to = follow(&app, &code).await;
    assert!(to.starts_with("https://shop.example/new-in?"), "{to}");
    assert!(to.contains(&format!("utm_campaign=f{flow}.boots")), "{to}");
    let sent = emu.sent();
    let flow_msg = sent
        .iter()
        .filter(|m| m.body["template"]["name"] == "boots_drop")
        .nth(1)
        .expect("the flow's message");
    assert_eq!(flow_msg.body["to"], PHONE, "{}", flow_msg.body);
    let a = app
        .eventually("the flow node's click", || async {
            let (_, v) = app
                .get(&format!("/api/v1/flows/{flow}/analytics"), &key)
                .await;
            (v["nodes"][0]["totals"]["clicked"] == 1).then_some(v)
        })
        .await;
    assert_eq!(a["nodes"][0]["node"], "boots", "{a}");
}

#[tokio::test]
async fn a_tracked_button_without_a_full_url_is_refused_or_skipped_by_name() {
    let (emu, app, key) = setup_with(1, |s| {
        s.campaigns.link_base_url = Some(BASE.into());
    })
    .await;
    button_template(&app, &emu, &key).await;
    contact(&app, 8300, Some("+447700904002".into()), true, "GB").await;
    let one = list(&app, &key, "One", &[8300]).await;
    let campaign = |suffix: serde_json::Value| {
        json!({"name": "Broken boots", "audience": {"include_lists": [one]},
               "message": {"template": {"name": "boots_drop", "language": "en"},
                           "body": [{"text": "Ana"}], "url_suffix": suffix}})
    };
    // A static suffix that is not a URL: refused when the campaign is written.
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/campaigns",
            &key,
            Some(campaign(json!({"text": "boots"}))),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        (v["message"].as_str().unwrap_or_default()).contains("must be a full http(s):// URL"),
        "{v}"
    );
    // A variable that turns out not to be a URL: that recipient is skipped, named.
    let id = create(
        &app,
        &key,
        campaign(json!({"source": "customer.first_name"})),
    )
    .await;
    launch(&app, &key, &id).await;
    // Every recipient handed on, none sent: the skip reason names the problem.
    let v = wait_status(&app, &key, &id, "SENT").await;
    assert_eq!(v["progress"]["skipped"]["link_invalid"], 1, "{v}");
    assert_eq!(v["progress"]["sent"], 0, "{v}");
    assert!(button_code(&emu, 0).is_none(), "nothing was sent");
}
