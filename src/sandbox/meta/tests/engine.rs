//! End to end with the real engine: a customer writes through the emulator, the engine's
//! inbox gets the thread, an agent replies through the admin API, the engine's outbox
//! sends it to the emulator, and the status webhooks come back to the engine.

use super::*;
use crate::app::Application;
use crate::config::{LogFormat, Secret, Settings};
use serde_json::json;

const OPERATOR: &str = "operator-token-for-the-emulator-test";
const SHOP: &str = "emu-test.myshopify.com";

#[tokio::test]
async fn the_engine_chats_through_the_emulator() {
    let dir = tempfile::tempdir().unwrap();
    let emu = MetaEmulator::start(EmulatorConfig {
        app_secret: SECRET.into(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    emu.register_account(TOKEN, WABA, &[PNID]);
    let mut s = Settings::default();
    s.server.listen = "127.0.0.1:0".parse().unwrap();
    s.store.data_dir = dir.path().to_path_buf();
    s.security.master_key = Secret::new("11".repeat(32));
    s.security.operator_token = Secret::new(OPERATOR);
    s.shopify.client_secret = Secret::new("shpss_test");
    s.meta.app_secret = Secret::new(SECRET);
    s.meta.verify_token = Secret::new("verify");
    s.meta.base_url = emu.base_url().to_owned();
    s.meta.graph_version = emu.graph_version().to_owned();
    s.meta.template_sync_minutes = 0;
    s.log.format = LogFormat::Pretty;
    let app = Application::build(s).await.unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let op = |r: reqwest::RequestBuilder| r.bearer_auth(OPERATOR).header("X-Galantis-Shop", SHOP);
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(OPERATOR)
        .json(&json!({"shop": SHOP, "shopify_access_token": "shpat_x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = op(http.put(format!("{base}/api/v1/integrations/meta")))
        .json(&json!({"access_token": TOKEN, "waba_id": WABA}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let r = op(http.post(format!("{base}/api/v1/phone-numbers")))
        .json(&json!({"phone_number_id": PNID}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    emu.set_webhook_url(&format!("{base}/webhooks/meta"));

    emu.customer_says(PNID, CUSTOMER, "Where is my order?")
        .await
        .unwrap();
    assert!(
        emu.webhook_failures().is_empty(),
        "{:?}",
        emu.webhook_failures()
    );
    let mut thread = Value::Null;
    for _ in 0..100 {
        let list: Value = op(http.get(format!("{base}/api/v1/threads")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(t) = list["items"].as_array().and_then(|l| l.first()) {
            thread = t.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let id = thread["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no thread: {thread}"));
    let r = op(http.post(format!("{base}/api/v1/threads/{id}/reply")))
        .json(&json!({"message": {"type": "text", "text": "On its way!"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let mut view = Value::Null;
    for _ in 0..200 {
        view = op(http.get(format!("{base}/api/v1/threads/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let read = view["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["direction"] == "outbound" && m["status"] == "read");
        if read {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = emu.sent();
    assert_eq!(sent.len(), 1, "{view}");
    assert_eq!(sent[0].body["text"]["body"], "On its way!");
    let out = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["direction"] == "outbound")
        .unwrap()
        .clone();
    assert_eq!(out["wamid"], sent[0].wamid.as_str(), "{view}");
    assert_eq!(out["status"], "read", "{view}");
    assert!(
        emu.webhook_failures().is_empty(),
        "{:?}",
        emu.webhook_failures()
    );

    let health: Value = op(http.post(format!("{base}/api/v1/integrations/health/check")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["meta"]["token"], "valid", "{health}");
    emu.revoke_token(TOKEN);
    let health: Value = op(http.post(format!("{base}/api/v1/integrations/health/check")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["meta"]["token"], "invalid", "{health}");
}
