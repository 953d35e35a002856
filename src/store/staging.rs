//! Write-behind staging: batches committed by actors are merged into an in-memory overlay
//! and written to sled as one atomic batch every few milliseconds, instead of one sled
//! batch per webhook. Measured on this machine (BENCHMARKS.md): a one-key `apply_batch`
//! costs about 80 µs of CPU, the same key in a batch of a hundred about 6.5 µs.
//!
//! Every read of the store goes through the overlay first (the newest staged value of a
//! key, then the batch being written, then sled), so a commit is visible to every reader
//! the moment [`Store::commit`] returns, exactly as before. Durability is unchanged: the
//! webhooks behind staged writes are in the write-ahead log and stay pending (replayed
//! after a crash) until their batch has reached sled; [`Store::durable`] writes the overlay
//! out before it flushes. Writes that bypass batches (tenant administration, erasure)
//! first write the overlay out, so they land after everything committed before them.

use super::{Store, StoreError};
use sled::IVec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

type Writes = BTreeMap<Vec<u8>, Option<IVec>>;

/// The overlay: staged writes, the batch being written, and the journal entries they
/// settle.
#[derive(Debug, Default)]
pub(super) struct Staging {
    overlay: RwLock<Overlay>,
    /// Serializes writers of the overlay into sled (one batch in flight).
    writer: Mutex<()>,
}

#[derive(Debug, Default)]
struct Overlay {
    staged: Writes,
    settles: Vec<u64>,
    writing: Arc<Writes>,
}

impl Staging {
    fn overlay(&self) -> std::sync::RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn overlay_mut(&self) -> std::sync::RwLockWriteGuard<'_, Overlay> {
        self.overlay.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges one atomic batch: its writes become visible together.
    pub(super) fn stage(&self, ops: Vec<super::records::Op>, settles: Vec<u64>) {
        let mut o = self.overlay_mut();
        for (k, v) in ops {
            o.staged.insert(k, v.map(IVec::from));
        }
        o.settles.extend(settles);
    }

    /// Number of staged keys and settles (metrics, the writer's "anything to do").
    pub(super) fn len(&self) -> usize {
        let o = self.overlay();
        o.staged.len() + o.settles.len()
    }

    /// The overlay's word on `key`: `Some(None)` for a staged removal, `None` when the
    /// overlay does not know it.
    fn lookup(&self, key: &[u8]) -> Option<Option<IVec>> {
        let o = self.overlay();
        o.staged.get(key).or_else(|| o.writing.get(key)).cloned()
    }

    /// The overlay's entries with keys ≥ `start` that start with `prefix`, newest winning.
    fn range(&self, start: &[u8], prefix: &[u8]) -> Vec<(Vec<u8>, Option<IVec>)> {
        let o = self.overlay();
        if o.staged.is_empty() && o.writing.is_empty() {
            return Vec::new();
        }
        let mut merged: Writes = BTreeMap::new();
        for source in [&*o.writing, &o.staged] {
            for (k, v) in source.range(start.to_vec()..) {
                if !k.starts_with(prefix) {
                    break;
                }
                merged.insert(k.clone(), v.clone());
            }
        }
        merged.into_iter().collect()
    }
}

/// Writes the overlay out; held by the writer task and the group-commit flusher.
#[derive(Clone, Debug)]
pub(super) struct Writer {
    tree: sled::Tree,
    staging: Arc<Staging>,
    pending: Arc<Mutex<super::journal::Pending>>,
}

impl Writer {
    /// A writer of `staging` into `tree`, settling entries in `pending`.
    pub(super) fn new(
        tree: sled::Tree,
        staging: Arc<Staging>,
        pending: Arc<Mutex<super::journal::Pending>>,
    ) -> Self {
        Self {
            tree,
            staging,
            pending,
        }
    }

    /// See [`Store::write_staged`].
    pub(super) fn write(&self) -> Result<(), StoreError> {
        let _one = self
            .staging
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (writes, settles) = {
            let mut o = self.staging.overlay_mut();
            if o.staged.is_empty() && o.settles.is_empty() {
                return Ok(());
            }
            let writes = Arc::new(std::mem::take(&mut o.staged));
            o.writing = writes.clone();
            (writes, std::mem::take(&mut o.settles))
        };
        let mut batch = sled::Batch::default();
        for (k, v) in writes.iter() {
            match v {
                Some(v) => batch.insert(k.as_slice(), v.clone()),
                None => batch.remove(k.as_slice()),
            }
        }
        let r = self.tree.apply_batch(batch);
        {
            let mut o = self.staging.overlay_mut();
            o.writing = Arc::default();
            if r.is_err() {
                // Keep them visible and try again next time; newer staged values win.
                for (k, v) in writes.iter() {
                    o.staged.entry(k.clone()).or_insert_with(|| v.clone());
                }
                o.settles.extend(settles.iter().copied());
            }
        }
        r?;
        metrics::counter!("galantis_store_batches_total").increment(1);
        metrics::histogram!("galantis_store_batch_keys").record(writes.len() as f64);
        super::journal::settle(&self.pending, &settles);
        Ok(())
    }

    /// Writes the overlay out every `every` until the store is dropped (then once more).
    pub(super) fn spawn(
        self,
        every: std::time::Duration,
        mut closed: tokio::sync::mpsc::Receiver<()>,
    ) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let last = tokio::select! {
                    _ = tick.tick() => false,
                    _ = closed.recv() => true,
                };
                if self.staging.len() > 0 || last {
                    let w = self.clone();
                    match tokio::task::spawn_blocking(move || w.write()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => {
                            tracing::error!(message = "Writing staged records to sled failed; their webhooks stay pending.", %error)
                        }
                        Err(error) => {
                            tracing::error!(message = "Staged writer task failed.", %error)
                        }
                    }
                }
                if last {
                    break;
                }
            }
        });
    }
}

/// Keys ≥ start with a prefix, from sled merged with the overlay (which wins).
pub(super) struct Scan {
    tree: std::iter::Peekable<sled::Iter>,
    overlay: std::iter::Peekable<std::vec::IntoIter<(Vec<u8>, Option<IVec>)>>,
    prefix: Vec<u8>,
}

impl Iterator for Scan {
    type Item = Result<(IVec, IVec), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let tree_key = match self.tree.peek() {
                Some(Ok((k, _))) if k.starts_with(&self.prefix) => Some(k.clone()),
                Some(Ok(_)) | None => None,
                Some(Err(_)) => {
                    return match self.tree.next() {
                        Some(Err(e)) => Some(Err(e.into())),
                        _ => None,
                    }
                }
            };
            let over_key = self.overlay.peek().map(|(k, _)| k.as_slice());
            let take_overlay = match (&tree_key, over_key) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(t), Some(o)) => {
                    if t.as_ref() == o {
                        self.tree.next(); // shadowed by the overlay
                    }
                    o <= t.as_ref()
                }
            };
            if take_overlay {
                let (k, v) = self.overlay.next()?;
                match v {
                    Some(v) => return Some(Ok((IVec::from(k), v))),
                    None => continue, // a staged removal
                }
            }
            return match self.tree.next() {
                Some(Ok(kv)) => Some(Ok(kv)),
                Some(Err(e)) => Some(Err(e.into())),
                None => None,
            };
        }
    }
}

impl Store {
    /// One value, the overlay first.
    pub(super) fn read(&self, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        #[cfg(test)]
        self.faults.on_read(key)?;
        match self.staging.lookup(key) {
            Some(v) => Ok(v),
            None => Ok(self.tree.get(key)?),
        }
    }

    /// Keys ≥ `start` that start with `prefix`, in order, the overlay merged in.
    pub(super) fn read_range(&self, start: &[u8], prefix: &[u8]) -> Scan {
        // Overlay first: a key written to sled meanwhile is then seen in both (same value),
        // never in neither.
        let overlay = self.staging.range(start, prefix);
        Scan {
            tree: self.tree.range(start.to_vec()..).peekable(),
            overlay: overlay.into_iter().peekable(),
            prefix: prefix.to_vec(),
        }
    }

    /// Every key with `prefix`, in order, the overlay merged in.
    pub(super) fn read_prefix(&self, prefix: &[u8]) -> Scan {
        self.read_range(prefix, prefix)
    }

    /// sled itself, for writes that bypass batches: the overlay is written out first, so
    /// such a write lands after everything committed before it.
    pub(super) fn direct(&self) -> Result<&sled::Tree, StoreError> {
        self.write_staged()?;
        Ok(&self.tree)
    }

    /// Writes the overlay to sled as one atomic batch (not flushed), then settles the
    /// journal entries it carried. Run every few milliseconds by the writer task, and
    /// before every flush.
    ///
    /// # Errors
    /// When sled fails; the entries stay pending and are replayed at the next start.
    pub fn write_staged(&self) -> Result<(), StoreError> {
        self.writer().write()
    }

    fn writer(&self) -> Writer {
        Writer::new(
            self.tree.clone(),
            self.staging.clone(),
            self.pending.clone(),
        )
    }

    /// Number of staged keys not yet written to sled (metrics).
    pub fn staged_len(&self) -> usize {
        self.staging.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Batch, Kind};

    #[tokio::test]
    async fn reads_see_staged_writes_and_removals_merged_with_sled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let shop = "s.myshopify.com";
        let mut b = Batch::new();
        for id in [1u64, 3, 5] {
            b.put(shop, Kind::Contact, id, &id).expect("put");
        }
        store.commit(b).expect("commit");
        store.write_staged().expect("write");
        let mut b = Batch::new();
        b.put(shop, Kind::Contact, 2, &2u64).expect("put");
        b.put(shop, Kind::Contact, 3, &33u64).expect("put");
        b.remove(shop, Kind::Contact, 5);
        store.commit(b).expect("commit");
        let all: Vec<(u64, u64)> = store.scan(shop, Kind::Contact).expect("scan");
        assert_eq!(all, vec![(1, 1), (2, 2), (3, 33)]);
        assert_eq!(
            store.get::<u64>(shop, Kind::Contact, 3).expect("get"),
            Some(33)
        );
        assert_eq!(store.get::<u64>(shop, Kind::Contact, 5).expect("get"), None);
        let page: Vec<(u64, u64)> = store
            .scan_from(shop, Kind::Contact, Some(1), 2)
            .expect("page");
        assert_eq!(page, vec![(2, 2), (3, 33)]);
        store.write_staged().expect("write");
        assert_eq!(store.staged_len(), 0);
        let all: Vec<(u64, u64)> = store.scan(shop, Kind::Contact).expect("scan");
        assert_eq!(all, vec![(1, 1), (2, 2), (3, 33)], "same once in sled");
    }
}
