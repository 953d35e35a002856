//! Every error is JSON with the right status: query rejections, unknown methods, bodies
//! over the limit, arrays where objects are required, bodies not declared JSON.

use crate::helpers::{spawn_app, OPERATOR};
use reqwest::Method;
use serde_json::{json, Value};

/// Asserts a JSON error with `status` and `code`; returns the message.
async fn json_error(r: reqwest::Response, status: u16, code: &str) -> String {
    assert_eq!(r.status().as_u16(), status);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = r.text().await.expect("body");
    assert!(ct.starts_with("application/json"), "{ct}: {text}");
    let v: Value = serde_json::from_str(&text).expect("json error body");
    assert_eq!(v["code"], code, "{v}");
    v["message"].as_str().expect("message").to_string()
}

#[tokio::test]
async fn a_bad_query_parameter_is_a_json_400_naming_it() {
    let app = spawn_app().await;
    let key = app.create_tenant("query.myshopify.com").await;
    let r = app
        .client
        .get(format!("{}/api/v1/contacts?limit=-1", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    let m = json_error(r, 400, "invalid_query").await;
    assert!(m.contains("limit"), "{m}");
}

#[tokio::test]
async fn an_unknown_method_is_a_json_405() {
    let app = spawn_app().await;
    let r = app
        .client
        .delete(format!("{}/api/v1/contacts", app.base))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .expect("request");
    json_error(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_naming_the_real_limit() {
    let app = spawn_app().await;
    let key = app.create_tenant("big.myshopify.com").await;
    let limit = app.settings.server.max_body_bytes;
    let r = app
        .client
        .post(format!("{}/api/v1/messages", app.base))
        .bearer_auth(&key)
        .header("Content-Type", "application/json")
        .body(vec![b' '; limit + 1])
        .send()
        .await
        .expect("request");
    let m = json_error(r, 413, "body_too_large").await;
    assert!(m.contains(&limit.to_string()), "{m}");
}

#[tokio::test]
async fn arrays_are_refused_where_objects_are_required() {
    let app = spawn_app().await;
    let key = app.create_tenant("arrays.myshopify.com").await;
    let cases = [
        (
            Method::PUT,
            "/api/v1/integrations/meta",
            key.as_str(),
            json!([null, null]),
        ),
        (
            Method::POST,
            "/api/v1/tenants",
            OPERATOR,
            json!(["other.myshopify.com", "shpat_x"]),
        ),
        (
            Method::PATCH,
            "/api/v1/contacts/1",
            key.as_str(),
            json!([false]),
        ),
        (
            Method::POST,
            "/api/v1/messages",
            key.as_str(),
            json!({"to": "+14155550100", "message": {"type": "template", "name": "t",
                "language": "en", "body": [{"currency": ["1.00", "USD", "$1"]}]}}),
        ),
    ];
    for (method, path, key, body) in cases {
        let (status, v) = app.send(method.clone(), path, key, Some(body)).await;
        assert_eq!(status, 400, "{method} {path}: {v}");
        assert_eq!(v["code"], "invalid_body", "{method} {path}: {v}");
    }
    let (status, v) = app.get("/api/v1/tenants", OPERATOR).await;
    assert_eq!(status, 200);
    assert_eq!(
        v.as_array().map(Vec::len),
        Some(1),
        "no tenant was added: {v}"
    );
}

#[tokio::test]
async fn a_body_not_declared_json_is_a_json_415() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/api/v1/tenants", app.base))
        .bearer_auth(OPERATOR)
        .body(r#"{"shop":"x.myshopify.com","shopify_access_token":"t"}"#)
        .send()
        .await
        .expect("request");
    json_error(r, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_message_given_as_an_array_is_refused() {
    let app = spawn_app().await;
    let key = app.create_tenant("tagged.myshopify.com").await;
    let body = json!({"to": "+14155550100", "message": ["text", "hi"]});
    let (status, v) = app
        .send(Method::POST, "/api/v1/messages", &key, Some(body))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], "invalid_body", "{v}");
}

#[tokio::test]
async fn a_template_button_given_as_an_array_is_refused() {
    let app = spawn_app().await;
    let key = app.create_tenant("buttons.myshopify.com").await;
    let t = json!({"name": "t_a", "language": "en_US", "category": "UTILITY", "body": "Hello",
        "buttons": [["quick_reply", "Yes"]], "submit": false});
    let (status, v) = app
        .send(Method::POST, "/api/v1/templates", &key, Some(t))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["code"], "invalid_body", "{v}");
}
