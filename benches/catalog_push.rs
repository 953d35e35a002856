//! Full push of a store's catalog to Meta (issue #12): `P` products of 10 variants each
//! (100 k variants by default) are fed to the real engine (`galantis serve`, a child
//! process with its own temp data dir) as signed `products/create` webhooks; then a Meta
//! catalog is linked through the API, which queues every product, and the engine's pusher
//! sends them to the Meta emulator (this process, loopback) until the catalog health
//! counts every variant SYNCED. Reported: time, `items_batch` and status calls, the
//! engine's CPU and its peak resident memory during the push (`VmHWM`, reset before the
//! push through `/proc/<pid>/clear_refs` where the kernel allows it), 80014 answers.
//!
//! Reference in the same run (the emulator's own cost): the very items the engine pushed,
//! read back from the emulator and posted again to a fresh catalog by a plain client in
//! batches of 5,000, each handle followed until finished at the same poll interval — the
//! floor of any pusher against this emulator. The ratio is engine / floor.
//!
//! Phases: (1) the default pace, the hourly budget at Meta's minimum (200 calls/hour, at
//! the emulator as well): the whole push fits in a handful of calls; (2) batches cut to
//! `B` requests (default 400) so that the push needs more calls than the budget: the
//! pusher stops at 200 calls and waits for the next hour, with no 80014 (reported after
//! the calls stop).
//!
//! Knobs: `GALANTIS_BENCH_CATALOG_PRODUCTS` (default 10000), `GALANTIS_BENCH_CATALOG_SMALL_BATCH`
//! (default 400). Run: `cargo bench --bench catalog_push`.

mod common;

use common::load::SHOPIFY_SECRET;
use common::load::{create_tenant, metric, metrics_text, start_engine, wait_ready, Conn};
use common::{clock_ticks, cpu_time, env_u64, mib, status_bytes, thousands};
use galantis::sandbox::meta::{AccountRegistration, EmulatorConfig, MetaEmulator};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-catalog.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
const TOKEN: &str = "EAAG-bench-catalog-token";
const VARIANTS: u64 = 10;
const FIRST: u64 = 8_000_000_000_000;
const POLL_MS: u64 = 20;
const CONNECTIONS: u64 = 16;

fn product(p: u64) -> Value {
    let id = FIRST + p;
    json!({"id": id, "title": format!("Bench tee {p}"), "handle": format!("bench-tee-{p}"),
        "status": "active", "vendor": "Acme", "product_type": "Shirts",
        "updated_at": "2026-11-01T00:00:00Z",
        "images": [{"id": id + 7, "product_id": id, "position": 1,
            "src": format!("https://cdn.shopify.com/s/files/1/bench/{p}.jpg")}],
        "options": [{"name": "Size", "position": 1}],
        "variants": (0..VARIANTS).map(|k| json!({"id": id * 100 + k, "product_id": id,
            "title": format!("Size {k}"), "option1": format!("Size {k}"),
            "price": format!("{}.99", 10 + k), "compare_at_price": if k % 3 == 0 { json!("39.99") } else { Value::Null },
            "inventory_quantity": (k % 4) as i64})).collect::<Vec<_>>()})
}

fn request(host: &str, p: u64) -> Vec<u8> {
    let body = product(p).to_string();
    let hmac =
        galantis::integrations::shopify::webhook::sign(SHOPIFY_SECRET.as_bytes(), body.as_bytes());
    let mut req = format!(
        "POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Shopify-Topic: products/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n\
         X-Shopify-Webhook-Id: bench-catalog-{p}\r\nX-Shopify-API-Version: 2026-04\r\n\
         X-Shopify-Hmac-Sha256: {hmac}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

/// Feeds the products over `CONNECTIONS` connections and waits until all are applied.
async fn feed(http: &reqwest::Client, addr: std::net::SocketAddr, products: u64) {
    let host = addr.to_string();
    let mut tasks = Vec::new();
    for c in 0..CONNECTIONS {
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await.expect("connect");
            let mut p = c;
            while p < products {
                let status = conn.roundtrip(&request(&host, p)).await.expect("webhook");
                assert_eq!(status, 200, "products/create");
                p += CONNECTIONS;
            }
        }));
    }
    for t in tasks {
        t.await.expect("feeder");
    }
    let base = format!("http://{addr}");
    loop {
        let text = metrics_text(http, &base).await;
        if metric(&text, "galantis_webhooks_applied_total", "products/create") as u64 >= products {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Pushed {
    secs: f64,
    batches: u64,
    status_calls: u64,
    synced: u64,
    pending: u64,
    throttled: u64,
    errors: Value,
    cpu: Duration,
    peak: u64,
    rss_before: u64,
    catalog: String,
}

async fn push_phase(
    products: u64,
    batch_max: u64,
    stop_when_calls_stall: bool,
) -> (Pushed, MetaEmulator) {
    let emu = MetaEmulator::start(EmulatorConfig {
        accounts: vec![AccountRegistration {
            token: TOKEN.into(),
            waba_id: WABA.into(),
            phone_number_ids: vec![NUMBER.into()],
        }],
        catalog_calls_per_hour: 200,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let env = [
        ("GALANTIS__META__BASE_URL", emu.base_url().to_string()),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0".to_string()),
        ("GALANTIS__CATALOG__PUSH_INTERVAL_MS", "200".to_string()),
        ("GALANTIS__CATALOG__STATUS_POLL_MS", POLL_MS.to_string()),
        ("GALANTIS__CATALOG__CALLS_PER_HOUR", "200".to_string()),
        ("GALANTIS__CATALOG__BATCH_MAX", batch_max.to_string()),
    ];
    let engine = start_engine(None, &env);
    let http = reqwest::Client::new();
    let base = engine.base();
    wait_ready(&http, &base).await;
    let key = create_tenant(
        &http,
        &base,
        &json!({"shop": SHOP, "shopify_access_token": "shpat_x", "meta_access_token": TOKEN,
            "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]}),
    )
    .await;
    let fed = Instant::now();
    feed(&http, engine.addr, products).await;
    println!(
        "  fed {} products ({} variants) in {:.1} s",
        thousands(products),
        thousands(products * VARIANTS),
        fed.elapsed().as_secs_f64()
    );
    let pid = engine.pid();
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    let rss_before = status_bytes(Some(pid), "VmRSS");
    let ticks = clock_ticks();
    let cpu0 = cpu_time(Some(pid), ticks);
    let catalog = emu.add_catalog("Bench", true);
    let t0 = Instant::now();
    let r = http
        .put(format!("{base}/api/v1/catalog"))
        .bearer_auth(&key)
        .json(&json!({"mode": "link", "catalog_id": catalog, "token": TOKEN, "currency": "EUR"}))
        .send()
        .await
        .expect("connect");
    assert_eq!(r.status(), 200, "connect");
    let want = products * VARIANTS;
    let mut last_calls = (0u64, Instant::now());
    let health = loop {
        let h: Value = http
            .get(format!("{base}/api/v1/integrations/health"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("json");
        let c = h["catalog"].clone();
        if c["counts"]["synced"].as_u64() == Some(want) && c["counts"]["pending_products"] == 0 {
            break c;
        }
        let calls = c["calls"].as_u64().unwrap_or(0);
        if calls != last_calls.0 {
            last_calls = (calls, Instant::now());
        }
        if stop_when_calls_stall && calls > 0 && last_calls.1.elapsed() > Duration::from_secs(5) {
            break c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let secs = if stop_when_calls_stall {
        (last_calls.1 - t0).as_secs_f64()
    } else {
        t0.elapsed().as_secs_f64()
    };
    let cpu = cpu_time(Some(pid), ticks).saturating_sub(cpu0);
    let peak = status_bytes(Some(pid), "VmHWM");
    let calls = emu.calls();
    let pushed = Pushed {
        secs,
        batches: calls.get("items_batch").copied().unwrap_or(0),
        status_calls: calls
            .get("check_batch_request_status")
            .copied()
            .unwrap_or(0),
        synced: health["counts"]["synced"].as_u64().unwrap_or(0),
        pending: health["counts"]["pending_products"].as_u64().unwrap_or(0),
        throttled: health["errors"]["call: code 80014"].as_u64().unwrap_or(0),
        errors: health["errors"].clone(),
        cpu,
        peak,
        rss_before,
        catalog,
    };
    let _ = engine.stop(Duration::from_secs(10));
    (pushed, emu)
}

/// The floor: the same items posted by a plain client, 5,000 a call, each handle
/// followed to finished.
async fn floor(emu: &MetaEmulator, catalog: &str) -> (f64, u64) {
    let items: Vec<Value> = emu.catalog_items(catalog).into_values().collect();
    let target = emu.add_catalog("Floor", true);
    let http = reqwest::Client::new();
    let base = format!("{}/{}", emu.base_url(), emu.graph_version());
    let t0 = Instant::now();
    let mut calls = 0;
    for chunk in items.chunks(5_000) {
        let requests: Vec<Value> = chunk
            .iter()
            .map(|d| json!({"method": "UPDATE", "data": d}))
            .collect();
        let a: Value = http
            .post(format!("{base}/{target}/items_batch"))
            .bearer_auth(TOKEN)
            .json(&json!({"item_type": "PRODUCT_ITEM", "requests": requests}))
            .send()
            .await
            .expect("batch")
            .json()
            .await
            .expect("json");
        calls += 1;
        let handle = a["handles"][0].as_str().expect("handle").to_string();
        loop {
            let st: Value = http
                .get(format!(
                    "{base}/{target}/check_batch_request_status?handle={handle}"
                ))
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("status")
                .json()
                .await
                .expect("json");
            if st["data"][0]["status"] == "finished" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        }
    }
    (t0.elapsed().as_secs_f64(), calls)
}

fn report(name: &str, p: &Pushed, variants: u64) {
    println!(
        "{name}: {:.1} s, {} variants/s, {} items_batch + {} status calls, {} SYNCED, {} products pending, {} × 80014, engine CPU {:.1} s ({:.0} µs/variant), RSS before {} / peak during push {}",
        p.secs,
        thousands((p.synced as f64 / p.secs.max(1e-9)) as u64),
        p.batches,
        p.status_calls,
        thousands(p.synced),
        thousands(p.pending),
        p.throttled,
        p.cpu.as_secs_f64(),
        p.cpu.as_secs_f64() * 1e6 / variants.max(1) as f64,
        mib(p.rss_before),
        mib(p.peak),
    );
    println!("  errors by type in the catalog health: {}", p.errors);
}

#[tokio::main]
async fn main() {
    let products = env_u64("GALANTIS_BENCH_CATALOG_PRODUCTS", 10_000);
    let small = env_u64("GALANTIS_BENCH_CATALOG_SMALL_BATCH", 400);
    let variants = products * VARIANTS;
    println!(
        "catalog push: {} products × {VARIANTS} variants = {} variants",
        thousands(products),
        thousands(variants)
    );

    let (p, emu) = push_phase(products, 5_000, false).await;
    report("full push, 5,000 per batch, budget 200/h", &p, variants);
    let (f, calls) = floor(&emu, &p.catalog).await;
    println!(
        "floor (plain client, same items, 5,000 per call): {f:.2} s in {calls} calls; engine / floor = {:.2}",
        p.secs / f.max(1e-9)
    );
    emu.shutdown().await;

    let (p, emu) = push_phase(products, small, true).await;
    report(
        &format!("budget-bound push, {small} per batch, budget 200/h"),
        &p,
        variants,
    );
    println!(
        "  {} of {} variants SYNCED within the hour's 200 calls; the rest waits for the next hour (no 80014: {})",
        thousands(p.synced),
        thousands(variants),
        p.throttled
    );
    emu.shutdown().await;
}
