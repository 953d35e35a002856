//! Dead letters: authentic webhooks that could not be parsed or applied, kept with the
//! reason until an operator replays them after a fix.

use super::{codec, keys, Batch, JournalEntry, Store, StoreError};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The dead-letter scope of the operator: authentic Meta events (or parts of deliveries)
/// that named no tenant's number or account when they came in. Not a shop domain (no
/// `.myshopify.com`), so no tenant's letters can be listed under it. A replay moves such a
/// letter to the tenant that owns its number or account by then.
pub const OPERATOR_SCOPE: &str = "operator";

/// A webhook we accepted but could not apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Its id: the journal sequence it had when it failed.
    pub id: u64,
    /// Why it failed.
    pub reason: String,
    /// When it failed.
    pub failed_at: Timestamp,
    /// The webhook itself.
    pub entry: JournalEntry,
}

impl Batch {
    /// Moves a journal entry to the dead letters (marking it settled, atomically: a
    /// Shopify retry of it is a duplicate, and it is not replayed at the next start).
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn dead_letter(&mut self, letter: &DeadLetter) -> Result<(), StoreError> {
        self.applied(letter.id, &letter.entry)?;
        self.raw_put(
            keys::dead_letter(&letter.entry.shop, letter.id),
            codec::encode(letter)?,
        );
        Ok(())
    }
}

impl Store {
    /// Dead letters of a shop, oldest first.
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn dead_letters(&self, shop: &str) -> Result<Vec<DeadLetter>, StoreError> {
        let mut out = Vec::new();
        for kv in self.read_prefix(&keys::dead_letter_prefix(shop)) {
            let (_, v) = kv?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }

    /// At most `limit` dead letters of a shop with id greater than `after`, oldest first.
    ///
    /// # Errors
    /// When sled fails or a value does not decode.
    pub fn dead_letters_page(
        &self,
        shop: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let prefix = keys::dead_letter_prefix(shop);
        let start = match after {
            Some(a) => match a.checked_add(1) {
                Some(n) => keys::dead_letter(shop, n),
                None => return Ok(Vec::new()),
            },
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for kv in self.read_range(&start, &prefix).take(limit) {
            let (_, v) = kv?;
            out.push(codec::decode(&v)?);
        }
        Ok(out)
    }

    /// One dead letter of `shop` (or of [`OPERATOR_SCOPE`]).
    ///
    /// # Errors
    /// When sled fails or the value does not decode.
    pub fn dead_letter(&self, shop: &str, id: u64) -> Result<Option<DeadLetter>, StoreError> {
        match self.read(&keys::dead_letter(shop, id))? {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// Moves a dead letter back into the journal under a new sequence number. Returns the
    /// new sequence and the entry, or `None` when there is no such letter. Durable after
    /// [`Store::ack_durable`]; if a crash loses the letter's removal but not the journal
    /// record, recovery removes the letter (see `drop_requeued_dead_letters`).
    ///
    /// # Errors
    /// When sled fails, a value does not decode, or the log cannot be written (the letter
    /// is then put back).
    pub fn requeue_dead_letter(
        &self,
        shop: &str,
        id: u64,
    ) -> Result<Option<(u64, Arc<JournalEntry>)>, StoreError> {
        self.requeue_dead_letter_to(shop, id, shop)
    }

    /// Like [`Store::requeue_dead_letter`], but the entry is journaled for `to`: a letter
    /// of [`OPERATOR_SCOPE`] goes to the tenant that owns its number or account now.
    ///
    /// # Errors
    /// As [`Store::requeue_dead_letter`].
    pub fn requeue_dead_letter_to(
        &self,
        shop: &str,
        id: u64,
        to: &str,
    ) -> Result<Option<(u64, Arc<JournalEntry>)>, StoreError> {
        let key = keys::dead_letter(shop, id);
        let Some(v) = self.read(&key)? else {
            return Ok(None);
        };
        // Exactly one of two concurrent replays of the same letter wins it.
        if self
            .direct()?
            .compare_and_swap(&key, Some(&v), None as Option<&[u8]>)?
            .is_err()
        {
            return Ok(None);
        }
        let mut letter: DeadLetter = codec::decode(&v)?;
        letter.entry.shop = to.to_string();
        match self.requeue(letter.entry) {
            Ok(r) => Ok(Some(r)),
            Err(e) => {
                self.direct()?.insert(&key, v)?;
                Err(e)
            }
        }
    }

    /// Number of dead letters of every shop (metrics).
    pub fn dead_letter_count(&self) -> usize {
        self.read_prefix(b"D").count()
    }

    /// Erases a shop's dead letters.
    ///
    /// # Errors
    /// When sled fails.
    pub fn erase_dead_letters(&self, shop: &str) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for kv in self.read_prefix(&keys::dead_letter_prefix(shop)) {
            let (k, _) = kv?;
            batch.remove(k);
        }
        self.direct()?.apply_batch(batch)?;
        Ok(())
    }
}
