//! Turning the rows of a bulk operation's JSONL into deliveries the webhook logic applies:
//! a customer row becomes a `customers/update` body (and, when its phone carries SMS
//! marketing consent, a `customers_marketing_consent/update` body), in the REST shape the
//! webhooks use. Going through the same logic keeps its rules: a webhook newer than the
//! imported row wins (per-record `updated_at`), and a deleted customer is never brought
//! back (tombstones). Pure.

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
    customer_deliveries(&format!("import:{op}"), &row).ok_or(ImportError::NoId(line, "Customer"))
}

/// The deliveries of one customer node (a bulk row or a query's node), their webhook ids
/// prefixed with `origin` (`import:{op}`, `reconcile`); `None` without a customer id.
pub fn customer_deliveries(origin: &str, row: &Value) -> Option<Vec<RowDelivery>> {
    let gid = row["id"].as_str().unwrap_or_default();
    let id = gid_number(gid, "Customer")?;
    let updated = row["updatedAt"].clone();
    let tags = row["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
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
        "default_address": row["defaultAddress"].as_object().map(|a| json!({"country_code": a.get("countryCodeV2")})),
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
            "defaultAddress":{"countryCodeV2":"ES"}}"#;
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
        assert_eq!(c["phone"], "+34600111222");
        let s = &d[1].body["sms_marketing_consent"];
        assert_eq!(
            (s["state"].as_str(), s["consent_collected_from"].as_str()),
            (Some("subscribed"), Some("shopify"))
        );
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
