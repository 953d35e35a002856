//! Installing the app through the Shopify emulator: the authorization-code flow creates
//! the tenant (its API key shown once); a bad HMAC, a wrong or replayed state, a foreign
//! shop hostname and an old timestamp are each refused by name and create nothing; token
//! exchange refuses expired or foreign-signed session tokens; concurrent callers during a
//! refresh cause exactly one refresh and all use the new token; a non-expiring token is
//! migrated to an expiring one at start.

use crate::helpers::{spawn_app_with, TestApp, OPERATOR, SECRET};
use galantis::logic::shopify::oauth::{mint_session_token, sign_query};
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use serde_json::Value;

const CLIENT_ID: &str = "galantis-test-app";
const SHOP: &str = "inst.myshopify.com";

async fn setup(ttl: u64) -> (ShopifyEmulator, TestApp) {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        access_ttl_s: ttl,
        ..ShopifyEmulatorConfig::default()
    })
    .await
    .expect("emulator");
    emu.add_shop(SHOP, "shpat_before_install", "Inst");
    let base = emu.base_url().to_string();
    let app = spawn_app_with(move |s| {
        s.shopify.admin_base_url = Some(base.clone());
        s.shopify.client_id = CLIENT_ID.into();
        s.shopify.app_url = Some("http://app.invalid".into());
        s.shopify.token_refresh_margin_s = 30;
    })
    .await;
    (emu, app)
}

fn no_redirects() -> reqwest::Client {
    galantis::integrations::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn now_s() -> i64 {
    galantis::domain::Timestamp::now().millis() / 1000
}

fn signed(pairs: &[(&str, String)], secret: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let h = sign_query(&p, secret.as_bytes());
    p.push(("hmac".into(), h));
    p
}

async fn get(c: &reqwest::Client, url: &str, query: &[(String, String)]) -> reqwest::Response {
    let mut u = reqwest::Url::parse(url).expect("url");
    for (k, v) in query {
        u.query_pairs_mut().append_pair(k, v);
    }
    c.get(u).send().await.expect("request")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()[reqwest::header::LOCATION]
        .to_str()
        .expect("location")
        .to_string()
}

async fn tenants(app: &TestApp) -> usize {
    let v: Value = app
        .client
        .get(format!("{}/api/v1/tenants", app.base))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .expect("tenants")
        .json()
        .await
        .expect("json");
    v.as_array().map_or(0, Vec::len)
}

/// Runs the install up to Shopify's redirect back: the callback's query.
async fn approve(app: &TestApp, c: &reqwest::Client) -> Vec<(String, String)> {
    let q = signed(
        &[("shop", SHOP.into()), ("timestamp", now_s().to_string())],
        SECRET,
    );
    let r = get(c, &format!("{}/shopify/install", app.base), &q).await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap_or_default());
    let authorize = location(&r);
    assert!(
        authorize.contains("state=") && authorize.contains("client_id=galantis-test-app"),
        "{authorize}"
    );
    let r = c.get(&authorize).send().await.expect("authorize");
    assert_eq!(r.status(), 302);
    let back = reqwest::Url::parse(&location(&r)).expect("callback url");
    assert_eq!(back.path(), "/shopify/callback");
    back.query_pairs()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn with(q: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(&str, String)> = q
        .iter()
        .filter(|(k, _)| k != "hmac")
        .map(|(k, v)| {
            (
                k.as_str(),
                if k == key {
                    value.to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    if !pairs.iter().any(|(k, _)| *k == key) {
        pairs.push((key, value.to_string()));
    }
    signed(&pairs, SECRET)
}

#[tokio::test]
async fn the_install_flow_creates_the_tenant_and_refuses_each_bad_callback() {
    let (emu, app) = setup(3_600).await;
    let c = no_redirects();
    let callback = format!("{}/shopify/callback", app.base);
    let q = approve(&app, &c).await;
    // Each bad variant is refused by name, before any exchange, creating nothing.
    let mut tampered = q.clone();
    for (k, v) in tampered.iter_mut() {
        if k == "hmac" {
            v.replace_range(0..2, "00");
        }
    }
    let cases = [
        (tampered, "bad_hmac"),
        (with(&q, "state", "not-our-nonce"), "bad_state"),
        (with(&q, "shop", "evil.example.com"), "bad_shop"),
        (
            with(&q, "timestamp", &(now_s() - 3_600).to_string()),
            "stale_request",
        ),
    ];
    for (query, code) in cases {
        let r = get(&c, &callback, &query).await;
        let status = r.status().as_u16();
        let v: Value = r.json().await.expect("json");
        assert_eq!((status, v["code"].as_str()), (400, Some(code)), "{v}");
    }
    assert_eq!(tenants(&app).await, 0, "nothing created");
    let r = get(&c, &callback, &q).await;
    assert_eq!(r.status(), 200);
    let installed: Value = r.json().await.expect("json");
    assert_eq!(
        (
            installed["created"].as_bool(),
            installed["expires_in"].as_i64()
        ),
        (Some(true), Some(3_600)),
        "{installed}"
    );
    let key = installed["api_key"]
        .as_str()
        .expect("the API key, shown once")
        .to_string();
    // The replayed callback: its state was used.
    let r = get(&c, &callback, &q).await;
    assert_eq!(r.status(), 400);
    // The tenant works with Shopify's new token.
    let (s, shop) = app.get("/api/v1/integrations/shopify/shop", &key).await;
    assert_eq!(
        (s, shop["myshopifyDomain"].as_str()),
        (200, Some(SHOP)),
        "{shop}"
    );
    assert_eq!(emu.calls().get("oauth_code"), Some(&1));
    // Uninstalled: the token is forgotten. A reinstall grants a new one, shows no key.
    let body = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(SHOP, "app/uninstalled", "uninstall-1", &body)
        .await;
    app.eventually("the token forgotten", || async {
        let (s, _) = app.get("/api/v1/integrations/shopify/shop", &key).await;
        (s == 422).then_some(())
    })
    .await;
    let q = approve(&app, &c).await;
    let again: Value = get(&c, &callback, &q).await.json().await.expect("json");
    assert_eq!(
        (again["created"].as_bool(), again["api_key"].is_null()),
        (Some(false), true),
        "{again}"
    );
    assert_eq!(tenants(&app).await, 1);
    let (s, v) = app.get("/api/v1/integrations/shopify/shop", &key).await;
    assert_eq!(s, 200, "reinstalled: {v}");
}

#[tokio::test]
async fn token_exchange_checks_the_session_token_and_concurrent_callers_share_one_refresh() {
    // Tokens granted at install expire within the 30 s refresh margin.
    let (emu, app) = setup(10).await;
    let c = no_redirects();
    let session = format!("{}/shopify/session", app.base);
    let post = |jwt: String| c.post(&session).bearer_auth(jwt).send();
    let expired = post(emu.session_token(SHOP, -60)).await.expect("post");
    assert_eq!(expired.status(), 401);
    let now = now_s();
    let foreign = mint_session_token(
        &serde_json::json!({"dest": format!("https://{SHOP}"), "aud": CLIENT_ID, "exp": now + 60, "nbf": now - 5}),
        b"another-apps-secret",
    );
    assert_eq!(post(foreign).await.expect("post").status(), 401);
    assert_eq!(tenants(&app).await, 0);
    let ok = post(emu.session_token(SHOP, 60)).await.expect("post");
    assert_eq!(ok.status(), 200);
    let installed: Value = ok.json().await.expect("json");
    let key = installed["api_key"].as_str().expect("key").to_string();
    assert_eq!(emu.calls().get("oauth_exchange"), Some(&1));
    // Now the token needs a refresh: eight callers at once, one refresh, all served.
    emu.set_access_ttl(3_600);
    let call = || app.get("/api/v1/integrations/shopify/shop", &key);
    let (a, b, c2, d, e, f, g, h) = tokio::join!(
        call(),
        call(),
        call(),
        call(),
        call(),
        call(),
        call(),
        call()
    );
    let answers = [a, b, c2, d, e, f, g, h];
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(
        emu.calls().get("oauth_refresh"),
        Some(&1),
        "{:?}",
        emu.calls()
    );
    let (_, health) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(health["shopify"]["state"], "green", "{health}");
}

#[tokio::test]
async fn a_non_expiring_token_is_migrated_to_an_expiring_one_at_start() {
    let (emu, app) = setup(3_600).await;
    let key = app.create_tenant(SHOP).await;
    emu.add_shop(SHOP, "shpat_test_token", "Inst");
    let app = app.restart().await;
    app.eventually("the migration", || async {
        (emu.calls().get("oauth_exchange") == Some(&1)).then_some(())
    })
    .await;
    assert_ne!(emu.token(SHOP).as_deref(), Some("shpat_test_token"));
    let (s, v) = app.get("/api/v1/integrations/shopify/shop", &key).await;
    assert_eq!(s, 200, "the migrated token works: {v}");
}
