//! Campaigns end to end: audience arithmetic on a generated store (include and exclude
//! lists and segments with overlaps, consent, `exclude_from_galantis`, smart sending)
//! checked against plain set arithmetic, estimate = what is sent at the Meta emulator,
//! and each launch check refusing with its reason while nothing is sent.

use crate::automations::{setup_with, SHOP};
use crate::helpers::TestApp;
use crate::whatsapp_send::NUMBER;
use galantis::sandbox::meta::{Health, MetaEmulator};
use galantis::sandbox::payloads::{to_bytes, Address, Customer};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn phone_of(i: u64) -> String {
    format!("+447700900{:03}", 100 + i)
}

/// Contact `id` with a number when `phone`, consent when `subscribed`, in `country`.
pub async fn contact(
    app: &TestApp,
    id: u64,
    phone: Option<String>,
    subscribed: bool,
    country: &str,
) {
    let mut c = Customer::new(id);
    c.first_name = format!("Ana{id}");
    c.phone = phone.clone();
    c.address = Some(Address::in_country(id, country));
    app.webhook_ok(
        SHOP,
        "customers/create",
        &format!("c-{id}"),
        &to_bytes(&c.body()),
    )
    .await;
    if let (true, Some(p)) = (subscribed, phone) {
        let consent = json!({"customer_id": id, "phone_number": p, "whats_app_marketing_consent": {
            "state": "subscribed", "opt_in_level": "single_opt_in",
            "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
        app.webhook_ok(
            SHOP,
            "customers_whats_app_marketing_consent/update",
            &format!("consent-{id}"),
            &serde_json::to_vec(&consent).expect("json"),
        )
        .await;
    }
}

/// A list with these contacts; its id.
pub async fn list(app: &TestApp, key: &str, name: &str, ids: &[u64]) -> String {
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/lists",
            key,
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].to_string().trim_matches('"').to_string();
    if ids.is_empty() {
        return id;
    }
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/lists/{id}/members"),
            key,
            Some(json!({ "contact_ids": ids })),
        )
        .await;
    assert!(s == 200 || s == 201, "{s} {v}");
    id
}

async fn country_segment(app: &TestApp, key: &str, country: &str) -> String {
    let rule = json!({"field": "COUNTRY", "op": "IS", "value": country});
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/segments",
            key,
            Some(json!({"name": format!("In {country}"), "groups": [{"rules": [rule]}]})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].to_string().trim_matches('"').to_string()
}

/// A campaign of the MARKETING template `cart_std` to `audience`.
pub fn definition(name: &str, audience: Value) -> Value {
    json!({
        "name": name,
        "message": {"template": {"name": "cart_std", "language": "en"},
                    "body": [{"source": "customer.first_name", "fallback": "there"},
                             {"text": "https://shop.example/sale"}]},
        "audience": audience,
    })
}

/// Creates a campaign; its id.
pub async fn create(app: &TestApp, key: &str, def: Value) -> String {
    let (s, v) = app
        .send(Method::POST, "/api/v1/campaigns", key, Some(def))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "PENDING", "{v}");
    v["id"].as_str().expect("id").to_string()
}

/// Contacts `ids` (subscribed, GB numbers `{prefix}{i:03}`), a list of them and a
/// campaign (`definition`) to that list; the campaign's id.
pub async fn campaign_to(
    app: &TestApp,
    key: &str,
    name: &str,
    ids: &[u64],
    prefix: &str,
) -> String {
    for (i, id) in ids.iter().enumerate() {
        contact(app, *id, Some(format!("{prefix}{i:03}")), true, "GB").await;
    }
    let all = list(app, key, "All", ids).await;
    create(app, key, definition(name, json!({"include_lists": [all]}))).await
}

/// Asks for a launch; the status and the answer.
pub async fn try_launch(app: &TestApp, key: &str, id: &str) -> (u16, Value) {
    app.send(
        Method::POST,
        &format!("/api/v1/campaigns/{id}/launch"),
        key,
        None,
    )
    .await
}

/// Launches a campaign (200 expected); the campaign as the launch answered it.
pub async fn launch(app: &TestApp, key: &str, id: &str) -> Value {
    let (s, v) = try_launch(app, key, id).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// Waits for a campaign to reach `status`; the campaign.
pub async fn wait_status(app: &TestApp, key: &str, id: &str, status: &str) -> Value {
    app.eventually(&format!("campaign {id} {status}"), || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), key).await;
        (v["status"] == status).then_some(v)
    })
    .await
}

/// Template messages the emulator received, by recipient.
pub fn template_recipients(emu: &MetaEmulator, name: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for m in emu.sent() {
        if m.body["template"]["name"] == name {
            let to = m.body["to"].as_str().unwrap_or_default().to_string();
            *out.entry(to).or_default() += 1;
        }
    }
    out
}

#[tokio::test]
async fn the_audience_is_exact_and_what_is_estimated_is_what_is_sent() {
    let (emu, app, key) = setup_with(1, |_| {}).await;
    let n = 60u64;
    let country = |i: u64| match i {
        i if i % 4 == 0 => "ES",
        i if i % 5 == 1 => "FR",
        _ => "GB",
    };
    let has_phone = |i: u64| i % 10 != 0;
    let subscribed = |i: u64| i % 3 != 0;
    let excluded_flag = |i: u64| i % 7 == 0;
    for i in 0..n {
        let phone = has_phone(i).then(|| phone_of(i));
        contact(&app, 1000 + i, phone, subscribed(i), country(i)).await;
        if excluded_flag(i) {
            let (s, v) = app
                .send(
                    Method::PATCH,
                    &format!("/api/v1/contacts/{}", 1000 + i),
                    &key,
                    Some(json!({"exclude_from_galantis": true})),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    }
    let a: BTreeSet<u64> = (0..30).collect();
    let b: BTreeSet<u64> = (20..45).collect();
    let x: BTreeSet<u64> = (40..44).collect();
    let ids = |s: &BTreeSet<u64>| s.iter().map(|i| 1000 + i).collect::<Vec<_>>();
    let list_a = list(&app, &key, "A", &ids(&a)).await;
    let list_b = list(&app, &key, "B", &ids(&b)).await;
    let list_x = list(&app, &key, "X", &ids(&x)).await;
    let spain = country_segment(&app, &key, "ES").await;
    let france = country_segment(&app, &key, "FR").await;

    // The same arithmetic by hand.
    let es: BTreeSet<u64> = (0..n).filter(|i| country(*i) == "ES").collect();
    let fr: BTreeSet<u64> = (0..n).filter(|i| country(*i) == "FR").collect();
    let union: BTreeSet<u64> = a.iter().chain(&b).chain(&es).copied().collect();
    let duplicates = (a.len() + b.len() + es.len() - union.len()) as u64;
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut eligible = BTreeSet::new();
    for &i in &union {
        let why = if x.contains(&i) || fr.contains(&i) {
            Some("excluded_segment_or_list")
        } else if excluded_flag(i) {
            Some("excluded_from_galantis")
        } else if !has_phone(i) {
            Some("no_phone")
        } else if !subscribed(i) {
            Some("no_marketing_consent")
        } else {
            None
        };
        match why {
            Some(w) => *expected.entry(w).or_default() += 1,
            None => {
                eligible.insert(i);
            }
        }
    }
    assert!(
        eligible.len() >= 10,
        "a meaningful audience: {}",
        eligible.len()
    );

    let audience = json!({"include_lists": [list_a, list_b], "include_segments": [spain],
                          "exclude_lists": [list_x], "exclude_segments": [france]});
    let mut def = definition("Winter sale", audience);
    def["smart_sending_hours"] = json!(24);
    let (s, draft) = app
        .send(
            Method::POST,
            "/api/v1/campaigns/estimate",
            &key,
            Some(def.clone()),
        )
        .await;
    assert_eq!(s, 200, "{draft}");
    let id = create(&app, &key, def.clone()).await;
    let (s, reach) = app
        .get(&format!("/api/v1/campaigns/{id}/estimate"), &key)
        .await;
    assert_eq!(s, 200, "{reach}");
    assert_eq!(reach, draft, "a saved campaign estimates as its draft");
    assert_eq!(reach["matched"], union.len() as u64, "{reach}");
    assert_eq!(reach["duplicates"], duplicates, "{reach}");
    assert_eq!(reach["eligible"], eligible.len() as u64, "{reach}");
    assert_eq!(reach["excluded"], json!(expected), "{reach}");

    launch(&app, &key, &id).await;
    let done = wait_status(&app, &key, &id, "SENT").await;
    let p = &done["progress"];
    let total = eligible.len() as u64;
    assert_eq!(
        (
            p["total"].as_u64(),
            p["handed"].as_u64(),
            p["sent"].as_u64(),
            p["queued"].as_u64()
        ),
        (Some(total), Some(total), Some(total), Some(0)),
        "{done}"
    );
    assert_eq!(p["skipped"], json!({}), "{done}");
    let got = template_recipients(&emu, "cart_std");
    let want: BTreeMap<String, usize> = eligible.iter().map(|i| (phone_of(*i), 1)).collect();
    assert_eq!(got, want, "each eligible contact exactly once, nobody else");
    app.eventually("delivered and read", || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
        (v["progress"]["read"] == total && v["progress"]["delivered"] == total).then_some(())
    })
    .await;

    // Smart sending: the same audience a second time reaches nobody, and says why.
    let again = create(&app, &key, def).await;
    let (_, reach) = app
        .get(&format!("/api/v1/campaigns/{again}/estimate"), &key)
        .await;
    assert_eq!(reach["eligible"], 0, "{reach}");
    assert_eq!(reach["excluded"]["smart_sending"], total, "{reach}");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{again}/launch"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no_recipients"),
        "{v}"
    );
}

/// A launch refused with `code`: 422 naming it, the campaign still PENDING, nothing sent.
async fn refused(app: &TestApp, emu: &MetaEmulator, key: &str, id: &str, code: &str) {
    let before = emu.sent().len();
    let (s, v) = try_launch(app, key, id).await;
    assert_eq!(s, 422, "{code}: {v}");
    assert_eq!(v["code"], "launch_refused", "{v}");
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(msg.contains(code), "{code} named: {msg}");
    let (_, c) = app.get(&format!("/api/v1/campaigns/{id}"), key).await;
    assert_eq!(c["status"], "PENDING", "{c}");
    assert_eq!(emu.sent().len(), before, "nothing sent when {code}");
}

#[tokio::test]
async fn each_launch_check_refuses_with_its_reason_and_sends_nothing() {
    let (emu, app, key) = setup_with(1, |s| {
        s.campaigns.large_send = 2;
        s.billing.enabled = true;
        s.billing.plans.push(galantis::config::PlanSettings {
            name: "Tiny".into(),
            price_usd: 1,
            conversations: 2,
        });
        s.billing.plan = "Tiny".into();
    })
    .await;
    for i in 0..3 {
        contact(&app, 2000 + i, Some(phone_of(i)), true, "GB").await;
    }
    let three = list(&app, &key, "Three", &[2000, 2001, 2002]).await;
    let two = list(&app, &key, "Two", &[2000, 2001]).await;
    let empty = list(&app, &key, "Empty", &[]).await;

    let big = create(
        &app,
        &key,
        definition("Too big", json!({"include_lists": [three]})),
    )
    .await;
    refused(&app, &emu, &key, &big, "usage_exceeded").await;

    let none = create(
        &app,
        &key,
        definition("Nobody", json!({"include_lists": [empty]})),
    )
    .await;
    refused(&app, &emu, &key, &none, "no_recipients").await;

    let id = create(
        &app,
        &key,
        definition("Two", json!({"include_lists": [two]})),
    )
    .await;
    emu.set_quality_rating(NUMBER, "RED");
    refused(&app, &emu, &key, &id, "quality_low").await;
    emu.set_quality_rating(NUMBER, "GREEN");

    emu.set_health(
        NUMBER,
        Health::Blocked {
            error_code: 141_002,
            description: "number blocked".into(),
            solution: "contact support".into(),
        },
    );
    refused(&app, &emu, &key, &id, "number_blocked").await;
    emu.set_health(NUMBER, Health::Available);

    emu.revoke_token(crate::whatsapp_send::TOKEN);
    refused(&app, &emu, &key, &id, "token_invalid").await;
    // Last: a template paused by Meta (its re-approval could race the pause's review
    // event within the same second).
    emu.pause_template("cart_std", "en").await.expect("pause");
    app.eventually("the template paused", || async {
        let (_, v) = app.get("/api/v1/templates", &key).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        items
            .iter()
            .any(|t| t["name"] == "cart_std" && t["status"] == "PAUSED")
            .then_some(())
    })
    .await;
    refused(&app, &emu, &key, &id, "template_not_approved").await;
}

#[tokio::test]
async fn a_low_quality_number_sends_when_the_merchant_confirms() {
    let (emu, app, key) = setup_with(1, |s| s.campaigns.large_send = 2).await;
    for i in 0..2 {
        contact(&app, 3000 + i, Some(phone_of(i)), true, "GB").await;
    }
    let two = list(&app, &key, "Two", &[3000, 3001]).await;
    let id = create(
        &app,
        &key,
        definition("Two", json!({"include_lists": [two]})),
    )
    .await;
    emu.set_quality_rating(NUMBER, "RED");
    refused(&app, &emu, &key, &id, "quality_low").await;
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/launch"),
            &key,
            Some(json!({"confirm_low_quality": true})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    wait_status(&app, &key, &id, "SENT").await;
    assert_eq!(template_recipients(&emu, "cart_std").len(), 2);
}

#[tokio::test]
async fn bad_campaigns_are_refused_with_their_problem_named() {
    let (_emu, app, key) = setup_with(1, |_| {}).await;
    let cases = [
        (
            json!({"name": "x", "message": {"template": {"name": "nope", "language": "en"}}, "audience": {"include_lists": ["1"]}}),
            422,
            "template_not_found",
        ),
        (
            definition("", json!({"include_lists": ["1"]})),
            422,
            "bad_name",
        ),
        (definition("No audience", json!({})), 422, "empty_audience"),
        (
            definition("Unknown list", json!({"include_lists": ["999"]})),
            422,
            "no list 999",
        ),
    ];
    for (mut def, status, needle) in cases {
        if needle == "template_not_found" {
            def["message"]["body"] = json!([]);
        }
        let (s, v) = app
            .send(Method::POST, "/api/v1/campaigns", &key, Some(def))
            .await;
        assert_eq!(s, status, "{v}");
        let msg = v["message"].as_str().unwrap_or_default();
        let want = if needle == "template_not_found" {
            "does not exist"
        } else {
            needle
        };
        assert!(msg.contains(want), "{needle}: {msg}");
    }
    let mut order_var = definition("Order var", json!({"include_lists": ["1"]}));
    order_var["message"]["body"][1] = json!({"source": "order.order_number"});
    let (s, v) = app
        .send(Method::POST, "/api/v1/campaigns", &key, Some(order_var))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("variable_not_available"),
        "{v}"
    );
    let (s, v) = app
        .send(Method::POST, "/api/v1/campaigns/42/launch", &key, None)
        .await;
    assert_eq!(s, 404, "{v}");
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/campaigns/42/launch",
            &key,
            Some(json!({"nope": 1})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
}
