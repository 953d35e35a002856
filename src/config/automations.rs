//! The `[automations]` section: flow time compression, due batches, the global marketing cap.

use serde::{Deserialize, Serialize};

/// Automation engine settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationSettings {
    /// Time compression of flow delays: a delay of `d` waits `d / time_scale`. 1 in
    /// production; the sandbox and tests use e.g. 60 (an hour's delay takes a minute) so
    /// runs go through their delays by the same code, only sooner.
    pub time_scale: u32,
    /// Most due steps fired in one turn of the actor before it lets other messages in
    /// (overdue steps after a restart fire in such throttled batches).
    pub due_batch: usize,
    /// Beyond the product: at most this many marketing messages from automations to one
    /// contact within `global_marketing_window_hours`, across all flows (0: no cap). A
    /// message over the cap is skipped (logged with the reason), not delayed.
    pub global_marketing_cap: usize,
    /// The window of the global marketing cap, in hours (of flow time).
    pub global_marketing_window_hours: u32,
}

impl Default for AutomationSettings {
    fn default() -> Self {
        Self {
            time_scale: 1,
            due_batch: 500,
            global_marketing_cap: 2,
            global_marketing_window_hours: 24,
        }
    }
}

impl AutomationSettings {
    /// The real wait for a flow delay of `ms` milliseconds.
    pub fn scaled_ms(&self, ms: i64) -> i64 {
        ms / i64::from(self.time_scale.max(1))
    }

    /// The global marketing cap's window, in real milliseconds.
    pub fn global_marketing_window_ms(&self) -> i64 {
        self.scaled_ms(i64::from(self.global_marketing_window_hours) * 3_600_000)
    }
}
