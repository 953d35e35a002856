//! The builders against the fixtures' shapes, and the rendered bodies' sizes.

use super::rendered::{Bodies, Person, CUSTOMER_BASE, ORDER_BASE, T0};
use super::*;

/// Every key of `fixture` is in `built` (nested objects too; arrays by their first item).
fn keys_covered(fixture: &Value, built: &Value, path: &str, missing: &mut Vec<String>) {
    if let (Value::Object(f), Value::Object(b)) = (fixture, built) {
        for (k, v) in f {
            match b.get(k) {
                None => missing.push(format!("{path}.{k}")),
                Some(bv) => keys_covered(v, bv, &format!("{path}.{k}"), missing),
            }
        }
    }
}

fn fixture(name: &str) -> Value {
    let dir = std::env::var("GALANTIS_FIXTURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures")
        });
    let p = dir.join("shopify/webhooks").join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).expect("fixture json")
}

#[test]
fn a_customer_body_has_every_key_of_the_fixture() {
    let mut c = Customer::new(706_405_506_930_370_084);
    c.address = Some(Address::in_country(12_321, "CA"));
    let mut missing = Vec::new();
    keys_covered(
        &fixture("customers__create.json"),
        &c.body(),
        "",
        &mut missing,
    );
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn a_variant_body_has_every_key_of_the_fixture() {
    let v = Variant::new(642_667_041_472_713_922, 788_032_119_674_292_922, 75);
    let mut missing = Vec::new();
    keys_covered(
        &fixture("variants__in_stock.json"),
        &v.body(),
        "",
        &mut missing,
    );
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn rendered_bodies_are_json_of_the_sizes_the_benches_were_measured_with() {
    let b = Bodies::new();
    let p = Person::new(1, CUSTOMER_BASE + 1);
    let customer = b.customer(&p, T0, T0);
    let order = b.order(&p, ORDER_BASE + 1, T0, 12_345);
    for body in [&customer, &order] {
        serde_json::from_str::<Value>(body).expect("json");
    }
    // ~2 KB each (BENCHMARKS.md: 1,783 B and 2,126 B for the numbers it used).
    assert!(
        (1_700..1_900).contains(&customer.len()),
        "{}",
        customer.len()
    );
    assert!((2_000..2_250).contains(&order.len()), "{}", order.len());
}

#[test]
fn money_and_gids_look_like_shopifys() {
    assert_eq!(money(1_999), "19.99");
    assert_eq!(money(5), "0.05");
    assert_eq!(gid("Order", 7), "gid://shopify/Order/7");
    let order = Order::new(11, 22).body();
    assert_eq!(order["total_price"], "10.00");
    assert_eq!(order["customer"]["id"], 22);
}

#[test]
fn times_are_written_the_way_shopify_writes_them() {
    use time::macros::datetime;
    let t = datetime!(2021-12-31 19:00:00.25 -5);
    assert_eq!(shop_time(t), "2021-12-31T19:00:00-05:00");
    assert_eq!(utc_millis(t), "2022-01-01T00:00:00.250Z");
}
