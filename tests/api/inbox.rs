//! Inbox rules through the API: the 24-hour window, opt-out words against Shopify
//! consent, notes, assignment, status.

use crate::helpers::{spawn_app, TestApp};
use galantis::sandbox::payloads::{sms_consent, to_bytes, Customer};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "inbox.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";

/// A signed inbound text webhook from `from` (digits) at unix time `ts`.
fn inbound(wamid: &str, from: &str, text: &str, ts: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBER},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]
        }}]}]
    }))
    .expect("json")
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn thread_of(app: &TestApp, key: &str) -> Value {
    app.eventually("a thread", || async {
        let (_, v) = app.get("/api/v1/threads", key).await;
        v["items"].as_array().and_then(|a| a.first().cloned())
    })
    .await
}

#[tokio::test]
async fn a_free_form_reply_outside_the_window_is_refused_and_nothing_is_queued() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let two_days_ago = now_secs() - 2 * 24 * 3600;
    assert_eq!(
        app.meta_webhook(&inbound(
            "wamid.old1",
            "16505551234",
            "hello?",
            two_days_ago
        ))
        .await
        .status(),
        200
    );
    let t = thread_of(&app, &key).await;
    assert_eq!(t["unread"], 1);
    let id = t["id"].as_u64().expect("id");
    let (s, v) = app
        .send(Method::POST, &format!("/api/v1/threads/{id}/reply"), &key,
              Some(json!({"author": "ana", "message": {"type": "text", "text": "Sorry for the wait!"}})))
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["code"], "template_required");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("template"),
        "{v}"
    );
    let (_, thread) = app.get(&format!("/api/v1/threads/{id}"), &key).await;
    let outbound = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .count();
    assert_eq!(outbound, 0, "nothing stored or sent: {thread}");
    assert_eq!(
        thread["thread"]["assignee"],
        Value::Null,
        "a refused reply assigns nobody"
    );
    // An unknown or unapproved template is refused too, before anything is stored.
    let (s, v) = app
        .send(Method::POST, &format!("/api/v1/threads/{id}/reply"), &key,
              Some(json!({"message": {"type": "template", "name": "order_update", "language": "en_US"}})))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("template_not_sendable")),
        "{v}"
    );
    // Bad message bodies name the problem.
    let (s, v) = app
        .send(Method::POST, &format!("/api/v1/threads/{id}/reply"), &key,
              Some(json!({"message": {"type": "product_list", "catalog_id": "1", "header": "", "body": "b", "sections": []}})))
        .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap_or_default().contains("header"),
        "{v}"
    );
}

#[tokio::test]
async fn stop_then_an_older_shopify_consent_event_stays_unsubscribed() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let mut customer = Customer::new(777);
    customer.first_name = "Sheena".into();
    customer.phone = Some("+16505551234".into());
    customer.email = Some("s@example.com".into());
    app.webhook_ok(
        SHOP,
        "customers/create",
        "c-777",
        &to_bytes(&customer.body()),
    )
    .await;
    let stop_at = now_secs() - 60;
    app.meta_webhook(&inbound("wamid.stop1", "16505551234", "  Stop ", stop_at))
        .await;
    let c = app
        .eventually("the opt-out", || async {
            let (_, c) = app.get("/api/v1/contacts/777", &key).await;
            (c["marketing_state"] == "UNSUBSCRIBED").then_some(c)
        })
        .await;
    assert_eq!(c["marketing_source"], "whatsapp");
    // Shopify's SMS consent from before the STOP arrives late: ignored.
    let older = sms_consent(
        777,
        "+16505551234",
        "subscribed",
        "SHOPIFY",
        "2026-01-02T00:00:00Z",
    );
    app.webhook_accepted(
        SHOP,
        "customers_marketing_consent/update",
        "consent-old",
        &serde_json::to_vec(&older).expect("json"),
    )
    .await;
    let (_, c) = app.get("/api/v1/contacts/777", &key).await;
    assert_eq!(c["marketing_state"], "UNSUBSCRIBED", "{c}");
    // The opt-out was confirmed (queued as a service message inside the window).
    let t = thread_of(&app, &key).await;
    let (_, thread) = app.get(&format!("/api/v1/threads/{}", t["id"]), &key).await;
    assert!(thread["messages"].to_string().contains("START"), "{thread}");
    // START later resubscribes.
    app.meta_webhook(&inbound("wamid.start1", "16505551234", "start", now_secs()))
        .await;
    app.eventually("the opt-in", || async {
        let (_, c) = app.get("/api/v1/contacts/777", &key).await;
        (c["marketing_state"] == "SUBSCRIBED").then_some(())
    })
    .await;
}

#[tokio::test]
async fn unknown_numbers_become_contacts_and_agents_work_the_thread() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    app.meta_webhook(&inbound(
        "wamid.n1",
        "447700900123",
        "Is the blue one back?",
        now_secs(),
    ))
    .await;
    let t = thread_of(&app, &key).await;
    let id = t["id"].as_u64().expect("id");
    assert_eq!(t["customer"], "+447700900123");
    let contact = t["contact_id"].as_str().expect("a contact was created");
    let (s, c) = app.get(&format!("/api/v1/contacts/{contact}"), &key).await;
    assert_eq!(s, 200);
    assert_eq!(
        (c["phone"].as_str(), c["first_name"].as_str()),
        (Some("+447700900123"), Some("Sheena Nelson"))
    );

    let (s, n) = app
        .send(
            Method::POST,
            &format!("/api/v1/threads/{id}/notes"),
            &key,
            Some(json!({"author": "ana", "text": "VIP, check stock"})),
        )
        .await;
    assert_eq!(s, 201, "{n}");
    assert_eq!(n["direction"], "note");
    let (s, t) = app
        .send(
            Method::POST,
            &format!("/api/v1/threads/{id}/assign"),
            &key,
            Some(json!({"agent": "ben"})),
        )
        .await;
    assert_eq!((s, t["assignee"].as_str()), (200, Some("ben")));
    let (_, list) = app
        .get("/api/v1/threads?assignee=ben&unread=true", &key)
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    app.send(
        Method::POST,
        &format!("/api/v1/threads/{id}/read"),
        &key,
        None,
    )
    .await;
    let (_, list) = app.get("/api/v1/threads?unread=true", &key).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    let (s, t) = app
        .send(
            Method::POST,
            &format!("/api/v1/threads/{id}/resolve"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, t["status"].as_str()), (200, Some("RESOLVED")));
    let (_, list) = app.get("/api/v1/threads?status=OPEN", &key).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));
    // Inbound always reopens.
    app.meta_webhook(&inbound(
        "wamid.n2",
        "447700900123",
        "hello again",
        now_secs(),
    ))
    .await;
    app.eventually("reopened", || async {
        let (_, list) = app.get("/api/v1/threads?status=OPEN", &key).await;
        (list["items"].as_array().map(Vec::len) == Some(1)).then_some(())
    })
    .await;
    let (s, v) = app.get("/api/v1/threads?status=LATER", &key).await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_status")));
    assert_eq!(app.get("/api/v1/threads/999999", &key).await.0, 404);
}
