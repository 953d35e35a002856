//! The client side of Shopify's cost-based leaky bucket, one per shop: seeded and reset
//! from each response's `extensions.cost.throttleStatus`, drained by what the client
//! reserves before a send, refilled at the restore rate in between. The client waits
//! until a document's cost fits instead of being THROTTLED. Pure: times are passed in.

use std::time::{Duration, Instant};

/// Shopify's `throttleStatus`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    /// Bucket size.
    pub maximum_available: f64,
    /// Points available when the response was made.
    pub currently_available: f64,
    /// Points restored per second.
    pub restore_rate: f64,
}

/// One shop's bucket as the client believes it is.
#[derive(Clone, Copy, Debug)]
pub struct CostBucket {
    maximum: f64,
    available: f64,
    restore_rate: f64,
    at: Instant,
}

impl CostBucket {
    /// A bucket before any response: Shopify's Standard plan (1,000 points, 100 a second).
    pub fn new(now: Instant) -> Self {
        Self {
            maximum: 1_000.0,
            available: 1_000.0,
            restore_rate: 100.0,
            at: now,
        }
    }

    fn level(&self, now: Instant) -> f64 {
        let secs = now.saturating_duration_since(self.at).as_secs_f64();
        (self.available + secs * self.restore_rate).min(self.maximum)
    }

    /// How long until `cost` points are available (zero when they are now). A cost
    /// above the bucket's size waits for a full bucket.
    pub fn wait_for(&self, cost: f64, now: Instant) -> Duration {
        let want = cost.min(self.maximum);
        let missing = want - self.level(now);
        if missing <= 0.0 || self.restore_rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::from_secs_f64(missing / self.restore_rate)
    }

    /// Reserves `cost` points for a send.
    pub fn take(&mut self, cost: f64, now: Instant) {
        self.available = self.level(now) - cost;
        self.at = now;
    }

    /// What Shopify says the bucket is (a response's `throttleStatus`).
    pub fn observe(&mut self, s: ThrottleStatus, now: Instant) {
        if s.maximum_available > 0.0 {
            self.maximum = s.maximum_available;
        }
        if s.restore_rate > 0.0 {
            self.restore_rate = s.restore_rate;
        }
        self.available = s.currently_available.min(self.maximum);
        self.at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_until_the_cost_fits_and_follows_what_shopify_says() {
        let t0 = Instant::now();
        let mut b = CostBucket::new(t0);
        assert_eq!(b.wait_for(100.0, t0), Duration::ZERO);
        b.observe(
            ThrottleStatus {
                maximum_available: 1_000.0,
                currently_available: 50.0,
                restore_rate: 50.0,
            },
            t0,
        );
        // 102 points with 50 available at 50/s: a little over a second.
        let w = b.wait_for(102.0, t0);
        assert!((w.as_secs_f64() - 1.04).abs() < 1e-6, "{w:?}");
        assert_eq!(
            b.wait_for(102.0, t0 + Duration::from_secs(2)),
            Duration::ZERO
        );
        b.take(102.0, t0 + Duration::from_secs(2));
        assert!(b.wait_for(100.0, t0 + Duration::from_secs(2)) > Duration::ZERO);
        // Never more than a full bucket's wait, whatever the cost.
        assert!(b.wait_for(5_000.0, t0) <= Duration::from_secs(20));
    }
}
