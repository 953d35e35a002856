//! `ShopDomain`: a validated `{name}.myshopify.com` domain, the tenant key.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A shop's permanent domain, lower-cased: `{name}.myshopify.com` where `name`
/// is 1 to 60 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopDomain(String);

/// Why a string is not a shop domain.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a shop domain: expected `{{name}}.myshopify.com` with a-z, 0-9 and '-'")]
pub struct InvalidShopDomain(pub String);

const SUFFIX: &str = ".myshopify.com";

impl ShopDomain {
    /// Parses and normalises (trims, lower-cases) a shop domain.
    ///
    /// # Errors
    /// [`InvalidShopDomain`] when the text is not `{name}.myshopify.com`.
    pub fn parse(raw: &str) -> Result<Self, InvalidShopDomain> {
        let s = raw.trim().to_ascii_lowercase();
        let name = s
            .strip_suffix(SUFFIX)
            .ok_or_else(|| InvalidShopDomain(raw.to_string()))?;
        let ok = !name.is_empty()
            && name.len() <= 60
            && !name.starts_with('-')
            && !name.ends_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(s))
        } else {
            Err(InvalidShopDomain(raw.to_string()))
        }
    }

    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShopDomain {
    type Error = InvalidShopDomain;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ShopDomain> for String {
    fn from(value: ShopDomain) -> Self {
        value.0
    }
}

/// A read-only view of the domain as text, so a `&ShopDomain` goes wherever a `&str` key
/// is taken (the store, logs) without giving up the type where the shop travels.
impl std::ops::Deref for ShopDomain {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Lets maps keyed by `ShopDomain` be looked up with a `&str` (hash and equality are the
/// inner string's).
impl std::borrow::Borrow<str> for ShopDomain {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_bad_domains() {
        for bad in [
            "",
            "shop",
            ".myshopify.com",
            "-a.myshopify.com",
            "a-.myshopify.com",
            "a_b.myshopify.com",
            "shop.example.com",
            "a.b.myshopify.com",
        ] {
            assert!(ShopDomain::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn normalises_case_and_space() {
        let d = ShopDomain::parse(" Demo-Store.MyShopify.com ").expect("valid");
        assert_eq!(d.as_str(), "demo-store.myshopify.com");
    }

    proptest! {
        #[test]
        fn accepts_valid_names(name in "[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?") {
            let d = ShopDomain::parse(&format!("{name}.myshopify.com"));
            prop_assert!(d.is_ok());
        }
    }
}
