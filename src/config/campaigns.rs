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
    /// Revenue attribution: an order within this many hours after a click on a message's
    /// link is credited to it.
    pub attribution_click_hours: u32,
    /// … after the message was read.
    pub attribution_read_hours: u32,
    /// … after the message was delivered.
    pub attribution_delivered_hours: u32,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            tick_ms: 200,
            lane_seconds: 2,
            large_send: 1_000,
            link_base_url: None,
            attribution_click_hours: 120,
            attribution_read_hours: 12,
            attribution_delivered_hours: 24,
        }
    }
}

impl CampaignSettings {
    /// The attribution windows.
    pub fn windows(&self) -> crate::logic::attribution::Windows {
        let h = |n: u32| i64::from(n) * 3_600_000;
        crate::logic::attribution::Windows {
            click_ms: h(self.attribution_click_hours),
            read_ms: h(self.attribution_read_hours),
            delivered_ms: h(self.attribution_delivered_hours),
        }
    }

    /// Messages to keep in the lane at `messages_per_second` (at least 16).
    pub fn lane_depth(&self, messages_per_second: u32) -> usize {
        (messages_per_second as usize * self.lane_seconds.max(1) as usize).max(16)
    }
}
