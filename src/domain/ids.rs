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
