//! The WhatsApp side of the sandbox: the Meta emulator started beside the engine (the
//! engine's Graph API base URL points at it, and it sends signed webhooks back), the demo
//! tenant connected to it (token, WABA, number, an approved template), a few customers
//! writing in, and the lines to chat from the customer's side.

use super::meta::{AccountRegistration, EmulatorConfig, MetaEmulator};
use super::summary::Auth;
use anyhow::{bail, Context};
use serde_json::json;

/// The demo WhatsApp Business Account id.
pub const DEMO_WABA: &str = "102290129340398";
/// The demo business phone number id.
pub const DEMO_NUMBER: &str = "106540352242922";
/// The demo Meta access token (only the emulator knows it).
pub const DEMO_TOKEN: &str = "EAAG-sandbox-demo-token";
/// Customers who write in when the sandbox starts.
const CHATTERS: &[(&str, &str)] = &[
    ("447700900123", "Hi! Is the blue hoodie back in stock?"),
    ("5511912345678", "Oi, meu pedido já foi enviado?"),
    ("16505551234", "STOP"),
];

/// The Meta app secret of a sandbox data dir (derived, so reruns agree).
pub fn app_secret(shopify_secret: &str) -> String {
    format!("meta-{shopify_secret}")
}

/// Starts the emulator with the demo account.
///
/// # Errors
/// When it cannot bind.
pub async fn start_emulator(app_secret: &str) -> anyhow::Result<MetaEmulator> {
    MetaEmulator::start(EmulatorConfig {
        app_secret: app_secret.to_string(),
        accounts: vec![AccountRegistration {
            token: DEMO_TOKEN.into(),
            waba_id: DEMO_WABA.into(),
            phone_number_ids: vec![DEMO_NUMBER.into()],
        }],
        auto_approve_after: Some(std::time::Duration::from_secs(5)),
        ..EmulatorConfig::default()
    })
    .await
}

pub(super) async fn call(
    client: &reqwest::Client,
    auth: &Auth,
    method: reqwest::Method,
    url: String,
    body: Option<serde_json::Value>,
) -> anyhow::Result<(u16, String)> {
    let mut req = client.request(method, &url).bearer_auth(&auth.token);
    if let Some(s) = &auth.shop_header {
        req = req.header("X-Galantis-Shop", s);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.with_context(|| format!("calling {url}"))?;
    let status = resp.status().as_u16();
    Ok((status, resp.text().await.unwrap_or_default()))
}

/// Connects the demo tenant to the emulator, seeds an approved template, and lets a few
/// customers write in.
///
/// # Errors
/// When the engine refuses the setup calls.
pub async fn connect(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    emu: &MetaEmulator,
) -> anyhow::Result<()> {
    emu.set_webhook_url(&format!("{base}/webhooks/meta"));
    let (s, t) = call(
        client,
        auth,
        reqwest::Method::PUT,
        format!("{base}/api/v1/integrations/meta"),
        Some(json!({"access_token": DEMO_TOKEN, "waba_id": DEMO_WABA})),
    )
    .await?;
    if s != 204 {
        bail!("connecting WhatsApp: HTTP {s}: {t}");
    }
    let (s, t) = call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/phone-numbers"),
        Some(json!({"phone_number_id": DEMO_NUMBER})),
    )
    .await?;
    if s != 201 && s != 409 {
        bail!("adding the WhatsApp number: HTTP {s}: {t}");
    }
    let template = json!({
        "name": "order_update", "language": "en_US", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way!",
                        "example": {"body_text": [["Ana", "#1001"]]}}]
    });
    if emu.templates().iter().all(|t| t.name != "order_update") {
        emu.add_template(DEMO_WABA, &template, "APPROVED")?;
    }
    let _ = call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/templates/sync"),
        None,
    )
    .await?;
    for (from, text) in CHATTERS {
        if let Err(e) = emu.customer_says(DEMO_NUMBER, from, text).await {
            eprintln!("note: the emulator could not deliver a customer message: {e:#}");
        }
    }
    Ok(())
}

/// Lines telling a person how to chat from both sides.
pub fn print(base: &str, emu: &MetaEmulator, auth: &Auth) {
    let e = emu.base_url();
    let h = match &auth.shop_header {
        Some(s) => format!(" -H 'X-Galantis-Shop: {s}'"),
        None => String::new(),
    };
    println!("\n WhatsApp (Meta emulator at {e})");
    println!("   # the inbox: threads, then one thread's messages");
    println!("   curl -s {base}/api/v1/threads -H \"Authorization: Bearer $KEY\"{h}");
    println!("   curl -s {base}/api/v1/threads/THREAD_ID -H \"Authorization: Bearer $KEY\"{h}");
    println!("   # reply as an agent (inside the 24 h window)");
    println!("   curl -s -XPOST {base}/api/v1/threads/THREAD_ID/reply -H \"Authorization: Bearer $KEY\"{h} -H 'content-type: application/json' -d '{{\"author\":\"ana\",\"message\":{{\"type\":\"text\",\"text\":\"Yes, it is back!\"}}}}'");
    println!("   # be the customer: write in, then see what the engine sent");
    println!("   curl -s -XPOST {e}/_emulator/customer-says -H 'content-type: application/json' -d '{{\"phone_number_id\":\"{DEMO_NUMBER}\",\"from\":\"447700900123\",\"text\":\"Great, thanks!\"}}'");
    println!("   curl -s {e}/_emulator/sent");
    println!("   # templates and integration health");
    println!("   curl -s {base}/api/v1/templates -H \"Authorization: Bearer $KEY\"{h}");
    println!("   curl -s {base}/api/v1/integrations/health -H \"Authorization: Bearer $KEY\"{h}");
}
