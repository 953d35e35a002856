//! Wire types of the Graph API answers `client.rs` decodes: the public results
//! (`SendAccepted`, `TokenInfo`, `HealthStatus` …) and the private response envelopes.
//! Ids that Graph sometimes sends as numbers are read as strings either way.

use crate::integrations::meta::error::MetaError;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Meta accepted a message (delivery arrives later as status webhooks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendAccepted {
    /// The message id (`wamid.…`) that status webhooks will refer to.
    pub wamid: String,
    /// The recipient's WhatsApp id (may differ from the number sent to).
    pub wa_id: Option<String>,
    /// Template pacing: `accepted`, `held_for_quality_assessment` or `paused`.
    pub message_status: Option<String>,
}

/// What `debug_token` says about an access token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenInfo {
    /// False once the token expired, was revoked or the user changed their password.
    #[serde(default)]
    pub is_valid: bool,
    /// App the token belongs to.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub app_id: Option<String>,
    /// `USER`, `SYSTEM_USER`, `PAGE`, `APP` …
    #[serde(default, rename = "type")]
    pub token_type: Option<String>,
    /// Expiry as unix seconds; `None` when it never expires (Meta's `0`) or is not given.
    #[serde(default, deserialize_with = "unix_or_never")]
    pub expires_at: Option<i64>,
    /// When data access expires (unix seconds), if given.
    #[serde(default, deserialize_with = "unix_or_never")]
    pub data_access_expires_at: Option<i64>,
    /// Granted permissions (`whatsapp_business_messaging` …).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Permissions per asset: check the tenant's WABA id is among the targets.
    #[serde(default)]
    pub granular_scopes: Vec<GranularScope>,
    /// User (or system user) the token acts for.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub user_id: Option<String>,
    /// Why the token is invalid, when it is.
    #[serde(default)]
    pub error: Option<TokenError>,
}

impl TokenInfo {
    /// True when the token is valid and grants `scope` on `target_id` (a granular scope
    /// without targets applies to every asset).
    pub fn grants(&self, scope: &str, target_id: &str) -> bool {
        self.is_valid
            && self.granular_scopes.iter().any(|g| {
                g.scope == scope
                    && (g.target_ids.is_empty() || g.target_ids.iter().any(|t| t == target_id))
            })
    }
}

/// A permission limited to some assets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct GranularScope {
    /// The permission.
    pub scope: String,
    /// Asset ids it covers (WABA ids, catalog ids …); empty means all.
    #[serde(default)]
    pub target_ids: Vec<String>,
}

/// The `error` of an invalid token in `debug_token`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TokenError {
    /// Graph error code (190 …).
    #[serde(default)]
    pub code: i64,
    /// Explanation.
    #[serde(default)]
    pub message: String,
    /// Sub-code (463 expired, 460 password changed …).
    #[serde(default)]
    pub subcode: Option<i64>,
}

pub use crate::domain::whatsapp::SendAvailability;

/// `health_status` of a phone number, WABA or template: the overall state is the worst
/// of the entities on the path (number → WABA → business → app).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthStatus {
    /// Overall availability.
    pub can_send_message: SendAvailability,
    /// Each node checked.
    #[serde(default)]
    pub entities: Vec<HealthEntity>,
}

/// One node of a `health_status` answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthEntity {
    /// `PHONE_NUMBER`, `WABA`, `BUSINESS`, `APP`, `MESSAGE_TEMPLATE`.
    pub entity_type: String,
    /// The node's id.
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// Its availability.
    pub can_send_message: SendAvailability,
    /// Notes for `LIMITED`.
    #[serde(default)]
    pub additional_info: Vec<String>,
    /// Problems for `BLOCKED` (and sometimes `LIMITED`).
    #[serde(default)]
    pub errors: Vec<HealthIssue>,
}

/// A problem reported by `health_status`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct HealthIssue {
    /// Meta's code (141002 …).
    pub error_code: i64,
    /// What is wrong.
    #[serde(default)]
    pub error_description: String,
    /// What to do.
    #[serde(default)]
    pub possible_solution: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SendResponse {
    #[serde(default)]
    pub(crate) contacts: Vec<SendContact>,
    #[serde(default)]
    pub(crate) messages: Vec<SendMessageId>,
}

#[derive(Deserialize)]
pub(crate) struct SendContact {
    #[serde(default)]
    pub(crate) wa_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SendMessageId {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) message_status: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct Success {
    #[serde(default)]
    pub(crate) success: bool,
}

#[derive(Deserialize)]
pub(crate) struct MediaId {
    #[serde(deserialize_with = "string_or_number")]
    pub(crate) id: String,
}

#[derive(Deserialize)]
pub(crate) struct DebugTokenResponse {
    pub(crate) data: TokenInfo,
}

#[derive(Deserialize)]
pub(crate) struct HealthResponse {
    pub(crate) health_status: HealthStatus,
}

/// Turns `{"success": false}` into an error.
pub(crate) fn expect_success(v: Success, op: &str) -> Result<(), MetaError> {
    if v.success {
        Ok(())
    } else {
        Err(MetaError::Decode(format!("{op}: success is not true")))
    }
}

/// Graph ids are strings but some endpoints send numbers: accept both.
pub(crate) fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number id, got {other}"
        ))),
    }
}

fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

/// Unix seconds where `0` means "never".
fn unix_or_never<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.filter(|&t| t != 0))
}
