//! Flow validation, the walk, conditions, enrolment and variables.

use super::conditions::Facts;
use super::enrol::{decide, Refusal};
use super::step::{advance, split_key, Step};
use super::validate;
use super::vars::{resolve, TemplateShape, VarContext};
use crate::domain::automations::run::{Run, RunStatus, TriggerContext};
use crate::domain::automations::{FlowDraft, SplitBranch, VarSource};
use crate::domain::contact::{Contact, MarketingState};
use crate::domain::whatsapp::{Template, TemplateStatus};
use crate::domain::{Money, Timestamp};
use proptest::prelude::*;
use serde_json::json;

fn template(name: &str, category: &str, body: &str, status: TemplateStatus) -> Template {
    Template {
        name: name.into(),
        language: "en".into(),
        category: category.into(),
        status,
        meta_id: None,
        components: json!([{"type": "BODY", "text": body}]).to_string(),
        reason: None,
        updated_at: Timestamp(0),
    }
}

fn templates() -> Vec<Template> {
    vec![
        template(
            "cart_vip",
            "MARKETING",
            "Hi {{1}}, your cart of {{2}} waits: {{3}}",
            TemplateStatus::Approved,
        ),
        template(
            "cart_std",
            "MARKETING",
            "Hi {{1}}, come back: {{2}}",
            TemplateStatus::Approved,
        ),
        template(
            "pending_one",
            "UTILITY",
            "Hi",
            TemplateStatus::PendingApproval,
        ),
    ]
}

/// The recipe: trigger → 30 min → ORDER_VALUE > 100 → VIP / standard → 24 h → reminder.
fn abandoned() -> serde_json::Value {
    json!({
        "name": "Abandoned checkout",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ABANDONED_CHECKOUT"}},
            {"id": "wait", "type": "DELAY", "delay": {"minutes": 30}},
            {"id": "vip", "type": "CONDITION", "rule": {"type": "ORDER_VALUE", "op": "GT", "value": "100"}},
            {"id": "a_vip", "type": "ACTION", "template": {"name": "cart_vip", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "checkout.total_price"}, {"source": "checkout.url"}]},
            {"id": "a_std", "type": "ACTION", "template": {"name": "cart_std", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "checkout.url"}]},
            {"id": "day", "type": "DELAY", "delay": {"minutes": 1440}},
            {"id": "again", "type": "ACTION", "template": {"name": "cart_std", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "checkout.url"}]}
        ],
        "edges": [
            {"from": "t", "to": "wait"}, {"from": "wait", "to": "vip"},
            {"from": "vip", "to": "a_vip", "branch": "YES"}, {"from": "vip", "to": "a_std", "branch": "NO"},
            {"from": "a_vip", "to": "day"}, {"from": "a_std", "to": "day"}, {"from": "day", "to": "again"}
        ],
        "settings": {"frequency_cap": "DAYS_7", "exit_on_order": true}
    })
}

fn draft(v: serde_json::Value) -> FlowDraft {
    serde_json::from_value(v).expect("a flow draft")
}

fn codes(v: serde_json::Value) -> Vec<(Option<String>, &'static str)> {
    validate(&draft(v), &templates())
        .into_iter()
        .map(|p| (p.node, p.code))
        .collect()
}

#[test]
fn the_recipe_is_valid() {
    assert_eq!(codes(abandoned()), vec![]);
}

fn with(mut v: serde_json::Value, f: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    f(&mut v);
    v
}

#[test]
fn each_broken_flow_is_refused_naming_the_node() {
    let no_trigger = with(abandoned(), |v| {
        v["nodes"][0] = json!({"id": "t", "type": "DELAY", "delay": {"minutes": 5}});
    });
    assert!(codes(no_trigger).contains(&(None, "no_trigger")));
    let two = with(abandoned(), |v| {
        v["nodes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "t2", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}}));
    });
    assert!(codes(two).contains(&(Some("t2".into()), "two_triggers")));
    let dangling = with(abandoned(), |v| {
        v["edges"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["branch"] != "NO");
    });
    assert!(codes(dangling).contains(&(Some("vip".into()), "dangling_branch")));
    let unreachable = with(abandoned(), |v| {
        v["nodes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id": "lost", "type": "DELAY", "delay": {"minutes": 5}}));
    });
    assert!(codes(unreachable).contains(&(Some("lost".into()), "unreachable_node")));
    let spin = with(abandoned(), |v| {
        for e in v["edges"].as_array_mut().unwrap() {
            if e["from"] == "a_std" {
                e["to"] = json!("vip");
            }
        }
    });
    assert!(
        codes(spin).iter().any(|(_, c)| *c == "cycle_without_delay"),
        "a loop through actions and a condition"
    );
    let looped_by_delay = with(abandoned(), |v| {
        v["edges"]
            .as_array_mut()
            .unwrap()
            .push(json!({"from": "again", "to": "day"}));
    });
    assert!(
        !codes(looped_by_delay)
            .iter()
            .any(|(_, c)| *c == "cycle_without_delay"),
        "a loop through a delay is fine"
    );
    let unknown = with(abandoned(), |v| {
        v["nodes"][3]["template"]["name"] = json!("nope")
    });
    assert!(codes(unknown).contains(&(Some("a_vip".into()), "unknown_template")));
    let pending = with(abandoned(), |v| {
        v["nodes"][3]["template"]["name"] = json!("pending_one");
        v["nodes"][3]["body"] = json!([]);
    });
    assert!(codes(pending).contains(&(Some("a_vip".into()), "template_not_approved")));
    let missing = with(abandoned(), |v| {
        v["nodes"][3]["body"].as_array_mut().unwrap().pop();
    });
    assert!(codes(missing).contains(&(Some("a_vip".into()), "missing_variable")));
    let not_here = with(abandoned(), |v| {
        v["nodes"][3]["body"][1] = json!({"source": "order.total_price"})
    });
    assert!(codes(not_here).contains(&(Some("a_vip".into()), "variable_not_available")));
    let unknown_var = with(abandoned(), |v| {
        v["nodes"][3]["body"][1] = json!({"source": "customer.shoe_size"})
    });
    assert!(codes(unknown_var).contains(&(Some("a_vip".into()), "unknown_variable")));
    let no_cap = with(abandoned(), |v| v["settings"] = json!({}));
    assert!(codes(no_cap).contains(&(None, "missing_frequency_cap")));
    let bad_split = with(abandoned(), |v| {
        v["nodes"][2] = json!({"id": "vip", "type": "SPLIT", "branches": [{"key": "YES", "percent": 60}, {"key": "NO", "percent": 30}]});
    });
    assert!(codes(bad_split).contains(&(Some("vip".into()), "bad_split")));
}

fn contact(spent: &str) -> Contact {
    let mut c = Contact::new(7, Timestamp(0));
    c.first_name = Some("Ada".into());
    c.phone = crate::domain::phone::PhoneE164::parse("+447700900123").ok();
    c.marketing_state = MarketingState::Subscribed;
    c.total_spent = Money::parse(spent).unwrap_or_default();
    c
}

fn run() -> Run {
    Run {
        id: 1,
        flow_id: 9,
        version: 1,
        contact_id: 7,
        status: RunStatus::Active,
        node: "t".into(),
        due_ms: None,
        started_ms: 0,
        context: TriggerContext::default(),
        last_message: None,
        steps: 0,
        activity: Vec::new(),
    }
}

fn facts<'a>(c: &'a Contact, total: &str, now_ms: i64) -> Facts<'a> {
    Facts {
        contact: c,
        now_ms,
        run_total: Money::parse(total),
        run_product_tags: &[],
        last_status: None,
        replies: &[],
        segment_member: &|_| false,
        zone: "Europe/Madrid",
    }
}

#[test]
fn a_run_waits_branches_on_the_value_it_has_when_it_gets_there_and_sends() {
    let flow = draft(abandoned());
    let c = contact("0");
    let scale = |ms: i64| ms / 60; // an hour takes a minute
    let mut r = run();
    let step = advance(&flow, 9, &mut r, &facts(&c, "150", 0), None, &scale);
    assert_eq!(step, Step::Wait { due_ms: 30_000 });
    // Not yet due: still waiting, nothing moves.
    assert_eq!(
        advance(&flow, 9, &mut r, &facts(&c, "150", 29_999), None, &scale),
        Step::Wait { due_ms: 30_000 }
    );
    // The cart dropped to 80 during the delay: the standard branch.
    let step = advance(&flow, 9, &mut r, &facts(&c, "80", 30_000), None, &scale);
    assert_eq!(
        step,
        Step::Send {
            node: "a_std".into()
        }
    );
    // A goal met before the message: the run leaves instead.
    let mut r2 = run();
    advance(&flow, 9, &mut r2, &facts(&c, "150", 0), None, &scale);
    let step = advance(
        &flow,
        9,
        &mut r2,
        &facts(&c, "150", 30_000),
        Some("ordered".into()),
        &scale,
    );
    assert_eq!(
        step,
        Step::Exit {
            reason: "ordered".into()
        }
    );
}

fn around(now_ms: i64) -> super::enrol::Around<'static> {
    super::enrol::Around {
        now_ms,
        scale: &|w| w,
        in_segment: &|_| false,
        in_list: &|_| false,
    }
}

#[test]
fn enrolment_refuses_in_the_products_order() {
    let settings = draft(abandoned()).settings;
    let mut c = contact("0");
    assert_eq!(decide(&c, true, &settings, None, &around(0)), Ok(()));
    assert_eq!(
        decide(&c, true, &settings, Some(0), &around(1000)),
        Err(Refusal::FrequencyCap)
    );
    assert_eq!(
        decide(&c, true, &settings, Some(0), &around(8 * 86_400_000)),
        Ok(())
    );
    c.marketing_state = MarketingState::Unsubscribed;
    assert_eq!(
        decide(&c, true, &settings, Some(0), &around(1000)),
        Err(Refusal::NoConsent(MarketingState::Unsubscribed))
    );
    assert_eq!(
        decide(&c, false, &settings, None, &around(1000)),
        Ok(()),
        "utility needs no marketing consent"
    );
    c.exclude_from_galantis = true;
    assert_eq!(
        decide(&c, false, &settings, None, &around(1000)),
        Err(Refusal::Excluded)
    );
}

#[test]
fn variables_resolve_with_fallbacks_and_name_what_is_missing() {
    let mut c = contact("0");
    let cx = VarContext {
        contact: &c,
        order: None,
        checkout: None,
        product: None,
        store_name: "Demo",
        shop_domain: "demo.myshopify.com",
    };
    let v = |s: &str| VarSource {
        source: Some(s.into()),
        ..VarSource::default()
    };
    assert_eq!(resolve(&v("customer.first_name"), &cx), Ok("Ada".into()));
    assert_eq!(resolve(&v("store.name"), &cx), Ok("Demo".into()));
    assert!(resolve(&v("checkout.url"), &cx)
        .unwrap_err()
        .contains("checkout.url"));
    c.first_name = None;
    let cx = VarContext {
        contact: &c,
        order: None,
        checkout: None,
        product: None,
        store_name: "Demo",
        shop_domain: "demo.myshopify.com",
    };
    let with_fallback = VarSource {
        fallback: Some("there".into()),
        ..v("customer.first_name")
    };
    assert_eq!(resolve(&with_fallback, &cx), Ok("there".into()));
    assert_eq!(TemplateShape::of(&templates()[0]).body_params, 3);
}

proptest! {
    #[test]
    fn a_split_is_stable_per_contact_and_follows_its_percents(a in 1u8..99, flow in 0u64..1000) {
        let branches = vec![
            SplitBranch { key: "A".into(), percent: a },
            SplitBranch { key: "B".into(), percent: 100 - a },
        ];
        let mut in_a = 0u32;
        for contact in 0..2000u64 {
            let k = split_key(flow, "s", contact, &branches);
            prop_assert_eq!(k, split_key(flow, "s", contact, &branches));
            if k == Some("A") { in_a += 1; }
        }
        let share = f64::from(in_a) / 2000.0 * 100.0;
        prop_assert!((share - f64::from(a)).abs() < 6.0, "{share} vs {a}");
    }

    #[test]
    fn validation_never_panics_and_walks_always_end(edges in proptest::collection::vec((0usize..6, 0usize..6, 0u8..3), 0..12)) {
        let kinds = [
            json!({"type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}}),
            json!({"type": "CONDITION", "rule": {"type": "ORDER_COUNT", "op": "GT", "value": 1}}),
            json!({"type": "DELAY", "delay": {"minutes": 5}}),
            json!({"type": "SPLIT", "branches": [{"key": "YES", "percent": 50}, {"key": "NO", "percent": 50}]}),
            json!({"type": "CONDITION", "rule": {"any": [{"type": "MARKETING_CONSENT"}]}}),
            json!({"type": "DELAY", "delay": {"minutes": 1}}),
        ];
        let nodes: Vec<serde_json::Value> = kinds.iter().enumerate().map(|(i, k)| {
            let mut k = k.clone();
            k["id"] = json!(format!("n{i}"));
            k
        }).collect();
        let edges: Vec<serde_json::Value> = edges.iter().map(|(f, t, b)| {
            let branch = match b { 0 => serde_json::Value::Null, 1 => json!("YES"), _ => json!("NO") };
            json!({"from": format!("n{f}"), "to": format!("n{t}"), "branch": branch})
        }).collect();
        let flow = draft(json!({"name": "p", "nodes": nodes, "edges": edges, "settings": {"frequency_cap": "EVER"}}));
        let _ = validate(&flow, &[]);
        let c = contact("0");
        let mut r = Run { node: "n0".into(), ..run() };
        let mut now = 0;
        for _ in 0..50 {
            match advance(&flow, 1, &mut r, &facts(&c, "1", now), None, &|ms| ms) {
                Step::Wait { due_ms } => now = due_ms,
                _ => break,
            }
        }
    }
}

#[test]
fn until_local_time_waits_for_that_time_in_the_recipients_zone() {
    use crate::domain::automations::DelaySpec;
    let d = DelaySpec {
        minutes: None,
        until_local_time: Some("10:00".into()),
    };
    let at = |s: &str| s.parse::<jiff::Timestamp>().expect("time").as_millisecond();
    // 08:00 UTC is 09:00 in Madrid (winter): one hour to 10:00 there, two in London.
    let now = at("2026-12-05T08:00:00Z");
    assert_eq!(super::step::delay_ms(&d, now, "Europe/Madrid"), 3_600_000);
    assert_eq!(super::step::delay_ms(&d, now, "Europe/London"), 7_200_000);
    // Past 10:00 locally: tomorrow's.
    assert_eq!(
        super::step::delay_ms(&d, at("2026-12-05T10:00:00Z"), "Europe/Madrid"),
        23 * 3_600_000
    );
}

#[test]
fn a_template_shape_finds_its_header_variable_and_each_buttons_position() {
    let mut t = template(
        "shop_items",
        "MARKETING",
        "Hi {{1}}",
        TemplateStatus::Approved,
    );
    t.components = json!([
        {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"},
        {"type": "BODY", "text": "Hi {{1}}"},
        {"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Stop"},
            {"type": "URL", "text": "Track", "url": "https://x.example/t/{{1}}"},
            {"type": "MPM", "text": "View items"}]}
    ])
    .to_string();
    let shape = TemplateShape::of(&t);
    assert!(shape.header_param);
    assert_eq!((shape.url_param, shape.url_button_index), (true, 1));
    assert_eq!(shape.products, super::vars::ProductButton::Mpm { index: 2 });
}

#[test]
fn products_come_from_the_runs_record_each_variant_once_and_at_most_thirty() {
    use crate::domain::automations::ProductsFrom;
    use crate::domain::contact::{LineItem, Order};
    let line = |v: Option<u64>| LineItem {
        product_id: Some(1),
        variant_id: v,
        title: "T".into(),
        quantity: 1,
        price: Money(1_000),
        sku: None,
    };
    let mut lines: Vec<LineItem> = (0..40).map(|v| line(Some(100 + v))).collect();
    lines.insert(0, line(None));
    lines.insert(2, line(Some(100)));
    let order = Order {
        line_items: lines,
        ..serde_json::from_value(json!({"id": "1", "total_price": "10.00", "currency": "EUR",
            "line_items": []}))
        .expect("order")
    };
    let c = contact("0");
    let cx = VarContext {
        contact: &c,
        order: Some(&order),
        checkout: None,
        product: None,
        store_name: "Demo",
        shop_domain: "demo.myshopify.com",
    };
    let got = super::vars::products_of(ProductsFrom::Order, &cx);
    assert_eq!(got.len(), 30);
    assert_eq!(&got[..3], ["100", "101", "102"]);
    assert!(super::vars::products_of(ProductsFrom::Checkout, &cx).is_empty());
}

#[test]
fn between_includes_both_bounds_and_is_validated() {
    use super::conditions::{holds, rule_problems};
    use crate::domain::automations::Rule;
    let rule = |v: serde_json::Value| -> Rule { serde_json::from_value(v).expect("rule") };
    let spent = rule(json!({"type": "TOTAL_SPENT", "op": "BETWEEN", "value": "50", "to": "100"}));
    for (amount, inside) in [
        ("49.99", false),
        ("50", true),
        ("75", true),
        ("100", true),
        ("100.01", false),
    ] {
        let c = contact(amount);
        assert_eq!(holds(&spent, &facts(&c, "0", 0)), inside, "{amount}");
    }
    let mut c = contact("0");
    c.orders_count = 3;
    let count =
        rule(json!({"all": [{"type": "ORDER_COUNT", "op": "BETWEEN", "value": 2, "to": 3}]}));
    assert!(holds(&count, &facts(&c, "0", 0)));
    assert!(rule_problems(&count).is_empty());
    let missing = rule(json!({"type": "ORDER_COUNT", "op": "BETWEEN", "value": 2}));
    assert_eq!(
        rule_problems(&missing),
        ["BETWEEN needs `to`, the upper bound"]
    );
    let upside_down =
        rule(json!({"any": [{"type": "ORDER_VALUE", "op": "BETWEEN", "value": "9", "to": "3"}]}));
    assert_eq!(
        rule_problems(&upside_down),
        ["BETWEEN needs `to` at or above the value"]
    );
    let stray = rule(json!({"type": "ORDER_RECENCY", "op": "GTE", "days": 2, "to": 9}));
    assert_eq!(rule_problems(&stray), ["`to` is only for BETWEEN"]);
    // In a flow, the problem is named with its node.
    let flow = with(abandoned(), |v| {
        v["nodes"][2]["rule"] = json!({"type": "ORDER_COUNT", "op": "BETWEEN", "value": 2});
    });
    assert!(codes(flow).contains(&(Some("vip".into()), "bad_condition")));
}
