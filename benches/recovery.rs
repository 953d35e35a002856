//! Recovery benchmark (issue #2, DESIGN §8): 1 M contacts written to a sled store through
//! the `Store` API (built by the real customer logic), then, in a fresh process,
//! `Store::open` + `Engine::start` + `engine.recover()` + one `Count` call to the tenant's
//! customer actor that must answer 1 M. Target: back and serving in ≤ 10 s.
//!
//! Run: `cargo bench --bench recovery`. Scale: `GALANTIS_BENCH_CONTACTS` (default
//! 1000000); `GALANTIS_BENCH_ORDERS=1` also stores each contact's two orders and their
//! index pairs (a bigger, more realistic database; recovery does not load orders).
//! The write phase runs in a child process (this binary re-executed), so the measured
//! process starts cold, like a restarted engine; the OS page cache is warm.

mod common;

use common::{env_u64, mib, rss_bytes, status_bytes, thousands};
use galantis::actors::customers::CustomersMsg;
use galantis::actors::tenant::TenantMsg;
use galantis::actors::Engine;
use galantis::domain::contact::Contact;
use galantis::store::{Kind, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-recovery.myshopify.com";
const ROLE: &str = "GALANTIS_BENCH_ROLE";
const DIR: &str = "GALANTIS_BENCH_DIR";
/// The engine's default `store.cache_mb`.
const CACHE_BYTES: u64 = 256 * 1024 * 1024;
const TARGET: Duration = Duration::from_secs(10);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let contacts = env_u64("GALANTIS_BENCH_CONTACTS", 1_000_000).max(1);
    let with_orders = env_u64("GALANTIS_BENCH_ORDERS", 0) == 1;
    if std::env::var(ROLE).as_deref() == Ok("write") {
        let dir = PathBuf::from(std::env::var(DIR).expect("GALANTIS_BENCH_DIR"));
        runtime().block_on(write(&dir, contacts, with_orders));
        return;
    }

    println!(
        "== recovery: {} contacts back and serving (target for 1 M: <= 10 s) ==",
        thousands(contacts)
    );
    println!("machine: {}", common::machine());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-recovery")
        .tempdir()
        .expect("tempdir");
    println!(
        "store: {} (ext4, sled cache {}), contacts: {}, orders stored: {}",
        dir.path().display(),
        mib(CACHE_BYTES),
        thousands(contacts),
        if with_orders {
            "yes (2 per contact)"
        } else {
            "no"
        }
    );

    // Write phase in a child process.
    let exe = std::env::current_exe().expect("current exe");
    let status = std::process::Command::new(exe)
        .env(ROLE, "write")
        .env(DIR, dir.path())
        .status()
        .expect("start the write phase");
    assert!(status.success(), "write phase failed: {status}");

    // Recovery, measured in this (so far idle) process.
    let rss0 = rss_bytes();
    let rt = runtime();
    let (times, count, rss_after) = rt.block_on(recover(dir.path()));
    let hwm = status_bytes(None, "VmHWM");
    let total = times.iter().map(|(_, d)| *d).sum::<Duration>();
    println!("recovery (fresh process, page cache warm):");
    for (what, d) in &times {
        println!("  {what:<44} {:>8.0} ms", d.as_secs_f64() * 1000.0);
    }
    println!(
        "  {:<44} {:>8.0} ms",
        "total: open → serving",
        total.as_secs_f64() * 1000.0
    );
    println!("Count answered: {} contacts", thousands(count as u64));
    println!(
        "RSS before {}, after recovery {} (+{} = {:.0} B/contact incl. sled cache), peak (VmHWM) {}",
        mib(rss0),
        mib(rss_after),
        mib(rss_after.saturating_sub(rss0)),
        rss_after.saturating_sub(rss0) as f64 / count.max(1) as f64,
        mib(hwm)
    );
    let met = if total <= TARGET && count as u64 == contacts {
        "yes"
    } else {
        "NO"
    };
    println!();
    println!("| contacts | open → Count answered | target | met |");
    println!("|---:|---:|---:|:---:|");
    println!(
        "| {} | {:.2} s | 10 s | {met} |",
        thousands(count as u64),
        total.as_secs_f64()
    );
    println!("load average at end: {}", common::loadavg());
    assert_eq!(count as u64, contacts, "the customer actor lost contacts");
}

/// Writes the tenant and `n` contacts (and optionally their orders) through the Store API.
async fn write(dir: &Path, n: u64, with_orders: bool) {
    let started = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open store");
    let created = common::create_tenant(&store, SHOP, "glt_bench_recovery");
    assert!(created, "tenant exists already");
    let w = common::write_contacts(&store, SHOP, n, with_orders);
    store.flush_now().expect("flush");
    println!(
        "write phase (child process): {} contacts ({} deliveries applied) in {:.1} s, ~{} B per contact value, {} on disk",
        thousands(w.contacts),
        thousands(w.applied),
        started.elapsed().as_secs_f64(),
        w.bytes / w.contacts.max(1),
        mib(store.size_on_disk())
    );
}

/// Opens, starts, recovers and counts; returns the phase times, the count and the RSS.
async fn recover(dir: &Path) -> (Vec<(&'static str, Duration)>, usize, u64) {
    let mut times = Vec::new();
    let t = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open store");
    times.push(("Store::open", t.elapsed()));
    let t = Instant::now();
    let services = common::services();
    let engine = Engine::start(store.clone(), services, Duration::from_secs(120))
        .await
        .expect("engine start");
    times.push(("Engine::start", t.elapsed()));
    let t = Instant::now();
    let report = engine.recover().await.expect("recover");
    times.push((
        "engine.recover() (tenants start, load records)",
        t.elapsed(),
    ));
    let t = Instant::now();
    let count = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Count { reply_to })
        })
        .await
        .expect("count");
    times.push(("first Count call answered", t.elapsed()));
    let rss = rss_bytes();
    assert_eq!(report.tenants, 1, "one tenant recovered");

    // Diagnostic (not part of the total): the scan + decode part alone, cache now warm.
    let t = Instant::now();
    let scanned: Vec<(u64, Contact)> = store.scan(SHOP, Kind::Contact).expect("scan");
    let scan = t.elapsed();
    println!(
        "diagnostic: a second Store::scan of {} contacts (sled cache warm) takes {:.0} ms",
        thousands(scanned.len() as u64),
        scan.as_secs_f64() * 1000.0
    );
    drop(scanned);
    engine.shutdown().await;
    (times, count, rss)
}
