//! Statuses of the messages we sent, their one-way ordering, pricing and conversation.

use super::*;

wire_enum! {
    /// The status of a message we sent, as Meta reports it.
    ///
    /// Ordering ([`MessageStatus::rank`]): `sent` < `delivered` < `failed` < `read`.
    /// A status only ever moves up, so late or redelivered webhooks cannot regress it:
    /// * `delivered` after `read` is ignored (Meta even skips `delivered` when both happen
    ///   together);
    /// * `failed` beats `sent` and `delivered` and is terminal for them;
    /// * `read` beats `failed`: a read receipt comes from the recipient's device and is
    ///   proof the message arrived, so it wins over any failure claim, whatever the
    ///   arrival order;
    /// * unknown statuses (`played`, `deleted`, `warning` …) rank lowest and never move a
    ///   stored status.
    MessageStatus, other = Unknown {
        /// Sent to WhatsApp's servers.
        Sent = "sent",
        /// Delivered to the recipient's device.
        Delivered = "delivered",
        /// Read by the recipient.
        Read = "read",
        /// Could not be delivered; see `errors`.
        Failed = "failed",
    }
}

impl MessageStatus {
    /// The position in the one-way order `Unknown(0) < Sent(1) < Delivered(2) < Failed(3)
    /// < Read(4)`; store a new status only when its rank is higher than the stored one.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Unknown(_) => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Failed => 3,
            Self::Read => 4,
        }
    }

    /// True when `self` should replace `current` (strictly higher rank).
    pub fn supersedes(&self, current: &MessageStatus) -> bool {
        self.rank() > current.rank()
    }
}

/// A status webhook for one message we sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// Our business phone number's id: the routing key.
    pub phone_number_id: String,
    /// Our business number as digits.
    pub display_phone_number: String,
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// The wamid of our message (as returned by the send call).
    pub wamid: String,
    /// The new status.
    pub status: MessageStatus,
    /// When it happened.
    pub timestamp: Timestamp,
    /// The recipient's WhatsApp id (or group id).
    pub recipient_id: String,
    /// Why it failed (only on `failed`, sometimes on others).
    pub errors: Vec<MetaError>,
    /// The pricing of the message (on `sent` and one of `delivered`/`read`).
    pub pricing: Option<Pricing>,
    /// The conversation (absent from v24.0 except in free-entry-point windows).
    pub conversation: Option<Conversation>,
    /// The `biz_opaque_callback_data` we attached when sending, if any.
    pub biz_opaque_callback_data: Option<String>,
}

/// `statuses[].pricing`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Whether billable (to be deprecated by Meta; use `kind` and `category`).
    pub billable: Option<bool>,
    /// `PMP` (per-message pricing) or `CBP` (conversation-based, before 2025-07-01).
    pub pricing_model: Option<String>,
    /// `type`: `regular`, `free_customer_service`, `free_entry_point` …
    pub kind: Option<String>,
    /// `marketing`, `utility`, `authentication`, `service` …
    pub category: Option<String>,
}

/// `statuses[].conversation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation id.
    pub id: String,
    /// `origin.type`: `marketing`, `utility`, `service`, `referral_conversion` …
    pub origin_type: Option<String>,
    /// When the conversation window closes.
    pub expiration_timestamp: Option<Timestamp>,
}
