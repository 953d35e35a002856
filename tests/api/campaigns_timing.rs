//! Campaign timing end to end: quiet hours hold every recipient inside them (nothing is
//! sent, the campaign keeps them in its durable hold queue), and "at this local time in
//! each recipient's zone" sends at once to the zones where that time has passed and waits
//! for the others.

use crate::automations::setup_with;
use crate::campaigns::{contact, create, launch, list, template_recipients};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn hhmm(m: i32) -> String {
    format!(
        "{:02}:{:02}",
        m.rem_euclid(1440) / 60,
        m.rem_euclid(1440) % 60
    )
}

#[tokio::test]
async fn quiet_hours_hold_recipients_instead_of_sending_or_dropping_them() {
    let (emu, app, key) = setup_with(1, |_| {}).await;
    let ids: Vec<u64> = (0..4).map(|i| 9500 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        contact(&app, *id, Some(format!("+447700907{i:03}")), true, "GB").await;
    }
    let now = time::OffsetDateTime::now_utc();
    let m = i32::from(now.hour()) * 60 + i32::from(now.minute());
    let policy =
        json!({"quiet_hours": {"start": hhmm(m - 60), "end": hhmm(m + 120)}, "time_zone": "UTC"});
    let (s, v) = app
        .send(
            Method::PUT,
            "/api/v1/automations/settings",
            &key,
            Some(policy),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let all = list(&app, &key, "Four", &ids).await;
    let id = create(
        &app,
        &key,
        crate::campaigns::definition("Night", json!({"include_lists": [all]})),
    )
    .await;
    launch(&app, &key, &id).await;
    let v = app
        .eventually("all four held", || async {
            let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
            (v["progress"]["held"] == 4).then_some(v)
        })
        .await;
    assert_eq!(v["status"], "SENDING", "held, not finished: {v}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        template_recipients(&emu, "cart_std").is_empty(),
        "nothing sent in quiet hours"
    );
    let (s, v) = app
        .send(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/cancel"),
            &key,
            None,
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("CANCELLED")), "{v}");
    assert_eq!(v["progress"]["held"], 0, "the hold queue is dropped: {v}");
}

#[tokio::test]
async fn a_local_time_send_goes_where_the_time_has_come_and_waits_elsewhere() {
    let (emu, app, key) = setup_with(1, |_| {}).await;
    // London is UTC in December, Madrid UTC+1: "London's clock + 30 min" has already
    // passed in Madrid (30 minutes ago) and is half an hour away in London.
    let mut ids = Vec::new();
    for i in 0..6u64 {
        let id = 9600 + i;
        let country = if i < 3 { "ES" } else { "GB" };
        contact(&app, id, Some(format!("+447700908{i:03}")), true, country).await;
        ids.push(id);
    }
    let all = list(&app, &key, "Six", &ids).await;
    let at = time::OffsetDateTime::now_utc() + time::Duration::minutes(30);
    let local = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    );
    let mut def = crate::campaigns::definition("Local", json!({"include_lists": [all]}));
    def["send_at_local"] = json!(local);
    let id = create(&app, &key, def).await;
    let v = launch(&app, &key, &id).await;
    assert_eq!(v["status"], "SENDING", "{v}");
    let sent = app
        .eventually("Madrid's three sent", || async {
            let got = template_recipients(&emu, "cart_std");
            (got.len() == 3).then_some(got)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = template_recipients(&emu, "cart_std");
    assert_eq!(got, sent, "London waits");
    for i in 0..3 {
        assert!(got.contains_key(&format!("+447700908{i:03}")), "{got:?}");
    }
    let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
    assert_eq!(v["progress"]["handed"], 3, "{v}");
    assert_eq!(v["status"], "SENDING", "{v}");
}
