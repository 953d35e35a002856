//! Generated store data beyond customers: collections, products (variants, an image,
//! collection membership) and orders (line items of those products, by the generated
//! customers), in the Admin API's shape with nested connections as `edges`, for the bulk
//! import to read.

use super::ShopifyEmulator;
use serde_json::{json, Value};

fn edges(nodes: Vec<Value>) -> Value {
    json!({"edges": nodes.into_iter().map(|n| json!({"node": n})).collect::<Vec<_>>()})
}

impl ShopifyEmulator {
    /// Gives `shop` `n` collections (ids from `first_id`): `Collection {i}`, handle `c-{i}`.
    pub fn add_collections(&self, shop: &str, first_id: u64, n: u64) {
        let mut st = self.shared.lock();
        let Some(s) = st.shops.get_mut(shop) else {
            return;
        };
        for i in 0..n {
            let id = first_id + i;
            s.collections.insert(
                id,
                json!({
                    "__typename": "Collection", "id": format!("gid://shopify/Collection/{id}"),
                    "handle": format!("c-{i}"), "title": format!("Collection {i}"),
                    "sortOrder": "BEST_SELLING", "updatedAt": "2025-05-01T00:00:00Z",
                }),
            );
        }
    }

    /// Gives `shop` `n` products (ids from `first_id`), each with `variants` variants (ids
    /// `product × 100 + k`, prices 10 + k EUR, stock k), one image, vendor `Vendor {i % 3}`
    /// and membership in the collection `collections[i % len]` (none when empty).
    pub fn add_products(
        &self,
        shop: &str,
        first_id: u64,
        n: u64,
        variants: u64,
        collections: &[u64],
    ) {
        let mut st = self.shared.lock();
        let Some(s) = st.shops.get_mut(shop) else {
            return;
        };
        for i in 0..n {
            let id = first_id + i;
            let vs = (0..variants)
                .map(|k| json!({
                    "__typename": "ProductVariant",
                    "id": format!("gid://shopify/ProductVariant/{}", id * 100 + k),
                    "title": format!("Size {k}"), "sku": format!("SKU-{id}-{k}"),
                    "price": format!("{}.00", 10 + k), "compareAtPrice": null,
                    "inventoryQuantity": k, "position": k + 1, "updatedAt": "2025-05-02T00:00:00Z",
                    "selectedOptions": [{"name": "Size", "value": format!("S{k}")}],
                }))
                .collect();
            let member = (!collections.is_empty())
                .then(|| collections[(i as usize) % collections.len()])
                .map(|c| json!({"__typename": "Collection", "id": format!("gid://shopify/Collection/{c}")}));
            s.products.insert(id, json!({
                "__typename": "Product", "id": format!("gid://shopify/Product/{id}"),
                "title": format!("Product {i}"), "handle": format!("product-{i}"),
                "vendor": format!("Vendor {}", i % 3), "productType": "Demo", "status": "ACTIVE",
                "tags": ["imported"], "createdAt": "2025-05-01T00:00:00Z",
                "updatedAt": "2025-05-02T00:00:00Z", "publishedAt": "2025-05-01T00:00:00Z",
                "options": [{"name": "Size", "position": 1}],
                "variants": edges(vs),
                "media": edges(vec![json!({"__typename": "MediaImage",
                    "id": format!("gid://shopify/MediaImage/{id}"), "alt": format!("Product {i}"),
                    "image": {"url": format!("https://cdn.example/p/{id}.jpg"), "width": 1000, "height": 1000}})]),
                "collections": edges(member.into_iter().collect()),
            }));
        }
    }

    /// Renames a product and sets its `updatedAt`, sending no webhook (a lost delivery).
    pub fn update_product_title(&self, shop: &str, id: u64, title: &str, updated_at: &str) {
        let mut st = self.shared.lock();
        if let Some(p) = st.shops.get_mut(shop).and_then(|s| s.products.get_mut(&id)) {
            p["title"] = json!(title);
            p["updatedAt"] = json!(updated_at);
        }
    }

    /// Cancels an order at `at`, sending no webhook (a lost delivery).
    pub fn cancel_order(&self, shop: &str, id: u64, at: &str) {
        let mut st = self.shared.lock();
        if let Some(o) = st.shops.get_mut(shop).and_then(|s| s.orders.get_mut(&id)) {
            o["cancelledAt"] = json!(at);
            o["updatedAt"] = json!(at);
            o["displayFinancialStatus"] = json!("VOIDED");
        }
    }

    /// Gives `shop` `n` paid orders (ids from `first_id`): order `i` by customer
    /// `customers[i % len]`, `lines` lines: line `k` of product
    /// `first_product + (i + k) % products` (its variant `product × 100`), 10 EUR each.
    pub fn add_orders(
        &self,
        shop: &str,
        first_id: u64,
        n: u64,
        customers: &[u64],
        products: (u64, u64),
        lines: u64,
    ) {
        let (first_product, products) = (products.0, products.1.max(1));
        let mut st = self.shared.lock();
        let Some(s) = st.shops.get_mut(shop) else {
            return;
        };
        for i in 0..n {
            let id = first_id + i;
            let customer = (!customers.is_empty())
                .then(|| customers[(i as usize) % customers.len()])
                .map(|c| json!({"id": format!("gid://shopify/Customer/{c}")}));
            let items = (0..lines)
                .map(|k| {
                    let p = first_product + (i + k) % products;
                    json!({"__typename": "LineItem", "id": format!("gid://shopify/LineItem/{}", id * 10 + k),
                        "title": format!("Product {}", p - first_product), "name": format!("Product {}", p - first_product),
                        "quantity": 1, "sku": format!("SKU-{p}-0"),
                        "variant": {"id": format!("gid://shopify/ProductVariant/{}", p * 100)},
                        "product": {"id": format!("gid://shopify/Product/{p}")},
                        "originalUnitPriceSet": {"presentmentMoney": {"amount": "10.00", "currencyCode": "EUR"}}})
                })
                .collect();
            s.orders.insert(id, json!({
                "__typename": "Order", "id": format!("gid://shopify/Order/{id}"),
                "name": format!("#{id}"), "number": id, "email": null, "phone": null,
                "createdAt": "2025-07-01T00:00:00Z", "updatedAt": "2025-07-01T01:00:00Z",
                "processedAt": "2025-07-01T00:00:00Z", "cancelledAt": null,
                "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "FULFILLED",
                "customerLocale": "es", "tags": [], "sourceName": "web",
                "totalPriceSet": {"presentmentMoney": {"amount": format!("{}.00", 10 * lines), "currencyCode": "EUR"},
                    "shopMoney": {"amount": format!("{}.00", 10 * lines), "currencyCode": "EUR"}},
                "customer": customer,
                "lineItems": edges(items),
            }));
        }
    }
}
