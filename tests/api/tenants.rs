//! Tenants: operator API, keys, isolation, tokens sealed at rest, ops endpoints.

use crate::helpers::{spawn_app, OPERATOR};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn tenant_lifecycle_through_the_operator_api() {
    let app = spawn_app().await;
    let key = app.create_tenant("lifecycle.myshopify.com").await;
    assert!(key.starts_with("glt_"));

    let (s, v) = app.get("/api/v1/tenants", OPERATOR).await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["shop"], "lifecycle.myshopify.com");
    assert_eq!(v[0]["status"], "active");
    assert_eq!(v[0]["has_shopify_token"], true);
    assert!(
        !v.to_string().contains("shpat_test_token"),
        "tokens are never returned"
    );

    // Same shop again → 409; bad domain → 400 naming it; unknown field → 400.
    let body = json!({"shop": "lifecycle.myshopify.com", "shopify_access_token": "x"});
    assert_eq!(
        app.send(Method::POST, "/api/v1/tenants", OPERATOR, Some(body))
            .await
            .0,
        409
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/tenants",
            OPERATOR,
            Some(json!({"shop": "not a shop", "shopify_access_token": "x"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["code"], "invalid_shop_domain");
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/tenants",
            OPERATOR,
            Some(json!({"shop": "b.myshopify.com", "shopify_access_token": "x", "colour": 1})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        v["message"].as_str().unwrap_or_default().contains("colour"),
        "{v}"
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/tenants",
            OPERATOR,
            Some(json!({"shop": "b.myshopify.com", "shopify_access_token": " "})),
        )
        .await;
    assert_eq!(s, 400);
    assert!(v["message"]
        .as_str()
        .unwrap_or_default()
        .contains("shopify_access_token"));

    // Only the operator manages tenants: a tenant key is forbidden (403), no key or an
    // unknown one is unauthenticated (401).
    assert_eq!(app.get("/api/v1/tenants", &key).await.0, 403);
    assert_eq!(app.get("/api/v1/tenants", "nope").await.0, 401);
    let r = app
        .client
        .get(format!("{}/api/v1/tenants", app.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);

    // Delete: 204, then the shop is unknown to webhooks and its key is dead.
    let (s, _) = app
        .send(
            Method::DELETE,
            "/api/v1/tenants/lifecycle.myshopify.com",
            OPERATOR,
            None,
        )
        .await;
    assert_eq!(s, 204);
    let r = app
        .webhook(
            "lifecycle.myshopify.com",
            "customers/create",
            "w1",
            b"{\"id\":1}",
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.get("/api/v1/contacts", &key).await.0, 401);
    assert_eq!(
        app.send(
            Method::DELETE,
            "/api/v1/tenants/lifecycle.myshopify.com",
            OPERATOR,
            None
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn a_tenant_key_never_sees_another_tenants_data() {
    let app = spawn_app().await;
    let key_a = app.create_tenant("shop-a.myshopify.com").await;
    let key_b = app.create_tenant("shop-b.myshopify.com").await;
    let body = br#"{"id": 4242, "updated_at": "2026-01-01T00:00:00Z", "first_name": "Bea", "email": "bea@b.com"}"#;
    app.webhook_ok("shop-b.myshopify.com", "customers/create", "b-1", body)
        .await;
    assert_eq!(app.get("/api/v1/contacts/4242", &key_b).await.0, 200);
    let (s, v) = app.get("/api/v1/contacts/4242", &key_a).await;
    assert_eq!(s, 404, "{v}");
    let (_, v) = app.get("/api/v1/contacts", &key_a).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0));
    // The operator can look at either tenant by naming it.
    let r = app
        .client
        .get(format!("{}/api/v1/contacts/4242", app.base))
        .bearer_auth(OPERATOR)
        .header("X-Galantis-Shop", "shop-b.myshopify.com")
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn tokens_are_sealed_at_rest() {
    let app = spawn_app().await;
    let body = json!({"shop": "sealed.myshopify.com", "shopify_access_token": "shpat_VERY_SECRET_TOKEN_123",
                      "meta_access_token": "EAAG_META_SECRET_456", "meta_phone_number_ids": ["1234567890"]});
    assert_eq!(
        app.send(Method::POST, "/api/v1/tenants", OPERATOR, Some(body))
            .await
            .0,
        201
    );
    let dir = app.dir.path().to_path_buf();
    let app = app.restart().await; // flushes and reopens
    let (s, v) = app.get("/api/v1/tenants", OPERATOR).await;
    assert_eq!(s, 200);
    assert_eq!(v[0]["has_meta_token"], true);
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                for secret in [&b"shpat_VERY_SECRET_TOKEN_123"[..], b"EAAG_META_SECRET_456"] {
                    assert!(
                        !bytes.windows(secret.len()).any(|w| w == secret),
                        "token in clear in {}",
                        p.display()
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn ops_endpoints_answer() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("healthz");
    assert_eq!(r.status(), 200);
    let r = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200);
    app.create_tenant("ops.myshopify.com").await;
    app.webhook_ok(
        "ops.myshopify.com",
        "customers/create",
        "m-1",
        br#"{"id": 1, "updated_at": "2026-01-01T00:00:00Z"}"#,
    )
    .await;
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(text.contains("galantis_shopify_webhooks_total"), "{text}");
    // The dedupe filter's state is visible to the operator (ready once its scan is done).
    assert!(text.contains("galantis_dedupe_filter_ready"), "{text}");
    let r = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .expect("openapi");
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.expect("json");
    for path in [
        "/webhooks/shopify",
        "/api/v1/tenants",
        "/api/v1/contacts/{id}",
        "/api/v1/deadletters/{id}/replay",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    let (s, v) = app.get("/nope", OPERATOR).await;
    assert_eq!(s, 404);
    assert_eq!(v["code"], "no_such_route");
}

#[tokio::test]
async fn readyz_reports_recovery_progress_while_recovering() {
    let app = spawn_app().await;
    let n = 300;
    for i in 0..n {
        app.create_tenant(&format!("r{i}.myshopify.com")).await;
    }
    let app = app.restart_unready().await;
    let mut recovering = Vec::new();
    let last = loop {
        let r = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .expect("readyz");
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.expect("json");
        if status == 200 {
            break body;
        }
        assert_eq!(status, 503, "{body}");
        recovering.push(body);
        assert!(recovering.len() < 100_000, "recovery never finished");
    };
    assert!(
        !recovering.is_empty(),
        "a recovery of {n} tenants was seen in progress"
    );
    for b in &recovering {
        assert_eq!(b["status"], "recovering");
        let p = &b["recovery"];
        let (started, total) = (p["tenants_started"].as_u64(), p["tenants_total"].as_u64());
        assert!(started <= total, "{b}");
        assert!(total == Some(0) || total == Some(n), "{b}");
    }
    assert_eq!(last["status"], "ready");
    assert_eq!(last["recovery"]["tenants_total"], n);
    assert_eq!(last["recovery"]["tenants_started"], n);
}
