//! Runs 2–4: the rate the dispatcher holds (live and pre-queued), its shape and the
//! engine's CPU per message.

use super::*;

/// The shape of one run's sends (times from the emulator, sorted).
pub(super) struct Shape {
    pub(super) rate: u64,
    pub(super) stamps: Vec<SystemTime>,
    /// Seconds since the first send.
    pub(super) times: Vec<f64>,
    /// The middle 90 % by count: indexes, span, rate.
    pub(super) lo: usize,
    pub(super) hi: usize,
    pub(super) mid_rate: f64,
    /// First send at or after 1 s (index), and the rate from it to `hi`.
    pub(super) after: Option<usize>,
    pub(super) after_rate: f64,
    pub(super) first_second: usize,
    pub(super) max_window: usize,
    pub(super) per_second: Vec<usize>,
}

impl Shape {
    pub(super) fn new(rate: u64, mut stamps: Vec<SystemTime>) -> Self {
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

    pub(super) fn dev(&self, r: f64) -> f64 {
        (r / self.rate as f64 - 1.0) * 100.0
    }

    /// Engine CPU µs per message between sends `a` and `b`, idle use subtracted.
    pub(super) fn cpu_us(
        &self,
        samples: &[(SystemTime, f64)],
        idle: f64,
        a: usize,
        b: usize,
    ) -> f64 {
        let (ta, tb) = (self.stamps[a], self.stamps[b]);
        match (cpu_at(samples, ta), cpu_at(samples, tb)) {
            (Some(ca), Some(cb)) if b > a => {
                (cb - ca - idle * secs_between(ta, tb)) * 1e6 / (b - a) as f64
            }
            _ => f64::NAN,
        }
    }

    pub(super) fn print(&self) {
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
pub(super) struct EngineAfter {
    pub(super) sent: f64,
    pub(super) failed: f64,
    pub(super) retried: f64,
    pub(super) duplicates: f64,
    pub(super) flushes: f64,
    pub(super) rss: u64,
    pub(super) problems: u64,
}

pub(super) async fn engine_after(http: &reqwest::Client, server: &Server) -> EngineAfter {
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

pub(super) fn print_engine(e: &EngineAfter, since_start: bool) {
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
pub(super) struct RateResult {
    pub(super) name: &'static str,
    pub(super) shape: Shape,
    /// Engine CPU µs/msg over the middle 90 % and over the post-burst span.
    pub(super) cpu_mid: f64,
    pub(super) cpu_after: f64,
    pub(super) flushes_per_msg: f64,
    pub(super) exact: bool,
}

/// Checks that every message of `tag` reached the emulator exactly once; returns the
/// stamps and (missing, duplicated).
pub(super) fn collect(
    emu: &MetaEmulator,
    tag: &str,
    n: u64,
) -> (BTreeMap<u64, Vec<SentMessage>>, u64, u64) {
    let got = sent_of(emu, tag);
    let dup = got.values().map(|v| v.len() as u64 - 1).sum();
    let missing = n - got.len() as u64;
    (got, missing, dup)
}

/// Phase 2: messages queued while the engine sends.
pub(super) async fn live_run(
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
pub(super) async fn prequeued_run(
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
