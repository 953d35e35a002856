//! Shopify numeric ids, from plain integers or `gid://shopify/{Type}/{id}` strings.
//! Ids exceed 2^53, so they are `u64` end to end and never pass through a float.

/// A Shopify resource id (customer, order, product, variant, collection …).
pub type ShopifyId = u64;

/// Parses `gid://shopify/{kind}/{id}` (any kind when `kind` is `None`) into the numeric id.
/// Query strings such as `?foo=bar` after the id are ignored.
pub fn parse_gid(gid: &str, kind: Option<&str>) -> Option<ShopifyId> {
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
}
