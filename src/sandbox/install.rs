//! The demo tenant installed the way a merchant installs the app: the sandbox plays the
//! merchant's browser through the Shopify emulator's OAuth pages (`/shopify/install` →
//! authorize → `/shopify/callback`), then asks the engine to import the store's existing
//! customers by bulk operation and waits for it. Every run installs again (a reinstall
//! gives the tenant a fresh token from this run's emulator) and imports what changed.
//! Without the Admin SDL (`../shared/fixtures`) the emulator cannot start and the sandbox
//! falls back to creating the tenant with the operator token.

use super::shopify::{ShopifyEmulator, ShopifyEmulatorConfig};
use super::summary::Auth;
use super::whatsapp::call;
use crate::logic::shopify::oauth::sign_query;
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::time::Duration;

/// The sandbox app's client id.
pub const CLIENT_ID: &str = "galantis-sandbox";
/// Customers the demo store had before the app was installed (imported, not fed).
pub const EXISTING_CUSTOMERS: u64 = 300;
/// Their ids start here (apart from the fed store's).
const FIRST_EXISTING_ID: u64 = 8_100_000_000_000;
/// Products, collections and orders the demo store had before the install (imported).
pub const EXISTING_PRODUCTS: u64 = 40;
const EXISTING_COLLECTIONS: u64 = 3;
const EXISTING_ORDERS: u64 = 200;
const FIRST_PRODUCT_ID: u64 = 8_200_000_000_000;
const FIRST_COLLECTION_ID: u64 = 8_300_000_000_000;
const FIRST_ORDER_ID: u64 = 8_400_000_000_000;
/// What the sandbox imports, in the order the engine runs them.
pub const RESOURCES: [&str; 4] = ["collections", "products", "customers", "orders"];

/// Starts the Shopify emulator hosting the demo shop with its existing customers; `None`
/// (with a note) when it cannot start.
pub async fn start_emulator(shop: &str, client_secret: &str) -> Option<ShopifyEmulator> {
    let config = ShopifyEmulatorConfig {
        client_id: CLIENT_ID.into(),
        client_secret: client_secret.into(),
        ..ShopifyEmulatorConfig::default()
    };
    match ShopifyEmulator::start(config).await {
        Ok(emu) => {
            emu.add_shop(shop, "shpat_before_install", "Galantis Demo Store");
            emu.add_customers(shop, FIRST_EXISTING_ID, EXISTING_CUSTOMERS);
            let collections: Vec<u64> =
                (FIRST_COLLECTION_ID..FIRST_COLLECTION_ID + EXISTING_COLLECTIONS).collect();
            emu.add_collections(shop, FIRST_COLLECTION_ID, EXISTING_COLLECTIONS);
            emu.add_products(shop, FIRST_PRODUCT_ID, EXISTING_PRODUCTS, 2, &collections);
            let buyers: Vec<u64> = (FIRST_EXISTING_ID..FIRST_EXISTING_ID + 150).collect();
            emu.add_orders(
                shop,
                FIRST_ORDER_ID,
                EXISTING_ORDERS,
                &buyers,
                (FIRST_PRODUCT_ID, EXISTING_PRODUCTS),
                2,
            );
            Some(emu)
        }
        Err(e) => {
            eprintln!("note: the Shopify emulator did not start ({e:#}); the demo tenant is created with the operator token and nothing is imported");
            None
        }
    }
}

/// Installs the app on `shop` through the engine's install endpoints; the new tenant's
/// API key when it was created now.
///
/// # Errors
/// When a step of the install is refused.
pub async fn install(
    base: &str,
    shop: &str,
    client_secret: &str,
) -> anyhow::Result<Option<String>> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let ts = (crate::domain::Timestamp::now().millis() / 1000).to_string();
    let mut params = vec![
        ("shop".to_string(), shop.to_string()),
        ("timestamp".to_string(), ts),
    ];
    params.push(("hmac".into(), sign_query(&params, client_secret.as_bytes())));
    let mut url = reqwest::Url::parse(&format!("{base}/shopify/install")).context("install URL")?;
    for (k, v) in &params {
        url.query_pairs_mut().append_pair(k, v);
    }
    let to_authorize = browser.get(url).send().await.context("opening the app")?;
    let Some(authorize) = to_authorize
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
    else {
        bail!(
            "the install page answered HTTP {} without a redirect",
            to_authorize.status()
        );
    };
    let approved = browser
        .get(authorize)
        .send()
        .await
        .context("approving at Shopify")?;
    let back = approved
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| reqwest::Url::parse(v).ok())
        .context("Shopify did not redirect back")?;
    let callback = format!(
        "{base}/shopify/callback?{}",
        back.query().unwrap_or_default()
    );
    let r = browser
        .get(callback)
        .send()
        .await
        .context("the install callback")?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("the install callback answered HTTP {status}: {v}");
    }
    println!(
        "Installed the app on {shop} through the Shopify emulator ({}).",
        if v["created"] == true {
            "new tenant"
        } else {
            "reinstalled: fresh token"
        }
    );
    Ok(v["api_key"].as_str().map(str::to_string))
}

/// Imports the store's collections, products, customers and orders by bulk operation and
/// waits for them; the jobs as the API shows them.
///
/// # Errors
/// When the import cannot start or one fails.
pub async fn import(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
) -> anyhow::Result<Vec<Value>> {
    let (s, body) = call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/imports"),
        Some(json!({"resources": RESOURCES})),
    )
    .await?;
    if s != 202 {
        bail!("starting the import: HTTP {s}: {body}");
    }
    for _ in 0..600 {
        let (_, body) = call(
            client,
            auth,
            reqwest::Method::GET,
            format!("{base}/api/v1/imports"),
            None,
        )
        .await?;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let jobs = v["items"].as_array().cloned().unwrap_or_default();
        if let Some(failed) = jobs.iter().find(|j| j["status"] == "FAILED") {
            bail!(
                "the {} import failed: {}",
                failed["resource"],
                failed["error"]
            );
        }
        if jobs.len() == RESOURCES.len() && jobs.iter().all(|j| j["status"] == "DONE") {
            return Ok(jobs);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the import did not finish within a minute")
}

/// The plan the sandbox subscribes the demo shop to (large enough for the demo's flows).
pub const DEMO_PLAN: &str = "Enterprise";

/// Subscribes the demo shop to [`DEMO_PLAN`] the way a merchant does: the engine asks
/// Shopify (`appSubscriptionCreate`), the merchant approves at the confirmation URL, and
/// Shopify's `app_subscriptions/update` webhook puts the plan in force; the billing view
/// once it shows the plan.
///
/// # Errors
/// When a step is refused or the plan is not in force within 30 seconds (the webhook
/// waits behind the demo data's own webhooks on a busy machine).
pub async fn subscribe(client: &reqwest::Client, base: &str, auth: &Auth) -> anyhow::Result<Value> {
    let (s, body) = call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/billing/subscription"),
        Some(json!({"plan": DEMO_PLAN})),
    )
    .await?;
    if s != 201 {
        bail!("subscribing: HTTP {s}: {body}");
    }
    let sub: Value = serde_json::from_str(&body).context("the subscription")?;
    let url = sub["confirmation_url"]
        .as_str()
        .context("no confirmation URL")?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client")?;
    let r = browser
        .get(url)
        .send()
        .await
        .context("approving the charge")?;
    if r.status().as_u16() != 302 {
        bail!("approving the charge: HTTP {}", r.status());
    }
    for _ in 0..300 {
        let (_, body) = call(
            client,
            auth,
            reqwest::Method::GET,
            format!("{base}/api/v1/billing"),
            None,
        )
        .await?;
        let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if v["plan"] == DEMO_PLAN {
            return Ok(v);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the {DEMO_PLAN} plan was not in force within 30 seconds")
}
