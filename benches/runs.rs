//! Waiting automation runs (issue #10, DESIGN §8): `GALANTIS_BENCH_RUNS` runs (default
//! 1,000,000) waiting on a delay in one tenant, written to sled as the engine writes them
//! (a run record + a due-index entry each, and the flow's counts; an ORDER_PLACED →
//! delay → action flow), next to `GALANTIS_BENCH_CONTACTS` contacts of the same tenant
//! (default 1,000,000; written exactly as `benches/recovery.rs` writes them, built by the
//! real customer logic; `0` keeps the runs alone, as before). Run *i* belongs to contact
//! *i mod contacts*. Then, in a fresh process:
//!
//! - **recovery**: `Store::open` + `Engine::start` + `recover()` until the engine answers
//!   both a customers `Count` (must equal the contacts) and the automation actor (its
//!   status, and the flow's counts, which must show the waiting runs): DESIGN §8's
//!   "1 M contacts + 1 M waiting runs back and serving in ≤ 10 s";
//! - resident memory after recovery, per contact + its run (and per run);
//! - **firing latency** of 10,000 steps coming due in the same second while the rest wait:
//!   from each step's due time to the time the automation actor began that step (its
//!   activity entry's timestamp; the actor steps runs one after the other, so this includes
//!   the queueing behind the burst's earlier steps). With contacts, each step reads its
//!   contact, its order and the contact's orders, walks the flow to the action node and
//!   ends there `Failed`: the action's template is not stored ("template `t` (en) no longer
//!   exists"), so nothing is queued to the outbox and nothing can go to Meta (the tenant
//!   has no Meta token or number either). That is the whole step up to the send; the send
//!   itself is `dispatch`'s measurement. Without contacts each step finds its contact gone
//!   and exits (the step before this change).
//!
//! References in the same run: the write phase's own time per run (one record and one
//! index entry through the store), and a plain `Store::scan` of the contacts after the
//! measurements (the decode-everything floor recovery cannot beat).
//!
//! Run: `cargo bench --bench runs`.

mod common;

use common::{env_u64, mib, rss_bytes, status_bytes, thousands, CUSTOMER_BASE, ORDER_BASE};
use galantis::actors::automations::AutomationsMsg;
use galantis::actors::customers::CustomersMsg;
use galantis::actors::tenant::TenantMsg;
use galantis::actors::Engine;
use galantis::domain::automations::run::{NodeStatus, Run, RunStatus, TriggerContext};
use galantis::domain::automations::{FlowCounts, FlowStatus, StoredFlow};
use galantis::domain::contact::Contact;
use galantis::domain::Timestamp;
use galantis::store::{Batch, Kind, Store};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-runs.myshopify.com";
const ROLE: &str = "GALANTIS_BENCH_ROLE";
const DIR: &str = "GALANTIS_BENCH_DIR";
const DUE_FILE: &str = "GALANTIS_BENCH_DUE_FILE";
const CACHE_BYTES: u64 = 256 * 1024 * 1024;
const BURST: u64 = 10_000;
const TARGET: Duration = Duration::from_secs(10);
/// The burst comes due this long after the write phase has written it (the restart and
/// recovery take ~6 s at 1 M + 1 M).
const DUE_AFTER_WRITE_MS: i64 = 25_000;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let runs = env_u64("GALANTIS_BENCH_RUNS", 1_000_000).max(BURST);
    let contacts = env_u64("GALANTIS_BENCH_CONTACTS", 1_000_000);
    if std::env::var(ROLE).as_deref() == Ok("write") {
        let dir = PathBuf::from(std::env::var(DIR).expect("dir"));
        let due_file = PathBuf::from(std::env::var(DUE_FILE).expect("due file"));
        runtime().block_on(write(&dir, runs, contacts, &due_file));
        return;
    }
    println!(
        "== runs: {} waiting runs and {} contacts in one tenant ==",
        thousands(runs),
        thousands(contacts)
    );
    println!("machine: {}", common::machine());
    let tmp = tempfile::Builder::new()
        .prefix("galantis-bench-runs")
        .tempdir()
        .expect("tempdir");
    let dir = tmp.path().join("store");
    let due_file = tmp.path().join("due_at");
    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(ROLE, "write")
        .env(DIR, &dir)
        .env(DUE_FILE, &due_file)
        .env("GALANTIS_BENCH_RUNS", runs.to_string())
        .env("GALANTIS_BENCH_CONTACTS", contacts.to_string())
        .status()
        .expect("write phase");
    assert!(status.success(), "write phase failed");
    let due: i64 = std::fs::read_to_string(&due_file)
        .expect("due file")
        .trim()
        .parse()
        .expect("due ms");
    runtime().block_on(measure(&dir, runs, contacts, due));
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

/// The contact (Shopify id) and order of run number `i` (0-based).
fn owner(i: u64, contacts: u64) -> (u64, u64) {
    if contacts == 0 {
        // No contacts stored: ids nobody has.
        return (1_000_000 + i, 5_000_000 + i);
    }
    let n = i % contacts;
    // The contact's second order, as `ContactFactory` numbers it (not stored).
    (CUSTOMER_BASE + n, ORDER_BASE + n * 2 + 1)
}

async fn write(dir: &Path, n: u64, contacts: u64, due_file: &Path) {
    let started = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open store");
    assert!(common::create_tenant(&store, SHOP, "glt_bench_runs"));
    let now = Timestamp::now();
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
    // The flow's counts as the engine keeps them (each run that starts waiting adds one).
    let counts = FlowCounts {
        enrolled: n,
        waiting: n,
        ..FlowCounts::default()
    };
    b.put(SHOP, Kind::FlowStats, 1, &counts).expect("counts");
    store.commit(b).expect("commit");
    if contacts > 0 {
        let t = Instant::now();
        let w = common::write_contacts(&store, SHOP, contacts, false);
        store.flush_now().expect("flush");
        println!(
            "write phase (child): {} contacts ({} deliveries applied) in {:.1} s, ~{} B per contact value",
            thousands(w.contacts),
            thousands(w.applied),
            t.elapsed().as_secs_f64(),
            w.bytes / w.contacts.max(1)
        );
    }
    // The runs that wait a day first (and flushed); the burst last, due a fixed time after
    // that (so that it comes due after the restart however slow the writes were).
    let t = Instant::now();
    let far = Timestamp::now().millis() + 2 * 86_400_000;
    let mut bytes = write_runs(&store, BURST..n, contacts, now.millis(), |_| far);
    // sled takes most of the time here: the staged batches reach it in the background.
    store.flush_now().expect("flush");
    let due = Timestamp::now().millis() + DUE_AFTER_WRITE_MS;
    bytes += write_runs(&store, 0..BURST, contacts, now.millis(), |id| {
        due + (id as i64 % 1000)
    });
    std::fs::write(due_file, due.to_string()).expect("due file");
    store.flush_now().expect("flush");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "write phase (child): {} runs in {:.1} s ({:.1} µs per run through the store), {} B per stored run; {} on disk; whole write phase {:.1} s",
        thousands(n),
        secs,
        secs * 1e6 / n as f64,
        bytes / n as usize,
        mib(store.size_on_disk()),
        started.elapsed().as_secs_f64()
    );
}

/// Writes runs number `ids` (run id = number + 1), each waiting on the delay until
/// `at(number)`, 10,000 per batch; the encoded bytes.
fn write_runs(
    store: &Store,
    ids: std::ops::Range<u64>,
    contacts: u64,
    started_ms: i64,
    at: impl Fn(u64) -> i64,
) -> usize {
    let mut bytes = 0usize;
    let mut i = ids.start;
    while i < ids.end {
        let mut b = Batch::new();
        for id in i..(i + 10_000).min(ids.end) {
            let due = at(id);
            let (contact_id, order_id) = owner(id, contacts);
            let mut run = Run {
                id: id + 1,
                flow_id: 1,
                version: 1,
                contact_id,
                status: RunStatus::Waiting,
                node: "wait".into(),
                due_ms: Some(due),
                started_ms,
                context: TriggerContext {
                    order_id: Some(order_id),
                    ..TriggerContext::default()
                },
                last_message: None,
                steps: 1,
                activity: Vec::new(),
            };
            run.log("t", NodeStatus::Completed, started_ms, None);
            run.log("wait", NodeStatus::Scheduled, started_ms, None);
            bytes += galantis::store::codec::encode(&run).map_or(0, |v| v.len());
            b.put(SHOP, Kind::Run, run.id, &run).expect("run");
            b.put_pair(SHOP, Kind::RunDue, due as u64, run.id);
        }
        store.commit(b).expect("commit");
        i += 10_000;
    }
    bytes
}

async fn measure(dir: &Path, n: u64, contacts: u64, due: i64) {
    let base = rss_bytes();
    let mut times: Vec<(&str, Duration)> = Vec::new();
    let t0 = Instant::now();
    let t = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open");
    times.push(("Store::open", t.elapsed()));
    let t = Instant::now();
    let engine = Engine::start(store.clone(), common::services(), Duration::from_secs(120))
        .await
        .expect("start");
    times.push(("Engine::start", t.elapsed()));
    let t = Instant::now();
    engine.recover().await.expect("recover");
    times.push((
        "engine.recover() (tenant starts, records loaded)",
        t.elapsed(),
    ));
    let t = Instant::now();
    let count = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Count { reply_to })
        })
        .await
        .expect("count");
    times.push(("customers Count answered", t.elapsed()));
    let t = Instant::now();
    let status = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Automations(AutomationsMsg::Status { reply_to })
        })
        .await
        .expect("status");
    let view = engine.flow(SHOP, 1).await.expect("flow").expect("flow 1");
    times.push(("automation status + flow counts answered", t.elapsed()));
    let back = t0.elapsed();
    let rss = rss_bytes().saturating_sub(base);
    let hwm = status_bytes(None, "VmHWM");
    let back_at = Timestamp::now().millis();
    println!("recovery (fresh process, page cache warm):");
    for (what, d) in &times {
        println!("  {what:<50} {:>8.0} ms", d.as_secs_f64() * 1000.0);
    }
    println!(
        "  {:<50} {:>8.0} ms",
        "total: open → both answered",
        back.as_secs_f64() * 1000.0
    );
    println!(
        "answered: Count {} contacts; automation cursor {}, flow 1 counts: {} waiting, {} enrolled",
        thousands(count as u64),
        status.cursor,
        thousands(view.counts.waiting),
        thousands(view.counts.enrolled)
    );
    assert_eq!(count as u64, contacts, "the customer actor lost contacts");
    assert_eq!(view.counts.waiting, n, "the flow's waiting count is off");
    let pairs = contacts.max(n);
    println!(
        "resident memory after recovery: +{} = {:.0} B per contact + run ({:.0} B per waiting run), includes sled's cache; peak (VmHWM) {}",
        mib(rss),
        rss as f64 / pairs as f64,
        rss as f64 / n as f64,
        mib(hwm)
    );
    if back_at > due - 1_000 {
        println!(
            "WARNING: recovery ended {} ms after the burst came due: the latency below includes recovery",
            back_at - due
        );
    }
    // Wait until every step of the burst has ended (at most a minute after it came due).
    let wait = (due + 1_000 - Timestamp::now().millis()).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    while burst_left(&store) > 0 && Timestamp::now().millis() < due + 60_000 {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (lat, ends) = burst_latency(&store, due);
    let p = |q: f64| {
        lat.get(((lat.len() as f64 * q) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(-1)
    };
    println!(
        "the burst's {} steps ended: {}",
        thousands(BURST),
        ends.iter()
            .map(|(why, k)| format!("{} × {why}", thousands(*k)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Reference in the same run: decoding every contact, nothing else (cache warm).
    let scan = if contacts > 0 {
        let t = Instant::now();
        let scanned: Vec<(u64, Contact)> = store.scan(SHOP, Kind::Contact).expect("scan");
        let d = t.elapsed();
        println!(
            "reference: a plain Store::scan of the {} contacts (sled cache warm) takes {:.0} ms; recovery / scan = {:.2}",
            thousands(scanned.len() as u64),
            d.as_secs_f64() * 1000.0,
            back.as_secs_f64() / d.as_secs_f64()
        );
        Some(d)
    } else {
        None
    };
    println!();
    println!("| what | figure | target | met |");
    println!("|---|---:|---:|:---:|");
    println!(
        "| recovery with {} contacts + {} waiting runs (open → Count and automation status answered) | {:.2} s{} | ≤ 10 s | {} |",
        thousands(contacts),
        thousands(n),
        back.as_secs_f64(),
        scan.map_or(String::new(), |d| format!(
            " ({:.2}× a plain scan of the contacts, {:.2} s)",
            back.as_secs_f64() / d.as_secs_f64(),
            d.as_secs_f64()
        )),
        if back <= TARGET { "yes" } else { "NO" }
    );
    if contacts > 0 {
        println!(
            "| resident memory per contact + its waiting run | {:.0} B | ≤ 1,024 + 512 B | {} |",
            rss as f64 / pairs as f64,
            if rss / pairs <= 1536 { "yes" } else { "NO" }
        );
    } else {
        println!(
            "| resident memory per waiting run | {:.0} B | ≤ 512 B | {} |",
            rss as f64 / n as f64,
            if rss / n <= 512 { "yes" } else { "NO" }
        );
    }
    println!(
        "| {} steps due in one second, fired: {} — latency p50 / p99 / max | {} / {} / {} ms | p99 ≤ 1000 ms | {} |",
        thousands(BURST), thousands(lat.len() as u64), p(0.5), p(0.99), lat.last().copied().unwrap_or(-1),
        if lat.len() as u64 == BURST && p(0.99) <= 1000 { "yes" } else { "NO" }
    );
    println!("load average at end: {}", common::loadavg());
    engine.shutdown().await;
}

/// Runs of the burst not ended yet.
fn burst_left(store: &Store) -> u64 {
    (1..=BURST)
        .filter(|id| {
            store
                .get::<Run>(SHOP, Kind::Run, *id)
                .expect("run")
                .is_none_or(|r| !r.status.is_over())
        })
        .count() as u64
}

/// The burst's latencies (due → the step's activity entry), sorted, and how its steps
/// ended (status and reason).
fn burst_latency(store: &Store, due: i64) -> (Vec<i64>, Vec<(String, u64)>) {
    let mut lat: Vec<i64> = Vec::new();
    let mut ends: std::collections::BTreeMap<String, u64> = Default::default();
    for id in 1..=BURST {
        let Some(r) = store.get::<Run>(SHOP, Kind::Run, id).expect("run") else {
            continue;
        };
        let at = r.due_ms.unwrap_or(due + ((id - 1) as i64 % 1000));
        let last = r.activity.last();
        let why = last
            .and_then(|a| a.reason.clone())
            .unwrap_or_else(|| "-".into());
        *ends.entry(format!("{:?} ({why})", r.status)).or_default() += 1;
        if let (Some(last), true) = (last, r.status.is_over()) {
            lat.push(last.at_ms - at);
        }
    }
    lat.sort_unstable();
    (lat, ends.into_iter().collect())
}
