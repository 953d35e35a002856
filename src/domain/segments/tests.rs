//! Parsing segment drafts: every field's operators and values, and the error paths.

use super::*;
use crate::domain::contact::MarketingState;
use serde_json::{json, Value};

fn rule(field: &str, op: &str, value: Value) -> Result<Rule, (Part, String)> {
    Rule::parse(&RuleDraft {
        field: field.into(),
        op: op.into(),
        value,
    })
}

fn draft(v: Value) -> SegmentDraft {
    serde_json::from_value(v).expect("draft json")
}

#[test]
fn the_vip_spain_example_parses() {
    let d = draft(json!({"name": "VIP in Spain", "groups": [{"rules": [
        {"field": "COUNTRY", "op": "IS", "value": "es"},
        {"field": "TAG", "op": "HAS", "value": "VIP"},
        {"field": "DAYS_SINCE_LAST_ORDER", "op": "LTE", "value": 89}]}]}));
    let s = d.parse(SegmentId(7)).expect("parses");
    assert_eq!(s.name().as_str(), "VIP in Spain");
    assert_eq!(s.groups()[0].rules().len(), 3);
    assert!(s.is_time_relative());
    assert_eq!(s.draft(), &d);
}

#[test]
fn numeric_operators_parse_to_inclusive_bounds() {
    let c = |op, v| match rule("ORDERS_COUNT", op, v) {
        Ok(Rule::OrdersCount(c)) => c.bounds(),
        other => panic!("{other:?}"),
    };
    assert_eq!(c("GT", json!(3)), (4, i64::MAX));
    assert_eq!(c("LT", json!(3)), (i64::MIN, 2));
    assert_eq!(c("GTE", json!(3)), (3, i64::MAX));
    assert_eq!(c("LTE", json!(3)), (i64::MIN, 3));
    assert_eq!(c("EQ", json!(3)), (3, 3));
    assert_eq!(c("BETWEEN", json!([2, 5])), (2, 5));
    assert!(rule("ORDERS_COUNT", "BETWEEN", json!([5, 2])).is_err());
    assert!(rule("ORDERS_COUNT", "GT", json!(-1)).is_err());
    assert!(rule("ORDERS_COUNT", "LIKE", json!(1)).is_err());
}

#[test]
fn money_values_take_numbers_and_decimal_text() {
    assert_eq!(
        rule("TOTAL_SPENT", "GTE", json!(100.5)),
        Ok(Rule::TotalSpent(Cmp::Gte(100_500)))
    );
    assert_eq!(
        rule("AVERAGE_ORDER_VALUE", "LT", json!("12.25")),
        Ok(Rule::AverageOrderValue(Cmp::Lt(12_250)))
    );
    assert!(rule("TOTAL_SPENT", "GT", json!("a lot")).is_err());
}

#[test]
fn date_rules_take_days_and_rfc3339() {
    assert_eq!(
        rule("LAST_ENGAGED", "BEFORE", json!("1970-01-02")),
        Ok(Rule::LastEngaged(DateCond::Before(1)))
    );
    assert_eq!(
        rule(
            "LAST_MESSAGE_RECEIVED",
            "AFTER",
            json!("1970-01-03T10:00:00Z")
        ),
        Ok(Rule::LastMessageReceived(DateCond::After(2)))
    );
    assert_eq!(
        rule(
            "LAST_ENGAGED",
            "BETWEEN",
            json!(["1970-01-01", "1970-01-05"])
        ),
        Ok(Rule::LastEngaged(DateCond::Between(0, 4)))
    );
    assert_eq!(
        rule("LAST_ENGAGED", "IN_LAST_DAYS", json!(30)),
        Ok(Rule::LastEngaged(DateCond::InLastDays(30)))
    );
    assert!(rule("LAST_ENGAGED", "IN_LAST_DAYS", json!(0)).is_err());
    assert!(rule("LAST_ENGAGED", "BEFORE", json!("31/01/2026")).is_err());
}

#[test]
fn date_conditions_hold_on_whole_days() {
    assert!(DateCond::InLastDays(1).holds(Some(10), 10));
    assert!(!DateCond::InLastDays(1).holds(Some(9), 10));
    assert!(DateCond::InLastDays(2).holds(Some(9), 10));
    assert!(!DateCond::Before(5).holds(None, 10));
    assert!(DateCond::Before(5).holds(Some(4), 10));
    assert!(!DateCond::After(5).holds(Some(5), 10));
    assert_eq!(days_since_bounds(Cmp::Lte(3), 10), (7, i64::MAX));
    assert_eq!(days_since_bounds(Cmp::Gte(3), 10).1, 7);
}

#[test]
fn set_rules_take_one_value_or_a_list() {
    assert_eq!(
        rule("COUNTRY", "IN", json!(["ES", "pt"])),
        Ok(Rule::Country {
            codes: vec![
                crate::domain::contact::CountryCode::parse("ES").expect("es"),
                crate::domain::contact::CountryCode::parse("PT").expect("pt")
            ],
            negate: false
        })
    );
    assert!(matches!(
        rule("LANGUAGE", "IS_NOT", json!("es-ES")),
        Ok(Rule::Language { ref codes, negate: true }) if codes[0].as_str() == "es"
    ));
    assert_eq!(
        rule("LIST", "NOT_IN", json!(4)),
        Ok(Rule::List {
            lists: vec![ListId(4)],
            negate: true
        })
    );
    assert_eq!(
        rule(
            "PURCHASED_COLLECTION",
            "IN",
            json!(["gid://shopify/Collection/9", 10])
        ),
        Ok(Rule::PurchasedCollection {
            ids: vec![9, 10],
            negate: false
        })
    );
    assert!(rule("PURCHASED_VENDOR", "IN", json!([])).is_err());
    assert!(rule("COUNTRY", "IS", json!("Spain")).is_err());
}

#[test]
fn phone_consent_and_tag_rules_parse() {
    assert!(matches!(
        rule("PHONE", "IS", json!("+34600111222")),
        Ok(Rule::Phone(_))
    ));
    assert!(rule("PHONE", "IS", json!("600111222")).is_err());
    assert_eq!(
        rule("CONSENT", "IS_NOT", json!("SUBSCRIBED")),
        Ok(Rule::Consent {
            state: MarketingState::Subscribed,
            negate: true
        })
    );
    assert!(rule("CONSENT", "IS", json!("YES")).is_err());
    assert_eq!(
        rule("TAG", "HAS_NOT", json!(" vip ")),
        Ok(Rule::Tag {
            tag: "vip".into(),
            negate: true
        })
    );
}

#[test]
fn errors_name_group_rule_and_part() {
    let d = draft(json!({"name": "", "groups": [
        {"rules": [{"field": "TAG", "op": "HAS", "value": "x"}]},
        {"rules": [{"field": "ORDERS_COUNT", "op": "GTE", "value": "many"},
                   {"field": "SHOE_SIZE", "op": "IS", "value": 42}]},
        {"rules": []}]}));
    let errs = d.parse(SegmentId(1)).expect_err("invalid");
    let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(text[0], "name: expected 1 to 255 characters");
    assert!(text[1].starts_with("groups[1].rules[0].value: expected a whole number"));
    assert!(text[2].starts_with("groups[1].rules[1].field: unknown field `SHOE_SIZE`"));
    assert_eq!(text[3], "groups[2].rules: expected at least one rule");
}

#[test]
fn limits_are_enforced() {
    let r = json!({"field": "TAG", "op": "HAS", "value": "x"});
    let many_rules = json!({"rules": vec![r.clone(); MAX_RULES + 1]});
    let d = draft(json!({"name": "n", "groups": vec![many_rules; MAX_GROUPS + 1]}));
    let errs = d.parse(SegmentId(1)).expect_err("too big");
    assert_eq!(errs[0], SegmentError::TooManyGroups { count: 21 });
    assert_eq!(
        errs[1],
        SegmentError::TooManyRules {
            group: 0,
            count: 21
        }
    );
    assert!(Name::parse(&"x".repeat(256)).is_err());
    assert!(Name::parse(&"é".repeat(255)).is_ok());
    assert!(serde_json::from_value::<StaticList>(
        json!({"id": 1, "name": "  ", "created_at": "2026-01-01T00:00:00Z"})
    )
    .is_err());
}
