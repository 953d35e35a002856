//! Outbound WhatsApp messages: typed, validated builders for the JSON body of
//! `POST /{version}/{phone-number-id}/messages` (Cloud API, `reference/meta-api.md` §1;
//! <https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages>).
//!
//! A built [`OutboundMessage`] is valid by construction: every limit Meta documents
//! (text 4096, interactive body 1024, header/footer 60, MPM 10 sections / 30 products …)
//! is checked when it is built, and a violation is a [`BuildError`] naming the field, never
//! a panic. The outbox stores [`OutboundMessage::body`] and sends it verbatim later;
//! [`OutboundMessage::kind`] (or [`MessageKind::of_body`] on a stored body) feeds policy
//! decisions such as the 24 h window. Where Meta's examples and its OpenAPI schema
//! disagree (button `index` as a number, upper-case `sub_type`) the schema's form is sent.
//! `tests/meta_conformance.rs` validates every kind against the spec.
//!
//! No I/O here; sending is `client.rs`.

mod interactive;
mod media;
mod template;

pub use interactive::{CatalogMessage, ProductListMessage, ProductMessage, ProductSection};
pub use media::{MediaKind, MediaMessage, MediaSource};
pub use template::{BodyParam, HeaderParam, ParamValue, TemplateButton, TemplateSend};

use super::templates::TemplateCategory;
use crate::domain::phone::PhoneE164;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Longest text message body Meta accepts.
pub const TEXT_BODY_MAX: usize = 4096;
/// Longest media caption.
pub const CAPTION_MAX: usize = 1024;

/// Why a message could not be built. Every variant names the offending field with its
/// JSON path (`interactive.header.text`, `template.body.parameters[2].text` …).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A required value is empty or blank.
    #[error("{field} must not be empty")]
    Empty {
        /// JSON path of the field.
        field: String,
    },
    /// A required part is absent.
    #[error("{field} is required")]
    Missing {
        /// JSON path of the field.
        field: String,
    },
    /// A text is longer than Meta allows (counted in characters).
    #[error("{field} is {len} characters long; at most {max} allowed")]
    TooLong {
        /// JSON path of the field.
        field: String,
        /// The limit.
        max: usize,
        /// The actual length.
        len: usize,
    },
    /// A list has too many (or too few) items.
    #[error("{field} has {got} items; {min} to {max} allowed")]
    Count {
        /// JSON path of the field.
        field: String,
        /// Fewest allowed.
        min: usize,
        /// Most allowed.
        max: usize,
        /// The actual count.
        got: usize,
    },
    /// Any other rule.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON path of the field.
        field: String,
        /// The rule that was broken.
        reason: String,
    },
}

impl BuildError {
    /// JSON path of the offending field.
    pub fn field(&self) -> &str {
        match self {
            Self::Empty { field }
            | Self::Missing { field }
            | Self::TooLong { field, .. }
            | Self::Count { field, .. }
            | Self::Invalid { field, .. } => field,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Checks a required text: not blank, at most `max` characters.
pub(crate) fn check_text(field: &str, text: &str, max: usize) -> Result<(), BuildError> {
    if text.trim().is_empty() {
        return Err(BuildError::Empty {
            field: field.into(),
        });
    }
    let len = text.chars().count();
    if len > max {
        return Err(BuildError::TooLong {
            field: field.into(),
            max,
            len,
        });
    }
    Ok(())
}

/// Checks an identifier (SKU, catalog id, media id, wamid): not blank, at most 512 chars.
pub(crate) fn check_id(field: &str, id: &str) -> Result<(), BuildError> {
    check_text(field, id, 512)
}

/// Checks a count against `min..=max`.
pub(crate) fn check_count(
    field: &str,
    got: usize,
    min: usize,
    max: usize,
) -> Result<(), BuildError> {
    if (min..=max).contains(&got) {
        Ok(())
    } else {
        Err(BuildError::Count {
            field: field.into(),
            min,
            max,
            got,
        })
    }
}

/// What a message is, for policy (24 h window, pricing, caps) without parsing JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    /// Free-form text.
    Text,
    /// An approved template; `category` is known only when the caller set it (the body
    /// does not carry it).
    Template {
        /// Template name.
        name: String,
        /// Category, if known.
        category: Option<TemplateCategory>,
    },
    /// Single-product message (SPM).
    Product,
    /// Multi-product message (MPM).
    ProductList,
    /// Catalog message.
    Catalog,
    /// Image, document, video or audio.
    Media,
    /// Read receipt (with or without typing indicator).
    Read,
}

impl MessageKind {
    /// The kind of a stored message body (what [`OutboundMessage::body`] produced);
    /// `None` for a body this module would not build.
    pub fn of_body(body: &Value) -> Option<Self> {
        if body.get("status").and_then(Value::as_str) == Some("read") {
            return Some(Self::Read);
        }
        let kind = match body.get("type")?.as_str()? {
            "text" => Self::Text,
            "template" => Self::Template {
                name: body.pointer("/template/name")?.as_str()?.to_owned(),
                category: None,
            },
            "image" | "document" | "video" | "audio" => Self::Media,
            "interactive" => match body.pointer("/interactive/type")?.as_str()? {
                "product" => Self::Product,
                "product_list" => Self::ProductList,
                "catalog_message" => Self::Catalog,
                _ => return None,
            },
            _ => return None,
        };
        Some(kind)
    }

    /// True when Meta delivers this kind only inside an open 24 h customer-service
    /// window: everything but templates (and read receipts, which answer a message).
    pub fn needs_open_window(&self) -> bool {
        !matches!(self, Self::Template { .. } | Self::Read)
    }
}

/// The content of a message.
#[derive(Clone, Debug, PartialEq)]
enum Payload {
    Text { body: String, preview_url: bool },
    Template(TemplateSend),
    Product(ProductMessage),
    ProductList(ProductListMessage),
    Catalog(CatalogMessage),
    Media(MediaMessage),
    Read { message_id: String, typing: bool },
}

/// A validated message ready for `POST /{phone-number-id}/messages`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundMessage {
    to: Option<PhoneE164>,
    reply_to: Option<String>,
    payload: Payload,
}

impl OutboundMessage {
    fn to(to: PhoneE164, payload: Payload) -> Self {
        Self {
            to: Some(to),
            reply_to: None,
            payload,
        }
    }

    /// A text message (≤4096 characters); `preview_url` renders the first URL's preview.
    ///
    /// # Errors
    /// [`BuildError`] naming `text.body`.
    pub fn text(to: PhoneE164, body: &str, preview_url: bool) -> Result<Self, BuildError> {
        check_text("text.body", body, TEXT_BODY_MAX)?;
        Ok(Self::to(
            to,
            Payload::Text {
                body: body.to_owned(),
                preview_url,
            },
        ))
    }

    /// A template message.
    pub fn template(to: PhoneE164, template: TemplateSend) -> Self {
        Self::to(to, Payload::Template(template))
    }

    /// A single-product message (SPM).
    pub fn product(to: PhoneE164, product: ProductMessage) -> Self {
        Self::to(to, Payload::Product(product))
    }

    /// A multi-product message (MPM).
    pub fn product_list(to: PhoneE164, list: ProductListMessage) -> Self {
        Self::to(to, Payload::ProductList(list))
    }

    /// A catalog message.
    pub fn catalog(to: PhoneE164, catalog: CatalogMessage) -> Self {
        Self::to(to, Payload::Catalog(catalog))
    }

    /// An image, document, video or audio message.
    pub fn media(to: PhoneE164, media: MediaMessage) -> Self {
        Self::to(to, Payload::Media(media))
    }

    /// Marks an inbound message (and the earlier ones) read; `typing` also shows the
    /// typing indicator for up to 25 s or until the next message.
    ///
    /// # Errors
    /// [`BuildError`] naming `message_id`.
    pub fn mark_read(message_id: &str, typing: bool) -> Result<Self, BuildError> {
        check_id("message_id", message_id)?;
        Ok(Self {
            to: None,
            reply_to: None,
            payload: Payload::Read {
                message_id: message_id.to_owned(),
                typing,
            },
        })
    }

    /// Makes this message a reply quoting `wamid` (`context.message_id`).
    ///
    /// # Errors
    /// [`BuildError`] naming `context.message_id` (blank, or on a read receipt).
    pub fn in_reply_to(mut self, wamid: &str) -> Result<Self, BuildError> {
        check_id("context.message_id", wamid)?;
        if matches!(self.payload, Payload::Read { .. }) {
            return Err(BuildError::invalid(
                "context.message_id",
                "a read receipt cannot be a reply",
            ));
        }
        self.reply_to = Some(wamid.to_owned());
        Ok(self)
    }

    /// The recipient (`None` for a read receipt).
    pub fn recipient(&self) -> Option<PhoneE164> {
        self.to
    }

    /// What this message is, for policy decisions.
    pub fn kind(&self) -> MessageKind {
        match &self.payload {
            Payload::Text { .. } => MessageKind::Text,
            Payload::Template(t) => MessageKind::Template {
                name: t.name().to_owned(),
                category: t.category_hint(),
            },
            Payload::Product(_) => MessageKind::Product,
            Payload::ProductList(_) => MessageKind::ProductList,
            Payload::Catalog(_) => MessageKind::Catalog,
            Payload::Media(_) => MessageKind::Media,
            Payload::Read { .. } => MessageKind::Read,
        }
    }

    /// True for template messages (the only kind allowed outside the 24 h window).
    pub fn is_template(&self) -> bool {
        matches!(self.payload, Payload::Template(_))
    }

    /// The exact JSON body to POST.
    pub fn body(&self) -> Value {
        let (kind, content) = match &self.payload {
            Payload::Read { message_id, typing } => return read_body(message_id, *typing),
            Payload::Text { body, preview_url } => {
                ("text", json!({ "body": body, "preview_url": preview_url }))
            }
            Payload::Template(t) => ("template", t.to_json()),
            Payload::Product(p) => ("interactive", p.to_json()),
            Payload::ProductList(p) => ("interactive", p.to_json()),
            Payload::Catalog(c) => ("interactive", c.to_json()),
            Payload::Media(m) => (m.kind.as_str(), m.to_object()),
        };
        let mut m = Map::new();
        m.insert("messaging_product".into(), "whatsapp".into());
        m.insert("recipient_type".into(), "individual".into());
        if let Some(to) = self.to {
            m.insert("to".into(), Value::from(to.to_string()));
        }
        m.insert("type".into(), kind.into());
        m.insert(kind.into(), content);
        if let Some(wamid) = &self.reply_to {
            m.insert("context".into(), json!({ "message_id": wamid }));
        }
        Value::Object(m)
    }
}

fn read_body(message_id: &str, typing: bool) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": message_id,
    });
    if typing {
        body["typing_indicator"] = json!({ "type": "text" });
    }
    body
}

#[cfg(test)]
mod tests;
