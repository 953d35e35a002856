//! The webhook journal: what was accepted but not yet applied, and which webhook ids a
//! tenant has already accepted.
//!
//! Its durable form is the write-ahead log ([`super::wal`]); its working form is an
//! in-memory index of the pending entries (by sequence, and by shop + webhook id for
//! dedupe). sled is not on the acknowledgement path at all:
//!
//! - **Accept**: dedupe against the pending index and the dedupe marker (sled, behind a
//!   Bloom filter: `store::seen_filter`), take a sequence number, append `(seq, entry)`
//!   to the log, index it. The caller waits for
//!   [`Store::ack_durable`] (group `fdatasync`) before it answers 2xx.
//! - **Apply**: the actor writes its records, its domain events and the dedupe marker
//!   `S<shop>\0<webhook id> = {seq}` in one atomic sled batch ([`Batch::applied`]); after
//!   the batch, the entry leaves the pending index ([`Store::commit`]). A marker whose seq is
//!   at least the entry's therefore means "applied" (or dead-lettered, in the same batch).
//! - **Checkpoint** (every second): rotate the log, copy the entries still waiting in the
//!   closed segments into the new one, flush sled (every applied entry's batch is now on
//!   disk), delete the closed segments. The log holds about one second of webhooks plus
//!   whatever is still pending.
//! - **Recovery** ([`Store::open`]): every logged entry without an "applied" marker goes
//!   back into the pending index (and into a fresh segment) under its original sequence, so
//!   its domain events get the same stream positions as before the crash.

use super::{codec, keys, Batch, Store, StoreError};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod recover;

/// An accepted, authenticated webhook, durable before we answer 2xx.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The tenant's shop domain.
    pub shop: String,
    /// Where it came from (the `X-Shopify-Topic`, or the Meta event kind), parsed at the
    /// edge; stored as its name.
    pub source: crate::logic::Source,
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
    /// `X-Shopify-API-Version`.
    pub api_version: String,
    /// `X-Shopify-Triggered-At`, parsed.
    pub triggered_at: Option<Timestamp>,
    /// When we accepted it.
    pub received_at: Timestamp,
    /// The raw body, shared (not copied) from the request to the log and the actor.
    /// Stored as one byte string: the same bytes on disk as the `Vec<u8>` it used to be.
    pub body: bytes::Bytes,
}

/// The dedupe marker: the journal seq under which a webhook id was last applied (or
/// dead-lettered), and when it was received.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Seen {
    seq: u64,
    at: Timestamp,
}

/// The outcome of offering a webhook to the journal.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    /// New: journaled under `seq` (durable once [`Store::ack_durable`] returns).
    New {
        /// Journal sequence.
        seq: u64,
        /// The entry, shared with the pending index.
        entry: Arc<JournalEntry>,
    },
    /// Already accepted earlier (same shop and webhook id): no effect.
    Duplicate,
}

/// First byte of a log record written by this version: `L` + envelope of [`LoggedRef`].
/// Records of the previous layout start with the envelope's format version instead.
const RECORD: u8 = b'L';

#[derive(Serialize)]
struct LoggedRef<'a> {
    seq: u64,
    entry: &'a JournalEntry,
}

fn encode_record(seq: u64, entry: &JournalEntry) -> Result<Vec<u8>, StoreError> {
    let body = codec::encode(&LoggedRef { seq, entry })?;
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(RECORD);
    out.extend_from_slice(&body);
    Ok(out)
}

#[derive(Debug)]
struct PendingEntry {
    entry: Arc<JournalEntry>,
    /// The log segment holding its newest copy.
    segment: u64,
    /// Applied: its batch is committed (staged, see `staging`) but not yet in sled. It is
    /// not delivered again, and stays indexed (dedupe, checkpoint) until it is settled.
    applied: bool,
}

/// The in-memory index of pending entries.
#[derive(Debug, Default)]
pub(super) struct Pending {
    by_seq: BTreeMap<u64, PendingEntry>,
    by_key: HashMap<Vec<u8>, u64>,
}

impl Pending {
    fn insert(&mut self, key: Vec<u8>, seq: u64, entry: Arc<JournalEntry>, segment: u64) {
        let newest = self.by_key.entry(key).or_insert(seq);
        *newest = (*newest).max(seq);
        self.by_seq.insert(
            seq,
            PendingEntry {
                entry,
                segment,
                applied: false,
            },
        );
    }

    fn remove(&mut self, seq: u64) {
        if let Some(p) = self.by_seq.remove(&seq) {
            let key = keys::seen(&p.entry.shop, &p.entry.webhook_id);
            if self.by_key.get(&key) == Some(&seq) {
                self.by_key.remove(&key);
            }
        }
    }
}

/// Marks entries applied when their batch is committed (before it is staged, so the
/// writer cannot settle them first).
pub(super) fn mark_applied(pending: &Mutex<Pending>, seqs: &[u64]) {
    if seqs.is_empty() {
        return;
    }
    let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
    for seq in seqs {
        if let Some(p) = pending.by_seq.get_mut(seq) {
            p.applied = true;
        }
    }
}

/// Takes applied entries out of the pending index (after their batch reached sled).
pub(super) fn settle(pending: &Mutex<Pending>, seqs: &[u64]) {
    if seqs.is_empty() {
        return;
    }
    let mut pending = pending.lock().unwrap_or_else(PoisonError::into_inner);
    for seq in seqs {
        pending.remove(*seq);
    }
}

impl Batch {
    /// Marks journal entry `seq` applied: writes its dedupe marker in this batch, and
    /// [`Store::commit`] takes it out of the pending index once the batch is written.
    ///
    /// # Errors
    /// When the marker cannot be encoded.
    pub fn applied(&mut self, seq: u64, entry: &JournalEntry) -> Result<(), StoreError> {
        self.raw_put(
            keys::seen(&entry.shop, &entry.webhook_id),
            codec::encode(&Seen {
                seq,
                at: entry.received_at,
            })?,
        );
        self.settles.push(seq);
        Ok(())
    }
}

impl Store {
    fn pending_index(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True when the dedupe marker says entry `seq` (or a later copy of its webhook) has
    /// been applied.
    fn applied_marker(&self, key: &[u8], seq: Option<u64>) -> Result<bool, StoreError> {
        Ok(match self.read(key)? {
            None => false,
            Some(v) => match seq {
                Some(seq) => codec::decode::<Seen>(&v)?.seq >= seq,
                None => true,
            },
        })
    }

    /// The dedupe check's second half: a marker in the store. Reads sled only when the
    /// filter cannot rule the marker out (counted: a rate close to the webhook rate means
    /// the filter is not ready yet, or is saturated).
    fn marker_on_disk(&self, key: &[u8]) -> Result<bool, StoreError> {
        if !self.seen.may_contain(key) {
            return Ok(false);
        }
        metrics::counter!("galantis_dedupe_store_reads_total").increment(1);
        self.applied_marker(key, None)
    }

    /// Journals a webhook unless its id was already accepted for this shop. Not yet
    /// durable: call [`Store::ack_durable`] before acknowledging.
    ///
    /// # Errors
    /// When sled fails, or the log has failed.
    pub fn accept_webhook(&self, entry: JournalEntry) -> Result<Accepted, StoreError> {
        Ok(match self.journal(entry, true)? {
            Some((seq, entry)) => Accepted::New { seq, entry },
            None => Accepted::Duplicate,
        })
    }

    /// Journals a webhook again under a new sequence without the dedupe check (replay of a
    /// dead letter, whose marker says it was seen). Durable after [`Store::ack_durable`].
    ///
    /// # Errors
    /// When sled fails, or the log has failed.
    pub fn requeue(&self, entry: JournalEntry) -> Result<(u64, Arc<JournalEntry>), StoreError> {
        self.journal(entry, false)?.ok_or_else(|| {
            StoreError::Corrupt("requeue without dedupe reported a duplicate".into())
        })
    }

    /// Appends `entry` to the log and the pending index; `None` when `dedupe` finds it
    /// already accepted. The sequence number and the encoding are made before the lock (a
    /// duplicate only wastes a number); the dedupe check and the append happen under the
    /// lock that [`Store::commit`]'s settling also takes: an entry leaves the index only
    /// after its marker is written, so no interleaving lets a second copy through.
    fn journal(
        &self,
        entry: JournalEntry,
        dedupe: bool,
    ) -> Result<Option<(u64, Arc<JournalEntry>)>, StoreError> {
        let key = keys::seen(&entry.shop, &entry.webhook_id);
        let seq = self.db.generate_id()?;
        let record = encode_record(seq, &entry)?;
        let mut pending = self.pending_index();
        // The filter is read under the lock: a marker is added to it before its entry can
        // settle (leave `by_key`), and settling takes this lock, so a webhook that is in
        // neither place here is new.
        if dedupe && (pending.by_key.contains_key(&key) || self.marker_on_disk(&key)?) {
            return Ok(None);
        }
        let segment = self.wal.append(&record)?;
        let entry = Arc::new(entry);
        pending.insert(key, seq, entry.clone(), segment);
        Ok(Some((seq, entry)))
    }

    /// Waits until every webhook journaled before the call is on disk: the
    /// acknowledgement path's durability (group `fdatasync` of the log).
    ///
    /// # Errors
    /// When the log cannot be written or synced.
    pub async fn ack_durable(&self) -> Result<(), StoreError> {
        self.wal.durable().await
    }

    /// True while journal entry `seq` is waiting to be applied.
    pub fn is_pending(&self, seq: u64) -> bool {
        self.pending_index()
            .by_seq
            .get(&seq)
            .is_some_and(|p| !p.applied)
    }

    /// One pending entry.
    pub fn pending_entry(&self, seq: u64) -> Option<Arc<JournalEntry>> {
        self.pending_index()
            .by_seq
            .get(&seq)
            .map(|p| p.entry.clone())
    }

    /// Every entry waiting to be applied, in acceptance order (recovery).
    pub fn pending(&self) -> Vec<(u64, Arc<JournalEntry>)> {
        self.pending_index()
            .by_seq
            .iter()
            .filter(|(_, p)| !p.applied)
            .map(|(s, p)| (*s, p.entry.clone()))
            .collect()
    }

    /// Entries of one shop waiting to be applied (a restarted actor re-reads them).
    pub fn pending_of(&self, shop: &str) -> Vec<(u64, Arc<JournalEntry>)> {
        self.pending_index()
            .by_seq
            .iter()
            .filter(|(_, p)| !p.applied && p.entry.shop == shop)
            .map(|(s, p)| (*s, p.entry.clone()))
            .collect()
    }

    /// Number of pending entries (metrics).
    pub fn pending_count(&self) -> usize {
        self.pending_index().by_seq.len()
    }

    /// Drops a deleted tenant's pending entries (they are not applied, ever).
    pub(super) fn forget_pending_of(&self, shop: &str) {
        let mut pending = self.pending_index();
        let seqs: Vec<u64> = pending
            .by_seq
            .iter()
            .filter(|(_, p)| p.entry.shop == shop)
            .map(|(s, _)| *s)
            .collect();
        for seq in seqs {
            pending.remove(seq);
        }
    }

    /// A checkpoint, run every second or so by the application: rotate the log, copy the
    /// entries still waiting in the closed segments into the new one, flush sled, delete
    /// the closed segments. Returns how many segments were deleted.
    ///
    /// Applied entries are not copied: their batches were staged before they were marked
    /// applied, so the flush below writes their markers before the segments go. The
    /// records are encoded outside the pending index's lock, which the ack path takes too.
    ///
    /// When the log cannot open its next segment (the process is out of file descriptors),
    /// nothing is closed, copied or deleted: everything stays durable in the current
    /// segment and the next checkpoint tries again (`Ok(0)`).
    ///
    /// # Errors
    /// When the log or sled cannot be written.
    pub async fn checkpoint(&self) -> Result<usize, StoreError> {
        let Some(closed) = self.wal.rotate().await? else {
            return Ok(0);
        };
        let waiting: Vec<(u64, Arc<JournalEntry>)> = self
            .pending_index()
            .by_seq
            .iter()
            .filter(|(_, p)| p.segment <= closed && !p.applied)
            .map(|(seq, p)| (*seq, p.entry.clone()))
            .collect();
        let records = waiting
            .iter()
            .map(|(seq, entry)| Ok((*seq, encode_record(*seq, entry)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut carried = 0;
        {
            let mut pending = self.pending_index();
            for (seq, record) in records {
                // Settled meanwhile: its marker is in sled, nothing to carry.
                if let Some(p) = pending.by_seq.get_mut(&seq) {
                    p.segment = self.wal.append(&record)?;
                    carried += 1;
                }
            }
        }
        if carried > 0 {
            self.wal.durable().await?;
        }
        // Every entry applied or settled before the copy above had its batch staged
        // before this flush began.
        self.durable().await?;
        self.wal.delete_upto(closed)
    }

    /// Removes dedupe markers older than `before` (Shopify retries for 48 hours; we keep
    /// markers longer). Returns how many were removed.
    ///
    /// # Errors
    /// When sled fails or a marker does not decode.
    pub fn sweep_seen(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.read_prefix(keys::SEEN_PREFIX) {
            let (k, v) = kv?;
            let seen: Seen = codec::decode(&v)?;
            if seen.at < before {
                batch.remove(k);
                n += 1;
            }
        }
        self.direct()?.apply_batch(batch)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
