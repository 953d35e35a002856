//! Inbound messages: what a customer sent to one of our numbers, by message type.

use super::*;

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
    /// What the customer said, for automations: the text, or the payload of a tapped
    /// quick-reply button (else its text), or the id of an interactive reply.
    pub fn said(&self) -> Option<&str> {
        match self {
            Self::Text { body } => Some(body),
            Self::Button { text, payload } => Some(payload.as_deref().unwrap_or(text)),
            Self::Interactive(InteractiveReply::ButtonReply { id, .. })
            | Self::Interactive(InteractiveReply::ListReply { id, .. }) => Some(id),
            _ => None,
        }
    }

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
