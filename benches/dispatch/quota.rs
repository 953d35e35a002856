//! Run 5, in this process: loops shaped like the dispatcher over `governor` quotas, and
//! the cost of reading its clock.

use super::*;

/// A loop shaped like the dispatcher: take permits while `check()` allows, else sleep
/// until the next one (at least 1 ms, like `send_after`). Returns the rate from 1 s on
/// and the most permits in any 1 s window, over `secs`.
pub(super) async fn quota_loop(rate: u32, burst: Option<u32>, secs: f64) -> (f64, usize) {
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
pub(super) fn clock_costs() -> (f64, f64) {
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

pub(super) async fn quota_variants(rates: [u64; 2]) -> Vec<String> {
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
