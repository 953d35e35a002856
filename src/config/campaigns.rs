//! The `[campaigns]` section: how campaigns feed the outbox and what counts as large.

use serde::{Deserialize, Serialize};

/// Campaign dispatch (issue #13). The campaign actor keeps about `lane_seconds` of the
/// number's rate waiting in the outbox's campaign lane, topping it up every `tick_ms`:
/// enough that the number never idles, little enough that a pause or a crash leaves
/// only seconds of sending behind, and memory stays bounded whatever the audience.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CampaignSettings {
    /// How often running campaigns top up the lane, in milliseconds.
    pub tick_ms: u64,
    /// Seconds of the number's rate kept waiting in the lane.
    pub lane_seconds: u32,
    /// From this many recipients a send is large: a LOW quality rating then needs the
    /// merchant's confirmation.
    pub large_send: u64,
    /// The engine's public base URL for tracked links (`{base}/r/{code}`); default:
    /// `shopify.app_url`. Without one, links in campaign messages are sent as written
    /// (clicks are then not counted).
    pub link_base_url: Option<String>,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            tick_ms: 200,
            lane_seconds: 2,
            large_send: 1_000,
            link_base_url: None,
        }
    }
}

impl CampaignSettings {
    /// Messages to keep in the lane at `messages_per_second` (at least 16).
    pub fn lane_depth(&self, messages_per_second: u32) -> usize {
        (messages_per_second as usize * self.lane_seconds.max(1) as usize).max(16)
    }
}
