//! Consuming the tenant's domain events exactly once. Events are keyed by a stream
//! position (the webhook's journal seq × 256, or a fresh id), but they are *committed* out
//! of that order: the customer and catalog actors apply concurrently, and a fresh-id event
//! (a contact created for a WhatsApp number) can be committed before a webhook with a
//! lower seq is applied. A single "highest seq seen" cursor would skip such events. So each
//! consumed event leaves a marker (`Kind::EventDone`) written in the same batch as what it
//! caused, and a `floor` below which every event is known consumed bounds what a start
//! re-reads. The floor only passes events that are consumed, older than the newest
//! consumed one by a cushion, and below every journal entry still pending for the shop
//! (whose events are not committed yet).
//! Owns the markers and the floor; what an event causes is the actor's.

use crate::domain::DomainEvent;
use crate::store::{Batch, Kind, Store, StoreError};
use std::collections::BTreeSet;

/// Stream positions kept above the floor however old: about a thousand webhooks' worth,
/// so an event committed late (after others were consumed) is still found.
const CUSHION: u64 = 256 * 1024;

/// Which events have been consumed.
#[derive(Debug, Default)]
pub struct Intake {
    /// Every event at or below it is consumed (its marker may be gone).
    floor: u64,
    /// Consumed events above the floor.
    done: BTreeSet<u64>,
}

impl Intake {
    /// Reads the markers above `floor` (the floor kept in the actor's record).
    ///
    /// # Errors
    /// When the store fails.
    pub fn load(store: &Store, shop: &str, floor: u64) -> Result<Self, StoreError> {
        let done: Vec<(u64, ())> =
            store.scan_from(shop, Kind::EventDone, Some(floor), usize::MAX)?;
        Ok(Self {
            floor,
            done: done.into_iter().map(|(seq, ())| seq).collect(),
        })
    }

    /// The floor (stored in the actor's record).
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// The newest consumed position (the floor when none is above it).
    pub fn newest(&self) -> u64 {
        self.done.last().copied().unwrap_or(self.floor)
    }

    /// Whether `seq` was consumed.
    pub fn is_done(&self, seq: u64) -> bool {
        seq <= self.floor || self.done.contains(&seq)
    }

    /// The positions of the stored events above the floor, and those of them not
    /// consumed yet, in stream order (at start and when the supervisor asks for a
    /// catch-up).
    ///
    /// # Errors
    /// When the store fails.
    pub fn missed(
        &self,
        store: &Store,
        shop: &str,
    ) -> Result<(Vec<u64>, Vec<DomainEvent>), StoreError> {
        let events: Vec<(u64, DomainEvent)> =
            store.scan_from(shop, Kind::Event, Some(self.floor), usize::MAX)?;
        let positions = events.iter().map(|(seq, _)| *seq).collect();
        let missed = events
            .into_iter()
            .map(|(_, e)| e)
            .filter(|e| !self.is_done(e.seq))
            .collect();
        Ok((positions, missed))
    }

    /// Stages the marker of `seq` in the batch that records what the event caused.
    ///
    /// # Errors
    /// When the marker cannot be encoded.
    pub fn stage(&self, batch: &mut Batch, shop: &str, seq: u64) -> Result<(), StoreError> {
        batch.put(shop, Kind::EventDone, seq, &())
    }

    /// The marker of `seq` is committed.
    pub fn mark(&mut self, seq: u64) {
        if seq > self.floor {
            self.done.insert(seq);
        }
    }

    /// Raises the floor as far as is safe and stages the removal of the markers below it.
    /// `stored` are the positions of the stored events above the floor, in order;
    /// `pending_min` the lowest journal seq still pending for the shop.
    pub fn advance(
        &mut self,
        stored: &[u64],
        pending_min: Option<u64>,
        batch: &mut Batch,
        shop: &str,
    ) {
        let Some(&newest) = self.done.last() else {
            return;
        };
        let mut limit = newest.saturating_sub(CUSHION);
        if let Some(p) = pending_min {
            limit = limit.min(p.saturating_mul(256).saturating_sub(1));
        }
        let mut floor = self.floor;
        for &seq in stored.iter().filter(|&&s| s > self.floor) {
            if seq > limit || !self.done.contains(&seq) {
                break;
            }
            floor = seq;
        }
        if floor == self.floor {
            return;
        }
        let below: Vec<u64> = self.done.range(..=floor).copied().collect();
        for seq in below {
            batch.remove(shop, Kind::EventDone, seq);
            self.done.remove(&seq);
        }
        self.floor = floor;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_committed_late_below_consumed_ones_is_still_consumed() {
        let mut i = Intake::default();
        i.mark(12 * 256);
        assert!(
            !i.is_done(10 * 256),
            "a lower seq is not taken for consumed"
        );
        i.mark(10 * 256);
        assert!(i.is_done(10 * 256));
    }

    #[test]
    fn the_floor_stops_at_the_first_unconsumed_event_and_before_pending_entries() {
        let mut i = Intake::default();
        let stored: Vec<u64> = (1..=3000).map(|s| s * 256).collect();
        for s in &stored {
            if *s != 1500 * 256 {
                i.mark(*s);
            }
        }
        let mut b = Batch::new();
        i.advance(&stored, None, &mut b, "s");
        assert_eq!(i.floor(), 1499 * 256);
        assert!(!i.is_done(1500 * 256));
        i.mark(1500 * 256);
        i.advance(&stored, Some(1700), &mut b, "s");
        assert_eq!(i.floor(), 1699 * 256, "below the pending journal entry");
        i.advance(&stored, None, &mut b, "s");
        assert_eq!(
            i.floor(),
            3000 * 256 - CUSHION,
            "a cushion below the newest"
        );
    }
}
