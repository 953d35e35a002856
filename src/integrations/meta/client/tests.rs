//! `MetaClient` against the local fake: success, Graph errors, timeouts, read receipts,
//! media upload, `debug_token` and `health_status` (fixtures).

use super::test_support::{fixture, FakeMeta};
use super::*;
use crate::integrations::meta::error::{classify, Action};
use serde_json::json;

const TOKEN: &str = "EAAtenant-token";
const PNID: &str = "106540352242922";

#[tokio::test]
async fn send_message_returns_the_wamid_of_the_fixture() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{PNID}/messages");
    fake.on(
        "POST",
        &path,
        None,
        200,
        &fixture("send_message.response.json"),
    );
    let body = json!({"messaging_product": "whatsapp", "to": "+16505551234", "type": "text",
                      "text": {"body": "hi"}});

    let sent = fake
        .client()
        .send_message(TOKEN, PNID, &body)
        .await
        .unwrap();

    assert_eq!(
        sent.wamid,
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA"
    );
    assert_eq!(sent.wa_id.as_deref(), Some("16505551234"));
    assert_eq!(sent.message_status, None);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, path);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {TOKEN}"))
    );
    assert_eq!(reqs[0].json(), body, "the body is sent verbatim");
}

#[tokio::test]
async fn a_throughput_error_parses_into_code_130429_and_retries() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{PNID}/messages");
    fake.on(
        "POST",
        &path,
        None,
        429,
        &fixture("error_130429.response.json"),
    );

    let err = fake
        .client()
        .send_message(TOKEN, PNID, &json!({}))
        .await
        .unwrap_err();

    let MetaError::Api { status, error } = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!((*status, error.code), (429, 130429));
    assert_eq!(error.fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
    assert_eq!(classify(&err), Action::RetryBackoff);
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_slow_answer_is_a_transport_timeout() {
    let fake = FakeMeta::start().await;
    let path = format!("/v23.0/{PNID}/messages");
    let ok = fixture("send_message.response.json");
    fake.on_delayed("POST", &path, None, 200, &ok, Duration::from_secs(3));

    let err = fake
        .client_with_timeout(150)
        .send_message(TOKEN, PNID, &json!({}))
        .await
        .unwrap_err();

    assert!(matches!(err, MetaError::Timeout(_)), "{err:?}");
    assert!(err.is_transport());
    assert_eq!(classify(&err), Action::RetryBackoff);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = MetaClient::new(&MetaClientSettings {
        base_url: format!("http://{addr}"),
        graph_version: "v23.0".into(),
        timeout_ms: 1_000,
    })
    .unwrap();

    let err = client
        .send_message(TOKEN, PNID, &json!({}))
        .await
        .unwrap_err();

    assert!(matches!(err, MetaError::Connect(_)), "{err:?}");
    assert_eq!(classify(&err), Action::RetryBackoff);
}

#[tokio::test]
async fn a_success_without_a_message_id_is_a_decode_error() {
    let fake = FakeMeta::start().await;
    fake.on(
        "POST",
        &format!("/v23.0/{PNID}/messages"),
        None,
        200,
        r#"{"messages":[]}"#,
    );

    let err = fake
        .client()
        .send_message(TOKEN, PNID, &json!({}))
        .await
        .unwrap_err();

    assert!(matches!(err, MetaError::Decode(_)), "{err:?}");
    assert_eq!(classify(&err), Action::Final);
}

#[tokio::test]
async fn ids_that_would_change_the_path_are_refused_before_any_call() {
    let fake = FakeMeta::start().await;
    for bad in ["", "../me", "1/2", "1?x=2", ".."] {
        let err = fake
            .client()
            .send_message(TOKEN, bad, &json!({}))
            .await
            .unwrap_err();
        assert!(
            matches!(err, MetaError::InvalidArgument { .. }),
            "{bad}: {err:?}"
        );
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn mark_read_posts_the_receipt_with_typing_indicator() {
    let fake = FakeMeta::start().await;
    fake.on(
        "POST",
        &format!("/v23.0/{PNID}/messages"),
        None,
        200,
        r#"{"success":true}"#,
    );

    fake.client()
        .mark_read(TOKEN, PNID, "wamid.ABC", true)
        .await
        .unwrap();

    assert_eq!(
        fake.requests()[0].json(),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.ABC",
               "typing_indicator": {"type": "text"}})
    );
}

#[tokio::test]
async fn mark_read_without_success_is_an_error() {
    let fake = FakeMeta::start().await;
    fake.on(
        "POST",
        &format!("/v23.0/{PNID}/messages"),
        None,
        200,
        r#"{"success":false}"#,
    );
    let err = fake
        .client()
        .mark_read(TOKEN, PNID, "wamid.ABC", false)
        .await
        .unwrap_err();
    assert!(matches!(err, MetaError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn upload_media_sends_a_multipart_form_and_returns_the_id() {
    let fake = FakeMeta::start().await;
    fake.on(
        "POST",
        &format!("/v23.0/{PNID}/media"),
        None,
        200,
        r#"{"id":"4490709327384033"}"#,
    );

    let id = fake
        .client()
        .upload_media(
            TOKEN,
            PNID,
            b"\x89PNG-bytes".to_vec(),
            "image/png",
            "pic.png",
        )
        .await
        .unwrap();

    assert_eq!(id, "4490709327384033");
    let req = &fake.requests()[0];
    let ctype = req.header("content-type").unwrap_or_default();
    assert!(
        ctype.starts_with("multipart/form-data; boundary="),
        "{ctype}"
    );
    let body = String::from_utf8_lossy(&req.body);
    assert!(
        body.contains("name=\"messaging_product\"\r\n\r\nwhatsapp"),
        "{body}"
    );
    assert!(body.contains("name=\"type\"\r\n\r\nimage/png"), "{body}");
    assert!(
        body.contains("name=\"file\"; filename=\"pic.png\""),
        "{body}"
    );
    assert!(
        body.contains("Content-Type: image/png\r\n\r\n\u{FFFD}PNG-bytes"),
        "{body}"
    );
}

#[tokio::test]
async fn upload_media_rejects_bad_arguments() {
    let fake = FakeMeta::start().await;
    let c = fake.client();
    let e = c
        .upload_media(TOKEN, PNID, vec![], "image/png", "a.png")
        .await;
    assert!(matches!(e, Err(MetaError::InvalidArgument { .. })));
    let e = c
        .upload_media(TOKEN, PNID, vec![1], "not a mime", "a.png")
        .await;
    assert!(matches!(e, Err(MetaError::InvalidArgument { .. })));
    let e = c
        .upload_media(TOKEN, PNID, vec![1], "image/png", "../a.png")
        .await;
    assert!(matches!(e, Err(MetaError::InvalidArgument { .. })));
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn debug_token_reads_validity_expiry_and_scopes() {
    let fake = FakeMeta::start().await;
    let answer = json!({"data": {
        "app_id": "634974688087057", "type": "SYSTEM_USER", "application": "Galantis",
        "data_access_expires_at": 0, "expires_at": 0, "is_valid": true,
        "issued_at": 1_700_000_000,
        "scopes": ["whatsapp_business_management", "whatsapp_business_messaging"],
        "granular_scopes": [
            {"scope": "whatsapp_business_management", "target_ids": ["102290129340398"]},
            {"scope": "whatsapp_business_messaging", "target_ids": ["102290129340398"]}],
        "user_id": "122100000000000"}});
    fake.on("GET", "/v23.0/debug_token", None, 200, &answer.to_string());

    let info = fake
        .client()
        .debug_token("APPID|APPSECRET", "tenant token+/=")
        .await
        .unwrap();

    assert!(info.is_valid);
    assert_eq!(info.expires_at, None, "0 means never");
    assert_eq!(info.app_id.as_deref(), Some("634974688087057"));
    assert_eq!(info.scopes.len(), 2);
    assert!(info.grants("whatsapp_business_messaging", "102290129340398"));
    assert!(!info.grants("whatsapp_business_messaging", "999"));
    let req = &fake.requests()[0];
    assert_eq!(req.query, "input_token=tenant+token%2B%2F%3D");
    assert_eq!(
        req.header("authorization").as_deref(),
        Some("Bearer APPID|APPSECRET")
    );
}

#[tokio::test]
async fn debug_token_reports_an_expired_token() {
    let fake = FakeMeta::start().await;
    let answer = json!({"data": {"app_id": "1", "is_valid": false, "expires_at": 1_700_000_000,
        "scopes": [], "error": {"code": 190, "message": "Session has expired", "subcode": 463}}});
    fake.on("GET", "/v23.0/debug_token", None, 200, &answer.to_string());

    let info = fake.client().debug_token("A|S", "old").await.unwrap();

    assert!(!info.is_valid);
    assert_eq!(info.expires_at, Some(1_700_000_000));
    let error = info.error.unwrap();
    assert_eq!((error.code, error.subcode), (190, Some(463)));
}

#[tokio::test]
async fn health_status_parses_the_three_fixtures() {
    let fake = FakeMeta::start().await;
    for (node, file) in [
        ("1", "health_status_available.response.json"),
        ("2", "health_status_limited.response.json"),
        ("3", "health_status_blocked_template.response.json"),
    ] {
        let path = format!("/v23.0/{node}");
        fake.on(
            "GET",
            &path,
            Some("fields=health_status"),
            200,
            &fixture(file),
        );
    }
    let c = fake.client();

    let ok = c.health_status(TOKEN, "1").await.unwrap();
    assert_eq!(ok.can_send_message, SendAvailability::Available);
    assert_eq!(ok.entities.len(), 4);
    assert_eq!(ok.entities[0].entity_type, "PHONE_NUMBER");

    let limited = c.health_status(TOKEN, "2").await.unwrap();
    assert_eq!(limited.can_send_message, SendAvailability::Limited);
    assert_eq!(limited.entities[0].additional_info.len(), 1);

    let blocked = c.health_status(TOKEN, "3").await.unwrap();
    assert_eq!(blocked.can_send_message, SendAvailability::Blocked);
    let template = &blocked.entities[0];
    assert_eq!(template.entity_type, "MESSAGE_TEMPLATE");
    assert_eq!(template.id, "2632273056924580");
    assert_eq!(template.errors[0].error_code, 141002);
}

#[test]
fn a_base_url_with_a_prefix_keeps_it() {
    let c = MetaClient::new(&MetaClientSettings {
        base_url: "http://127.0.0.1:9/meta/".into(),
        ..MetaClientSettings::default()
    })
    .unwrap();
    let url = c.url(&[("id", "123"), ("", "messages")]).unwrap();
    assert_eq!(url.as_str(), "http://127.0.0.1:9/meta/v23.0/123/messages");
    assert!(c.is_own_url(&url));
    assert!(!c.is_own_url(&Url::parse("http://evil.example/meta/v23.0/x").unwrap()));
}

#[test]
fn bad_settings_are_refused() {
    for base in ["not a url", "mailto:x@y.z", "ftp://x"] {
        let s = MetaClientSettings {
            base_url: base.into(),
            ..MetaClientSettings::default()
        };
        assert!(
            matches!(MetaClient::new(&s), Err(MetaError::Setup(_))),
            "{base}"
        );
    }
}
