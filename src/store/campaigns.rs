//! The records of campaigns (issue #13): definitions, run states, the frozen recipient
//! lists (in chunks of [`CHUNK`], so a million recipients are 245 records, not a million),
//! the quiet-hours hold queue, and the message tags and per-source counters of analytics.
//! Reads and batch helpers only; the campaign and conversation actors decide.

use super::records::Batch;
use super::{codec, keys, Kind, Store, StoreError};
use crate::domain::analytics::{MessageTag, SourceStats};
use crate::domain::campaigns::{CampaignRun, Held, Recipient, StoredCampaign};

/// Recipients per stored chunk of a frozen list.
pub const CHUNK: u64 = 4096;

impl Batch {
    /// Stores a chunk of a frozen recipient list.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_recipients(
        &mut self,
        shop: &str,
        campaign: u64,
        chunk: u64,
        recipients: &[Recipient],
    ) -> Result<(), StoreError> {
        self.raw_put(
            keys::pair(shop, Kind::CampaignRecipients, campaign, chunk),
            codec::encode(&recipients)?,
        );
        Ok(())
    }

    /// Holds a recipient until `due_ms` under the unique `seq`.
    ///
    /// # Errors
    /// When the value cannot be encoded.
    pub fn put_held(
        &mut self,
        shop: &str,
        due_ms: i64,
        seq: u64,
        held: &Held,
    ) -> Result<(), StoreError> {
        self.raw_put(
            keys::pair(shop, Kind::CampaignHeld, due_ms.max(0) as u64, seq),
            codec::encode(held)?,
        );
        Ok(())
    }

    /// Releases a held recipient.
    pub fn remove_held(&mut self, shop: &str, due_ms: i64, seq: u64) {
        self.remove_pair(shop, Kind::CampaignHeld, due_ms.max(0) as u64, seq);
    }
}

impl Store {
    /// A campaign's definition record.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn campaign(&self, shop: &str, id: u64) -> Result<Option<StoredCampaign>, StoreError> {
        self.get(shop, Kind::Campaign, id)
    }

    /// A campaign's run state (the default before launch).
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn campaign_run(&self, shop: &str, id: u64) -> Result<CampaignRun, StoreError> {
        Ok(self.get(shop, Kind::CampaignRun, id)?.unwrap_or_default())
    }

    /// One chunk of a frozen list (empty past its end).
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn recipients(
        &self,
        shop: &str,
        campaign: u64,
        chunk: u64,
    ) -> Result<Vec<Recipient>, StoreError> {
        match self.read(&keys::pair(shop, Kind::CampaignRecipients, campaign, chunk))? {
            Some(v) => Ok(codec::decode(&v)?),
            None => Ok(Vec::new()),
        }
    }

    /// Held recipients due at or before `now_ms`, earliest first, at most `limit`:
    /// `(due ms, seq, held)`.
    ///
    /// # Errors
    /// When sled fails or a record does not decode.
    pub fn held_due(
        &self,
        shop: &str,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<(i64, u64, Held)>, StoreError> {
        let prefix = keys::kind_prefix(shop, Kind::CampaignHeld);
        let mut out = Vec::new();
        for kv in self.read_prefix(&prefix) {
            let (k, v) = kv?;
            let b = keys::last_u64(&k).ok_or_else(|| StoreError::Corrupt("held key".into()))?;
            let a = k
                .len()
                .checked_sub(8)
                .and_then(|n| keys::last_u64(&k[..n]))
                .ok_or_else(|| StoreError::Corrupt("held key".into()))?;
            if a as i64 > now_ms || out.len() >= limit {
                break;
            }
            out.push((a as i64, b, codec::decode(&v)?));
        }
        Ok(out)
    }

    /// The tag of an outbound message, when it has one.
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn message_tag(&self, shop: &str, message: u64) -> Result<Option<MessageTag>, StoreError> {
        self.get(shop, Kind::MessageTag, message)
    }

    /// The counters of a source (`Source::key`).
    ///
    /// # Errors
    /// When sled fails or the record does not decode.
    pub fn source_stats(&self, shop: &str, key: u64) -> Result<SourceStats, StoreError> {
        Ok(self.get(shop, Kind::SourceStats, key)?.unwrap_or_default())
    }
}
