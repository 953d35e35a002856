//! Product and collection rows of the bulk import as the catalog webhooks' bodies: a
//! product with its variant, image and collection children becomes one `products/update`
//! (variants in full, images from the product's image media, membership in
//! `galantis_collections`: Shopify's product webhooks never carry it, the import is where
//! it comes from); a collection row becomes a `collections/update`.

use super::{gid_number, lower, tags_text, Group, ImportError, RowDelivery, IMPORT_PREFIX};
use serde_json::{json, Value};

/// The body field holding a product's collection ids (set only by the import; Shopify
/// never sends it, and the catalog logic keeps membership across webhooks).
pub const COLLECTIONS_FIELD: &str = "galantis_collections";

/// The `products/update` delivery of a product and its children (`op`: the bulk
/// operation's number, for the stable webhook id).
///
/// # Errors
/// The root row has no product id.
pub fn product_group(line: u64, op: u64, g: &Group) -> Result<Vec<RowDelivery>, ImportError> {
    product_deliveries(&format!("{IMPORT_PREFIX}{op}"), line, g)
}

/// The `products/update` delivery of a product and its children, its webhook id
/// prefixed with `origin` (`import:{op}`, `reconcile`).
///
/// # Errors
/// The root row has no product id (`line` names it).
pub fn product_deliveries(
    origin: &str,
    line: u64,
    g: &Group,
) -> Result<Vec<RowDelivery>, ImportError> {
    let p = &g.parent;
    let gid = p["id"].as_str().unwrap_or_default();
    let id = gid_number(gid, "Product").ok_or(ImportError::NoId(line, "Product"))?;
    let variants: Vec<Value> = g
        .children_of("ProductVariant")
        .map(|v| variant(id, v))
        .collect();
    let images: Vec<Value> = g
        .children
        .iter()
        .filter(|m| m["image"]["url"].is_string())
        .enumerate()
        .map(|(i, m)| {
            json!({"admin_graphql_api_id": m["id"], "src": m["image"]["url"],
                "alt": m["alt"], "position": i + 1,
                "width": m["image"]["width"], "height": m["image"]["height"]})
        })
        .collect();
    let collections: Vec<u64> = g
        .children_of("Collection")
        .filter_map(|c| c["id"].as_str().and_then(|x| gid_number(x, "Collection")))
        .collect();
    let tags = tags_text(&p["tags"]);
    let stamp = p["updatedAt"].as_str().unwrap_or_default();
    let body = json!({
        "id": id,
        "admin_graphql_api_id": gid,
        "title": p["title"],
        "handle": p["handle"],
        "vendor": p["vendor"],
        "product_type": p["productType"],
        "status": lower(&p["status"]),
        "tags": tags,
        "published_at": p["publishedAt"],
        "created_at": p["createdAt"],
        "updated_at": p["updatedAt"],
        "options": p["options"],
        "variants": variants,
        "image": images.first().cloned().unwrap_or(Value::Null),
        "images": images,
        COLLECTIONS_FIELD: collections,
    });
    Ok(vec![RowDelivery {
        topic: "products/update",
        webhook_id: format!("{origin}:product:{id}:{stamp}"),
        body,
    }])
}

/// A variant row in the REST shape (`option1..3` from `selectedOptions`, in order).
fn variant(product: u64, v: &Value) -> Value {
    let gid = v["id"].as_str().unwrap_or_default();
    let options: Vec<&Value> = v["selectedOptions"]
        .as_array()
        .map(|o| o.iter().map(|x| &x["value"]).collect())
        .unwrap_or_default();
    let option = |i: usize| options.get(i).copied().cloned().unwrap_or(Value::Null);
    json!({
        "id": gid_number(gid, "ProductVariant"),
        "admin_graphql_api_id": gid,
        "product_id": product,
        "title": v["title"],
        "sku": v["sku"],
        "price": v["price"],
        "compare_at_price": v["compareAtPrice"],
        "inventory_quantity": v["inventoryQuantity"],
        "position": v["position"],
        "updated_at": v["updatedAt"],
        "option1": option(0),
        "option2": option(1),
        "option3": option(2),
    })
}

/// The `collections/update` delivery of a collection row (child rows give none).
///
/// # Errors
/// [`ImportError`].
pub fn collection_row(line: u64, op: u64, text: &str) -> Result<Vec<RowDelivery>, ImportError> {
    let row: Value = serde_json::from_str(text).map_err(|_| ImportError::NotJson(line))?;
    if row.get("__parentId").is_some() {
        return Ok(Vec::new());
    }
    let gid = row["id"].as_str().unwrap_or_default();
    let id = gid_number(gid, "Collection").ok_or(ImportError::NoId(line, "Collection"))?;
    let stamp = row["updatedAt"].as_str().unwrap_or_default();
    Ok(vec![RowDelivery {
        topic: "collections/update",
        webhook_id: format!("{IMPORT_PREFIX}{op}:collection:{id}:{stamp}"),
        body: json!({
            "id": id,
            "admin_graphql_api_id": gid,
            "handle": row["handle"],
            "title": row["title"],
            "sort_order": lower(&row["sortOrder"]),
            "updated_at": row["updatedAt"],
        }),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Group {
        Group {
            parent: json!({"id": "gid://shopify/Product/8", "title": "Tee", "handle": "tee",
                "vendor": "Acme", "productType": "Shirts", "status": "ACTIVE", "tags": ["summer", "cotton"],
                "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-02-01T00:00:00Z",
                "publishedAt": "2026-01-02T00:00:00Z", "options": [{"name": "Size", "position": 1}]}),
            children: vec![
                json!({"id": "gid://shopify/ProductVariant/81", "title": "M", "sku": "T-M", "price": "20.00",
                    "compareAtPrice": "25.00", "inventoryQuantity": 3, "position": 1,
                    "selectedOptions": [{"name": "Size", "value": "M"}], "__parentId": "gid://shopify/Product/8"}),
                json!({"id": "gid://shopify/MediaImage/5", "alt": "front",
                    "image": {"url": "https://cdn.example/tee.jpg", "width": 800, "height": 800},
                    "__parentId": "gid://shopify/Product/8"}),
                json!({"id": "gid://shopify/Collection/300", "__parentId": "gid://shopify/Product/8"}),
                json!({"__parentId": "gid://shopify/Product/8"}),
            ],
        }
    }

    #[test]
    fn a_product_and_its_children_become_one_products_update() {
        let d = product_group(1, 9, &group()).expect("product");
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].topic, d[0].webhook_id.as_str()),
            ("products/update", "import:9:product:8:2026-02-01T00:00:00Z")
        );
        let b = &d[0].body;
        assert_eq!(
            (b["id"].as_u64(), b["status"].as_str(), b["tags"].as_str()),
            (Some(8), Some("active"), Some("summer, cotton"))
        );
        let v = &b["variants"][0];
        assert_eq!(
            (
                v["id"].as_u64(),
                v["product_id"].as_u64(),
                v["option1"].as_str(),
                v["compare_at_price"].as_str()
            ),
            (Some(81), Some(8), Some("M"), Some("25.00"))
        );
        assert_eq!(b["images"].as_array().map(Vec::len), Some(1));
        assert_eq!(b["image"]["src"], "https://cdn.example/tee.jpg");
        assert_eq!(b[COLLECTIONS_FIELD], json!([300]));
    }

    #[test]
    fn collection_rows_map_and_bad_rows_are_named() {
        let d = collection_row(
            2,
            9,
            r#"{"id":"gid://shopify/Collection/300","handle":"summer","title":"Summer","sortOrder":"BEST_SELLING","updatedAt":"2026-02-01T00:00:00Z"}"#,
        )
        .expect("collection");
        assert_eq!(d[0].topic, "collections/update");
        assert_eq!(d[0].body["sort_order"], "best_selling");
        assert_eq!(
            collection_row(3, 9, r#"{"id":"gid://shopify/Product/1"}"#),
            Err(ImportError::NoId(3, "Collection"))
        );
        let mut g = group();
        g.parent["id"] = json!("gid://shopify/Order/1");
        assert_eq!(
            product_group(4, 9, &g),
            Err(ImportError::NoId(4, "Product"))
        );
    }
}
