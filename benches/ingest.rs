//! Ingest benchmark (issue #2, DESIGN §8): Shopify webhooks over HTTP into the real engine
//! (the `galantis` binary in a child process) against a bare axum handler (this binary
//! re-executed as a child process) with the same load generator in the same run:
//! closed loop with 64 keep-alive connections (requests/s, p50/p99), then an open loop at
//! a fixed 2,000 webhooks/s (ack latency from the intended send time, no coordinated
//! omission). Afterwards it checks that the engine applied every acknowledged webhook.
//! Two durable floors (see [`floor_server`]) run the same closed loop in the same run: the
//! acknowledgement path alone, with nothing applied, which bounds what the engine can reach.
//!
//! Run: `cargo bench --bench ingest`. Knobs: `GALANTIS_BENCH_SECS` (10),
//! `GALANTIS_BENCH_WARMUP_SECS` (2), `GALANTIS_BENCH_CONNECTIONS` (64),
//! `GALANTIS_BENCH_RATE` (2000), `GALANTIS_BENCH_CLIENT_THREADS` (2),
//! `GALANTIS_BENCH_ROUNDS` (1): with more, the closed loop is repeated that many times in
//! all, bare, the floors and the engine in turn, and the median ratios are reported — on a shared machine the
//! engine's figure moves far more from one half minute to the next than the bare one's.
//!
//! The load generator is the lean HTTP/1.1 client of `common::load` (one request in flight
//! per connection, keep-alive), so that on a 2-core machine it takes as little CPU as
//! possible away from the server; every request is built, signed and sent the same way for
//! both servers. Everything talks over 127.0.0.1 only.

mod common;

use common::load::{self, metric, q_ms, Outcome, Requests, Server};
use common::report::{self, print_closed, print_open, Closed};
use common::{env_u64, mib, status_bytes, thousands, Bodies, Person};
use galantis::domain::Timestamp;
use galantis::integrations::shopify::webhook::sign;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SHOP: &str = "bench-ingest.myshopify.com";

fn main() {
    if std::env::var(load::ROLE).as_deref() == Ok("bare") {
        load::bare_server("/webhooks/shopify", json!({"status": "accepted"}));
        return;
    }
    if std::env::var(load::ROLE).as_deref() == Ok("floor") {
        floor_server();
        return;
    }
    let cfg = Config {
        secs: env_u64("GALANTIS_BENCH_SECS", 10).max(1),
        warmup: env_u64("GALANTIS_BENCH_WARMUP_SECS", 2),
        conns: env_u64("GALANTIS_BENCH_CONNECTIONS", 64).max(1),
        rate: env_u64("GALANTIS_BENCH_RATE", 2000).max(1),
        rounds: env_u64("GALANTIS_BENCH_ROUNDS", 1).max(1),
    };
    let threads = env_u64("GALANTIS_BENCH_CLIENT_THREADS", 2).max(1) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(cfg, threads));
}

#[derive(Clone, Copy)]
struct Config {
    secs: u64,
    warmup: u64,
    conns: u64,
    rate: u64,
    rounds: u64,
}

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/// The engine in a child process, in a temp dir of its own.
fn start_engine() -> Server {
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-ingest")
        .tempdir()
        .expect("tempdir");
    load::start_engine(Some(dir), &[])
}

/// The two floors: what the acknowledgement path costs with nothing applied.
#[derive(Clone, Copy, PartialEq)]
enum Floor {
    /// HMAC + write-ahead log append + group `fdatasync`: no sled, no dedupe.
    Log,
    /// [`Floor::Log`] + the dedupe check and marker (`Store::accept_webhook`, the marker
    /// committed after the sync): the engine's ack path without tenant lookup or actors.
    Store,
}

impl Floor {
    fn name(self) -> &'static str {
        match self {
            Floor::Log => "log floor",
            Floor::Store => "store floor",
        }
    }
}

/// This bench binary re-executed with `ROLE=floor`: see [`floor_server`].
fn start_floor(kind: Floor) -> Server {
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-floor")
        .tempdir()
        .expect("tempdir");
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(load::ROLE, "floor")
        .env("GALANTIS_BENCH_FLOOR_DIR", dir.path())
        .env(
            "GALANTIS_BENCH_FLOOR_KIND",
            if kind == Floor::Log { "log" } else { "store" },
        );
    load::start(kind.name(), cmd, Some(dir))
}

/// The durable floors (run in the child), for attribution: the engine's acknowledgement
/// path and nothing else, on an axum router on a default multi-thread runtime (the
/// engine's shape). Both check the HMAC with the engine's `verify`. `log`
/// (`GALANTIS_BENCH_FLOOR_KIND=log`): `Wal::append` of the body, `Wal::durable()` (group
/// `fdatasync`), 200. `store`: `Store::accept_webhook` (dedupe + write-ahead log append),
/// `Store::ack_durable()`, then the webhook's dedupe marker committed (the one sled key a
/// webhook cannot do without), 200. No tenant lookup, no actors, no parsing, no apply:
/// whatever the engine does on top costs rate, so a floor's ratio to bare bounds what the
/// engine can reach on this machine with the persistence contract (DESIGN §4.1) kept.
fn floor_server() {
    use axum::http::{HeaderMap, StatusCode};
    let dir = std::env::var("GALANTIS_BENCH_FLOOR_DIR").expect("GALANTIS_BENCH_FLOOR_DIR");
    let log_only = std::env::var("GALANTIS_BENCH_FLOOR_KIND").as_deref() == Ok("log");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let path = std::path::Path::new(&dir);
        let (store, wal) = if log_only {
            let (wal, _) = galantis::store::wal::Wal::open(path).expect("log");
            (None, Some(wal))
        } else {
            let store = galantis::store::Store::open(path, 256 * 1024 * 1024).expect("store");
            (Some(store), None)
        };
        let ack = move |headers: HeaderMap, body: axum::body::Bytes| {
            let (store, wal) = (store.clone(), wal.clone());
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string()
                };
                let secret = load::SHOPIFY_SECRET.as_bytes();
                if !galantis::integrations::shopify::webhook::verify(
                    &[secret],
                    &body,
                    &h("x-shopify-hmac-sha256"),
                ) {
                    return (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(json!({"error": "hmac"})),
                    );
                }
                if let Some(wal) = wal {
                    return if wal.append(&body).is_ok() && wal.durable().await.is_ok() {
                        (StatusCode::OK, axum::Json(json!({"status": "accepted"})))
                    } else {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"error": "log"})),
                        )
                    };
                }
                let Some(store) = store else {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"error": "store"})),
                    );
                };
                let entry = galantis::store::JournalEntry {
                    shop: h("x-shopify-shop-domain"),
                    topic: h("x-shopify-topic"),
                    webhook_id: h("x-shopify-webhook-id"),
                    api_version: h("x-shopify-api-version"),
                    triggered_at: None,
                    received_at: Timestamp::now(),
                    body,
                };
                // The engine's actor writes the dedupe marker in its apply batch; here it
                // is written right after the sync, so entries leave the pending index (and
                // their bodies are freed) as they do in the engine.
                let stored = match store.accept_webhook(entry) {
                    Ok(galantis::store::Accepted::New { seq, entry }) => {
                        let mut batch = galantis::store::Batch::new();
                        store.ack_durable().await.is_ok()
                            && batch.applied(seq, &entry).is_ok()
                            && store.commit(batch).is_ok()
                    }
                    Ok(galantis::store::Accepted::Duplicate) => true,
                    Err(_) => false,
                };
                if stored {
                    (StatusCode::OK, axum::Json(json!({"status": "accepted"})))
                } else {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        axum::Json(json!({"error": "store"})),
                    )
                }
            }
        };
        load::serve_loopback(
            axum::Router::new().route("/webhooks/shopify", axum::routing::post(ack)),
        )
        .await;
    });
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// Builds signed webhook requests. Connection `conn` of phase `phase` sends, in turn, a
/// `customers/update` for a new customer and an `orders/create` for that customer.
struct Gen {
    bodies: Bodies,
    host: String,
}

/// Ids of phase `phase`, connection `conn`, customer `j` (all distinct).
fn customer_number(phase: u64, conn: u64, j: u64) -> u64 {
    phase * 100_000_000_000 + conn * 100_000_000 + j
}

impl Gen {
    /// Body `n` of connection `conn` in `phase`: topic and JSON.
    fn body(&self, phase: u64, conn: u64, n: u64) -> (&'static str, String) {
        let j = n / 2;
        let number = customer_number(phase, conn, j);
        let p = Person::new(number, common::CUSTOMER_BASE + number);
        let created = common::T0 + (number % 86_400_000) as i64;
        if n % 2 == 0 {
            let body = self.bodies.customer(&p, created, created + 1000);
            ("customers/update", body)
        } else {
            let oid = common::ORDER_BASE + number;
            let cents = 1_500 + (number * 37) % 30_000;
            let body = self.bodies.order(&p, oid, created + 5000, cents);
            ("orders/create", body)
        }
    }
}

impl Requests for Gen {
    /// Request `n` of connection `conn` in `phase`: the raw HTTP bytes, and whether it is
    /// a `customers/update`.
    fn request(&self, phase: u64, conn: u64, n: u64) -> (Vec<u8>, bool) {
        let (topic, body) = self.body(phase, conn, n);
        let is_customer = n % 2 == 0;
        let sig = sign(load::SHOPIFY_SECRET.as_bytes(), body.as_bytes());
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            phase as u32,
            conn & 0xffff,
            (n >> 48) & 0xfff,
            (n >> 36) & 0xfff,
            n & 0xffff_ffff_ffff
        );
        let triggered = Timestamp::now().to_rfc3339();
        let head = format!(
            "POST /webhooks/shopify HTTP/1.1\r\nHost: {}\r\nUser-Agent: Shopify-Captain-Hook\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Shopify-Topic: {topic}\r\nX-Shopify-Hmac-Sha256: {sig}\r\nX-Shopify-Shop-Domain: {SHOP}\r\nX-Shopify-Webhook-Id: {id}\r\nX-Shopify-Event-Id: {id}\r\nX-Shopify-API-Version: 2026-04\r\nX-Shopify-Triggered-At: {triggered}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body.as_bytes());
        (req, is_customer)
    }
}

// ---------------------------------------------------------------------------------------
// Load phases
// ---------------------------------------------------------------------------------------

/// The store alone, in this process: `Store::accept_webhook` (dedupe check + write-ahead
/// log append) then `Store::ack_durable()` (group `fdatasync`), from `conns`
/// tasks with the same bodies; no HTTP, no HMAC, no actors. The ceiling that sled and the
/// group commit set on this machine. Returns writes/s, sorted latencies (µs) and bytes
/// written to storage per webhook (whole phase).
async fn store_alone(gen: Arc<Gen>, cfg: Config, secs: u64) -> (f64, Vec<u64>, f64) {
    let written0 = common::write_bytes(std::process::id());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-store")
        .tempdir()
        .expect("tempdir");
    let store = galantis::store::Store::open(dir.path(), 256 * 1024 * 1024).expect("store");
    let begin = Instant::now();
    let from = begin + Duration::from_secs(1);
    let end = from + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for k in 0..cfg.conns {
        let (gen, store) = (gen.clone(), store.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < end {
                let (topic, body) = gen.body(2, k, n);
                let entry = galantis::store::JournalEntry {
                    shop: SHOP.to_string(),
                    topic: topic.to_string(),
                    webhook_id: format!("{k}-{n}"),
                    api_version: "2026-04".into(),
                    triggered_at: Some(Timestamp::now()),
                    received_at: Timestamp::now(),
                    body: body.into_bytes().into(),
                };
                n += 1;
                let t = Instant::now();
                store.accept_webhook(entry).expect("accept");
                store.ack_durable().await.expect("durable");
                let done = Instant::now();
                if done >= from && done <= end {
                    lat.push((done - t).as_micros() as u64);
                }
            }
            (lat, n)
        }));
    }
    let mut lat = Vec::new();
    let mut all = 0u64;
    for t in tasks {
        let (l, n) = t.await.expect("store task");
        lat.extend(l);
        all += n;
    }
    store.flush_now().expect("flush");
    let written = common::write_bytes(std::process::id()).saturating_sub(written0);
    lat.sort_unstable();
    (
        lat.len() as f64 / secs as f64,
        lat,
        written as f64 / all.max(1) as f64,
    )
}

// ---------------------------------------------------------------------------------------
// Engine control plane and metrics
// ---------------------------------------------------------------------------------------

/// The engine's Prometheus counters we use.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    accepted: f64,
    applied: f64,
    ignored: f64,
    dead: f64,
    flushes: f64,
    ack_sum: f64,
    ack_count: f64,
}

impl Counters {
    fn processed(&self) -> f64 {
        self.applied + self.ignored + self.dead
    }
}

async fn counters(http: &reqwest::Client, base: &str) -> Counters {
    let text = load::metrics_text(http, base).await;
    Counters {
        accepted: metric(
            &text,
            "galantis_shopify_webhooks_total",
            "outcome=\"accepted\"",
        ),
        applied: metric(&text, "galantis_webhooks_applied_total", ""),
        ignored: metric(&text, "galantis_webhooks_ignored_total", ""),
        dead: metric(&text, "galantis_webhooks_dead_lettered_total", ""),
        flushes: metric(&text, "galantis_wal_syncs_total", ""),
        ack_sum: metric(&text, "galantis_shopify_webhook_ack_seconds_sum", ""),
        ack_count: metric(&text, "galantis_shopify_webhook_ack_seconds_count", ""),
    }
}

/// Waits until every accepted webhook has been applied (or ignored / dead-lettered);
/// returns the wait and the final counters.
async fn drain(http: &reqwest::Client, base: &str) -> (Duration, Counters) {
    let t = Instant::now();
    loop {
        let c = counters(http, base).await;
        if c.processed() >= c.accepted || t.elapsed() > Duration::from_secs(120) {
            return (t.elapsed(), c);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts the tenant's contacts through the API (pages of 500); returns the count and
/// the first contact.
async fn count_contacts(http: &reqwest::Client, base: &str, key: &str) -> (u64, Value) {
    let mut n = 0u64;
    let mut first = Value::Null;
    let mut after: Option<u64> = None;
    loop {
        let url = match after {
            Some(a) => format!("{base}/api/v1/contacts?limit=500&after={a}"),
            None => format!("{base}/api/v1/contacts?limit=500"),
        };
        let r = http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("contacts");
        assert_eq!(r.status(), 200, "GET /api/v1/contacts");
        let v: Value = r.json().await.expect("json");
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if first.is_null() {
            first = items.first().cloned().unwrap_or(Value::Null);
        }
        n += items.len() as u64;
        match v["next_after"].as_u64() {
            Some(a) => after = Some(a),
            None => return (n, first),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// The closed loop with CPU sampled at the window's edges (and, for the engine, the
/// counters): [`common::report::measure_closed`].
async fn measure_closed(
    server: &Server,
    gen: Arc<Gen>,
    phase: u64,
    cfg: Config,
    http: &reqwest::Client,
    engine: bool,
) -> (Closed, Option<(Counters, Counters)>) {
    let (http, base) = (http.clone(), server.base());
    let read = engine.then_some(move || {
        let (http, base) = (http.clone(), base.clone());
        async move { counters(&http, &base).await }
    });
    let window = (cfg.conns, cfg.warmup, cfg.secs);
    report::measure_closed(server, gen, phase, window, read).await
}

/// Repeats the closed loop `cfg.rounds - 1` more times, bare, the floors, then the engine
/// each round (fresh customers each time), and prints every ratio; returns the engine's
/// ratios (the first run's included) and turns `floor_rates` (each holding its first
/// round's rate) into the floors' ratios to bare, one per round.
async fn more_rounds(
    bare: &Server,
    floors: &[(Floor, Server)],
    engine: &Server,
    (bare_first, eng_first): (&Closed, &Closed),
    floor_rates: &mut [(Floor, Vec<f64>)],
    cfg: Config,
    http: &reqwest::Client,
) -> Vec<f64> {
    let mut ratios = vec![eng_first.out.rate() / bare_first.out.rate()];
    for (_, rates) in floor_rates.iter_mut() {
        // The first round's floor rate, as a ratio to that round's bare rate.
        rates[0] /= bare_first.out.rate();
    }
    if cfg.rounds < 2 {
        return ratios;
    }
    println!(
        "\n[closed loop again, {} rounds in all, bare then engine each round]",
        cfg.rounds
    );
    let gen = |s: &Server| {
        Arc::new(Gen {
            bodies: Bodies::new(),
            host: s.addr.to_string(),
        })
    };
    for r in 1..cfg.rounds {
        let (b, _) = measure_closed(bare, gen(bare), 10 + r, cfg, http, false).await;
        let mut fl = String::new();
        for ((kind, floor), (_, rates)) in floors.iter().zip(floor_rates.iter_mut()) {
            let (f, _) = measure_closed(floor, gen(floor), 10 + r, cfg, http, false).await;
            rates.push(f.out.rate() / b.out.rate());
            fl.push_str(&format!(
                "{} {:.0} req/s ({:.0} µs/req, {:.0} %), ",
                kind.name(),
                f.out.rate(),
                f.server_us(),
                f.out.rate() / b.out.rate() * 100.0
            ));
        }
        let (e, _) = measure_closed(engine, gen(engine), 10 + r, cfg, http, false).await;
        let ratio = e.out.rate() / b.out.rate();
        println!(
            "  round {}: bare {:.0} req/s ({:.0} µs/req), {fl}engine {:.0} req/s ({:.0} µs/req, {} errors): {:.0} %",
            r + 1,
            b.out.rate(),
            b.server_us(),
            e.out.rate(),
            e.server_us(),
            e.out.errors(),
            ratio * 100.0
        );
        ratios.push(ratio);
    }
    let (wait, c) = drain(http, &engine.base()).await;
    println!(
        "  engine after the rounds: accepted {:.0}, processed {:.0} (drained in {:.2} s)",
        c.accepted,
        c.processed(),
        wait.as_secs_f64()
    );
    ratios
}

/// The open loop at `cfg.rate` (1 s of warm-up at most), phase 1.
async fn open(server: &Server, gen: Arc<Gen>, cfg: Config) -> Outcome {
    load::open_phase(server, gen, cfg.conns, cfg.rate, cfg.warmup, cfg.secs).await
}

async fn run(cfg: Config, threads: usize) {
    // reqwest is built with `rustls-no-provider`: the engine installs ring, so do we.
    galantis::integrations::install_tls_provider();
    let http = reqwest::Client::new();
    println!(
        "== ingest: Shopify webhooks over HTTP, engine vs bare axum (same run, same generator) =="
    );
    println!("machine: {}", common::machine());
    println!(
        "load: {} keep-alive connections, closed loop {} s warm-up + {} s measured; open loop {}/s for {} s (+1 s warm-up); generator on {} tokio threads in this process, each server in its own child process",
        cfg.conns, cfg.warmup, cfg.secs, cfg.rate, cfg.secs, threads
    );

    // Body sizes.
    let probe = Gen {
        bodies: Bodies::new(),
        host: "127.0.0.1:1".into(),
    };
    let (c, _) = probe.request(9, 0, 0);
    let (o, _) = probe.request(9, 0, 1);
    let body_len = |r: &[u8]| {
        r.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |h| r.len() - h - 4)
    };
    println!(
        "bodies: customers/update {} B, orders/create {} B (signed, unique X-Shopify-Webhook-Id, distinct customer ids)",
        body_len(&c),
        body_len(&o)
    );
    let gen_for_store = || {
        Arc::new(Gen {
            bodies: Bodies::new(),
            host: String::new(),
        })
    };
    let gen_for = |s: &Server| {
        Arc::new(Gen {
            bodies: Bodies::new(),
            host: s.addr.to_string(),
        })
    };

    // 1. Bare baseline.
    let bare = load::start_bare();
    load::wait_ready(&http, &bare.base()).await;
    println!("\n[bare axum handler, pid {}]", bare.pid());
    let (bare_closed, _) = measure_closed(&bare, gen_for(&bare), 0, cfg, &http, false).await;
    print_closed("closed loop", &bare_closed);
    let bare_open = open(&bare, gen_for(&bare), cfg).await;
    print_open("open loop  ", &bare_open, cfg.rate);
    let bare_rss = status_bytes(Some(bare.pid()), "VmRSS");

    // 1b. The durable floors: what acknowledging costs with nothing applied.
    let mut floors = Vec::new();
    let mut floor_rates = Vec::new();
    for kind in [Floor::Log, Floor::Store] {
        let floor = start_floor(kind);
        load::wait_ready(&http, &floor.base()).await;
        println!(
            "\n[{}: {}, nothing applied, pid {}]",
            kind.name(),
            if kind == Floor::Log {
                "HMAC + log append + group fdatasync"
            } else {
                "HMAC + accept_webhook (dedupe, log) + ack_durable + dedupe marker"
            },
            floor.pid()
        );
        let (closed, _) = measure_closed(&floor, gen_for(&floor), 0, cfg, &http, false).await;
        print_closed("closed loop", &closed);
        floor_rates.push((kind, vec![closed.out.rate()]));
        floors.push((kind, floor));
    }

    // 2. The engine.
    let engine = start_engine();
    let base = engine.base();
    load::wait_ready(&http, &base).await;
    let key = load::create_tenant(
        &http,
        &base,
        &json!({"shop": SHOP, "shopify_access_token": "shpat_bench"}),
    )
    .await;
    println!(
        "\n[engine: {} serve, pid {}]",
        env!("CARGO_BIN_EXE_galantis"),
        engine.pid()
    );
    let (eng_closed, window) = measure_closed(&engine, gen_for(&engine), 0, cfg, &http, true).await;
    print_closed("closed loop", &eng_closed);
    let (drain1, after1) = drain(&http, &base).await;
    if let Some((c0, c1)) = window {
        let secs = cfg.secs as f64;
        let acked = c1.accepted - c0.accepted;
        let flushes = c1.flushes - c0.flushes;
        println!(
            "    in the window: accepted {:.0}/s, applied {:.0}/s, backlog at the end {:.0}, drained {:.2} s after the run; {:.0} write-ahead log syncs/s ({:.1} webhooks per sync); server-side mean ack {:.2} ms",
            acked / secs,
            (c1.processed() - c0.processed()) / secs,
            c1.accepted - c1.processed(),
            drain1.as_secs_f64(),
            flushes / secs,
            acked / flushes.max(1.0),
            (c1.ack_sum - c0.ack_sum) / (c1.ack_count - c0.ack_count).max(1.0) * 1000.0
        );
    }
    let eng_open = open(&engine, gen_for(&engine), cfg).await;
    print_open("open loop  ", &eng_open, cfg.rate);
    let (drain2, after2) = drain(&http, &base).await;
    let eng_rss = status_bytes(Some(engine.pid()), "VmRSS");

    // 3. Did the engine apply what it acknowledged?
    let sent_ok = eng_closed.out.ok + eng_open.ok;
    let expected_contacts = eng_closed.out.ok_flagged + eng_open.ok_flagged;
    let (contacts, first) = count_contacts(&http, &base, &key).await;
    println!("\n[verification]");
    println!(
        "  acknowledged 200: {}; engine counters: accepted {:.0}, applied {:.0}, ignored {:.0}, dead-lettered {:.0} (drain after open loop {:.2} s; after closed loop: applied {:.0} of {:.0})",
        thousands(sent_ok),
        after2.accepted,
        after2.applied,
        after2.ignored,
        after2.dead,
        drain2.as_secs_f64(),
        after1.processed(),
        after1.accepted
    );
    println!(
        "  contacts via GET /api/v1/contacts: {} (expected {}: one per acknowledged customers/update); first: id {} orders_count {} phone {}",
        thousands(contacts),
        thousands(expected_contacts),
        first["shopify_customer_id"],
        first["orders_count"],
        first["phone"]
    );
    println!(
        "  RSS: bare server {}, engine {}; engine warn/error log lines: {}",
        mib(bare_rss),
        mib(eng_rss),
        engine.problems.load(Ordering::Relaxed)
    );
    let applied_ok = after2.accepted as u64 == sent_ok
        && after2.applied as u64 == sent_ok
        && contacts == expected_contacts;
    let ratios = more_rounds(
        &bare,
        &floors,
        &engine,
        (&bare_closed, &eng_closed),
        &mut floor_rates,
        cfg,
        &http,
    )
    .await;
    drop(engine);
    drop(floors);
    drop(bare);

    // 4. The store alone (same process as the generator), for attribution.
    let store_secs = cfg.secs.min(5);
    let (store_rate, store_lat, store_bytes) = store_alone(gen_for_store(), cfg, store_secs).await;
    println!(
        "\n[store alone, in-process: accept_webhook + ack_durable() from {} tasks, {} s]\n  {:.0} durable webhooks/s, p50 {:.2} ms, p99 {:.2} ms, disk writes {:.0} B/webhook",
        cfg.conns,
        store_secs,
        store_rate,
        q_ms(&store_lat, 0.5),
        q_ms(&store_lat, 0.99),
        store_bytes
    );

    // 5. Summary.
    let ratio = median(&ratios);
    let p99 = q_ms(&eng_open.latencies, 0.99);
    let yes = |b: bool| if b { "yes" } else { "NO" };
    println!("\n| measure | bare axum | engine | engine / bare | target | met |");
    println!("|---|---:|---:|---:|---:|:---:|");
    println!(
        "| closed loop, {} conns: requests/s{} | {:.0} | {:.0} | {:.0} % | ≥ 50 % | {} |",
        cfg.conns,
        if ratios.len() > 1 {
            format!(
                " (first round; ratio: median of {}, {:.0}–{:.0} %)",
                ratios.len(),
                ratios.iter().copied().fold(f64::INFINITY, f64::min) * 100.0,
                ratios.iter().copied().fold(0.0, f64::max) * 100.0
            )
        } else {
            String::new()
        },
        bare_closed.out.rate(),
        eng_closed.out.rate(),
        ratio * 100.0,
        yes(ratio >= 0.5)
    );
    println!(
        "| closed loop: p50 / p99 latency | {:.2} / {:.2} ms | {:.2} / {:.2} ms | | | |",
        q_ms(&bare_closed.out.latencies, 0.5),
        q_ms(&bare_closed.out.latencies, 0.99),
        q_ms(&eng_closed.out.latencies, 0.5),
        q_ms(&eng_closed.out.latencies, 0.99)
    );
    println!(
        "| closed loop: server CPU per request | {:.0} µs | {:.0} µs | {:.1}× | | |",
        bare_closed.server_us(),
        eng_closed.server_us(),
        eng_closed.server_us() / bare_closed.server_us().max(1e-9)
    );
    println!(
        "| open loop {}/s: p50 / p99 ack latency | {:.2} / {:.2} ms | {:.2} / {:.2} ms | | p99 ≤ 10 ms | {} |",
        cfg.rate,
        q_ms(&bare_open.latencies, 0.5),
        q_ms(&bare_open.latencies, 0.99),
        q_ms(&eng_open.latencies, 0.5),
        p99,
        yes(p99 <= 10.0 && eng_open.errors() == 0)
    );
    println!(
        "| every acknowledged webhook applied, contacts = customers sent | | {} | | | |",
        yes(applied_ok)
    );
    for (kind, rates) in &floor_rates {
        println!(
            "| for attribution: {} (nothing applied), ratio to bare (median of {}, {:.0}–{:.0} %) | | | {:.0} % | | |",
            kind.name(),
            rates.len(),
            rates.iter().copied().fold(f64::INFINITY, f64::min) * 100.0,
            rates.iter().copied().fold(0.0, f64::max) * 100.0,
            median(rates) * 100.0
        );
    }
    println!(
        "| for attribution: store alone (accept + group commit, no HTTP/actors), writes/s | | {:.0} | {:.0} % of bare | | |",
        store_rate,
        store_rate / bare_closed.out.rate() * 100.0
    );
    println!("load average at end: {}", common::loadavg());
    if bare_closed.out.errors() + eng_closed.out.errors() > 0 {
        println!("WARNING: errors during the closed loop (see above)");
    }
}

/// The median of `v` (the mean of the middle two for an even count).
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
