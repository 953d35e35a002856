//! The webhook payload as Meta sends it (private serde structs) and its conversion into
//! [`MetaEvent`]s. Strict where the engine depends on a value (ids, timestamps, the
//! payload of a known message type), lenient where Meta adds or drops optional fields;
//! unknown `field`s, message types and interactive types are kept, never rejected.

use super::events::*;
use super::{ParseError, Part, FIELD_ACCOUNT_UPDATE, FIELD_MESSAGES, FIELD_PHONE_QUALITY};
use super::{FIELD_TEMPLATE_STATUS, OBJECT};
use crate::domain::money::Money;
use crate::domain::timestamp::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where a change sits in the delivery, and what every event from it carries.
struct Ctx<'a> {
    waba_id: &'a str,
    entry_time: Option<Timestamp>,
    field: &'a str,
    value: &'a Value,
}

impl Ctx<'_> {
    /// See [`MetaEvent::dedupe_key`]: 128 bits of SHA-256 over the WABA id, entry time,
    /// field and canonical value, in hex.
    fn fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.waba_id.as_bytes());
        h.update(b"\n");
        if let Some(t) = self.entry_time {
            h.update(t.millis().to_string().as_bytes());
        }
        h.update(b"\n");
        h.update(self.field.as_bytes());
        h.update(b"\n");
        h.update(canonical_json(self.value).as_bytes());
        hex::encode(&h.finalize()[..16])
    }
}

/// Parses a whole delivery; see [`super::parse`]: the first bad part fails it all.
pub(super) fn parse_body(body: &[u8]) -> Result<Vec<MetaEvent>, ParseError> {
    let mut out = Vec::new();
    for part in parse_parts(body)? {
        out.extend(part.events?);
    }
    Ok(out)
}

/// Parses a delivery change by change; see [`super::parse_parts`].
pub(super) fn parse_parts(body: &[u8]) -> Result<Vec<Part>, ParseError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| ParseError::Json(e.to_string()))?;
    let Value::Object(root) = &root else {
        return Err(ParseError::Envelope("the body is not a JSON object".into()));
    };
    match root.get("object") {
        Some(Value::String(s)) if s == OBJECT => {}
        Some(Value::String(s)) => return Err(ParseError::WrongObject(s.clone())),
        Some(_) => return Err(ParseError::Envelope("`object` is not a string".into())),
        None => return Err(ParseError::Envelope("`object` is missing".into())),
    }
    let entries = match root.get("entry") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(ParseError::Envelope("`entry` is not an array".into())),
        None => return Err(ParseError::Envelope("`entry` is missing".into())),
    };
    let single = entries.len() == 1
        && entries[0]
            .get("changes")
            .and_then(Value::as_array)
            .is_some_and(|c| c.len() == 1);
    // A delivery that is its one part keeps Meta's bytes as they came.
    let own = single.then_some(body);
    let mut out = Vec::new();
    for (ei, entry) in entries.iter().enumerate() {
        entry_parts(ei, entry, own, &mut out);
    }
    Ok(out)
}

/// Appends the parts of entry `ei`: one per change, or one for the whole entry when the
/// entry itself is malformed (no id, a bad time, no `changes` array). `own`: the
/// delivery's bytes when this entry's one change is the whole delivery (the usual status
/// webhook): its part keeps them, and no copy is rebuilt.
fn entry_parts(ei: usize, entry: &Value, own: Option<&[u8]>, out: &mut Vec<Part>) {
    let whole = |what: &str| Part {
        location: format!("entry[{ei}]"),
        body: own.map_or_else(|| delivery_of(entry), <[u8]>::to_vec),
        events: Err(ParseError::Envelope(format!("entry[{ei}]: {what}"))),
    };
    let Value::Object(fields) = entry else {
        return out.push(whole("not an object"));
    };
    let Some(waba_id) = fields.get("id").and_then(id_text) else {
        return out.push(whole("`id` is missing or not an id"));
    };
    let entry_time = match fields.get("time") {
        None | Some(Value::Null) => None,
        Some(v) => match unix_time(v) {
            Some(t) => Some(t),
            None => return out.push(whole(TIME_RANGE)),
        },
    };
    let Some(changes) = fields.get("changes").and_then(Value::as_array) else {
        return out.push(whole("`changes` is missing or not an array"));
    };
    for (ci, change) in changes.iter().enumerate() {
        let body = own.map_or_else(
            || {
                let mut one = fields.clone();
                one.insert("changes".into(), Value::Array(vec![change.clone()]));
                delivery_of(&Value::Object(one))
            },
            <[u8]>::to_vec,
        );
        out.push(Part {
            location: format!("entry[{ei}].changes[{ci}]"),
            body,
            events: change_part(ei, ci, &waba_id, entry_time, change),
        });
    }
}

/// A delivery holding only `entry`: what a part is kept as.
fn delivery_of(entry: &Value) -> Vec<u8> {
    let v = serde_json::json!({ "object": OBJECT, "entry": [entry] });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// The events of change `ci` of entry `ei`, or its [`ParseError`].
fn change_part(
    ei: usize,
    ci: usize,
    waba_id: &str,
    entry_time: Option<Timestamp>,
    change: &Value,
) -> Result<Vec<MetaEvent>, ParseError> {
    let envelope = |what: &str| ParseError::Envelope(format!("entry[{ei}].changes[{ci}]: {what}"));
    let Value::Object(change) = change else {
        return Err(envelope("not an object"));
    };
    let field = match change.get("field") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(envelope("`field` is missing or not a string")),
    };
    let ctx = Ctx {
        waba_id,
        entry_time,
        field,
        value: change.get("value").unwrap_or(&Value::Null),
    };
    let mut out = Vec::new();
    change_events(&ctx, &mut out).map_err(|problem| ParseError::Change {
        entry: ei,
        change: ci,
        field: field.to_owned(),
        problem,
    })?;
    Ok(out)
}

/// Appends the events of one change; `Err` is the problem, for [`ParseError::Change`].
fn change_events(ctx: &Ctx<'_>, out: &mut Vec<MetaEvent>) -> Result<(), String> {
    let before = out.len();
    match ctx.field {
        FIELD_MESSAGES => messages(ctx, out)?,
        FIELD_TEMPLATE_STATUS => out.push(template_status(ctx)?),
        FIELD_PHONE_QUALITY => out.push(phone_quality(ctx)?),
        FIELD_ACCOUNT_UPDATE => out.push(account_update(ctx)?),
        _ => {}
    }
    if out.len() == before {
        out.push(MetaEvent::Unhandled(Unhandled {
            field: ctx.field.to_owned(),
            waba_id: ctx.waba_id.to_owned(),
            entry_time: ctx.entry_time,
            fingerprint: ctx.fingerprint(),
        }));
    }
    Ok(())
}

/// Deserialises `T` from a borrowed value, naming `what` in the error.
fn from<'a, T: Deserialize<'a>>(v: &'a Value, what: &str) -> Result<T, String> {
    T::deserialize(v).map_err(|e| format!("{what}: {e}"))
}

mod management;
mod messages;
mod statuses;

use management::{account_update, phone_quality, template_status};
use messages::messages;
use statuses::status;

// ---------------------------------------------------------------------------------------
// Value helpers

/// An id as text: Meta sends ids as strings, a few (template ids, some numbers) as JSON
/// integers; integers are kept exactly (serde_json reads them as `u64`/`i64`).
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// The earliest time a Meta payload may carry: the Unix epoch (Meta's times are unsigned).
const MIN_UNIX_SECS: i64 = 0;
/// The first second a Meta payload may not carry: 2100-01-01T00:00:00Z. Later times are
/// not plausible for a message or a status, and past year 9999 they cannot even be
/// written back as RFC 3339 (the stored event would never parse again).
const MAX_UNIX_SECS: i64 = 4_102_444_800;
/// What a time must be, for error texts.
const TIME_RANGE: &str = "`time` is not unix seconds between 1970-01-01 and 2100-01-01 (exclusive)";

/// Unix seconds, as a JSON integer or a string of digits, into a [`Timestamp`]; `None`
/// when it is not a number or outside [`MIN_UNIX_SECS`]..[`MAX_UNIX_SECS`].
fn unix_time(v: &Value) -> Option<Timestamp> {
    let secs = match v {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    if !(MIN_UNIX_SECS..MAX_UNIX_SECS).contains(&secs) {
        return None;
    }
    secs.checked_mul(1000).map(Timestamp)
}

fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    id_text(&v).ok_or_else(|| serde::de::Error::custom(format!("expected an id, got {v}")))
}

fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => id_text(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an id, got {v}"))),
    }
}

fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let v = Value::deserialize(d)?;
    unix_time(&v).ok_or_else(|| serde::de::Error::custom(time_error(&v)))
}

/// The error text of a time that is not plausible unix seconds.
fn time_error(v: &Value) -> String {
    format!("expected unix seconds between 1970-01-01 and 2100-01-01 (exclusive), got {v}")
}

fn de_opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => unix_time(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(time_error(&v))),
    }
}

/// A scalar as text (strings verbatim, numbers and booleans printed); null is `None`.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn de_opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        v => scalar_text(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}"))),
    }
}

/// A string or a list of strings (Meta documents `waba_ban_state` both ways).
fn de_text_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                scalar_text(v)
                    .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}")))
            })
            .collect(),
        v => scalar_text(&v)
            .map(|s| vec![s])
            .ok_or_else(|| serde::de::Error::custom(format!("expected text, got {v}"))),
    }
}

/// Canonical JSON text: object keys sorted, no whitespace, serde_json's escaping and
/// number printing. Independent of serde_json's `preserve_order` feature.
pub(super) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(k) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
