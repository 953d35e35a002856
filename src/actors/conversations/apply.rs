//! Applying Meta webhook events to the inbox: inbound messages (threads, the window,
//! unknown numbers become contacts, STOP/START), delivery statuses (never downgraded),
//! template reviews, number quality and account updates (integration health).

use super::{outbox, persist, ConversationsMsg, ConversationsState};
use crate::actors::customers::CustomersMsg;
use crate::actors::Delivered;
use crate::domain::contact::{MarketingSource, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, Direction, HealthState, MessageError, MessageStatus, Purpose, Template,
    TemplateStatus,
};
use crate::domain::Timestamp;
use crate::integrations::meta::webhook::MessageStatus as WireStatus;
use crate::integrations::meta::webhook::{
    AccountEvent, InboundContent, InboundMessage, MetaEvent, QualityEvent, StatusUpdate,
    TemplateStatusUpdate,
};
use crate::logic::inbox::{self, OptWord};
use crate::store::{Batch, Kind, StoreError};
use ractor::{ActorProcessingErr, ActorRef, RpcReplyPort};
use std::time::Duration;

/// Asks the tenant's customer actor (its sibling, found among the supervisor's children,
/// so a busy supervisor cannot stall the question) and waits for the answer. `None` when
/// the customer actor is restarting or does not answer in 5 s: the inbound message is
/// still recorded, without a contact link.
async fn ask_customers<T: Send + 'static>(
    myself: &ActorRef<ConversationsMsg>,
    make: impl FnOnce(RpcReplyPort<T>) -> CustomersMsg,
) -> Option<T> {
    let sup = myself.try_get_supervisor()?;
    let sibling = sup
        .get_children()
        .into_iter()
        .find(|c| c.is_message_type_of::<CustomersMsg>() == Some(true))?;
    let (tx, rx) = ractor::concurrency::oneshot();
    sibling.send_message(make(tx.into())).ok()?;
    tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .ok()?
        .ok()
}

/// Applies one journaled Meta event.
pub async fn on_deliver(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    d: Delivered,
) -> Result<(), ActorProcessingErr> {
    if !state.store.is_pending(d.seq) {
        return Ok(());
    }
    state
        .in_flight
        .store(d.seq, std::sync::atomic::Ordering::SeqCst);
    let r = apply_event(myself, state, &d).await;
    state
        .in_flight
        .store(0, std::sync::atomic::Ordering::SeqCst);
    r
}

async fn apply_event(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    d: &Delivered,
) -> Result<(), ActorProcessingErr> {
    let events = match events_of(d) {
        Ok(events) => events,
        Err(reason) => {
            crate::actors::dead_letter(&state.store, d.seq, &d.entry, reason);
            return Ok(());
        }
    };
    let mut batch = Batch::new();
    let mut queued: Vec<ChatMessage> = Vec::new();
    let whole = d.entry.topic == crate::actors::tenant::META_DELIVERY_TOPIC;
    for event in events {
        if let Some(p) = event.phone_number_id().filter(|_| whole) {
            if state.store.shop_for_phone_number(p)?.as_deref() != Some(state.shop.as_str()) {
                tracing::warn!(message = "Event of a replayed delivery is for a number this shop does not own; skipped.", tenant = %state.shop, phone_number_id = p);
                continue;
            }
        }
        apply_one(myself, state, event, &mut batch, &mut queued).await?;
    }
    batch.applied(d.seq, &d.entry)?;
    state.store.commit(batch)?;
    crate::actors::tenant::note_applied(&state.shop, d, None);
    for m in queued {
        state.outbox.schedule(m.due_at.unwrap_or(m.at), m.id);
    }
    outbox::pump(myself, state)
}

/// The events of a journal entry: one parsed event (the usual case), or every event of a
/// whole raw delivery (`meta/delivery`: one that did not parse when it came in, replayed)
/// that belongs to this tenant. `Err` is the dead-letter reason.
fn events_of(d: &Delivered) -> Result<Vec<MetaEvent>, String> {
    if d.entry.topic != crate::actors::tenant::META_DELIVERY_TOPIC {
        return serde_json::from_slice(&d.entry.body)
            .map(|e| vec![e])
            .map_err(|e| format!("stored Meta event does not parse: {e}"));
    }
    crate::integrations::meta::webhook::parse(&d.entry.body)
        .map_err(|e| format!("Meta delivery does not parse: {e}"))
}

async fn apply_one(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    event: MetaEvent,
    batch: &mut Batch,
    queued: &mut Vec<ChatMessage>,
) -> Result<(), ActorProcessingErr> {
    match event {
        MetaEvent::InboundMessage(m) => on_inbound(myself, state, m, batch, queued).await?,
        MetaEvent::Status(s) => on_status(state, &s, batch)?,
        MetaEvent::TemplateStatus(t) => on_template(state, &t, batch)?,
        MetaEvent::PhoneNumberQuality(q) => {
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
                QualityEvent::Flagged | QualityEvent::Downgrade => health_warn(state, detail)?,
                _ => health_detail(state, detail)?,
            }
        }
        MetaEvent::AccountUpdate(a) => {
            let detail = format!("account {}: {}", a.waba_id, a.event);
            match a.event {
                AccountEvent::DisabledUpdate
                | AccountEvent::AccountDeleted
                | AccountEvent::AccountOffboarded => health_red(state, detail)?,
                AccountEvent::AccountViolation | AccountEvent::AccountRestriction => {
                    health_warn(state, detail)?
                }
                _ => health_detail(state, detail)?,
            }
        }
        MetaEvent::Unhandled(_) => {}
    }
    Ok(())
}

/// A short readable form of inbound content for lists and previews.
fn summary(c: &InboundContent) -> Option<String> {
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

async fn on_inbound(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    m: InboundMessage,
    batch: &mut Batch,
    queued: &mut Vec<ChatMessage>,
) -> Result<(), ActorProcessingErr> {
    let Some(phone) = m.from_phone() else {
        tracing::warn!(message = "Inbound message from a sender that is not a phone number; ignored.", tenant = %state.shop, from = %m.from);
        return Ok(());
    };
    let name = m.profile_name.clone();
    let contact = ask_customers(myself, |reply_to| CustomersMsg::ContactForPhone {
        phone,
        profile_name: name,
        at: m.timestamp,
        reply_to,
    })
    .await
    .flatten();
    let thread_id = state.store.next_id()?;
    let (thread, _) =
        state
            .inbox
            .open_thread(thread_id, &m.phone_number_id, phone, contact, m.timestamp);
    let thread = state
        .inbox
        .on_inbound(thread.id, m.timestamp, m.profile_name.as_deref())?;
    let msg = ChatMessage {
        id: state.store.next_id()?,
        thread_id: thread.id,
        direction: Direction::Inbound,
        wamid: Some(m.wamid.clone()),
        author: None,
        kind: m.content.type_name().to_string(),
        text: summary(&m.content),
        payload: serde_json::to_string(&m.content).ok(),
        purpose: Purpose::Service,
        status: MessageStatus::Received,
        error: None,
        at: m.timestamp,
        status_at: m.timestamp,
        attempts: 0,
        due_at: None,
        in_flight: false,
    };
    persist::stage_thread(batch, &state.shop, &thread)?;
    persist::stage_message(batch, &state.shop, &msg)?;
    metrics::counter!("galantis_whatsapp_inbound_total", "type" => msg.kind.clone()).increment(1);
    if let InboundContent::Text { body } = &m.content {
        let s = &state.services.settings;
        if let Some(word) = inbox::detect(body, &s.stop_words, &s.start_words) {
            let new_state = match word {
                OptWord::Stop => MarketingState::Unsubscribed,
                OptWord::Start => MarketingState::Subscribed,
            };
            let changed = ask_customers(myself, |reply_to| CustomersMsg::SetMarketingByPhone {
                phone,
                state: new_state,
                source: MarketingSource::Whatsapp,
                at: m.timestamp,
                reply_to,
            })
            .await;
            tracing::info!(message = "Opt-out word received.", tenant = %state.shop, word = ?word, contacts = ?changed);
            if word == OptWord::Stop {
                if let Some(text) = s.stop_confirmation.clone() {
                    let c = confirmation(state, thread.id, phone, &text)?;
                    outbox::stage_queued(batch, &state.shop, &c)?;
                    queued.push(c);
                }
            }
        }
    }
    Ok(())
}

fn confirmation(
    state: &ConversationsState,
    thread_id: u64,
    to: PhoneE164,
    text: &str,
) -> Result<ChatMessage, StoreError> {
    let now = Timestamp::now();
    let body = serde_json::json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.to_string(),
        "type": "text",
        "text": {"preview_url": false, "body": text},
    });
    Ok(ChatMessage {
        id: state.store.next_id()?,
        thread_id,
        direction: Direction::Outbound,
        wamid: None,
        author: Some("system".into()),
        kind: "text".into(),
        text: Some(text.to_string()),
        payload: Some(body.to_string()),
        purpose: Purpose::Service,
        status: MessageStatus::Queued,
        error: None,
        at: now,
        status_at: now,
        attempts: 0,
        due_at: Some(now),
        in_flight: false,
    })
}

fn on_status(
    state: &mut ConversationsState,
    s: &StatusUpdate,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let Some(mut msg) = persist::message_by_wamid(&state.store, &state.shop, &s.wamid)? else {
        tracing::debug!(message = "Status for a message we did not send; ignored.", tenant = %state.shop, wamid = %s.wamid);
        return Ok(());
    };
    let status = match s.status {
        WireStatus::Sent => MessageStatus::Sent,
        WireStatus::Delivered => MessageStatus::Delivered,
        WireStatus::Read => MessageStatus::Read,
        WireStatus::Failed => MessageStatus::Failed,
        WireStatus::Unknown(_) => return Ok(()),
    };
    let error = s.errors.first().map(|e| MessageError {
        code: e.code,
        message: e
            .details
            .clone()
            .or_else(|| e.message.clone())
            .or_else(|| e.title.clone())
            .unwrap_or_default(),
    });
    if inbox::apply_status(&mut msg, status, s.timestamp, error) {
        persist::stage_message(batch, &state.shop, &msg)?;
    }
    Ok(())
}

fn on_template(
    state: &mut ConversationsState,
    t: &TemplateStatusUpdate,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    let status = TemplateStatus::from_meta(t.event.as_str());
    let mut tpl = persist::template(
        &state.store,
        &state.shop,
        &t.message_template_name,
        &t.message_template_language,
    )?
    .unwrap_or_else(|| Template {
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
    batch.put(
        &state.shop,
        Kind::Template,
        persist::template_id(&tpl.name, &tpl.language),
        &tpl,
    )
}

fn save_health(state: &mut ConversationsState) -> Result<(), StoreError> {
    let mut b = Batch::new();
    b.put(
        &state.shop,
        Kind::Health,
        persist::META_HEALTH,
        &state.health,
    )?;
    state.store.commit(b)
}

fn push_detail(state: &mut ConversationsState, detail: String) {
    state.health.details.push(detail);
    let n = state.health.details.len();
    if n > 10 {
        state.health.details.drain(..n - 10);
    }
}

/// A successful call: the integration works.
pub fn health_ok(state: &mut ConversationsState) -> Result<(), StoreError> {
    state.health.state = HealthState::Green;
    state.health.token = "valid".into();
    state.health.checked_at = Some(Timestamp::now());
    save_health(state)
}

/// A degradation (paused sending, flagged number, account restriction).
pub fn health_warn(state: &mut ConversationsState, detail: String) -> Result<(), StoreError> {
    if state.health.state != HealthState::Red {
        state.health.state = HealthState::Yellow;
    }
    state.health.last_error = Some(detail.clone());
    state.health.last_error_at = Some(Timestamp::now());
    push_detail(state, detail);
    save_health(state)
}

fn health_red(state: &mut ConversationsState, detail: String) -> Result<(), StoreError> {
    state.health.state = HealthState::Red;
    state.health.last_error = Some(detail.clone());
    state.health.last_error_at = Some(Timestamp::now());
    push_detail(state, detail);
    save_health(state)
}

fn health_detail(state: &mut ConversationsState, detail: String) -> Result<(), StoreError> {
    push_detail(state, detail);
    save_health(state)
}

/// Meta rejected the token (190): red, with the cause; the dispatcher holds the queue.
pub fn health_token_dead(state: &mut ConversationsState, cause: String) -> Result<(), StoreError> {
    tracing::error!(message = "WhatsApp access token rejected; sending stopped.", tenant = %state.shop, cause = %cause);
    state.health.token = "invalid".into();
    health_red(state, format!("access token rejected by Meta: {cause}"))
}
