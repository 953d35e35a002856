//! `Money`: a decimal amount as an integer count of 1/1000 units, parsed from Shopify's
//! decimal strings ("404.95"). Integer arithmetic keeps sums exact; three decimals cover
//! every ISO 4217 currency.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in thousandths of the currency unit (404.95 → 404950).
/// Serialises as a decimal string for humans (JSON) and as an `i64` for bincode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_string())
        } else {
            s.serialize_i64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Money::parse(&s).ok_or_else(|| serde::de::Error::custom("expected a decimal amount"))
        } else {
            Ok(Money(i64::deserialize(d)?))
        }
    }
}

/// In the API's JSON: a decimal string ("404.95").
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^-?[0-9]+(\\.[0-9]{1,3})?$"))
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// Parses "12", "12.5", "-3.999". More than three decimals, or anything else, is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (neg, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() || frac.len() > 3 {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int: i64 = int.parse().ok()?;
        let mut f: i64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..3 {
            f *= 10;
        }
        let v = int.checked_mul(1000)?.checked_add(f)?;
        Some(Money(if neg { -v } else { v }))
    }

    /// Adds without overflow (saturating).
    pub fn plus(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// Subtracts without overflow (saturating).
    pub fn minus(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// Divides by a count, rounded half away from zero to a hundredth (averages are shown
    /// to shoppers and merchants in cents); zero count gives zero.
    pub fn div_by(self, n: u64) -> Money {
        if n == 0 {
            return Money::ZERO;
        }
        let n = i128::from(n) * 10;
        let v = i128::from(self.0);
        let q = if v >= 0 {
            (v + n / 2) / n
        } else {
            (v - n / 2) / n
        };
        Money(i64::try_from(q * 10).unwrap_or(i64::MAX))
    }
}

impl fmt::Display for Money {
    /// Two decimals unless the third is needed: "404.95", "1.005".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (int, frac) = (a / 1000, a % 1000);
        if frac % 10 == 0 {
            write!(f, "{sign}{int}.{:02}", frac / 10)
        } else {
            write!(f, "{sign}{int}.{frac:03}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Money::parse("404.95"), Some(Money(404_950)));
        assert_eq!(Money::parse("0"), Some(Money(0)));
        assert_eq!(Money::parse("-3.999"), Some(Money(-3_999)));
        assert_eq!(Money::parse("1.2345"), None);
        assert_eq!(Money::parse("abc"), None);
        assert_eq!(Money::parse(".5"), None);
        assert_eq!(Money(404_950).to_string(), "404.95");
        assert_eq!(Money(1_005).to_string(), "1.005");
        assert_eq!(Money(488_890).div_by(3).to_string(), "162.96");
        assert_eq!(Money(1_000).div_by(3).to_string(), "0.33");
        assert_eq!(Money(2_000).div_by(3).to_string(), "0.67");
        assert_eq!(Money(-2_000).div_by(3).to_string(), "-0.67");
        assert_eq!(Money(5).div_by(0), Money::ZERO);
    }

    proptest! {
        #[test]
        fn display_round_trips(v in -1_000_000_000i64..1_000_000_000) {
            prop_assert_eq!(Money::parse(&Money(v).to_string()), Some(Money(v)));
        }
    }
}
