//! The store alone, in this process: accept + group commit from many tasks, no HTTP.

use super::*;

/// The store alone, in this process: `Store::accept_webhook` (dedupe check + write-ahead
/// log append) then `Store::ack_durable()` (group `fdatasync`), from `conns`
/// tasks with the same bodies; no HTTP, no HMAC, no actors. The ceiling that sled and the
/// group commit set on this machine. Returns writes/s, sorted latencies (µs) and bytes
/// written to storage per webhook (whole phase).
pub(super) async fn store_alone(gen: Arc<Gen>, cfg: Config, secs: u64) -> (f64, Vec<u64>, f64) {
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
                    source: galantis::logic::Source::parse(topic),
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
