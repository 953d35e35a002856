//! The Admin client against the emulator: subscriptions round trip; an invalid document
//! refused as Shopify refuses it; a nearly empty bucket makes the client wait, not fail;
//! 401 is `Unauthorized` at once; a 503 is retried.

use super::{ShopifyEmulator, ShopifyEmulatorConfig, ShopifyFault};
use crate::integrations::shopify::admin::ops;
use crate::integrations::shopify::admin::{AdminClient, AdminError, AdminSettings};
use std::time::Duration;

const SHOP: &str = "emu.myshopify.com";
const TOKEN: &str = "shpat_emu";

async fn setup() -> (ShopifyEmulator, AdminClient) {
    let emu = ShopifyEmulator::start(ShopifyEmulatorConfig {
        restore_rate: 500.0,
        ..ShopifyEmulatorConfig::default()
    })
    .await
    .expect("emulator");
    emu.add_shop(SHOP, TOKEN, "Emu");
    let client = AdminClient::new(AdminSettings {
        api_version: "2026-04".into(),
        base_url: Some(emu.base_url().to_string()),
        timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff: Duration::from_millis(10),
    })
    .expect("client");
    (emu, client)
}

#[tokio::test]
async fn subscriptions_round_trip_and_shopify_words_its_refusals() {
    let (emu, client) = setup().await;
    let uri = "https://engine.example/webhooks/shopify";
    let created = ops::create_webhook_subscription(&client, SHOP, TOKEN, "ORDERS_CREATE", uri)
        .await
        .expect("create");
    assert_eq!(
        (created.topic.as_str(), created.uri.as_deref()),
        ("ORDERS_CREATE", Some(uri))
    );
    let again = ops::create_webhook_subscription(&client, SHOP, TOKEN, "ORDERS_CREATE", uri).await;
    assert!(
        matches!(&again, Err(AdminError::UserErrors(e)) if e[0].message.contains("already been taken")),
        "{again:?}"
    );
    let bad =
        ops::create_webhook_subscription(&client, SHOP, TOKEN, "ORDERS_CREATE", "ftp://x").await;
    assert!(matches!(bad, Err(AdminError::UserErrors(_))), "{bad:?}");
    let all = ops::webhook_subscriptions(&client, SHOP, TOKEN)
        .await
        .expect("list");
    assert_eq!(all, vec![created.clone()]);
    ops::delete_webhook_subscription(&client, SHOP, TOKEN, &created.id)
        .await
        .expect("delete");
    assert!(emu.subscriptions(SHOP).is_empty());
    let shop = ops::shop(&client, SHOP, TOKEN).await.expect("shop");
    assert_eq!(shop.myshopify_domain, SHOP);
}

#[tokio::test]
async fn an_invalid_document_is_refused_with_graphql_errors() {
    let (emu, _client) = setup().await;
    crate::integrations::install_tls_provider();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/admin/api/2026-04/graphql.json", emu.base_url()))
        .header("X-Shopify-Shop-Domain", SHOP)
        .header("X-Shopify-Access-Token", TOKEN)
        .json(&serde_json::json!({"query": "query { checkouts(first: 10) { edges { node { id } } } }"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("checkouts"), "{answer}");
    assert!(answer.get("data").is_none(), "nothing ran: {answer}");
    assert_eq!(emu.calls().get("invalid"), Some(&1));
}

#[tokio::test]
async fn a_nearly_empty_bucket_makes_the_client_wait_not_fail() {
    let (emu, client) = setup().await;
    emu.set_bucket(SHOP, 5.0);
    let listed = ops::webhook_subscriptions(&client, SHOP, TOKEN).await;
    assert!(listed.is_ok(), "{listed:?}");
    // Now the client knows the bucket: the next calls wait before sending, none throttled.
    emu.set_bucket(SHOP, 5.0);
    let before = emu
        .calls()
        .get("WebhookSubscriptions")
        .copied()
        .unwrap_or(0);
    ops::webhook_subscriptions(&client, SHOP, TOKEN)
        .await
        .expect("second");
    let after = emu
        .calls()
        .get("WebhookSubscriptions")
        .copied()
        .unwrap_or(0);
    assert!(
        after - before <= 2,
        "at most one throttled attempt: {:?}",
        emu.calls()
    );
}

#[tokio::test]
async fn a_refused_token_is_unauthorized_at_once_and_a_503_is_retried() {
    let (emu, client) = setup().await;
    let refused = ops::shop(&client, SHOP, "shpat_wrong").await;
    assert!(
        matches!(refused, Err(AdminError::Unauthorized { status: 401, .. })),
        "{refused:?}"
    );
    assert!(refused.as_ref().err().is_some_and(AdminError::is_auth));
    emu.fail_next(ShopifyFault::Status(503));
    emu.fail_next(ShopifyFault::Throttled);
    let shop = ops::shop(&client, SHOP, TOKEN).await;
    assert!(shop.is_ok(), "{shop:?}");
    let calls = emu.calls();
    assert_eq!(
        (calls.get("fault_503"), calls.get("fault_throttled")),
        (Some(&1), Some(&1)),
        "{calls:?}"
    );
}
