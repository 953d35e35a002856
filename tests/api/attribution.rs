//! Campaign results end to end: a campaign with a tracked link, a click through
//! `GET /r/{code}` (302 with our UTM parameters), replies and a STOP within 24 hours,
//! and orders credited by the rules: a click beats a read, a UTM or a discount code beats
//! timing, an order placed before the message earns nothing, an order is credited once,
//! and a cancelled order takes its revenue back. (Every window's edges are unit-tested in
//! `logic::attribution`.)

use crate::automations::{setup_with, SHOP};
use crate::campaigns::{contact, create, launch, list, wait_status};
use crate::whatsapp_send::NUMBER;
use galantis::domain::Timestamp;
use galantis::sandbox::payloads::{to_bytes, Order};
use serde_json::{json, Value};

fn phone(i: u64) -> String {
    format!("+447700903{i:03}")
}

fn order(id: u64, customer: u64, created_at: &str, extra: Value) -> Vec<u8> {
    let mut o = Order::new(id, customer);
    o.created_at = created_at.into();
    o.updated_at = created_at.into();
    let mut body = o.body();
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    to_bytes(&body)
}

#[tokio::test]
async fn clicks_replies_and_orders_are_credited_by_the_rules() {
    let (emu, app, key) = setup_with(1, |s| {
        s.campaigns.link_base_url = Some("https://links.example".into());
    })
    .await;
    let ids: Vec<u64> = (0..5).map(|i| 7000 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        contact(&app, *id, Some(phone(i as u64)), true, "GB").await;
    }
    let everyone = list(&app, &key, "Five", &ids).await;
    let mut def = crate::campaigns::definition("Sale", json!({"include_lists": [everyone]}));
    def["discount_code"] = json!("WINTER10");
    let id = create(&app, &key, def).await;
    launch(&app, &key, &id).await;
    wait_status(&app, &key, &id, "SENT").await;
    app.eventually("read by all", || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
        (v["progress"]["read"] == 5).then_some(())
    })
    .await;

    // The link in contact 0's message is ours; following it counts a click (once).
    let body0 = emu
        .sent()
        .into_iter()
        .find(|m| m.body["to"] == phone(0).trim_start_matches('+') || m.body["to"] == phone(0))
        .expect("contact 0's message")
        .body;
    let text = body0.to_string();
    let at = text
        .find("https://links.example/r/")
        .expect("a tracked link");
    let code: String = text[at + "https://links.example/r/".len()..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for _ in 0..2 {
        let r = no_redirects
            .get(format!("{}/r/{code}", app.base))
            .send()
            .await
            .expect("click");
        assert_eq!(r.status(), 302);
        let to = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(to.starts_with("https://shop.example/sale?"), "{to}");
        assert!(to.contains(&format!("utm_campaign=c{id}v0")), "{to}");
    }
    let r = no_redirects
        .get(format!("{}/r/nosuchcode", app.base))
        .send()
        .await
        .expect("click");
    assert_eq!(r.status(), 404);

    // Contact 1 answers, contact 2 says STOP.
    emu.customer_says(NUMBER, phone(1).trim_start_matches('+'), "nice, thanks")
        .await
        .expect("reply");
    emu.customer_says(NUMBER, phone(2).trim_start_matches('+'), "STOP")
        .await
        .expect("stop");
    app.eventually("clicked, replied, opted out", || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
        let r = &v["results"];
        (r["clicked"] == 1 && r["replied"] == 2 && r["opted_out"] == 1).then_some(())
    })
    .await;

    let now = Timestamp::now().to_rfc3339();
    // 0 clicked: CLICK. 1 read: READ (and its webhook twice: credited once). 2: a UTM of
    // this campaign. 3: the campaign's discount code. 4: placed before the message.
    let orders = [
        (1, 7000, now.clone(), json!({})),
        (2, 7001, now.clone(), json!({})),
        (
            3,
            7002,
            now.clone(),
            json!({"landing_site": format!("/products/x?utm_source=whatsapp&utm_campaign=c{id}v0")}),
        ),
        (
            4,
            7003,
            now.clone(),
            json!({"discount_codes": [{"code": "winter10", "amount": "1.00", "type": "fixed_amount"}]}),
        ),
        (5, 7004, "2026-01-01T00:00:00Z".to_string(), json!({})),
    ];
    for (oid, customer, at, extra) in &orders {
        app.webhook_ok(
            SHOP,
            "orders/create",
            &format!("o-{oid}"),
            &order(*oid, *customer, at, extra.clone()),
        )
        .await;
    }
    app.webhook_ok(
        SHOP,
        "orders/updated",
        "o-2-again",
        &order(2, 7001, &now, json!({})),
    )
    .await;
    let r = app
        .eventually("four orders credited", || async {
            let (_, v) = app
                .get(&format!("/api/v1/campaigns/{id}/analytics"), &key)
                .await;
            (v["totals"]["orders"] == 4).then_some(v)
        })
        .await;
    let t = &r["totals"];
    assert_eq!(
        t["orders_by_rule"],
        json!({"CLICK": 1, "READ": 1, "UTM": 1, "DISCOUNT_CODE": 1}),
        "{r}"
    );
    let each = Order::new(1, 7000).body()["total_price"]
        .as_str()
        .expect("total")
        .to_string();
    let each: f64 = each.parse().expect("decimal");
    let total: f64 = t["revenue"]
        .as_str()
        .expect("revenue")
        .parse()
        .expect("decimal");
    assert!((total - 4.0 * each).abs() < 1e-9, "{total} = 4 × {each}");
    let today = r["series"]
        .as_array()
        .and_then(|s| s.last().cloned())
        .expect("today");
    assert_eq!(today["orders"], 4, "{r}");

    // Cancelling order 1 takes its revenue back, once.
    let mut cancelled = Order::new(1, 7000);
    cancelled.created_at = now.clone();
    cancelled.updated_at = Timestamp::now().to_rfc3339();
    cancelled.cancelled_at = Some(Timestamp::now().to_rfc3339());
    for w in ["c-1", "c-1-again"] {
        app.webhook_ok(SHOP, "orders/cancelled", w, &to_bytes(&cancelled.body()))
            .await;
    }
    let r = app
        .eventually("the cancelled order leaves", || async {
            let (_, v) = app
                .get(&format!("/api/v1/campaigns/{id}/analytics"), &key)
                .await;
            (v["totals"]["orders"] == 3).then_some(v)
        })
        .await;
    assert_eq!(r["totals"]["cancelled_orders"], 1, "{r}");
    let total: f64 = r["totals"]["revenue"]
        .as_str()
        .expect("revenue")
        .parse()
        .expect("decimal");
    assert!((total - 3.0 * each).abs() < 1e-9, "{total}");
}
