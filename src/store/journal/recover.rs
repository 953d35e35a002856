//! Recovery at open: the pending index is rebuilt from the log segments of the previous
//! run (and from the sled journal of earlier versions), written to a fresh segment, and the
//! old segments are deleted.

use super::{encode_record, RECORD};
use crate::store::{codec, keys, DeadLetter, JournalEntry, Store, StoreError};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Deserialize)]
struct Logged {
    seq: u64,
    entry: JournalEntry,
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

impl Store {
    /// Rebuilds the pending index at open from the log segments of the previous run (and
    /// from a journal kept in sled by earlier versions), writes it to a fresh segment, and
    /// deletes the old ones. Returns how many entries are pending.
    pub(in crate::store) fn recover_journal(
        &self,
        logged: Vec<Vec<u8>>,
    ) -> Result<usize, StoreError> {
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
            // The record passed its checksum, so a decode failure is a format this build
            // does not know (a downgrade): refuse to start rather than drop an
            // acknowledged webhook.
            let (seq, entry) = decode_record(payload).map_err(|e| {
                StoreError::Corrupt(format!(
                    "a write-ahead log record does not decode ({e}); was the data written by a newer version?"
                ))
            })?;
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
            let letter: DeadLetter = codec::decode(&v)?;
            let key = keys::seen(&letter.entry.shop, &letter.entry.webhook_id);
            if pending.by_key.get(&key).is_some_and(|s| *s > letter.id) {
                batch.remove(k);
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }
}
