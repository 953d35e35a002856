//! `PhoneE164`: a phone number in E.164 form (`+16135550199`), the address WhatsApp
//! sends to. Stored as its digits in a `NonZeroU64` (8 bytes, no heap; `Option` costs
//! nothing more), shown as `+digits` text in JSON and as a `u64` in bincode.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

/// A phone number in E.164 form: `+`, a country calling code, the national number;
/// 7 to 15 digits in all, the first never `0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneE164(NonZeroU64);

/// Why a text is not (or cannot become) an E.164 number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// The number has no `+` calling code and no country to infer it from.
    #[error("the phone number has no calling code and none can be inferred")]
    MissingCallingCode,
    /// The text is not a phone number (letters, too short, too long, bad calling code …).
    #[error("not a valid phone number")]
    Invalid,
}

const MIN_DIGITS: usize = 7;
const MAX_DIGITS: usize = 15;

impl PhoneE164 {
    /// Parses strict E.164 text: `+` then 7 to 15 digits, the first not `0`.
    ///
    /// # Errors
    /// [`PhoneError::Invalid`] for anything else.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let digits = s.trim().strip_prefix('+').ok_or(PhoneError::Invalid)?;
        Self::from_digits(digits)
    }

    /// Normalises a phone number as people type it (`613-555-0199`, `+1 (613) 555 0199`,
    /// `0044 20 7946 0958`), inferring the calling code from `country` (ISO 3166 alpha-2,
    /// e.g. the customer's default address `country_code`) when the text has none.
    ///
    /// # Errors
    /// [`PhoneError::MissingCallingCode`] when the text has no calling code and `country`
    /// is absent or unknown; [`PhoneError::Invalid`] when it is not a phone number.
    pub fn from_raw(raw: &str, country: Option<&str>) -> Result<Self, PhoneError> {
        let cleaned = clean(raw)?;
        let has_code = cleaned.starts_with('+');
        let country = country
            .map(|c| c.trim().to_ascii_uppercase())
            .and_then(|c| phonenumber::country::Id::from_str(&c).ok());
        if !has_code && country.is_none() {
            return Err(PhoneError::MissingCallingCode);
        }
        let parsed = phonenumber::parse(country, &cleaned).map_err(|e| match e {
            phonenumber::ParseError::InvalidCountryCode if !has_code => {
                PhoneError::MissingCallingCode
            }
            _ => PhoneError::Invalid,
        })?;
        let text = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Self::parse(&text)
    }

    /// The digits as one integer (`16135550199`).
    pub fn digits(self) -> u64 {
        self.0.get()
    }

    fn from_digits(digits: &str) -> Result<Self, PhoneError> {
        let ok = (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if !ok {
            return Err(PhoneError::Invalid);
        }
        let n: u64 = digits.parse().map_err(|_| PhoneError::Invalid)?;
        NonZeroU64::new(n).map(Self).ok_or(PhoneError::Invalid)
    }
}

/// Keeps digits and one leading `+`; drops the usual separators; cuts an extension
/// (`x123`, `ext. 4`); rejects anything else (letters, `#` …). Feeding the phone library
/// only this narrow alphabet also keeps it away from inputs known to upset its parser.
fn clean(raw: &str) -> Result<String, PhoneError> {
    let lower = raw.trim().to_ascii_lowercase();
    let main = lower
        .split(['x', ';'])
        .next()
        .unwrap_or_default()
        .trim_end_matches(['e', 't', '.', ' ']);
    let mut out = String::with_capacity(main.len());
    for (i, c) in main.trim().chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => return Err(PhoneError::Invalid),
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(3..=20).contains(&digits) {
        return Err(PhoneError::Invalid);
    }
    Ok(out)
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl FromStr for PhoneE164 {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for PhoneE164 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u64(self.0.get())
        }
    }
}

impl<'de> Deserialize<'de> for PhoneE164 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = String::deserialize(d)?;
            Self::parse(&s).map_err(serde::de::Error::custom)
        } else {
            let n = u64::deserialize(d)?;
            Self::from_digits(&n.to_string()).map_err(serde::de::Error::custom)
        }
    }
}

/// In the API's JSON: an E.164 number (`+` and digits).
impl utoipa::PartialSchema for PhoneE164 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(None)
            .pattern(Some("^\\+[1-9][0-9]{1,14}$"))
            .into()
    }
}

impl utoipa::ToSchema for PhoneE164 {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn infers_the_calling_code_from_the_country() {
        let p = PhoneE164::from_raw("613-555-0199", Some("CA")).expect("CA number");
        assert_eq!(p.to_string(), "+16135550199");
        let p = PhoneE164::from_raw("020 7946 0958", Some("gb")).expect("GB number");
        assert_eq!(p.to_string(), "+442079460958");
    }

    #[test]
    fn keeps_an_explicit_calling_code() {
        let p = PhoneE164::from_raw("+44 20 7946 0958", Some("CA")).expect("explicit");
        assert_eq!(p.to_string(), "+442079460958");
        let p = PhoneE164::from_raw("+1 (613) 555-0199 ext. 12", None).expect("ext");
        assert_eq!(p.to_string(), "+16135550199");
    }

    #[test]
    fn without_calling_code_or_country_it_is_missing() {
        assert_eq!(
            PhoneE164::from_raw("555-625-1199", None),
            Err(PhoneError::MissingCallingCode)
        );
        assert_eq!(
            PhoneE164::from_raw("555-625-1199", Some("XX")),
            Err(PhoneError::MissingCallingCode)
        );
    }

    #[test]
    fn rejects_what_is_not_a_phone() {
        for bad in ["555-555-SHIP", "", "+", "12", "  2 22#:", "+0123456789"] {
            assert!(PhoneE164::from_raw(bad, Some("US")).is_err(), "{bad}");
        }
        for bad in [
            "16135550199",
            "+123",
            "+1613555019912345",
            "+1 613",
            "+0613555019",
        ] {
            assert!(PhoneE164::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serialises_as_text_in_json_and_integer_in_bincode() {
        let p = PhoneE164::parse("+16135550199").expect("valid");
        let json = serde_json::to_string(&p).expect("json");
        assert_eq!(json, "\"+16135550199\"");
        assert_eq!(serde_json::from_str::<PhoneE164>(&json).expect("back"), p);
        let cfg = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(p, cfg).expect("bincode");
        let (back, _): (PhoneE164, usize) =
            bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
        assert_eq!(back, p);
        assert_eq!(std::mem::size_of::<Option<PhoneE164>>(), 8);
    }

    proptest! {
        #[test]
        fn strict_text_round_trips(d in "[1-9][0-9]{6,14}") {
            let p = PhoneE164::parse(&format!("+{d}")).expect("valid");
            prop_assert_eq!(p.to_string(), format!("+{d}"));
        }

        #[test]
        fn from_raw_never_panics(s in "\\PC{0,30}", c in proptest::option::of("[A-Z]{2}")) {
            let _ = PhoneE164::from_raw(&s, c.as_deref());
        }
    }
}
