//! Meta's webhook events as changes of stored records: a delivery status on a message, a
//! template review on a template, number quality and account updates as health events,
//! an inbound message (or the STOP confirmation) as a new message. It owns the mapping
//! and the texts; it must not read or write the store (the actor passes the current
//! record in and writes what comes out).

use super::health::HealthEvent;
use crate::domain::contact::MarketingState;
use crate::domain::meta_events::MessageStatus as WireStatus;
use crate::domain::meta_events::{
    AccountEvent, AccountUpdate, InboundContent, InboundMessage, PhoneNumberQualityUpdate,
    QualityEvent, StatusUpdate, TemplateStatusUpdate,
};
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, MessageContent, MessageError, MessageStatus, Purpose, Template, TemplateStatus,
};
use crate::domain::Timestamp;
use crate::logic::inbox::{self, OptWord};

/// Our status for Meta's; `None` for statuses we do not track (`played`, `deleted` …).
pub fn status_of(s: &WireStatus) -> Option<MessageStatus> {
    Some(match s {
        WireStatus::Sent => MessageStatus::Sent,
        WireStatus::Delivered => MessageStatus::Delivered,
        WireStatus::Read => MessageStatus::Read,
        WireStatus::Failed => MessageStatus::Failed,
        WireStatus::Unknown(_) => return None,
    })
}

/// The error of a status update: Meta's first error, with its most helpful text
/// (`details`, else `message`, else `title`).
pub fn status_error(s: &StatusUpdate) -> Option<MessageError> {
    s.errors.first().map(|e| MessageError {
        code: e.code,
        message: e
            .details
            .clone()
            .or_else(|| e.message.clone())
            .or_else(|| e.title.clone())
            .unwrap_or_default(),
    })
}

/// A status webhook applied to the message it is about (never downgraded, see
/// [`inbox::apply_status`]). `None` when the message does not change.
pub fn on_status(msg: &ChatMessage, s: &StatusUpdate) -> Option<ChatMessage> {
    let status = status_of(&s.status)?;
    let mut next = msg.clone();
    inbox::apply_status(&mut next, status, s.timestamp, status_error(s)).then_some(next)
}

/// A template review merged into the stored template, or into a new record when the
/// template was created outside the engine (category `UNKNOWN`, no components). Meta's
/// reason `NONE` means no reason.
pub fn on_template(stored: Option<Template>, t: &TemplateStatusUpdate, now: Timestamp) -> Template {
    let status = TemplateStatus::from_meta(t.event.as_str());
    let mut tpl = stored.unwrap_or_else(|| Template {
        name: t.message_template_name.clone(),
        language: t.message_template_language.clone(),
        category: t.category.clone().unwrap_or_else(|| "UNKNOWN".into()),
        status,
        meta_id: Some(t.message_template_id.clone()),
        components: "[]".into(),
        reason: None,
        updated_at: now,
    });
    tpl.status = status;
    tpl.meta_id = Some(t.message_template_id.clone());
    tpl.reason = t.reason.clone().filter(|r| r != "NONE");
    tpl.updated_at = now;
    tpl
}

/// A number's quality change: flagged or downgraded is a warning, anything else a detail.
pub fn on_quality(q: &PhoneNumberQualityUpdate) -> HealthEvent {
    let detail = format!(
        "number {}: {}{}",
        q.display_phone_number,
        q.event,
        q.current_limit
            .as_deref()
            .map(|l| format!(" (limit {l})"))
            .unwrap_or_default()
    );
    match q.event {
        QualityEvent::Flagged | QualityEvent::Downgrade => HealthEvent::Warning(detail),
        _ => HealthEvent::Detail(detail),
    }
}

/// An account update: disabled, deleted or offboarded breaks the integration; a violation
/// or restriction is a warning; anything else a detail.
pub fn on_account(a: &AccountUpdate) -> HealthEvent {
    let detail = format!("account {}: {}", a.waba_id, a.event);
    match a.event {
        AccountEvent::DisabledUpdate
        | AccountEvent::AccountDeleted
        | AccountEvent::AccountOffboarded => HealthEvent::Broken(detail),
        AccountEvent::AccountViolation | AccountEvent::AccountRestriction => {
            HealthEvent::Warning(detail)
        }
        _ => HealthEvent::Detail(detail),
    }
}

/// A short readable form of inbound content for lists and previews.
pub fn summary(c: &InboundContent) -> Option<String> {
    Some(match c {
        InboundContent::Text { body } => body.clone(),
        InboundContent::Media(m) => m
            .caption
            .clone()
            .unwrap_or_else(|| format!("[{}]", m.kind.as_str())),
        InboundContent::Location {
            name,
            latitude,
            longitude,
            ..
        } => name
            .clone()
            .unwrap_or_else(|| format!("[location {latitude}, {longitude}]")),
        InboundContent::Contacts { contacts } => format!("[{} contact card(s)]", contacts.len()),
        InboundContent::Reaction { emoji, .. } => format!("[reaction {emoji}]"),
        InboundContent::Button { text, .. } => text.clone(),
        InboundContent::Interactive(r) => format!("{r:?}"),
        InboundContent::Order(o) => format!("[order: {} item(s)] {}", o.items.len(), o.text),
        InboundContent::System { body, .. } => body.clone(),
        InboundContent::Unsupported { kind, .. } => format!("[{kind}]"),
        InboundContent::Other { kind, .. } => format!("[{kind}]"),
    })
}

/// The stored message of an inbound message (id allocated by the caller).
pub fn inbound_message(id: u64, thread_id: u64, m: &InboundMessage) -> ChatMessage {
    let content = MessageContent {
        kind: m.content.type_name().to_string(),
        text: summary(&m.content),
        payload: serde_json::to_string(&m.content).ok(),
    };
    ChatMessage::inbound(id, thread_id, m.wamid.clone(), content, m.timestamp)
}

/// The marketing state an opt-out word asks for.
pub fn opt_state(word: OptWord) -> MarketingState {
    match word {
        OptWord::Stop => MarketingState::Unsubscribed,
        OptWord::Start => MarketingState::Subscribed,
    }
}

/// The confirmation sent after STOP, when the tenant configured one: a plain text to the
/// customer, queued as a service message of `system`.
pub fn stop_confirmation(
    id: u64,
    thread_id: u64,
    to: PhoneE164,
    text: &str,
    now: Timestamp,
) -> ChatMessage {
    let body = serde_json::json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.to_string(),
        "type": "text",
        "text": {"preview_url": false, "body": text},
    });
    let content = MessageContent {
        kind: "text".into(),
        text: Some(text.to_string()),
        payload: Some(body.to_string()),
    };
    ChatMessage::queued_outbound(
        id,
        thread_id,
        Some("system".into()),
        content,
        Purpose::Service,
        now,
    )
}
