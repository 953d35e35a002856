//! Applying Meta webhook events to the inbox: inbound messages (threads, the window,
//! unknown numbers become contacts, STOP/START), delivery statuses (never downgraded),
//! template reviews, number quality and account updates (integration health). The rules
//! are `logic::whatsapp::events` and `logic::whatsapp::health`; this file reads the
//! current records, calls them and stages the writes.
//! Must not send anything itself: messages it queues go through `outbox`.

use super::{outbox, ConversationsMsg, ConversationsState};
use crate::actors::customers::CustomersMsg;
use crate::actors::Delivered;
use crate::domain::contact::MarketingSource;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{ChatMessage, MessageStatus};
use crate::domain::{ShopifyId, Timestamp};
use crate::integrations::meta::webhook::{
    InboundContent, InboundMessage, MetaEvent, StatusUpdate, TemplateStatusUpdate,
};
use crate::logic::inbox::{self, OptWord};
use crate::logic::segments::Engaged;
use crate::logic::whatsapp::{events, health};
use crate::logic::{MetaKind, Source};
use crate::store::conversations as persist;
use crate::store::{Batch, Kind, StoreError};
use ractor::{ActorProcessingErr, ActorRef, RpcReplyPort};
use std::time::Duration;

/// Asks the tenant's customer actor (straight, through its [`crate::actors::Sibling`]
/// route, so a busy supervisor cannot stall the question) and waits for the answer. `None`
/// when the customer actor is restarting or does not answer in 5 s: the inbound message is
/// still recorded, without a contact link.
async fn ask_customers<T: Send + 'static>(
    state: &ConversationsState,
    make: impl FnOnce(RpcReplyPort<T>) -> CustomersMsg,
) -> Option<T> {
    let sibling = state.customers.get()?;
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
    match r {
        Err(e)
            if e.downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_transient) =>
        {
            // Not the payload's fault: forget what the failed apply changed in memory (a
            // thread it opened) and try again later; the entry stays pending meanwhile.
            let threads = persist::load_threads(&state.store, &state.shop)?;
            state.inbox = crate::logic::inbox::Inbox::restore(threads);
            state.stats.clear();
            let reason = crate::telemetry::chain(e.as_ref());
            state
                .retries
                .schedule(myself, d, ConversationsMsg::Deliver, &reason);
            Ok(())
        }
        r => {
            state.retries.done(d.seq);
            r
        }
    }
}

async fn apply_event(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    d: &Delivered,
) -> Result<(), ActorProcessingErr> {
    let events = match meta_events_of(d) {
        Ok(events) => events,
        Err(reason) => {
            crate::actors::dead_letter(&state.store, d.seq, &d.entry, reason);
            return Ok(());
        }
    };
    let mut batch = Batch::new();
    let mut queued: Vec<ChatMessage> = Vec::new();
    state.recorded.clear();
    state.staged.clear();
    let whole = d.entry.source == Source::Meta(MetaKind::Delivery);
    for event in events {
        if whole && !owns(state, &event)? {
            tracing::warn!(message = "Event of a replayed delivery is for a number or account this shop does not own; skipped.", tenant = %state.shop, phone_number_id = ?event.phone_number_id(), waba_id = event.routing_waba_id());
            continue;
        }
        apply_one(state, event, d.entry.received_at, &mut batch, &mut queued).await?;
    }
    let recorded = crate::actors::events_of(
        &std::mem::take(&mut state.recorded),
        d.seq,
        d.entry.received_at,
        false,
    );
    for e in &recorded {
        batch.put_event(&state.shop, e)?;
    }
    batch.applied(d.seq, &d.entry)?;
    state.store.commit(batch)?;
    crate::actors::publish(&state.automations, recorded);
    crate::actors::note_applied(&state.shop, d, None);
    for m in queued {
        state
            .outbox
            .schedule_in(m.due_at.unwrap_or(m.at), false, m.id);
    }
    outbox::pump(myself, state)
}

/// True when the event's number (or, for management events, its account) routes to this
/// shop: a replayed raw delivery applies only what is the shop's own.
fn owns(state: &ConversationsState, e: &MetaEvent) -> Result<bool, StoreError> {
    if matches!(e, MetaEvent::Unhandled(_)) {
        return Ok(true);
    }
    let owner = match e.phone_number_id() {
        Some(p) => state.store.shop_for_phone_number(p)?,
        None => state.store.shop_for_waba(e.routing_waba_id())?,
    };
    Ok(owner.as_deref() == Some(state.shop.as_str()))
}

/// The events of a journal entry: one parsed event (the usual case), or every event of a
/// whole raw delivery (`meta/delivery`: one that did not parse when it came in, replayed)
/// that belongs to this tenant. `Err` is the dead-letter reason.
fn meta_events_of(d: &Delivered) -> Result<Vec<MetaEvent>, String> {
    if d.entry.source != Source::Meta(MetaKind::Delivery) {
        return serde_json::from_slice(&d.entry.body)
            .map(|e| vec![e])
            .map_err(|e| format!("stored Meta event does not parse: {e}"));
    }
    crate::integrations::meta::webhook::parse(&d.entry.body)
        .map_err(|e| format!("Meta delivery does not parse: {e}"))
}

async fn apply_one(
    state: &mut ConversationsState,
    event: MetaEvent,
    received_at: Timestamp,
    batch: &mut Batch,
    queued: &mut Vec<ChatMessage>,
) -> Result<(), ActorProcessingErr> {
    match event {
        MetaEvent::InboundMessage(m) => on_inbound(state, m, received_at, batch, queued).await?,
        MetaEvent::Status(s) => on_status(state, &s, batch)?,
        MetaEvent::TemplateStatus(t) => on_template(state, &t, batch)?,
        MetaEvent::PhoneNumberQuality(q) => {
            let next = health::apply(&state.health, events::on_quality(&q), Timestamp::now());
            state.set_health(next)?
        }
        MetaEvent::AccountUpdate(a) => {
            let next = health::apply(&state.health, events::on_account(&a), Timestamp::now());
            state.set_health(next)?
        }
        MetaEvent::Unhandled(_) => {}
    }
    Ok(())
}

/// An inbound message. Its own time is the sender's claim: the thread's times and the
/// window use it only up to `received_at` ([`inbox::trusted_time`]).
async fn on_inbound(
    state: &mut ConversationsState,
    m: InboundMessage,
    received_at: Timestamp,
    batch: &mut Batch,
    queued: &mut Vec<ChatMessage>,
) -> Result<(), ActorProcessingErr> {
    let Some(phone) = m.from_phone() else {
        tracing::warn!(message = "Inbound message from a sender that is not a phone number; ignored.", tenant = %state.shop, from = %m.from);
        return Ok(());
    };
    let name = m.profile_name.clone();
    let at = inbox::trusted_time(m.timestamp, received_at);
    let contact = ask_customers(state, |reply_to| CustomersMsg::ContactForPhone {
        phone,
        profile_name: name,
        at,
        reply_to,
    })
    .await
    .flatten();
    let thread_id = state.store.next_id()?;
    let (thread, _) = state
        .inbox
        .open_thread(thread_id, &m.phone_number_id, phone, contact, at);
    let thread = state.inbox.on_inbound(
        thread.id,
        m.timestamp,
        received_at,
        m.profile_name.as_deref(),
    )?;
    let msg = events::inbound_message(state.store.next_id()?, thread.id, &m);
    persist::stage_thread(batch, &state.shop, &thread)?;
    persist::stage_message(batch, &state.shop, &msg)?;
    metrics::counter!("galantis_whatsapp_inbound_total", "type" => msg.kind.clone()).increment(1);
    if let Some(contact_id) = contact {
        tell_engaged(state, contact_id, Engaged::Replied, at);
    }
    if let (Some(contact_id), Some(text)) = (contact, m.content.said()) {
        let text: String = text.chars().take(1024).collect();
        state
            .recorded
            .push(crate::domain::EventKind::MessageReceived { contact_id, text });
    }
    let word = match &m.content {
        InboundContent::Text { body } => {
            let s = &state.services.settings;
            inbox::detect(body, &s.stop_words, &s.start_words)
        }
        _ => None,
    };
    // When we received it: the sender's own timestamp has whole seconds only, and a
    // reply can come within the second of our message.
    let stop = word == Some(OptWord::Stop);
    super::tally::on_reply(state, batch, thread.id, received_at, stop)?;
    if let InboundContent::Text { .. } = &m.content {
        if let Some(word) = word {
            if let Some(c) = on_opt_word(state, word, phone, at, thread.id).await? {
                outbox::stage_queued(batch, &state.shop, &c, false)?;
                queued.push(c);
            }
        }
    }
    Ok(())
}

/// STOP or START from the customer: the contacts of the number change their marketing
/// consent. Returns the STOP confirmation to queue, when the tenant configured a text.
async fn on_opt_word(
    state: &mut ConversationsState,
    word: OptWord,
    phone: PhoneE164,
    at: Timestamp,
    thread_id: u64,
) -> Result<Option<ChatMessage>, ActorProcessingErr> {
    let changed = ask_customers(state, |reply_to| CustomersMsg::SetMarketingByPhone {
        phone,
        state: events::opt_state(word),
        source: MarketingSource::Whatsapp,
        at,
        reply_to,
    })
    .await;
    tracing::info!(message = "Opt-out word received.", tenant = %state.shop, word = ?word, contacts = ?changed);
    if word != OptWord::Stop {
        return Ok(None);
    }
    let Some(text) = state.services.settings.stop_confirmation.clone() else {
        return Ok(None);
    };
    let id = state.store.next_id()?;
    Ok(Some(events::stop_confirmation(
        id,
        thread_id,
        phone,
        &text,
        Timestamp::now(),
    )))
}

/// Tells the customer actor (segment engagement signals); best effort: a signal lost to a
/// crash only delays a day-granular rule until the contact's next message.
fn tell_engaged(state: &ConversationsState, contact: ShopifyId, what: Engaged, at: Timestamp) {
    if let Some(c) = state.customers.get() {
        let _ = c.cast(CustomersMsg::Engaged { contact, what, at });
    }
}

fn on_status(
    state: &mut ConversationsState,
    s: &StatusUpdate,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let Some(stored) = persist::message_by_wamid(&state.store, &state.shop, &s.wamid)? else {
        tracing::debug!(message = "Status for a message we did not send; ignored.", tenant = %state.shop, wamid = %s.wamid);
        return Ok(());
    };
    // A delivery may carry several statuses of one message: the later ones apply over
    // the version this batch already holds.
    let msg = state.staged.remove(&stored.id).unwrap_or(stored);
    if let Some(next) = events::on_status(&msg, s) {
        persist::stage_status(batch, &state.shop, &next)?;
        super::usage::meter(state, &msg, &next, batch)?;
        super::tally::on_change(state, batch, msg.status, &next)?;
        state.staged.insert(next.id, next.clone());
        let reached = matches!(next.status, MessageStatus::Delivered | MessageStatus::Read);
        if let (true, Some(contact)) = (
            reached,
            state
                .inbox
                .thread(next.thread_id)
                .and_then(|t| t.contact_id),
        ) {
            tell_engaged(state, contact, Engaged::Received, next.status_at);
        }
    }
    Ok(())
}

fn on_template(
    state: &mut ConversationsState,
    t: &TemplateStatusUpdate,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let stored = persist::template(
        &state.store,
        &state.shop,
        &t.message_template_name,
        &t.message_template_language,
    )?;
    let tpl = events::on_template(stored, t, Timestamp::now());
    batch.put(
        &state.shop,
        Kind::Template,
        persist::template_id(&tpl.name, &tpl.language),
        &tpl,
    )
}
