//! Tests of the WhatsApp records: the token state's stored and served form, and the
//! message constructors.

use super::*;
use crate::store::codec::{decode, encode};

/// `IntegrationHealth` as it was stored before `token` became [`TokenState`].
#[derive(Serialize)]
struct OldHealth {
    state: HealthState,
    token: String,
    last_error: Option<String>,
    last_error_at: Option<Timestamp>,
    checked_at: Option<Timestamp>,
    details: Vec<String>,
}

fn old(token: &str) -> OldHealth {
    OldHealth {
        state: HealthState::Red,
        token: token.into(),
        last_error: Some("access token rejected by Meta: x".into()),
        last_error_at: Some(Timestamp(5)),
        checked_at: Some(Timestamp(3)),
        details: vec!["number 1: FLAGGED".into()],
    }
}

#[test]
fn a_health_record_stored_with_a_string_token_decodes_into_the_enum() {
    for (word, want) in [
        ("valid", TokenState::Valid),
        ("invalid", TokenState::Invalid),
        ("unknown", TokenState::Unknown),
        ("missing", TokenState::Missing),
        ("stored", TokenState::Stored),
        ("something-new", TokenState::Unknown),
    ] {
        let bytes = encode(&old(word)).expect("encode the old shape");
        let h: IntegrationHealth = decode(&bytes).expect("decode as the new shape");
        assert_eq!(h.token, want, "{word}");
        assert_eq!(h.state, HealthState::Red);
        assert_eq!(h.last_error_at, Some(Timestamp(5)));
        assert_eq!(h.checked_at, Some(Timestamp(3)));
        assert_eq!(h.details, vec!["number 1: FLAGGED".to_string()]);
    }
}

#[test]
fn the_enum_is_stored_with_the_same_bytes_as_the_old_string() {
    for t in [
        TokenState::Valid,
        TokenState::Invalid,
        TokenState::Unknown,
        TokenState::Missing,
        TokenState::Stored,
    ] {
        let new = IntegrationHealth {
            token: t,
            ..IntegrationHealth::unknown(TokenState::Unknown)
        };
        let was = OldHealth {
            state: HealthState::Unknown,
            token: t.as_str().into(),
            last_error: None,
            last_error_at: None,
            checked_at: None,
            details: Vec::new(),
        };
        assert_eq!(
            encode(&new).expect("new"),
            encode(&was).expect("old"),
            "{t}"
        );
    }
}

#[test]
fn the_token_is_served_as_a_lower_case_word() {
    let h = IntegrationHealth::unknown(TokenState::Invalid);
    let json = serde_json::to_value(&h).expect("json");
    assert_eq!(json["token"], "invalid");
    assert_eq!(json["state"], "unknown");
    let back: IntegrationHealth = serde_json::from_value(json).expect("back");
    assert_eq!(back, h);
}

fn content(kind: &str) -> MessageContent {
    MessageContent {
        kind: kind.into(),
        text: Some("hi".into()),
        payload: Some("{}".into()),
    }
}

#[test]
fn constructors_set_direction_status_and_times() {
    let m = ChatMessage::inbound(1, 2, "wamid.A".into(), content("text"), Timestamp(7));
    assert_eq!(
        (m.direction, m.status, m.purpose),
        (
            Direction::Inbound,
            MessageStatus::Received,
            Purpose::Service
        )
    );
    assert_eq!(m.wamid.as_deref(), Some("wamid.A"));
    assert_eq!(
        (m.at, m.status_at, m.due_at),
        (Timestamp(7), Timestamp(7), None)
    );
    assert!(m.author.is_none());

    let q = ChatMessage::queued_outbound(
        3,
        2,
        Some("agent".into()),
        content("text"),
        Purpose::Marketing,
        Timestamp(9),
    );
    assert_eq!(
        (q.direction, q.status, q.purpose),
        (
            Direction::Outbound,
            MessageStatus::Queued,
            Purpose::Marketing
        )
    );
    assert_eq!(q.due_at, Some(Timestamp(9)));
    assert_eq!((q.attempts, q.in_flight, q.wamid.clone()), (0, false, None));

    let n = ChatMessage::note(4, 2, "agent".into(), "call back".into(), Timestamp(11));
    assert_eq!(
        (n.direction, n.status, n.kind.as_str()),
        (Direction::Note, MessageStatus::Noted, "note")
    );
    assert_eq!((n.payload, n.due_at), (None, None));
}
