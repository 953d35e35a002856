//! Edges of Meta routing and parsing: one owner per number and WABA, events no tenant owns
//! kept for the operator and replayed once connected, mixed deliveries, times out of range,
//! the 24-hour window against future-dated messages, Shopify ids in the engine's own range.

use crate::helpers::{spawn_app, TestApp, OPERATOR};
use galantis::domain::Timestamp;
use galantis::sandbox::payloads::{to_bytes, Customer};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "wa.myshopify.com";
const OTHER: &str = "other.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
const SENDER: &str = "16505551234";

/// A `messages` change of `number` holding one text message `wamid` sent at `ts` (JSON).
fn text_change(number: &str, wamid: &str, ts: &str) -> String {
    format!(
        r#"{{"field":"messages","value":{{"messaging_product":"whatsapp",
        "metadata":{{"display_phone_number":"15550783881","phone_number_id":"{number}"}},
        "contacts":[{{"profile":{{"name":"Sheena Nelson"}},"wa_id":"{SENDER}"}}],
        "messages":[{{"from":"{SENDER}","id":"{wamid}","timestamp":{ts},"type":"text","text":{{"body":"hello"}}}}]}}}}"#
    )
}

/// A status change without its `id`: does not parse.
fn bad_status_change(number: &str) -> String {
    format!(
        r#"{{"field":"messages","value":{{"messaging_product":"whatsapp",
        "metadata":{{"display_phone_number":"15550001111","phone_number_id":"{number}"}},
        "statuses":[{{"status":"delivered","timestamp":"1767225600","recipient_id":"{SENDER}"}}]}}}}"#
    )
}

fn delivery(entries: &[(&str, Vec<String>)]) -> Vec<u8> {
    let entries: Vec<String> = entries
        .iter()
        .map(|(id, changes)| format!(r#"{{"id":"{id}","changes":[{}]}}"#, changes.join(",")))
        .collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

async fn post_meta(app: &TestApp, body: &[u8]) -> Value {
    let r = app.meta_webhook(body).await;
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{v}");
    v
}

/// The messages of the tenant's only thread, once there is one.
async fn thread_messages(app: &TestApp, key: &str) -> Vec<Value> {
    let threads = app
        .eventually("a thread", || async {
            let (_, v) = app.get("/api/v1/threads", key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    assert_eq!(threads.len(), 1, "{threads:?}");
    let (_, t) = app
        .get(&format!("/api/v1/threads/{}", threads[0]["id"]), key)
        .await;
    t["messages"].as_array().cloned().unwrap_or_default()
}

async fn letters(app: &TestApp, key: &str, at_least: usize) -> Vec<Value> {
    app.eventually("dead letters", || async {
        let (s, v) = app.get("/api/v1/deadletters", key).await;
        let v = v["items"].clone();
        assert_eq!(s, 200, "{v}");
        v.as_array().filter(|a| a.len() >= at_least).cloned()
    })
    .await
}

fn template_approved() -> Vec<u8> {
    let p = crate::helpers::fixtures_dir().join("meta/webhooks/template_status_approved.json");
    std::fs::read(p).expect("fixture")
}

#[tokio::test]
async fn a_waba_owned_by_another_tenant_is_refused_and_its_routes_survive_that_tenant() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let other = app.create_tenant(OTHER).await;
    // The other tenant claims our account: refused, nothing changes.
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/integrations/meta",
            &other,
            Some(json!({"waba_id": WABA, "access_token": "EAAG-other"})),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        !v.to_string().contains(SHOP),
        "the owner is not revealed: {v}"
    );
    // The operator cannot create a tenant with it either (nor with our number).
    for claim in [
        json!({"meta_waba_id": WABA}),
        json!({"meta_phone_number_ids": [NUMBER]}),
    ] {
        let mut body = json!({"shop": "third.myshopify.com", "shopify_access_token": "shpat_x"});
        body.as_object_mut()
            .expect("object")
            .extend(claim.as_object().cloned().expect("object"));
        let (s, v) = app
            .send(Method::POST, "/api/v1/tenants", OPERATOR, Some(body))
            .await;
        assert_eq!(s, 409, "{v}");
    }
    let (_, tenants) = app.get("/api/v1/tenants", OPERATOR).await;
    let shops: Vec<&str> = tenants
        .as_array()
        .expect("tenants")
        .iter()
        .filter_map(|t| t["shop"].as_str())
        .collect();
    assert!(!shops.contains(&"third.myshopify.com"), "{shops:?}");
    let other_view = tenants
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["shop"] == OTHER)
        .cloned()
        .expect("other");
    assert_eq!(other_view["meta_waba_id"], Value::Null, "{other_view}");
    assert_eq!(other_view["has_meta_token"], false, "nothing changed");
    // Removing the other tenant leaves our routes alone: template events still reach us.
    let (s, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/tenants/{OTHER}"),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let ack = post_meta(&app, &template_approved()).await;
    assert_eq!(
        (ack["accepted"].as_u64(), ack["unrouted"].as_u64()),
        (Some(1), Some(0)),
        "{ack}"
    );
    let tpls = app
        .eventually("the template", || async {
            let (_, v) = app.get("/api/v1/templates", &key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    assert_eq!(tpls[0]["status"], "APPROVED", "{tpls:?}");
    // Our own WABA again is fine.
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/integrations/meta",
            &key,
            Some(json!({"waba_id": WABA})),
        )
        .await;
    assert_eq!(s, 204, "{v}");
}

#[tokio::test]
async fn an_event_no_tenant_owns_is_kept_for_the_operator_and_replayed_once_connected() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[], "EAAG-test")
        .await;
    let body = delivery(&[(
        WABA,
        vec![text_change(NUMBER, "wamid.lost", "\"1767225600\"")],
    )]);
    let ack = post_meta(&app, &body).await;
    assert_eq!(ack["unrouted"], 1, "{ack}");
    // Meta's redelivery is a duplicate, not a second letter.
    let ack = post_meta(&app, &body).await;
    assert_eq!(ack["duplicates"], 1, "{ack}");
    // The tenant does not see it; the operator (naming no shop) does, with the reason.
    let (_, mine) = app.get("/api/v1/deadletters", &key).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(0), "{mine}");
    let ops = letters(&app, OPERATOR, 1).await;
    assert_eq!(ops.len(), 1, "{ops:?}");
    let reason = ops[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(NUMBER), "{reason}");
    let id = ops[0]["id"].as_u64().expect("id");
    let replay = format!("/api/v1/deadletters/{id}/replay");
    // A tenant cannot reach the operator's letters.
    let (s, v) = app.send(Method::POST, &replay, &key, None).await;
    assert_eq!(s, 404, "{v}");
    // Not connected yet: the replay is refused and the letter stays.
    let (s, v) = app.send(Method::POST, &replay, OPERATOR, None).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(letters(&app, OPERATOR, 1).await.len(), 1);
    // The number is connected: the replay goes to its tenant's inbox.
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/phone-numbers",
            &key,
            Some(json!({"phone_number_id": NUMBER})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app.send(Method::POST, &replay, OPERATOR, None).await;
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["shop"], SHOP, "{v}");
    let msgs = thread_messages(&app, &key).await;
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    let (_, ops) = app.get("/api/v1/deadletters", OPERATOR).await;
    assert_eq!(ops["items"].as_array().map(Vec::len), Some(0), "{ops}");
    // Meta redelivering it now is a duplicate for the tenant.
    let ack = post_meta(&app, &body).await;
    assert_eq!(ack["duplicates"], 1, "{ack}");
}

#[tokio::test]
async fn a_mixed_delivery_applies_its_good_change_and_dead_letters_the_bad_one() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let body = delivery(&[
        (
            WABA,
            vec![text_change(NUMBER, "wamid.good", "\"1767225600\"")],
        ),
        (WABA, vec![bad_status_change(NUMBER)]),
        ("999", vec![bad_status_change("555000")]),
    ]);
    let ack = post_meta(&app, &body).await;
    assert_eq!(
        (ack["accepted"].as_u64(), ack["unparsed"].as_u64()),
        (Some(1), Some(2)),
        "{ack}"
    );
    // The same batch again changes nothing.
    let ack = post_meta(&app, &body).await;
    assert_eq!(
        (ack["accepted"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(3)),
        "{ack}"
    );
    assert_eq!(thread_messages(&app, &key).await.len(), 1);
    let mine = letters(&app, &key, 1).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["topic"], "meta/delivery");
    let reason = mine[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("entry[1].changes[0]"), "{reason}");
    let kept = mine[0]["body"].as_str().unwrap_or_default();
    assert!(
        !kept.contains("wamid.good"),
        "only the bad change is kept: {kept}"
    );
    // The bad change of a number nobody owns is the operator's.
    let ops = letters(&app, OPERATOR, 1).await;
    let reason = ops[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("entry[2].changes[0]"), "{reason}");
}

#[tokio::test]
async fn far_future_and_far_past_times_are_dead_lettered_per_change_naming_the_range() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let body = delivery(&[(
        WABA,
        vec![
            text_change(NUMBER, "wamid.ok", "\"1767225600\""),
            text_change(NUMBER, "wamid.y10000", "\"253402300800\""),
            text_change(NUMBER, "wamid.bc", "\"-62135596801\""),
        ],
    )]);
    let ack = post_meta(&app, &body).await;
    assert_eq!(
        (ack["accepted"].as_u64(), ack["unparsed"].as_u64()),
        (Some(1), Some(2)),
        "{ack}"
    );
    let mine = letters(&app, &key, 2).await;
    let mut where_: Vec<String> = Vec::new();
    for l in &mine {
        let reason = l["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("2100-01-01"), "names the range: {reason}");
        where_.push(reason.to_string());
    }
    assert!(
        where_.iter().any(|r| r.contains("entry[0].changes[1]")),
        "{where_:?}"
    );
    assert!(
        where_.iter().any(|r| r.contains("entry[0].changes[2]")),
        "{where_:?}"
    );
    assert_eq!(thread_messages(&app, &key).await.len(), 1);
}

#[tokio::test]
async fn a_message_dated_in_the_future_opens_the_window_no_later_than_receipt_plus_24_hours() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    // 2099-12-31: inside the accepted range, far beyond receipt.
    let body = delivery(&[(
        WABA,
        vec![text_change(NUMBER, "wamid.2099", "\"4102358400\"")],
    )]);
    post_meta(&app, &body).await;
    let limit = Timestamp::now().millis() + 24 * 3_600_000 + 60_000;
    let threads = app
        .eventually("a thread", || async {
            let (_, v) = app.get("/api/v1/threads", &key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    let (_, t) = app
        .get(&format!("/api/v1/threads/{}", threads[0]["id"]), &key)
        .await;
    let thread = if t["thread"].is_object() {
        &t["thread"]
    } else {
        &t
    };
    let expires = thread["window_expires_at"]
        .as_str()
        .and_then(Timestamp::parse)
        .unwrap_or_else(|| panic!("window: {t}"));
    assert!(expires.millis() <= limit, "window until {expires}: {t}");
}

#[tokio::test]
async fn a_shopify_id_at_or_above_2_pow_63_is_refused_and_the_whatsapp_contact_is_untouched() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let body = delivery(&[(
        WABA,
        vec![text_change(NUMBER, "wamid.hi", "\"1767225600\"")],
    )]);
    post_meta(&app, &body).await;
    let msgs = thread_messages(&app, &key).await;
    assert_eq!(msgs.len(), 1);
    let (_, threads) = app.get("/api/v1/threads", &key).await;
    let contact_id: u64 = threads["items"][0]["contact_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("contact");
    assert!(contact_id >= 1 << 63, "{contact_id}");
    let path = format!("/api/v1/contacts/{contact_id}");
    let (s, before) = app.get(&path, &key).await;
    assert_eq!(s, 200, "{before}");
    let mut c = Customer::new(contact_id);
    (c.first_name, c.last_name) = ("Mallory".into(), "Overwrite".into());
    c.phone = Some("+16505551234".into());
    app.webhook_ok(SHOP, "customers/update", "big-1", &to_bytes(&c.body()))
        .await;
    let mine = letters(&app, &key, 1).await;
    let reason = mine[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("2^63"), "{reason}");
    let (_, after) = app.get(&path, &key).await;
    assert_eq!(after, before, "the WhatsApp-only contact is untouched");
}
