//! Sending: the 24 h window, statuses as signed webhooks that the engine parses, read
//! receipts, body validation, per-number throughput and the pair rate limit, webhook
//! retries and Meta's JSON escaping.

use super::*;
use crate::integrations::meta::error::{classify, Action, MetaError};
use crate::integrations::meta::webhook::InboundContent;
use serde_json::json;

#[tokio::test]
async fn a_reply_inside_the_window_is_accepted_and_its_statuses_arrive_signed_in_order() {
    let (emu, engine, client) = setup().await;
    let inbound = emu
        .customer_says(PNID, CUSTOMER, "Does it come in blue?")
        .await
        .unwrap();
    let events = engine
        .wait_for("the inbound message", |e| !e.is_empty())
        .await;
    let MetaEvent::InboundMessage(m) = &events[0] else {
        panic!("not an inbound message: {events:?}");
    };
    assert_eq!(m.wamid, inbound);
    assert_eq!(
        (m.phone_number_id.as_str(), m.waba_id.as_str()),
        (PNID, WABA)
    );
    assert_eq!(m.from, CUSTOMER_DIGITS);
    assert!(m.profile_name.is_some());
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "Does it come in blue?".into()
        }
    );

    let body = text_to(CUSTOMER, "Yes, in navy and sky blue.");
    let sent = client.send_message(TOKEN, PNID, &body).await.unwrap();
    assert!(sent.wamid.starts_with("wamid."), "{}", sent.wamid);
    assert_ne!(sent.wamid, inbound);
    assert_eq!(sent.wa_id.as_deref(), Some(CUSTOMER_DIGITS));
    let recorded = emu.sent();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].wamid.as_str(), recorded[0].to.as_str()),
        (sent.wamid.as_str(), CUSTOMER_DIGITS)
    );
    assert_eq!(recorded[0].body, body);

    let wamid = sent.wamid.clone();
    let events = engine
        .wait_for("three statuses", |e| {
            e.iter()
                .filter(|e| matches!(e, MetaEvent::Status(s) if s.wamid == wamid))
                .count()
                == 3
        })
        .await;
    assert_eq!(
        engine.statuses(&wamid),
        vec![
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Read
        ]
    );
    let MetaEvent::Status(first) = events
        .iter()
        .find(|e| matches!(e, MetaEvent::Status(_)))
        .unwrap()
    else {
        unreachable!()
    };
    assert_eq!(
        (first.recipient_id.as_str(), first.waba_id.as_str()),
        (CUSTOMER_DIGITS, WABA)
    );
    let pricing = first.pricing.as_ref().expect("pricing on sent");
    assert_eq!(pricing.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(pricing.category.as_deref(), Some("service"));
    assert_eq!(pricing.kind.as_deref(), Some("free_customer_service"));
    assert!(emu.webhook_failures().is_empty());
    assert_eq!(emu.calls().get("send_message"), Some(&1));
}

#[tokio::test]
async fn free_form_without_an_open_window_is_131047() {
    let (emu, _engine, client) = setup().await;
    let err = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "hello?"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131047));
    assert!(matches!(err, MetaError::Api { status: 400, .. }), "{err:?}");
    assert_eq!(classify(&err), Action::NeedsTemplate);

    // A window opened 25 hours ago is closed too.
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    emu.set_last_inbound_at(
        PNID,
        CUSTOMER,
        crate::sandbox::meta::model::now_unix() - 25 * 3600,
    );
    let err = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "hello?"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131047));
    assert!(emu.sent().is_empty());
}

#[tokio::test]
async fn read_receipts_need_an_inbound_message_of_that_number() {
    let (emu, _engine, client) = setup().await;
    let wamid = emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    client.mark_read(TOKEN, PNID, &wamid, true).await.unwrap();
    assert_eq!(emu.marked_read(), vec![wamid]);
    let err = client
        .mark_read(TOKEN, PNID, "wamid.unknown", false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100));
    assert!(emu.sent().is_empty(), "a read receipt is not a message");
}

#[tokio::test]
async fn bodies_meta_would_refuse_are_error_100() {
    let (emu, _engine, client) = setup().await;
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    let ok = text_to(CUSTOMER, "fine");
    let mut cases = Vec::new();
    let mut b = ok.clone();
    b["messaging_product"] = "sms".into();
    cases.push(b);
    let mut b = ok.clone();
    b.as_object_mut().unwrap().remove("to");
    cases.push(b);
    let mut b = ok.clone();
    b["unexpected"] = true.into();
    cases.push(b);
    let mut b = ok.clone();
    b["text"]["body"] = "x".repeat(4097).into();
    cases.push(b);
    let mut b = ok.clone();
    b["type"] = "image".into();
    cases.push(b);
    cases.push(json!({"messaging_product": "whatsapp", "to": "not a number", "type": "text", "text": {"body": "x"}}));
    cases.push(json!({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "interactive",
        "interactive": {"type": "product_list", "body": {"text": "x"}, "action": {"catalog_id": "1", "sections": []}}}));
    for body in cases {
        let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
        assert_eq!(err.code(), Some(100), "{body}");
        assert_eq!(classify(&err), Action::Final);
    }
    assert!(client.send_message(TOKEN, PNID, &ok).await.is_ok());
}

#[tokio::test]
async fn per_number_throughput_over_the_limit_is_130429() {
    let (emu, _engine, client) = setup_with(|c| c.messages_per_second = 3).await;
    let customers = [
        "+16505550001",
        "+16505550002",
        "+16505550003",
        "+16505550004",
    ];
    for c in customers {
        emu.customer_says(PNID, c, "hi").await.unwrap();
    }
    for c in &customers[..3] {
        client
            .send_message(TOKEN, PNID, &text_to(c, "x"))
            .await
            .unwrap();
    }
    let err = client
        .send_message(TOKEN, PNID, &text_to(customers[3], "x"))
        .await
        .unwrap_err();
    let MetaError::Api { status, error } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*status, error.code), (429, 130429));
    assert_eq!(error.error_subcode, Some(2494055));
    assert_eq!(error.message, "(#130429) Rate limit hit");
    assert_eq!(
        error.details.as_deref(),
        Some("Cloud API message throughput has been reached.")
    );
    assert_eq!(classify(&err), Action::RetryBackoff);
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    client
        .send_message(TOKEN, PNID, &text_to(customers[3], "x"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_burst_over_the_pair_bucket_is_131056_for_that_recipient_only() {
    let (emu, _engine, client) = setup_with(|c| c.pair_burst = 2).await;
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    emu.customer_says(PNID, "+16505559999", "hi").await.unwrap();
    for _ in 0..2 {
        client
            .send_message(TOKEN, PNID, &text_to(CUSTOMER, "x"))
            .await
            .unwrap();
    }
    let err = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131056));
    assert!(matches!(err, MetaError::Api { status: 429, .. }));
    assert_eq!(classify(&err), Action::WaitRecipient);
    client
        .send_message(TOKEN, PNID, &text_to("+16505559999", "x"))
        .await
        .unwrap();
    assert_eq!(emu.sent().len(), 3);
}

#[tokio::test]
async fn the_pair_bucket_refills_one_message_per_interval() {
    let (emu, _engine, client) = setup_with(|c| {
        c.pair_burst = 1;
        c.pair_interval = Duration::from_millis(300);
    })
    .await;
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "1"))
        .await
        .unwrap();
    let err = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "2"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131056));
    tokio::time::sleep(Duration::from_millis(350)).await;
    client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "2"))
        .await
        .unwrap();
}

#[tokio::test]
async fn webhooks_are_retried_and_failures_recorded() {
    let (emu, engine, _client) = setup().await;
    engine.fail_first(2);
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    assert_eq!(engine.hooks().len(), 3, "two 500s, then a 200");
    assert!(emu.webhook_failures().is_empty());
    assert_eq!(emu.webhooks_delivered(), 1);

    engine.fail_first(100);
    emu.customer_says(PNID, CUSTOMER, "again").await.unwrap();
    let failures = emu.webhook_failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        (failures[0].kind.as_str(), failures[0].attempts),
        ("inbound", 4)
    );
    assert!(failures[0].error.contains("500"), "{}", failures[0].error);
}

#[tokio::test]
async fn webhook_bodies_are_escaped_like_meta_and_signed_over_the_raw_bytes() {
    let (emu, engine, _client) = setup().await;
    emu.customer_sends(
        PNID,
        CUSTOMER,
        Some("Jürgen"),
        json!({"type": "text", "text": {"body": "äöå / 👍"}}),
    )
    .await
    .unwrap();
    let hook = &engine.hooks()[0];
    let raw = String::from_utf8(hook.body.to_vec()).unwrap();
    assert!(raw.is_ascii(), "{raw}");
    assert!(raw.contains(r"\u00e4\u00f6\u00e5 \/ \ud83d\udc4d"), "{raw}");
    let events = engine.events();
    let MetaEvent::InboundMessage(m) = &events[0] else {
        panic!()
    };
    assert_eq!(
        m.content,
        InboundContent::Text {
            body: "äöå / 👍".into()
        }
    );
    assert_eq!(m.profile_name.as_deref(), Some("Jürgen"));
}

#[tokio::test]
async fn a_customer_location_parses_as_a_location() {
    let (emu, engine, _client) = setup().await;
    let loc = json!({"type": "location", "location": {"latitude": 52.52, "longitude": 13.405, "name": "Berlin"}});
    emu.customer_sends(PNID, CUSTOMER, None, loc).await.unwrap();
    let events = engine.events();
    let MetaEvent::InboundMessage(m) = &events[0] else {
        panic!()
    };
    assert!(
        matches!(m.content, InboundContent::Location { .. }),
        "{:?}",
        m.content
    );
    assert!(emu
        .customer_sends(
            "999",
            CUSTOMER,
            None,
            json!({"type": "text", "text": {"body": "x"}})
        )
        .await
        .is_err());
}
