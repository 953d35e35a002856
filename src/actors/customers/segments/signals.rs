//! A contact's segment signals beyond its record: the vendors and collections it bought
//! and when it last received a message of ours and last engaged (`Kind::Signals`).

use super::Segments;
use crate::domain::contact::Contact;
use crate::domain::{EventKind, Timestamp};
use crate::logic::segments::{Engaged, Engagement, Purchases};
use crate::store::{Batch, Kind, StoreError};
use serde::{Deserialize, Serialize};

/// A contact's stored signals.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct StoredSignals {
    received_ms: Option<i64>,
    engaged_ms: Option<i64>,
    vendors: Vec<String>,
    collections: Vec<u64>,
}

/// A contact's signals in memory.
#[derive(Clone, Debug, Default)]
pub(super) struct Signals {
    pub(super) engagement: Engagement,
    pub(super) purchases: Purchases,
}

impl Signals {
    pub(super) fn stored(&self) -> StoredSignals {
        StoredSignals {
            received_ms: self
                .engagement
                .last_message_received_at
                .map(Timestamp::millis),
            engaged_ms: self.engagement.last_engaged_at.map(Timestamp::millis),
            vendors: self
                .purchases
                .vendors
                .iter()
                .map(|v| v.to_string())
                .collect(),
            collections: self.purchases.collections.clone(),
        }
    }

    pub(super) fn from_stored(s: StoredSignals) -> Self {
        Signals {
            engagement: Engagement {
                last_message_received_at: s.received_ms.map(Timestamp),
                last_engaged_at: s.engaged_ms.map(Timestamp),
            },
            purchases: Purchases {
                collections: s.collections,
                vendors: s.vendors.into_iter().map(Box::from).collect(),
            },
        }
    }
}

impl Segments {
    /// Records what `contact` bought (vendors and collections of an order's products),
    /// staging its signals when something is new; the segments it entered.
    ///
    /// # Errors
    /// When staging fails.
    pub fn bought(
        &mut self,
        batch: &mut Batch,
        shop: &str,
        contact: &Contact,
        vendors: Vec<Box<str>>,
        collections: Vec<crate::domain::ShopifyId>,
    ) -> Result<Vec<EventKind>, StoreError> {
        let s = self.signals.entry(contact.id).or_default();
        let p = &mut s.purchases;
        let before = (p.vendors.len(), p.collections.len());
        for v in vendors {
            let v: Box<str> = Box::from(v.trim());
            if !v.is_empty() && !p.vendors.contains(&v) {
                p.vendors.push(v);
            }
        }
        for c in collections {
            if !p.collections.contains(&c) {
                p.collections.push(c);
            }
        }
        if before == (p.vendors.len(), p.collections.len()) {
            return Ok(Vec::new());
        }
        let stored = s.stored();
        batch.put(shop, Kind::Signals, contact.id, &stored)?;
        Ok(self.upsert(contact))
    }

    /// Records that `contact` received a message or engaged at `at`: kept when newer,
    /// staged and re-evaluated only when its UTC day changed; the segments it entered.
    ///
    /// # Errors
    /// When staging fails.
    pub fn engaged(
        &mut self,
        batch: &mut Batch,
        shop: &str,
        contact: &Contact,
        what: Engaged,
        at: Timestamp,
    ) -> Result<Vec<EventKind>, StoreError> {
        use crate::domain::segments::day_of;
        let s = self.signals.entry(contact.id).or_default();
        let slot = match what {
            Engaged::Received => &mut s.engagement.last_message_received_at,
            Engaged::Replied => &mut s.engagement.last_engaged_at,
        };
        if slot.is_some_and(|t| t >= at) {
            return Ok(Vec::new());
        }
        let new_day = slot.is_none_or(|t| day_of(t) != day_of(at));
        *slot = Some(at);
        if !new_day {
            return Ok(Vec::new());
        }
        let stored = s.stored();
        batch.put(shop, Kind::Signals, contact.id, &stored)?;
        Ok(self.upsert(contact))
    }
}
