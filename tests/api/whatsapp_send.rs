//! Outbound WhatsApp end to end against the Meta emulator: replies reach Meta, statuses
//! come back and never go backwards, retries follow Meta's error classes, a revoked token
//! turns health red without a retry storm, templates go through review.

use crate::helpers::{spawn_app_with, TestApp, META_SECRET};
use galantis::sandbox::meta::{
    AccountRegistration, EmulatorConfig, Fault, MetaEmulator, StatusDelays,
};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

pub const SHOP: &str = "send.myshopify.com";
pub const WABA: &str = "102290129340398";
pub const NUMBER: &str = "106540352242922";
pub const TOKEN: &str = "EAAG-emulated-token";
pub const CUSTOMER: &str = "447700900123";

pub fn emulator_config() -> EmulatorConfig {
    EmulatorConfig {
        app_secret: META_SECRET.into(),
        accounts: vec![AccountRegistration {
            token: TOKEN.into(),
            waba_id: WABA.into(),
            phone_number_ids: vec![NUMBER.into()],
        }],
        status_delays: StatusDelays {
            sent: Duration::from_millis(5),
            delivered: Duration::from_millis(10),
            read: Duration::from_millis(15),
        },
        pair_burst: 1_000,
        timeout_fault_delay: Duration::from_secs(3),
        ..EmulatorConfig::default()
    }
}

/// Emulator + engine wired both ways, a WhatsApp tenant, and an open thread.
pub async fn setup(cfg: EmulatorConfig) -> (MetaEmulator, TestApp, String, u64) {
    let emu = MetaEmulator::start(cfg).await.expect("emulator");
    let base = emu.base_url().to_string();
    let app = spawn_app_with(move |s| {
        s.meta.base_url = base.clone();
        s.meta.pair_burst = 1_000;
    })
    .await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", app.base));
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], TOKEN)
        .await;
    emu.customer_says(NUMBER, CUSTOMER, "Hi, is the blue one back?")
        .await
        .expect("inbound");
    let thread = app
        .eventually("a thread", || async {
            let (_, v) = app.get("/api/v1/threads", &key).await;
            v["items"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|t| t["id"].as_u64())
        })
        .await;
    (emu, app, key, thread)
}

pub async fn reply(app: &TestApp, key: &str, thread: u64, text: &str) -> Value {
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/threads/{thread}/reply"),
            key,
            Some(json!({"author": "ana", "message": {"type": "text", "text": text}})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    v
}

pub async fn message_until(
    app: &TestApp,
    key: &str,
    id: u64,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    app.eventually("message state", || async {
        let (_, m) = app.get(&format!("/api/v1/messages/{id}"), key).await;
        pred(&m).then_some(m)
    })
    .await
}

#[tokio::test]
async fn a_reply_reaches_meta_and_its_statuses_come_back() {
    let (emu, app, key, thread) = setup(emulator_config()).await;
    let m = reply(&app, &key, thread, "Yes! Back in stock today.").await;
    assert_eq!(m["status"], "queued");
    let id = m["id"].as_u64().expect("id");
    let m = message_until(&app, &key, id, |m| m["status"] == "read").await;
    let sent = emu.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(m["wamid"].as_str(), Some(sent[0].wamid.as_str()));
    assert_eq!(sent[0].to, CUSTOMER);
    assert_eq!(sent[0].body["text"]["body"], "Yes! Back in stock today.");
    // Reading the thread sends Meta a read receipt for the customer's message.
    app.send(
        Method::POST,
        &format!("/api/v1/threads/{thread}/read"),
        &key,
        None,
    )
    .await;
    app.eventually("a read receipt", || async {
        (!emu.marked_read().is_empty()).then_some(())
    })
    .await;
    // The first agent to reply took the thread.
    let (_, t) = app.get(&format!("/api/v1/threads/{thread}"), &key).await;
    assert_eq!(t["thread"]["assignee"], "ana");
    assert_eq!(t["thread"]["unread"], 0);
    // A late, older status does not move a message back. Meta already sent every status
    // of the first reply, and a repeat of one is deduped before the rule runs, so a second
    // reply gets its statuses from the test alone.
    emu.clear_webhook_url();
    let id2 = reply(&app, &key, thread, "And a second one.").await["id"]
        .as_u64()
        .expect("id");
    let m2 = message_until(&app, &key, id2, |m| m["wamid"].is_string()).await;
    let wamid2 = m2["wamid"].as_str().expect("wamid").to_string();
    assert_fresh(&app, &status_webhook(&wamid2, "read")).await;
    message_until(&app, &key, id2, |m| m["status"] == "read").await;
    assert_fresh(&app, &status_webhook(&wamid2, "delivered")).await;
    // The late status was applied once a customer message journaled after it is in the
    // thread: both go to the tenant's conversations actor, in journal order.
    assert_fresh(
        &app,
        &inbound_webhook("wamid.after-the-late-status", "ping"),
    )
    .await;
    app.eventually("the message after the late status", || async {
        let (_, t) = app.get(&format!("/api/v1/threads/{thread}"), &key).await;
        t["messages"].to_string().contains("ping").then_some(())
    })
    .await;
    let (_, m2) = app.get(&format!("/api/v1/messages/{id2}"), &key).await;
    assert_eq!(m2["status"], "read", "{m2}");
}

/// A Meta delivery with one `statuses[]` entry for `wamid`.
fn status_webhook(wamid: &str, status: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
        "statuses": [{"id": wamid, "status": status, "timestamp": "1700000000", "recipient_id": CUSTOMER}]}}]}]})
}

/// A Meta delivery with one inbound text from the customer.
fn inbound_webhook(wamid: &str, text: &str) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
        "contacts": [{"profile": {"name": "Customer"}, "wa_id": CUSTOMER}],
        "messages": [{"from": CUSTOMER, "id": wamid, "timestamp": "1700000001", "type": "text", "text": {"body": text}}]}}]}]})
}

/// Posts a Meta delivery and asserts that its one event was journaled (not a duplicate):
/// only then does it reach the rule under test.
async fn assert_fresh(app: &TestApp, delivery: &Value) {
    let r = app
        .meta_webhook(&serde_json::to_vec(delivery).expect("json"))
        .await;
    assert_eq!(r.status(), 200);
    let ack: Value = r.json().await.expect("ack");
    assert_eq!(
        (ack["accepted"].as_u64(), ack["duplicates"].as_u64()),
        (Some(1), Some(0)),
        "{ack}"
    );
}

#[tokio::test]
async fn retryable_meta_errors_are_retried_until_accepted() {
    let (emu, app, key, thread) = setup(emulator_config()).await;
    emu.fail_next(Fault::RateLimited, 1);
    emu.fail_next(Fault::ServerError, 1);
    let id = reply(&app, &key, thread, "after two failures").await["id"]
        .as_u64()
        .expect("id");
    let m = message_until(&app, &key, id, |m| m["wamid"].is_string()).await;
    assert_eq!(m["attempts"], 3, "{m}");
    assert_eq!(emu.sent().len(), 1, "accepted once");
    // A final error is not retried and keeps Meta's code.
    emu.fail_next(Fault::Final(131026), 1);
    let id = reply(&app, &key, thread, "undeliverable").await["id"]
        .as_u64()
        .expect("id");
    let m = message_until(&app, &key, id, |m| m["status"] == "failed").await;
    assert_eq!(
        (m["error"]["code"].as_i64(), m["attempts"].as_u64()),
        (Some(131026), Some(1)),
        "{m}"
    );
}

#[tokio::test]
async fn a_revoked_token_turns_health_red_fails_the_message_and_stops_retrying() {
    let (emu, app, key, thread) = setup(emulator_config()).await;
    emu.revoke_token(TOKEN);
    let id = reply(&app, &key, thread, "will not go").await["id"]
        .as_u64()
        .expect("id");
    let m = message_until(&app, &key, id, |m| m["status"] == "failed").await;
    assert_eq!(m["error"]["code"], 190, "{m}");
    assert!(
        m["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("token"),
        "{m}"
    );
    assert_eq!(m["attempts"], 1, "no retries beyond one");
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(h["meta"]["state"], "red", "{h}");
    assert_eq!(h["meta"]["token"], "invalid");
    assert!(
        h["meta"]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("190"),
        "{h}"
    );
    // Further replies are held, not hammered against Meta.
    let calls_before = emu.calls().get("send_message").copied().unwrap_or(0);
    let id2 = reply(&app, &key, thread, "held").await["id"]
        .as_u64()
        .expect("id");
    // The conversations actor answers this read only after the dispatch round that
    // followed the queueing: a round that sent would have marked the message in flight
    // (stored, attempts counted) before the send.
    let (_, m2) = app.get(&format!("/api/v1/messages/{id2}"), &key).await;
    assert_eq!(
        (
            m2["status"].as_str(),
            m2["attempts"].as_u64(),
            m2["in_flight"].as_bool()
        ),
        (Some("queued"), Some(0), Some(false)),
        "held, never tried: {m2}"
    );
    assert_eq!(
        emu.calls().get("send_message").copied().unwrap_or(0),
        calls_before
    );
    // A new token lets the held message go.
    emu.register_account("EAAG-new-token", WABA, &[NUMBER]);
    let (s, _) = app
        .send(
            Method::PUT,
            "/api/v1/integrations/meta",
            &key,
            Some(json!({"access_token": "EAAG-new-token"})),
        )
        .await;
    assert_eq!(s, 204);
    message_until(&app, &key, id2, |m| m["wamid"].is_string()).await;
}

#[tokio::test]
async fn templates_are_reviewed_before_they_can_be_sent() {
    let (emu, app, key, _thread) = setup(emulator_config()).await;
    let (s, t) = app
        .send(
            Method::POST,
            "/api/v1/templates",
            &key,
            Some(json!({
            "name": "back_in_stock", "language": "en_US", "category": "MARKETING",
            "body": "Hi {{1}}, {{2}} is back in stock!", "body_examples": ["Ana", "the blue tee"],
            "buttons": [{"type": "quick_reply", "text": "Show me"}]})),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["status"], "PENDING", "Meta's word");
    let send = json!({"to": format!("+{CUSTOMER}"), "purpose": "marketing", "message": {
        "type": "template", "name": "back_in_stock", "language": "en_US",
        "body": [{"text": "Ana"}, {"text": "the blue tee"}], "quick_replies": ["SHOW"]}});
    let (s, v) = app
        .send(Method::POST, "/api/v1/messages", &key, Some(send.clone()))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("template_not_sendable")),
        "{v}"
    );
    let text = v["message"].as_str().unwrap_or_default();
    assert!(
        text.contains("status PENDING") && !text.contains("PendingApproval"),
        "states are named as Meta names them: {text}"
    );
    assert!(emu.sent().is_empty());
    emu.approve_template("back_in_stock", "en_US")
        .await
        .expect("approve");
    app.eventually("approval", || async {
        let (_, v) = app.get("/api/v1/templates", &key).await;
        (v["items"][0]["status"] == "APPROVED").then_some(())
    })
    .await;
    let (s, v) = app
        .send(Method::POST, "/api/v1/messages", &key, Some(send))
        .await;
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_u64().expect("id");
    message_until(&app, &key, id, |m| m["wamid"].is_string()).await;
    let sent = emu.sent();
    assert_eq!(sent[0].body["template"]["name"], "back_in_stock");
    // Deleting removes it at Meta and here.
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/v1/templates/back_in_stock",
            &key,
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        app.get("/api/v1/templates", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn integration_health_checks_the_token_and_numbers() {
    let (_emu, app, key, _thread) = setup(emulator_config()).await;
    let (s, h) = app
        .send(
            Method::POST,
            "/api/v1/integrations/health/check",
            &key,
            None,
        )
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["meta"]["token"], "valid", "{h}");
    assert_eq!(h["meta"]["state"], "green", "{h}");
    assert_eq!(h["shopify"]["token"], "stored");
}
