//! The webhook journal and dedupe markers: what was accepted but not yet applied, and
//! which webhook ids a tenant has already accepted.

use super::{codec, keys, Store, StoreError};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};

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

/// The outcome of offering a webhook to the journal.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    /// New: journaled under this sequence number.
    New(u64),
    /// Already accepted earlier (same shop and webhook id): no effect.
    Duplicate,
}

impl Store {
    /// Journals a webhook unless its id was already accepted for this shop. The dedupe
    /// marker and the journal entry are written in one transaction. Not yet durable: call
    /// [`Store::durable`] before acknowledging.
    pub fn accept_webhook(&self, entry: &JournalEntry) -> Result<Accepted, StoreError> {
        let seq = self.db.generate_id()?;
        let seen_key = keys::seen(&entry.shop, &entry.webhook_id);
        let seen = codec::encode(&Seen {
            seq,
            at: entry.received_at,
        })?;
        let value = codec::encode(entry)?;
        let jkey = keys::journal(seq);
        let r = self.tree.transaction(|tx| {
            if tx.get(&seen_key)?.is_some() {
                return Ok(Accepted::Duplicate);
            }
            tx.insert(seen_key.as_slice(), seen.as_slice())?;
            tx.insert(jkey.as_slice(), value.as_slice())?;
            Ok::<_, ConflictableTransactionError<()>>(Accepted::New(seq))
        });
        match r {
            Ok(a) => Ok(a),
            Err(TransactionError::Storage(e)) => Err(e.into()),
            Err(TransactionError::Abort(())) => Err(StoreError::Corrupt("aborted".into())),
        }
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
