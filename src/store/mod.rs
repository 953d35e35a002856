//! The only code that knows sled: one tree holding typed, versioned records, the webhook
//! journal, dedupe markers, dead letters and tenants; atomic batches; group commit.
//!
//! Persistence model (DESIGN §4, with one deliberate simplification): instead of whole-actor
//! snapshots plus a journal trimmed behind them, every record an actor changes is written in
//! the same atomic batch that removes the journal entry that caused the change and records
//! the domain events it produced. The records *are* the snapshot (always current, per key),
//! the journal holds only what is not yet applied, and recovery is "load records, replay the
//! journal". A crash can neither lose an effect nor apply it twice.

pub mod codec;
mod commit;
pub mod deadletters;
pub mod journal;
pub mod keys;
pub mod records;
pub mod tenants;
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
        Ok(Self { db, tree, commit })
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
