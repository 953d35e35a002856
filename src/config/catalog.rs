//! The `[catalog]` section: how the Meta catalog push paces itself.

use serde::{Deserialize, Serialize};

/// The Meta catalog push (issue #12). Changes wait up to `push_interval_ms` so a burst of
/// product webhooks leaves in a few `items_batch` calls; the hourly budget is Meta's
/// floor for a catalog (200 + 200 × log2(unique users) calls an hour: 200 is what every
/// catalog has), so the pusher never earns an 80014.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogSettings {
    /// How often the pusher looks at every tenant's queue, in milliseconds (0: off).
    pub push_interval_ms: u64,
    /// `items_batch` calls per catalog and hour the pusher allows itself.
    pub calls_per_hour: u32,
    /// Requests per `items_batch` call (Meta: at most 5,000). A product's variants are
    /// never split across calls, so one product with more variants than this still goes
    /// whole (Shopify's 2,048 variants stay under Meta's 5,000).
    pub batch_max: usize,
    /// How often a batch handle's status is asked until finished, in milliseconds.
    pub status_poll_ms: u64,
    /// How long a batch may stay unfinished before its changes are sent again later.
    pub status_wait_ms: u64,
}

impl Default for CatalogSettings {
    fn default() -> Self {
        Self {
            push_interval_ms: 5_000,
            calls_per_hour: 200,
            batch_max: 5_000,
            status_poll_ms: 1_000,
            status_wait_ms: 600_000,
        }
    }
}
