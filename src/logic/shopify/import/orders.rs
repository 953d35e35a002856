//! Order rows of the bulk import as `orders/updated` bodies: the order in the buyer's
//! (presentment) currency, as the webhooks carry it, its line items joined from the
//! child rows, the GraphQL display statuses in the REST spelling.

use super::{gid_number, lower, tags_text, Group, ImportError, RowDelivery, IMPORT_PREFIX};
use serde_json::{json, Value};

/// REST's `fulfillment_status` for GraphQL's `displayFulfillmentStatus`: `fulfilled`,
/// `partial`, `restocked`, else none (unfulfilled, on hold, scheduled …).
fn fulfillment(v: &Value) -> Value {
    match v.as_str() {
        Some("FULFILLED") => json!("fulfilled"),
        Some("PARTIALLY_FULFILLED") => json!("partial"),
        Some("RESTOCKED") => json!("restocked"),
        _ => Value::Null,
    }
}

/// The `orders/updated` delivery of an order and its line items.
///
/// # Errors
/// The root row has no order id.
pub fn order_group(line: u64, op: u64, g: &Group) -> Result<Vec<RowDelivery>, ImportError> {
    order_deliveries(&format!("{IMPORT_PREFIX}{op}"), line, g)
}

/// The `orders/updated` delivery of an order and its line items, its webhook id prefixed
/// with `origin` (`import:{op}`, `reconcile`).
///
/// # Errors
/// The root row has no order id (`line` names it).
pub fn order_deliveries(
    origin: &str,
    line: u64,
    g: &Group,
) -> Result<Vec<RowDelivery>, ImportError> {
    let o = &g.parent;
    let gid = o["id"].as_str().unwrap_or_default();
    let id = gid_number(gid, "Order").ok_or(ImportError::NoId(line, "Order"))?;
    let lines: Vec<Value> = g
        .children_of("LineItem")
        .map(|l| {
            json!({
                "id": l["id"].as_str().and_then(|x| gid_number(x, "LineItem")),
                "product_id": l["product"]["id"].as_str().and_then(|x| gid_number(x, "Product")),
                "variant_id": l["variant"]["id"].as_str().and_then(|x| gid_number(x, "ProductVariant")),
                "title": l["title"], "name": l["name"], "quantity": l["quantity"], "sku": l["sku"],
                "price": l["originalUnitPriceSet"]["presentmentMoney"]["amount"],
            })
        })
        .collect();
    let customer = o["customer"]["id"]
        .as_str()
        .and_then(|x| gid_number(x, "Customer"));
    let money = &o["totalPriceSet"]["presentmentMoney"];
    let stamp = o["updatedAt"].as_str().unwrap_or_default();
    let tags = tags_text(&o["tags"]);
    let body = json!({
        "id": id,
        "admin_graphql_api_id": gid,
        "name": o["name"],
        "order_number": o["number"],
        "email": o["email"],
        "phone": o["phone"],
        "customer": customer.map(|c| json!({"id": c})),
        "total_price": money["amount"],
        "currency": money["currencyCode"],
        "financial_status": lower(&o["displayFinancialStatus"]),
        "fulfillment_status": fulfillment(&o["displayFulfillmentStatus"]),
        "cancelled_at": o["cancelledAt"],
        "processed_at": o["processedAt"],
        "created_at": o["createdAt"],
        "updated_at": o["updatedAt"],
        "customer_locale": o["customerLocale"],
        "source_name": o["sourceName"],
        "tags": tags,
        "line_items": lines,
    });
    Ok(vec![RowDelivery {
        topic: "orders/updated",
        webhook_id: format!("{origin}:order:{id}:{stamp}"),
        body,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_and_its_line_items_become_one_orders_updated() {
        let g = Group {
            parent: json!({"id": "gid://shopify/Order/70", "name": "#1070", "number": 70,
                "createdAt": "2026-03-01T00:00:00Z", "updatedAt": "2026-03-02T00:00:00Z",
                "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
                "customer": {"id": "gid://shopify/Customer/5"}, "tags": ["gift"],
                "totalPriceSet": {"presentmentMoney": {"amount": "45.50", "currencyCode": "EUR"}}}),
            children: vec![
                json!({"id": "gid://shopify/LineItem/701", "title": "Tee", "quantity": 2, "sku": "T",
                    "variant": {"id": "gid://shopify/ProductVariant/81"}, "product": {"id": "gid://shopify/Product/8"},
                    "originalUnitPriceSet": {"presentmentMoney": {"amount": "20.00"}},
                    "__parentId": "gid://shopify/Order/70"}),
                json!({"id": "gid://shopify/LineItem/702", "title": "Custom", "quantity": 1,
                    "variant": null, "product": null, "__parentId": "gid://shopify/Order/70"}),
            ],
        };
        let d = order_group(1, 3, &g).expect("order");
        assert_eq!(
            (d[0].topic, d[0].webhook_id.as_str()),
            ("orders/updated", "import:3:order:70:2026-03-02T00:00:00Z")
        );
        let b = &d[0].body;
        assert_eq!(
            (
                b["customer"]["id"].as_u64(),
                b["total_price"].as_str(),
                b["currency"].as_str(),
                b["financial_status"].as_str(),
                b["fulfillment_status"].as_str()
            ),
            (
                Some(5),
                Some("45.50"),
                Some("EUR"),
                Some("paid"),
                Some("partial")
            )
        );
        assert_eq!(b["line_items"].as_array().map(Vec::len), Some(2));
        assert_eq!(b["line_items"][0]["variant_id"], 81);
        assert!(b["line_items"][1]["variant_id"].is_null());
        assert_eq!(b["line_items"][0]["price"], "20.00");
    }
}
