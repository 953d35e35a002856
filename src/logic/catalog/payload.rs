//! Serde DTOs for the catalog webhook bodies (REST-shaped JSON: `products/*`,
//! `collections/*`, `variants/*`), and the lenient field parsers they need.
//!
//! Every field is optional so that a payload narrowed with `include_fields` still parses;
//! the logic decides what a missing field means. Ids are read as `u64` (or a digit string,
//! or a `gid://shopify/...` string), never through a float.

use crate::domain::ids::{checked_id, gid_number};
use crate::domain::{parse_gid, Money, ShopifyId, Timestamp};
use crate::logic::{ApplyError, Delivery};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Parses the delivery body as `T`; any serde failure is [`ApplyError::Malformed`].
pub(super) fn parse<'a, T: Deserialize<'a>>(d: &Delivery<'a>) -> Result<T, ApplyError> {
    serde_json::from_slice(d.body).map_err(|e| ApplyError::malformed(d.topic, e))
}

/// The id of a record: `id`, else the numeric part of `admin_graphql_api_id`.
pub(super) fn record_id(id: Option<ShopifyId>, gid: Option<&str>) -> Option<ShopifyId> {
    id.or_else(|| gid.and_then(|g| parse_gid(g, None)))
}

/// `products/create`, `products/update` (and the id of `products/delete`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ProductDto {
    #[serde(deserialize_with = "de_id")]
    pub id: Option<ShopifyId>,
    pub admin_graphql_api_id: Option<Box<str>>,
    pub title: Option<Box<str>>,
    pub handle: Option<Box<str>>,
    pub vendor: Option<Box<str>>,
    pub product_type: Option<Box<str>>,
    /// Comma-separated string in webhooks; a list is accepted too.
    #[serde(deserialize_with = "de_tags")]
    pub tags: Option<Vec<Box<str>>>,
    pub status: Option<Box<str>>,
    /// Outer `None`: key absent (keep what is stored); `Some(None)`: unpublished.
    #[serde(deserialize_with = "de_present")]
    pub published_at: Option<Option<Timestamp>>,
    pub updated_at: Option<Timestamp>,
    pub options: Option<Vec<OptionDto>>,
    pub images: Option<Vec<ImageDto>>,
    /// Outer `None`: key absent; `Some(None)`: no featured image.
    #[serde(deserialize_with = "de_present")]
    pub image: Option<Option<ImageDto>>,
    /// The first 100 variants, in full.
    pub variants: Option<Vec<VariantDto>>,
    /// Every variant's gid and `updated_at` (newest first), even beyond the first 100.
    pub variant_gids: Option<Vec<VariantGidDto>>,
    /// The product's collections: set only by the Admin import
    /// (`logic::shopify::import::COLLECTIONS_FIELD`); Shopify's webhooks never carry it.
    pub galantis_collections: Option<Vec<ShopifyId>>,
}

/// One entry of a product's `options`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct OptionDto {
    pub name: Option<Box<str>>,
    pub position: Option<u32>,
}

/// One product image (`images[]`, `image`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ImageDto {
    #[serde(deserialize_with = "de_id")]
    pub id: Option<ShopifyId>,
    pub admin_graphql_api_id: Option<Box<str>>,
    pub src: Option<Box<str>>,
    pub position: Option<u32>,
    pub alt: Option<Box<str>>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// One variant, inside a product payload or as the whole `variants/*` body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VariantDto {
    #[serde(deserialize_with = "de_id")]
    pub id: Option<ShopifyId>,
    pub admin_graphql_api_id: Option<Box<str>>,
    #[serde(deserialize_with = "de_id")]
    pub product_id: Option<ShopifyId>,
    pub title: Option<Box<str>>,
    #[serde(deserialize_with = "de_money")]
    pub price: Option<Money>,
    #[serde(deserialize_with = "de_money")]
    pub compare_at_price: Option<Money>,
    pub sku: Option<Box<str>>,
    pub option1: Option<Box<str>>,
    pub option2: Option<Box<str>>,
    pub option3: Option<Box<str>>,
    #[serde(deserialize_with = "de_id")]
    pub image_id: Option<ShopifyId>,
    pub inventory_quantity: Option<i64>,
    pub position: Option<u32>,
    pub updated_at: Option<Timestamp>,
}

impl VariantDto {
    /// The variant id (`id`, else from the gid).
    pub fn variant_id(&self) -> Option<ShopifyId> {
        record_id(self.id, self.admin_graphql_api_id.as_deref())
    }
}

/// One entry of a product's `variant_gids`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct VariantGidDto {
    pub admin_graphql_api_id: Option<Box<str>>,
    pub updated_at: Option<Timestamp>,
}

/// `collections/create`, `collections/update`, `collections/delete`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CollectionDto {
    #[serde(deserialize_with = "de_id")]
    pub id: Option<ShopifyId>,
    pub admin_graphql_api_id: Option<Box<str>>,
    pub handle: Option<Box<str>>,
    pub title: Option<Box<str>>,
    pub updated_at: Option<Timestamp>,
    #[serde(deserialize_with = "de_present")]
    pub published_at: Option<Option<Timestamp>>,
    #[serde(deserialize_with = "de_present")]
    pub sort_order: Option<Option<Box<str>>>,
}

/// Distinguishes an absent key (`None`, via `#[serde(default)]`) from `null` (`Some(None)`).
fn de_present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An id as a JSON integer, a digit string or a gid; `null` or `""` is `None`.
fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ShopifyId>, D::Error> {
    struct IdVisitor;
    impl<'de> Visitor<'de> for IdVisitor {
        type Value = Option<ShopifyId>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a Shopify id (unsigned integer, digit string or gid)")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            checked_id(v).map(Some).map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom("negative id"))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            let n = v.parse::<u64>().ok().or_else(|| gid_number(v, None));
            let n = n.ok_or_else(|| E::custom(format!("not an id: {v:?}")))?;
            self.visit_u64(n)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(IdVisitor)
}

/// A decimal amount as a string (`"19.99"`) or a number; `null` or `""` is `None`.
fn de_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Money>, D::Error> {
    struct MoneyVisitor;
    impl<'de> Visitor<'de> for MoneyVisitor {
        type Value = Option<Money>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a decimal amount")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            Money::parse(v)
                .map(Some)
                .ok_or_else(|| E::custom(format!("not an amount: {v:?}")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .ok()
                .and_then(|v| v.checked_mul(1000))
                .map(|m| Some(Money(m)))
                .ok_or_else(|| E::custom("amount out of range"))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            v.checked_mul(1000)
                .map(|m| Some(Money(m)))
                .ok_or_else(|| E::custom("amount out of range"))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            let m = (v * 1000.0).round();
            if m.is_finite() && m.abs() < 9.0e15 {
                Ok(Some(Money(m as i64)))
            } else {
                Err(E::custom("amount out of range"))
            }
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(MoneyVisitor)
}

/// Tags as Shopify's comma-separated string or a list; trimmed, empties dropped.
/// `null` is an empty list.
fn de_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Box<str>>>, D::Error> {
    struct TagsVisitor;
    impl<'de> Visitor<'de> for TagsVisitor {
        type Value = Option<Vec<Box<str>>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a comma-separated string or a list of tags")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(split_tags(v)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut tags = Vec::new();
            while let Some(t) = seq.next_element::<Box<str>>()? {
                tags.extend(split_tags(&t));
            }
            Ok(Some(tags))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Some(Vec::new()))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Some(Vec::new()))
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(TagsVisitor)
}

/// `"example, mens, t-shirt"` → `["example", "mens", "t-shirt"]`.
pub(super) fn split_tags(s: &str) -> Vec<Box<str>> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Box::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_exactly_from_numbers_strings_and_gids() {
        let v: VariantDto =
            serde_json::from_str(r#"{"id": 9223372036854775807, "product_id": "gid://shopify/Product/9007199254740993"}"#)
                .expect("parses");
        assert_eq!(v.id, Some((1 << 63) - 1));
        assert_eq!(v.product_id, Some(9_007_199_254_740_993));
        let v: VariantDto =
            serde_json::from_str(r#"{"id": "42", "image_id": null}"#).expect("parses");
        assert_eq!(v.id, Some(42));
        assert_eq!(v.image_id, None);
        assert!(serde_json::from_str::<VariantDto>(r#"{"id": 1.5}"#).is_err());
        assert!(serde_json::from_str::<VariantDto>(r#"{"id": -1}"#).is_err());
        // Shopify ids are below 2^63 (see `SHOPIFY_ID_LIMIT`); above is not a Shopify id.
        for bad in [
            r#"{"id": 18446744073709551615}"#,
            r#"{"id": "9223372036854775808"}"#,
            r#"{"product_id": "gid://shopify/Product/9223372036854775808"}"#,
        ] {
            let e = serde_json::from_str::<VariantDto>(bad).expect_err(bad);
            assert!(e.to_string().contains("2^63"), "{bad}: {e}");
        }
    }

    #[test]
    fn money_accepts_strings_and_numbers() {
        let v: VariantDto =
            serde_json::from_str(r#"{"price": "19.99", "compare_at_price": ""}"#).expect("parses");
        assert_eq!(v.price, Some(Money(19_990)));
        assert_eq!(v.compare_at_price, None);
        let v: VariantDto =
            serde_json::from_str(r#"{"price": 19.99, "compare_at_price": 25}"#).expect("parses");
        assert_eq!(v.price, Some(Money(19_990)));
        assert_eq!(v.compare_at_price, Some(Money(25_000)));
        assert!(serde_json::from_str::<VariantDto>(r#"{"price": "cheap"}"#).is_err());
    }

    #[test]
    fn tags_split_trim_and_drop_empties() {
        let p: ProductDto = serde_json::from_str(r#"{"tags": " a, b ,,c ,"}"#).expect("parses");
        assert_eq!(
            p.tags,
            Some(vec![Box::from("a"), Box::from("b"), Box::from("c")])
        );
        let p: ProductDto = serde_json::from_str(r#"{"tags": ["x", " y "]}"#).expect("parses");
        assert_eq!(p.tags, Some(vec![Box::from("x"), Box::from("y")]));
        let p: ProductDto = serde_json::from_str(r#"{"tags": null}"#).expect("parses");
        assert_eq!(p.tags, Some(vec![]));
        let p: ProductDto = serde_json::from_str(r#"{}"#).expect("parses");
        assert_eq!(p.tags, None);
    }

    #[test]
    fn absent_and_null_are_told_apart() {
        let p: ProductDto = serde_json::from_str(r#"{"published_at": null}"#).expect("parses");
        assert_eq!(p.published_at, Some(None));
        let p: ProductDto = serde_json::from_str(r#"{}"#).expect("parses");
        assert_eq!(p.published_at, None);
    }
}
