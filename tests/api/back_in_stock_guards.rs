//! The storefront endpoint's guards: bad input refused with clear 4xx errors and nothing
//! stored, rate limits per IP and per phone, CORS for the shop's storefront only, and the
//! endpoints in the OpenAPI document.

use crate::back_in_stock::{
    listed, setup, subscribe, subscribe_ok, IN_STOCK, OTHER, SHOP, SOLD_OUT,
};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn bad_requests_get_clear_errors_and_store_nothing() {
    let (app, key) = setup(1000, 1000).await;
    let cases = [
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "415 555 0123"}),
            400,
            "phone_missing_calling_code",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "12", "country": "US"}),
            400,
            "invalid_phone",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+1".repeat(20)}),
            400,
            "too_long",
        ),
        (
            json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550123", "country": "USA"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shop": SHOP, "variant_id": "12ab", "phone": "+14155550123"}),
            400,
            "invalid_field",
        ),
        (
            json!({"shop": "not a shop", "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            400,
            "invalid_shop",
        ),
        (
            json!({"shop": SHOP, "variant_id": IN_STOCK, "phone": "+14155550123"}),
            409,
            "variant_in_stock",
        ),
        (
            json!({"shop": SHOP, "variant_id": 999, "phone": "+14155550123"}),
            404,
            "unknown_variant",
        ),
        (
            json!({"shop": "nobody.myshopify.com", "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            404,
            "unknown_shop",
        ),
        (
            json!({"shop": SHOP, "phone": "+14155550123"}),
            400,
            "invalid_body",
        ),
        (json!([1, 2]), 400, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let (s, v) = subscribe(&app, body.clone()).await;
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{body}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let r = app
        .client
        .post(format!("{}/storefront/v1/back-in-stock", app.base))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 400);
    let big = json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "1".repeat(300 * 1024)});
    assert_eq!(subscribe(&app, big).await.0, 413);
    // Nothing was stored: no subscription, no contact for the number, no consent event.
    for v in [SOLD_OUT, IN_STOCK] {
        assert!(listed(&app, &key, &format!("variant_id={v}"))
            .await
            .is_empty());
    }
    let (_, found) = app.get("/api/v1/contacts?q=4155550123", &key).await;
    assert_eq!(found["items"], json!([]), "{found}");
    // An uninstalled shop: 410.
    let body = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(SHOP, "app/uninstalled", "u-1", &body).await;
    let (s, v) = app
        .eventually("the uninstall", || async {
            let r = subscribe(
                &app,
                json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550123"}),
            )
            .await;
            (r.0 == 410).then_some(r)
        })
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (410, Some("shop_uninstalled")),
        "{v}"
    );
}

#[tokio::test]
async fn a_flood_from_one_address_or_for_one_phone_is_limited() {
    let (app, key) = setup(5, 2).await;
    for i in 0..2 {
        let phone = format!("+1415555010{i}");
        subscribe_ok(&app, SOLD_OUT, &phone).await;
    }
    // The same phone for a third variant: over the per-phone limit, nothing stored.
    subscribe_ok(&app, OTHER, "+14155550177").await;
    subscribe_ok(&app, SOLD_OUT, "+14155550177").await;
    let r = app
        .client
        .post(format!("{}/storefront/v1/back-in-stock", app.base))
        .json(&json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550177"}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    // Five requests per minute from this address: the sixth is refused.
    let (s, v) = subscribe(
        &app,
        json!({"shop": SHOP, "variant_id": SOLD_OUT, "phone": "+14155550188"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
    let ids: Vec<Value> = listed(&app, &key, &format!("variant_id={SOLD_OUT}")).await;
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|s| s["phone"] != "+14155550188"));
}

#[tokio::test]
async fn cors_is_allowed_for_the_shops_storefront_only() {
    let (app, _key) = setup(1000, 1000).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(
                Method::OPTIONS,
                format!("{}/storefront/v1/back-in-stock", app.base),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let ok = preflight("https://bis.myshopify.com")
        .await
        .expect("request");
    assert_eq!(ok.status(), 204);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://bis.myshopify.com"
    );
    assert!(ok.headers()["access-control-allow-methods"]
        .to_str()
        .is_ok_and(|m| m.contains("POST")));
    let no = preflight("https://evil.example").await.expect("request");
    assert_eq!(no.status(), 403);
    assert!(no.headers().get("access-control-allow-origin").is_none());
    let other_shop = preflight("https://nobody.myshopify.com")
        .await
        .expect("request");
    assert!(other_shop
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    // The answers themselves (errors included) carry the header for the shop's origin only.
    for (origin, allowed) in [
        ("https://bis.myshopify.com", true),
        ("https://evil.example", false),
    ] {
        let r = app
            .client
            .post(format!("{}/storefront/v1/back-in-stock", app.base))
            .header("Origin", origin)
            .json(&json!({"shop": SHOP, "variant_id": IN_STOCK, "phone": "+14155550123"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 409);
        assert_eq!(
            r.headers().get("access-control-allow-origin").is_some(),
            allowed,
            "{origin}"
        );
    }
    // The OpenAPI document describes the storefront endpoints.
    let (_, doc) = app.get("/api/v1/openapi.json", "").await;
    for path in [
        "/storefront/v1/back-in-stock",
        "/storefront/v1/back-in-stock/{id}",
        "/storefront/v1/back-in-stock/{id}/cancel",
        "/api/v1/back-in-stock",
    ] {
        assert!(doc["paths"].get(path).is_some(), "openapi lacks {path}");
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in refs {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling {r}"
        );
    }
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
