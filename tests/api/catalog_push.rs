//! The Meta catalog push against the emulator: Shopify changes (price, restock, deletion)
//! reach the catalog with the right fields, a burst leaves in a handful of batches, an item
//! Meta refuses is FAILED with Meta's words while the others are SYNCED, a revoked token
//! holds the queue loudly and a new token resumes it, and queued changes survive `kill -9`.

use crate::automations::{setup_with, SHOP};
use crate::crash::{start_engine_with, wait_ready};
use crate::helpers::{META_SECRET, OPERATOR};
use crate::whatsapp_send::{emulator_config, NUMBER, TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// A product of one or more variants `(id, price, compare-at, stock)`.
fn product(
    id: u64,
    updated: &str,
    image: &str,
    variants: &[(u64, &str, Option<&str>, i64)],
) -> Value {
    json!({"id": id, "title": format!("Tee {id}"), "handle": format!("tee-{id}"), "status": "active",
        "vendor": "Acme", "updated_at": updated,
        "images": [{"id": id * 10, "product_id": id, "position": 1, "src": image}],
        "variants": variants.iter().map(|(v, price, compare, stock)| json!({
            "id": v, "product_id": id, "title": format!("Size {v}"), "price": price,
            "compare_at_price": compare, "inventory_quantity": stock})).collect::<Vec<_>>()})
}

fn push_fast(s: &mut galantis::config::Settings) {
    s.catalog.push_interval_ms = 100;
    s.catalog.status_poll_ms = 10;
}

/// Connects a new catalog of the emulator's business by id; returns its id.
async fn connect(
    app: &crate::helpers::TestApp,
    key: &str,
    emu: &MetaEmulator,
    token: &str,
) -> String {
    let catalog = emu.add_catalog("Shop", true);
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            key,
            Some(json!({"mode": "link", "catalog_id": catalog, "token": token, "currency": "EUR"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    catalog
}

/// Sends a product webhook through the test app.
async fn put(app: &crate::helpers::TestApp, topic: &str, wid: &str, body: &Value) {
    app.webhook_ok(SHOP, topic, wid, &serde_json::to_vec(body).expect("json"))
        .await;
}

/// Waits (up to 30 s) until `f` holds.
async fn until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The statuses of a product's variants.
async fn statuses(app: &crate::helpers::TestApp, key: &str, id: u64) -> Vec<String> {
    let (_, v) = app.get(&format!("/api/v1/products/{id}"), key).await;
    v["meta_sync"]["variants"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["status"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn all_synced(app: &crate::helpers::TestApp, key: &str, id: u64) -> bool {
    let s = statuses(app, key, id).await;
    !s.is_empty() && s.iter().all(|x| x == "SYNCED")
}

#[tokio::test]
async fn shopify_changes_reach_the_catalog_and_a_burst_leaves_in_a_few_batches() {
    let (emu, app, key) = setup_with(1, |s| {
        push_fast(s);
        s.catalog.push_interval_ms = 1_000;
    })
    .await;
    let body = product(
        8,
        "2026-11-01T00:00:00Z",
        "https://cdn.shopify.com/tee.jpg",
        &[(81, "20.00", None, 2), (82, "20.00", None, 0)],
    );
    put(&app, "products/create", "p-8", &body).await;
    let catalog = connect(&app, &key, &emu, TOKEN).await;
    until("product 8 SYNCED", || all_synced(&app, &key, 8)).await;
    let items = emu.catalog_items(&catalog);
    let m = &items["81"];
    assert_eq!(m["price"], "20.00 EUR", "{m}");
    assert_eq!(m["availability"], "in stock", "{m}");
    assert_eq!(m["item_group_id"], "8", "{m}");
    assert_eq!(m["brand"], "Acme", "{m}");
    assert_eq!(
        m["image"][0]["url"], "https://cdn.shopify.com/tee.jpg",
        "{m}"
    );
    assert!(
        m["link"]
            .as_str()
            .is_some_and(|l| l.ends_with("/products/tee-8?variant=81")),
        "{m}"
    );
    assert_eq!(items["82"]["availability"], "out of stock");
    let (_, v) = app.get("/api/v1/products/8", &key).await;
    assert!(v["meta_sync"]["variants"][0]["at"].is_string(), "{v}");

    // A price change with a compare-at price (a sale) and a restock of 82.
    let body = product(
        8,
        "2026-11-02T00:00:00Z",
        "https://cdn.shopify.com/tee.jpg",
        &[(81, "15.00", Some("20.00"), 2), (82, "20.00", None, 5)],
    );
    put(&app, "products/update", "p-8b", &body).await;
    until("the sale and the restock at Meta", || async {
        let items = emu.catalog_items(&catalog);
        items["81"]["sale_price"] == "15.00 EUR"
            && items["81"]["price"] == "20.00 EUR"
            && items["82"]["availability"] == "in stock"
            && items["82"]["quantity_to_sell_on_facebook"] == 5
    })
    .await;
    // The deletion removes both items.
    app.webhook_ok(SHOP, "products/delete", "p-8c", br#"{"id": 8}"#)
        .await;
    until("the deletion at Meta", || async {
        emu.catalog_items(&catalog).is_empty()
    })
    .await;

    // A burst of 1,000 new products leaves in batches: at most one call per push period
    // while it arrives (the period is what coalesces it), not 1,000 calls. How many
    // periods the burst spans depends on the machine, so the bound counts them.
    let before = emu.calls().get("items_batch").copied().unwrap_or(0);
    let fed = std::time::Instant::now();
    // Ten senders at once, as Shopify delivers a bulk edit: the burst arrives within a few
    // push intervals even on a loaded machine.
    let app_ref = &app;
    let feed = |first: u64| async move {
        for id in (first..2_000u64).step_by(10) {
            let body = product(
                id,
                "2026-11-03T00:00:00Z",
                "https://cdn.shopify.com/x.jpg",
                &[(id * 10, "9.99", None, 1)],
            );
            put(app_ref, "products/create", &format!("burst-{id}"), &body).await;
        }
    };
    tokio::join!(
        feed(1_000),
        feed(1_001),
        feed(1_002),
        feed(1_003),
        feed(1_004),
        feed(1_005),
        feed(1_006),
        feed(1_007),
        feed(1_008),
        feed(1_009)
    );
    let periods = fed.elapsed().as_secs() + 1;
    until("the burst at Meta", || async {
        emu.catalog_items(&catalog).len() == 1_000
    })
    .await;
    let calls = emu.calls().get("items_batch").copied().unwrap_or(0) - before;
    // The periods the feed spanned, plus the one that takes what arrived last.
    assert!(
        calls >= 1 && calls <= periods + 1,
        "{calls} items_batch calls for 1,000 changes fed over {periods} push periods"
    );
    assert!(calls < 100, "{calls} items_batch calls for 1,000 changes");
    until("the burst SYNCED", || all_synced(&app, &key, 1_999)).await;
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    let c = &h["catalog"];
    assert_eq!(c["state"], "green", "{h}");
    assert_eq!(c["counts"]["synced"], 1_000, "{h}");
    assert_eq!(c["success_rate"], 1.0, "{h}");
    assert!(c["last_success_at"].is_string(), "{h}");
}

#[tokio::test]
async fn an_item_meta_refuses_is_failed_with_its_message_and_the_others_synced() {
    let (emu, app, key) = setup_with(1, push_fast).await;
    for (id, image) in [(9, "https://cdn.shopify.com/ok.jpg"), (10, "files/tee.jpg")] {
        let body = product(
            id,
            "2026-11-01T00:00:00Z",
            image,
            &[(id * 10 + 1, "5.00", None, 3)],
        );
        put(&app, "products/create", &format!("p-{id}"), &body).await;
    }
    // A draft is never sent.
    let mut draft = product(
        11,
        "2026-11-01T00:00:00Z",
        "https://cdn.shopify.com/d.jpg",
        &[(111, "5.00", None, 3)],
    );
    draft["status"] = json!("draft");
    put(&app, "products/create", "p-11", &draft).await;
    // An image under 500 px is refused here, before Meta (Shopify gives its size).
    let mut small = product(
        12,
        "2026-11-01T00:00:00Z",
        "https://cdn.shopify.com/s.jpg",
        &[(121, "5.00", None, 3)],
    );
    small["images"][0]["width"] = json!(300);
    small["images"][0]["height"] = json!(300);
    put(&app, "products/create", "p-12", &small).await;
    let catalog = connect(&app, &key, &emu, TOKEN).await;
    until("product 9 SYNCED", || all_synced(&app, &key, 9)).await;
    until("product 10 FAILED", || async {
        statuses(&app, &key, 10).await == ["FAILED"]
    })
    .await;
    until("product 12 FAILED", || async {
        statuses(&app, &key, 12).await == ["FAILED"]
    })
    .await;
    let (_, v) = app.get("/api/v1/products/12", &key).await;
    assert!(
        v["meta_sync"]["variants"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("300×300 px; Meta needs at least 500×500")),
        "{v}"
    );
    let (_, v) = app.get("/api/v1/products/10", &key).await;
    let error = v["meta_sync"]["variants"][0]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("Invalid image URL `files/tee.jpg`"), "{v}");
    assert_eq!(statuses(&app, &key, 11).await, ["NOT_LISTED"]);
    let items = emu.catalog_items(&catalog);
    assert!(
        items.contains_key("91")
            && !items.contains_key("101")
            && !items.contains_key("111")
            && !items.contains_key("121")
    );
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    let c = &h["catalog"];
    assert_eq!(
        (
            c["counts"]["synced"].as_u64(),
            c["counts"]["failed"].as_u64()
        ),
        (Some(1), Some(2)),
        "{h}"
    );
    assert_eq!(c["state"], "yellow", "{h}");
    assert!(
        c["details"]
            .to_string()
            .contains("2 variants FAILED; most common: item: Invalid image URL"),
        "{h}"
    );

    // Product messages show only what Meta holds and is in stock, refused before Meta.
    let send = |catalog_id: String, sku: &'static str| {
        let app = &app;
        let key = &key;
        async move {
            app.send(
                Method::POST,
                "/api/v1/messages",
                key,
                Some(json!({"to": "+447700900123",
                    "message": {"type": "product", "catalog_id": catalog_id, "sku": sku}})),
            )
            .await
        }
    };
    let sent_before = emu.sent().len();
    for (sku, why) in [
        ("101", "Meta refused it: Invalid image URL"),
        ("555", "no variant"),
    ] {
        let (s, v) = send(catalog.clone(), sku).await;
        assert_eq!(
            (s, v["code"].as_str()),
            (422, Some("product_not_sendable")),
            "{v}"
        );
        assert!(
            v["message"].as_str().is_some_and(|m| m.contains(why)),
            "{v}"
        );
    }
    let (s, v) = send("123".into(), "91").await;
    assert_eq!((s, v["code"].as_str()), (422, Some("wrong_catalog")), "{v}");
    let (_, v) = send(catalog.clone(), "91").await;
    assert_ne!(v["code"], "product_not_sendable", "{v}");
    assert_eq!(
        emu.sent().len(),
        sent_before,
        "nothing refused reached Meta"
    );

    // The merchant excludes product 9: it leaves Meta's catalog.
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/products/9/catalog",
            &key,
            Some(json!({"excluded": true})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    until("product 9 removed", || async {
        !emu.catalog_items(&catalog).contains_key("91")
    })
    .await;
    until("product 9 NOT_LISTED", || async {
        statuses(&app, &key, 9).await == ["NOT_LISTED"]
    })
    .await;
    // A forced re-sync of everything sends what is listed again.
    let before = emu.calls().get("items_batch").copied().unwrap_or(0);
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/catalog/resync",
            &key,
            Some(json!({})),
        )
        .await;
    assert_eq!((s, v["queued"].as_u64()), (202, Some(4)), "{v}");
    until("the re-sync", || async {
        emu.calls().get("items_batch").copied().unwrap_or(0) > before
    })
    .await;
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/catalog/resync",
            &key,
            Some(json!({"product_id": "77"})),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (404, Some("product_not_found")),
        "{v}"
    );
}

#[tokio::test]
async fn a_revoked_token_holds_the_queue_loudly_and_a_new_token_resumes_it() {
    let (emu, app, key) = setup_with(1, push_fast).await;
    let first = "catalog-token-one";
    emu.register_account(first, WABA, &[NUMBER]);
    let body = product(
        8,
        "2026-11-01T00:00:00Z",
        "https://cdn.shopify.com/t.jpg",
        &[(81, "20.00", None, 2)],
    );
    put(&app, "products/create", "p-8", &body).await;
    let catalog = connect(&app, &key, &emu, first).await;
    until("product 8 SYNCED", || all_synced(&app, &key, 8)).await;

    emu.revoke_token(first);
    for id in [8u64, 9] {
        let body = product(
            id,
            "2026-11-02T00:00:00Z",
            "https://cdn.shopify.com/t.jpg",
            &[(id * 10 + 1, "18.00", None, 2)],
        );
        let topic = if id == 8 {
            "products/update"
        } else {
            "products/create"
        };
        put(&app, topic, &format!("p-{id}b"), &body).await;
    }
    let mut health = Value::Null;
    for _ in 0..600 {
        health = app.get("/api/v1/integrations/health", &key).await.1;
        if health["catalog"]["state"] == "red" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = &health["catalog"];
    assert_eq!(c["held"]["code"], 190, "{health}");
    assert!(
        c["details"][0]
            .as_str()
            .is_some_and(|d| d.contains("held") && d.contains("new token")),
        "{health}"
    );
    assert_eq!(c["token"], "invalid", "{health}");
    // Held: no retry storm while the token stays dead, and the changes wait as PENDING.
    let calls = emu.calls().get("items_batch").copied().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(emu.calls().get("items_batch").copied().unwrap_or(0), calls);
    assert_eq!(statuses(&app, &key, 8).await, ["PENDING"]);
    assert_eq!(statuses(&app, &key, 9).await, ["PENDING"]);

    // A new token: the queue resumes and every product ends SYNCED.
    let second = "catalog-token-two";
    emu.register_account(second, WABA, &[NUMBER]);
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/catalog",
            &key,
            Some(
                json!({"mode": "link", "catalog_id": catalog, "token": second, "currency": "EUR"}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    until("both SYNCED", || async {
        all_synced(&app, &key, 8).await && all_synced(&app, &key, 9).await
    })
    .await;
    assert_eq!(emu.catalog_items(&catalog)["81"]["price"], "18.00 EUR");
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    assert!(h["catalog"]["held"].is_null(), "{h}");
    // The check asks Meta about the catalog token and the WABA's catalog.
    let (s, h) = app
        .send(
            Method::POST,
            "/api/v1/integrations/health/check",
            &key,
            None,
        )
        .await;
    assert_eq!(s, 200, "{h}");
    let c = &h["catalog"];
    assert_eq!(
        (c["token"].as_str(), c["linked_to_waba"].as_bool()),
        (Some("valid"), Some(true)),
        "{h}"
    );
    assert_eq!(c["state"], "green", "{h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_changes_survive_sigkill_and_are_pushed_after_the_restart() {
    const SHOP: &str = "catalog-crash.myshopify.com";
    let emu = MetaEmulator::start(emulator_config())
        .await
        .expect("emulator");
    let meta = emu.base_url().to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let client = crate::helpers::http();
    let env = |interval: &'static str| {
        vec![
            ("GALANTIS__META__BASE_URL", meta.as_str()),
            ("GALANTIS_META_APP_SECRET", META_SECRET),
            ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0"),
            ("GALANTIS__CATALOG__PUSH_INTERVAL_MS", interval),
            ("GALANTIS__CATALOG__STATUS_POLL_MS", "10"),
        ]
    };
    // The pusher is off in the first life: every change stays queued.
    let mut e = start_engine_with(dir.path(), &env("0"));
    wait_ready(&client, &e.base).await;
    let r = client
        .post(format!("{}/api/v1/tenants", e.base))
        .bearer_auth(OPERATOR)
        .json(
            &json!({"shop": SHOP, "shopify_access_token": "shpat_x", "meta_access_token": TOKEN,
            "meta_waba_id": WABA, "meta_phone_number_ids": [NUMBER]}),
        )
        .send()
        .await
        .expect("tenant");
    let v: Value = r.json().await.expect("json");
    let key = v["api_key"].as_str().expect("key").to_string();
    let catalog = emu.add_catalog("Crash", true);
    let r = client
        .put(format!("{}/api/v1/catalog", e.base))
        .bearer_auth(&key)
        .json(&json!({"mode": "link", "catalog_id": catalog, "token": TOKEN, "currency": "EUR"}))
        .send()
        .await
        .expect("connect");
    assert_eq!(r.status(), 200);
    for id in 1..=40u64 {
        let body = product(
            id,
            "2026-11-01T00:00:00Z",
            "https://cdn.shopify.com/c.jpg",
            &[(id * 10, "3.00", None, 1)],
        );
        crate::crash::signed_webhook(
            &client,
            &e.base,
            SHOP,
            "products/create",
            &format!("c-{id}"),
            serde_json::to_vec(&body).expect("json"),
        )
        .await;
    }
    // The last change of product 1 is a new price: that is what Meta must end with.
    let body = product(
        1,
        "2026-11-02T00:00:00Z",
        "https://cdn.shopify.com/c.jpg",
        &[(10, "4.50", None, 1)],
    );
    crate::crash::signed_webhook(
        &client,
        &e.base,
        SHOP,
        "products/update",
        "c-1b",
        serde_json::to_vec(&body).expect("json"),
    )
    .await;
    e.child.kill().expect("kill -9");
    let _ = e.child.wait();
    assert!(emu.catalog_items(&catalog).is_empty());

    let e = start_engine_with(dir.path(), &env("100"));
    wait_ready(&client, &e.base).await;
    for _ in 0..600 {
        if emu.catalog_items(&catalog).len() == 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let items = emu.catalog_items(&catalog);
    assert_eq!(items.len(), 40, "every queued change reached Meta");
    assert_eq!(items["10"]["price"], "4.50 EUR");
}

#[tokio::test]
async fn meta_s_hourly_budget_answer_backs_the_pusher_off_and_says_so() {
    // The engine allows itself more calls than this catalog has (Meta's budget grows with
    // the business's users, so an operator may raise ours): Meta's 80014 is honoured.
    let emu = MetaEmulator::start(galantis::sandbox::meta::EmulatorConfig {
        catalog_calls_per_hour: 1,
        ..emulator_config()
    })
    .await
    .expect("emulator");
    let (emu, app, key) = crate::automations::setup_on(emu, 1, |s| {
        push_fast(s);
        s.catalog.calls_per_hour = 1_000;
        s.catalog.batch_max = 1;
    })
    .await;
    for id in [8u64, 9] {
        let body = product(
            id,
            "2026-11-01T00:00:00Z",
            "https://cdn.shopify.com/t.jpg",
            &[(id * 10 + 1, "2.00", None, 1)],
        );
        put(&app, "products/create", &format!("p-{id}"), &body).await;
    }
    let _ = connect(&app, &key, &emu, TOKEN).await;
    let mut health = Value::Null;
    for _ in 0..600 {
        health = app.get("/api/v1/integrations/health", &key).await.1;
        if health["catalog"]["errors"]["call: code 80014"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = &health["catalog"];
    assert_eq!(c["errors"]["call: code 80014"], 1, "{health}");
    assert_eq!(c["state"], "yellow", "{health}");
    assert!(c["retry_after"].is_string(), "{health}");
    assert_eq!(c["counts"]["synced"], 1, "{health}");
    assert_eq!(c["counts"]["pending_products"], 1, "{health}");
    // Backing off: no second refused call.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(emu.calls().get("items_batch"), Some(&2));
}
