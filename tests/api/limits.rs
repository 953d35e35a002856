//! Every input has a limit (named in a 4xx with the limit) and every list is paginated
//! with `?after=&limit=`.

use crate::helpers::{spawn_app, TestApp};
use galantis::sandbox::payloads::{to_bytes, Customer};
use reqwest::Method;
use serde_json::{json, Value};

const SHOP: &str = "limits.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBERS: [&str; 3] = ["106540352242921", "106540352242922", "106540352242923"];

/// A GET of a list: status, the `next_after` cursor (a string) as a number, the body.
async fn get_page(app: &TestApp, path: &str, key: &str) -> (u16, Option<u64>, Value) {
    let (status, v) = app.get(path, key).await;
    let next = v["next_after"].as_str().and_then(|a| a.parse().ok());
    (status, next, v)
}

fn assert_refused(status: u16, v: &Value, code: &str, field: &str, limit: usize) {
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], code, "{v}");
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains(field) && m.contains(&limit.to_string()), "{m}");
}

#[tokio::test]
async fn a_webhook_id_over_255_characters_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let body = to_bytes(&Customer::new(7).body());
    let id = "w".repeat(256);
    let r = app.webhook(SHOP, "customers/create", &id, &body).await;
    let status = r.status().as_u16();
    let v: Value = r.json().await.expect("json");
    assert_refused(status, &v, "invalid_header", "X-Shopify-Webhook-Id", 255);
    assert_eq!(app.get("/api/v1/contacts/7", &key).await.0, 404);
    app.webhook_accepted(SHOP, "customers/create", &"w".repeat(255), &body)
        .await;
}

fn tags_added(customer: u64, tags: &[String]) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"customerId": format!("gid://shopify/Customer/{customer}"),
        "tags": tags, "occurredAt": "2026-01-02T00:00:00Z"}),
    )
    .expect("json")
}

/// Waits for the one dead letter whose reason contains `needle`.
async fn dead_letter_with(app: &TestApp, key: &str, needle: &str) -> Value {
    app.eventually(needle, || async {
        let (_, v) = app.get("/api/v1/deadletters", key).await;
        v["items"]
            .as_array()?
            .iter()
            .find(|l| l["reason"].as_str().is_some_and(|r| r.contains(needle)))
            .cloned()
    })
    .await
}

#[tokio::test]
async fn tags_and_names_over_shopifys_limits_are_dead_lettered_with_the_reason() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    app.webhook_accepted(
        SHOP,
        "customers/create",
        "t-0",
        &to_bytes(&Customer::new(7).body()),
    )
    .await;
    let many: Vec<String> = (0..251).map(|i| format!("tag-{i}")).collect();
    app.webhook_accepted(SHOP, "customer.tags_added", "t-1", &tags_added(7, &many))
        .await;
    dead_letter_with(&app, &key, "at most 250").await;
    let long = vec!["x".repeat(256)];
    app.webhook_accepted(SHOP, "customer.tags_added", "t-2", &tags_added(7, &long))
        .await;
    dead_letter_with(&app, &key, "at most 255").await;
    let mut c = Customer::new(8).body();
    c["tags"] = json!(many.join(", "));
    app.webhook_accepted(SHOP, "customers/create", "t-3", &to_bytes(&c))
        .await;
    dead_letter_with(&app, &key, "customer 8 would have 251 tags").await;
    let mut c = Customer::new(9).body();
    c["first_name"] = json!("n".repeat(256));
    app.webhook_accepted(SHOP, "customers/create", "t-5", &to_bytes(&c))
        .await;
    dead_letter_with(
        &app,
        &key,
        "`first_name` has 256 characters; Shopify allows at most 255",
    )
    .await;
    assert_eq!(app.get("/api/v1/contacts/9", &key).await.0, 404);
    // Nothing of the refused payloads was applied; 250 tags are fine.
    let (_, v) = app.get("/api/v1/contacts/7", &key).await;
    assert_eq!(v["tags"].as_array().map(Vec::len), Some(0), "{v}");
    assert_eq!(app.get("/api/v1/contacts/8", &key).await.0, 404);
    app.webhook_accepted(
        SHOP,
        "customer.tags_added",
        "t-4",
        &tags_added(7, &many[..250]),
    )
    .await;
    let (_, v) = app.get("/api/v1/contacts/7", &key).await;
    assert_eq!(v["tags"].as_array().map(Vec::len), Some(250));
}

#[tokio::test]
async fn agent_names_notes_and_meta_ids_have_limits() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let cases = [
        (
            Method::POST,
            "/api/v1/threads/1/notes",
            json!({"author": "a".repeat(101), "text": "hi"}),
            "too_long",
            "author",
            100,
        ),
        (
            Method::POST,
            "/api/v1/threads/1/notes",
            json!({"author": "ann", "text": "n".repeat(4097)}),
            "too_long",
            "text",
            4096,
        ),
        (
            Method::POST,
            "/api/v1/threads/1/assign",
            json!({"agent": "a".repeat(101)}),
            "too_long",
            "agent",
            100,
        ),
        (
            Method::POST,
            "/api/v1/threads/1/reply",
            json!({"author": "a".repeat(101), "message": {"type": "text", "text": "hi"}}),
            "too_long",
            "author",
            100,
        ),
        (
            Method::PUT,
            "/api/v1/integrations/meta",
            json!({"waba_id": "1".repeat(33)}),
            "too_long",
            "waba_id",
            32,
        ),
        (
            Method::PUT,
            "/api/v1/integrations/meta",
            json!({"access_token": "t".repeat(4097)}),
            "too_long",
            "access_token",
            4096,
        ),
        (
            Method::POST,
            "/api/v1/phone-numbers",
            json!({"phone_number_id": "1".repeat(33)}),
            "too_long",
            "phone_number_id",
            32,
        ),
    ];
    for (method, path, body, code, field, limit) in cases {
        let (status, v) = app.send(method, path, &key, Some(body)).await;
        assert_refused(status, &v, code, field, limit);
    }
    for (path, code, field, limit) in [
        (
            format!("/api/v1/contacts?q={}", "q".repeat(256)),
            "too_long",
            "q",
            255,
        ),
        (
            format!("/api/v1/threads?assignee={}", "a".repeat(101)),
            "too_long",
            "assignee",
            100,
        ),
        (
            "/api/v1/contacts?limit=501".to_string(),
            "invalid_limit",
            "limit",
            500,
        ),
        (
            "/api/v1/deadletters?limit=0".to_string(),
            "invalid_limit",
            "limit",
            500,
        ),
    ] {
        let (status, v) = app.get(&path, &key).await;
        assert_refused(status, &v, code, field, limit);
    }
}

#[tokio::test]
async fn a_shop_has_at_most_20_phone_numbers_and_lists_them_by_page() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &NUMBERS, "EAAG-test")
        .await;
    let (s, v) = app.get("/api/v1/phone-numbers?limit=2", &key).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");
    let next = v["next_after"].as_str().expect("next_after").to_string();
    let (_, v) = app
        .get(&format!("/api/v1/phone-numbers?limit=2&after={next}"), &key)
        .await;
    assert_eq!(v["items"][0]["phone_number_id"], NUMBERS[2], "{v}");
    assert!(v["next_after"].is_null());
    for i in 3..20 {
        let body = json!({"phone_number_id": format!("2065403522429{i:02}")});
        let (s, v) = app
            .send(Method::POST, "/api/v1/phone-numbers", &key, Some(body))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let body = json!({"phone_number_id": "306540352242900"});
    let (s, v) = app
        .send(Method::POST, "/api/v1/phone-numbers", &key, Some(body))
        .await;
    assert_refused(s, &v, "too_many", "meta_phone_number_ids", 20);
}

#[tokio::test]
async fn templates_and_exports_are_listed_by_page() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    for name in ["t_a", "t_b", "t_c"] {
        let t = json!({"name": name, "language": "en_US", "category": "UTILITY",
            "body": "Hello", "submit": false});
        let (s, v) = app
            .send(Method::POST, "/api/v1/templates", &key, Some(t))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (_, v) = app.get("/api/v1/templates?limit=2", &key).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["next_after"], "t_b:en_US");
    let (_, v) = app
        .get("/api/v1/templates?limit=2&after=t_b:en_US", &key)
        .await;
    assert_eq!(v["items"][0]["name"], "t_c", "{v}");
    assert!(v["next_after"].is_null());

    for id in [11u64, 12, 13] {
        let req = json!({"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 7},
            "orders_requested": [], "data_request": {"id": id}});
        let body = serde_json::to_vec(&req).expect("json");
        app.webhook_ok(SHOP, "customers/data_request", &format!("x-{id}"), &body)
            .await;
    }
    app.eventually("three exports", || async {
        let (_, v) = app.get("/api/v1/exports?limit=500", &key).await;
        (v["items"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let (_, v) = app.get("/api/v1/exports?limit=2", &key).await;
    assert_eq!(v["items"][1]["request_id"], "12", "{v}");
    assert_eq!(v["next_after"], "12");
    let (_, v) = app.get("/api/v1/exports?limit=2&after=12", &key).await;
    assert_eq!(v["items"][0]["request_id"], "13", "{v}");
    assert!(v["next_after"].is_null());
}

#[tokio::test]
async fn dead_letters_are_listed_by_page_without_bodies_and_read_one_by_one() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let bad = br#"{"tags": ["no customer id"]}"#;
    for i in 0..3 {
        app.webhook_accepted(SHOP, "customer.tags_added", &format!("d-{i}"), bad)
            .await;
    }
    app.eventually("three dead letters", || async {
        let (_, v) = app.get("/api/v1/deadletters?limit=500", &key).await;
        (v["items"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let (s, next, v) = get_page(&app, "/api/v1/deadletters?limit=2", &key).await;
    assert_eq!(s, 200, "{v}");
    let page = v["items"].as_array().expect("array");
    assert_eq!(page.len(), 2);
    assert!(page[0].get("body").is_none(), "no bodies in the list: {v}");
    assert_eq!(page[0]["body_bytes"].as_u64(), Some(bad.len() as u64));
    let next = next.expect("next_after");
    let (_, after, v) = get_page(
        &app,
        &format!("/api/v1/deadletters?limit=2&after={next}"),
        &key,
    )
    .await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(after, None);
    let (s, one) = app
        .get(&format!("/api/v1/deadletters/{}", page[0]["id"]), &key)
        .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["body"].as_str().map(str::as_bytes), Some(&bad[..]));
}

fn inbound(wamid: &str, from: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA, "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": NUMBERS[0]},
            "contacts": [{"profile": {"name": "Sheena"}, "wa_id": from}],
            "messages": [{"from": from, "id": wamid, "timestamp": "1767225600", "type": "text", "text": {"body": "hi"}}]
        }}]}]
    }))
    .expect("json")
}

#[tokio::test]
async fn threads_are_listed_by_page() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &NUMBERS, "EAAG-test")
        .await;
    for (i, from) in ["16505551231", "16505551232", "16505551233"]
        .iter()
        .enumerate()
    {
        let r = app
            .meta_webhook(&inbound(&format!("wamid.{i}"), from))
            .await;
        assert_eq!(r.status(), 200);
    }
    app.eventually("three threads", || async {
        let (_, v) = app.get("/api/v1/threads?limit=500", &key).await;
        (v["items"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let (s, next, v) = get_page(&app, "/api/v1/threads?limit=2", &key).await;
    assert_eq!(s, 200, "{v}");
    let first: Vec<u64> = v["items"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    assert_eq!(first.len(), 2);
    let next = next.expect("next_after");
    assert_eq!(Some(next), first.last().copied());
    let (_, after, v) =
        get_page(&app, &format!("/api/v1/threads?limit=2&after={next}"), &key).await;
    let rest: Vec<u64> = v["items"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["id"].as_u64())
        .collect();
    assert_eq!(rest.len(), 1, "{v}");
    assert!(rest[0] > next);
    assert_eq!(after, None);
}
