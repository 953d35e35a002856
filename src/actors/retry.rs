//! Retrying a journaled delivery whose apply failed for a transient reason (a store read
//! that failed as a disk error would). Such a webhook is not a poison payload: it stays
//! pending in the journal, the actor drops what it changed in memory, and the delivery
//! comes back after a capped exponential backoff. Owns only the attempt counts; it must not
//! touch the journal or the dead letters.

use super::Delivered;
use ractor::{ActorRef, Message};
use std::collections::HashMap;
use std::time::Duration;

/// First wait before a retry; doubled per attempt.
const FIRST_WAIT: Duration = Duration::from_millis(50);
/// Longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// Attempts per journal sequence of the deliveries being retried by one actor.
#[derive(Default)]
pub(crate) struct Retries {
    attempts: HashMap<u64, u32>,
}

impl Retries {
    /// Sends `d` back to `myself` (wrapped by `wrap`) after the backoff of its next attempt,
    /// and counts it in `galantis_apply_retries_total`.
    pub(crate) fn schedule<M: Message>(
        &mut self,
        myself: &ActorRef<M>,
        d: Delivered,
        wrap: fn(Delivered) -> M,
        reason: &dyn std::fmt::Display,
    ) {
        let n = self.attempts.entry(d.seq).or_insert(0);
        *n = n.saturating_add(1);
        let wait = backoff(*n);
        metrics::counter!("galantis_apply_retries_total", "topic" => d.entry.source.as_str())
            .increment(1);
        tracing::warn!(
            message = "Applying a webhook failed for a transient reason; retrying.",
            tenant = %d.entry.shop,
            topic = %d.entry.source,
            webhook_id = %d.entry.webhook_id,
            seq = d.seq,
            attempt = *n,
            wait_ms = wait.as_millis() as u64,
            %reason
        );
        myself.send_after(wait, move || wrap(d));
    }

    /// Forgets a delivery that was applied (or dead-lettered).
    pub(crate) fn done(&mut self, seq: u64) {
        if !self.attempts.is_empty() {
            self.attempts.remove(&seq);
        }
    }
}

/// The wait before attempt `n` (1-based): 50 ms, 100 ms, 200 ms … capped at 30 s.
fn backoff(n: u32) -> Duration {
    let factor = 1u32
        .checked_shl(n.saturating_sub(1).min(16))
        .unwrap_or(u32::MAX);
    FIRST_WAIT.saturating_mul(factor).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff(1), Duration::from_millis(50));
        assert_eq!(backoff(2), Duration::from_millis(100));
        assert_eq!(backoff(5), Duration::from_millis(800));
        assert_eq!(backoff(20), MAX_WAIT);
        assert_eq!(backoff(u32::MAX), MAX_WAIT);
    }
}
