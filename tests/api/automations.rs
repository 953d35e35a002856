//! Automations end to end: flows created, validated and activated through the API,
//! Shopify webhooks in, delays (compressed by `automations.time_scale`, the same code
//! path), the template with its variables filled at the Meta emulator, runs and counts.

use crate::helpers::{order_body, spawn_app_with, TestApp};
use crate::whatsapp_send::{emulator_config, NUMBER, TOKEN, WABA};
use galantis::sandbox::meta::MetaEmulator;
use galantis::sandbox::payloads::{
    to_bytes, Buyer, Checkout, Customer, LineItem, Order, Product, Variant,
};
use reqwest::Method;
use serde_json::{json, Value};

pub const SHOP: &str = "flows.myshopify.com";
pub const PHONE: &str = "+447700900456";

/// Emulator + engine, a WhatsApp tenant, and APPROVED templates.
pub async fn setup(scale: u32) -> (MetaEmulator, TestApp, String) {
    setup_with(scale, |_| {}).await
}

/// [`setup`] with more settings.
pub async fn setup_with(
    scale: u32,
    extra: impl Fn(&mut galantis::config::Settings),
) -> (MetaEmulator, TestApp, String) {
    let emu = MetaEmulator::start(emulator_config())
        .await
        .expect("emulator");
    setup_on(emu, scale, extra).await
}

/// [`setup_with`] against an emulator started with other settings.
pub async fn setup_on(
    emu: MetaEmulator,
    scale: u32,
    extra: impl Fn(&mut galantis::config::Settings),
) -> (MetaEmulator, TestApp, String) {
    let base = emu.base_url().to_string();
    let app = spawn_app_with(move |s| {
        s.meta.base_url = base.clone();
        s.meta.pair_burst = 1_000;
        s.automations.time_scale = scale;
        extra(s);
    })
    .await;
    emu.set_webhook_url(&format!("{}/webhooks/meta", app.base));
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], TOKEN)
        .await;
    for (name, category, body, examples) in [
        (
            "order_thanks",
            "UTILITY",
            "Thanks {{1}}, order {{2}} is confirmed.",
            json!(["Ana", "#1001"]),
        ),
        (
            "cart_vip",
            "MARKETING",
            "Hi {{1}}, your cart of {{2}} is waiting: {{3}} (see you soon)",
            json!(["Ana", "120 EUR", "https://x"]),
        ),
        (
            "cart_std",
            "MARKETING",
            "Hi {{1}}, come back: {{2}} (see you soon)",
            json!(["Ana", "https://x"]),
        ),
        (
            "bis_alert",
            "MARKETING",
            "Good news {{1}}: {{2}} is back at {{3}} (while stock lasts)",
            json!(["Ana", "Tee", "https://x"]),
        ),
    ] {
        let (s, v) = app
            .send(Method::POST, "/api/v1/templates", &key, Some(json!({
                "name": name, "language": "en", "category": category, "body": body, "body_examples": examples})))
            .await;
        assert_eq!(s, 201, "{v}");
        emu.approve_template(name, "en").await.expect("approve");
    }
    app.eventually("templates approved", || async {
        let (_, v) = app.get("/api/v1/templates", &key).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        (items.len() == 4 && items.iter().all(|t| t["status"] == "APPROVED")).then_some(())
    })
    .await;
    (emu, app, key)
}

/// A customer with a WhatsApp number (and marketing consent when `subscribed`).
pub async fn customer(app: &TestApp, id: u64, first: &str, subscribed: bool) {
    customer_at(app, id, first, PHONE, subscribed).await;
}

/// A customer with this WhatsApp number.
pub async fn customer_at(app: &TestApp, id: u64, first: &str, phone: &str, subscribed: bool) {
    let mut c = Customer::new(id);
    c.first_name = first.into();
    c.phone = Some(phone.into());
    app.webhook_ok(
        SHOP,
        "customers/create",
        &format!("c-{id}"),
        &to_bytes(&c.body()),
    )
    .await;
    if subscribed {
        let consent = json!({"customer_id": id, "phone_number": phone, "whats_app_marketing_consent": {
            "state": "subscribed", "opt_in_level": "single_opt_in",
            "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
        app.webhook_ok(
            SHOP,
            "customers_whats_app_marketing_consent/update",
            &format!("consent-{id}"),
            &serde_json::to_vec(&consent).expect("json"),
        )
        .await;
    }
}

/// An ORDER_PLACED flow: a delay of `minutes`, then the utility template.
pub fn order_flow(minutes: u32) -> Value {
    json!({
        "name": "Order confirmation",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
            {"id": "wait", "type": "DELAY", "delay": {"minutes": minutes}},
            {"id": "thanks", "type": "ACTION", "template": {"name": "order_thanks", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "order.order_number"}]}
        ],
        "edges": [{"from": "t", "to": "wait"}, {"from": "wait", "to": "thanks"}],
        "settings": {"frequency_cap": "HOURS_24"}
    })
}

/// Creates and activates a flow; its id.
pub async fn active_flow(app: &TestApp, key: &str, flow: Value) -> u64 {
    let (s, v) = app
        .send(Method::POST, "/api/v1/flows", key, Some(flow))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["problems"], json!([]), "{v}");
    let id = v["id"].as_u64().expect("id");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/flows/{id}/activate"),
            key,
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ACTIVE")), "{v}");
    id
}

/// Waits until the recorded events satisfy `ready`, then until the automation engine has
/// consumed every one of them (`GET /api/v1/automations/status`): whatever a flow does
/// with them has been decided, so an absence asserted afterwards is proven, not hoped.
pub async fn handled(app: &TestApp, key: &str, ready: impl Fn(&[Value]) -> bool) {
    app.eventually("the events", || async {
        ready(&app.events(key).await).then_some(())
    })
    .await;
    app.eventually("the automation engine to consume them", || async {
        let (_, v) = app.get("/api/v1/automations/status", key).await;
        (v["pending_events"] == 0).then_some(())
    })
    .await;
}

/// How many recorded events are of type `t`.
pub fn count_of(events: &[Value], t: &str) -> usize {
    events.iter().filter(|e| e["type"] == t).count()
}

/// A flow's counts.
pub async fn counts(app: &TestApp, key: &str, flow: u64) -> Value {
    let (s, v) = app.get(&format!("/api/v1/flows/{flow}"), key).await;
    assert_eq!(s, 200, "{v}");
    v["counts"].clone()
}

/// The template messages the emulator received, as (name, body texts).
pub fn templates_sent(emu: &MetaEmulator) -> Vec<(String, Vec<String>)> {
    emu.sent()
        .iter()
        .filter(|m| m.body["type"] == "template")
        .map(|m| {
            let t = &m.body["template"];
            let texts = t["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["type"] == "body")
                .flat_map(|c| c["parameters"].as_array().cloned().unwrap_or_default())
                .filter_map(|p| p["text"].as_str().map(str::to_string))
                .collect();
            (t["name"].as_str().unwrap_or_default().to_string(), texts)
        })
        .collect()
}

#[tokio::test]
async fn an_order_placed_flow_waits_its_delay_then_sends_the_template_with_its_variables() {
    // 60 minutes of flow time pass in one second.
    let (emu, app, key) = setup(3_600).await;
    customer(&app, 7001, "Mo", false).await;
    let flow = active_flow(&app, &key, order_flow(60)).await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-1",
        &order_body(8001, 7001, "2026-01-02T00:00:00Z"),
    )
    .await;
    // Waiting first: counted, nothing sent yet.
    let run = app
        .eventually("a run", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{flow}/runs"), &key).await;
            v["items"].as_array().and_then(|a| a.first().cloned())
        })
        .await;
    assert_eq!(run["contact_id"], "7001", "{run}");
    let sent = app
        .eventually("the template at Meta", || async {
            let t = templates_sent(&emu);
            (!t.is_empty()).then_some(t)
        })
        .await;
    assert_eq!(
        sent,
        vec![(
            "order_thanks".to_string(),
            vec!["Mo".to_string(), "#1001".to_string()]
        )]
    );
    let done = app
        .eventually("the run completed", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
            (v["counts"]["completed"] == 1).then_some(v)
        })
        .await;
    assert_eq!(done["counts"]["enrolled"], 1, "{done}");
    assert_eq!(done["counts"]["waiting"], 0, "{done}");
    let (_, runs) = app.get("/api/v1/contacts/7001/runs", &key).await;
    let activity = runs["items"][0]["activity"].to_string();
    assert!(
        activity.contains("SCHEDULED") && activity.contains("message"),
        "{activity}"
    );
    // A second order within the 24 h cap: no second run.
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-2",
        &order_body(8002, 7001, "2026-01-02T01:00:00Z"),
    )
    .await;
    handled(&app, &key, |e| count_of(e, "OrderPlaced") == 2).await;
    let c = counts(&app, &key, flow).await;
    assert_eq!(c["enrolled"], 1, "the frequency cap holds: {c}");
}

#[tokio::test]
async fn activation_refuses_each_broken_flow_naming_the_node() {
    let (_emu, app, key) = setup(1).await;
    let mut broken = order_flow(5);
    broken["nodes"][2]["template"]["name"] = json!("no_such_template");
    broken["nodes"][2]["body"] = json!([{"source": "checkout.url"}]);
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/flows/validate",
            &key,
            Some(broken.clone()),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["problems"][0]["node"], "thanks", "{v}");
    assert_eq!(v["problems"][0]["code"], "unknown_template", "{v}");
    let (s, created) = app
        .send(Method::POST, "/api/v1/flows", &key, Some(broken))
        .await;
    assert_eq!(s, 201, "a draft with problems can be saved: {created}");
    let id = created["id"].as_u64().expect("id");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/flows/{id}/activate"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (422, Some("invalid_flow")), "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or_default()
            .contains("node `thanks`"),
        "{v}"
    );
    // Missing variable and a variable the trigger cannot fill.
    let mut wrong = order_flow(5);
    wrong["nodes"][2]["body"] = json!([{"source": "checkout.url"}]);
    let (_, v) = app
        .send(Method::POST, "/api/v1/flows/validate", &key, Some(wrong))
        .await;
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"missing_variable") && codes.contains(&"variable_not_available"),
        "{v}"
    );
    // Bad JSON shape: a 400 naming the field.
    let (s, v) = app
        .send(
            Method::POST,
            "/api/v1/flows",
            &key,
            Some(json!({"name": "x", "nodes": [{"id": "t", "type": "TELEPORT"}]})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
}

/// The abandoned-checkout recipe: 30 minutes, then VIP (over 100) or standard.
pub fn cart_flow() -> Value {
    json!({
        "name": "Abandoned checkout",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ABANDONED_CHECKOUT"}},
            {"id": "wait", "type": "DELAY", "delay": {"minutes": 30}},
            {"id": "vip", "type": "CONDITION", "rule": {"type": "ORDER_VALUE", "op": "GT", "value": "100"}},
            {"id": "a_vip", "type": "ACTION", "template": {"name": "cart_vip", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "checkout.total_price"}, {"source": "checkout.url"}]},
            {"id": "a_std", "type": "ACTION", "template": {"name": "cart_std", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "checkout.url"}]}
        ],
        "edges": [
            {"from": "t", "to": "wait"}, {"from": "wait", "to": "vip"},
            {"from": "vip", "to": "a_vip", "branch": "YES"}, {"from": "vip", "to": "a_std", "branch": "NO"}
        ],
        "settings": {"frequency_cap": "DAYS_7", "exit_on_order": true}
    })
}

pub fn checkout(id: u64, customer_id: u64, cents: u64, updated_at: &str) -> Vec<u8> {
    let mut c = Customer::new(customer_id);
    c.phone = Some(PHONE.into());
    let k = Checkout {
        id,
        token: format!("tok-{id}"),
        cart_token: format!("cart-{id}"),
        key: format!("key-{id}"),
        shop: (SHOP.into(), 1),
        created_at: "2026-01-01T10:00:00Z".into(),
        updated_at: updated_at.into(),
        completed_at: None,
        currency: "EUR".into(),
        buyer: Buyer::of(&c, None),
        lines: vec![LineItem::new(id + 1, cents)],
    };
    to_bytes(&k.body())
}

#[tokio::test]
async fn an_abandoned_checkout_is_reminded_once_and_a_purchase_ends_the_run() {
    // 30 minutes of flow time pass in one second.
    let (emu, app, key) = setup(1_800).await;
    customer(&app, 7101, "Ana", true).await;
    let flow = active_flow(&app, &key, cart_flow()).await;
    // Created, then updated twice (and one update redelivered): one trigger.
    let body = checkout(501, 7101, 15_000, "2026-01-01T10:00:00Z");
    app.webhook_ok(SHOP, "checkouts/create", "k-1", &body).await;
    let update = checkout(501, 7101, 15_000, "2026-01-01T10:05:00Z");
    app.webhook_ok(SHOP, "checkouts/update", "k-2", &update)
        .await;
    app.webhook_ok(SHOP, "checkouts/update", "k-2", &update)
        .await;
    app.webhook_ok(
        SHOP,
        "checkouts/update",
        "k-3",
        &checkout(501, 7101, 15_000, "2026-01-01T10:06:00Z"),
    )
    .await;
    let sent = app
        .eventually("the reminder", || async {
            let t = templates_sent(&emu);
            (!t.is_empty()).then_some(t)
        })
        .await;
    assert_eq!(
        sent[0].0, "cart_vip",
        "a cart over 100 takes the VIP branch: {sent:?}"
    );
    assert_eq!(sent[0].1[0], "Ana");
    assert_eq!(sent[0].1[1], "150.00 EUR");
    assert!(
        sent[0].1[2].contains("/checkouts/ac/tok-501/recover"),
        "{sent:?}"
    );
    let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
    assert_eq!(v["counts"]["enrolled"], 1, "one trigger per checkout: {v}");

    // Another contact's checkout, bought before the delay ends: the run exits, no message.
    let mut c = Customer::new(7102);
    c.first_name = "Bo".into();
    c.phone = Some("+447700900457".into());
    app.webhook_ok(SHOP, "customers/create", "c-7102", &to_bytes(&c.body()))
        .await;
    let consent = json!({"customer_id": 7102, "phone_number": "+447700900457", "whats_app_marketing_consent": {
        "state": "subscribed", "opt_in_level": "single_opt_in", "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
    app.webhook_ok(
        SHOP,
        "customers_whats_app_marketing_consent/update",
        "consent-7102",
        &serde_json::to_vec(&consent).expect("json"),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "checkouts/create",
        "k-4",
        &checkout(502, 7102, 5_000, "2026-01-01T11:00:00Z"),
    )
    .await;
    let mut o = Order::new(9502, 7102);
    o.checkout = Some((502, "tok-502".into()));
    app.webhook_ok(SHOP, "orders/create", "o-9502", &to_bytes(&o.body()))
        .await;
    let v = app
        .eventually("the run exited", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
            (v["counts"]["exited"] == 1).then_some(v)
        })
        .await;
    assert_eq!(v["counts"]["enrolled"], 2, "{v}");
    assert_eq!(
        templates_sent(&emu).len(),
        1,
        "no message after the purchase"
    );
}

#[tokio::test]
async fn a_restock_sends_the_back_in_stock_template_to_each_subscriber() {
    let (emu, app, key) = setup(1).await;
    const PRODUCT: u64 = 788_032_119_674_292_950;
    const VARIANT: u64 = 642_667_041_472_713_950;
    let product = |qty: i64, at: &str| {
        let mut p = Product::new(PRODUCT);
        p.title = "Linen Shirt".into();
        p.updated_at = at.into();
        p.variant_gids_updated_at = at.into();
        let mut v = Variant::new(VARIANT, PRODUCT, qty);
        v.updated_at = at.into();
        p.variants = vec![v];
        to_bytes(&p.body())
    };
    app.webhook_ok(
        SHOP,
        "products/create",
        "p-1",
        &product(0, "2026-05-01T10:00:00Z"),
    )
    .await;
    let flow = active_flow(&app, &key, json!({
        "name": "Back in stock",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "BACK_IN_STOCK"}},
            {"id": "tell", "type": "ACTION", "template": {"name": "bis_alert", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "product.title"}, {"source": "product.url"}]}
        ],
        "edges": [{"from": "t", "to": "tell"}],
        "settings": {"frequency_cap": "HOURS_24"}
    })).await;
    let r = app
        .client
        .post(format!("{}/storefront/v1/back-in-stock", app.base))
        .json(&json!({"shop": SHOP, "variant_id": VARIANT.to_string(), "phone": PHONE}))
        .send()
        .await
        .expect("subscribe");
    assert_eq!(r.status(), 201);
    app.webhook_ok(
        SHOP,
        "products/update",
        "p-2",
        &product(5, "2026-05-02T10:00:00Z"),
    )
    .await;
    let sent = app
        .eventually("the alert", || async {
            let t = templates_sent(&emu);
            (!t.is_empty()).then_some(t)
        })
        .await;
    assert_eq!(sent[0].0, "bis_alert");
    assert_eq!(sent[0].1[1], "Linen Shirt");
    assert!(
        sent[0].1[2].starts_with(&format!("https://{SHOP}/products/")),
        "{sent:?}"
    );
    let v = app
        .eventually("completed", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{flow}"), &key).await;
            (v["counts"]["completed"] == 1).then_some(v)
        })
        .await;
    assert_eq!(v["counts"]["enrolled"], 1, "{v}");
}

/// A one-action flow on `trigger` sending the utility template (no delay).
fn instant(name: &str, trigger: Value) -> Value {
    json!({
        "name": name,
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": trigger},
            {"id": "say", "type": "ACTION", "template": {"name": "order_thanks", "language": "en"},
             "body": [{"text": name}, {"source": "customer.first_name", "fallback": "there"}]}
        ],
        "edges": [{"from": "t", "to": "say"}],
        "settings": {"frequency_cap": "EVER"}
    })
}

/// How many utility messages carried `marker` as their first variable.
fn sent_with(emu: &MetaEmulator, marker: &str) -> usize {
    templates_sent(emu)
        .iter()
        .filter(|(_, v)| v.first().map(String::as_str) == Some(marker))
        .count()
}

#[tokio::test]
async fn each_shopify_trigger_sends_through_its_own_flow() {
    let (emu, app, key) = setup(1).await;
    let mut tagged = 0;
    for (name, trigger) in [
        ("created", json!({"type": "CUSTOMER_CREATED"})),
        (
            "tagged-vip",
            json!({"type": "CUSTOMER_TAGGED", "tag": "VIP"}),
        ),
        ("cancelled", json!({"type": "ORDER_CANCELLED"})),
        ("shipped", json!({"type": "ORDER_SHIPPED"})),
    ] {
        let id = active_flow(&app, &key, instant(name, trigger)).await;
        if name == "tagged-vip" {
            tagged = id;
        }
    }
    customer(&app, 7301, "Lu", false).await;
    let tag = |t: &str, id: &str| {
        let body =
            galantis::sandbox::payloads::tags_added(7301, &[t.to_string()], "2026-01-03T00:00:00Z");
        (id.to_string(), serde_json::to_vec(&body).expect("json"))
    };
    let (id, body) = tag("newsletter", "tag-1");
    app.webhook_ok(SHOP, "customer.tags_added", &id, &body)
        .await;
    let (id, body) = tag("vip", "tag-2");
    app.webhook_ok(SHOP, "customer.tags_added", &id, &body)
        .await;
    let mut o = Order::new(8301, 7301);
    app.webhook_ok(SHOP, "orders/create", "o-8301", &to_bytes(&o.body()))
        .await;
    o.fulfilled_at = Some("2026-01-04T00:00:00Z".into());
    o.updated_at = "2026-01-04T00:00:00Z".into();
    app.webhook_ok(SHOP, "orders/fulfilled", "o-8301-f", &to_bytes(&o.body()))
        .await;
    o.cancelled_at = Some("2026-01-05T00:00:00Z".into());
    o.updated_at = "2026-01-05T00:00:00Z".into();
    app.webhook_ok(SHOP, "orders/cancelled", "o-8301-c", &to_bytes(&o.body()))
        .await;
    for marker in ["created", "tagged-vip", "shipped", "cancelled"] {
        app.eventually(marker, || async {
            (sent_with(&emu, marker) == 1).then_some(())
        })
        .await;
    }
    handled(&app, &key, |e| count_of(e, "OrderCancelled") == 1).await;
    assert_eq!(
        counts(&app, &key, tagged).await["enrolled"],
        1,
        "the tag filter: only the VIP tag triggers"
    );
    assert_eq!(sent_with(&emu, "tagged-vip"), 1);
}

async fn metric(app: &TestApp, name: &str, label: &str) -> f64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

#[tokio::test]
async fn marketing_flows_need_consent_and_conditions_read_the_contact_when_reached() {
    // 60 minutes of flow time pass in one second.
    let (emu, app, key) = setup(3_600).await;
    let flow = json!({
        "name": "Welcome VIPs",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "CUSTOMER_CREATED"}},
            {"id": "wait", "type": "DELAY", "delay": {"minutes": 30}},
            {"id": "is_vip", "type": "CONDITION", "rule": {"all": [{"type": "CUSTOMER_TAG", "tag": "vip"}, {"type": "MARKETING_CONSENT"}]}},
            {"id": "vip", "type": "ACTION", "template": {"name": "cart_std", "language": "en"},
             "body": [{"text": "vip"}, {"source": "customer.first_name"}]},
            {"id": "std", "type": "ACTION", "template": {"name": "cart_std", "language": "en"},
             "body": [{"text": "std"}, {"source": "customer.first_name"}]}
        ],
        "edges": [{"from": "t", "to": "wait"}, {"from": "wait", "to": "is_vip"},
            {"from": "is_vip", "to": "vip", "branch": "YES"}, {"from": "is_vip", "to": "std", "branch": "NO"}],
        "settings": {"frequency_cap": "EVER"}
    });
    let id = active_flow(&app, &key, flow).await;
    // Without marketing consent: not enrolled, and the reason is counted.
    customer(&app, 7401, "Ivy", false).await;
    app.eventually("the refusal", || async {
        (metric(
            &app,
            "galantis_automation_enrolments_refused_total",
            "no_marketing_consent",
        )
        .await
            >= 1.0)
            .then_some(())
    })
    .await;
    // Consent first (the consent topic can arrive before the customer), then the
    // customer: enrolled; tagged VIP during the delay, so the condition says YES.
    let consent = json!({"customer_id": 7402, "phone_number": PHONE, "whats_app_marketing_consent": {
        "state": "subscribed", "opt_in_level": "single_opt_in", "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
    app.webhook_ok(
        SHOP,
        "customers_whats_app_marketing_consent/update",
        "consent-7402",
        &serde_json::to_vec(&consent).expect("json"),
    )
    .await;
    let mut c = Customer::new(7402);
    c.first_name = "Oz".into();
    c.phone = Some(PHONE.into());
    app.webhook_ok(SHOP, "customers/create", "c-7402", &to_bytes(&c.body()))
        .await;
    let body =
        galantis::sandbox::payloads::tags_added(7402, &["vip".to_string()], "2026-01-03T00:00:00Z");
    app.webhook_ok(
        SHOP,
        "customer.tags_added",
        "tag-7402",
        &serde_json::to_vec(&body).expect("json"),
    )
    .await;
    app.eventually("the VIP branch", || async {
        (sent_with(&emu, "vip") == 1).then_some(())
    })
    .await;
    assert_eq!(sent_with(&emu, "std"), 0);
    let (_, v) = app.get(&format!("/api/v1/flows/{id}"), &key).await;
    assert_eq!(
        v["counts"]["enrolled"], 1,
        "only the consenting contact: {v}"
    );
}

#[tokio::test]
async fn a_flow_edited_mid_run_finishes_old_runs_on_their_version() {
    let (emu, app, key) = setup(3_600).await;
    customer(&app, 7501, "Al", false).await;
    let v1 = order_flow(60);
    let id = active_flow(&app, &key, v1.clone()).await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-1",
        &order_body(8501, 7501, "2026-01-02T00:00:00Z"),
    )
    .await;
    app.eventually("waiting", || async {
        let (_, v) = app.get(&format!("/api/v1/flows/{id}"), &key).await;
        (v["counts"]["waiting"] == 1).then_some(())
    })
    .await;
    // Version 2 sends a static first variable instead of the name.
    let mut v2 = v1;
    v2["nodes"][2]["body"][0] = json!({"text": "v2"});
    let (s, v) = app
        .send(Method::PUT, &format!("/api/v1/flows/{id}"), &key, Some(v2))
        .await;
    assert_eq!((s, v["version"].as_u64()), (200, Some(2)), "{v}");
    app.eventually("the old run's message", || async {
        (!templates_sent(&emu).is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        templates_sent(&emu)[0].1[0],
        "Al",
        "the run finished on version 1"
    );
    let (_, runs) = app.get(&format!("/api/v1/flows/{id}/runs"), &key).await;
    assert_eq!(runs["items"][0]["version"], 1, "{runs}");
}

#[tokio::test]
async fn a_keyword_written_on_whatsapp_starts_the_keyword_flow() {
    let (emu, app, key) = setup(1).await;
    let flow = active_flow(
        &app,
        &key,
        instant(
            "sale",
            json!({"type": "INBOUND_KEYWORD", "keywords": ["SALE"]}),
        ),
    )
    .await;
    emu.customer_says(NUMBER, "447700900999", "hello there")
        .await
        .expect("inbound");
    emu.customer_says(NUMBER, "447700900999", "Is the sale on today?")
        .await
        .expect("inbound");
    app.eventually("the keyword reply", || async {
        (sent_with(&emu, "sale") == 1).then_some(())
    })
    .await;
    handled(&app, &key, |e| count_of(e, "MessageReceived") == 2).await;
    assert_eq!(
        counts(&app, &key, flow).await["enrolled"],
        1,
        "only the message with the word"
    );
    assert_eq!(sent_with(&emu, "sale"), 1);
}

/// A small deterministic shuffle (xorshift), so a failing order can be replayed.
fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

#[tokio::test]
async fn any_interleaving_of_duplicate_and_reordered_checkout_webhooks_triggers_once_per_checkout()
{
    let (_emu, app, key) = setup(1).await;
    let mut flow = cart_flow();
    flow["nodes"][1]["delay"]["minutes"] = json!(600);
    let id = active_flow(&app, &key, flow).await;
    for (round, seed) in [0x5eed_u64, 0xc0ffee].into_iter().enumerate() {
        // Eight checkouts of eight contacts, each created then updated twice, every
        // webhook delivered twice (Shopify retries), all in a shuffled order.
        let mut hooks = Vec::new();
        for k in 0..8u64 {
            let contact = 7600 + round as u64 * 10 + k;
            customer(&app, contact, "Cy", true).await;
            let checkout_id = 600 + round as u64 * 10 + k;
            for (n, at) in ["10:00", "10:05", "10:07"].iter().enumerate() {
                let body = checkout(
                    checkout_id,
                    contact,
                    12_000,
                    &format!("2026-01-01T{at}:00Z"),
                );
                let topic = if n == 0 {
                    "checkouts/create"
                } else {
                    "checkouts/update"
                };
                let wid = format!("k-{checkout_id}-{n}");
                hooks.push((topic, wid.clone(), body.clone()));
                hooks.push((topic, wid, body));
            }
        }
        for (topic, wid, body) in shuffled(hooks, seed) {
            app.webhook_ok(SHOP, topic, &wid, &body).await;
        }
    }
    // Every checkout at its last update: every event they will ever cause is recorded.
    app.eventually("every checkout applied", || async {
        let (_, v) = app.get("/api/v1/checkouts?limit=100", &key).await;
        let items = v["items"].as_array().cloned().unwrap_or_default();
        let last = |c: &Value| {
            c["updated_at"]
                .as_str()
                .is_some_and(|t| t.contains("10:07"))
        };
        (items.len() == 16 && items.iter().all(last)).then_some(())
    })
    .await;
    handled(&app, &key, |_| true).await;
    let (_, runs) = app
        .get(&format!("/api/v1/flows/{id}/runs?limit=500"), &key)
        .await;
    let mut per_checkout = std::collections::BTreeMap::<String, usize>::new();
    for r in runs["items"].as_array().into_iter().flatten() {
        *per_checkout
            .entry(r["context"]["checkout_id"].to_string())
            .or_default() += 1;
    }
    assert_eq!(per_checkout.len(), 16, "{per_checkout:?}");
    assert!(
        per_checkout.values().all(|n| *n == 1),
        "one trigger per checkout: {per_checkout:?}"
    );
}

#[tokio::test]
async fn include_existing_users_enrols_from_the_recent_events_at_activation() {
    let (emu, app, key) = setup(1).await;
    customer(&app, 7701, "Em", false).await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-7701",
        &order_body(8701, 7701, "2026-01-02T00:00:00Z"),
    )
    .await;
    let mut flow = instant("existing", json!({"type": "ORDER_PLACED"}));
    flow["nodes"][0]["include_existing_users"] = json!(true);
    flow["nodes"][0]["lookback_days"] = json!(3);
    handled(&app, &key, |e| count_of(e, "OrderPlaced") == 1).await;
    active_flow(&app, &key, flow).await;
    app.eventually("the existing buyer's message", || async {
        (sent_with(&emu, "existing") == 1).then_some(())
    })
    .await;
    // Without the option, an older order enrols nobody: only the order after activation.
    let new_only = active_flow(
        &app,
        &key,
        instant("new-only", json!({"type": "ORDER_PLACED"})),
    )
    .await;
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-7702",
        &order_body(8702, 7701, "2026-01-03T00:00:00Z"),
    )
    .await;
    app.eventually("the new order's message", || async {
        (sent_with(&emu, "new-only") == 1).then_some(())
    })
    .await;
    assert_eq!(counts(&app, &key, new_only).await["enrolled"], 1);
}

#[tokio::test]
async fn quiet_hours_hold_a_marketing_message_instead_of_dropping_it() {
    let (emu, app, key) = setup(1).await;
    // A window around now, in the shop's zone (the customer has no address country).
    let now = time::OffsetDateTime::now_utc();
    let m = i32::from(now.hour()) * 60 + i32::from(now.minute());
    let hhmm = |m: i32| {
        format!(
            "{:02}:{:02}",
            m.rem_euclid(1440) / 60,
            m.rem_euclid(1440) % 60
        )
    };
    let body =
        json!({"quiet_hours": {"start": hhmm(m - 60), "end": hhmm(m + 120)}, "time_zone": "UTC"});
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/automations/settings",
            &key,
            Some(body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/automations/settings",
            &key,
            Some(json!({"time_zone": "Mars/Olympus"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_field")), "{v}");
    let mut flow = instant("quiet", json!({"type": "CUSTOMER_CREATED"}));
    flow["nodes"][1]["template"]["name"] = json!("cart_std");
    let id = active_flow(&app, &key, flow).await;
    let consent = json!({"customer_id": 7801, "phone_number": PHONE, "whats_app_marketing_consent": {
        "state": "subscribed", "opt_in_level": "single_opt_in", "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
    app.webhook_ok(
        SHOP,
        "customers_whats_app_marketing_consent/update",
        "consent-7801",
        &serde_json::to_vec(&consent).expect("json"),
    )
    .await;
    customer(&app, 7801, "Qi", false).await;
    let run = app
        .eventually("the held run", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{id}/runs"), &key).await;
            let r = v["items"][0].clone();
            (r["status"] == "WAITING").then_some(r)
        })
        .await;
    assert!(
        run["activity"]
            .to_string()
            .contains("quiet hours: held until"),
        "{run}"
    );
    assert_eq!(sent_with(&emu, "quiet"), 0, "held, not sent");
    let (_, v) = app.get(&format!("/api/v1/flows/{id}"), &key).await;
    assert_eq!(
        (
            v["counts"]["waiting"].as_u64(),
            v["counts"]["failed"].as_u64()
        ),
        (Some(1), Some(0)),
        "held, not dropped: {v}"
    );
}

#[tokio::test]
async fn quiet_hours_use_the_zone_of_the_customers_province() {
    let (emu, app, key) = setup(1).await;
    // Quiet around now in Los Angeles; New York is three hours ahead, outside the window.
    let la = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("America/Los_Angeles").expect("zone"));
    let m = i32::from(la.hour()) * 60 + i32::from(la.minute());
    let hhmm = |m: i32| {
        format!(
            "{:02}:{:02}",
            m.rem_euclid(1440) / 60,
            m.rem_euclid(1440) % 60
        )
    };
    let body =
        json!({"quiet_hours": {"start": hhmm(m - 60), "end": hhmm(m + 120)}, "time_zone": "UTC"});
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/automations/settings",
            &key,
            Some(body),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let mut flow = instant("zone", json!({"type": "CUSTOMER_TAGGED", "tag": "vip"}));
    flow["nodes"][1]["template"]["name"] = json!("cart_std");
    let id = active_flow(&app, &key, flow).await;
    for (cid, phone, province) in [
        (7811u64, "+14155550111", "CA"),
        (7812, "+12125550112", "NY"),
    ] {
        let customer = |tags: &str, at: &str| {
            let body = json!({"id": cid, "first_name": "Zed", "phone": phone, "updated_at": at,
                "created_at": "2026-01-02T00:00:00Z", "state": "enabled", "tags": tags,
                "default_address": {"country_code": "US", "province_code": province}});
            serde_json::to_vec(&body).expect("json")
        };
        app.webhook_ok(
            SHOP,
            "customers/create",
            &format!("c-{cid}"),
            &customer("", "2026-01-02T00:00:00Z"),
        )
        .await;
        let consent = json!({"customer_id": cid, "phone_number": phone, "whats_app_marketing_consent": {
            "state": "subscribed", "opt_in_level": "single_opt_in", "updated_at": "2026-01-01T00:00:00Z", "collected_from": "SHOPIFY"}});
        app.webhook_ok(
            SHOP,
            "customers_whats_app_marketing_consent/update",
            &format!("consent-{cid}"),
            &serde_json::to_vec(&consent).expect("json"),
        )
        .await;
        app.webhook_ok(
            SHOP,
            "customers/update",
            &format!("u-{cid}"),
            &customer("vip", "2026-01-03T00:00:00Z"),
        )
        .await;
    }
    app.eventually("the New York message sent", || async {
        (sent_with(&emu, "zone") == 1).then_some(())
    })
    .await;
    let (_, v) = app.get(&format!("/api/v1/flows/{id}/runs"), &key).await;
    let held: Vec<&serde_json::Value> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["status"] == "WAITING")
        .collect();
    assert_eq!(held.len(), 1, "{v}");
    assert_eq!(
        held[0]["contact_id"], "7811",
        "the California customer is held: {v}"
    );
    assert!(
        held[0]["activity"]
            .to_string()
            .contains("quiet hours: held until"),
        "{v}"
    );
}

#[tokio::test]
async fn the_global_marketing_cap_skips_a_third_marketing_message_with_its_reason() {
    // The default cap: 2 marketing messages per contact per 24 hours, across flows.
    let (emu, app, key) = setup(1).await;
    let mut ids = Vec::new();
    for name in ["m1", "m2", "m3"] {
        let mut flow = instant(name, json!({"type": "CUSTOMER_TAGGED", "tag": name}));
        flow["nodes"][1]["template"]["name"] = json!("cart_std");
        ids.push(active_flow(&app, &key, flow).await);
    }
    customer(&app, 7901, "Gi", true).await;
    for (done, name) in ["m1", "m2", "m3"].into_iter().enumerate() {
        let body = galantis::sandbox::payloads::tags_added(
            7901,
            &[name.to_string()],
            "2026-01-03T00:00:00Z",
        );
        app.webhook_ok(
            SHOP,
            "customer.tags_added",
            &format!("tag-{name}"),
            &serde_json::to_vec(&body).expect("json"),
        )
        .await;
        app.eventually("the run done", || async {
            let (_, runs) = app.get("/api/v1/contacts/7901/runs", &key).await;
            let n = runs["items"].as_array().map_or(0, |a| {
                a.iter().filter(|r| r["status"] == "COMPLETED").count()
            });
            (n == done + 1).then_some(())
        })
        .await;
    }
    assert_eq!(sent_with(&emu, "m1") + sent_with(&emu, "m2"), 2);
    assert_eq!(sent_with(&emu, "m3"), 0, "the third is over the cap");
    let (_, runs) = app
        .get(&format!("/api/v1/flows/{}/runs", ids[2]), &key)
        .await;
    assert!(
        runs["items"][0]["activity"]
            .to_string()
            .contains("global_marketing_cap"),
        "{runs}"
    );
}

#[tokio::test]
async fn stop_during_a_delay_ends_a_marketing_run_without_a_message() {
    let (emu, app, key) = setup(3_600).await;
    let mut flow = order_flow(60);
    flow["nodes"][0]["trigger"] = json!({"type": "CUSTOMER_TAGGED", "tag": "promo"});
    flow["nodes"][2]["template"]["name"] = json!("cart_std");
    flow["nodes"][2]["body"][1] = json!({"text": "https://shop/promo"});
    let id = active_flow(&app, &key, flow).await;
    customer(&app, 7951, "Sy", true).await;
    let body = galantis::sandbox::payloads::tags_added(
        7951,
        &["promo".to_string()],
        "2026-01-03T00:00:00Z",
    );
    app.webhook_ok(
        SHOP,
        "customer.tags_added",
        "tag-7951",
        &serde_json::to_vec(&body).expect("json"),
    )
    .await;
    app.eventually("waiting", || async {
        let (_, v) = app.get(&format!("/api/v1/flows/{id}"), &key).await;
        (v["counts"]["waiting"] == 1).then_some(())
    })
    .await;
    emu.customer_says(NUMBER, PHONE.trim_start_matches('+'), "STOP")
        .await
        .expect("inbound");
    let v = app
        .eventually("the run ended", || async {
            let (_, v) = app.get(&format!("/api/v1/flows/{id}"), &key).await;
            (v["counts"]["exited"] == 1).then_some(v)
        })
        .await;
    assert_eq!(v["counts"]["completed"], 0, "{v}");
    assert!(templates_sent(&emu)
        .iter()
        .all(|(name, _)| name != "cart_std"));
}
