//! The only code that knows sled: one tree holding typed, versioned records, the webhook
//! journal, dedupe markers, dead letters and tenants; atomic batches; group commit.
//!
//! Persistence model (DESIGN §4, with one deliberate simplification): instead of whole-actor
//! snapshots plus a journal trimmed behind them, every record an actor changes is written in
//! the same atomic batch that removes the journal entry that caused the change and records
//! the domain events it produced. The records *are* the snapshot (always current, per key),
//! the journal holds only what is not yet applied, and recovery is "load records, replay the
//! journal". A crash can neither lose an effect nor apply it twice.
//!
//! Acknowledgements are made durable by the write-ahead log ([`wal`]), not by sled flushes:
//! sled is flushed by a checkpoint every second, after which the log segments it covers are
//! deleted; at open, logged webhooks whose dedupe marker sled lost are journaled again.

pub mod codec;
mod commit;
pub mod deadletters;
pub mod journal;
pub mod keys;
pub mod records;
pub mod tenants;
pub mod wal;
pub mod whatsapp;

pub use commit::GroupCommit;
pub use deadletters::DeadLetter;
pub use journal::{Accepted, JournalEntry};
pub use keys::Kind;
pub use records::Batch;
pub use tenants::TenantRecord;

use std::path::Path;

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

/// Handle to the database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    commit: GroupCommit,
    wal: wal::Wal,
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
        let commit = GroupCommit::start(db.clone());
        let (wal, leftover) = wal::Wal::open(&dir.join("wal"))?;
        let store = Self {
            db,
            tree,
            commit,
            wal,
        };
        store.replay_wal(leftover)?;
        Ok(store)
    }

    /// Journals again the logged webhooks sled lost in an abrupt stop (their dedupe marker
    /// is missing), flushes sled, and drops the old segments.
    fn replay_wal(&self, leftover: Vec<JournalEntry>) -> Result<(), StoreError> {
        let n = leftover.len();
        let mut replayed = 0;
        for entry in leftover {
            if let Accepted::New(_) = self.accept_webhook(&entry)? {
                replayed += 1;
            }
        }
        self.flush_now()?;
        let closed = self.wal.rotate()?;
        self.wal.delete_upto(closed)?;
        if replayed > 0 {
            tracing::warn!(
                message = "Webhooks recovered from the write-ahead log.",
                logged = n,
                replayed
            );
        }
        Ok(())
    }

    /// Logs an accepted webhook in the write-ahead log (call after
    /// [`Store::accept_webhook`] said `New`); [`Store::ack_durable`] makes it durable.
    ///
    /// # Errors
    /// When the log cannot be written.
    pub fn log_webhook(&self, entry: &JournalEntry) -> Result<(), StoreError> {
        self.wal.append(entry)
    }

    /// Waits until every webhook logged before the call is on disk: the acknowledgement
    /// path's durability (group `fdatasync` of the log, not a sled flush).
    ///
    /// # Errors
    /// When the sync fails.
    pub async fn ack_durable(&self) -> Result<(), StoreError> {
        self.wal.durable().await
    }

    /// A checkpoint: rotate the log, flush sled, delete the segments sled now covers.
    /// Run every second or so by the application.
    ///
    /// # Errors
    /// When the rotation, the flush or a deletion fails.
    pub async fn checkpoint(&self) -> Result<usize, StoreError> {
        let closed = self.wal.rotate()?;
        self.durable().await?;
        self.wal.delete_upto(closed)
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
        self.db.flush()?;
        Ok(())
    }

    /// Applies a batch atomically.
    ///
    /// # Errors
    /// When sled fails.
    pub fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.tree.apply_batch(batch.into_inner())?;
        Ok(())
    }

    /// Bytes on disk (for metrics).
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }
}
