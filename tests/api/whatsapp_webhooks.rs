//! `GET/POST /webhooks/meta`: verify challenge, signatures, every Meta webhook fixture
//! accepted and applied, dedupe, routing by phone number id and WABA.

use crate::helpers::{spawn_app, OPERATOR, VERIFY_TOKEN};
use serde_json::Value;

const SHOP: &str = "wa.myshopify.com";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";

fn meta_fixture(name: &str) -> Vec<u8> {
    let p = crate::helpers::fixtures_dir()
        .join("meta/webhooks")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

#[tokio::test]
async fn the_verify_challenge_is_answered_only_with_our_token() {
    let app = spawn_app().await;
    let url = |token: &str| {
        format!(
            "{}/webhooks/meta?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            app.base
        )
    };
    let r = app.client.get(url(VERIFY_TOKEN)).send().await.expect("get");
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.expect("text"), "1158201444");
    let r = app.client.get(url("wrong")).send().await.expect("get");
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_bad_signature_is_rejected_and_nothing_is_stored() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let body = meta_fixture("inbound_text.json");
    let r = app
        .client
        .post(format!("{}/webhooks/meta", app.base))
        .header("X-Hub-Signature-256", "sha256=00ff")
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(format!("{}/webhooks/meta", app.base))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let (_, threads) = app.get("/api/v1/threads", &key).await;
    assert_eq!(threads["items"].as_array().map(Vec::len), Some(0));
    let r = app.meta_webhook(b"{not json").await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn every_meta_webhook_fixture_is_accepted_and_applied_once() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER, "1122334455667"], "EAAG-test")
        .await;
    let dir = crate::helpers::fixtures_dir().join("meta/webhooks");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "fixtures missing in {}", dir.display());
    for f in &files {
        let body = std::fs::read(f).expect("read");
        let r = app.meta_webhook(&body).await;
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        assert_eq!(status, 200, "{}: {v}", f.display());
        // The same delivery again: no second effect.
        let again: Value = app.meta_webhook(&body).await.json().await.expect("json");
        assert_eq!(again["accepted"], 0, "{}: {again}", f.display());
    }
    // Inbound messages made threads and contacts; every type is recorded.
    let threads = app
        .eventually("threads", || async {
            let (_, v) = app.get("/api/v1/threads", &key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    let mut kinds = std::collections::BTreeSet::new();
    let mut inbound = 0;
    for t in &threads {
        assert_eq!(t["phone_number_id"], NUMBER);
        assert_eq!(t["status"], "OPEN");
        let (_, v) = app.get(&format!("/api/v1/threads/{}", t["id"]), &key).await;
        for m in v["messages"].as_array().expect("messages") {
            if m["direction"] == "inbound" {
                inbound += 1;
                kinds.insert(m["kind"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    for k in [
        "text",
        "image",
        "location",
        "contacts",
        "reaction",
        "button",
        "interactive",
        "order",
        "system",
        "unsupported",
    ] {
        assert!(
            kinds.contains(k),
            "no inbound `{k}` message recorded: {kinds:?}"
        );
    }
    assert!(inbound >= 14, "{inbound}");
    // The sender became a contact, whose profile shows the thread.
    let contact_id = threads[0]["contact_id"].as_str().expect("contact linked");
    let (s, c) = app
        .get(&format!("/api/v1/contacts/{contact_id}"), &key)
        .await;
    assert_eq!(s, 200, "{c}");
    assert!(!c["threads"].as_array().expect("threads").is_empty(), "{c}");
    // Templates from the status webhooks, and the account/quality events in health.
    let (_, tpls) = app.get("/api/v1/templates", &key).await;
    let statuses: Vec<&str> = tpls["items"]
        .as_array()
        .expect("templates")
        .iter()
        .filter_map(|t| t["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"APPROVED") && statuses.contains(&"REJECTED"),
        "{tpls}"
    );
    let (_, h) = app.get("/api/v1/integrations/health", &key).await;
    assert!(
        h["meta"]["details"]
            .to_string()
            .contains("THROUGHPUT_UPGRADE"),
        "{h}"
    );
    assert_ne!(
        h["meta"]["state"], "green",
        "an account restriction is not green: {h}"
    );
    // Nothing dead-lettered.
    assert_eq!(
        app.get("/api/v1/deadletters", &key).await.1["items"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    let _ = OPERATOR;
}

/// An authentic delivery that does not parse (a status without its `id`), naming our number.
fn unparseable_delivery() -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"{WABA}","changes":[{{"field":"messages",
        "value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550001111","phone_number_id":"{NUMBER}"}},
        "statuses":[{{"status":"delivered","timestamp":"1767225600","recipient_id":"16135550199"}}]}}}}]}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn an_unparseable_signed_delivery_is_dead_lettered_listed_and_replayable() {
    let app = spawn_app().await;
    let key = app
        .create_whatsapp_tenant(SHOP, WABA, &[NUMBER], "EAAG-test")
        .await;
    let body = unparseable_delivery();
    let r = app.meta_webhook(&body).await;
    assert_eq!(r.status(), 200, "kept, not refused");
    let ack: Value = r.json().await.expect("json");
    assert_eq!(ack["unparsed"], 1, "{ack}");
    // Meta's redelivery of the same body is a duplicate, not a second letter.
    let ack: Value = app.meta_webhook(&body).await.json().await.expect("json");
    assert_eq!(ack["duplicates"], 1, "{ack}");

    let letters = app
        .eventually("a dead letter", || async {
            let (_, v) = app.get("/api/v1/deadletters", &key).await;
            v["items"].as_array().filter(|a| !a.is_empty()).cloned()
        })
        .await;
    assert_eq!(letters.len(), 1, "{letters:?}");
    let l = &letters[0];
    assert_eq!(l["topic"], "meta/delivery");
    let reason = l["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("entry[0].changes[0]"),
        "names where: {reason}"
    );
    // The list carries the body's size; the letter itself carries the body.
    assert_eq!(l["body_bytes"].as_u64(), Some(body.len() as u64));
    assert!(l.get("body").is_none(), "the list has no bodies: {l}");
    let (s, one) = app
        .get(&format!("/api/v1/deadletters/{}", l["id"]), &key)
        .await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(
        one["body"].as_str().map(str::as_bytes),
        Some(body.as_slice())
    );

    // Replay sends it through the parser again (still broken: it comes back under a new id).
    let id = l["id"].as_u64().expect("id");
    let letters = app.replay_still_broken(&key, id).await;
    assert_eq!(letters.len(), 1, "the old letter is gone: {letters:?}");
    let (_, threads) = app.get("/api/v1/threads", &key).await;
    assert_eq!(
        threads["items"].as_array().map(Vec::len),
        Some(0),
        "nothing applied"
    );
}
