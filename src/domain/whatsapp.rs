//! WhatsApp records of the inbox: threads, messages and their delivery status,
//! templates, and integration health (`health`). Plain data and plain constructors;
//! rules live in `logic::inbox` and `logic::whatsapp`.

use super::phone::PhoneE164;
use super::{ShopifyId, Timestamp};
use serde::{Deserialize, Serialize};

/// Where a thread stands for the agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThreadStatus {
    /// Needs attention (every inbound message reopens the thread).
    Open,
    /// Waiting on something (set by an agent).
    Pending,
    /// Done.
    Resolved,
}

impl ThreadStatus {
    /// Parses `OPEN`, `PENDING`, `RESOLVED` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "OPEN" => Some(Self::Open),
            "PENDING" => Some(Self::Pending),
            "RESOLVED" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// One conversation: a customer's number with one of the tenant's WhatsApp numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Thread {
    /// Stable id.
    pub id: u64,
    /// The tenant's WhatsApp phone number id.
    pub phone_number_id: String,
    /// The customer's number.
    pub customer: PhoneE164,
    /// The contact this number belongs to, when known.
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub contact_id: Option<ShopifyId>,
    /// The customer's WhatsApp profile name, when they wrote to us.
    pub profile_name: Option<String>,
    /// Status for the agents.
    pub status: ThreadStatus,
    /// The agent who owns the thread.
    pub assignee: Option<String>,
    /// Inbound messages no agent has read yet.
    pub unread: u32,
    /// When the 24-hour customer-service window closes (`None`: never opened).
    pub window_expires_at: Option<Timestamp>,
    /// Last inbound message time.
    pub last_inbound_at: Option<Timestamp>,
    /// Last message time (either way).
    pub last_message_at: Timestamp,
    /// Created.
    pub created_at: Timestamp,
}

impl Thread {
    /// True while free-form (non-template) messages may be sent.
    pub fn window_open(&self, now: Timestamp) -> bool {
        self.window_expires_at.is_some_and(|t| now < t)
    }
}

/// Direction of a message in a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the customer.
    Inbound,
    /// To the customer.
    Outbound,
    /// An internal note between agents: never sent.
    Note,
}

/// Delivery status of a message. Outbound: queued → accepted (Meta took it, `wamid`
/// known) → sent → delivered → read, or failed. Never moves backwards.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// In the outbox, not yet handed to Meta.
    Queued,
    /// Meta accepted it (a `wamid` is recorded).
    Accepted,
    /// Sent to the customer's device.
    Sent,
    /// Delivered.
    Delivered,
    /// Read.
    Read,
    /// Failed (terminal), with Meta's code and text.
    Failed,
    /// Received from the customer.
    Received,
    /// A note (never sent).
    Noted,
}

impl MessageStatus {
    /// Progress rank for "never downgrade": a status replaces another only with a higher
    /// rank. `Failed` outranks sent and delivered (Meta reports failures after `sent`),
    /// but not `read`: a read message was seen, whatever a late failure says.
    pub fn rank(self) -> u8 {
        match self {
            MessageStatus::Queued => 0,
            MessageStatus::Accepted => 1,
            MessageStatus::Sent => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Failed => 4,
            MessageStatus::Read => 5,
            MessageStatus::Received | MessageStatus::Noted => 6,
        }
    }
}

/// Why a message failed: Meta's code and text, or ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageError {
    /// Meta's error code (0 for errors raised by the engine before any call).
    pub code: i64,
    /// The error text.
    pub message: String,
}

/// What kind of traffic a message is, for rate and consent policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// An agent's reply or a confirmation inside the service window.
    Service,
    /// A utility template (order updates).
    Utility,
    /// Marketing (campaigns, automations): paused by 131048, needs consent.
    Marketing,
}

/// One message of a thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatMessage {
    /// Stable id, allocated before any call to Meta (the outbox key).
    pub id: u64,
    /// The thread.
    pub thread_id: u64,
    /// Inbound, outbound or note.
    pub direction: Direction,
    /// Meta's message id, once known.
    pub wamid: Option<String>,
    /// Who wrote it: an agent id, `automation`, `system`; `None` for the customer.
    pub author: Option<String>,
    /// `text`, `image`, `template`, `product`, `product_list`, `catalog_message`, `note` …
    pub kind: String,
    /// The readable part (text, caption, template name, summary).
    pub text: Option<String>,
    /// Outbound: the exact request body sent to Meta (JSON). Inbound: the content (JSON).
    pub payload: Option<String>,
    /// Policy class (outbound).
    pub purpose: Purpose,
    /// Delivery status.
    pub status: MessageStatus,
    /// Why it failed.
    pub error: Option<MessageError>,
    /// Created (or received) at.
    pub at: Timestamp,
    /// When the status last changed.
    pub status_at: Timestamp,
    /// Send attempts so far.
    pub attempts: u32,
    /// When the next attempt is due (queued messages).
    pub due_at: Option<Timestamp>,
    /// True while a call to Meta may be under way: set (durably) before the call, cleared
    /// with its result. Found set after a crash = the send may have gone out already.
    pub in_flight: bool,
}

/// What a message says, for [`ChatMessage`]'s constructors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageContent {
    /// `text`, `image`, `template`, `note` … (see [`ChatMessage::kind`]).
    pub kind: String,
    /// The readable part.
    pub text: Option<String>,
    /// The JSON payload (outbound: Meta's request body; inbound: the content).
    pub payload: Option<String>,
}

impl ChatMessage {
    /// A message the customer sent, received at `at`.
    pub fn inbound(
        id: u64,
        thread_id: u64,
        wamid: String,
        c: MessageContent,
        at: Timestamp,
    ) -> Self {
        Self {
            id,
            thread_id,
            direction: Direction::Inbound,
            wamid: Some(wamid),
            author: None,
            kind: c.kind,
            text: c.text,
            payload: c.payload,
            purpose: Purpose::Service,
            status: MessageStatus::Received,
            error: None,
            at,
            status_at: at,
            attempts: 0,
            due_at: None,
            in_flight: false,
        }
    }

    /// An outbound message put in the outbox at `now`, due at once.
    pub fn queued_outbound(
        id: u64,
        thread_id: u64,
        author: Option<String>,
        c: MessageContent,
        purpose: Purpose,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            thread_id,
            direction: Direction::Outbound,
            wamid: None,
            author,
            kind: c.kind,
            text: c.text,
            payload: c.payload,
            purpose,
            status: MessageStatus::Queued,
            error: None,
            at: now,
            status_at: now,
            attempts: 0,
            due_at: Some(now),
            in_flight: false,
        }
    }

    /// An internal note of an agent (never sent).
    pub fn note(id: u64, thread_id: u64, author: String, text: String, now: Timestamp) -> Self {
        Self {
            id,
            thread_id,
            direction: Direction::Note,
            wamid: None,
            author: Some(author),
            kind: "note".into(),
            text: Some(text),
            payload: None,
            purpose: Purpose::Service,
            status: MessageStatus::Noted,
            error: None,
            at: now,
            status_at: now,
            attempts: 0,
            due_at: None,
            in_flight: false,
        }
    }
}

/// Our view of a template's review state, named as Meta names it (`PENDING`, not an
/// internal word) in JSON and in every message. Stored by variant index, so the names can
/// change without touching stored records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    /// Saved, not submitted.
    Draft,
    /// Submitted, Meta is reviewing it (Meta: `PENDING`).
    #[serde(rename = "PENDING")]
    PendingApproval,
    /// Usable.
    Approved,
    /// Rejected by Meta (see the reason).
    Rejected,
    /// Paused by Meta for low quality.
    Paused,
    /// Disabled by Meta.
    Disabled,
}

impl TemplateStatus {
    /// The word the API shows (Meta's).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::PendingApproval => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Paused => "PAUSED",
            Self::Disabled => "DISABLED",
        }
    }

    /// Maps Meta's status words (`APPROVED`, `PENDING`, `IN_APPEAL` …).
    pub fn from_meta(s: &str) -> Self {
        match s.trim().to_ascii_uppercase().as_str() {
            "APPROVED" => Self::Approved,
            "REJECTED" => Self::Rejected,
            "PAUSED" => Self::Paused,
            "DISABLED" | "DELETED" | "PENDING_DELETION" | "ARCHIVED" | "LIMIT_EXCEEDED" => {
                Self::Disabled
            }
            _ => Self::PendingApproval,
        }
    }
}

impl std::fmt::Display for TemplateStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message template of the tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Template {
    /// Template name (lower case and `_`).
    pub name: String,
    /// Language code (`en_US`).
    pub language: String,
    /// `MARKETING` or `UTILITY`.
    pub category: String,
    /// Review state.
    pub status: TemplateStatus,
    /// Meta's template id, once submitted.
    pub meta_id: Option<String>,
    /// Components as submitted (JSON).
    pub components: String,
    /// Why Meta rejected, paused or disabled it.
    pub reason: Option<String>,
    /// Last change.
    pub updated_at: Timestamp,
}

mod health;
pub use health::{HealthState, IntegrationHealth, SendAvailability, TokenState};

#[cfg(test)]
mod tests;
