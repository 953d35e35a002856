//! The plain records the emulator's modules share: what was sent, webhook failures,
//! health overrides, templates and their review decisions, uploaded media, and the two
//! small helpers every layer uses (`digits`, `now_unix`). Data only: no state, no I/O,
//! no Graph errors. Must not import any other module of `sandbox::meta`.

use axum::body::Bytes;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// A message Meta accepted from the engine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SentMessage {
    /// The `wamid.…` returned.
    pub wamid: String,
    /// The sending business number.
    pub phone_number_id: String,
    /// The recipient's WhatsApp id (digits).
    pub to: String,
    /// The request body, verbatim.
    pub body: serde_json::Value,
    /// When it was accepted (serialised as unix milliseconds).
    #[serde(serialize_with = "unix_ms")]
    pub at: SystemTime,
}

/// A webhook the engine did not acknowledge after every attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WebhookFailure {
    /// `status:sent`, `inbound`, `template_status` …
    pub kind: String,
    /// Where it was sent (`None` when no webhook URL was set).
    pub url: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// The last error (status and body start, or the transport error).
    pub error: String,
}

/// What `health_status` reports for a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// `AVAILABLE`.
    Available,
    /// `LIMITED`, with `additional_info` lines.
    Limited(Vec<String>),
    /// `BLOCKED`, with one error.
    Blocked {
        /// Meta's code (141002 …).
        error_code: i64,
        /// What is wrong.
        description: String,
        /// What to do.
        solution: String,
    },
}

impl Health {
    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            Self::Available => "AVAILABLE",
            Self::Limited(_) => "LIMITED",
            Self::Blocked { .. } => "BLOCKED",
        }
    }

    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::Available => 0,
            Self::Limited(_) => 1,
            Self::Blocked { .. } => 2,
        }
    }
}

/// A template as the emulator holds it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EmulatedTemplate {
    /// Graph id (digits).
    pub id: String,
    /// Owning WABA.
    pub waba_id: String,
    /// Name (shared by its languages).
    pub name: String,
    /// Language code.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// `PENDING`, `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED` …
    pub status: String,
    /// `positional` or `named`.
    pub parameter_format: String,
    /// Components as submitted.
    pub components: Value,
    /// `NONE` unless rejected.
    pub rejected_reason: String,
}

/// A review decision.
pub(crate) enum Change {
    Approve,
    Reject(String),
    Pause,
}

/// An uploaded file.
#[derive(Clone, Debug)]
pub(crate) struct MediaRecord {
    pub id: String,
    pub phone_number_id: String,
    pub mime: String,
    pub sha256: String,
    pub bytes: Bytes,
}

/// The digits of a phone number as WhatsApp ids write it (`+1 (650) 555-1234` → `16505551234`).
pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Unix seconds now.
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn unix_ms<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    s.serialize_u64(ms)
}

/// A Graph paging cursor for position `n` of a list (opaque to clients).
pub(crate) fn encode_cursor(n: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("cursor:{n}"))
}

/// The position of a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(c: &str) -> Option<usize> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("cursor:")?
        .parse()
        .ok()
}
