//! The campaign lane's rounds (`bulk`): its first messages taken under the number's rate,
//! one flight record and one flush per round, the round's calls on one task, and their
//! results applied in one batch: an accepted message becomes an inbox message (thread,
//! `ChatMessage` with its `wamid`, once-key, tag, counters); one that cannot go now or
//! whose send failed becomes a stored outbox message on the lane (`demote`) and follows
//! the outbox's rules from there.

use super::bulk::At;
use super::commands::{stage_checked, Outgoing, SendError, Tagged};
use super::outbox::{self, Taken};
use super::{ConversationsMsg, ConversationsState};
use crate::actors::context::ActorContext;
use crate::domain::analytics::MessageTag;
use crate::domain::bulk::{BulkItem, Flight};
use crate::domain::whatsapp::{ChatMessage, MessageContent, Purpose};
use crate::domain::Timestamp;
use crate::integrations::meta::error::MetaError;
use crate::logic::whatsapp::health;
use crate::logic::whatsapp::outbox as logic;
use crate::store::conversations as persist;
use crate::store::whatsapp::text_id;
use crate::store::{Batch, Kind, StoreError};
use ractor::{ActorProcessingErr, ActorRef};
use std::sync::Arc;

/// The outcome of one send of a round.
pub type Sent = (At, Result<String, MetaError>);

/// A message of the round being gathered.
pub(super) struct Sending {
    at: At,
    pnid: String,
    token: String,
    body: String,
}

/// The lane's messages taken in one dispatcher round.
#[derive(Default)]
pub(super) struct Round(Vec<Sending>);

impl Round {
    /// True when nothing was taken.
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A round whose flight record is written: sent by [`send_round`].
pub(super) struct Flying {
    round: u64,
    items: Vec<Sending>,
}

/// Takes the lane's first message into the round when the number's rate allows; one that
/// cannot go now is stored on the lane instead ([`demote`]) and follows the outbox's
/// rules. `RateLimited` stops the round (a wake-up for the refill is armed).
///
/// # Errors
/// When the store fails.
pub(super) fn take_one(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    now: Timestamp,
    token_cache: &mut Option<Result<String, String>>,
    round: &mut Round,
) -> Result<Taken, ActorProcessingErr> {
    let Some(at) = state.outbox.lane.front() else {
        return Ok(Taken::Next);
    };
    let Some(item) = state.outbox.lane.item(at) else {
        state.outbox.lane.pop_front();
        return Ok(Taken::Next);
    };
    let (pnid, phone, marketing) = (
        item.phone_number_id.clone(),
        item.phone,
        item.purpose == Purpose::Marketing,
    );
    let paused = (state.outbox.marketing_paused_until.get(&pnid)).filter(|u| **u > now);
    if let (true, Some(&until)) = (marketing, paused) {
        state.outbox.lane.pop_front();
        demote(state, at, until, 0, true)?;
        return Ok(Taken::Next);
    }
    if let Err(wait) = state.outbox.take_token(&pnid) {
        super::wake::wake_in(myself, state, wait);
        return Ok(Taken::RateLimited);
    }
    state.outbox.lane.pop_front();
    if let Err(not_until) = state.outbox.pair_check(&(text_id(&pnid), phone.digits())) {
        demote(state, at, logic::after_pair_limit(now, not_until), 0, true)?;
        return Ok(Taken::Next);
    }
    let token = match token_cache.get_or_insert_with(|| outbox::token(state)) {
        Ok(t) => t.clone(),
        Err(_) => {
            // Stored, it fails with the token's reason like any other message.
            demote(state, at, now, 0, true)?;
            return Ok(Taken::Next);
        }
    };
    let body = state
        .outbox
        .lane
        .item(at)
        .map(|i| i.body.clone())
        .unwrap_or_default();
    round.0.push(Sending {
        at,
        pnid,
        token,
        body,
    });
    state.outbox.lane.in_flight += 1;
    Ok(Taken::Next)
}

/// Writes the round's flight record (flushed with the round, before any call).
///
/// # Errors
/// When the store fails.
pub(super) fn start_round(
    state: &mut ConversationsState,
    round: Round,
) -> Result<Option<Flying>, StoreError> {
    if round.is_empty() {
        return Ok(None);
    }
    let id = state.store.next_id()?;
    let flight: Flight = round.0.iter().map(|s| s.at).collect();
    let mut b = Batch::new();
    b.put(&state.shop, Kind::BulkFlight, id, &flight)?;
    state.store.commit(b)?;
    Ok(Some(Flying {
        round: id,
        items: round.0,
    }))
}

/// Sends a round's messages concurrently on one task and reports them together.
pub(super) async fn send_round(
    services: Arc<ActorContext>,
    me: ActorRef<ConversationsMsg>,
    gate: super::throughput::CallGate,
    flying: Flying,
    flushed: Result<(), String>,
) {
    let sends = flying.items.into_iter().map(|s| {
        let (services, flushed, gate) = (&services, &flushed, &gate);
        async move {
            let r = match flushed {
                Ok(()) => {
                    gate.pass(&s.pnid).await;
                    (services.meta)
                        .send_message_json(&s.token, &s.pnid, s.body)
                        .await
                        .map(|a| a.wamid)
                }
                Err(e) => Err(MetaError::Setup(format!("outbox flush failed: {e}"))),
            };
            (s.at, r)
        }
    });
    let results = futures_util::future::join_all(sends).await;
    let _ = me.cast(ConversationsMsg::LaneCompleted {
        round: flying.round,
        results,
    });
}

/// Applies a round's results: the accepted ones become inbox messages (one batch, with
/// the flight record's removal); a failed one is stored and decided by Meta's error class
/// like any other. Then the dispatcher pumps again.
///
/// # Errors
/// When the store fails.
pub(super) fn on_completed(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    round: u64,
    results: Vec<Sent>,
) -> Result<(), ActorProcessingErr> {
    let now = Timestamp::now();
    let mut b = Batch::new();
    b.remove(&state.shop, Kind::BulkFlight, round);
    let mut failed = Vec::new();
    let mut accepted = 0u64;
    for (at, r) in results {
        state.outbox.lane.in_flight = state.outbox.lane.in_flight.saturating_sub(1);
        match r {
            Ok(wamid) => {
                let Some(item) = state.outbox.lane.settle(&state.shop, &mut b, at) else {
                    continue;
                };
                accept(state, item, wamid, now, &mut b)?;
                accepted += 1;
            }
            Err(e) => failed.push((at, e)),
        }
    }
    state.store.commit(b)?;
    if accepted > 0 {
        metrics::counter!("galantis_messages_sent_total").increment(accepted);
        let next = health::on_success(&state.health, now);
        if next != state.health {
            state.set_health(next)?;
        }
    }
    for (at, e) in failed {
        if let Some(mut m) = demote(state, at, now, 1, false)? {
            let due = m.due_at.unwrap_or(m.at).millis();
            super::sent::on_error(state, &mut m, due, e, now)?;
        }
    }
    outbox::pump(myself, state)
}

/// An accepted item as an inbox message: thread, message with its `wamid`, once-key, tag
/// and counters (queued and sent), staged in `b`.
fn accept(
    state: &mut ConversationsState,
    item: BulkItem,
    wamid: String,
    now: Timestamp,
    b: &mut Batch,
) -> Result<(), SendError> {
    let (mut m, tag) = materialize(state, item, now, b)?;
    let before = m.status;
    m.attempts = 1;
    logic::accept(&mut m, wamid, now);
    persist::stage_message(b, &state.shop, &m)?;
    if let Some(tag) = tag {
        super::tally::on_change_tagged(state, b, before, &m, tag)?;
    }
    Ok(())
}

/// Stores an item as a queued message on the lane, due at `due` after `attempts`
/// attempts; `schedule` puts it on the dispatcher's schedule (else the caller decides
/// its next step, which reschedules or fails it).
fn demote(
    state: &mut ConversationsState,
    at: At,
    due: Timestamp,
    attempts: u32,
    schedule: bool,
) -> Result<Option<ChatMessage>, ActorProcessingErr> {
    let mut b = Batch::new();
    let Some(item) = state.outbox.lane.settle(&state.shop, &mut b, at) else {
        return Ok(None);
    };
    let (mut m, _) = materialize(state, item, Timestamp::now(), &mut b)?;
    m.attempts = attempts;
    m.due_at = Some(due);
    outbox::stage_queued(&mut b, &state.shop, &m, true)?;
    state.store.commit(b)?;
    if schedule {
        state.outbox.schedule_in(due, true, m.id);
    } else {
        state.outbox.mark_bulk(m.id);
    }
    Ok(Some(m))
}

/// Stages an item as a queued message on its thread (opened when the customer has none
/// on that number), with its once-key and tag; the message itself is left to the caller.
fn materialize(
    state: &mut ConversationsState,
    item: BulkItem,
    now: Timestamp,
    b: &mut Batch,
) -> Result<(ChatMessage, Option<MessageTag>), SendError> {
    let thread_id = match state.inbox.find(&item.phone_number_id, item.phone) {
        Some(t) => t.id,
        None => {
            let id = state.store.next_id()?;
            let contact = (item.contact != 0).then_some(item.contact);
            let (t, _) =
                (state.inbox).open_thread(id, &item.phone_number_id, item.phone, contact, now);
            t.id
        }
    };
    let out = Outgoing {
        author: None,
        content: MessageContent {
            kind: "template".into(),
            text: Some(item.text),
            payload: Some(item.body),
        },
        purpose: item.purpose,
        once_key: Some(item.once_key),
        source: Some(Tagged {
            source: item.source,
            contact: item.contact,
            position: item.position,
        }),
        queue: None,
    };
    stage_checked(state, out, thread_id, now, b)
}
