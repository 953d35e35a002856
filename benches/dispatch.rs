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
//! 5. Diagnostic, in this process, no engine: a loop shaped like the dispatcher's (take
//!    every permit, then sleep until the next, at least 1 ms) over `governor` quotas:
//!    `per_second(n)` alone (a burst of one second of quota, the engine before cbee761),
//!    bursts of 1 and 2, and `max(2, n / 100)` (the engine since cbee761); and the cost of
//!    building a `DefaultClock` per read against reading the limiter's own clock.
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

use common::load::{self, post_json, Conn, Server};
use common::{clock_ticks, cpu_time, env_u64, mib, status_bytes, thousands};
use galantis::sandbox::meta::{
    AccountRegistration, EmulatorConfig, MetaEmulator, SentMessage, StatusDelays,
};
use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::num::NonZeroU32;
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
// Engine CPU timeline
// ---------------------------------------------------------------------------------------

/// Samples a process's CPU time every 20 ms on its own OS thread, with wall-clock times
/// comparable to the emulator's receive stamps.
struct CpuTimeline {
    samples: Arc<Mutex<Vec<(SystemTime, f64)>>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl CpuTimeline {
    fn start(pid: u32) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = clock_ticks();
        let (s, st) = (samples.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let c = cpu_time(Some(pid), ticks).as_secs_f64();
                s.lock().expect("samples").push((SystemTime::now(), c));
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self {
            samples,
            stop,
            handle: Some(handle),
        }
    }

    fn finish(mut self) -> Vec<(SystemTime, f64)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        std::mem::take(&mut *self.samples.lock().expect("samples"))
    }
}

/// CPU seconds at `t`, interpolated between samples (`None` before the first sample).
fn cpu_at(samples: &[(SystemTime, f64)], t: SystemTime) -> Option<f64> {
    let k = samples.iter().position(|(at, _)| *at >= t);
    match k {
        None => samples.last().map(|s| s.1),
        Some(0) => (samples[0].0 == t).then_some(samples[0].1),
        Some(k) => {
            let ((t0, c0), (t1, c1)) = (samples[k - 1], samples[k]);
            let f = secs_between(t0, t) / secs_between(t0, t1).max(1e-9);
            Some(c0 + (c1 - c0) * f)
        }
    }
}

/// A process's idle CPU use (CPU seconds per second) over `secs`.
async fn idle_cpu(pid: u32, secs: f64) -> f64 {
    let ticks = clock_ticks();
    let c0 = cpu_time(Some(pid), ticks);
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let c1 = cpu_time(Some(pid), ticks);
    (c1 - c0).as_secs_f64() / t.elapsed().as_secs_f64()
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
// 1. Added latency when unsaturated
// ---------------------------------------------------------------------------------------

/// Signed µs samples, sorted.
struct Latency {
    /// Emulator receive − 202 arrival.
    added: Vec<i64>,
    /// 202 arrival − request sent.
    ack: Vec<i64>,
    /// Emulator receive − request sent.
    total: Vec<i64>,
    missing: u64,
    not_202: u64,
}

fn q_signed_ms(v: &[i64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

async fn latency_probe(emu: &MetaEmulator, server: &Server, key: &str, cfg: &Cfg) -> Latency {
    let n = cfg.probe_rate * cfg.probe_secs;
    let before = sends_so_far(emu);
    let mut conn = Conn::open(server.addr).await.expect("connect");
    let host = server.addr.to_string();
    let t0 = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut acks = Vec::new();
    for i in 0..n {
        let to = cfg.customers - 1 - i % cfg.customers;
        let req = message_request(&host, key, "lat", i, to);
        let due = t0 + Duration::from_nanos(i * 1_000_000_000 / cfg.probe_rate);
        tokio::time::sleep_until(due).await;
        let sent = SystemTime::now();
        let status = conn.roundtrip(&req).await.expect("probe request");
        acks.push(Ack {
            i,
            sent,
            acked: SystemTime::now(),
            status,
        });
    }
    wait_sent(emu, before, n, "lat", n, Duration::from_secs(30)).await;
    let got = sent_of(emu, "lat");
    let mut out = Latency {
        added: Vec::new(),
        ack: Vec::new(),
        total: Vec::new(),
        missing: 0,
        not_202: 0,
    };
    let us = |a: SystemTime, b: SystemTime| (secs_between(a, b) * 1e6).round() as i64;
    for a in &acks {
        if a.status != 202 {
            out.not_202 += 1;
            continue;
        }
        let Some(at) = got.get(&a.i).and_then(|v| v.first()).map(|m| m.at) else {
            out.missing += 1;
            continue;
        };
        out.added.push(us(a.acked, at));
        out.ack.push(us(a.sent, a.acked));
        out.total.push(us(a.sent, at));
    }
    out.added.sort_unstable();
    out.ack.sort_unstable();
    out.total.sort_unstable();
    out
}

// ---------------------------------------------------------------------------------------
// 2.–4. Rate
// ---------------------------------------------------------------------------------------

/// The shape of one run's sends (times from the emulator, sorted).
struct Shape {
    rate: u64,
    stamps: Vec<SystemTime>,
    /// Seconds since the first send.
    times: Vec<f64>,
    /// The middle 90 % by count: indexes, span, rate.
    lo: usize,
    hi: usize,
    mid_rate: f64,
    /// First send at or after 1 s (index), and the rate from it to `hi`.
    after: Option<usize>,
    after_rate: f64,
    first_second: usize,
    max_window: usize,
    per_second: Vec<usize>,
}

impl Shape {
    fn new(rate: u64, mut stamps: Vec<SystemTime>) -> Self {
        stamps.sort_unstable();
        let first = stamps[0];
        let times: Vec<f64> = stamps.iter().map(|t| secs_between(first, *t)).collect();
        let len = times.len();
        let trim = len / 20;
        let (lo, hi) = (trim, len - 1 - trim);
        let mid_rate = (hi - lo) as f64 / (times[hi] - times[lo]);
        let after = times.iter().position(|t| *t >= 1.0).filter(|a| *a < hi);
        let after_rate = after.map_or(f64::NAN, |a| (hi - a) as f64 / (times[hi] - times[a]));
        let mut max_window = 0;
        let mut j = 0;
        for k in 0..len {
            while times[k] - times[j] >= 1.0 {
                j += 1;
            }
            max_window = max_window.max(k - j + 1);
        }
        let mut per_second = vec![0usize; times[len - 1] as usize + 1];
        for t in &times {
            per_second[*t as usize] += 1;
        }
        Self {
            rate,
            first_second: times.iter().filter(|t| **t < 1.0).count(),
            stamps,
            times,
            lo,
            hi,
            mid_rate,
            after,
            after_rate,
            max_window,
            per_second,
        }
    }

    fn dev(&self, r: f64) -> f64 {
        (r / self.rate as f64 - 1.0) * 100.0
    }

    /// Engine CPU µs per message between sends `a` and `b`, idle use subtracted.
    fn cpu_us(&self, samples: &[(SystemTime, f64)], idle: f64, a: usize, b: usize) -> f64 {
        let (ta, tb) = (self.stamps[a], self.stamps[b]);
        match (cpu_at(samples, ta), cpu_at(samples, tb)) {
            (Some(ca), Some(cb)) if b > a => {
                (cb - ca - idle * secs_between(ta, tb)) * 1e6 / (b - a) as f64
            }
            _ => f64::NAN,
        }
    }

    fn print(&self) {
        println!(
            "  emulator received {} over {:.2} s",
            thousands(self.times.len() as u64),
            self.times[self.times.len() - 1]
        );
        println!(
            "  middle 90 % (sends {}..{}): {:.1} msgs/s over {:.2} s = {:+.2} % vs configured {}",
            self.lo,
            self.hi,
            self.mid_rate,
            self.times[self.hi] - self.times[self.lo],
            self.dev(self.mid_rate),
            self.rate
        );
        println!(
            "  from 1 s after the first send to the 95 % mark: {:.1} msgs/s ({:+.2} %); first second {} sends; most in any 1 s window {} ({:.2}× configured)",
            self.after_rate,
            self.dev(self.after_rate),
            self.first_second,
            self.max_window,
            self.max_window as f64 / self.rate as f64
        );
        let shown: Vec<String> = self.per_second.iter().map(|c| c.to_string()).collect();
        println!("  sends per second from the first: [{}]", shown.join(", "));
    }
}

/// Engine counters read after a run.
struct EngineAfter {
    sent: f64,
    failed: f64,
    retried: f64,
    duplicates: f64,
    flushes: f64,
    rss: u64,
    problems: u64,
}

async fn engine_after(http: &reqwest::Client, server: &Server) -> EngineAfter {
    let text = load::metrics_text(http, &server.base()).await;
    EngineAfter {
        sent: load::metric(&text, "galantis_messages_sent_total", ""),
        failed: load::metric(&text, "galantis_messages_failed_total", ""),
        retried: load::metric(&text, "galantis_messages_retried_total", ""),
        duplicates: load::metric(&text, "galantis_outbox_possible_duplicates_total", ""),
        flushes: load::metric(&text, "galantis_store_flushes_total", ""),
        rss: status_bytes(Some(server.pid()), "VmRSS"),
        problems: server.problems.load(Ordering::Relaxed),
    }
}

fn print_engine(e: &EngineAfter, since_start: bool) {
    println!(
        "  engine{}: sent {:.0}, failed {:.0}, retried {:.0}, possible duplicates {:.0}, store flushes {:.0}; RSS {}; warn/error log lines {}",
        if since_start { " since its start" } else { "" },
        e.sent,
        e.failed,
        e.retried,
        e.duplicates,
        e.flushes,
        mib(e.rss),
        e.problems
    );
}

/// Result of one rate run, for the summary.
struct RateResult {
    name: &'static str,
    shape: Shape,
    /// Engine CPU µs/msg over the middle 90 % and over the post-burst span.
    cpu_mid: f64,
    cpu_after: f64,
    flushes_per_msg: f64,
    exact: bool,
}

/// Checks that every message of `tag` reached the emulator exactly once; returns the
/// stamps and (missing, duplicated).
fn collect(emu: &MetaEmulator, tag: &str, n: u64) -> (BTreeMap<u64, Vec<SentMessage>>, u64, u64) {
    let got = sent_of(emu, tag);
    let dup = got.values().map(|v| v.len() as u64 - 1).sum();
    let missing = n - got.len() as u64;
    (got, missing, dup)
}

/// Phase 2: messages queued while the engine sends.
async fn live_run(
    emu: &MetaEmulator,
    server: &Server,
    http: &reqwest::Client,
    key: &str,
    cfg: &Cfg,
) -> RateResult {
    let (rate, n) = (cfg.fast_rate, cfg.fast_n);
    let idle = idle_cpu(server.pid(), 2.0).await;
    let before = sends_so_far(emu);
    let flushes0 = load::metric(
        &load::metrics_text(http, &server.base()).await,
        "galantis_store_flushes_total",
        "",
    );
    let timeline = CpuTimeline::start(server.pid());
    tokio::time::sleep(Duration::from_millis(60)).await;
    let from = SystemTime::now();
    let (acks, io_errors, qsecs) =
        queue_all(server, key, "live", n, cfg.customers, cfg.conns).await;
    let limit = Duration::from_secs_f64(n as f64 / rate as f64 * 3.0 + 30.0);
    wait_sent(emu, before, n, "live", n, limit).await;
    let refused = refused(emu, before, "live", from);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let samples = timeline.finish();
    let ok = acks.iter().filter(|a| a.status == 202).count();
    println!(
        "  queued {} of {} (202) in {:.2} s = {:.0}/s over {} connections; {} other answers, {} I/O errors",
        thousands(ok as u64),
        thousands(n),
        qsecs,
        ok as f64 / qsecs,
        cfg.conns,
        acks.len() - ok,
        io_errors
    );
    let (got, missing, dup) = collect(emu, "live", n);
    println!(
        "  every message sent exactly once: {missing} missing, {dup} duplicated; send calls the emulator refused: {refused}"
    );
    let shape = Shape::new(
        rate,
        got.values().flat_map(|v| v.iter().map(|m| m.at)).collect(),
    );
    shape.print();
    // Backlog = answered 202 − sent, at both ends of the middle span.
    let acked_by = |t: SystemTime| acks.partition_point(|a| a.acked <= t) as i64;
    let (lo, hi) = (shape.lo, shape.hi);
    println!(
        "  backlog (202s received − sends) at the middle span's start {} and end {}: near 0 means queueing, not the dispatcher, set the pace",
        acked_by(shape.stamps[lo]) - lo as i64,
        acked_by(shape.stamps[hi]) - hi as i64
    );
    let cpu_mid = shape.cpu_us(&samples, idle, lo, hi);
    let cpu_after = shape
        .after
        .map_or(f64::NAN, |a| shape.cpu_us(&samples, idle, a, hi));
    println!(
        "  engine CPU per message over the middle 90 % (queueing + dispatch): {:.0} µs (idle {:.1} ms/s subtracted)",
        cpu_mid,
        idle * 1000.0
    );
    let after = engine_after(http, server).await;
    let flushes_per_msg = (after.flushes - flushes0) / n as f64;
    print_engine(&after, true);
    RateResult {
        name: "live (queued while sending)",
        shape,
        cpu_mid,
        cpu_after,
        flushes_per_msg,
        exact: missing + dup == 0,
    }
}

/// Phases 3 and 4: queue `n` into an engine held at 1 msg/s, stop it, restart at `rate`
/// on the same data, and measure the dispatcher draining the full queue.
#[allow(clippy::too_many_arguments)]
async fn prequeued_run(
    emu: &MetaEmulator,
    dir: Option<tempfile::TempDir>,
    http: &reqwest::Client,
    key: &str,
    tag: &'static str,
    rate: u64,
    n: u64,
    cfg: &Cfg,
) -> (RateResult, Option<tempfile::TempDir>) {
    let hold = load::start_engine(dir, &engine_env(emu, 1));
    load::wait_ready(http, &hold.base()).await;
    if cfg.statuses {
        emu.set_webhook_url(&format!("{}/webhooks/meta", hold.base()));
    }
    let (acks, io_errors, qsecs) = queue_all(&hold, key, tag, n, cfg.customers, cfg.conns).await;
    let ok = acks.iter().filter(|a| a.status == 202).count();
    let dir = hold.stop(Duration::from_secs(10));
    let held_sent = sent_of(emu, tag).len();
    println!(
        "  queued {} of {} (202) in {:.2} s = {:.0}/s into an engine held at 1 msg/s ({} sent by it); {} other answers, {} I/O errors",
        thousands(ok as u64),
        thousands(n),
        qsecs,
        ok as f64 / qsecs,
        held_sent,
        acks.len() - ok,
        io_errors
    );
    let before = sends_so_far(emu);
    let started = SystemTime::now();
    // The timeline starts as soon as the process exists: recovery may send before the
    // engine prints its address.
    let mut timeline = None;
    let engine = load::start_engine_watch(dir, &engine_env(emu, rate), |pid| {
        timeline = Some(CpuTimeline::start(pid));
    });
    let timeline = timeline.expect("timeline");
    if cfg.statuses {
        emu.set_webhook_url(&format!("{}/webhooks/meta", engine.base()));
    }
    let want = n - held_sent as u64;
    let limit = Duration::from_secs_f64(n as f64 / rate as f64 * 3.0 + 30.0);
    wait_sent(emu, before, want, tag, n, limit).await;
    let refused = refused(emu, before, tag, started);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let idle = idle_cpu(engine.pid(), 2.0).await;
    let samples = timeline.finish();
    let (got, missing, dup) = collect(emu, tag, n);
    println!(
        "  restarted at {rate}/s (pid {}); every message sent exactly once: {missing} missing, {dup} duplicated; send calls the emulator refused: {refused}",
        engine.pid()
    );
    let stamps: Vec<SystemTime> = got
        .values()
        .flat_map(|v| v.iter().map(|m| m.at))
        .filter(|t| *t >= started)
        .collect();
    let shape = Shape::new(rate, stamps);
    println!(
        "  first send {:.0} ms after the restart began",
        secs_between(started, shape.stamps[0]) * 1000.0
    );
    shape.print();
    let (lo, hi) = (shape.lo, shape.hi);
    let cpu_mid = shape.cpu_us(&samples, idle, lo, hi);
    let cpu_after = shape
        .after
        .map_or(f64::NAN, |a| shape.cpu_us(&samples, idle, a, hi));
    println!(
        "  engine CPU per message (dispatch only; idle {:.1} ms/s measured afterwards, subtracted): middle 90 % {:.0} µs, after the first second {:.0} µs",
        idle * 1000.0,
        cpu_mid,
        cpu_after
    );
    let after = engine_after(http, &engine).await;
    let flushes_per_msg = after.flushes / shape.times.len() as f64;
    print_engine(&after, true);
    let dir = engine.stop(Duration::from_secs(10));
    let name = if rate == cfg.fast_rate {
        "pre-queued, fast"
    } else {
        "pre-queued, slow"
    };
    let result = RateResult {
        name,
        shape,
        cpu_mid,
        cpu_after,
        flushes_per_msg,
        exact: missing + dup == 0,
    };
    (result, dir)
}

// ---------------------------------------------------------------------------------------
// 5. governor quotas, in process
// ---------------------------------------------------------------------------------------

/// A loop shaped like the dispatcher: take permits while `check()` allows, else sleep
/// until the next one (at least 1 ms, like `send_after`). Returns the rate from 1 s on
/// and the most permits in any 1 s window, over `secs`.
async fn quota_loop(rate: u32, burst: Option<u32>, secs: f64) -> (f64, usize) {
    let nz = |n: u32| NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let quota = Quota::per_second(nz(rate));
    let quota = burst.map_or(quota, |b| quota.allow_burst(nz(b)));
    let limiter = RateLimiter::direct(quota);
    let t0 = Instant::now();
    let mut times = Vec::new();
    loop {
        let t = t0.elapsed().as_secs_f64();
        if t >= secs {
            break;
        }
        match limiter.check() {
            Ok(()) => times.push(t),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
            }
        }
    }
    let from = times.partition_point(|t| *t < 1.0);
    let steady = &times[from..];
    let r = (steady.len() - 1) as f64 / (steady[steady.len() - 1] - steady[0]);
    let mut max_window = 0;
    let mut j = 0;
    for k in 0..times.len() {
        while times[k] - times[j] >= 1.0 {
            j += 1;
        }
        max_window = max_window.max(k - j + 1);
    }
    (r, max_window)
}

/// What one `DefaultClock::default()` costs (the dispatcher built one per refused permit
/// before cbee761)
/// against reading the limiter's own clock, in ns per call.
fn clock_costs() -> (f64, f64) {
    let n = 2_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(DefaultClock::default().now());
    }
    let fresh = t.elapsed().as_nanos() as f64 / f64::from(n);
    let limiter = RateLimiter::direct(Quota::per_second(NonZeroU32::MIN));
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(limiter.clock().now());
    }
    (fresh, t.elapsed().as_nanos() as f64 / f64::from(n))
}

async fn quota_variants(rates: [u64; 2]) -> Vec<String> {
    let (fresh, kept) = clock_costs();
    let row = format!(
        "| cost of a clock read: `DefaultClock::default().now()` (a new clock per read) vs `limiter.clock().now()` | {:.2} µs | {:.0} ns |",
        fresh / 1000.0,
        kept
    );
    println!("  {row}");
    let mut rows = vec![row];
    for rate in rates {
        let rate = rate as u32;
        let mut variants = vec![None, Some(1), Some(2), Some((rate / 100).max(2))];
        variants.dedup();
        for burst in variants {
            let (r, w) = quota_loop(rate, burst, 3.0).await;
            let engine = (rate / 100).max(2);
            let name = match burst {
                None => format!("per_second({rate}) (burst {rate}: the engine before cbee761)"),
                Some(b) if b == engine => {
                    format!("per_second({rate}).allow_burst({b}) (the engine since cbee761)")
                }
                Some(b) => format!("per_second({rate}).allow_burst({b})"),
            };
            let row = format!(
                "| {name} | {r:.1}/s ({:+.2} %) | {w} ({:.2}×) |",
                (r / rate as f64 - 1.0) * 100.0,
                w as f64 / rate as f64
            );
            println!("  {row}");
            rows.push(row);
        }
    }
    rows
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
    let threads: Vec<Value> = http
        .get(format!("{base}/api/v1/threads"))
        .bearer_auth(key)
        .send()
        .await
        .expect("threads")
        .json()
        .await
        .expect("json");
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

fn print_latency(lat: &Latency) {
    println!(
        "  emulator receive − 202 arrival: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, min {:.3} ms, max {:.3} ms ({} msgs; {} not 202, {} never received)",
        q_signed_ms(&lat.added, 0.5),
        q_signed_ms(&lat.added, 0.9),
        q_signed_ms(&lat.added, 0.99),
        q_signed_ms(&lat.added, 0.0),
        q_signed_ms(&lat.added, 1.0),
        lat.added.len(),
        lat.not_202,
        lat.missing
    );
    println!(
        "  for context: request → 202 p50 {:.3} / p99 {:.3} ms; request → emulator receive p50 {:.3} / p99 {:.3} ms; {} of {} reached the emulator before their 202 reached the client",
        q_signed_ms(&lat.ack, 0.5),
        q_signed_ms(&lat.ack, 0.99),
        q_signed_ms(&lat.total, 0.5),
        q_signed_ms(&lat.total, 0.99),
        lat.added.iter().filter(|d| **d < 0).count(),
        lat.added.len()
    );
}

fn print_summary(runs: &[RateResult], lat: &Latency, cfg: &Cfg, quota_rows: &[String]) {
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
    println!("\n| governor quota, dispatcher-shaped loop, 3 s | rate from 1 s on | most in 1 s |");
    println!("|---|---:|---:|");
    for row in quota_rows {
        println!("{row}");
    }
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

    println!("\n[5. diagnostic: governor quotas in a dispatcher-shaped loop, in this process]");
    let rows = quota_variants([cfg.fast_rate, cfg.slow_rate]).await;
    print_summary(&[live, fast, slow], &lat, &cfg, &rows);
}
