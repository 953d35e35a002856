//! Initial-import throughput and memory (issue #11, DESIGN §8): `N` customers imported by
//! bulk operation into the real engine, next to the same `N` customers fed as signed
//! `customers/create` webhooks over HTTP (64 connections) into a fresh engine: the same
//! contacts, the same machine and run.
//!
//! Each engine is `galantis serve` in a child process with a fresh temp data dir, so its
//! resident memory is its own. Both point their Admin API at the Shopify emulator (this
//! process), so nothing leaves 127.0.0.1. The emulator's bulk operation answers with a
//! JSONL file that this bench streams from its own loopback server as it generates the
//! rows (`ShopifyEmulator::serve_bulk_from`): no one holds the file, so the emulator's
//! memory is not in the way at 1 M. Customer `i` is one `sandbox::payloads::Customer`
//! (email, E.164 phone, a Spanish address): its webhook is that builder's body plus the
//! `tags` and `locale` a bulk row carries; its JSONL row is the same customer in the
//! shape of the engine's `bulk_customers.graphql`, with no phone marketing state, so
//! that a row is one delivery, as a webhook is. Both are generated while the phase runs,
//! by this process, on the same 2 cores as the engine.
//!
//! Per size and phase: rows/s until every row is applied (import: the job is `DONE`,
//! which waits for its last row to be applied; webhooks: `galantis_webhooks_applied_total`
//! reaches `N`), the engine's CPU per row, its resident memory before, after and at its
//! peak (`VmHWM`), growth per contact, bytes it wrote to disk per row, and the contacts
//! counted at the end (a `TAG HAS bench` segment count). Then a `CustomerBook` of the
//! same contacts (the import's own deliveries, applied by the real customer logic), built
//! in a child process: the contacts' own resident bytes, the part of the engine's growth
//! that is the contacts (the `memory` bench's method).
//!
//! Knobs: `GALANTIS_BENCH_IMPORT_CUSTOMERS` (comma list, default `100000,1000000`),
//! `GALANTIS_BENCH_PHASE_SECS` (a phase stops feeding after this long and reports what
//! was applied; default 300).
//! Run: `cargo bench --bench import`.

mod common;

use common::load::{create_tenant, metric, metrics_text, start_engine, wait_ready, Conn, Server};
use common::load::{ROLE, SHOPIFY_SECRET};
use common::{clock_ticks, cpu_time, env_u64, mib, rss_bytes, status_bytes, thousands};
use common::{write_bytes, CurrentCustomer};
use galantis::logic::customers::CustomerBook;
use galantis::logic::shopify::import::customer_deliveries;
use galantis::logic::{Delivery, Topic};
use galantis::sandbox::payloads::{gid, Address, Customer};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SHOP: &str = "bench-import.myshopify.com";
const TOKEN: &str = "shpat_test_token";
const FIRST_ID: u64 = 6_000_000_000_000;
const TAGS: [&str; 2] = ["imported", "bench"];
const CONNECTIONS: u64 = 64;
/// DESIGN §8: resident memory per contact.
const TARGET_BYTES: f64 = 1024.0;
/// A phase whose progress stands still this long is stopped and reported.
const STALL: Duration = Duration::from_secs(60);

/// Customer number `i`.
fn customer(i: u64) -> Customer {
    let id = FIRST_ID + i;
    let mut c = Customer::new(id);
    c.first_name = format!("Buyer{i}");
    c.last_name = "Bench".into();
    c.created_at = "2025-06-01T00:00:00Z".into();
    c.updated_at = "2025-06-02T00:00:00Z".into();
    c.email = Some(format!("buyer{id}@example.com"));
    c.phone = Some(format!("+3461{:07}", i % 10_000_000));
    c.currency = "EUR".into();
    let mut a = Address::in_country(id + 1_000_000_000_000, "ES");
    (a.address1, a.city, a.zip) = ("Calle Mayor 1".into(), "Madrid".into(), "28013".into());
    (a.province, a.province_code, a.country) = ("Madrid".into(), "M".into(), "Spain".into());
    c.address = Some(a);
    c
}

/// Customer `i` as one JSONL row of `bulk_customers.graphql`.
fn row(i: u64) -> Value {
    let c = customer(i);
    json!({"id": gid("Customer", c.id), "firstName": c.first_name, "lastName": c.last_name,
        "state": if c.enabled { "ENABLED" } else { "DISABLED" }, "locale": "es", "tags": TAGS,
        "createdAt": c.created_at, "updatedAt": c.updated_at,
        "defaultEmailAddress": c.email.map(|e| json!({"emailAddress": e})),
        "defaultPhoneNumber": c.phone.map(|p| json!({"phoneNumber": p, "marketingState": null,
            "marketingOptInLevel": null, "marketingUpdatedAt": null, "marketingCollectedFrom": null})),
        "defaultAddress": c.address.map(|a| json!({"countryCodeV2": a.country_code, "provinceCode": a.province_code}))})
}

/// Customer `i` as a `customers/create` body (the builder's, with the row's tags and locale).
fn webhook_body(i: u64) -> String {
    let mut body = customer(i).body();
    body["tags"] = json!(TAGS.join(", "));
    body["locale"] = json!("es");
    body.to_string()
}

fn webhook_request(host: &str, i: u64) -> Vec<u8> {
    let body = webhook_body(i);
    let hmac =
        galantis::integrations::shopify::webhook::sign(SHOPIFY_SECRET.as_bytes(), body.as_bytes());
    let mut req = format!(
        "POST /webhooks/shopify HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         X-Shopify-Topic: customers/create\r\nX-Shopify-Shop-Domain: {SHOP}\r\n\
         X-Shopify-Webhook-Id: bench-import-{i}\r\nX-Shopify-API-Version: 2026-04\r\n\
         X-Shopify-Hmac-Sha256: {hmac}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

/// Serves `n` rows over HTTP/1.1, generated as they are written, the body ending when
/// the connection closes (`Connection: close`, no length): nothing holds the file.
async fn serve_rows(n: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the rows server");
    let addr = listener.local_addr().expect("rows server address");
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
                    let mut text = String::with_capacity(1_000 * 600);
                    for i in start..(start + 1_000).min(n) {
                        text.push_str(&row(i).to_string());
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
    name: String,
    /// Rows asked for, and rows applied when the phase ended.
    target: u64,
    rows: u64,
    /// False when the phase stopped at its deadline or stalled.
    complete: bool,
    wall: Duration,
    engine_cpu: Duration,
    bench_cpu: Duration,
    rss_before: u64,
    rss_after: u64,
    rss_peak: u64,
    disk: u64,
    /// Contacts with the `bench` tag at the end.
    contacts: u64,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.wall.as_secs_f64()
    }
    fn per_row(&self, bytes: u64) -> f64 {
        bytes as f64 / self.rows.max(1) as f64
    }
    fn growth(&self) -> f64 {
        self.per_row(self.rss_after.saturating_sub(self.rss_before))
    }
    fn peak_growth(&self) -> f64 {
        self.per_row(self.rss_peak.saturating_sub(self.rss_before))
    }
}

/// The engine's counters at a phase's start.
struct Probe {
    pid: u32,
    ticks: u64,
    t0: Instant,
    cpu0: Duration,
    bench0: Duration,
    disk0: u64,
    rss0: u64,
}

impl Probe {
    fn start(pid: u32) -> Self {
        let ticks = clock_ticks();
        Self {
            pid,
            ticks,
            t0: Instant::now(),
            cpu0: cpu_time(Some(pid), ticks),
            bench0: cpu_time(None, ticks),
            disk0: write_bytes(pid),
            rss0: status_bytes(Some(pid), "VmRSS"),
        }
    }

    fn finish(self, name: String, target: u64, rows: u64, complete: bool) -> Phase {
        Phase {
            name,
            target,
            rows,
            complete,
            wall: self.t0.elapsed(),
            engine_cpu: cpu_time(Some(self.pid), self.ticks).saturating_sub(self.cpu0),
            bench_cpu: cpu_time(None, self.ticks).saturating_sub(self.bench0),
            rss_before: self.rss0,
            rss_after: status_bytes(Some(self.pid), "VmRSS"),
            rss_peak: status_bytes(Some(self.pid), "VmHWM"),
            disk: write_bytes(self.pid).saturating_sub(self.disk0),
            contacts: 0,
        }
    }
}

/// The emulator, an engine pointed at it with the shop installed; returns the tenant key.
async fn setup(http: &reqwest::Client) -> (ShopifyEmulator, Server, String) {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        client_secret: SHOPIFY_SECRET.into(),
        ..ShopifyEmulatorConfig::default()
    })
    .await
    .expect("Shopify emulator (it needs ../shared/fixtures)");
    emu.add_shop(SHOP, TOKEN, "Bench");
    let engine = start_engine(
        None,
        &[
            ("GALANTIS__SHOPIFY__ADMIN_BASE_URL", emu.base_url().into()),
            ("GALANTIS__SHOPIFY__IMPORT_POLL_MS", "20".into()),
            ("GALANTIS__SHOPIFY__RECONCILE_MINUTES", "0".into()),
            (
                "GALANTIS__SHOPIFY__ABANDONED_CHECKOUT_POLL_MINUTES",
                "0".into(),
            ),
        ],
    );
    wait_ready(http, &engine.base()).await;
    let body = json!({"shop": SHOP, "shopify_access_token": TOKEN});
    let key = create_tenant(http, &engine.base(), &body).await;
    // Let the install's own work (webhook subscriptions, first checks) settle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    (emu, engine, key)
}

/// Contacts carrying the `bench` tag (a segment count).
async fn contacts(http: &reqwest::Client, base: &str, key: &str) -> u64 {
    let draft = json!({"name": "n", "groups": [{"rules": [{"field": "TAG", "op": "HAS", "value": "bench"}]}]});
    let v: Value = match http
        .post(format!("{base}/api/v1/segments/count"))
        .bearer_auth(key)
        .json(&draft)
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    v["count"].as_u64().unwrap_or(0)
}

async fn import(n: u64, limit: Duration) -> Phase {
    let http = reqwest::Client::new();
    let (emu, engine, key) = setup(&http).await;
    let url = serve_rows(n).await;
    emu.serve_bulk_from(SHOP, &url, n);
    let base = engine.base();
    let probe = Probe::start(engine.pid());
    let r = http
        .post(format!("{base}/api/v1/imports"))
        .bearer_auth(&key)
        .json(&json!({"resources": ["customers"]}))
        .send()
        .await
        .expect("start the import");
    assert_eq!(r.status(), 202, "POST /api/v1/imports");
    let (mut last, mut moved, mut printed) = (u64::MAX, Instant::now(), Instant::now());
    let (rows, complete) = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let v: Value = match http
            .get(format!("{base}/api/v1/imports"))
            .bearer_auth(&key)
            .send()
            .await
        {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        let job = &v["items"][0];
        let applied = job["rows_applied"].as_u64().unwrap_or(0);
        match job["status"].as_str() {
            Some("DONE") => {
                let skipped = job["rows_skipped"].as_u64().unwrap_or(0);
                assert_eq!((applied, skipped), (n, 0), "import job {job}");
                break (applied, true);
            }
            Some("FAILED") => panic!("the import failed: {job}"),
            _ => {}
        }
        if applied != last {
            (last, moved) = (applied, Instant::now());
        }
        if probe.t0.elapsed() > limit || moved.elapsed() > STALL {
            eprintln!("  import stopped at {job}");
            break (applied, false);
        }
        if printed.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "  import: {} rows journaled, {}",
                thousands(applied),
                job["status"]
            );
            printed = Instant::now();
        }
    };
    let mut p = probe.finish(format!("import {}", thousands(n)), n, rows, complete);
    p.contacts = contacts(&http, &base, &key).await;
    engine.stop(Duration::from_secs(10));
    emu.shutdown().await;
    p
}

/// `n` webhooks over `CONNECTIONS` keep-alive connections, until `limit`; returns how
/// many were acknowledged.
async fn send_webhooks(engine: &Server, n: u64, until: Instant) -> u64 {
    let next = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (next, acked, addr) = (next.clone(), acked.clone(), engine.addr);
        tasks.push(tokio::spawn(async move {
            let host = addr.to_string();
            let mut conn = Conn::open(addr).await.expect("connect to the engine");
            while Instant::now() < until {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return;
                }
                let req = webhook_request(&host, i);
                let status = conn.roundtrip(&req).await.expect("webhook roundtrip");
                assert_eq!(status, 200, "webhook {i}");
                acked.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("webhook sender");
    }
    acked.load(Ordering::Relaxed)
}

async fn webhooks(n: u64, limit: Duration) -> Phase {
    let http = reqwest::Client::new();
    let (emu, engine, key) = setup(&http).await;
    let base = engine.base();
    let probe = Probe::start(engine.pid());
    let sent = send_webhooks(&engine, n, probe.t0 + limit).await;
    let fed = probe.t0.elapsed();
    let (mut last, mut moved, mut printed) = (0, Instant::now(), Instant::now());
    let applied = loop {
        let text = metrics_text(&http, &base).await;
        let applied = metric(&text, "galantis_webhooks_applied_total", "customers/create") as u64;
        if applied >= sent {
            break applied;
        }
        if applied != last {
            (last, moved) = (applied, Instant::now());
        } else if moved.elapsed() > STALL {
            eprintln!("  webhooks: stalled at {applied} applied of {sent} acknowledged");
            break applied;
        }
        if printed.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "  webhooks: {} applied of {}",
                thousands(applied),
                thousands(sent)
            );
            printed = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let name = format!("webhooks {}", thousands(n));
    let mut p = probe.finish(name, n, applied, applied == n);
    eprintln!(
        "  webhooks: all {} acknowledged after {:.1} s",
        thousands(sent),
        fed.as_secs_f64()
    );
    p.contacts = contacts(&http, &base, &key).await;
    engine.stop(Duration::from_secs(10));
    emu.shutdown().await;
    p
}

/// Applies customer `i`'s import deliveries to `book` (as the engine's customer actor does).
fn apply_row(book: &mut CustomerBook, lookup: &CurrentCustomer, i: u64) {
    let at = galantis::domain::Timestamp::now();
    for d in customer_deliveries("import:1", &row(i)).expect("a customer row") {
        let body = serde_json::to_vec(&d.body).expect("body");
        let delivery = Delivery {
            topic: Topic::parse(d.topic),
            body: &body,
            triggered_at: None,
            received_at: at,
        };
        book.apply(&delivery, lookup).expect("the row applies");
    }
}

/// Resident bytes per contact of a `CustomerBook` of the same contacts, at each size,
/// built in a fresh child process (this one's heap holds the phases' freed buffers,
/// which a book would reuse unseen): `ROLE=book`, one `book <contacts> <bytes>` line
/// per size.
fn book_bytes(sizes: &[u64]) -> Vec<(u64, f64)> {
    let list: Vec<String> = sizes.iter().map(u64::to_string).collect();
    let out = std::process::Command::new(std::env::current_exe().expect("bench executable"))
        .env(ROLE, "book")
        .env("GALANTIS_BENCH_IMPORT_CUSTOMERS", list.join(","))
        .output()
        .expect("the CustomerBook child process");
    assert!(
        out.status.success(),
        "the CustomerBook child failed: {out:?}"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut w = l.strip_prefix("book ")?.split(' ');
            Some((w.next()?.parse().ok()?, w.next()?.parse().ok()?))
        })
        .collect()
}

/// The child's side of [`book_bytes`].
fn build_book(sizes: &[u64]) {
    let lookup = CurrentCustomer::default();
    {
        let mut warm = CustomerBook::new();
        (0..100).for_each(|i| apply_row(&mut warm, &lookup, u64::MAX / 4 + i));
    }
    let base = rss_bytes();
    let mut book = CustomerBook::new();
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let mut i = 0;
    for n in sorted {
        while i < n {
            apply_row(&mut book, &lookup, i);
            i += 1;
        }
        let per = rss_bytes().saturating_sub(base) as f64 / book.len().max(1) as f64;
        println!("book {} {per:.1}", book.len());
    }
}

/// Customer 0's contact from its webhook and from its row: both ways give the same contact.
fn same_contact() -> bool {
    let lookup = CurrentCustomer::default();
    let (mut a, mut b) = (CustomerBook::new(), CustomerBook::new());
    apply_row(&mut a, &lookup, 0);
    let body = webhook_body(0);
    let d = Delivery {
        topic: Topic::parse("customers/create"),
        body: body.as_bytes(),
        triggered_at: None,
        received_at: galantis::domain::Timestamp::now(),
    };
    b.apply(&d, &lookup).expect("the webhook applies");
    let show = |book: &CustomerBook| {
        let mut v = serde_json::to_value(book.contact(FIRST_ID)).unwrap_or(Value::Null);
        for k in ["created_at", "updated_at", "synced_at", "received_at"] {
            v.as_object_mut().map(|o| o.remove(k));
        }
        v
    };
    let (x, y) = (show(&a), show(&b));
    if x != y {
        eprintln!("contact from the row:     {x}\ncontact from the webhook: {y}");
    }
    x == y
}

fn main() {
    let sizes: Vec<u64> = std::env::var("GALANTIS_BENCH_IMPORT_CUSTOMERS")
        .unwrap_or_else(|_| "100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .filter(|n| *n > 0)
        .collect();
    if std::env::var(ROLE).as_deref() == Ok("book") {
        build_book(&sizes);
        return;
    }
    let limit = Duration::from_secs(env_u64("GALANTIS_BENCH_PHASE_SECS", 300));
    galantis::integrations::install_tls_provider();
    println!(
        "== import: customers by bulk operation vs the same customers as webhooks ({CONNECTIONS} connections) =="
    );
    println!("machine: {}", common::machine());
    println!(
        "sizes: {:?}; a JSONL row is {} B, a webhook body {} B; same contact either way: {}",
        sizes,
        row(0).to_string().len(),
        webhook_body(0).len(),
        if same_contact() { "yes" } else { "NO" }
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut phases = Vec::new();
    for &n in &sizes {
        eprintln!("import: {} customers", thousands(n));
        phases.push(rt.block_on(import(n, limit)));
        eprintln!("webhooks: {} customers/create", thousands(n));
        phases.push(rt.block_on(webhooks(n, limit)));
        println!("load average after {}: {}", thousands(n), common::loadavg());
    }
    let book = book_bytes(&sizes);
    report(&phases, &book);
    println!("load average at end: {}", common::loadavg());
}

fn report(phases: &[Phase], book: &[(u64, f64)]) {
    println!();
    println!("| phase | rows applied | wall | rows/s | engine CPU / row | engine RSS before → after (peak) | growth / contact | peak growth / contact | disk written / row | contacts counted |");
    println!("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for p in phases {
        let stopped = if p.complete { "" } else { " (stopped)" };
        println!(
            "| {} | {}{stopped} | {:.1} s | {} | {:.1} µs | {} → {} ({}) | {:.0} B | {:.0} B | {:.0} B | {} |",
            p.name,
            thousands(p.rows),
            p.wall.as_secs_f64(),
            thousands(p.rate() as u64),
            p.engine_cpu.as_secs_f64() * 1e6 / p.rows.max(1) as f64,
            mib(p.rss_before),
            mib(p.rss_after),
            mib(p.rss_peak),
            p.growth(),
            p.peak_growth(),
            p.per_row(p.disk),
            thousands(p.contacts),
        );
    }
    println!();
    for (n, per) in book {
        println!(
            "CustomerBook of the same {} contacts (a child process, the memory bench's method): {per:.0} B per contact",
            thousands(*n)
        );
    }
    for pair in phases.chunks(2) {
        let [imp, hook] = pair else { continue };
        let own = book
            .iter()
            .find(|(n, _)| *n == imp.target)
            .map_or(0.0, |b| b.1);
        println!(
            "{}: import {} rows/s = {:.2} × the webhooks' {} rows/s; engine CPU per row {:.2} ×; bench process CPU (generator, emulator) {:.1} s vs {:.1} s; peak growth per contact {:.0} B (webhooks {:.0} B, the contacts alone {own:.0} B; target ≤ {TARGET_BYTES:.0} B: {})",
            thousands(imp.target),
            thousands(imp.rate() as u64),
            imp.rate() / hook.rate(),
            thousands(hook.rate() as u64),
            imp.engine_cpu.as_secs_f64() / imp.rows.max(1) as f64
                / (hook.engine_cpu.as_secs_f64() / hook.rows.max(1) as f64),
            imp.bench_cpu.as_secs_f64(),
            hook.bench_cpu.as_secs_f64(),
            imp.peak_growth(),
            hook.peak_growth(),
            if imp.peak_growth() <= TARGET_BYTES { "met" } else { "NOT met" },
        );
        for p in pair {
            if p.contacts != p.target || !p.complete {
                println!(
                    "WARNING {}: {} of {} rows applied, {} contacts counted",
                    p.name,
                    thousands(p.rows),
                    thousands(p.target),
                    thousands(p.contacts)
                );
            }
        }
    }
}
