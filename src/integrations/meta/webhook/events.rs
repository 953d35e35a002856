//! The typed events one Meta webhook delivery turns into, with their routing keys,
//! dedupe keys and the status ordering that keeps message states from regressing.
//!
//! Every type here derives `Serialize`/`Deserialize` without `flatten`, `untagged`,
//! internally tagged enums or `skip_serializing_if`, and holds no `serde_json::Value`,
//! so the events round-trip through bincode 2 (non-self-describing) as well as JSON.

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
                format!("{}:{}", super::FIELD_PHONE_QUALITY, q.fingerprint)
            }
            Self::AccountUpdate(a) => format!("{}:{}", super::FIELD_ACCOUNT_UPDATE, a.fingerprint),
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

/// A message a customer sent to one of our business numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Our business phone number's id (`value.metadata.phone_number_id`): the routing key.
    pub phone_number_id: String,
    /// Our business number as digits (`value.metadata.display_phone_number`).
    pub display_phone_number: String,
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// The message id (`wamid.…`): the dedupe key.
    pub wamid: String,
    /// The sender's WhatsApp id: digits of the phone number, no `+`.
    pub from: String,
    /// The sender's profile name (`value.contacts[].profile.name` for this sender).
    pub profile_name: Option<String>,
    /// When the customer sent it (Meta gives unix seconds).
    pub timestamp: Timestamp,
    /// What the message replies to (a reply, a quick-reply tap, a product inquiry …).
    pub context: Option<MessageContext>,
    /// The Click-to-WhatsApp ad or post the customer came from, on their first message
    /// (boxed: rare and large).
    pub referral: Option<Box<Referral>>,
    /// What the message says.
    pub content: InboundContent,
}

impl InboundMessage {
    /// The sender as an E.164 number, when `from` is a plain phone number's digits.
    pub fn from_phone(&self) -> Option<PhoneE164> {
        PhoneE164::parse(&format!("+{}", self.from)).ok()
    }
}

/// `messages[].context`: the message this one answers or refers to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContext {
    /// Who sent the referred message (our business number for replies to us).
    pub from: Option<String>,
    /// The wamid of the referred message (ours for replies, buttons, product inquiries).
    pub id: Option<String>,
    /// The product the customer asked about ("Message business" on a product).
    pub referred_product: Option<ReferredProduct>,
    /// The message was forwarded.
    pub forwarded: bool,
    /// The message was forwarded many times.
    pub frequently_forwarded: bool,
}

/// `context.referred_product`: a catalog product a customer is asking about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferredProduct {
    /// The Meta catalog id.
    pub catalog_id: String,
    /// Our retailer id of the item (the catalog item's `retailer_id`).
    pub product_retailer_id: String,
}

/// `messages[].referral`: the Click-to-WhatsApp ad or post that opened the chat.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// The ad's or post's URL.
    pub source_url: Option<String>,
    /// The ad's or post's id.
    pub source_id: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    /// The ad's headline.
    pub headline: Option<String>,
    /// The ad's body text.
    pub body: Option<String>,
    /// `image` or `video`.
    pub media_type: Option<String>,
    /// The ad image's URL.
    pub image_url: Option<String>,
    /// The ad video's URL.
    pub video_url: Option<String>,
    /// The ad video's thumbnail URL.
    pub thumbnail_url: Option<String>,
    /// The Click-to-WhatsApp click id (for conversion reporting).
    pub ctwa_clid: Option<String>,
    /// The ad's welcome message text, when it had one.
    pub welcome_message: Option<String>,
}

/// What an inbound message contains, one variant per WhatsApp message `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboundContent {
    /// `text`.
    Text {
        /// The text.
        body: String,
    },
    /// `image`, `video`, `audio`, `document`, `sticker`.
    Media(Media),
    /// `location`: a shared pin.
    Location {
        /// Degrees north.
        latitude: f64,
        /// Degrees east.
        longitude: f64,
        /// The place's name.
        name: Option<String>,
        /// The place's address.
        address: Option<String>,
        /// The place's website.
        url: Option<String>,
    },
    /// `contacts`: shared contact cards (names and phones only).
    Contacts {
        /// The cards.
        contacts: Vec<SharedContact>,
    },
    /// `reaction`: an emoji on one of our messages.
    Reaction {
        /// The wamid reacted to.
        message_id: String,
        /// The emoji; empty when the customer removed the reaction.
        emoji: String,
    },
    /// `button`: a tap on a template's quick-reply button.
    Button {
        /// The button's label.
        text: String,
        /// The payload we set on the button, if any.
        payload: Option<String>,
    },
    /// `interactive`: a reply to our reply-buttons or list message.
    Interactive(InteractiveReply),
    /// `order`: a cart sent from a catalog, product or multi-product message.
    Order(Order),
    /// `system`: e.g. the customer changed their number (`user_changed_number`).
    System {
        /// Meta's description.
        body: String,
        /// The system message's type (`user_changed_number`, …).
        kind: String,
        /// The customer's new WhatsApp id, for number changes.
        new_wa_id: Option<String>,
    },
    /// `unsupported` / `unknown`: a message Meta cannot pass on (error 131051 …).
    Unsupported {
        /// The `type` Meta gave (`unsupported` or `unknown`).
        kind: String,
        /// Why.
        errors: Vec<MetaError>,
    },
    /// A `type` this version does not know (Meta adds types), kept as the message's JSON.
    Other {
        /// The message `type`.
        kind: String,
        /// The whole message object as canonical JSON text.
        json: String,
    },
}

impl InboundContent {
    /// Meta's `type` for this content.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Media(m) => m.kind.as_str(),
            Self::Location { .. } => "location",
            Self::Contacts { .. } => "contacts",
            Self::Reaction { .. } => "reaction",
            Self::Button { .. } => "button",
            Self::Interactive(_) => "interactive",
            Self::Order(_) => "order",
            Self::System { .. } => "system",
            Self::Unsupported { kind, .. } | Self::Other { kind, .. } => kind,
        }
    }
}

/// The kind of an inbound media message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaKind {
    /// `image`.
    Image,
    /// `video`.
    Video,
    /// `audio` (voice notes included).
    Audio,
    /// `document`.
    Document,
    /// `sticker`.
    Sticker,
}

impl MediaKind {
    /// Meta's `type` for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    /// The kind for Meta's `type`, if it is a media type.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            _ => return None,
        })
    }
}

/// An inbound image, video, audio, document or sticker. The bytes are fetched separately
/// through the media API with `media_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Media {
    /// Which kind of media.
    pub kind: MediaKind,
    /// The media id for `GET /{media-id}`.
    pub media_id: String,
    /// The MIME type (`image/jpeg` …).
    pub mime_type: Option<String>,
    /// The file's SHA-256 as Meta gives it (base64).
    pub sha256: Option<String>,
    /// The caption (image, video, document).
    pub caption: Option<String>,
    /// The file name (document).
    pub filename: Option<String>,
}

/// A shared contact card, reduced to names and phones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedContact {
    /// `name.formatted_name`.
    pub formatted_name: Option<String>,
    /// `name.first_name`.
    pub first_name: Option<String>,
    /// `name.last_name`.
    pub last_name: Option<String>,
    /// The card's phone numbers.
    pub phones: Vec<SharedPhone>,
}

/// One phone number of a shared contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedPhone {
    /// The number as typed in the card (`+1 (983) 555-2319`).
    pub phone: Option<String>,
    /// Its WhatsApp id, when it has WhatsApp.
    pub wa_id: Option<String>,
    /// `MOBILE`, `HOME`, `WORK` …
    pub kind: Option<String>,
}

/// A reply to an interactive message of ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InteractiveReply {
    /// `button_reply`: one of our reply buttons was tapped.
    ButtonReply {
        /// The button id we set.
        id: String,
        /// The button's title.
        title: String,
    },
    /// `list_reply`: a row of our list message was picked.
    ListReply {
        /// The row id we set.
        id: String,
        /// The row's title.
        title: String,
        /// The row's description.
        description: Option<String>,
    },
    /// Another interactive reply type (`nfm_reply` from flows …), kept as JSON.
    Other {
        /// The `interactive.type`.
        kind: String,
        /// The `interactive` object as canonical JSON text.
        json: String,
    },
}

/// An order (cart) a customer sent from our catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The Meta catalog id.
    pub catalog_id: String,
    /// The customer's note; often empty.
    pub text: String,
    /// The cart lines.
    pub items: Vec<OrderItem>,
}

/// One cart line of an [`Order`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Our retailer id of the item.
    pub product_retailer_id: String,
    /// How many.
    pub quantity: u64,
    /// The unit price. Meta sends a JSON number (`30`, `7.99`); integers are taken
    /// exactly, fractions are read as `f64` and rounded to three decimals (exact for any
    /// price with at most three decimals below 2^53 / 1000), strings are parsed directly.
    pub item_price: Money,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// An error object from Meta (`errors[]` of statuses and unsupported messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaError {
    /// The error code (`131049`, `131051` …).
    pub code: i64,
    /// The error title.
    pub title: Option<String>,
    /// The error message.
    pub message: Option<String>,
    /// `error_data.details`.
    pub details: Option<String>,
}

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

wire_enum! {
    /// `message_template_status_update` events.
    TemplateEvent, other = Other {
        /// Approved; usable.
        Approved = "APPROVED",
        /// Rejected at review.
        Rejected = "REJECTED",
        /// In review.
        Pending = "PENDING",
        /// Paused for low quality.
        Paused = "PAUSED",
        /// Disabled for low quality.
        Disabled = "DISABLED",
        /// Flagged for low quality.
        Flagged = "FLAGGED",
        /// Reinstated after a pause or flag.
        Reinstated = "REINSTATED",
        /// Under appeal.
        InAppeal = "IN_APPEAL",
        /// Template limit reached.
        LimitExceeded = "LIMIT_EXCEEDED",
        /// Locked (cannot be edited).
        Locked = "LOCKED",
        /// Archived.
        Archived = "ARCHIVED",
        /// Unarchived.
        Unarchived = "UNARCHIVED",
        /// Deleted.
        Deleted = "DELETED",
        /// Scheduled for deletion.
        PendingDeletion = "PENDING_DELETION",
    }
}

/// A template's review or quality status changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatusUpdate {
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// What happened.
    pub event: TemplateEvent,
    /// The template id (a JSON number in the payload, kept as its digits).
    pub message_template_id: String,
    /// The template name.
    pub message_template_name: String,
    /// The template language (`en_US`, `en-US`, `en` …).
    pub message_template_language: String,
    /// `reason` verbatim (`NONE`, `INVALID_FORMAT`, `PROMOTIONAL` …); `None` when null.
    pub reason: Option<String>,
    /// `message_template_category` (`UTILITY`, `MARKETING` …).
    pub category: Option<String>,
    /// `rejection_info` (reason and recommendation, on rejections).
    pub rejection_info: Option<TemplateInfo>,
    /// `other_info` (`title` such as `FIRST_PAUSE`, and a description, on pauses).
    pub other_info: Option<TemplateInfo>,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

/// A two-part explanation attached to a template status (`rejection_info` is
/// `{reason, recommendation}`, `other_info` is `{title, description}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInfo {
    /// `reason` or `title`.
    pub title: Option<String>,
    /// `recommendation` or `description`.
    pub detail: Option<String>,
}

wire_enum! {
    /// `phone_number_quality_update` events.
    QualityEvent, other = Other {
        /// Quality dropped; the limit may go down.
        Flagged = "FLAGGED",
        /// Quality recovered.
        Unflagged = "UNFLAGGED",
        /// The messaging limit went down.
        Downgrade = "DOWNGRADE",
        /// The messaging limit went up.
        Upgrade = "UPGRADE",
        /// The throughput went up.
        ThroughputUpgrade = "THROUGHPUT_UPGRADE",
        /// The number is being onboarded.
        Onboarding = "ONBOARDING",
    }
}

/// A phone number's quality rating or messaging limit changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumberQualityUpdate {
    /// The WABA id (`entry[].id`).
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// The business number as digits (there is no phone number id in this webhook).
    pub display_phone_number: String,
    /// What happened.
    pub event: QualityEvent,
    /// `current_limit` (`TIER_1K`, `TIER_UNLIMITED` …; removed by Meta in Feb 2026).
    pub current_limit: Option<String>,
    /// `old_limit` (removed by Meta in Feb 2026).
    pub old_limit: Option<String>,
    /// `max_daily_conversations_per_business`, as text.
    pub max_daily_conversations_per_business: Option<String>,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

wire_enum! {
    /// `account_update` events.
    AccountEvent, other = Other {
        /// A policy violation (`violation_info`).
        AccountViolation = "ACCOUNT_VIOLATION",
        /// Capabilities restricted (`restriction_info`).
        AccountRestriction = "ACCOUNT_RESTRICTION",
        /// The WABA was disabled, reinstated or scheduled for disabling (`ban_info`).
        DisabledUpdate = "DISABLED_UPDATE",
        /// The WABA was deleted.
        AccountDeleted = "ACCOUNT_DELETED",
        /// The WABA was offboarded.
        AccountOffboarded = "ACCOUNT_OFFBOARDED",
        /// The WABA was reconnected.
        AccountReconnected = "ACCOUNT_RECONNECTED",
        /// A volume-based pricing tier changed (`volume_tier_info`).
        VolumeBasedPricingTierUpdate = "VOLUME_BASED_PRICING_TIER_UPDATE",
        /// A partner was added.
        PartnerAdded = "PARTNER_ADDED",
        /// A partner was removed.
        PartnerRemoved = "PARTNER_REMOVED",
        /// Our app was installed on a WABA (`waba_info`).
        PartnerAppInstalled = "PARTNER_APP_INSTALLED",
        /// Our app was uninstalled from a WABA (`waba_info`).
        PartnerAppUninstalled = "PARTNER_APP_UNINSTALLED",
    }
}

/// Something happened to a WhatsApp Business Account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    /// `entry[].id`. For partner events this can be another id than the WABA concerned;
    /// use [`AccountUpdate::routing_waba_id`] to route.
    pub waba_id: String,
    /// `entry[].time`.
    pub entry_time: Option<Timestamp>,
    /// What happened.
    pub event: AccountEvent,
    /// The event's details.
    pub details: AccountDetails,
    /// See [`MetaEvent::dedupe_key`].
    pub fingerprint: String,
}

impl AccountUpdate {
    /// The WABA this update is about: `waba_info.waba_id` when present (partner app
    /// events, where `entry[].id` is not the WABA), else `entry[].id`.
    pub fn routing_waba_id(&self) -> &str {
        self.details
            .waba_info
            .as_ref()
            .and_then(|w| w.waba_id.as_deref())
            .unwrap_or(&self.waba_id)
    }
}

/// The details of an [`AccountUpdate`]; each field is present only for some events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetails {
    /// `violation_info.violation_type` (`ADULT`, `SCAM` …).
    pub violation_type: Option<String>,
    /// `restriction_info[]`.
    pub restrictions: Vec<Restriction>,
    /// `ban_info`.
    pub ban: Option<BanInfo>,
    /// `waba_info` (partner app events).
    pub waba_info: Option<WabaInfo>,
    /// `volume_tier_info`.
    pub volume_tier: Option<VolumeTier>,
}

/// One `restriction_info[]` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    /// `RESTRICTED_BIZ_INITIATED_MESSAGING`, `RESTRICTED_ADD_PHONE_NUMBER_ACTION` …
    pub restriction_type: String,
    /// When it ends.
    pub expiration: Option<Timestamp>,
}

/// `ban_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanInfo {
    /// `waba_ban_state` (`DISABLE`, `REINSTATE`, `SCHEDULE_FOR_DISABLE`); Meta shows it
    /// both as a string and as a list, so it is kept as a list.
    pub states: Vec<String>,
    /// `waba_ban_date` verbatim (a human date such as `April 17, 2025`).
    pub date: Option<String>,
}

/// `waba_info` of partner events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WabaInfo {
    /// The WABA concerned.
    pub waba_id: Option<String>,
    /// Its owner business id.
    pub owner_business_id: Option<String>,
    /// The partner app id.
    pub partner_app_id: Option<String>,
}

/// `volume_tier_info`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeTier {
    /// The tier (`25000001:50000000`).
    pub tier: Option<String>,
    /// `UTILITY`, `AUTHENTICATION` …
    pub pricing_category: Option<String>,
    /// `YYYY-MM`.
    pub effective_month: Option<String>,
    /// The market.
    pub region: Option<String>,
    /// When the tier changed.
    pub tier_update_time: Option<Timestamp>,
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
