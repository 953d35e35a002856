//! Tests of Meta events applied as pure changes: statuses, template reviews, quality and
//! account updates, inbound messages and the STOP confirmation.

use super::events::*;
use super::health::HealthEvent;
use crate::domain::contact::MarketingState;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, Direction, MessageContent, MessageError, MessageStatus, Purpose, Template,
    TemplateStatus,
};
use crate::domain::Timestamp;
use crate::integrations::meta::webhook::{
    AccountDetails, AccountEvent, AccountUpdate, InboundContent, InboundMessage, Media, MediaKind,
    MessageStatus as WireStatus, MetaError, PhoneNumberQualityUpdate, QualityEvent, StatusUpdate,
    TemplateEvent, TemplateStatusUpdate,
};
use crate::logic::inbox::OptWord;

fn outbound(status: MessageStatus) -> ChatMessage {
    let content = MessageContent {
        kind: "text".into(),
        text: None,
        payload: None,
    };
    let mut m = ChatMessage::queued_outbound(1, 2, None, content, Purpose::Service, Timestamp(0));
    m.status = status;
    m.wamid = Some("wamid.A".into());
    m
}

fn status(s: WireStatus, errors: Vec<MetaError>) -> StatusUpdate {
    StatusUpdate {
        phone_number_id: "111".into(),
        display_phone_number: "15550001111".into(),
        waba_id: "999".into(),
        wamid: "wamid.A".into(),
        status: s,
        timestamp: Timestamp(50),
        recipient_id: "447700900123".into(),
        errors,
        pricing: None,
        conversation: None,
        biz_opaque_callback_data: None,
    }
}

fn meta_error(details: Option<&str>, message: Option<&str>, title: Option<&str>) -> MetaError {
    MetaError {
        code: 131026,
        title: title.map(Into::into),
        message: message.map(Into::into),
        details: details.map(Into::into),
    }
}

#[test]
fn wire_statuses_map_to_ours_and_unknown_ones_are_ignored() {
    assert_eq!(status_of(&WireStatus::Sent), Some(MessageStatus::Sent));
    assert_eq!(
        status_of(&WireStatus::Delivered),
        Some(MessageStatus::Delivered)
    );
    assert_eq!(status_of(&WireStatus::Read), Some(MessageStatus::Read));
    assert_eq!(status_of(&WireStatus::Failed), Some(MessageStatus::Failed));
    assert_eq!(status_of(&WireStatus::Unknown("played".into())), None);
    let m = outbound(MessageStatus::Accepted);
    assert_eq!(
        on_status(&m, &status(WireStatus::Unknown("played".into()), vec![])),
        None
    );
}

#[test]
fn a_status_moves_the_message_forward_only() {
    let m = outbound(MessageStatus::Accepted);
    let next = on_status(&m, &status(WireStatus::Delivered, vec![])).expect("moves");
    assert_eq!(
        (next.status, next.status_at),
        (MessageStatus::Delivered, Timestamp(50))
    );
    assert_eq!(next.error, None);
    let read = outbound(MessageStatus::Read);
    assert_eq!(
        on_status(&read, &status(WireStatus::Delivered, vec![])),
        None
    );
    assert_eq!(
        on_status(&read, &status(WireStatus::Failed, vec![])),
        None,
        "read wins"
    );
}

#[test]
fn a_failure_keeps_the_most_helpful_text_of_the_first_error() {
    let m = outbound(MessageStatus::Sent);
    for (e, text) in [
        (
            meta_error(Some("details"), Some("message"), Some("title")),
            "details",
        ),
        (meta_error(None, Some("message"), Some("title")), "message"),
        (meta_error(None, None, Some("title")), "title"),
        (meta_error(None, None, None), ""),
    ] {
        let other = meta_error(Some("second"), None, None);
        let next = on_status(&m, &status(WireStatus::Failed, vec![e, other])).expect("fails");
        assert_eq!(next.status, MessageStatus::Failed);
        assert_eq!(
            next.error,
            Some(MessageError {
                code: 131026,
                message: text.into()
            })
        );
    }
    let next = on_status(&m, &status(WireStatus::Failed, vec![])).expect("fails");
    assert_eq!(next.error, None, "a failure without errors has no error");
}

fn review(event: TemplateEvent, reason: Option<&str>) -> TemplateStatusUpdate {
    TemplateStatusUpdate {
        waba_id: "999".into(),
        entry_time: None,
        event,
        message_template_id: "555".into(),
        message_template_name: "order_update".into(),
        message_template_language: "en_US".into(),
        reason: reason.map(Into::into),
        category: Some("UTILITY".into()),
        rejection_info: None,
        other_info: None,
        fingerprint: "f".into(),
    }
}

#[test]
fn a_review_of_an_unknown_template_creates_it() {
    let t = on_template(
        None,
        &review(TemplateEvent::Approved, Some("NONE")),
        Timestamp(9),
    );
    assert_eq!(
        t,
        Template {
            name: "order_update".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            status: TemplateStatus::Approved,
            meta_id: Some("555".into()),
            components: "[]".into(),
            reason: None,
            updated_at: Timestamp(9),
        }
    );
    let mut no_category = review(TemplateEvent::Pending, None);
    no_category.category = None;
    let t = on_template(None, &no_category, Timestamp(9));
    assert_eq!(
        (t.category.as_str(), t.status),
        ("UNKNOWN", TemplateStatus::PendingApproval)
    );
}

#[test]
fn a_review_updates_status_id_and_reason_and_keeps_the_rest() {
    let stored = Template {
        name: "order_update".into(),
        language: "en_US".into(),
        category: "MARKETING".into(),
        status: TemplateStatus::PendingApproval,
        meta_id: None,
        components: r#"[{"type":"BODY"}]"#.into(),
        reason: Some("old".into()),
        updated_at: Timestamp(1),
    };
    let t = on_template(
        Some(stored.clone()),
        &review(TemplateEvent::Rejected, Some("INVALID_FORMAT")),
        Timestamp(9),
    );
    assert_eq!(t.status, TemplateStatus::Rejected);
    assert_eq!(t.meta_id.as_deref(), Some("555"));
    assert_eq!(t.reason.as_deref(), Some("INVALID_FORMAT"));
    assert_eq!(t.updated_at, Timestamp(9));
    assert_eq!(
        (t.category.clone(), t.components.clone()),
        (stored.category, stored.components)
    );
    let t = on_template(
        Some(t),
        &review(TemplateEvent::Approved, Some("NONE")),
        Timestamp(10),
    );
    assert_eq!((t.status, t.reason), (TemplateStatus::Approved, None));
}

fn quality(event: QualityEvent, limit: Option<&str>) -> PhoneNumberQualityUpdate {
    PhoneNumberQualityUpdate {
        waba_id: "999".into(),
        entry_time: None,
        display_phone_number: "15550001111".into(),
        event,
        current_limit: limit.map(Into::into),
        old_limit: None,
        max_daily_conversations_per_business: None,
        fingerprint: "f".into(),
    }
}

#[test]
fn flagged_or_downgraded_numbers_warn_other_quality_events_are_details() {
    assert_eq!(
        on_quality(&quality(QualityEvent::Flagged, None)),
        HealthEvent::Warning("number 15550001111: FLAGGED".into())
    );
    assert_eq!(
        on_quality(&quality(QualityEvent::Downgrade, Some("TIER_1K"))),
        HealthEvent::Warning("number 15550001111: DOWNGRADE (limit TIER_1K)".into())
    );
    for e in [
        QualityEvent::Unflagged,
        QualityEvent::Upgrade,
        QualityEvent::ThroughputUpgrade,
        QualityEvent::Onboarding,
        QualityEvent::Other("NEW".into()),
    ] {
        let text = format!("number 15550001111: {e}");
        assert_eq!(on_quality(&quality(e, None)), HealthEvent::Detail(text));
    }
}

#[test]
fn account_updates_break_warn_or_inform() {
    use AccountEvent::*;
    let update = |event: AccountEvent| AccountUpdate {
        waba_id: "999".into(),
        entry_time: None,
        event,
        details: AccountDetails::default(),
        fingerprint: "f".into(),
    };
    for e in [DisabledUpdate, AccountDeleted, AccountOffboarded] {
        let text = format!("account 999: {e}");
        assert_eq!(on_account(&update(e)), HealthEvent::Broken(text));
    }
    for e in [AccountViolation, AccountRestriction] {
        let text = format!("account 999: {e}");
        assert_eq!(on_account(&update(e)), HealthEvent::Warning(text));
    }
    for e in [AccountReconnected, PartnerAdded, Other("NEW".into())] {
        let text = format!("account 999: {e}");
        assert_eq!(on_account(&update(e)), HealthEvent::Detail(text));
    }
}

fn media(caption: Option<&str>) -> InboundContent {
    InboundContent::Media(Media {
        kind: MediaKind::Image,
        media_id: "m1".into(),
        mime_type: None,
        sha256: None,
        caption: caption.map(Into::into),
        filename: None,
    })
}

#[test]
fn summaries_are_short_and_readable() {
    let cases = [
        (
            InboundContent::Text {
                body: "hello".into(),
            },
            "hello",
        ),
        (media(Some("look")), "look"),
        (media(None), "[image]"),
        (
            InboundContent::Location {
                latitude: 1.5,
                longitude: -2.0,
                name: None,
                address: None,
                url: None,
            },
            "[location 1.5, -2]",
        ),
        (
            InboundContent::Contacts {
                contacts: vec![Default::default(); 2],
            },
            "[2 contact card(s)]",
        ),
        (
            InboundContent::Reaction {
                message_id: "w".into(),
                emoji: "👍".into(),
            },
            "[reaction 👍]",
        ),
        (
            InboundContent::Button {
                text: "Yes".into(),
                payload: None,
            },
            "Yes",
        ),
        (
            InboundContent::Unsupported {
                kind: "unsupported".into(),
                errors: vec![],
            },
            "[unsupported]",
        ),
        (
            InboundContent::Other {
                kind: "poll".into(),
                json: "{}".into(),
            },
            "[poll]",
        ),
    ];
    for (content, want) in cases {
        assert_eq!(summary(&content).as_deref(), Some(want), "{content:?}");
    }
}

#[test]
fn an_inbound_message_becomes_a_received_message() {
    let m = InboundMessage {
        phone_number_id: "111".into(),
        display_phone_number: "15550001111".into(),
        waba_id: "999".into(),
        wamid: "wamid.IN".into(),
        from: "447700900123".into(),
        profile_name: Some("Pat".into()),
        timestamp: Timestamp(77),
        context: None,
        referral: None,
        content: media(None),
    };
    let msg = inbound_message(3, 4, &m);
    assert_eq!((msg.id, msg.thread_id), (3, 4));
    assert_eq!(
        (msg.direction, msg.status),
        (Direction::Inbound, MessageStatus::Received)
    );
    assert_eq!(msg.wamid.as_deref(), Some("wamid.IN"));
    assert_eq!(
        (msg.kind.as_str(), msg.text.as_deref()),
        ("image", Some("[image]"))
    );
    let payload = msg.payload.expect("payload");
    let back: InboundContent = serde_json::from_str(&payload).expect("content JSON");
    assert_eq!(back, m.content);
    assert_eq!((msg.at, msg.status_at), (Timestamp(77), Timestamp(77)));
}

#[test]
fn opt_words_and_the_stop_confirmation() {
    assert_eq!(opt_state(OptWord::Stop), MarketingState::Unsubscribed);
    assert_eq!(opt_state(OptWord::Start), MarketingState::Subscribed);
    let to = PhoneE164::parse("+447700900123").expect("phone");
    let c = stop_confirmation(8, 4, to, "You are unsubscribed.", Timestamp(5));
    assert_eq!(
        (c.direction, c.status, c.purpose),
        (Direction::Outbound, MessageStatus::Queued, Purpose::Service)
    );
    assert_eq!(c.author.as_deref(), Some("system"));
    assert_eq!(
        (c.kind.as_str(), c.text.as_deref()),
        ("text", Some("You are unsubscribed."))
    );
    assert_eq!(c.due_at, Some(Timestamp(5)));
    let body: serde_json::Value =
        serde_json::from_str(c.payload.as_deref().expect("payload")).expect("json");
    assert_eq!(
        body,
        serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+447700900123",
            "type": "text",
            "text": {"preview_url": false, "body": "You are unsubscribed."},
        })
    );
}
