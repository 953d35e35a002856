//! Shopify numeric ids, from plain integers or `gid://shopify/{Type}/{id}` strings.
//! Ids exceed 2^53, so they are `u64` end to end and never pass through a float.

/// A Shopify resource id (customer, order, product, variant, collection …).
pub type ShopifyId = u64;

/// Shopify ids are positive 64-bit *signed* integers in Shopify's systems, so every one is
/// below 2^63. The engine relies on that: ids from 2^63 up are its own (contacts of
/// people who wrote on WhatsApp and are no Shopify customer), and a payload claiming one
/// is refused, never applied over such a contact.
pub const SHOPIFY_ID_LIMIT: u64 = 1 << 63;

/// An id that Shopify cannot have issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "id {0} is not a Shopify id: Shopify ids are below 2^63, the ids above are the engine's own"
)]
pub struct NotAShopifyId(pub u64);

/// `id` when Shopify could have issued it (below [`SHOPIFY_ID_LIMIT`]).
///
/// # Errors
/// [`NotAShopifyId`] from 2^63 up.
pub fn checked_id(id: u64) -> Result<ShopifyId, NotAShopifyId> {
    if id < SHOPIFY_ID_LIMIT {
        Ok(id)
    } else {
        Err(NotAShopifyId(id))
    }
}

/// Parses `gid://shopify/{kind}/{id}` (any kind when `kind` is `None`) into the numeric id.
/// Query strings such as `?foo=bar` after the id are ignored. `None` too for an id of
/// 2^63 or more, which Shopify cannot have issued ([`SHOPIFY_ID_LIMIT`]).
pub fn parse_gid(gid: &str, kind: Option<&str>) -> Option<ShopifyId> {
    checked_id(gid_number(gid, kind)?).ok()
}

/// The number of a `gid://shopify/{kind}/{id}`, unchecked: any `u64` (for error texts
/// that name an id at or above [`SHOPIFY_ID_LIMIT`]; use [`parse_gid`] otherwise).
pub fn gid_number(gid: &str, kind: Option<&str>) -> Option<u64> {
    let rest = gid.strip_prefix("gid://shopify/")?;
    let (k, id) = rest.split_once('/')?;
    if let Some(want) = kind {
        if k != want {
            return None;
        }
    }
    let id = id.split('?').next()?;
    id.parse().ok()
}

/// Serde for ids in JSON as decimal strings (`"7064055069303700840"`), as Shopify's own
/// GraphQL API serves them: numbers above 2^53 lose precision in JavaScript clients. On
/// input both forms are accepted (a string of digits or a JSON integer). Formats that are
/// not human-readable (bincode, the store) keep the plain `u64`, so stored records are
/// unchanged. Use with `#[serde(with = "crate::domain::ids::as_string")]`.
pub mod as_string {
    use serde::{de, Deserializer, Serializer};
    use std::fmt;

    /// Writes `id` as a string in JSON, as a `u64` elsewhere.
    pub fn serialize<S: Serializer>(id: &u64, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(id)
        } else {
            s.serialize_u64(*id)
        }
    }

    /// Reads a string of digits or an integer (JSON), a `u64` elsewhere.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(IdVisitor)
        } else {
            d.deserialize_u64(IdVisitor)
        }
    }

    struct IdVisitor;

    impl de::Visitor<'_> for IdVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an id: a string of digits or a non-negative integer")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("id {v} is negative")))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom(format!("id {v:?} is not a string of digits")));
            }
            v.parse()
                .map_err(|_| E::custom(format!("id {v} is larger than 2^64 - 1")))
        }
    }

    /// The same for `Option<u64>` (`null` stays `null`).
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(serde::Deserialize)]
        struct Id(#[serde(with = "super")] u64);

        /// Writes `Some(id)` as [`super::serialize`] does, `None` as null.
        pub fn serialize<S: Serializer>(id: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
            match id {
                Some(id) => s.serialize_some(&Wrap(*id)),
                None => s.serialize_none(),
            }
        }

        /// Reads null or an id.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            Ok(Option::<Id>::deserialize(d)?.map(|Id(id)| id))
        }

        struct Wrap(u64);

        impl serde::Serialize for Wrap {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize(&self.0, s)
            }
        }
    }

    /// The same for a list of ids.
    pub mod vec {
        use serde::{Deserialize, Deserializer, Serializer};

        #[derive(serde::Deserialize)]
        struct Id(#[serde(with = "super")] u64);

        struct Wrap(u64);

        impl serde::Serialize for Wrap {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                super::serialize(&self.0, s)
            }
        }

        /// Writes each id as [`super::serialize`] does.
        pub fn serialize<S: Serializer>(ids: &[u64], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(ids.iter().map(|id| Wrap(*id)))
        }

        /// Reads a list of ids.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
            Ok(Vec::<Id>::deserialize(d)?
                .into_iter()
                .map(|Id(id)| id)
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_big_ids_exactly() {
        assert_eq!(
            parse_gid(
                "gid://shopify/Customer/706405506930370084",
                Some("Customer")
            ),
            Some(706405506930370084)
        );
        assert_eq!(parse_gid("gid://shopify/Order/1", Some("Customer")), None);
        assert_eq!(parse_gid("gid://shopify/Order/x", None), None);
        assert_eq!(parse_gid("Order/1", None), None);
    }

    #[test]
    fn ids_are_strings_in_json_and_u64_in_the_store() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct R {
            #[serde(with = "as_string")]
            id: u64,
            #[serde(with = "as_string::option", default)]
            other: Option<u64>,
            #[serde(with = "as_string::vec", default)]
            list: Vec<u64>,
        }
        let r = R {
            id: u64::MAX,
            other: Some(1 << 53 | 1),
            list: vec![7],
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"id":"18446744073709551615","other":"9007199254740993","list":["7"]}"#
        );
        assert_eq!(serde_json::from_str::<R>(&json).unwrap(), r);
        let numbers: R =
            serde_json::from_str(r#"{"id":18446744073709551615,"other":null,"list":[7]}"#).unwrap();
        assert_eq!(numbers.id, u64::MAX);
        assert_eq!(numbers.other, None);
        let missing: R = serde_json::from_str(r#"{"id":"1"}"#).unwrap();
        assert_eq!(missing.other, None);
        for bad in [
            r#"{"id":"-1"}"#,
            r#"{"id":-1}"#,
            r#"{"id":"1e3"}"#,
            r#"{"id":""}"#,
            r#"{"id":1.5}"#,
        ] {
            assert!(serde_json::from_str::<R>(bad).is_err(), "{bad}");
        }
        let stored = bincode::serde::encode_to_vec(&r, bincode::config::standard()).unwrap();
        #[derive(serde::Serialize)]
        struct Plain {
            id: u64,
            other: Option<u64>,
            list: Vec<u64>,
        }
        let plain = Plain {
            id: r.id,
            other: r.other,
            list: r.list.clone(),
        };
        assert_eq!(
            stored,
            bincode::serde::encode_to_vec(&plain, bincode::config::standard()).unwrap()
        );
        let (back, _): (R, usize) =
            bincode::serde::decode_from_slice(&stored, bincode::config::standard()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn ids_from_2_pow_63_up_are_not_shopify_ids() {
        assert_eq!(checked_id((1 << 63) - 1), Ok((1 << 63) - 1));
        assert_eq!(checked_id(1 << 63), Err(NotAShopifyId(1 << 63)));
        assert!(checked_id(u64::MAX).is_err());
        assert_eq!(
            parse_gid("gid://shopify/Customer/9223372036854775808", None),
            None
        );
        assert!(NotAShopifyId(1 << 63).to_string().contains("2^63"));
    }
}
