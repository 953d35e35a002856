//! What a message was sent for and what came of it: a message's source (a campaign and
//! its A/B variant, a flow's action node, a back-in-stock alert), the tag stored beside a
//! message, and the counters kept per source.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where a message came from. Revenue totals are kept per source.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// A broadcast campaign and its A/B variant.
    Campaign { id: u64, variant: u8 },
    /// An automation flow and the node that sent the message.
    Flow { id: u64, node: String },
    /// All back-in-stock alerts share one source.
    BackInStock,
}

impl Source {
    /// Stable short code used in UTM values and ledger keys:
    /// `c{id}v{variant}`, `f{id}.{node}` or `bis`.
    ///
    /// Bytes of a flow node outside `[A-Za-z0-9._~-]` are percent-encoded
    /// (`%XX`), so the code is always URL-safe and round-trips through
    /// [`Source::parse_code`].
    pub fn code(&self) -> String {
        match self {
            Source::Campaign { id, variant } => format!("c{id}v{variant}"),
            Source::Flow { id, node } => format!("f{id}.{}", encode_node(node)),
            Source::BackInStock => "bis".to_string(),
        }
    }

    /// Inverse of [`Source::code`]. Returns `None` for anything that is not a
    /// code produced by us (foreign UTM campaigns, malformed values).
    pub fn parse_code(code: &str) -> Option<Source> {
        if code == "bis" {
            return Some(Source::BackInStock);
        }
        if let Some(rest) = code.strip_prefix('c') {
            let (id, variant) = rest.split_once('v')?;
            return Some(Source::Campaign {
                id: parse_digits(id)?,
                variant: parse_digits(variant)?,
            });
        }
        let rest = code.strip_prefix('f')?;
        let (id, node) = rest.split_once('.')?;
        let node = decode_node(node)?;
        (!node.is_empty()).then_some(Source::Flow {
            id: parse_digits(id)?,
            node,
        })
    }
}

/// Parses a non-empty run of ASCII digits (no sign, no whitespace).
fn parse_digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn encode_node(node: &str) -> String {
    let mut out = String::with_capacity(node.len());
    for b in node.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode_node(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Source {
    /// The record id of the source's counters: the first 8 bytes of SHA-256 of its code.
    pub fn key(&self) -> u64 {
        let d = Sha256::digest(self.code().as_bytes());
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&d[..8]);
        u64::from_be_bytes(eight)
    }
}

/// Stored beside an outbound message (`Kind::MessageTag`, by message id): its source's
/// key, the contact and (campaigns) the recipient's position, and what the customer did
/// (`flags`: [`REPLIED`], [`OPTED_OUT`], [`CLICKED`]) so each counts once per message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTag {
    /// `Source::key`.
    pub source: u64,
    /// The contact (0: unknown).
    pub contact: u64,
    /// The recipient's position in a campaign's frozen list (0 otherwise).
    pub position: u64,
    /// What the customer did.
    pub flags: u8,
    /// When Meta accepted it (ms; 0: not yet).
    pub sent_at: i64,
    /// When it was delivered (ms; 0: not known).
    pub delivered_at: i64,
    /// When it was read (ms; 0: not known).
    pub read_at: i64,
    /// When a link of it was first clicked (ms; 0: never).
    pub clicked_at: i64,
}

/// The record id of a source's counters of one UTC day (`day` as
/// `domain::segments::day_of`): the first 8 bytes of SHA-256 of the key and the day.
pub fn day_key(key: u64, day: i32) -> u64 {
    let mut h = Sha256::new();
    h.update(b"source-day");
    h.update(key.to_be_bytes());
    h.update(day.to_be_bytes());
    let d = h.finalize();
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&d[..8]);
    u64::from_be_bytes(eight)
}

/// The customer replied within 24 hours.
pub const REPLIED: u8 = 1;
/// The customer opted out (STOP) within 24 hours.
pub const OPTED_OUT: u8 = 2;
/// The customer clicked a link of the message.
pub const CLICKED: u8 = 4;

/// Counters of one source (`Kind::SourceStats`, by `Source::key`; one UTC day's under
/// [`day_key`]), kept by the conversation actor in the same batch as each message
/// change, so they are exact after a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceStats {
    /// The source's code (`Source::code`).
    pub code: String,
    /// Messages queued.
    pub queued: u64,
    /// Messages out of the outbox: accepted by Meta, or failed before that.
    pub settled: u64,
    /// Accepted by Meta.
    pub sent: u64,
    /// Delivered (or read without a delivery report).
    pub delivered: u64,
    /// Read.
    pub read: u64,
    /// Failed.
    pub failed: u64,
    /// Failed, by Meta's error code (0: failed before Meta answered, e.g. retries
    /// exhausted).
    pub failed_by_code: BTreeMap<i64, u64>,
    /// Messages the customer answered within 24 hours.
    pub replied: u64,
    /// Messages followed by a STOP within 24 hours.
    pub opted_out: u64,
    /// Messages whose link was clicked.
    pub clicked: u64,
}

/// Revenue credited to one source (`Kind::SourceRevenue`, by `Source::key`; one UTC
/// day's under [`day_key`]), written by the customer actor with the order that earned it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceRevenue {
    /// Orders credited (cancelled ones taken out again).
    pub orders: u64,
    /// Their total.
    #[schema(value_type = String)]
    pub revenue: crate::domain::Money,
    /// Credited orders that were cancelled later (their revenue left).
    pub cancelled: u64,
    /// Orders credited, by the rule that credited them (`UTM`, `DISCOUNT_CODE`, `CLICK`,
    /// `READ`, `DELIVERED`).
    pub by_rule: BTreeMap<String, u64>,
}

impl SourceStats {
    /// Adds another source's counters (a campaign's variants summed).
    pub fn add(&mut self, o: &SourceStats) {
        self.queued += o.queued;
        self.settled += o.settled;
        self.sent += o.sent;
        self.delivered += o.delivered;
        self.read += o.read;
        self.failed += o.failed;
        for (c, n) in &o.failed_by_code {
            *self.failed_by_code.entry(*c).or_default() += n;
        }
        self.replied += o.replied;
        self.opted_out += o.opted_out;
        self.clicked += o.clicked;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in [
            Source::Campaign { id: 12, variant: 3 },
            Source::Flow {
                id: 7,
                node: "n3.x".into(),
            },
            Source::BackInStock,
        ] {
            assert_eq!(Source::parse_code(&s.code()), Some(s.clone()));
        }
        for bad in ["", "c", "c1", "cxv1", "f1", "f.n", "fx.n", "f1.", "bisx"] {
            assert_eq!(Source::parse_code(bad), None, "{bad}");
        }
    }
}
