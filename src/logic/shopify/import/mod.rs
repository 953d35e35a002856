//! Turning the rows of a bulk operation's JSONL into deliveries the webhook logic applies:
//! a customer row becomes a `customers/update` body (and, when its phone carries SMS
//! marketing consent, a `customers_marketing_consent/update` body), in the REST shape the
//! webhooks use. Going through the same logic keeps its rules: a webhook newer than the
//! imported row wins (per-record `updated_at`), and a deleted customer is never brought
//! back (tombstones). Pure.

mod catalog;
mod orders;

pub use catalog::{collection_row, product_deliveries, product_group};
pub use orders::{order_deliveries, order_group};

use serde_json::{json, Value};

/// Why a row cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The line is not JSON.
    #[error("line {0} is not JSON")]
    NotJson(u64),
    /// The row has no usable `id`.
    #[error("line {0} has no `gid://shopify/{1}/…` id")]
    NoId(u64, &'static str),
}

/// The webhook-id prefix of the initial import's deliveries.
pub const IMPORT_PREFIX: &str = "import:";

/// Whether a delivery's webhook id is a row of the initial import: its events are the
/// store's history and start no flow run (`domain::events::HISTORY`). Reconciliation and
/// the checkout poll repair what is happening now and are not history.
pub fn is_history(webhook_id: &str) -> bool {
    webhook_id.starts_with(IMPORT_PREFIX)
}

/// A root row of a bulk file and its children (the rows whose `__parentId` is the root's
/// id), joined: the unit the products and orders imports apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    /// The root row.
    pub parent: Value,
    /// Its children, in file order.
    pub children: Vec<Value>,
}

impl Group {
    /// The children whose id is a `gid://shopify/{kind}/…`.
    pub fn children_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.children.iter().filter(move |c| {
            c["id"]
                .as_str()
                .is_some_and(|g| gid_number(g, kind).is_some())
        })
    }
}

impl Group {
    /// A query's node with its nested connections (`{"edges": [{"node": …}]}`) as a
    /// group: the node without them, and their nodes as children (reconciliation reads
    /// records whole, the bulk file in lines; both are mapped the same way).
    pub fn of_node(node: &Value) -> Group {
        let mut parent = node.clone();
        let mut children = Vec::new();
        if let Value::Object(fields) = &mut parent {
            let nested: Vec<String> = fields
                .iter()
                .filter(|(_, v)| v.get("edges").is_some())
                .map(|(k, _)| k.clone())
                .collect();
            for k in nested {
                let edges = fields
                    .remove(&k)
                    .and_then(|mut c| c.get_mut("edges").map(Value::take));
                for e in edges
                    .and_then(|e| e.as_array().cloned())
                    .unwrap_or_default()
                {
                    children.push(e.get("node").cloned().unwrap_or(Value::Null));
                }
            }
        }
        Group { parent, children }
    }
}

/// What a bulk line is: a root row (its own id) or a child (its parent's id). Both are
/// numbers of gids; `None` when the line is not JSON or has neither.
pub fn line_owner(text: &str) -> Option<(u64, bool)> {
    let row: Value = serde_json::from_str(text).ok()?;
    if let Some(p) = row["__parentId"].as_str() {
        return gid_tail(p).map(|n| (n, true));
    }
    row["id"].as_str().and_then(gid_tail).map(|n| (n, false))
}

/// The number at the end of any `gid://shopify/{Type}/{n}`.
fn gid_tail(gid: &str) -> Option<u64> {
    let rest = gid.strip_prefix("gid://shopify/")?;
    rest.split('?').next()?.rsplit('/').next()?.parse().ok()
}

/// One delivery made from a row: topic, a webhook id stable for the row (so a resumed
/// import deduplicates), the body.
#[derive(Clone, Debug, PartialEq)]
pub struct RowDelivery {
    /// Shopify topic name.
    pub topic: &'static str,
    /// Stable id.
    pub webhook_id: String,
    /// REST-shaped body.
    pub body: Value,
}

/// The numeric id of `gid://shopify/{kind}/{n}`.
pub fn gid_number(gid: &str, kind: &str) -> Option<u64> {
    gid.strip_prefix("gid://shopify/")?
        .strip_prefix(kind)?
        .strip_prefix('/')?
        .split('?')
        .next()?
        .parse()
        .ok()
}

/// A GraphQL `tags` list as the REST webhooks carry it: one comma-separated string.
fn tags_text(v: &Value) -> String {
    v.as_array()
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// A GraphQL enum value as the REST webhooks spell it (lower case).
fn lower(v: &Value) -> Value {
    v.as_str()
        .map_or(Value::Null, |s| Value::String(s.to_ascii_lowercase()))
}

/// The deliveries of a `customers` bulk row (`line` for errors, `op` the operation's
/// number for the webhook ids). Child rows (`__parentId`) give none: the customers query
/// has no nested connection.
///
/// # Errors
/// [`ImportError`].
pub fn customer_row(line: u64, op: u64, text: &str) -> Result<Vec<RowDelivery>, ImportError> {
    let row: Value = serde_json::from_str(text).map_err(|_| ImportError::NotJson(line))?;
    if row.get("__parentId").is_some() {
        return Ok(Vec::new());
    }
    customer_deliveries(&format!("{IMPORT_PREFIX}{op}"), &row)
        .ok_or(ImportError::NoId(line, "Customer"))
}

/// The deliveries of one customer node (a bulk row or a query's node), their webhook ids
/// prefixed with `origin` (`import:{op}`, `reconcile`); `None` without a customer id.
pub fn customer_deliveries(origin: &str, row: &Value) -> Option<Vec<RowDelivery>> {
    let gid = row["id"].as_str().unwrap_or_default();
    let id = gid_number(gid, "Customer")?;
    let updated = row["updatedAt"].clone();
    let tags = tags_text(&row["tags"]);
    let phone = row["defaultPhoneNumber"]["phoneNumber"].clone();
    let customer = json!({
        "id": id,
        "admin_graphql_api_id": gid,
        "created_at": row["createdAt"],
        "updated_at": updated,
        "first_name": row["firstName"],
        "last_name": row["lastName"],
        "email": row["defaultEmailAddress"]["emailAddress"],
        "phone": phone,
        "state": lower(&row["state"]),
        "locale": row["locale"],
        "tags": tags,
        "default_address": row["defaultAddress"].as_object().map(|a| json!({"country_code": a.get("countryCodeV2"), "province_code": a.get("provinceCode")})),
    });
    let stamp = updated.as_str().unwrap_or_default().to_string();
    let mut out = vec![RowDelivery {
        topic: "customers/update",
        webhook_id: format!("{origin}:customer:{id}:{stamp}"),
        body: customer,
    }];
    let p = &row["defaultPhoneNumber"];
    if p["marketingState"].is_string() {
        out.push(RowDelivery {
            topic: "customers_marketing_consent/update",
            webhook_id: format!("{origin}:sms_consent:{id}:{stamp}"),
            body: json!({"id": id, "phone": phone, "sms_marketing_consent": {
                "state": lower(&p["marketingState"]),
                "opt_in_level": lower(&p["marketingOptInLevel"]),
                "consent_updated_at": p["marketingUpdatedAt"],
                "consent_collected_from": lower(&p["marketingCollectedFrom"]),
            }}),
        });
    }
    Some(out)
}

/// The body field that marks a checkout as brought by the poll, not by a webhook
/// (Shopify never sends it): the customer logic lets a polled version replace a stored
/// one only when it is strictly newer, and keeps what the poll cannot know.
pub const POLLED_MARK: &str = "galantis_source";

/// The `checkouts/update` delivery of an `abandonedCheckouts` node (the 10-minute poll):
/// the checkout's id is the `AbandonedCheckout` gid's number (the id the `checkouts/*`
/// webhooks carry), the phone and e-mail the customer's, the webhook id
/// `poll:checkout:<id>:<updatedAt>` (the same version polled twice is deduplicated).
///
/// What the GraphQL object cannot tell: it has no `token` and no `cart_token`. The token
/// is read from the recovery URL (`…/checkouts/[ac/]<token>/recover?key=…`, the shape of
/// Shopify's `abandoned_checkout_url`), so an order carrying that `checkout_token` still
/// ends the run; when the URL has another shape the token stays unknown and a purchase
/// ends the run through the flow's `exit_on_order` (or a `checkouts/update` with
/// `completed_at`) only. Line prices, `cart_token` and addresses are not read (a
/// webhook of the same version replaces the polled one; a later poll keeps the token,
/// cart token and e-mail already stored). The total is the presentment money, as in the
/// webhooks.
/// `None` without an id.
pub fn checkout_delivery(node: &Value) -> Option<RowDelivery> {
    let id = gid_number(node["id"].as_str()?, "AbandonedCheckout")?;
    let c = &node["customer"];
    let customer = c["id"].as_str().and_then(|g| gid_number(g, "Customer"));
    let lines: Vec<Value> = node["lineItems"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            json!({
                "product_id": l["product"]["id"].as_str().and_then(|g| gid_number(g, "Product")),
                "variant_id": l["variant"]["id"].as_str().and_then(|g| gid_number(g, "ProductVariant")),
                "title": l["title"], "quantity": l["quantity"], "sku": l["sku"],
            })
        })
        .collect();
    // The webhooks' `total_price` is in the buyer's (presentment) currency.
    let set = &node["totalPriceSet"];
    let money = if set["presentmentMoney"]["amount"].is_string() {
        &set["presentmentMoney"]
    } else {
        &set["shopMoney"]
    };
    let updated = node["updatedAt"].as_str().unwrap_or_default().to_string();
    let body = json!({
        "id": id,
        "name": node["name"],
        "email": c["defaultEmailAddress"]["emailAddress"],
        "phone": c["defaultPhoneNumber"]["phoneNumber"],
        "customer": customer.map(|cid| json!({"id": cid, "first_name": c["firstName"], "last_name": c["lastName"],
            "phone": c["defaultPhoneNumber"]["phoneNumber"]})),
        "line_items": lines,
        "total_price": money["amount"],
        "currency": money["currencyCode"],
        "abandoned_checkout_url": node["abandonedCheckoutUrl"],
        "token": node["abandonedCheckoutUrl"].as_str().and_then(recovery_token),
        "completed_at": node["completedAt"],
        "created_at": node["createdAt"],
        "updated_at": updated,
        POLLED_MARK: "poll",
    });
    Some(RowDelivery {
        topic: "checkouts/update",
        webhook_id: format!("poll:checkout:{id}:{updated}"),
        body,
    })
}

/// The checkout token in a recovery URL: the path segment before `/recover`, after
/// `/checkouts/` (Shopify's sample `…/548380009/checkouts/123123123/recover?key=…` has
/// the token `123123123` there; newer stores put `ac/` before it).
fn recovery_token(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let (_, tail) = path.split_once("/checkouts/")?;
    let token = tail.strip_suffix("/recover")?.rsplit('/').next()?;
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_row_becomes_the_webhook_shapes_the_logic_reads() {
        let row = r#"{"id":"gid://shopify/Customer/42","firstName":"Ana","lastName":"Ruiz","state":"ENABLED",
            "locale":"es","tags":["vip","newsletter"],"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-02-01T00:00:00Z",
            "defaultEmailAddress":{"emailAddress":"ana@example.com"},
            "defaultPhoneNumber":{"phoneNumber":"+34600111222","marketingState":"SUBSCRIBED","marketingOptInLevel":"SINGLE_OPT_IN",
              "marketingUpdatedAt":"2026-01-15T00:00:00Z","marketingCollectedFrom":"SHOPIFY"},
            "defaultAddress":{"countryCodeV2":"ES","provinceCode":"M"}}"#;
        let d = customer_row(1, 7, row).expect("row");
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].topic, "customers/update");
        assert_eq!(d[0].webhook_id, "import:7:customer:42:2026-02-01T00:00:00Z");
        let c = &d[0].body;
        assert_eq!(
            (c["id"].as_u64(), c["tags"].as_str(), c["state"].as_str()),
            (Some(42), Some("vip, newsletter"), Some("enabled"))
        );
        assert_eq!(c["default_address"]["country_code"], "ES");
        assert_eq!(c["default_address"]["province_code"], "M");
        assert_eq!(c["phone"], "+34600111222");
        let s = &d[1].body["sms_marketing_consent"];
        assert_eq!(
            (s["state"].as_str(), s["consent_collected_from"].as_str()),
            (Some("subscribed"), Some("shopify"))
        );
    }

    #[test]
    fn a_polled_abandoned_checkout_becomes_a_checkout_update() {
        let node: Value = serde_json::from_str(r##"{"id":"gid://shopify/AbandonedCheckout/77","name":"#77",
            "createdAt":"2026-12-01T10:00:00Z","updatedAt":"2026-12-01T10:05:00Z","completedAt":null,
            "abandonedCheckoutUrl":"https://shop.example/c/77",
            "customer":{"id":"gid://shopify/Customer/5","firstName":"Ana","lastName":null,
              "defaultPhoneNumber":{"phoneNumber":"+34600111222"},"defaultEmailAddress":null},
            "totalPriceSet":{"shopMoney":{"amount":"120.50","currencyCode":"EUR"}},
            "lineItems":{"nodes":[{"title":"Tee","quantity":2,"sku":"T","variant":{"id":"gid://shopify/ProductVariant/9"},"product":{"id":"gid://shopify/Product/8"}}]}}"##).expect("json");
        let d = checkout_delivery(&node).expect("delivery");
        assert_eq!(
            (d.topic, d.webhook_id.as_str()),
            ("checkouts/update", "poll:checkout:77:2026-12-01T10:05:00Z")
        );
        let b = &d.body;
        assert_eq!(
            (
                b["id"].as_u64(),
                b["customer"]["id"].as_u64(),
                b["phone"].as_str()
            ),
            (Some(77), Some(5), Some("+34600111222"))
        );
        assert_eq!(
            (
                b["line_items"][0]["variant_id"].as_u64(),
                b["total_price"].as_str(),
                b["currency"].as_str()
            ),
            (Some(9), Some("120.50"), Some("EUR"))
        );
        assert_eq!(
            (
                b["line_items"][0]["product_id"].as_u64(),
                b["abandoned_checkout_url"].as_str(),
                b["updated_at"].as_str(),
                b["created_at"].as_str(),
            ),
            (
                Some(8),
                Some("https://shop.example/c/77"),
                Some("2026-12-01T10:05:00Z"),
                Some("2026-12-01T10:00:00Z")
            )
        );
        assert!(b["token"].is_null(), "no token in that URL: {b}");
        assert!(b["completed_at"].is_null());
        assert_eq!(b[POLLED_MARK], "poll");
    }

    #[test]
    fn a_polled_checkout_without_customer_or_lines_still_maps_and_bad_ids_do_not() {
        let node = json!({"id": "gid://shopify/AbandonedCheckout/5", "customer": null,
            "updatedAt": "2026-12-01T10:05:00Z", "completedAt": "2026-12-01T11:00:00Z",
            "lineItems": {"nodes": []}, "totalPriceSet": {"shopMoney": {"amount": "0.0", "currencyCode": "USD"}}});
        let d = checkout_delivery(&node).expect("delivery");
        assert!(d.body["customer"].is_null() && d.body["phone"].is_null());
        assert_eq!(d.body["line_items"], json!([]));
        assert_eq!(d.body["completed_at"], "2026-12-01T11:00:00Z");
        assert_eq!(
            checkout_delivery(&json!({"id": "gid://shopify/Order/5"})),
            None
        );
        assert_eq!(checkout_delivery(&json!({"name": "#5"})), None);
    }

    #[test]
    fn the_checkout_token_is_read_from_the_recovery_url() {
        let t = |u: &str| recovery_token(u);
        assert_eq!(
            t("https://checkout.local/548380009/checkouts/123123123/recover?key=example-secret-token"),
            Some("123123123".into())
        );
        assert_eq!(
            t("https://shop.example/checkouts/ac/tok-501/recover?key=k"),
            Some("tok-501".into())
        );
        assert_eq!(t("https://shop.example/c/77"), None);
        assert_eq!(t("https://shop.example/checkouts//recover"), None);
        let node = json!({"id": "gid://shopify/AbandonedCheckout/501",
            "abandonedCheckoutUrl": "https://shop.example/checkouts/ac/tok-501/recover?key=k",
            "updatedAt": "2026-12-01T10:05:00Z"});
        let d = checkout_delivery(&node).expect("delivery");
        assert_eq!(d.body["token"], "tok-501");
    }

    #[test]
    fn a_queried_node_becomes_the_group_a_bulk_file_gives() {
        let node = json!({"id": "gid://shopify/Order/1", "name": "#1",
            "lineItems": {"edges": [{"node": {"id": "gid://shopify/LineItem/2"}}, {"node": {"id": "gid://shopify/LineItem/3"}}]}});
        let g = Group::of_node(&node);
        assert_eq!(
            g.parent,
            json!({"id": "gid://shopify/Order/1", "name": "#1"})
        );
        assert_eq!(g.children_of("LineItem").count(), 2);
    }

    #[test]
    fn bad_rows_are_named_and_child_rows_skipped() {
        assert_eq!(customer_row(3, 1, "{oops"), Err(ImportError::NotJson(3)));
        assert_eq!(
            customer_row(4, 1, r#"{"id":"gid://shopify/Order/1"}"#),
            Err(ImportError::NoId(4, "Customer"))
        );
        assert_eq!(
            customer_row(
                5,
                1,
                r#"{"id":"x","__parentId":"gid://shopify/Customer/1"}"#
            ),
            Ok(vec![])
        );
        assert_eq!(
            gid_number("gid://shopify/Customer/12", "Customer"),
            Some(12)
        );
    }
}
