//! The initial import under `kill -9` of the real binary: killed while reading the bulk
//! result, restarted, it completes from where it stopped; every customer lands once
//! (one `CustomerCreated` each) and the counts equal the store's.

use crate::crash::{start_engine_with, wait_ready, Engine};
use crate::helpers::OPERATOR;
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use serde_json::{json, Value};
use std::time::Duration;

const SHOP: &str = "crashimport.myshopify.com";
const CUSTOMERS: u64 = 20_000;

async fn get(client: &reqwest::Client, e: &Engine, path: &str, key: &str) -> Value {
    client
        .get(format!("{}{path}", e.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .unwrap_or(Value::Null)
}

async fn start(client: &reqwest::Client, dir: &std::path::Path, emu: &str) -> Engine {
    let e = start_engine_with(
        dir,
        &[
            ("GALANTIS__SHOPIFY__ADMIN_BASE_URL", emu),
            ("GALANTIS__SHOPIFY__IMPORT_POLL_MS", "20"),
        ],
    );
    wait_ready(client, &e.base).await;
    e
}

/// Creates the tenant `shop` (its Shopify token `shpat_crash`); its API key.
async fn tenant(client: &reqwest::Client, e: &Engine, shop: &str) -> String {
    let created: Value = client
        .post(format!("{}/api/v1/tenants", e.base))
        .bearer_auth(OPERATOR)
        .json(&json!({"shop": shop, "shopify_access_token": "shpat_crash"}))
        .send()
        .await
        .expect("tenant")
        .json()
        .await
        .expect("json");
    created["api_key"].as_str().expect("key").to_string()
}

#[tokio::test]
async fn an_import_killed_mid_file_completes_after_restart_without_duplicates() {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig::default())
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let e = start(&client, dir.path(), emu.base_url()).await;
    let key = tenant(&client, &e, SHOP).await;
    emu.add_shop(SHOP, "shpat_crash", "Crash");
    emu.add_customers(SHOP, 10_000, CUSTOMERS);
    let r = client
        .post(format!("{}/api/v1/imports", e.base))
        .bearer_auth(&key)
        .json(&json!({"resources": ["customers"]}))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 202);
    // Kill once some rows are on disk and the file is not finished.
    let mut e = e;
    let mut killed_at = None;
    for _ in 0..2_000 {
        let v = get(&client, &e, "/api/v1/imports", &key).await;
        let job = &v["items"][0];
        let done = job["lines_done"].as_u64().unwrap_or(0);
        if done > 0 && job["status"] == "READING" {
            e.child.kill().expect("kill -9");
            let _ = e.child.wait();
            killed_at = Some(done);
            break;
        }
        assert_ne!(
            job["status"], "DONE",
            "the import finished before it could be killed: {v}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = killed_at.expect("killed mid-import");
    assert!(killed_at < CUSTOMERS);
    drop(e);
    let e = start(&client, dir.path(), emu.base_url()).await;
    let mut job = Value::Null;
    for _ in 0..1_500 {
        let v = get(&client, &e, "/api/v1/imports", &key).await;
        if v["items"][0]["status"] == "DONE" {
            job = v["items"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(job["status"], "DONE", "resumed and finished: {job}");
    assert_eq!(job["lines_done"].as_u64(), Some(CUSTOMERS), "{job}");
    assert_eq!(
        emu.calls().get("bulk_run"),
        Some(&1),
        "the same operation, not a new one"
    );
    // Every customer once: count the CustomerCreated events.
    let mut created = 0u64;
    for _ in 0..1_500 {
        created = 0;
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/events?limit=500&after={a}"),
                None => "/api/v1/events?limit=500".to_string(),
            };
            let v = get(&client, &e, &path, &key).await;
            created += v["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|x| x["type"] == "CustomerCreated")
                .count() as u64;
            match v["next_after"].as_str() {
                Some(a) => after = Some(a.to_string()),
                None => break,
            }
        }
        if created >= CUSTOMERS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(created, CUSTOMERS, "each customer created exactly once");
    // The operator's view: `galantis import status`, a bar and the counts.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_galantis"))
        .args(["import", "status", "--shop", SHOP, "--url", &e.base])
        .env("GALANTIS_OPERATOR_TOKEN", OPERATOR)
        .output()
        .expect("galantis import status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "[{}] {CUSTOMERS}/{CUSTOMERS} rows read",
            "#".repeat(30)
        )) && text.contains("DONE"),
        "{text}"
    );
}

/// Counts the events of type `t` (follows pagination).
async fn events_of_type(client: &reqwest::Client, e: &Engine, key: &str, t: &str) -> u64 {
    let mut n = 0u64;
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/events?limit=500&after={a}"),
            None => "/api/v1/events?limit=500".to_string(),
        };
        let v = get(client, e, &path, key).await;
        n += v["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|x| x["type"] == t)
            .count() as u64;
        match v["next_after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => return n,
        }
    }
}

/// Polls the shop's only import until `at(job)`, then kills the engine with SIGKILL.
async fn kill_when(
    client: &reqwest::Client,
    mut e: Engine,
    key: &str,
    at: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..4_000 {
        let v = get(client, &e, "/api/v1/imports", key).await;
        let job = v["items"][0].clone();
        if at(&job) {
            e.child.kill().expect("kill -9");
            let _ = e.child.wait();
            return job;
        }
        assert_ne!(
            job["status"], "DONE",
            "finished before it could be killed: {v}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the import never reached the point to kill it");
}

#[tokio::test]
async fn an_orders_import_killed_while_staging_and_while_joining_completes_once() {
    const ORDERS: u64 = 4_000;
    const ORDER_SHOP: &str = "crashorders.myshopify.com";
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig::default())
        .await
        .expect("emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let e = start(&client, dir.path(), emu.base_url()).await;
    let key = tenant(&client, &e, ORDER_SHOP).await;
    emu.add_shop(ORDER_SHOP, "shpat_crash", "Crash");
    let buyers: Vec<u64> = (10_000..10_500).collect();
    emu.add_orders(ORDER_SHOP, 50_000, ORDERS, &buyers, (1_000, 50), 2);
    let r = client
        .post(format!("{}/api/v1/imports", e.base))
        .bearer_auth(&key)
        .json(&json!({"resources": ["orders"]}))
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 202);
    // Once while the file is being staged …
    let job = kill_when(&client, e, &key, |j| {
        j["status"] == "READING" && j["lines_done"].as_u64().unwrap_or(0) > 0
    })
    .await;
    assert!(job["lines_done"].as_u64() < Some(ORDERS * 3), "{job}");
    // … once while the staged groups are being joined and journaled …
    let e = start(&client, dir.path(), emu.base_url()).await;
    let job = kill_when(&client, e, &key, |j| {
        j["status"] == "JOINING" && j["rows_applied"].as_u64().unwrap_or(0) > 0
    })
    .await;
    assert!(job["rows_applied"].as_u64() < Some(ORDERS * 3), "{job}");
    // … and the third start completes it.
    let e = start(&client, dir.path(), emu.base_url()).await;
    let mut job = Value::Null;
    for _ in 0..3_000 {
        let v = get(&client, &e, "/api/v1/imports", &key).await;
        if v["items"][0]["status"] == "DONE" {
            job = v["items"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(job["status"], "DONE", "resumed and finished: {job}");
    assert_eq!(
        (
            job["lines_done"].as_u64(),
            job["rows_read"].as_u64(),
            job["rows_skipped"].as_u64()
        ),
        (Some(ORDERS * 3), Some(ORDERS * 3), Some(0)),
        "{job}"
    );
    assert_eq!(emu.calls().get("bulk_run"), Some(&1), "the same operation");
    // Every order once, each with its two lines: one OrderPlaced per order, and the
    // buyers' order counts add up (DONE waits until the last row is applied).
    assert_eq!(
        events_of_type(&client, &e, &key, "OrderPlaced").await,
        ORDERS
    );
    let count: Value = client
        .post(format!("{}/api/v1/segments/count", e.base))
        .bearer_auth(&key)
        .json(&json!({"name": "n", "groups": [{"rules": [
            {"field": "ORDERS_COUNT", "op": "GTE", "value": ORDERS / 500}]}]}))
        .send()
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    assert_eq!(count["count"].as_u64(), Some(500), "{count}");
}
