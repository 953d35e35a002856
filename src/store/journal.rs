//! The webhook journal and dedupe markers: what was accepted but not yet applied, and
//! which webhook ids a tenant has already accepted.

use super::{codec, keys, Store, StoreError};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

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

/// The dedupe marker: when a webhook id was first accepted and under which journal seq.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Seen {
    seq: u64,
    at: Timestamp,
}

/// The encoded dedupe marker of journal entry `seq`.
pub(super) fn seen_value(seq: u64, at: Timestamp) -> Result<Vec<u8>, StoreError> {
    Ok(codec::encode(&Seen { seq, at })?)
}

/// The outcome of offering a webhook to the journal.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    /// New: journaled under this sequence number.
    New(u64),
    /// Already accepted earlier (same shop and webhook id): no effect.
    Duplicate,
}

impl Store {
    /// Journals a webhook unless its id was already accepted for this shop. Not yet
    /// durable: call [`Store::durable`] before acknowledging.
    ///
    /// Two single-key writes instead of a transaction (sled's transactions and batches
    /// take a tree-wide write lock that every flush holds for its I/O; measured in
    /// BENCHMARKS.md): the journal entry first, then an insert-if-absent of the dedupe
    /// marker pointing at it. The loser of a race on the same id removes its entry. A crash
    /// between the two writes leaves an entry without a marker (or a race loser's entry):
    /// [`Store::repair_journal`] settles both before the engine takes traffic again.
    pub fn accept_webhook(&self, entry: &JournalEntry) -> Result<Accepted, StoreError> {
        let seen_key = keys::seen(&entry.shop, &entry.webhook_id);
        if self.tree.contains_key(&seen_key)? {
            return Ok(Accepted::Duplicate);
        }
        let seq = self.db.generate_id()?;
        let jkey = keys::journal(seq);
        self.tree.insert(&jkey, codec::encode(entry)?)?;
        let seen = codec::encode(&Seen {
            seq,
            at: entry.received_at,
        })?;
        match self
            .tree
            .compare_and_swap(&seen_key, None as Option<&[u8]>, Some(seen))?
        {
            Ok(()) => Ok(Accepted::New(seq)),
            Err(_) => {
                self.tree.remove(&jkey)?;
                Ok(Accepted::Duplicate)
            }
        }
    }

    /// Settles what a crash during [`Store::accept_webhook`] can leave: an entry whose
    /// dedupe marker is missing gets it (so Shopify's retry of it is a duplicate), and an
    /// entry whose marker names another entry (a lost race) is removed. Run at recovery,
    /// before any webhook is taken. Returns (markers written, entries removed).
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn repair_journal(&self) -> Result<(usize, usize), StoreError> {
        let (mut written, mut removed) = (0, 0);
        for (seq, entry) in self.journal()? {
            let seen_key = keys::seen(&entry.shop, &entry.webhook_id);
            match self.tree.get(&seen_key)? {
                None => {
                    let seen = codec::encode(&Seen {
                        seq,
                        at: entry.received_at,
                    })?;
                    self.tree.insert(seen_key, seen)?;
                    written += 1;
                }
                Some(v) => {
                    let seen: Seen = codec::decode(&v)?;
                    if seen.seq != seq {
                        self.tree.remove(keys::journal(seq))?;
                        removed += 1;
                    }
                }
            }
        }
        if written + removed > 0 {
            self.flush_now()?;
        }
        Ok((written, removed))
    }

    /// True while the journal entry `seq` is still waiting to be applied.
    pub fn journal_contains(&self, seq: u64) -> Result<bool, StoreError> {
        Ok(self.tree.contains_key(keys::journal(seq))?)
    }

    /// One journal entry.
    pub fn journal_entry(&self, seq: u64) -> Result<Option<JournalEntry>, StoreError> {
        match self.tree.get(keys::journal(seq))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Every journal entry not yet applied, in acceptance order (recovery).
    pub fn journal(&self) -> Result<Vec<(u64, JournalEntry)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(keys::JOURNAL_PREFIX) {
            let (k, v) = kv?;
            let seq = keys::seq_of_journal_key(&k)
                .ok_or_else(|| StoreError::Corrupt("journal key".into()))?;
            out.push((seq, codec::decode(&v)?));
        }
        Ok(out)
    }

    /// Journal entries of one shop (a restarted actor re-reads what it had not applied).
    pub fn journal_of(&self, shop: &str) -> Result<Vec<(u64, JournalEntry)>, StoreError> {
        Ok(self
            .journal()?
            .into_iter()
            .filter(|(_, e)| e.shop == shop)
            .collect())
    }

    /// Removes dedupe markers older than `before` (Shopify retries for 4 hours; we keep
    /// markers far longer). Returns how many were removed.
    pub fn sweep_seen(&self, before: Timestamp) -> Result<usize, StoreError> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for kv in self.tree.scan_prefix(b"S") {
            let (k, v) = kv?;
            let seen: Seen = codec::decode(&v)?;
            if seen.at < before {
                batch.remove(k);
                n += 1;
            }
        }
        self.tree.apply_batch(batch)?;
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

    #[tokio::test]
    async fn dedupes_and_repairs_an_entry_left_without_its_marker() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1 << 20).expect("store");
        let Accepted::New(seq) = store.accept_webhook(&entry("w1")).expect("accept") else {
            panic!("new");
        };
        assert_eq!(
            store.accept_webhook(&entry("w1")).expect("again"),
            Accepted::Duplicate
        );
        assert_eq!(
            store.journal().expect("journal").len(),
            1,
            "the duplicate left nothing"
        );
        // A crash between the two writes: the entry is there, its marker is not.
        assert_eq!(store.sweep_seen(Timestamp(i64::MAX)).expect("sweep"), 1);
        assert_eq!(store.repair_journal().expect("repair"), (1, 0));
        assert_eq!(
            store.accept_webhook(&entry("w1")).expect("retry"),
            Accepted::Duplicate
        );
        assert!(store.journal_contains(seq).expect("contains"));
        assert_eq!(store.repair_journal().expect("repair again"), (0, 0));
    }
}
