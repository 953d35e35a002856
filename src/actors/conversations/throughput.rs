//! The per-number send budget of the dispatcher: the governor's rate with its burst, and
//! a sliding window of one second. Meta counts messages per second per number: the burst
//! a GCRA banks while idle must not push one second over it (the emulator answers 130429
//! then, as Meta does); the same window is applied again where each call leaves
//! ([`CallGate`]). Owned by `outbox`; numbers never share a budget.

use crate::config::MetaSettings;
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
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

/// The instants of a number's sends within the last `span`: the take window and the
/// call gate both count with it.
#[derive(Default)]
struct Window(VecDeque<Instant>);

impl Window {
    /// `Err(wait)` while the last `span` before `now` already holds `cap` sends.
    fn room(&mut self, now: Instant, span: Duration, cap: usize) -> Result<(), Duration> {
        while (self.0.front()).is_some_and(|t| now.saturating_duration_since(*t) >= span) {
            self.0.pop_front();
        }
        match self.0.front() {
            Some(oldest) if self.0.len() >= cap => {
                Err(span.saturating_sub(now.saturating_duration_since(*oldest)))
            }
            _ => Ok(()),
        }
    }

    /// Counts a send at `now`.
    fn count(&mut self, now: Instant) {
        self.0.push_back(now);
    }
}

/// One number's budget.
struct Budget {
    gcra: DefaultDirectRateLimiter,
    /// Its sends in the last second.
    window: Window,
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

    /// The gate the calls of these numbers pass when they leave.
    pub(super) fn gate(&self) -> CallGate {
        CallGate {
            per_second: self.per_second,
            numbers: Arc::default(),
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
                    window: Window(VecDeque::with_capacity(cap.min(1_024))),
                }),
        };
        let now = Instant::now();
        b.window.room(now, Duration::from_secs(1), cap)?;
        if let Err(not_until) = b.gcra.check() {
            // The limiter's own clock: building a `DefaultClock` costs ~20 µs (calibration).
            return Err(not_until.wait_time_from(b.gcra.clock().now()));
        }
        b.window.count(now);
        Ok(())
    }
}

/// The one-second window again, where a call leaves. [`Throughput::take`] counts a send
/// when the dispatcher takes it; the call leaves after the flush of its round, whose delay
/// varies, so two rounds can reach Meta closer together than they were taken (at 80/s the
/// sandbox saw a few 130429 a minute). Each call waits here until its number's last
/// second (plus [`LATENCY_ALLOWANCE`] for the way to Meta) holds room for it; the take
/// window keeps that wait to the edges of a second.
#[derive(Clone)]
pub(super) struct CallGate {
    per_second: usize,
    numbers: Arc<Mutex<HashMap<String, Window>>>,
}

/// Added to the gate's second: calls that pass a second apart can arrive closer together
/// (costs at most 0.5 % of a saturated rate below 100/s; from 100/s the window holds 1 %
/// more than the rate).
const LATENCY_ALLOWANCE: Duration = Duration::from_millis(5);

impl CallGate {
    /// Waits until a call on `phone_number_id` may leave, and counts it.
    pub(super) async fn pass(&self, phone_number_id: &str) {
        while let Err(wait) = self.try_pass(phone_number_id, Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }

    /// Counts a call at `now`, or `Err(wait)` while the window is full.
    fn try_pass(&self, phone_number_id: &str, now: Instant) -> Result<(), Duration> {
        let span = Duration::from_secs(1) + LATENCY_ALLOWANCE;
        let mut numbers = self.numbers.lock().unwrap_or_else(PoisonError::into_inner);
        let window = match numbers.get_mut(phone_number_id) {
            Some(w) => w,
            None => numbers.entry(phone_number_id.to_string()).or_default(),
        };
        window.room(now, span, self.per_second)?;
        window.count(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(per_second: usize) -> CallGate {
        CallGate {
            per_second,
            numbers: Arc::default(),
        }
    }

    #[test]
    fn a_full_second_makes_the_next_call_wait_until_its_oldest_call_is_a_second_old() {
        let g = gate(3);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        for i in 0..3 {
            assert_eq!(g.try_pass("n", t0 + ms(i * 10)), Ok(()));
        }
        let wait = g.try_pass("n", t0 + ms(500)).expect_err("full");
        assert_eq!(wait, ms(505));
        // Another number has its own window.
        assert_eq!(g.try_pass("m", t0 + ms(500)), Ok(()));
        assert!(g.try_pass("n", t0 + ms(1_004)).is_err());
        assert_eq!(g.try_pass("n", t0 + ms(1_005)), Ok(()));
        assert!(g.try_pass("n", t0 + ms(1_006)).is_err());
        assert_eq!(g.try_pass("n", t0 + ms(1_015)), Ok(()));
    }

    #[test]
    fn no_second_ever_holds_more_calls_than_the_window() {
        let g = gate(5);
        let t0 = Instant::now();
        let mut passed = Vec::new();
        let mut t = t0;
        // Calls arriving every 7 ms for three seconds, each waiting as told.
        for _ in 0..400 {
            t += Duration::from_millis(7);
            let mut at = t;
            while let Err(w) = g.try_pass("n", at) {
                at += w;
            }
            passed.push(at);
            t = t.max(at);
        }
        for (i, a) in passed.iter().enumerate() {
            let within = passed[i..]
                .iter()
                .take_while(|b| b.duration_since(*a) < Duration::from_secs(1))
                .count();
            assert!(within <= 5, "{within} calls within a second from call {i}");
        }
    }
}
