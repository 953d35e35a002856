//! Ingest benchmark (issue #2, DESIGN §8): Shopify webhooks over HTTP into the real engine
//! (the `galantis` binary in a child process) against a bare axum handler (this binary
//! re-executed as a child process) with the same load generator in the same run:
//! closed loop with 64 keep-alive connections (requests/s, p50/p99), then an open loop at
//! a fixed 2,000 webhooks/s (ack latency from the intended send time, no coordinated
//! omission). Afterwards it checks that the engine applied every acknowledged webhook.
//! Two durable floors (see [`floor_server`]) run the same closed loop in the same run: the
//! acknowledgement path alone, with nothing applied, which bounds what the engine can reach.
//! DESIGN §8's target is against the log floor (engine ≥ 80 % of its requests/s); the
//! summary table ends with that target and a verdict line (see `ingest/target.rs`); the
//! bare handler's ratio stays in the table for context.
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
#[path = "ingest/control.rs"]
mod control;
#[path = "ingest/floor.rs"]
mod floor;
#[path = "ingest/requests.rs"]
mod requests;
#[path = "ingest/store_alone.rs"]
mod store_alone;
#[path = "ingest/target.rs"]
mod target;

use control::*;
use floor::*;
use requests::*;
use store_alone::*;
use target::*;

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
    let to_floor = engine_to_floor(&ratios, &floor_rates);
    let p99 = q_ms(&eng_open.latencies, 0.99);
    let yes = |b: bool| if b { "yes" } else { "NO" };
    println!("\n| measure | bare axum | engine | engine / bare | target | met |");
    println!("|---|---:|---:|---:|---:|:---:|");
    println!(
        "| closed loop, {} conns: requests/s{} | {:.0} | {:.0} | {:.0} % | context | |",
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
    );
    let verdict = print_target(&to_floor);
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
    println!("\n{verdict}");
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
