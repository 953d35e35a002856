//! A campaign under `kill -9` of the real binary: killed mid-send, restarted, it completes
//! with every recipient sent to once (beyond the outbox's counted in-flight window) and
//! its progress exact.

use crate::automations_crash::api;
use crate::crash::{signed_webhook, start_engine_with, wait_ready, Engine};
use crate::helpers::{META_SECRET, OPERATOR};
use crate::outbox_crash::metric;
use crate::whatsapp_send::{emulator_config, NUMBER, TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use galantis::sandbox::payloads::{to_bytes, Customer};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

const SHOP: &str = "broadcast.myshopify.com";
const RECIPIENTS: u64 = 200;

fn env(meta_base: &str) -> Vec<(&str, &str)> {
    vec![
        ("GALANTIS__META__BASE_URL", meta_base),
        ("GALANTIS_META_APP_SECRET", META_SECRET),
        ("GALANTIS__META__MESSAGES_PER_SECOND", "40"),
        ("GALANTIS__META__PAIR_BURST", "100000"),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0"),
        ("GALANTIS__CAMPAIGNS__TICK_MS", "50"),
    ]
}

fn phone(i: u64) -> String {
    format!("+447700901{i:03}")
}

/// Campaign messages the emulator received, by recipient.
fn received(emu: &MetaEmulator) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in emu.sent() {
        if m.body["template"]["name"] == "promo" {
            *out.entry(m.body["to"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    out
}

/// Tenant, an approved MARKETING template, `RECIPIENTS` subscribed contacts in a list,
/// and a campaign to it; the key and the campaign id.
async fn prepare(client: &reqwest::Client, e: &Engine, emu: &MetaEmulator) -> (String, String) {
    let v = api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/tenants", e.base),
        OPERATOR,
        Some(
            json!({"shop": SHOP, "shopify_access_token": "shpat_x", "meta_access_token": TOKEN,
                    "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]}),
        ),
    )
    .await;
    let key = v["api_key"].as_str().expect("key").to_string();
    api(client, reqwest::Method::POST, format!("{}/api/v1/templates", e.base), &key,
        Some(json!({"name": "promo", "language": "en", "category": "MARKETING",
                    "body": "Hi {{1}}, the winter sale is on (see you soon)", "body_examples": ["Ana"]}))).await;
    emu.approve_template("promo", "en").await.expect("approve");
    for _ in 0..200 {
        let v = api(
            client,
            reqwest::Method::GET,
            format!("{}/api/v1/templates", e.base),
            &key,
            None,
        )
        .await;
        if v["items"][0]["status"] == "APPROVED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let mut ids = Vec::new();
    for i in 0..RECIPIENTS {
        let id = 50_000 + i;
        let mut c = Customer::new(id);
        c.first_name = format!("Kim{i}");
        c.phone = Some(phone(i));
        signed_webhook(
            client,
            &e.base,
            SHOP,
            "customers/create",
            &format!("c-{id}"),
            to_bytes(&c.body()),
        )
        .await;
        let consent = json!({"customer_id": id, "phone_number": phone(i), "whats_app_marketing_consent": {
            "state": "subscribed", "opt_in_level": "single_opt_in",
            "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
        signed_webhook(
            client,
            &e.base,
            SHOP,
            "customers_whats_app_marketing_consent/update",
            &format!("consent-{id}"),
            serde_json::to_vec(&consent).expect("json"),
        )
        .await;
        ids.push(id.to_string());
    }
    let list = api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/lists", e.base),
        &key,
        Some(json!({"name": "Everyone"})),
    )
    .await;
    let list = list["id"].to_string().trim_matches('"').to_string();
    for _ in 0..200 {
        let r = client
            .post(format!("{}/api/v1/lists/{list}/members", e.base))
            .bearer_auth(&key)
            .json(&json!({ "contact_ids": ids }))
            .send()
            .await
            .expect("members");
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if v["added"].as_array().map(Vec::len) == Some(RECIPIENTS as usize) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let c = api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/campaigns", e.base),
        &key,
        Some(json!({"name": "Winter sale",
                    "message": {"template": {"name": "promo", "language": "en"},
                                "body": [{"source": "customer.first_name", "fallback": "there"}]},
                    "audience": {"include_lists": [list]}})),
    )
    .await;
    (key, c["id"].as_str().expect("id").to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_killed_mid_send_completes_after_restart_each_recipient_once() {
    let emu = MetaEmulator::start(emulator_config())
        .await
        .expect("emulator");
    let meta = emu.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let mut e = start_engine_with(dir.path(), &env(&meta));
    wait_ready(&client, &e.base).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", e.base));
    let (key, id) = prepare(&client, &e, &emu).await;
    let v = api(
        &client,
        reqwest::Method::POST,
        format!("{}/api/v1/campaigns/{id}/launch", e.base),
        &key,
        None,
    )
    .await;
    assert_eq!(v["progress"]["total"], RECIPIENTS, "{v}");
    for _ in 0..1_000 {
        if received(&emu).len() >= (RECIPIENTS / 4) as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    e.child.kill().expect("SIGKILL");
    let _ = e.child.wait();
    let before = received(&emu).len();
    assert!(
        before < RECIPIENTS as usize,
        "the kill came too late ({before} sent)"
    );

    let e = start_engine_with(dir.path(), &env(&meta));
    wait_ready(&client, &e.base).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", e.base));
    let mut done = Value::Null;
    for _ in 0..1_500 {
        done = api(
            &client,
            reqwest::Method::GET,
            format!("{}/api/v1/campaigns/{id}", e.base),
            &key,
            None,
        )
        .await;
        if done["status"] == "SENT" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(done["status"], "SENT", "{done}");
    let got = received(&emu);
    assert_eq!(got.len(), RECIPIENTS as usize, "every recipient reached");
    let duplicates: usize = got.values().map(|n| n - 1).sum();
    let counted = metric(
        &client,
        &e.base,
        "galantis_outbox_possible_duplicates_total",
    )
    .await;
    eprintln!(
        "sent before kill: {before}; duplicates: {duplicates}; counted as possible: {counted}"
    );
    assert!(
        duplicates as f64 <= counted,
        "{duplicates} duplicates but only {counted} counted"
    );
    let p = &done["progress"];
    assert_eq!(
        (
            p["total"].as_u64(),
            p["handed"].as_u64(),
            p["sent"].as_u64(),
            p["failed"].as_u64(),
            p["queued"].as_u64()
        ),
        (
            Some(RECIPIENTS),
            Some(RECIPIENTS),
            Some(RECIPIENTS),
            Some(0),
            Some(0)
        ),
        "{done}"
    );
    assert_eq!(p["skipped"], json!({}), "{done}");
}
