//! Catalogs over HTTP: create, list and connect; `items_batch` takes the items the engine
//! builds and names the faults of bad ones per retailer id; the batch handle reports the
//! refused ids; products read back with Meta's read-side names; the hourly budget (80014)
//! and a revoked token (190).

use super::{setup_with, TOKEN, WABA};
use crate::domain::catalog::{Product, ProductImage, ProductStatus};
use crate::logic::catalog_sync::{item, ShopFacts};
use serde_json::{json, Value};

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = http.request(method, url).bearer_auth(TOKEN);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.expect("call");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn product() -> Product {
    let mut p = Product::new_placeholder(8);
    p.placeholder = false;
    p.title = "Tee".into();
    p.handle = "tee".into();
    p.status = ProductStatus::Active;
    p.images = vec![ProductImage {
        id: 1,
        src: "https://cdn.example/tee.jpg".into(),
        position: 1,
        alt: None,
    }];
    p
}

#[tokio::test]
async fn catalogs_take_the_engine_s_items_and_name_what_is_wrong() {
    let (emu, _engine, _client) = setup_with(|c| {
        c.catalog_calls_per_hour = 3;
        c.catalog_batch_delay = std::time::Duration::from_millis(300);
    })
    .await;
    let http = reqwest::Client::new();
    let base = format!("{}/{}", emu.base_url(), emu.graph_version());
    let business = crate::sandbox::meta::EmulatorConfig::default().business_id;
    let (s, created) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/{business}/owned_product_catalogs"),
        Some(json!({"name": "Demo catalog"})),
    )
    .await;
    assert_eq!(s, 200, "{created}");
    let catalog = created["id"].as_str().expect("id").to_string();
    let client_catalog = emu.add_catalog("Agency's", false);
    let (_, owned) = call(
        &http,
        reqwest::Method::GET,
        format!("{base}/{business}/owned_product_catalogs"),
        None,
    )
    .await;
    assert_eq!(owned["data"][0]["id"], catalog.as_str(), "{owned}");
    let (_, clients) = call(
        &http,
        reqwest::Method::GET,
        format!("{base}/{business}/client_product_catalogs"),
        None,
    )
    .await;
    assert_eq!(
        clients["data"][0]["id"],
        client_catalog.as_str(),
        "{clients}"
    );
    let (s, v) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/{WABA}/product_catalogs"),
        Some(json!({"catalog_id": catalog})),
    )
    .await;
    assert_eq!((s, v["success"].as_bool()), (200, Some(true)), "{v}");
    assert_eq!(emu.connected_catalog(WABA), Some(catalog.clone()));
    let (s, v) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/{WABA}/product_catalogs"),
        Some(json!({"catalog_id": client_catalog})),
    )
    .await;
    assert_eq!(s, 400, "one catalog per WABA: {v}");

    // The engine's items pass; a bad one is named.
    let mut p = product();
    let mut v81 = crate::domain::catalog::Variant {
        id: 81,
        product_id: 8,
        title: "M".into(),
        price: crate::domain::Money::parse("20").expect("m"),
        compare_at_price: None,
        inventory_quantity: 2,
        sku: None,
        image: None,
        selected_options: vec![],
        position: 1,
        updated_at: None,
        version: crate::domain::catalog::VariantVersion {
            updated_at: None,
            triggered_at: crate::domain::Timestamp(0),
        },
        stock_history: vec![],
    };
    p.variants.push(v81.clone());
    v81.id = 82;
    p.variants.push(v81);
    let shop = ShopFacts {
        domain: "demo.myshopify.com".into(),
        name: "Demo".into(),
        currency: "EUR".into(),
    };
    let good = item(&shop, &p, &p.variants[0]).expect("item");
    let mut bad = item(&shop, &p, &p.variants[1]).expect("item");
    bad["price"] = json!("20 EUR!");
    let requests = json!([{"method": "UPDATE", "data": good}, {"method": "UPDATE", "data": bad}]);
    let (s, v) = call(
        &http,
        reqwest::Method::POST,
        format!("{base}/{catalog}/items_batch"),
        Some(json!({"item_type": "PRODUCT_ITEM", "requests": requests.to_string()})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["validation_status"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    assert_eq!(v["validation_status"][0]["retailer_id"], "82");
    assert!(
        v["validation_status"][0]["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Invalid price"),
        "{v}"
    );
    let handle = v["handles"][0].as_str().expect("handle").to_string();
    // Ingested asynchronously: in progress, nothing applied yet, then finished.
    let status_url = format!("{base}/{catalog}/check_batch_request_status?handle={handle}");
    let (_, st) = call(&http, reqwest::Method::GET, status_url, None).await;
    assert_eq!(st["data"][0]["status"], "in_progress", "{st}");
    assert!(emu.catalog_items(&catalog).is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    let (_, st) = call(&http, reqwest::Method::GET,
        format!("{base}/{catalog}/check_batch_request_status?handle={handle}&load_ids_of_invalid_requests=true"), None).await;
    assert_eq!(
        (
            st["data"][0]["status"].as_str(),
            st["data"][0]["ids_of_invalid_requests"].clone()
        ),
        (Some("finished"), json!(["82"])),
        "{st}"
    );
    let items = emu.catalog_items(&catalog);
    assert_eq!(items.keys().collect::<Vec<_>>(), ["81"]);
    let (_, products) = call(
        &http,
        reqwest::Method::GET,
        format!("{base}/{catalog}/products"),
        None,
    )
    .await;
    assert_eq!(
        (
            products["data"][0]["retailer_id"].as_str(),
            products["data"][0]["price"].as_str()
        ),
        (Some("81"), Some("20.00 EUR")),
        "{products}"
    );
    // Deleting needs only the id.
    let (_, v) = call(&http, reqwest::Method::POST, format!("{base}/{catalog}/items_batch"),
        Some(json!({"item_type": "PRODUCT_ITEM", "requests": [{"method": "DELETE", "data": {"id": "81"}}]}))).await;
    assert_eq!(v["validation_status"], json!([]), "{v}");
    assert_eq!(emu.catalog_items(&catalog).len(), 1, "still being ingested");
    tokio::time::sleep(std::time::Duration::from_millis(350)).await;
    assert!(emu.catalog_items(&catalog).is_empty());
    // The hourly budget: the third call was the last.
    let (_, v) = call(&http, reqwest::Method::POST, format!("{base}/{catalog}/items_batch"),
        Some(json!({"item_type": "PRODUCT_ITEM", "requests": [{"method": "DELETE", "data": {"id": "81"}}]}))).await;
    assert_eq!(v["validation_status"], json!([]), "{v}");
    let (s, v) = call(&http, reqwest::Method::POST, format!("{base}/{catalog}/items_batch"),
        Some(json!({"item_type": "PRODUCT_ITEM", "requests": [{"method": "DELETE", "data": {"id": "81"}}]}))).await;
    assert_eq!((s, v["error"]["code"].as_i64()), (400, Some(80014)), "{v}");
    // A revoked token.
    emu.revoke_token(TOKEN);
    let (s, v) = call(
        &http,
        reqwest::Method::GET,
        format!("{base}/{catalog}/products"),
        None,
    )
    .await;
    assert_eq!((s, v["error"]["code"].as_i64()), (401, Some(190)), "{v}");
}

#[tokio::test]
async fn the_engine_s_client_connects_a_catalog_and_pushes_items() {
    let (_emu, _engine, client) = setup_with(|c| {
        c.catalog_calls_per_hour = 1;
        c.catalog_batch_delay = std::time::Duration::ZERO;
    })
    .await;
    let business = crate::sandbox::meta::EmulatorConfig::default().business_id;
    let id = client
        .create_catalog(TOKEN, &business, "Demo")
        .await
        .expect("create");
    let owned = client
        .list_catalogs(TOKEN, &business, true)
        .await
        .expect("list");
    assert_eq!(
        owned.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert!(client
        .list_catalogs(TOKEN, &business, false)
        .await
        .expect("clients")
        .is_empty());
    client
        .connect_catalog(TOKEN, WABA, &id)
        .await
        .expect("connect");
    assert_eq!(
        client
            .connected_catalogs(TOKEN, WABA)
            .await
            .expect("connected")[0]
            .id,
        id
    );
    let mut p = product();
    p.variants.push(crate::domain::catalog::Variant {
        id: 91,
        product_id: 8,
        title: "S".into(),
        price: crate::domain::Money::parse("9.5").expect("m"),
        compare_at_price: None,
        inventory_quantity: 0,
        sku: None,
        image: None,
        selected_options: vec![],
        position: 1,
        updated_at: None,
        version: crate::domain::catalog::VariantVersion {
            updated_at: None,
            triggered_at: crate::domain::Timestamp(0),
        },
        stock_history: vec![],
    });
    let shop = ShopFacts {
        domain: "demo.myshopify.com".into(),
        name: "Demo".into(),
        currency: "USD".into(),
    };
    let requests: Vec<Value> = crate::logic::catalog_sync::requests(&shop, None, Some(&p), false)
        .iter()
        .filter_map(crate::logic::catalog_sync::ItemRequest::wire)
        .collect();
    let answer = client
        .items_batch(TOKEN, &id, &requests)
        .await
        .expect("batch");
    assert!(answer.validation_status.is_empty(), "{answer:?}");
    let status = client
        .batch_status(TOKEN, &id, &answer.handles[0])
        .await
        .expect("status");
    assert_eq!(
        (status.status.as_str(), status.ids_of_invalid_requests.len()),
        ("finished", 0)
    );
    let items = client.catalog_items(TOKEN, &id).await.expect("items");
    assert_eq!(
        (
            items[0].retailer_id.as_str(),
            items[0].price.as_deref(),
            items[0].availability.as_deref()
        ),
        ("91", Some("9.50 USD"), Some("out of stock"))
    );
    assert!(
        client.items_batch(TOKEN, &id, &[]).await.is_err(),
        "an empty batch is refused before any call"
    );
    // The budget of one call an hour is spent: 80014.
    let e = client
        .items_batch(TOKEN, &id, &requests)
        .await
        .expect_err("80014");
    assert_eq!(e.code(), Some(80014), "{e}");
}

#[tokio::test]
async fn a_catalog_of_many_pages_is_read_whole() {
    let (emu, _engine, client) =
        setup_with(|c| c.catalog_batch_delay = std::time::Duration::ZERO).await;
    let id = emu.add_catalog("Big", true);
    let requests: Vec<Value> = (0..1_201)
        .map(|i| {
            json!({"method": "UPDATE", "data": {"id": format!("sku-{i}"), "title": "T",
            "description": "D", "availability": "in stock", "condition": "new",
            "price": "1.00 EUR", "link": "https://x/p", "brand": "B",
            "image": [{"url": "https://x/i.jpg"}]}})
        })
        .collect();
    client
        .items_batch(TOKEN, &id, &requests)
        .await
        .expect("batch");
    let items = client.catalog_items(TOKEN, &id).await.expect("items");
    assert_eq!(items.len(), 1_201);
    assert_eq!(emu.calls().get("catalog_products"), Some(&3));
}
