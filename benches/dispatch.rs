//! Outbound dispatch benchmark (issue #3, DESIGN §8 "outbound: dispatcher holds the
//! configured rate within 1 % and adds < 1 ms per message"). The real `galantis` binary
//! (child process) sends WhatsApp text messages to the Meta emulator running in this
//! process (`galantis::sandbox::meta`, set never to limit: 5,000 msgs/s, huge pair burst).
//!
//! Setup: a WhatsApp tenant, then `GALANTIS_BENCH_CUSTOMERS` (2,000) distinct customers
//! write in through the emulator, so every recipient has an open thread and 24 h window.
//! Then the emulator's webhook URL is cleared (unless `GALANTIS_BENCH_STATUSES=1`), so
//! delivery statuses do not flow back: the dispatcher is measured on its own.
//!
//! 1. Added latency, engine at 1,000/s, unsaturated: one connection queues
//!    `GALANTIS_BENCH_PROBE_RATE` (20) msgs/s for `GALANTIS_BENCH_PROBE_SECS` (10 s) with
//!    `POST /api/v1/messages`; per message, emulator receive time − arrival of the 202.
//! 2. Live, engine at 1,000/s: `GALANTIS_BENCH_MESSAGES` (6,000) queued as fast as
//!    `GALANTIS_BENCH_CONNECTIONS` (32) connections can while the engine sends.
//! 3. Pre-queued, 1,000/s: the same number queued into an engine held at 1 msg/s, which
//!    is then stopped (SIGTERM) and restarted on the same data at 1,000/s, so the
//!    dispatcher starts from a full queue and is the only bottleneck.
//! 4. Pre-queued, 80/s, `GALANTIS_BENCH_SLOW_MESSAGES` (800).
//!
//! (A fifth part, `governor` quotas in a dispatcher-shaped loop, was a finished
//! investigation: its findings are in BENCHMARKS.md and its code at `09c10f3`.)
//!
//! Rates come from the emulator's receive timestamps: over the middle 90 % of the
//! messages (the definition), and from 1 s after the first send to the 95 % mark
//! (after the governor's start burst). Engine CPU per message: `/proc/<pid>/stat`
//! utime+stime sampled every 20 ms, over the same span, minus the engine's idle use.
//!
//! Run: `cargo bench --bench dispatch`. Other knobs: `GALANTIS_BENCH_FAST_RATE` (1000),
//! `GALANTIS_BENCH_SLOW_RATE` (80), `GALANTIS_BENCH_CLIENT_THREADS` (2),
//! `GALANTIS_BENCH_EMULATOR_MPS` (5000: the emulator's per-number limit; set it to the
//! engine's rate to see how many sends Meta's sliding 1 s window would refuse with 130429).
//! 127.0.0.1 only.

mod common;
#[path = "dispatch/latency.rs"]
mod latency;
#[path = "dispatch/rate.rs"]
mod rate;
#[path = "dispatch/timeline.rs"]
mod timeline;

use latency::*;
use rate::*;
use timeline::*;

use common::load::{self, post_json, Conn, Server};
use common::{clock_ticks, cpu_time, env_u64, mib, status_bytes, thousands};
use galantis::sandbox::meta::{
    AccountRegistration, EmulatorConfig, MetaEmulator, SentMessage, StatusDelays,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const SHOP: &str = "bench-dispatch.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
const TOKEN: &str = "EAAG-bench-dispatch-token";
const APP_SECRET: &str = "bench-meta-app-secret";

struct Cfg {
    customers: u64,
    fast_rate: u64,
    fast_n: u64,
    slow_rate: u64,
    slow_n: u64,
    probe_rate: u64,
    probe_secs: u64,
    conns: u64,
    statuses: bool,
    emulator_mps: u32,
}

fn main() {
    let cfg = Cfg {
        customers: env_u64("GALANTIS_BENCH_CUSTOMERS", 2_000).max(1),
        fast_rate: env_u64("GALANTIS_BENCH_FAST_RATE", 1_000).clamp(2, 1_000),
        fast_n: env_u64("GALANTIS_BENCH_MESSAGES", 6_000).max(100),
        slow_rate: env_u64("GALANTIS_BENCH_SLOW_RATE", 80).clamp(2, 1_000),
        slow_n: env_u64("GALANTIS_BENCH_SLOW_MESSAGES", 800).max(100),
        probe_rate: env_u64("GALANTIS_BENCH_PROBE_RATE", 20).max(1),
        probe_secs: env_u64("GALANTIS_BENCH_PROBE_SECS", 10).max(1),
        conns: env_u64("GALANTIS_BENCH_CONNECTIONS", 32).max(1),
        statuses: env_u64("GALANTIS_BENCH_STATUSES", 0) == 1,
        emulator_mps: env_u64("GALANTIS_BENCH_EMULATOR_MPS", 5_000).clamp(1, 100_000) as u32,
    };
    let threads = env_u64("GALANTIS_BENCH_CLIENT_THREADS", 2).max(1) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(cfg, threads));
}

/// Recipient `i` in E.164: +44 77 10000000 + i.
fn customer(i: u64) -> String {
    format!("+4477{:08}", 10_000_000 + i)
}

fn engine_env(emu: &MetaEmulator, rate: u64) -> Vec<(&'static str, String)> {
    vec![
        ("GALANTIS__META__BASE_URL", emu.base_url().to_string()),
        ("GALANTIS_META_APP_SECRET", APP_SECRET.to_string()),
        ("GALANTIS__META__MESSAGES_PER_SECOND", rate.to_string()),
        ("GALANTIS__META__PAIR_BURST", "100000".to_string()),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0".to_string()),
    ]
}

fn secs_between(a: SystemTime, b: SystemTime) -> f64 {
    match b.duration_since(a) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn sends_so_far(emu: &MetaEmulator) -> u64 {
    emu.calls().get("send_message").copied().unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Queueing messages
// ---------------------------------------------------------------------------------------

/// `POST /api/v1/messages` for message `i` of run `tag`, to customer number `to`.
fn message_request(host: &str, key: &str, tag: &str, i: u64, to: u64) -> Vec<u8> {
    let body = json!({
        "to": customer(to),
        "message": {"type": "text", "text": format!("{tag}-{i}")},
    });
    post_json(host, "/api/v1/messages", Some(key), &body.to_string())
}

/// One queued message: its number, when its request left, when its answer came.
#[derive(Clone, Copy)]
struct Ack {
    i: u64,
    sent: SystemTime,
    acked: SystemTime,
    status: u16,
}

/// Queues `n` messages of run `tag` as fast as `conns` connections can (closed loop);
/// message `i` goes to customer `i % customers`. Returns the answers sorted by arrival,
/// the I/O errors and the time taken.
async fn queue_all(
    server: &Server,
    key: &str,
    tag: &'static str,
    n: u64,
    customers: u64,
    conns: u64,
) -> (Vec<Ack>, u64, f64) {
    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conns.min(n) {
        let (next, key, host, addr) = (
            next.clone(),
            key.to_string(),
            server.addr.to_string(),
            server.addr,
        );
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            let mut errors = 0u64;
            let mut conn = Conn::open(addr).await.expect("connect");
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let req = message_request(&host, &key, tag, i, i % customers);
                let sent = SystemTime::now();
                match conn.roundtrip(&req).await {
                    Ok(status) => acks.push(Ack {
                        i,
                        sent,
                        acked: SystemTime::now(),
                        status,
                    }),
                    Err(_) => {
                        errors += 1;
                        conn = Conn::open(addr).await.expect("reconnect");
                    }
                }
            }
            (acks, errors)
        }));
    }
    let mut acks = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (a, e) = task.await.expect("queue task");
        acks.extend(a);
        errors += e;
    }
    acks.sort_by_key(|a| a.acked);
    (acks, errors, t.elapsed().as_secs_f64())
}

/// Waits until the emulator has accepted all `n` messages of run `tag` (or `limit`):
/// first cheaply, until it has taken `want` send calls more than `before`, then by
/// counting what it accepted (refused calls, e.g. 130429, are retried by the engine).
async fn wait_sent(emu: &MetaEmulator, before: u64, want: u64, tag: &str, n: u64, limit: Duration) {
    let t = Instant::now();
    while sends_so_far(emu) < before + want && t.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while (sent_of(emu, tag).len() as u64) < n && t.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Send calls the emulator refused since `before` (calls − accepted messages of `tag`
/// received at or after `from`).
fn refused(emu: &MetaEmulator, before: u64, tag: &str, from: SystemTime) -> u64 {
    let calls = sends_so_far(emu) - before;
    let accepted = sent_of(emu, tag)
        .values()
        .flatten()
        .filter(|m| m.at >= from)
        .count() as u64;
    calls.saturating_sub(accepted)
}

/// The emulator's accepted messages of run `tag`, by message number.
fn sent_of(emu: &MetaEmulator, tag: &str) -> BTreeMap<u64, Vec<SentMessage>> {
    let prefix = format!("{tag}-");
    let mut by = BTreeMap::<u64, Vec<SentMessage>>::new();
    for m in emu.sent() {
        let number = m.body["text"]["body"]
            .as_str()
            .and_then(|t| t.strip_prefix(&prefix))
            .and_then(|s| s.parse().ok());
        if let Some(i) = number {
            by.entry(i).or_default().push(m);
        }
    }
    by
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

/// Customers write in through the emulator; waits until the engine applied them all.
async fn open_threads(
    emu: &Arc<MetaEmulator>,
    server: &Server,
    http: &reqwest::Client,
    key: &str,
    customers: u64,
) {
    let t = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (emu, next) = (emu.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= customers {
                    break;
                }
                emu.customer_says(NUMBER, &customer(i), "Hi, is my order on its way?")
                    .await
                    .expect("customer_says");
            }
        }));
    }
    for task in tasks {
        task.await.expect("customer task");
    }
    let said = t.elapsed();
    let base = server.base();
    loop {
        let text = load::metrics_text(http, &base).await;
        let inbound = load::metric(&text, "galantis_whatsapp_inbound_total", "");
        if inbound as u64 >= customers || t.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The API pages its lists (`items`, `next_after` as a string cursor).
    let mut threads: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => format!("{base}/api/v1/threads?limit=500&after={a}"),
            None => format!("{base}/api/v1/threads?limit=500"),
        };
        let page: Value = http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("threads")
            .json()
            .await
            .expect("json");
        threads.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    println!(
        "setup: {} customers wrote in ({:.1} s to deliver, {:.1} s until applied); threads via the API: {}; undelivered webhooks: {}",
        thousands(customers),
        said.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        thousands(threads.len() as u64),
        emu.webhook_failures().len()
    );
    assert_eq!(
        threads.len() as u64,
        customers,
        "one open thread per customer"
    );
}

fn print_plan(cfg: &Cfg, threads: usize) {
    println!(
        "== dispatch: the real engine sending to the Meta emulator (issue #3, DESIGN §8 outbound) =="
    );
    println!("machine: {}", common::machine());
    println!(
        "plan: {} customers with open threads; latency probe {}/s for {} s (engine at {}/s); live run {} msgs at {}/s; pre-queued runs {} msgs at {}/s and {} msgs at {}/s; queueing over {} connections; statuses back to the engine: {}; emulator limit {}/s per number; bench process (emulator + client) on {} tokio threads",
        thousands(cfg.customers),
        cfg.probe_rate,
        cfg.probe_secs,
        cfg.fast_rate,
        thousands(cfg.fast_n),
        cfg.fast_rate,
        thousands(cfg.fast_n),
        cfg.fast_rate,
        thousands(cfg.slow_n),
        cfg.slow_rate,
        cfg.conns,
        if cfg.statuses {
            "yes (sent after 5 ms, delivered after 10 ms, no read)"
        } else {
            "no (webhook URL cleared after setup)"
        },
        cfg.emulator_mps,
        threads
    );
}

async fn start_emulator(mps: u32) -> Arc<MetaEmulator> {
    let cfg = EmulatorConfig {
        app_secret: APP_SECRET.into(),
        accounts: vec![AccountRegistration {
            token: TOKEN.into(),
            waba_id: WABA.into(),
            phone_number_ids: vec![NUMBER.into()],
        }],
        messages_per_second: mps,
        pair_burst: 1_000_000,
        status_delays: StatusDelays {
            sent: Duration::from_millis(5),
            delivered: Duration::from_millis(10),
            read: Duration::from_millis(15),
        },
        auto_read: false,
        webhook_attempts: 2,
        ..EmulatorConfig::default()
    };
    Arc::new(MetaEmulator::start(cfg).await.expect("emulator"))
}

fn print_summary(runs: &[RateResult], lat: &Latency, cfg: &Cfg) {
    let yes = |b: bool| if b { "yes" } else { "NO" };
    println!("\n| run | configured | middle 90 % | after the 1st second | most in 1 s | engine CPU/msg (mid / after 1st s) | flushes/msg | sent once | target ±1 % (middle 90 %) |");
    println!("|---|---:|---:|---:|---:|---:|---:|:---:|:---:|");
    for r in runs {
        let s = &r.shape;
        println!(
            "| {} | {}/s | {:.1}/s ({:+.2} %) | {:.1}/s ({:+.2} %) | {} ({:.2}×) | {:.0} / {:.0} µs | {:.2} | {} | {} |",
            r.name,
            s.rate,
            s.mid_rate,
            s.dev(s.mid_rate),
            s.after_rate,
            s.dev(s.after_rate),
            s.max_window,
            s.max_window as f64 / s.rate as f64,
            r.cpu_mid,
            r.cpu_after,
            r.flushes_per_msg,
            yes(r.exact),
            yes(s.dev(s.mid_rate).abs() <= 1.0)
        );
    }
    let p50 = q_signed_ms(&lat.added, 0.5);
    let p99 = q_signed_ms(&lat.added, 0.99);
    println!(
        "\n| added latency (202 → emulator), {}/s offered, engine at {}/s | p50 {:.3} ms | p99 {:.3} ms | target < 1 ms: p50 {}, p99 {} |",
        cfg.probe_rate,
        cfg.fast_rate,
        p50,
        p99,
        yes(p50 < 1.0),
        yes(p99 < 1.0)
    );
    println!("load average at end: {}", common::loadavg());
}

async fn run(cfg: Cfg, threads: usize) {
    galantis::integrations::install_tls_provider();
    let http = reqwest::Client::new();
    print_plan(&cfg, threads);
    let emu = start_emulator(cfg.emulator_mps).await;

    let engine = load::start_engine(None, &engine_env(&emu, cfg.fast_rate));
    load::wait_ready(&http, &engine.base()).await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", engine.base()));
    let tenant = json!({"shop": SHOP, "shopify_access_token": "shpat_bench",
        "meta_access_token": TOKEN, "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]});
    let key = load::create_tenant(&http, &engine.base(), &tenant).await;
    open_threads(&emu, &engine, &http, &key, cfg.customers).await;
    if !cfg.statuses {
        emu.clear_webhook_url();
    }

    println!(
        "\n[1. added latency: engine at {}/s (pid {}), {} msgs/s offered on one connection]",
        cfg.fast_rate,
        engine.pid(),
        cfg.probe_rate
    );
    let lat = latency_probe(&emu, &engine, &key, &cfg).await;
    print_latency(&lat);

    println!(
        "\n[2. live: {} messages queued as fast as possible while the engine sends at {}/s]",
        thousands(cfg.fast_n),
        cfg.fast_rate
    );
    let live = live_run(&emu, &engine, &http, &key, &cfg).await;
    let dir = engine.stop(Duration::from_secs(10));

    println!(
        "\n[3. pre-queued: {} messages, then the engine restarted at {}/s]",
        thousands(cfg.fast_n),
        cfg.fast_rate
    );
    let (fast, dir) = prequeued_run(
        &emu,
        dir,
        &http,
        &key,
        "fast",
        cfg.fast_rate,
        cfg.fast_n,
        &cfg,
    )
    .await;
    println!(
        "\n[4. pre-queued: {} messages, then the engine restarted at {}/s]",
        thousands(cfg.slow_n),
        cfg.slow_rate
    );
    let (slow, _dir) = prequeued_run(
        &emu,
        dir,
        &http,
        &key,
        "slow",
        cfg.slow_rate,
        cfg.slow_n,
        &cfg,
    )
    .await;
    let calls = sends_so_far(&emu);
    let accepted = emu.sent().len() as u64;
    println!(
        "\n[emulator] send calls {}, accepted {} (rejected {})",
        thousands(calls),
        thousands(accepted),
        calls - accepted
    );

    print_summary(&[live, fast, slow], &lat, &cfg);
}
