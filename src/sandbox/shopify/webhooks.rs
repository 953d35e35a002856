//! Signed webhooks from an emulated shop back to the app, the way Shopify sends them: to
//! every subscription the shop has for the topic (its callback `uri`, as registered by
//! the app), the raw JSON body signed with the app's client secret
//! (`X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256), with the topic, shop domain, webhook id,
//! API version and triggered-at headers. A failed delivery is retried three times with a
//! growing pause (Shopify retries 8 times over 4 hours). Each delivery answered 2xx is
//! counted in `calls` as `webhook <topic>`.

use super::state::Shared;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Sends `body` as `topic` (`bulk_operations/finish`) to the subscriptions of `shop` for
/// `enum_name` (`BULK_OPERATIONS_FINISH`), in the background.
pub(super) fn send(shared: &Arc<Shared>, shop: &str, enum_name: &str, topic: &str, body: &Value) {
    let (targets, secret, id) = {
        let mut st = shared.lock();
        let id = st.next_id();
        let targets: Vec<String> = st
            .shops
            .get(shop)
            .map(|s| {
                s.subscriptions
                    .values()
                    .filter(|sub| sub.topic == enum_name)
                    .map(|sub| sub.uri.clone())
                    .collect()
            })
            .unwrap_or_default();
        (targets, st.webhook_secret.clone(), id)
    };
    if targets.is_empty() {
        return;
    }
    let raw = body.to_string();
    let hmac = crate::integrations::shopify::webhook::sign(secret.as_bytes(), raw.as_bytes());
    let (shared, shop, topic) = (shared.clone(), shop.to_string(), topic.to_string());
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let webhook_id = format!("emulator-{id}");
        let at = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        for uri in targets {
            for attempt in 0..4u64 {
                let sent = client
                    .post(&uri)
                    .header("Content-Type", "application/json")
                    .header("X-Shopify-Topic", &topic)
                    .header("X-Shopify-Shop-Domain", &shop)
                    .header("X-Shopify-Webhook-Id", &webhook_id)
                    .header("X-Shopify-API-Version", "2026-04")
                    .header("X-Shopify-Triggered-At", &at)
                    .header("X-Shopify-Hmac-Sha256", &hmac)
                    .body(raw.clone())
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    shared.lock().count(&format!("webhook {topic}"));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
            }
        }
    });
}
