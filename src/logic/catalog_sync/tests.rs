//! The items of products and the requests of their changes.

use super::*;
use crate::domain::catalog::{ProductImage, SelectedOption, VariantVersion};
use crate::domain::Timestamp;

fn shop() -> ShopFacts {
    ShopFacts {
        domain: "demo.myshopify.com".into(),
        name: "Demo".into(),
        currency: "eur".into(),
    }
}

fn variant(id: u64, title: &str, price: &str, compare: Option<&str>, stock: i64) -> Variant {
    Variant {
        id,
        product_id: 8,
        title: title.into(),
        price: Money::parse(price).expect("price"),
        compare_at_price: compare.and_then(Money::parse),
        inventory_quantity: stock,
        sku: None,
        image: None,
        selected_options: vec![
            SelectedOption {
                name: "Size".into(),
                value: title.into(),
            },
            SelectedOption {
                name: "Fit".into(),
                value: "Slim".into(),
            },
        ],
        position: 1,
        updated_at: None,
        version: VariantVersion {
            updated_at: None,
            triggered_at: Timestamp(0),
        },
        stock_history: Vec::new(),
    }
}

fn product() -> Product {
    let mut p = Product::new_placeholder(8);
    p.placeholder = false;
    p.title = "Linen shirt".into();
    p.handle = "linen-shirt".into();
    p.vendor = "Acme".into();
    p.status = ProductStatus::Active;
    p.images = vec![ProductImage {
        id: 1,
        src: "https://cdn.example/shirt.jpg".into(),
        position: 1,
        alt: None,
    }];
    p.variants = vec![
        variant(81, "M", "20.00", Some("25.00"), 3),
        variant(82, "L", "20.00", None, 0),
    ];
    p
}

#[test]
fn a_variant_becomes_an_item_with_meta_s_fields() {
    let p = product();
    let m = item(&shop(), &p, &p.variants[0]).expect("item");
    assert_eq!(m["id"], "81");
    assert_eq!(m["item_group_id"], "8");
    assert_eq!(m["title"], "Linen shirt - M");
    assert_eq!(m["description"], "Linen shirt");
    assert_eq!(m["availability"], "in stock");
    assert_eq!(m["quantity_to_sell_on_facebook"], 3);
    assert_eq!(m["condition"], "new");
    assert_eq!(
        (m["price"].as_str(), m["sale_price"].as_str()),
        (Some("25.00 EUR"), Some("20.00 EUR"))
    );
    assert_eq!(
        m["link"],
        "https://demo.myshopify.com/products/linen-shirt?variant=81"
    );
    assert_eq!(m["image"][0]["url"], "https://cdn.example/shirt.jpg");
    assert_eq!(m["brand"], "Acme");
    assert_eq!(m["size"], "M");
    assert_eq!(m["additional_variant_attribute"], "Fit:Slim");
    let l = item(&shop(), &p, &p.variants[1]).expect("item");
    assert_eq!(
        (l["availability"].as_str(), l["price"].as_str()),
        (Some("out of stock"), Some("20.00 EUR"))
    );
    assert!(l.get("sale_price").is_none());
}

#[test]
fn what_meta_would_refuse_is_named_before_sending() {
    let mut p = product();
    p.images.clear();
    assert_eq!(item(&shop(), &p, &p.variants[0]), Err(ItemProblem::NoImage));
    let mut p = product();
    p.title = " ".into();
    assert_eq!(item(&shop(), &p, &p.variants[0]), Err(ItemProblem::NoTitle));
    let mut bad = shop();
    bad.currency = "EURO".into();
    let p = product();
    assert_eq!(
        item(&bad, &p, &p.variants[0]),
        Err(ItemProblem::BadCurrency("EURO".into()))
    );
    let mut p = product();
    p.title = "x".repeat(140).into();
    p.vendor = "".into();
    let m = item(&shop(), &p, &p.variants[0]).expect("item");
    assert_eq!(
        m["title"].as_str().map(|t| t.chars().count()),
        Some(TITLE_MAX)
    );
    assert_eq!(
        m["brand"], "Demo",
        "the store's name stands for a missing vendor"
    );
}

#[test]
fn a_change_becomes_updates_and_deletes() {
    let before = product();
    // L removed, N added.
    let mut after = product();
    after.variants.pop();
    after.variants.push(variant(83, "N", "22.00", None, 1));
    let r = requests(&shop(), Some(&before), Some(&after), false);
    let ids: Vec<(&str, &str)> = r
        .iter()
        .map(|x| match x {
            ItemRequest::Update { id, .. } => ("UPDATE", id.as_str()),
            ItemRequest::Delete { id } => ("DELETE", id.as_str()),
            ItemRequest::Invalid { id, .. } => ("INVALID", id.as_str()),
        })
        .collect();
    assert_eq!(ids, [("UPDATE", "81"), ("UPDATE", "83"), ("DELETE", "82")]);
    assert_eq!(
        r[2].wire(),
        Some(json!({"method": "DELETE", "data": {"id": "82"}}))
    );
    assert_eq!(
        r[0].wire().map(|w| w["method"].clone()),
        Some(json!("UPDATE"))
    );
    // Deleted, archived or excluded: every pushed variant leaves Meta.
    let gone = requests(&shop(), Some(&before), None, false);
    assert!(gone.iter().all(|x| matches!(x, ItemRequest::Delete { .. })) && gone.len() == 2);
    let mut archived = product();
    archived.status = ProductStatus::Archived;
    assert_eq!(
        requests(&shop(), Some(&before), Some(&archived), false).len(),
        2
    );
    assert_eq!(requests(&shop(), None, Some(&before), true), vec![]);
    // A variant that became invalid is failed here and removed there.
    let mut no_image = product();
    no_image.images.clear();
    let r = requests(&shop(), Some(&before), Some(&no_image), false);
    assert!(r.iter().any(
        |x| matches!(x, ItemRequest::Invalid { id, problem: ItemProblem::NoImage } if id == "81")
    ));
    assert!(r
        .iter()
        .any(|x| matches!(x, ItemRequest::Delete { id } if id == "81")));
}

#[test]
fn availability_and_condition_are_values_of_meta_s_enums() {
    let root = std::env::var("GALANTIS_FIXTURES").map_or_else(
        |_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
        std::path::PathBuf::from,
    );
    let path = root.join("meta/catalog-specs/enum_types.productcatalog_subset.json");
    let text = std::fs::read_to_string(&path).expect("the catalog enum spec (../shared/fixtures)");
    let enums: Vec<Value> = serde_json::from_str(&text).expect("json");
    let values = |name: &str| -> Vec<String> {
        enums
            .iter()
            .find(|e| e["name"] == name)
            .and_then(|e| e["values"].as_array())
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let p = product();
    for v in &p.variants {
        let m = item(&shop(), &p, v).expect("item");
        let availability = m["availability"].as_str().unwrap_or_default().to_string();
        assert!(
            values("ProductItem_availability").contains(&availability),
            "{availability}"
        );
        let condition = m["condition"].as_str().unwrap_or_default().to_string();
        assert!(
            values("ProductItem_condition").contains(&condition),
            "{condition}"
        );
    }
}

mod plans {
    use super::*;
    use crate::domain::catalog_sync::{ItemSync, PushOutcome};
    use crate::logic::catalog_sync::plan::{item_hash, plan};

    fn synced(p: &Product, v: usize) -> (u64, ItemSync) {
        let data = item(&shop(), p, &p.variants[v]).expect("item");
        (
            p.variants[v].id,
            ItemSync {
                outcome: PushOutcome::Synced,
                at_ms: 1,
                hash: item_hash(&data),
                error: None,
                at_meta: true,
            },
        )
    }

    #[test]
    fn only_changed_variants_are_sent_unless_forced() {
        let p = product();
        let known = [synced(&p, 0), synced(&p, 1)];
        assert!(plan(&shop(), Some(&p), false, &known, false, &[])
            .send
            .is_empty());
        assert_eq!(
            plan(&shop(), Some(&p), false, &known, true, &[]).send.len(),
            2
        );
        let mut changed = p.clone();
        changed.variants[1].inventory_quantity = 4;
        let out = plan(&shop(), Some(&changed), false, &known, false, &[]);
        assert_eq!(out.send.len(), 1);
        assert_eq!(out.send[0].variant, 82);
        assert!(matches!(out.send[0].request, ItemRequest::Update { .. }));
        // A failed variant is sent again even when its item is the same.
        let mut failed = known.clone();
        failed[0].1.outcome = PushOutcome::Failed;
        assert_eq!(
            plan(&shop(), Some(&p), false, &failed, false, &[])
                .send
                .len(),
            1
        );
    }

    #[test]
    fn gone_excluded_and_invalid_variants_leave_meta_or_are_forgotten() {
        let p = product();
        let known = [synced(&p, 0), synced(&p, 1)];
        // Deleted product: both deleted at Meta.
        let out = plan(&shop(), None, false, &known, false, &[]);
        assert_eq!(out.send.len(), 2);
        assert!(out
            .send
            .iter()
            .all(|s| matches!(s.request, ItemRequest::Delete { .. })));
        // Excluded: the same.
        assert_eq!(
            plan(&shop(), Some(&p), true, &known, false, &[]).send.len(),
            2
        );
        // A variant never at Meta is only forgotten.
        let mut never = known.clone();
        never[1].1.at_meta = false;
        let out = plan(&shop(), None, false, &never, false, &[]);
        assert_eq!((out.send.len(), out.forget.as_slice()), (1, &[82][..]));
        // Invalid now: deleted at Meta with the problem kept; unknown to Meta: refused.
        let mut bad = p.clone();
        bad.title = "".into();
        let out = plan(&shop(), Some(&bad), false, &known, false, &[]);
        assert!(out
            .send
            .iter()
            .all(|s| s.invalid == Some(ItemProblem::NoTitle)));
        let out = plan(&shop(), Some(&bad), false, &[], false, &[]);
        assert_eq!(out.invalid.len(), 2);
        assert!(out.send.is_empty());
    }

    #[test]
    fn an_image_under_500_px_is_refused_before_sending() {
        use crate::domain::catalog_sync::ImageSize;
        let p = product();
        let small = [ImageSize {
            id: 1,
            width: 400,
            height: 900,
        }];
        let out = plan(&shop(), Some(&p), false, &[], false, &small);
        assert!(out.send.is_empty());
        assert_eq!(
            out.invalid[0].1,
            ItemProblem::SmallImage {
                width: 400,
                height: 900
            }
        );
        assert!(out.invalid[0].1.to_string().contains("at least 500×500"));
        let big = [ImageSize {
            id: 1,
            width: 800,
            height: 800,
        }];
        assert_eq!(
            plan(&shop(), Some(&p), false, &[], false, &big).send.len(),
            2
        );
    }
}
