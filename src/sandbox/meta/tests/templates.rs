//! Templates: create/list/delete through the engine's client, review decisions as
//! signed webhooks the engine parses, and what template sends need.

use super::*;
use crate::integrations::meta::error::{classify, Action, MetaError};
use crate::integrations::meta::messages::{BodyParam, TemplateSend};
use crate::integrations::meta::templates::{
    Examples, TemplateCategory, TemplateDefinition, TemplateStatus,
};
use crate::integrations::meta::webhook::TemplateEvent;
use serde_json::json;

fn order_update() -> TemplateDefinition {
    TemplateDefinition::new("order_update", "en_US", TemplateCategory::Utility)
        .unwrap()
        .body(
            "Hi {{1}}, your order {{2}} has shipped.",
            Examples::Positional(vec!["Ann".into(), "#1001".into()]),
        )
        .unwrap()
}

fn send_body(name: &str, params: &[&str]) -> Value {
    let mut t = TemplateSend::new(name, "en_US").unwrap();
    for p in params {
        t = t.body_param(BodyParam::text(*p)).unwrap();
    }
    OutboundMessage::template(phone(CUSTOMER), t).body()
}

#[tokio::test]
async fn create_list_approve_send_and_delete_through_the_engine_client() {
    let (emu, engine, client) = setup().await;
    let created = client
        .create_template(TOKEN, WABA, &order_update())
        .await
        .unwrap();
    assert_eq!(created.status, TemplateStatus::Pending);
    assert_eq!(created.category.as_deref(), Some("UTILITY"));
    assert!(created.id.bytes().all(|b| b.is_ascii_digit()));

    let listed = client.list_templates(TOKEN, WABA).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].name.as_str(), listed[0].language.as_str()),
        ("order_update", "en_US")
    );
    assert_eq!(listed[0].status, TemplateStatus::Pending);
    assert_eq!(listed[0].id, created.id);

    // Not approved yet: 132001, and no window needed to find that out.
    let body = send_body("order_update", &["Ann", "#1001"]);
    let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
    assert_eq!(err.code(), Some(132001));
    assert_eq!(classify(&err), Action::Final);

    emu.approve_template("order_update", "en_US").await.unwrap();
    let events = engine.events();
    let MetaEvent::TemplateStatus(t) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(t.event, TemplateEvent::Approved);
    assert_eq!(
        (t.message_template_id.as_str(), t.waba_id.as_str()),
        (created.id.as_str(), WABA)
    );
    assert_eq!(t.message_template_name, "order_update");
    assert_eq!(t.category.as_deref(), Some("UTILITY"));
    let listed = client.list_templates(TOKEN, WABA).await.unwrap();
    assert_eq!(listed[0].status, TemplateStatus::Approved);

    // Approved: accepted outside any window, billed as a utility template.
    let sent = client.send_message(TOKEN, PNID, &body).await.unwrap();
    assert_eq!(sent.message_status.as_deref(), Some("accepted"));
    let wamid = sent.wamid.clone();
    let events = engine
        .wait_for("sent", |e| {
            e.iter()
                .any(|e| matches!(e, MetaEvent::Status(s) if s.wamid == wamid))
        })
        .await;
    let pricing = events
        .iter()
        .find_map(|e| match e {
            MetaEvent::Status(s) if s.wamid == sent.wamid => s.pricing.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (pricing.category.as_deref(), pricing.kind.as_deref()),
        (Some("utility"), Some("regular"))
    );

    // Wrong parameter count: 132000.
    let err = client
        .send_message(TOKEN, PNID, &send_body("order_update", &["Ann"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(132000));
    // Unknown language: 132001.
    let mut other = body.clone();
    other["template"]["language"]["code"] = "de".into();
    assert_eq!(
        client
            .send_message(TOKEN, PNID, &other)
            .await
            .unwrap_err()
            .code(),
        Some(132001)
    );

    client
        .delete_template(TOKEN, WABA, "order_update")
        .await
        .unwrap();
    assert!(client.list_templates(TOKEN, WABA).await.unwrap().is_empty());
    let err = client
        .delete_template(TOKEN, WABA, "order_update")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(100));
    assert_eq!(
        client
            .send_message(TOKEN, PNID, &body)
            .await
            .unwrap_err()
            .code(),
        Some(132001)
    );
    let calls = emu.calls();
    assert_eq!(calls.get("create_template"), Some(&1));
    assert_eq!(calls.get("delete_template"), Some(&2));
}

#[tokio::test]
async fn rejection_and_pause_send_their_webhooks_and_block_sends() {
    let (emu, engine, client) = setup().await;
    client
        .create_template(TOKEN, WABA, &order_update())
        .await
        .unwrap();
    emu.reject_template("order_update", "en_US", "INVALID_FORMAT")
        .await
        .unwrap();
    emu.approve_template("order_update", "en_US").await.unwrap();
    emu.pause_template("order_update", "en_US").await.unwrap();
    let kinds: Vec<(TemplateEvent, Option<String>)> = engine
        .events()
        .into_iter()
        .filter_map(|e| match e {
            MetaEvent::TemplateStatus(t) => Some((t.event, t.reason)),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (TemplateEvent::Rejected, Some("INVALID_FORMAT".into())),
            (TemplateEvent::Approved, Some("NONE".into())),
            (TemplateEvent::Paused, None),
        ]
    );
    let err = client
        .send_message(TOKEN, PNID, &send_body("order_update", &["Ann", "#1"]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(132015));
    assert!(emu.approve_template("nope", "en_US").await.is_err());
}

#[tokio::test]
async fn the_list_pages_with_cursors() {
    let (emu, _engine, client) = setup().await;
    for name in ["a_one", "a_two", "a_three"] {
        let def = TemplateDefinition::new(name, "en", TemplateCategory::Marketing)
            .unwrap()
            .body("New arrivals are in.", Examples::None)
            .unwrap();
        client.create_template(TOKEN, WABA, &def).await.unwrap();
    }
    let http = reqwest::Client::new();
    let url = format!(
        "{}/v23.0/{WABA}/message_templates?limit=2&fields=name,status",
        emu.base_url()
    );
    let page: Value = http
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["data"][0],
        json!({"name": "a_one", "status": "PENDING", "id": page["data"][0]["id"]})
    );
    let after = page["paging"]["cursors"]["after"].as_str().unwrap();
    assert!(page["paging"]["next"].is_string());
    let page2: Value = http
        .get(format!("{url}&after={after}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["data"][0]["name"], "a_three");
    assert!(page2["paging"].get("next").is_none());
    assert_eq!(client.list_templates(TOKEN, WABA).await.unwrap().len(), 3);
    // Another account's token cannot list this WABA.
    emu.register_account("EAAother", "999000", &["999001"]);
    let err = client.list_templates("EAAother", WABA).await.unwrap_err();
    assert_eq!(err.code(), Some(100));
}

#[tokio::test]
async fn creation_is_validated_like_meta() {
    let (_emu, _engine, client) = setup().await;
    client
        .create_template(TOKEN, WABA, &order_update())
        .await
        .unwrap();
    let err = client
        .create_template(TOKEN, WABA, &order_update())
        .await
        .unwrap_err();
    let MetaError::Api { error, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((error.code, error.error_subcode), (100, Some(2388024)));

    let http = reqwest::Client::new();
    let url = format!("{}/v23.0/{WABA}/message_templates", _emu.base_url());
    let bad = [
        json!({"name": "x", "language": "en", "category": "UTILITY",
               "components": [{"type": "BODY", "text": "{{1}} is here", "example": {"body_text": [["a"]]}}]}),
        json!({"name": "Bad Name", "language": "en", "category": "UTILITY", "components": [{"type": "BODY", "text": "hi"}]}),
        json!({"name": "x", "language": "xx_YY", "category": "UTILITY", "components": [{"type": "BODY", "text": "hi"}]}),
        json!({"name": "x", "language": "en", "category": "PROMO", "components": [{"type": "BODY", "text": "hi"}]}),
        json!({"name": "x", "language": "en", "category": "UTILITY", "components": [{"type": "FOOTER", "text": "hi"}]}),
        json!({"name": "x", "language": "en", "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}}!"}]}),
    ];
    for b in bad {
        let resp = http
            .post(&url)
            .bearer_auth(TOKEN)
            .json(&b)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{b}");
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["error"]["code"], 100, "{b}: {v}");
    }
}

#[tokio::test]
async fn templates_can_approve_themselves_after_a_delay() {
    let (_emu, engine, client) =
        setup_with(|c| c.auto_approve_after = Some(Duration::from_millis(50))).await;
    client
        .create_template(TOKEN, WABA, &order_update())
        .await
        .unwrap();
    engine
        .wait_for("the approval", |e| {
            e.iter().any(
                |e| matches!(e, MetaEvent::TemplateStatus(t) if t.event == TemplateEvent::Approved),
            )
        })
        .await;
    let listed = client.list_templates(TOKEN, WABA).await.unwrap();
    assert_eq!(listed[0].status, TemplateStatus::Approved);
}
