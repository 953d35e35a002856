//! The sandbox's automations: approved templates at the Meta emulator and four example
//! flows active on the demo tenant (abandoned checkout with a VIP branch and a 24-hour
//! reminder, back-in-stock, order confirmation, welcome), installed before the store is
//! fed so the feed's checkouts, orders and customers go through them. Delays run on the
//! sandbox's compressed clock (`automations.time_scale`, one day per minute by default).

use super::summary::Auth;
use super::whatsapp::{call, DEMO_WABA};
use crate::sandbox::meta::MetaEmulator;
use anyhow::bail;
use serde_json::{json, Value};

/// The sandbox's time compression: a day of flow time per minute.
pub const TIME_SCALE: u32 = 1_440;

/// `(name, category, body, examples)` of the templates the flows send.
const TEMPLATES: &[(&str, &str, &str, &[&str])] = &[
    (
        "order_confirmed",
        "UTILITY",
        "Thanks {{1}}! Order {{2}} is confirmed, total {{3}}.",
        &["Ana", "#1001", "42.00 EUR"],
    ),
    (
        "cart_vip",
        "MARKETING",
        "Hi {{1}}, your cart of {{2}} is saved for you: {{3}} (VIP free shipping)",
        &["Ana", "120.00 EUR", "https://x"],
    ),
    (
        "cart_std",
        "MARKETING",
        "Hi {{1}}, you left something behind: {{2}} (we kept it for you)",
        &["Ana", "https://x"],
    ),
    (
        "cart_reminder",
        "MARKETING",
        "Last call {{1}}: your cart is still here {{2}} (until tonight)",
        &["Ana", "https://x"],
    ),
    (
        "bis_alert",
        "MARKETING",
        "Good news {{1}}: {{2}} is back at {{3}} (while stock lasts)",
        &["Ana", "Linen Shirt", "https://x"],
    ),
    (
        "winter_sale",
        "MARKETING",
        "Hi {{1}}, our winter sale is on: {{2}} (ends Sunday)",
        &["Ana", "https://x"],
    ),
    (
        "welcome",
        "MARKETING",
        "Welcome to {{1}}, {{2}}! Reply STOP to opt out.",
        &["Demo Store", "Ana"],
    ),
];

fn var(source: &str) -> Value {
    json!({"source": source, "fallback": "there"})
}

fn action(id: &str, template: &str, body: Vec<Value>) -> Value {
    json!({"id": id, "type": "ACTION", "template": {"name": template, "language": "en_US"}, "body": body})
}

/// The example flows.
pub fn flows() -> Vec<Value> {
    let trigger = |t: &str| json!({"id": "start", "type": "TRIGGER", "trigger": {"type": t}});
    let delay =
        |id: &str, minutes: u32| json!({"id": id, "type": "DELAY", "delay": {"minutes": minutes}});
    let edge = |a: &str, b: &str| json!({"from": a, "to": b});
    vec![
        json!({"name": "Abandoned checkout", "nodes": [
                trigger("ABANDONED_CHECKOUT"), delay("wait_30m", 30),
                {"id": "vip", "type": "CONDITION", "rule": {"type": "ORDER_VALUE", "op": "GT", "value": "100"}},
                action("vip_nudge", "cart_vip", vec![var("customer.first_name"), var("checkout.total_price"), var("checkout.url")]),
                action("nudge", "cart_std", vec![var("customer.first_name"), var("checkout.url")]),
                delay("wait_24h", 1_440),
                action("reminder", "cart_reminder", vec![var("customer.first_name"), var("checkout.url")])],
            "edges": [edge("start", "wait_30m"), edge("wait_30m", "vip"),
                {"from": "vip", "to": "vip_nudge", "branch": "YES"}, {"from": "vip", "to": "nudge", "branch": "NO"},
                edge("vip_nudge", "wait_24h"), edge("nudge", "wait_24h"), edge("wait_24h", "reminder")],
            "settings": {"frequency_cap": "DAYS_7", "exit_on_order": true}}),
        json!({"name": "Back in stock", "nodes": [trigger("BACK_IN_STOCK"),
                action("alert", "bis_alert", vec![var("customer.first_name"), var("product.title"), var("product.url")])],
            "edges": [edge("start", "alert")], "settings": {"frequency_cap": "HOURS_24"}}),
        json!({"name": "Order confirmation", "nodes": [trigger("ORDER_PLACED"),
                action("confirm", "order_confirmed", vec![var("customer.first_name"), var("order.order_number"), var("order.total_price")])],
            "edges": [edge("start", "confirm")], "settings": {"frequency_cap": "HOURS_24"}}),
        json!({"name": "Welcome", "nodes": [trigger("CUSTOMER_CREATED"), delay("wait_10m", 10),
                action("hello", "welcome", vec![var("store.name"), var("customer.first_name")])],
            "edges": [edge("start", "wait_10m"), edge("wait_10m", "hello")], "settings": {"frequency_cap": "EVER"}}),
    ]
}

/// Adds the templates (approved) and the example flows (active), unless the demo tenant
/// has them already (a rerun on the same data dir).
///
/// # Errors
/// When the engine refuses a call.
pub async fn install(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    emu: &MetaEmulator,
) -> anyhow::Result<()> {
    for (name, category, body, examples) in TEMPLATES {
        if emu.templates().iter().any(|t| t.name == *name) {
            continue;
        }
        let mut components =
            vec![json!({"type": "BODY", "text": body, "example": {"body_text": [examples]}})];
        if *name == crate::sandbox::campaigns::TEMPLATE {
            // A tracked button: it leads through the engine's redirect (`/r/{code}`).
            components.push(json!({"type": "BUTTONS", "buttons": [{"type": "URL",
                "text": "Shop the sale", "url": format!("{base}/r/{{{{1}}}}"),
                "example": [format!("{base}/r/abc123")]}]}));
        }
        let t = json!({"name": name, "language": "en_US", "category": category,
            "components": components});
        emu.add_template(DEMO_WABA, &t, "APPROVED")?;
    }
    call(
        client,
        auth,
        reqwest::Method::POST,
        format!("{base}/api/v1/templates/sync"),
        None,
    )
    .await?;
    let (_, segments) = call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/segments"),
        None,
    )
    .await?;
    if !segments.contains("Repeat buyers") {
        let draft = json!({"name": "Repeat buyers", "groups": [{"rules": [{"field": "ORDERS_COUNT", "op": "GTE", "value": 2}]}]});
        let (s, t) = call(
            client,
            auth,
            reqwest::Method::POST,
            format!("{base}/api/v1/segments"),
            Some(draft),
        )
        .await?;
        if s != 201 {
            bail!("creating the example segment: HTTP {s}: {t}");
        }
    }
    let (_, listed) = call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/flows?limit=500"),
        None,
    )
    .await?;
    let listed: Value = serde_json::from_str(&listed).unwrap_or(Value::Null);
    for flow in flows() {
        let exists = listed["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["definition"]["name"] == flow["name"]);
        if exists {
            continue;
        }
        let (s, t) = call(
            client,
            auth,
            reqwest::Method::POST,
            format!("{base}/api/v1/flows"),
            Some(flow),
        )
        .await?;
        if s != 201 {
            bail!("creating an example flow: HTTP {s}: {t}");
        }
        let id = serde_json::from_str::<Value>(&t)?["id"]
            .as_u64()
            .unwrap_or(0);
        let (s, t) = call(
            client,
            auth,
            reqwest::Method::POST,
            format!("{base}/api/v1/flows/{id}/activate"),
            None,
        )
        .await?;
        if s != 200 {
            bail!("activating an example flow: HTTP {s}: {t}");
        }
    }
    Ok(())
}

/// The flows' counts, after the feed has had a moment to go through the first delays.
///
/// # Errors
/// When the engine refuses the call.
pub async fn print(
    client: &reqwest::Client,
    base: &str,
    auth: &Auth,
    emu: &MetaEmulator,
) -> anyhow::Result<()> {
    let (_, listed) = call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/flows"),
        None,
    )
    .await?;
    let listed: Value = serde_json::from_str(&listed).unwrap_or(Value::Null);
    println!();
    println!("Automations (delays run {TIME_SCALE}x faster: a day of flow time per minute):");
    for f in listed["items"].as_array().into_iter().flatten() {
        let c = &f["counts"];
        println!(
            "   {:<20} {:<7} enrolled {:>4}, waiting {:>4}, completed {:>4}, exited {:>3}, failed {:>3}",
            f["definition"]["name"].as_str().unwrap_or_default(),
            f["status"].as_str().unwrap_or_default(),
            c["enrolled"], c["waiting"], c["completed"], c["exited"], c["failed"]
        );
    }
    let (_, segments) = call(
        client,
        auth,
        reqwest::Method::GET,
        format!("{base}/api/v1/segments"),
        None,
    )
    .await?;
    let segments: Value = serde_json::from_str(&segments).unwrap_or(Value::Null);
    for s in segments["items"].as_array().into_iter().flatten() {
        println!(
            "   segment {:<20} {} members (kept current as orders arrive)",
            s["name"].as_str().unwrap_or_default(),
            s["members"]
        );
    }
    let sent = emu
        .sent()
        .iter()
        .filter(|m| m.body["type"] == "template")
        .count();
    println!("   templates received by the Meta emulator so far: {sent}");
    let h = auth
        .shop_header
        .as_ref()
        .map(|s| format!(" -H \"X-Galantis-Shop: {s}\""))
        .unwrap_or_default();
    println!("   # the flows, their counts, and each run with its activity log; segments and their members");
    println!("   curl -s {base}/api/v1/segments -H \"Authorization: Bearer $KEY\"{h}");
    println!("   curl -s {base}/api/v1/flows -H \"Authorization: Bearer $KEY\"{h}");
    println!("   curl -s {base}/api/v1/flows/<id>/runs -H \"Authorization: Bearer $KEY\"{h}");
    println!("   # back-in-stock: subscribe a phone to a sold-out variant (public endpoint), then restock it");
    println!("   curl -s -XPOST {base}/storefront/v1/back-in-stock -H 'content-type: application/json' -d '{{\"shop\":\"<shop>\",\"variant_id\":\"<variant>\",\"phone\":\"+447700900123\"}}'");
    Ok(())
}
