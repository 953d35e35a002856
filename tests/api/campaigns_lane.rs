//! The campaign lane: while a campaign sends at the number's full rate, an inbox reply and
//! an automation step on the same number go out next, ahead of the campaign messages
//! waiting in the outbox (at most the few already taken from the limiter go first).

use crate::automations::{active_flow, customer_at, setup_with, SHOP};
use crate::campaigns::{contact, create, launch, list, wait_status};
use crate::helpers::order_body;
use crate::whatsapp_send::{CUSTOMER, NUMBER};
use galantis::sandbox::meta::MetaEmulator;
use reqwest::Method;
use serde_json::json;

const RECIPIENTS: u64 = 80;

/// Campaign messages that reached Meta before the first message matching `is_it`, counted
/// from position `from` of the emulator's log.
fn campaign_sends_before(
    emu: &MetaEmulator,
    from: usize,
    is_it: impl Fn(&serde_json::Value) -> bool,
) -> Option<usize> {
    let sent = emu.sent();
    let at = sent.iter().skip(from).position(|m| is_it(&m.body))?;
    Some(
        sent.iter()
            .skip(from)
            .take(at)
            .filter(|m| m.body["template"]["name"] == "cart_std")
            .count(),
    )
}

fn campaign_sent(emu: &MetaEmulator) -> usize {
    emu.sent()
        .iter()
        .filter(|m| m.body["template"]["name"] == "cart_std")
        .count()
}

#[tokio::test]
async fn a_full_rate_campaign_does_not_hold_back_inbox_replies_or_automation_steps() {
    let (emu, app, key) = setup_with(1, |s| {
        s.meta.messages_per_second = 20;
        s.campaigns.tick_ms = 50;
    })
    .await;
    let ids: Vec<u64> = (0..RECIPIENTS).map(|i| 4000 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        contact(&app, *id, Some(format!("+447700902{i:03}")), true, "GB").await;
    }
    let everyone = list(&app, &key, "Everyone", &ids).await;
    customer_at(&app, 9001, "Kim", &format!("+{CUSTOMER}"), true).await;
    let flow = json!({
        "name": "Thanks",
        "nodes": [
            {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
            {"id": "thanks", "type": "ACTION", "template": {"name": "order_thanks", "language": "en"},
             "body": [{"source": "customer.first_name", "fallback": "there"}, {"source": "order.order_number"}]}
        ],
        "edges": [{"from": "t", "to": "thanks"}],
        "settings": {"frequency_cap": "HOURS_24"}
    });
    let flow_id = active_flow(&app, &key, flow).await;
    emu.customer_says(NUMBER, CUSTOMER, "is my order on its way?")
        .await
        .expect("inbound");
    let thread = app
        .eventually("the thread", || async {
            let (_, v) = app.get("/api/v1/threads", &key).await;
            v["items"][0]["id"].as_u64()
        })
        .await;

    let id = create(
        &app,
        &key,
        crate::campaigns::definition("Full rate", json!({"include_lists": [everyone]})),
    )
    .await;
    launch(&app, &key, &id).await;
    app.eventually("the campaign at full rate", || async {
        (campaign_sent(&emu) >= 10).then_some(())
    })
    .await;

    // An agent's reply while the lane is full.
    let from = emu.sent().len();
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/threads/{thread}/reply"),
            &key,
            Some(json!({"message": {"type": "text", "text": "Yes, it ships today"}})),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let before_reply = app
        .eventually("the reply at Meta", || async {
            campaign_sends_before(&emu, from, |b| b["text"]["body"] == "Yes, it ships today")
        })
        .await;

    // An automation step while the lane is full.
    let from = emu.sent().len();
    app.webhook_ok(
        SHOP,
        "orders/create",
        "o-77",
        &order_body(77, 9001, "2026-03-01T10:00:00Z"),
    )
    .await;
    let before_step = app
        .eventually("the automation step at Meta", || async {
            campaign_sends_before(&emu, from, |b| b["template"]["name"] == "order_thanks")
        })
        .await;
    let in_lane = campaign_sent(&emu);
    assert!(
        in_lane < RECIPIENTS as usize - 10,
        "the campaign was still sending: {in_lane}"
    );
    // The number's limiter allows a burst of 2 (already granted to campaign messages) and
    // one more may leave while the request is being queued; without the lane, the ~40
    // messages waiting in the outbox (2 s at 20/s) would go first.
    assert!(
        before_reply <= 3,
        "{before_reply} campaign messages went before the reply"
    );
    assert!(
        before_step <= 3,
        "{before_step} campaign messages went before the flow step"
    );
    wait_status(&app, &key, &id, "SENT").await;
    // The flow's step shows in the flow's analytics, under its node.
    let a = app
        .eventually("the flow's analytics", || async {
            let (_, v) = app
                .get(&format!("/api/v1/flows/{flow_id}/analytics"), &key)
                .await;
            (v["totals"]["sent"] == 1).then_some(v)
        })
        .await;
    assert_eq!(a["nodes"][0]["node"], "thanks", "{a}");
    assert_eq!(a["nodes"][0]["totals"]["sent"], 1, "{a}");
    assert!(a["series"].as_array().is_some_and(|s| s.len() == 30), "{a}");
}
