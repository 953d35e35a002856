//! Meta (WhatsApp Cloud API) webhooks, pure code: the `GET` verify challenge, the
//! `X-Hub-Signature-256` check over the raw body, and parsing a delivery into a flat list
//! of typed [`MetaEvent`]s carrying their routing keys (`waba_id`, `phone_number_id`) and
//! dedupe keys. No I/O: the HTTP handler feeds bytes in and acts on what comes out.
//!
//! Order of use for `POST /webhooks/meta`: [`verify_signature`] on the raw bytes (401 if
//! false, nothing stored) → [`parse_parts`] (each change on its own: a change that fails
//! goes to the dead-letter tree with its [`ParseError`], the others are applied) → per
//! event: dedupe on [`MetaEvent::dedupe_key`], route by [`MetaEvent::phone_number_id`] or
//! [`MetaEvent::routing_waba_id`], and never regress a message status
//! ([`MessageStatus::rank`]). [`parse`] is the strict whole-delivery form (replays).

/// The parsed event model is plain data in `domain::meta_events` (the logic applies it);
/// this module parses Meta's wire format into it.
use crate::domain::meta_events as events;
mod wire;

#[cfg(test)]
mod tests;

pub use events::{
    AccountDetails, AccountEvent, AccountUpdate, BanInfo, Conversation, InboundContent,
    InboundMessage, InteractiveReply, Media, MediaKind, MessageContext, MessageStatus, MetaError,
    MetaEvent, Order, OrderItem, PhoneNumberQualityUpdate, Pricing, QualityEvent, Referral,
    ReferredProduct, Restriction, SharedContact, SharedPhone, StatusUpdate, TemplateEvent,
    TemplateInfo, TemplateStatusUpdate, Unhandled, VolumeTier, WabaInfo,
};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the body signature.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// The only `object` a WhatsApp webhook has.
pub const OBJECT: &str = "whatsapp_business_account";
pub use crate::domain::meta_events::{
    FIELD_ACCOUNT_UPDATE, FIELD_MESSAGES, FIELD_PHONE_QUALITY, FIELD_TEMPLATE_STATUS,
};

/// Longest `hub.challenge` echoed back (Meta sends a short random number).
const MAX_CHALLENGE_LEN: usize = 512;

/// The `X-Hub-Signature-256` value for `body` under `app_secret`: `sha256=` and the
/// lowercase hex HMAC-SHA256 (what Meta sends; for tests and the sandbox).
pub fn sign(app_secret: &[u8], body: &[u8]) -> String {
    let mut mac = match HmacSha256::new_from_slice(app_secret) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this branch cannot be taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// True when `header` (`X-Hub-Signature-256`) is `sha256=` followed by the hex
/// HMAC-SHA256 of the raw `body` under the app secret. The digest is compared in
/// constant time. Meta sends lowercase hex; uppercase hex decodes to the same bytes and is
/// accepted too (it proves the same MAC). Surrounding whitespace is ignored; a missing or
/// different prefix, bad hex, a wrong length or an empty secret gives `false`.
pub fn verify_signature(app_secret: &[u8], body: &[u8], header: &str) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(hex_part) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_part) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(app_secret) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.as_slice().ct_eq(given.as_slice()).into()
}

/// Why a `GET /webhooks/meta` verification request is refused (answer 403, or 400 for a
/// malformed request; the message is safe to log).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// No verify token is configured, so no request can be verified.
    #[error("no Meta webhook verify token is configured")]
    NotConfigured,
    /// `hub.mode` is absent.
    #[error("`hub.mode` is missing")]
    MissingMode,
    /// `hub.mode` is not `subscribe`.
    #[error("`hub.mode` is {0:?}, expected \"subscribe\"")]
    WrongMode(String),
    /// `hub.verify_token` is absent.
    #[error("`hub.verify_token` is missing")]
    MissingToken,
    /// `hub.verify_token` is not the configured token.
    #[error("`hub.verify_token` does not match the configured token")]
    TokenMismatch,
    /// `hub.challenge` is absent or empty.
    #[error("`hub.challenge` is missing")]
    MissingChallenge,
    /// `hub.challenge` is too long or holds control characters.
    #[error("`hub.challenge` is not a plausible challenge")]
    BadChallenge,
}

/// Answers Meta's endpoint verification: given the query's `hub.mode`, `hub.verify_token`
/// and `hub.challenge` and the configured token, returns the challenge to send back as the
/// 200 body (as `text/plain`). The token is compared in constant time.
///
/// # Errors
/// A [`ChallengeError`] naming the problem; answer with a 4xx.
pub fn verify_challenge(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Result<String, ChallengeError> {
    if expected_token.is_empty() {
        return Err(ChallengeError::NotConfigured);
    }
    match mode {
        None => return Err(ChallengeError::MissingMode),
        Some("subscribe") => {}
        Some(other) => return Err(ChallengeError::WrongMode(other.to_owned())),
    }
    let token = token.ok_or(ChallengeError::MissingToken)?;
    if !bool::from(token.as_bytes().ct_eq(expected_token.as_bytes())) {
        return Err(ChallengeError::TokenMismatch);
    }
    let challenge = challenge
        .filter(|c| !c.is_empty())
        .ok_or(ChallengeError::MissingChallenge)?;
    if challenge.len() > MAX_CHALLENGE_LEN || challenge.chars().any(char::is_control) {
        return Err(ChallengeError::BadChallenge);
    }
    Ok(challenge.to_owned())
}

/// Why a webhook body could not be parsed. The text names the problem and where it is
/// (`entry[0].changes[1] (messages): statuses[3]: status: missing field \`id\``).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    /// The body is a webhook for another Meta product (`page`, `instagram` …).
    #[error("not a WhatsApp webhook: `object` is {0:?}, expected \"whatsapp_business_account\"")]
    WrongObject(String),
    /// The `object`/`entry`/`changes` structure is wrong.
    #[error("malformed webhook envelope: {0}")]
    Envelope(String),
    /// A change of a known field has a value the engine cannot read.
    #[error("entry[{entry}].changes[{change}] ({field}): {problem}")]
    Change {
        /// Index in `entry`.
        entry: usize,
        /// Index in that entry's `changes`.
        change: usize,
        /// The change's `field`.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

/// Parses a webhook delivery (the raw `POST` body, after [`verify_signature`]) into its
/// events, in payload order: per entry, per change, inbound messages then statuses.
///
/// Unknown `field`s, message types and interactive reply types are kept
/// ([`MetaEvent::Unhandled`], [`InboundContent::Other`], [`InteractiveReply::Other`]),
/// unknown statuses and events become the `Unknown`/`Other` variants; none is an error.
/// A `messages` change holding neither messages nor statuses yields one `Unhandled`.
///
/// # Errors
/// [`ParseError`] when the body is not JSON, not a WhatsApp webhook, has a malformed
/// envelope, or a known change lacks something the engine relies on (an id, a timestamp,
/// `metadata.phone_number_id`, the payload of a known message type, an order price …).
/// The whole delivery is then refused, so it can be dead-lettered and replayed intact.
pub fn parse(body: &[u8]) -> Result<Vec<MetaEvent>, ParseError> {
    wire::parse_body(body)
}

/// One change of a delivery (or one entry, when the entry itself is malformed), parsed on
/// its own: Meta batches changes of several numbers and accounts in one delivery, and one
/// bad change must not keep the good ones from being applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// Where it sits in the delivery: `entry[i].changes[j]`, or `entry[i]`.
    pub location: String,
    /// The part alone, as a delivery [`parse`] reads (its entry with only this change);
    /// Meta's own bytes when the delivery has just this one change. This is what a bad
    /// part is kept as, so a replay after a fix parses exactly it.
    pub body: Vec<u8>,
    /// Its events, in payload order, or why it does not parse (naming the location).
    pub events: Result<Vec<MetaEvent>, ParseError>,
}

/// Parses a delivery part by part: the events of every good change plus the error of
/// every bad one (see [`Part`]). Times must lie in 1970..2100; one outside is the error
/// of its change.
///
/// # Errors
/// [`ParseError`] only when the body as a whole is unusable: not JSON, not a WhatsApp
/// webhook, no `entry` array.
pub fn parse_parts(body: &[u8]) -> Result<Vec<Part>, ParseError> {
    wire::parse_parts(body)
}

/// Where a delivery came from, read leniently from raw JSON that [`parse`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteHint {
    /// `entry[].changes[].value.metadata.phone_number_id`.
    PhoneNumber(String),
    /// `entry[].id`: the WhatsApp Business Account.
    Waba(String),
}

/// The numbers and accounts an unparseable delivery names, phone numbers first (they are
/// the more specific route), in payload order. Empty when the body is not a JSON object
/// with `entry` objects. Used to keep such a delivery as its tenant's dead letter.
pub fn routing_hints(body: &[u8]) -> Vec<RouteHint> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let entries = v.get("entry").and_then(|e| e.as_array());
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut numbers = Vec::new();
    let mut wabas = Vec::new();
    for e in entries.into_iter().flatten() {
        wabas.extend(text(e.get("id")).map(RouteHint::Waba));
        let changes = e.get("changes").and_then(|c| c.as_array());
        for c in changes.into_iter().flatten() {
            let pnid = c.pointer("/value/metadata/phone_number_id");
            numbers.extend(text(pnid).map(RouteHint::PhoneNumber));
        }
    }
    numbers.extend(wabas);
    numbers.dedup();
    numbers
}

#[cfg(test)]
mod hint_tests {
    use super::*;

    #[test]
    fn hints_name_numbers_first_then_accounts() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"900","changes":[
            {"field":"messages","value":{"metadata":{"phone_number_id":"111"},"statuses":[{"timestamp":"x"}]}}]}]}"#;
        assert_eq!(
            routing_hints(body),
            vec![
                RouteHint::PhoneNumber("111".into()),
                RouteHint::Waba("900".into())
            ]
        );
        assert!(routing_hints(b"not json").is_empty());
        assert!(routing_hints(br#"{"entry": 5}"#).is_empty());
    }
}
