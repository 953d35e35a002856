//! The only code that knows sled: one tree holding typed, versioned records, dedupe
//! markers, dead letters and tenants; atomic batches; group commit; and the write-ahead
//! log that is the webhook journal.
//!
//! Persistence model (DESIGN §4): a webhook is acknowledged once its journal record is in
//! the write-ahead log ([`wal`], group `fdatasync`); sled is not on that path. The actor
//! that applies it writes the records it changed (the per-key snapshot of its state), the
//! domain events it produced and the webhook's dedupe marker in one atomic sled batch, so a
//! crash can neither lose an effect nor apply it twice. sled is flushed by the checkpoint
//! every second, which then trims the log behind it ([`journal`]); recovery is "load
//! records, replay the logged entries that have no marker". A Bloom filter of the markers
//! (`store::seen_filter`) lets a new webhook skip the sled read of its dedupe check.
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod catalog_push;
pub mod codec;
mod commit;
pub mod conversations;
pub mod deadletters;
#[cfg(test)]
pub(crate) mod faults;
pub mod import_stage;
pub mod journal;
pub mod keys;
pub mod links;
pub mod records;
pub mod regions;
mod seen_filter;
pub mod shopify;
mod staging;
pub mod tenants;
pub mod wal;
pub mod whatsapp;

pub use commit::GroupCommit;
pub use deadletters::{DeadLetter, OPERATOR_SCOPE};
pub use journal::{Accepted, JournalEntry};
pub use keys::Kind;
pub use records::Batch;
pub use tenants::TenantRecord;

use std::path::Path;
use std::sync::{Arc, Mutex};

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption it detected).
    #[error("storage engine error: {0}")]
    Sled(#[from] sled::Error),
    /// A value could not be encoded or decoded.
    #[error("stored value: {0}")]
    Codec(#[from] codec::CodecError),
    /// The data does not have the shape the store expects.
    #[error("store is inconsistent: {0}")]
    Corrupt(String),
    /// The flush that makes writes durable failed.
    #[error("flush failed: {0}")]
    Flush(String),
}

impl StoreError {
    /// True when the same operation may succeed if tried again later: an I/O error or a
    /// failed flush. A value that does not decode, or a store that is inconsistent, stays so.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sled(sled::Error::Io(_)) | StoreError::Flush(_) => true,
            StoreError::Sled(_) | StoreError::Codec(_) | StoreError::Corrupt(_) => false,
        }
    }
}

/// How often staged batches are written to sled (see [`staging`]).
const STAGED_WRITE_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

/// Handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    commit: GroupCommit,
    wal: wal::Wal,
    pending: Arc<Mutex<journal::Pending>>,
    staging: Arc<staging::Staging>,
    statuses: Arc<tenants::StatusCache>,
    /// Which dedupe markers may exist (see [`seen_filter`]).
    seen: Arc<seen_filter::SeenFilter>,
    /// Dropped with the last handle: tells the staged writer to write out and stop.
    _open: tokio::sync::mpsc::Sender<()>,
    /// Test-only fault injection (reads that fail as an I/O error would).
    #[cfg(test)]
    faults: Arc<faults::Faults>,
}

impl Store {
    /// Opens (or creates) the store in `dir`. Must be called inside a tokio runtime (it
    /// starts the group-commit flusher).
    ///
    /// # Errors
    /// When sled cannot open the directory.
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_bytes)
            .flush_every_ms(Some(500))
            .open()?;
        let tree = db.open_tree("galantis")?;
        let (wal, logged) = wal::Wal::open(&dir.join("wal"))?;
        let pending: Arc<Mutex<journal::Pending>> = Arc::default();
        let staging: Arc<staging::Staging> = Arc::default();
        let (open, closed) = tokio::sync::mpsc::channel(1);
        let writer = staging::Writer::new(tree.clone(), staging.clone(), pending.clone());
        let commit = GroupCommit::start(db.clone(), writer.clone());
        writer.spawn(STAGED_WRITE_EVERY, closed);
        let store = Self {
            db,
            tree,
            commit,
            wal,
            pending,
            staging,
            statuses: Arc::default(),
            seen: Arc::default(),
            _open: open,
            #[cfg(test)]
            faults: Arc::default(),
        };
        let pending = store.recover_journal(logged)?;
        if pending > 0 {
            tracing::info!(
                message = "Journal recovered from the write-ahead log.",
                pending
            );
        }
        store.fill_seen_filter()?;
        Ok(store)
    }

    /// Adds the dedupe markers already in sled to the filter on a background thread, then
    /// lets it answer "no"; until then every dedupe check reads sled, as it must. Markers
    /// committed meanwhile are added by [`Store::commit`].
    fn fill_seen_filter(&self) -> Result<(), StoreError> {
        let (tree, seen) = (self.tree.clone(), self.seen.clone());
        let scan = move || {
            let started = std::time::Instant::now();
            let mut n = 0u64;
            for kv in tree.scan_prefix(keys::SEEN_PREFIX) {
                match kv {
                    Ok((k, _)) => {
                        seen.insert(&k);
                        n += 1;
                    }
                    Err(error) => {
                        // Stays not ready: dedupe keeps reading sled, correct and slower.
                        tracing::error!(message = "Reading dedupe markers failed; the dedupe filter stays off.", %error);
                        return;
                    }
                }
            }
            seen.set_ready();
            tracing::info!(
                message = "Dedupe filter ready.",
                markers = n,
                ms = started.elapsed().as_millis() as u64
            );
        };
        std::thread::Builder::new()
            .name("seen-filter".into())
            .spawn(scan)
            .map_err(|e| StoreError::Flush(format!("starting the dedupe filter scan: {e}")))?;
        Ok(())
    }

    /// Whether the dedupe filter is in use yet (metrics, tests).
    pub fn dedupe_filter_ready(&self) -> bool {
        self.seen.is_ready()
    }

    /// Waits until every write made before the call is on disk (group commit).
    ///
    /// # Errors
    /// [`StoreError::Flush`] when the flush fails.
    pub async fn durable(&self) -> Result<(), StoreError> {
        self.commit.durable().await.map_err(StoreError::Flush)
    }

    /// Flushes synchronously (shutdown, CLI commands).
    ///
    /// # Errors
    /// When sled cannot flush.
    pub fn flush_now(&self) -> Result<(), StoreError> {
        self.write_staged()?;
        self.db.flush()?;
        Ok(())
    }

    /// Applies a batch atomically.
    ///
    /// # Errors
    /// When sled fails.
    /// Staged in memory (`store::staging`): visible to every read at once, written to sled
    /// within a few milliseconds as part of one larger batch, on disk after the next
    /// [`Store::durable`] or checkpoint.
    pub fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let (ops, settles) = batch.into_parts();
        let tenant_written = ops.iter().any(|(k, _)| k.starts_with(keys::TENANT_PREFIX));
        // Before the markers become visible (staging) and before their entries settle.
        for (k, _) in ops
            .iter()
            .filter(|(k, v)| v.is_some() && k.starts_with(keys::SEEN_PREFIX))
        {
            self.seen.insert(k);
        }
        journal::mark_applied(&self.pending, &settles);
        self.staging.stage(ops, settles);
        if tenant_written {
            self.statuses.invalidate();
        }
        Ok(())
    }

    /// Bytes on disk (for metrics).
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}
