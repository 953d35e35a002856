//! The webhook journal: what was accepted but not yet applied, and which webhook ids a
//! tenant has already accepted.
//!
//! Its durable form is the write-ahead log ([`super::wal`]); its working form is an
//! in-memory index of the pending entries (by sequence, and by shop + webhook id for
//! dedupe). sled is not on the acknowledgement path at all:
//!
//! - **Accept**: dedupe against the pending index and the sled dedupe marker, take a
//!   sequence number, append `(seq, entry)` to the log, index it. The caller waits for
//!   [`Store::ack_durable`] (group `fdatasync`) before it answers 2xx.
//! - **Apply**: the actor writes its records, its domain events and the dedupe marker
//!   `S<shop>\0<webhook id> = {seq}` in one atomic sled batch ([`Batch::applied`]); after
//!   the batch, the entry leaves the pending index ([`Store::commit`]). A marker whose seq is
//!   at least the entry's therefore means "applied" (or dead-lettered, in the same batch).
//! - **Checkpoint** (every second): rotate the log, copy the entries still pending in the
//!   closed segments into the new one, flush sled (every settled entry's batch is now on
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

/// An accepted, authenticated webhook, durable before we answer 2xx.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The tenant's shop domain.
    pub shop: String,
    /// `X-Shopify-Topic`.
    pub topic: String,
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
    /// `X-Shopify-API-Version`.
    pub api_version: String,
    /// `X-Shopify-Triggered-At`, parsed.
    pub triggered_at: Option<Timestamp>,
    /// When we accepted it.
    pub received_at: Timestamp,
    /// The raw body.
    pub body: Vec<u8>,
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

#[derive(Deserialize)]
struct Logged {
    seq: u64,
    entry: JournalEntry,
}

fn encode_record(seq: u64, entry: &JournalEntry) -> Result<Vec<u8>, StoreError> {
    let body = codec::encode(&LoggedRef { seq, entry })?;
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(RECORD);
    out.extend_from_slice(&body);
    Ok(out)
}

/// A log record read back: `None` seq for a record of the previous layout.
fn decode_record(payload: &[u8]) -> Result<(Option<u64>, JournalEntry), StoreError> {
    match payload.split_first() {
        Some((&RECORD, body)) => {
            let l: Logged = codec::decode(body)?;
            Ok((Some(l.seq), l.entry))
        }
        _ => Ok((None, codec::decode(payload)?)),
    }
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

    /// Journals a webhook unless its id was already accepted for this shop. Not yet
    /// durable: call [`Store::ack_durable`] before acknowledging.
    ///
    /// The pending index is checked first, then the sled marker, under one lock that
    /// [`Store::commit`] also takes to settle entries: an entry leaves the index only after
    /// its marker is written, so no interleaving lets a second copy through.
    ///
    /// # Errors
    /// When sled fails, or the log has failed.
    pub fn accept_webhook(&self, entry: JournalEntry) -> Result<Accepted, StoreError> {
        let key = keys::seen(&entry.shop, &entry.webhook_id);
        let mut pending = self.pending_index();
        if pending.by_key.contains_key(&key) || self.applied_marker(&key, None)? {
            return Ok(Accepted::Duplicate);
        }
        let seq = self.db.generate_id()?;
        let segment = self.wal.append(&encode_record(seq, &entry)?)?;
        let entry = Arc::new(entry);
        pending.insert(key, seq, entry.clone(), segment);
        Ok(Accepted::New { seq, entry })
    }

    /// Journals a webhook again under a new sequence without the dedupe check (replay of a
    /// dead letter, whose marker says it was seen). Durable after [`Store::ack_durable`].
    ///
    /// # Errors
    /// When sled fails, or the log has failed.
    pub fn requeue(&self, entry: JournalEntry) -> Result<(u64, Arc<JournalEntry>), StoreError> {
        let key = keys::seen(&entry.shop, &entry.webhook_id);
        let mut pending = self.pending_index();
        let seq = self.db.generate_id()?;
        let segment = self.wal.append(&encode_record(seq, &entry)?)?;
        let entry = Arc::new(entry);
        pending.insert(key, seq, entry.clone(), segment);
        Ok((seq, entry))
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
    /// entries still pending in the closed segments into the new one, flush sled, delete
    /// the closed segments. Returns how many segments were deleted.
    ///
    /// # Errors
    /// When the log or sled cannot be written.
    pub async fn checkpoint(&self) -> Result<usize, StoreError> {
        let closed = self.wal.rotate().await?;
        let carried = {
            let mut pending = self.pending_index();
            let mut n = 0;
            for (seq, p) in pending.by_seq.iter_mut() {
                if p.segment <= closed {
                    p.segment = self.wal.append(&encode_record(*seq, &p.entry)?)?;
                    n += 1;
                }
            }
            n
        };
        if carried > 0 {
            self.wal.durable().await?;
        }
        // Every entry settled before the copy above had its batch written before this
        // flush began.
        self.durable().await?;
        self.wal.delete_upto(closed)
    }

    /// Rebuilds the pending index at open from the log segments of the previous run (and
    /// from a journal kept in sled by earlier versions), writes it to a fresh segment, and
    /// deletes the old ones. Returns how many entries are pending.
    pub(super) fn recover_journal(&self, logged: Vec<Vec<u8>>) -> Result<usize, StoreError> {
        let mut found: Vec<(u64, JournalEntry)> = Vec::new();
        let mut legacy_keys = Vec::new();
        // Earlier versions kept unapplied entries in sled under `J`, with a marker written
        // at acceptance (not application): those are pending whatever their marker says.
        for kv in self.tree.scan_prefix(keys::JOURNAL_PREFIX) {
            let (k, v) = kv?;
            let seq = keys::seq_of_journal_key(&k)
                .ok_or_else(|| StoreError::Corrupt("journal key".into()))?;
            let entry: JournalEntry = codec::decode(&v)?;
            legacy_keys.push(k.to_vec());
            legacy_keys.push(keys::seen(&entry.shop, &entry.webhook_id));
            found.push((seq, entry));
        }
        let mut erased: HashMap<String, u64> = HashMap::new();
        let legacy_pending: std::collections::HashSet<Vec<u8>> = found
            .iter()
            .map(|(_, e)| keys::seen(&e.shop, &e.webhook_id))
            .collect();
        for payload in &logged {
            let Ok((seq, entry)) = decode_record(payload) else {
                tracing::warn!(message = "Unreadable write-ahead log record skipped.");
                continue;
            };
            let key = keys::seen(&entry.shop, &entry.webhook_id);
            if legacy_pending.contains(&key) || self.applied_marker(&key, seq)? {
                continue;
            }
            if !self.tree.contains_key(keys::tenant(&entry.shop))? {
                continue; // the tenant was deleted after this was logged
            }
            if !erased.contains_key(&entry.shop) {
                let through = match self.tree.get(keys::erased(&entry.shop))? {
                    Some(v) => codec::decode::<u64>(&v)?,
                    None => 0,
                };
                erased.insert(entry.shop.clone(), through);
            }
            if seq.is_some_and(|s| erased.get(&entry.shop).is_some_and(|t| s < *t)) {
                continue; // logged before the shop's data was erased (shop/redact)
            }
            let seq = match seq {
                Some(s) => s,
                None => self.db.generate_id()?,
            };
            found.push((seq, entry));
        }
        let mut pending = self.pending_index();
        for (seq, entry) in found {
            if pending.by_seq.contains_key(&seq) {
                continue; // a copy carried forward by a checkpoint
            }
            let segment = self.wal.append(&encode_record(seq, &entry)?)?;
            let key = keys::seen(&entry.shop, &entry.webhook_id);
            pending.insert(key, seq, Arc::new(entry), segment);
        }
        let n = pending.by_seq.len();
        drop(pending);
        self.wal.durable_blocking()?;
        if !legacy_keys.is_empty() {
            let mut batch = sled::Batch::default();
            for k in legacy_keys {
                batch.remove(k);
            }
            self.tree.apply_batch(batch)?;
        }
        self.drop_requeued_dead_letters()?;
        self.flush_now()?;
        // Everything the old segments held is now pending in the new one, or applied.
        self.wal
            .delete_upto(self.wal.current_segment().saturating_sub(1))?;
        Ok(n)
    }

    /// A dead letter whose webhook is pending under a later sequence was replayed before a
    /// crash that lost its removal: remove it now.
    fn drop_requeued_dead_letters(&self) -> Result<(), StoreError> {
        let pending = self.pending_index();
        if pending.by_seq.is_empty() {
            return Ok(());
        }
        let mut batch = sled::Batch::default();
        for kv in self.tree.scan_prefix(b"D") {
            let (k, v) = kv?;
            let letter: super::DeadLetter = codec::decode(&v)?;
            let key = keys::seen(&letter.entry.shop, &letter.entry.webhook_id);
            if pending.by_key.get(&key).is_some_and(|s| *s > letter.id) {
                batch.remove(k);
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Removes dedupe markers older than `before` (Shopify retries for 48 hours; we keep
    /// markers longer). Returns how many were removed.
    ///
    /// # Errors
    /// When sled fails or a marker does not decode.
    pub fn sweep_seen(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.read_prefix(b"S") {
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
mod tests {
    use super::*;

    fn entry(id: &str) -> JournalEntry {
        JournalEntry {
            shop: "s.myshopify.com".into(),
            topic: "customers/create".into(),
            webhook_id: id.into(),
            api_version: "2026-04".into(),
            triggered_at: None,
            received_at: Timestamp(1),
            body: b"{}".to_vec(),
        }
    }

    /// Opens the store again once the previous handle's background tasks have let go of
    /// sled's lock file.
    async fn reopen(dir: &std::path::Path) -> Store {
        for _ in 0..200 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            if let Ok(s) = Store::open(dir, 1 << 20) {
                return s;
            }
        }
        Store::open(dir, 1 << 20).expect("reopen")
    }

    fn new_seq(a: Accepted) -> u64 {
        match a {
            Accepted::New { seq, .. } => seq,
            Accepted::Duplicate => panic!("expected a new entry"),
        }
    }

    #[tokio::test]
    async fn dedupes_while_pending_and_after_applied() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let seq = new_seq(store.accept_webhook(entry("w1")).expect("accept"));
        assert_eq!(
            store.accept_webhook(entry("w1")).expect("again"),
            Accepted::Duplicate,
            "pending"
        );
        assert!(store.is_pending(seq));
        let mut batch = Batch::new();
        batch.applied(seq, &entry("w1")).expect("mark");
        store.commit(batch).expect("commit");
        assert!(!store.is_pending(seq));
        assert_eq!(
            store.accept_webhook(entry("w1")).expect("after"),
            Accepted::Duplicate,
            "applied"
        );
        assert_eq!(store.sweep_seen(Timestamp(i64::MAX)).expect("sweep"), 1);
        assert!(matches!(
            store.accept_webhook(entry("w1")).expect("swept"),
            Accepted::New { .. }
        ));
    }

    #[tokio::test]
    async fn an_applied_entry_stays_indexed_until_its_batch_is_in_sled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let seq = new_seq(store.accept_webhook(entry("w")).expect("accept"));
        let mut batch = Batch::new();
        batch.applied(seq, &entry("w")).expect("mark");
        store.commit(batch).expect("commit");
        // Committed (staged): not delivered again, still a duplicate, still indexed.
        assert!(!store.is_pending(seq));
        assert!(store.pending().is_empty());
        assert_eq!(store.pending_count(), 1);
        assert_eq!(
            store.accept_webhook(entry("w")).expect("dup"),
            Accepted::Duplicate
        );
        // A checkpoint writes the batch to sled first: the entry is settled.
        store.checkpoint().await.expect("checkpoint");
        assert_eq!(store.pending_count(), 0);
        assert_eq!(
            store.accept_webhook(entry("w")).expect("dup"),
            Accepted::Duplicate,
            "the marker is in sled now"
        );
    }

    #[tokio::test]
    async fn a_reopen_brings_back_exactly_the_unapplied_entries_under_their_seq() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (applied, waiting) = {
            let store = Store::open(dir.path(), 1 << 20).expect("store");
            store
                .tree
                .insert(keys::tenant("s.myshopify.com"), b"t".to_vec())
                .expect("tenant");
            let a = new_seq(store.accept_webhook(entry("a")).expect("a"));
            let b = new_seq(store.accept_webhook(entry("b")).expect("b"));
            store.ack_durable().await.expect("durable");
            let mut batch = Batch::new();
            batch.applied(a, &entry("a")).expect("mark");
            store.commit(batch).expect("commit");
            store.flush_now().expect("flush");
            (a, b)
        };
        let store = reopen(dir.path()).await;
        let pending: Vec<u64> = store.pending().into_iter().map(|(s, _)| s).collect();
        assert_eq!(pending, vec![waiting]);
        assert!(!store.is_pending(applied));
        assert_eq!(
            store.accept_webhook(entry("b")).expect("b"),
            Accepted::Duplicate
        );
        // A checkpoint keeps the pending entry (copied forward) and drops the old segments.
        store.checkpoint().await.expect("checkpoint");
        drop(store);
        let store = reopen(dir.path()).await;
        assert_eq!(store.pending().len(), 1);
        assert_eq!(store.wal.segment_count(), 1);
    }

    #[tokio::test]
    async fn an_entry_journaled_in_sled_by_an_earlier_version_is_migrated() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = Store::open(dir.path(), 1 << 20).expect("store");
            let e = entry("old");
            store
                .tree
                .insert(keys::journal(77), codec::encode(&e).expect("encode"))
                .expect("insert");
            store
                .tree
                .insert(
                    keys::seen(&e.shop, &e.webhook_id),
                    codec::encode(&Seen {
                        seq: 77,
                        at: e.received_at,
                    })
                    .expect("encode"),
                )
                .expect("marker");
            store.flush_now().expect("flush");
        }
        let store = reopen(dir.path()).await;
        assert_eq!(
            store
                .pending()
                .into_iter()
                .map(|(s, e)| (s, e.webhook_id.clone()))
                .collect::<Vec<_>>(),
            vec![(77, "old".to_string())]
        );
        assert!(store.tree.get(keys::journal(77)).expect("get").is_none());
        assert_eq!(
            store.accept_webhook(entry("old")).expect("dup"),
            Accepted::Duplicate
        );
    }
}
