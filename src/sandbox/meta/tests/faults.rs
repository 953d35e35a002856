//! Fault injection and token errors, seen through the engine's client and classifier.

use super::*;
use crate::integrations::meta::error::{classify, Action, MetaError};
use crate::sandbox::meta::Fault;

async fn ready() -> (MetaEmulator, FakeEngine, MetaClient, Value) {
    let (emu, engine, client) = setup().await;
    emu.customer_says(PNID, CUSTOMER, "hi").await.unwrap();
    let body = text_to(CUSTOMER, "hello");
    (emu, engine, client, body)
}

#[tokio::test]
async fn each_fault_answers_its_code_and_classifies_as_meta_documents() {
    let cases = [
        (Fault::RateLimited, 130429, 429, Action::RetryBackoff),
        (Fault::PairRateLimited, 131056, 429, Action::WaitRecipient),
        (Fault::SpamRateLimited, 131048, 429, Action::PauseNumber),
        (Fault::ServerError, 131000, 500, Action::RetryBackoff),
        (Fault::TokenExpired, 190, 401, Action::TokenDead),
        (Fault::Final(131026), 131026, 400, Action::Final),
        (Fault::Final(100), 100, 400, Action::Final),
        (Fault::Final(368), 368, 403, Action::Final),
    ];
    let (emu, _engine, client, body) = ready().await;
    for (fault, code, http, action) in cases {
        emu.fail_next(fault.clone(), 1);
        let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
        let MetaError::Api { status, error } = &err else {
            panic!("{fault:?}: {err:?}");
        };
        assert_eq!((error.code, *status), (code, http), "{fault:?}");
        assert!(error.fbtrace_id.is_some(), "{fault:?}");
        assert_eq!(error.kind.as_deref(), Some("OAuthException"), "{fault:?}");
        if code != 190 {
            assert!(
                error.message.starts_with(&format!("(#{code}) ")),
                "{}",
                error.message
            );
            assert!(error.details.is_some(), "{fault:?}");
        }
        assert_eq!(classify(&err), action, "{fault:?}");
    }
    // The queue is empty again: the next send goes through.
    client.send_message(TOKEN, PNID, &body).await.unwrap();
    assert_eq!(emu.sent().len(), 1);
}

#[tokio::test]
async fn a_bare_503_is_an_http_error_that_is_retried() {
    let (emu, _engine, client, body) = ready().await;
    emu.fail_next(Fault::Unavailable, 1);
    let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
    assert!(
        matches!(err, MetaError::Http { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(classify(&err), Action::RetryBackoff);
}

#[tokio::test]
async fn a_timeout_fault_outlasts_the_client_timeout() {
    let (emu, _engine, _client, body) = ready().await;
    let impatient = client(&emu, 300);
    emu.fail_next(Fault::Timeout, 1);
    let err = impatient
        .send_message(TOKEN, PNID, &body)
        .await
        .unwrap_err();
    assert!(matches!(err, MetaError::Timeout(_)), "{err:?}");
    assert_eq!(classify(&err), Action::RetryBackoff);
}

#[tokio::test]
async fn faults_count_down_over_sends() {
    let (emu, _engine, client, body) = ready().await;
    emu.fail_next(Fault::ServerError, 2);
    for _ in 0..2 {
        let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
        assert_eq!(err.code(), Some(131000));
    }
    client.send_message(TOKEN, PNID, &body).await.unwrap();
}

#[tokio::test]
async fn a_failed_status_fault_accepts_then_reports_the_failure_by_webhook() {
    let (emu, engine, client, body) = ready().await;
    emu.fail_next(Fault::FailedStatus(131049), 1);
    let sent = client.send_message(TOKEN, PNID, &body).await.unwrap();
    let wamid = sent.wamid.clone();
    let events = engine
        .wait_for("a failed status", |e| {
            e.iter().any(|e| matches!(e, MetaEvent::Status(s) if s.wamid == wamid && s.status == MessageStatus::Failed))
        })
        .await;
    assert_eq!(
        engine.statuses(&sent.wamid),
        vec![MessageStatus::Sent, MessageStatus::Failed]
    );
    let failed = events
        .iter()
        .find_map(|e| match e {
            MetaEvent::Status(s) if s.status == MessageStatus::Failed => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!(failed.errors[0].code, 131049);
    assert!(failed.errors[0].details.is_some());
    let _ = emu;
}

#[tokio::test]
async fn revoked_unknown_and_foreign_tokens_are_refused() {
    let (emu, _engine, client, body) = ready().await;
    emu.revoke_token(TOKEN);
    let err = client.send_message(TOKEN, PNID, &body).await.unwrap_err();
    let MetaError::Api { status, error } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*status, error.code, error.error_subcode),
        (401, 190, Some(460))
    );
    assert_eq!(classify(&err), Action::TokenDead);

    let err = client
        .send_message("EAAnot-a-token", PNID, &body)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(190));
    assert_eq!(classify(&err), Action::TokenDead);

    // A valid token that does not own the number cannot see it.
    emu.register_account("EAAother", "999000", &["999001"]);
    let err = client
        .send_message("EAAother", PNID, &body)
        .await
        .unwrap_err();
    let MetaError::Api { error, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((error.code, error.error_subcode), (100, Some(33)));
    assert!(emu.sent().is_empty());
}

#[tokio::test]
async fn another_graph_version_is_refused() {
    let (emu, _engine, _client, body) = ready().await;
    let old = MetaClient::new(&MetaClientSettings {
        base_url: emu.base_url().to_owned(),
        graph_version: "v19.0".into(),
        timeout_ms: 3_000,
    })
    .unwrap();
    let err = old.send_message(TOKEN, PNID, &body).await.unwrap_err();
    assert!(matches!(err, MetaError::Api { status: 400, .. }), "{err:?}");
    assert!(emu.sent().is_empty());
}
