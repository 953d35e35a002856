//! Every rule and operator, through both `matches` and the index (see `testkit::both`).

use super::testkit::{both, date, one_rule, segment, TODAY};
use super::{facts_of, ContactFacts, Engagement, Purchases};
use crate::domain::contact::{Contact, CountryCode, MarketingState, Tags};
use crate::domain::phone::PhoneE164;
use crate::domain::segments::LanguageCode;
use crate::domain::{Money, Timestamp};
use serde_json::{json, Value};

fn check(field: &str, op: &str, value: Value, f: &ContactFacts) -> bool {
    both(&one_rule(field, op, value), f, &[])
}

fn with(edit: impl FnOnce(&mut ContactFacts)) -> ContactFacts {
    let mut f = ContactFacts::default();
    edit(&mut f);
    f
}

#[test]
fn phone_is_exact() {
    let p = PhoneE164::parse("+34600111222").expect("phone");
    let f = with(|f| f.phone = Some(p));
    assert!(check("PHONE", "IS", json!("+34600111222"), &f));
    assert!(!check("PHONE", "IS", json!("+34600111223"), &f));
    assert!(!check(
        "PHONE",
        "IS",
        json!("+34600111222"),
        &ContactFacts::default()
    ));
}

#[test]
fn list_in_and_not_in() {
    let f = ContactFacts::default();
    let s = |op, v| one_rule("LIST", op, v);
    assert!(both(&s("IN", json!(1)), &f, &[1]));
    assert!(both(&s("IN", json!([2, 1])), &f, &[1]));
    assert!(!both(&s("IN", json!(2)), &f, &[1]));
    assert!(!both(&s("NOT_IN", json!(1)), &f, &[1]));
    assert!(both(&s("NOT_IN", json!([2, 3])), &f, &[1]));
    assert!(both(&s("NOT_IN", json!(1)), &f, &[]));
}

fn date_field(field: &str, set: fn(&mut ContactFacts, Option<i32>)) {
    let on = |d: i32| with(|f| set(f, Some(d)));
    let never = ContactFacts::default();
    assert!(check(
        field,
        "BEFORE",
        json!(date(TODAY - 10)),
        &on(TODAY - 11)
    ));
    assert!(!check(
        field,
        "BEFORE",
        json!(date(TODAY - 10)),
        &on(TODAY - 10)
    ));
    assert!(check(
        field,
        "AFTER",
        json!(date(TODAY - 10)),
        &on(TODAY - 9)
    ));
    assert!(!check(
        field,
        "AFTER",
        json!(date(TODAY - 10)),
        &on(TODAY - 10)
    ));
    let between = json!([date(TODAY - 10), date(TODAY - 5)]);
    assert!(check(field, "BETWEEN", between.clone(), &on(TODAY - 10)));
    assert!(check(field, "BETWEEN", between.clone(), &on(TODAY - 5)));
    assert!(!check(field, "BETWEEN", between.clone(), &on(TODAY - 4)));
    assert!(check(field, "IN_LAST_DAYS", json!(7), &on(TODAY - 6)));
    assert!(!check(field, "IN_LAST_DAYS", json!(7), &on(TODAY - 7)));
    for (op, v) in [
        ("BEFORE", json!(date(TODAY))),
        ("AFTER", json!(date(0))),
        ("BETWEEN", between),
        ("IN_LAST_DAYS", json!(36_500)),
    ] {
        assert!(!check(field, op, v, &never), "{field} {op} never");
    }
}

#[test]
fn last_message_received_dates() {
    date_field("LAST_MESSAGE_RECEIVED", |f, d| {
        f.last_message_received_day = d
    });
}

#[test]
fn last_engaged_dates() {
    date_field("LAST_ENGAGED", |f, d| f.last_engaged_day = d);
}

fn numeric(field: &str, value: fn(i64) -> Value, set: fn(&mut ContactFacts, i64)) {
    let f = with(|f| set(f, 3));
    let c = |op, v| check(field, op, v, &f);
    assert!(c("GT", value(2)) && !c("GT", value(3)));
    assert!(c("LT", value(4)) && !c("LT", value(3)));
    assert!(c("GTE", value(3)) && !c("GTE", value(4)));
    assert!(c("LTE", value(3)) && !c("LTE", value(2)));
    assert!(c("EQ", value(3)) && !c("EQ", value(2)));
    assert!(
        c("BETWEEN", json!([value(3), value(5)])) && !c("BETWEEN", json!([value(4), value(5)]))
    );
}

#[test]
fn orders_count_operators() {
    numeric(
        "ORDERS_COUNT",
        |n| json!(n),
        |f, n| f.orders_count = n as u32,
    );
}

#[test]
fn total_spent_operators() {
    numeric(
        "TOTAL_SPENT",
        |n| json!(format!("{n}.00")),
        |f, n| f.total_spent = n * 1000,
    );
    let f = with(|f| f.total_spent = 100_500);
    assert!(check("TOTAL_SPENT", "GT", json!(100.49), &f));
    assert!(!check("TOTAL_SPENT", "GT", json!("100.5"), &f));
}

#[test]
fn average_order_value_operators() {
    numeric(
        "AVERAGE_ORDER_VALUE",
        |n| json!(n),
        |f, n| f.average_order_value = n * 1000,
    );
}

#[test]
fn days_since_last_order_operators() {
    numeric(
        "DAYS_SINCE_LAST_ORDER",
        |n| json!(n),
        |f, n| f.last_order_day = Some(TODAY - n as i32),
    );
    assert!(!check(
        "DAYS_SINCE_LAST_ORDER",
        "GTE",
        json!(0),
        &ContactFacts::default()
    ));
}

#[test]
fn days_since_first_order_operators() {
    numeric(
        "DAYS_SINCE_FIRST_ORDER",
        |n| json!(n),
        |f, n| f.first_order_day = Some(TODAY - n as i32),
    );
    assert!(!check(
        "DAYS_SINCE_FIRST_ORDER",
        "LTE",
        json!(99_999),
        &ContactFacts::default()
    ));
}

#[test]
fn country_operators() {
    let es = with(|f| f.country = CountryCode::parse("ES"));
    let none = ContactFacts::default();
    assert!(check("COUNTRY", "IS", json!("ES"), &es));
    assert!(!check("COUNTRY", "IS", json!("PT"), &es));
    assert!(check("COUNTRY", "IS_NOT", json!("PT"), &es));
    assert!(!check("COUNTRY", "IS_NOT", json!("ES"), &es));
    assert!(check("COUNTRY", "IN", json!(["PT", "ES"]), &es));
    assert!(!check("COUNTRY", "NOT_IN", json!(["PT", "ES"]), &es));
    assert!(!check("COUNTRY", "IS", json!("ES"), &none));
    assert!(check("COUNTRY", "NOT_IN", json!(["ES"]), &none));
}

#[test]
fn language_operators() {
    let es = with(|f| f.language = LanguageCode::parse("es-ES"));
    let none = ContactFacts::default();
    assert!(check("LANGUAGE", "IS", json!("es"), &es));
    assert!(check("LANGUAGE", "IS_NOT", json!("en"), &es));
    assert!(!check("LANGUAGE", "IS_NOT", json!("ES"), &es));
    assert!(check("LANGUAGE", "IN", json!(["en", "es"]), &es));
    assert!(!check("LANGUAGE", "NOT_IN", json!(["en", "es"]), &es));
    assert!(!check("LANGUAGE", "IN", json!(["es"]), &none));
    assert!(check("LANGUAGE", "NOT_IN", json!(["es"]), &none));
}

#[test]
fn consent_operators() {
    let sub = with(|f| f.consent = MarketingState::Subscribed);
    let unknown = ContactFacts::default();
    assert!(check("CONSENT", "IS", json!("SUBSCRIBED"), &sub));
    assert!(!check("CONSENT", "IS", json!("SUBSCRIBED"), &unknown));
    assert!(check("CONSENT", "IS", json!("UNKNOWN"), &unknown));
    assert!(check("CONSENT", "IS_NOT", json!("UNSUBSCRIBED"), &sub));
    assert!(!check("CONSENT", "IS_NOT", json!("SUBSCRIBED"), &sub));
    let not_sub = with(|f| f.consent = MarketingState::NotSubscribed);
    assert!(check("CONSENT", "IS", json!("NOT_SUBSCRIBED"), &not_sub));
}

#[test]
fn tag_operators() {
    let vip = with(|f| f.tags = vec!["VIP".into(), "wholesale".into()]);
    assert!(check("TAG", "HAS", json!("VIP"), &vip));
    assert!(!check("TAG", "HAS", json!("vip"), &vip));
    assert!(!check("TAG", "HAS_NOT", json!("wholesale"), &vip));
    assert!(check("TAG", "HAS_NOT", json!("new"), &vip));
    assert!(!check("TAG", "HAS", json!("VIP"), &ContactFacts::default()));
}

#[test]
fn purchased_collection_and_vendor_operators() {
    let f = with(|f| {
        f.collections = vec![10, 20];
        f.vendors = vec!["Acme".into()];
    });
    assert!(check("PURCHASED_COLLECTION", "IN", json!([5, 20]), &f));
    assert!(!check("PURCHASED_COLLECTION", "IN", json!(5), &f));
    assert!(!check("PURCHASED_COLLECTION", "NOT_IN", json!([10]), &f));
    assert!(check("PURCHASED_COLLECTION", "NOT_IN", json!([5, 6]), &f));
    assert!(check("PURCHASED_VENDOR", "IN", json!(["Acme"]), &f));
    assert!(!check("PURCHASED_VENDOR", "IN", json!("Globex"), &f));
    assert!(check("PURCHASED_VENDOR", "NOT_IN", json!("Globex"), &f));
    assert!(!check("PURCHASED_VENDOR", "NOT_IN", json!(["Acme"]), &f));
}

#[test]
fn rules_in_a_group_and_groups_or() {
    let f = with(|f| {
        f.orders_count = 5;
        f.country = CountryCode::parse("ES");
    });
    let r = |field: &str, op: &str, v: Value| json!({"field": field, "op": op, "value": v});
    let both_hold = segment(
        1,
        json!([[
            r("ORDERS_COUNT", "GTE", json!(3)),
            r("COUNTRY", "IS", json!("ES"))
        ]]),
    );
    let one_fails = segment(
        2,
        json!([[
            r("ORDERS_COUNT", "GTE", json!(3)),
            r("COUNTRY", "IS", json!("PT"))
        ]]),
    );
    let either = segment(
        3,
        json!([
            [r("COUNTRY", "IS", json!("PT"))],
            [r("ORDERS_COUNT", "GT", json!(4))]
        ]),
    );
    let neither = segment(
        4,
        json!([
            [r("COUNTRY", "IS", json!("PT"))],
            [r("ORDERS_COUNT", "GT", json!(5))]
        ]),
    );
    assert!(both(&both_hold, &f, &[]));
    assert!(!both(&one_fails, &f, &[]));
    assert!(both(&either, &f, &[]));
    assert!(!both(&neither, &f, &[]));
}

#[test]
fn facts_of_reads_the_contact_engagement_and_purchases() {
    let day = |d: i32| Timestamp(i64::from(d) * 86_400_000 + 5);
    let mut c = Contact::new(1, Timestamp(0));
    c.phone = PhoneE164::parse("+34600111222").ok();
    c.orders_count = 2;
    c.total_spent = Money(50_000);
    c.average_order_value = Money(25_000);
    c.first_order_at = Some(day(10));
    c.last_order_at = Some(day(20));
    c.country = CountryCode::parse("ES");
    c.locale = Some("es-ES".into());
    c.marketing_state = MarketingState::Subscribed;
    c.tags = Tags::from_names(["b", "a"], Timestamp(0));
    let e = Engagement {
        last_message_received_at: Some(day(30)),
        last_engaged_at: Some(Timestamp(-1)),
    };
    let p = Purchases {
        collections: vec![3, 1, 3],
        vendors: vec![" Acme ".into(), "".into(), "Acme".into()],
    };
    let f = facts_of(&c, &e, &p);
    assert_eq!(f.phone, c.phone);
    assert_eq!(
        (f.orders_count, f.total_spent, f.average_order_value),
        (2, 50_000, 25_000)
    );
    assert_eq!((f.first_order_day, f.last_order_day), (Some(10), Some(20)));
    assert_eq!(
        (f.last_message_received_day, f.last_engaged_day),
        (Some(30), Some(-1))
    );
    assert_eq!(f.language.as_ref().map(LanguageCode::as_str), Some("es"));
    assert_eq!(f.consent, MarketingState::Subscribed);
    assert_eq!(f.tags, vec![Box::from("a"), Box::from("b")]);
    assert_eq!(f.collections, vec![1, 3]);
    assert_eq!(f.vendors, vec![Box::from("Acme")]);
}
