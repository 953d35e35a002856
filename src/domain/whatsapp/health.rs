//! The health of a tenant's Meta integration: the traffic light, the token's state, and
//! whether sends are possible now. Plain data; the transitions are
//! `logic::whatsapp::health`.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};

/// Traffic-light state of one integration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Working.
    Green,
    /// Degraded (limited, paused, flagged).
    Yellow,
    /// Broken (token dead, number blocked).
    Red,
    /// Not checked yet.
    Unknown,
}

/// What we know of an integration's access token. Stored and served as the lower-case
/// word (`valid`, `invalid`, `unknown`, `missing`, `stored`): records written when this
/// was a `String` decode unchanged, and a word this build does not know reads as
/// [`TokenState::Unknown`] rather than failing the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum TokenState {
    /// Meta accepted it (a successful call or `debug_token`).
    Valid,
    /// Meta rejected it (error 190, or `debug_token` says not valid).
    Invalid,
    /// Not checked since it was set.
    Unknown,
    /// No token is configured.
    Missing,
    /// A token is stored but never checked (the Shopify side makes no calls yet).
    Stored,
}

impl TokenState {
    /// The stored and served word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Unknown => "unknown",
            Self::Missing => "missing",
            Self::Stored => "stored",
        }
    }

    /// Reads the stored word; anything else is [`TokenState::Unknown`].
    pub fn parse(s: &str) -> Self {
        match s {
            "valid" => Self::Valid,
            "invalid" => Self::Invalid,
            "missing" => Self::Missing,
            "stored" => Self::Stored,
            _ => Self::Unknown,
        }
    }
}

impl std::fmt::Display for TokenState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for TokenState {
    fn from(s: String) -> Self {
        Self::parse(&s)
    }
}

impl From<TokenState> for String {
    fn from(t: TokenState) -> Self {
        t.as_str().to_string()
    }
}

/// Health of one integration of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IntegrationHealth {
    /// Overall state.
    pub state: HealthState,
    /// Token state.
    #[schema(value_type = String, pattern = "^(valid|invalid|unknown|missing|stored)$")]
    pub token: TokenState,
    /// The last error seen, with its cause.
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<Timestamp>,
    /// When the state was last checked or changed.
    pub checked_at: Option<Timestamp>,
    /// Free-form details (number quality, `can_send_message` …).
    pub details: Vec<String>,
}

impl IntegrationHealth {
    /// Not checked yet.
    pub fn unknown(token: TokenState) -> Self {
        Self {
            state: HealthState::Unknown,
            token,
            last_error: None,
            last_error_at: None,
            checked_at: None,
            details: Vec::new(),
        }
    }
}

/// Whether a node can send messages (`can_send_message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendAvailability {
    /// Can send.
    Available,
    /// Can send with limits (e.g. display name not approved).
    Limited,
    /// Cannot send.
    Blocked,
    /// A value Meta added later, kept as sent.
    Other(String),
}

impl SendAvailability {
    /// Meta's spelling (`AVAILABLE`, `LIMITED`, `BLOCKED`, or the unknown value).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Limited => "LIMITED",
            Self::Blocked => "BLOCKED",
            Self::Other(s) => s,
        }
    }
}

impl std::fmt::Display for SendAvailability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SendAvailability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "AVAILABLE" => Self::Available,
            "LIMITED" => Self::Limited,
            "BLOCKED" => Self::Blocked,
            _ => Self::Other(s),
        })
    }
}
