//! A run: one contact going through one version of a flow. While it waits on a delay it is
//! only this stored record and a due-index entry (no task, no actor). Its activity log
//! says what each node did, when, and why a node was skipped or failed.

use serde::{Deserialize, Serialize};

/// Most activity entries kept per run (the oldest go first).
pub const MAX_ACTIVITY: usize = 32;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Being stepped.
    Active,
    /// Waiting on a delay (or held by quiet hours).
    Waiting,
    /// Reached the end.
    Completed,
    /// Left early (goal met, checkout completed, flow archived, contact gone).
    Exited,
    /// A step failed for good.
    Failed,
}

impl RunStatus {
    /// Finished for good.
    pub fn is_over(self) -> bool {
        matches!(self, Self::Completed | Self::Exited | Self::Failed)
    }
}

/// What a node did for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeStatus {
    /// Reached, not done yet.
    Pending,
    /// Sitting in a delay.
    Scheduled,
    /// Done.
    Completed,
    /// Failed (the reason says why).
    Failed,
    /// Passed over (consent changed, cap, quiet hours …; the reason says why).
    Skipped,
}

/// One line of a run's activity log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Activity {
    /// The node.
    pub node: String,
    /// What happened.
    pub status: NodeStatus,
    /// When (ms since the epoch).
    pub at_ms: i64,
    /// Why (skips, failures, the branch taken, the message queued).
    pub reason: Option<String>,
}

/// What started the run: the records its variables and conditions read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerContext {
    /// The order (ORDER_* triggers).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>)]
    pub order_id: Option<u64>,
    /// The checkout (ABANDONED_CHECKOUT).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>)]
    pub checkout_id: Option<u64>,
    /// The restocked product (BACK_IN_STOCK).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>)]
    pub product_id: Option<u64>,
    /// The restocked variant (BACK_IN_STOCK).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>)]
    pub variant_id: Option<u64>,
    /// The segment (USER_ADDED_TO_SEGMENT).
    pub segment_id: Option<u64>,
    /// The words written (INBOUND_KEYWORD).
    pub text: Option<String>,
}

/// A run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Run {
    /// Run id.
    pub id: u64,
    /// The flow.
    pub flow_id: u64,
    /// The flow version it started on and finishes on.
    pub version: u32,
    /// The contact.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String)]
    pub contact_id: u64,
    /// Where it is.
    pub status: RunStatus,
    /// The node it is at (the delay it waits on, or where it ended).
    pub node: String,
    /// When the delay ends (ms), while waiting.
    pub due_ms: Option<i64>,
    /// When it started (ms).
    pub started_ms: i64,
    /// What started it.
    pub context: TriggerContext,
    /// The last message it queued.
    pub last_message: Option<u64>,
    /// Steps taken (each node visit), for the once-key of each send.
    pub steps: u32,
    /// What each node did (the last [`MAX_ACTIVITY`]).
    pub activity: Vec<Activity>,
}

impl Run {
    /// Appends an activity line, dropping the oldest beyond [`MAX_ACTIVITY`].
    pub fn log(&mut self, node: &str, status: NodeStatus, at_ms: i64, reason: Option<String>) {
        if self.activity.len() >= MAX_ACTIVITY {
            self.activity.remove(0);
        }
        self.activity.push(Activity {
            node: node.to_string(),
            status,
            at_ms,
            reason,
        });
    }
}
