//! Pause, resume and cancel: a paused campaign stops handing recipients on (what is
//! already in the outbox's lane still goes), resumes where it stopped and finishes with
//! every recipient once; a cancelled one sends nothing more and says so; a scheduled one
//! waits for its time; controls that do not fit the status are 409.

use crate::automations::setup_with;
use crate::campaigns::{
    campaign_to, contact, create, launch, list, template_recipients, wait_status,
};
use galantis::domain::Timestamp;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const N: u64 = 60;

/// Waits until every message the campaign queued has left the outbox.
async fn drained(app: &crate::helpers::TestApp, key: &str, id: &str) {
    app.eventually("the lane drained", || async {
        let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), key).await;
        (v["progress"]["queued"] == 0).then_some(())
    })
    .await;
}

#[tokio::test]
async fn pause_resume_and_cancel_do_what_they_say() {
    let (emu, app, key) = setup_with(1, |s| {
        s.meta.messages_per_second = 10;
        s.campaigns.lane_seconds = 1;
        s.campaigns.tick_ms = 50;
    })
    .await;
    let ids: Vec<u64> = (0..N).map(|i| 9100 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        contact(&app, *id, Some(format!("+447700905{i:03}")), true, "GB").await;
    }
    let all = list(&app, &key, "All", &ids).await;
    let id = create(
        &app,
        &key,
        crate::campaigns::definition("Slow", json!({"include_lists": [all]})),
    )
    .await;
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/pause"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 409, "not launched yet: {v}");
    launch(&app, &key, &id).await;
    app.eventually("some sent", || async {
        (template_recipients(&emu, "cart_std").len() >= 5).then_some(())
    })
    .await;
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/pause"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("PAUSED")), "{v}");
    // The lane drains (at most a second of the rate), then nothing more goes.
    drained(&app, &key, &id).await;
    let paused_at = template_recipients(&emu, "cart_std").len();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(
        template_recipients(&emu, "cart_std").len(),
        paused_at,
        "nothing sent while paused"
    );
    assert!(paused_at < N as usize, "paused before the end: {paused_at}");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/pause"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 409, "already paused: {v}");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/resume"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("SENDING")), "{v}");
    let done = wait_status(&app, &key, &id, "SENT").await;
    assert_eq!(done["progress"]["sent"], N, "{done}");
    let got = template_recipients(&emu, "cart_std");
    assert_eq!(got.len(), N as usize);
    assert!(got.values().all(|n| *n == 1), "each once: {got:?}");
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/cancel"),
            &key,
            None,
        )
        .await;
    assert_eq!(s, 409, "over: {v}");

    // Cancelled mid-way: nothing more after the lane, CANCELLED with its counts.
    let again = create(
        &app,
        &key,
        crate::campaigns::definition("Cancelled", json!({"include_lists": [all]})),
    )
    .await;
    let mut def = crate::campaigns::definition("Later", json!({"include_lists": [all]}));
    def["send_at"] = json!(Timestamp(Timestamp::now().millis() + 3_600_000).to_rfc3339());
    let later = create(&app, &key, def).await;
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{later}/launch"),
            &key,
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("PENDING")),
        "scheduled: {v}"
    );
    assert!(v["scheduled_for"].is_string(), "{v}");
    let before = emu.sent().len();
    launch(&app, &key, &again).await;
    app.eventually("some of the second sent", || async {
        (emu.sent().len() >= before + 5).then_some(())
    })
    .await;
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{again}/cancel"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")), "{v}");
    drained(&app, &key, &again).await;
    let after_cancel = emu.sent().len();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(emu.sent().len(), after_cancel, "nothing after the cancel");
    assert!(
        after_cancel - before < N as usize,
        "cancelled before the end"
    );
    let (_, v) = app.get(&format!("/api/v1/campaigns/{again}"), &key).await;
    assert_eq!(v["note"], "cancelled by the merchant", "{v}");
    // The scheduled one is still waiting for its time.
    let (_, v) = app.get(&format!("/api/v1/campaigns/{later}"), &key).await;
    assert_eq!(v["status"], "PENDING", "{v}");
    assert_eq!(v["progress"]["handed"], 0, "{v}");
}

#[tokio::test]
async fn an_uninstall_pauses_a_sending_campaign_and_says_why() {
    let (emu, app, key) = setup_with(1, |s| {
        s.meta.messages_per_second = 5;
        s.campaigns.lane_seconds = 1;
    })
    .await;
    let ids: Vec<u64> = (0..30).map(|i| 9300 + i).collect();
    let id = campaign_to(&app, &key, "Cut", &ids, "+447700906").await;
    launch(&app, &key, &id).await;
    app.eventually("some sent", || async {
        (template_recipients(&emu, "cart_std").len() >= 2).then_some(())
    })
    .await;
    let body = crate::helpers::shopify_fixture("app__uninstalled.json");
    app.webhook_ok(crate::automations::SHOP, "app/uninstalled", "u-camp", &body)
        .await;
    let v = app
        .eventually("paused by the uninstall", || async {
            // The tenant's own key may be refused once uninstalled: ask as the operator.
            let r = app
                .client
                .get(format!("{}/api/v1/campaigns/{id}", app.base))
                .bearer_auth(crate::helpers::OPERATOR)
                .header("X-Galantis-Shop", crate::automations::SHOP)
                .send()
                .await
                .ok()?;
            let v: serde_json::Value = r.json().await.ok()?;
            (v["status"] == "PAUSED").then_some(v)
        })
        .await;
    assert_eq!(v["note"], "paused: the app was uninstalled", "{v}");
    let _ = key;
}
