//! Catalog tests over the saved Shopify webhook fixtures: shapes, staleness, tombstones,
//! placeholders, variant lists beyond the payload; shared helpers for the other test files.

use super::*;
use crate::domain::catalog::{ProductStatus, SelectedOption};
use crate::domain::Money;
use std::path::PathBuf;

pub(super) const PRODUCT: ShopifyId = 788032119674292922;
pub(super) const SMALL: ShopifyId = 642667041472713922;
pub(super) const MEDIUM: ShopifyId = 757650484644203962;
pub(super) const COLLECTION: ShopifyId = 408372092144951419;

/// A webhook fixture body, from `$GALANTIS_FIXTURES` or `../shared/fixtures`.
pub(super) fn fixture(name: &str) -> Vec<u8> {
    let base = std::env::var_os("GALANTIS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let path = base.join("shopify/webhooks").join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Applies `body` as `topic`, triggered at `at` ms.
pub(super) fn deliver(book: &mut CatalogBook, topic: &str, body: &[u8], at: i64) -> Change {
    try_deliver(book, topic, body, at).expect("applies")
}

pub(super) fn try_deliver(
    book: &mut CatalogBook,
    topic: &str,
    body: &[u8],
    at: i64,
) -> Result<Change, ApplyError> {
    book.apply(&Delivery {
        topic: Topic::parse(topic),
        body,
        triggered_at: Some(Timestamp(at)),
        received_at: Timestamp(at + 5),
    })
}

pub(super) fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("rfc3339")
}

/// Rewrites a fixture's JSON with `edit`.
pub(super) fn edited(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture(name)).expect("json");
    edit(&mut v);
    serde_json::to_vec(&v).expect("json")
}

#[test]
fn products_create_fixture_lands_as_the_payload_says() {
    let mut book = CatalogBook::new();
    let change = deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    assert_eq!(change.ignored, None);
    assert!(change.events.is_empty());
    assert_eq!(change.writes.len(), 1);
    let p = book.product(PRODUCT).expect("stored");
    assert_eq!(change.writes[0], Write::Product(p.clone()));
    assert_eq!(&*p.title, "Example T-Shirt");
    assert_eq!(&*p.handle, "example-t-shirt");
    assert_eq!(&*p.vendor, "Acme");
    assert_eq!(&*p.product_type, "Shirts");
    let tags: Vec<&str> = p.tags.iter().map(|t| &**t).collect();
    assert_eq!(tags, ["example", "mens", "t-shirt"]);
    assert_eq!(p.status, ProductStatus::Active);
    assert_eq!(p.updated_at, Some(ts("2021-12-31T19:00:00-05:00")));
    assert_eq!(p.published_at, Some(ts("2021-12-31T19:00:00-05:00")));
    assert!(!p.placeholder);
    assert!(p.images.is_empty() && p.image.is_none() && p.collections.is_empty());
    let ids: Vec<ShopifyId> = p.variants.iter().map(|v| v.id).collect();
    assert_eq!(ids, [SMALL, MEDIUM]);
    let small = p.variant(SMALL).expect("small");
    assert_eq!(small.product_id, PRODUCT);
    assert_eq!(&*small.title, "Small");
    assert_eq!(small.price, Money::parse("19.99").expect("money"));
    assert_eq!(small.compare_at_price, Money::parse("24.99"));
    assert_eq!(small.inventory_quantity, 75);
    assert_eq!(small.sku, None);
    assert_eq!(small.image, None);
    assert_eq!(small.position, 1);
    assert_eq!(
        small.selected_options,
        [SelectedOption {
            name: "Option1".into(),
            value: "Small".into()
        }]
    );
    assert_eq!(small.updated_at, Some(ts("2021-12-30T19:00:00-05:00")));
    assert_eq!(
        small.version.updated_at,
        Some(ts("2021-12-30T19:00:00-05:00"))
    );
    assert_eq!(small.version.triggered_at, Timestamp(1_000));
    let medium = p.variant(MEDIUM).expect("medium");
    assert_eq!(medium.inventory_quantity, 50);
    assert_eq!(medium.price.to_string(), "19.99");
    assert_eq!(
        medium.compare_at_price.map(|m| m.to_string()).as_deref(),
        Some("24.99")
    );
    assert_eq!(book.len(), 1);
}

#[test]
fn products_update_fixture_applies_and_a_redelivery_changes_nothing() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    let before = book.product(PRODUCT).cloned();
    let change = deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        2_000,
    );
    assert_eq!(change.ignored, None);
    assert!(change.events.is_empty());
    let after = book.product(PRODUCT).expect("stored");
    assert_eq!(
        after.variant(SMALL).map(|v| v.version.triggered_at),
        Some(Timestamp(2_000))
    );
    assert_eq!(
        before.map(|p| (p.title, p.tags, p.variants.len())),
        Some((after.title.clone(), after.tags.clone(), 2))
    );
    let again = deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        2_000,
    );
    assert_eq!(again, Change::default());
}

#[test]
fn collection_fixtures_create_update_and_delete() {
    let mut book = CatalogBook::new();
    let change = deliver(
        &mut book,
        "collections/create",
        &fixture("collections__create"),
        1_000,
    );
    let c = book.collection(COLLECTION).expect("stored").clone();
    assert_eq!(change.writes, [Write::Collection(c.clone())]);
    assert_eq!(
        (&*c.handle, &*c.title),
        ("mynewcollection", "My New Collection")
    );
    assert_eq!(c.updated_at, Some(ts("2021-12-31T19:00:00-05:00")));
    assert_eq!(c.published_at, Some(ts("2021-12-31T16:00:00-05:00")));
    assert_eq!(c.sort_order, None);
    let change = deliver(
        &mut book,
        "collections/update",
        &fixture("collections__update"),
        2_000,
    );
    assert_eq!((change.ignored, change.writes.len()), (None, 0));
    let change = deliver(
        &mut book,
        "collections/delete",
        &fixture("collections__delete"),
        3_000,
    );
    assert_eq!(
        change.writes,
        [Write::CollectionDeleted {
            id: COLLECTION,
            at: Timestamp(3_000)
        }]
    );
    assert!(book.collection(COLLECTION).is_none());
    assert_eq!(
        book.collection_deleted_at(COLLECTION),
        Some(Timestamp(3_000))
    );
    let late = deliver(
        &mut book,
        "collections/update",
        &fixture("collections__update"),
        4_000,
    );
    assert!(late.ignored.is_some() && late.writes.is_empty());
    assert!(book.collection(COLLECTION).is_none());
}

#[test]
fn deleted_product_is_not_resurrected_by_a_late_update_or_variant() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    let change = deliver(
        &mut book,
        "products/delete",
        &fixture("products__delete"),
        3_000,
    );
    assert_eq!(
        change.writes,
        [Write::ProductDeleted {
            id: PRODUCT,
            at: Timestamp(3_000)
        }]
    );
    assert!(book.product(PRODUCT).is_none() && book.is_empty());
    for (topic, name) in [
        ("products/update", "products__update"),
        ("products/create", "products__create"),
        ("variants/in_stock", "variants__in_stock"),
        ("variants/out_of_stock", "variants__out_of_stock"),
    ] {
        let late = deliver(&mut book, topic, &fixture(name), 4_000);
        assert!(late.ignored.is_some(), "{topic}");
        assert!(late.writes.is_empty() && late.events.is_empty(), "{topic}");
    }
    assert!(book.product(PRODUCT).is_none());
    let again = deliver(
        &mut book,
        "products/delete",
        &fixture("products__delete"),
        5_000,
    );
    assert!(again.ignored.is_some());
    assert_eq!(book.product_deleted_at(PRODUCT), Some(Timestamp(3_000)));
}

#[test]
fn delete_before_create_leaves_a_tombstone() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/delete",
        &fixture("products__delete"),
        3_000,
    );
    let late = deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    assert!(late.ignored.is_some());
    assert!(book.product(PRODUCT).is_none());
}

#[test]
fn older_product_update_is_ignored() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/update",
        &fixture("products__update"),
        2_000,
    );
    let old = edited("products__update", |v| {
        v["updated_at"] = "2021-12-01T00:00:00Z".into();
        v["title"] = "Old title".into();
    });
    let change = deliver(&mut book, "products/update", &old, 3_000);
    assert!(change.ignored.is_some_and(|r| r.contains("older")));
    assert_eq!(
        book.product(PRODUCT).map(|p| &*p.title),
        Some("Example T-Shirt")
    );
}

#[test]
fn older_collection_update_is_ignored() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "collections/update",
        &fixture("collections__update"),
        2_000,
    );
    let old = edited("collections__update", |v| {
        v["updated_at"] = "2021-01-01T00:00:00Z".into();
        v["title"] = "Old".into();
    });
    assert!(deliver(&mut book, "collections/update", &old, 3_000)
        .ignored
        .is_some());
    assert_eq!(
        book.collection(COLLECTION).map(|c| &*c.title),
        Some("My New Collection")
    );
}

#[test]
fn variants_beyond_the_payload_are_kept_and_vanished_ones_dropped() {
    let mut book = CatalogBook::new();
    deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        1_000,
    );
    // Medium is only listed in variant_gids (as past the first 100): kept.
    let only_small = edited("products__update", |v| {
        v["updated_at"] = "2022-01-02T00:00:00Z".into();
        if let Some(list) = v["variants"].as_array_mut() {
            list.truncate(1);
        }
    });
    deliver(&mut book, "products/update", &only_small, 2_000);
    let ids: Vec<_> = book
        .product(PRODUCT)
        .map(|p| p.variants.iter().map(|v| v.id).collect())
        .unwrap_or_default();
    assert_eq!(ids, [SMALL, MEDIUM]);
    // Medium is gone from both lists: dropped.
    let deleted = edited("products__update", |v| {
        v["updated_at"] = "2022-01-03T00:00:00Z".into();
        if let Some(list) = v["variants"].as_array_mut() {
            list.truncate(1);
        }
        if let Some(list) = v["variant_gids"].as_array_mut() {
            list.remove(0);
        }
    });
    let change = deliver(&mut book, "products/update", &deleted, 3_000);
    let p = book.product(PRODUCT).expect("stored");
    assert_eq!(change.writes, [Write::Product(p.clone())]);
    let ids: Vec<_> = p.variants.iter().map(|v| v.id).collect();
    assert_eq!(ids, [SMALL]);
}

#[test]
fn unknown_product_variant_creates_a_placeholder_that_products_create_fills_in() {
    let mut book = CatalogBook::new();
    let change = deliver(
        &mut book,
        "variants/out_of_stock",
        &fixture("variants__out_of_stock"),
        1_000,
    );
    let p = book.product(PRODUCT).expect("placeholder").clone();
    assert!(p.placeholder && p.title.is_empty() && p.updated_at.is_none());
    assert_eq!(p.variant(SMALL).map(|v| v.inventory_quantity), Some(0));
    assert_eq!(change.writes, [Write::Product(p)]);
    // products/create, taken after the stock-out, brings the stock back: one restock.
    let change = deliver(
        &mut book,
        "products/create",
        &fixture("products__create"),
        2_000,
    );
    let p = book.product(PRODUCT).expect("stored");
    assert!(!p.placeholder);
    assert_eq!(&*p.title, "Example T-Shirt");
    assert_eq!(p.variants.len(), 2);
    assert_eq!(
        change.events,
        [EventKind::VariantRestocked {
            product_id: PRODUCT,
            variant_id: SMALL,
            previous_quantity: 0,
            quantity: 75
        }]
    );
}
