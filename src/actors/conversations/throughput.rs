//! The per-number send budget of the dispatcher: the governor's rate with its burst, and
//! a sliding window of one second. Meta counts messages per second per number: the burst
//! a GCRA banks while idle must not push one second over it (the emulator answers 130429
//! then, as Meta does). Owned by `outbox`; numbers never share a budget.

use crate::config::MetaSettings;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// A number's burst: 50 ms of its rate, at least 2. `per_second(n)` alone allows a burst
/// of n, i.e. twice the rate in the first second (measured in BENCHMARKS.md); a burst of
/// 1 undershoots because of timer granularity; a campaign round takes half a burst for
/// one flush, so the burst sets how many flushes a second a campaign at full rate costs
/// (1 % of the rate gave 200 a second at 1,000/s).
pub(super) fn burst(rate: u32) -> u32 {
    (rate / 20).max(2)
}

pub(super) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// One number's budget.
struct Budget {
    gcra: DefaultDirectRateLimiter,
    /// The instants of its sends in the last second.
    window: VecDeque<Instant>,
}

/// Every number's budget.
pub(super) struct Throughput {
    numbers: HashMap<String, Budget>,
    quota: Quota,
    /// Most sends a window holds: the rate, 1 % over it from 100/s. At exactly the rate
    /// a full window turns every timer overshoot into a lost send (at 1,000/s: −0.78 %);
    /// below 100/s an overshoot costs a fraction of a send.
    per_second: usize,
}

impl Throughput {
    pub(super) fn new(s: &MetaSettings) -> Self {
        let rate = s.messages_per_second.max(1);
        Self {
            numbers: HashMap::new(),
            quota: Quota::per_second(nz(rate)).allow_burst(nz(burst(rate))),
            per_second: (rate + rate / 100) as usize,
        }
    }

    /// One send's share of the number's budget; `Err(wait)` when the rate or the window
    /// is spent.
    pub(super) fn take(&mut self, phone_number_id: &str) -> Result<(), Duration> {
        let (quota, cap) = (self.quota, self.per_second);
        let b = match self.numbers.get_mut(phone_number_id) {
            Some(b) => b,
            None => self
                .numbers
                .entry(phone_number_id.to_string())
                .or_insert_with(|| Budget {
                    gcra: RateLimiter::direct(quota),
                    window: VecDeque::with_capacity(cap.min(1_024)),
                }),
        };
        let now = Instant::now();
        let second = Duration::from_secs(1);
        while (b.window.front()).is_some_and(|t| now.duration_since(*t) >= second) {
            b.window.pop_front();
        }
        if let (true, Some(oldest)) = (b.window.len() >= cap, b.window.front()) {
            return Err(second.saturating_sub(now.duration_since(*oldest)));
        }
        if let Err(not_until) = b.gcra.check() {
            // The limiter's own clock: building a `DefaultClock` costs ~20 µs (calibration).
            return Err(not_until.wait_time_from(b.gcra.clock().now()));
        }
        b.window.push_back(now);
        Ok(())
    }
}
