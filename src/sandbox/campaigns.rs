//! The sandbox's demo campaign: "Winter sale" to a segment of WhatsApp subscribers, run
//! end to end against the Meta emulator (launch checks, frozen audience, the campaign
//! lane, statuses), then a few shoppers answer, tap its tracked button and buy, so its
//! analytics have numbers: replies, clicks, orders and revenue credited by the rules.
//! A rerun on the same data dir shows the campaign it ran before.

use super::feed::Feeder;
use super::generate::{Delivery, Phase};
use super::summary::Auth;
use super::whatsapp::{call, DEMO_NUMBER};
use crate::domain::Timestamp;
use crate::sandbox::meta::MetaEmulator;
use crate::sandbox::payloads::Order;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::time::Duration;

/// The campaign's template (installed with the flows' templates).
pub const TEMPLATE: &str = "winter_sale";
const NAME: &str = "Winter sale";
const SEGMENT: &str = "WhatsApp subscribers";

async fn json_call(
    client: &reqwest::Client,
    auth: &Auth,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> anyhow::Result<Value> {
    let (s, t) = call(client, auth, method, url.clone(), body).await?;
    if !(200..300).contains(&s) {
        bail!("{url}: HTTP {s}: {t}");
    }
    Ok(serde_json::from_str(&t).unwrap_or(Value::Null))
}

/// The demo segment's id (created when missing).
async fn segment(client: &reqwest::Client, base: &str, auth: &Auth) -> anyhow::Result<String> {
    let list = json_call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/segments?limit=100"),
        None,
    )
    .await?;
    if let Some(s) = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["name"] == SEGMENT)
    {
        return Ok(s["id"].to_string().trim_matches('"').to_string());
    }
    let draft = json!({"name": SEGMENT, "groups": [{"rules": [{"field": "CONSENT", "op": "IS", "value": "SUBSCRIBED"}]}]});
    let s = json_call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/segments"),
        Some(draft),
    )
    .await?;
    Ok(s["id"].to_string().trim_matches('"').to_string())
}

/// Runs the demo campaign (or finds the one an earlier run made); the campaign.
///
/// # Errors
/// When the engine refuses a call or the campaign does not finish in time.
pub async fn run(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    emu: &MetaEmulator,
    feeder: &Feeder,
) -> anyhow::Result<Value> {
    let list = json_call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/campaigns?limit=100"),
        None,
    )
    .await?;
    if let Some(c) = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["definition"]["name"] == NAME)
    {
        return Ok(c.clone());
    }
    let segment = segment(client, base, auth).await?;
    let shop_url = "https://demo-store.example/collections/sale";
    let def = json!({
        "name": NAME,
        "message": {"template": {"name": TEMPLATE, "language": "en_US"},
                    "body": [{"source": "customer.first_name", "fallback": "there"}, {"text": shop_url}],
                    "url_suffix": {"text": shop_url}},
        "audience": {"include_segments": [segment]},
        "discount_code": "WINTER10",
    });
    let c = json_call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/campaigns"),
        Some(def),
    )
    .await?;
    let id = c["id"].as_str().context("campaign id")?.to_string();
    json_call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/campaigns/{id}/launch"),
        None,
    )
    .await?;
    let url = format!("{base}/api/v1/campaigns/{id}");
    let started = std::time::Instant::now();
    loop {
        let c = json_call(client, auth, reqwest::Method::GET, url.clone(), None).await?;
        if c["status"] != "SENDING" && c["status"] != "PENDING" {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the demo campaign did not finish within two minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    engage(client, base, auth, emu, feeder).await?;
    // Replies, clicks and orders are applied asynchronously.
    tokio::time::sleep(Duration::from_secs(1)).await;
    json_call(client, auth, reqwest::Method::GET, url, None).await
}

/// Some recipients answer, tap the tracked button, and buy.
async fn engage(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    emu: &MetaEmulator,
    feeder: &Feeder,
) -> anyhow::Result<()> {
    let sent: Vec<(String, String)> = emu
        .sent()
        .into_iter()
        .filter(|m| m.body["template"]["name"] == TEMPLATE)
        .filter_map(|m| {
            let to = m.body["to"].as_str()?.to_string();
            // The tracked button's code (its URL is `{base}/r/{{1}}`).
            let components = m.body["template"]["components"].as_array()?;
            let button = components.iter().find(|c| c["sub_type"] == "url")?;
            let code = button["parameters"][0]["text"].as_str()?.to_string();
            Some((to, code))
        })
        .collect();
    for (to, _) in sent.iter().take(4) {
        let _ = emu
            .customer_says(DEMO_NUMBER, to, "Is the linen shirt in the sale too?")
            .await;
    }
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    let mut deliveries = Vec::new();
    let now = Timestamp::now().to_rfc3339();
    for (i, (to, code)) in sent.iter().skip(2).take(6).enumerate() {
        let _ = no_redirect.get(format!("{base}/r/{code}")).send().await;
        if i % 2 == 1 {
            continue;
        }
        let found = json_call(
            client,
            auth,
            reqwest::Method::GET,
            format!("{base}/api/v1/contacts?q={to}"),
            None,
        )
        .await?;
        let Some(customer) = found["items"][0]["shopify_customer_id"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            continue;
        };
        let order_id = 9_900_000 + i as u64;
        let mut o = Order::new(order_id, customer);
        o.created_at = now.clone();
        o.updated_at = now.clone();
        deliveries.push(Delivery {
            topic: "orders/create",
            webhook_id: format!("sandbox-campaign-order-{order_id}"),
            triggered_at: now.clone(),
            body: o.body(),
        });
    }
    feeder
        .feed(vec![Phase {
            name: "campaign orders",
            deliveries,
        }])
        .await;
    Ok(())
}

/// The summary line of the demo campaign.
pub fn print(base: &str, auth: &Auth, (shop, operator): (&str, &str), c: &Value) {
    let p = &c["progress"];
    let r = &c["results"];
    let id = c["id"].as_str().unwrap_or("?");
    println!(
        " Campaign        '{}' to the '{SEGMENT}' segment: {} frozen, {} sent, {} delivered, {} read, {} skipped; {} replies, {} clicks, {} orders, {} revenue credited ({})\n                 → GALANTIS_URL={base} GALANTIS_OPERATOR_TOKEN={operator} galantis campaign watch --shop {shop} {id}\n                 → curl -H 'Authorization: Bearer {}' {base}/api/v1/campaigns/{id}/analytics",
        c["definition"]["name"].as_str().unwrap_or("?"),
        p["total"],
        p["sent"],
        p["delivered"],
        p["read"],
        p["skipped"].as_object().map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>()),
        r["replied"],
        r["clicked"],
        r["orders"],
        r["revenue"].as_str().unwrap_or("0"),
        c["status"].as_str().unwrap_or("?"),
        auth.token
    );
}
