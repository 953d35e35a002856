//! Waiting automation runs (issue #10, DESIGN §8): `GALANTIS_BENCH_RUNS` runs (default
//! 1,000,000) waiting on a delay in one tenant, written to sled as the engine writes them
//! (a run record + a due-index entry each; an ORDER_PLACED → delay → action flow), then,
//! in a fresh process: `Store::open` + `Engine::start` + `recover()` until the automation
//! actor answers (recovery with that many waiting runs), resident memory per waiting run,
//! and the firing latency of 10,000 steps coming due in the same second (from the due
//! time to the step's activity entry; each step finds its contact gone and exits, so
//! nothing else is measured).
//!
//! The reference in the same run: the write phase's own time per run (one record and one
//! index entry through the store), for scale.
//!
//! Run: `cargo bench --bench runs`.

mod common;

use common::{env_u64, mib, rss_bytes, thousands};
use galantis::actors::automations::AutomationsMsg;
use galantis::actors::tenant::TenantMsg;
use galantis::actors::Engine;
use galantis::domain::automations::run::{Run, RunStatus, TriggerContext};
use galantis::domain::automations::{FlowStatus, StoredFlow};
use galantis::domain::Timestamp;
use galantis::secrets::{hash_api_key, MasterKey};
use galantis::store::tenants::TenantStatus;
use galantis::store::{Batch, Kind, Store, TenantRecord};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-runs.myshopify.com";
const ROLE: &str = "GALANTIS_BENCH_ROLE";
const DIR: &str = "GALANTIS_BENCH_DIR";
const DUE_AT: &str = "GALANTIS_BENCH_DUE_AT";
const CACHE_BYTES: u64 = 256 * 1024 * 1024;
const BURST: u64 = 10_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let runs = env_u64("GALANTIS_BENCH_RUNS", 1_000_000).max(BURST);
    if std::env::var(ROLE).as_deref() == Ok("write") {
        let dir = PathBuf::from(std::env::var(DIR).expect("dir"));
        let due: i64 = std::env::var(DUE_AT).expect("due").parse().expect("due ms");
        runtime().block_on(write(&dir, runs, due));
        return;
    }
    println!("== runs: {} waiting runs in one tenant ==", thousands(runs));
    println!("machine: {}", common::machine());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-runs")
        .tempdir()
        .expect("tempdir");
    // The burst comes due 20 s after the write starts (after the restart below).
    let due = Timestamp::now().millis() + 20_000 + (runs as i64 / 50_000) * 1_000;
    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(ROLE, "write")
        .env(DIR, dir.path())
        .env(DUE_AT, due.to_string())
        .env("GALANTIS_BENCH_RUNS", runs.to_string())
        .status()
        .expect("write phase");
    assert!(status.success(), "write phase failed");
    runtime().block_on(measure(dir.path(), runs, due));
}

fn flow() -> StoredFlow {
    let draft = json!({"name": "bench", "nodes": [
        {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
        {"id": "wait", "type": "DELAY", "delay": {"minutes": 60}},
        {"id": "send", "type": "ACTION", "template": {"name": "t", "language": "en"}, "body": []}],
        "edges": [{"from": "t", "to": "wait"}, {"from": "wait", "to": "send"}],
        "settings": {"frequency_cap": "EVER"}});
    StoredFlow {
        id: 1,
        version: 1,
        status: FlowStatus::Active,
        definition: draft.to_string(),
        updated_ms: 0,
    }
}

async fn write(dir: &Path, n: u64, due: i64) {
    let started = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open store");
    let key = MasterKey::parse(&"11".repeat(32)).expect("master key");
    let now = Timestamp::now();
    let sealed = key
        .seal(
            &galantis::tenants::seal_context(SHOP, "shopify_token"),
            b"shpat_bench",
        )
        .expect("seal");
    store
        .create_tenant(&TenantRecord {
            shop: SHOP.to_string(),
            status: TenantStatus::Active,
            created_at: now,
            status_at: now,
            shopify_token: sealed,
            meta_token: None,
            meta_phone_number_ids: Vec::new(),
            meta_waba_id: None,
            api_key_hash: hash_api_key("glt_bench_runs"),
        })
        .expect("tenant");
    let mut b = Batch::new();
    let f = flow();
    b.put(SHOP, Kind::Flow, 1, &f).expect("flow");
    b.put(
        SHOP,
        Kind::FlowVersion,
        galantis::actors::automations::flows::version_key(1, 1),
        &f,
    )
    .expect("version");
    store.commit(b).expect("commit");
    let far = due + 86_400_000;
    let mut bytes = 0usize;
    let mut i = 0u64;
    while i < n {
        let mut b = Batch::new();
        for id in i..(i + 10_000).min(n) {
            let at = if id < BURST {
                due + (id as i64 % 1000)
            } else {
                far
            };
            let mut run = Run {
                id: id + 1,
                flow_id: 1,
                version: 1,
                contact_id: 1_000_000 + id,
                status: RunStatus::Waiting,
                node: "wait".into(),
                due_ms: Some(at),
                started_ms: now.millis(),
                context: TriggerContext {
                    order_id: Some(5_000_000 + id),
                    ..TriggerContext::default()
                },
                last_message: None,
                steps: 1,
                activity: Vec::new(),
            };
            run.log(
                "t",
                galantis::domain::automations::run::NodeStatus::Completed,
                now.millis(),
                None,
            );
            run.log(
                "wait",
                galantis::domain::automations::run::NodeStatus::Scheduled,
                now.millis(),
                None,
            );
            bytes += galantis::store::codec::encode(&run).map_or(0, |v| v.len());
            b.put(SHOP, Kind::Run, run.id, &run).expect("run");
            b.put_pair(SHOP, Kind::RunDue, at as u64, run.id);
        }
        store.commit(b).expect("commit");
        i += 10_000;
    }
    store.flush_now().expect("flush");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "write phase (child): {} runs in {:.1} s ({:.1} µs per run through the store), {} B per stored run, {} on disk",
        thousands(n),
        secs,
        secs * 1e6 / n as f64,
        bytes / n as usize,
        mib(store.size_on_disk())
    );
}

async fn measure(dir: &Path, n: u64, due: i64) {
    let base = rss_bytes();
    let t = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open");
    let services = std::sync::Arc::new(galantis::actors::context::ActorContext {
        meta: galantis::integrations::meta::client::MetaClient::new(
            &galantis::integrations::meta::client::MetaClientSettings::default(),
        )
        .expect("meta client"),
        settings: galantis::config::MetaSettings::default(),
        master_key: MasterKey::parse(&"11".repeat(32)).expect("key"),
        automations: galantis::config::AutomationSettings::default(),
    });
    let engine = Engine::start(store.clone(), services, Duration::from_secs(120))
        .await
        .expect("start");
    engine.recover().await.expect("recover");
    let status = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Automations(AutomationsMsg::Status { reply_to })
        })
        .await
        .expect("status");
    let back = t.elapsed();
    let rss = rss_bytes().saturating_sub(base);
    println!(
        "recovered with {} waiting runs in {:.2} s (automation actor answering; cursor {})",
        thousands(n),
        back.as_secs_f64(),
        status.cursor
    );
    println!(
        "resident memory after recovery: +{} = {:.0} B per waiting run (includes sled's cache)",
        mib(rss),
        rss as f64 / n as f64
    );
    let wait = (due + 3_000 - Timestamp::now().millis()).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let mut lat: Vec<i64> = Vec::new();
    for id in 1..=BURST {
        if let Some(r) = store.get::<Run>(SHOP, Kind::Run, id).expect("run") {
            if let (Some(last), Some(d)) = (
                r.activity.last(),
                r.due_ms.or(Some(due + ((id - 1) as i64 % 1000))),
            ) {
                if r.status.is_over() {
                    lat.push(last.at_ms - d);
                }
            }
        }
    }
    lat.sort_unstable();
    let p = |q: f64| {
        lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(-1)
    };
    println!();
    println!("| what | figure | target | met |");
    println!("|---|---:|---:|:---:|");
    println!(
        "| recovery with {} waiting runs | {:.2} s | ≤ 10 s | {} |",
        thousands(n),
        back.as_secs_f64(),
        if back.as_secs() < 10 { "yes" } else { "NO" }
    );
    println!(
        "| resident memory per waiting run | {:.0} B | ≤ 512 B | {} |",
        rss as f64 / n as f64,
        if rss / n <= 512 { "yes" } else { "NO" }
    );
    println!(
        "| {} steps due in one second, fired: {} — latency p50 / p99 / max | {} / {} / {} ms | p99 ≤ 1000 ms | {} |",
        thousands(BURST), thousands(lat.len() as u64), p(0.5), p(0.99), lat.last().copied().unwrap_or(-1),
        if lat.len() as u64 == BURST && p(0.99) <= 1000 { "yes" } else { "NO" }
    );
    println!("load average at end: {}", common::loadavg());
    engine.shutdown().await;
}
