//! Initial-import throughput and memory (issue #11, DESIGN §8 "import"): `N` customers
//! imported by bulk operation into the real engine (`galantis serve` in a child process,
//! so its resident memory is its own), next to the same `N` customers fed as signed
//! `customers/create` webhooks over HTTP (64 connections) into a fresh engine — the same
//! rows, the same apply path, the same machine and run.
//!
//! The import runs against the Shopify emulator (its Admin API, in this process), whose
//! bulk operation answers with a JSONL file streamed by this bench on the fly
//! (`ShopifyEmulator::serve_bulk_from`): the rows are generated, never held, so the
//! emulator's own memory is not in the way at 1 M. Each row is one customer in the shape
//! of the engine's `bulk_customers.graphql` (without a phone marketing state, so that a
//! row is one delivery, as a `customers/create` webhook is).
//!
//! Reported per size: rows/s until the job is `DONE` (its last row applied), the engine's
//! resident memory before, at the end and at its peak (`VmHWM`), the growth per contact;
//! and for the webhook reference (at `GALANTIS_BENCH_WEBHOOK_ROWS`, default 100,000),
//! webhooks/s until all were applied and its growth per contact. A streamed import holds
//! the contacts and not the file: its growth per contact should be that of the webhooks.
//!
//! Sizes: `GALANTIS_BENCH_IMPORT_SIZES` (default `100000,1000000`).
//! Run: `cargo bench --bench import`.

mod common;

use common::load::{
    create_tenant, metric, metrics_text, start_engine, wait_ready, Conn, OPERATOR, SHOPIFY_SECRET,
};
use common::{env_u64, loadavg, machine, mib, status_bytes, thousands};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SHOP: &str = "bench-import.myshopify.com";
const TOKEN: &str = "shpat_bench_import";
const FIRST_ID: u64 = 6_000_000_000_000;

/// One JSONL row, as the emulator projects a customer for `bulk_customers.graphql`.
fn row(i: u64) -> String {
    let id = FIRST_ID + i;
    json!({"id": format!("gid://shopify/Customer/{id}"), "firstName": format!("Buyer{i}"),
        "lastName": "Bench", "state": "ENABLED", "locale": "es", "tags": ["imported", "bench"],
        "createdAt": "2025-06-01T00:00:00Z", "updatedAt": "2025-06-02T00:00:00Z",
        "defaultEmailAddress": {"emailAddress": format!("buyer{id}@example.com")},
        "defaultPhoneNumber": {"phoneNumber": format!("+3461{:07}", i % 10_000_000),
            "marketingState": null, "marketingOptInLevel": null, "marketingUpdatedAt": null,
            "marketingCollectedFrom": null},
        "defaultAddress": {"countryCodeV2": "ES", "provinceCode": "M"}})
    .to_string()
}

/// The same customer as a `customers/create` webhook body.
fn webhook_body(i: u64) -> String {
    let id = FIRST_ID + i;
    json!({"id": id, "admin_graphql_api_id": format!("gid://shopify/Customer/{id}"),
        "first_name": format!("Buyer{i}"), "last_name": "Bench", "state": "enabled", "locale": "es",
        "email": format!("buyer{id}@example.com"), "phone": format!("+3461{:07}", i % 10_000_000),
        "tags": "imported, bench", "created_at": "2025-06-01T00:00:00Z", "updated_at": "2025-06-02T00:00:00Z",
        "default_address": {"country_code": "ES", "province_code": "M"}})
    .to_string()
}

/// Serves the rows over plain HTTP/1.1: `n` rows generated as they are written, the body
/// ending when the connection closes (`Connection: close`, no length), so nothing holds
/// the file.
async fn serve_rows(n: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind rows server");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 4096];
                let _ = sock.read(&mut head).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/jsonl\r\nConnection: close\r\n\r\n")
                    .await;
                let mut start = 0;
                while start < n {
                    let mut text = String::with_capacity(1_000 * 480);
                    for i in start..(start + 1_000).min(n) {
                        text.push_str(&row(i));
                        text.push('\n');
                    }
                    if sock.write_all(text.as_bytes()).await.is_err() {
                        return;
                    }
                    start += 1_000;
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}/rows.jsonl")
}

/// One measured phase.
struct Phase {
    rows: u64,
    secs: f64,
    rss_before: u64,
    rss_after: u64,
    rss_peak: u64,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.secs
    }

    fn growth_per_row(&self) -> f64 {
        self.rss_after.saturating_sub(self.rss_before) as f64 / self.rows as f64
    }

    fn peak_per_row(&self) -> f64 {
        self.rss_peak.saturating_sub(self.rss_before) as f64 / self.rows as f64
    }
}

async fn import(n: u64) -> Phase {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        client_secret: SHOPIFY_SECRET.into(),
        ..ShopifyEmulatorConfig::default()
    })
    .await
    .expect("emulator (needs ../shared/fixtures)");
    emu.add_shop(SHOP, TOKEN, "Bench");
    let url = serve_rows(n).await;
    emu.serve_bulk_from(SHOP, &url, n);
    let engine = start_engine(
        None,
        &[
            (
                "GALANTIS__SHOPIFY__ADMIN_BASE_URL",
                emu.base_url().to_string(),
            ),
            ("GALANTIS__SHOPIFY__IMPORT_POLL_MS", "100".into()),
            ("GALANTIS__SHOPIFY__RECONCILE_MINUTES", "0".into()),
            (
                "GALANTIS__SHOPIFY__ABANDONED_CHECKOUT_POLL_MINUTES",
                "0".into(),
            ),
        ],
    );
    let http = reqwest::Client::new();
    let base = engine.base();
    wait_ready(&http, &base).await;
    let key = create_tenant(
        &http,
        &base,
        &json!({"shop": SHOP, "shopify_access_token": TOKEN}),
    )
    .await;
    let pid = engine.pid();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = status_bytes(Some(pid), "VmRSS");
    let started = Instant::now();
    let r = http
        .post(format!("{base}/api/v1/imports"))
        .bearer_auth(&key)
        .json(&json!({"resources": ["customers"]}))
        .send()
        .await
        .expect("start import");
    assert_eq!(r.status(), 202);
    let mut last_print = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let v: Value = http
            .get(format!("{base}/api/v1/imports"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("imports")
            .json()
            .await
            .unwrap_or(Value::Null);
        let job = &v["items"][0];
        if last_print.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  import: {} rows read, {}",
                job["rows_read"], job["status"]
            );
            last_print = Instant::now();
        }
        match job["status"].as_str() {
            Some("DONE") => {
                assert_eq!(job["rows_applied"].as_u64(), Some(n), "{job}");
                break;
            }
            Some("FAILED") => panic!("the import failed: {job}"),
            _ => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let phase = Phase {
        rows: n,
        secs,
        rss_before,
        rss_after: status_bytes(Some(pid), "VmRSS"),
        rss_peak: status_bytes(Some(pid), "VmHWM"),
    };
    engine.stop(Duration::from_secs(10));
    phase
}

fn webhook_request(host: &str, i: u64) -> Vec<u8> {
    let body = webhook_body(i);
    let hmac =
        galantis::integrations::shopify::webhook::sign(SHOPIFY_SECRET.as_bytes(), body.as_bytes());
    let mut req = format!(
        "POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Shopify-Topic: customers/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n\
         X-Shopify-Webhook-Id: bench-{i}\r\nX-Shopify-API-Version: 2026-04\r\n\
         X-Shopify-Hmac-Sha256: {hmac}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

async fn webhooks(n: u64) -> Phase {
    let engine = start_engine(None, &[]);
    let http = reqwest::Client::new();
    let base = engine.base();
    wait_ready(&http, &base).await;
    create_tenant(
        &http,
        &base,
        &json!({"shop": SHOP, "shopify_access_token": TOKEN}),
    )
    .await;
    let pid = engine.pid();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = status_bytes(Some(pid), "VmRSS");
    let next = Arc::new(AtomicU64::new(0));
    let host = engine.addr.to_string();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..64 {
        let (next, host, addr) = (next.clone(), host.clone(), engine.addr);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await.expect("connect");
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let status = conn
                    .roundtrip(&webhook_request(&host, i))
                    .await
                    .expect("webhook");
                assert_eq!(status, 200, "webhook {i}");
            }
        }));
    }
    for t in tasks {
        t.await.expect("sender");
    }
    let mut last_print = Instant::now();
    loop {
        let applied = metric(
            &metrics_text(&http, &base).await,
            "galantis_webhooks_applied_total",
            "customers/create",
        ) as u64;
        if applied >= n {
            break;
        }
        if last_print.elapsed() > Duration::from_secs(10) {
            eprintln!("  webhooks: {applied} applied");
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    let phase = Phase {
        rows: n,
        secs,
        rss_before,
        rss_after: status_bytes(Some(pid), "VmRSS"),
        rss_peak: status_bytes(Some(pid), "VmHWM"),
    };
    engine.stop(Duration::from_secs(10));
    phase
}

fn print(name: &str, p: &Phase) {
    println!(
        "| {name} | {} | {:.1} s | {} rows/s | {} → {} (peak {}) | {:.0} B | {:.0} B |",
        thousands(p.rows),
        p.secs,
        thousands(p.rate() as u64),
        mib(p.rss_before),
        mib(p.rss_after),
        mib(p.rss_peak),
        p.growth_per_row(),
        p.peak_per_row(),
    );
}

fn main() {
    let sizes: Vec<u64> = std::env::var("GALANTIS_BENCH_IMPORT_SIZES")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let reference = env_u64("GALANTIS_BENCH_WEBHOOK_ROWS", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    galantis::integrations::install_tls_provider();
    println!("machine: {}", machine());
    let _ = OPERATOR;
    let mut rows = Vec::new();
    rt.block_on(async {
        eprintln!("webhook reference: {reference} customers/create");
        rows.push((
            "webhooks (reference)".to_string(),
            webhooks(reference).await,
        ));
        for n in sizes {
            eprintln!("import: {n} customers");
            rows.push((format!("import {}", thousands(n)), import(n).await));
        }
    });
    println!("load average at end: {}", loadavg());
    println!();
    println!("| phase | rows | time | rate | engine RSS before → after (peak) | growth / row | peak growth / row |");
    println!("|---|---:|---:|---:|---|---:|---:|");
    for (name, p) in &rows {
        print(name, p);
    }
    let reference = &rows[0].1;
    for (name, p) in rows.iter().skip(1) {
        println!(
            "{name}: {:.2} × the webhook rate; growth per row {:.2} × the webhooks'",
            p.rate() / reference.rate(),
            p.growth_per_row() / reference.growth_per_row().max(1.0),
        );
    }
}
