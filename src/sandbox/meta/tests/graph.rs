//! `debug_token`, `health_status`, media and the `/_emulator` control API.

use super::*;
use crate::integrations::meta::client::SendAvailability;
use crate::integrations::meta::templates::{Examples, TemplateCategory, TemplateDefinition};
use crate::sandbox::meta::Health;
use serde_json::json;

#[tokio::test]
async fn debug_token_reports_valid_revoked_and_unknown_tokens() {
    let (emu, _engine, client) = setup().await;
    let app = emu.app_token();
    let info = client.debug_token(&app, TOKEN).await.unwrap();
    assert!(info.is_valid);
    assert_eq!(info.app_id.as_deref(), Some("634974688087057"));
    assert_eq!(info.expires_at, None, "0 means never");
    assert!(info.grants("whatsapp_business_messaging", WABA));
    assert!(info.grants("whatsapp_business_management", WABA));
    assert!(!info.grants("whatsapp_business_messaging", "someone-else"));
    // The tenant's own token may ask about itself (the engine does when it has no app id).
    assert!(client.debug_token(TOKEN, TOKEN).await.unwrap().is_valid);

    let unknown = client.debug_token(&app, "EAAnope").await.unwrap();
    assert!(!unknown.is_valid);
    assert_eq!(unknown.error.as_ref().map(|e| e.code), Some(190));

    emu.revoke_token(TOKEN);
    let revoked = client.debug_token(&app, TOKEN).await.unwrap();
    assert!(!revoked.is_valid);
    let e = revoked.error.unwrap();
    assert_eq!((e.code, e.subcode), (190, Some(460)));
    // A bad app token is a Graph error.
    let err = client.debug_token("1|wrong", TOKEN).await.unwrap_err();
    assert_eq!(err.code(), Some(190));
    assert_eq!(emu.calls().get("debug_token"), Some(&5));
}

#[tokio::test]
async fn health_status_follows_the_node_chain_and_overrides() {
    let (emu, _engine, client) = setup().await;
    let h = client.health_status(TOKEN, PNID).await.unwrap();
    assert_eq!(h.can_send_message, SendAvailability::Available);
    let kinds: Vec<&str> = h.entities.iter().map(|e| e.entity_type.as_str()).collect();
    assert_eq!(kinds, ["PHONE_NUMBER", "WABA", "BUSINESS", "APP"]);
    assert_eq!(
        (h.entities[0].id.as_str(), h.entities[1].id.as_str()),
        (PNID, WABA)
    );

    emu.set_health(
        PNID,
        Health::Limited(vec!["Display name not approved.".into()]),
    );
    let h = client.health_status(TOKEN, PNID).await.unwrap();
    assert_eq!(h.can_send_message, SendAvailability::Limited);
    assert_eq!(
        h.entities[0].additional_info,
        ["Display name not approved."]
    );

    emu.set_health(
        WABA,
        Health::Blocked {
            error_code: 131031,
            description: "locked".into(),
            solution: "appeal".into(),
        },
    );
    let h = client.health_status(TOKEN, WABA).await.unwrap();
    assert_eq!(h.can_send_message, SendAvailability::Blocked);
    assert_eq!(h.entities[0].errors[0].error_code, 131031);
    assert_eq!(
        client
            .health_status(TOKEN, PNID)
            .await
            .unwrap()
            .can_send_message,
        SendAvailability::Blocked
    );

    // A template in review cannot send: BLOCKED with 141002, as Meta's fixture shows.
    let def = TemplateDefinition::new("welcome", "en", TemplateCategory::Marketing)
        .unwrap()
        .body("Welcome to our store.", Examples::None)
        .unwrap();
    let id = client.create_template(TOKEN, WABA, &def).await.unwrap().id;
    let h = client.health_status(TOKEN, &id).await.unwrap();
    assert_eq!(h.entities[0].entity_type, "MESSAGE_TEMPLATE");
    assert_eq!(h.entities[0].errors[0].error_code, 141002);

    let err = client.health_status(TOKEN, "123456").await.unwrap_err();
    assert_eq!(err.code(), Some(100));
}

#[tokio::test]
async fn media_uploads_are_checked_and_downloadable_with_the_token() {
    let (emu, _engine, client) = setup().await;
    let png = b"\x89PNG\r\n\x1a\nnot really a png".to_vec();
    let id = client
        .upload_media(TOKEN, PNID, png.clone(), "image/png", "logo.png")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let info: Value = http
        .get(format!("{}/v23.0/{id}", emu.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["id"], id.as_str());
    assert_eq!(info["mime_type"], "image/png");
    assert_eq!(info["file_size"], png.len());
    assert_eq!(info["messaging_product"], "whatsapp");
    assert_eq!(info["sha256"].as_str().unwrap().len(), 64);
    let url = info["url"].as_str().unwrap();
    assert_eq!(
        http.get(url).send().await.unwrap().status(),
        401,
        "Meta's URLs need the token"
    );
    let bytes = http
        .get(url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), png.as_slice());

    let err = client
        .upload_media(TOKEN, PNID, b"GIF89a".to_vec(), "image/gif", "a.gif")
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131053));
    let err = client
        .upload_media(
            TOKEN,
            PNID,
            vec![0; 6 * 1024 * 1024],
            "image/jpeg",
            "big.jpg",
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131053));
    assert_eq!(emu.calls().get("upload_media"), Some(&3));
}

#[tokio::test]
async fn the_control_api_chats_and_steers() {
    let (emu, engine, client) = setup().await;
    let http = reqwest::Client::new();
    let base = format!("{}/_emulator", emu.base_url());
    let said: Value = http
        .post(format!("{base}/customer-says"))
        .json(&json!({"phone_number_id": PNID, "from": CUSTOMER, "text": "Where is my order?", "name": "Ann"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(said["delivered"], true);
    assert!(said["wamid"].as_str().unwrap().starts_with("wamid."));
    assert_eq!(engine.events().len(), 1);

    let sent = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "On its way."))
        .await
        .unwrap();
    let list: Value = http
        .get(format!("{base}/sent"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["wamid"], sent.wamid.as_str());
    assert_eq!(list[0]["body"]["text"]["body"], "On its way.");
    assert!(list[0]["at"].as_u64().is_some());

    let resp = http
        .post(format!("{base}/faults"))
        .json(&json!({"fault": "final", "code": 131026, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let err = client
        .send_message(TOKEN, PNID, &text_to(CUSTOMER, "x"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(131026));
    let resp = http
        .post(format!("{base}/faults"))
        .json(&json!({"fault": "nonsense"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    emu.add_template(
        WABA,
        &json!({"name": "promo", "language": "en", "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Sale starts today."}]}),
        "PENDING",
    )
    .unwrap();
    let resp = http
        .post(format!("{base}/templates/promo/en/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(emu.templates()[0].status, "APPROVED");
    let resp = http
        .post(format!("{base}/templates/nope/en/approve"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let calls: Value = http
        .get(format!("{base}/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["send_message"], 2);
}
