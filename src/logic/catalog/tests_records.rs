//! Catalog tests of the edges: options and images, bad payloads, big ids, collection membership, paging,
//! recovery, and the bincode / JSON encodings of the records.

use super::tests::{deliver, edited, fixture, try_deliver, COLLECTION, MEDIUM, PRODUCT, SMALL};
use super::*;
use crate::domain::catalog::{SelectedOption, VariantImage};

#[test]
fn bad_payloads_are_errors_not_panics() {
    let mut book = CatalogBook::new();
    for (topic, body) in [
        ("products/update", &b"{not json"[..]),
        ("products/update", br#"{"id": 1, "variants": 5}"#),
        ("products/update", br#"{"id": 1.5}"#),
        ("collections/create", br#"[1, 2]"#),
        (
            "variants/in_stock",
            br#"{"id": 1, "inventory_quantity": "many"}"#,
        ),
        (
            "products/create",
            br#"{"id": 1, "updated_at": "yesterday"}"#,
        ),
    ] {
        let err = try_deliver(&mut book, topic, body, 1).expect_err(topic);
        assert!(
            matches!(err, ApplyError::Malformed { .. }),
            "{topic}: {err}"
        );
    }
    for (topic, body) in [
        ("products/update", &br#"{"title": "no id"}"#[..]),
        ("products/delete", br#"{}"#),
        ("collections/delete", br#"{"id": null}"#),
        (
            "variants/in_stock",
            br#"{"id": 5, "inventory_quantity": 3}"#,
        ),
        ("variants/out_of_stock", br#"{"product_id": 5}"#),
        ("orders/create", br#"{"id": 5}"#),
    ] {
        let err = try_deliver(&mut book, topic, body, 1).expect_err(topic);
        assert!(matches!(err, ApplyError::Invalid { .. }), "{topic}: {err}");
    }
    assert!(book.is_empty());
}

#[test]
fn ids_above_2_pow_53_are_exact_and_gids_stand_in_for_ids() {
    let mut book = CatalogBook::new();
    let big: ShopifyId = (1 << 53) + 1;
    let body = format!(
        r#"{{"admin_graphql_api_id": "gid://shopify/Product/{big}", "title": "Big", "variants": [
            {{"id": {v}, "product_id": {big}, "inventory_quantity": 1}}]}}"#,
        v = big + 2
    );
    deliver(&mut book, "products/create", body.as_bytes(), 1);
    let p = book.product(big).expect("stored");
    assert_eq!(p.variants.first().map(|v| v.id), Some(big + 2));
}

#[test]
fn collections_membership_is_kept_across_updates_and_unlinked_on_delete() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    deliver(
        &mut book,
        "collections/create",
        &fixture("collections__create"),
        1_000,
    );
    let change = book.set_product_collections(PRODUCT, [COLLECTION, 5, COLLECTION]);
    assert_eq!(change.writes.len(), 1);
    assert!(book
        .set_product_collections(PRODUCT, [5, COLLECTION])
        .writes
        .is_empty());
    assert!(book.set_product_collections(1, [5]).ignored.is_some());
    deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        2_000,
    );
    assert_eq!(
        book.product(PRODUCT).map(|p| p.collections.clone()),
        Some(vec![5, COLLECTION])
    );
    let change = deliver(
        &mut book,
        "collections/delete",
        &fixture("collections__delete"),
        3_000,
    );
    assert_eq!(change.writes.len(), 2);
    assert_eq!(
        book.product(PRODUCT).map(|p| p.collections.clone()),
        Some(vec![5])
    );
}

#[test]
fn products_page_by_id_and_restore_rebuilds_the_book() {
    let mut book = CatalogBook::new();
    for id in [30u64, 10, 20] {
        let body = format!(r#"{{"id": {id}, "title": "P{id}", "tags": "a"}}"#);
        deliver(&mut book, "products/create", body.as_bytes(), 1);
    }
    let page: Vec<_> = book.products(None, 2).iter().map(|p| p.id).collect();
    assert_eq!(page, [10, 20]);
    let page: Vec<_> = book.products(Some(20), 2).iter().map(|p| p.id).collect();
    assert_eq!(page, [30]);
    assert!(book.products(Some(30), 2).is_empty());
    deliver(&mut book, "products/delete", br#"{"id": 20}"#, 2);
    let stored: Vec<Product> = book.products(None, 10).into_iter().cloned().collect();
    let mut restored = CatalogBook::restore(stored, [], [(20, Timestamp(2))], []);
    assert_eq!(restored.len(), 2);
    let late = deliver(
        &mut restored,
        "products/update",
        br#"{"id": 20, "title": "back"}"#,
        3,
    );
    assert!(late.ignored.is_some());
}

#[test]
fn records_round_trip_through_bincode_and_json() {
    let mut book = CatalogBook::new();
    let body = edited("products__create", |v| {
        v["images"] = serde_json::json!([{"id": 1, "src": "https://cdn/a.jpg", "position": 1}]);
        v["variants"][0]["image_id"] = 1.into();
    });
    deliver(&mut book, "products/create", &body, 1_000);
    deliver(
        &mut book,
        "collections/create",
        &fixture("collections__create"),
        1_000,
    );
    let p = book.product(PRODUCT).expect("stored").clone();
    let c = book.collection(COLLECTION).expect("stored").clone();
    let cfg = bincode::config::standard();
    let bytes = bincode::serde::encode_to_vec(&p, cfg).expect("encode");
    let (back, _): (Product, usize) =
        bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
    assert_eq!(back, p);
    let bytes = bincode::serde::encode_to_vec(&c, cfg).expect("encode");
    let (back, _): (Collection, usize) =
        bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
    assert_eq!(back, c);
    let json = serde_json::to_string(&p).expect("json");
    assert!(json.contains(r#""price":"19.99""#) && json.contains(r#""compare_at_price":"24.99""#));
    assert!(json.contains(r#""id":"642667041472713922""#) && json.contains(r#""status":"active""#));
    let back: Product = serde_json::from_str(&json).expect("json");
    assert_eq!(back, p);
    // A placeholder whose variant has no updated_at round-trips too.
    deliver(
        &mut book,
        "variants/in_stock",
        br#"{"id": 7, "product_id": 8, "inventory_quantity": 1}"#,
        5,
    );
    let p = book.product(8).expect("placeholder").clone();
    let back: Product =
        serde_json::from_str(&serde_json::to_string(&p).expect("json")).expect("json");
    assert_eq!(back, p);
    let bytes = bincode::serde::encode_to_vec(&p, cfg).expect("encode");
    let (back, _): (Product, usize) =
        bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
    assert_eq!(back, p);
}

#[test]
fn options_images_and_variant_images_are_resolved() {
    let mut book = CatalogBook::new();
    let body = edited("products__create", |v| {
        v["options"] = serde_json::json!([
            {"name": "Color", "position": 2, "values": ["Red"]},
            {"name": "Size", "position": 1, "values": ["Small", "Medium"]}
        ]);
        v["images"] = serde_json::json!([
            {"id": 9007199254740993u64, "src": "https://cdn/b.jpg", "position": 2, "alt": null},
            {"id": 1, "src": "https://cdn/a.jpg", "position": 1, "alt": "front"}
        ]);
        v["image"] = serde_json::json!({"id": 1, "src": "https://cdn/a.jpg", "position": 1});
        v["variants"][0]["option2"] = "Red".into();
        v["variants"][0]["image_id"] = 9007199254740993u64.into();
        v["variants"][0]["sku"] = "TS-S".into();
        v["variants"][1]["image_id"] = 77.into();
    });
    deliver(&mut book, "products/create", &body, 1_000);
    let p = book.product(PRODUCT).expect("stored");
    assert_eq!(&*p.options, [Box::from("Size"), Box::from("Color")]);
    let srcs: Vec<&str> = p.images.iter().map(|i| &*i.src).collect();
    assert_eq!(srcs, ["https://cdn/a.jpg", "https://cdn/b.jpg"]);
    assert_eq!(p.images[0].alt.as_deref(), Some("front"));
    assert_eq!(p.image.as_ref().map(|i| i.id), Some(1));
    let small = p.variant(SMALL).expect("small");
    assert_eq!(small.sku.as_deref(), Some("TS-S"));
    assert_eq!(
        small.selected_options,
        [
            SelectedOption {
                name: "Size".into(),
                value: "Small".into()
            },
            SelectedOption {
                name: "Color".into(),
                value: "Red".into()
            },
        ]
    );
    assert_eq!(
        small.image,
        Some(VariantImage {
            id: 9007199254740993,
            src: Some("https://cdn/b.jpg".into())
        })
    );
    assert_eq!(
        p.variant(MEDIUM).and_then(|v| v.image.clone()),
        Some(VariantImage { id: 77, src: None })
    );
}
