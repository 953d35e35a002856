//! The Shopify Admin side against the Shopify emulator: webhook registration reconciles
//! the shop's subscriptions (twice → no change; a dropped one and one pointing elsewhere
//! repaired, also at start), and a refused token turns the Shopify health red with the
//! cause.

use crate::helpers::spawn_app_with;
use galantis::sandbox::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use reqwest::Method;

const SHOP: &str = "reg.myshopify.com";
const CALLBACK: &str = "http://127.0.0.1:9/webhooks/shopify";

#[tokio::test]
async fn webhook_registration_converges_and_a_refused_token_turns_health_red() {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig::default())
        .await
        .expect("emulator");
    let base = emu.base_url().to_string();
    let app = spawn_app_with(move |s| {
        s.shopify.admin_base_url = Some(base.clone());
        s.shopify.webhook_callback_url = Some(CALLBACK.into());
    })
    .await;
    let key = app.create_tenant(SHOP).await;
    emu.add_shop(SHOP, "shpat_test_token", "Reg");
    let path = "/api/v1/integrations/shopify/webhooks";
    let (s, first) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(s, 200, "{first}");
    let wanted = first["created"].as_array().map_or(0, Vec::len);
    assert!(wanted >= 25, "{first}");
    let subs = emu.subscriptions(SHOP);
    assert_eq!(subs.len(), wanted);
    assert!(subs.iter().all(|x| x.uri == CALLBACK && x.format == "JSON"));
    assert!(subs.iter().any(|x| x.topic == "CHECKOUTS_UPDATE"));
    let (s, second) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(s, 200, "{second}");
    assert_eq!(
        (
            second["created"].as_array().map(Vec::len),
            second["deleted"].as_array().map(Vec::len),
            second["kept"].as_u64()
        ),
        (Some(0), Some(0), Some(wanted as u64)),
        "the second run changes nothing: {second}"
    );
    let (_, health) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(health["shopify"]["state"], "green", "{health}");

    // Shopify dropped one; an old deployment's subscription lingers: repaired at start.
    assert!(emu.drop_subscription(SHOP, "ORDERS_CREATE"));
    emu.add_subscription(SHOP, "PRODUCTS_UPDATE", "https://old.example/hooks");
    let app = app.restart().await;
    app.eventually("the subscriptions repaired at start", || async {
        let subs = emu.subscriptions(SHOP);
        (subs.len() == wanted
            && subs.iter().all(|x| x.uri == CALLBACK)
            && subs.iter().any(|x| x.topic == "ORDERS_CREATE"))
        .then_some(())
    })
    .await;

    // The shop revokes the token: refused at once, health red with Shopify's answer.
    emu.add_shop(SHOP, "shpat_rotated_elsewhere", "Reg");
    let (s, v) = app.send(Method::POST, path, &key, None).await;
    assert_eq!(
        (s, v["code"].as_str()),
        (422, Some("shopify_token_invalid")),
        "{v}"
    );
    let (_, health) = app.get("/api/v1/integrations/health", &key).await;
    assert_eq!(health["shopify"]["state"], "red", "{health}");
    assert_eq!(health["shopify"]["token"], "invalid", "{health}");
    assert!(
        health["shopify"]["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("401"),
        "{health}"
    );
}
