//! The Meta catalog of the sandbox: once the demo store's products are in, the tenant
//! creates a catalog for the emulator's business (connected to the demo WABA, with the
//! demo token as catalog token), the pusher sends every product, and the sandbox waits
//! until the catalog health counts them SYNCED, then says where to look.

use super::meta::{EmulatorConfig, MetaEmulator};
use super::summary::Auth;
use super::whatsapp::{call, DEMO_TOKEN};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use std::time::Duration;

/// How long the sandbox waits for the first push.
const WAIT: Duration = Duration::from_secs(30);

/// Connects a new catalog (or keeps the one of an earlier run) and waits for the push.
/// Returns the catalog health.
///
/// # Errors
/// When the engine refuses the connection or the push does not settle in time.
pub async fn connect(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    currency: &str,
) -> anyhow::Result<Value> {
    let (s, _) = call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/catalog"),
        None,
    )
    .await?;
    if s == 404 {
        let business = EmulatorConfig::default().business_id;
        let (s, t) = call(
            client,
            auth,
            reqwest::Method::PUT,
            format!("{base}/api/v1/catalog"),
            Some(
                json!({"mode": "create", "business_id": business, "name": "Demo catalog",
                "token": DEMO_TOKEN, "currency": currency}),
            ),
        )
        .await?;
        if s != 200 {
            bail!("connecting the Meta catalog: HTTP {s}: {t}");
        }
    }
    let started = std::time::Instant::now();
    loop {
        let (_, t) = call(
            client,
            auth,
            reqwest::Method::GET,
            format!("{base}/api/v1/integrations/health"),
            None,
        )
        .await?;
        let h: Value = serde_json::from_str(&t).context("reading the health")?;
        let c = &h["catalog"];
        if c["counts"]["pending_products"] == 0 && c["counts"]["synced"].as_u64() > Some(0) {
            return Ok(c.clone());
        }
        if c["state"] == "red" || started.elapsed() > WAIT {
            bail!("the catalog push did not settle: {c}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The summary lines.
pub fn print(base: &str, emu: &MetaEmulator, auth: &Auth, health: &Value) {
    let items: usize = health["catalog_id"]
        .as_str()
        .map(|id| emu.catalog_items(id).len())
        .unwrap_or(0);
    println!(
        " Meta catalog    {} variants SYNCED, {} FAILED in catalog {} ({items} items at the emulator, {} items_batch calls)\n                 → curl -H 'Authorization: Bearer {}' {base}/api/v1/products  (meta_sync per variant; health: /api/v1/integrations/health)",
        health["counts"]["synced"],
        health["counts"]["failed"],
        health["catalog_id"].as_str().unwrap_or("?"),
        health["calls"],
        auth.token
    );
}
