//! Tests of the sample-store generator: determinism, payload shapes, ids, topics.

use super::*;
use crate::domain::phone::{PhoneE164, PhoneError};
use crate::logic::Topic;
use std::collections::HashSet;

fn opts(seed: u64, customers: usize) -> Options {
    Options {
        seed,
        customers,
        // 2026-03-02T15:00:00Z
        now: OffsetDateTime::from_unix_timestamp(1_772_463_600).expect("valid time"),
    }
}

fn store(seed: u64, customers: usize) -> Generated {
    let data = SampleData::embedded().expect("embedded sample data parses");
    generate(&data, &opts(seed, customers))
}

fn all(g: &Generated) -> impl Iterator<Item = &Delivery> {
    g.phases.iter().flat_map(|p| &p.deliveries)
}

fn fingerprint(g: &Generated) -> Vec<(String, String, String)> {
    all(g)
        .map(|d| {
            (
                d.webhook_id.clone(),
                d.triggered_at.clone(),
                serde_json::to_string(&d.body).expect("serialises"),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_store() {
    assert_eq!(fingerprint(&store(7, 120)), fingerprint(&store(7, 120)));
    assert_ne!(fingerprint(&store(7, 120)), fingerprint(&store(8, 120)));
}

#[test]
fn more_customers_only_add_customers() {
    let small = store(3, 40);
    let big = store(3, 80);
    let creates = |g: &Generated| -> Vec<String> {
        all(g)
            .filter(|d| d.topic == "customers/create")
            .map(|d| serde_json::to_string(&d.body).expect("serialises"))
            .collect()
    };
    assert_eq!(creates(&small)[..], creates(&big)[..40]);
}

#[test]
fn every_body_is_a_json_object_with_an_id() {
    let g = store(1, 200);
    for d in all(&g) {
        let text = serde_json::to_vec(&d.body).expect("serialises");
        let back: serde_json::Value = serde_json::from_slice(&text).expect("valid JSON");
        let id = if d.topic.starts_with("customer.tags") {
            // camelCase GraphQL-style payload: the id is a gid.
            back["customerId"]
                .as_str()
                .and_then(|g| g.rsplit('/').next())
                .and_then(|n| n.parse::<u64>().ok())
        } else if d.topic == "customers_email_marketing_consent/update" {
            back["customer_id"].as_u64()
        } else {
            back["id"].as_u64()
        };
        assert!(id.is_some_and(|n| n > 0), "{} has no id: {back}", d.topic);
    }
}

#[test]
fn ids_are_large_exact_integers() {
    let g = store(1, 50);
    let big: Vec<u64> = all(&g)
        .filter_map(|d| d.body["id"].as_u64())
        .filter(|&id| id > 1 << 53)
        .collect();
    assert!(!big.is_empty());
    for d in all(&g).filter(|d| d.body["id"].is_number()) {
        let text = serde_json::to_string(&d.body["id"]).expect("serialises");
        assert!(
            !text.contains(['.', 'e', 'E']),
            "id written as a float: {text}"
        );
        assert_eq!(text.parse::<u64>().ok(), d.body["id"].as_u64());
    }
}

#[test]
fn topics_are_handled_and_webhook_ids_unique() {
    let g = store(5, 200);
    let mut seen = HashSet::new();
    for d in all(&g) {
        assert!(TOPICS.contains(&d.topic), "{}", d.topic);
        assert_ne!(Topic::parse(d.topic), Topic::Unhandled, "{}", d.topic);
        assert!(seen.insert(d.webhook_id.clone()), "dup {}", d.webhook_id);
        assert!(crate::domain::Timestamp::parse(&d.triggered_at).is_some());
    }
    let topics: HashSet<&str> = all(&g).map(|d| d.topic).collect();
    for t in TOPICS {
        assert!(topics.contains(t), "{t} never generated with 200 customers");
    }
}

#[test]
fn no_record_appears_twice_in_one_phase() {
    let g = store(9, 200);
    for p in &g.phases {
        let mut seen = HashSet::new();
        for d in &p.deliveries {
            let id = d
                .webhook_id
                .rsplit('-')
                .next()
                .unwrap_or_default()
                .to_string();
            // Consent for email and SMS share a customer but touch separate fields.
            let kind = d.topic.split('/').next().unwrap_or_default();
            assert!(
                seen.insert((kind.to_string(), id)),
                "{} twice in {}",
                d.webhook_id,
                p.name
            );
        }
    }
}

#[test]
fn phones_exercise_calling_code_inference() {
    let g = store(2, 200);
    let mut inferred = 0;
    let mut missing = 0;
    for d in all(&g).filter(|d| d.topic == "customers/create") {
        let Some(phone) = d.body["phone"].as_str() else {
            continue;
        };
        let country = d.body["default_address"]["country_code"].as_str();
        match PhoneE164::from_raw(phone, country) {
            Ok(_) if !phone.starts_with('+') => inferred += 1,
            Ok(_) => {}
            Err(PhoneError::MissingCallingCode) => missing += 1,
            Err(e) => panic!("{phone} ({country:?}): {e}"),
        }
    }
    assert!(inferred > 100, "{inferred}");
    assert_eq!(missing, g.facts.missing_calling_code.len());
    assert!(missing >= 4, "{missing}");
}

#[test]
fn payloads_keep_shopify_shapes() {
    let g = store(4, 100);
    let first = |topic: &str| {
        all(&g)
            .find(|d| d.topic == topic)
            .map(|d| d.body.clone())
            .expect("topic generated")
    };
    let p = first("products/create");
    assert!(p["tags"].is_string());
    assert!(p["variants"][0]["price"].is_string());
    assert!(p["admin_graphql_api_id"]
        .as_str()
        .is_some_and(|g| g.starts_with("gid://shopify/Product/")));
    let o = first("orders/create");
    assert!(o["total_price"].is_string());
    assert!(o["line_items"][0]["variant_id"].is_u64());
    assert!(o["customer"]["id"].is_u64());
    assert!(
        o["customer"].get("tags").is_none(),
        "2025-01+: no tags on customers"
    );
    let c = first("checkouts/create");
    assert!(c["abandoned_checkout_url"].is_string());
    assert!(c["completed_at"].is_null());
    let t = first("customer.tags_added");
    assert!(t["tags"].is_array());
    assert!(t["occurredAt"].as_str().is_some_and(|s| s.ends_with('Z')));
    let s = first("customers_marketing_consent/update");
    assert!(s["phone"].as_str().is_some_and(|p| p.starts_with('+')));
    assert!(crate::domain::Timestamp::parse(
        o["created_at"].as_str().expect("created_at is a string")
    )
    .is_some());
}

#[test]
fn restocks_follow_sold_out_variants() {
    let g = store(6, 10);
    let catalog: Vec<&Delivery> = all(&g).filter(|d| d.topic == "products/create").collect();
    let restocks: Vec<&Delivery> = all(&g).filter(|d| d.topic == "variants/in_stock").collect();
    assert!(!restocks.is_empty());
    for r in restocks {
        let product = catalog
            .iter()
            .find(|p| p.body["id"] == r.body["product_id"])
            .expect("restocked variant's product exists");
        let before = product.body["variants"]
            .as_array()
            .and_then(|vs| vs.iter().find(|v| v["id"] == r.body["id"]))
            .expect("variant in its product");
        assert_eq!(before["inventory_quantity"], 0);
        assert!(r.body["inventory_quantity"].as_i64().is_some_and(|q| q > 0));
        assert!(r.triggered_at > product.triggered_at);
    }
}
