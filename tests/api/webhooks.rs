//! `POST /webhooks/shopify`: authentication, headers, limits, dedupe, staleness,
//! tombstones, dead letters, restock detection.

use crate::helpers::{of_type, spawn_app, TestApp, PREVIOUS_SECRET};
use galantis::integrations::shopify::webhook::sign;
use galantis::sandbox::payloads::{to_bytes, Customer, Product, Variant};
use serde_json::Value;

const SHOP: &str = "hooks.myshopify.com";

fn customer(id: u64, updated_at: &str, first_name: &str) -> Vec<u8> {
    let mut c = Customer::new(id);
    c.updated_at = updated_at.into();
    c.first_name = first_name.into();
    c.email = Some(format!("{first_name}@example.com").to_lowercase());
    c.phone = Some("+14155550100".into());
    to_bytes(&c.body())
}

async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    let key = app.create_tenant(SHOP).await;
    (app, key)
}

#[tokio::test]
async fn a_bad_signature_is_rejected_and_nothing_is_stored() {
    let (app, key) = setup().await;
    let body = customer(11, "2026-01-01T00:00:00Z", "Eve");
    let r = app
        .webhook_signed(
            SHOP,
            "customers/create",
            "bad-1",
            &body,
            &sign(b"wrong", &body),
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["code"], "invalid_signature");
    let r = app
        .webhook_signed(SHOP, "customers/create", "bad-2", &body, "", None)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.get("/api/v1/contacts/11", &key).await.0, 404);
    assert!(app.events(&key).await.is_empty());
    // The same webhook id, now correctly signed, is not a duplicate: nothing was stored.
    let ack = app
        .webhook_ok(SHOP, "customers/create", "bad-1", &body)
        .await;
    assert_eq!(ack["status"], "accepted");
    // The previous secret (rotation) is accepted too.
    let body2 = customer(12, "2026-01-01T00:00:00Z", "Rot");
    let r = app
        .webhook_signed(
            SHOP,
            "customers/create",
            "rot-1",
            &body2,
            &sign(PREVIOUS_SECRET.as_bytes(), &body2),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/api/v1/contacts/12", &key).await.0, 200);
}

#[tokio::test]
async fn missing_headers_unknown_shops_and_big_bodies_get_named_errors() {
    let (app, _key) = setup().await;
    let body = customer(1, "2026-01-01T00:00:00Z", "A");
    for missing in [
        "X-Shopify-Topic",
        "X-Shopify-Shop-Domain",
        "X-Shopify-Webhook-Id",
        "X-Shopify-API-Version",
    ] {
        let mut req = app
            .client
            .post(format!("{}/webhooks/shopify", app.base))
            .header(
                "X-Shopify-Hmac-Sha256",
                sign(crate::helpers::SECRET.as_bytes(), &body),
            );
        for (h, v) in [
            ("X-Shopify-Topic", "customers/create"),
            ("X-Shopify-Shop-Domain", SHOP),
            ("X-Shopify-Webhook-Id", "h-1"),
            ("X-Shopify-API-Version", "2026-04"),
        ] {
            if h != missing {
                req = req.header(h, v);
            }
        }
        let r = req.body(body.clone()).send().await.expect("send");
        assert_eq!(r.status(), 400, "without {missing}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["code"], "missing_header");
        assert!(
            v["message"].as_str().unwrap_or_default().contains(missing),
            "{v}"
        );
    }
    let r = app
        .webhook("other.myshopify.com", "customers/create", "u-1", &body)
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.expect("json")["code"],
        "unknown_shop"
    );
    let r = app
        .webhook("not a domain", "customers/create", "u-2", &body)
        .await;
    assert_eq!(r.status(), 400);
    let big = vec![b' '; 300 * 1024];
    let r = app.webhook(SHOP, "customers/create", "big-1", &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.expect("json")["code"],
        "body_too_large"
    );
}

#[tokio::test]
async fn unhandled_topics_are_acknowledged_without_effect() {
    let (app, key) = setup().await;
    for (topic, file) in [
        ("carts/create", "carts__create.json"),
        ("carts/update", "carts__update.json"),
        (
            "app_subscriptions/approaching_capped_amount",
            "app_subscriptions__approaching_capped_amount.json",
        ),
        ("app/scopes_update", "app__scopes_update.json"),
    ] {
        let body = crate::helpers::shopify_fixture(file);
        let ack = app
            .webhook_ok(SHOP, topic, &format!("n-{topic}"), &body)
            .await;
        assert_eq!(ack["status"], "not_handled", "{topic}");
    }
    assert!(app.events(&key).await.is_empty());
    assert_eq!(
        app.get("/api/v1/deadletters", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn the_billing_and_bulk_fixtures_are_applied() {
    let (app, key) = setup().await;
    for (topic, file) in [
        ("bulk_operations/finish", "bulk_operations__finish.json"),
        ("app_subscriptions/update", "app_subscriptions__update.json"),
    ] {
        let body = crate::helpers::shopify_fixture(file);
        let ack = app
            .webhook_ok(SHOP, topic, &format!("n-{topic}"), &body)
            .await;
        assert_eq!(ack["status"], "accepted", "{topic}");
    }
    let v = app
        .eventually("the subscription recorded", || async {
            let (_, v) = app.get("/api/v1/billing", &key).await;
            v["subscriptions"]["pending"].is_object().then_some(v)
        })
        .await;
    let p = &v["subscriptions"]["pending"];
    assert_eq!(
        (p["id"].as_str(), p["plan"].as_str(), p["status"].as_str()),
        (
            Some("gid://shopify/AppSubscription/1029266952"),
            Some("Webhook Test"),
            Some("PENDING")
        ),
        "{v}"
    );
    assert!(app.events(&key).await.is_empty());
}

#[tokio::test]
async fn a_duplicate_webhook_id_has_no_second_effect() {
    let (app, key) = setup().await;
    let ack = app
        .webhook_ok(
            SHOP,
            "customers/create",
            "dup-1",
            &customer(21, "2026-01-01T00:00:00Z", "Ann"),
        )
        .await;
    assert_eq!(ack["status"], "accepted");
    // Same delivery id, different content: a redelivery, ignored.
    let ack = app
        .webhook_ok(
            SHOP,
            "customers/create",
            "dup-1",
            &customer(22, "2026-01-01T00:00:00Z", "Bob"),
        )
        .await;
    assert_eq!(ack["status"], "duplicate");
    assert_eq!(app.get("/api/v1/contacts/22", &key).await.0, 404);
    let events = app
        .eventually("creation event", || async {
            let e = app.events(&key).await;
            (!e.is_empty()).then_some(e)
        })
        .await;
    assert_eq!(of_type(&events, "CustomerCreated").len(), 1);
}

#[tokio::test]
async fn an_older_update_after_a_newer_one_is_ignored() {
    let (app, key) = setup().await;
    app.webhook_ok(
        SHOP,
        "customers/update",
        "s-1",
        &customer(31, "2026-03-01T00:00:00Z", "Newer"),
    )
    .await;
    app.webhook_accepted(
        SHOP,
        "customers/update",
        "s-2",
        &customer(31, "2026-02-01T00:00:00Z", "Older"),
    )
    .await;
    let (s, v) = app.get("/api/v1/contacts/31", &key).await;
    assert_eq!(s, 200);
    assert_eq!(v["first_name"], "Newer", "{v}");
    app.webhook_ok(
        SHOP,
        "customers/update",
        "s-3",
        &customer(31, "2026-04-01T00:00:00Z", "Newest"),
    )
    .await;
    assert_eq!(
        app.get("/api/v1/contacts/31", &key).await.1["first_name"],
        "Newest"
    );
}

#[tokio::test]
async fn an_update_after_a_delete_does_not_resurrect_the_contact() {
    let (app, key) = setup().await;
    app.webhook_ok(
        SHOP,
        "customers/create",
        "d-1",
        &customer(41, "2026-01-01T00:00:00Z", "Gone"),
    )
    .await;
    assert_eq!(app.get("/api/v1/contacts/41", &key).await.0, 200);
    app.webhook_ok(SHOP, "customers/delete", "d-2", br#"{"id": 41}"#)
        .await;
    assert_eq!(app.get("/api/v1/contacts/41", &key).await.0, 404);
    app.webhook_accepted(
        SHOP,
        "customers/update",
        "d-3",
        &customer(41, "2026-06-01T00:00:00Z", "Zombie"),
    )
    .await;
    assert_eq!(app.get("/api/v1/contacts/41", &key).await.0, 404);
    // Also across a restart (tombstones are durable).
    let app = app.restart().await;
    app.webhook_accepted(
        SHOP,
        "customers/update",
        "d-4",
        &customer(41, "2026-07-01T00:00:00Z", "Zombie"),
    )
    .await;
    assert_eq!(app.get("/api/v1/contacts/41", &key).await.0, 404);
}

#[tokio::test]
async fn broken_json_with_a_valid_signature_is_dead_lettered_listed_and_replayable() {
    let (app, key) = setup().await;
    let ack = app
        .webhook_ok(
            SHOP,
            "customers/create",
            "broken-1",
            b"{\"id\": 51, \"first_name\": ",
        )
        .await;
    assert_eq!(ack["status"], "accepted");
    let letters = app
        .eventually("a dead letter", || async {
            let (_, v) = app.get("/api/v1/deadletters", &key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    assert_eq!(letters.len(), 1);
    let l = &letters[0];
    assert_eq!(l["topic"], "customers/create");
    assert_eq!(l["webhook_id"], "broken-1");
    assert!(
        l["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("does not parse"),
        "{l}"
    );
    let id = l["id"].as_u64().expect("id");
    // Replay: it goes through the actor again (still broken, so it comes back under a new id).
    let letters = app.replay_still_broken(&key, id).await;
    assert_eq!(letters.len(), 1, "the old letter is gone: {letters:?}");
    assert_eq!(
        app.send(
            reqwest::Method::POST,
            &format!("/api/v1/deadletters/{id}/replay"),
            &key,
            None
        )
        .await
        .0,
        404
    );
    // Nothing else was touched.
    assert_eq!(app.get("/api/v1/contacts/51", &key).await.0, 404);
}

const PRODUCT: u64 = 788_032_119_674_292_922;
const VARIANT: u64 = 642_667_041_472_713_922;

fn product(qty_small: i64, updated_at: &str) -> Vec<u8> {
    let mut p = Product::new(PRODUCT);
    p.updated_at = updated_at.into();
    p.variant_gids_updated_at = updated_at.into();
    let mut v = Variant::new(VARIANT, PRODUCT, qty_small);
    v.updated_at = updated_at.into();
    p.variants = vec![v];
    to_bytes(&p.body())
}

fn variant(qty: i64, updated_at: &str) -> Vec<u8> {
    let mut v = Variant::new(VARIANT, PRODUCT, qty);
    v.old_inventory_quantity = 0;
    v.updated_at = updated_at.into();
    to_bytes(&v.body())
}

#[tokio::test]
async fn one_variant_restocked_event_per_real_transition_under_duplicates_and_reordering() {
    let (app, key) = setup().await;
    let t1 = "2026-05-01T10:00:00Z";
    let t2 = "2026-05-01T11:00:00Z";
    let t3 = "2026-05-01T12:00:00Z";
    let t4 = "2026-05-01T13:00:00Z";
    app.webhook_ok(SHOP, "products/create", "r-1", &product(0, t1))
        .await;
    // Restock at t2, reported by three subscriptions (three webhook ids) and once more.
    app.webhook_ok(SHOP, "variants/in_stock", "r-2", &variant(5, t2))
        .await;
    app.webhook_ok(SHOP, "products/update", "r-3", &product(5, t2))
        .await;
    app.webhook_ok(SHOP, "variants/in_stock", "r-4", &variant(5, t2))
        .await;
    app.webhook_ok(SHOP, "variants/in_stock", "r-2", &variant(5, t2))
        .await;
    // A stale out-of-stock from t1 arrives late: ignored.
    app.webhook_ok(SHOP, "variants/out_of_stock", "r-5", &variant(0, t1))
        .await;
    // Reordered: the restock at t4 arrives before the sell-out at t3 → t3 is stale.
    app.webhook_ok(SHOP, "variants/in_stock", "r-6", &variant(7, t4))
        .await;
    app.webhook_ok(SHOP, "variants/out_of_stock", "r-7", &variant(0, t3))
        .await;
    let (s, p) = app.get("/api/v1/products/788032119674292922", &key).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["variants"][0]["inventory_quantity"], 7, "{p}");
    // Real transitions in time order: 0 → 5 at t2, and 0 (t3) → 7 at t4. The sell-out at
    // t3 arrived after t4, yet the t4 restock is still one real transition: it is recorded
    // once, when the engine learns of it.
    let restocks = app
        .eventually("two restock events", || async {
            let e = app.events(&key).await;
            let r: Vec<Value> = of_type(&e, "VariantRestocked")
                .into_iter()
                .cloned()
                .collect();
            (r.len() >= 2).then_some(r)
        })
        .await;
    assert_eq!(restocks.len(), 2, "{restocks:?}");
    assert_eq!(restocks[0]["data"]["variant_id"], "642667041472713922");
    assert_eq!(restocks[0]["data"]["quantity"], 5);
    assert_eq!(restocks[1]["data"]["quantity"], 7);
    // A real sell-out and restock later: a second event.
    app.webhook_ok(
        SHOP,
        "variants/out_of_stock",
        "r-8",
        &variant(0, "2026-05-02T00:00:00Z"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "variants/in_stock",
        "r-9",
        &variant(3, "2026-05-03T00:00:00Z"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "variants/in_stock",
        "r-10",
        &variant(3, "2026-05-03T00:00:00Z"),
    )
    .await;
    let n = app
        .eventually("second restock", || async {
            let e = app.events(&key).await;
            let n = of_type(&e, "VariantRestocked").len();
            (n >= 3).then_some(n)
        })
        .await;
    assert_eq!(n, 3);
}
