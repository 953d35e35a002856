//! The due-time index of waiting automation runs, as the automation actor holds it: the
//! stored index `(due ms, run id)` (`Kind::RunDue`) is the truth; memory keeps only the
//! earliest `window` entries (DESIGN §10: a waiting run is data, not a task — Restate keeps
//! the earliest ~1,000 timers in memory and re-reads the rest by range scan). One wake-up
//! is armed for the earliest entry, never a task per run.
//! Owns no store writes: the actor stages index changes in the same batch as the run's
//! step, then tells this queue.

use crate::store::{Kind, Store, StoreError};
use std::collections::BTreeSet;

/// The in-memory slice of the due index.
#[derive(Debug)]
pub struct DueQueue {
    slice: BTreeSet<(i64, u64)>,
    window: usize,
    /// Entries may exist in the store beyond the slice: those with a due time after
    /// `beyond` (the slice's last when it was cut).
    beyond: Option<i64>,
}

impl DueQueue {
    /// An empty queue that keeps at most `window` entries in memory.
    pub fn new(window: usize) -> Self {
        Self {
            slice: BTreeSet::new(),
            window: window.max(1),
            beyond: None,
        }
    }

    /// Reads the earliest entries from the store (at start, or when the slice ran dry
    /// while the store holds more).
    ///
    /// # Errors
    /// When the store fails.
    pub fn load(&mut self, store: &Store, shop: &str) -> Result<(), StoreError> {
        let got = store.pairs_between(shop, Kind::RunDue, 0, u64::MAX, self.window + 1)?;
        self.slice.clear();
        self.beyond = None;
        for (due, run) in got {
            self.slice
                .insert((i64::try_from(due).unwrap_or(i64::MAX), run));
        }
        self.cut();
        Ok(())
    }

    /// Keeps the slice within its window, remembering that the store holds more.
    fn cut(&mut self) {
        while self.slice.len() > self.window {
            self.slice.pop_last();
            self.beyond = self.slice.last().map(|(d, _)| *d);
        }
    }

    /// A run now waits until `due` (its index entry is being committed).
    pub fn schedule(&mut self, due: i64, run: u64) {
        if self.beyond.is_some_and(|b| due > b) {
            return; // read back by `load` when the slice reaches it
        }
        self.slice.insert((due, run));
        self.cut();
    }

    /// A run no longer waits at `due` (it fired, exited or was cancelled).
    pub fn unschedule(&mut self, due: i64, run: u64) {
        self.slice.remove(&(due, run));
    }

    /// The earliest due time known, reloading from the store when the slice is empty but
    /// the store holds more.
    ///
    /// # Errors
    /// When the store fails.
    pub fn next_due(&mut self, store: &Store, shop: &str) -> Result<Option<i64>, StoreError> {
        if self.slice.is_empty() && self.beyond.is_some() {
            self.load(store, shop)?;
        }
        Ok(self.slice.first().map(|(d, _)| *d))
    }

    /// Up to `max` entries due at `now`, earliest first, taken out of the slice (the
    /// caller removes their stored entries in the batch of each run's step).
    pub fn take_due(&mut self, now: i64, max: usize) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.slice.first() {
                Some(&(due, run)) if due <= now => {
                    self.slice.pop_first();
                    out.push((due, run));
                }
                _ => break,
            }
        }
        out
    }

    /// Entries in memory (for the metrics).
    pub fn in_memory(&self) -> usize {
        self.slice.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Batch;

    fn store_with(entries: &[(u64, u64)]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path(), 1 << 20).expect("open");
        let mut b = Batch::new();
        for (due, run) in entries {
            b.put_pair("s.myshopify.com", Kind::RunDue, *due, *run);
        }
        store.commit(b).expect("commit");
        (dir, store)
    }

    #[tokio::test]
    async fn only_a_window_is_in_memory_and_the_rest_is_read_back_in_order() {
        let entries: Vec<(u64, u64)> = (0..10).map(|i| (100 + i, i)).collect();
        let (_dir, store) = store_with(&entries);
        let mut q = DueQueue::new(3);
        q.load(&store, "s.myshopify.com").expect("load");
        assert_eq!(q.in_memory(), 3);
        let mut b = Batch::new();
        b.put_pair("s.myshopify.com", Kind::RunDue, 500, 99);
        b.put_pair("s.myshopify.com", Kind::RunDue, 50, 42);
        store.commit(b).expect("commit");
        // A later entry beyond the slice stays in the store only.
        q.schedule(500, 99);
        assert_eq!(q.in_memory(), 3);
        // An earlier one enters the slice and pushes the last out.
        q.schedule(50, 42);
        assert_eq!(q.in_memory(), 3);
        let mut fired = Vec::new();
        let mut b = Batch::new();
        while let Some(due) = q.next_due(&store, "s.myshopify.com").expect("next") {
            for (d, run) in q.take_due(due, 2) {
                fired.push(run);
                b.remove_pair("s.myshopify.com", Kind::RunDue, d as u64, run);
            }
            store.commit(std::mem::take(&mut b)).expect("commit");
        }
        // 99 was kept in the store only: every entry fires once, in due order.
        assert_eq!(fired, vec![42, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99]);
    }

    #[test]
    fn nothing_is_due_before_its_time() {
        let mut q = DueQueue::new(10);
        q.schedule(1_000, 1);
        q.schedule(2_000, 2);
        assert!(q.take_due(999, 10).is_empty());
        assert_eq!(q.take_due(1_500, 10), vec![(1_000, 1)]);
        q.unschedule(2_000, 2);
        assert!(q.take_due(i64::MAX, 10).is_empty());
    }
}
