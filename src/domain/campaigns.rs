//! Campaigns as data: what a merchant defines (template, variables, audience, number,
//! schedule, smart sending), the state a launched campaign moves through, and the frozen
//! recipient list's entries. The definition is stored as JSON (new optional fields can be
//! added later without a migration); the run state is a fixed bincode record.

use super::automations::ActionNode;
use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who a campaign goes to: the union of the included lists and segments minus every
/// contact of an excluded one (exclusions win; each contact once).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Segments whose members are included.
    #[serde(default, with = "super::ids::as_string::vec")]
    #[schema(value_type = Vec<String>)]
    pub include_segments: Vec<u64>,
    /// Static lists whose members are included.
    #[serde(default, with = "super::ids::as_string::vec")]
    #[schema(value_type = Vec<String>)]
    pub include_lists: Vec<u64>,
    /// Segments whose members are left out.
    #[serde(default, with = "super::ids::as_string::vec")]
    #[schema(value_type = Vec<String>)]
    pub exclude_segments: Vec<u64>,
    /// Static lists whose members are left out.
    #[serde(default, with = "super::ids::as_string::vec")]
    #[schema(value_type = Vec<String>)]
    pub exclude_lists: Vec<u64>,
}

/// A campaign as the merchant defines it (the body of `POST /api/v1/campaigns`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignDefinition {
    /// Name (1 to 120 characters).
    pub name: String,
    /// The template and its variables, mapped as in a flow's action (`customer.*` and
    /// `store.name` sources, or static text).
    pub message: ActionNode,
    /// Who receives it.
    pub audience: Audience,
    /// The sending number (one of the shop's); default: the shop's first number.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// Send at this time (RFC 3339); default: at launch.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub send_at: Option<Timestamp>,
    /// Send at this local wall-clock time in each recipient's zone (`2026-12-24T10:00`):
    /// the zone of the contact's country and province, else the shop's zone. A recipient
    /// whose time has already passed at launch is sent at once.
    #[serde(default)]
    pub send_at_local: Option<String>,
    /// Smart sending: skip a contact who got a marketing message (flow or campaign) in
    /// the last this many hours.
    #[serde(default)]
    pub smart_sending_hours: Option<u32>,
    /// A discount code this campaign gives out: an order that uses it is credited to the
    /// campaign whatever the timing (revenue attribution).
    #[serde(default)]
    pub discount_code: Option<String>,
    /// An A/B test: `message` is variant A, these are B, C …; a sample of the audience
    /// is split among them, the winner by `metric` after `wait_minutes`, and the rest of
    /// the audience receives the winner.
    #[serde(default)]
    pub ab: Option<AbDefinition>,
}

/// The metric that picks an A/B test's winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AbMetric {
    /// Delivery rate.
    Delivered,
    /// Read rate.
    Read,
    /// Reply rate.
    Replied,
    /// Click rate.
    Clicked,
    /// Revenue per message.
    Revenue,
}

/// An A/B test of a campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbDefinition {
    /// Variants B, C … (1 to 7): each a template and its variables, or the same template
    /// with other values.
    pub variants: Vec<ActionNode>,
    /// The share of the audience in the test (1 to 100; 100: everyone gets a variant).
    pub sample_percent: u8,
    /// What picks the winner.
    pub metric: AbMetric,
    /// How long after the sample's last message the winner is picked, in minutes.
    #[serde(default)]
    pub wait_minutes: u32,
}

impl CampaignDefinition {
    /// The message of variant `v` (0 = A = `message`).
    pub fn variant(&self, v: u8) -> &ActionNode {
        match (v, &self.ab) {
            (0, _) | (_, None) => &self.message,
            (v, Some(ab)) => ab.variants.get(usize::from(v) - 1).unwrap_or(&self.message),
        }
    }

    /// Variants, A included (1 without a test).
    pub fn variant_count(&self) -> u8 {
        self.ab.as_ref().map_or(1, |ab| {
            u8::try_from(ab.variants.len() + 1).unwrap_or(u8::MAX)
        })
    }
}

/// Where a campaign is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignStatus {
    /// Defined, or launched and waiting for its time (`scheduled_for`).
    Pending,
    /// Recipients are being sent to.
    Sending,
    /// Stopped by the merchant; `resume` goes on where it stopped.
    Paused,
    /// Every recipient was handed to Meta and accepted (skips aside).
    Sent,
    /// Some messages failed, others went.
    PartiallySent,
    /// Nothing went (every message failed, or the launch failed after the freeze).
    Failed,
    /// Cancelled by the merchant: nothing more is sent.
    Cancelled,
}

impl CampaignStatus {
    /// True once nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Sent | Self::PartiallySent | Self::Failed | Self::Cancelled
        )
    }

    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sending => "SENDING",
            Self::Paused => "PAUSED",
            Self::Sent => "SENT",
            Self::PartiallySent => "PARTIALLY_SENT",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// A stored campaign: its definition as JSON (see the module docs) and when it was made.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCampaign {
    /// Id.
    pub id: u64,
    /// `CampaignDefinition` as JSON.
    pub definition: String,
    /// Created.
    pub created_at: Timestamp,
}

/// The run state of a campaign (`Kind::CampaignRun`): status, the frozen audience's size
/// and how far dispatch got. Written by the campaign actor only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRun {
    /// Status.
    pub status: Option<CampaignStatus>,
    /// When the status last changed.
    pub status_at: Timestamp,
    /// Launched (the audience was frozen then).
    pub launched_at: Option<Timestamp>,
    /// When sending starts (launch, or `send_at`).
    pub start_at: Option<Timestamp>,
    /// When it reached a final status.
    pub finished_at: Option<Timestamp>,
    /// Recipients frozen at launch.
    pub total: u64,
    /// Recipients handed on (sent to the outbox, skipped or held), in list order.
    pub cursor: u64,
    /// Recipients handed to the outbox.
    pub queued: u64,
    /// Recipients skipped at send time, by reason code.
    pub skipped: BTreeMap<String, u64>,
    /// Recipients held for their quiet hours (waiting in `Kind::CampaignHeld`).
    pub held: u64,
    /// Why the campaign failed or what the merchant did (cancel), in words.
    pub note: Option<String>,
    /// Whether the merchant confirmed a large send on a LOW-quality number.
    pub confirmed_low_quality: bool,
    /// The sending number, fixed at launch.
    pub phone_number_id: String,
    /// A/B test phase: 0 none, 1 sending the sample, 2 waiting for the winner, 3 sending
    /// the winner to the rest.
    pub ab_phase: u8,
    /// When the sample was all handed on.
    pub sample_done_at: Option<Timestamp>,
    /// The winning variant, once picked.
    pub winner: Option<u8>,
    /// Why it won.
    pub winner_reason: Option<String>,
    /// Position reached in the list while sending the winner to the rest.
    pub rest_cursor: u64,
}

impl CampaignRun {
    /// The status, PENDING before any launch.
    pub fn status(&self) -> CampaignStatus {
        self.status.unwrap_or(CampaignStatus::Pending)
    }

    /// Skipped recipients, all reasons.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// One recipient of a frozen list: the contact and, for a local-time campaign, when its
/// message is due (ms; 0 = at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Contact id.
    pub contact: u64,
    /// Due time, ms since the epoch (0: now).
    pub due_ms: i64,
}

/// A recipient held for its quiet hours (`Kind::CampaignHeld`, keyed by due time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The campaign.
    pub campaign: u64,
    /// The recipient's position in the frozen list.
    pub position: u64,
    /// The contact.
    pub contact: u64,
    /// The A/B variant it receives.
    pub variant: u8,
}
