//! The typed events one Meta webhook delivery turns into, with their routing keys,
//! dedupe keys and the status ordering that keeps message states from regressing.
//!
//! Every type here derives `Serialize`/`Deserialize` without `flatten`, `untagged`,
//! internally tagged enums or `skip_serializing_if`, and holds no `serde_json::Value`,
//! so the events round-trip through bincode 2 (non-self-describing) as well as JSON.

/// Change field of inbound messages and statuses.
pub const FIELD_MESSAGES: &str = "messages";
/// Change field of template review/quality status changes.
pub const FIELD_TEMPLATE_STATUS: &str = "message_template_status_update";
/// Change field of phone number quality and limit changes.
pub const FIELD_PHONE_QUALITY: &str = "phone_number_quality_update";
/// Change field of WABA-level updates.
pub const FIELD_ACCOUNT_UPDATE: &str = "account_update";

use crate::domain::money::Money;
use crate::domain::phone::PhoneE164;
use crate::domain::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a string-backed enum: known Meta values as unit variants plus one variant
/// that keeps any other text verbatim, with `from_wire`, `as_str` and `Display`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, other = $other:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept exactly as Meta sent it.
            $other(String),
        }

        impl $name {
            /// Reads Meta's text (exact, case-sensitive); unknown text is kept verbatim.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::$other(other.to_owned()),
                }
            }

            /// Meta's text for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::$other(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod inbound;
mod management;
mod status;

pub use inbound::*;
pub use management::*;
pub use status::*;

/// One thing a Meta webhook delivery told us. A delivery holds any number of these
/// (Meta batches up to 1,000 updates per POST).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MetaEvent {
    /// A customer's message (`messages` field, `value.messages[]`).
    InboundMessage(InboundMessage),
    /// A status of a message we sent (`messages` field, `value.statuses[]`).
    Status(StatusUpdate),
    /// A template was approved, rejected, paused … (`message_template_status_update`).
    TemplateStatus(TemplateStatusUpdate),
    /// A phone number's quality or limit changed (`phone_number_quality_update`).
    PhoneNumberQuality(PhoneNumberQualityUpdate),
    /// Something happened to the WhatsApp Business Account (`account_update`).
    AccountUpdate(AccountUpdate),
    /// A change whose `field` this version does not act on (or a `messages` change that
    /// carried neither messages nor statuses). Never an error.
    Unhandled(Unhandled),
}

impl MetaEvent {
    /// A stable key for deduplication: the same notification redelivered (Meta retries
    /// for up to 7 days, and batches differ between attempts) gives the same key, and
    /// distinct notifications give distinct keys.
    ///
    /// * inbound message: `m:{wamid}`;
    /// * status: `s:{wamid}:{status}` (Meta's rule: statuses dedupe on `(id, status)`);
    /// * template status: `t:{template_id}:{event}:{entry time in unix seconds}`, or
    ///   `t:{template_id}:{event}:h{fingerprint}` when the entry has no `time`;
    /// * phone quality, account update, unhandled: `{field}:{fingerprint}`.
    ///
    /// The fingerprint is the first 128 bits (hex) of SHA-256 over the WABA id, the entry
    /// time, the field name and the canonical JSON of the change's `value` (object keys
    /// sorted, no whitespace), so key order or spacing in a redelivery does not matter,
    /// while the same value for two WABAs or at two times does not collide.
    pub fn dedupe_key(&self) -> String {
        match self {
            Self::InboundMessage(m) => format!("m:{}", m.wamid),
            Self::Status(s) => format!("s:{}:{}", s.wamid, s.status.as_str()),
            Self::TemplateStatus(t) => match t.entry_time {
                Some(time) => format!(
                    "t:{}:{}:{}",
                    t.message_template_id,
                    t.event,
                    time.millis().div_euclid(1000)
                ),
                None => format!("t:{}:{}:h{}", t.message_template_id, t.event, t.fingerprint),
            },
            Self::PhoneNumberQuality(q) => {
                format!("{}:{}", FIELD_PHONE_QUALITY, q.fingerprint)
            }
            Self::AccountUpdate(a) => format!("{}:{}", FIELD_ACCOUNT_UPDATE, a.fingerprint),
            Self::Unhandled(u) => format!("{}:{}", u.field, u.fingerprint),
        }
    }

    /// The `entry[].id` the change came under: the WhatsApp Business Account id for
    /// every field seen so far (but see [`AccountUpdate::routing_waba_id`]).
    pub fn waba_id(&self) -> &str {
        match self {
            Self::InboundMessage(m) => &m.waba_id,
            Self::Status(s) => &s.waba_id,
            Self::TemplateStatus(t) => &t.waba_id,
            Self::PhoneNumberQuality(q) => &q.waba_id,
            Self::AccountUpdate(a) => &a.waba_id,
            Self::Unhandled(u) => &u.waba_id,
        }
    }

    /// The WABA an event without a phone number routes by: [`Self::waba_id`], except for
    /// account updates that came under a partner's entry id
    /// ([`AccountUpdate::routing_waba_id`]).
    pub fn routing_waba_id(&self) -> &str {
        match self {
            Self::AccountUpdate(a) => a.routing_waba_id(),
            _ => self.waba_id(),
        }
    }

    /// The business phone number id (`value.metadata.phone_number_id`), the routing key to
    /// a tenant, for events of the `messages` field; `None` for management events.
    pub fn phone_number_id(&self) -> Option<&str> {
        match self {
            Self::InboundMessage(m) => Some(&m.phone_number_id),
            Self::Status(s) => Some(&s.phone_number_id),
            _ => None,
        }
    }

    /// A short name of the variant, for logs and metric labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InboundMessage(_) => "inbound_message",
            Self::Status(_) => "status",
            Self::TemplateStatus(_) => "template_status",
            Self::PhoneNumberQuality(_) => "phone_number_quality",
            Self::AccountUpdate(_) => "account_update",
            Self::Unhandled(_) => "unhandled",
        }
    }
}

/// A change this version does not act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unhandled {
    /// The change's `field`.
    pub field: String,
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}
