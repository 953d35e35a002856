//! Keys and tenant states: a redacted or removed tenant's key stops working, an
//! uninstalled tenant keeps read access but cannot add credentials or send, a tenant key
//! on an operator endpoint is forbidden, ids in paths are plain digits.

use crate::helpers::{spawn_app, TestApp, OPERATOR};
use reqwest::Method;
use serde_json::json;

const SHOP: &str = "access.myshopify.com";

async fn uninstall(app: &TestApp) {
    let body = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(SHOP, "app/uninstalled", "acc-u", &body)
        .await;
    app.eventually("uninstalled status", || async {
        let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
        (v[0]["status"] == "uninstalled").then_some(())
    })
    .await;
}

async fn redact(app: &TestApp) {
    let body = serde_json::to_vec(&json!({"shop_id": 1, "shop_domain": SHOP})).expect("json");
    app.webhook_ok(SHOP, "shop/redact", "acc-r", &body).await;
    app.eventually("redacted status", || async {
        let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
        (v[0]["status"] == "redacted").then_some(())
    })
    .await;
}

fn meta_credentials() -> serde_json::Value {
    json!({"access_token": "EAAG-new", "waba_id": "102290129340398"})
}

#[tokio::test]
async fn a_redacted_tenants_key_stops_working() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    uninstall(&app).await;
    redact(&app).await;
    let (status, v) = app.get("/api/v1/contacts", &key).await;
    assert_eq!(status, 401, "{v}");
    assert_eq!(v["code"], "tenant_redacted");
    let (status, v) = app
        .send(
            Method::PUT,
            "/api/v1/integrations/meta",
            &key,
            Some(meta_credentials()),
        )
        .await;
    assert_eq!(status, 401, "{v}");
    let (_, v) = app.get("/api/v1/tenants", OPERATOR).await;
    assert_eq!(
        v[0]["has_meta_token"], false,
        "no credentials were added: {v}"
    );
}

#[tokio::test]
async fn an_uninstalled_tenant_reads_but_cannot_add_credentials_or_send() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    uninstall(&app).await;
    assert_eq!(app.get("/api/v1/contacts", &key).await.0, 200);
    let (status, v) = app
        .send(
            Method::PUT,
            "/api/v1/integrations/meta",
            &key,
            Some(meta_credentials()),
        )
        .await;
    assert_eq!(status, 410, "{v}");
    assert_eq!(v["code"], "shop_uninstalled");
    let (status, v) = app
        .send(
            Method::POST,
            "/api/v1/phone-numbers",
            &key,
            Some(json!({"phone_number_id": "106540352242922"})),
        )
        .await;
    assert_eq!(status, 410, "{v}");
    let message = json!({"to": "+14155550100", "message": {"type": "text", "text": "hi"}});
    let (status, v) = app
        .send(Method::POST, "/api/v1/messages", &key, Some(message))
        .await;
    assert_eq!(status, 410, "{v}");
}

#[tokio::test]
async fn a_removed_tenants_key_stops_working() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let (status, _) = app
        .send(
            Method::DELETE,
            &format!("/api/v1/tenants/{SHOP}"),
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, v) = app.get("/api/v1/contacts", &key).await;
    assert_eq!(status, 401, "{v}");
}

#[tokio::test]
async fn a_tenant_key_on_an_operator_endpoint_is_forbidden() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    let (status, v) = app.get("/api/v1/tenants", &key).await;
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["code"], "forbidden");
    let body = json!({"shop": "other.myshopify.com", "shopify_access_token": "shpat_x"});
    let (status, _) = app
        .send(Method::POST, "/api/v1/tenants", &key, Some(body))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn ids_in_paths_are_plain_digits() {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    for path in [
        "/api/v1/contacts/+1",
        "/api/v1/threads/+1",
        "/api/v1/messages/+1",
        "/api/v1/products/+1",
        "/api/v1/exports/+1",
    ] {
        let (status, v) = app.get(path, &key).await;
        assert_eq!(status, 400, "{path}: {v}");
        assert_eq!(v["code"], "invalid_id", "{path}: {v}");
    }
}
