//! Signatures, the verify challenge, dedupe keys, status ranks, round trips, envelope
//! errors, unknown fields and types, batches, prices and canonical JSON.

use super::*;

#[test]
fn events_round_trip_through_bincode_and_json() {
    let cfg = bincode::config::standard();
    for (name, bytes) in all_fixtures() {
        for ev in parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")) {
            let enc = bincode::serde::encode_to_vec(&ev, cfg).expect("encode");
            let (back, used): (MetaEvent, usize) =
                bincode::serde::decode_from_slice(&enc, cfg).expect("decode");
            assert_eq!(used, enc.len(), "{name}");
            assert_eq!(back, ev, "{name}: bincode");
            let json = serde_json::to_string(&ev).expect("json");
            let back: MetaEvent = serde_json::from_str(&json).expect("json back");
            assert_eq!(back, ev, "{name}: json");
        }
    }
}

#[test]
fn dedupe_keys_follow_the_documented_shapes() {
    let key = |n: &str| one(n, &fixture(n)).dedupe_key();
    assert_eq!(
        key("inbound_text.json"),
        "m:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
    );
    assert_eq!(
        key("status_delivered_cbp_pywa.json"),
        "s:wamid.xyzxyz:delivered"
    );
    assert_eq!(key("status_read_cbp_pywa.json"), "s:wamid.xyzxyz:read");
    assert_eq!(
        key("template_status_approved.json"),
        "t:1689556908129832:APPROVED:1751247548"
    );
    let q = key("phone_number_quality_update_throughput_upgrade.json");
    assert!(q.starts_with("phone_number_quality_update:"), "{q}");
    assert_eq!(q.len(), "phone_number_quality_update:".len() + 32);
    let a = key("account_update_account_violation.json");
    assert!(a.starts_with("account_update:"), "{a}");
    // Stable across runs and across key order / whitespace in a redelivery.
    assert_eq!(a, key("account_update_account_violation.json"));
    let reordered = br#"{"entry":[{"changes":[{"field":"account_update","value":
        {"violation_info":{"violation_type":"ADULT"},"event":"ACCOUNT_VIOLATION"}}],
        "time":1743451903,"id":"102290129340398"}],"object":"whatsapp_business_account"}"#;
    assert_eq!(one("reordered", reordered).dedupe_key(), a);
    // The same value for another WABA or at another time is another notification.
    let other_waba = String::from_utf8(fixture("account_update_account_violation.json"))
        .expect("utf8")
        .replace("102290129340398", "999");
    assert_ne!(one("other waba", other_waba.as_bytes()).dedupe_key(), a);
    let other_time = String::from_utf8(fixture("account_update_account_violation.json"))
        .expect("utf8")
        .replace("1743451903", "1743451904");
    assert_ne!(one("other time", other_time.as_bytes()).dedupe_key(), a);
    // All account fixtures differ from each other.
    let mut all: Vec<String> = all_fixtures()
        .iter()
        .flat_map(|(n, b)| parse(b).unwrap_or_else(|e| panic!("{n}: {e}")))
        .filter(|e| !matches!(e, MetaEvent::InboundMessage(_) | MetaEvent::Status(_)))
        .map(|e| e.dedupe_key())
        .collect();
    let count = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), count, "management dedupe keys collide");
}

#[test]
fn statuses_of_one_wamid_have_distinct_keys() {
    let base = String::from_utf8(fixture("status_sent_v24_minimal.json")).expect("utf8");
    let mut keys: Vec<String> = ["sent", "delivered", "read", "failed", "played"]
        .iter()
        .map(|s| {
            let body = base.replace("\"status\": \"sent\"", &format!("\"status\": \"{s}\""));
            let ev = one(s, body.as_bytes());
            let MetaEvent::Status(st) = &ev else {
                panic!("{ev:?}")
            };
            assert_eq!(st.status.as_str(), *s);
            ev.dedupe_key()
        })
        .collect();
    assert_eq!(
        keys[0],
        "s:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=:sent"
    );
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 5);
}

#[test]
fn status_rank_never_downgrades() {
    use MessageStatus::*;
    let unknown = Unknown("played".into());
    assert!(Delivered.supersedes(&Sent));
    assert!(Read.supersedes(&Delivered));
    assert!(Read.supersedes(&Sent));
    assert!(!Delivered.supersedes(&Read), "late delivered after read");
    assert!(!Sent.supersedes(&Delivered));
    assert!(Failed.supersedes(&Sent));
    assert!(Failed.supersedes(&Delivered));
    assert!(!Sent.supersedes(&Failed) && !Delivered.supersedes(&Failed));
    assert!(Read.supersedes(&Failed), "a read receipt proves delivery");
    assert!(!Failed.supersedes(&Read));
    assert!(!unknown.supersedes(&Sent) && Sent.supersedes(&unknown));
    assert!(!Sent.supersedes(&Sent), "same status is not an advance");
    assert_eq!(MessageStatus::from_wire("read"), Read);
    assert_eq!(MessageStatus::from_wire("played"), unknown);
    assert_eq!(unknown.to_string(), "played");
}

#[test]
fn signature_checks() {
    let body = fixture("inbound_text.json");
    let secret = b"app-secret";
    let good = sign(secret, &body);
    assert!(good.starts_with("sha256="));
    assert_eq!(good.len(), "sha256=".len() + 64);
    assert_eq!(good, good.to_lowercase(), "Meta's form is lowercase hex");
    assert!(verify_signature(secret, &body, &good));
    assert!(
        verify_signature(secret, &body, &format!(" {good}\n")),
        "whitespace"
    );
    // Uppercase hex is the same MAC.
    let upper = format!("sha256={}", good["sha256=".len()..].to_uppercase());
    assert!(verify_signature(secret, &body, &upper));
    // Wrong secret, changed body, missing / wrong prefix, bad hex, truncated.
    assert!(!verify_signature(b"other", &body, &good));
    let mut changed = body.clone();
    changed.push(b' ');
    assert!(!verify_signature(secret, &changed, &good));
    assert!(!verify_signature(secret, &body, &good["sha256=".len()..]));
    assert!(!verify_signature(
        secret,
        &body,
        &good.replace("sha256=", "sha1=")
    ));
    assert!(!verify_signature(
        secret,
        &body,
        &good.replace("sha256=", "SHA256=")
    ));
    assert!(!verify_signature(secret, &body, "sha256=zz"));
    assert!(!verify_signature(secret, &body, &good[..good.len() - 2]));
    assert!(!verify_signature(secret, &body, ""));
    assert!(!verify_signature(secret, &body, "sha256="));
    // An empty secret never verifies, even against its own signature.
    assert!(!verify_signature(b"", &body, &sign(b"", &body)));
}

#[test]
fn signature_matches_an_independent_vector() {
    // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
    let body = b"what do ya want for nothing?";
    let want = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert_eq!(sign(b"Jefe", body), want);
    assert!(verify_signature(b"Jefe", body, want));
}

#[test]
fn challenge_checks() {
    let ok = verify_challenge(Some("subscribe"), Some("tok"), Some("1158201444"), "tok");
    assert_eq!(ok, Ok("1158201444".to_owned()));
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("nope"), Some("1"), "tok"),
        Err(ChallengeError::TokenMismatch)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("to"), Some("1"), "tok"),
        Err(ChallengeError::TokenMismatch)
    );
    assert_eq!(
        verify_challenge(Some("unsubscribe"), Some("tok"), Some("1"), "tok"),
        Err(ChallengeError::WrongMode("unsubscribe".into()))
    );
    assert_eq!(
        verify_challenge(None, Some("tok"), Some("1"), "tok"),
        Err(ChallengeError::MissingMode)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), None, Some("1"), "tok"),
        Err(ChallengeError::MissingToken)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), None, "tok"),
        Err(ChallengeError::MissingChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), Some(""), "tok"),
        Err(ChallengeError::MissingChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some("tok"), Some("a\r\nb"), "tok"),
        Err(ChallengeError::BadChallenge)
    );
    assert_eq!(
        verify_challenge(Some("subscribe"), Some(""), Some("1"), ""),
        Err(ChallengeError::NotConfigured)
    );
    let err = verify_challenge(Some("x"), Some("tok"), Some("1"), "tok").expect_err("mode");
    assert!(err.to_string().contains("hub.mode"), "{err}");
}

#[test]
fn envelope_errors_name_the_problem() {
    let err = |b: &[u8]| parse(b).expect_err("must fail").to_string();
    assert!(err(b"{not json").contains("not valid JSON"));
    assert!(err(b"").contains("not valid JSON"));
    assert!(err(b"[]").contains("not a JSON object"));
    assert!(err(br#"{"entry":[]}"#).contains("`object` is missing"));
    assert!(err(br#"{"object":"page","entry":[]}"#).contains("\"page\""));
    assert!(err(br#"{"object":"whatsapp_business_account"}"#).contains("`entry` is missing"));
    assert!(
        err(br#"{"object":"whatsapp_business_account","entry":[{"changes":[]}]}"#)
            .contains("entry[0]: `id`")
    );
    assert!(
        err(br#"{"object":"whatsapp_business_account","entry":[{"id":"1"}]}"#)
            .contains("`changes` is missing")
    );
    assert!(err(
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}"#
    )
    .contains("entry[0].changes[0]: `field`"));
    // A known field with a broken value names entry, change, field and path.
    let body = String::from_utf8(fixture("status_sent_v24_minimal.json"))
        .expect("utf8")
        .replace("\"id\": \"wamid.", "\"idx\": \"wamid.");
    let e = err(body.as_bytes());
    assert!(
        e.contains("entry[0].changes[0] (messages): statuses[0]"),
        "{e}"
    );
    assert!(e.contains("missing field `id`"), "{e}");
    let body = String::from_utf8(fixture("inbound_text.json"))
        .expect("utf8")
        .replace("\"timestamp\": \"1749416383\"", "\"timestamp\": \"soon\"");
    let e = err(body.as_bytes());
    assert!(
        e.contains("messages[0]") && e.contains("unix seconds"),
        "{e}"
    );
    assert_eq!(
        parse(br#"{"object":"whatsapp_business_account","entry":[]}"#),
        Ok(vec![])
    );
}

#[test]
fn unknown_things_are_kept_not_rejected() {
    // Unknown field.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"42","time":5,
        "changes":[{"field":"user_preferences","value":{"x":1}},{"field":"security"}]}]}"#;
    let events = parse(body).expect("parse");
    assert_eq!(events.len(), 2);
    let MetaEvent::Unhandled(u) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(
        (u.field.as_str(), u.waba_id.as_str()),
        ("user_preferences", "42")
    );
    assert_eq!(u.entry_time, Some(Timestamp(5000)));
    assert!(events[0].dedupe_key().starts_with("user_preferences:"));
    assert_ne!(events[0].dedupe_key(), events[1].dedupe_key());
    assert_eq!(events[0].phone_number_id(), None);
    assert_eq!(events[0].waba_id(), "42");
    // Unknown message type and interactive type, unknown status, unknown events.
    let text = String::from_utf8(fixture("inbound_text.json")).expect("utf8");
    let body = text.replace("\"type\": \"text\"", "\"type\": \"request_welcome\"");
    let m = match one("welcome", body.as_bytes()) {
        MetaEvent::InboundMessage(m) => m,
        other => panic!("{other:?}"),
    };
    let InboundContent::Other { kind, json } = &m.content else {
        panic!("{:?}", m.content)
    };
    assert_eq!(kind, "request_welcome");
    assert!(json.contains("\"type\":\"request_welcome\""), "{json}");
    let nfm = String::from_utf8(fixture("inbound_interactive_button_reply.json"))
        .expect("utf8")
        .replace("\"type\": \"button_reply\"", "\"type\": \"nfm_reply\"");
    match one("nfm", nfm.as_bytes()) {
        MetaEvent::InboundMessage(InboundMessage {
            content: InboundContent::Interactive(InteractiveReply::Other { kind, .. }),
            ..
        }) => assert_eq!(kind, "nfm_reply"),
        other => panic!("{other:?}"),
    }
    let tpl = String::from_utf8(fixture("template_status_approved.json"))
        .expect("utf8")
        .replace("\"APPROVED\"", "\"SOMETHING_NEW\"");
    match one("tpl", tpl.as_bytes()) {
        MetaEvent::TemplateStatus(t) => {
            assert_eq!(t.event, TemplateEvent::Other("SOMETHING_NEW".into()))
        }
        other => panic!("{other:?}"),
    }
    // A messages change with neither messages nor statuses.
    let empty = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
        {"field":"messages","value":{"messaging_product":"whatsapp",
         "metadata":{"display_phone_number":"1","phone_number_id":"2"}}}]}]}"#;
    assert!(matches!(
        parse(empty).expect("parse").as_slice(),
        [MetaEvent::Unhandled(u)] if u.field == "messages"
    ));
}

#[test]
fn batches_flatten_in_order_and_template_without_time_hashes() {
    // Two entries, one with a messages change holding a message and two statuses.
    let inbound_value: Value = serde_json::from_slice(&fixture("inbound_text.json")).expect("json");
    let mut value = inbound_value["entry"][0]["changes"][0]["value"].clone();
    let status_value: Value =
        serde_json::from_slice(&fixture("status_failed_131049.json")).expect("json");
    let st = status_value["entry"][0]["changes"][0]["value"]["statuses"][0].clone();
    let mut st2 = st.clone();
    st2["status"] = Value::from("sent");
    value["statuses"] = Value::Array(vec![st, st2]);
    let tpl: Value =
        serde_json::from_slice(&fixture("template_status_approved.json")).expect("json");
    let mut tpl_entry = tpl["entry"][0].clone();
    tpl_entry.as_object_mut().expect("obj").remove("time");
    let body = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "7", "changes": [{"field": "messages", "value": value}]},
            tpl_entry,
        ]
    });
    let events = parse(body.to_string().as_bytes()).expect("parse");
    let kinds: Vec<&str> = events.iter().map(MetaEvent::kind).collect();
    assert_eq!(
        kinds,
        ["inbound_message", "status", "status", "template_status"]
    );
    assert!(events[..3]
        .iter()
        .all(|e| e.waba_id() == "7" && e.phone_number_id() == Some(PNID)));
    assert_ne!(events[1].dedupe_key(), events[2].dedupe_key());
    let k = events[3].dedupe_key();
    assert!(k.starts_with("t:1689556908129832:APPROVED:h"), "{k}");
}

#[test]
fn order_prices_keep_cents() {
    let body = String::from_utf8(fixture("inbound_order.json"))
        .expect("utf8")
        .replace("\"item_price\": 30", "\"item_price\": 7.99")
        .replace("\"item_price\": 25", "\"item_price\": \"1234.005\"");
    let MetaEvent::InboundMessage(m) = one("prices", body.as_bytes()) else {
        panic!()
    };
    let InboundContent::Order(o) = m.content else {
        panic!()
    };
    assert_eq!(o.items[0].item_price, Money(7_990));
    assert_eq!(o.items[0].item_price.to_string(), "7.99");
    assert_eq!(o.items[1].item_price, Money(1_234_005));
    for (v, want) in [
        ("0.1", 100),
        ("19.995", 19_995),
        ("0.3", 300),
        ("1e2", 100_000),
    ] {
        let b = String::from_utf8(fixture("inbound_order.json"))
            .expect("utf8")
            .replace("\"item_price\": 30", &format!("\"item_price\": {v}"));
        let MetaEvent::InboundMessage(m) = one(v, b.as_bytes()) else {
            panic!()
        };
        let InboundContent::Order(o) = m.content else {
            panic!()
        };
        assert_eq!(o.items[0].item_price, Money(want), "{v}");
    }
    let bad = String::from_utf8(fixture("inbound_order.json"))
        .expect("utf8")
        .replace("\"item_price\": 30", "\"item_price\": \"thirty\"");
    let e = parse(bad.as_bytes()).expect_err("bad price").to_string();
    assert!(e.contains("item_price"), "{e}");
}

#[test]
fn canonical_json_sorts_keys() {
    let v: Value = serde_json::from_str(r#"{"b":[1,{"z":1,"a":"é\n"}],"a":null}"#).expect("json");
    assert_eq!(
        wire::canonical_json(&v),
        r#"{"a":null,"b":[1,{"a":"é\n","z":1}]}"#
    );
}
