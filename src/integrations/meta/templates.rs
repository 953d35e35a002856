//! Message templates: the definition builder for `POST /{waba-id}/message_templates`
//! (validated before Meta sees it), template statuses and the name and language rules.
//! The client methods that create, list (following cursors) and delete templates are in
//! `client/templates.rs`: this module must not import the client, so `messages` can use
//! its vocabulary without a circle. `reference/meta-api.md` §6;
//! <https://developers.facebook.com/docs/whatsapp/business-management-api/message-templates>.
//!
//! Only MARKETING and UTILITY templates are built for now; AUTHENTICATION templates have
//! their own component rules (OTP buttons, no free text) and are refused.
//! Sending a template is `messages::TemplateSend`.

mod definition;

pub use definition::{
    Examples, HeaderFormat, TemplateButtonDef, TemplateDefinition, TemplateError,
};

use super::client::model::string_or_number;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::fmt;

/// What a template is for; decides its price and where it may be sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    /// Promotions; needs marketing consent.
    Marketing,
    /// Transactional updates (orders, shipping).
    Utility,
    /// One-time passwords (not built by this crate yet).
    Authentication,
}

impl TemplateCategory {
    /// Meta's spelling (`MARKETING` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "MARKETING",
            Self::Utility => "UTILITY",
            Self::Authentication => "AUTHENTICATION",
        }
    }

    /// Parses Meta's spelling, any case.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "MARKETING" => Some(Self::Marketing),
            "UTILITY" => Some(Self::Utility),
            "AUTHENTICATION" => Some(Self::Authentication),
            _ => None,
        }
    }
}

/// A template's review state. Send only when [`TemplateStatus::Approved`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TemplateStatus {
    /// Can be sent.
    Approved,
    /// In review (up to 24 h).
    Pending,
    /// Refused; see `rejected_reason`.
    Rejected,
    /// Paused for low quality.
    Paused,
    /// Disabled after repeated pauses.
    Disabled,
    /// Rejection under appeal.
    InAppeal,
    /// Deletion scheduled.
    PendingDeletion,
    /// Deleted.
    Deleted,
    /// Over the WABA's template limit.
    LimitExceeded,
    /// Archived after 12 months without use.
    Archived,
    /// A status Meta added later, kept as sent.
    Other(String),
}

impl TemplateStatus {
    /// Parses Meta's spelling; unknown values are kept in [`TemplateStatus::Other`].
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "APPROVED" => Self::Approved,
            "PENDING" => Self::Pending,
            "REJECTED" => Self::Rejected,
            "PAUSED" => Self::Paused,
            "DISABLED" => Self::Disabled,
            "IN_APPEAL" => Self::InAppeal,
            "PENDING_DELETION" => Self::PendingDeletion,
            "DELETED" => Self::Deleted,
            "LIMIT_EXCEEDED" => Self::LimitExceeded,
            "ARCHIVED" => Self::Archived,
            _ => Self::Other(s.to_owned()),
        }
    }

    /// Meta's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Approved => "APPROVED",
            Self::Pending => "PENDING",
            Self::Rejected => "REJECTED",
            Self::Paused => "PAUSED",
            Self::Disabled => "DISABLED",
            Self::InAppeal => "IN_APPEAL",
            Self::PendingDeletion => "PENDING_DELETION",
            Self::Deleted => "DELETED",
            Self::LimitExceeded => "LIMIT_EXCEEDED",
            Self::Archived => "ARCHIVED",
            Self::Other(s) => s,
        }
    }

    /// True only for approved templates.
    pub fn is_sendable(&self) -> bool {
        *self == Self::Approved
    }
}

impl fmt::Display for TemplateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TemplateStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

impl Serialize for TemplateStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Meta's answer to a template creation.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TemplateCreated {
    /// The template id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Usually `PENDING`; can be `APPROVED` at once.
    pub status: TemplateStatus,
    /// The category Meta assigned (it may differ from the one asked for).
    #[serde(default)]
    pub category: Option<String>,
}

/// A template as `GET /{waba-id}/message_templates` lists it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RemoteTemplate {
    /// Template id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Name (shared by its languages).
    pub name: String,
    /// Language code.
    #[serde(default)]
    pub language: String,
    /// Review state.
    pub status: TemplateStatus,
    /// Category as Meta spells it.
    #[serde(default)]
    pub category: String,
    /// The components as Meta returns them (kept raw: the shapes vary by type).
    #[serde(default)]
    pub components: Value,
    /// Why it was rejected (`NONE` when it was not).
    #[serde(default)]
    pub rejected_reason: Option<String>,
}

/// Checks a template name: 1–512 characters of lower-case letters, digits and `_`.
pub(crate) fn check_template_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 512 {
        return Err("must be 1 to 512 characters".into());
    }
    if name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err("lower-case letters, digits and _ only".into())
    }
}

/// Checks a language code: `en`, `fil`, `en_US`, `zh_HK` (Meta's supported-language codes).
pub(crate) fn check_language(code: &str) -> Result<(), String> {
    let (lang, region) = code.split_once('_').unwrap_or((code, ""));
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region.is_empty()
        || ((2..=4).contains(&region.len()) && region.bytes().all(|b| b.is_ascii_alphanumeric()));
    if lang_ok && region_ok && !code.ends_with('_') {
        Ok(())
    } else {
        Err("must be a language code such as en or en_US".into())
    }
}

#[cfg(test)]
mod tests;
