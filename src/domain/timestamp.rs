//! `Timestamp`: an instant in UTC milliseconds, parsed from RFC 3339 at the boundary.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC. Compact (8 bytes) for in-memory state and
/// totally ordered, which is what staleness checks compare.
/// Serialises as RFC 3339 text for humans (JSON) and as an `i64` for bincode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_rfc3339())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Timestamp::parse(&s)
                .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 time"))
        } else {
            Ok(Timestamp(i64::deserialize(d)?))
        }
    }
}

impl Timestamp {
    /// The current wall-clock time.
    pub fn now() -> Self {
        Self((OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64)
    }

    /// Parses RFC 3339 (`2021-12-31T19:00:00-05:00`, `2023-03-29T18:00:27.877041743Z`).
    pub fn parse(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
        Some(Self((t.unix_timestamp_nanos() / 1_000_000) as i64))
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// RFC 3339 text in UTC.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// In the API's JSON: an RFC 3339 time.
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
                utoipa::openapi::schema::KnownFormat::DateTime,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_nanos() {
        let a = Timestamp::parse("2021-12-31T19:00:00-05:00").expect("rfc3339");
        let b = Timestamp::parse("2022-01-01T00:00:00Z").expect("rfc3339");
        assert_eq!(a, b);
        let c = Timestamp::parse("2023-03-29T18:00:27.877041743Z").expect("nanos");
        assert_eq!(c.millis() % 1000, 877);
        assert!(Timestamp::parse("yesterday").is_none());
        assert_eq!(b.to_rfc3339(), "2022-01-01T00:00:00Z");
    }
}
