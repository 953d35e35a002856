//! The outbox under `kill -9`: messages queued (acknowledged 202) while the real binary
//! is sending are all sent after a restart, and the duplicates a crash can cause stay
//! within the in-flight window the engine counts in a metric.

use crate::crash::{start_engine_with, wait_ready};
use crate::helpers::{META_SECRET, OPERATOR};
use crate::whatsapp_send::{emulator_config, CUSTOMER, NUMBER, SHOP, TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

const MESSAGES: usize = 120;

fn env(meta_base: &str) -> Vec<(&str, &str)> {
    vec![
        ("GALANTIS__META__BASE_URL", meta_base),
        ("GALANTIS_META_APP_SECRET", META_SECRET),
        ("GALANTIS__META__MESSAGES_PER_SECOND", "40"),
        ("GALANTIS__META__PAIR_BURST", "100000"),
        ("GALANTIS__META__BACKOFF_BASE_MS", "20"),
        ("GALANTIS__META__BACKOFF_MAX_MS", "200"),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0"),
    ]
}

fn texts_sent(emu: &MetaEmulator) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for m in emu.sent() {
        if let Some(t) = m.body["text"]["body"].as_str() {
            *n.entry(t.to_string()).or_default() += 1;
        }
    }
    n
}

pub async fn metric(client: &reqwest::Client, base: &str, name: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_messages_are_all_sent_after_sigkill_with_counted_duplicates() {
    let emu = MetaEmulator::start(emulator_config())
        .await
        .expect("emulator");
    let meta_base = emu.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let mut engine = start_engine_with(dir.path(), &env(&meta_base));
    wait_ready(&client, &engine.base).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", engine.base));
    let r = client
        .post(format!("{}/api/v1/tenants", engine.base))
        .bearer_auth(OPERATOR)
        .json(
            &json!({"shop": SHOP, "shopify_access_token": "shpat_x", "meta_access_token": TOKEN,
                      "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]}),
        )
        .send()
        .await
        .expect("tenant");
    assert_eq!(r.status(), 201);
    let key = r.json::<Value>().await.expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_string();
    emu.customer_says(NUMBER, CUSTOMER, "hello")
        .await
        .expect("inbound");
    let mut thread = None;
    for _ in 0..200 {
        let v: Value = client
            .get(format!("{}/api/v1/threads", engine.base))
            .bearer_auth(&key)
            .send()
            .await
            .expect("threads")
            .json()
            .await
            .expect("json");
        thread = v["items"][0]["id"].as_u64();
        if thread.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let thread = thread.expect("a thread");
    // Queue every message (each 202 means it is on disk), then kill mid-send.
    for i in 0..MESSAGES {
        let r = client
            .post(format!("{}/api/v1/threads/{thread}/reply", engine.base))
            .bearer_auth(&key)
            .json(&json!({"message": {"type": "text", "text": format!("m-{i}")}}))
            .send()
            .await
            .expect("reply");
        assert_eq!(r.status(), 202);
    }
    for _ in 0..500 {
        if emu.sent().len() >= MESSAGES / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    engine.child.kill().expect("SIGKILL");
    let _ = engine.child.wait();
    let before = emu.sent().len();
    assert!(
        before < MESSAGES,
        "the kill came too late to test anything ({before} sent)"
    );

    let mut engine = start_engine_with(dir.path(), &env(&meta_base));
    wait_ready(&client, &engine.base).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", engine.base));
    for _ in 0..1_000 {
        if texts_sent(&emu).len() >= MESSAGES {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let counts = texts_sent(&emu);
    for i in 0..MESSAGES {
        assert!(
            counts.contains_key(&format!("m-{i}")),
            "message m-{i} was never sent after the restart"
        );
    }
    let duplicates: usize = counts.values().map(|n| n - 1).sum();
    let counted = metric(
        &client,
        &engine.base,
        "galantis_outbox_possible_duplicates_total",
    )
    .await
    .max(0.0);
    eprintln!(
        "sent before kill: {before}; duplicates: {duplicates}; counted as possible: {counted}"
    );
    assert!(
        duplicates as f64 <= counted,
        "{duplicates} duplicates but only {counted} counted"
    );
    assert!(
        counted <= 40.0,
        "the duplicate window is bounded by the in-flight cap (40): {counted}"
    );
    engine.child.kill().expect("kill");
    let _ = engine.child.wait();
}
