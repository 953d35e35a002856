//! Store variants (issue #2, diagnostic, no DESIGN target): durable webhook writes/s and
//! bytes written to storage per webhook, 64 concurrent writers, ~2 KB bodies, for the
//! engine's real `Store::accept_webhook` + `Store::durable()` and for alternatives a
//! change in `store/` could take: the same two keys without a sled transaction, the
//! journal in its own sled tree, a group-commit linger, and an append-only file with one
//! `fdatasync` per group. Each variant runs 4 s on a fresh temp directory.
//!
//! Run: `cargo bench --bench store_variants`. Knobs: `GALANTIS_BENCH_SECS` (4),
//! `GALANTIS_BENCH_CONNECTIONS` (64).

mod common;

use common::{env_u64, thousands, write_bytes};
use galantis::domain::Timestamp;
use galantis::store::{JournalEntry, Store};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

const SHOP: &str = "bench-store.myshopify.com";

type Waiter = oneshot::Sender<()>;

#[derive(Clone, Copy)]
enum Variant {
    /// The engine's code: `Store::accept_webhook` (write-ahead log) + `Store::ack_durable`.
    Engine,
    /// Raw sled, one tree: insert the dedupe marker and the journal entry (no
    /// transaction), then a group commit like the engine's, with a linger.
    SledOneTree { linger_us: u64 },
    /// One tree, atomic without a transaction: under a striped in-process lock on the
    /// webhook id, `get` the dedupe marker, then one `apply_batch` with the marker and the
    /// journal entry; then the group commit.
    SledLockedBatch,
    /// As above but the journal entries live in their own tree.
    SledJournalTree,
    /// An append-only file: one writer thread, one `fdatasync` per group.
    AppendFile,
}

impl Variant {
    fn name(self) -> String {
        match self {
            Variant::Engine => "engine Store: accept_webhook (write-ahead log) + ack_durable()".into(),
            Variant::SledOneTree { linger_us: 0 } => {
                "sled, one tree, 2 inserts (no transaction) + group commit".into()
            }
            Variant::SledOneTree { linger_us } => {
                format!("sled, one tree, 2 inserts + group commit with {linger_us} µs linger")
            }
            Variant::SledLockedBatch => {
                "sled, one tree, striped lock + get + apply_batch (atomic, no transaction) + group commit".into()
            }
            Variant::SledJournalTree => {
                "sled, journal in its own tree, 2 inserts + group commit".into()
            }
            Variant::AppendFile => "append-only file, one writer, fdatasync per group".into(),
        }
    }
}

/// The engine's group commit (one flusher, `Db::flush` on the blocking pool), plus an
/// optional linger before taking the waiters.
fn sled_flusher(db: sled::Db, linger: Duration) -> mpsc::UnboundedSender<Waiter> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Waiter>();
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            if !linger.is_zero() {
                tokio::time::sleep(linger).await;
            }
            let mut waiters = vec![first];
            while let Ok(w) = rx.try_recv() {
                waiters.push(w);
            }
            let db = db.clone();
            let flushed = tokio::task::spawn_blocking(move || db.flush()).await;
            assert!(matches!(flushed, Ok(Ok(_))), "flush failed");
            for w in waiters {
                let _ = w.send(());
            }
        }
    });
    tx
}

/// One writer thread appending to a file, one `fdatasync` per group.
fn file_writer(path: std::path::PathBuf) -> std::sync::mpsc::Sender<(Vec<u8>, Waiter)> {
    let (tx, rx) = std::sync::mpsc::channel::<(Vec<u8>, Waiter)>();
    std::thread::spawn(move || {
        let mut f = std::fs::File::create(path).expect("wal file");
        while let Ok(first) = rx.recv() {
            let mut group = vec![first];
            while let Ok(x) = rx.try_recv() {
                group.push(x);
            }
            for (bytes, _) in &group {
                f.write_all(bytes).expect("append");
            }
            f.sync_data().expect("fdatasync");
            for (_, w) in group {
                let _ = w.send(());
            }
        }
    });
    tx
}

fn entry(k: u64, i: u64, body: &[u8]) -> JournalEntry {
    JournalEntry {
        shop: SHOP.to_string(),
        source: galantis::logic::Source::parse("customers/update"),
        webhook_id: format!(
            "{:08x}-{:04x}-4000-8000-{:012x}",
            k,
            i >> 48,
            i & 0xffff_ffff_ffff
        ),
        api_version: "2026-04".into(),
        triggered_at: Some(Timestamp::now()),
        received_at: Timestamp::now(),
        body: body.to_vec().into(),
    }
}

/// Runs one variant; returns durable writes/s, bytes written per write, p99 (ms).
async fn run(variant: Variant, writers: u64, secs: u64, body: Arc<Vec<u8>>) -> (f64, f64, f64) {
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-variants")
        .tempdir()
        .expect("tempdir");
    let done = Arc::new(AtomicU64::new(0));
    let written0 = write_bytes(std::process::id());
    let end = Instant::now() + Duration::from_secs(secs);
    let mut store = None;
    let mut sled_parts = None;
    let mut file = None;
    match variant {
        Variant::Engine => {
            store = Some(Store::open(dir.path(), 256 * 1024 * 1024).expect("store"));
        }
        Variant::SledOneTree { .. } | Variant::SledLockedBatch => {
            let linger_us = match variant {
                Variant::SledOneTree { linger_us } => linger_us,
                _ => 0,
            };
            let db = open_sled(dir.path());
            let tree = db.open_tree("galantis").expect("tree");
            let tx = sled_flusher(db.clone(), Duration::from_micros(linger_us));
            sled_parts = Some((db, tree.clone(), tree, tx));
        }
        Variant::SledJournalTree => {
            let db = open_sled(dir.path());
            let tree = db.open_tree("galantis").expect("tree");
            let journal = db.open_tree("journal").expect("tree");
            let tx = sled_flusher(db.clone(), Duration::ZERO);
            sled_parts = Some((db, tree, journal, tx));
        }
        Variant::AppendFile => file = Some(file_writer(dir.path().join("wal"))),
    }
    let stripes: Arc<Vec<std::sync::Mutex<()>>> =
        Arc::new((0..64).map(|_| std::sync::Mutex::new(())).collect());
    let locked = matches!(variant, Variant::SledLockedBatch);
    let mut tasks = Vec::new();
    for k in 0..writers {
        let (store, sled_parts, file) = (store.clone(), sled_parts.clone(), file.clone());
        let stripes = stripes.clone();
        let (done, body) = (done.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while Instant::now() < end {
                i += 1;
                let e = entry(k, i, &body);
                let t = Instant::now();
                if let Some(store) = &store {
                    store.accept_webhook(e).expect("accept");
                    store.ack_durable().await.expect("durable");
                } else if let Some((db, tree, journal, tx)) = &sled_parts {
                    let seq = db.generate_id().expect("id");
                    let mut seen = vec![b'S'];
                    seen.extend_from_slice(e.shop.as_bytes());
                    seen.push(0);
                    seen.extend_from_slice(e.webhook_id.as_bytes());
                    let mut key = vec![b'J'];
                    key.extend_from_slice(&seq.to_be_bytes());
                    let value = galantis::store::codec::encode(&e).expect("encode");
                    if locked {
                        let stripe = &stripes[(i ^ k) as usize % stripes.len()];
                        let _guard = stripe.lock().expect("stripe");
                        if tree.get(&seen).expect("get").is_none() {
                            let mut batch = sled::Batch::default();
                            batch.insert(seen, &seq.to_be_bytes()[..]);
                            batch.insert(key, value);
                            tree.apply_batch(batch).expect("batch");
                        }
                    } else {
                        tree.insert(seen, &seq.to_be_bytes()[..]).expect("insert");
                        journal.insert(key, value).expect("insert");
                    }
                    let (w, r) = oneshot::channel();
                    tx.send(w).expect("flusher");
                    r.await.expect("flushed");
                } else if let Some(file) = &file {
                    let value = galantis::store::codec::encode(&e).expect("encode");
                    let (w, r) = oneshot::channel();
                    file.send((value, w)).expect("writer");
                    r.await.expect("synced");
                }
                lat.push(t.elapsed().as_micros() as u64);
                done.fetch_add(1, Ordering::Relaxed);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("writer task"));
    }
    lat.sort_unstable();
    let n = done.load(Ordering::Relaxed).max(1);
    let written = write_bytes(std::process::id()).saturating_sub(written0);
    let p99 = lat
        .get((lat.len() as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(0) as f64
        / 1000.0;
    (n as f64 / secs as f64, written as f64 / n as f64, p99)
}

fn open_sled(dir: &std::path::Path) -> sled::Db {
    sled::Config::new()
        .path(dir)
        .cache_capacity(256 * 1024 * 1024)
        .flush_every_ms(Some(500))
        .open()
        .expect("sled")
}

fn main() {
    let secs = env_u64("GALANTIS_BENCH_SECS", 4).max(1);
    let writers = env_u64("GALANTIS_BENCH_CONNECTIONS", 64).max(1);
    println!("== store variants: durable webhook writes, {writers} writers, ~2 KB bodies, {secs} s each (diagnostic) ==");
    println!("machine: {}", common::machine());
    let body = Arc::new(
        common::Bodies::new()
            .customer(
                &common::Person::new(1, common::CUSTOMER_BASE + 1),
                common::T0,
                common::T0,
            )
            .into_bytes(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let variants = [
        Variant::Engine,
        Variant::SledOneTree { linger_us: 0 },
        Variant::SledOneTree { linger_us: 1000 },
        Variant::SledLockedBatch,
        Variant::SledJournalTree,
        Variant::AppendFile,
    ];
    println!("\n| variant | durable writes/s | p99 | bytes written per webhook |");
    println!("|---|---:|---:|---:|");
    for v in variants {
        let (rate, bytes, p99) = rt.block_on(run(v, writers, secs, body.clone()));
        println!(
            "| {} | {} | {:.1} ms | {} |",
            v.name(),
            thousands(rate as u64),
            p99,
            thousands(bytes as u64)
        );
    }
    println!("load average at end: {}", common::loadavg());
}
