//! Durability under `kill -9`: the real binary takes webhooks concurrently, is SIGKILLed
//! mid-stream, restarts on the same data dir, and every acknowledged webhook's effect is
//! there exactly once.

use crate::helpers::{of_type, OPERATOR, SECRET};
use galantis::integrations::shopify::webhook::sign;
use galantis::sandbox::payloads::{to_bytes, Customer, Order};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SHOP: &str = "crash-test.myshopify.com";

pub struct Engine {
    pub child: Child,
    pub base: String,
}

/// A failing test must not leave an engine running (it would also hold the test's output
/// pipe open): the process is killed when its handle goes.
impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_engine(dir: &std::path::Path) -> Engine {
    start_engine_with(dir, &[])
}

/// Starts the real binary on `dir` with extra environment variables.
pub fn start_engine_with(dir: &std::path::Path, env: &[(&str, &str)]) -> Engine {
    let mut child = Command::new(env!("CARGO_BIN_EXE_galantis"))
        .envs(env.iter().copied())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("GALANTIS_MASTER_KEY", "22".repeat(32))
        .env("GALANTIS_SHOPIFY_CLIENT_SECRET", SECRET)
        .env("GALANTIS_OPERATOR_TOKEN", OPERATOR)
        .env("GALANTIS__LOG__LEVEL", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start galantis");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("write-ahead log") || line.contains("Journal repaired") {
                eprintln!("engine: {line}");
            }
            if !sent && line.contains("Listening.") {
                let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if let Some(addr) = v["addr"].as_str() {
                    let _ = tx.send(addr.to_string());
                    sent = true;
                }
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("engine printed its address");
    Engine {
        child,
        base: format!("http://{addr}"),
    }
}

pub async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("engine never became ready");
}

/// Posts a signed Shopify webhook to a running engine and expects 200.
pub async fn signed_webhook(
    client: &reqwest::Client,
    base: &str,
    shop: &str,
    topic: &str,
    wid: &str,
    body: Vec<u8>,
) {
    let r = client
        .post(format!("{base}/webhooks/shopify"))
        .header("X-Shopify-Topic", topic)
        .header("X-Shopify-Shop-Domain", shop)
        .header("X-Shopify-Webhook-Id", wid)
        .header("X-Shopify-API-Version", "2026-04")
        .header("X-Shopify-Hmac-Sha256", sign(SECRET.as_bytes(), &body))
        .body(body)
        .send()
        .await
        .expect("webhook");
    assert_eq!(r.status(), 200, "{topic}");
}

fn customer(id: u64) -> Vec<u8> {
    let mut c = Customer::new(id);
    c.created_at = "2026-01-01T10:00:00-05:00".into();
    c.updated_at = c.created_at.clone();
    (c.first_name, c.last_name) = ("Crash".into(), format!("Test{id}"));
    c.email = Some(format!("c{id}@example.com"));
    to_bytes(&c.body())
}

fn order(id: u64, customer: u64) -> Vec<u8> {
    let mut o = Order::new(id, customer);
    o.created_at = "2026-01-02T10:00:00-05:00".into();
    o.updated_at = o.created_at.clone();
    to_bytes(&o.body())
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    topic: &str,
    wid: &str,
    body: Vec<u8>,
) -> Option<u16> {
    let sig = sign(SECRET.as_bytes(), &body);
    client
        .post(format!("{base}/webhooks/shopify"))
        .header("X-Shopify-Topic", topic)
        .header("X-Shopify-Shop-Domain", SHOP)
        .header("X-Shopify-Webhook-Id", wid)
        .header("X-Shopify-API-Version", "2026-04")
        .header("X-Shopify-Hmac-Sha256", sig)
        .body(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// Sends customers and orders from 16 writers until about `target` more are acknowledged,
/// then SIGKILLs the engine mid-stream. Returns what was acknowledged.
async fn load_then_kill(
    client: &reqwest::Client,
    engine: &mut Engine,
    round: u64,
    target: usize,
) -> Vec<(String, u64)> {
    let acked: Arc<Mutex<Vec<(String, u64)>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for w in 0..16u64 {
        let (client, base, acked, stop) = (
            client.clone(),
            engine.base.clone(),
            acked.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000u64 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let cid = 1_000_000 + round * 1_000_000 + w * 10_000 + i;
                let (topic, wid, body, id) = if i % 2 == 0 {
                    ("customers/create", format!("c-{cid}"), customer(cid), cid)
                } else {
                    let oid = 9_000_000_000_000_000_000 + cid;
                    (
                        "orders/create",
                        format!("o-{oid}"),
                        order(oid, cid - 1),
                        oid,
                    )
                };
                match post(&client, &base, topic, &wid, body).await {
                    Some(200) => acked.lock().expect("lock").push((topic.to_string(), id)),
                    Some(other) => panic!("unexpected status {other}"),
                    None => break, // the connection died with the engine
                }
            }
        }));
    }
    for _ in 0..1_000 {
        if acked.lock().expect("lock").len() >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    engine.child.kill().expect("SIGKILL");
    let _ = engine.child.wait();
    stop.store(true, Ordering::SeqCst);
    for t in tasks {
        t.await.expect("writer");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() >= target / 4,
        "too few acknowledged before the kill: {}",
        acked.len()
    );
    eprintln!(
        "round {round}: acknowledged before SIGKILL: {}",
        acked.len()
    );
    acked
}

/// Every acknowledged customer is there; every acknowledged order placed exactly once;
/// no customer created twice.
async fn verify(client: &reqwest::Client, base: &str, key: &str, acked: &[(String, u64)]) {
    for (topic, id) in acked {
        if topic == "customers/create" {
            let r = client
                .get(format!("{base}/api/v1/contacts/{id}"))
                .bearer_auth(key)
                .send()
                .await
                .expect("get");
            assert_eq!(
                r.status(),
                200,
                "acknowledged customer {id} lost after kill -9"
            );
        }
    }
    let acked_orders: std::collections::HashSet<u64> = acked
        .iter()
        .filter(|(t, _)| t == "orders/create")
        .map(|(_, id)| *id)
        .collect();
    let mut events = Vec::new();
    for _ in 0..200 {
        events = all_events(client, base, key).await;
        let placed: std::collections::HashSet<u64> = of_type(&events, "OrderPlaced")
            .iter()
            .filter_map(|e| e["data"]["order_id"].as_str()?.parse::<u64>().ok())
            .collect();
        if acked_orders.is_subset(&placed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut per_order = std::collections::HashMap::<u64, usize>::new();
    for e in of_type(&events, "OrderPlaced") {
        *per_order
            .entry(
                e["data"]["order_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("order id"),
            )
            .or_default() += 1;
    }
    for id in &acked_orders {
        assert_eq!(
            per_order.get(id),
            Some(&1),
            "order {id}: OrderPlaced must be recorded exactly once"
        );
    }
    assert!(
        per_order.values().all(|n| *n == 1),
        "an order was applied twice"
    );
    let mut per_customer = std::collections::HashMap::<u64, usize>::new();
    for e in of_type(&events, "CustomerCreated") {
        *per_customer
            .entry(
                e["data"]["customer_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("customer id"),
            )
            .or_default() += 1;
    }
    assert!(
        per_customer.values().all(|n| *n == 1),
        "a customer was created twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_webhooks_survive_sigkill_and_apply_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let mut engine = start_engine(dir.path());
    wait_ready(&client, &engine.base).await;
    let r = client
        .post(format!("{}/api/v1/tenants", engine.base))
        .bearer_auth(OPERATOR)
        .json(&json!({"shop": SHOP, "shopify_access_token": "shpat_crash"}))
        .send()
        .await
        .expect("create tenant");
    assert_eq!(r.status(), 201);
    let key = r.json::<Value>().await.expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_string();

    // Three rounds of load → SIGKILL → restart on the same data dir → check everything
    // acknowledged so far.
    let mut acked = Vec::new();
    for round in 0..3 {
        acked.extend(load_then_kill(&client, &mut engine, round, 400).await);
        engine = start_engine(dir.path());
        wait_ready(&client, &engine.base).await;
        verify(&client, &engine.base, &key, &acked).await;
    }

    // A redelivery of an acknowledged webhook is a duplicate, not a second effect.
    let (_, id) = acked
        .iter()
        .find(|(t, _)| t == "customers/create")
        .expect("a customer")
        .clone();
    let r = client
        .post(format!("{}/webhooks/shopify", engine.base))
        .header("X-Shopify-Topic", "customers/create")
        .header("X-Shopify-Shop-Domain", SHOP)
        .header("X-Shopify-Webhook-Id", format!("c-{id}"))
        .header("X-Shopify-API-Version", "2026-04")
        .header(
            "X-Shopify-Hmac-Sha256",
            sign(SECRET.as_bytes(), &customer(id)),
        )
        .body(customer(id))
        .send()
        .await
        .expect("post");
    assert_eq!(
        r.json::<Value>().await.expect("json")["status"],
        "duplicate"
    );
    engine.child.kill().expect("kill");
    let _ = engine.child.wait();
}

async fn all_events(client: &reqwest::Client, base: &str, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<u64> = None;
    loop {
        let url = match after {
            Some(a) => format!("{base}/api/v1/events?limit=500&after={a}"),
            None => format!("{base}/api/v1/events?limit=500"),
        };
        let v: Value = client
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("events")
            .json()
            .await
            .expect("json");
        out.extend(v["items"].as_array().cloned().unwrap_or_default());
        match v["next_after"].as_str().and_then(|a| a.parse::<u64>().ok()) {
            Some(a) => after = Some(a),
            None => return out,
        }
    }
}
