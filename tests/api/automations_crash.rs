//! Automation timers under `kill -9` of the real binary: a run waiting on a delay survives
//! and fires once after the restart, and a step that came due while the process was down
//! fires at start, once.

use crate::crash::{start_engine_with, wait_ready, Engine};
use crate::helpers::{META_SECRET, OPERATOR};
use crate::whatsapp_send::{emulator_config, NUMBER, TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use galantis::sandbox::payloads::{to_bytes, Customer, Order};
use serde_json::{json, Value};
use std::time::Duration;

const SHOP: &str = "timers.myshopify.com";

fn env(meta_base: &str) -> Vec<(&str, &str)> {
    vec![
        ("GALANTIS__META__BASE_URL", meta_base),
        ("GALANTIS_META_APP_SECRET", META_SECRET),
        ("GALANTIS__META__PAIR_BURST", "100000"),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0"),
        // A 2-minute delay takes 2 seconds.
        ("GALANTIS__AUTOMATIONS__TIME_SCALE", "60"),
    ]
}

async fn webhook(client: &reqwest::Client, base: &str, topic: &str, wid: &str, body: Vec<u8>) {
    crate::crash::signed_webhook(client, base, SHOP, topic, wid, body).await;
}

pub async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Option<Value>,
) -> Value {
    let mut req = client.request(method, url).bearer_auth(key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("api");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status} {v}");
    v
}

/// How many times the order confirmation for `order_name` reached Meta.
fn sent_for(emu: &MetaEmulator, order_name: &str) -> usize {
    emu.sent()
        .iter()
        .filter(|m| {
            m.body["template"]["name"] == "order_thanks" && m.body.to_string().contains(order_name)
        })
        .count()
}

async fn waiting(client: &reqwest::Client, e: &Engine, key: &str, flow: u64) -> u64 {
    let v = api(
        client,
        reqwest::Method::GET,
        format!("{}/api/v1/flows/{flow}", e.base),
        key,
        None,
    )
    .await;
    v["counts"]["waiting"].as_u64().unwrap_or(0)
}

async fn restart(
    client: &reqwest::Client,
    dir: &std::path::Path,
    meta: &str,
    emu: &MetaEmulator,
) -> Engine {
    let e = start_engine_with(dir, &env(meta));
    wait_ready(client, &e.base).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", e.base));
    e
}

/// Tenant, approved template, a customer with a number, and an active ORDER_PLACED flow
/// with a 2-minute delay. Returns the key and the flow id.
async fn prepare(client: &reqwest::Client, e: &Engine, emu: &MetaEmulator) -> (String, u64) {
    let v = api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/tenants", e.base),
        OPERATOR,
        Some(json!({
        "shop": SHOP, "shopify_access_token": "shpat_x", "meta_access_token": TOKEN,
        "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]})),
    )
    .await;
    let key = v["api_key"].as_str().expect("key").to_string();
    api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/templates", e.base),
        &key,
        Some(json!({
        "name": "order_thanks", "language": "en", "category": "UTILITY",
        "body": "Thanks {{1}}, order {{2}} is confirmed.", "body_examples": ["Ana", "#1001"]})),
    )
    .await;
    emu.approve_template("order_thanks", "en")
        .await
        .expect("approve");
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
    for (id, phone) in [(9001, "+447700900789"), (9002, "+447700900790")] {
        let mut c = Customer::new(id);
        c.first_name = "Kim".into();
        c.phone = Some(phone.into());
        webhook(
            client,
            &e.base,
            "customers/create",
            &format!("c-{id}"),
            to_bytes(&c.body()),
        )
        .await;
    }
    let flow = api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/flows", e.base),
        &key,
        Some(crate::automations::order_flow(2)),
    )
    .await;
    let id = flow["id"].as_u64().expect("flow id");
    api(
        client,
        reqwest::Method::POST,
        format!("{}/api/v1/flows/{id}/activate", e.base),
        &key,
        None,
    )
    .await;
    (key, id)
}

/// An order of customer `customer` (each enters the flow once: its cap is 24 hours).
fn order(id: u64, customer: u64, number: u64) -> Vec<u8> {
    let mut o = Order::new(id, customer);
    o.number = number;
    to_bytes(&o.body())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_run_survives_sigkill_and_fires_once_and_an_overdue_step_fires_at_start() {
    let emu = MetaEmulator::start(emulator_config())
        .await
        .expect("emulator");
    let meta = emu.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let mut e = restart(&client, dir.path(), &meta, &emu).await;
    let (key, flow) = prepare(&client, &e, &emu).await;

    // 1. Waiting when killed, still waiting after the restart, then sent once.
    webhook(
        &client,
        &e.base,
        "orders/create",
        "o-1",
        order(7101, 9001, 1101),
    )
    .await;
    for _ in 0..200 {
        if waiting(&client, &e, &key, flow).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        waiting(&client, &e, &key, flow).await,
        1,
        "the run waits on its delay"
    );
    e.child.kill().expect("kill -9");
    let _ = e.child.wait();
    e = restart(&client, dir.path(), &meta, &emu).await;
    assert_eq!(sent_for(&emu, "#1101"), 0, "not before its time");
    for _ in 0..400 {
        if sent_for(&emu, "#1101") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(sent_for(&emu, "#1101"), 1, "sent once after the restart");

    // 2. Due while the process was down: fires at start, once.
    webhook(
        &client,
        &e.base,
        "orders/create",
        "o-2",
        order(7102, 9002, 1102),
    )
    .await;
    for _ in 0..200 {
        if waiting(&client, &e, &key, flow).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The first message's send result reaches disk at the next checkpoint (within a
    // second); a kill before it would let the outbox send it again, as DESIGN §4.5 allows
    // and `galantis_outbox_possible_duplicates_total` counts (tests/api/outbox_crash.rs).
    // This test is about the automation step, so it kills after that window.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    e.child.kill().expect("kill -9");
    let _ = e.child.wait();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(sent_for(&emu, "#1102"), 0);
    e = restart(&client, dir.path(), &meta, &emu).await;
    for _ in 0..400 {
        if sent_for(&emu, "#1102") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sent_for(&emu, "#1102"),
        1,
        "the overdue step fired at start, once"
    );
    assert_eq!(
        sent_for(&emu, "#1101"),
        1,
        "and the first one was not sent again"
    );
    let v = api(
        &client,
        reqwest::Method::GET,
        format!("{}/api/v1/flows/{flow}", e.base),
        &key,
        None,
    )
    .await;
    assert_eq!(
        (
            v["counts"]["completed"].as_u64(),
            v["counts"]["waiting"].as_u64()
        ),
        (Some(2), Some(0)),
        "{v}"
    );
    e.child.kill().expect("kill");
    let _ = e.child.wait();
}
